/**
 * `npm run bench:ws`: the WebSocket event stream (`GET /ws`, docs/websocket.md) under load, against
 * a daemon this benchmark starts itself (child process, temp config dir, virtual backend, 127.0.0.1).
 *
 * - connection: TCP connect → `hello`, WebSocket open → first message, → `snapshot`, and
 *   `subscribe` → `ack`, over sequential fresh connections (the first one, cold, apart);
 * - broadcast latency with 50 and 500 `key` subscribers: each keystroke is injected alone
 *   (POST /api/inject?instant=true) and every subscriber's receipt is timed from the injection,
 *   and from the event's own `time` (the daemon's input thread) to the receipt. The next keystroke
 *   goes once every subscriber has the last one; in between (outside what is timed) this process
 *   collects its young garbage, so that its own collector's pauses (tens of ms on a busy CPU) are
 *   not counted as the daemon's latency;
 * - throughput: a steady stream (POSTs of 500 events back to back) to 50 and 500 subscribers,
 *   envelopes delivered per second;
 * - daemon RSS per connection with 1,000 idle connections;
 * - a stalled client (its socket paused) next to a normal one under a steady stream: the daemon's
 *   RSS growth, the time until it drops the stalled client from the stream (the bytes it has not
 *   read reach wsQueueBytes, then wsMaxLagEvents; default settings) and until its TCP connection
 *   is no longer established on the daemon's side; set against the same stream before, with a
 *   second client that reads (a stream alone moves the RSS by megabytes: the collector's rhythm).
 *
 * With taskset and at least two CPUs the daemon runs on one CPU and this load generator on
 * another. The clients all live in this process: at 500 subscribers the last one's receipt
 * includes this process reading the 499 others' frames first.
 *
 * Seed figures: KeyRx v0.1.1, keyrx-daemon-performance-report.md, section B (connection 42 ms,
 * first message 15 ms, broadcast 28 ms, subscription 22 ms), D (50 subscribers: 1,110 msg/s,
 * 45 ms avg), C (~400 B per connection), B lag detection (auto-disconnect < 100 ms), E (first
 * WebSocket connection cold 89 ms).
 *
 * Flags: --quick (fewer samples, shorter runs), --json (the result as JSON on stdout).
 */
import { affinity, int, parseCpuList, table } from './support.ts';
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { NetConnectOpts, Socket } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { daemonArgs } from '../test/support/daemon-process.ts';

const root = join(import.meta.dirname, '..');

// ---------------------------------------------------------------- results

export interface WsBenchOptions {
  /** fewer samples and shorter runs (about 40 s in all) */
  quick?: boolean;
  /** sequential connections timed (default 200; quick 50) */
  connections?: number;
  /** keystrokes timed per broadcast run (default 500, quick 200; a fifth of it above 100 subscribers) */
  injections?: number;
  /** subscriber counts for broadcast latency and throughput (default 50 and 500) */
  subscribers?: number[];
  /** idle connections for the memory figure (default 1,000) */
  idleConnections?: number;
  /** longest steady stream for the stalled client, seconds (default 30; quick 15) */
  stallSeconds?: number;
  /** pin the daemon and the load generator to different CPUs with taskset (default true) */
  pin?: boolean;
  /** progress lines (default: none) */
  progress?: (line: string) => void;
}

export interface Stats {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

export interface BroadcastRun {
  subscribers: number;
  injections: number;
  /** keystrokes sent first, not timed */
  warmup: number;
  /** POST /api/inject sent → the event received, every subscriber of every injection */
  injectToReceipt: Stats;
  /** the event's `time` (the daemon's input thread) → received */
  eventToReceipt: Stats;
  /** per injection: until the last subscriber received it */
  fanOutComplete: Stats;
}

export interface ThroughputRun {
  subscribers: number;
  /** key events injected (POSTs of 500 back to back) */
  events: number;
  /** the events' rate: injected / elapsed */
  eventsPerSec: number;
  /** envelopes received, over all subscribers */
  delivered: number;
  /** events reported lost in `lagged` messages */
  dropped: number;
  frames: number;
  bytes: number;
  elapsedMs: number;
  messagesPerSec: number;
  framesPerSec: number;
  megabytesPerSec: number;
}

export interface WsBenchResult {
  node: string;
  cpus: number;
  loadAverage: { before: number; after: number };
  pinning: { daemonCpu: number; loadCpu: number } | null;
  pinningNote: string;
  fdLimit: string;
  daemonStartupMs: number;
  connection: {
    cold: { tcpToHelloMs: number; startToHelloMs: number; openToHelloMs: number };
    /** TCP connect → hello */
    tcpToHello: Stats;
    /** new WebSocket() → hello: TCP, upgrade, hello */
    startToHello: Stats;
    /** WebSocket open (101 received) → the first message (hello) */
    openToFirstMessage: Stats;
    /** WebSocket open → snapshot (reads the engine state from the input thread) */
    openToSnapshot: Stats;
    /** subscribe sent → ack */
    subscribeToAck: Stats;
  };
  broadcast: BroadcastRun[];
  throughput: ThroughputRun[];
  idle: {
    connections: number;
    connectMs: number;
    rssBeforeBytes: number;
    rssAfterBytes: number;
    rssPerConnectionBytes: number;
    heapPerConnectionBytes: number;
  };
  stalled: {
    eventsPerSecond: number;
    streamedMs: number;
    eventsSent: number;
    /** stream start → the daemon dropped the stalled client from the stream (null: not within the bound) */
    disconnectMs: number | null;
    /** stream start → its TCP connection no longer established on the daemon's side (null: not seen) */
    tcpClosedMs: number | null;
    rssBeforeBytes: number;
    rssPeakBytes: number;
    rssAfterBytes: number;
    rssGrowthBytes: number;
    /** the daemon's JS heap, highest seen */
    heapPeakBytes: number;
    /** the same stream with only the normal client, for as long (at most 6 s), first */
    baseline: { streamedMs: number; rssGrowthBytes: number; heapPeakBytes: number };
    /**
     * then the same stream with a second client that reads, for 3 s: the RSS growth a stream
     * causes anyway (the garbage collector's rhythm), to set the stalled client's against
     */
    control: { streamedMs: number; rssGrowthBytes: number; heapPeakBytes: number };
    fastClientReceived: number;
    fastClientDropped: number;
  };
  seed: typeof SEED;
  goals: typeof GOALS;
}

export const SEED = {
  version: 'v0.1.1',
  connectMs: 42,
  firstMessageMs: 15,
  broadcastMs: 28,
  subscriptionMs: 22,
  subscribers50AvgMs: 45,
  subscribers50MsgPerSec: 1_110,
  bytesPerConnection: 400,
  lagDisconnectMs: 100,
  coldConnectMs: 89,
};

export const GOALS = {
  connectMs: 5,
  firstMessageMs: 2,
  /** event time → receipt, p99, 50 subscribers */
  broadcastP99Ms50: 5,
  messagesPerSec: 50_000,
  /** a stalled client at 10,000 events/s: dropped within, and the daemon's RSS growth meanwhile */
  stalledDropMs: 1_000,
  stalledRssBytes: 2_000_000,
};

function stats(values: number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  const pick = (p: number): number =>
    s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  return {
    samples: s.length,
    p50Ms: pick(50),
    p99Ms: pick(99),
    meanMs: s.length === 0 ? NaN : s.reduce((a, b) => a + b, 0) / s.length,
    maxMs: s[s.length - 1] ?? NaN,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** This process's garbage collector (V8 exposes it on request), or null. */
const clientGc = ((): ((o: { type: 'minor' | 'major' }) => void) | null => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as (o: { type: 'minor' | 'major' }) => void;
  } catch {
    return null;
  }
})();

/**
 * Whether the daemon's side (port `daemonPort`) of the connection from `clientPort` is still
 * established (Linux: /proc/net/tcp{,6}; null elsewhere). Once the daemon closed it (FIN sent, or
 * the socket destroyed), it is not.
 */
function established(daemonPort: number, clientPort: number): boolean | null {
  let found = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6'])
    try {
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length < 4) continue;
        const local = parseInt(f[1].split(':')[1], 16);
        const remote = parseInt(f[2].split(':')[1], 16);
        if (local === daemonPort && remote === clientPort) found ||= f[3] === '01';
      }
    } catch {
      if (file === '/proc/net/tcp') return null;
    }
  return found;
}

// ---------------------------------------------------------------- CPU pinning

/** The open-file limit of this process (Node raised its soft limit to the hard one at start). */
function fdLimit(): string {
  try {
    return execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------- the daemon

interface RunningDaemon {
  url: string;
  wsUrl: string;
  token: string;
  child: ChildProcess;
  pid: number;
  startupMs: number;
  stop(): Promise<void>;
}

async function startDaemon(dir: string, cpu: number | null): Promise<RunningDaemon> {
  const args = [
    // measurement only: SIGUSR2 runs a full garbage collection in the daemon's main thread
    '--expose-gc',
    '--import',
    `data:text/javascript,${encodeURIComponent("process.on('SIGUSR2', () => globalThis.gc?.());")}`,
    '--import',
    'tsx',
    join(root, 'src/cli/main.ts'),
    ...daemonArgs(dir),
    '--log-level',
    'warn',
  ];
  const [cmd, argv] =
    cpu === null ? [process.execPath, args] : ['taskset', ['-c', String(cpu), process.execPath, ...args]];
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('KEYRX_')) delete env[k];
  const start = performance.now();
  const child = spawn(cmd, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the daemon did not start in 60 s:\n${stderr}`)), 60_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the daemon exited with ${code}:\n${out}\n${stderr}`));
    });
  });
  const startupMs = performance.now() - start;
  child.removeAllListeners('exit');
  // the daemon must not outlive a benchmark that dies (an exception, a closed stdout)
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  return {
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/ws`,
    token: readFileSync(join(dir, 'token'), 'utf8').trim(),
    child,
    pid: child.pid!,
    startupMs,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function call<T>(d: RunningDaemon, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${d.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${d.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(data)}`);
  return data;
}

const inject = (d: RunningDaemon, events: string): Promise<unknown> =>
  call(d, 'POST', '/api/inject?instant=true', { events });

/** The daemon process's resident set, from /proc (falls back to its own report). */
async function daemonRss(d: RunningDaemon): Promise<number> {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${d.pid}/status`, 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return (await call<{ memory: { rssBytes: number } }>(d, 'GET', '/api/metrics')).memory.rssBytes;
}

/** A full garbage collection in the daemon (see startDaemon), so heap figures are live objects. */
async function collectGarbage(d: RunningDaemon): Promise<void> {
  d.child.kill('SIGUSR2');
  await sleep(300);
}

const heapUsed = async (d: RunningDaemon): Promise<number> =>
  (await call<{ memory: { heapUsedBytes: number } }>(d, 'GET', '/api/metrics')).memory.heapUsedBytes;

const wsClients = async (d: RunningDaemon): Promise<number> =>
  (await call<{ wsClients: number }>(d, 'GET', '/api/status')).wsClients;

async function waitForClients(d: RunningDaemon, n: number, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await wsClients(d)) !== n) {
    if (Date.now() > end) throw new Error(`the daemon did not reach ${n} WebSocket clients`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------- clients

const KEY_MARK = Buffer.from('"type":"key"');
const LAGGED_MARK = Buffer.from('"type":"lagged"');

function countMarks(buf: Buffer, mark: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(mark); i !== -1; i = buf.indexOf(mark, i + mark.length)) n++;
  return n;
}

interface Sub {
  ws: WebSocket;
  /** key envelopes received */
  keys: number;
  /** key events reported lost in lagged messages */
  dropped: number;
  frames: number;
  bytes: number;
  /** when set, every key envelope is parsed and passed here (latency runs) */
  onKey: ((env: { seq: number; time: number }, at: number) => void) | null;
}

interface ConnectTiming {
  start: number;
  tcp: number;
  open: number;
  hello: number;
  snapshot: number;
}

/**
 * Opens a client and resolves once its snapshot arrived. `topics` goes in the query (the
 * subscribers); the timing of each phase comes back.
 */
function openClient(d: RunningDaemon, topics: string | null): Promise<{ sub: Sub; timing: ConnectTiming }> {
  return new Promise((resolve, reject) => {
    const timing: ConnectTiming = {
      start: performance.now(),
      tcp: NaN,
      open: NaN,
      hello: NaN,
      snapshot: NaN,
    };
    const url = topics === null ? d.wsUrl : `${d.wsUrl}?topics=${topics}`;
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${d.token}` },
      perMessageDeflate: false,
      skipUTF8Validation: true,
      maxPayload: 512 * 1024 * 1024,
      createConnection: ((opts: NetConnectOpts): Socket => {
        const socket = netConnect(opts);
        socket.once('connect', () => (timing.tcp = performance.now()));
        return socket;
      }) as unknown as typeof netConnect,
    });
    const sub: Sub = { ws, keys: 0, dropped: 0, frames: 0, bytes: 0, onKey: null };
    let ready = false;
    ws.once('open', () => (timing.open = performance.now()));
    ws.on('error', (e) => {
      if (!ready) reject(e);
    });
    ws.on('message', (data: Buffer) => {
      const at = performance.now();
      sub.frames++;
      sub.bytes += data.length;
      if (!ready) {
        const env = JSON.parse(data.toString()) as { type: string };
        if (env.type === 'hello') timing.hello = at;
        else if (env.type === 'snapshot') {
          timing.snapshot = at;
          ready = true;
          resolve({ sub, timing });
        }
        return;
      }
      if (sub.onKey) {
        const parsed = JSON.parse(data.toString()) as unknown;
        for (const env of (Array.isArray(parsed) ? parsed : [parsed]) as {
          type: string;
          seq: number;
          time: number;
          data: { dropped?: number };
        }[]) {
          if (env.type === 'key') {
            sub.keys++;
            sub.onKey(env, at);
          } else if (env.type === 'lagged') sub.dropped += env.data.dropped ?? 0;
        }
        return;
      }
      sub.keys += countMarks(data, KEY_MARK);
      if (data.indexOf(LAGGED_MARK) !== -1) {
        const parsed = JSON.parse(data.toString()) as unknown;
        for (const env of (Array.isArray(parsed) ? parsed : [parsed]) as {
          type: string;
          data: { dropped?: number };
        }[])
          if (env.type === 'lagged') sub.dropped += env.data.dropped ?? 0;
      }
    });
  });
}

function request(sub: Sub, msg: Record<string, unknown>): Promise<number> {
  return new Promise((resolve) => {
    const sent = performance.now();
    const onMessage = (data: Buffer): void => {
      const text = data.toString();
      if (text.includes('"type":"ack"') && text.includes(`"id":${JSON.stringify(msg.id)}`)) {
        sub.ws.off('message', onMessage);
        resolve(performance.now() - sent);
      }
    };
    sub.ws.on('message', onMessage);
    sub.ws.send(JSON.stringify(msg));
  });
}

async function closeAll(subs: Sub[]): Promise<void> {
  await Promise.all(
    subs.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.ws.readyState === WebSocket.CLOSED) return resolve();
          s.ws.once('close', () => resolve());
          s.ws.close();
          setTimeout(() => {
            s.ws.terminate();
            resolve();
          }, 2_000).unref();
        }),
    ),
  );
}

async function openMany(d: RunningDaemon, n: number, topics: string | null): Promise<Sub[]> {
  const subs: Sub[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, () => openClient(d, topics)),
    );
    subs.push(...batch.map((b) => b.sub));
  }
  return subs;
}

async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

// ---------------------------------------------------------------- the runs

async function measureConnections(d: RunningDaemon, n: number): Promise<WsBenchResult['connection']> {
  const first = await openClient(d, null);
  const cold = {
    tcpToHelloMs: first.timing.hello - first.timing.tcp,
    startToHelloMs: first.timing.hello - first.timing.start,
    openToHelloMs: first.timing.hello - first.timing.open,
  };
  await closeAll([first.sub]);
  const tcpToHello: number[] = [];
  const startToHello: number[] = [];
  const openToHello: number[] = [];
  const openToSnapshot: number[] = [];
  const subscribe: number[] = [];
  const warmup = Math.min(20, Math.ceil(n / 5));
  for (let i = 0; i < warmup + n; i++) {
    const { sub, timing } = await openClient(d, null);
    const ackMs = await request(sub, { op: 'subscribe', id: i, topics: ['key'] });
    await closeAll([sub]);
    if (i < warmup) continue;
    tcpToHello.push(timing.hello - timing.tcp);
    startToHello.push(timing.hello - timing.start);
    openToHello.push(timing.hello - timing.open);
    openToSnapshot.push(timing.snapshot - timing.open);
    subscribe.push(ackMs);
  }
  await waitForClients(d, 0);
  return {
    cold,
    tcpToHello: stats(tcpToHello),
    startToHello: stats(startToHello),
    openToFirstMessage: stats(openToHello),
    openToSnapshot: stats(openToSnapshot),
    subscribeToAck: stats(subscribe),
  };
}

async function measureBroadcast(
  d: RunningDaemon,
  subs: Sub[],
  injections: number,
  warmup: number,
): Promise<BroadcastRun> {
  const injectToReceipt: number[] = [];
  const eventToReceipt: number[] = [];
  const fanOut: number[] = [];
  let sentAt = 0;
  let received = 0;
  let last = 0;
  let allReceived: (() => void) | null = null;
  for (const s of subs)
    s.onKey = (env, at) => {
      injectToReceipt.push(at - sentAt);
      eventToReceipt.push(((performance.timeOrigin + at) * 1000 - env.time) / 1000);
      received++;
      last = at;
      if (received === subs.length) allReceived?.();
    };
  for (let i = 0; i < warmup + injections; i++) {
    const before = { inject: injectToReceipt.length, event: eventToReceipt.length };
    received = 0;
    // waits for the receipts without polling (a polling loop would make garbage, and pauses)
    let hang: NodeJS.Timeout | undefined;
    const all = new Promise<void>((resolve, reject) => {
      allReceived = resolve;
      hang = setTimeout(
        () => reject(new Error(`timeout: ${received} of ${subs.length} subscribers got injection ${i}`)),
        10_000,
      );
    });
    sentAt = performance.now();
    await inject(d, i % 2 === 0 ? 'd:A' : 'u:A');
    await all;
    clearTimeout(hang);
    if (i < warmup) {
      injectToReceipt.length = before.inject;
      eventToReceipt.length = before.event;
    } else fanOut.push(last - sentAt);
    // between keystrokes: this process's young garbage, so its collector does not run in the next
    clientGc?.({ type: 'minor' });
  }
  for (const s of subs) s.onKey = null;
  return {
    subscribers: subs.length,
    injections,
    warmup,
    injectToReceipt: stats(injectToReceipt),
    eventToReceipt: stats(eventToReceipt),
    fanOutComplete: stats(fanOut),
  };
}

/**
 * A steady stream as fast as the daemon takes it: POSTs of `chunk` events back to back for
 * `durationMs`, then until every subscriber has every event (or was told it lost some).
 */
async function measureThroughput(
  d: RunningDaemon,
  subs: Sub[],
  durationMs: number,
  chunk = 500,
): Promise<ThroughputRun> {
  for (const s of subs) {
    s.keys = 0;
    s.dropped = 0;
    s.frames = 0;
    s.bytes = 0;
  }
  const script = 'd:A u:A '.repeat(chunk / 2);
  let events = 0;
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    await inject(d, script);
    events += chunk;
  }
  await until(
    () => subs.every((s) => s.keys + s.dropped >= events),
    120_000,
    `every subscriber got the ${events} events`,
  );
  const elapsedMs = performance.now() - start;
  const delivered = subs.reduce((n, s) => n + s.keys, 0);
  const frames = subs.reduce((n, s) => n + s.frames, 0);
  const bytes = subs.reduce((n, s) => n + s.bytes, 0);
  return {
    subscribers: subs.length,
    events,
    eventsPerSec: (events * 1000) / elapsedMs,
    delivered,
    dropped: subs.reduce((n, s) => n + s.dropped, 0),
    frames,
    bytes,
    elapsedMs,
    messagesPerSec: (delivered * 1000) / elapsedMs,
    framesPerSec: (frames * 1000) / elapsedMs,
    megabytesPerSec: bytes / 1e6 / (elapsedMs / 1000),
  };
}

async function measureIdle(d: RunningDaemon, n: number): Promise<WsBenchResult['idle']> {
  // warm the connection path up, so the figure is connections and not code being loaded
  await closeAll(await openMany(d, 50, null));
  await waitForClients(d, 0);
  await sleep(1_000);
  await collectGarbage(d);
  const rssBefore = await daemonRss(d);
  const heapBefore = await heapUsed(d);
  const start = performance.now();
  const subs = await openMany(d, n, null);
  const connectMs = performance.now() - start;
  await waitForClients(d, n);
  await sleep(2_000);
  await collectGarbage(d);
  const rssAfter = await daemonRss(d);
  const heapAfter = await heapUsed(d);
  await closeAll(subs);
  await waitForClients(d, 0);
  return {
    connections: n,
    connectMs,
    rssBeforeBytes: rssBefore,
    rssAfterBytes: rssAfter,
    rssPerConnectionBytes: (rssAfter - rssBefore) / n,
    heapPerConnectionBytes: (heapAfter - heapBefore) / n,
  };
}

const metricsMemory = async (d: RunningDaemon): Promise<{ rss: number; heap: number }> => {
  const m = (await call<{ memory: { heapUsedBytes: number } }>(d, 'GET', '/api/metrics')).memory;
  return { rss: await daemonRss(d), heap: m.heapUsedBytes };
};

interface StreamRun {
  sent: number;
  elapsedMs: number;
  rssBefore: number;
  rssPeak: number;
  heapPeak: number;
  /** stream start → the daemon had fewer clients than at the start */
  dropMs: number | null;
  /** stream start → the watched client's connection no longer established on the daemon's side */
  tcpClosedMs: number | null;
}

/**
 * A steady stream: `perInjection` events every `intervalMs`, for `durationMs`, or until 2 s
 * after the daemon dropped a client when `untilDrop`. The daemon's memory is polled every 100 ms.
 */
async function stream(
  d: RunningDaemon,
  opts: {
    perInjection: number;
    intervalMs: number;
    durationMs: number;
    untilDrop: boolean;
    /** the local port of a client whose TCP connection is watched */
    watchPort?: number;
  },
): Promise<StreamRun> {
  const clientsAtStart = await wsClients(d);
  const daemonPort = Number(new URL(d.url).port);
  const before = await metricsMemory(d);
  const run: StreamRun = {
    sent: 0,
    elapsedMs: 0,
    rssBefore: before.rss,
    rssPeak: before.rss,
    heapPeak: before.heap,
    dropMs: null,
    tcpClosedMs: null,
  };
  const script = 'd:A u:A '.repeat(opts.perInjection / 2);
  const start = performance.now();
  let end = opts.durationMs;
  let nextPoll = 0;
  while (performance.now() - start < end) {
    const tick = performance.now();
    await inject(d, script);
    run.sent += opts.perInjection;
    if (tick >= nextPoll) {
      nextPoll = tick + 100;
      const m = await metricsMemory(d);
      run.rssPeak = Math.max(run.rssPeak, m.rss);
      run.heapPeak = Math.max(run.heapPeak, m.heap);
      if (
        run.tcpClosedMs === null &&
        opts.watchPort !== undefined &&
        established(daemonPort, opts.watchPort) === false
      )
        run.tcpClosedMs = performance.now() - start;
      if (run.dropMs === null && (await wsClients(d)) < clientsAtStart) {
        run.dropMs = performance.now() - start;
        // 2 s more: what the dropped client held must not stay
        if (opts.untilDrop) end = Math.min(end, run.dropMs + 2_000);
      }
    }
    const wait = opts.intervalMs - (performance.now() - tick);
    if (wait > 0) await sleep(wait);
  }
  run.elapsedMs = performance.now() - start;
  return run;
}

async function measureStalled(d: RunningDaemon, boundMs: number): Promise<WsBenchResult['stalled']> {
  const perInjection = 200;
  const intervalMs = 20;
  const fast = (await openClient(d, 'key')).sub;
  await waitForClients(d, 1);
  // the same stream with the normal client alone: the memory any stream costs (garbage, buffers)
  const baseline = await stream(d, {
    perInjection,
    intervalMs,
    durationMs: Math.min(boundMs, 6_000),
    untilDrop: false,
  });
  await until(() => fast.keys >= baseline.sent, 30_000, 'the fast client got the baseline stream');
  const reader = (await openClient(d, 'key')).sub;
  await waitForClients(d, 2);
  const control = await stream(d, { perInjection, intervalMs, durationMs: 3_000, untilDrop: false });
  await until(() => reader.keys >= control.sent, 30_000, 'the second client got the control stream');
  await closeAll([reader]);
  await waitForClients(d, 1);
  const slow = (await openClient(d, 'key')).sub;
  await waitForClients(d, 2);
  const slowSocket = (slow.ws as unknown as { _socket: Socket })._socket;
  slowSocket.pause();
  fast.keys = 0;
  fast.dropped = 0;
  const run = await stream(d, {
    perInjection,
    intervalMs,
    durationMs: boundMs,
    untilDrop: true,
    watchPort: slowSocket.localPort,
  });
  await until(() => fast.keys + fast.dropped >= run.sent, 30_000, 'the fast client got the stream');
  await sleep(500);
  const after = await metricsMemory(d);
  slowSocket.resume();
  slow.ws.terminate();
  await closeAll([fast]);
  return {
    eventsPerSecond: (perInjection * 1000) / intervalMs,
    streamedMs: run.elapsedMs,
    eventsSent: run.sent,
    disconnectMs: run.dropMs,
    tcpClosedMs: run.tcpClosedMs,
    rssBeforeBytes: run.rssBefore,
    rssPeakBytes: run.rssPeak,
    rssAfterBytes: after.rss,
    rssGrowthBytes: run.rssPeak - run.rssBefore,
    heapPeakBytes: run.heapPeak,
    baseline: {
      streamedMs: baseline.elapsedMs,
      rssGrowthBytes: baseline.rssPeak - baseline.rssBefore,
      heapPeakBytes: baseline.heapPeak,
    },
    control: {
      streamedMs: control.elapsedMs,
      rssGrowthBytes: control.rssPeak - control.rssBefore,
      heapPeakBytes: control.heapPeak,
    },
    fastClientReceived: fast.keys,
    fastClientDropped: fast.dropped,
  };
}

// ---------------------------------------------------------------- the benchmark

export async function runWsBench(opts: WsBenchOptions = {}): Promise<WsBenchResult> {
  const quick = opts.quick === true;
  const progress = opts.progress ?? (() => undefined);
  const connections = opts.connections ?? (quick ? 50 : 200);
  const injections = opts.injections ?? (quick ? 200 : 500);
  const subscriberCounts = opts.subscribers ?? [50, 500];
  const idleConnections = opts.idleConnections ?? 1_000;
  const stallMs = (opts.stallSeconds ?? (quick ? 15 : 30)) * 1000;

  const originalAffinity = opts.pin === false ? null : affinity(process.pid);
  const allowed = originalAffinity ? parseCpuList(originalAffinity) : [];
  let pinning: WsBenchResult['pinning'] = null;
  let pinningNote: string;
  if (opts.pin === false) pinningNote = 'not pinned (pin: false)';
  else if (!originalAffinity) pinningNote = 'not pinned: taskset is not available';
  else if (allowed.length < 2) pinningNote = `not pinned: only CPU ${allowed.join(',')} is available`;
  else {
    pinning = { daemonCpu: allowed[0], loadCpu: allowed[1] };
    pinningNote = `daemon on CPU ${allowed[0]}, clients on CPU ${allowed[1]} (taskset)`;
  }

  const limit = fdLimit();
  if (/^\d+$/.test(limit) && Number(limit) < idleConnections + 200)
    throw new Error(
      `the open-file limit is ${limit}: ${idleConnections} connections need about ${idleConnections + 200} (Node raises its soft limit to the hard one; raise the hard limit: ulimit -Hn, limits.conf)`,
    );

  const loadBefore = loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'keyrx-bench-ws-'));
  let daemon: RunningDaemon | null = null;
  const open: Sub[] = [];
  try {
    if (pinning)
      try {
        execFileSync('taskset', ['-a', '-cp', String(pinning.loadCpu), String(process.pid)], {
          stdio: 'ignore',
        });
      } catch (e) {
        pinningNote = `not pinned: taskset failed (${(e as Error).message.split('\n')[0]})`;
        pinning = null;
      }
    progress(`starting the daemon on ${dir} (${pinningNote})`);
    daemon = await startDaemon(dir, pinning?.daemonCpu ?? null);
    const d = daemon;

    const connection = await measureConnections(d, connections);
    progress(
      `connections: TCP → hello p50 ${connection.tcpToHello.p50Ms.toFixed(3)} ms, subscribe → ack p50 ${connection.subscribeToAck.p50Ms.toFixed(3)} ms`,
    );

    // before the fan-out runs, which leave the daemon's heap large
    const idle = await measureIdle(d, idleConnections);
    progress(`${idleConnections} idle connections: ${Math.round(idle.rssPerConnectionBytes)} B RSS each`);

    const broadcast: BroadcastRun[] = [];
    const throughput: ThroughputRun[] = [];
    for (const n of subscriberCounts) {
      const subs = await openMany(d, n, 'key');
      open.push(...subs);
      await waitForClients(d, n);
      const b = await measureBroadcast(
        d,
        subs,
        n <= 100 ? injections : Math.ceil(injections / 5),
        n <= 100 ? 50 : 10,
      );
      broadcast.push(b);
      progress(
        `${n} subscribers: inject → receipt p50 ${b.injectToReceipt.p50Ms.toFixed(3)} ms, p99 ${b.injectToReceipt.p99Ms.toFixed(3)} ms; event time → receipt p50 ${b.eventToReceipt.p50Ms.toFixed(3)} ms, p99 ${b.eventToReceipt.p99Ms.toFixed(3)} ms`,
      );
      const t = await measureThroughput(d, subs, quick ? 1_500 : 4_000);
      throughput.push(t);
      progress(
        `${n} subscribers: ${Math.round(t.messagesPerSec).toLocaleString('en-US')} messages/s delivered, ${t.dropped} dropped`,
      );
      await closeAll(subs);
      open.length = 0;
      await waitForClients(d, 0);
    }

    const stalled = await measureStalled(d, stallMs);
    progress(
      `stalled client: dropped after ${stalled.disconnectMs === null ? '(not dropped)' : `${stalled.disconnectMs.toFixed(0)} ms`} (TCP closed after ${stalled.tcpClosedMs === null ? '(not seen)' : `${stalled.tcpClosedMs.toFixed(0)} ms`}), RSS +${(stalled.rssGrowthBytes / 1e6).toFixed(1)} MB`,
    );

    return {
      node: process.version,
      cpus: cpus().length,
      loadAverage: { before: loadBefore, after: loadavg()[0] },
      pinning,
      pinningNote,
      fdLimit: limit,
      daemonStartupMs: d.startupMs,
      connection,
      broadcast,
      throughput,
      idle,
      stalled,
      seed: SEED,
      goals: GOALS,
    };
  } finally {
    for (const s of open) s.ws.terminate();
    await daemon?.stop();
    if (originalAffinity && pinning)
      try {
        execFileSync('taskset', ['-a', '-cp', originalAffinity, String(process.pid)], { stdio: 'ignore' });
      } catch {
        // the process ends anyway
      }
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

const ms = (n: number): string => (n < 10 ? `${n.toFixed(3)} ms` : `${n.toFixed(1)} ms`);
const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

export function formatWsBench(r: WsBenchResult): string {
  const c = r.connection;
  const out: string[] = [
    `keyrx WebSocket benchmark: node ${r.node}, ${r.cpus} CPUs (load average ${r.loadAverage.before.toFixed(2)} before, ${r.loadAverage.after.toFixed(2)} after); ${r.pinningNote}; fd limit ${r.fdLimit}; loopback; daemon started in ${r.daemonStartupMs.toFixed(0)} ms`,
    '',
    `connections (${c.tcpToHello.samples} sequential, after a warm-up)`,
    table(
      ['phase', 'p50', 'p99', 'mean', 'max'],
      [
        ['TCP connect → hello', c.tcpToHello],
        ['new WebSocket() → hello', c.startToHello],
        ['open (101) → first message (hello)', c.openToFirstMessage],
        ['open (101) → snapshot', c.openToSnapshot],
        ['subscribe → ack', c.subscribeToAck],
      ].map(([name, s]) => {
        const x = s as Stats;
        return [name as string, ms(x.p50Ms), ms(x.p99Ms), ms(x.meanMs), ms(x.maxMs)];
      }),
    ),
    `  the first connection after start (cold): TCP → hello ${ms(c.cold.tcpToHelloMs)}, new WebSocket() → hello ${ms(c.cold.startToHelloMs)}`,
    '',
    `broadcast latency: one keystroke per POST /api/inject, every subscriber (key topic) timed; the next once all have it (warm-up ${r.broadcast.map((b) => b.warmup).join('/')} keystrokes, not timed)${clientGc ? '' : ' (this process could not collect its garbage between keystrokes)'}`,
    table(
      [
        'subscribers',
        'injections',
        'inject→receipt p50',
        'p99',
        'event time→receipt p50',
        'p99',
        'all received p50',
        'p99',
      ],
      r.broadcast.map((b) => [
        String(b.subscribers),
        String(b.injections),
        ms(b.injectToReceipt.p50Ms),
        ms(b.injectToReceipt.p99Ms),
        ms(b.eventToReceipt.p50Ms),
        ms(b.eventToReceipt.p99Ms),
        ms(b.fanOutComplete.p50Ms),
        ms(b.fanOutComplete.p99Ms),
      ]),
      0,
    ),
    '',
    'throughput: POSTs of 500 key events back to back, every event counted at every subscriber',
    table(
      [
        'subscribers',
        'events',
        'events/s',
        'delivered',
        'dropped',
        'elapsed',
        'messages/s',
        'frames/s',
        'MB/s',
      ],
      r.throughput.map((t) => [
        String(t.subscribers),
        int(t.events),
        int(t.eventsPerSec),
        int(t.delivered),
        int(t.dropped),
        ms(t.elapsedMs),
        int(t.messagesPerSec),
        int(t.framesPerSec),
        t.megabytesPerSec.toFixed(1),
      ]),
      0,
    ),
    '',
    `idle connections: ${r.idle.connections} opened in ${ms(r.idle.connectMs)}; daemon RSS ${mb(r.idle.rssBeforeBytes)} → ${mb(r.idle.rssAfterBytes)}: ${int(r.idle.rssPerConnectionBytes)} B per connection (JS heap ${int(r.idle.heapPerConnectionBytes)} B)`,
    `stalled client (socket paused) beside a normal one, ${int(r.stalled.eventsPerSecond)} events/s: ${
      r.stalled.disconnectMs === null
        ? `NOT dropped within ${ms(r.stalled.streamedMs)}`
        : `dropped ${ms(r.stalled.disconnectMs)} after the stream started (TCP closed on the daemon's side: ${r.stalled.tcpClosedMs === null ? 'not seen' : `after ${ms(r.stalled.tcpClosedMs)}`})`
    }; the normal client got ${int(r.stalled.fastClientReceived)} of ${int(r.stalled.eventsSent)} (${int(r.stalled.fastClientDropped)} dropped)`,
    `  daemon RSS ${mb(r.stalled.rssBeforeBytes)} → peak ${mb(r.stalled.rssPeakBytes)} (+${(r.stalled.rssGrowthBytes / 1e6).toFixed(1)} MB) → ${mb(r.stalled.rssAfterBytes)} after, JS heap peak ${mb(r.stalled.heapPeakBytes)}`,
    `  the same stream before it: with the normal client alone (${ms(r.stalled.baseline.streamedMs)}) RSS +${(r.stalled.baseline.rssGrowthBytes / 1e6).toFixed(1)} MB, heap peak ${mb(r.stalled.baseline.heapPeakBytes)}; then with a second client that reads (${ms(r.stalled.control.streamedMs)}) RSS +${(r.stalled.control.rssGrowthBytes / 1e6).toFixed(1)} MB, heap peak ${mb(r.stalled.control.heapPeakBytes)}`,
  ];

  const check = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const b50 = r.broadcast.find((b) => b.subscribers === 50);
  const t50 = r.throughput.find((t) => t.subscribers === 50);
  const rows: string[][] = [
    [
      'connection (TCP → hello), p99',
      `${r.seed.connectMs} ms`,
      ms(c.tcpToHello.p99Ms),
      `< ${r.goals.connectMs} ms`,
      check(c.tcpToHello.p99Ms < r.goals.connectMs),
    ],
    [
      'first message (open → hello), p99',
      `${r.seed.firstMessageMs} ms`,
      ms(c.openToFirstMessage.p99Ms),
      `< ${r.goals.firstMessageMs} ms`,
      check(c.openToFirstMessage.p99Ms < r.goals.firstMessageMs),
    ],
    [
      'subscription setup (subscribe → ack), p99',
      `${r.seed.subscriptionMs} ms`,
      ms(c.subscribeToAck.p99Ms),
      '',
      '',
    ],
  ];
  if (b50)
    rows.push(
      [
        'broadcast, 50 subscribers (inject → receipt), p99',
        `${r.seed.broadcastMs} ms`,
        ms(b50.injectToReceipt.p99Ms),
        '',
        '',
      ],
      [
        'broadcast, 50 subscribers (event time → receipt), p99',
        '',
        ms(b50.eventToReceipt.p99Ms),
        `< ${r.goals.broadcastP99Ms50} ms`,
        check(b50.eventToReceipt.p99Ms < r.goals.broadcastP99Ms50),
      ],
      [
        '50 subscribers, mean latency',
        `${r.seed.subscribers50AvgMs} ms`,
        ms(b50.injectToReceipt.meanMs),
        '',
        '',
      ],
    );
  for (const b of r.broadcast.filter((x) => x.subscribers !== 50))
    rows.push([`broadcast, ${b.subscribers} subscribers, p99`, '-', ms(b.injectToReceipt.p99Ms), '', '']);
  if (t50)
    rows.push([
      'messages/s delivered, 50 subscribers',
      int(r.seed.subscribers50MsgPerSec),
      int(t50.messagesPerSec),
      `≥ ${int(r.goals.messagesPerSec)}`,
      check(t50.messagesPerSec >= r.goals.messagesPerSec),
    ]);
  for (const t of r.throughput.filter((x) => x.subscribers !== 50))
    rows.push([`messages/s delivered, ${t.subscribers} subscribers`, '-', int(t.messagesPerSec), '', '']);
  rows.push(
    [
      `memory per connection (${int(r.idle.connections)} idle, daemon RSS)`,
      `~${r.seed.bytesPerConnection} B`,
      `${int(r.idle.rssPerConnectionBytes)} B (heap ${int(r.idle.heapPerConnectionBytes)} B)`,
      '',
      '',
    ],
    [
      'stalled client dropped (from the stream start)',
      `< ${r.seed.lagDisconnectMs} ms*`,
      r.stalled.disconnectMs === null ? 'not dropped' : ms(r.stalled.disconnectMs),
      `< ${int(r.goals.stalledDropMs)} ms`,
      check(r.stalled.disconnectMs !== null && r.stalled.disconnectMs < r.goals.stalledDropMs),
    ],
    [
      '  its TCP connection closed by the daemon',
      '',
      r.stalled.tcpClosedMs === null ? 'not seen' : ms(r.stalled.tcpClosedMs),
      `< ${int(r.goals.stalledDropMs)} ms`,
      check(r.stalled.tcpClosedMs !== null && r.stalled.tcpClosedMs < r.goals.stalledDropMs),
    ],
    [
      '  daemon RSS growth meanwhile',
      '',
      `${(r.stalled.rssGrowthBytes / 1e6).toFixed(1)} MB`,
      `< ${r.goals.stalledRssBytes / 1e6} MB`,
      check(r.stalled.rssGrowthBytes < r.goals.stalledRssBytes),
    ],
    [
      '  (the same stream with a reading client instead)',
      '',
      `${(r.stalled.control.rssGrowthBytes / 1e6).toFixed(1)} MB`,
      '',
      '',
    ],
    [
      'first connection, cold (new WebSocket() → hello)',
      `${r.seed.coldConnectMs} ms`,
      ms(c.cold.startToHelloMs),
      '',
      '',
    ],
  );
  out.push(
    '',
    table(['comparison', `seed (${r.seed.version})`, 'keyrx', 'goal', ''], rows),
    '  seed figures: keyrx-daemon-performance-report.md, sections B, C, D and E',
    '  * the seed counts from the third lag event; here the clock starts with the stream, so it includes sending',
    '    the stalled client wsQueueBytes that it does not read (into the loopback socket buffers) before any lag',
  );
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes('--json');
  const r = await runWsBench({
    quick: process.argv.includes('--quick'),
    progress: json ? undefined : (line) => console.error(`… ${line}`),
  });
  console.log(json ? JSON.stringify(r, null, 2) : formatWsBench(r));
}
