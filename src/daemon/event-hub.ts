/**
 * The event hub: every daemon event gets one global, strictly increasing `seq` and lands in a
 * ring buffer of recent events (for clients resuming with `since`). Subscribers are called
 * synchronously and must not block; the WebSocket layer queues per client.
 *
 * A publisher that publishes related events together (the daemon, for each batch of key records
 * from the input thread) calls `endBatch()` after the last one: subscribers that collect events
 * into frames (the WebSocket layer) may send them at once instead of at the end of the turn.
 */
export interface HubEvent {
  type: string;
  seq: number;
  /** µs since the epoch */
  time: number;
  data: unknown;
}

export type HubListener = (event: HubEvent) => void;
export type BatchEndListener = () => void;

export class EventHub {
  private ring: (HubEvent | undefined)[];
  private head = 0;
  private size = 0;
  private seq = 0;
  private readonly listeners = new Set<HubListener>();
  private readonly batchEndListeners = new Set<BatchEndListener>();

  constructor(capacity: number) {
    this.ring = new Array(capacity);
  }

  get currentSeq(): number {
    return this.seq;
  }

  get capacity(): number {
    return this.ring.length;
  }

  publish(
    type: string,
    data: unknown,
    time = Math.round((performance.timeOrigin + performance.now()) * 1000),
  ): HubEvent {
    const event: HubEvent = { type, seq: ++this.seq, time, data };
    this.ring[(this.head + this.size) % this.ring.length] = event;
    if (this.size < this.ring.length) this.size++;
    else this.head = (this.head + 1) % this.ring.length;
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** `onBatchEnd` is called by `endBatch()`, after the events it closes were published. */
  subscribe(listener: HubListener, onBatchEnd?: BatchEndListener): () => void {
    this.listeners.add(listener);
    if (onBatchEnd) this.batchEndListeners.add(onBatchEnd);
    return () => {
      this.listeners.delete(listener);
      if (onBatchEnd) this.batchEndListeners.delete(onBatchEnd);
    };
  }

  /** The events published since the last call belong together and are complete: deliver them. */
  endBatch(): void {
    for (const listener of this.batchEndListeners) listener();
  }

  /** Retained events with seq > `seq`, or null when some are no longer retained (or `seq` is from another run). */
  since(seq: number): HubEvent[] | null {
    if (seq === this.seq) return [];
    // ahead of us: a seq from an earlier daemon run — the client must resync
    if (seq > this.seq) return null;
    const oldest = this.size === 0 ? this.seq + 1 : this.ring[this.head]!.seq;
    if (seq + 1 < oldest) return null;
    return this.retained().filter((e) => e.seq > seq);
  }

  private retained(): HubEvent[] {
    const out: HubEvent[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.ring[(this.head + i) % this.ring.length]!);
    return out;
  }

  /** Changes the ring size, keeping the newest events. */
  resize(capacity: number): void {
    if (capacity === this.ring.length) return;
    const tail = this.retained().slice(-capacity);
    this.ring = new Array(capacity);
    tail.forEach((e, i) => (this.ring[i] = e));
    this.head = 0;
    this.size = tail.length;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
