/**
 * `node --import tsx bench/startup.bench.ts`: cold start against warm, with daemons this benchmark
 * starts itself (child processes, temp config dir, virtual backend, 127.0.0.1; nothing pinned).
 *
 * - process start → first served request: the daemon is spawned (`node --import tsx
 *   src/cli/main.ts daemon …`, and `node dist/src/cli/main.js daemon …` when the build exists)
 *   and `GET /api/health` polled every 5 ms until it answers 200; the time from the spawn to that
 *   200. The first start is on a fresh config dir (it writes the token and the default profile),
 *   the restarts (5, quick 3) on the same dir;
 * - first request against warm: right after a restart (of `dist` when built, else `tsx`), the first
 *   `GET /api/status`, the first WebSocket connect → `hello`, and the first activation
 *   (`POST /api/profiles/default/activate`), then the same operations warm (median of 20). This
 *   client's own code (fetch, ws) is warmed on the first start beforehand, so the first figures
 *   are the daemon's cold paths.
 *
 * Running from the sources through tsx compiles TypeScript at start; the built `dist/` does not.
 * A `dist/` older than `src/` still runs, but is not the code in the tree (a progress line says so).
 *
 * The seed (KeyRx v0.1.1, keyrx-daemon-performance-report.md §2E) reports the first API call at
 * 156 ms cold / 47 ms warm, the first WebSocket connection 89 / 42 ms, activation 189 / 127 ms.
 *
 * Flags: --quick (3 restarts), --json (the result as JSON on stdout).
 */
import { table } from './support.ts';
import { CLI, ROOT, cleanEnv, daemonArgs } from '../test/support/daemon-process.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import fs, { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

const DIST_CLI = join(ROOT, 'dist/src/cli/main.js');

// ---------------------------------------------------------------- results

export interface StartupBenchResult {
  node: string;
  runtimes: {
    runtime: 'tsx' | 'dist';
    /** spawn → the first 200 from GET /api/health, on a fresh config dir */
    firstStartMs: number;
    /** the same, restarting on that dir */
    restartMs: { samples: number; median: number; min: number; max: number };
  }[];
  /** right after a restart: each operation's first time */
  firstRequest: { statusMs: number; wsHelloMs: number; activationMs: number };
  /** the same operations afterwards, median of 20 */
  warm: { statusMs: number; wsHelloMs: number; activationMs: number };
  /**
   * spawn → the first remapped key out (A typed every 2 ms on a pipe keyboard, B read from the
   * output pipe): the first start compiles the profile, the restarts read its cache; `unmapped`
   * counts A's that came out as A (never expected). Linux only (the pipe seam of the backend).
   */
  remapLive?: {
    runtime: Runtime;
    firstStartMs: number;
    restartMs: { samples: number; median: number; min: number; max: number };
    unmapped: number;
  };
}

export const SEED = {
  version: 'KeyRx v0.1.1',
  cold: { statusMs: 156, wsHelloMs: 89, activationMs: 189 },
  warm: { statusMs: 47, wsHelloMs: 42, activationMs: 127 },
};

const POLL_MS = 5;
const START_TIMEOUT_MS = 60_000;
const WARM_SAMPLES = 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.ceil(s.length / 2) - 1];
}

// ---------------------------------------------------------------- the daemon

type Runtime = 'tsx' | 'dist';

interface Started {
  url: string;
  token: string;
  child: ChildProcess;
  /** spawn → the first 200 from /api/health */
  ms: number;
  stop(): Promise<void>;
}

/** A free loopback port (the daemon is told which, so the client can poll before it prints). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** The newest modification time of the TypeScript under src/. */
function newestSource(dir = join(ROOT, 'src')): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

async function start(runtime: Runtime, dir: string): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const entry = runtime === 'tsx' ? ['--import', 'tsx', CLI] : [DIST_CLI];
  const args = [...entry, ...daemonArgs(dir, port)];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    let ms = NaN;
    while (Number.isNaN(ms)) {
      if (gone) throw new Error(`the ${runtime} daemon exited (${child.exitCode}) before answering:\n${err}`);
      if (performance.now() - t0 > START_TIMEOUT_MS)
        throw new Error(`the ${runtime} daemon did not answer in ${START_TIMEOUT_MS} ms:\n${err}`);
      try {
        const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.status === 200) ms = performance.now() - t0;
      } catch {
        // not listening yet
      }
      if (Number.isNaN(ms)) await sleep(POLL_MS);
    }
    const token = readFileSync(join(dir, 'token'), 'utf8').trim();
    return { url, token, child, ms, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

// ---------------------------------------------------------------- remapping live (pipes)

const LIVE_PROFILE = 'device_start("*");\n  map("A", "VK_B");\ndevice_end();\n';

/** spawn → the first remapped key out, with A typed throughout (typeThroughStart). */
async function timeRemapLive(runtime: Runtime, dir: string): Promise<{ ms: number; unmapped: number }> {
  const { typeThroughStart } = await import('../test/support/pipes.ts');
  const entry = runtime === 'tsx' ? ['--import', 'tsx', CLI] : [DIST_CLI];
  const r = await typeThroughStart({
    args: [...entry, 'daemon', '--config-dir', dir, '--port', '0', '--backend', 'linux', '--no-tray'],
    env: cleanEnv({ KEYRX_LOG_LEVEL: 'warn' }),
    timeoutMs: START_TIMEOUT_MS,
  });
  return { ms: r.liveMs, unmapped: r.unmapped };
}

async function measureRemapLive(
  runtime: Runtime,
  restarts: number,
  progress: (line: string) => void,
): Promise<NonNullable<StartupBenchResult['remapLive']>> {
  const dir = mkdtempSync(join(tmpdir(), `keyrx-bench-live-${runtime}-`));
  try {
    fs.mkdirSync(join(dir, 'profiles'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(join(dir, 'profiles', 'live.rhai'), LIVE_PROFILE, { mode: 0o600 });
    fs.writeFileSync(join(dir, 'state.json'), '{"activeProfile":"live"}\n', { mode: 0o600 });
    const first = await timeRemapLive(runtime, dir);
    progress(`${runtime}: remapping live on pipes, first start (compiles) ${first.ms.toFixed(0)} ms`);
    const times: number[] = [];
    let unmapped = first.unmapped;
    for (let i = 0; i < restarts; i++) {
      const r = await timeRemapLive(runtime, dir);
      times.push(r.ms);
      unmapped += r.unmapped;
    }
    const sorted = [...times].sort((a, b) => a - b);
    progress(`${runtime}: remapping live on restarts ${sorted.map((t) => t.toFixed(0)).join(', ')} ms`);
    return {
      runtime,
      firstStartMs: first.ms,
      restartMs: {
        samples: sorted.length,
        median: median(sorted),
        min: sorted[0],
        max: sorted[sorted.length - 1],
      },
      unmapped,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the operations

async function timedCall(d: Started, method: string, path: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${d.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${d.token}` },
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${body.slice(0, 200)}`);
  return ms;
}

/** new WebSocket() → `hello`; then closed, and the close handshake awaited (untimed). */
function wsHello(d: Started): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const ws = new WebSocket(`${d.url.replace(/^http/, 'ws')}/ws`, {
      headers: { authorization: `Bearer ${d.token}` },
      perMessageDeflate: false,
    });
    let ms = NaN;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no WebSocket hello in 10 s'));
    }, 10_000);
    ws.on('error', (e) => {
      clearTimeout(timer);
      ws.terminate();
      reject(e);
    });
    ws.once('message', (data: Buffer) => {
      const env = JSON.parse(data.toString()) as { type?: string };
      if (env.type === 'hello') ms = performance.now() - t0;
      ws.close(1000);
    });
    ws.once('close', () => {
      clearTimeout(timer);
      if (Number.isNaN(ms)) reject(new Error('the first WebSocket message was not hello'));
      else resolve(ms);
    });
  });
}

interface Ops {
  statusMs: number;
  wsHelloMs: number;
  activationMs: number;
}

async function ops(d: Started): Promise<Ops> {
  return {
    statusMs: await timedCall(d, 'GET', '/api/status'),
    wsHelloMs: await wsHello(d),
    activationMs: await timedCall(d, 'POST', '/api/profiles/default/activate'),
  };
}

async function warmOps(d: Started, samples: number): Promise<Ops> {
  const status: number[] = [];
  const hello: number[] = [];
  const activation: number[] = [];
  for (let i = 0; i < samples; i++) status.push(await timedCall(d, 'GET', '/api/status'));
  for (let i = 0; i < samples; i++) hello.push(await wsHello(d));
  for (let i = 0; i < samples; i++)
    activation.push(await timedCall(d, 'POST', '/api/profiles/default/activate'));
  return { statusMs: median(status), wsHelloMs: median(hello), activationMs: median(activation) };
}

// ---------------------------------------------------------------- the benchmark

export async function runStartupBench(
  opts: { quick?: boolean; progress?: (line: string) => void } = {},
): Promise<StartupBenchResult> {
  const restarts = opts.quick === true ? 3 : 5;
  const progress = opts.progress ?? (() => undefined);
  const runtimes: Runtime[] = existsSync(DIST_CLI) ? ['tsx', 'dist'] : ['tsx'];
  if (runtimes.includes('dist') && statSync(DIST_CLI).mtimeMs < newestSource())
    progress(
      'note: dist/ is older than some of src/ (npm run build): the dist figures are of that older build',
    );
  const measured: Runtime = runtimes[runtimes.length - 1];

  const dirs: string[] = [];
  let running: Started | null = null;
  try {
    const result: StartupBenchResult['runtimes'] = [];
    let firstRequest: Ops | null = null;
    let warm: Ops | null = null;
    for (const runtime of runtimes) {
      const dir = mkdtempSync(join(tmpdir(), `keyrx-bench-startup-${runtime}-`));
      dirs.push(dir);
      running = await start(runtime, dir);
      const firstStartMs = running.ms;
      // warms this client's fetch and ws code, so the first figures later are the daemon's
      await ops(running);
      await running.stop();
      running = null;
      progress(`${runtime}: first start (fresh dir ${dir}) ${firstStartMs.toFixed(0)} ms`);

      const times: number[] = [];
      for (let i = 0; i < restarts; i++) {
        running = await start(runtime, dir);
        times.push(running.ms);
        if (runtime === measured && i === restarts - 1) {
          firstRequest = await ops(running);
          warm = await warmOps(running, WARM_SAMPLES);
          progress(
            `${runtime}: first status ${firstRequest.statusMs.toFixed(1)} ms, WebSocket hello ${firstRequest.wsHelloMs.toFixed(1)} ms, activation ${firstRequest.activationMs.toFixed(1)} ms`,
          );
        }
        await running.stop();
        running = null;
      }
      const sorted = [...times].sort((a, b) => a - b);
      result.push({
        runtime,
        firstStartMs,
        restartMs: {
          samples: sorted.length,
          median: median(sorted),
          min: sorted[0],
          max: sorted[sorted.length - 1],
        },
      });
      progress(`${runtime}: restarts ${sorted.map((t) => t.toFixed(0)).join(', ')} ms`);
    }
    if (!firstRequest || !warm) throw new Error('no first-request figures were taken');
    const remapLive =
      process.platform === 'linux' ? await measureRemapLive(measured, restarts, progress) : undefined;
    return { node: process.version, runtimes: result, firstRequest, warm, remapLive };
  } finally {
    await running?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

const ms = (n: number, digits = 1): string => `${n.toFixed(digits)} ms`;

export function formatStartupBench(r: StartupBenchResult): string {
  const measured = r.runtimes[r.runtimes.length - 1]?.runtime ?? 'tsx';
  const op = (label: string, key: keyof StartupBenchResult['warm']): string[] => [
    label,
    ms(r.firstRequest[key]),
    ms(r.warm[key]),
    `${SEED.cold[key]} ms / ${SEED.warm[key]} ms`,
  ];
  return [
    `keyrx cold start against warm: node ${r.node}; loopback; nothing pinned`,
    '',
    table(
      ['runtime', 'first start (fresh dir)', 'restart median', 'min', 'max', 'restarts'],
      r.runtimes.map((x) => [
        x.runtime,
        ms(x.firstStartMs, 0),
        ms(x.restartMs.median, 0),
        ms(x.restartMs.min, 0),
        ms(x.restartMs.max, 0),
        String(x.restartMs.samples),
      ]),
    ),
    `  spawn → the first 200 from GET /api/health (polled every ${POLL_MS} ms); tsx compiles the TypeScript sources at start, dist is the build`,
    '',
    table(
      [
        'operation',
        'first after start',
        `warm (median of ${WARM_SAMPLES})`,
        `seed cold / warm (${SEED.version})`,
      ],
      [
        op('GET /api/status', 'statusMs'),
        op('WebSocket connect → hello', 'wsHelloMs'),
        op('POST /api/profiles/default/activate', 'activationMs'),
      ],
    ),
    `  first: right after a restart of the ${measured} runtime (the .krx cache on disk is valid: the first activation`,
    '  is the fresh process, not a compile); seed: keyrx-daemon-performance-report.md §2E',
    ...(r.remapLive
      ? [
          '',
          table(
            ['remapping live', 'first start (compiles)', 'restart median', 'min', 'max', 'unmapped keys out'],
            [
              [
                r.remapLive.runtime,
                ms(r.remapLive.firstStartMs, 0),
                ms(r.remapLive.restartMs.median, 0),
                ms(r.remapLive.restartMs.min, 0),
                ms(r.remapLive.restartMs.max, 0),
                String(r.remapLive.unmapped),
              ],
            ],
          ),
          '  spawn → the first B out of the output pipe while A is typed every 2 ms on a pipe keyboard (linux backend,',
          '  KEYRX_PIPE_FDS); restarts read the verified cache and remap before the API loads. Goal: < 1 s',
        ]
      : []),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes('--json');
  const r = await runStartupBench({
    quick: process.argv.includes('--quick'),
    progress: json ? undefined : (line) => console.error(`… ${line}`),
  });
  console.log(json ? JSON.stringify(r, null, 2) : formatStartupBench(r));
}
