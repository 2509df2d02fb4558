/**
 * A client of the daemon's WebSocket stream (`/ws`) that survives disconnects: it reconnects
 * with backoff and resumes from the last seq it saw (`since`), so a page that stays open misses
 * nothing the daemon still retains; when it cannot resume the server sends a `snapshot` with
 * `resync: true` and listeners start over from it.
 */

export type Topic = 'key' | 'state' | 'latency' | 'profile' | 'device' | 'error' | 'suspend' | 'recording';
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface Envelope<T = unknown> {
  type: string;
  seq: number;
  /** µs since the epoch */
  time: number;
  data: T;
}

export interface KeyEventData {
  device: string;
  key: string;
  action: 'press' | 'release' | 'repeat' | 'timeout' | 'release-all';
  /** a key, or pointer motion (`action: 'move'`, `key` an axis such as `X`, `value` the distance) */
  outputs: { key: string; action: string; timeUs: number; value?: number }[];
  mapping: string;
  decision: string;
  latencyUs: number;
}

export interface SnapshotData {
  resync?: boolean;
  activeProfile: string | null;
  modifiers: string[];
  locks: string[];
  held: { device: string; key: string }[];
  devices: unknown[];
}

export interface StreamOptions {
  topics: Topic[];
  /** default: `/ws` on the page's host */
  url?: string;
  /** tests pass a WebSocket implementation */
  WebSocketImpl?: typeof WebSocket;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

type EventsListener = (events: Envelope[]) => void;
type StateListener = (state: ConnectionState) => void;

export class EventStream {
  private socket: WebSocket | null = null;
  private stopped = true;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private lastSeqSeen: number | null = null;
  private connState: ConnectionState = 'closed';
  /** the daemon instance of the last hello (changes when the daemon restarts) */
  private instance: string | null = null;
  private readonly eventListeners = new Set<EventsListener>();
  private readonly stateListeners = new Set<StateListener>();
  /** why the last connection ended, for the connection indicator's tooltip */
  lastCloseReason = '';

  constructor(private readonly opts: StreamOptions) {}

  get state(): ConnectionState {
    return this.connState;
  }

  /** The seq of the last event received (what a reconnect resumes from). */
  get lastSeq(): number | null {
    return this.lastSeqSeen;
  }

  onEvents(listener: EventsListener): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onState(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    // Connect on the next task: a start/stop/start in the same task (React StrictMode's effect
    // check) then never closes a socket that is still connecting.
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, 0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s && s.readyState <= 1) s.close(1000, 'client stopped');
    this.setState('closed');
  }

  /** Sends a request (`subscribe`, `unsubscribe`, `ping`); false when not connected. */
  send(request: Record<string, unknown>): boolean {
    if (!this.socket || this.socket.readyState !== 1) return false;
    this.socket.send(JSON.stringify(request));
    return true;
  }

  private url(): string {
    const base =
      this.opts.url ?? `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/ws`;
    const params = new URLSearchParams({ topics: this.opts.topics.join(',') });
    if (this.lastSeqSeen !== null) params.set('since', String(this.lastSeqSeen));
    return `${base}${base.includes('?') ? '&' : '?'}${params}`;
  }

  private connect(): void {
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const Impl = this.opts.WebSocketImpl ?? WebSocket;
    let socket: WebSocket;
    try {
      socket = new Impl(this.url());
    } catch (e) {
      this.lastCloseReason = (e as Error).message;
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onmessage = (m) => {
      if (this.socket !== socket || typeof m.data !== 'string') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(m.data);
      } catch {
        return;
      }
      const envs = (Array.isArray(parsed) ? parsed : [parsed]) as Envelope[];
      for (const e of envs) {
        if (e.type === 'hello') {
          // A restarted daemon numbers its events anew: a `since` from the old one means nothing,
          // so start over with a snapshot.
          const instance = (e.data as { instance?: string } | null)?.instance ?? null;
          if (instance && this.instance && instance !== this.instance && this.lastSeqSeen !== null) {
            this.instance = instance;
            this.lastSeqSeen = null;
            this.socket = null;
            socket.close(1000, 'daemon restarted');
            this.connect();
            return;
          }
          this.instance = instance ?? this.instance;
          this.attempt = 0;
          this.setState('open');
        }
        if (e.type === 'snapshot' || isEvent(e)) this.lastSeqSeen = Math.max(this.lastSeqSeen ?? 0, e.seq);
        if (e.type === 'snapshot' && (e.data as SnapshotData).resync) this.lastSeqSeen = e.seq;
      }
      for (const l of this.eventListeners) l(envs);
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.lastCloseReason = ev.reason || `closed (${ev.code})`;
      // 1008: the server refused what this client asked (a bad topic or since); asking again
      // would be refused again.
      if (ev.code === CLOSE_POLICY) {
        this.stopped = true;
        this.setState('closed');
      } else if (!this.stopped) this.scheduleReconnect();
    };
    socket.onerror = () => {
      /* onclose follows and reconnects */
    };
  }

  private scheduleReconnect(): void {
    this.setState('reconnecting');
    const min = this.opts.minBackoffMs ?? 500;
    const max = this.opts.maxBackoffMs ?? 10_000;
    const delay = Math.min(max, min * 2 ** Math.min(this.attempt, 10));
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private setState(s: ConnectionState): void {
    if (s === this.connState) return;
    this.connState = s;
    for (const l of this.stateListeners) l(s);
  }
}

const CONTROL = new Set(['hello', 'snapshot', 'ack', 'lagged']);
const CLOSE_POLICY = 1008;

/** Events carry their own seq; control messages (and error replies, which have data.id) do not. */
export function isEvent(e: Envelope): boolean {
  if (CONTROL.has(e.type)) return false;
  if (e.type === 'error') return !(e.data && typeof e.data === 'object' && 'id' in (e.data as object));
  return true;
}
