/**
 * `node --import tsx bench/serialize.bench.ts`: the JSON serialisation of the profile list, against
 * a daemon this benchmark starts itself on a temp config dir (child process, virtual backend,
 * 127.0.0.1).
 *
 * - the daemon's list grows to 100 and then 1,000 profiles (quick: 100 and 300), created through
 *   the API (`POST /api/profiles {name, template: 'default'}`, 8 requests in flight); the list
 *   counts the daemon's own `default` profile, so N profiles means N − 1 created;
 * - for each size, `GET /api/profiles?limit=10000` as a client round trip (fetch and reading the
 *   whole body; 30 samples after 5 warm-ups, quick 10): p50/p99/max and the response's bytes;
 * - in this process, `JSON.stringify` of the same list (the body received, parsed once), 1,000
 *   times: the median per stringify separates serialisation from HTTP and the daemon's work;
 * - with taskset and at least two CPUs, the daemon and this client run on different CPUs.
 *
 * The seed (KeyRx v0.1.1, keyrx-daemon-performance-report.md) reports "/api/profiles JSON: 28ms avg".
 *
 * Flags: --quick (100 and 300 profiles, fewer samples), --json (the result as JSON on stdout).
 */
import { int, pinAwayFromDaemon, table } from './support.ts';
import type { DaemonProcess } from '../test/support/daemon-process.ts';
import { spawnDaemon } from '../test/support/daemon-process.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// ---------------------------------------------------------------- results

export interface SerializeRun {
  /** profiles in the list (the daemon's `default` included) */
  profiles: number;
  /** the response body, bytes */
  bytes: number;
  /** GET /api/profiles?limit=10000: fetch → the whole body read */
  roundTripMs: { samples: number; p50: number; p99: number; max: number };
  /** JSON.stringify of the same list in this process: median of 1,000, microseconds */
  stringifyUs: number;
}

export interface SerializeBenchResult {
  /** what was pinned to which CPU */
  pinningNote: string;
  node: string;
  runs: SerializeRun[];
  daemonStartupMs: number;
  /** wall time of all creations / profiles created (8 requests in flight) */
  createMsPerProfile: number;
}

export const SEED = { version: 'KeyRx v0.1.1', profileListJsonAvgMs: 28 };

const WARMUPS = 5;
const STRINGIFY_REPS = 1_000;
const IN_FLIGHT = 8;
const LIST_PATH = '/api/profiles?limit=10000';

function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

// ---------------------------------------------------------------- the daemon

async function call(d: DaemonProcess, method: string, path: string, body?: unknown): Promise<unknown> {
  const { status, json } = await d.api(method, path, body);
  if (status >= 300) throw new Error(`${method} ${path}: HTTP ${status} ${JSON.stringify(json)}`);
  return json;
}

/** Creates profiles `name(from)` … `name(to - 1)` with `IN_FLIGHT` requests at a time. */
async function createProfiles(d: DaemonProcess, from: number, to: number): Promise<void> {
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const i = next++;
      await call(d, 'POST', '/api/profiles', {
        name: `s-${String(i).padStart(4, '0')}`,
        template: 'default',
      });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

/** One round trip of the list: the time until the whole body is read, and the body. */
async function getList(d: DaemonProcess): Promise<{ ms: number; body: string; bytes: number }> {
  const start = performance.now();
  const res = await fetch(`${d.url}${LIST_PATH}`, {
    headers: { authorization: `Bearer ${d.token}` },
    signal: AbortSignal.timeout(30_000),
  });
  const buf = Buffer.from(await res.arrayBuffer());
  const ms = performance.now() - start;
  if (!res.ok) throw new Error(`GET ${LIST_PATH}: HTTP ${res.status} ${buf.toString('utf8').slice(0, 200)}`);
  return { ms, body: buf.toString('utf8'), bytes: buf.length };
}

function stringifyMedianUs(value: unknown): number {
  const times = new Float64Array(STRINGIFY_REPS);
  let sink = 0;
  for (let i = 0; i < 50; i++) sink += JSON.stringify(value).length;
  for (let i = 0; i < STRINGIFY_REPS; i++) {
    const start = performance.now();
    sink += JSON.stringify(value).length;
    times[i] = performance.now() - start;
  }
  if (sink === 0) throw new Error('JSON.stringify returned nothing');
  return percentile(times.sort(), 50) * 1000;
}

// ---------------------------------------------------------------- the benchmark

export async function runSerializeBench(
  opts: { quick?: boolean; progress?: (line: string) => void } = {},
): Promise<SerializeBenchResult> {
  const quick = opts.quick === true;
  const sizes = quick ? [100, 300] : [100, 1_000];
  const samples = quick ? 10 : 30;
  const progress = opts.progress ?? (() => undefined);

  const dir = mkdtempSync(join(tmpdir(), 'keyrx-bench-serialize-'));
  let daemon: DaemonProcess | null = null;
  const pinning = pinAwayFromDaemon();
  const pinningNote = pinning.note;
  try {
    progress(`starting the daemon on ${dir} (${pinningNote})`);
    daemon = await spawnDaemon({ dir, cpu: pinning.daemonCpu });
    const d = daemon;

    const runs: SerializeRun[] = [];
    let created = 0;
    let createMs = 0;
    for (const size of sizes) {
      const { total } = (await call(d, 'GET', '/api/profiles?limit=1')) as { total: number };
      if (total < size) {
        const start = performance.now();
        await createProfiles(d, created, created + size - total);
        createMs += performance.now() - start;
        created += size - total;
      }
      const first = await getList(d);
      const list = JSON.parse(first.body) as { profiles: unknown[]; total: number };
      if (list.profiles.length !== size || list.total !== size)
        throw new Error(
          `expected ${size} profiles in the list, got ${list.profiles.length} of ${list.total}`,
        );
      progress(`${size} profiles (${created} created so far): ${int(first.bytes)} bytes`);

      for (let i = 1; i < WARMUPS; i++) await getList(d);
      const times: number[] = [];
      let bytes = first.bytes;
      for (let i = 0; i < samples; i++) {
        const r = await getList(d);
        times.push(r.ms);
        bytes = r.bytes;
      }
      times.sort((a, b) => a - b);
      const run: SerializeRun = {
        profiles: size,
        bytes,
        roundTripMs: {
          samples: times.length,
          p50: percentile(times, 50),
          p99: percentile(times, 99),
          max: times[times.length - 1],
        },
        stringifyUs: stringifyMedianUs(list),
      };
      runs.push(run);
      progress(
        `${size} profiles: round trip p50 ${run.roundTripMs.p50.toFixed(2)} ms, p99 ${run.roundTripMs.p99.toFixed(2)} ms; JSON.stringify ${run.stringifyUs.toFixed(1)} µs`,
      );
    }

    return {
      pinningNote,
      node: process.version,
      runs,
      daemonStartupMs: d.startupMs,
      createMsPerProfile: created === 0 ? NaN : createMs / created,
    };
  } finally {
    await daemon?.stop();
    pinning.restore();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

export function formatSerializeBench(r: SerializeBenchResult): string {
  const rows = r.runs.map((x) => [
    String(x.profiles),
    int(x.bytes),
    String(x.roundTripMs.samples),
    `${x.roundTripMs.p50.toFixed(2)} ms`,
    `${x.roundTripMs.p99.toFixed(2)} ms`,
    `${x.roundTripMs.max.toFixed(2)} ms`,
    `${x.stringifyUs.toFixed(1)} µs`,
    `${SEED.profileListJsonAvgMs} ms avg`,
  ]);
  return [
    `keyrx profile list serialisation: node ${r.node}; loopback; daemon started in ${r.daemonStartupMs.toFixed(0)} ms; profiles created at ${r.createMsPerProfile.toFixed(1)} ms each (${IN_FLIGHT} in flight)`,
    '',
    table(
      ['profiles', 'bytes', 'samples', 'p50', 'p99', 'max', 'JSON.stringify', `seed (${SEED.version})`],
      rows,
      0,
    ),
    `  p50/p99/max: GET ${LIST_PATH} round trip (fetch → whole body read), after ${WARMUPS} warm-ups; with fewer than 100 samples p99 is the max`,
    `  JSON.stringify: the same list in this process, median of ${int(STRINGIFY_REPS)}`,
    '  seed: "/api/profiles JSON: 28ms avg" (keyrx-daemon-performance-report.md; its profile count is not given)',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes('--json');
  const r = await runSerializeBench({
    quick: process.argv.includes('--quick'),
    progress: json ? undefined : (line) => console.error(`… ${line}`),
  });
  console.log(json ? JSON.stringify(r, null, 2) : formatSerializeBench(r));
}
