/**
 * Editing one key without code over REST: GET/PUT/DELETE /api/profiles/:name/keys/:key. Only the
 * key's statement changes; refusals (a key made by code, a mapping that does not compile, bad
 * input) leave the stored source untouched; the active profile is reloaded; no route answers
 * without the token.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestDaemon } from './helpers.ts';
import { assertError, injector, startTestDaemon } from './helpers.ts';

const SOURCE = `// keys edited by REST
device_start("*");
  map("A", "VK_B");   // stays commented
  tap_hold("CapsLock", "VK_Escape", "MD_00", 200);
  when_start("MD_00");
    map("H", "VK_Left");
  when_end();
  for k in ["F1", "F2"] { map(k, "VK_Mute"); }
device_end();
`;

let t: TestDaemon;
before(async () => {
  t = await startTestDaemon();
  const r = await api('POST', '/api/profiles', { name: 'edited', source: SOURCE });
  assert.equal(r.status, 201, JSON.stringify(r.json));
});
after(() => t.close());

const api = injector(() => t);

async function stored(): Promise<string> {
  return (await api('GET', '/api/profiles/edited')).json.source;
}

test('PUT sets a key by rewriting its line only; GET reads it back', async () => {
  const r = await api('PUT', '/api/profiles/edited/keys/A', {
    mapping: { kind: 'simple', from: 'A', to: 'C' },
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.source, SOURCE.replace('map("A", "VK_B");', 'map("A", "VK_C");'));
  const info = await api('GET', '/api/profiles/edited/keys/VK_A');
  assert.deepEqual(info.json, {
    key: 'A',
    block: 0,
    mapping: { kind: 'simple', from: 'A', to: 'C' },
    description: { kind: 'simple', label: 'C', detail: 'A → C' },
  });
});

test('a key in a layer, a new layer, and DELETE', async () => {
  let r = await api('PUT', '/api/profiles/edited/keys/J?layer=MD_00', {
    mapping: { kind: 'simple', from: 'J', to: 'Down' },
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.ok(r.json.source.includes('    map("H", "VK_Left");\n    map("J", "VK_Down");\n  when_end();'));
  r = await api('PUT', '/api/profiles/edited/keys/K?layer=MD_03', {
    mapping: { kind: 'oneShot', from: 'K', key: 'LShift', timeoutMs: 800 },
  });
  assert.ok(
    r.json.source.endsWith(
      '  when_start("MD_03");\n    one_shot("K", "VK_LShift", 800);\n  when_end();\ndevice_end();\n',
    ),
    r.json.source,
  );
  r = await api('DELETE', '/api/profiles/edited/keys/J?layer=MD_00');
  assert.equal(r.status, 200);
  assert.ok(!r.json.source.includes('map("J"'));
  assert.equal((await api('GET', '/api/profiles/edited/keys/J?layer=MD_00')).json.mapping, null);
});

test('a key mapped by a loop: 409 naming where, nothing saved; with override an explicit mapping goes first', async () => {
  const before = await stored();
  const refused = await api('PUT', '/api/profiles/edited/keys/F1', {
    mapping: { kind: 'simple', from: 'F1', to: 'Home' },
  });
  assertError(
    refused,
    409,
    'KEY_FROM_CODE',
    /F1 is mapped by code at .*edited\.rhai:8:\d+.*nothing was saved/,
  );
  assert.equal(await stored(), before);
  const r = await api('PUT', '/api/profiles/edited/keys/F1', {
    mapping: { kind: 'simple', from: 'F1', to: 'Home' },
    override: true,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.ok(
    r.json.source.startsWith('// keys edited by REST\ndevice_start("*");\n  map("F1", "VK_Home");\n'),
  );
});

test('bad input is refused with the error envelope and nothing saved', async () => {
  const before = await stored();
  assertError(
    await api('PUT', '/api/profiles/edited/keys/Nope', {
      mapping: { kind: 'simple', from: 'Nope', to: 'A' },
    }),
    400,
    'KEY_EDIT_INVALID',
    /Nope/,
  );
  assertError(
    await api('PUT', '/api/profiles/edited/keys/A', { mapping: { kind: 'simple', from: 'B', to: 'C' } }),
    400,
    'KEY_EDIT_INVALID',
    /it is for B, not A/,
  );
  assertError(
    await api('PUT', '/api/profiles/edited/keys/A', {
      mapping: { kind: 'simple', from: 'A', to: 'Nowhere' },
    }),
    400,
    'KEY_EDIT_INVALID',
    /Nowhere/,
  );
  assertError(
    await api('PUT', '/api/profiles/edited/keys/A', {
      mapping: { kind: 'tapHold', from: 'A', tap: 'A', hold: 999, thresholdMs: 200 },
    }),
    400,
    'KEY_EDIT_INVALID',
    /hold/,
  );
  assertError(
    await api('PUT', '/api/profiles/edited/keys/A', {
      mapping: { kind: 'combo', keys: ['A', 'B'], to: 'C', windowMs: 50 },
    }),
    400,
    'KEY_EDIT_INVALID',
    /combo is not one key's mapping/,
  );
  assertError(
    await api('PUT', '/api/profiles/edited/keys/A?layer=XX_01', {
      mapping: { kind: 'simple', from: 'A', to: 'C' },
    }),
    400,
    'KEY_EDIT_INVALID',
    /layer must be MD_00/,
  );
  assertError(
    await api('PUT', '/api/profiles/edited/keys/A?block=7', {
      mapping: { kind: 'simple', from: 'A', to: 'C' },
    }),
    400,
    'KEY_EDIT_INVALID',
    /no device block 7/,
  );
  assertError(
    await api('DELETE', '/api/profiles/edited/keys/Z'),
    409,
    'KEY_EDIT_REFUSED',
    /Z has no mapping there to remove/,
  );
  const extra = await api('PUT', '/api/profiles/edited/keys/A', {
    mapping: { kind: 'simple', from: 'A', to: 'C' },
    path: '../x',
  });
  assert.equal(extra.status, 400);
  assertError(
    await api('PUT', '/api/profiles/..%2Fstate/keys/A', { mapping: { kind: 'simple', from: 'A', to: 'C' } }),
    400,
    'INVALID_NAME',
  );
  assertError(
    await api('PUT', '/api/profiles/missing/keys/A', { mapping: { kind: 'simple', from: 'A', to: 'C' } }),
    404,
    'PROFILE_NOT_FOUND',
  );
  assert.equal(await stored(), before);
});

test('an edit of the active profile is live at once', async () => {
  assert.equal((await api('POST', '/api/profiles/edited/activate')).status, 200);
  const r = await api('PUT', '/api/profiles/edited/keys/Q', {
    mapping: { kind: 'simple', from: 'Q', to: 'W' },
  });
  assert.equal(r.json.reloaded, true);
  const sim = await api('POST', '/api/inject?instant=true', { events: 'd:Q u:Q' });
  assert.equal(sim.status, 200);
  const out = await api('GET', '/api/output?limit=2');
  assert.equal(out.json.script, 'd:W u:W');
});

test('no route answers without the token', async () => {
  for (const [method, url] of [
    ['GET', '/api/profiles/edited/keys/A'],
    ['PUT', '/api/profiles/edited/keys/A'],
    ['DELETE', '/api/profiles/edited/keys/A'],
  ] as const) {
    const r = await api(
      method,
      url,
      method === 'PUT' ? { mapping: { kind: 'simple', from: 'A', to: 'C' } } : undefined,
      false,
    );
    assert.equal(r.status, 401, `${method} ${url}`);
  }
  assert.ok((await stored()).includes('map("A", "VK_C");'));
});
