/**
 * `npm run bench:api`: the REST API under load, against a daemon this benchmark starts itself on
 * a temp config dir with 100 profiles created through the API.
 *
 * - GET /api/status, /api/profiles, /api/settings with autocannon at 1, 10 and 50 connections
 *   (a warm-up run, then a measured run): req/s, p50/p99 latency, errors;
 * - profile activation through the API, warm (the verified .krx cache is used) and cold (no cache:
 *   the daemon compiles), and profile creation and deletion, as client round trips;
 * - with taskset and at least two CPUs, the daemon and the load generator run on different CPUs.
 *
 * The seed (KeyRx v0.1.1, keyrx-daemon-performance-report.md) reports 128 req/s and 78 ms at 10
 * concurrent GET /api/status, and 127 ms warm / 189 ms cold profile activation.
 *
 * Flags: --quick (short runs, fewer samples), --json (the result as JSON on stdout).
 */
import { affinity, int, parseCpuList, setAffinity, table } from './support.ts';
import type { DaemonProcess } from '../test/support/daemon-process.ts';
import { spawnDaemon } from '../test/support/daemon-process.ts';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const BIG_PROFILE = join(root, 'examples/20-personal-layout.rhai');
const TEMPLATES = ['default', 'blank', 'simple_remap', 'capslock_escape', 'vim_navigation', 'gaming'];

// ---------------------------------------------------------------- autocannon (CommonJS, untyped)

interface AutocannonHistogram {
  mean: number;
  max: number;
  p50: number;
  p99: number;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  latency: AutocannonHistogram;
  requests: { average: number; total: number; sent: number };
  '2xx': number;
}
interface AutocannonInstance {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  on(event: 'done', fn: (result: AutocannonResult) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  headers: Record<string, string>;
  timeout: number;
}) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// ---------------------------------------------------------------- results

export interface ApiBenchOptions {
  /** short runs (1 s after 0.5 s warm-up), fewer activation samples */
  quick?: boolean;
  /** seconds per measured run (default 3; quick 1) */
  durationSec?: number;
  /** seconds of warm-up before each measured run (default 1; quick 0.5) */
  warmupSec?: number;
  /** profiles created through the API before the load runs (default 100) */
  profiles?: number;
  /** connection counts (default 1, 10, 50) */
  concurrency?: number[];
  /** samples for each activation and creation/deletion median (default 15; quick 5) */
  rounds?: number;
  /** pin the daemon and the load generator to different CPUs with taskset (default true) */
  pin?: boolean;
  /** progress lines (default: none) */
  progress?: (line: string) => void;
}

export interface LoadRun {
  endpoint: string;
  connections: number;
  durationSec: number;
  requests: number;
  reqPerSec: number;
  /** autocannon's latency histogram (whole milliseconds: values are truncated) */
  hdrMs: { p50: number; p99: number; mean: number; max: number };
  /** the same responses' times as autocannon measured them, to the microsecond */
  latencyMs: { p50: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

export interface Timing {
  samples: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
}

export interface ApiBenchResult {
  node: string;
  cpus: number;
  /** 1-minute load average before and after: other processes competing for the CPUs skew the figures */
  loadAverage: { before: number; after: number };
  pinning: { daemonCpu: number; loadCpu: number } | null;
  pinningNote: string;
  durationSec: number;
  warmupSec: number;
  profilesCreated: number;
  profilesTotal: number;
  daemonStartupMs: number;
  runs: LoadRun[];
  activation: {
    profile: string;
    profileLines: number;
    /** client round trip of POST /api/profiles/:name/activate with a valid cache */
    warm: Timing;
    /** the daemon's own compileMs of those activations (cache read and verification) */
    warmDaemonMs: Timing;
    /** round trip after the cache file was removed: the daemon compiles */
    cold: Timing;
    coldDaemonMs: Timing;
  };
  create: { template: Timing; bigSource: Timing };
  delete: Timing;
  seed: {
    version: string;
    statusC10ReqPerSec: number;
    statusC10Ms: number;
    profilesC10ReqPerSec: number;
    profilesC10Ms: number;
    activationWarmMs: number;
    activationColdMs: number;
    deleteMs: number;
  };
  goals: {
    statusC10ReqPerSec: number;
    statusC10P99Ms: number;
    activationWarmMs: number;
    activationColdMs: number;
  };
}

const SEED = {
  version: 'KeyRx v0.1.1',
  statusC10ReqPerSec: 128,
  statusC10Ms: 78,
  profilesC10ReqPerSec: 118,
  profilesC10Ms: 85,
  activationWarmMs: 127,
  activationColdMs: 189,
  deleteMs: 96,
};
const GOALS = { statusC10ReqPerSec: 10_000, statusC10P99Ms: 5, activationWarmMs: 10, activationColdMs: 50 };

function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function timing(values: number[]): Timing {
  const s = [...values].sort((a, b) => a - b);
  return {
    samples: s.length,
    medianMs: percentile(s, 50),
    p90Ms: percentile(s, 90),
    minMs: s[0] ?? NaN,
    maxMs: s[s.length - 1] ?? NaN,
  };
}

// ---------------------------------------------------------------- CPU pinning

// ---------------------------------------------------------------- the daemon

type RunningDaemon = DaemonProcess;

function startDaemon(dir: string, cpu: number | null): Promise<RunningDaemon> {
  return spawnDaemon({ dir, cpu });
}

async function call(d: RunningDaemon, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${d.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${d.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const data = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(data)}`);
  return data;
}

async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; value: unknown }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

// ---------------------------------------------------------------- load runs

function load(
  d: RunningDaemon,
  path: string,
  connections: number,
  durationSec: number,
  record: boolean,
): Promise<{ result: AutocannonResult; times: Float64Array }> {
  return new Promise((resolve, reject) => {
    let times = new Float64Array(1 << 16);
    let n = 0;
    const instance = autocannon({
      url: `${d.url}${path}`,
      connections,
      duration: durationSec,
      headers: { authorization: `Bearer ${d.token}` },
      timeout: 10,
    });
    if (record)
      instance.on('response', (_client, _status, _bytes, ms) => {
        if (n === times.length) {
          const grown = new Float64Array(times.length * 2);
          grown.set(times);
          times = grown;
        }
        times[n++] = ms;
      });
    instance.on('error', reject);
    instance.on('done', (result) => resolve({ result, times: times.slice(0, n).sort() }));
  });
}

async function measure(
  d: RunningDaemon,
  path: string,
  connections: number,
  opts: { durationSec: number; warmupSec: number },
): Promise<LoadRun> {
  if (opts.warmupSec > 0) await load(d, path, connections, opts.warmupSec, false);
  const { result, times } = await load(d, path, connections, opts.durationSec, true);
  const requests = result['2xx'] + result.non2xx;
  return {
    endpoint: `GET ${path}`,
    connections,
    durationSec: result.duration,
    requests,
    reqPerSec: requests / result.duration,
    hdrMs: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      mean: result.latency.mean,
      max: result.latency.max,
    },
    latencyMs: { p50: percentile(times, 50), p99: percentile(times, 99), max: percentile(times, 100) },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

// ---------------------------------------------------------------- the benchmark

export async function runApiBench(opts: ApiBenchOptions = {}): Promise<ApiBenchResult> {
  const quick = opts.quick === true;
  const durationSec = opts.durationSec ?? (quick ? 1 : 3);
  const warmupSec = opts.warmupSec ?? (quick ? 0.5 : 1);
  const profileCount = opts.profiles ?? 100;
  const concurrency = opts.concurrency ?? [1, 10, 50];
  const rounds = opts.rounds ?? (quick ? 5 : 15);
  const progress = opts.progress ?? (() => undefined);

  // CPUs: the daemon on the first allowed one, this process (autocannon) on the second
  const originalAffinity = opts.pin === false ? null : affinity(process.pid);
  const allowed = originalAffinity ? parseCpuList(originalAffinity) : [];
  let pinning: ApiBenchResult['pinning'] = null;
  let pinningNote: string;
  if (opts.pin === false) pinningNote = 'not pinned (pin: false)';
  else if (!originalAffinity) pinningNote = 'not pinned: taskset is not available';
  else if (allowed.length < 2)
    pinningNote = `not pinned: only CPU ${allowed.join(',')} is available (daemon and autocannon share it)`;
  else {
    pinning = { daemonCpu: allowed[0], loadCpu: allowed[1] };
    pinningNote = `daemon pinned to CPU ${allowed[0]}, autocannon to CPU ${allowed[1]} (taskset)`;
  }

  const loadBefore = loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'keyrx-bench-api-'));
  let daemon: RunningDaemon | null = null;
  try {
    if (pinning)
      try {
        setAffinity(process.pid, String(pinning.loadCpu));
      } catch (e) {
        pinningNote = `not pinned: taskset failed (${(e as Error).message.split('\n')[0]})`;
        pinning = null;
      }
    progress(`starting the daemon on ${dir} (${pinningNote})`);
    daemon = await startDaemon(dir, pinning?.daemonCpu ?? null);
    const d = daemon;

    // 100 profiles through the API: one in ten is the 491-line example, the rest templates
    const big = readFileSync(BIG_PROFILE, 'utf8');
    const createTemplate: number[] = [];
    const createBig: number[] = [];
    for (let i = 0; i < profileCount; i++) {
      const name = `p-${String(i).padStart(3, '0')}`;
      if (i % 10 === 0) {
        const source = `// bench copy ${i}\n${big}`;
        createBig.push((await timed(() => call(d, 'POST', '/api/profiles', { name, source }))).ms);
      } else {
        const template = TEMPLATES[i % TEMPLATES.length];
        createTemplate.push((await timed(() => call(d, 'POST', '/api/profiles', { name, template }))).ms);
      }
    }
    const status = (await call(d, 'GET', '/api/status')) as { profiles: number };
    progress(`created ${profileCount} profiles through the API (${status.profiles} in all)`);

    const runs: LoadRun[] = [];
    for (const path of ['/api/status', '/api/profiles', '/api/settings'])
      for (const c of concurrency) {
        const r = await measure(d, path, c, { durationSec, warmupSec });
        runs.push(r);
        progress(
          `GET ${path} c=${c}: ${Math.round(r.reqPerSec)} req/s, p99 ${r.latencyMs.p99.toFixed(2)} ms, ${r.errors + r.non2xx} errors`,
        );
      }

    // activation: A is the 491-line profile, B a template; alternate so each activation swaps
    const a = 'p-000';
    const b = 'p-001';
    const activate = async (name: string): Promise<{ ms: number; compileMs: number; cached: boolean }> => {
      const { ms, value } = await timed(() => call(d, 'POST', `/api/profiles/${name}/activate`));
      const r = value as { compileMs: number; cached: boolean };
      return { ms, compileMs: r.compileMs, cached: r.cached };
    };
    for (let i = 0; i < 3; i++) {
      await activate(a);
      await activate(b);
    }
    const warm: number[] = [];
    const warmDaemon: number[] = [];
    const cold: number[] = [];
    const coldDaemon: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await activate(b);
      const w = await activate(a);
      if (!w.cached) throw new Error(`warm activation of ${a} did not use the cache`);
      warm.push(w.ms);
      warmDaemon.push(w.compileMs);
    }
    const cache = join(dir, 'cache', `${a}.krx`);
    for (let i = 0; i < rounds; i++) {
      await activate(b);
      if (existsSync(cache)) unlinkSync(cache);
      const c = await activate(a);
      if (c.cached) throw new Error(`cold activation of ${a} used a cache`);
      cold.push(c.ms);
      coldDaemon.push(c.compileMs);
    }
    progress(
      `activation: warm ${timing(warm).medianMs.toFixed(2)} ms, cold ${timing(cold).medianMs.toFixed(2)} ms`,
    );

    // deletion (of extra profiles, so the 100 stay for the runs above)
    const del: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const name = `del-${i}`;
      await call(d, 'POST', '/api/profiles', { name, template: 'default' });
      del.push((await timed(() => call(d, 'DELETE', `/api/profiles/${name}`))).ms);
    }

    return {
      node: process.version,
      cpus: cpus().length,
      loadAverage: { before: loadBefore, after: loadavg()[0] },
      pinning,
      pinningNote,
      durationSec,
      warmupSec,
      profilesCreated: profileCount,
      profilesTotal: status.profiles,
      daemonStartupMs: d.startupMs,
      runs,
      activation: {
        profile: 'examples/20-personal-layout.rhai',
        profileLines: big.split('\n').length - (big.endsWith('\n') ? 1 : 0),
        warm: timing(warm),
        warmDaemonMs: timing(warmDaemon),
        cold: timing(cold),
        coldDaemonMs: timing(coldDaemon),
      },
      create: { template: timing(createTemplate), bigSource: timing(createBig) },
      delete: timing(del),
      seed: SEED,
      goals: GOALS,
    };
  } finally {
    await daemon?.stop();
    if (originalAffinity && pinning) setAffinity(process.pid, originalAffinity);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

const ms = (n: number, digits = 2): string => `${n.toFixed(digits)} ms`;

export function formatApiBench(r: ApiBenchResult): string {
  const out: string[] = [];
  out.push(
    `keyrx API benchmark: node ${r.node}, ${r.cpus} CPUs (load average ${r.loadAverage.before.toFixed(2)} before, ${r.loadAverage.after.toFixed(2)} after); ${r.pinningNote}`,
    `${r.profilesCreated} profiles created through the API (${r.profilesTotal} in all); each run ${r.durationSec} s after a ${r.warmupSec} s warm-up; loopback; daemon started in ${ms(r.daemonStartupMs, 0)}`,
    '',
    table(
      ['endpoint', 'conns', 'req/s', 'p50', 'p99', 'max', 'hdr p50/p99', 'errors'],
      r.runs.map((x) => [
        x.endpoint,
        String(x.connections),
        int(x.reqPerSec),
        ms(x.latencyMs.p50),
        ms(x.latencyMs.p99),
        ms(x.latencyMs.max, 1),
        `${x.hdrMs.p50}/${x.hdrMs.p99} ms`,
        String(x.errors + x.timeouts + x.non2xx),
      ]),
    ),
    '  p50/p99/max: the response times autocannon measured, to the microsecond; hdr: its histogram (whole ms, truncated)',
    '',
    `profile operations through the API (client round trip; median, p90 of ${r.delete.samples} unless noted)`,
  );
  const t = (x: Timing): string => `${ms(x.medianMs)}  (p90 ${ms(x.p90Ms)})`;
  out.push(
    table(
      ['operation', 'median (p90)'],
      [
        [`activate, warm: cache hit (${r.activation.profileLines}-line profile)`, t(r.activation.warm)],
        ['  of which the daemon reports (compileMs)', t(r.activation.warmDaemonMs)],
        ['activate, cold: no cache, the daemon compiles', t(r.activation.cold)],
        ['  of which the daemon reports (compileMs)', t(r.activation.coldDaemonMs)],
        [`create from a template (${r.create.template.samples} samples)`, t(r.create.template)],
        [
          `create from the ${r.activation.profileLines}-line source (${r.create.bigSource.samples} samples)`,
          t(r.create.bigSource),
        ],
        ['delete', t(r.delete)],
      ],
    ),
  );
  const status10 = r.runs.find((x) => x.endpoint === 'GET /api/status' && x.connections === 10);
  const profiles10 = r.runs.find((x) => x.endpoint === 'GET /api/profiles' && x.connections === 10);
  const check = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const rows: string[][] = [];
  if (status10) {
    rows.push([
      'GET /api/status, 10 connections: req/s',
      int(r.seed.statusC10ReqPerSec),
      int(status10.reqPerSec),
      `≥ ${int(r.goals.statusC10ReqPerSec)}`,
      check(status10.reqPerSec >= r.goals.statusC10ReqPerSec),
    ]);
    rows.push([
      'GET /api/status, 10 connections: p99',
      `${r.seed.statusC10Ms} ms`,
      ms(status10.latencyMs.p99),
      `< ${r.goals.statusC10P99Ms} ms`,
      check(status10.latencyMs.p99 < r.goals.statusC10P99Ms),
    ]);
  }
  if (profiles10) {
    rows.push([
      `GET /api/profiles (${r.profilesTotal}), 10 conns: req/s`,
      int(r.seed.profilesC10ReqPerSec),
      int(profiles10.reqPerSec),
      '',
      '',
    ]);
    rows.push([
      `GET /api/profiles (${r.profilesTotal}), 10 conns: p99`,
      `${r.seed.profilesC10Ms} ms`,
      ms(profiles10.latencyMs.p99),
      '',
      '',
    ]);
  }
  rows.push(
    [
      'profile activation, warm (median)',
      `${r.seed.activationWarmMs} ms`,
      ms(r.activation.warm.medianMs),
      `< ${r.goals.activationWarmMs} ms`,
      check(r.activation.warm.medianMs < r.goals.activationWarmMs),
    ],
    [
      'profile activation, cold (median)',
      `${r.seed.activationColdMs} ms`,
      ms(r.activation.cold.medianMs),
      `< ${r.goals.activationColdMs} ms`,
      check(r.activation.cold.medianMs < r.goals.activationColdMs),
    ],
    ['profile deletion (median)', `${r.seed.deleteMs} ms`, ms(r.delete.medianMs), '', ''],
  );
  out.push(
    '',
    table(['comparison', `seed (${r.seed.version})`, 'keyrx', 'goal', ''], rows),
    '  seed figures: keyrx-daemon-performance-report.md (section D for 10 concurrent requests; A and E for profile operations)',
  );
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes('--json');
  const r = await runApiBench({
    quick: process.argv.includes('--quick'),
    progress: json ? undefined : (line) => console.error(`… ${line}`),
  });
  console.log(json ? JSON.stringify(r, null, 2) : formatApiBench(r));
}
