/**
 * Who may call the API: a bearer token (the `token` file) or the UI's session cookie, which
 * the login URL sets. State-changing requests and WebSocket upgrades from foreign origins
 * are refused, so a web page the user visits cannot drive the daemon.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'keyrx_session';
const LOGIN_CODE_TTL_MS = 10 * 60 * 1000;

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
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

export class Auth {
  /** Derived from the token, so sessions survive a daemon restart and die when the token changes. */
  readonly sessionValue: string;
  private readonly loginCodes = new Map<string, number>();
  private readonly allowedOrigins: Set<string>;

  constructor(
    readonly token: string,
    readonly enabled: boolean,
    extraOrigins: string[] = [],
  ) {
    this.sessionValue = createHmac('sha256', token).update('keyrx-ui-session').digest('hex');
    this.allowedOrigins = new Set(extraOrigins.map((o) => o.replace(/\/$/, '')));
  }

  /** A fresh one-time login code (valid 10 minutes) for the URL the daemon prints. */
  newLoginCode(): string {
    const code = randomBytes(18).toString('base64url');
    this.loginCodes.set(code, Date.now() + LOGIN_CODE_TTL_MS);
    return code;
  }

  /** Consumes a one-time code, or accepts the API token itself. */
  redeem(credential: string): boolean {
    const expires = this.loginCodes.get(credential);
    if (expires !== undefined) {
      this.loginCodes.delete(credential);
      return expires > Date.now();
    }
    return equal(credential, this.token);
  }

  isAuthenticated(req: FastifyRequest, allowQueryToken = false): boolean {
    if (!this.enabled) return true;
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ') && equal(header.slice(7).trim(), this.token)) return true;
    const cookie = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (cookie && equal(cookie, this.sessionValue)) return true;
    if (allowQueryToken) {
      const token = (req.query as Record<string, unknown> | undefined)?.token;
      if (typeof token === 'string' && equal(token, this.token)) return true;
    }
    return false;
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

  setSessionCookie(reply: FastifyReply): void {
    reply.header(
      'set-cookie',
      `${SESSION_COOKIE}=${this.sessionValue}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000`,
    );
  }
}
