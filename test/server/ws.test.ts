/** The WebSocket stream over real sockets on 127.0.0.1 with the `ws` client. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { TestDaemon } from './helpers.ts';
import { startTestDaemon } from './helpers.ts';
import { HANG_MS } from '../support/wait.ts';

let t: TestDaemon;
let base = '';
before(async () => {
  t = await startTestDaemon();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address() as { port: number };
  base = `127.0.0.1:${addr.port}`;
  await t.daemon.updateProfile(
    'default',
    'device_start("*");\n map("A", "VK_B");\n map("CapsLock", "MD_00");\ndevice_end();\n',
  );
});
const allClients: Client[] = [];
after(async () => {
  for (const c of allClients) c.ws.terminate();
  await t.close();
});

interface Env {
  type: string;
  seq: number;
  time: number;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A frame as received: its size and the seqs of the events in it. */
interface Frame {
  bytes: number;
  types: string[];
  seqs: number[];
}

class Client {
  readonly ws: WebSocket;
  readonly messages: Env[] = [];
  readonly frames: Frame[] = [];
  private waiters: (() => void)[] = [];
  closeCode: number | null = null;
  closed: Promise<number>;
  constructor(query = '', headers: Record<string, string> = {}) {
    this.ws = new WebSocket(`ws://${base}/ws?token=${t.token}${query}`, { headers });
    allClients.push(this);
    this.ws.on('message', (d: Buffer) => {
      const parsed = JSON.parse(String(d));
      const envs: Env[] = Array.isArray(parsed) ? parsed : [parsed];
      for (const e of envs) this.messages.push(e);
      this.frames.push({ bytes: d.length, types: envs.map((e) => e.type), seqs: envs.map((e) => e.seq) });
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }
  async until(pred: (m: Env[]) => boolean, ms = HANG_MS): Promise<void> {
    const end = Date.now() + ms;
    while (!pred(this.messages)) {
      if (Date.now() > end)
        throw new Error(`timeout; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }
  keys(): Env[] {
    return this.messages.filter((m) => m.type === 'key');
  }
}

async function inject(events: string): Promise<void> {
  await t.daemon.inject(events, { instant: true });
}

test('hello, then snapshot; key events only after subscribing; ack with the request id', async () => {
  const c = new Client();
  await c.until((m) => m.length >= 2);
  assert.equal(c.messages[0].type, 'hello');
  assert.equal(c.messages[0].data.protocol, 1);
  assert.ok(!c.messages[0].data.topics.includes('key'));
  assert.equal(c.messages[1].type, 'snapshot');
  assert.equal(c.messages[1].data.activeProfile, 'default');
  await inject('d:A u:A');
  await c.until((m) => m.some((e) => e.type === 'state' || e.type === 'device'));
  assert.equal(c.keys().length, 0, 'no key events without a subscription');
  c.send({ op: 'subscribe', id: 'sub-1', topics: ['key'] });
  await c.until((m) => m.some((e) => e.type === 'ack' && e.data.id === 'sub-1'));
  await inject('d:A u:A');
  await c.until(() => c.keys().length === 2);
  assert.deepEqual(
    c
      .keys()
      .map((k) => [k.data.key, k.data.action, k.data.outputs.map((o: { key: string }) => o.key).join()]),
    [
      ['A', 'press', 'B'],
      ['A', 'release', 'B'],
    ],
  );
  assert.equal(c.keys()[0].data.mapping, 'simple');
  assert.equal(typeof c.keys()[0].data.latencyUs, 'number');
  c.ws.close();
});

test('ordering: concurrent injections arrive with strictly increasing seqs, none lost', async () => {
  const c = new Client('&topics=key,state');
  await c.until((m) => m.some((e) => e.type === 'snapshot'));
  await Promise.all(Array.from({ length: 8 }, (_, i) => inject(`dev:kb${i} ${'d:A u:A '.repeat(50)}`)));
  await c.until(() => c.keys().length === 800);
  const seqs = c.messages.filter((m) => m.type === 'key' || m.type === 'state').map((m) => m.seq);
  for (let i = 1; i < seqs.length; i++)
    assert.ok(seqs[i] > seqs[i - 1], `seq ${seqs[i]} after ${seqs[i - 1]}`);
  c.ws.close();
});

test('resume with ?since= across a reconnect: no gap, no duplicate', async () => {
  const a = new Client('&topics=key');
  await a.until((m) => m.some((e) => e.type === 'snapshot'));
  await inject('d:A u:A d:X u:X');
  await a.until(() => a.keys().length === 4);
  const last = a.keys()[3].seq;
  a.ws.close();
  await a.closed;
  await inject('d:Y u:Y d:Z u:Z');
  const b = new Client(`&topics=key&since=${last}`);
  await b.until(() => b.keys().length === 4);
  assert.equal(b.messages[0].type, 'hello');
  assert.ok(!b.messages.some((m) => m.type === 'snapshot'), 'a resumable client gets no snapshot');
  assert.deepEqual(
    b.keys().map((k) => `${k.data.action}:${k.data.key}`),
    ['press:Y', 'release:Y', 'press:Z', 'release:Z'],
  );
  await inject('d:Q u:Q');
  await b.until(() => b.keys().length === 6);
  const seqs = b.keys().map((k) => k.seq);
  assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');
  assert.ok(seqs[0] > last);
  b.ws.close();
});

test('a since older than the ring gives a snapshot with resync: true', async () => {
  await t.daemon.patchSettings({ wsRingSize: 100 });
  const first = t.daemon.hub.currentSeq;
  await inject('d:A u:A '.repeat(150));
  const c = new Client(`&topics=key&since=${first}`);
  await c.until((m) => m.some((e) => e.type === 'snapshot'));
  assert.equal(c.messages.find((m) => m.type === 'snapshot')!.data.resync, true);
  assert.equal(c.keys().length, 0);
  c.ws.close();
  await t.daemon.patchSettings({ wsRingSize: 10_000 });
});

test('filters by device and key', async () => {
  const c = new Client();
  await c.until((m) => m.some((e) => e.type === 'snapshot'));
  c.send({ op: 'subscribe', id: 2, topics: ['key'], filter: { devices: ['left'], keys: ['A'] } });
  await c.until((m) => m.some((e) => e.type === 'ack' && e.data.id === 2));
  await inject('dev:left d:A u:A d:X u:X dev:right d:A u:A');
  await inject('dev:left d:A u:A');
  await c.until(() => c.keys().length === 4);
  assert.ok(c.keys().every((k) => k.data.device === 'left' && k.data.key === 'A'));
  c.send({ op: 'unsubscribe', id: 3, topics: ['key'] });
  await c.until((m) => m.some((e) => e.type === 'ack' && e.data.id === 3));
  await inject('dev:left d:A u:A');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(c.keys().length, 4);
  c.ws.close();
});

/** Resolves with the code the client's connection closes with, or -1 after HANG_MS (a hang). */
async function closeCode(c: Client): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<number>((resolve) => (timer = setTimeout(() => resolve(-1), HANG_MS)));
  try {
    return await Promise.race([c.closed, hang]);
  } finally {
    clearTimeout(timer);
  }
}

test('a stalled client is dropped with 4008 once the bytes it has not read pass wsQueueBytes; a reading client next to it gets everything', async () => {
  const bound = 1_048_576;
  await t.daemon.patchSettings({ wsQueueMessages: 1000, wsQueueBytes: bound, wsMaxLagEvents: 3 });
  const fast = new Client('&topics=key');
  const slow = new Client('&topics=key');
  await fast.until((m) => m.some((e) => e.type === 'snapshot'));
  await slow.until((m) => m.some((e) => e.type === 'snapshot'));
  const slowSocket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  slowSocket.pause();
  // what the stalled client had read: hello and snapshot
  const controlBytes = slow.frames.reduce((n, f) => n + f.bytes, 0);
  // 500 keys a round (about 100 KB a frame): the loopback socket buffers alone would take
  // megabytes, so the drop comes from what the daemon knows the client has not read
  let rounds = 0;
  let sent = 0;
  while (t.daemon.status().wsClients > 1 && rounds < 100) {
    await inject('d:A u:A '.repeat(250));
    rounds++;
    sent += 500;
    await fast.until(() => fast.keys().length === sent);
  }
  assert.equal(t.daemon.status().wsClients, 1, `the stalled client was dropped (after ${rounds} rounds)`);

  // It reads again: everything up to the lag, three lagged messages, the close frame.
  slowSocket.resume();
  assert.equal(await closeCode(slow), 4008);
  const lagged = slow.messages.filter((m) => m.type === 'lagged');
  assert.deepEqual(
    lagged.map((l) => l.data.consecutive),
    [1, 2, 3],
  );
  const firstLost = lagged[0].data.from;
  for (let i = 0; i < lagged.length; i++) {
    assert.ok(lagged[i].data.dropped > 0 && lagged[i].data.from <= lagged[i].data.to);
    if (i > 0) assert.ok(lagged[i].data.from > lagged[i - 1].data.to, 'lag ranges in order');
  }
  // the frames it was sent are the fast client's up to the first lost seq: bytes it never read
  const keyFrames = fast.frames.filter((f) => f.types.every((ty) => ty === 'key'));
  const before = keyFrames.filter((f) => f.seqs[f.seqs.length - 1] < firstLost);
  const unread = controlBytes + before.reduce((n, f) => n + f.bytes, 0);
  assert.ok(unread >= bound, `lagged with ${unread} bytes unread, under the bound of ${bound}`);
  assert.ok(
    unread - before[before.length - 1].bytes < bound,
    `lagged only at ${unread} bytes: one frame earlier was already over ${bound}`,
  );
  assert.deepEqual(
    slow.keys().map((k) => k.seq),
    fast
      .keys()
      .filter((k) => k.seq < firstLost)
      .map((k) => k.seq),
    'every event before the lag, none after',
  );
  // dropped at the third lag event: exactly three rounds after the bound was passed
  assert.equal(rounds, before.length + 3);

  // The reading client lost nothing, in order; the daemon goes on serving.
  assert.ok(!fast.messages.some((m) => m.type === 'lagged'), 'the reading client never lagged');
  const seqs = fast.keys().map((k) => k.seq);
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1]);
  const late = new Client('&topics=key');
  await late.until((m) => m.some((e) => e.type === 'snapshot'));
  await inject('d:A u:A');
  await late.until(() => late.keys().length === 2);
  await fast.until(() => fast.keys().length === sent + 2);
  late.ws.close();
  fast.ws.close();
});

test('a resume replay larger than wsQueueBytes does not count as lag', async () => {
  await t.daemon.patchSettings({ wsQueueBytes: 65_536, wsRingSize: 20_000 });
  const start = t.daemon.hub.currentSeq;
  for (let i = 0; i < 12; i++) await inject('d:A u:A '.repeat(250));
  const c = new Client(`&topics=key&since=${start}`);
  await c.until(() => c.keys().length === 6000);
  const replay = c.frames.find((f) => f.types.length === 6000)!;
  assert.ok(replay.bytes > 1_048_576, `the replay frame holds ${replay.bytes} bytes`);
  for (let i = 0; i < 10; i++) await inject('d:A u:A '.repeat(250));
  // every event arrives, or is reported lost
  const lost = (): number =>
    c.messages.filter((m) => m.type === 'lagged').reduce((n, m) => n + (m.data.dropped as number), 0);
  await c.until(() => c.keys().length + lost() === 11_000);
  assert.equal(lost(), 0, 'nothing lost after the replay');
  c.ws.close();
  await t.daemon.patchSettings({ wsQueueBytes: 1_048_576, wsRingSize: 10_000 });
});

test('auth and origin are enforced on the upgrade', async () => {
  const noToken = new WebSocket(`ws://${base}/ws`);
  const status = await new Promise<number>((resolve) =>
    noToken.on('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    }),
  );
  assert.equal(status, 401);
  const foreign = new WebSocket(`ws://${base}/ws?token=${t.token}`, {
    headers: { origin: 'https://evil.example' },
  });
  const fstatus = await new Promise<number>((resolve) =>
    foreign.on('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    }),
  );
  assert.equal(fstatus, 403);
  const bearer = new WebSocket(`ws://${base}/ws`, { headers: { authorization: `Bearer ${t.token}` } });
  await new Promise((resolve, reject) => {
    bearer.on('open', resolve);
    bearer.on('error', reject);
  });
  bearer.close();
});

test('malformed, unknown, binary and oversized frames: error replies or a clean close, the server lives on', async () => {
  const c = new Client();
  await c.until((m) => m.some((e) => e.type === 'snapshot'));
  c.send('{not json');
  c.send({ op: 'dance', id: 7 });
  c.send({ op: 'subscribe', id: 8, topics: ['nope'] });
  c.send({ op: 'subscribe', id: 9, topics: ['key'], filter: { devices: 'kb' } });
  c.send([1, 2]);
  c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  await c.until((m) => m.filter((e) => e.type === 'error').length === 6);
  assert.deepEqual(
    c.messages.filter((e) => e.type === 'error').map((e) => e.data.code),
    ['BAD_MESSAGE', 'UNKNOWN_OP', 'BAD_TOPIC', 'BAD_FILTER', 'BAD_MESSAGE', 'BAD_MESSAGE'],
  );
  assert.equal(c.messages.find((e) => e.type === 'error' && e.data.code === 'UNKNOWN_OP')!.data.id, 7);
  c.send('x'.repeat(70_000));
  assert.equal(await c.closed, 1009);
  const after = new Client();
  await after.until((m) => m.some((e) => e.type === 'snapshot'));
  after.ws.close();
});

test('error events reach subscribers when a profile fails to compile', async () => {
  const c = new Client();
  await c.until((m) => m.some((e) => e.type === 'snapshot'));
  writeFileSync(
    join(t.dir, 'profiles', 'default.rhai'),
    'device_start("*");\nmap("A", "VK_Nope");\ndevice_end();\n',
  );
  await assert.rejects(t.daemon.reloadActive());
  await c.until((m) => m.some((e) => e.type === 'error'));
  const err = c.messages.find((e) => e.type === 'error')!;
  assert.equal(err.data.code, 'PROFILE_COMPILE_FAILED');
  assert.equal(err.data.context.line, 2);
  assert.equal(typeof err.data.timestamp, 'string');
  assert.equal(t.daemon.activeProfileName(), 'default', 'the previous version stays active');
  await inject('d:A u:A');
  assert.deepEqual(
    t.daemon.recentOutput(2).map((o) => o.key),
    ['B', 'B'],
  );
  c.ws.close();
});
