/**
 * Issue #15, finding 6: the CLI sent `Authorization: Bearer <token>` to whatever listened on the
 * port (for example while the daemon is down). Now the daemon must first prove it knows the token
 * (GET /api/identity); a squatter, or a relay to the real daemon on another port, never sees it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DaemonProcess } from '../support/daemon-process.ts';
import { runCli, spawnDaemon } from '../support/daemon-process.ts';
import { portOf, tempDir } from './support.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let daemon: DaemonProcess;

before(async () => {
  daemon = await spawnDaemon({ dir: tempDir('cli-real') });
});
after(async () => {
  await daemon?.stop();
});

/** A program on a port that records every request and answers with `answer`. */
async function squatter(
  answer: (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void,
): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      answer(req, body, res);
    });
  });
  // the WebSocket client's upgrade, too
  server.on('upgrade', (req, socket) => {
    seen.push({ method: 'UPGRADE', url: req.url ?? '', headers: req.headers, body: '' });
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, seen };
}

function assertTokenNeverSent(seen: Seen[], token: string): void {
  for (const s of seen) {
    const all = `${s.url}\n${JSON.stringify(s.headers)}\n${s.body}`;
    assert.ok(!all.includes(token), `the token reached the squatter: ${s.method} ${s.url}`);
    assert.equal(s.headers.authorization, undefined, `${s.method} ${s.url} carried Authorization`);
  }
}

/** `keyrx status` against the program on `port`, holding the real daemon's token. */
function statusVia(port: number) {
  return runCli([
    'status',
    '--config-dir',
    configWithToken(daemon.token),
    '--url',
    `http://127.0.0.1:${port}`,
  ]);
}

/** A config dir with the real daemon's token, as a user who points the CLI at the wrong port has. */
function configWithToken(token: string): string {
  const dir = tempDir('cli-conf');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'token'), `${token}\n`, { mode: 0o600 });
  return dir;
}

test('a squatter that answers like the daemon never gets the token, from any client command', async () => {
  const fake = await squatter((req, _body, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url?.startsWith('/api/identity')) res.end(JSON.stringify({ proof: 'f'.repeat(64) }));
    else res.end(JSON.stringify({ version: '0.1.0', pid: 1, startedAt: 'x', activeProfile: 'stolen' }));
  });
  const dir = configWithToken(daemon.token);
  try {
    for (const args of [
      ['status'],
      ['profiles', 'list'],
      ['profiles', 'activate', 'default'],
      ['login-url'],
      ['context', 'set', '--app', 'x'],
      ['monitor', '--json'],
    ]) {
      const r = await runCli([...args, '--config-dir', dir, '--url', `http://127.0.0.1:${fake.port}`]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /could not prove it knows the API token/, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(!r.stdout.includes('stolen'));
    }
    assert.ok(fake.seen.length >= 6, `${fake.seen.length} requests`);
    assertTokenNeverSent(fake.seen, daemon.token);
  } finally {
    fake.server.close();
  }
});

test('a squatter that is not HTTP-compatible with the daemon (404, HTML, garbage): refused the same way', async () => {
  for (const reply of ['404', 'html', 'bad-json']) {
    const fake = await squatter((_req, _body, res) => {
      if (reply === '404') res.writeHead(404).end('not here');
      else if (reply === 'html') res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>hi</h1>');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"proof":');
    });
    try {
      const r = await statusVia(fake.port);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /could not prove/);
      assertTokenNeverSent(fake.seen, daemon.token);
    } finally {
      fake.server.close();
    }
  }
});

test('a relay to the real daemon cannot borrow its proof, with the Host kept or rewritten', async () => {
  const realPort = portOf(daemon.url);
  for (const rewriteHost of [false, true]) {
    const relay = await squatter((req, body, res) => {
      const headers = { ...req.headers };
      if (rewriteHost) headers.host = `127.0.0.1:${realPort}`;
      const upstream = httpRequest(
        { host: '127.0.0.1', port: realPort, method: req.method, path: req.url, headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(body);
    });
    try {
      const r = await statusVia(relay.port);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      // kept: the daemon refuses the foreign Host (421); rewritten: its proof is for its own Host
      assert.match(r.stderr, rewriteHost ? /could not prove/ : /answers to Host .*, not /, r.stderr);
      assertTokenNeverSent(relay.seen, daemon.token);
    } finally {
      relay.server.close();
    }
  }
});

test('the real daemon proves itself and the CLI works as before', async () => {
  const r = await runCli(['status', '--json', '--config-dir', daemon.dir, '--url', daemon.url]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).activeProfile, 'default');
  // nothing listening: the usual hint, no token anywhere
  const down = await runCli(['status', '--config-dir', daemon.dir, '--url', 'http://127.0.0.1:9']);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /cannot reach the keyrx daemon/);
});
