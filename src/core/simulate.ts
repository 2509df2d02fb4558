/**
 * Runs a script through the real engine in virtual time: what `keyrx simulate`,
 * `POST /api/simulate` and the browser simulator show.
 */
import type { Config } from './config.ts';
import { layerName } from './config.ts';
import type { Decision, EngineState, MappingKind, OutputEvent, TraceEntry } from './engine.ts';
import { DEFAULT_DEVICE, Engine } from './engine.ts';
import { keyName } from './keys.ts';
import type { ScriptStep } from './script.ts';
import { formatEvents, formatKeyEvent, parseScript } from './script.ts';

export interface TimelineEntry {
  /** ms since the start of the script */
  timeMs: number;
  /** the input token (`d:A`), or `timeout` for a deadline decision */
  input: string;
  device: string;
  mapping: MappingKind;
  decision: Decision;
  outputs: string[];
  /** decisions this input caused for other keys, e.g. `CapsLock: hold` (permissive hold) */
  also: string[];
  modifiers: string[];
  locks: string[];
}

export interface SimulationResult {
  outputs: OutputEvent[];
  /** outputs as a script: `d:B u:B` */
  output: string;
  timeline: TimelineEntry[];
  final: EngineState;
  /** script length in ms */
  durationMs: number;
}

/** `CapsLock: hold`: a decision the input made for some key, as `also` lists it. */
export function decisionText(t: TraceEntry): string {
  return `${keyName(t.key)}: ${t.decision}`;
}

/**
 * The decision a process() call made about its own input — the last one, when the input was first
 * held back (`queued`) — and the decisions it made for other keys.
 */
export function splitTrace(trace: readonly TraceEntry[]): {
  main: TraceEntry | undefined;
  others: TraceEntry[];
} {
  let main = trace[trace.length - 1];
  for (const t of trace) if (t.own) main = t;
  return { main, others: trace.filter((t) => t !== main && !(t.own && t.decision === 'queued')) };
}

/**
 * Timeline rows for the decisions in a tick()'s trace: one per deadline decision, the keys it
 * replayed listed in its `also`, the tick's outputs on the first row.
 */
export function deadlineRows(
  trace: readonly TraceEntry[],
  outputs: readonly OutputEvent[],
  layers: { modifiers: string[]; locks: string[] },
): TimelineEntry[] {
  const rows: TimelineEntry[] = [];
  for (const t of trace) {
    const row = rows[rows.length - 1];
    if (t.action !== 'timeout' && row !== undefined) row.also.push(decisionText(t));
    else
      rows.push({
        // a key replayed by a deadline (a combo's window ended) has its own earlier time: the row
        // is when the deadline decided, which is when its output came
        timeMs:
          (t.action === 'timeout' ? t.timeUs : Math.max(t.timeUs, outputs[0]?.timeUs ?? t.timeUs)) / 1000,
        input: 'timeout',
        device: t.device,
        mapping: t.mapping,
        decision: t.decision,
        outputs: rows.length === 0 ? outputs.map(formatKeyEvent) : [],
        also: [decisionText(t)],
        ...layers,
      });
  }
  return rows;
}

export interface SimulateOptions {
  device?: string;
  /** after the script, advance past every pending deadline (default false: stop at the last token) */
  settle?: boolean;
}

export function simulate(
  config: Config,
  script: string | ScriptStep[],
  opts: SimulateOptions = {},
): SimulationResult {
  const steps = typeof script === 'string' ? parseScript(script) : script;
  const engine = new Engine(config, { trace: true });
  const outputs: OutputEvent[] = [];
  const timeline: TimelineEntry[] = [];
  let device = opts.device ?? DEFAULT_DEVICE;
  let now = 0;

  const layers = (): { modifiers: string[]; locks: string[] } => {
    const s = engine.state();
    return {
      modifiers: s.modifiers.map((id) => layerName('MD', id)),
      locks: s.locks.map((id) => layerName('LK', id)),
    };
  };
  const advanceTo = (target: number): void => {
    const out = engine.tick(target);
    outputs.push(...out);
    timeline.push(...deadlineRows(engine.trace, out, layers()));
    now = target;
  };

  for (const step of steps) {
    if (step.type === 'wait') advanceTo(now + Math.round(step.ms * 1000));
    else if (step.type === 'device') device = step.name;
    else if (step.type === 'context') engine.setContext(step);
    else {
      const out = engine.process({ key: step.key, action: step.action, timeUs: now, device });
      outputs.push(...out);
      const { main, others } = splitTrace(engine.trace);
      timeline.push({
        timeMs: now / 1000,
        input: formatKeyEvent(step),
        device,
        mapping: main?.mapping ?? 'passthrough',
        decision: main?.decision ?? 'passthrough',
        outputs: out.map(formatKeyEvent),
        also: others.map(decisionText),
        ...layers(),
      });
    }
  }
  if (opts.settle) {
    const deadline = engine.nextDeadline();
    if (deadline !== null) advanceTo(Math.max(now, deadline));
  }
  return { outputs, output: formatEvents(outputs), timeline, final: engine.state(), durationMs: now / 1000 };
}
