/**
 * `npm run bench:pipeline`: key-path latency through the daemon's real input thread, on a host
 * without /dev/uinput.
 *
 * The daemon runs as a child process (Daemon + the HTTP server, as `keyrx daemon` runs them) with
 * the linux backend on pipes (LinuxBackendOptions.pipes): one pipe is the keyboard, carrying
 * 24-byte input_event records, another receives the output reports. Everything between them is
 * the production code path — the input thread's LinuxBackend.runLoop: ppoll → read → the engine
 * (EngineHost, the active profile) → one write per report — then monitoring records to the main
 * thread, the event hub and WebSocket clients. Only the ioctls of real devices are skipped.
 *
 * A driver thread in this process types: it stamps each record with CLOCK_MONOTONIC (the origin
 * the kernel's event time would be), writes it, waits in ppoll for the output report and reads it
 * back. Two figures per event:
 *   - daemon: record time → after the output write, as the input thread measures it (each key
 *     event's `latencyUs`, received by one WebSocket client subscribed to `key`);
 *   - end to end: record time → the driver has read the report (adds the driver's own wake-up).
 *
 * Phases: the floor (the same pipes, calls and pinning through an echo process with no keyrx
 * code: what this machine's scheduler costs by itself), warm-up, idle (nothing else running), then
 * under load: GET /api/status with autocannon
 * at a bounded rate (default 2,500 req/s) plus 100 WebSocket clients subscribed to `key` events,
 * each of which must receive every key. Goals: daemon p99 < 100 µs idle, and under load ≤ 1.5×
 * the idle p99. With --pin (taskset, two CPUs) the daemon runs on one CPU and this process
 * (driver, load) on another.
 *
 * Flags: --quick (fewer events), --json (the result as JSON on stdout), --pin.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort } from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
import { libc, pipe, POLLIN } from '../test/support/pipes.ts';
import { startWorker } from '../src/daemon/worker-url.ts';
import { eventTimeUs } from '../src/platform/linux/codec.ts';
import { monotonicUs } from '../src/platform/types.ts';

const require = createRequire(import.meta.url);
const SELF = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------- options and results

export interface PipelineBenchOptions {
  /** fewer events (about 20 s in all) */
  quick?: boolean;
  /** measured key events per phase (default 4,000; quick 1,000) */
  events?: number;
  /** warm-up events before the first phase (default 2,000; quick 600) */
  warmup?: number;
  /** mean gap between key events in µs, ±50 % jitter (default 5,000: 200 events/s) */
  intervalUs?: number;
  /** API load: requests per second (autocannon overallRate; default 2,500) */
  requestsPerSec?: number;
  /** WebSocket clients subscribed to key events during the load phase (default 100) */
  wsClients?: number;
  /**
   * Pin the daemon (and the floor's echo) to one CPU and this process (driver, load) to another
   * with taskset (default false: every event then crosses CPUs, which on a VM mostly measures the
   * hypervisor's wake-up IPIs; the floor phase shows how much).
   */
  pin?: boolean;
  /** progress lines (default: none) */
  progress?: (line: string) => void;
}

export interface LatencyFigures {
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface PhaseResult {
  events: number;
  durationSec: number;
  /** record time → after the output write, measured by the input thread (µs) */
  daemonUs: LatencyFigures;
  /** record time → the driver read the output report back (µs) */
  endToEndUs: LatencyFigures;
  /** output reports that did not come back within 1 s */
  missing: number;
}

export interface LoadPhaseResult extends PhaseResult {
  api: {
    path: string;
    targetPerSec: number;
    requests: number;
    perSec: number;
    errors: number;
    non2xx: number;
  };
  ws: {
    clients: number;
    /** key events each client should have received */
    expectedEach: number;
    /** clients that received every key event */
    complete: number;
    received: number;
    lagged: number;
    messagesPerSec: number;
  };
}

export interface PipelineBenchResult {
  node: string;
  cpus: number;
  pinning: { daemonCpu: number; loadCpu: number } | null;
  pinningNote: string;
  loadAverage: { before: number; after: number };
  daemonStartupMs: number;
  profile: string;
  intervalUs: number;
  /** the same pipes and calls through an echo process with no keyrx code: this machine's floor */
  floor: PhaseResult;
  idle: PhaseResult;
  load: LoadPhaseResult;
  /** load p99 / idle p99, daemon figures */
  p99Ratio: number;
  goals: { idleP99Us: number; loadRatio: number; idleMet: boolean; loadMet: boolean };
  /** GET /api/metrics at the end: the daemon's own histogram over every event of the run */
  daemonMetrics: { count: number; p50: number; p99: number; max: number };
}

const GOAL_IDLE_P99_US = 100;
const GOAL_LOAD_RATIO = 1.5;
const KEYBOARD = { name: 'bench pipe keyboard', vendor: 0xbe0c, product: 0x0001 };

/** 26 letter remaps (Colemak) and a tap-hold layer: every letter press and release emits one report. */
const PROFILE = `// bench profile: Colemak letters, CapsLock tap Escape / hold navigation
device_start("*");
map("E", "VK_F"); map("R", "VK_P"); map("T", "VK_G"); map("Y", "VK_J"); map("U", "VK_L");
map("I", "VK_U"); map("O", "VK_Y"); map("P", "VK_Semicolon"); map("S", "VK_R"); map("D", "VK_S");
map("F", "VK_T"); map("G", "VK_D"); map("J", "VK_N"); map("K", "VK_E"); map("L", "VK_I");
map("Semicolon", "VK_O"); map("N", "VK_K");
tap_hold("CapsLock", "VK_Escape", "MD_00", 200);
when_start("MD_00");
map("H", "VK_Left"); map("J", "VK_Down"); map("K", "VK_Up"); map("L", "VK_Right");
when_end();
device_end();
`;
/** the keys the driver types, in turn: letters (A..Z by Linux code) */
const TYPED = [
  30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38, 50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17, 45, 21, 44,
];

// ---------------------------------------------------------------- pipes and the driver thread

type ToDriver = { t: 'run'; inFd: number; outFd: number; events: number; intervalUs: number; first: number };
type FromDriver = { t: 'done'; endToEnd: number[]; missing: number };

/** The driver (a worker thread): types `events` key events and times each output report. */
function driverThread(): void {
  const port = parentPort!;
  const { ppoll } = libc();
  const record = Buffer.alloc(48);
  const readBuf = Buffer.alloc(4096);
  const pollfd = Buffer.alloc(8);
  const timeout = Buffer.alloc(16);
  timeout.writeBigInt64LE(1n, 0); // 1 s
  const wait = new Int32Array(new SharedArrayBuffer(4));
  port.on('message', (msg: ToDriver) => {
    const endToEnd: number[] = [];
    let missing = 0;
    pollfd.writeInt32LE(msg.outFd, 0);
    pollfd.writeInt16LE(POLLIN, 4);
    let due = monotonicUs();
    for (let i = msg.first; i < msg.first + msg.events; i++) {
      due += msg.intervalUs * (0.5 + Math.random());
      const sleepMs = (due - monotonicUs()) / 1000;
      if (sleepMs > 0) Atomics.wait(wait, 0, 0, sleepMs);
      const code = TYPED[(i >> 1) % TYPED.length];
      const t = monotonicUs();
      // struct input_event: timeval (the event time), type, code, value; then SYN_REPORT
      record.writeBigInt64LE(BigInt(Math.floor(t / 1e6)), 0);
      record.writeBigInt64LE(BigInt(t % 1e6), 8);
      record.writeUInt16LE(1, 16);
      record.writeUInt16LE(code, 18);
      record.writeInt32LE(i % 2 === 0 ? 1 : 0, 20);
      record.copy(record, 24, 0, 16);
      fs.writeSync(msg.inFd, record);
      pollfd.writeInt16LE(0, 6);
      if (ppoll(pollfd, 1, timeout) <= 0) {
        missing++;
        continue;
      }
      let n = 0;
      try {
        n = fs.readSync(msg.outFd, readBuf, 0, readBuf.length, null);
      } catch {
        // EAGAIN: woken without data (not expected)
      }
      if (n > 0) endToEnd.push(monotonicUs() - t);
      else missing++;
    }
    port.postMessage({ t: 'done', endToEnd, missing } satisfies FromDriver);
  });
}

class Driver {
  private readonly worker: Worker;
  private typed = 0;
  constructor() {
    this.worker = startWorker(import.meta.url, 'pipeline.bench');
    this.worker.unref();
  }
  /** Types `events` key events into `inFd`, each followed by reading its report from `outFd`. */
  run(inFd: number, outFd: number, events: number, intervalUs: number): Promise<FromDriver> {
    const msg: ToDriver = { t: 'run', inFd, outFd, events, intervalUs, first: this.typed };
    this.typed += events;
    return new Promise((resolve, reject) => {
      this.worker.once('message', (m: FromDriver) => resolve(m));
      this.worker.once('error', reject);
      this.worker.postMessage(msg);
    });
  }
  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

// ---------------------------------------------------------------- the floor: an echo (child process)

/**
 * Child mode: the same ppoll → read → write on fds 3 → 4 with no keyrx code at all, to show what
 * this machine's scheduler and pipes cost by themselves. At EOF it prints each event's
 * record time → after-the-write latency (µs) as JSON.
 */
function echoChild(): void {
  const c = libc();
  const pollfd = Buffer.alloc(8);
  pollfd.writeInt32LE(3, 0);
  pollfd.writeInt16LE(POLLIN, 4);
  const buf = Buffer.alloc(4096);
  const latencies: number[] = [];
  process.stdout.write('ready\n');
  for (;;) {
    pollfd.writeInt16LE(0, 6);
    c.ppoll(pollfd, 1, null);
    const n = c.read(3, buf, buf.length);
    if (n === 0) break;
    if (n < 0) continue; // EAGAIN
    const stamp = eventTimeUs(buf, 0);
    c.write(4, buf, n);
    latencies.push(monotonicUs() - stamp);
  }
  process.stdout.write(`${JSON.stringify(latencies)}\n`);
}

/** Runs the floor phase: an echo child (on the daemon's CPU when pinned) instead of the daemon. */
async function floorPhase(
  driver: Driver,
  cpu: number | null,
  warmup: number,
  events: number,
  intervalUs: number,
): Promise<PhaseResult> {
  const [inRead, inWrite] = pipe();
  const [outRead, outWrite] = pipe();
  const args = ['--import', 'tsx', SELF, '--echo-child'];
  const [cmd, argv] =
    cpu === null ? [process.execPath, args] : ['taskset', ['-c', String(cpu), process.execPath, ...args]];
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit', inRead, outWrite] });
  fs.closeSync(inRead);
  fs.closeSync(outWrite);
  let out = '';
  const lines: string[] = [];
  let wake: () => void = () => undefined;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      lines.push(out.slice(0, nl));
      out = out.slice(nl + 1);
      wake();
    }
  });
  const line = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (lines.length > 0) resolve(lines.shift()!);
      };
      wake = check;
      child.once('exit', (code) => reject(new Error(`the echo process exited (${code})`)));
      check();
    });
  try {
    await line(); // ready
    const t0 = performance.now();
    const r = await driver.run(inWrite, outRead, warmup + events, intervalUs);
    const durationSec = (performance.now() - t0) / 1000;
    fs.closeSync(inWrite); // EOF: the echo prints its figures
    const latencies = JSON.parse(await line()) as number[];
    return {
      events,
      durationSec: Math.round(durationSec * 100) / 100,
      daemonUs: figures(latencies.slice(warmup)),
      endToEndUs: figures(r.endToEnd.slice(warmup)),
      missing: r.missing,
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.closeSync(outRead);
    try {
      fs.closeSync(inWrite);
    } catch {
      // closed above
    }
  }
}

// ---------------------------------------------------------------- the daemon (child process)

/** Child mode: the daemon with the linux backend on fds 3 (keyboard) and 4 (output). */
async function daemonChild(dir: string): Promise<void> {
  const { pino } = await import('pino');
  const { Daemon } = await import('../src/daemon/daemon.ts');
  const { buildServer } = await import('../src/server/app.ts');
  const logger = pino({ level: 'warn' }, pino.destination({ dest: 2, sync: false }));
  const daemon = new Daemon({
    configDir: dir,
    logger,
    linuxPipes: { devices: [{ fd: 3, ...KEYBOARD }], output: 4 },
  });
  await daemon.start('linux');
  const { app } = await buildServer(daemon, { auth: true, logger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port, token: daemon.token })}\n`);
  const stop = (): void => {
    void daemon
      .stop()
      .then(() => app.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

interface ChildDaemon {
  child: ChildProcess;
  port: number;
  token: string;
  startupMs: number;
  stderr: () => string;
}

async function spawnPipeDaemon(
  dir: string,
  inRead: number,
  outWrite: number,
  cpu: number | null,
): Promise<ChildDaemon> {
  const args = ['--import', 'tsx', SELF, '--daemon-child', dir];
  const [cmd, argv] =
    cpu === null ? [process.execPath, args] : ['taskset', ['-c', String(cpu), process.execPath, ...args]];
  const start = performance.now();
  // fds 3 and 4 of the child: the keyboard pipe's read end, the output pipe's write end
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe', inRead, outWrite] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the daemon did not start within 30 s: ${err}`)), 30_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the daemon exited during start (${code}): ${err}`));
    });
  });
  const { port, token } = JSON.parse(line) as { port: number; token: string };
  return { child, port, token, startupMs: performance.now() - start, stderr: () => err };
}

async function api(d: ChildDaemon, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${d.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${d.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

// ---------------------------------------------------------------- WebSocket clients and autocannon

interface KeyClient {
  ws: WebSocket;
  keys: number;
  lagged: number;
  latencies: number[] | null;
}

/** A client subscribed to key events; `record` keeps each event's latencyUs. */
function keyClient(d: ChildDaemon, record: boolean): Promise<KeyClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${d.port}/ws?topics=key`, {
    headers: { authorization: `Bearer ${d.token}` },
  });
  const c: KeyClient = { ws, keys: 0, lagged: 0, latencies: record ? [] : null };
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data) => {
      const parsed = JSON.parse(String(data)) as unknown;
      for (const env of (Array.isArray(parsed) ? parsed : [parsed]) as { type: string; data: unknown }[]) {
        if (env.type === 'snapshot') resolve(c);
        else if (env.type === 'lagged') c.lagged++;
        else if (env.type === 'key') {
          const k = env.data as { action: string; latencyUs: number };
          if (k.action !== 'press' && k.action !== 'release') continue;
          c.keys++;
          c.latencies?.push(k.latencyUs);
        }
      }
    });
  });
}

interface AutocannonResult {
  duration: number;
  errors: number;
  non2xx: number;
  requests: { total: number };
}
interface AutocannonInstance {
  on(event: 'done', fn: (r: AutocannonResult) => void): void;
  stop(): void;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  overallRate: number;
  duration: number;
  headers: Record<string, string>;
}) => AutocannonInstance;

// ---------------------------------------------------------------- statistics

function figures(values: number[]): LatencyFigures {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number): number =>
    s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
  return {
    samples: s.length,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: s.length ? s[s.length - 1] : NaN,
    mean: s.length ? Math.round((s.reduce((a, b) => a + b, 0) / s.length) * 10) / 10 : NaN,
  };
}

function affinity(): number[] | null {
  try {
    const out = execFileSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8', stdio: 'pipe' });
    const list = /:\s*([\d,\s-]+)\s*$/.exec(out)?.[1].trim() ?? '';
    const cpusAllowed: number[] = [];
    for (const part of list.split(',')) {
      const [a, b] = part.trim().split('-').map(Number);
      if (Number.isInteger(a)) for (let c = a; c <= (Number.isInteger(b) ? b : a); c++) cpusAllowed.push(c);
    }
    return cpusAllowed;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- the benchmark

export async function runPipelineBench(opts: PipelineBenchOptions = {}): Promise<PipelineBenchResult> {
  const quick = opts.quick === true;
  const events = opts.events ?? (quick ? 1_000 : 4_000);
  const warmup = opts.warmup ?? (quick ? 600 : 2_000);
  const intervalUs = opts.intervalUs ?? 5_000;
  const rate = opts.requestsPerSec ?? 2_500;
  const wsCount = opts.wsClients ?? 100;
  const progress = opts.progress ?? (() => undefined);

  let pinning: PipelineBenchResult['pinning'] = null;
  let pinningNote: string;
  const allowed = opts.pin === true ? affinity() : null;
  const original = allowed ? allowed.join(',') : '';
  if (opts.pin !== true) pinningNote = 'not pinned (--pin pins the daemon and the load to different CPUs)';
  else if (!allowed) pinningNote = 'not pinned: taskset is not available';
  else if (allowed.length < 2) pinningNote = `not pinned: only CPU ${original} is available`;
  else {
    pinning = { daemonCpu: allowed[0], loadCpu: allowed[1] };
    pinningNote = `daemon pinned to CPU ${allowed[0]}; driver, autocannon and WebSocket clients to CPU ${allowed[1]}`;
  }

  const loadBefore = loadavg()[0];
  const dir = fs.mkdtempSync(join(tmpdir(), 'keyrx-bench-pipeline-'));
  const [inRead, inWrite] = pipe();
  const [outRead, outWrite] = pipe();
  let daemon: ChildDaemon | null = null;
  let driver: Driver | null = null;
  const clients: KeyClient[] = [];
  try {
    if (pinning)
      execFileSync('taskset', ['-a', '-cp', String(pinning.loadCpu), String(process.pid)], {
        stdio: 'ignore',
      });
    driver = new Driver();
    progress(`floor: ${events} events through an echo process with no keyrx code (${pinningNote})`);
    const floor = await floorPhase(driver, pinning?.daemonCpu ?? null, warmup, events, intervalUs);
    progress(`  p50 ${floor.daemonUs.p50} µs, p99 ${floor.daemonUs.p99} µs`);
    daemon = await spawnPipeDaemon(dir, inRead, outWrite, pinning?.daemonCpu ?? null);
    fs.closeSync(inRead); // the child has them now
    fs.closeSync(outWrite);
    const d = daemon;
    progress(`daemon up in ${Math.round(d.startupMs)} ms`);
    await api(d, 'POST', '/api/profiles', { name: 'bench', source: PROFILE });
    await api(d, 'POST', '/api/profiles/bench/activate');
    const recorder = await keyClient(d, true);
    clients.push(recorder);

    const phase = async (n: number): Promise<PhaseResult> => {
      recorder.latencies = [];
      recorder.keys = 0;
      const t0 = performance.now();
      const r = await driver!.run(inWrite, outRead, n, intervalUs);
      const durationSec = (performance.now() - t0) / 1000;
      const want = n - r.missing;
      for (let i = 0; i < 200 && recorder.keys < want; i++) await new Promise((res) => setTimeout(res, 10));
      return {
        events: n,
        durationSec: Math.round(durationSec * 100) / 100,
        daemonUs: figures(recorder.latencies),
        endToEndUs: figures(r.endToEnd),
        missing: r.missing,
      };
    };

    progress(`warm-up: ${warmup} key events`);
    await phase(warmup);
    progress(`idle: ${events} key events, ${Math.round(1e6 / intervalUs)}/s`);
    const idle = await phase(events);
    progress(
      `  daemon p50 ${idle.daemonUs.p50} µs, p99 ${idle.daemonUs.p99} µs; end to end p99 ${idle.endToEndUs.p99} µs`,
    );

    progress(`load: ${wsCount} WebSocket clients on key events, GET /api/status at ${rate} req/s`);
    for (let i = 0; i < wsCount; i++) clients.push(await keyClient(d, false));
    const autocannon = require('autocannon') as Autocannon;
    const cannon = autocannon({
      url: `http://127.0.0.1:${d.port}/api/status`,
      connections: 10,
      overallRate: rate,
      duration: 3600,
      headers: { authorization: `Bearer ${d.token}` },
    });
    const cannonDone = new Promise<AutocannonResult>((resolve) => cannon.on('done', resolve));
    await new Promise((res) => setTimeout(res, 1000)); // the load reaches its rate first
    const before = clients.slice(1).map((c) => c.keys);
    const laggedBefore = clients.slice(1).reduce((a, c) => a + c.lagged, 0);
    const loaded = await phase(events);
    for (let i = 0; i < 200 && clients.slice(1).some((c, j) => c.keys - before[j] < recorder.keys); i++)
      await new Promise((res) => setTimeout(res, 10));
    cannon.stop();
    const cannonResult = await cannonDone;
    const received = clients.slice(1).map((c, j) => c.keys - before[j]);
    const load: LoadPhaseResult = {
      ...loaded,
      api: {
        path: '/api/status',
        targetPerSec: rate,
        requests: cannonResult.requests.total,
        perSec: Math.round(cannonResult.requests.total / cannonResult.duration),
        errors: cannonResult.errors,
        non2xx: cannonResult.non2xx,
      },
      ws: {
        clients: wsCount,
        expectedEach: recorder.keys,
        complete: received.filter((k) => k >= recorder.keys).length,
        received: received.reduce((a, b) => a + b, 0),
        lagged: clients.slice(1).reduce((a, c) => a + c.lagged, 0) - laggedBefore,
        messagesPerSec: Math.round(received.reduce((a, b) => a + b, 0) / loaded.durationSec),
      },
    };
    progress(
      `  daemon p50 ${load.daemonUs.p50} µs, p99 ${load.daemonUs.p99} µs; end to end p99 ${load.endToEndUs.p99} µs`,
    );
    const metrics = (await api(d, 'GET', '/api/metrics')) as {
      latencyUs: PipelineBenchResult['daemonMetrics'];
    };
    const p99Ratio = Math.round((load.daemonUs.p99 / idle.daemonUs.p99) * 100) / 100;
    return {
      node: process.version,
      cpus: cpus().length,
      pinning,
      pinningNote,
      loadAverage: { before: loadBefore, after: loadavg()[0] },
      daemonStartupMs: Math.round(d.startupMs),
      profile: 'Colemak letter remaps + a CapsLock tap-hold layer (every typed event emits one report)',
      intervalUs,
      floor,
      idle,
      load,
      p99Ratio,
      goals: {
        idleP99Us: GOAL_IDLE_P99_US,
        loadRatio: GOAL_LOAD_RATIO,
        idleMet: idle.daemonUs.p99 < GOAL_IDLE_P99_US,
        loadMet: p99Ratio <= GOAL_LOAD_RATIO,
      },
      daemonMetrics: {
        count: metrics.latencyUs.count,
        p50: metrics.latencyUs.p50,
        p99: metrics.latencyUs.p99,
        max: metrics.latencyUs.max,
      },
    };
  } finally {
    for (const c of clients) c.ws.terminate();
    await driver?.stop();
    if (daemon) {
      const exited = new Promise((res) => daemon!.child.once('exit', res));
      daemon.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((res) => setTimeout(res, 3000))]);
      if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    } else {
      fs.closeSync(inRead);
      fs.closeSync(outWrite);
    }
    fs.closeSync(inWrite);
    fs.closeSync(outRead);
    fs.rmSync(dir, { recursive: true, force: true });
    if (pinning) execFileSync('taskset', ['-a', '-cp', original, String(process.pid)], { stdio: 'ignore' });
  }
}

// ---------------------------------------------------------------- output

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

export function formatPipelineBench(r: PipelineBenchResult): string {
  const w = [34, 9, 9, 9, 9, 9];
  const line = (label: string, f: LatencyFigures): string =>
    row([label, String(f.samples), String(f.p50), String(f.p90), String(f.p99), String(f.max)], w);
  const check = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const floorNote =
    r.floor.daemonUs.p99 >= r.goals.idleP99Us
      ? ` (the floor's own p99, ${r.floor.daemonUs.p99} µs, is above the goal: this machine cannot meet it)`
      : '';
  return [
    `keyrx key-path latency through the input thread (pipes for the keyboard and the output), node ${r.node}, ${r.cpus} CPUs`,
    `  ${r.pinningNote}; load average ${r.loadAverage.before.toFixed(2)} → ${r.loadAverage.after.toFixed(2)}`,
    `  daemon startup ${r.daemonStartupMs} ms; profile: ${r.profile}; one event every ${r.intervalUs / 1000} ms ±50 %`,
    '',
    row(['µs', 'events', 'p50', 'p90', 'p99', 'max'], w),
    line('floor: echo (event → written)', r.floor.daemonUs),
    line('floor: end to end (event → read)', r.floor.endToEndUs),
    line('idle: daemon (event → written)', r.idle.daemonUs),
    line('idle: end to end (event → read)', r.idle.endToEndUs),
    line('load: daemon (event → written)', r.load.daemonUs),
    line('load: end to end (event → read)', r.load.endToEndUs),
    '',
    `  load: GET ${r.load.api.path} ${r.load.api.perSec} req/s (target ${r.load.api.targetPerSec}; ${r.load.api.requests} requests, ${r.load.api.errors + r.load.api.non2xx} errors);` +
      ` ${r.load.ws.clients} WebSocket clients, ${r.load.ws.complete} received all ${r.load.ws.expectedEach} key events (${r.load.ws.messagesPerSec} events/s delivered, ${r.load.ws.lagged} lagged)`,
    `  floor: the same ppoll/read/write on the same pipes in a process with no keyrx code (what this machine costs by itself)`,
    ...(r.load.api.perSec < 2_000
      ? [`  the API load reached only ${r.load.api.perSec} req/s (< 2,000): the load figures understate it`]
      : []),
    `  missing output reports: floor ${r.floor.missing}, idle ${r.idle.missing}, load ${r.load.missing}`,
    `  GET /api/metrics over the whole run: n=${r.daemonMetrics.count} p50=${r.daemonMetrics.p50} µs p99=${r.daemonMetrics.p99} µs max=${r.daemonMetrics.max} µs`,
    '',
    `  keyrx over the floor, idle: p50 +${r.idle.daemonUs.p50 - r.floor.daemonUs.p50} µs, p99 +${r.idle.daemonUs.p99 - r.floor.daemonUs.p99} µs${floorNote}`,
    `  goal: idle p99 < ${r.goals.idleP99Us} µs: ${r.idle.daemonUs.p99} µs, ${check(r.goals.idleMet)}`,
    `  goal: load p99 ≤ ${r.goals.loadRatio}× idle: ${r.p99Ratio}×, ${check(r.goals.loadMet)}`,
  ].join('\n');
}

// ---------------------------------------------------------------- entry points

if (!isMainThread) driverThread();
else if (process.argv.includes('--echo-child')) echoChild();
else if (process.argv.includes('--daemon-child'))
  await daemonChild(process.argv[process.argv.indexOf('--daemon-child') + 1]);
else if (process.argv[1] && fs.realpathSync(process.argv[1]) === SELF) {
  const json = process.argv.includes('--json');
  const r = await runPipelineBench({
    quick: process.argv.includes('--quick'),
    pin: process.argv.includes('--pin'),
    progress: json ? undefined : (line) => console.error(`… ${line}`),
  });
  console.log(json ? JSON.stringify(r, null, 2) : formatPipelineBench(r));
}
