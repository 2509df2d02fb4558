/**
 * The WebSocket event stream (`GET /ws`).
 *
 * Every hub event carries the global `seq`; a client receives them in order, filtered by its
 * topics and filters, resumable with `?since=`. Events go out in one frame per flush: at once
 * when the hub ends a batch (the input thread's key records; the first batch of a turn), else at
 * the end of the turn. A frame is serialised once and the same bytes are written to every client
 * whose selection is the whole batch.
 *
 * A client that cannot keep up loses events (and is told with `lagged`); after `wsMaxLagEvents`
 * consecutive lag events it is closed with 4008, or dropped at once when it read nothing through
 * them. What counts is what the client has not read, in bytes: every ping carries the count of
 * bytes sent before it, and the pong that echoes it proves the client read that far, so the
 * bytes in the kernel's socket buffers count too (on loopback those take megabytes before the
 * socket pushes back). Nothing a client does can block the hub or grow memory unbounded.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { Daemon } from '../daemon/daemon.ts';
import type { HubEvent } from '../daemon/event-hub.ts';
import { VERSION } from '../daemon/version.ts';

export const PROTOCOL_VERSION = 1;
export const TOPICS = [
  'key',
  'state',
  'latency',
  'profile',
  'device',
  'error',
  'context',
  'suspend',
  'recording',
] as const;
export type Topic = (typeof TOPICS)[number];
/** `key` events are keystrokes: a client gets them only after asking for them. */
const DEFAULT_TOPICS: Topic[] = TOPICS.filter((t) => t !== 'key');
export const MAX_CLIENT_FRAME = 64 * 1024;
export const CLOSE_TOO_SLOW = 4008;
export const CLOSE_POLICY = 1008;
const PING_INTERVAL_MS = 15_000;
const PONG_TIMEOUT_MS = 30_000;
/** how long a client closed with 4008 gets to read up to the close frame still queued in the daemon */
const CLOSE_GRACE_MS = 1_000;
/**
 * Bytes a client may leave unread, at least: below this they sit in the kernel's socket buffers
 * (several MB on loopback) and cost the daemon nothing, and a healthy client behind by its
 * round trip must not lose events (with wsQueueBytes at its 64 KiB minimum, say).
 */
const UNREAD_FLOOR = 1024 * 1024;
/** client requests per second before it is closed as abusive */
const MAX_OPS_PER_SECOND = 50;

interface Filter {
  devices: Set<string> | null;
  keys: Set<string> | null;
}

interface Client {
  id: string;
  socket: WebSocket;
  topics: Set<Topic>;
  filter: Filter;
  /** last seq sent to this client (control messages echo it) */
  lastSeq: number;
  /** frames handed to ws whose write callback has not fired */
  inFlight: number;
  /** payload bytes handed to the socket since the connection opened */
  sentBytes: number;
  /** sentBytes when the last ping went out (its payload) */
  pingedBytes: number;
  /** a ping not answered yet */
  pingOutstanding: boolean;
  /** the highest sentBytes a pong echoed: the client has read everything sent before it */
  readBytes: number;
  /** the resume replay's frame: not counted against wsQueueBytes until read (see lagging) */
  replayBytes: number;
  replayEnd: number;
  lagEvents: number;
  /** events held back until the connection's snapshot is out */
  holding: HubEvent[] | null;
  lastPong: number;
  opsWindowStart: number;
  opsInWindow: number;
  closing: boolean;
}

export interface WsOptions {
  now?: () => number;
}

type Envelope = { type: string; seq: number; time: number; data: unknown };

const nowUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

const eventJson = (e: HubEvent): string =>
  JSON.stringify({ type: e.type, seq: e.seq, time: e.time, data: e.data } satisfies Envelope);

/** One frame: a lone envelope, or an array of them. */
const frameOf = (parts: string[]): string => (parts.length === 1 ? parts[0] : `[${parts.join(',')}]`);

export class WsHub {
  private readonly clients = new Set<Client>();
  private batch: HubEvent[] = [];
  private flushScheduled = false;
  /** a batch was sent at once in this turn: later ones wait for the end of the turn */
  private flushedInTurn = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly daemon: Daemon) {}

  get size(): number {
    return this.clients.size;
  }

  start(): void {
    this.unsubscribe = this.daemon.hub.subscribe(
      (e) => this.onEvent(e),
      () => this.onBatchEnd(),
    );
    this.daemon.wsClientCount = () => this.clients.size;
    this.heartbeat = setInterval(() => this.beat(), PING_INTERVAL_MS);
    this.heartbeat.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const c of this.clients) c.socket.terminate();
    this.clients.clear();
  }

  // ---------------------------------------------------------------- connection

  async connect(socket: WebSocket, req: FastifyRequest): Promise<void> {
    // a repeated parameter (?topics=key&topics=state) arrives as an array: its values, joined
    const query = Object.fromEntries(
      Object.entries(req.query as Record<string, string | string[] | undefined>).map(([k, v]) => [
        k,
        Array.isArray(v) ? v.join(',') : v,
      ]),
    );
    const topics = new Set<Topic>(DEFAULT_TOPICS);
    if (query.topics !== undefined) {
      topics.clear();
      for (const t of query.topics
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        if (!(TOPICS as readonly string[]).includes(t)) {
          socket.close(CLOSE_POLICY, `unknown topic '${t.slice(0, 40)}'`);
          return;
        }
        topics.add(t as Topic);
      }
    }
    let since: number | null = null;
    if (query.since !== undefined) {
      since = Number(query.since);
      if (!Number.isInteger(since) || since < 0) {
        socket.close(CLOSE_POLICY, 'since must be a non-negative integer seq');
        return;
      }
    }
    const client: Client = {
      id: randomBytes(6).toString('hex'),
      socket,
      topics,
      filter: { devices: null, keys: null },
      lastSeq: this.daemon.hub.currentSeq,
      inFlight: 0,
      sentBytes: 0,
      pingedBytes: 0,
      pingOutstanding: false,
      readBytes: 0,
      replayBytes: 0,
      replayEnd: 0,
      lagEvents: 0,
      holding: [],
      lastPong: Date.now(),
      opsWindowStart: Date.now(),
      opsInWindow: 0,
      closing: false,
    };
    // Joining and reading the ring happen in the same tick: no event can fall between them.
    const replay = since === null ? [] : this.daemon.hub.since(since);
    this.clients.add(client);
    socket.on('message', (data, isBinary) => this.onClientMessage(client, data, isBinary));
    socket.on('pong', (data) => this.onPong(client, data));
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', () => this.clients.delete(client));

    const seqAtConnect = since !== null && replay !== null ? since : this.daemon.hub.currentSeq;
    client.lastSeq = seqAtConnect;
    this.sendControl(client, 'hello', {
      server: 'keyrx',
      version: VERSION,
      protocol: PROTOCOL_VERSION,
      clientId: client.id,
      capabilities: ['resume', 'filter', 'batch', 'lagged'],
      topics: [...topics],
      seq: this.daemon.hub.currentSeq,
      instance: this.daemon.instanceId,
      startedAt: this.daemon.startedAt.toISOString(),
    });
    if (since === null || replay === null) {
      const snapshot = await this.snapshot(replay === null);
      if (client.closing || socket.readyState !== socket.OPEN) return;
      this.sendControl(client, 'snapshot', snapshot);
    } else {
      const frames = replay.filter((e) => this.wants(client, e));
      if (frames.length > 0) {
        const before = client.sentBytes;
        this.sendEvents(client, frames, null);
        // the replay may be larger than wsQueueBytes: it counts once read (the ping tells)
        client.replayBytes = client.sentBytes - before;
        client.replayEnd = client.sentBytes;
        this.ping(client);
      }
      if (replay.length > 0) client.lastSeq = replay[replay.length - 1].seq;
    }
    const held = client.holding ?? [];
    client.holding = null;
    const pending = held.filter((e) => e.seq > client.lastSeq && this.wants(client, e));
    if (pending.length > 0) this.sendEvents(client, pending, null);
  }

  private async snapshot(resync: boolean): Promise<Record<string, unknown>> {
    const state = await this.daemon.engineState().catch(() => null);
    return {
      ...(resync ? { resync: true } : {}),
      activeProfile: this.daemon.activeProfileName(),
      modifiers: state?.modifiers ?? [],
      locks: state?.locks ?? [],
      held: state?.held ?? [],
      devices: this.daemon.listDevices(),
      context: this.daemon.context(),
      suspended: this.daemon.suspended,
    };
  }

  // ---------------------------------------------------------------- hub → clients

  private onEvent(e: HubEvent): void {
    this.batch.push(e);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.endOfTurn());
    }
  }

  /**
   * A batch is complete (key records from the input thread): the first of a turn goes out at once,
   * later ones with the end of the turn, so a daemon that fell behind catches up with fewer,
   * larger frames rather than one per batch.
   */
  private onBatchEnd(): void {
    if (this.flushedInTurn || this.batch.length === 0) return;
    this.flushedInTurn = true;
    this.flush();
  }

  private endOfTurn(): void {
    this.flushScheduled = false;
    this.flushedInTurn = false;
    this.flush();
  }

  private wants(client: Client, e: HubEvent): boolean {
    if (!client.topics.has(e.type as Topic)) return false;
    if (e.type !== 'key') return true;
    const data = e.data as { device: string; key: string };
    if (client.filter.devices && !client.filter.devices.has(data.device)) return false;
    if (client.filter.keys && !client.filter.keys.has(data.key)) return false;
    return true;
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 0 || this.clients.size === 0) return;
    // Each envelope is serialised once, and the frame of the whole batch once: every client that
    // takes the whole batch is written the same bytes (ws would encode a string again per client).
    let parts: string[] | null = null;
    let shared: Buffer | null = null;
    for (const client of this.clients) {
      if (client.holding) {
        client.holding.push(...batch);
        continue;
      }
      let count = 0;
      for (const e of batch) if (e.seq > client.lastSeq && this.wants(client, e)) count++;
      if (count === 0) continue;
      parts ??= batch.map(eventJson);
      if (count === batch.length) {
        shared ??= Buffer.from(frameOf(parts));
        this.sendEvents(client, batch, shared);
        continue;
      }
      const picked: HubEvent[] = [];
      const own: string[] = [];
      for (let i = 0; i < batch.length; i++)
        if (batch[i].seq > client.lastSeq && this.wants(client, batch[i])) {
          picked.push(batch[i]);
          own.push(parts[i]);
        }
      this.sendEvents(client, picked, frameOf(own));
    }
  }

  /**
   * The client is behind by wsQueueMessages frames not yet taken by its socket, or by
   * wsQueueBytes: bytes it has not read (sent, and not covered by a pong), or bytes waiting in
   * its socket's queue (which bounds the daemon's memory even if pongs lied). The resume replay
   * does not count until the client has read it.
   */
  private lagging(client: Client): boolean {
    const s = this.daemon.settings;
    const replay = client.readBytes < client.replayEnd ? client.replayBytes : 0;
    return (
      client.inFlight >= s.wsQueueMessages ||
      client.socket.bufferedAmount - replay >= s.wsQueueBytes ||
      client.sentBytes - client.readBytes - replay >= this.unreadBound()
    );
  }

  private unreadBound(): number {
    return Math.max(this.daemon.settings.wsQueueBytes, UNREAD_FLOOR);
  }

  /** Events for one client; `frame` is their serialisation (null: serialise them here). */
  private sendEvents(client: Client, events: HubEvent[], frame: Buffer | string | null): void {
    if (client.closing || client.socket.readyState !== client.socket.OPEN) return;
    const from = events[0].seq;
    const to = events[events.length - 1].seq;
    if (this.lagging(client)) {
      client.lagEvents++;
      client.lastSeq = to;
      this.sendControl(client, 'lagged', { from, to, dropped: events.length, consecutive: client.lagEvents });
      if (client.lagEvents >= this.daemon.settings.wsMaxLagEvents) this.tooSlow(client);
      return;
    }
    client.lagEvents = 0;
    client.lastSeq = to;
    this.write(client, frame ?? frameOf(events.map(eventJson)));
  }

  private tooSlow(client: Client): void {
    client.closing = true;
    this.clients.delete(client);
    const { socket } = client;
    socket.close(CLOSE_TOO_SLOW, `too slow: ${client.lagEvents} consecutive lag events`);
    if (socket.bufferedAmount === 0) {
      // The close frame is with the kernel, behind what the client has not read: the daemon holds
      // nothing for it any more. The FIN follows it at once, and the socket stays readable, so the
      // client's late answers (a pong, its close frame) are read, not refused with a reset that
      // would discard what it has not read yet: it gets everything up to the close, whenever it
      // reads. ws closes the socket when the client answers the close (or after its closeTimeout).
      (socket as unknown as { _socket: Socket })._socket.end();
    } else {
      // the close frame waits behind the daemon's queue for this socket: a second to read up to it
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    }
  }

  private write(client: Client, frame: string | Buffer): void {
    client.inFlight++;
    client.sentBytes += typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
    client.socket.send(frame, { binary: false }, () => {
      client.inFlight--;
    });
    // one ping in flight at a time, after every quarter of the unread bound: what the client has
    // read is known to within that (and its round trip)
    if (!client.pingOutstanding && client.sentBytes - client.pingedBytes >= this.unreadBound() / 4)
      this.ping(client);
  }

  /** A ping whose payload is the bytes sent before it; the client's pong echoes it. */
  private ping(client: Client): void {
    if (client.socket.readyState !== client.socket.OPEN) return;
    client.pingedBytes = client.sentBytes;
    client.pingOutstanding = true;
    client.socket.ping(String(client.sentBytes));
  }

  private onPong(client: Client, data: Buffer): void {
    client.lastPong = Date.now();
    // A pong echoes its ping (RFC 6455 5.5.3). One without a count of ours (unsolicited, or from a
    // client that does not echo) is taken as the answer to the latest ping.
    const text = data.length > 0 && data.length <= 16 ? data.toString('latin1') : '';
    const read = /^\d+$/.test(text) ? Number(text) : client.pingedBytes;
    if (read > client.pingedBytes) return;
    if (read > client.readBytes) client.readBytes = read;
    if (read === client.pingedBytes) client.pingOutstanding = false;
  }

  private sendControl(client: Client, type: string, data: unknown): void {
    if (client.socket.readyState !== client.socket.OPEN) return;
    this.write(client, JSON.stringify({ type, seq: client.lastSeq, time: nowUs(), data } satisfies Envelope));
  }

  // ---------------------------------------------------------------- client → server

  private reply(client: Client, id: unknown, type: 'ack' | 'error', data: Record<string, unknown>): void {
    this.sendControl(client, type, { id: id ?? null, ...data });
  }

  private onClientMessage(client: Client, data: unknown, isBinary: boolean): void {
    const now = Date.now();
    if (now - client.opsWindowStart >= 1000) {
      client.opsWindowStart = now;
      client.opsInWindow = 0;
    }
    if (++client.opsInWindow > MAX_OPS_PER_SECOND) {
      client.closing = true;
      client.socket.close(CLOSE_POLICY, `more than ${MAX_OPS_PER_SECOND} requests per second`);
      return;
    }
    if (isBinary)
      return this.reply(client, null, 'error', {
        code: 'BAD_MESSAGE',
        message: 'binary frames are not accepted; send JSON text',
      });
    let msg: unknown;
    try {
      msg = JSON.parse(String(data));
    } catch {
      return this.reply(client, null, 'error', {
        code: 'BAD_MESSAGE',
        message: 'the message is not valid JSON',
      });
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
      return this.reply(client, null, 'error', {
        code: 'BAD_MESSAGE',
        message: 'a request is a JSON object with "op"',
      });
    const m = msg as Record<string, unknown>;
    const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
    switch (m.op) {
      case 'ping':
        return this.reply(client, id, 'ack', { op: 'ping', seq: this.daemon.hub.currentSeq });
      case 'subscribe':
      case 'unsubscribe': {
        const topics = m.topics ?? [];
        if (!Array.isArray(topics) || topics.some((t) => !(TOPICS as readonly unknown[]).includes(t)))
          return this.reply(client, id, 'error', {
            code: 'BAD_TOPIC',
            message: `topics must be an array of: ${TOPICS.join(', ')}`,
          });
        if (m.op === 'subscribe') {
          // validate everything before changing anything: a refused request changes nothing
          const f = m.filter === undefined ? null : parseFilter(m.filter);
          if (typeof f === 'string')
            return this.reply(client, id, 'error', { code: 'BAD_FILTER', message: f });
          for (const t of topics) client.topics.add(t as Topic);
          if (f) client.filter = f;
        } else for (const t of topics) client.topics.delete(t as Topic);
        return this.reply(client, id, 'ack', {
          op: m.op,
          topics: [...client.topics],
          filter: {
            devices: client.filter.devices ? [...client.filter.devices] : null,
            keys: client.filter.keys ? [...client.filter.keys] : null,
          },
        });
      }
      default:
        return this.reply(client, id, 'error', {
          code: 'UNKNOWN_OP',
          message: `unknown op ${JSON.stringify(m.op)?.slice(0, 40)} (expected subscribe, unsubscribe or ping)`,
        });
    }
  }

  private beat(): void {
    const now = Date.now();
    for (const c of this.clients) {
      if (now - c.lastPong > PONG_TIMEOUT_MS) {
        c.socket.terminate();
        this.clients.delete(c);
      } else this.ping(c);
    }
  }
}

function parseFilter(f: unknown): Filter | string {
  if (typeof f !== 'object' || f === null || Array.isArray(f))
    return 'filter must be an object {devices?, keys?}';
  const out: Filter = { devices: null, keys: null };
  for (const field of ['devices', 'keys'] as const) {
    const v = (f as Record<string, unknown>)[field];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v) || v.length > 1000 || v.some((x) => typeof x !== 'string' || x.length > 256))
      return `filter.${field} must be an array of at most 1000 strings`;
    out[field] = new Set(v as string[]);
  }
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFastify = FastifyInstance<any, any, any, any, any>;

export async function registerWebSocket(app: AnyFastify, daemon: Daemon): Promise<WsHub> {
  const { default: websocket } = await import('@fastify/websocket');
  await app.register(websocket, {
    options: { maxPayload: MAX_CLIENT_FRAME, perMessageDeflate: false },
    // Shutdown never waits for a client to answer a close handshake (a stalled one never would).
    preClose(this: AnyFastify, done: () => void) {
      const server = this.websocketServer as import('ws').WebSocketServer;
      for (const client of server.clients) client.terminate();
      server.close(() => done());
    },
  });
  const hub = new WsHub(daemon);
  hub.start();
  app.addHook('onClose', async () => hub.stop());
  app.route({
    method: 'GET',
    url: '/ws',
    schema: { summary: 'the event stream (WebSocket; see docs/websocket.md)' },
    // a plain GET without the upgrade: the error envelope, like every other refusal
    handler: (_req, reply) =>
      reply.code(404).send({
        error: {
          code: 'NOT_FOUND',
          message: 'GET /ws is the WebSocket event stream: connect with a WebSocket upgrade',
        },
      }),
    wsHandler: (socket, req) => {
      // a failure in one connection must not take the daemon down (an unhandled rejection would)
      hub.connect(socket, req).catch((err: unknown) => {
        req.log.error({ err }, 'WebSocket connection failed');
        socket.terminate();
      });
    },
  });
  return hub;
}
