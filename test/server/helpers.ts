/** A real daemon and server on a temp config dir, for route tests. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Daemon } from '../../src/daemon/daemon.ts';
import { buildServer } from '../../src/server/app.ts';
import { HANG_MS } from '../support/wait.ts';

export interface TestDaemon {
  daemon: Daemon;
  app: Awaited<ReturnType<typeof buildServer>>['app'];
  dir: string;
  token: string;
  auth: { authorization: string };
  close(): Promise<void>;
}

export async function startTestDaemon(
  opts: { dir?: string; auth?: boolean; uiDir?: string | null } = {},
): Promise<TestDaemon> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'keyrx-test-'));
  const daemon = new Daemon({ configDir: dir, logger: pino({ level: 'silent' }) });
  await daemon.start('virtual');
  const { app } = await buildServer(daemon, { auth: opts.auth ?? true, uiDir: opts.uiDir ?? null });
  await app.ready();
  return {
    daemon,
    app,
    dir,
    token: daemon.token,
    auth: { authorization: `Bearer ${daemon.token}` },
    async close() {
      await app.close();
      await daemon.stop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type ListeningDaemon = TestDaemon & { host: string };

/** A test daemon listening on 127.0.0.1 (a free port): real sockets; `host` is `127.0.0.1:<port>`. */
export async function startListeningDaemon(): Promise<ListeningDaemon> {
  const t = await startTestDaemon();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...t, host: `127.0.0.1:${(t.app.server.address() as { port: number }).port}` };
}

/** An authorised JSON request over the socket of a listening test daemon (fetch, not inject). */
export async function fetchJson(
  t: ListeningDaemon,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`http://${t.host}${path}`, {
    method,
    headers: { ...t.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(HANG_MS),
  });
  return { status: res.status, json: await res.json() };
}

/** An API error reply: this status, this code in the error envelope, and a message (matching, if given). */
export function assertError(
  r: { status: number; json: { error?: { code?: string; message?: unknown } } },
  status: number,
  code: string,
  message?: RegExp,
): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.equal(r.json.error?.code, code, JSON.stringify(r.json));
  assert.equal(typeof r.json.error?.message, 'string');
  if (message) assert.match(r.json.error!.message as string, message);
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** An authorised (or, with `auth` false, anonymous) JSON request to a test daemon, by app.inject. */
export function injector(daemon: () => TestDaemon) {
  return async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: object,
    auth = true,
  ): Promise<{ status: number; json: Json }> => {
    const t = daemon();
    const r = await t.app.inject({
      method,
      url,
      headers: auth ? t.auth : {},
      ...(payload ? { payload } : {}),
    });
    return { status: r.statusCode, json: r.body ? JSON.parse(r.body) : null };
  };
}
