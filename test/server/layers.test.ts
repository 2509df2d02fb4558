/**
 * Layers without code over REST: GET/POST /api/profiles/:name/layers, GET/PUT/DELETE
 * /api/profiles/:name/layers/:layer. Only the statements touched change; refusals (a name clash,
 * a layer named by code, an unknown layer, bad input) leave the stored source untouched; the
 * active profile is reloaded; no route answers without the token.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestDaemon } from './helpers.ts';
import { assertError, injector, startTestDaemon } from './helpers.ts';

const SOURCE = `// layers edited by REST
layer_name("MD_00", "Nav");

device_start("*");
  tap_hold("CapsLock", "VK_Escape", "MD_00", 200);
  when_start("MD_00");
    map("H", "VK_Left");   // stays commented
  when_end();
  map("RAlt", "MD_02");
device_end();
`;

let t: TestDaemon;
before(async () => {
  t = await startTestDaemon();
  const r = await api('POST', '/api/profiles', { name: 'layered', source: SOURCE });
  assert.equal(r.status, 201, JSON.stringify(r.json));
});
after(() => t.close());

const api = injector(() => t);

async function stored(): Promise<string> {
  return (await api('GET', '/api/profiles/layered')).json.source;
}

test('GET lists the layers with their names, blocks and the keys that turn them on', async () => {
  const r = await api('GET', '/api/profiles/layered/layers');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.layers, [
    {
      layer: 'MD_00',
      name: 'Nav',
      blocks: [{ block: 0, pattern: '*', mappings: 1 }],
      combined: 0,
      activatedBy: [{ block: 0, key: 'CapsLock', via: 'tapHold', when: null }],
    },
    {
      layer: 'MD_02',
      name: null,
      blocks: [],
      combined: 0,
      activatedBy: [{ block: 0, key: 'RAlt', via: 'modifier', when: null }],
    },
  ]);
  const one = await api('GET', '/api/profiles/layered/layers/nav');
  assert.equal(one.status, 200);
  assert.deepEqual(one.json.mappings, [
    {
      block: 0,
      key: 'H',
      mapping: { kind: 'simple', from: 'H', to: 'Left' },
      description: { kind: 'simple', label: 'Left', detail: 'H → Left' },
    },
  ]);
  assertError(
    await api('GET', '/api/profiles/layered/layers/Symbols'),
    404,
    'LAYER_NOT_FOUND',
    /no layer 'Symbols'; its layers: MD_00 \(Nav\), MD_02/,
  );
});

test('POST names a new layer, writing one line; PUT renames it; DELETE removes it', async () => {
  let r = await api('POST', '/api/profiles/layered/layers', { layer: 'MD_01', name: 'Symbols' });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.equal(
    r.json.source,
    SOURCE.replace(
      'layer_name("MD_00", "Nav");\n',
      'layer_name("MD_00", "Nav");\nlayer_name("MD_01", "Symbols");\n',
    ),
  );
  assert.deepEqual(r.json.notes, []);
  r = await api('PUT', '/api/profiles/layered/layers/Symbols', { name: 'Sym' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.ok(r.json.source.includes('layer_name("MD_01", "Sym");'));
  // naming a layer that is used but has no name yet
  r = await api('PUT', '/api/profiles/layered/layers/MD_02', { name: 'Mouse' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.ok(r.json.source.includes('layer_name("MD_02", "Mouse");'));
  r = await api('DELETE', '/api/profiles/layered/layers/MD_01');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.ok(!r.json.source.includes('MD_01'));
  r = await api('DELETE', '/api/profiles/layered/layers/Mouse');
  assert.deepEqual(r.json.notes, [
    "RAlt in device block 0 still turns MD_02 ('Mouse') on (modifier); it now changes nothing",
  ]);
  assert.equal(await stored(), SOURCE);
});

test('refusals say what was wrong and save nothing', async () => {
  const before = await stored();
  assertError(
    await api('POST', '/api/profiles/layered/layers', { layer: 'MD_00', name: 'Other' }),
    409,
    'LAYER_EXISTS',
    /MD_00 exists already, named 'Nav'.*nothing was saved/,
  );
  assertError(
    await api('POST', '/api/profiles/layered/layers', { layer: 'MD_05', name: 'NAV' }),
    409,
    'LAYER_EXISTS',
    /'NAV' names MD_00 already/,
  );
  assertError(
    await api('POST', '/api/profiles/layered/layers', { layer: 'MD_FF', name: 'X' }),
    400,
    'LAYER_EDIT_INVALID',
    /MD_xx or LK_xx/,
  );
  assertError(
    await api('POST', '/api/profiles/layered/layers', { layer: 'MD_05', name: 'a\u0007b' }),
    400,
    'LAYER_EDIT_INVALID',
    /control characters/,
  );
  assertError(
    await api('PUT', '/api/profiles/layered/layers/Nav', { name: 'x'.repeat(40) }),
    400,
    'LAYER_EDIT_INVALID',
    /at most 32 characters/,
  );
  assertError(await api('PUT', '/api/profiles/layered/layers/MD_09', { name: 'X' }), 404, 'LAYER_NOT_FOUND');
  assertError(await api('DELETE', '/api/profiles/layered/layers/MD_09'), 404, 'LAYER_NOT_FOUND');
  assertError(
    await api('POST', '/api/profiles/layered/layers', { layer: 'MD_05', name: 'X', extra: 1 }),
    400,
    'VALIDATION_FAILED',
  );
  assertError(
    await api('POST', '/api/profiles/layered/layers', { layer: 5, name: 'X' }),
    400,
    'VALIDATION_FAILED',
  );
  assertError(
    await api('POST', '/api/profiles/..%2Fetc/layers', { layer: 'MD_05', name: 'X' }),
    400,
    'INVALID_NAME',
  );
  assertError(await api('GET', '/api/profiles/missing/layers'), 404, 'PROFILE_NOT_FOUND');
  assert.equal(await stored(), before);
});

test('a layer named by code is not rewritten', async () => {
  const source = `for p in [["MD_01", "One"]] { layer_name(p[0], p[1]); }\ndevice_start("*");\n  map("A", "MD_01");\ndevice_end();\n`;
  assert.equal((await api('POST', '/api/profiles', { name: 'coded', source })).status, 201);
  assertError(
    await api('PUT', '/api/profiles/coded/layers/One', { name: 'Uno' }),
    409,
    'LAYER_FROM_CODE',
    /named by code at .*coded\.rhai:1:.*rename it there; nothing was saved/,
  );
  assertError(await api('DELETE', '/api/profiles/coded/layers/One'), 409, 'LAYER_FROM_CODE');
  assert.equal((await api('GET', '/api/profiles/coded')).json.source, source);
});

test('an edit of the active profile is live at once', async () => {
  assert.equal((await api('POST', '/api/profiles/layered/activate')).status, 200);
  const r = await api('DELETE', '/api/profiles/layered/layers/Nav');
  assert.equal(r.json.reloaded, true);
  // H in the deleted layer no longer maps: CapsLock held then H gives H
  const sent = await api('POST', '/api/inject?instant=true', {
    events: 'd:CapsLock t:300 d:H u:H u:CapsLock',
  });
  assert.equal(sent.status, 200, JSON.stringify(sent.json));
  const out = await api('GET', '/api/output?limit=2');
  assert.equal(out.json.script, 'd:H u:H');
});

test('no route answers without the token', async () => {
  const before = await stored();
  for (const [method, url, body] of [
    ['GET', '/api/profiles/layered/layers', undefined],
    ['GET', '/api/profiles/layered/layers/MD_02', undefined],
    ['POST', '/api/profiles/layered/layers', { layer: 'MD_07', name: 'X' }],
    ['PUT', '/api/profiles/layered/layers/MD_02', { name: 'X' }],
    ['DELETE', '/api/profiles/layered/layers/MD_02', undefined],
  ] as const) {
    const r = await api(method, url, body, false);
    assert.equal(r.status, 401, `${method} ${url}`);
  }
  assert.equal(await stored(), before);
});
