/**
 * The live simulator: the real Engine fed with key presses as they happen, in real time.
 * Timestamps are µs since the session's first input (or its last reset), and after every
 * input a timer is set for the engine's next deadline, so a tap-hold held past its threshold
 * turns into `hold` by itself, exactly as in the daemon.
 */
import type {
  Config,
  EngineState,
  KeyAction,
  OutputEvent,
  TimelineEntry,
  TraceEntry,
} from '../../../src/core/index.ts';
import {
  DEFAULT_DEVICE,
  deadlineRows,
  decisionText,
  Engine,
  formatKeyEvent,
  keyName,
  splitTrace,
  layerName,
  resolveKey,
} from '../../../src/core/index.ts';
import { TypedText } from './typed-text.ts';

/** Time source and timers; tests and the page use the real ones. */
export interface Clock {
  /** milliseconds, monotonic */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => window.setTimeout(callback, ms),
  clearTimeout: (handle) => window.clearTimeout(handle as number),
};

export interface LiveEntry extends TimelineEntry {
  /** unique within the session, for React keys */
  id: number;
}

export interface LiveSnapshot {
  /** newest first, at most MAX_ENTRIES */
  entries: readonly LiveEntry[];
  modifiers: readonly string[];
  locks: readonly string[];
  /** MD_ and LK_ names together, for the keyboard view */
  activeLayers: readonly string[];
  /** physical keys held (names) */
  held: ReadonlySet<string>;
  /** output keys down (names) */
  outputDown: readonly string[];
  /** tap-hold keys waiting for their threshold or release */
  pending: readonly string[];
  /** input events held back until an open decision (tap-hold, combo, macro) is made */
  queued: number;
  capsWord: boolean;
  /** one-shot modifiers and layers armed for the next key: `LShift`, `MD_01` */
  oneShots: readonly string[];
  /** the output as text a US layout would type */
  text: string;
  /** every output event as a script: `d:Escape u:Escape` */
  outputScript: string;
}

const MAX_ENTRIES = 500;
const MAX_OUTPUT_EVENTS = 2000;

export class LiveSession {
  private readonly engine: Engine;
  private readonly clock: Clock;
  private readonly device: string;
  /** clock time of the first input since the start or the last reset: time 0 of the timeline */
  private origin: number | null = null;
  private lastUs = 0;
  private timer: unknown = null;
  private nextId = 1;
  private entries: LiveEntry[] = [];
  private outputs: OutputEvent[] = [];
  private readonly typed = new TypedText();
  private snapshot: LiveSnapshot;
  private readonly listeners = new Set<() => void>();

  constructor(config: Config, options: { device?: string; clock?: Clock } = {}) {
    this.engine = new Engine(config, { trace: true });
    this.clock = options.clock ?? realClock;
    this.device = options.device ?? DEFAULT_DEVICE;
    this.snapshot = this.buildSnapshot();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): LiveSnapshot => this.snapshot;

  /** Feeds one physical key event; unknown key names are ignored (the caller maps them). */
  input(key: string, action: KeyAction): void {
    let code: number;
    try {
      code = resolveKey(key);
    } catch {
      return;
    }
    const timeUs = this.nowUs();
    const out = this.engine.process({ key: code, action, timeUs, device: this.device });
    const { main, others } = splitTrace(this.engine.trace);
    // Deadlines that were due before this input (a late timer) come first, as their own rows.
    for (const t of others) if (t.action === 'timeout') this.pushTimeout(t);
    this.push({
      timeMs: timeUs / 1000,
      input: formatKeyEvent({ key: code, action }),
      device: this.device,
      mapping: main?.mapping ?? 'passthrough',
      decision: main?.decision ?? 'passthrough',
      outputs: out.map(formatKeyEvent),
      also: others.filter((t) => t.action !== 'timeout').map(decisionText),
      ...this.layers(),
    });
    this.record(out);
    this.schedule();
    this.publish();
  }

  /** The focused application and window title the `APP:` / `TITLE:` conditions see. */
  setContext(context: { app?: string; title?: string }): void {
    this.engine.setContext(context);
    this.publish();
  }

  /** Runs due deadlines now (the timer does this; exposed for hosts that poll). */
  tick(): void {
    this.timer = null;
    const deadline = this.engine.nextDeadline();
    // A timer may fire a hair before the deadline by the clock: it was set for the deadline.
    const nowUs = Math.max(this.nowUs(), deadline ?? 0);
    this.lastUs = nowUs;
    const out = this.engine.tick(nowUs);
    this.record(out);
    for (const row of deadlineRows(this.engine.trace, out, this.layers())) this.push(row);
    this.schedule();
    this.publish();
  }

  /** Releases every output, forgets held keys and the timeline, and restarts the clock (locks stay). */
  reset(): void {
    this.typed.feed(this.engine.releaseAll(this.nowUs()));
    this.cancelTimer();
    this.entries = [];
    this.outputs = [];
    this.typed.clear();
    this.origin = null;
    this.lastUs = 0;
    this.publish();
  }

  /** Releases everything and stops the timer; the session stays usable. */
  dispose(): void {
    this.record(this.engine.releaseAll(this.nowUs()));
    this.cancelTimer();
    this.publish();
  }

  private nowUs(): number {
    const now = this.clock.now();
    this.origin ??= now;
    // Never go back in time, even if the clock is coarse.
    this.lastUs = Math.max(this.lastUs, Math.round((now - this.origin) * 1000));
    return this.lastUs;
  }

  private schedule(): void {
    this.cancelTimer();
    const deadline = this.engine.nextDeadline();
    if (deadline === null) return;
    const delayMs = Math.max(0, (deadline - this.nowUs()) / 1000);
    this.timer = this.clock.setTimeout(() => this.tick(), delayMs);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private layers(): { modifiers: string[]; locks: string[] } {
    const s = this.engine.state();
    return {
      modifiers: s.modifiers.map((id) => layerName('MD', id)),
      locks: s.locks.map((id) => layerName('LK', id)),
    };
  }

  /** A deadline decision that was due before an input: its own row, without outputs. */
  private pushTimeout(t: TraceEntry): void {
    for (const row of deadlineRows([t], [], this.layers())) this.push(row);
  }

  private push(entry: TimelineEntry): LiveEntry {
    const live = { ...entry, id: this.nextId++ };
    this.entries.unshift(live);
    if (this.entries.length > MAX_ENTRIES) this.entries.length = MAX_ENTRIES;
    return live;
  }

  private record(out: OutputEvent[]): void {
    if (out.length === 0) return;
    this.outputs.push(...out);
    if (this.outputs.length > MAX_OUTPUT_EVENTS)
      this.outputs.splice(0, this.outputs.length - MAX_OUTPUT_EVENTS);
    this.typed.feed(out);
  }

  private publish(): void {
    this.snapshot = this.buildSnapshot();
    for (const l of this.listeners) l();
  }

  private buildSnapshot(): LiveSnapshot {
    const s: EngineState = this.engine.state();
    const modifiers = s.modifiers.map((id) => layerName('MD', id));
    const locks = s.locks.map((id) => layerName('LK', id));
    // the focused app / title, when set, for `APP:` / `TITLE:` layers of the keyboard view
    const context = [s.app && `APP:${s.app}`, s.title && `TITLE:${s.title}`].filter((x): x is string =>
      Boolean(x),
    );
    return {
      entries: [...this.entries],
      modifiers,
      locks,
      activeLayers: [...modifiers, ...locks, ...context],
      held: new Set(s.held.map((h) => keyName(h.key))),
      outputDown: s.outputDown.map(keyName),
      pending: s.pending.map((p) => keyName(p.key)),
      queued: s.queued ?? 0,
      capsWord: s.capsWord ?? false,
      oneShots: s.oneShots ?? [],
      text: this.typed.text,
      outputScript: this.outputs.map(formatKeyEvent).join(' '),
    };
  }
}
