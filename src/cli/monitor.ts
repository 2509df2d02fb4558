/**
 * `keyrx monitor`: a terminal client of the daemon's WebSocket event stream (docs/websocket.md).
 *
 * Prints key events, state changes, profile and device events, errors and latency statistics as
 * they happen (or, with --json, every envelope as received, one per line). It resumes: after a
 * disconnect it reconnects with backoff and `?since=<last seq seen>`, so nothing is lost or shown
 * twice while the daemon still holds the missed events; when it does not (`lagged`, a resync
 * snapshot) it says so. A daemon that restarted numbers its events from 1 again: the monitor
 * notices (the daemon's pid and start time, and a `hello` whose seq is behind ours) and replays
 * the new daemon's events from its first.
 */
import type { Command } from 'commander';
import type WebSocket from 'ws';
import { formatMove, keyName, resolveKey } from '../core/index.ts';
import { plural } from '../core/plural.ts';
import type { Topic } from '../server/ws.ts';
import { CLOSE_POLICY, CLOSE_TOO_SLOW, PROTOCOL_VERSION, TOPICS } from '../server/ws.ts';
import type { Connection, ConnectionOptions } from './client.ts';
import { resolveConnection, verifyIdentity } from './client.ts';
import type { ColorName, Painter } from './color.ts';
import { painter, PLAIN } from './color.ts';
import { CliError } from './errors.ts';
import type { Output } from './profile-commands.ts';

export interface MonitorOptions extends ConnectionOptions {
  /** comma-separated topics (default: all, including key) */
  topics?: string;
  /** start after this seq instead of now */
  since?: string;
  json?: boolean;
  /** only key events of these devices / keys (each entry may be comma-separated) */
  device?: string[];
  key?: string[];
}

export interface MonitorTuning {
  /** ends the monitor (SIGINT); run() then resolves */
  signal?: AbortSignal;
  /** first reconnect delay (default 200 ms); it doubles up to maxDelayMs */
  minDelayMs?: number;
  /** longest reconnect delay (default 5 s) */
  maxDelayMs?: number;
  /** a connection with no message and no ping for this long is dropped (default 45 s: the daemon pings every 15 s) */
  idleTimeoutMs?: number;
}

export interface Envelope {
  type: string;
  seq: number;
  /** µs since the epoch */
  time: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

interface Selection {
  topics: Topic[];
  devices: string[] | null;
  keys: string[] | null;
  since: number | null;
}

const FILTER_REQUEST_ID = 'monitor-filter';
const PROBE_TIMEOUT_MS = 5_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------- options

function list(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Validates the options (usage errors exit with 2). */
export function parseSelection(opts: MonitorOptions): Selection {
  let topics: Topic[] = [...TOPICS];
  if (opts.topics !== undefined) {
    const wanted = list([opts.topics]);
    const unknown = wanted.filter((t) => !(TOPICS as readonly string[]).includes(t));
    if (unknown.length > 0)
      throw new CliError(`--topics: unknown topic '${unknown[0]}' (expected ${TOPICS.join(', ')})`, 2);
    if (wanted.length === 0) throw new CliError(`--topics: give at least one of ${TOPICS.join(', ')}`, 2);
    topics = [...new Set(wanted as Topic[])];
  }
  let since: number | null = null;
  if (opts.since !== undefined) {
    since = Number(opts.since);
    if (opts.since.trim() === '' || !Number.isSafeInteger(since) || since < 0)
      throw new CliError(`--since: '${opts.since}' is not a seq (a non-negative integer)`, 2);
  }
  const devices = list(opts.device);
  const keys = list(opts.key).map((name) => {
    try {
      return keyName(resolveKey(name));
    } catch {
      throw new CliError(`--key: unknown key name '${name}' (run keyrx keys for the list)`, 2);
    }
  });
  if ((devices.length > 0 || keys.length > 0) && !topics.includes('key'))
    throw new CliError('--device and --key filter key events: add key to --topics', 2);
  return {
    topics,
    devices: devices.length > 0 ? [...new Set(devices)] : null,
    keys: keys.length > 0 ? [...new Set(keys)] : null,
    since,
  };
}

export function streamUrl(baseUrl: string, topics: readonly string[], since: number | null): string {
  const url = new URL(`${baseUrl}/ws`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('topics', topics.join(','));
  if (since !== null) url.searchParams.set('since', String(since));
  return url.toString();
}

// ---------------------------------------------------------------- formatting

function two(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local wall-clock time of an envelope's `time` (µs since the epoch): 14:03:07.123. */
export function formatClock(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${two(d.getMilliseconds(), 3)}`;
}

const PREFIX: Record<string, string> = { press: 'd', release: 'u', repeat: 'r' };

function keyStroke(action: string, key: string): string {
  return PREFIX[action] ? `${PREFIX[action]}:${key}` : `${action}:${key}`;
}

function names(values: unknown): string {
  return Array.isArray(values) && values.length > 0 ? values.join(' ') : '-';
}

function describeDevice(d: Record<string, unknown> | undefined): string {
  if (!d) return '?';
  const parts = [`id ${String(d.id)}`];
  if (d.connected === false) parts.push('disconnected');
  if (d.enabled === false) parts.push('disabled');
  else if (d.grabbed === true) parts.push('grabbed');
  const block = d.matchedBlock as { index: number; pattern: string } | null | undefined;
  if (block) parts.push(`block ${block.index + 1} ${JSON.stringify(block.pattern)}`);
  else if (block === null) parts.push('no matching block');
  return `${String(d.name ?? d.id)} (${parts.join(', ')})`;
}

function describeState(data: {
  activeProfile?: string | null;
  modifiers?: unknown;
  locks?: unknown;
}): string {
  return `profile ${data.activeProfile ?? '(none: keys pass through unchanged)'}, modifiers ${names(data.modifiers)}, locks ${names(data.locks)}`;
}

function describeSnapshot(data: Envelope['data']): string {
  const held = Array.isArray(data.held)
    ? (data.held as { device: string; key: string }[]).map((h) => `${h.key}@${h.device}`)
    : [];
  const devices = Array.isArray(data.devices)
    ? (data.devices as Record<string, unknown>[]).map((d) => String(d.name ?? d.id))
    : [];
  return `${describeState(data)}, held ${names(held)}, devices ${names(devices)}`;
}

function describeProfile(d: Envelope['data']): string {
  const compile = typeof d.compileMs === 'number' ? `compiled in ${d.compileMs.toFixed(1)} ms` : null;
  switch (d.action) {
    case 'activated':
      return `activated ${d.name} (${[compile, d.cached ? 'cached' : null].filter(Boolean).join(', ')})`;
    case 'updated':
      return `updated ${d.name} (${[compile, d.reloaded ? 'reloaded' : 'not active'].filter(Boolean).join(', ')})`;
    case 'created':
      return `created ${d.name}${d.from ? ` from ${d.from}` : ''}`;
    case 'renamed':
      return `renamed ${d.from} → ${d.name}`;
    case 'deleted':
      return `deleted ${d.name}${d.wasActive ? ' (it was active: keys now pass through unchanged)' : ''}`;
    default:
      return JSON.stringify(d);
  }
}

/** `app firefox, title "Inbox", ime off, language -` */
function describeContext(d: Envelope['data']): string {
  const text = (v: unknown): string => (typeof v === 'string' && v !== '' ? v : '-');
  const title = typeof d.title === 'string' && d.title !== '' ? JSON.stringify(d.title) : '-';
  return `app ${text(d.app)}, title ${title}, ime ${d.ime ? 'on' : 'off'}, language ${text(d.language)}`;
}

/** The colour of each kind of line's label (key lines: the device name); unlisted: none. */
const LABEL_COLOR: Record<string, ColorName> = {
  key: 'cyan',
  state: 'magenta',
  snapshot: 'magenta',
  latency: 'blue',
  profile: 'blue',
  device: 'blue',
  context: 'blue',
  error: 'red',
  resync: 'yellow',
  lagged: 'yellow',
  restart: 'yellow',
};

/**
 * The colour of a decision (the engine's `Decision` names, shown as sent): nothing happened
 * (`passthrough`, `ignored`) dim, still open (`pending`, `queued`) and the daemon's `release-all`
 * yellow, anything a mapping did green.
 */
export function decisionColor(decision: string): ColorName {
  if (decision === 'passthrough' || decision === 'ignored') return 'dim';
  if (decision === 'pending' || decision === 'queued' || decision === 'release-all') return 'yellow';
  return 'green';
}

/** `14:03:07.123 state:    text`: the time dim, the label coloured by `type`, when painting. */
function line(time: number, type: string, label: string, text: string, paint: Painter): string {
  const color = LABEL_COLOR[type];
  const pad = ' '.repeat(Math.max(0, 9 - label.length));
  return `${paint.dim(formatClock(time))} ${color ? paint[color](label) : label}${pad} ${text}`;
}

/**
 * One envelope as a line for people, or null for those not shown (acks, latency windows without
 * key events). `resumedFrom` is the seq a resync snapshot was asked to resume after. Mapping
 * kinds and decisions are shown as the API sends them (the engine's `MappingKind` and
 * `Decision`). `paint` colours it (monitor on a terminal); by default it is plain.
 */
export function formatEnvelope(
  env: Envelope,
  resumedFrom: number | null = null,
  paint: Painter = PLAIN,
): string | null {
  const d = env.data ?? {};
  const at = (type: string, label: string, text: string): string => line(env.time, type, label, text, paint);
  switch (env.type) {
    case 'key': {
      const input = d.action === 'release-all' ? 'release-all' : keyStroke(String(d.action), String(d.key));
      const outputs = Array.isArray(d.outputs)
        ? (d.outputs as { key: string; action: string; value?: number }[])
            .map((o) => (o.action === 'move' ? formatMove(o.key, o.value ?? 0) : keyStroke(o.action, o.key)))
            .join(' ')
        : '';
      const shown = outputs || (d.decision === 'pending' ? '(pending)' : '(none)');
      const decision = String(d.decision);
      const head = `${input.padEnd(16)} → ${shown.padEnd(20)} ${d.mapping} `;
      // padded on the plain text, so colour codes do not shift the latency column (64 columns:
      // room for the common `passthrough passthrough`)
      const pad = ' '.repeat(Math.max(0, 64 - head.length - decision.length));
      const text = `${head}${paint[decisionColor(decision)](decision)}`;
      return at(
        'key',
        String(d.device || '-'),
        d.latencyUs > 0 ? `${text}${pad} ${String(d.latencyUs).padStart(6)} µs` : text,
      );
    }
    case 'state':
      return at('state', 'state:', `modifiers ${names(d.modifiers)}, locks ${names(d.locks)}`);
    case 'latency':
      if (!d.count) return null;
      return at(
        'latency',
        'latency:',
        `${d.eventsPerSecond} events/s, p50 ${d.p50} µs, p99 ${d.p99} µs, max ${d.max} µs (${plural(d.count, 'event')})`,
      );
    case 'profile':
      return at('profile', 'profile:', describeProfile(d));
    case 'device':
      return at('device', 'device:', `${d.action} ${describeDevice(d.device)}`);
    case 'context':
      return at('context', 'context:', describeContext(d));
    case 'error':
      // a reply to a request (it has the request's id) rather than an error event
      if ('id' in d)
        return at(
          'error',
          'error:',
          `request${d.id === null ? '' : ` ${d.id}`} refused: ${d.code}: ${d.message}`,
        );
      return at('error', 'error:', `${d.code}: ${d.message}`);
    case 'snapshot':
      if (d.resync)
        return at(
          'resync',
          'resync:',
          `the daemon no longer keeps the events after seq ${resumedFrom ?? '?'}: missed events up to seq ${env.seq}; now: ${describeSnapshot(d)}`,
        );
      return at('snapshot', 'snapshot:', describeSnapshot(d));
    case 'lagged':
      return at(
        'lagged',
        'lagged:',
        `lost ${plural(d.dropped, 'event')} (seq ${d.from}–${d.to}): this monitor fell behind (${d.consecutive} in a row)`,
      );
    case 'hello':
    case 'ack':
      return null;
    default:
      return at(env.type, `${env.type}:`, JSON.stringify(d));
  }
}

// ---------------------------------------------------------------- the client

type SessionEnd =
  | { kind: 'closed'; code: number; reason: string; hello: boolean; error: string | null }
  | { kind: 'restarted'; daemonSeq: number }
  | { kind: 'retry'; reason: string }
  | { kind: 'stopped' };

/** `instance` tells daemon processes apart: pid and start time */
type Probe =
  { kind: 'ok'; instance: string | null; pid: number | null } | { kind: 'unreachable'; reason: string };

/** The error code (ECONNREFUSED) of an error or its causes, else the innermost message. */
function errorReason(e: unknown): string {
  let cause: unknown = e;
  let message = e instanceof Error ? e.message : String(e);
  for (let i = 0; i < 5 && cause; i++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (cause instanceof Error) message = cause.message;
    cause = (cause as { cause?: unknown }).cause;
  }
  return message;
}

export class Monitor {
  /** the seq to resume after: the highest seq seen, null before the first connection */
  lastSeq: number | null;
  private instance: string | null = null;
  private pid: number | null = null;
  private connectedOnce = false;
  private readonly selection: Selection;
  private readonly json: boolean;
  /** colours for the lines (never with --json): see color.ts */
  private readonly paint: Painter;

  constructor(
    private readonly conn: Connection,
    opts: MonitorOptions,
    private readonly io: Output,
    private readonly tuning: MonitorTuning = {},
  ) {
    this.selection = parseSelection(opts);
    this.lastSeq = this.selection.since;
    this.json = opts.json === true;
    this.paint = painter(!this.json && io.outColor);
  }

  /** Runs until the signal aborts (resolves) or a fatal error (throws a CliError). */
  async run(): Promise<void> {
    const signal = this.tuning.signal;
    const minDelay = this.tuning.minDelayMs ?? 200;
    const maxDelay = this.tuning.maxDelayMs ?? 5_000;
    let failures = 0;
    let announcedDown = false;
    while (!signal?.aborted) {
      const probe = await this.probe();
      if (signal?.aborted) break;
      let end: SessionEnd;
      if (probe.kind === 'unreachable') {
        if (!this.connectedOnce)
          throw new CliError(
            `cannot reach the keyrx daemon at ${this.conn.baseUrl} (${probe.reason}): is it running? start it with: ${this.conn.startCommand}`,
            1,
          );
        end = { kind: 'retry', reason: probe.reason };
      } else {
        let since = this.lastSeq;
        if (probe.instance && this.instance && probe.instance !== this.instance && since !== null) {
          this.notice(
            `the daemon restarted (pid ${this.pid} → ${probe.pid}): its seqs start again; replaying its events from the first`,
          );
          since = 0;
          this.lastSeq = 0;
        }
        if (probe.instance) {
          this.instance = probe.instance;
          this.pid = probe.pid;
        }
        end = await this.session(since);
      }
      if (end.kind === 'stopped' || signal?.aborted) break;
      if (end.kind === 'restarted') {
        this.notice(
          `the daemon's seq (${end.daemonSeq}) is behind the one to resume after (${this.lastSeq}): it restarted; replaying its events from the first`,
        );
        this.lastSeq = 0;
        failures = 0;
        continue;
      }
      if (end.kind === 'closed' && end.hello) {
        failures = 0;
        announcedDown = false;
      }
      failures++;
      const delay = Math.min(maxDelay, minDelay * 2 ** (failures - 1));
      const why =
        end.kind === 'retry'
          ? end.reason
          : `${describeClose(end.code)}${end.reason ? `: ${end.reason}` : ''}${end.error ? `, ${end.error}` : ''}`;
      if (!announcedDown) {
        this.status(
          `disconnected (${why}); reconnecting with backoff (${minDelay / 1000}–${maxDelay / 1000} s), resuming after seq ${this.lastSeq ?? '-'}`,
        );
        announcedDown = true;
      }
      await sleep(delay * (0.8 + Math.random() * 0.2), signal);
    }
  }

  /** A status line: stderr (stdout carries the stream). */
  private status(text: string): void {
    this.io.err(`keyrx monitor: ${text}`);
  }

  /** Something about the stream itself: a line in it for people, stderr with --json. */
  private notice(text: string): void {
    if (this.json) this.status(text);
    else this.io.out(line(Date.now() * 1000, 'restart', 'restart:', text, this.paint));
  }

  private authHeaders(): Record<string, string> {
    return this.conn.token ? { authorization: `Bearer ${this.conn.token}` } : {};
  }

  private unauthorized(): CliError {
    const { baseUrl, token, tokenPath } = this.conn;
    return new CliError(
      token
        ? `the keyrx daemon at ${baseUrl} refused the token in ${tokenPath}: it belongs to another daemon or config directory (pass the daemon's --config-dir, or KEYRX_CONFIG_DIR)`
        : `no API token: ${tokenPath} does not exist (pass the daemon's --config-dir, or KEYRX_CONFIG_DIR)`,
      1,
    );
  }

  /**
   * GET /api/status before each connection: the daemon's pid and start time tell a restarted
   * daemon (whose seqs start again) from the one we resume with, and a refused token is
   * reported without a WebSocket attempt.
   */
  private async probe(): Promise<Probe> {
    // every connection, not only the first: while the daemon is down, another program may take its port
    const identity = await verifyIdentity(this.conn, {
      signal: this.tuning.signal,
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    if (!identity.ok) return { kind: 'unreachable', reason: identity.reason };
    let res: Response;
    try {
      res = await fetch(`${this.conn.baseUrl}/api/status`, {
        headers: { accept: 'application/json', ...this.authHeaders() },
        signal: this.tuning.signal
          ? AbortSignal.any([this.tuning.signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)])
          : AbortSignal.timeout(PROBE_TIMEOUT_MS),
        redirect: 'manual',
      });
    } catch (e) {
      return { kind: 'unreachable', reason: errorReason(e) };
    }
    const body = (await res.json().catch(() => null)) as { pid?: unknown; startedAt?: unknown } | null;
    if (res.status === 401) throw this.unauthorized();
    if (res.status === 503) return { kind: 'unreachable', reason: 'the daemon is shutting down' };
    if (!res.ok || !body || typeof body.pid !== 'number' || typeof body.startedAt !== 'string')
      return { kind: 'ok', instance: null, pid: null };
    return { kind: 'ok', instance: `${body.pid}@${body.startedAt}`, pid: body.pid };
  }

  private async session(since: number | null): Promise<SessionEnd> {
    const { signal } = this.tuning;
    const idleMs = this.tuning.idleTimeoutMs ?? 45_000;
    const sel = this.selection;
    // loaded here, not with the module: every other keyrx command starts ~0.1 s sooner without it
    const { default: WebSocket } = await import('ws');
    return new Promise<SessionEnd>((resolve, reject) => {
      const ws = new WebSocket(streamUrl(this.conn.baseUrl, sel.topics, since), {
        headers: this.authHeaders(),
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        maxPayload: 256 * 1024 * 1024,
      });
      let hello = false;
      let lastError: string | null = null;
      let settled = false;
      let idle: NodeJS.Timeout | null = null;
      const finish = (end: SessionEnd | CliError): void => {
        if (settled) return;
        settled = true;
        if (idle) clearTimeout(idle);
        signal?.removeEventListener('abort', onAbort);
        if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
        if (end instanceof CliError) reject(end);
        else resolve(end);
      };
      const onAbort = (): void => finish({ kind: 'stopped' });
      if (signal?.aborted) return finish({ kind: 'stopped' });
      signal?.addEventListener('abort', onAbort, { once: true });
      const arm = (): void => {
        if (idle) clearTimeout(idle);
        idle = setTimeout(() => {
          lastError = `no message or ping for ${Math.round(idleMs / 1000)} s`;
          ws.terminate();
        }, idleMs);
      };

      ws.on('unexpected-response', (req, res) => {
        const status = res.statusCode ?? 0;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text = (text + chunk).slice(0, 4096)));
        res.on('end', () => {
          req.destroy();
          let message: string;
          try {
            message = String((JSON.parse(text) as { error?: { message?: unknown } }).error?.message ?? '');
          } catch {
            message = text.slice(0, 200);
          }
          if (status === 401) return finish(this.unauthorized());
          if (status === 503) return finish({ kind: 'retry', reason: 'the daemon is shutting down' });
          finish(
            new CliError(
              `the keyrx daemon at ${this.conn.baseUrl} refused the event stream: HTTP ${status}${message ? `: ${message}` : ''}`,
              1,
            ),
          );
        });
        res.on('error', () => finish({ kind: 'retry', reason: `HTTP ${status}` }));
      });
      ws.on('open', arm);
      ws.on('ping', arm);
      ws.on('error', (e) => (lastError = errorReason(e)));
      ws.on('close', (code, reason) => {
        const text = reason.toString();
        if (code === CLOSE_POLICY)
          return finish(new CliError(`the keyrx daemon closed the event stream: ${text || 'policy'}`, 1));
        finish({ kind: 'closed', code, reason: text, hello, error: lastError });
      });
      ws.on('message', (raw, isBinary) => {
        if (settled) return;
        arm();
        if (isBinary) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString());
        } catch {
          this.status(`ignored a message that is not JSON: ${raw.toString().slice(0, 80)}`);
          return;
        }
        for (const env of (Array.isArray(parsed) ? parsed : [parsed]) as Envelope[]) {
          if (settled) return;
          if (!hello) {
            if (env.type !== 'hello')
              return finish(
                new CliError(`${this.conn.baseUrl}/ws did not greet with hello: is it a keyrx daemon?`, 1),
              );
            hello = true;
            const daemonSeq = Number(env.data?.seq);
            if (since !== null && since > 0 && daemonSeq < since)
              return finish({ kind: 'restarted', daemonSeq });
            this.onHello(env, since, ws);
          }
          const failure = this.onEnvelope(env, since);
          if (failure) return finish(failure);
        }
      });
    });
  }

  private onHello(env: Envelope, since: number | null, ws: WebSocket): void {
    if (env.data?.protocol !== PROTOCOL_VERSION)
      this.status(
        `the daemon speaks protocol ${env.data?.protocol}, this monitor ${PROTOCOL_VERSION}: some events may show raw`,
      );
    const where = `keyrx ${env.data?.version ?? '?'} at ${this.conn.baseUrl}`;
    if (!this.connectedOnce)
      this.status(
        `connected to ${where} (seq ${env.data?.seq}; topics ${this.selection.topics.join(',')}${since !== null ? `; replaying after seq ${since}` : ''}); Ctrl-C to stop`,
      );
    else this.status(`reconnected to ${where}, resuming after seq ${since ?? '-'}`);
    this.connectedOnce = true;
    if (this.selection.devices || this.selection.keys)
      ws.send(
        JSON.stringify({
          op: 'subscribe',
          id: FILTER_REQUEST_ID,
          topics: [],
          filter: { devices: this.selection.devices, keys: this.selection.keys },
        }),
      );
  }

  /** Key events replayed before the filter is acknowledged are filtered here too. */
  private wanted(env: Envelope): boolean {
    if (env.type !== 'key') return true;
    const { devices, keys } = this.selection;
    if (devices && !devices.includes(env.data?.device)) return false;
    if (keys && !keys.includes(env.data?.key)) return false;
    return true;
  }

  /** Prints an envelope; returns the error that ends the monitor, if it is one. */
  private onEnvelope(env: Envelope, since: number | null): CliError | null {
    if (env.type === 'error' && env.data?.id === FILTER_REQUEST_ID)
      return new CliError(`the daemon refused the filter: ${env.data.message}`, 1);
    if (typeof env.seq === 'number' && (this.lastSeq === null || env.seq > this.lastSeq))
      this.lastSeq = env.seq;
    if (!this.wanted(env)) return null;
    if (this.json) this.io.out(JSON.stringify(env));
    else {
      const text = formatEnvelope(env, since, this.paint);
      if (text !== null) this.io.out(text);
    }
    return null;
  }
}

function describeClose(code: number): string {
  if (code === CLOSE_TOO_SLOW) return 'closed by the daemon as too slow (4008)';
  if (code === 1006) return 'connection lost (1006)';
  if (code === 1001) return 'the daemon is going away (1001)';
  return `closed with code ${code}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Runs the monitor until SIGINT/SIGTERM (resolves: exit 0) or a fatal error (a CliError). */
export async function runMonitor(
  opts: MonitorOptions,
  io: Output,
  tuning: MonitorTuning = {},
): Promise<void> {
  parseSelection(opts);
  const monitor = new Monitor(await resolveConnection(opts), opts, io, tuning);
  await monitor.run();
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerMonitorCommand(program: Command, io: Output): void {
  program
    .command('monitor')
    .description('print the running daemon’s events live: keys, state, profiles, devices, errors')
    .option('--topics <list>', `comma-separated topics: ${TOPICS.join(', ')} (default: all)`)
    .option('--since <seq>', 'start with the events after this seq that the daemon still keeps')
    .option('--device <name>', 'only key events of this device (repeatable or comma-separated)', collect, [])
    .option('--key <name>', 'only key events of this key (repeatable or comma-separated)', collect, [])
    .option('--json', 'print every message as received, one JSON envelope per line')
    .option('--config-dir <dir>', "the daemon's config directory, for its token (env KEYRX_CONFIG_DIR)")
    .option('--url <url>', 'daemon URL (env KEYRX_URL; default http://127.0.0.1:$KEYRX_PORT or 9867)')
    .action(async (opts: MonitorOptions) => {
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await runMonitor(opts, io, { signal: controller.signal });
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
      }
    });
}
