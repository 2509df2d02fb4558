/**
 * Hostile REST input (issue #9 §3), over real HTTP on 127.0.0.1: every route of the OpenAPI
 * document gets wrong types, missing and extra fields, oversized bodies, huge strings, unicode and
 * control characters, traversal names in path parameters and bodies, duplicate names, foreign
 * origins and missing or wrong credentials, and one profile gets 50 concurrent mutations at a time.
 * Every answer must be a 4xx with the error envelope (never a 5xx, never a hang); nothing may be
 * written outside the config directory and nothing saved before may be lost.
 *
 * The last part runs a real daemon process at log level trace and checks that the API token never
 * appears in its output, whatever the requests carried it.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import WebSocket from 'ws';
import { spawnDaemon } from '../support/daemon-process.ts';
import type { TestDaemon } from '../server/helpers.ts';
import { startTestDaemon } from '../server/helpers.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Res {
  status: number;
  text: string;
  json: Json;
}

interface Route {
  method: string;
  /** OpenAPI spelling: /api/profiles/{name} */
  path: string;
  key: string;
  secured: boolean;
  pathParams: string[];
  query: Record<string, Json>;
  body: Json | null;
}

const GOOD = 'layer_name("MD_00", "Base");\ndevice_start("*");\n  map("A", "VK_B");\ndevice_end();\n';
const TARGET = 'hostile-target';

/** Saved before anything hostile happens; must be intact, byte for byte, at the end. */
const SENTINELS: Record<string, string> = {
  'keep-plain': GOOD,
  'keep-unicode': `// ünïcödé 😀 \u202e reversed \u200b zero-width\ndevice_start("*");\n  map("CapsLock", "VK_Escape");\ndevice_end();\n`,
  'keep-layers': `device_start("*");\n  tap_hold("CapsLock", "VK_Escape", "MD_00", 200);\n  when_start("MD_00");\n    map("H", "VK_Left");\n  when_end();\ndevice_end();\n`,
  'keep-active': `// the active profile\ndevice_start("*");\n  map("Q", "VK_W");\ndevice_end();\n`,
};

let parent = '';
let t: TestDaemon;
let port = 0;
const routes: Route[] = [];
let settingsSchema: Json;
let outsideBefore = new Map<string, string>();
const absTarget = join(tmpdir(), `keyrx-hostile-abs-${process.pid}`);
let fresh = 0;
const freshName = (): string => `h-fresh-${++fresh}`;

// ---------------------------------------------------------------- HTTP

interface CallOptions {
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** send the bearer token (default true) */
  auth?: boolean;
  /** content type for a body (default application/json); null for none */
  contentType?: string | null;
  /** stream the body without Content-Length (chunked) */
  chunked?: boolean;
}

/** Every answer of the in-process daemon, by status class, for the figures. */
const tallies = { requests: 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '4xxWithoutEnvelope': 0 };
function tally(status: number, json: Json): void {
  tallies.requests++;
  const cls = `${Math.floor(status / 100)}xx` as '2xx' | '3xx' | '4xx' | '5xx';
  if (cls in tallies) tallies[cls]++;
  if (cls === '4xx' && !isEnvelope(json)) tallies['4xxWithoutEnvelope']++;
}

/** One request on its own connection; the path is sent as given (no URL normalisation). */
function call(method: string, path: string, opts: CallOptions = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      ...(opts.auth === false ? {} : { authorization: `Bearer ${t.token}` }),
      ...(opts.body !== undefined && opts.contentType !== null
        ? { 'content-type': opts.contentType ?? 'application/json' }
        : {}),
      ...(opts.body !== undefined
        ? opts.chunked
          ? { 'transfer-encoding': 'chunked' }
          : { 'content-length': String(Buffer.byteLength(opts.body)) }
        : {}),
      ...opts.headers,
    };
    let done = false;
    const req = request(
      { host: '127.0.0.1', port, method, path, headers, agent: false, timeout: 60_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          done = true;
          let json: Json = undefined;
          try {
            json = JSON.parse(text);
          } catch {
            // not JSON: assertions say so
          }
          tally(res.statusCode ?? 0, json);
          resolve({ status: res.statusCode ?? 0, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path.slice(0, 80)}: no answer in 60 s`)));
    // the server may answer (413) and close before the body is written: the answer counts
    req.on('error', (e) => {
      if (!done) setTimeout(() => (done ? undefined : reject(e)), 200);
    });
    if (opts.body === undefined) req.end();
    else if (opts.chunked) {
      const body = Buffer.from(opts.body);
      for (let i = 0; i < body.length; i += 65_536) req.write(body.subarray(i, i + 65_536));
      req.end();
    } else req.end(opts.body);
  });
}

/** A request written byte for byte on a raw socket: for paths an HTTP client would refuse or normalise. */
function rawCall(text: string | Buffer): Promise<Res> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.setTimeout(30_000, () => socket.destroy(new Error('raw request: no answer in 30 s')));
    socket.on('error', reject);
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      const body = data.slice(data.indexOf('\r\n\r\n') + 4);
      let json: Json = undefined;
      try {
        json = JSON.parse(body);
      } catch {
        // chunked or not JSON
        const start = body.indexOf('{');
        try {
          json = JSON.parse(body.slice(start, body.lastIndexOf('}') + 1));
        } catch {
          // not JSON
        }
      }
      tally(m ? Number(m[1]) : 0, json);
      resolve({ status: m ? Number(m[1]) : 0, text: data, json });
    });
  });
}

function isEnvelope(json: Json): boolean {
  return (
    typeof json === 'object' &&
    json !== null &&
    typeof json.error === 'object' &&
    typeof json.error.code === 'string' &&
    json.error.code.length > 0 &&
    typeof json.error.message === 'string'
  );
}

/** A 4xx (or the given status/code) with the error envelope. */
function assertRefused(r: Res, what: string, status?: number | number[], code?: string | string[]): void {
  const detail = `${what}: ${r.status} ${r.text.slice(0, 300)}`;
  assert.ok(r.status >= 400 && r.status < 500, `expected a 4xx: ${detail}`);
  assert.ok(isEnvelope(r.json), `expected the error envelope: ${detail}`);
  if (status !== undefined)
    assert.ok((Array.isArray(status) ? status : [status]).includes(r.status), `status: ${detail}`);
  if (code !== undefined)
    assert.ok((Array.isArray(code) ? code : [code]).includes(r.json.error.code), `code: ${detail}`);
}

/** Any answer but a 5xx; errors in the envelope. */
function assertNoServerError(r: Res, what: string): void {
  const detail = `${what}: ${r.status} ${r.text.slice(0, 300)}`;
  assert.ok(r.status >= 200 && r.status < 500, `never a 5xx: ${detail}`);
  if (r.status >= 400) assert.ok(isEnvelope(r.json), `expected the error envelope: ${detail}`);
}

// ---------------------------------------------------------------- routes

function fill(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, p: string) =>
    encodeURIComponent(
      params[p] ?? (p === 'id' ? 'virtual' : p === 'key' ? 'A' : p === 'layer' ? 'MD_00' : TARGET),
    ),
  );
}

/**
 * A valid body for every route that takes one (a route added without an entry here fails the
 * first test, so it cannot go untested). Names are fresh or harmless: a valid request succeeds.
 */
const VALID_BODY: Record<string, () => Json> = {
  'POST /api/profiles': () => ({ name: freshName(), template: 'blank' }),
  'POST /api/profiles/activate': () => ({ name: TARGET }),
  'POST /api/profiles/import': () => ({ name: freshName(), source: GOOD }),
  'PUT /api/profiles/{name}': () => ({ source: GOOD }),
  'PUT /api/profiles/{name}/keys/{key}': () => ({ mapping: { kind: 'simple', from: 'A', to: 'B' } }),
  'POST /api/profiles/{name}/layers': () => ({
    layer: `MD_${((fresh % 250) + 1).toString(16)}`,
    name: freshName(),
  }),
  'PUT /api/profiles/{name}/layers/{layer}': () => ({ name: freshName() }),
  'POST /api/profiles/{name}/diff': () => ({ source: GOOD, label: 'mine.rhai' }),
  'POST /api/profiles/{name}/duplicate': () => ({ name: freshName() }),
  'POST /api/profiles/{name}/rename': () => ({ name: TARGET }),
  'POST /api/compile': () => ({ source: GOOD, name: 'draft' }),
  'PATCH /api/settings': () => ({ defaultTapHoldMs: 200 }),
  'PATCH /api/devices/{id}': () => ({ enabled: true }),
  // KeyRx's spellings (src/server/keyrx-compat.ts)
  'PUT /api/profiles/{name}/config': () => ({ config: GOOD }),
  'PUT /api/profiles/{name}/rename': () => ({ newName: TARGET }),
  'PUT /api/devices/{id}/name': () => ({ name: 'Desk' }),
  'PUT /api/devices/{id}/layout': () => ({ layout: 'ISO_105' }),
  'POST /api/debug/suspend': () => ({ suspended: false }),
  'PUT /api/layouts/{id}': () => ({
    name: 'Hostile board',
    keys: [
      { key: 'A', x: 0, y: 0 },
      { key: 'B', x: 1, y: 0, w: 1.5 },
    ],
  }),
  'POST /api/simulate': () => ({ events: 'd:A u:A', device: 'kb', settle: true }),
  'POST /api/inject': () => ({ events: 'd:A u:A' }),
  'PUT /api/context': () => ({ app: 'firefox', title: 'Inbox', ime: false, language: 'en' }),
};

/** Body fields that are profile names: anything but a valid name is refused. */
const NAME_FIELDS = new Set([
  'POST /api/profiles name',
  'POST /api/profiles/activate name',
  'POST /api/profiles/{name}/duplicate name',
  'POST /api/profiles/{name}/rename name',
  'POST /api/compile name',
  'POST /api/simulate profile',
]);

function bodyProperties(route: Route): Record<string, Json> {
  if (route.key === 'PATCH /api/settings') return settingsSchema.properties;
  return route.body?.properties ?? {};
}

/** Sends the route's valid request with `body` (an object to serialise, or raw text). */
function send(route: Route, body?: Json, opts: CallOptions & { params?: Record<string, string> } = {}) {
  const raw = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return call(route.method, fill(route.path, opts.params), { ...opts, body: raw });
}

const pathParamRoutes = () => routes.filter((r) => r.pathParams.length > 0 && r.path !== '/ws');
const bodyRoutes = () => routes.filter((r) => r.body !== null);
const stateChanging = () => routes.filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method));

// ---------------------------------------------------------------- files

/** Every file and directory under `root` except the config dir, with size, mode and mtime. */
function snapshotOutside(root: string, configDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (p === configDir) continue;
      const s = lstatSync(p);
      out.set(relative(root, p), `${s.isDirectory() ? 'd' : 'f'}:${s.size}:${s.mode}:${s.mtimeMs}`);
      if (s.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

before(async () => {
  parent = mkdtempSync(join(tmpdir(), 'keyrx-hostile-'));
  writeFileSync(join(parent, 'canary.txt'), 'a file next to the config dir\n');
  mkdirSync(join(parent, 'sibling'));
  writeFileSync(join(parent, 'sibling', 'x.rhai'), GOOD);
  t = await startTestDaemon({ dir: join(parent, 'config') });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as { port: number }).port;

  for (const [name, source] of Object.entries(SENTINELS))
    assert.equal(
      (await call('POST', '/api/profiles', { body: JSON.stringify({ name, source }) })).status,
      201,
    );
  assert.equal((await call('POST', '/api/profiles/keep-active/activate')).status, 200);
  assert.equal(
    (await call('POST', '/api/profiles', { body: JSON.stringify({ name: TARGET, source: GOOD }) })).status,
    201,
  );
  // the virtual device exists once a key was typed: PATCH /api/devices/virtual then succeeds
  assert.equal(
    (await call('POST', '/api/inject?instant=true', { body: '{"events":"d:A u:A"}' })).status,
    200,
  );

  const doc = (await call('GET', '/api/openapi.json')).json;
  settingsSchema = (await call('GET', '/api/settings/schema')).json;
  for (const [path, methods] of Object.entries<Json>(doc.paths))
    for (const [method, op] of Object.entries<Json>(methods)) {
      const params = (op.parameters ?? []) as { name: string; in: string; schema: Json }[];
      routes.push({
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        secured: Array.isArray(op.security) && op.security.length > 0,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema])),
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
      });
    }
  // quiet: the test helper's logger takes the level of the settings at every settings change
  assert.equal((await call('PATCH', '/api/settings', { body: '{"logLevel":"fatal"}' })).status, 200);
  outsideBefore = snapshotOutside(parent, t.dir);
});

after(async () => {
  await t?.close();
  rmSync(parent, { recursive: true, force: true });
  rmSync(absTarget, { recursive: true, force: true });
  rmSync(`${absTarget}.rhai`, { force: true });
});

/** Recreates the target profile if a test removed or renamed it. */
async function ensureTarget(): Promise<void> {
  if ((await call('GET', `/api/profiles/${TARGET}`)).status === 404)
    await call('POST', '/api/profiles', { body: JSON.stringify({ name: TARGET, source: GOOD }) });
}

// ---------------------------------------------------------------- the route table

describe('the route table', () => {
  test('the OpenAPI document lists every route of docs/api.md, and every route with a body has a valid example here', () => {
    const docs = readFileSync(join(import.meta.dirname, '../../docs/api.md'), 'utf8');
    const documented = new Set<string>();
    for (const m of docs.matchAll(/^\| (GET|POST|PUT|PATCH|DELETE) \| \[`([^`]+)`\]/gm))
      if (m[2].startsWith('/api/') || m[2] === '/ws')
        documented.add(`${m[1]} ${m[2].replace(/:(\w+)/g, '{$1}')}`);
    const listed = new Set(routes.map((r) => r.key));
    assert.ok(documented.size >= 25, `parsed ${documented.size} documented routes`);
    assert.deepEqual(
      [...documented].filter((k) => !listed.has(k)),
      [],
      'documented routes missing from the OpenAPI document',
    );
    assert.deepEqual(
      [...listed].filter((k) => !documented.has(k)),
      [],
      'OpenAPI routes missing from docs/api.md',
    );
    assert.deepEqual(
      bodyRoutes()
        .map((r) => r.key)
        .filter((k) => !VALID_BODY[k]),
      [],
      'routes with a body but no valid example in VALID_BODY',
    );
  });

  test('the valid example of every route with a body is accepted (so refusals below are about the hostile part)', async () => {
    for (const route of bodyRoutes()) {
      await ensureTarget();
      const r = await send(route, VALID_BODY[route.key]());
      assert.ok(r.status === 200 || r.status === 201, `${route.key}: ${r.status} ${r.text.slice(0, 200)}`);
    }
  });
});

// ---------------------------------------------------------------- auth and origin

describe('authentication and origin', () => {
  test('every route the OpenAPI document marks as secured answers 401 without or with wrong credentials; the public ones do not', async () => {
    const wrong: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${t.token}x` },
      { authorization: `Bearer ${t.token.slice(0, -1)}` },
      { authorization: `Bearer ${t.token.toUpperCase()}` },
      { authorization: `bearer${t.token}` },
      { authorization: `Basic ${Buffer.from(`user:${t.token}`).toString('base64')}` },
      { authorization: 'Bearer ' },
      { authorization: `Token ${t.token}` },
      { 'x-api-key': t.token },
      { cookie: 'keyrx_session=forged' },
      { cookie: `keyrx_session=${t.token}` },
    ];
    const secured = routes.filter((r) => r.secured);
    assert.ok(secured.length >= 25, `${secured.length} secured routes`);
    for (const route of routes) {
      const body = VALID_BODY[route.key] ? JSON.stringify(VALID_BODY[route.key]()) : undefined;
      // path parameters name a sentinel: a request that got through would change it (checked at the end)
      const path = fill(route.path, { name: 'keep-plain' });
      if (!route.secured) {
        // the identity proof needs its challenge; a public route answers it without credentials
        const query = route.path === '/api/identity' ? `?challenge=${'0'.repeat(64)}` : '';
        const r = await call(route.method, path + query, { auth: false, body });
        assert.equal(r.status, 200, `${route.key} is public: ${r.text}`);
        continue;
      }
      for (const headers of wrong) {
        const r = await call(route.method, path, { auth: false, headers, body });
        assertRefused(r, `${route.key} with ${JSON.stringify(headers).slice(0, 40)}`, 401, 'UNAUTHORIZED');
      }
      // ?token= is for the WebSocket only (and /ws without the upgrade is a 404 in the envelope)
      const q = await call(route.method, `${path}${path.includes('?') ? '&' : '?'}token=${t.token}`, {
        auth: false,
        body,
      });
      if (route.path === '/ws') assertRefused(q, 'GET /ws?token= without the upgrade', 404, 'NOT_FOUND');
      else assertRefused(q, `${route.key} with ?token=`, 401, 'UNAUTHORIZED');
    }
  });

  test('every state-changing route answers 403 to a foreign Origin or a cross-site fetch, even with the token', async () => {
    const foreign: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: `http://127.0.0.1:${port}.evil.example` },
      { origin: `http://evil.example:${port}` },
      { origin: `http://127.0.0.1:${port + 1}` },
      { origin: `http://127.0.0.1:${port}/` },
      { origin: `file://` },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' },
    ];
    const routesChecked = stateChanging();
    assert.ok(routesChecked.length >= 14, `${routesChecked.length} state-changing routes`);
    for (const route of routesChecked) {
      const body = VALID_BODY[route.key] ? JSON.stringify(VALID_BODY[route.key]()) : undefined;
      const path =
        fill(route.path, { name: 'keep-plain' }) + (route.key.startsWith('DELETE') ? '?force=true' : '');
      for (const headers of foreign) {
        const r = await call(route.method, path, { headers, body });
        assertRefused(r, `${route.key} from ${JSON.stringify(headers)}`, 403, 'FORBIDDEN_ORIGIN');
        // before authentication: a page cannot even probe for a valid token
        const anon = await call(route.method, path, { auth: false, headers, body });
        assertRefused(anon, `${route.key} from ${JSON.stringify(headers)} without a token`, 403);
      }
    }
    // the daemon's own origin is allowed
    const same = await call('POST', '/api/profiles/keep-plain/validate', {
      headers: { origin: `http://127.0.0.1:${port}` },
    });
    assert.equal(same.status, 200);
  });
});

// ---------------------------------------------------------------- bodies

describe('bodies', () => {
  const ajv = new Ajv({ strict: false });
  const CANDIDATES: Json[] = [5, -1, 1.5, 1e308, true, false, null, '', 'text', [], ['x'], {}, { a: 1 }];

  test('wrong types for every field, missing required fields, extra fields, non-object bodies', async () => {
    let cases = 0;
    for (const route of bodyRoutes()) {
      await ensureTarget();
      const props = bodyProperties(route);
      assert.ok(Object.keys(props).length > 0, `${route.key} has fields`);
      for (const [field, schema] of Object.entries<Json>(props)) {
        const valid = ajv.compile(schema);
        for (const value of CANDIDATES.filter((v) => !valid(v))) {
          const r = await send(route, { ...VALID_BODY[route.key](), [field]: value });
          assertRefused(r, `${route.key} ${field}=${JSON.stringify(value)}`, 400);
          cases++;
        }
      }
      const required: string[] = route.body.required ?? [];
      for (const field of required) {
        const body = VALID_BODY[route.key]();
        delete body[field];
        assertRefused(await send(route, body), `${route.key} without ${field}`, 400, 'VALIDATION_FAILED');
        cases++;
      }
      if (route.key !== 'PATCH /api/settings') {
        assertRefused(await send(route, {}), `${route.key} {}`, 400);
        cases++;
      }
      for (const extra of ['extra', '__proto__x', 'toString', 'constructor', 'hasOwnProperty', '']) {
        const r = await send(route, { ...VALID_BODY[route.key](), [extra]: 1 });
        assertRefused(r, `${route.key} with extra field '${extra}'`, 400);
        cases++;
      }
      for (const raw of ['[]', '"x"', '5', 'null', 'true', '[{"name":"x"}]']) {
        assertRefused(await send(route, raw), `${route.key} body ${raw}`, 400);
        cases++;
      }
      cases += 2;
      assertRefused(await send(route, '{"name":'), `${route.key} truncated JSON`, 400, 'INVALID_JSON');
      assertRefused(await send(route, ''), `${route.key} empty JSON body`, 400, 'INVALID_JSON');
    }
    assert.ok(cases > 150, `${cases} cases`);
  });

  test('prototype keys and duplicate keys in JSON bodies', async () => {
    for (const route of bodyRoutes()) {
      await ensureTarget();
      for (const raw of [
        '{"__proto__":{"isAdmin":true}}',
        '{"constructor":{"prototype":{"isAdmin":true}}}',
        '{"a":1,"__proto__":{"name":"x"}}',
      ])
        assertRefused(await send(route, raw), `${route.key} ${raw}`, 400);
    }
    // the last duplicate wins (JSON.parse): a traversal name hidden behind a valid one is still refused
    assertRefused(
      await call('POST', '/api/profiles', { body: '{"name":"dup-ok","name":"../dup"}' }),
      'duplicate keys',
      400,
      'INVALID_NAME',
    );
    assert.equal(({} as Json).isAdmin, undefined, 'Object.prototype was not polluted');
  });

  test('content types other than JSON: 415', async () => {
    for (const route of bodyRoutes())
      for (const contentType of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/jsonx',
      ]) {
        const r = await send(route, VALID_BODY[route.key](), { contentType });
        assertRefused(r, `${route.key} as ${contentType}`, 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
  });

  test('bodies over 1 MiB (8 MiB for an import): 413 on every route, with Content-Length and chunked', async () => {
    const huge = JSON.stringify({ source: 'x'.repeat(1_100_000) });
    // a profile bundle carries the files it loads: its route takes up to 8 MiB
    const hugeImport = JSON.stringify({ source: 'x'.repeat(8_500_000) });
    for (const route of routes.filter((r) => r.path !== '/ws')) {
      const body = route.key === 'POST /api/profiles/import' ? hugeImport : huge;
      const size = `${(body.length / 1e6).toFixed(1)} MB`;
      const r = await call(route.method, fill(route.path), { body });
      assertRefused(r, `${route.key} with a ${size} body`, 413, 'BODY_TOO_LARGE');
      if (route.method !== 'GET') {
        const chunked = await call(route.method, fill(route.path), { body, chunked: true });
        assertRefused(chunked, `${route.key} with a chunked ${size} body`, 413, 'BODY_TOO_LARGE');
      }
    }
    // a 1.1 MB bundle is within the import's limit (refused for its content, not its size)
    const bigImport = await call('POST', '/api/profiles/import', { body: huge });
    assert.equal(bigImport.status, 400, bigImport.text.slice(0, 200));
    // exactly the limit is read (then refused for its content, not its size)
    const atLimit = JSON.stringify({ source: 'x'.repeat(1_048_576 - 13) });
    assert.equal(Buffer.byteLength(atLimit), 1_048_576);
    const r = await call('POST', '/api/compile', { body: atLimit });
    assert.equal(r.status, 200, r.text.slice(0, 200));
    assert.equal(r.json.ok, false);
  });
});

// ---------------------------------------------------------------- strings

const HOSTILE_STRINGS: string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0000../x',
  '\u202eexe.rhai',
  'x\u202e',
  '😀',
  '👩‍👩‍👧‍👦',
  '\ud800',
  '\udfff',
  'a\ud83dz',
  '\u2028\u2029',
  '\ufeffbom',
  '\u0007\u0008\u001b[31m',
  '\r\n',
  'e\u0301\u0301\u0301',
  'ｆｕｌｌ',
  '%2e%2e%2f',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  "'; DROP TABLE profiles; --",
  'x'.repeat(65),
  'x'.repeat(257),
  'x'.repeat(100_000),
  '😀'.repeat(50_000),
];

const TRAVERSAL_NAMES: string[] = [
  '../x',
  '../../x',
  '../../canary',
  '../../sibling/x',
  '..',
  '.',
  '...',
  './x',
  'x/..',
  'a/b',
  '..\\x',
  '..\\..\\x',
  'C:\\x',
  '/etc/hostname',
  absTarget,
  join(absTarget, 'x'),
  '\u0000',
  'x\u0000.rhai',
  '../config/profiles/keep-plain',
  'keep-plain/../keep-plain',
  'keep-plain.rhai',
  'keep-plain.krx',
  '.keep-plain',
  '-x',
  '_x',
  'CON',
  'nul',
  'Lpt9',
  'x'.repeat(65),
  'x'.repeat(5000),
  '~',
  '~/x',
  '$HOME',
  'x y',
  'x\n',
];

describe('strings', () => {
  test('huge strings, unicode and control characters in every string field of every body', async () => {
    let cases = 0;
    for (const route of bodyRoutes()) {
      for (const [field, schema] of Object.entries<Json>(bodyProperties(route))) {
        const types = [schema.type, ...(schema.anyOf ?? []).map((s: Json) => s.type)].flat();
        if (!types.includes('string') && !(schema.items && schema.items.type === 'string')) continue;
        for (const s of HOSTILE_STRINGS) {
          await ensureTarget();
          const value = schema.type === 'array' ? [s, s] : s;
          const r = await send(route, { ...VALID_BODY[route.key](), [field]: value });
          const what = `${route.key} ${field}=${JSON.stringify(s).slice(0, 40)}`;
          if (NAME_FIELDS.has(`${route.key} ${field}`)) assertRefused(r, what, 400);
          else assertNoServerError(r, what);
          cases++;
        }
      }
    }
    assert.ok(cases > 200, `${cases} cases`);
  });

  test('traversal and reserved names in every profile-name field are refused', async () => {
    let cases = 0;
    for (const route of bodyRoutes())
      for (const field of Object.keys(bodyProperties(route)))
        if (NAME_FIELDS.has(`${route.key} ${field}`))
          for (const name of TRAVERSAL_NAMES) {
            await ensureTarget();
            const r = await send(route, { ...VALID_BODY[route.key](), [field]: name });
            assertRefused(r, `${route.key} ${field}=${JSON.stringify(name).slice(0, 60)}`, 400, [
              'INVALID_NAME',
              'VALIDATION_FAILED',
            ]);
            cases++;
          }
    assert.ok(cases >= TRAVERSAL_NAMES.length * NAME_FIELDS.size, `${cases} cases`);
  });

  test('traversal, encoded, overlong and unicode path parameters on every route with one', async () => {
    const segments: string[] = [
      ...TRAVERSAL_NAMES.map(encodeURIComponent),
      '..%2fx',
      '..%2Fx',
      '%2e%2e',
      '%2E%2E',
      '%2e%2e%2f%2e%2e%2fcanary',
      '..%5cx',
      '..%5C..%5Ccanary',
      '%252e%252e%252f',
      '%c0%ae%c0%ae%2fx',
      '%00',
      'a%00b',
      '%00..%2f',
      encodeURIComponent(`${absTarget}`),
      '%F0%9F%98%80',
      '%E2%80%AEx',
      '%ED%A0%80',
      '%EF%BF%BE',
      '%',
      '%zz',
      '%0a',
      '%0d%0a',
      '%20',
      '%7e',
      'x'.repeat(65),
      'x'.repeat(101),
      'x'.repeat(257),
      'x'.repeat(5000),
      'x'.repeat(20_000),
      '..',
      '.',
      '..\\x',
      'keep-plain%2f..%2fkeep-plain',
    ];
    let cases = 0;
    for (const route of pathParamRoutes())
      for (const seg of segments) {
        const path = route.path.replace(/\{\w+\}/g, seg);
        const body = VALID_BODY[route.key] ? JSON.stringify(VALID_BODY[route.key]()) : undefined;
        const r = await call(route.method, path, { body });
        assertRefused(r, `${route.method} ${path.slice(0, 80)}`);
        cases++;
      }
    // unnormalised dot segments and raw bytes on the wire
    for (const route of pathParamRoutes())
      for (const seg of ['../x', '../../canary', '..\\..\\canary', 'a b', 'x\u0000y', '\u00e9', '\u202e']) {
        const path = route.path.replace(/\{\w+\}/g, seg);
        const r = await rawCall(
          Buffer.concat([
            Buffer.from(`${route.method} `),
            Buffer.from(path, 'utf8'),
            Buffer.from(
              ` HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${t.token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
            ),
          ]),
        );
        assertRefused(r, `raw ${route.method} ${JSON.stringify(path)}`);
        cases++;
      }
    assert.ok(cases > 300, `${cases} cases`);
  });

  test('query strings: wrong types, unknown and repeated parameters, overflowing numbers', async () => {
    const withQuery = routes.filter((r) => Object.keys(r.query).length > 0);
    assert.ok(withQuery.length >= 4);
    for (const route of withQuery) {
      const base = fill(route.path, { name: 'h-nothing' });
      for (const [name, schema] of Object.entries<Json>(route.query)) {
        const bad =
          schema.type === 'boolean'
            ? ['yes', '2', 'truee', '', '%00', 'true&' + name + '=false']
            : [
                'abc',
                '-1',
                '1.5',
                '1e400',
                '-1e400',
                '99999999999999999999999',
                'NaN',
                'Infinity',
                '0x10',
                '',
                '%00',
              ];
        for (const v of bad) {
          const r = await call(route.method, `${base}?${name}=${v}`, {
            body: VALID_BODY[route.key] ? JSON.stringify(VALID_BODY[route.key]()) : undefined,
          });
          // an empty value may mean "absent"; a bad one is a 400, never a 5xx
          assertNoServerError(r, `${route.key} ?${name}=${v}`);
          if (v !== '' && !(schema.type === 'integer' && v === '0x10'))
            assertRefused(r, `${route.key} ?${name}=${v}`);
        }
      }
      const unknown = await call(route.method, `${base}?unknown=1`, {
        body: VALID_BODY[route.key] ? JSON.stringify(VALID_BODY[route.key]()) : undefined,
      });
      assertRefused(unknown, `${route.key} ?unknown=1`, 400, 'VALIDATION_FAILED');
    }
    // the reply of an offset that overflowed to Infinity once was a 500 (fast-json-stringify)
    assertRefused(await call('GET', '/api/profiles?offset=1e400'), 'offset=1e400', 400, 'VALIDATION_FAILED');
  });

  test('malformed HTTP: the envelope even before routing', async () => {
    const auth = `Authorization: Bearer ${t.token}\r\n`;
    const cases: [string, number][] = [
      [`GET /api/status HTTP/1.1\r\nHost: x\r\n${auth}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      [`GET /api/status HTTP/1.1\r\nHost: x\r\n${auth}Bad Header\r\n\r\n`, 400],
      [`POST /api/compile HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: abc\r\n\r\n`, 400],
      [`POST /api/compile HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 5\r\nContent-Length: 6\r\n\r\n`, 400],
      [`GET /api/status HTTP/9.9\r\nHost: x\r\n\r\n`, 400],
      [`GET /api/profiles/${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n${auth}\r\n`, 431],
      [`\u0000\u0001\u0002 garbage\r\n\r\n`, 400],
    ];
    for (const [text, status] of cases) {
      const r = await rawCall(text);
      assertRefused(r, `raw ${JSON.stringify(text.slice(0, 60))}`, status);
    }
  });

  test('lone surrogates and control characters in a saved source: refused or stored, consistently', async () => {
    const source = `// \ud800 \u0000 \u202e 😀 \u0007\ndevice_start("*");\n  map("A", "VK_B");\ndevice_end();\n`;
    await ensureTarget();
    const put = await call('PUT', `/api/profiles/${TARGET}`, { body: JSON.stringify({ source }) });
    assertNoServerError(put, 'PUT a source with a lone surrogate');
    if (put.status === 200) {
      // a lone surrogate cannot be written as UTF-8: what is served is what is on disk
      const got = (await call('GET', `/api/profiles/${TARGET}`)).json.source;
      assert.equal(got, readFileSync(join(t.dir, 'profiles', `${TARGET}.rhai`), 'utf8'));
      assert.equal(got, source.replace('\ud800', '\ufffd'));
    }
  });
});

// ---------------------------------------------------------------- names

describe('duplicate names', () => {
  test('create, duplicate and rename onto an existing name: 409, and the existing profile is untouched', async () => {
    await ensureTarget();
    for (const existing of ['keep-plain', TARGET]) {
      assertRefused(
        await call('POST', '/api/profiles', {
          body: JSON.stringify({ name: existing, source: 'device_start("*"); device_end();' }),
        }),
        `create ${existing}`,
        409,
        'PROFILE_EXISTS',
      );
      assertRefused(
        await call('POST', `/api/profiles/keep-layers/duplicate`, {
          body: JSON.stringify({ name: existing }),
        }),
        `duplicate onto ${existing}`,
        409,
        'PROFILE_EXISTS',
      );
    }
    assertRefused(
      await call('POST', `/api/profiles/${TARGET}/rename`, { body: JSON.stringify({ name: 'keep-plain' }) }),
      'rename onto a sentinel',
      409,
      'PROFILE_EXISTS',
    );
    assertRefused(
      await call('POST', `/api/profiles/${TARGET}/duplicate`, { body: JSON.stringify({ name: TARGET }) }),
      'duplicate onto itself',
      409,
      'PROFILE_EXISTS',
    );
    const self = await call('POST', `/api/profiles/${TARGET}/rename`, {
      body: JSON.stringify({ name: TARGET }),
    });
    assert.equal(self.status, 200, 'a rename onto itself changes nothing');
    // a file that exists on disk but not (yet) in the index also counts
    writeFileSync(join(t.dir, 'profiles', 'on-disk-only.rhai'), GOOD);
    const r = await call('POST', '/api/profiles', {
      body: JSON.stringify({ name: 'on-disk-only', template: 'blank' }),
    });
    assertRefused(r, 'create over a file the watcher may not have seen', 409, 'PROFILE_EXISTS');
    assert.equal(readFileSync(join(t.dir, 'profiles', 'on-disk-only.rhai'), 'utf8'), GOOD);
    // the watcher indexes it (the consistency checks below compare the list with the files)
    for (let i = 0; i < 100 && (await call('GET', '/api/profiles/on-disk-only')).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 50));
  });
});

// ---------------------------------------------------------------- concurrency

describe('concurrent mutations', () => {
  const SRC = (i: number): string =>
    `// version ${i}\ndevice_start("*");\n  map("A", "VK_${'BCDEFG'[i % 6]}");\ndevice_end();\n`;

  function mutation(i: number): Promise<Res> {
    const body = (x: unknown) => JSON.stringify(x);
    switch (i % 9) {
      case 0:
        return call('PUT', '/api/profiles/race', { body: body({ source: SRC(i) }) });
      case 1:
        return call('POST', '/api/profiles/race/rename', { body: body({ name: 'race2' }) });
      case 2:
        return call('POST', '/api/profiles/race2/rename', { body: body({ name: 'race' }) });
      case 3:
        return call('DELETE', '/api/profiles/race?force=true');
      case 4:
        return call('POST', '/api/profiles/race/activate');
      case 5:
        return call('POST', '/api/profiles', { body: body({ name: 'race', source: SRC(i) }) });
      case 6:
        return call('POST', '/api/profiles/race/duplicate', { body: body({ name: `race-copy-${i % 4}` }) });
      case 7:
        return call('POST', '/api/profiles/activate', { body: body({ name: i % 2 ? 'race2' : 'race' }) });
      default:
        return call(i % 2 ? 'GET' : 'POST', i % 2 ? '/api/profiles/race' : '/api/profiles/race/validate');
    }
  }

  test('50 parallel PUT, rename, delete, activate, create and duplicate on one name, 6 rounds: never a 5xx, a consistent store', async () => {
    const statuses = new Map<number, number>();
    for (let round = 0; round < 6; round++) {
      if ((await call('GET', '/api/profiles/race')).status === 404)
        await call('POST', '/api/profiles', { body: JSON.stringify({ name: 'race', source: SRC(0) }) });
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => mutation(i + round * 50)));
      for (const [i, r] of replies.entries()) {
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        assertNoServerError(r, `round ${round} mutation ${i % 9}`);
        if (r.status >= 400)
          assert.ok([404, 409].includes(r.status), `a race loses with 404 or 409: ${r.status} ${r.text}`);
      }
      await assertConsistentStore();
    }
    assert.ok((statuses.get(200) ?? 0) > 0 && ((statuses.get(404) ?? 0) > 0 || (statuses.get(409) ?? 0) > 0));
  });

  test('50 parallel settings and device patches: the file and the reply agree', async () => {
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2
          ? call('PATCH', '/api/settings', {
              body: JSON.stringify({ defaultTapHoldMs: 100 + i, outputHistory: 10 + i }),
            })
          : call('PATCH', '/api/devices/virtual', {
              body: JSON.stringify({ name: `kb ${i} \u202e😀`, enabled: i % 4 === 0 }),
            }),
      ),
    );
    for (const r of replies) assert.equal(r.status, 200, r.text);
    const settings = (await call('GET', '/api/settings')).json;
    assert.deepEqual(JSON.parse(readFileSync(join(t.dir, 'settings.json'), 'utf8')), settings);
    const device = (await call('GET', '/api/devices')).json.devices.find((d: Json) => d.id === 'virtual');
    const stored = JSON.parse(readFileSync(join(t.dir, 'devices.json'), 'utf8')).devices.virtual;
    assert.deepEqual([stored.name, stored.enabled], [device.name, device.enabled]);
    await call('PATCH', '/api/devices/virtual', { body: JSON.stringify({ enabled: true }) });
  });
});

/** The index, the files, the active profile and state.json agree; no temp file is left. */
async function assertConsistentStore(): Promise<void> {
  const listed = (await call('GET', '/api/profiles?limit=10000')).json.profiles as Json[];
  const onDisk = readdirSync(join(t.dir, 'profiles'))
    .filter((f) => /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.rhai$/.test(f))
    .map((f) => f.slice(0, -5))
    .sort();
  // a profile written on disk behind the daemon's back may wait for the watcher; ours are all indexed
  assert.deepEqual(listed.map((p) => p.name).sort(), onDisk, 'the profile list is the files on disk');
  for (const dir of [t.dir, join(t.dir, 'profiles'), join(t.dir, 'cache')])
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('.keyrx-tmp-')),
      [],
      `no temp file left in ${dir}`,
    );
  for (const name of listed.map((p) => p.name).filter((n: string) => n.startsWith('race'))) {
    const got = await call('GET', `/api/profiles/${name}`);
    assert.equal(got.status, 200);
    assert.equal(got.json.source, readFileSync(join(t.dir, 'profiles', `${name}.rhai`), 'utf8'));
  }
  const status = (await call('GET', '/api/status')).json;
  const state = JSON.parse(readFileSync(join(t.dir, 'state.json'), 'utf8'));
  assert.equal(state.activeProfile, status.activeProfile, 'state.json names the active profile');
  if (status.activeProfile !== null)
    assert.ok(onDisk.includes(status.activeProfile), `the active profile ${status.activeProfile} exists`);
  assert.equal(listed.filter((p) => p.active).length, status.activeProfile === null ? 0 : 1);
}

// ---------------------------------------------------------------- afterwards

describe('afterwards', () => {
  test('nothing was written outside the config dir, nothing saved was lost, and the daemon still serves', async (tc) => {
    tc.diagnostic(
      `${tallies.requests} requests on ${routes.length} routes: ${tallies['2xx']} 2xx, ${tallies['3xx']} 3xx, ${tallies['4xx']} 4xx (${tallies['4xxWithoutEnvelope']} without the envelope), ${tallies['5xx']} 5xx`,
    );
    assert.equal(tallies['5xx'], 0);
    assert.equal(tallies['4xxWithoutEnvelope'], 0);
    assert.deepEqual(
      [...snapshotOutside(parent, t.dir)].filter(([p, v]) => outsideBefore.get(p) !== v),
      [],
      'changes next to the config dir',
    );
    assert.deepEqual(
      [...outsideBefore.keys()].filter((p) => !snapshotOutside(parent, t.dir).has(p)),
      [],
      'files removed next to the config dir',
    );
    for (const p of [absTarget, `${absTarget}.rhai`, `${absTarget}.krx`])
      assert.equal(existsSync(p), false, `${p} was created`);
    for (const [name, source] of Object.entries(SENTINELS)) {
      const got = await call('GET', `/api/profiles/${name}`);
      assert.equal(got.status, 200, `${name} is still there`);
      assert.equal(got.json.source, source, `${name} is unchanged`);
      assert.equal(got.json.lastCompileError, null);
      assert.equal(readFileSync(join(t.dir, 'profiles', `${name}.rhai`), 'utf8'), source, `${name} on disk`);
    }
    const files = readdirSync(join(t.dir, 'profiles'));
    assert.ok(
      files.every((f) => /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.rhai$/.test(f)),
      `only valid profile files: ${files.filter((f) => !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.rhai$/.test(f))}`,
    );
    // custom layouts: valid ids only, nothing else in their folder
    const layouts = existsSync(join(t.dir, 'layouts')) ? readdirSync(join(t.dir, 'layouts')) : [];
    assert.ok(
      layouts.every((f) => /^[a-z0-9][a-z0-9-]{0,47}\.json$/.test(f)),
      `only valid layout files: ${layouts.filter((f) => !/^[a-z0-9][a-z0-9-]{0,47}\.json$/.test(f))}`,
    );
    const allowed = [
      'cache',
      'daemon.lock',
      'devices.json',
      'layouts',
      'profiles',
      'settings.json',
      'state.json',
      'token',
    ];
    assert.deepEqual(
      readdirSync(t.dir).filter((f) => !allowed.includes(f)),
      [],
      "only the daemon's own files in the config dir",
    );
    assert.equal((await call('GET', '/api/health', { auth: false })).status, 200);
    assert.equal((await call('POST', '/api/profiles/keep-layers/activate')).status, 200);
    const inj = await call('POST', '/api/inject?instant=true', {
      body: '{"events":"d:CapsLock u:CapsLock"}',
    });
    assert.equal(inj.status, 200);
    assert.equal((await call('GET', '/api/output?limit=2')).json.script, 'd:Escape u:Escape');
    await assertConsistentStore();
  });
});

// ---------------------------------------------------------------- the token

describe('the API token', () => {
  /** Every string a log line holds, plus byte arrays decoded (Node logs raw packets as numbers). */
  function decodedLogText(log: string): string {
    const parts: string[] = [log];
    for (const line of log.split('\n')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) {
          if (v.length > 0 && v.every((x) => Number.isInteger(x) && x >= 0 && x < 256))
            parts.push(Buffer.from(v as number[]).toString('latin1'));
          else v.forEach(walk);
        } else if (v && typeof v === 'object') Object.values(v).forEach(walk);
      };
      walk(parsed);
    }
    return parts.join('\n');
  }

  test('the token file is 0600 and looser permissions are reset at start; the token never appears in the logs at level trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyrx-token-log-'));
    let d = await spawnDaemon({ dir, extraArgs: ['--log-level', 'trace'] });
    try {
      assert.equal(statSync(join(dir, 'token')).mode & 0o777, 0o600);
      const token = d.token;
      assert.match(token, /^[0-9a-f]{64}$/);
      let log = d.stderr();
      d.child.stderr!.on('data', (s: string) => (log += s));
      const base = d.url;
      const wsBase = base.replace('http', 'ws');
      const port = Number(new URL(base).port);
      const fetchIt = (path: string, init: RequestInit = {}) =>
        fetch(base + path, { ...init, redirect: 'manual', signal: AbortSignal.timeout(30_000) }).then(
          async (r) => {
            await r.arrayBuffer();
            return r.status;
          },
        );
      const bearer = { authorization: `Bearer ${token}` };
      // successful requests with the token in the header
      assert.equal(await fetchIt('/api/status', { headers: bearer }), 200);
      assert.equal(
        await fetchIt('/api/profiles', {
          method: 'POST',
          headers: { ...bearer, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'logged', template: 'default' }),
        }),
        201,
      );
      assert.equal(await fetchIt('/api/profiles/logged/activate', { method: 'POST', headers: bearer }), 200);
      assert.equal(
        await fetchIt('/api/inject', {
          method: 'POST',
          headers: { ...bearer, 'content-type': 'application/json' },
          body: '{"events":"d:CapsLock t:250 d:H u:H u:CapsLock"}',
        }),
        200,
      );
      // the token in the login URL (works) and in places where it does not work
      assert.equal(await fetchIt(`/login?token=${token}`), 302);
      assert.equal(await fetchIt(`/login?token=${token}x`), 401);
      assert.equal(await fetchIt(`/api/status?token=${token}`), 401);
      // failed requests carrying it (or something containing it)
      assert.equal(await fetchIt('/api/status', { headers: { authorization: `Bearer ${token}0` } }), 401);
      assert.equal(await fetchIt('/api/profiles/nope', { headers: bearer }), 404);
      assert.equal(await fetchIt(`/api/profiles/${token}`, { headers: bearer }), 404);
      assert.equal(
        await fetchIt('/api/profiles', {
          method: 'POST',
          headers: { ...bearer, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `../${token}` }),
        }),
        400,
      );
      assert.equal(
        await fetchIt('/api/profiles/default/activate', {
          method: 'POST',
          headers: { ...bearer, origin: 'https://evil.example' },
        }),
        403,
      );
      assert.equal(
        await fetchIt(`/api/compile?token=${token}`, {
          method: 'POST',
          headers: { ...bearer, 'content-type': 'application/json' },
          body: JSON.stringify({ source: `map("${token}", "VK_A");` }),
        }),
        200,
      );
      assert.equal(await fetchIt(`/api/profiles/%ED%A0%80?token=${token}`, { headers: bearer }), 400);
      // malformed requests: Node's parser keeps their raw bytes, header and query included
      const raw = (text: string) =>
        new Promise<void>((resolve) => {
          const s = connect(port, '127.0.0.1', () => s.write(text));
          s.on('data', () => undefined);
          s.on('close', () => resolve());
          s.on('error', () => resolve());
          setTimeout(() => s.destroy(), 5000).unref();
        });
      await raw(
        `GET /api/status?token=${token} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      await raw(
        `GET /api/status?token=${token} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nBad Header\r\n\r\n`,
      );
      await raw(
        `POST /api/compile HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 1x\r\n\r\n`,
      );
      await raw(
        `GET /ws?token=${token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      // the WebSocket with ?token=: accepted, refused for its origin, and with a wrong token
      const ws = new WebSocket(`${wsBase}/ws?token=${token}&topics=key`);
      await once(ws, 'message');
      ws.send('{"op":"subscribe","topics":["key"],"id":"x"}');
      ws.send(`{"op":"${token}"}`);
      await once(ws, 'message');
      ws.close();
      for (const [query, headers] of [
        [`?token=${token}`, { origin: 'https://evil.example' }],
        [`?token=${token}0`, {}],
        [`?token=${token}&since=-1`, {}],
      ] as const) {
        const c = new WebSocket(`${wsBase}/ws${query}`, { headers });
        await new Promise<void>((resolve) => {
          c.on('unexpected-response', (req) => {
            req.destroy();
            resolve();
          });
          c.on('close', () => resolve());
          c.on('error', () => resolve());
        });
      }
      // a settings change and a reload, which log
      assert.equal(
        await fetchIt('/api/settings', {
          method: 'PATCH',
          headers: { ...bearer, 'content-type': 'application/json' },
          body: '{"logLevel":"trace"}',
        }),
        200,
      );
      d.child.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 500));
      const closed = once(d.child, 'close');
      await d.stop();
      await closed;
      const output = d.stdout() + log;
      // debug/trace logging really was on (Node's parser errors were logged at trace with the
      // request's raw bytes, as numbers: the check decodes byte arrays)
      assert.match(log, /"level":(10|20)/);
      const everything = decodedLogText(output);
      assert.equal(everything.includes(token), false, 'the token appears in the daemon output');
      assert.equal(
        output.includes(Buffer.from(token).toString('base64')),
        false,
        'the token appears base64-encoded',
      );
      assert.match(log, /malformed HTTP request refused/);

      // looser permissions are reset at the next start; the token stays
      chmodSync(join(dir, 'token'), 0o644);
      d = await spawnDaemon({ dir });
      assert.equal(statSync(join(dir, 'token')).mode & 0o777, 0o600);
      assert.equal(d.token, token);
      assert.equal(d.stdout().includes(token) || d.stderr().includes(token), false);
    } finally {
      await d.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
