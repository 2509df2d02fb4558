/**
 * Hostile WebSocket input (issue #9 §3) against a real daemon process: malformed and unknown
 * requests, binary, oversized and fragmented frames, protocol violations written byte by byte,
 * request floods, huge filters, abusive query strings and upgrades, abrupt disconnects. Each gets
 * an error reply or a close with the documented code (docs/websocket.md § Limits and close codes),
 * never a crash: an observer client receives every key injected meanwhile, in order, without lag,
 * and the daemon exits cleanly at the end.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { DaemonProcess } from '../support/daemon-process.ts';
import { spawnDaemon } from '../support/daemon-process.ts';
import { HANG_MS } from '../support/wait.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Env {
  type: string;
  seq: number;
  data: Json;
}

let d: DaemonProcess;
let dir = '';
let wsBase = '';
let port = 0;
let observer: Client;
/** keys injected with `probe` (two key events each) */
let probes = 0;
const clients = new Set<Client>();
/** for the figures: connections opened and messages or frames sent */
const counts = { connections: 0, messages: 0 };
const sockets = new Set<Socket>();

/** The promise's value, or a failure after `ms` (the timer does not outlive the race). */
async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what())), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

class Client {
  readonly ws: WebSocket;
  readonly messages: Env[] = [];
  closeCode: number | null = null;
  closeReason = '';
  readonly closed: Promise<number>;
  readonly opened: Promise<void>;
  private waiters: (() => void)[] = [];

  constructor(query = '', opts: { headers?: Record<string, string>; token?: boolean } = {}) {
    const token = opts.token === false ? '' : `token=${d.token}`;
    this.ws = new WebSocket(`${wsBase}/ws?${token}${query}`, { headers: opts.headers });
    counts.connections++;
    clients.add(this);
    this.ws.on('message', (data, isBinary) => {
      assert.equal(isBinary, false, 'the daemon sends text frames only');
      const parsed = JSON.parse(String(data));
      for (const e of Array.isArray(parsed) ? parsed : [parsed]) this.messages.push(e);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = String(reason);
        clients.delete(this);
        this.wake();
        resolve(code);
      }),
    );
    this.ws.on('error', () => undefined);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
    });
  }

  send(msg: unknown): void {
    counts.messages++;
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async until(pred: () => boolean, what: string, ms = HANG_MS): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end)
        throw new Error(
          `timeout waiting for ${what}; got ${JSON.stringify(this.messages.map((m) => m.type).slice(-20))}, close ${this.closeCode}`,
        );
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  ready(): Promise<void> {
    return this.until(() => this.messages.some((m) => m.type === 'snapshot'), 'the snapshot');
  }

  replies(): Env[] {
    return this.messages.filter((m) => m.type === 'ack' || (m.type === 'error' && 'id' in m.data));
  }

  keys(): Env[] {
    return this.messages.filter((m) => m.type === 'key');
  }

  closedWithin(ms = 15_000): Promise<number> {
    return within(this.closed, ms, () => `not closed within ${ms} ms; replies ${this.replies().length}`);
  }
}

/** Sends one key through the live engine and waits until the observer has it. */
async function probe(what: string): Promise<void> {
  probes++;
  const r = await d.api('POST', '/api/inject?instant=true', { events: 'dev:probe d:X u:X' });
  assert.equal(r.status, 200, `${what}: inject ${JSON.stringify(r.json)}`);
  await observer.until(() => observer.keys().length >= probes * 2, `the observer's keys after ${what}`);
  assert.equal(d.child.exitCode, null, `the daemon is alive after ${what}`);
}

/** The daemon still accepts and serves a new client. */
async function stillServing(what: string): Promise<void> {
  await probe(what);
  const fresh = new Client();
  await fresh.ready();
  fresh.send({ op: 'ping', id: 'alive' });
  await fresh.until(() => fresh.replies().some((m) => m.data.id === 'alive'), `a ping after ${what}`);
  fresh.ws.close();
  await fresh.closed;
  const health = await fetch(`${d.url}/api/health`);
  assert.equal(health.status, 200);
}

// ---------------------------------------------------------------- raw WebSocket framing

interface RawConnection {
  socket: Socket;
  /** bytes received after the handshake */
  data(): Buffer;
  /** the status line of the handshake answer */
  status: number;
  ended: Promise<void>;
}

/** An upgrade written by hand; resolves once the answer's headers are in. */
function rawUpgrade(
  path = `/ws?token=${d?.token}`,
  headers: Record<string, string> = {},
): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    sockets.add(socket);
    counts.connections++;
    let buf = Buffer.alloc(0);
    let headerEnd = -1;
    let endedResolve: () => void = () => undefined;
    const ended = new Promise<void>((r) => (endedResolve = r));
    socket.on('close', () => {
      sockets.delete(socket);
      endedResolve();
      if (headerEnd < 0)
        reject(new Error(`closed before an answer: ${buf.toString('latin1').slice(0, 200)}`));
    });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (headerEnd >= 0) return;
      headerEnd = buf.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buf.toString('latin1'))?.[1] ?? 0);
      resolve({ socket, status, data: () => buf.subarray(headerEnd + 4), ended });
    });
    const all: Record<string, string> = {
      Host: `127.0.0.1:${port}`,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Version': '13',
      ...headers,
    };
    socket.write(
      `GET ${path} HTTP/1.1\r\n${Object.entries(all)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n')}\r\n\r\n`,
    );
  });
}

/** A client frame (masked unless told otherwise). */
function frame(
  opcode: number,
  payload: Buffer | string,
  opts: { fin?: boolean; mask?: boolean; rsv?: number; declaredLength?: number } = {},
): Buffer {
  counts.messages++;
  const body = Buffer.from(payload);
  const len = opts.declaredLength ?? body.length;
  const head: number[] = [((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opcode];
  const maskBit = (opts.mask ?? true) ? 0x80 : 0;
  if (len < 126) head.push(maskBit | len);
  else if (len < 65_536) head.push(maskBit | 126, len >> 8, len & 0xff);
  else {
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(len));
    head.push(maskBit | 127, ...big);
  }
  if (!(opts.mask ?? true)) return Buffer.concat([Buffer.from(head), body]);
  const key = randomBytes(4);
  const masked = Buffer.from(body.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/** The close code in the server's frames (unmasked), or null when it sent no close frame. */
function serverCloseCode(data: Buffer): number | null {
  let i = 0;
  while (i + 2 <= data.length) {
    const opcode = data[i] & 0x0f;
    let len = data[i + 1] & 0x7f;
    let off = i + 2;
    if (len === 126) {
      len = data.readUInt16BE(off);
      off += 2;
    } else if (len === 127) {
      len = Number(data.readBigUInt64BE(off));
      off += 8;
    }
    if (opcode === 0x8) return len >= 2 ? data.readUInt16BE(off) : 1005;
    i = off + len;
  }
  return null;
}

// ---------------------------------------------------------------- setup

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyrx-ws-hostile-'));
  d = await spawnDaemon({ dir });
  wsBase = d.url.replace('http', 'ws');
  port = Number(new URL(d.url).port);
  observer = new Client('&topics=key');
  await observer.ready();
});

after(async () => {
  for (const c of clients) c.ws.terminate();
  for (const s of sockets) s.destroy();
  await d?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- requests

test('malformed and unknown requests: one error reply each, in order, and the connection stays usable', async () => {
  const cases: [string, string][] = [
    ['', 'BAD_MESSAGE'],
    [' ', 'BAD_MESSAGE'],
    ['{', 'BAD_MESSAGE'],
    ['{"op":"ping"', 'BAD_MESSAGE'],
    ['{"op":"ping"}\u0000', 'BAD_MESSAGE'],
    ['\u0000', 'BAD_MESSAGE'],
    ['\ud800', 'BAD_MESSAGE'],
    ['null', 'BAD_MESSAGE'],
    ['"ping"', 'BAD_MESSAGE'],
    ['123', 'BAD_MESSAGE'],
    ['true', 'BAD_MESSAGE'],
    ['[]', 'BAD_MESSAGE'],
    ['[{"op":"ping"}]', 'BAD_MESSAGE'],
    [`${'['.repeat(30_000)}${']'.repeat(30_000)}`, 'BAD_MESSAGE'],
    ['{}', 'UNKNOWN_OP'],
    ['{"op":null}', 'UNKNOWN_OP'],
    ['{"op":{"op":"ping"}}', 'UNKNOWN_OP'],
    ['{"op":"PING"}', 'UNKNOWN_OP'],
    ['{"op":"ping "}', 'UNKNOWN_OP'],
    ['{"op":"\u202eping"}', 'UNKNOWN_OP'],
    [`{"op":"${'x'.repeat(60_000)}"}`, 'UNKNOWN_OP'],
    ['{"__proto__":{"op":"ping"}}', 'UNKNOWN_OP'],
    ['{"op":"subscribe","topics":"key"}', 'BAD_TOPIC'],
    ['{"op":"subscribe","topics":[1]}', 'BAD_TOPIC'],
    ['{"op":"subscribe","topics":["key",null]}', 'BAD_TOPIC'],
    ['{"op":"subscribe","topics":["KEY"]}', 'BAD_TOPIC'],
    ['{"op":"unsubscribe","topics":{"0":"key"}}', 'BAD_TOPIC'],
    ['{"op":"subscribe","topics":["key"],"filter":[]}', 'BAD_FILTER'],
    ['{"op":"subscribe","topics":["key"],"filter":"A"}', 'BAD_FILTER'],
    ['{"op":"subscribe","topics":["key"],"filter":{"keys":"A"}}', 'BAD_FILTER'],
    ['{"op":"subscribe","topics":["key"],"filter":{"devices":[1]}}', 'BAD_FILTER'],
    ['{"op":"subscribe","topics":["key"],"filter":{"keys":[{"a":1}]}}', 'BAD_FILTER'],
  ];
  const c = new Client();
  await c.ready();
  for (const [text] of cases) c.send(text);
  await c.until(() => c.replies().length === cases.length, `${cases.length} replies`);
  assert.deepEqual(
    c.replies().map((m) => `${m.type}:${m.data.code}`),
    cases.map(([, code]) => `error:${code}`),
  );
  assert.ok(c.replies().every((m) => m.data.id === null && typeof m.data.message === 'string'));
  assert.ok(
    c.replies().every((m) => m.data.message.length < 200),
    'replies do not echo huge input',
  );
  // ids of any type: strings and numbers are echoed, anything else is null
  c.send({ op: 'ping', id: { x: 1 } });
  c.send({ op: 'ping', id: [1] });
  c.send({ op: 'ping', id: 'x'.repeat(10_000) });
  c.send({ op: 'ping', id: -1.5e300 });
  c.send({ op: 'ping', id: 'ok', extra: { deep: [1, 2, 3] } });
  await c.until(() => c.replies().length === cases.length + 5, 'the pings');
  assert.deepEqual(
    c
      .replies()
      .slice(-5)
      .map((m) => [m.type, typeof m.data.id === 'string' ? m.data.id.length : m.data.id]),
    [
      ['ack', null],
      ['ack', null],
      ['ack', 10_000],
      ['ack', -1.5e300],
      ['ack', 2],
    ],
  );
  assert.equal(c.closeCode, null, 'still open');
  c.ws.close();
  await stillServing('malformed requests');
});

test('binary frames up to 64 KiB get BAD_MESSAGE; one byte more closes with 1009', async () => {
  const c = new Client();
  await c.ready();
  for (const size of [0, 1, 4096, 65_536]) c.ws.send(Buffer.alloc(size, 0x7b), { binary: true });
  await c.until(() => c.replies().length === 4, 'four replies');
  assert.ok(c.replies().every((m) => m.type === 'error' && m.data.code === 'BAD_MESSAGE'));
  c.ws.send(Buffer.alloc(65_537, 0x7b), { binary: true });
  assert.equal(await c.closedWithin(), 1009);
  await stillServing('binary frames');
});

test('text frames: exactly 64 KiB is read, more closes with 1009, also when it comes in fragments', async () => {
  const pad = (n: number) => {
    const base = '{"op":"ping","id":"at-limit","pad":""}';
    return base.replace('"pad":""', `"pad":"${'x'.repeat(n - base.length)}"`);
  };
  const c = new Client();
  await c.ready();
  assert.equal(Buffer.byteLength(pad(65_536)), 65_536);
  c.send(pad(65_536));
  await c.until(() => c.replies().some((m) => m.data.id === 'at-limit'), 'the reply to 64 KiB');
  c.send(pad(65_537));
  assert.equal(await c.closedWithin(), 1009);

  const f = new Client();
  await f.ready();
  // fragments of 40 KB: each under the limit, the message over it
  f.ws.send('{"op":"ping","pad":"' + 'x'.repeat(40_000), { fin: false });
  f.ws.send('x'.repeat(40_000), { fin: false });
  f.ws.send('"}', { fin: true });
  assert.equal(await f.closedWithin(), 1009);

  const ok = new Client();
  await ok.ready();
  ok.ws.send('{"op":"ping","id":"frag","pad":"' + 'x'.repeat(20_000), { fin: false });
  ok.ws.send('x'.repeat(20_000), { fin: false });
  ok.ws.send('"}', { fin: true });
  await ok.until(() => ok.replies().some((m) => m.data.id === 'frag'), 'the fragmented ping');
  ok.ws.close();
  await stillServing('oversized frames');
});

test('protocol violations written byte by byte: closed with 1002 or 1007, or dropped', async () => {
  const CLOSE = (code: number, extra = '') => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(code);
    return Buffer.concat([b, Buffer.from(extra)]);
  };
  const cases: [string, Buffer, number[]][] = [
    ['invalid UTF-8 in a text frame', frame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), [1007]],
    ['overlong UTF-8', frame(0x1, Buffer.from([0xc0, 0xaf])), [1007]],
    ['a UTF-16 surrogate as UTF-8', frame(0x1, Buffer.from([0xed, 0xa0, 0x80])), [1007]],
    ['reserved opcode 0x3', frame(0x3, '{}'), [1002]],
    ['reserved control opcode 0xB', frame(0xb, ''), [1002]],
    ['RSV1 without an extension', frame(0x1, '{"op":"ping"}', { rsv: 4 }), [1002]],
    ['RSV3', frame(0x1, '{"op":"ping"}', { rsv: 1 }), [1002]],
    ['an unmasked client frame', frame(0x1, '{"op":"ping"}', { mask: false }), [1002]],
    ['a ping over 125 bytes', frame(0x9, Buffer.alloc(126)), [1002]],
    ['a fragmented ping', frame(0x9, 'x', { fin: false }), [1002]],
    ['a continuation without a start', frame(0x0, 'x'), [1002]],
    [
      'a new message inside a fragmented one',
      Buffer.concat([frame(0x1, '{', { fin: false }), frame(0x1, '}')]),
      [1002],
    ],
    ['a close code below 1000', frame(0x8, CLOSE(999)), [1002]],
    ['the reserved close code 1005', frame(0x8, CLOSE(1005)), [1002]],
    ['a one-byte close payload', frame(0x8, Buffer.from([3])), [1002]],
    [
      'a close reason that is not UTF-8',
      frame(0x8, Buffer.concat([CLOSE(1000), Buffer.from([0xff])])),
      [1007],
    ],
    ['a 64-bit length of 2^32', frame(0x1, '', { declaredLength: 2 ** 32 }), [1009]],
  ];
  for (const [what, bytes, codes] of cases) {
    const conn = await rawUpgrade();
    assert.equal(conn.status, 101, what);
    conn.socket.write(bytes);
    await within(conn.ended, 15_000, () => `${what}: not closed in 15 s`);
    const code = serverCloseCode(conn.data());
    assert.ok(code !== null && codes.includes(code), `${what}: close code ${code}`);
  }
  // a clean close and a truncated frame followed by EOF
  const clean = await rawUpgrade();
  clean.socket.write(frame(0x8, CLOSE(1000, 'bye')));
  await clean.ended;
  assert.equal(serverCloseCode(clean.data()), 1000);
  const truncated = await rawUpgrade();
  truncated.socket.end(frame(0x1, '{"op":"ping"}').subarray(0, 5));
  await truncated.ended;
  await stillServing('protocol violations');
});

// ---------------------------------------------------------------- floods

test('a request flood: the first 50 requests of a second are answered, then the connection closes with 1008', async () => {
  const c = new Client();
  await c.ready();
  for (let i = 0; i < 200; i++) c.send({ op: 'subscribe', id: i, topics: ['key', 'state'] });
  assert.equal(await c.closedWithin(), 1008);
  assert.equal(c.closeReason, 'more than 50 requests per second');
  assert.equal(c.replies().length, 50);
  assert.deepEqual(
    c.replies().map((m) => m.data.id),
    Array.from({ length: 50 }, (_, i) => i),
  );
  // invalid requests count too
  const bad = new Client();
  await bad.ready();
  for (let i = 0; i < 60; i++) bad.send('{');
  assert.equal(await bad.closedWithin(), 1008);
  assert.equal(bad.replies().length, 50);
  await stillServing('one flood');
});

test('floods from 30 clients at once are all closed with 1008 while the observer loses nothing', async () => {
  const flooders = Array.from({ length: 30 }, () => new Client('&topics=key,state'));
  await Promise.all(flooders.map((f) => f.ready()));
  const typing = (async () => {
    for (let i = 0; i < 10; i++) await probe(`flood round ${i}`);
  })();
  for (const f of flooders)
    for (let i = 0; i < 120; i++)
      f.send(
        i % 3 ? { op: 'subscribe', topics: ['key'], filter: { keys: [`K${i}`] } } : { op: 'ping', id: i },
      );
  const codes = await Promise.all(flooders.map((f) => f.closedWithin(30_000)));
  await typing;
  assert.deepEqual(new Set(codes), new Set([1008]));
  await stillServing('parallel floods');
});

test('requests paced under the limit are never cut: 4 bursts of 16 a second apart', async () => {
  const c = new Client();
  await c.ready();
  for (let burst = 0; burst < 4; burst++) {
    for (let i = 0; i < 16; i++) c.send({ op: 'ping', id: burst * 16 + i });
    // any two bursts arriving in one second stay under 50 even if the daemon is slow to read them
    await c.until(() => c.replies().length === (burst + 1) * 16, `burst ${burst}`);
    await new Promise((r) => setTimeout(r, 1100));
  }
  assert.equal(c.closeCode, null);
  assert.equal(c.replies().length, 64);
  c.ws.close();
});

// ---------------------------------------------------------------- filters

test('huge filters and topic lists: the limits are enforced, and a filter over the frame limit closes with 1009', async () => {
  const c = new Client();
  await c.ready();
  const keys = (n: number, len: number) => Array.from({ length: n }, (_, i) => `${i}`.padEnd(len, 'k'));
  const sub = (id: string, filter: Json, topics: Json = ['key']) =>
    c.send({ op: 'subscribe', id, topics, filter });
  sub('max-count', { keys: keys(1000, 20), devices: keys(1000, 20) });
  sub('too-many', { keys: keys(1001, 2) });
  sub('max-length', { keys: keys(200, 256) });
  sub('too-long', { keys: ['x'.repeat(257)] });
  sub('nested', { keys: [[['A']]] });
  sub('deep', JSON.parse(`${'{"keys":'.repeat(500)}null${'}'.repeat(500)}`));
  c.send({ op: 'subscribe', id: 'keep', topics: [] });
  c.send({ op: 'subscribe', id: 'topics', topics: Array.from({ length: 5000 }, () => 'key') });
  sub('clear', { devices: null, keys: null });
  await c.until(() => c.replies().length === 9, 'nine replies');
  assert.deepEqual(
    c.replies().map((m) => `${m.data.id}:${m.type}${m.type === 'error' ? `:${m.data.code}` : ''}`),
    [
      'max-count:ack',
      'too-many:error:BAD_FILTER',
      'max-length:ack',
      'too-long:error:BAD_FILTER',
      'nested:error:BAD_FILTER',
      'deep:error:BAD_FILTER',
      'keep:ack',
      'topics:ack',
      'clear:ack',
    ],
  );
  const topicsAck = c.replies().find((m) => m.data.id === 'topics')!;
  assert.ok(topicsAck.data.topics.filter((t: string) => t === 'key').length === 1, 'topics are a set');
  // the refused filters changed nothing: the filter is still the 200 long keys of 'max-length'
  const kept = c.replies().find((m) => m.data.id === 'keep')!.data.filter;
  assert.deepEqual([kept.keys.length, kept.devices], [200, null]);
  assert.deepEqual(c.replies().find((m) => m.data.id === 'clear')!.data.filter, {
    devices: null,
    keys: null,
  });
  // 1,000 keys of 256 characters do not fit in a 64 KiB frame
  sub('huge', { keys: keys(1000, 256) });
  assert.equal(await c.closedWithin(), 1009);
  await stillServing('huge filters');
});

// ---------------------------------------------------------------- the upgrade

test('abusive query strings on the upgrade: 1008 with the documented reason, or the defaults', async () => {
  const closes: [string, string][] = [
    ['&topics=keys', "unknown topic 'keys'"],
    ['&topics=key,%00', "unknown topic '\u0000'"],
    [`&topics=${'x'.repeat(5000)}`, `unknown topic '${'x'.repeat(40)}'`],
    ['&since=-1', 'since must be a non-negative integer seq'],
    ['&since=1.5', 'since must be a non-negative integer seq'],
    ['&since=abc', 'since must be a non-negative integer seq'],
    ['&since=1e400', 'since must be a non-negative integer seq'],
    ['&since=Infinity', 'since must be a non-negative integer seq'],
    ['&since=1&since=2', 'since must be a non-negative integer seq'],
  ];
  for (const [query, reason] of closes) {
    const c = new Client(query);
    const code = await c.closedWithin().catch((e: Error) => {
      throw new Error(`${query}: ${e.message}`);
    });
    assert.equal(code, 1008, query);
    assert.equal(c.closeReason, reason, query);
  }
  // a repeated parameter arrives as a list: its values count together (it once crashed the daemon)
  const repeated = new Client('&topics=key&topics=state&topics=');
  await repeated.ready();
  assert.deepEqual(repeated.messages[0].data.topics, ['key', 'state']);
  repeated.ws.close();
  await stillServing('a repeated query parameter');
  // long but valid, empty, and a seq from the future (a resync)
  const many = new Client(`&topics=${Array.from({ length: 1000 }, () => 'key').join(',')}`);
  await many.ready();
  assert.deepEqual(many.messages[0].data.topics, ['key']);
  const none = new Client('&topics=');
  await none.ready();
  assert.deepEqual(none.messages[0].data.topics, []);
  const future = new Client('&since=999999999999');
  await future.until(() => future.messages.some((m) => m.type === 'snapshot'), 'the resync snapshot');
  assert.equal(future.messages.find((m) => m.type === 'snapshot')!.data.resync, true);
  for (const c of [many, none, future]) c.ws.close();
  await stillServing('query strings');
});

test('abusive upgrades: refused with a 4xx, never an open socket', async () => {
  const refused: [string, string, Record<string, string>, number[]][] = [
    ['no credentials', '/ws', {}, [401]],
    ['a wrong token', `/ws?token=${d.token}0`, {}, [401]],
    ['a token given twice', `/ws?token=${d.token}&token=${d.token}`, {}, [401]],
    ['the token in a cookie', '/ws', { Cookie: `keyrx_session=${d.token}` }, [401]],
    ['a foreign Origin', `/ws?token=${d.token}`, { Origin: 'https://evil.example' }, [403]],
    ['Origin null', `/ws?token=${d.token}`, { Origin: 'null' }, [403]],
    ['a cross-site fetch', `/ws?token=${d.token}`, { 'Sec-Fetch-Site': 'cross-site' }, [403]],
    [
      'a look-alike Origin',
      `/ws?token=${d.token}`,
      { Origin: `http://127.0.0.1:${port}.evil.example` },
      [403],
    ],
    ['no Sec-WebSocket-Key', `/ws?token=${d.token}`, { 'Sec-WebSocket-Key': '' }, [400]],
    ['a short Sec-WebSocket-Key', `/ws?token=${d.token}`, { 'Sec-WebSocket-Key': 'abc' }, [400]],
    ['protocol version 99', `/ws?token=${d.token}`, { 'Sec-WebSocket-Version': '99' }, [400, 426]],
    // no route takes it, and ?token= only authenticates the WebSocket route itself
    ['a POST upgrade', `/ws?token=${d.token}`, {}, [400, 401, 404, 405]],
  ];
  for (const [what, path, headers, statuses] of refused) {
    const conn =
      what === 'a POST upgrade'
        ? await new Promise<RawConnection>((resolve) => {
            const socket = connect(port, '127.0.0.1');
            sockets.add(socket);
            let buf = Buffer.alloc(0);
            socket.on('data', (b: Buffer) => (buf = Buffer.concat([buf, b])));
            socket.on('error', () => undefined);
            const ended = new Promise<void>((r) => socket.on('close', () => r()));
            socket.write(
              `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n`,
            );
            setTimeout(() => {
              socket.destroy();
              const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buf.toString('latin1'))?.[1] ?? 0);
              resolve({ socket, status, data: () => buf, ended });
            }, 1000);
          })
        : await rawUpgrade(path, headers);
    assert.ok(statuses.includes(conn.status), `${what}: ${conn.status}`);
    conn.socket.destroy();
  }
  // compression offered by the client is not taken; a subprotocol is harmless
  const deflate = new WebSocket(`${wsBase}/ws?token=${d.token}`, {
    perMessageDeflate: true,
    protocol: 'x-evil',
  });
  await new Promise((resolve, reject) => {
    deflate.once('open', resolve);
    deflate.once('error', reject);
  });
  assert.equal(deflate.extensions, '');
  deflate.close();
  await stillServing('abusive upgrades');
});

test('abrupt disconnects in every state, half-sent upgrades and slow headers: the client count returns, the daemon serves', async () => {
  // only the observer stays connected: the hub must count exactly it at the end
  await Promise.all(
    [...clients]
      .filter((c) => c !== observer)
      .map((c) => {
        c.ws.terminate();
        return c.closed;
      }),
  );
  const baseline = 1;
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    // destroyed right after the upgrade request, after the answer, mid-frame, and after a request
    jobs.push(
      new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          s.write(
            `GET /ws?token=${d.token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
          );
          s.destroy();
          resolve();
        });
        s.on('error', () => resolve());
      }),
    );
    jobs.push(
      rawUpgrade().then((c) => {
        if (i % 2) c.socket.write(frame(0x1, '{"op":"subscribe","topics":["key"]}').subarray(0, 7));
        else c.socket.write(frame(0x1, '{"op":"ping"}'));
        c.socket.resetAndDestroy();
      }),
    );
  }
  // slow and half-sent handshakes that stay open while others are served
  const slow: Socket[] = [];
  for (let i = 0; i < 20; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.write(`GET /ws?token=${d.token} HTTP/1.1\r\nHost: x\r\nUpgr`);
    sockets.add(s);
    slow.push(s);
  }
  await Promise.all(jobs);
  await stillServing('abrupt disconnects');
  for (const s of slow) s.destroy();
  const end = Date.now() + HANG_MS;
  let now = -1;
  while (Date.now() < end) {
    now = (await d.api('GET', '/api/status')).json.wsClients;
    if (now === baseline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(now, baseline, 'every dropped connection left the hub');
});

test('the observer got every key, in order, without lag; the daemon exits cleanly', async (t) => {
  await stillServing('the end');
  const keys = observer.keys();
  assert.equal(keys.length, probes * 2);
  for (let i = 1; i < keys.length; i++) assert.ok(keys[i].seq > keys[i - 1].seq);
  assert.equal(observer.messages.filter((m) => m.type === 'lagged').length, 0, 'the observer never lagged');
  assert.equal(observer.closeCode, null);
  observer.ws.close();
  const exited = d.exited;
  await d.stop(10_000);
  assert.deepEqual(await exited, { code: 0, signal: null });
  t.diagnostic(
    `${counts.connections} hostile or checking connections, ${counts.messages} messages and raw frames sent; the observer got ${keys.length} keys of ${probes} probes; exit 0`,
  );
});
