/**
 * `node --import tsx bench/lifecycle.bench.ts`: resource creation and cleanup cycles, with the
 * daemon's memory before and after (a leak check), against a daemon this benchmark starts itself
 * on a temp config dir (child process, virtual backend, 127.0.0.1).
 *
 * - profiles: 100 cycles (quick 30) of create (template `default`) → activate it → activate the
 *   previous profile again → delete it, each cycle timed as a whole;
 * - connections: 100 cycles (quick 30) of open a WebSocket to `/ws?topics=key,state` (bearer
 *   token header) → its `snapshot` → close → the close handshake done, each timed as a whole;
 * - 10 cycles of each first, untimed (warm-up); the daemon's RSS and JS heap (`GET /api/metrics`)
 *   before and after each phase, as the median of 5 reads 200 ms apart (the daemon cannot be
 *   asked to collect garbage: the median damps GC timing), and the growth per cycle;
 * - `clean`: after the profile phase the daemon lists as many profiles as before it (and the
 *   previous profile is active); after the connection phase it reports 0 WebSocket clients.
 *   Reported, not asserted;
 * - with taskset and at least two CPUs, the daemon and this client run on different CPUs.
 *
 * The seed (KeyRx v0.1.1, keyrx-daemon-performance-report.md §3, resource creation/cleanup
 * cycles) reports "Profile activation: 195ms" and "WebSocket connection (closed): 42ms".
 *
 * Flags: --quick (30 cycles), --json (the result as JSON on stdout).
 */
import { int, pinAwayFromDaemon, table } from './support.ts';
import type { DaemonProcess } from '../test/support/daemon-process.ts';
import { spawnDaemon } from '../test/support/daemon-process.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

// ---------------------------------------------------------------- results

export interface CyclePhase {
  cycles: number;
  /** one whole cycle, client side */
  cycleMs: { p50: number; p99: number; max: number };
  /** the daemon's memory (GET /api/metrics), median of 5 reads 200 ms apart */
  rssBeforeBytes: number;
  rssAfterBytes: number;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  /** (after − before) / cycles; GC timing makes small values noise, negative ones included */
  heapGrowthPerCycleBytes: number;
  rssGrowthPerCycleBytes: number;
  /** profiles: the profile count (and active profile) as before; connections: 0 WebSocket clients */
  clean: boolean;
}

export interface LifecycleBenchResult {
  /** what was pinned to which CPU */
  pinningNote: string;
  node: string;
  daemonStartupMs: number;
  profiles: CyclePhase;
  connections: CyclePhase;
}

export const SEED = { version: 'KeyRx v0.1.1', profileActivationMs: 195, wsConnectionClosedMs: 42 };

const WARMUP_CYCLES = 10;
const MEMORY_READS = 5;
const MEMORY_READ_GAP_MS = 200;
const WS_TOPICS = 'key,state';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const median = (values: number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

// ---------------------------------------------------------------- the daemon

async function call(d: DaemonProcess, method: string, path: string, body?: unknown): Promise<unknown> {
  const { status, json } = await d.api(method, path, body);
  if (status >= 300) throw new Error(`${method} ${path}: HTTP ${status} ${JSON.stringify(json)}`);
  return json;
}

interface Memory {
  rssBytes: number;
  heapUsedBytes: number;
  /** wsClients of the last read */
  wsClients: number;
}

async function readMemory(d: DaemonProcess): Promise<Memory> {
  const rss: number[] = [];
  const heap: number[] = [];
  let wsClients = NaN;
  for (let i = 0; i < MEMORY_READS; i++) {
    if (i > 0) await sleep(MEMORY_READ_GAP_MS);
    const m = (await call(d, 'GET', '/api/metrics')) as {
      memory: { rssBytes: number; heapUsedBytes: number };
      wsClients: number;
    };
    rss.push(m.memory.rssBytes);
    heap.push(m.memory.heapUsedBytes);
    wsClients = m.wsClients;
  }
  return { rssBytes: median(rss), heapUsedBytes: median(heap), wsClients };
}

async function profileCycle(d: DaemonProcess, name: string, previous: string): Promise<number> {
  const start = performance.now();
  await call(d, 'POST', '/api/profiles', { name, template: 'default' });
  await call(d, 'POST', `/api/profiles/${name}/activate`);
  await call(d, 'POST', `/api/profiles/${previous}/activate`);
  await call(d, 'DELETE', `/api/profiles/${name}`);
  return performance.now() - start;
}

/** Opens a WebSocket, waits for its snapshot, closes it and waits for the close handshake. */
function connectionCycle(d: DaemonProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const ws = new WebSocket(`${d.url.replace(/^http/, 'ws')}/ws?topics=${WS_TOPICS}`, {
      headers: { authorization: `Bearer ${d.token}` },
      perMessageDeflate: false,
    });
    let snapshot = false;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`WebSocket cycle not done in 10 s (snapshot: ${snapshot})`));
    }, 10_000);
    ws.on('error', (e) => {
      clearTimeout(timer);
      ws.terminate();
      reject(e);
    });
    ws.on('message', (data: Buffer) => {
      if (snapshot) return;
      const env = JSON.parse(data.toString()) as { type: string } | { type: string }[];
      if (!Array.isArray(env) && env.type === 'snapshot') {
        snapshot = true;
        ws.close(1000);
      }
    });
    ws.once('close', (code) => {
      clearTimeout(timer);
      if (snapshot) resolve(performance.now() - start);
      else reject(new Error(`WebSocket closed (${code}) before its snapshot`));
    });
  });
}

function phase(cycles: number, times: number[], before: Memory, after: Memory, clean: boolean): CyclePhase {
  const s = [...times].sort((a, b) => a - b);
  return {
    cycles,
    cycleMs: { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN },
    rssBeforeBytes: before.rssBytes,
    rssAfterBytes: after.rssBytes,
    heapBeforeBytes: before.heapUsedBytes,
    heapAfterBytes: after.heapUsedBytes,
    heapGrowthPerCycleBytes: (after.heapUsedBytes - before.heapUsedBytes) / cycles,
    rssGrowthPerCycleBytes: (after.rssBytes - before.rssBytes) / cycles,
    clean,
  };
}

// ---------------------------------------------------------------- the benchmark

export async function runLifecycleBench(
  opts: { quick?: boolean; progress?: (line: string) => void } = {},
): Promise<LifecycleBenchResult> {
  const cycles = opts.quick === true ? 30 : 100;
  const progress = opts.progress ?? (() => undefined);

  const dir = mkdtempSync(join(tmpdir(), 'keyrx-bench-lifecycle-'));
  let daemon: DaemonProcess | null = null;
  const pinning = pinAwayFromDaemon();
  const pinningNote = pinning.note;
  try {
    progress(`starting the daemon on ${dir} (${pinningNote})`);
    daemon = await spawnDaemon({ dir, cpu: pinning.daemonCpu });
    const d = daemon;

    const status = (await call(d, 'GET', '/api/status')) as {
      profiles: number;
      activeProfile: string | null;
    };
    const previous = status.activeProfile;
    if (previous === null) throw new Error('the daemon has no active profile to go back to');

    // warm-up: both kinds of cycle, untimed
    for (let i = 0; i < WARMUP_CYCLES; i++) await profileCycle(d, `warm-${i}`, previous);
    for (let i = 0; i < WARMUP_CYCLES; i++) await connectionCycle(d);
    progress(
      `warmed up (${WARMUP_CYCLES} cycles of each); ${status.profiles} profile(s), '${previous}' active`,
    );

    // profiles
    const profilesBefore = await readMemory(d);
    const profileTimes: number[] = [];
    for (let i = 0; i < cycles; i++) profileTimes.push(await profileCycle(d, `cycle-${i}`, previous));
    const profilesAfter = await readMemory(d);
    const after = (await call(d, 'GET', '/api/status')) as { profiles: number; activeProfile: string | null };
    const profiles = phase(
      cycles,
      profileTimes,
      profilesBefore,
      profilesAfter,
      after.profiles === status.profiles && after.activeProfile === previous,
    );
    progress(
      `profiles: ${cycles} cycles, p50 ${profiles.cycleMs.p50.toFixed(2)} ms; heap ${int(profiles.heapGrowthPerCycleBytes)} B/cycle; ${after.profiles} profile(s) after (${status.profiles} before)`,
    );

    // connections: the memory read after the profile phase is the one before this phase
    const connectionTimes: number[] = [];
    for (let i = 0; i < cycles; i++) connectionTimes.push(await connectionCycle(d));
    const connectionsAfter = await readMemory(d);
    const connections = phase(
      cycles,
      connectionTimes,
      profilesAfter,
      connectionsAfter,
      connectionsAfter.wsClients === 0,
    );
    progress(
      `connections: ${cycles} cycles, p50 ${connections.cycleMs.p50.toFixed(2)} ms; heap ${int(connections.heapGrowthPerCycleBytes)} B/cycle; ${connectionsAfter.wsClients} client(s) after`,
    );

    return { pinningNote, node: process.version, daemonStartupMs: d.startupMs, profiles, connections };
  } finally {
    await daemon?.stop();
    pinning.restore();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const signed = (n: number): string => `${n >= 0 ? '+' : '−'}${int(Math.abs(n))} B`;

export function formatLifecycleBench(r: LifecycleBenchResult): string {
  const row = (label: string, p: CyclePhase, seed: string): string[] => [
    label,
    String(p.cycles),
    `${p.cycleMs.p50.toFixed(2)} ms`,
    `${p.cycleMs.p99.toFixed(2)} ms`,
    `${p.cycleMs.max.toFixed(2)} ms`,
    seed,
  ];
  const mem = (label: string, p: CyclePhase): string[] => [
    label,
    `${mb(p.heapBeforeBytes)} → ${mb(p.heapAfterBytes)}`,
    signed(p.heapGrowthPerCycleBytes),
    `${mb(p.rssBeforeBytes)} → ${mb(p.rssAfterBytes)}`,
    signed(p.rssGrowthPerCycleBytes),
    p.clean ? 'yes' : 'NO',
  ];
  return [
    `keyrx create/destroy cycles: node ${r.node}; loopback; daemon started in ${r.daemonStartupMs.toFixed(0)} ms; ${WARMUP_CYCLES} warm-up cycles of each first`,
    '',
    table(
      ['cycle', 'cycles', 'p50', 'p99', 'max', `seed (${SEED.version})`],
      [
        row(
          'profile: create → activate → activate previous → delete',
          r.profiles,
          `activation ${SEED.profileActivationMs} ms`,
        ),
        row(
          `WebSocket: open ?topics=${WS_TOPICS} → snapshot → closed`,
          r.connections,
          `${SEED.wsConnectionClosedMs} ms`,
        ),
      ],
    ),
    '  seed: §3 resource creation/cleanup cycles ("Profile activation: 195ms", one activation; ours is a whole cycle with two)',
    '  with fewer than 100 cycles p99 is the max',
    '',
    table(
      ['daemon memory', 'heap before → after', 'heap/cycle', 'RSS before → after', 'RSS/cycle', 'clean'],
      [mem('profile cycles', r.profiles), mem('WebSocket cycles', r.connections)],
    ),
    `  GET /api/metrics, median of ${MEMORY_READS} reads ${MEMORY_READ_GAP_MS} ms apart (no forced GC: small or negative growth is noise);`,
    '  the WebSocket phase starts from the memory read after the profile phase',
    '  clean: profiles, the profile count and active profile as before; WebSocket, the daemon reports 0 clients',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes('--json');
  const r = await runLifecycleBench({
    quick: process.argv.includes('--quick'),
    progress: json ? undefined : (line) => console.error(`… ${line}`),
  });
  console.log(json ? JSON.stringify(r, null, 2) : formatLifecycleBench(r));
}
