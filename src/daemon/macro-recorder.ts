/**
 * Macro recording: while on, the keys the daemon processes (what was pressed, and what the engine
 * wrote for it) are kept in memory, and can be turned into a `macro(…)` mapping's steps.
 *
 * Recording sees everything typed — passwords too — so it is bounded and never written anywhere:
 * at most MAX_EVENTS events and MAX_DURATION_MS long (then it stops by itself), only in memory,
 * gone with `clear`, a new start or a restart, and never part of the diagnostics report.
 */
import type { MacroStep } from '../core/index.ts';

export const MAX_RECORDED_EVENTS = 5000;
export const MAX_RECORDING_MS = 10 * 60 * 1000;

export interface RecordedKey {
  /** ms since the recording started */
  atMs: number;
  device: string;
  key: string;
  action: 'press' | 'release';
  /** what the engine wrote for it, ms since the recording started */
  outputs: { atMs: number; key: string; action: 'press' | 'release' }[];
}

export interface RecordingState {
  recording: boolean;
  startedAt: string | null;
  stoppedAt: string | null;
  /** why it stopped by itself ('limit', 'time'), or null */
  stoppedBy: 'request' | 'limit' | 'time' | null;
  count: number;
  events: RecordedKey[];
}

/** One key event as the daemon publishes it (the hub's `key` events). */
export interface KeyRecordLike {
  wallUs: number;
  device: string;
  key: string;
  action: string;
  outputs: { key: string; action: string; timeUs: number }[];
}

export class MacroRecorder {
  /** the recording; its count is the number of events (snapshot) */
  private state: Omit<RecordingState, 'count'> = {
    recording: false,
    startedAt: null,
    stoppedAt: null,
    stoppedBy: null,
    events: [],
  };
  private startUs = 0;

  constructor(private readonly onAutoStop: (by: 'limit' | 'time') => void = () => undefined) {}

  start(nowWallUs: number): RecordingState {
    this.state = {
      recording: true,
      startedAt: new Date(nowWallUs / 1000).toISOString(),
      stoppedAt: null,
      stoppedBy: null,
      events: [],
    };
    this.startUs = nowWallUs;
    return this.snapshot();
  }

  stop(nowWallUs: number, by: RecordingState['stoppedBy'] = 'request'): RecordingState {
    if (this.state.recording) {
      this.state.recording = false;
      this.state.stoppedAt = new Date(nowWallUs / 1000).toISOString();
      this.state.stoppedBy = by;
    }
    return this.snapshot();
  }

  clear(): void {
    const recording = this.state.recording;
    this.state = {
      recording,
      startedAt: recording ? this.state.startedAt : null,
      stoppedAt: null,
      stoppedBy: null,
      events: [],
    };
  }

  get recording(): boolean {
    return this.state.recording;
  }

  /** A processed key (the hub's `key` event): kept while recording; repeats and timers are not. */
  record(e: KeyRecordLike): void {
    if (!this.state.recording) return;
    if (e.wallUs - this.startUs > MAX_RECORDING_MS * 1000) {
      this.stop(this.startUs + MAX_RECORDING_MS * 1000, 'time');
      this.onAutoStop('time');
      return;
    }
    const keep = (a: string): a is 'press' | 'release' => a === 'press' || a === 'release';
    const atMs = Math.max(0, Math.round((e.wallUs - this.startUs) / 1000));
    // output times are on the same wall clock as the key events (input-thread.ts)
    const outputs = e.outputs
      .filter((o) => keep(o.action))
      .map((o) => ({
        atMs: Math.max(0, Math.round((o.timeUs - this.startUs) / 1000)),
        key: o.key,
        action: o.action as 'press' | 'release',
      }));
    if (!keep(e.action)) {
      // a timer's decision (a tap-hold held past its threshold): only its outputs count
      if (outputs.length === 0) return;
      const last = this.state.events.at(-1);
      if (last) last.outputs.push(...outputs);
      return;
    }
    this.state.events.push({ atMs, device: e.device, key: e.key, action: e.action, outputs });
    if (this.state.events.length >= MAX_RECORDED_EVENTS) {
      this.stop(e.wallUs, 'limit');
      this.onAutoStop('limit');
    }
  }

  snapshot(): RecordingState {
    return {
      ...this.state,
      count: this.state.events.length,
      events: this.state.events.map((e) => ({ ...e, outputs: [...e.outputs] })),
    };
  }
}

export interface MacroOptions {
  /** 'output' (default): what the engine wrote; 'input': the keys pressed */
  source?: 'output' | 'input';
  /** pauses shorter than this are left out (default 10 ms); 0 keeps every pause */
  minWaitMs?: number;
}

/**
 * The recording as macro steps (keys by their names, as a compiled `macro(…)` has them): presses and releases in order, a press released right away as
 * `tap`, pauses as `wait`. Releases of keys pressed before the recording began are dropped, and
 * keys still down at its end are released: a recorded macro never leaves a key down.
 */
export function macroSteps(events: readonly RecordedKey[], opts: MacroOptions = {}): MacroStep[] {
  const minWait = opts.minWaitMs ?? 10;
  const flat =
    opts.source === 'input'
      ? events.map((e) => ({ atMs: e.atMs, key: e.key, action: e.action }))
      : events.flatMap((e) => e.outputs);
  const ordered = flat.map((e, i) => ({ ...e, i })).sort((a, b) => a.atMs - b.atMs || a.i - b.i);
  const down = new Set<string>();
  const raw: { atMs: number; key: string; action: 'press' | 'release' }[] = [];
  for (const e of ordered) {
    if (e.action === 'press') {
      if (down.has(e.key)) continue;
      down.add(e.key);
    } else if (!down.delete(e.key)) continue;
    raw.push(e);
  }
  const endMs = raw.length > 0 ? raw[raw.length - 1].atMs : 0;
  for (const key of [...down].reverse()) raw.push({ atMs: endMs, key, action: 'release' });
  const steps: MacroStep[] = [];
  let lastMs = raw.length > 0 ? raw[0].atMs : 0;
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i];
    const gap = e.atMs - lastMs;
    if (gap > 0 && gap >= minWait) steps.push({ op: 'wait', ms: gap });
    lastMs = e.atMs;
    const next = raw[i + 1];
    const name = e.key;
    const quick = next && next.key === e.key && next.action === 'release' ? next.atMs - e.atMs : Infinity;
    if (e.action === 'press' && (quick === 0 || quick < minWait)) {
      steps.push({ op: 'tap', key: name });
      lastMs = next.atMs;
      i++;
      continue;
    }
    steps.push({ op: e.action, key: name });
  }
  return steps;
}

/** Steps in `keyrx config set-macro`'s form: `tap:VK_H wait:20 press:VK_LShift …`. */
export function stepsText(steps: readonly MacroStep[]): string {
  return steps
    .map((s) =>
      s.op === 'wait' ? `wait:${s.ms}` : s.op === 'text' ? `text:${s.text}` : `${s.op}:VK_${s.key}`,
    )
    .join(' ');
}
