/**
 * The REST client the `keyrx status|profiles|devices|login-url` commands use: finds the daemon
 * (--url, KEYRX_URL, KEYRX_PORT) and its token (the config directory's `token` file), and turns
 * every failure into a one-line CliError: the API's own message for API errors (exit 1), a clear
 * hint when the daemon is not running or the token is missing or wrong.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { identityProof } from '../server/identity.ts';
import { configPaths, resolveConfigDir } from '../daemon/paths.ts';
import { CliError, describeFsError } from './errors.ts';
import type { LocalDaemon } from './local-daemon.ts';
import { openLocalDaemon } from './local-daemon.ts';

export interface ConnectionOptions {
  /** --config-dir: where the token file is (same resolution as the daemon's) */
  configDir?: string;
  /** --url: the daemon's base URL */
  url?: string;
}

export interface Connection {
  baseUrl: string;
  /** null when the token file does not exist (a daemon started with --no-auth needs none) */
  token: string | null;
  tokenPath: string;
  /** how to start a daemon this client would reach, for the "is it running?" hint */
  startCommand: string;
}

/** An error reply of the API: `{"error": {"code", "message", "details"}}`. Exit code 1. */
export class ApiError extends CliError {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message, 1);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const DEFAULT_TIMEOUT_MS = 30_000;
/**
 * The daemon's default port (DEFAULT_PORT in daemon-command.ts, which is not imported here: it
 * loads the whole daemon and server, and the clients start faster without them).
 */
export const DEFAULT_PORT = 9867;

function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** The base URL: --url, else $KEYRX_URL, else http://127.0.0.1:$KEYRX_PORT (default 9867). */
export function resolveBaseUrl(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const text = explicit ?? env.KEYRX_URL ?? `http://127.0.0.1:${env.KEYRX_PORT || DEFAULT_PORT}`;
  const where = explicit !== undefined ? '--url' : env.KEYRX_URL !== undefined ? 'KEYRX_URL' : 'KEYRX_PORT';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(
      `${where}: '${text}' is not a URL (expected e.g. http://127.0.0.1:${DEFAULT_PORT})`,
      2,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`${where}: '${text}' is not an http:// or https:// URL`, 2);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

export async function resolveConnection(
  opts: ConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Connection> {
  const baseUrl = resolveBaseUrl(opts.url, env);
  const tokenPath = configPaths(resolveConfigDir(opts.configDir, env)).token;
  let token: string | null = null;
  try {
    token = (await readFile(tokenPath, 'utf8')).trim() || null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new CliError(`cannot read the API token '${tokenPath}': ${describeFsError(e)}`, 1);
  }
  const url = new URL(baseUrl);
  const args = ['keyrx daemon'];
  if (opts.configDir !== undefined) args.push(`--config-dir ${resolveConfigDir(opts.configDir, env)}`);
  if (!isLoopbackHost(url.hostname)) args.push(`--host ${url.hostname.replace(/^\[|\]$/g, '')}`);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (port !== String(DEFAULT_PORT)) args.push(`--port ${port}`);
  return { baseUrl, token, tokenPath, startCommand: args.join(' ') };
}

/** How long a client waits for a daemon that answers 503 STARTING. */
const STARTING_WAIT_MS = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export type IdentityCheck = { ok: true } | { ok: false; reason: string; starting?: boolean };

/**
 * Before the token leaves this process: the server must prove it knows it (`GET /api/identity`,
 * an HMAC of a fresh challenge and the Host we asked for). Anything else listening on the port —
 * a program squatting on it while the daemon is down — never sees the token. Resolves
 * `{ok: false}` when nothing answers (or the daemon is still starting); throws when something
 * answers that is not this config directory's daemon.
 */
export async function verifyIdentity(
  conn: Connection,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<IdentityCheck> {
  if (!conn.token) return { ok: true };
  const challenge = randomBytes(32).toString('hex');
  const host = new URL(conn.baseUrl).host;
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetch(`${conn.baseUrl}/api/identity?challenge=${challenge}`, {
      headers: { accept: 'application/json' },
      signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
      redirect: 'manual',
    });
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, reason: 'no answer in time' };
    return { ok: false, reason: networkReason(e) ?? 'unreachable' };
  }
  const body = (await res.json().catch(() => null)) as {
    proof?: unknown;
    error?: { code?: unknown; message?: unknown };
  } | null;
  if (res.status === 503 && body?.error?.code === 'STARTING')
    return { ok: false, reason: 'the daemon is starting', starting: true };
  if (res.status === 503) return { ok: false, reason: 'the daemon is shutting down' };
  if (res.status === 421 && typeof body?.error?.message === 'string')
    throw new ApiError(421, 'HOST_NOT_ALLOWED', body.error.message);
  const expected = Buffer.from(identityProof(conn.token, host, challenge));
  const proof = typeof body?.proof === 'string' ? Buffer.from(body.proof) : null;
  if (res.ok && proof && proof.length === expected.length && timingSafeEqual(proof, expected))
    return { ok: true };
  const port = new URL(conn.baseUrl).port || '80';
  throw new CliError(
    `the server at ${conn.baseUrl} could not prove it knows the API token in ${conn.tokenPath} (HTTP ${res.status}), so the token was not sent: it is a keyrx daemon of another config directory (pass its --config-dir, or KEYRX_CONFIG_DIR), or another program is using the port (check with: ss -ltnp 'sport = :${port}')`,
    1,
  );
}

function networkReason(e: unknown): string | undefined {
  let cause: unknown = e;
  for (let i = 0; i < 5 && cause; i++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface ApiClientOptions {
  timeoutMs?: number;
  /**
   * When nothing listens at the daemon's address (and no --url or KEYRX_URL chose it), open this
   * config directory in-process instead (local-daemon.ts): for commands that only read and edit it.
   */
  offlineDir?: string;
  /** told once when the client works on the config directory directly */
  notice?: (text: string) => void;
}

export class ApiClient {
  readonly conn: Connection;
  private readonly timeoutMs: number;
  private readonly opts: ApiClientOptions;
  /** set once the daemon proved it knows the token (verifyIdentity) */
  private verified = false;
  /** the config directory opened in-process, when no daemon runs (offline mode) */
  private local: LocalDaemon | null = null;

  constructor(conn: Connection, opts: ApiClientOptions = {}) {
    this.conn = conn;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.opts = opts;
  }

  /** The config directory this client works on directly, or null when it talks to a daemon. */
  get offline(): string | null {
    return this.local?.dir ?? null;
  }

  /** One API call; resolves to the parsed JSON reply of a 2xx status, otherwise throws a CliError. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (!this.verified) await this.verify();
    if (this.local) {
      const r = await this.local.request(method, path, body);
      return this.reply<T>(method, path, r.status, r.status >= 200 && r.status < 300, r.text);
    }
    const url = `${this.conn.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.conn.token) headers.authorization = `Bearer ${this.conn.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      });
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new CliError(
          `the keyrx daemon at ${this.conn.baseUrl} did not answer within ${this.timeoutMs / 1000} s`,
          1,
        );
      const reason = networkReason(e);
      // no token file, so no identity check: the first request is what finds nobody listening
      if (reason === 'ECONNREFUSED' && this.opts.offlineDir !== undefined) {
        await this.openOffline(this.opts.offlineDir);
        return this.request<T>(method, path, body);
      }
      const shown = reason && reason !== 'ECONNREFUSED' ? ` (${reason})` : '';
      throw new CliError(
        `cannot reach the keyrx daemon at ${this.conn.baseUrl}${shown}: is it running? start it with: ${this.conn.startCommand}`,
        1,
      );
    }
    const text = await res.text().catch(() => '');
    return this.reply<T>(method, path, res.status, res.ok, text);
  }

  /** The parsed JSON of a 2xx reply, or the CliError its error envelope (or its absence) means. */
  private reply<T>(method: string, path: string, status: number, ok: boolean, text: string): T {
    const url = `${this.local ? `(${this.local.dir}) ` : this.conn.baseUrl}${path}`;
    let data: unknown;
    try {
      data = text === '' ? undefined : JSON.parse(text);
    } catch {
      data = undefined;
    }
    if (ok && data !== undefined) return data as T;
    const envelope = (
      data as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined
    )?.error;
    if (envelope && typeof envelope.code === 'string' && typeof envelope.message === 'string') {
      if (status === 401 && envelope.code === 'UNAUTHORIZED') throw this.unauthorized();
      throw new ApiError(status, envelope.code, envelope.message, envelope.details);
    }
    if (status === 503)
      throw new CliError(`the keyrx daemon at ${this.conn.baseUrl} is shutting down (HTTP 503)`, 1);
    throw new CliError(
      `unexpected reply from ${method} ${url}: HTTP ${status}${ok ? ', not JSON' : ''} (is ${this.conn.baseUrl} a keyrx daemon?)`,
      1,
    );
  }

  /** verifyIdentity, waiting while the daemon says it is starting. */
  private async verify(): Promise<void> {
    const deadline = Date.now() + Math.min(STARTING_WAIT_MS, this.timeoutMs);
    for (;;) {
      const check = await verifyIdentity(this.conn, { timeoutMs: this.timeoutMs });
      if (check.ok) break;
      if (check.starting && Date.now() < deadline) {
        await sleep(200);
        continue;
      }
      if (check.reason === 'no answer in time')
        throw new CliError(
          `the keyrx daemon at ${this.conn.baseUrl} did not answer within ${this.timeoutMs / 1000} s`,
          1,
        );
      if (check.starting || check.reason.startsWith('the daemon'))
        throw new CliError(`the keyrx daemon at ${this.conn.baseUrl}: ${check.reason}`, 1);
      const nobody = check.reason === 'ECONNREFUSED' || check.reason === 'unreachable';
      if (nobody && this.opts.offlineDir !== undefined) return this.openOffline(this.opts.offlineDir);
      const shown = nobody ? '' : ` (${check.reason})`;
      throw new CliError(
        `cannot reach the keyrx daemon at ${this.conn.baseUrl}${shown}: is it running? start it with: ${this.conn.startCommand}`,
        1,
      );
    }
    this.verified = true;
  }

  /** No daemon answers: the config directory, opened in this process (unless a daemon holds it). */
  private async openOffline(dir: string): Promise<void> {
    try {
      this.local = await openLocalDaemon(dir);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'ALREADY_RUNNING')
        throw new CliError(
          `a keyrx daemon is using ${dir} but does not answer at ${this.conn.baseUrl}: pass its address with --url (or KEYRX_URL / KEYRX_PORT)`,
          1,
        );
      throw new CliError(
        `no keyrx daemon is running, and ${dir} cannot be opened: ${(e as Error).message}`,
        1,
      );
    }
    this.verified = true;
    this.opts.notice?.(`keyrx: no daemon is running: working on ${dir} directly`);
  }

  private unauthorized(): ApiError {
    const { baseUrl, token, tokenPath } = this.conn;
    const message = token
      ? `the keyrx daemon at ${baseUrl} refused the token in ${tokenPath}: it belongs to another daemon or config directory (pass the daemon's --config-dir, or KEYRX_CONFIG_DIR)`
      : `no API token: ${tokenPath} does not exist (pass the daemon's --config-dir, or KEYRX_CONFIG_DIR)`;
    return new ApiError(401, 'UNAUTHORIZED', message);
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }
  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
}

/** A path segment: profile names are checked by the daemon, so anything is sent, escaped. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/**
 * A client of the daemon. With `offline`, a command that only reads and edits the config
 * directory works on it directly when no daemon runs — unless --url or KEYRX_URL named a daemon,
 * which must then answer.
 */
export async function connect(
  opts: ConnectionOptions,
  how: { offline?: boolean; notice?: (text: string) => void } = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApiClient> {
  const conn = await resolveConnection(opts, env);
  const named = opts.url !== undefined || env.KEYRX_URL !== undefined;
  return new ApiClient(conn, {
    ...(how.offline && !named ? { offlineDir: resolveConfigDir(opts.configDir, env) } : {}),
    ...(how.notice ? { notice: how.notice } : {}),
  });
}
