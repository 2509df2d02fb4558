/**
 * The peer benchmark's serial log → runs → the summary (pure: no I/O; bench/peer/run.ts reads the
 * log and writes the reports).
 *
 * Input: what bench/peer/init and bench/peer/kbench.c print on the VM's console (their headers
 * list the KB-* lines). `parseSerialLog` keeps every run with its phases (raw samples included),
 * its start-up line and the remapper's own log; `summarize` pools the samples of the runs of the
 * same remapper (percentiles from the samples, nearest rank, as kbench computes them) and derives
 * the ratios keyrx/keyd and the goals. Nothing here averages percentiles.
 */

import { median } from '../suite/figures.ts';

export type Who = 'floor' | 'keyd' | 'keyrx' | 'keyrxfifo' | 'keyrxstages' | 'nodefloor' | 'keyrxbase';
export type PhaseName = 'floor' | 'remap' | 'taphold';
export const WHO: readonly Who[] = [
  'floor',
  'keyd',
  'keyrx',
  'keyrxfifo',
  'keyrxstages',
  'nodefloor',
  'keyrxbase',
];

export interface PhaseData {
  /** write() → read() of the expected output event, µs, in the order measured */
  raw: number[];
  /** write() → the output event's kernel timestamp, µs */
  rawKernel: number[];
  events: number;
  lost: number;
  unexpected: number;
  /** output events stamped before the write they would answer: late answers to earlier writes, skipped */
  stale: number;
}

export interface Startup {
  /** kbench's start → the remapper's output device listed in sysfs (s) */
  outputS: number;
  /** kbench's start → the first A that came out as B (s) */
  liveS: number;
  probes: number;
  /** A events (press, release) that came out of the remapper's output unmapped before it was live */
  unmapped: number;
  unmappedPresses: number;
  /** A events the fake keyboard's own node delivered while probing: not grabbed yet */
  ungrabbed: number;
  grabbed: boolean;
  /**
   * kbench's start → the remapper idle (≤ 10 ms of CPU in 0.5 s; KB-SETTLE): it may go on
   * loading after its key path is live, and the latency phases wait for this. null: not reported
   */
  idleS: number | null;
  /** the remapper's CPU time (every thread) at that moment (s) */
  cpuS: number | null;
  /** false: still busy when kbench stopped waiting (180 s) */
  settled: boolean | null;
}

export interface DaemonLogLine {
  /** seconds after kbench forked the remapper (the line's `time` against KB-SPAWN), when known */
  atS: number | null;
  msg: string;
  text: string;
}

export interface RunRecord {
  index: number;
  who: Who;
  label: string;
  /** init's `timeout … kbench` exit status; null when the run never ended (the VM stopped) */
  exit: number | null;
  secs: number | null;
  phases: Partial<Record<PhaseName, PhaseData>>;
  startup: Startup | null;
  spawnRealtimeMs: number | null;
  stop: { secs: number; status: string } | null;
  longHolds: number | null;
  daemonLog: DaemonLogLine[];
  errors: string[];
}

export interface ParsedLog {
  kernel: string | null;
  vmCpus: number | null;
  bootS: number | null;
  doneUptimeS: number | null;
  settings: string | null;
  node: { emptyS: number; cliVersionS: number } | null;
  runs: RunRecord[];
  /** KB-ERROR lines and other signs of trouble */
  errors: string[];
}

const num = (s: string): number => Number(s);

function splitLabel(label: string): { who: Who; index: number } | null {
  const m = new RegExp(`^(${WHO.join('|')})-(\\d+)$`).exec(label);
  return m ? { who: m[1] as Who, index: Number(m[2]) } : null;
}

export function parseSerialLog(text: string): ParsedLog {
  const out: ParsedLog = {
    kernel: null,
    vmCpus: null,
    bootS: null,
    doneUptimeS: null,
    settings: null,
    node: null,
    runs: [],
    errors: [],
  };
  const runs = new Map<string, RunRecord>();
  const run = (label: string): RunRecord | null => {
    const id = splitLabel(label);
    if (!id) return null;
    let r = runs.get(label);
    if (!r) {
      r = {
        index: id.index,
        who: id.who,
        label,
        exit: null,
        secs: null,
        phases: {},
        startup: null,
        spawnRealtimeMs: null,
        stop: null,
        longHolds: null,
        daemonLog: [],
        errors: [],
      };
      runs.set(label, r);
    }
    return r;
  };
  const phase = (r: RunRecord, name: string): PhaseData | null => {
    if (name !== 'floor' && name !== 'remap' && name !== 'taphold') return null;
    return (r.phases[name] ??= { raw: [], rawKernel: [], events: 0, lost: 0, unexpected: 0, stale: 0 });
  };

  // The console may wrap nothing but can carry \r and escape sequences.
  const lines = text
    .replace(/\r/g, '')
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;?]*[a-zA-Z]|\x1bc/g, '')
    .split('\n');
  for (const line of lines) {
    let m: RegExpExecArray | null;
    if ((m = /^KB-(RAWK?) (\S+)\/(\S+)((?: -?\d+)*)\s*$/.exec(line))) {
      const r = run(m[2]);
      const p = r && phase(r, m[3]);
      if (p)
        (m[1] === 'RAW' ? p.raw : p.rawKernel).push(...m[4].trim().split(/\s+/).filter(Boolean).map(num));
    } else if (
      (m =
        /^KB-STATS (\S+)\/(\S+) events=(\d+) measured=(\d+) lost=(\d+) unexpected=(\d+)(?: stale=(\d+))?/.exec(
          line,
        ))
    ) {
      const r = run(m[1]);
      const p = r && phase(r, m[2]);
      if (p) {
        p.events = num(m[3]);
        p.lost = num(m[5]);
        p.unexpected = num(m[6]);
        p.stale = m[7] === undefined ? 0 : num(m[7]);
      }
    } else if (
      (m =
        /^KB-STARTUP (\S+) output_s=([\d.]+) live_s=([\d.]+) probes=(\d+) unmapped=(\d+) unmapped_presses=(\d+) ungrabbed=(\d+) grabbed=(\d)/.exec(
          line,
        ))
    ) {
      const r = run(m[1]);
      if (r)
        r.startup = {
          outputS: num(m[2]),
          liveS: num(m[3]),
          probes: num(m[4]),
          unmapped: num(m[5]),
          unmappedPresses: num(m[6]),
          ungrabbed: num(m[7]),
          grabbed: m[8] === '1',
          idleS: null,
          cpuS: null,
          settled: null,
        };
    } else if ((m = /^KB-SETTLE (\S+) idle_s=([\d.]+) cpu_s=(-?[\d.]+) settled=(\d)/.exec(line))) {
      const r = run(m[1]);
      if (r?.startup) {
        r.startup.idleS = num(m[2]);
        r.startup.cpuS = num(m[3]) < 0 ? null : num(m[3]);
        r.startup.settled = m[4] === '1';
      }
    } else if ((m = /^KB-SPAWN (\S+) realtime_ms=(\d+)/.exec(line))) {
      const r = run(m[1]);
      if (r) r.spawnRealtimeMs = num(m[2]);
    } else if ((m = /^KB-STOP (\S+) stop_s=([\d.]+) status=(\S+)/.exec(line))) {
      const r = run(m[1]);
      if (r) r.stop = { secs: num(m[2]), status: m[3] };
    } else if ((m = /^KB-RUN (\d+) (\S+) exit=(\d+) secs=([\d.]+)/.exec(line))) {
      const r = run(`${m[2]}-${m[1]}`);
      if (r) {
        r.exit = num(m[3]);
        r.secs = num(m[4]);
      } else out.errors.push(line);
    } else if ((m = /^KB-DLOG (\S+) (.*)$/.exec(line))) {
      const r = run(m[1]);
      if (r) r.daemonLog.push(daemonLine(m[2], r.spawnRealtimeMs));
    } else if (
      (m =
        /^KB-INFO (\S+): taphold taps held over 150 ms \(bench sleep overshoot(?:, not counted)?\): (\d+)/.exec(
          line,
        ))
    ) {
      const r = run(m[1]);
      if (r) r.longHolds = num(m[2]);
    } else if ((m = /^KB-ERROR (\S+?):? (.*)$/.exec(line))) {
      const r = run(m[1]);
      if (r) r.errors.push(m[2]);
      out.errors.push(line);
    } else if ((m = /^KB-INFO init uptime=([\d.]+)s kernel=(\S+) cpus=(\d+)/.exec(line))) {
      out.bootS = num(m[1]);
      out.kernel = m[2];
      out.vmCpus = num(m[3]);
    } else if ((m = /^KB-INFO (taps=.*)$/.exec(line))) {
      out.settings = m[1];
    } else if ((m = /^KB-NODE empty_s=([\d.]+) cli_version_s=([\d.]+)/.exec(line))) {
      out.node = { emptyS: num(m[1]), cliVersionS: num(m[2]) };
    } else if ((m = /^KB-DONE uptime=([\d.]+)s/.exec(line))) {
      out.doneUptimeS = num(m[1]);
    } else if (/Kernel panic|kbench .*SIGKILL/.test(line)) {
      out.errors.push(line.trim());
    }
  }
  out.runs = [...runs.values()].sort((a, b) => a.index - b.index);
  return out;
}

function daemonLine(text: string, spawnMs: number | null): DaemonLogLine {
  try {
    const o = JSON.parse(text) as { time?: unknown; msg?: unknown };
    const msg = typeof o.msg === 'string' ? o.msg : text;
    const atS = typeof o.time === 'number' && spawnMs !== null ? (o.time - spawnMs) / 1000 : null;
    return { atS, msg, text };
  } catch {
    return { atS: null, msg: text, text };
  }
}

// ---------------------------------------------------------------- statistics

export interface Pct {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** nearest rank, as kbench.c's pct() */
export function percentiles(samples: readonly number[]): Pct {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number): number =>
    s.length === 0 ? NaN : s[Math.max(0, Math.min(s.length - 1, Math.ceil(p * s.length) - 1))];
  return { n: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s.length ? s[s.length - 1] : NaN };
}

export interface PhaseStats {
  read: Pct;
  kernel: Pct;
  events: number;
  lost: number;
  unexpected: number;
  stale: number;
}

function phaseStats(parts: PhaseData[]): PhaseStats {
  return {
    read: percentiles(parts.flatMap((p) => p.raw)),
    kernel: percentiles(parts.flatMap((p) => p.rawKernel)),
    events: parts.reduce((a, p) => a + p.events, 0),
    lost: parts.reduce((a, p) => a + p.lost, 0),
    unexpected: parts.reduce((a, p) => a + p.unexpected, 0),
    stale: parts.reduce((a, p) => a + p.stale, 0),
  };
}

export interface Ratio {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface Goal {
  text: string;
  value: string;
  met: boolean;
}

export interface Summary {
  /** "keyrx/remap" → the pooled statistics of every keyrx run's remap phase */
  pooled: Record<string, PhaseStats>;
  perRun: { label: string; who: Who; phase: PhaseName; stats: PhaseStats }[];
  /** keyrx (keyrxfifo, nodefloor, keyrxbase) ÷ keyd, pooled, read latency */
  ratios: { who: Who; phase: 'remap' | 'taphold'; read: Ratio; kernel: Ratio }[];
  /** (x p − floor p) ÷ (keyd p − floor p): the part each remapper adds to the kernel's own path */
  aboveFloor: {
    who: Who;
    phase: 'remap' | 'taphold';
    p50: { keyd: number; them: number; ratio: number };
    p99: { keyd: number; them: number; ratio: number };
  }[];
  /** keyrx ÷ the node floor (a bare node + koffi loop, no keyrx code), pooled: what keyrx's own code adds */
  overNodeFloor: { phase: 'remap' | 'taphold'; p50: number; p99: number }[];
  /** keyrx ÷ keyrx at the baseline commit (--baseline), pooled: what the change since then did */
  overBaseline: { phase: 'remap' | 'taphold'; p50: number; p99: number }[];
  /** keyd run i → the keyrx run right after it (drift control) */
  pairs: { keyd: string; keyrx: string; phase: 'remap' | 'taphold'; p50: number; p99: number }[];
  startup: {
    runs: ({ label: string; who: Who } & Startup)[];
    /** idleS: NaN when no run of that remapper reported it */
    median: Partial<Record<Who, { outputS: number; liveS: number; idleS: number }>>;
    /** keyrx live ÷ keyd live (medians) */
    liveRatio: number;
    outputRatio: number;
    unmapped: Partial<Record<Who, number>>;
    ungrabbed: Partial<Record<Who, number>>;
  };
  goals: Goal[];
}

const ratioOf = (a: Pct, b: Pct): Ratio => ({
  p50: a.p50 / b.p50,
  p90: a.p90 / b.p90,
  p99: a.p99 / b.p99,
  max: a.max / b.max,
});

export const GOALS = { p50: 1.5, p99: 2, startup: 2 } as const;

export function summarize(parsed: ParsedLog): Summary {
  const perRun: Summary['perRun'] = [];
  const groups = new Map<string, PhaseData[]>();
  for (const r of parsed.runs)
    for (const name of ['floor', 'remap', 'taphold'] as const) {
      const p = r.phases[name];
      if (!p || p.raw.length + p.events === 0) continue;
      perRun.push({ label: r.label, who: r.who, phase: name, stats: phaseStats([p]) });
      const key = `${r.who}/${name}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
  const pooled: Record<string, PhaseStats> = {};
  for (const who of WHO)
    for (const name of ['floor', 'remap', 'taphold'] as const) {
      const g = groups.get(`${who}/${name}`);
      if (g) pooled[`${who}/${name}`] = phaseStats(g);
    }

  const ratios: Summary['ratios'] = [];
  const aboveFloor: Summary['aboveFloor'] = [];
  const floor = pooled['floor/floor'];
  for (const who of ['keyrx', 'keyrxfifo', 'nodefloor', 'keyrxbase'] as const)
    for (const phase of ['remap', 'taphold'] as const) {
      const a = pooled[`${who}/${phase}`];
      const b = pooled[`keyd/${phase}`];
      if (!a || !b) continue;
      ratios.push({ who, phase, read: ratioOf(a.read, b.read), kernel: ratioOf(a.kernel, b.kernel) });
      if (floor) {
        const above = (p: 'p50' | 'p99') => {
          const keyd = b.read[p] - floor.read[p];
          const them = a.read[p] - floor.read[p];
          // keyd within the floor's noise (≤ 0 above it): no meaningful ratio
          return { keyd, them, ratio: keyd > 0 ? them / keyd : NaN };
        };
        aboveFloor.push({ who, phase, p50: above('p50'), p99: above('p99') });
      }
    }

  const keyrxOver = (other: Who): Summary['overNodeFloor'] =>
    (['remap', 'taphold'] as const).flatMap((phase) => {
      const a = pooled[`keyrx/${phase}`];
      const b = pooled[`${other}/${phase}`];
      return a && b ? [{ phase, p50: a.read.p50 / b.read.p50, p99: a.read.p99 / b.read.p99 }] : [];
    });
  const overNodeFloor = keyrxOver('nodefloor');
  const overBaseline = keyrxOver('keyrxbase');

  const pairs: Summary['pairs'] = [];
  for (let i = 0; i + 1 < parsed.runs.length; i++) {
    const k = parsed.runs[i];
    const x = parsed.runs[i + 1];
    if (k.who !== 'keyd' || x.who !== 'keyrx') continue;
    for (const phase of ['remap', 'taphold'] as const) {
      const a = x.phases[phase];
      const b = k.phases[phase];
      if (!a?.raw.length || !b?.raw.length) continue;
      const pa = percentiles(a.raw);
      const pb = percentiles(b.raw);
      pairs.push({ keyd: k.label, keyrx: x.label, phase, p50: pa.p50 / pb.p50, p99: pa.p99 / pb.p99 });
    }
  }

  const startRuns = parsed.runs.flatMap((r) =>
    r.startup ? [{ label: r.label, who: r.who, ...r.startup }] : [],
  );
  const med: Summary['startup']['median'] = {};
  const unmapped: Summary['startup']['unmapped'] = {};
  const ungrabbed: Summary['startup']['ungrabbed'] = {};
  for (const who of WHO) {
    const rs = startRuns.filter((r) => r.who === who);
    if (rs.length === 0) continue;
    const idle = rs.flatMap((r) => (r.idleS === null ? [] : [r.idleS]));
    med[who] = {
      outputS: median(rs.map((r) => r.outputS)),
      liveS: median(rs.map((r) => r.liveS)),
      idleS: median(idle), // NaN when none reported it
    };
    unmapped[who] = rs.reduce((a, r) => a + r.unmapped, 0);
    ungrabbed[who] = rs.reduce((a, r) => a + r.ungrabbed, 0);
  }
  const liveRatio = (med.keyrx?.liveS ?? NaN) / (med.keyd?.liveS ?? NaN);
  const outputRatio = (med.keyrx?.outputS ?? NaN) / (med.keyd?.outputS ?? NaN);

  const goals: Goal[] = [];
  const fmt = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}×` : 'not measured');
  for (const phase of ['remap', 'taphold'] as const) {
    const r = ratios.find((x) => x.who === 'keyrx' && x.phase === phase);
    const name = phase === 'remap' ? 'A→B' : 'tap-hold tap';
    goals.push({
      text: `keyrx/keyd ${name} p50 ≤ ${GOALS.p50}×`,
      value: fmt(r?.read.p50 ?? NaN),
      met: (r?.read.p50 ?? Infinity) <= GOALS.p50,
    });
    goals.push({
      text: `keyrx/keyd ${name} p99 ≤ ${GOALS.p99}×`,
      value: fmt(r?.read.p99 ?? NaN),
      met: (r?.read.p99 ?? Infinity) <= GOALS.p99,
    });
  }
  const th = pooled['keyrx/taphold'];
  goals.push({
    text: 'keyrx: 0 lost in the tap-hold taps',
    value: th ? `${th.lost} of ${th.events}` : 'not measured',
    met: th !== undefined && th.events > 0 && th.lost === 0,
  });
  goals.push({
    text: `keyrx start-up (remapping live) ≤ ${GOALS.startup}× keyd's`,
    value: Number.isFinite(liveRatio)
      ? `${fmt(liveRatio)} (${med.keyrx!.liveS.toFixed(2)} s vs ${med.keyd!.liveS.toFixed(2)} s, medians)`
      : 'not measured',
    met: liveRatio <= GOALS.startup,
  });
  goals.push({
    text: 'keyrx: 0 A events out unmapped before live',
    value: unmapped.keyrx === undefined ? 'not measured' : String(unmapped.keyrx),
    met: unmapped.keyrx === 0,
  });

  return {
    pooled,
    perRun,
    ratios,
    aboveFloor,
    overNodeFloor,
    overBaseline,
    pairs,
    startup: { runs: startRuns, median: med, liveRatio, outputRatio, unmapped, ungrabbed },
    goals,
  };
}
