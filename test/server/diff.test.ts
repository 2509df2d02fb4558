/**
 * Profile diffs: diffConfigs (core) names the keys whose mapping differs per block and layer;
 * GET /api/profiles/:name/diff/:other and POST /api/profiles/:name/diff answer with it and a
 * unified diff of the sources, and refuse bad names and labels.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { diffConfigs } from '../../src/core/index.ts';
import { compileProfile } from '../../src/dsl/compile.ts';
import type { TestDaemon } from './helpers.ts';
import { assertError, injector, startTestDaemon } from './helpers.ts';

const A = `device_start("*");
  map("A", "VK_B");
  map("C", "VK_D");
  when_start("MD_00");
    map("H", "VK_Left");
  when_end();
  combo(["J", "K"], "VK_Escape");
device_end();
`;
const B = `device_start("*");
  map("A", "VK_X");
  when_start("MD_00");
    map("H", "VK_Left");
    map("L", "VK_Right");
  when_end();
device_end();
device_start("*mouse*");
  map("F1", "VK_F2");
device_end();
`;

const config = (source: string) => {
  const r = compileProfile(source, { file: 'p.rhai' });
  assert.ok(r.config);
  return r.config;
};

test('diffConfigs: changed, added and removed keys and combos, per block and layer; nothing for equal configs', () => {
  assert.deepEqual(diffConfigs(config(A), config(B)), [
    { block: 0, pattern: '*', layer: 'base', key: 'A', before: 'A → B', after: 'A → X' },
    { block: 0, pattern: '*', layer: 'base', key: 'C', before: 'C → D', after: null },
    {
      block: 0,
      pattern: '*',
      layer: 'base',
      key: 'J+K',
      before: 'J+K together (within 50 ms) → Escape',
      after: null,
    },
    { block: 0, pattern: '*', layer: 'MD_00', key: 'L', before: null, after: 'L → Right' },
    { block: 1, pattern: '*mouse*', layer: 'base', key: 'F1', before: null, after: 'F1 → F2' },
  ]);
  assert.deepEqual(diffConfigs(config(A), config(`// same, other text\n${A}`)), []);
});

let t: TestDaemon;
before(async () => {
  t = await startTestDaemon();
  for (const [name, source] of [
    ['a', A],
    ['b', B],
  ])
    assert.equal((await api('POST', '/api/profiles', { name, source })).status, 201);
});
after(() => t.close());

const api = injector(() => t);

test('GET /api/profiles/:name/diff/:other: the key changes and a unified diff of the sources', async () => {
  const r = await api('GET', '/api/profiles/a/diff/b');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.from, 'a');
  assert.equal(r.json.to, 'b');
  assert.equal(r.json.identical, false);
  assert.equal(r.json.changes.length, 5);
  assert.match(
    r.json.patch,
    /^@@ -1,8 \+1,10 @@\n device_start\("\*"\);\n- {2}map\("A", "VK_B"\);\n- {2}map\("C", "VK_D"\);\n\+ {2}map\("A", "VK_X"\);\n/,
  );
  const same = await api('GET', '/api/profiles/a/diff/a');
  assert.deepEqual(same.json, { from: 'a', to: 'a', identical: true, patch: '', changes: [] });
});

test('POST /api/profiles/:name/diff: against a source given; one that does not compile still gets a text diff', async () => {
  let r = await api('POST', '/api/profiles/a/diff', {
    source: A.replace('VK_D', 'VK_E'),
    label: 'mine.rhai',
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.changes, [
    { block: 0, pattern: '*', layer: 'base', key: 'C', before: 'C → D', after: 'C → E' },
  ]);
  assert.equal(r.json.to, 'mine.rhai');
  r = await api('POST', '/api/profiles/a/diff', { source: 'map(' });
  assert.equal(r.status, 200);
  assert.equal(r.json.changes, null);
  assert.equal(r.json.uncompiled, "'edited' does not compile: mapping changes are not listed");
  assert.match(r.json.patch, /\+map\(/);
});

test('bad names, labels and bodies are refused; no token, no answer', async () => {
  assertError(await api('GET', '/api/profiles/a/diff/..%2Fsecret'), 400, 'INVALID_NAME');
  assertError(await api('GET', '/api/profiles/a/diff/missing'), 404, 'PROFILE_NOT_FOUND');
  assertError(
    await api('POST', '/api/profiles/a/diff', { source: A, label: 'x\u001b[2J' }),
    400,
    'VALIDATION_FAILED',
  );
  assertError(await api('POST', '/api/profiles/a/diff', { source: 5 }), 400, 'VALIDATION_FAILED');
  assertError(await api('POST', '/api/profiles/a/diff', { source: A, other: 1 }), 400, 'VALIDATION_FAILED');
  assert.equal((await api('GET', '/api/profiles/a/diff/b', undefined, false)).status, 401);
  assert.equal((await api('POST', '/api/profiles/a/diff', { source: A }, false)).status, 401);
});
