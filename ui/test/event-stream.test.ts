import { afterEach, expect, test } from 'vitest';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import type { ConnectionState, Envelope } from '../src/stream/event-stream.ts';
import { EventStream } from '../src/stream/event-stream.ts';

const WebSocketImpl = NodeWebSocket as unknown as typeof WebSocket;
const servers: WebSocketServer[] = [];
const streams: EventStream[] = [];

afterEach(async () => {
  for (const s of streams.splice(0)) s.stop();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A server that answers every connection with `onConnect(socket, url, n)`. */
async function server(onConnect: (socket: NodeWebSocket, url: URL, n: number) => void) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  const urls: URL[] = [];
  wss.on('connection', (socket, req) => {
    const url = new URL(req.url ?? '/', 'http://x');
    urls.push(url);
    onConnect(socket, url, urls.length);
  });
  const { port } = wss.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}/ws`, urls };
}

const hello = (seq: number, instance: string) =>
  JSON.stringify({ type: 'hello', seq, time: 1, data: { instance, seq } });
const snapshot = (seq: number) =>
  JSON.stringify({
    type: 'snapshot',
    seq,
    time: 1,
    data: { activeProfile: null, modifiers: [], locks: [], held: [], devices: [] },
  });
const event = (seq: number) =>
  JSON.stringify({ type: 'profile', seq, time: 1, data: { action: 'created', name: `p${seq}` } });

function until(check: () => boolean, ms = 3000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) resolve();
      else if (Date.now() - start > ms) reject(new Error('timed out'));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

function open(url: string, received: Envelope[], states: ConnectionState[] = []): EventStream {
  const stream = new EventStream({
    topics: ['profile'],
    url,
    WebSocketImpl,
    minBackoffMs: 20,
    maxBackoffMs: 50,
  });
  streams.push(stream);
  stream.onEvents((es) => received.push(...es));
  stream.onState((s) => states.push(s));
  stream.start();
  return stream;
}

test('reconnects after a drop and resumes after the last seq it saw', async () => {
  const srv = await server((socket, _url, n) => {
    if (n === 1) {
      socket.send(hello(0, 'A'));
      socket.send(snapshot(0));
      socket.send(`[${event(1)},${event(2)}]`);
      setTimeout(() => socket.close(1001, 'going away'), 20);
    } else {
      socket.send(hello(2, 'A'));
      socket.send(event(3));
    }
  });
  const received: Envelope[] = [];
  open(srv.url, received);
  await until(() => received.some((e) => e.seq === 3));
  expect(srv.urls[0].searchParams.get('since')).toBeNull();
  expect(srv.urls[0].searchParams.get('topics')).toBe('profile');
  expect(srv.urls[1].searchParams.get('since')).toBe('2');
});

test('a restarted daemon (another instance) is not resumed from a stale seq', async () => {
  const srv = await server((socket, _url, n) => {
    if (n === 1) {
      socket.send(hello(0, 'A'));
      socket.send(event(7));
      setTimeout(() => socket.close(1001), 20);
    } else {
      socket.send(hello(0, 'B'));
      socket.send(snapshot(0));
    }
  });
  const received: Envelope[] = [];
  const stream = open(srv.url, received);
  await until(() => srv.urls.length >= 3 && received.some((e) => e.type === 'snapshot'));
  expect(srv.urls[1].searchParams.get('since')).toBe('7');
  expect(srv.urls[2].searchParams.get('since')).toBeNull();
  expect(stream.lastSeq).toBe(0);
});

test('a policy close (1008: bad topic or since) is final, not retried', async () => {
  const srv = await server((socket) => socket.close(1008, "unknown topic 'keys'"));
  const states: ConnectionState[] = [];
  const stream = open(srv.url, [], states);
  await until(() => stream.state === 'closed' && states.length > 1);
  await new Promise((r) => setTimeout(r, 150));
  expect(srv.urls.length).toBe(1);
  expect(stream.lastCloseReason).toBe("unknown topic 'keys'");
});
