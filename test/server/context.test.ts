/**
 * The input context (GET/PUT /api/context) against a real daemon over real sockets: validation,
 * auth and origin, the WebSocket `context` event, and `APP:` conditions in the live engine,
 * across profile swaps.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { ListeningDaemon } from './helpers.ts';
import { assertError, startListeningDaemon } from './helpers.ts';
import { HANG_MS } from '../support/wait.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: ListeningDaemon;
let base = '';
before(async () => {
  t = await startListeningDaemon();
  base = t.host;
});
after(async () => {
  await t.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  opts: { headers?: Record<string, string>; auth?: boolean } = {},
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`http://${base}${path}`, {
    method,
    headers: {
      ...(opts.auth === false ? {} : t.auth),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, json };
}

async function ok(method: string, path: string, body?: unknown): Promise<Json> {
  const r = await call(method, path, body);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

/** Injects a script at once and returns the output it caused, as a script. */
async function typed(events: string): Promise<string> {
  const before = ((await ok('GET', '/api/output?limit=100000')).events as unknown[]).length;
  await ok('POST', '/api/inject?instant=true', { events });
  const after = (await ok('GET', '/api/output?limit=100000')).events as Json[];
  return after
    .slice(before)
    .map((e) => `${e.action === 'press' ? 'd' : e.action === 'release' ? 'u' : 'r'}:${e.key}`)
    .join(' ');
}

const EMPTY = { app: '', title: '', ime: false, language: '' };

describe('GET and PUT /api/context', () => {
  test('starts empty; PUT replaces the given fields only and returns the new context', async () => {
    assert.deepEqual(await ok('GET', '/api/context'), { ...EMPTY, updatedAt: null });
    const set = await ok('PUT', '/api/context', { app: 'firefox', title: 'Inbox — Mail' });
    assert.deepEqual(
      { ...set, updatedAt: undefined },
      {
        app: 'firefox',
        title: 'Inbox — Mail',
        ime: false,
        language: '',
        updatedAt: undefined,
      },
    );
    assert.ok(!Number.isNaN(Date.parse(set.updatedAt)), set.updatedAt);
    const more = await ok('PUT', '/api/context', { ime: true, language: 'ja' });
    assert.deepEqual(
      [more.app, more.title, more.ime, more.language],
      ['firefox', 'Inbox — Mail', true, 'ja'],
    );
    assert.deepEqual(await ok('GET', '/api/context'), more);
    // the engine has it: GET /api/state shows the context and the new state fields
    const state = await ok('GET', '/api/state');
    assert.deepEqual(
      [state.app, state.title, state.ime, state.language, state.queued, state.capsWord, state.oneShots],
      ['firefox', 'Inbox — Mail', true, 'ja', 0, false, []],
    );
    // the same values again change nothing, not even updatedAt
    assert.deepEqual(await ok('PUT', '/api/context', { app: 'firefox' }), more);
    // 1024 characters are accepted; "" clears
    const long = await ok('PUT', '/api/context', { title: 'x'.repeat(1024) });
    assert.equal(long.title.length, 1024);
    const cleared = await ok('PUT', '/api/context', EMPTY);
    assert.deepEqual({ ...cleared, updatedAt: null }, { ...EMPTY, updatedAt: null });
  });

  test('invalid bodies: 400 in the error envelope, and nothing changes', async () => {
    await ok('PUT', '/api/context', { app: 'kept' });
    const cases: [unknown, string, RegExp?][] = [
      [{}, 'VALIDATION_FAILED', /fewer than 1 properties/],
      [{ app: 'x', window: 'y' }, 'VALIDATION_FAILED', /additional properties/],
      [{ app: 5 }, 'VALIDATION_FAILED', /body\/app must be string/],
      [{ ime: 'on' }, 'VALIDATION_FAILED', /body\/ime must be boolean/],
      [{ language: null }, 'VALIDATION_FAILED', /body\/language must be string/],
      [
        { title: 'x'.repeat(1025) },
        'VALIDATION_FAILED',
        /body\/title must NOT have more than 1024 characters/,
      ],
      [{ title: 'tab\there' }, 'VALIDATION_FAILED', /body\/title must not contain control characters/],
      [{ app: 'a\u0000b' }, 'VALIDATION_FAILED', /body\/app/],
      [{ app: 'esc\u001b[31m' }, 'VALIDATION_FAILED', /body\/app/],
      [{ app: 'c1\u0085' }, 'VALIDATION_FAILED', /body\/app/],
      ['[]', 'VALIDATION_FAILED'],
      ['{"app":', 'INVALID_JSON'],
    ];
    for (const [body, code, message] of cases) {
      const r = await call('PUT', '/api/context', body);
      assertError(r, 400, code, message);
      if (code === 'VALIDATION_FAILED') assert.ok(Array.isArray(r.json.error.details?.problems), code);
    }
    const plain = await call('PUT', '/api/context', undefined, { headers: { 'content-type': 'text/plain' } });
    assert.equal(plain.status, 415);
    const now = await ok('GET', '/api/context');
    assert.equal(now.app, 'kept');
    await ok('PUT', '/api/context', EMPTY);
  });

  test('401 without the token; 403 for a foreign Origin even with it', async () => {
    assertError(await call('GET', '/api/context', undefined, { auth: false }), 401, 'UNAUTHORIZED');
    assertError(await call('PUT', '/api/context', { app: 'x' }, { auth: false }), 401, 'UNAUTHORIZED');
    const wrong = await call(
      'PUT',
      '/api/context',
      { app: 'x' },
      {
        auth: false,
        headers: { authorization: 'Bearer 1234' },
      },
    );
    assertError(wrong, 401, 'UNAUTHORIZED');
    assertError(
      await call('PUT', '/api/context', { app: 'evil' }, { headers: { origin: 'https://evil.example' } }),
      403,
      'FORBIDDEN_ORIGIN',
    );
    assertError(
      await call('PUT', '/api/context', { app: 'evil' }, { headers: { 'sec-fetch-site': 'cross-site' } }),
      403,
      'FORBIDDEN_ORIGIN',
    );
    assert.equal((await ok('GET', '/api/context')).app, '', 'the refused requests changed nothing');
    // the daemon's own origin may
    const same = await call(
      'PUT',
      '/api/context',
      { app: 'same' },
      { headers: { origin: `http://${base}` } },
    );
    assert.equal(same.status, 200);
    assert.equal(same.json.app, 'same');
    await ok('PUT', '/api/context', EMPTY);
  });

  test('the OpenAPI document has both routes, secured', async () => {
    const doc = await ok('GET', '/api/openapi.json');
    const path = doc.paths['/api/context'];
    assert.ok(path?.get && path?.put, Object.keys(doc.paths).join());
    assert.deepEqual(path.put.security, [{ bearer: [] }, { session: [] }]);
    assert.deepEqual(Object.keys(path.put.requestBody.content['application/json'].schema.properties), [
      'app',
      'title',
      'ime',
      'language',
    ]);
    const state = doc.paths['/api/state'].get.responses['200'].content['application/json'].schema;
    for (const field of ['app', 'title', 'queued', 'capsWord', 'oneShots'])
      assert.ok(field in state.properties, field);
  });
});

describe('the WebSocket context event', () => {
  test('a change is announced (default topics); a PUT that changes nothing is not; the snapshot has it', async () => {
    const messages: Json[] = [];
    const ws = new WebSocket(`ws://${base}/ws?token=${t.token}`);
    ws.on('message', (d) => {
      const parsed = JSON.parse(String(d));
      for (const e of Array.isArray(parsed) ? parsed : [parsed]) messages.push(e);
    });
    const until = async (pred: () => boolean): Promise<void> => {
      const end = Date.now() + HANG_MS;
      while (!pred()) {
        if (Date.now() > end) throw new Error(`timeout; got ${JSON.stringify(messages.map((m) => m.type))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await until(() => messages.some((m) => m.type === 'snapshot'));
      assert.ok(messages[0].data.topics.includes('context'), JSON.stringify(messages[0].data.topics));
      const snapshot = messages.find((m) => m.type === 'snapshot')!;
      assert.deepEqual({ ...snapshot.data.context, updatedAt: null }, { ...EMPTY, updatedAt: null });

      const set = await ok('PUT', '/api/context', { app: 'Code', title: 'main.ts' });
      await ok('PUT', '/api/context', { app: 'Code' }); // no change: no event
      const last = await ok('PUT', '/api/context', { ime: true });
      await until(() => messages.filter((m) => m.type === 'context').length >= 2);
      await new Promise((r) => setTimeout(r, 100));
      const events = messages.filter((m) => m.type === 'context');
      assert.deepEqual(
        events.map((e) => e.data),
        [set, last],
      );
      assert.ok(events[0].seq < events[1].seq);
      assert.equal(typeof events[0].time, 'number');

      // unsubscribing stops them
      ws.send(JSON.stringify({ op: 'unsubscribe', id: 'u', topics: ['context'] }));
      await until(() => messages.some((m) => m.type === 'ack' && m.data.id === 'u'));
      await ok('PUT', '/api/context', EMPTY);
      await ok('GET', '/api/status');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(messages.filter((m) => m.type === 'context').length, 2);
    } finally {
      ws.terminate();
      await ok('PUT', '/api/context', EMPTY);
    }
  });
});

describe('APP: conditions in the live engine', () => {
  const FIREFOX =
    'device_start("*");\n  when_start("APP:firefox");\n    map("A", "VK_B");\n  when_end();\ndevice_end();\n';

  test('the context decides; it survives activating another profile and back', async () => {
    await ok('POST', '/api/profiles', { name: 'browser', source: FIREFOX });
    await ok('POST', '/api/profiles/browser/activate');
    assert.equal(await typed('d:A u:A'), 'd:A u:A');

    await ok('PUT', '/api/context', { app: 'Firefox' }); // globs are case-insensitive
    assert.equal(await typed('d:A u:A'), 'd:B u:B');

    // another profile (a new engine), then back (another new engine): the context stays
    await ok('POST', '/api/profiles', { name: 'plain', template: 'blank' });
    await ok('POST', '/api/profiles/plain/activate');
    assert.equal((await ok('GET', '/api/state')).app, 'Firefox');
    await ok('POST', '/api/profiles/browser/activate');
    assert.equal((await ok('GET', '/api/context')).app, 'Firefox');
    assert.equal((await ok('GET', '/api/state')).app, 'Firefox');
    assert.equal(await typed('d:A u:A'), 'd:B u:B');

    // saving the active profile reloads it (a swap too)
    await ok('PUT', '/api/profiles/browser', { source: `${FIREFOX}\n` });
    assert.equal(await typed('d:A u:A'), 'd:B u:B');

    await ok('PUT', '/api/context', { app: 'kitty' });
    assert.equal(await typed('d:A u:A'), 'd:A u:A');
    await ok('PUT', '/api/context', EMPTY);
    assert.equal(await typed('d:A u:A'), 'd:A u:A');
  });

  test('injected scripts cannot set the context: 400 SCRIPT_INVALID naming the token', async () => {
    const r = await call('POST', '/api/inject?instant=true', { events: 'd:A u:A app:firefox d:A u:A' });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'SCRIPT_INVALID');
    assert.match(r.json.error.message, /'app:firefox' sets the input context.*PUT \/api\/context/);
    assert.equal((await ok('GET', '/api/context')).app, '');
  });

  test('a key held across a context change releases what it pressed', async () => {
    await ok('POST', '/api/profiles/browser/activate');
    await ok('PUT', '/api/context', { app: 'firefox' });
    assert.equal(await typed('d:A'), 'd:B');
    await ok('PUT', '/api/context', { app: 'kitty' });
    assert.equal(await typed('u:A'), 'u:B');
    assert.deepEqual((await ok('GET', '/api/state')).outputDown, []);
    await ok('PUT', '/api/context', EMPTY);
  });
});

describe('monitor records of a deadline', () => {
  test('the outputs of one timer decision are reported once, with its first record', async () => {
    // balanced tap-hold: H waits for the hold decision, then is replayed by the timer
    await ok('PUT', '/api/profiles/browser', {
      source:
        'device_start("*");\n  tap_hold("CapsLock", "VK_Escape", "MD_00", 200, #{ mode: "balanced" });\n  when_start("MD_00");\n    map("H", "VK_Left");\n  when_end();\ndevice_end();\n',
    });
    await ok('POST', '/api/profiles/browser/activate');
    const keys: Json[] = [];
    const ws = new WebSocket(`ws://${base}/ws?token=${t.token}&topics=key`);
    ws.on('message', (d) => {
      const parsed = JSON.parse(String(d));
      for (const e of Array.isArray(parsed) ? parsed : [parsed]) if (e.type === 'key') keys.push(e.data);
    });
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    try {
      const out = await typed('d:CapsLock t:10 d:H t:300 u:H u:CapsLock');
      assert.equal(out, 'd:Left u:Left');
      const end = Date.now() + HANG_MS;
      while (keys.length < 4 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      const timeouts = keys.filter((k) => k.action === 'timeout');
      assert.ok(timeouts.length >= 1, JSON.stringify(keys));
      for (const k of timeouts.slice(1)) assert.deepEqual(k.outputs, [], JSON.stringify(keys));
      // every output event is in exactly one key record
      const reported = keys.flatMap((k) => k.outputs.map((o: Json) => `${o.action}:${o.key}`));
      assert.deepEqual(reported, ['press:Left', 'release:Left'], JSON.stringify(keys));
      // the key the timer's decision replayed is reported with its own action and decision
      const timer = keys.findIndex((k) => k.action === 'timeout');
      assert.deepEqual(
        [
          keys[timer].key,
          keys[timer].decision,
          keys[timer + 1].key,
          keys[timer + 1].action,
          keys[timer + 1].decision,
        ],
        ['CapsLock', 'hold', 'H', 'press', 'remap'],
        JSON.stringify(keys),
      );
    } finally {
      ws.terminate();
    }
  });
});
