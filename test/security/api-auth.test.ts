/**
 * Issue #15, findings 1, 2 and 5, against a real daemon process over real HTTP:
 *
 * 1. Encoded, double-encoded, case-changed, dot-segment, double-slash (…) spellings of every route
 *    of the OpenAPI document, and of the WebSocket, answer 401 without credentials.
 * 2. Only the Host names the daemon serves are answered (DNS rebinding): everything else gets 421
 *    before any handler, /api/health, /login and the UI's pages included.
 * 5. Sessions: a random id per login (not derived from the token), a cookie named for the port,
 *    HttpOnly, SameSite=Strict, Path=/, a lifetime from the sessionHours setting; logout and a
 *    restart end it; failed logins are limited and logged.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { DaemonProcess } from '../support/daemon-process.ts';
import { spawnDaemon } from '../support/daemon-process.ts';
import { startTestDaemon } from '../server/helpers.ts';
import { HANG_MS } from '../support/wait.ts';
import type { Json, RawResponse } from './support.ts';
import { portOf, rawRequest, rawSocket, tempDir } from './support.ts';

let d: DaemonProcess;
let port = 0;
let dir = '';
/** OpenAPI routes: method, path with {params}, secured */
const routes: { method: string; path: string; secured: boolean }[] = [];

before(async () => {
  dir = tempDir('auth');
  d = await spawnDaemon({ dir, extraArgs: ['--allowed-host', 'keyrx.test'] });
  port = portOf(d.url);
  const doc = (await d.api('GET', '/api/openapi.json')).json;
  for (const [path, methods] of Object.entries<Json>(doc.paths))
    for (const [method, op] of Object.entries<Json>(methods))
      routes.push({ method: method.toUpperCase(), path, secured: Array.isArray(op.security) });
});

after(async () => {
  await d?.stop();
});

const fill = (path: string): string =>
  path.replace(/\{(\w+)\}/g, (_m, p: string) => (p === 'id' ? 'virtual' : 'default'));

/** Every character but '/' as %XX. */
const encodeAll = (path: string): string =>
  path
    .split('/')
    .map((seg) => [...seg].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''))
    .join('/');

/** The spellings an attacker tries for one path (all must be refused without credentials). */
function spellings(path: string): Record<string, string> {
  const [, first, rest] = /^\/([^/]+)(.*)$/.exec(path)!;
  return {
    canonical: path,
    'first letter encoded': `/%${first.charCodeAt(0).toString(16)}${first.slice(1)}${rest}`,
    'every character encoded': encodeAll(path),
    'upper-case encoding': `/%${first.charCodeAt(0).toString(16).toUpperCase()}${first.slice(1)}${rest}`,
    'double-encoded': `/%25${first.charCodeAt(0).toString(16)}${first.slice(1)}${rest}`,
    'triple-encoded': `/%2525${first.charCodeAt(0).toString(16)}${first.slice(1)}${rest}`,
    'upper case': path.toUpperCase(),
    'mixed case': `/${first[0].toUpperCase()}${first.slice(1)}${rest}`,
    'dot segment': `/./${first}${rest}`,
    'dot-dot segment': `/x/../${first}${rest}`,
    'encoded dot-dot': `/x/%2e%2e/${first}${rest}`,
    'double slash at the start': `//${first}${rest}`,
    'double slash inside': rest ? `/${first}/${rest}` : `/${first}//`,
    'trailing slash': `${path}/`,
    'trailing dot segment': `${path}/.`,
    backslash: `/${first}${rest.replace(/\//g, '\\')}`,
    'encoded slash': `/${first}${rest.replace(/\//g, '%2f')}`,
    'semicolon parameter': `/${first};x=1${rest}`,
    'NUL byte': `/${first}%00${rest}`,
  };
}

function assertUnauthorized(r: RawResponse, what: string): void {
  assert.equal(r.status, 401, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
  assert.equal(r.json?.error?.code, 'UNAUTHORIZED', what);
}

describe('1. authentication on the route that runs', () => {
  test('every secured route of the OpenAPI document, in every spelling, answers 401 without credentials', async () => {
    const secured = routes.filter((r) => r.secured);
    assert.ok(secured.length >= 25, `${secured.length} secured routes`);
    let checked = 0;
    for (const route of secured)
      for (const [how, path] of Object.entries(spellings(fill(route.path)))) {
        for (const method of route.method === 'GET' ? ['GET', 'HEAD'] : [route.method]) {
          const r = await rawRequest(
            port,
            method,
            path,
            {},
            method === 'GET' || method === 'HEAD' ? undefined : '{}',
          );
          if (method === 'HEAD') assert.equal(r.status, 401, `HEAD ${path} (${how}): ${r.status}`);
          else assertUnauthorized(r, `${method} ${path} (${how} spelling of ${route.method} ${route.path})`);
          checked++;
        }
      }
    assert.ok(checked > 500, `${checked} requests`);
  });

  test('the findings as reported: GET /%61pi/output, POST /%61pi/inject, POST /%61pi/login-url', async () => {
    await d.api('POST', '/api/inject?instant=true', { events: 'd:A u:A' });
    assertUnauthorized(await rawRequest(port, 'GET', '/%61pi/output'), 'GET /%61pi/output');
    assertUnauthorized(
      await rawRequest(port, 'POST', '/%61pi/inject?instant=true', {}, '{"events":"d:B u:B"}'),
      'POST /%61pi/inject',
    );
    assertUnauthorized(await rawRequest(port, 'POST', '/%61pi/login-url', {}, '{}'), 'POST /%61pi/login-url');
    // nothing was typed by the refused injection
    const out = (await d.api('GET', '/api/output?limit=10')).json;
    assert.ok(!out.script.includes('B'), out.script);
  });

  test('with the token, encoded spellings of a route reach it (the router decodes): auth is on the route, not the text', async () => {
    const r = await rawRequest(port, 'GET', '/%61pi/status', { authorization: `Bearer ${d.token}` });
    assert.equal(r.status, 200);
    assert.equal(r.json.activeProfile, 'default');
    // an API-looking path that is no route: 404 in the envelope, never the UI's page
    const nf = await rawRequest(port, 'GET', '/API/STATUS', { authorization: `Bearer ${d.token}` });
    assert.equal(nf.status, 404);
    assert.equal(nf.json?.error?.code, 'NOT_FOUND');
  });

  test('the MCP endpoint in every spelling: 401 without credentials, never a tool call or the UI page', async () => {
    const call = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const headers = { accept: 'application/json, text/event-stream' };
    for (const [how, path] of Object.entries(spellings('/mcp'))) {
      const r = await rawRequest(port, 'POST', path, headers, call);
      assertUnauthorized(r, `POST ${path} (${how} spelling of /mcp)`);
    }
  });

  test('?token= authenticates the WebSocket only, never a REST route', async () => {
    for (const path of ['/api/output', '/%61pi/output', '/api/status'])
      assertUnauthorized(await rawRequest(port, 'GET', `${path}?token=${d.token}`), `${path}?token=`);
  });

  test('the WebSocket in every spelling: 401 without credentials, no keystroke delivered', async () => {
    const tried: string[] = [];
    for (const [how, path] of Object.entries(spellings('/ws'))) {
      if (how === 'backslash' || how === 'encoded slash') continue;
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}${path}?topics=key`);
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('open', () => {
          resolve(101);
          ws.terminate();
        });
        ws.on('error', () => resolve(-1));
      });
      tried.push(`${path}: ${status}`);
      assert.equal(status, 401, `WebSocket ${path} (${how}): ${status}`);
    }
    // the real thing with the token works, so the refusals above are about credentials
    const ok = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/%77s?topics=key&token=${d.token}`);
      ws.on('open', () => {
        resolve(101);
        ws.terminate();
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    assert.equal(ok, 101, tried.join(', '));
  });

  test('public routes are only health, session, identity, logout and the login page', async () => {
    assert.deepEqual(
      routes
        .filter((r) => !r.secured)
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
      ['GET /api/health', 'GET /api/identity', 'GET /api/session', 'POST /api/logout'],
    );
  });
});

describe('2. Host names (DNS rebinding)', () => {
  const foreign = [
    'evil.example:{port}',
    'evil.example',
    '127.0.0.1.evil.example:{port}',
    'localhost.:{port}',
    '127.0.0.2:{port}',
    '0.0.0.0:{port}',
    '127.0.0.1:1',
    '127.0.0.1:{port}0',
    '',
    'user@127.0.0.1:{port}',
    '127.0.0.1:{port}, evil.example',
  ];
  const withPort = (h: string): string => h.replace('{port}', String(port));

  test('a foreign Host gets 421 on every kind of route, with and without the token', async () => {
    const paths: [string, string][] = [
      ['GET', '/api/health'],
      ['GET', '/api/session'],
      ['GET', '/api/identity?challenge=' + '0'.repeat(64)],
      ['GET', '/login?code=whatever'],
      ['GET', '/'],
      ['GET', '/index.html'],
      ['GET', '/profiles/default'],
      ['GET', '/api/status'],
      ['GET', '/api/output'],
      ['POST', '/api/logout'],
      ['POST', '/api/inject?instant=true'],
      ['POST', '/mcp'],
    ];
    for (const raw of foreign) {
      const host = withPort(raw);
      for (const [method, path] of paths)
        for (const auth of [false, true]) {
          const headers: Record<string, string> = { host };
          if (auth) headers.authorization = `Bearer ${d.token}`;
          const r = await rawRequest(
            port,
            method,
            path,
            headers,
            method === 'POST' ? '{"events":"d:C u:C"}' : undefined,
          );
          // Node's parser refuses some Host values itself (400); either way nothing is served
          assert.ok(
            r.status === 421 || r.status === 400,
            `${method} ${path} Host '${host}' auth=${auth}: ${r.status} ${r.text.slice(0, 120)}`,
          );
          if (r.status === 421) assert.equal(r.json?.error?.code, 'HOST_NOT_ALLOWED');
        }
    }
    const out = (await d.api('GET', '/api/output?limit=20')).json;
    assert.ok(!out.script.includes('C'), `nothing was injected: ${out.script}`);
  });

  test('a DNS-rebinding page: same-origin for the browser, refused for its Host', async () => {
    const r = await rawRequest(
      port,
      'POST',
      '/api/inject?instant=true',
      { host: `evil.example:${port}`, origin: `http://evil.example:${port}`, cookie: 'x=1' },
      '{"events":"d:D u:D"}',
    );
    assert.equal(r.status, 421);
    const ws = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?topics=key&token=${d.token}`, {
        headers: { host: `evil.example:${port}`, origin: `http://evil.example:${port}` },
      });
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => {
        resolve(101);
        socket.terminate();
      });
      socket.on('error', () => resolve(-1));
    });
    assert.equal(ws, 421);
  });

  test('the names the daemon serves: 127.0.0.1, localhost, [::1] on its port, and --allowed-host', async () => {
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LOCALHOST:${port}`,
      `[::1]:${port}`,
      `keyrx.test:${port}`,
    ]) {
      const r = await rawRequest(port, 'GET', '/api/health', { host });
      assert.equal(r.status, 200, `Host ${host}: ${r.text}`);
    }
  });

  test("the web UI's files too: a foreign Host gets 421, the daemon's own gets the page", async () => {
    const ui = tempDir('ui');
    mkdirSync(join(ui, 'assets'));
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>keyrx</title>');
    writeFileSync(join(ui, 'assets', 'app-123.js'), 'console.log(1)');
    const t = await startTestDaemon({ uiDir: ui });
    try {
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const uiPort = (t.app.server.address() as { port: number }).port;
      for (const path of ['/', '/index.html', '/assets/app-123.js', '/profiles/default', '/monitor']) {
        const foreign = await rawRequest(uiPort, 'GET', path, { host: `evil.example:${uiPort}` });
        assert.equal(foreign.status, 421, `${path}: ${foreign.status}`);
        assert.ok(!foreign.text.includes('<title>keyrx') && !foreign.text.includes('console.log'));
        const own = await rawRequest(uiPort, 'GET', path);
        assert.equal(own.status, 200, `${path} for the daemon's own Host`);
      }
      // an API path in a spelling the router does not take is not served the page either
      const spelled = await rawRequest(uiPort, 'GET', '/API/status');
      assert.equal(spelled.status, 401);
    } finally {
      await t.close();
    }
  });

  test('HTTP/1.0 without a Host header is refused', async () => {
    const r = await rawSocket(port, 'GET /api/health HTTP/1.0\r\n\r\n');
    assert.ok(r.status === 421 || r.status === 400, r.text);
  });
});

describe('5. sessions', () => {
  async function loginCookie(): Promise<{ name: string; value: string; header: string }> {
    const link = (await d.api('POST', '/api/login-url')).json.url as string;
    const r = await rawRequest(port, 'GET', new URL(link).pathname + new URL(link).search);
    assert.equal(r.status, 302, r.text);
    const header = String(r.headers['set-cookie']);
    const m = /^([^=]+)=([^;]*);/.exec(header)!;
    return { name: m[1], value: m[2], header };
  }
  const withCookie = (c: { name: string; value: string }) => ({ cookie: `${c.name}=${c.value}` });

  test('a login sets a random session named for the port: HttpOnly, SameSite=Strict, Path=/, hours not a year', async () => {
    const a = await loginCookie();
    const b = await loginCookie();
    assert.equal(a.name, `keyrx_session_${port}`);
    assert.match(a.header, /; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    assert.notEqual(a.value, b.value, 'each login has its own session');
    assert.ok(a.value.length >= 43, 'at least 256 bits');
    const fromToken = createHmac('sha256', d.token).update('keyrx-ui-session').digest('hex');
    assert.notEqual(a.value, fromToken);
    assert.ok(!a.value.includes(d.token.slice(0, 16)));
    assert.equal((await rawRequest(port, 'GET', '/api/status', withCookie(a))).status, 200);
    // the old fixed value and the old name authenticate nothing
    for (const cookie of [
      `keyrx_session=${fromToken}`,
      `keyrx_session_${port}=${fromToken}`,
      `keyrx_session=${a.value}`,
    ])
      assertUnauthorized(await rawRequest(port, 'GET', '/api/status', { cookie }), cookie.slice(0, 30));
  });

  test('the lifetime follows the sessionHours setting', async () => {
    assert.equal((await d.api('PATCH', '/api/settings', { sessionHours: 2 })).status, 200);
    try {
      assert.match((await loginCookie()).header, /Max-Age=7200$/);
    } finally {
      await d.api('PATCH', '/api/settings', { sessionHours: 12 });
    }
    assert.equal((await d.api('PATCH', '/api/settings', { sessionHours: 0 })).status, 400);
  });

  test('logout ends the session on the daemon, not only in the browser', async () => {
    const a = await loginCookie();
    const b = await loginCookie();
    const origin = { origin: `http://127.0.0.1:${port}` };
    const r = await rawRequest(port, 'POST', '/api/logout', { ...withCookie(a), ...origin });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { loggedOut: true });
    assert.match(String(r.headers['set-cookie']), new RegExp(`^keyrx_session_${port}=; .*Max-Age=0`));
    assertUnauthorized(await rawRequest(port, 'GET', '/api/status', withCookie(a)), 'after logout');
    assert.equal(
      (await rawRequest(port, 'GET', '/api/status', withCookie(b))).status,
      200,
      'other sessions stay',
    );
    // a page elsewhere cannot log the user out
    const foreign = await rawRequest(port, 'POST', '/api/logout', {
      ...withCookie(b),
      origin: 'http://evil.example',
    });
    assert.equal(foreign.status, 403);
    assert.equal((await rawRequest(port, 'GET', '/api/status', withCookie(b))).status, 200);
  });

  test('a reused login link while logged in goes to the UI; without a session it is refused', async () => {
    const link = new URL((await d.api('POST', '/api/login-url')).json.url as string);
    const first = await rawRequest(port, 'GET', link.pathname + link.search);
    const cookie = /^([^;]*);/.exec(String(first.headers['set-cookie']))![1];
    const again = await rawRequest(port, 'GET', link.pathname + link.search, { cookie });
    assert.equal(again.status, 302);
    assert.equal(again.headers.location, '/');
    const anon = await rawRequest(port, 'GET', link.pathname + link.search);
    assert.equal(anon.status, 401);
    assert.match(anon.text, /This login link is not valid/);
  });

  test('failed logins are logged and limited: 429 with Retry-After after 10 in a minute', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await rawRequest(port, 'GET', `/login?code=guess${i}`)).status);
    assert.deepEqual(statuses.slice(0, 9), Array(9).fill(401));
    const limited = await rawRequest(port, 'GET', '/login?code=another-guess');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    // even the token is not tried while limited
    assert.equal((await rawRequest(port, 'GET', `/login?token=${d.token}`)).status, 429);
    await waitFor(() => d.stderr().includes('login refused'), 'the failures in the log');
    assert.ok(!d.stderr().includes('guess1'), 'the log names no credential');
  });

  test('a restart ends every session', { timeout: 120_000 }, async () => {
    // a fresh daemon: the limiter of the test above does not apply
    const other = await spawnDaemon({ dir: tempDir('restart') });
    try {
      const link = new URL((await other.api('POST', '/api/login-url')).json.url as string);
      const otherPort = portOf(other.url);
      const r = await rawRequest(otherPort, 'GET', link.pathname + link.search);
      const cookie = /^([^;]*);/.exec(String(r.headers['set-cookie']))![1];
      assert.equal((await rawRequest(otherPort, 'GET', '/api/status', { cookie })).status, 200);
      await other.stop();
      const again = await spawnDaemon({ dir: other.dir, port: otherPort });
      try {
        assertUnauthorized(await rawRequest(otherPort, 'GET', '/api/status', { cookie }), 'after a restart');
      } finally {
        await again.stop();
      }
    } finally {
      await other.stop();
    }
  });
});

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + HANG_MS;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  assert.ok(check(), `timed out waiting for ${what}`);
}
