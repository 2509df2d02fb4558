/**
 * `/mcp` on the daemon (streamable HTTP, stateless), over real sockets to a real daemon process:
 *
 * - the MCP SDK's own Client with the bearer token reads, edits and simulates a profile, and what
 *   it changed is checked through REST; the tools' calls pass the API's own validation;
 * - the attacker's view: no token or a wrong one (401), a foreign Host (421), a foreign Origin or a
 *   cross-site fetch (403, even with the token), an oversized body (413), a body a page can send
 *   without a preflight (text/plain: 415), other spellings of the path, GET/DELETE (405 with the
 *   token, 401 without), hostile tool arguments — and after all of it, nothing changed.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { DaemonProcess } from '../support/daemon-process.ts';
import { daemonScope } from '../support/daemon-process.ts';
import type { RawResponse } from '../security/support.ts';
import { portOf, rawRequest } from '../security/support.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const SOURCE = `// edited over /mcp
device_start("*");
  map("A", "VK_B");
  for k in ["F1", "F2"] { map(k, "VK_Mute"); }
device_end();
`;

const scope = daemonScope();
let d: DaemonProcess;
let port = 0;
let client: Client;

/** An MCP initialize request, as any client sends first. */
const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
/** A tools/call a stateless server answers without a prior initialize. */
const CALL_SET_KEY = JSON.stringify({
  jsonrpc: '2.0',
  id: 2,
  method: 'tools/call',
  params: { name: 'set_key_mapping', arguments: { profile: 'work', key: 'A', target: 'VK_Q' } },
});
const MCP_HEADERS = { accept: 'application/json, text/event-stream' };

function connectClient(token: string): Promise<Client> {
  const c = new Client({ name: 'keyrx-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${d.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  return c.connect(transport).then(() => c);
}

before(async () => {
  d = await scope.startDaemon(scope.tempDir('keyrx-mcp-http-'));
  port = portOf(d.url);
  const created = await d.api('POST', '/api/profiles', { name: 'work', source: SOURCE });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  client = await connectClient(d.token);
});

after(async () => {
  await client?.close();
});

async function call(name: string, args: Json = {}): Promise<{ isError: boolean; text: string; data: Json }> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  return { isError: r.isError === true, text, data: r.structuredContent };
}

async function ok(name: string, args: Json = {}): Promise<Json> {
  const r = await call(name, args);
  assert.equal(r.isError, false, `${name}: ${r.text}`);
  return r.data;
}

async function stored(): Promise<string> {
  return (await d.api('GET', '/api/profiles/work')).json.source;
}

/** POST /mcp on its own connection, headers as given. */
function post(headers: Record<string, string>, body = CALL_SET_KEY, path = '/mcp'): Promise<RawResponse> {
  return rawRequest(port, 'POST', path, { ...MCP_HEADERS, ...headers }, body);
}

function assertRefused(r: RawResponse, status: number, code: string, what: string): void {
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
  assert.equal(r.json?.error?.code, code, `${what}: ${r.text.slice(0, 200)}`);
  assert.ok(!r.text.includes('jsonrpc'), `${what}: the MCP server answered`);
}

describe('the SDK client with the token', () => {
  test('lists the tools and reads a profile', async () => {
    const { tools } = await client.listTools();
    assert.ok(tools.length >= 13, `${tools.length} tools`);
    for (const name of ['get_profile', 'set_key_mapping', 'simulate', 'update_profile_source'])
      assert.ok(
        tools.some((t) => t.name === name),
        name,
      );
    const p = await ok('get_profile', { profile: 'work' });
    assert.equal(p.source, SOURCE);
  });

  test('set_key_mapping changes the stored source; simulate shows the remapped output', async () => {
    const r = await ok('set_key_mapping', { profile: 'work', key: 'A', target: 'VK_C' });
    assert.deepEqual(r.mapping, { kind: 'simple', from: 'A', to: 'C' });
    assert.equal(await stored(), SOURCE.replace('map("A", "VK_B");', 'map("A", "VK_C");'));
    assert.equal((await ok('simulate', { profile: 'work', events: 'd:A u:A' })).output, 'd:C u:C');
  });

  test('refusals come back as tool errors and save nothing: unknown key, a key mapped by a loop, the API’s own checks', async () => {
    const before = await stored();
    let r = await call('set_key_mapping', { profile: 'work', key: 'Nope', target: 'VK_A' });
    assert.equal(r.isError, true);
    assert.match(r.text, /Unknown key name: 'Nope'/);
    r = await call('set_key_mapping', { profile: 'work', key: 'F1', target: 'VK_Home' });
    assert.equal(r.isError, true);
    assert.match(r.text, /^KEY_FROM_CODE: F1 is mapped by code at .*work\.rhai:4:/);
    assert.equal(r.data.error.status, 409);
    // a mapping object is checked by the API (the tool only bounds its size)
    r = await call('set_key_mapping', {
      profile: 'work',
      key: 'A',
      mapping: { kind: 'simple', from: 'B', to: 'C' },
    });
    assert.equal(r.isError, true);
    assert.match(r.text, /^KEY_EDIT_INVALID: mapping: it is for B, not A/);
    r = await call('set_key_mapping', {
      profile: 'work',
      key: 'A',
      mapping: { kind: 'teleport', from: 'A' },
    });
    assert.equal(r.isError, true);
    assert.match(r.text, /^KEY_EDIT_INVALID:/);
    assert.equal(await stored(), before);
  });

  test('hostile arguments: a path as profile name, a huge script', async () => {
    const before = readdirSync(join(d.dir, 'profiles')).sort();
    for (const profile of ['../etc', '../../../../etc/passwd', '%2e%2e%2fetc', 'work/../default']) {
      const r = await call('get_profile', { profile });
      assert.equal(r.isError, true, profile);
      assert.match(r.text, /a profile name is 1–64 characters/, profile);
      const w = await call('update_profile_source', { profile, source: SOURCE });
      assert.equal(w.isError, true, profile);
    }
    const huge = await call('simulate', { profile: 'work', events: 'd:A '.repeat(100_000) });
    assert.equal(huge.isError, true);
    assert.match(huge.text, /Input validation error/);
    assert.deepEqual(readdirSync(join(d.dir, 'profiles')).sort(), before);
  });

  test('stateless: a tools/call without initialize is answered; no session id is handed out', async () => {
    const r = await post({ authorization: `Bearer ${d.token}` }, INITIALIZE);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.result.serverInfo.name, 'keyrx');
    assert.equal(r.headers['mcp-session-id'], undefined);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    const listed = await post(
      { authorization: `Bearer ${d.token}` },
      JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    );
    assert.equal(listed.status, 200, listed.text);
    assert.ok(listed.json.result.tools.length >= 13);
  });
});

describe('the attacker’s view', () => {
  test('no token, a wrong token, a token in the query: 401, and the SDK client cannot connect', async () => {
    assertRefused(await post({}), 401, 'UNAUTHORIZED', 'no token');
    assertRefused(
      await post({ authorization: `Bearer ${'0'.repeat(64)}` }),
      401,
      'UNAUTHORIZED',
      'wrong token',
    );
    assertRefused(await post({ authorization: `Bearer ${d.token}x` }), 401, 'UNAUTHORIZED', 'longer token');
    assertRefused(await post({ authorization: d.token }), 401, 'UNAUTHORIZED', 'no Bearer');
    assertRefused(await post({}, CALL_SET_KEY, `/mcp?token=${d.token}`), 401, 'UNAUTHORIZED', '?token=');
    assertRefused(
      await post({ cookie: `keyrx_session_${port}=forged` }),
      401,
      'UNAUTHORIZED',
      'forged session',
    );
    await assert.rejects(connectClient('f'.repeat(64)), /401|Unauthorized|UNAUTHORIZED/);
  });

  test('a foreign Host: 421 before anything, with or without the token', async () => {
    for (const host of [
      `evil.example:${port}`,
      'evil.example',
      `127.0.0.1:${port + 1}`,
      `localhost.:${port}`,
    ])
      for (const auth of [{}, { authorization: `Bearer ${d.token}` }] as Record<string, string>[])
        assertRefused(await post({ host, ...auth }), 421, 'HOST_NOT_ALLOWED', `Host ${host}`);
  });

  test('a foreign Origin or a cross-site fetch: 403 even with the token (DNS rebinding, CSRF)', async () => {
    const auth = { authorization: `Bearer ${d.token}` };
    for (const origin of [
      'https://evil.example',
      `http://evil.example:${port}`,
      'null',
      `http://localhost:${port + 1}`,
    ])
      assertRefused(await post({ ...auth, origin }), 403, 'FORBIDDEN_ORIGIN', `Origin ${origin}`);
    assertRefused(
      await post({ ...auth, 'sec-fetch-site': 'cross-site' }),
      403,
      'FORBIDDEN_ORIGIN',
      'cross-site',
    );
    // the daemon's own origin is fine
    const same = await post({ ...auth, origin: `http://127.0.0.1:${port}` }, INITIALIZE);
    assert.equal(same.status, 200, same.text);
  });

  test('bodies: over 1 MiB is 413, text/plain (no preflight) is 415, not JSON is 400', async () => {
    const auth = { authorization: `Bearer ${d.token}` };
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: {
        name: 'update_profile_source',
        arguments: { profile: 'work', source: 'x'.repeat(1_100_000) },
      },
    });
    assertRefused(await post(auth, big), 413, 'BODY_TOO_LARGE', 'oversized');
    assertRefused(await post({}, big), 413, 'BODY_TOO_LARGE', 'oversized without a token');
    assertRefused(
      await post({ ...auth, 'content-type': 'text/plain' }, CALL_SET_KEY),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'text/plain',
    );
    const junk = await post(auth, '{"jsonrpc": "2.0", "id": ');
    assert.equal(junk.status, 400, junk.text);
  });

  test('other spellings of the path never reach the MCP server without credentials', async () => {
    for (const path of ['/MCP', '/mcp/', '/%6dcp', '//mcp', '/x/../mcp', '/mcp;x', '/mcp%00']) {
      const r = await post({}, CALL_SET_KEY, path);
      assert.notEqual(r.status, 200, `${path}: ${r.text.slice(0, 120)}`);
      assert.ok(!r.text.includes('jsonrpc'), `${path}: ${r.text.slice(0, 120)}`);
    }
  });

  test('GET and DELETE: 401 without the token, 405 with it (stateless: no stream, no session)', async () => {
    for (const method of ['GET', 'DELETE']) {
      assertRefused(await rawRequest(port, method, '/mcp', MCP_HEADERS), 401, 'UNAUTHORIZED', method);
      const r = await rawRequest(port, method, '/mcp', {
        ...MCP_HEADERS,
        authorization: `Bearer ${d.token}`,
      });
      assert.equal(r.status, 405, `${method}: ${r.text}`);
      assert.equal(r.headers.allow, 'POST');
    }
  });

  test('after all of the above, the profile is as the token holder left it', async () => {
    assert.equal(await stored(), SOURCE.replace('map("A", "VK_B");', 'map("A", "VK_C");'));
    const out = await ok('simulate', { profile: 'work', events: 'd:A u:A' });
    assert.equal(out.output, 'd:C u:C');
  });
});
