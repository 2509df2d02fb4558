import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestDaemon } from './helpers.ts';
import { assertError, startTestDaemon } from './helpers.ts';

let t: TestDaemon;
before(async () => {
  t = await startTestDaemon();
});
after(async () => {
  await t.close();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: { ...t.auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  let json: Json = {};
  try {
    json = res.json();
  } catch {
    // not JSON
  }
  return { status: res.statusCode, json, headers: res.headers, text: res.body };
}

const GOOD = 'device_start("*");\n  map("A", "VK_B");\ndevice_end();\n';

describe('first start', () => {
  test('creates the config dir, a 0600 token, and activates the default profile', async () => {
    assert.equal(statSync(join(t.dir, 'token')).mode & 0o777, 0o600);
    assert.match(readFileSync(join(t.dir, 'token'), 'utf8'), /^[0-9a-f]{64}\n$/);
    const status = await call('GET', '/api/status');
    assert.equal(status.status, 200);
    assert.equal(status.json.activeProfile, 'default');
    assert.equal(status.json.backend, 'virtual');
    assert.equal(JSON.parse(readFileSync(join(t.dir, 'state.json'), 'utf8')).activeProfile, 'default');
  });
});

describe('auth and origin', () => {
  test('health needs no auth; everything else does', async () => {
    const health = await t.app.inject({ url: '/api/health' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const anonymous = await t.app.inject({ url: '/api/session' });
    const tokenFile = join(t.dir, 'token');
    assert.deepEqual(anonymous.json(), { authenticated: false, authRequired: true, tokenFile });
    const withToken = await t.app.inject({ url: '/api/session', headers: t.auth });
    assert.deepEqual(withToken.json(), { authenticated: true, authRequired: true, tokenFile });
    for (const url of [
      '/api/templates',
      '/api/status',
      '/api/profiles',
      '/api/settings',
      '/api/devices',
      '/api/metrics',
      '/api/openapi.json',
    ]) {
      const none = await t.app.inject({ url });
      assertError({ status: none.statusCode, json: none.json() }, 401, 'UNAUTHORIZED', /Bearer/);
      const wrong = await t.app.inject({ url, headers: { authorization: 'Bearer 1234' } });
      assert.equal(wrong.statusCode, 401);
    }
  });

  test('a foreign Origin cannot change state; the same origin can', async () => {
    const foreign = await call('POST', '/api/profiles', { name: 'evil' }, { origin: 'https://evil.example' });
    assertError(foreign, 403, 'FORBIDDEN_ORIGIN');
    const crossSite = await call('DELETE', '/api/profiles/default?force=true', undefined, {
      'sec-fetch-site': 'cross-site',
    });
    assertError(crossSite, 403, 'FORBIDDEN_ORIGIN');
    const same = await call(
      'POST',
      '/api/profiles',
      { name: 'same-origin' },
      { origin: 'http://localhost:80', host: 'localhost:80' },
    );
    assert.equal(same.status, 201);
    assert.equal(
      (await call('GET', '/api/profiles/evil')).status,
      404,
      'nothing was created by the foreign request',
    );
  });

  test('the login URL sets a session cookie once; the cookie authenticates', async () => {
    const { json } = await call('POST', '/api/login-url');
    const code = new URL(json.url).searchParams.get('code')!;
    const login = await t.app.inject({ url: `/login?code=${code}` });
    assert.equal(login.statusCode, 302);
    assert.equal(login.headers.location, '/');
    const cookie = String(login.headers['set-cookie']);
    // in-process (not listening): the cookie has no port in its name; a random session id
    assert.match(
      cookie,
      /^keyrx_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    const withCookie = await t.app.inject({ url: '/api/status', headers: { cookie: cookie.split(';')[0] } });
    assert.equal(withCookie.statusCode, 200);
    const again = await t.app.inject({ url: `/login?code=${code}` });
    assert.equal(again.statusCode, 401, 'a login code works once');
    assert.equal((await t.app.inject({ url: '/login?code=forged' })).statusCode, 401);
  });
});

describe('profiles', () => {
  test('create from a template and from a source; list with metadata; get', async () => {
    const created = await call('POST', '/api/profiles', { name: 'vim', template: 'vim_navigation' });
    assert.equal(created.status, 201);
    assert.equal(created.json.name, 'vim');
    assert.match(created.json.source, /when_start\("MD_00"\)/);
    assert.equal(created.json.mappings, 7);
    const fromSource = await call('POST', '/api/profiles', { name: 'ab', source: GOOD });
    assert.equal(fromSource.status, 201);
    assert.equal(fromSource.json.source, GOOD);
    const list = await call('GET', '/api/profiles');
    assert.equal(list.status, 200);
    const names = list.json.profiles.map((p: Json) => p.name);
    assert.ok(names.includes('vim') && names.includes('ab') && names.includes('default'));
    const def = list.json.profiles.find((p: Json) => p.name === 'default');
    assert.equal(def.active, true);
    assert.equal(typeof def.modifiedAt, 'string');
    assert.equal(def.lastCompileError, null);
    const paged = await call('GET', '/api/profiles?limit=1&offset=1');
    assert.equal(paged.json.profiles.length, 1);
    assert.equal(paged.json.total, list.json.total);
    assertError(await call('GET', '/api/profiles?limit=abc'), 400, 'VALIDATION_FAILED');
    assertError(await call('GET', '/api/profiles?limit=0'), 400, 'VALIDATION_FAILED');
  });

  test('create errors: duplicate name, unknown template, invalid source, both template and source', async () => {
    assertError(await call('POST', '/api/profiles', { name: 'ab' }), 409, 'PROFILE_EXISTS');
    assertError(
      await call('POST', '/api/profiles', { name: 'x1', template: 'nope' }),
      400,
      'TEMPLATE_NOT_FOUND',
      /available: default, blank/,
    );
    const bad = await call('POST', '/api/profiles', {
      name: 'broken',
      source: 'device_start("*");\nmap("A", "VK_Escap");\ndevice_end();',
    });
    assertError(bad, 400, 'PROFILE_INVALID');
    assert.equal(bad.json.error.details.diagnostics[0].span.line, 2);
    assert.equal(bad.json.error.details.diagnostics[0].span.column, 10);
    assert.deepEqual(bad.json.error.details.diagnostics[0].suggestions.slice(0, 1), ['Escape']);
    assert.equal(existsSync(join(t.dir, 'profiles', 'broken.rhai')), false);
    assertError(
      await call('POST', '/api/profiles', { name: 'x2', template: 'blank', source: GOOD }),
      400,
      'VALIDATION_FAILED',
      /not both/,
    );
  });

  test('bad names are refused with the rule, and nothing leaves the config dir', async () => {
    const before = readdirSync(join(t.dir, 'profiles')).sort();
    for (const name of [
      '../x',
      '..',
      '.hidden',
      'a/b',
      'a\u0000b',
      'CON',
      'nul',
      'x'.repeat(65),
      '',
      ' space',
      'é',
    ]) {
      const r = await call('POST', '/api/profiles', { name, template: 'blank' });
      assertError(
        r,
        400,
        r.status === 400 && r.json.error.code === 'VALIDATION_FAILED' ? 'VALIDATION_FAILED' : 'INVALID_NAME',
      );
    }
    for (const path of ['..%2Fx', '%2e%2e', '%2e%2e%2fstate', 'a%00b', '..%5Cx', 'CON']) {
      for (const [method, url] of [
        ['GET', `/api/profiles/${path}`],
        ['PUT', `/api/profiles/${path}`],
        ['DELETE', `/api/profiles/${path}`],
        ['POST', `/api/profiles/${path}/activate`],
      ]) {
        const r = await call(method, url, method === 'PUT' ? { source: GOOD } : undefined);
        assert.ok(r.status === 400 || r.status === 404, `${method} ${url}: ${r.status}`);
        assert.ok(r.json.error, `${method} ${url} has an error envelope`);
      }
    }
    const renamed = await call('POST', '/api/profiles/ab/rename', { name: '../../escape' });
    assertError(renamed, 400, 'INVALID_NAME', /1–64 characters/);
    assert.deepEqual(readdirSync(join(t.dir, 'profiles')).sort(), before);
    assert.equal(existsSync(join(t.dir, '..', 'escape.rhai')), false);
  });

  test('PUT replaces the source; an invalid source is refused and the file stays as it was', async () => {
    const ok = await call('PUT', '/api/profiles/ab', { source: GOOD.replace('VK_B', 'VK_C') });
    assert.equal(ok.status, 200);
    assert.match(readFileSync(join(t.dir, 'profiles', 'ab.rhai'), 'utf8'), /VK_C/);
    const saved = readFileSync(join(t.dir, 'profiles', 'ab.rhai'), 'utf8');
    const bad = await call('PUT', '/api/profiles/ab', {
      source: 'device_start("*");\nwhen_start("MD_00");\n',
    });
    assertError(bad, 400, 'PROFILE_INVALID');
    assert.match(bad.json.error.details.diagnostics.map((d: Json) => d.message).join('\n'), /never closed/);
    assert.equal(readFileSync(join(t.dir, 'profiles', 'ab.rhai'), 'utf8'), saved);
    assertError(await call('PUT', '/api/profiles/ab', { source: 5 }), 400, 'VALIDATION_FAILED');
    assertError(await call('PUT', '/api/profiles/ab', { source: GOOD, extra: 1 }), 400, 'VALIDATION_FAILED');
    assertError(await call('PUT', '/api/profiles/nothere', { source: GOOD }), 404, 'PROFILE_NOT_FOUND');
  });

  test('oversized and malformed bodies', async () => {
    const huge = await call('PUT', '/api/profiles/ab', JSON.stringify({ source: 'x'.repeat(1_100_000) }));
    assertError(huge, 413, 'BODY_TOO_LARGE');
    assertError(await call('POST', '/api/profiles', '{"name": '), 400, 'INVALID_JSON');
    const text = await t.app.inject({
      method: 'POST',
      url: '/api/profiles',
      headers: { ...t.auth, 'content-type': 'text/plain' },
      payload: 'x',
    });
    assert.equal(text.statusCode, 415);
    assert.equal(text.json().error.code, 'UNSUPPORTED_MEDIA_TYPE');
    assertError(await call('GET', '/api/nothing'), 404, 'NOT_FOUND');
  });

  test('activate (both spellings), persisted; active; compile errors keep the previous profile', async () => {
    const first = await call('POST', '/api/profiles/vim/activate');
    assert.equal(first.status, 200);
    assert.equal(first.json.profile, 'vim');
    assert.equal(typeof first.json.compileMs, 'number');
    assert.equal(first.json.cached, true, 'creation compiled and cached it');
    assert.equal(JSON.parse(readFileSync(join(t.dir, 'state.json'), 'utf8')).activeProfile, 'vim');
    const second = await call('POST', '/api/profiles/activate', { name: 'ab' });
    assert.equal(second.json.profile, 'ab');
    assert.equal((await call('GET', '/api/profiles/active')).json.name, 'ab');
    // a profile broken on disk by another program: activation fails, 'ab' stays active
    writeFileSync(join(t.dir, 'profiles', 'vim.rhai'), 'device_start("*"); map("A", "Q"); device_end();');
    const broken = await call('POST', '/api/profiles/vim/activate');
    assertError(broken, 400, 'PROFILE_INVALID');
    assert.match(broken.json.error.details.diagnostics[0].message, /Output must have VK_/);
    assert.equal((await call('GET', '/api/status')).json.activeProfile, 'ab');
    assertError(await call('POST', '/api/profiles/ghost/activate'), 404, 'PROFILE_NOT_FOUND');
  });

  test('validate and compile return diagnostics with line and column', async () => {
    const v = await call('POST', '/api/profiles/vim/validate');
    assert.equal(v.status, 200);
    assert.equal(v.json.ok, false);
    assert.equal(v.json.diagnostics[0].span.line, 1);
    const c = await call('POST', '/api/compile', { source: GOOD });
    assert.deepEqual([c.json.ok, c.json.stats], [true, { devices: 1, mappings: 1, layers: 0 }]);
    const e = await call('POST', '/api/compile', { source: 'device_start("*");\n tap_hld("A");' });
    assert.equal(e.json.ok, false);
    assert.deepEqual([e.json.diagnostics[0].span.line, e.json.diagnostics[0].span.column], [2, 2]);
    assert.ok(e.json.diagnostics[0].suggestions.includes('tap_hold'));
    // as a named profile's file: diagnostics name it, and load() resolves next to the profiles
    writeFileSync(join(t.dir, 'profiles', 'lib.rhai'), 'map("B", "VK_C");\n');
    const named = await call('POST', '/api/compile', {
      source: 'device_start("*");\nload("lib.rhai");\nmap("A", "VK_Nope");\ndevice_end();',
      name: 'draft',
    });
    assert.equal(named.json.ok, false);
    assert.equal(named.json.diagnostics.length, 1);
    assert.equal(named.json.diagnostics[0].span.file, join(t.dir, 'profiles', 'draft.rhai'));
    assert.ok(!existsSync(join(t.dir, 'profiles', 'draft.rhai')), 'compiling saves nothing');
    const badName = await call('POST', '/api/compile', { source: GOOD, name: '../x' });
    assert.equal(badName.status, 400);
    assert.equal(badName.json.error.code, 'INVALID_NAME');
  });

  test('duplicate, rename (the active one stays active, persisted), delete', async () => {
    const dup = await call('POST', '/api/profiles/ab/duplicate', { name: 'ab-copy' });
    assert.equal(dup.status, 201);
    assert.equal(dup.json.source, readFileSync(join(t.dir, 'profiles', 'ab.rhai'), 'utf8'));
    assertError(await call('POST', '/api/profiles/ab/duplicate', { name: 'ab-copy' }), 409, 'PROFILE_EXISTS');
    const renamed = await call('POST', '/api/profiles/ab/rename', { name: 'ab2' });
    assert.equal(renamed.json.name, 'ab2');
    assert.equal(renamed.json.active, true);
    assert.equal(JSON.parse(readFileSync(join(t.dir, 'state.json'), 'utf8')).activeProfile, 'ab2');
    assert.equal(existsSync(join(t.dir, 'profiles', 'ab.rhai')), false);
    assertError(await call('DELETE', '/api/profiles/ab2'), 409, 'PROFILE_ACTIVE', /force=true/);
    const del = await call('DELETE', '/api/profiles/ab-copy');
    assert.deepEqual(del.json, { deleted: 'ab-copy', wasActive: false });
    const forced = await call('DELETE', '/api/profiles/ab2?force=true');
    assert.deepEqual(forced.json, { deleted: 'ab2', wasActive: true });
    assert.equal((await call('GET', '/api/status')).json.activeProfile, null);
    assert.deepEqual((await call('GET', '/api/profiles/active')).json, { active_profile: null });
    assert.equal(JSON.parse(readFileSync(join(t.dir, 'state.json'), 'utf8')).activeProfile, null);
    assertError(await call('DELETE', '/api/profiles/ab2'), 404, 'PROFILE_NOT_FOUND');
  });
});

describe('settings, devices, state', () => {
  test('settings: defaults, patch, unknown keys and bad values refused, persisted', async () => {
    const s = await call('GET', '/api/settings');
    assert.equal(s.json.wsMaxLagEvents, 3);
    assert.deepEqual(s.json.emergencyExitChord, ['LCtrl', 'Space', 'Escape']);
    const patched = await call('PATCH', '/api/settings', { wsMaxLagEvents: 5, logLevel: 'warn' });
    assert.equal(patched.json.wsMaxLagEvents, 5);
    assert.equal(JSON.parse(readFileSync(join(t.dir, 'settings.json'), 'utf8')).wsMaxLagEvents, 5);
    assertError(
      await call('PATCH', '/api/settings', { nope: 1 }),
      400,
      'SETTINGS_INVALID',
      /unknown setting 'nope'/,
    );
    assertError(
      await call('PATCH', '/api/settings', { wsMaxLagEvents: 0 }),
      400,
      'SETTINGS_INVALID',
      /wsMaxLagEvents/,
    );
    assertError(
      await call('PATCH', '/api/settings', { emergencyExitChord: ['LCtrl', 'Nope'] }),
      400,
      'SETTINGS_INVALID',
      /unknown key name 'Nope'/,
    );
    assert.equal(
      (await call('GET', '/api/settings')).json.wsMaxLagEvents,
      5,
      'a refused patch changes nothing',
    );
    const schema = await call('GET', '/api/settings/schema');
    assert.equal(schema.json.properties.wsMaxLagEvents.default, 3);
  });

  test('inject → output, state, devices (virtual devices appear with their matched block)', async () => {
    await call('PUT', '/api/profiles/default', {
      source:
        'device_start("kb-*");\n map("A", "VK_B");\n map("CapsLock", "MD_00");\ndevice_end();\ndevice_start("*");\ndevice_end();\n',
    });
    await call('POST', '/api/profiles/default/activate');
    const inj = await call('POST', '/api/inject?instant=true', {
      events: 'dev:kb-1 d:A u:A dev:other d:A u:A dev:kb-1 d:CapsLock',
    });
    assert.deepEqual(inj.json, { events: 5, durationMs: 0 });
    const out = await call('GET', '/api/output?limit=4');
    assert.deepEqual(
      out.json.events.map((e: Json) => `${e.device}:${e.action}:${e.key}`),
      ['kb-1:press:B', 'kb-1:release:B', 'other:press:A', 'other:release:A'],
    );
    const state = await call('GET', '/api/state');
    assert.deepEqual(state.json.modifiers, ['MD_00']);
    assert.deepEqual(state.json.held, [{ device: 'kb-1', key: 'CapsLock' }]);
    await call('POST', '/api/inject?instant=true', { events: 'dev:kb-1 u:CapsLock' });
    const devices = await call('GET', '/api/devices');
    const kb = devices.json.devices.find((d: Json) => d.id === 'kb-1');
    assert.deepEqual(kb.matchedBlock, { index: 0, pattern: 'kb-*' });
    assert.equal(devices.json.devices.find((d: Json) => d.id === 'other').matchedBlock.pattern, '*');
    const patched = await call('PATCH', '/api/devices/kb-1', {
      name: 'My board',
      enabled: false,
      layout: 'jis',
    });
    assert.deepEqual(
      [patched.json.name, patched.json.enabled, patched.json.layout],
      // the old id is stored as the full-size JIS layout's id
      ['My board', false, 'jis-109'],
    );
    assert.equal(
      JSON.parse(readFileSync(join(t.dir, 'devices.json'), 'utf8')).devices['kb-1'].enabled,
      false,
    );
    await call('POST', '/api/inject?instant=true', { events: 'dev:kb-1 d:A u:A' });
    const passed = await call('GET', '/api/output?limit=2');
    assert.deepEqual(
      passed.json.events.map((e: Json) => e.key),
      ['A', 'A'],
      'a disabled device passes through',
    );
    assertError(await call('PATCH', '/api/devices/nope', { enabled: true }), 404, 'DEVICE_NOT_FOUND');
    assertError(await call('PATCH', '/api/devices/kb-1', {}), 400, 'VALIDATION_FAILED');
    assertError(await call('PATCH', '/api/devices/kb-1', { enabled: 'yes' }), 400, 'VALIDATION_FAILED');
    assertError(
      await call('POST', '/api/inject', { events: 'd:Nope' }),
      400,
      'SCRIPT_INVALID',
      /Unknown key name/,
    );
    assertError(
      await call('POST', '/api/inject', { events: 't:200000' }),
      400,
      'SCRIPT_INVALID',
      /instant=true/,
    );
  });

  test('simulate with a source, a stored profile or the active one', async () => {
    const src = await call('POST', '/api/simulate', {
      source: 'device_start("*"); tap_hold("CapsLock", "VK_Escape", "MD_00", 200); device_end();',
      events: 'd:CapsLock t:100 u:CapsLock',
    });
    assert.equal(src.status, 200);
    assert.equal(src.json.output, 't:100 d:Escape u:Escape');
    assert.deepEqual(
      src.json.timeline.map((e: Json) => e.decision),
      ['pending', 'tap'],
    );
    const stored = await call('POST', '/api/simulate', {
      profile: 'default',
      events: 'dev:kb-9 d:A u:A',
      settle: true,
    });
    assert.equal(stored.json.output, 'd:B u:B');
    assertError(
      await call('POST', '/api/simulate', { source: 'map(', events: 'd:A' }),
      400,
      'PROFILE_INVALID',
    );
    assertError(await call('POST', '/api/simulate', { events: 'x' }), 400, 'SCRIPT_INVALID');
    assertError(
      await call('POST', '/api/simulate', { profile: '../etc', events: 'd:A' }),
      400,
      'INVALID_NAME',
    );
    assertError(await call('POST', '/api/simulate', {}), 400, 'VALIDATION_FAILED');
  });

  test('metrics and openapi', async () => {
    const m = await call('GET', '/api/metrics');
    assert.equal(m.status, 200);
    assert.ok(m.json.memory.rssBytes > 0);
    assert.equal(typeof m.json.latencyUs.p99, 'number');
    const doc = await call('GET', '/api/openapi.json');
    assert.equal(doc.json.openapi, '3.1.0');
    for (const path of [
      '/api/profiles/{name}',
      '/api/profiles/{name}/activate',
      '/api/inject',
      '/api/settings',
      '/api/simulate',
    ])
      assert.ok(doc.json.paths[path], path);
    assert.ok(doc.json.paths['/api/profiles/{name}'].put.requestBody);
  });
});

test('the profile list reply (cached between changes) follows every change at once', async () => {
  const names = async () =>
    ((await call('GET', '/api/profiles?limit=10000')).json.profiles as { name: string; active: boolean }[])
      .filter((p) => p.name.startsWith('lc-'))
      .map((p) => `${p.name}${p.active ? '*' : ''}`);
  const lastError = async (name: string) =>
    (
      (await call('GET', '/api/profiles?limit=10000')).json.profiles as {
        name: string;
        lastCompileError: unknown;
      }[]
    ).find((p) => p.name === name)?.lastCompileError;
  const before = (await call('GET', '/api/status')).json.activeProfile as string;
  assert.deepEqual(await names(), []);
  await call('POST', '/api/profiles', { name: 'lc-a', template: 'blank' });
  assert.deepEqual(await names(), ['lc-a']);
  await call('POST', '/api/profiles/lc-a/activate');
  assert.deepEqual(await names(), ['lc-a*']);
  await call('POST', '/api/profiles/lc-a/duplicate', { name: 'lc-b' });
  assert.deepEqual(await names(), ['lc-a*', 'lc-b']);
  await call('POST', '/api/profiles/lc-a/rename', { name: 'lc-c' });
  assert.deepEqual(await names(), ['lc-b', 'lc-c*']);
  // an edit on disk by another program: the watcher re-reads it and the list shows its error
  writeFileSync(
    join(t.dir, 'profiles', 'lc-b.rhai'),
    'device_start("*");\nmap("Nope", "VK_A");\ndevice_end();\n',
  );
  for (let i = 0; i < 100 && (await lastError('lc-b')) == null; i++)
    await new Promise((r) => setTimeout(r, 50));
  assert.equal(((await lastError('lc-b')) as { line: number } | null)?.line, 2);
  await call('POST', `/api/profiles/${before}/activate`);
  await call('DELETE', '/api/profiles/lc-b');
  await call('DELETE', '/api/profiles/lc-c');
  assert.deepEqual(await names(), []);
  // paging is cached per page
  const page = (await call('GET', '/api/profiles?limit=1&offset=0')).json;
  assert.equal(page.profiles.length, 1);
  assert.deepEqual([page.limit, page.offset], [1, 0]);
});
