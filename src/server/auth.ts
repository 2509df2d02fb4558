/**
 * Who may call the API, decided for the route that will run (never on the raw URL):
 *
 * - **Host**: only the names the daemon serves (127.0.0.1, localhost and [::1] on its port, the
 *   address it is bound to, and an explicit allow-list), so a DNS-rebinding page is refused
 *   before any handler runs.
 * - **Origin**: state-changing requests and WebSocket upgrades from another origin are refused.
 * - **Credentials**: the API token (`Authorization: Bearer`, or `?token=` on the WebSocket) or a
 *   session cookie. Sessions are random ids kept in this process (a restart ends them all), with a
 *   lifetime in hours, one cookie name per port, and a logout.
 * - **Identity proof**: a client can ask the daemon to prove it knows the token before sending it
 *   (`GET /api/identity`), so the CLI never hands the token to a program squatting on the port.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { identityProof } from './identity.ts';

/** The cookie's name without a port (a server that is not listening yet, e.g. in-process tests). */
export const SESSION_COOKIE = 'keyrx_session';
const LOGIN_CODE_TTL_MS = 10 * 60 * 1000;
/** Sessions kept at most; the oldest goes first (each login makes one). */
const MAX_SESSIONS = 64;
/** Failed logins allowed per window before /login answers 429. */
export const LOGIN_FAILURES_PER_WINDOW = 10;
const LOGIN_WINDOW_MS = 60_000;

/** Who may reach a route: everyone, a page of the web UI (public unless it spells an API path), or token holders. */
export type RouteAccess = 'public' | 'page' | 'token';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** default `token`: a route answers without credentials only when it says so */
    access?: RouteAccess;
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/**
 * The path as a lenient router or a proxy might read it: percent-decoded (repeatedly), with
 * backslashes as slashes, lower case, repeated slashes merged and dot segments resolved. Only used
 * to decide whether an unmatched request *looks like* the API, so every spelling of an API path
 * gets the same 401 as the real one.
 */
export function canonicalPath(url: string): string {
  let path = url.split(/[?#]/, 1)[0];
  for (let i = 0; i < 4; i++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      decoded = path.replace(/%([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
    if (decoded === path) break;
    path = decoded;
  }
  const out: string[] = [];
  for (const segment of path.replace(/\\/g, '/').toLowerCase().split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

/** True for `/api`, `/ws`, `/mcp` and what is below them, in any spelling (and `/api;x`, `/api%00`). */
export function isApiSpace(url: string): boolean {
  return /^\/(api|ws|mcp)(?![a-z0-9_-])/.test(canonicalPath(url));
}

/** A Host header's name and port (`[::1]:9867` → `[::1]`, 9867); null when malformed. */
export function parseHost(host: string): { name: string; port: number | null } | null {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (!m) return null;
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && port > 65535) return null;
  return { name: m[1].toLowerCase(), port };
}

/** How a host appears in a Host header: IPv6 addresses in brackets, names in lower case. */
export function hostName(host: string): string {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return isIP(h) === 6 ? `[${h}]` : h;
}

export interface AuthOptions {
  token: string;
  /** false only with --no-auth on a loopback address */
  enabled: boolean;
  /** origins allowed besides the daemon's own (KEYRX_ALLOWED_ORIGINS) */
  allowedOrigins?: string[];
  /** Host names (or name:port) served besides the loopback names (--allowed-host, KEYRX_ALLOWED_HOSTS) */
  allowedHosts?: string[];
  /** the address the server is bound to (--host); served as a Host name unless unspecified (0.0.0.0, ::) */
  bindHost?: string;
  /** the port the server listens on; null before it listens (in-process requests) */
  port: () => number | null;
  /** session lifetime, read at each login (the `sessionHours` setting) */
  sessionHours: () => number;
  now?: () => number;
}

export class Auth {
  readonly token: string;
  readonly enabled: boolean;
  private readonly loginCodes = new Map<string, number>();
  /** sha256(session id) → expiry (ms); only this process knows them */
  private readonly sessions = new Map<string, number>();
  private readonly allowedOrigins: Set<string>;
  private readonly hostNames: Set<string>;
  private readonly hostsWithPort: Set<string>;
  private readonly loginFailures: number[] = [];
  private readonly now: () => number;

  constructor(private readonly opts: AuthOptions) {
    this.token = opts.token;
    this.enabled = opts.enabled;
    this.now = opts.now ?? Date.now;
    this.allowedOrigins = new Set((opts.allowedOrigins ?? []).map((o) => o.replace(/\/$/, '')));
    this.hostNames = new Set(['127.0.0.1', 'localhost', '[::1]']);
    this.hostsWithPort = new Set();
    const bind = opts.bindHost ? hostName(opts.bindHost) : null;
    if (bind && bind !== '0.0.0.0' && bind !== '[::]') this.hostNames.add(bind);
    for (const entry of opts.allowedHosts ?? []) {
      const parsed = parseHost(entry);
      if (!parsed) continue;
      if (parsed.port === null) this.hostNames.add(hostName(parsed.name));
      else this.hostsWithPort.add(`${hostName(parsed.name)}:${parsed.port}`);
    }
  }

  /** The Host names this daemon answers to, for messages. */
  servedHosts(): string[] {
    const port = this.opts.port();
    const suffix = port === null ? '' : `:${port}`;
    return [...[...this.hostNames].map((h) => `${h}${suffix}`), ...this.hostsWithPort];
  }

  /** Whether the request's Host header names this daemon (the defence against DNS rebinding). */
  isHostAllowed(req: FastifyRequest): boolean {
    const header = req.headers.host;
    if (typeof header !== 'string') return false;
    const parsed = parseHost(header);
    if (!parsed) return false;
    const name = hostName(parsed.name);
    const port = this.opts.port();
    const requestPort = parsed.port ?? 80;
    if (this.hostsWithPort.has(`${name}:${requestPort}`)) return true;
    if (!this.hostNames.has(name)) return false;
    return port === null || requestPort === port;
  }

  // ---------------------------------------------------------------- login codes

  /** A fresh one-time login code (valid 10 minutes) for the URL the daemon prints. */
  newLoginCode(): string {
    const code = randomBytes(18).toString('base64url');
    const now = this.now();
    for (const [c, expires] of this.loginCodes) if (expires <= now) this.loginCodes.delete(c);
    this.loginCodes.set(code, now + LOGIN_CODE_TTL_MS);
    return code;
  }

  /** Consumes a one-time code, or accepts the API token itself. */
  redeem(credential: string): boolean {
    const expires = this.loginCodes.get(credential);
    if (expires !== undefined) {
      this.loginCodes.delete(credential);
      return expires > this.now();
    }
    return equal(credential, this.token);
  }

  /** Seconds until a login may be tried again, or 0 when it may now. */
  loginRetryAfterSec(): number {
    const now = this.now();
    while (this.loginFailures.length > 0 && this.loginFailures[0] <= now - LOGIN_WINDOW_MS)
      this.loginFailures.shift();
    if (this.loginFailures.length < LOGIN_FAILURES_PER_WINDOW) return 0;
    return Math.max(1, Math.ceil((this.loginFailures[0] + LOGIN_WINDOW_MS - now) / 1000));
  }

  recordLoginFailure(): void {
    this.loginFailures.push(this.now());
    if (this.loginFailures.length > LOGIN_FAILURES_PER_WINDOW) this.loginFailures.shift();
  }

  // ---------------------------------------------------------------- sessions

  /** The session cookie's name: one per port, so two daemons on one machine keep their own. */
  cookieName(): string {
    const port = this.opts.port();
    return port === null ? SESSION_COOKIE : `${SESSION_COOKIE}_${port}`;
  }

  /** Starts a session and sets its cookie on the reply. */
  startSession(reply: FastifyReply): void {
    const id = randomBytes(32).toString('base64url');
    const maxAgeSec = Math.round(this.opts.sessionHours() * 3600);
    const now = this.now();
    for (const [key, expires] of this.sessions) if (expires <= now) this.sessions.delete(key);
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(sha256(id), now + maxAgeSec * 1000);
    reply.header(
      'set-cookie',
      `${this.cookieName()}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSec}`,
    );
  }

  /** Ends the request's session (if it has one) and clears its cookie. */
  endSession(req: FastifyRequest, reply: FastifyReply): boolean {
    const id = parseCookies(req.headers.cookie)[this.cookieName()];
    const ended = id !== undefined && this.sessions.delete(sha256(id));
    reply.header('set-cookie', `${this.cookieName()}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    return ended;
  }

  private hasSession(req: FastifyRequest): boolean {
    const id = parseCookies(req.headers.cookie)[this.cookieName()];
    if (!id) return false;
    const key = sha256(id);
    const expires = this.sessions.get(key);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.sessions.delete(key);
      return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- credentials

  isAuthenticated(req: FastifyRequest, allowQueryToken = false): boolean {
    if (!this.enabled) return true;
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ') && equal(header.slice(7).trim(), this.token)) return true;
    if (this.hasSession(req)) return true;
    if (allowQueryToken) {
      const token = (req.query as Record<string, unknown> | undefined)?.token;
      if (typeof token === 'string' && equal(token, this.token)) return true;
    }
    return false;
  }

  /**
   * Whether the request needs credentials, from the route that will run: public routes never,
   * API routes always, and pages of the web UI (static files, the not-found handler) only when
   * their path is some spelling of an API path.
   */
  needsCredentials(req: FastifyRequest): boolean {
    const access: RouteAccess = req.is404 ? 'page' : (req.routeOptions.config.access ?? 'token');
    if (access === 'public') return false;
    if (access === 'token') return true;
    return isApiSpace(req.url);
  }

  /** Same origin as the request's Host, or explicitly allowed (KEYRX_ALLOWED_ORIGINS). No Origin header: not a browser, allowed. */
  isOriginAllowed(req: FastifyRequest): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return req.headers['sec-fetch-site'] !== 'cross-site';
    if (this.allowedOrigins.has(origin)) return true;
    const host = req.headers.host;
    if (!host) return false;
    return origin === `http://${host}` || origin === `https://${host}`;
  }

  /** The proof for `GET /api/identity`: only the holder of the token can compute it. */
  prove(req: FastifyRequest, challenge: string): string {
    return identityProof(this.token, req.headers.host ?? '', challenge);
  }
}
