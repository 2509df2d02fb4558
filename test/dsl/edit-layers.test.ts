/**
 * Layers without code (src/dsl/edit-layers.ts) and the layer_name() built-in they write: list,
 * create, rename, delete — only the statements touched change, clashes and code-made layers are
 * refused with a clear message.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileProfile } from '../../src/dsl/compile.ts';
import type { EditResult } from '../../src/dsl/edit.ts';
import {
  createLayer,
  deleteLayer,
  listLayers,
  parseLayerRef,
  renameLayer,
} from '../../src/dsl/edit-layers.ts';
import { profileSource } from '../../src/dsl/print.ts';

const PROFILE = `// my layout
layer_name("MD_00", "Nav");

// the keyboard
device_start("*");
  tap_hold("CapsLock", "VK_Escape", "MD_00", 200);
  map("RAlt", "LK_01");
  when_start("MD_00");
    map("H", "VK_Left");   // vim
    map("L", "VK_Right");
  when_end();
  when_start("LK_01");
    map("W", "VK_Up");
  when_end();
  when_start(["MD_00", "LK_01"]);
    map("J", "VK_PageDown");
  when_end();
device_end();
`;

function ok(r: EditResult): string {
  assert.ok(r.ok, r.ok ? '' : `${r.code}: ${r.message}`);
  return r.source;
}

function refused(r: EditResult, code: string, message: RegExp): void {
  assert.equal(r.ok, false, 'the edit should be refused');
  if (r.ok) return;
  assert.equal(r.code, code);
  assert.match(r.message, message);
}

const compile = (source: string) => {
  const r = compileProfile(source, { file: 'p.rhai' });
  assert.ok(r.ok && r.config, r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
};

test('layer_name() names a layer in the compiled config; the printer writes it back', () => {
  const config = compile(PROFILE);
  assert.deepEqual(config.layerNames, [{ layer: 'MD_00', name: 'Nav' }]);
  assert.deepEqual(compile(profileSource(config)).layerNames, config.layerNames);
});

test('layer_name() refuses a bad id, a bad name, a layer named twice and a name used twice', () => {
  const errors = (src: string) =>
    compileProfile(src, { file: 'p.rhai' }).diagnostics.filter((d) => d.severity === 'error');
  const cases: [string, string, RegExp][] = [
    ['layer_name("XX_01", "Nav");', 'E_PREFIX', /MD_xx or LK_xx/],
    ['layer_name("MD_FF", "Nav");', 'E_LAYER_ID', /exceeds maximum value 254/],
    ['layer_name("MD_01", "");', 'E_RANGE', /empty/],
    ['layer_name("MD_01", " Nav");', 'E_RANGE', /space/],
    ['layer_name("MD_01", "a\\nb");', 'E_RANGE', /control/],
    [`layer_name("MD_01", "${'x'.repeat(33)}");`, 'E_RANGE', /at most 32/],
    [
      'layer_name("MD_01", "Nav");\nlayer_name("MD_01", "Other");',
      'E_DUPLICATE',
      /named 'Nav' already \(at 1:1\)/,
    ],
    ['layer_name("MD_01", "Nav");\nlayer_name("LK_01", "nav");', 'E_DUPLICATE', /names MD_01 already/],
  ];
  for (const [src, code, message] of cases) {
    const [e] = errors(src);
    assert.ok(e, `no error for ${src}`);
    assert.equal(e.code, code, src);
    assert.match(e.message, message, src);
  }
  // the second statement is the one blamed, at its line
  assert.equal(errors('layer_name("MD_01", "Nav");\nlayer_name("MD_01", "Other");')[0].span?.line, 2);
});

test('listLayers: names, when-blocks, combined conditions and the keys that turn each layer on', () => {
  const layers = listLayers(compile(PROFILE));
  assert.deepEqual(
    layers.map((l) => [l.layer, l.name, l.blocks, l.combined]),
    [
      ['MD_00', 'Nav', [{ block: 0, pattern: '*', mappings: 2 }], 1],
      ['LK_01', null, [{ block: 0, pattern: '*', mappings: 1 }], 1],
    ],
  );
  assert.deepEqual(layers[0].activatedBy, [{ block: 0, key: 'CapsLock', via: 'tapHold', when: null }]);
  assert.deepEqual(layers[1].activatedBy, [{ block: 0, key: 'RAlt', via: 'lock', when: null }]);
  // a named layer nothing uses yet is listed too
  const named = listLayers(compile('layer_name("MD_07", "Empty");'));
  assert.deepEqual(named, [{ layer: 'MD_07', name: 'Empty', blocks: [], combined: 0, activatedBy: [] }]);
});

test('parseLayerRef accepts MD_/LK_ ids in any case and one or two digits, nothing else', () => {
  assert.equal(parseLayerRef('md_1'), 'MD_01');
  assert.equal(parseLayerRef('LK_0a'), 'LK_0A');
  for (const bad of ['MD_FF', 'MD_100', 'Nav', 'MD-01', ''] as const)
    assert.equal(parseLayerRef(bad), null, bad);
});

test('createLayer writes layer_name() after the other ones, and nothing else changes', () => {
  const after = ok(createLayer(PROFILE, { layer: 'md_2', name: 'Symbols' }, { file: 'p.rhai' }));
  assert.equal(
    after,
    PROFILE.replace(
      'layer_name("MD_00", "Nav");\n',
      'layer_name("MD_00", "Nav");\nlayer_name("MD_02", "Symbols");\n',
    ),
  );
  assert.deepEqual(compile(after).layerNames, [
    { layer: 'MD_00', name: 'Nav' },
    { layer: 'MD_02', name: 'Symbols' },
  ]);
});

test('createLayer in a profile without names goes above the first device block and its comments', () => {
  const src = `let x = 1;\n\n// main keyboard\n// (all of them)\ndevice_start("*");\n  map("A", "VK_B");\ndevice_end();\n`;
  const after = ok(createLayer(src, { layer: 'LK_03', name: 'Game' }, { file: 'p.rhai' }));
  assert.equal(
    after,
    `let x = 1;\n\nlayer_name("LK_03", "Game");\n\n// main keyboard\n// (all of them)\ndevice_start("*");\n  map("A", "VK_B");\ndevice_end();\n`,
  );
  assert.equal(ok(createLayer('', { layer: 'MD_01', name: 'Nav' })), 'layer_name("MD_01", "Nav");\n');
  // a header comment that opens the file stays first
  const headed = '// my keyboard\n// by me\ndevice_start("*");\ndevice_end();\n';
  assert.equal(
    ok(createLayer(headed, { layer: 'MD_01', name: 'Nav' })),
    '// my keyboard\n// by me\nlayer_name("MD_01", "Nav");\n\ndevice_start("*");\ndevice_end();\n',
  );
  assert.equal(
    ok(createLayer('let a = 1;', { layer: 'MD_01', name: 'Nav' })),
    'let a = 1;\nlayer_name("MD_01", "Nav");\n',
  );
});

test('createLayer refuses a taken id, a taken name (any case), a bad id or name, a broken profile', () => {
  refused(
    createLayer(PROFILE, { layer: 'MD_00', name: 'Other' }),
    'E_EDIT_CLASH',
    /MD_00 exists already, named 'Nav'/,
  );
  refused(createLayer(PROFILE, { layer: 'MD_03', name: 'NAV' }), 'E_EDIT_CLASH', /'NAV' names MD_00 already/);
  refused(createLayer(PROFILE, { layer: 'MD_FF', name: 'X' }), 'E_EDIT_TARGET', /MD_xx or LK_xx/);
  refused(createLayer(PROFILE, { layer: 'MD_03', name: '' }), 'E_EDIT_TARGET', /empty/);
  refused(createLayer('map(', { layer: 'MD_03', name: 'X' }), 'E_EDIT_PROFILE', /does not compile as it is/);
});

test('renameLayer rewrites the layer_name() statement only, by id or by name', () => {
  const byName = ok(renameLayer(PROFILE, { layer: 'nav', name: 'Arrows' }, { file: 'p.rhai' }));
  assert.equal(byName, PROFILE.replace('"Nav"', '"Arrows"'));
  const byId = ok(renameLayer(PROFILE, { layer: 'MD_00', name: 'Arrows' }, { file: 'p.rhai' }));
  assert.equal(byId, byName);
  // an unnamed layer that exists gets its first name
  const named = ok(renameLayer(PROFILE, { layer: 'LK_01', name: 'Lock' }, { file: 'p.rhai' }));
  assert.deepEqual(
    compile(named).layerNames?.map((n) => n.layer),
    ['MD_00', 'LK_01'],
  );
});

test('renameLayer refuses an unknown layer, a clash, the same name, and a name made by code', () => {
  refused(
    renameLayer(PROFILE, { layer: 'Symbols', name: 'X' }),
    'E_EDIT_TARGET',
    /no layer 'Symbols'.*MD_00 \(Nav\), LK_01/,
  );
  refused(renameLayer(PROFILE, { layer: 'MD_09', name: 'X' }), 'E_EDIT_TARGET', /no layer 'MD_09'/);
  const two = `${PROFILE}layer_name("MD_05", "Sym");\n`;
  refused(renameLayer(two, { layer: 'MD_05', name: 'nav' }), 'E_EDIT_CLASH', /'nav' names MD_00 already/);
  refused(renameLayer(PROFILE, { layer: 'MD_00', name: 'Nav' }), 'E_EDIT_REFUSED', /named 'Nav' already/);
  const looped = `for p in [["MD_01", "One"]] { layer_name(p[0], p[1]); }\n`;
  refused(
    renameLayer(looped, { layer: 'One', name: 'Uno' }, { file: 'p.rhai' }),
    'E_EDIT_FROM_CODE',
    /named by code at p\.rhai:1:/,
  );
});

test('deleteLayer removes its name and its own when-blocks, leaves the rest, and says what still refers to it', () => {
  const r = deleteLayer(PROFILE, { layer: 'Nav' }, { file: 'p.rhai' });
  const after = ok(r);
  assert.equal(
    after,
    PROFILE.replace('layer_name("MD_00", "Nav");\n', '').replace(
      '  when_start("MD_00");\n    map("H", "VK_Left");   // vim\n    map("L", "VK_Right");\n  when_end();\n',
      '',
    ),
  );
  assert.ok(r.ok);
  assert.deepEqual(r.notes, [
    "CapsLock in device block 0 still turns MD_00 ('Nav') on (tapHold); it now changes nothing",
    '1 when-block testing MD_00 together with other conditions stays',
  ]);
  // the lock layer without a name: its block goes
  const lock = ok(deleteLayer(PROFILE, { layer: 'LK_01' }, { file: 'p.rhai' }));
  assert.ok(!lock.includes('map("W", "VK_Up")'));
  assert.equal(listLayers(compile(lock)).find((l) => l.layer === 'LK_01')?.blocks.length, 0);
});

test('deleteLayer refuses an unknown layer, a layer with nothing of its own, and blocks made by code', () => {
  refused(deleteLayer(PROFILE, { layer: 'MD_44' }), 'E_EDIT_TARGET', /no layer 'MD_44'/);
  const onlyUsed = 'device_start("*");\n  map("A", "MD_03");\ndevice_end();\n';
  refused(deleteLayer(onlyUsed, { layer: 'MD_03' }), 'E_EDIT_REFUSED', /no name and no when-block/);
  const looped = `device_start("*");\nfor k in ["H"] { when_start("MD_02"); map(k, "VK_Left"); when_end(); }\ndevice_end();\n`;
  refused(
    deleteLayer(looped, { layer: 'MD_02' }, { file: 'p.rhai' }),
    'E_EDIT_FROM_CODE',
    /made by code at p\.rhai:2:/,
  );
});

test('property: random create / rename / delete sequences compile to exactly the intended names, other lines untouched', () => {
  const BASE = `// keep me\ndevice_start("*");\n  map("A", "VK_B");   // and me\ndevice_end();\n`;
  const op = fc.oneof(
    fc.record({
      op: fc.constant('create' as const),
      id: fc.integer({ min: 0, max: 6 }),
      name: fc.constantFrom('Nav', 'Sym', 'Num', 'Fn', 'nav'),
    }),
    fc.record({
      op: fc.constant('rename' as const),
      id: fc.integer({ min: 0, max: 6 }),
      name: fc.constantFrom('Nav', 'Sym', 'Num', 'Fn', 'Media'),
    }),
    fc.record({
      op: fc.constant('delete' as const),
      id: fc.integer({ min: 0, max: 6 }),
      name: fc.constant(''),
    }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
      let source = BASE;
      const model = new Map<string, string>();
      for (const { op: kind, id, name } of ops) {
        const layer = `MD_0${id}`;
        const clash = [...model].some(([l, n]) => l !== layer && n.toLowerCase() === name.toLowerCase());
        const r =
          kind === 'create'
            ? createLayer(source, { layer, name })
            : kind === 'rename'
              ? renameLayer(source, { layer, name })
              : deleteLayer(source, { layer });
        const expectOk =
          kind === 'create'
            ? !model.has(layer) && !clash
            : kind === 'rename'
              ? model.has(layer) && model.get(layer) !== name && !clash
              : model.has(layer);
        assert.equal(r.ok, expectOk, `${kind} ${layer} ${name}: ${r.ok ? 'ok' : r.message}`);
        if (!r.ok) continue;
        if (kind === 'delete') model.delete(layer);
        else model.set(layer, name);
        source = r.source;
        const names = new Map((compile(source).layerNames ?? []).map((n) => [n.layer, n.name]));
        assert.deepEqual(names, model);
      }
      // every line of the base profile is still there, byte for byte, in order
      const kept = source.split('\n').filter((l) => !l.startsWith('layer_name('));
      assert.deepEqual(
        kept.filter((l) => l !== ''),
        BASE.split('\n').filter((l) => l !== ''),
      );
    }),
    { numRuns: 150 },
  );
});
