/**
 * Load and soak (issue #9 §4), shared by `soak.test.ts` (10 s, in `npm test`) and `run-full.ts`
 * (60 s, `npm run test:soak`).
 *
 * A real daemon process on 127.0.0.1 gets, at the same time:
 * - 1,000 WebSocket clients: a few taking every event and reading (one of them parses every key
 *   event for the latency figures), some subscribed to the key path's keys only (a filter), most
 *   with the default topics (latency reports), and stalled ones that never read — half of them
 *   `ws` clients whose socket is paused, half raw TCP clients that completed the upgrade;
 * - a steady REST load: autocannon at a fixed rate (500 req/s) over eight GET/POST routes;
 * - injected keys (`POST /api/inject`): the key path, 100 events/s of taps through the active
 *   profile, and a bulk stream on another device whose presses type 8 keys each (large events),
 *   which the stalled clients take and the filtered readers do not. A stalled client must fill
 *   the loopback socket buffers (about 4 MB each) before the daemon sees it lag, so the bulk
 *   stream runs at 2,000 events/s during the warm-up and 200/s after it.
 *
 * The warm-up lasts at least `warmupSec` and until every stalled client is gone; then the steady
 * load runs for `durationSec − warmupSec`. Measured: 5xx replies and request errors, the process
 * staying up (and exiting with 0 on SIGTERM), stalled clients dropped by the lag rule (server
 * side: the hub's client count, before the 30 s heartbeat could have; client side: the close each
 * stalled client finds when it reads again), the daemon's RSS (GET /api/metrics every second)
 * after the warm-up and at the end, and the key-path latency (the events' latencyUs, and
 * GET /api/metrics). The daemon runs with `wsQueueBytes` at its minimum (64 KiB), which bounds
 * what it holds for each stalled client.
 */
import { execFileSync, execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { DaemonProcess } from '../support/daemon-process.ts';
import { spawnDaemon } from '../support/daemon-process.ts';

export interface SoakOptions {
  /** the run: the warm-up, then durationSec − warmupSec of steady load */
  durationSec: number;
  /**
   * the least load before the "after warm-up" RSS sample; the warm-up also lasts until every
   * stalled client is gone (the bulk stream runs at full rate until then)
   */
  warmupSec: number;
  /** the longest warm-up (default warmupSec + 30 s): stalled clients still there then fail the run */
  maxWarmupSec?: number;
  /** WebSocket clients in all (lowered to fit the open-file limit) */
  clients?: number;
  /** of which stalled (half paused `ws` clients, half raw TCP) */
  stalled?: number;
  /** of which subscribed to every key event and reading */
  keyReaders?: number;
  /** of which subscribed to the key path's keys only */
  filteredReaders?: number;
  /** REST requests per second (autocannon, 10 connections) */
  restRate?: number;
  /** key-path events per second (taps through the active profile) */
  keyEventsPerSec?: number;
  /** bulk key events per second on another device during the warm-up (what fills the stalled clients' buffers) */
  bulkEventsPerSec?: number;
  /** bulk key events per second after the warm-up */
  steadyBulkEventsPerSec?: number;
  /** daemon settings for the run */
  settings?: Record<string, unknown>;
  progress?: (line: string) => void;
}

export interface Latency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SoakResult {
  /** how long the load ran, warm-up included */
  durationSec: number;
  warmupSec: number;
  /** when the warm-up ended (s after the load started; null: it did not, the stalled clients stayed) */
  warmupEndSec: number | null;
  /** clients asked for (more than `clients.total` when the open-file limit was too low) */
  requestedClients: number;
  /** daemon settings changed for the run (the others are the defaults) */
  settings: Record<string, unknown>;
  openFileLimit: { before: number; after: number; needed: number };
  clients: { total: number; stalled: number; keyReaders: number; filteredReaders: number; idle: number };
  connectMs: number;
  rest: {
    rate: number;
    requests: number;
    '2xx': number;
    non2xx: number;
    '5xx': number;
    errors: number;
    timeouts: number;
  };
  inject: {
    posts: number;
    failed: number;
    serverErrors: number;
    keyPathEvents: number;
    bulkEvents: number;
    /** ticks skipped because 4 injections were still in flight (the daemon fell behind) */
    skipped: number;
  };
  /** the process stayed up during the run and exited with 0 on SIGTERM */
  crashed: boolean;
  exit: { code: number | null; signal: string | null };
  stalled: {
    total: number;
    /** the hub's count fell by every stalled client (seconds after the load started; null: not within the run) */
    allDroppedAtSec: number | null;
    /** stalled clients that found their connection closed by the daemon when they read again */
    closedByServer: number;
    closeCodes: Record<string, number>;
  };
  /** reading clients: lag messages and closes; key events the latency reader got after the warm-up */
  readers: { lagged: number; dropped: number; latencyReaderEvents: number };
  rss: { warmupBytes: number; endBytes: number; maxBytes: number; changePct: number; samples: number };
  /**
   * latencyUs of the key events the latency reader got after the warm-up: the key path's
   * (taps through the active profile) and all (the bulk device's included); GET /api/metrics
   * (latencyUs since the start) at the end
   */
  latency: { keyPath: Latency; all: Latency; metrics: Latency };
  /** wsClients the daemon counted at the end (the non-stalled clients) */
  wsClientsAtEnd: number;
}

interface AutocannonResult {
  requests: { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  '5xx': number;
}
type Autocannon = (
  opts: Record<string, unknown>,
  cb: (err: Error | null, res: AutocannonResult) => void,
) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const BULK_KEYS = Array.from({ length: 12 }, (_, i) => `F${i + 1}`);
const PROFILE = `// the bulk device: every press types 8 keys, so its key events are large (16 outputs)
device_start("bulk");
${BULK_KEYS.map((k) => `  sequence("${k}", ["VK_A", "VK_B", "VK_C", "VK_D", "VK_E", "VK_F", "VK_G", "VK_H"]);`).join('\n')}
device_end();
// the key path: a tap-hold, a layer and simple remaps
device_start("*");
  tap_hold("CapsLock", "VK_Escape", "MD_00", 200);
  map("A", "VK_B");
  map("Q", "VK_W");
  when_start("MD_00");
    map("H", "VK_Left");
  when_end();
device_end();
`;
const KEY_PATH_KEYS = ['A', 'Q', 'CapsLock', 'H'];
/**
 * What `keyrx monitor` asks for by default. Clients that take every event share one frame per
 * flush; a client with a narrower selection gets its own copy of each frame.
 */
const ALL_TOPICS = 'topics=key,state,latency,profile,device,error';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summarize(values: number[]): Latency {
  const s = [...values].sort((a, b) => a - b);
  return { count: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? 0 };
}

/** The soft open-file limit; raised to the hard limit with prlimit when it is too low. */
function openFileLimit(needed: number): { before: number; after: number } {
  const read = (): number => {
    const text = execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim();
    return text === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(text);
  };
  const before = read();
  if (before >= needed) return { before, after: before };
  try {
    // the soft limit up to the hard one; the daemon, spawned after this, inherits it
    const hard = execSync('ulimit -Hn', { shell: '/bin/sh' }).toString().trim();
    execFileSync('prlimit', [`--pid=${process.pid}`, `--nofile=${hard}:`], { stdio: 'ignore' });
  } catch {
    // cannot raise it: fewer clients
  }
  return { before, after: read() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.progress ?? (() => undefined);
  const restRate = opts.restRate ?? 500;
  const keyEventsPerSec = opts.keyEventsPerSec ?? 100;
  const bulkEventsPerSec = opts.bulkEventsPerSec ?? 2000;
  const steadyBulkEventsPerSec = opts.steadyBulkEventsPerSec ?? 200;
  const requestedClients = opts.clients ?? 1000;
  let total = requestedClients;
  // each process holds one descriptor per client, plus its own (workers, pipes, files, autocannon)
  const needed = total + 256;
  const limit = openFileLimit(needed);
  if (limit.after < needed) total = Math.max(50, limit.after - 256);
  const stalledCount = Math.min(opts.stalled ?? Math.round(total / 10), total);
  const keyReaderCount = Math.min(opts.keyReaders ?? 10, total - stalledCount);
  const filteredCount = Math.min(
    opts.filteredReaders ?? Math.round(total / 5),
    total - stalledCount - keyReaderCount,
  );
  const idleCount = total - stalledCount - keyReaderCount - filteredCount;

  const dir = mkdtempSync(join(tmpdir(), 'keyrx-soak-'));
  let d: DaemonProcess | null = null;
  const sockets: Socket[] = [];
  const wsClients: WebSocket[] = [];
  try {
    d = await spawnDaemon({ dir, timeoutMs: 120_000 });
    const daemon = d;
    const url = d.url;
    const token = d.token;
    const port = Number(new URL(url).port);
    let stopping = false;
    let crashedDuringRun = false;
    void d.exited.then(() => (crashedDuringRun = !stopping));

    const api = async (method: string, path: string, body?: unknown) => {
      const r = await daemon.api(method, path, body);
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json;
    };
    const settings = { wsQueueBytes: 65_536, ...opts.settings };
    await api('PATCH', '/api/settings', settings);
    await api('PUT', '/api/profiles/default', { source: PROFILE });
    await api('POST', '/api/profiles/default/activate');
    await api('POST', '/api/inject?instant=true', { events: 'd:A u:A dev:bulk d:F1 u:F1' });
    log(
      `daemon ${url}; ${total} clients: ${stalledCount} stalled, ${keyReaderCount} key readers, ${filteredCount} filtered, ${idleCount} idle; open files ${limit.after}`,
    );

    // ------------------------------------------------------------ clients
    const readers = { lagged: 0, dropped: 0, keyEvents: 0 };
    const keyPathLatencies: number[] = [];
    const allLatencies: number[] = [];
    let measuring = false;
    const connectStart = performance.now();
    const open = (query: string, onMessage: (data: Buffer) => void, reader = true): Promise<WebSocket> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?${query}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        wsClients.push(ws);
        let frames = 0;
        ws.on('message', (data: Buffer) => {
          frames++;
          if (frames === 2) resolve(ws); // hello, snapshot
          onMessage(data);
        });
        ws.on('close', () => {
          if (reader && !stopping && frames >= 2) readers.dropped++;
        });
        ws.once('error', reject);
      });
    const countLag = (data: Buffer): void => {
      if (data.subarray(0, 20).toString().startsWith('{"type":"lagged"')) readers.lagged++;
    };
    const jobs: (() => Promise<unknown>)[] = [];
    // the latency reader parses everything
    jobs.push(() =>
      open(ALL_TOPICS, (data) => {
        countLag(data);
        if (!measuring) return;
        const parsed = JSON.parse(String(data));
        for (const e of Array.isArray(parsed) ? parsed : [parsed])
          if (e.type === 'key') {
            readers.keyEvents++;
            if (e.data.action === 'timeout' || e.data.action === 'release-all') continue;
            allLatencies.push(e.data.latencyUs);
            if (e.data.device === 'virtual') keyPathLatencies.push(e.data.latencyUs);
          }
      }),
    );
    for (let i = 1; i < keyReaderCount; i++) jobs.push(() => open(ALL_TOPICS, countLag));
    for (let i = 0; i < filteredCount; i++)
      jobs.push(async () => {
        const ws = await open('topics=key,state', countLag);
        ws.send(
          JSON.stringify({
            op: 'subscribe',
            id: 1,
            topics: [],
            filter: { devices: ['virtual'], keys: KEY_PATH_KEYS },
          }),
        );
        return ws;
      });
    for (let i = 0; i < idleCount; i++) jobs.push(() => open('', countLag));
    const stalled: { closed: Promise<string>; resume: () => void }[] = [];
    for (let i = 0; i < stalledCount; i++)
      jobs.push(async () => {
        if (i % 2 === 0) {
          // a `ws` client whose socket stops being read after the snapshot
          let resolveClose: (how: string) => void = () => undefined;
          const closed = new Promise<string>((r) => (resolveClose = r));
          const ws = await open(ALL_TOPICS, () => undefined, false);
          ws.on('close', (code) => resolveClose(`close ${code}`));
          const socket = (ws as unknown as { _socket: Socket })._socket;
          socket.pause();
          stalled.push({ closed, resume: () => socket.resume() });
        } else {
          // raw TCP: completes the upgrade, then never reads
          const socket = connect(port, '127.0.0.1');
          sockets.push(socket);
          socket.on('error', () => undefined);
          const closed = new Promise<string>((r) => socket.on('close', () => r('TCP closed (raw)')));
          await new Promise<void>((resolve, reject) => {
            let buf = '';
            const onData = (b: Buffer): void => {
              buf += b.toString('latin1');
              if (buf.includes('\r\n\r\n')) {
                socket.off('data', onData);
                if (!buf.startsWith('HTTP/1.1 101'))
                  reject(new Error(`upgrade refused: ${buf.slice(0, 80)}`));
                socket.pause();
                resolve();
              }
            };
            socket.on('data', onData);
            socket.write(
              `GET /ws?${ALL_TOPICS} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
            );
          });
          stalled.push({
            closed,
            resume: () => {
              socket.on('data', () => undefined);
              socket.resume();
            },
          });
        }
      });
    for (let i = 0; i < jobs.length; i += 50) await Promise.all(jobs.slice(i, i + 50).map((j) => j()));
    const connectMs = performance.now() - connectStart;
    const status = await api('GET', '/api/status');
    log(
      `${total} clients connected in ${(connectMs / 1000).toFixed(1)} s; the daemon counts ${status.wsClients}`,
    );
    if (status.wsClients !== total)
      throw new Error(`the daemon counts ${status.wsClients} clients, not ${total}`);

    // ------------------------------------------------------------ load
    const inject = { posts: 0, failed: 0, serverErrors: 0, keyPathEvents: 0, bulkEvents: 0, skipped: 0 };
    const started = Date.now();
    const steadyMs = Math.max(0, opts.durationSec - opts.warmupSec) * 1000;
    // until the warm-up ends, the run may last up to maxWarmupSec; then the steady part follows
    let endAt = started + (opts.maxWarmupSec ?? opts.warmupSec + 30) * 1000;
    const post = async (
      events: string,
      count: number,
      kind: 'keyPathEvents' | 'bulkEvents',
    ): Promise<void> => {
      try {
        const res = await fetch(`${url}/api/inject?instant=true`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
          signal: AbortSignal.timeout(30_000),
        });
        await res.arrayBuffer();
        inject.posts++;
        if (res.status >= 500) inject.serverErrors++;
        if (res.status === 200) inject[kind] += count;
        else inject.failed++;
      } catch {
        inject.failed++;
      }
    };
    /** one POST per period, up to 4 in flight: a fixed rate, not one request after the other */
    const injectLoop = async (
      periodMs: () => number,
      events: string,
      count: number,
      kind: 'keyPathEvents' | 'bulkEvents',
    ) => {
      const inFlight = new Set<Promise<void>>();
      let next = Date.now();
      while (Date.now() < endAt && !crashedDuringRun) {
        if (inFlight.size < 4) {
          const p: Promise<void> = post(events, count, kind).finally(() => inFlight.delete(p));
          inFlight.add(p);
        } else inject.skipped++;
        next += periodMs();
        await sleep(Math.max(0, next - Date.now()));
      }
      await Promise.all(inFlight);
    };
    // key path: 10 events a POST (taps, a hold through the layer); bulk: 240 events a POST
    const keyBatch = 'd:A u:A d:Q u:Q d:CapsLock u:CapsLock d:CapsLock d:H u:H u:CapsLock';
    const keyPeriod = (10 * 1000) / keyEventsPerSec;
    const round = `${BULK_KEYS.map((k) => `d:${k}`).join(' ')} ${BULK_KEYS.map((k) => `u:${k}`).join(' ')} `;
    const bulkPerPost = BULK_KEYS.length * 2 * 10;
    const bulkBatch = `dev:bulk ${round.repeat(10)}`;
    // the bulk stream at full rate until the stalled clients are gone, then at the steady rate
    const bulkPeriod = () => (bulkPerPost * 1000) / (measuring ? steadyBulkEventsPerSec : bulkEventsPerSec);
    let restRun: { stop(): void } | undefined;
    const rest = new Promise<AutocannonResult>((resolve, reject) => {
      restRun = autocannon(
        {
          url,
          connections: 50,
          overallRate: restRate,
          // stopped with the rest of the load
          duration: 3600,
          timeout: 30,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          requests: [
            { method: 'GET', path: '/api/status' },
            { method: 'GET', path: '/api/profiles' },
            { method: 'GET', path: '/api/metrics' },
            { method: 'GET', path: '/api/state' },
            { method: 'GET', path: '/api/devices' },
            { method: 'GET', path: '/api/output?limit=100' },
            { method: 'GET', path: '/api/profiles/default' },
            {
              method: 'POST',
              path: '/api/simulate',
              body: JSON.stringify({ events: 'd:CapsLock t:300 d:H u:H u:CapsLock' }),
            },
          ],
        },
        (err, res) => (err ? reject(err) : resolve(res)),
      ) as { stop(): void };
    });
    const rss: { t: number; bytes: number }[] = [];
    const metricsLatency: Latency[] = [];
    let allDroppedAtSec: number | null = null;
    let warmupBytes = 0;
    let warmupEndSec: number | null = null;
    const sampler = (async () => {
      while (Date.now() < endAt && !crashedDuringRun) {
        await sleep(1000);
        try {
          const m = await api('GET', '/api/metrics');
          const t = (Date.now() - started) / 1000;
          rss.push({ t, bytes: m.memory.rssBytes });
          metricsLatency.push({
            count: m.latencyUs.count,
            p50: m.latencyUs.p50,
            p99: m.latencyUs.p99,
            max: m.latencyUs.max,
          });
          if (allDroppedAtSec === null && m.wsClients <= total - stalledCount) allDroppedAtSec = t;
          // the warm-up ends when its time is up and every stalled client is gone
          if (!measuring && t >= opts.warmupSec && allDroppedAtSec !== null) {
            measuring = true;
            warmupBytes = m.memory.rssBytes;
            warmupEndSec = t;
            endAt = Date.now() + steadyMs;
          }
          log(
            `t=${t.toFixed(0)}s rss ${(m.memory.rssBytes / 1e6).toFixed(0)} MB, heap ${(m.memory.heapUsedBytes / 1e6).toFixed(0)} MB, ws clients ${m.wsClients}, events/s ${m.eventsPerSecond}, key p99 ${m.latencyWindowUs.p99} µs`,
          );
        } catch (e) {
          log(`metrics failed: ${(e as Error).message}`);
        }
      }
    })();
    await Promise.all([
      injectLoop(() => keyPeriod, keyBatch, 10, 'keyPathEvents'),
      injectLoop(bulkPeriod, bulkBatch, bulkPerPost, 'bulkEvents'),
      sampler,
    ]);
    restRun?.stop();
    const restResult = await rest;
    const ranSec = (Date.now() - started) / 1000;
    measuring = false;
    const end = await api('GET', '/api/metrics');
    const endBytes = end.memory.rssBytes;
    rss.push({ t: (Date.now() - started) / 1000, bytes: endBytes });
    const wsClientsAtEnd = end.wsClients as number;
    if (allDroppedAtSec === null && wsClientsAtEnd <= total - stalledCount)
      allDroppedAtSec = (Date.now() - started) / 1000;

    // ------------------------------------------------------------ the stalled clients read again
    for (const s of stalled) s.resume();
    const closeCodes: Record<string, number> = {};
    let closedByServer = 0;
    await Promise.all(
      stalled.map(async (s) => {
        let timer: NodeJS.Timeout | undefined;
        const how = await Promise.race([
          s.closed,
          new Promise<string>((r) => (timer = setTimeout(() => r('still open'), 30_000))),
        ]);
        clearTimeout(timer);
        closeCodes[how] = (closeCodes[how] ?? 0) + 1;
        if (how !== 'still open') closedByServer++;
      }),
    );

    // ------------------------------------------------------------ the daemon afterwards
    const health = await fetch(`${url}/api/health`)
      .then((r) => r.status)
      .catch(() => 0);
    stopping = true;
    for (const ws of wsClients) ws.terminate();
    for (const s of sockets) s.destroy();
    const exit = await (async () => {
      const exited = daemon.exited;
      await daemon.stop(10_000);
      return exited;
    })();
    const warm = warmupBytes || endBytes;
    return {
      durationSec: ranSec,
      warmupSec: opts.warmupSec,
      warmupEndSec,
      requestedClients,
      settings,
      openFileLimit: { ...limit, needed },
      clients: {
        total,
        stalled: stalledCount,
        keyReaders: keyReaderCount,
        filteredReaders: filteredCount,
        idle: idleCount,
      },
      connectMs,
      rest: {
        rate: restRate,
        requests: restResult.requests.total,
        '2xx': restResult['2xx'],
        non2xx: restResult.non2xx,
        '5xx': restResult['5xx'],
        errors: restResult.errors,
        timeouts: restResult.timeouts,
      },
      inject,
      crashed: crashedDuringRun || health !== 200 || exit.code !== 0,
      exit: { code: exit.code, signal: exit.signal },
      stalled: { total: stalledCount, allDroppedAtSec, closedByServer, closeCodes },
      readers: { lagged: readers.lagged, dropped: readers.dropped, latencyReaderEvents: readers.keyEvents },
      rss: {
        warmupBytes: warm,
        endBytes,
        maxBytes: Math.max(...rss.map((r) => r.bytes)),
        changePct: ((endBytes - warm) / warm) * 100,
        samples: rss.length,
      },
      latency: {
        keyPath: summarize(keyPathLatencies),
        all: summarize(allLatencies),
        metrics: metricsLatency[metricsLatency.length - 1] ?? { count: 0, p50: 0, p99: 0, max: 0 },
      },
      wsClientsAtEnd,
    };
  } finally {
    for (const ws of wsClients) ws.terminate();
    for (const s of sockets) s.destroy();
    await d?.stop(10_000);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures as a table, for run-full.ts and the test log. */
export function formatSummary(r: SoakResult): string {
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const int = (n: number) => n.toLocaleString('en-US');
  const rows: [string, string][] = [
    [
      'duration',
      `${r.durationSec.toFixed(0)} s of load: warm-up ${r.warmupEndSec === null ? '(did not end)' : `${r.warmupEndSec.toFixed(0)} s`} (at least ${r.warmupSec} s, until the stalled clients are gone), then steady`,
    ],
    [
      'WebSocket clients',
      `${int(r.clients.total)}${r.clients.total < r.requestedClients ? ` (of ${int(r.requestedClients)} asked: the open-file limit)` : ''}: ${r.clients.keyReaders} key readers, ${r.clients.filteredReaders} filtered, ${r.clients.idle} idle, ${r.clients.stalled} stalled`,
    ],
    [
      'open-file limit (needed)',
      `${int(r.openFileLimit.before)} → ${int(r.openFileLimit.after)} (${int(r.openFileLimit.needed)})`,
    ],
    ['clients connected in', `${(r.connectMs / 1000).toFixed(1)} s`],
    [
      'daemon settings',
      `${Object.entries(r.settings)
        .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
        .join(', ')}; the others default`,
    ],
    [
      'REST (autocannon, 8 routes)',
      `${int(r.rest.requests)} requests, ${int(Math.round(r.rest.requests / r.durationSec))}/s (rate limit ${r.rest.rate}/s): ${int(r.rest['2xx'])} 2xx, ${r.rest.non2xx} non-2xx, ${r.rest['5xx']} 5xx, ${r.rest.errors} errors, ${r.rest.timeouts} timeouts`,
    ],
    [
      'keys injected (POST /api/inject)',
      `key path ${int(r.inject.keyPathEvents)} (${int(Math.round(r.inject.keyPathEvents / r.durationSec))}/s), bulk ${int(r.inject.bulkEvents)} (${int(Math.round(r.inject.bulkEvents / r.durationSec))}/s) in ${int(r.inject.posts)} POSTs; ${r.inject.failed} failed, ${r.inject.serverErrors} 5xx, ${r.inject.skipped} ticks skipped`,
    ],
    ['server errors (5xx)', String(r.rest['5xx'] + r.inject.serverErrors)],
    [
      'crashes',
      r.crashed ? `1 (exit ${r.exit.code ?? r.exit.signal})` : `0 (exit ${r.exit.code} on SIGTERM)`,
    ],
    [
      'stalled clients dropped',
      `${r.stalled.closedByServer} of ${r.stalled.total} (${Object.entries(r.stalled.closeCodes)
        .map(([k, v]) => `${v} × ${k}`)
        .join(
          ', ',
        )}); all gone from the hub after ${r.stalled.allDroppedAtSec === null ? '(not within the run)' : `${r.stalled.allDroppedAtSec.toFixed(0)} s`}`,
    ],
    ['reading clients: lagged / dropped', `${r.readers.lagged} / ${r.readers.dropped}`],
    ['ws clients at the end', `${r.wsClientsAtEnd} (of ${r.clients.total - r.clients.stalled} not stalled)`],
    [
      'daemon RSS after warm-up → end (max)',
      `${mb(r.rss.warmupBytes)} → ${mb(r.rss.endBytes)} (${r.rss.changePct >= 0 ? '+' : ''}${r.rss.changePct.toFixed(1)} %; max ${mb(r.rss.maxBytes)}; ${r.rss.samples} samples)`,
    ],
    [
      'key-path latency, key path events',
      `p50 ${r.latency.keyPath.p50} µs, p99 ${r.latency.keyPath.p99} µs, max ${r.latency.keyPath.max} µs (${int(r.latency.keyPath.count)} events after the warm-up)`,
    ],
    [
      'key-path latency, all key events',
      `p50 ${r.latency.all.p50} µs, p99 ${r.latency.all.p99} µs, max ${r.latency.all.max} µs (${int(r.latency.all.count)} events after the warm-up)`,
    ],
    [
      'key-path latency, GET /api/metrics (run)',
      `p50 ${r.latency.metrics.p50} µs, p99 ${r.latency.metrics.p99} µs, max ${r.latency.metrics.max} µs (${int(r.latency.metrics.count)} events)`,
    ],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

/** What the soak must show; an empty list when it passed. */
export function violations(r: SoakResult): string[] {
  const out: string[] = [];
  if (r.rest['5xx'] + r.inject.serverErrors > 0)
    out.push(`${r.rest['5xx'] + r.inject.serverErrors} server errors`);
  if (r.rest.errors + r.rest.timeouts + r.inject.failed > 0)
    out.push(
      `${r.rest.errors} request errors, ${r.rest.timeouts} timeouts, ${r.inject.failed} failed injections`,
    );
  if (r.rest.non2xx > 0) out.push(`${r.rest.non2xx} non-2xx REST replies`);
  if (r.crashed) out.push(`the daemon crashed or did not exit cleanly (${JSON.stringify(r.exit)})`);
  if (r.stalled.closedByServer !== r.stalled.total)
    out.push(
      `${r.stalled.total - r.stalled.closedByServer} of ${r.stalled.total} stalled clients were not dropped`,
    );
  if (r.stalled.allDroppedAtSec === null)
    out.push('the hub still counted stalled clients at the end of the run');
  // a client that never answers pings is also dropped after 30 s: the lag rule must come first
  else if (r.stalled.allDroppedAtSec >= 30 - r.connectMs / 1000)
    out.push(
      `stalled clients were dropped after ${r.stalled.allDroppedAtSec} s: by the heartbeat, not the lag rule`,
    );
  if (r.warmupEndSec === null) out.push('the warm-up did not end (stalled clients stayed)');
  else if (r.rss.endBytes > r.rss.warmupBytes * 1.2)
    out.push(`RSS grew by ${r.rss.changePct.toFixed(1)} % after the warm-up (bound: 20 %)`);
  if (r.latency.keyPath.count === 0) out.push('no key-path events were received');
  return out;
}
