/**
 * The fuzzing harness: seeded cases, one at a time, each timed, with a watchdog.
 *
 * Case `i` of a run with seed `s` always draws from the same PRNG stream, so a failure is
 * reproduced from the two numbers it reports (`KEYRX_FUZZ_SEED=s`, and `KEYRX_FUZZ_ONLY=i` to run
 * that case alone). Synchronous targets run in a worker thread: a case that never returns (a hang)
 * cannot block the test, the watchdog stops the worker and reports the case.
 */
import { Worker } from 'node:worker_threads';
import { Rng } from '../support/rng.ts';

export { Rng };

/**
 * A case slower than this is reported (the slowest case and how many passed this are in every
 * summary) but does not fail: time depends on the machine and its load. Work is bounded by the
 * compiler's operation budget and the limits instead; only a hang fails (WATCHDOG_MS).
 */
export const CASE_SLOW_MS = 5_000;
/** A case still running after this long is stopped (the worker is terminated): a hang. */
export const WATCHDOG_MS = 120_000;
/** The seed of `npm test` and `npm run test:fuzz` unless KEYRX_FUZZ_SEED says otherwise. */
export const DEFAULT_SEED = 0x6b727839;

export function fuzzSeed(): number {
  const s = process.env.KEYRX_FUZZ_SEED;
  return s === undefined || s === '' ? DEFAULT_SEED : Number(s) >>> 0;
}

/** KEYRX_FUZZ_ONLY=i runs case i alone (reproducing a failure). */
export function onlyCase(): number | null {
  const s = process.env.KEYRX_FUZZ_ONLY;
  return s === undefined || s === '' ? null : Number(s);
}

/** The PRNG stream of case `index` in a run with `seed` (independent of every other case). */
export function caseRng(seed: number, index: number): Rng {
  // splitmix32-style mixing of the pair
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return new Rng((h ^ (h >>> 16)) >>> 0);
}

export interface Case {
  /** a short name for the summary and for failures */
  category: string;
  label: string;
  /** runs the case; throws on a violation */
  execute(): void;
}

export interface TargetOptions {
  /** the full run: heavier categories, default limits everywhere */
  full: boolean;
}

export interface SyncTarget {
  name: string;
  makeCase(rng: Rng, index: number, opts: TargetOptions): Case;
}

export interface Failure {
  index: number;
  label: string;
  message: string;
}

export interface TargetResult {
  target: string;
  seed: number;
  cases: number;
  failures: Failure[];
  durationMs: number;
  slowest: { index: number; label: string; ms: number };
  /** cases slower than CASE_SLOW_MS (reported, not failures) */
  slow: number;
  categories: Record<string, number>;
}

const MAX_KEPT_FAILURES = 20;

/** Runs cases in this thread. `progress` is told which case starts (the watchdog reads it). */
export interface RunOptions {
  /** cases `start` (default 0) to `count - 1` */
  count: number;
  start?: number;
  seed: number;
  full: boolean;
  /** run this case alone */
  only?: number | null;
}

export function runSync(
  target: SyncTarget,
  run: RunOptions,
  progress: (index: number) => void = () => undefined,
): TargetResult {
  const result = emptyResult(target.name, run.seed);
  const t0 = performance.now();
  const first = run.only ?? run.start ?? 0;
  const end = run.only !== undefined && run.only !== null ? run.only + 1 : run.count;
  for (let index = first; index < end; index++) {
    progress(index);
    const c = target.makeCase(caseRng(run.seed, index), index, { full: run.full });
    const start = performance.now();
    let error: unknown = null;
    try {
      c.execute();
    } catch (e) {
      error = e;
    }
    const ms = performance.now() - start;
    record(result, index, c, ms, error);
  }
  result.durationMs = performance.now() - t0;
  return result;
}

export function emptyResult(target: string, seed: number): TargetResult {
  return {
    target,
    seed,
    cases: 0,
    failures: [],
    durationMs: 0,
    slowest: { index: -1, label: '', ms: 0 },
    slow: 0,
    categories: {},
  };
}

/** Books one finished case: counts, slowest, slow ones, failures (a thrown error). */
export function record(
  result: TargetResult,
  index: number,
  c: { category: string; label: string },
  ms: number,
  error: unknown,
): void {
  result.cases++;
  result.categories[c.category] = (result.categories[c.category] ?? 0) + 1;
  if (ms > result.slowest.ms) result.slowest = { index, label: c.label, ms };
  const problems: string[] = [];
  if (error !== null) problems.push(describeError(error));
  if (ms > CASE_SLOW_MS) result.slow++;
  if (problems.length > 0 && result.failures.length < MAX_KEPT_FAILURES)
    result.failures.push({ index, label: c.label, message: problems.join('; ') });
  else if (problems.length > 0) result.failures.push({ index, label: c.label, message: '(not kept)' });
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`.slice(0, 2000);
  return String(e).slice(0, 2000);
}

/** Truncates a case's text for labels and messages. */
export function preview(text: string, max = 80): string {
  const flat = JSON.stringify(text);
  return flat.length <= max ? flat : `${flat.slice(0, max - 12)}…(${text.length} chars)`;
}

export type TargetName = 'dsl' | 'krx' | 'engine' | 'script';

/**
 * Runs a synchronous target in a worker thread with a watchdog: a case that has not finished after
 * WATCHDOG_MS stops the run (the worker is terminated) and is reported as a hang.
 */
export async function runInWorker(target: TargetName, run: RunOptions): Promise<TargetResult> {
  const shared = new SharedArrayBuffer(16);
  const current = new Int32Array(shared, 0, 1);
  const startedAt = new Float64Array(shared, 8, 1);
  current[0] = -1;
  // src/daemon/ts-worker.mjs registers tsx in the worker, then imports `tsEntry`
  const worker = new Worker(new URL('../../src/daemon/ts-worker.mjs', import.meta.url), {
    workerData: { tsEntry: new URL('./worker.ts', import.meta.url).href, target, run, shared },
    // a 1 MB source and its copies, in the worst case
    resourceLimits: { maxOldGenerationSizeMb: 2048 },
  });
  return new Promise<TargetResult>((resolve, reject) => {
    let settled = false;
    const finish = (r: TargetResult | Error): void => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    const timer = setInterval(() => {
      const index = Atomics.load(current, 0);
      if (index < 0) return;
      const ms = performance.timeOrigin + performance.now() - startedAt[0];
      if (ms < WATCHDOG_MS) return;
      void worker.terminate();
      const result = emptyResult(target, run.seed);
      result.failures.push({
        index,
        label: `case ${index}`,
        message: `hang: still running after ${Math.round(ms / 1000)} s; the run was stopped (reproduce: KEYRX_FUZZ_SEED=${run.seed} KEYRX_FUZZ_ONLY=${index})`,
      });
      result.cases = index + 1 - (run.start ?? 0);
      result.slowest = { index, label: `case ${index}`, ms };
      finish(result);
    }, 250);
    worker.on('message', (msg: { result?: TargetResult; error?: string }) => {
      if (msg.result) finish(msg.result);
      else if (msg.error) finish(new Error(msg.error));
    });
    worker.on('error', (e) => finish(e));
    worker.on('exit', (code) => finish(new Error(`the fuzz worker exited (code ${code}) before reporting`)));
  });
}

/** An assertion message for node:test: every failure with how to reproduce it. */
export function failureReport(r: TargetResult): string {
  const lines = r.failures
    .slice(0, MAX_KEPT_FAILURES)
    .map((f) => `  #${f.index} ${f.label}\n    ${f.message.replace(/\n/g, '\n    ')}`);
  return (
    `${r.failures.length} of ${r.cases} ${r.target} cases failed (seed ${r.seed}; reproduce one with ` +
    `KEYRX_FUZZ_SEED=${r.seed} KEYRX_FUZZ_ONLY=<#>):\n${lines.join('\n')}`
  );
}

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** One result of several parts of the same run (the full run splits big targets across workers). */
export function mergeResults(parts: TargetResult[], durationMs: number): TargetResult {
  const merged = emptyResult(parts[0].target, parts[0].seed);
  for (const p of parts) {
    merged.cases += p.cases;
    merged.failures.push(...p.failures);
    if (p.slowest.ms > merged.slowest.ms) merged.slowest = p.slowest;
    merged.slow += p.slow;
    for (const [k, v] of Object.entries(p.categories)) merged.categories[k] = (merged.categories[k] ?? 0) + v;
  }
  merged.durationMs = durationMs;
  return merged;
}
