/**
 * Edits without code (src/dsl/edit.ts): one key's mapping set or removed in a block and layer,
 * only the statement touched changes, the result compiles to what was asked, and what code made
 * is refused (or overridden) with a clear message.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import type { KeyMapping } from '../../src/core/index.ts';
import { diffConfigs } from '../../src/core/index.ts';
import { compileProfile } from '../../src/dsl/compile.ts';
import type { KeyEdit } from '../../src/dsl/edit.ts';
import { editProfile, keyMapping, sourceSegments } from '../../src/dsl/edit.ts';
import { renderTemplate, TEMPLATE_NAMES } from '../../src/daemon/templates.ts';
import { canonicalJson } from '../../src/dsl/krx.ts';

const PROFILE = `// my layout
device_start("*");
  map("A", "VK_B");   // a comment that stays

  tap_hold("CapsLock", "VK_Escape", "MD_00", 200);
  when_start("MD_00");
    map("H", "VK_Left");
  when_end();
  for k in ["F1", "F2"] { map(k, "VK_Mute"); }
device_end();
`;

function ok(source: string, edit: KeyEdit): string {
  const r = editProfile(source, edit, { file: 'p.rhai' });
  assert.ok(r.ok, r.ok ? '' : `${r.code}: ${r.message}`);
  return r.source;
}

/** The lines of `after` that are not in `before`, and the other way round (counted: a repeated line counts). */
function changedLines(before: string, after: string): { added: string[]; removed: string[] } {
  const minus = (x: string[], y: string[]): string[] => {
    const left = [...y];
    return x.filter((l) => {
      const i = left.indexOf(l);
      if (i < 0) return true;
      left.splice(i, 1);
      return false;
    });
  };
  const a = before.split('\n');
  const b = after.split('\n');
  return { added: minus(b, a), removed: minus(a, b) };
}

test('changing a mapping rewrites its statement only; comments and spacing stay', () => {
  const after = ok(PROFILE, {
    block: 0,
    layer: null,
    key: 'A',
    mapping: { kind: 'simple', from: 'A', to: 'C' },
  });
  assert.deepEqual(changedLines(PROFILE, after), {
    added: ['  map("A", "VK_C");   // a comment that stays'],
    removed: ['  map("A", "VK_B");   // a comment that stays'],
  });
});

test('a new key goes at the end of its block, indented like its neighbours', () => {
  const after = ok(PROFILE, {
    block: 0,
    layer: { kind: 'modifier', id: 0 },
    key: 'J',
    mapping: { kind: 'simple', from: 'J', to: 'Down' },
  });
  assert.ok(after.includes('    map("H", "VK_Left");\n    map("J", "VK_Down");\n  when_end();'), after);
  const base = ok(PROFILE, {
    block: 0,
    layer: null,
    key: 'Q',
    mapping: { kind: 'tapHold', from: 'Q', tap: 'Q', holdKey: 'LCtrl', thresholdMs: 180, mode: 'balanced' },
  });
  assert.deepEqual(changedLines(PROFILE, base).added, [
    '  tap_hold("Q", "VK_Q", "VK_LCtrl", 180, #{ mode: "balanced" });',
  ]);
  assert.ok(
    base.endsWith('  tap_hold("Q", "VK_Q", "VK_LCtrl", 180, #{ mode: "balanced" });\ndevice_end();\n'),
  );
});

test('a layer that has no block yet gets one at the end of the device block', () => {
  const after = ok(PROFILE, {
    block: 0,
    layer: { kind: 'modifier', id: 2 },
    key: 'K',
    mapping: { kind: 'simple', from: 'K', to: 'Up' },
  });
  assert.deepEqual(changedLines(PROFILE, after).added, [
    '  when_start("MD_02");',
    '    map("K", "VK_Up");',
    '  when_end();',
  ]);
});

test('removing a mapping removes its line', () => {
  const after = ok(PROFILE, { block: 0, layer: { kind: 'modifier', id: 0 }, key: 'H', mapping: null });
  assert.deepEqual(changedLines(PROFILE, after), { added: [], removed: ['    map("H", "VK_Left");'] });
});

test('a mapping made by a loop is refused with where it comes from, or overridden ahead of it', () => {
  const edit: KeyEdit = {
    block: 0,
    layer: null,
    key: 'F1',
    mapping: { kind: 'simple', from: 'F1', to: 'Home' },
  };
  const refused = editProfile(PROFILE, edit, { file: 'p.rhai' });
  assert.equal(refused.ok, false);
  assert.ok(!refused.ok && refused.code === 'E_EDIT_FROM_CODE');
  assert.match(
    !refused.ok ? refused.message : '',
    /F1 is mapped by code at p\.rhai:9:\d+ \(a loop, a function or a loaded file\)/,
  );
  const after = ok(PROFILE, { ...edit, override: true });
  assert.deepEqual(changedLines(PROFILE, after).added, ['  map("F1", "VK_Home");']);
  assert.ok(after.startsWith('// my layout\ndevice_start("*");\n  map("F1", "VK_Home");\n'), after);
  const removal = editProfile(PROFILE, { ...edit, mapping: null, override: true }, { file: 'p.rhai' });
  assert.ok(!removal.ok && /cannot be removed without editing it there/.test(removal.message));
});

test('a statement that maps other keys too is not rewritten (the other keys keep their mapping)', () => {
  const source = 'device_start("*");\n  auto_shift(["A", "B"], 180);\ndevice_end();\n';
  const edit: KeyEdit = { block: 0, layer: null, key: 'A', mapping: { kind: 'simple', from: 'A', to: 'C' } };
  const refused = editProfile(source, edit, { file: 'p.rhai' });
  assert.ok(!refused.ok && refused.code === 'E_EDIT_FROM_CODE', JSON.stringify(refused));
  assert.match(
    !refused.ok ? refused.message : '',
    /A is mapped at p\.rhai:2:3 by a statement that maps other keys too/,
  );
  const after = ok(source, { ...edit, override: true });
  assert.equal(
    after,
    'device_start("*");\n  map("A", "VK_C");\n  auto_shift(["A", "B"], 180);\ndevice_end();\n',
  );
  const b = compileProfile(after, { file: 'p.rhai' }).config!;
  assert.equal(keyMapping(b, 0, null, 'B')?.kind, 'autoShift');
});

test('mistakes are refused with a clear error and the source is not touched', () => {
  const bad = (edit: KeyEdit): string => {
    const r = editProfile(PROFILE, edit, { file: 'p.rhai' });
    assert.equal(r.ok, false);
    return r.ok ? '' : `${r.code}: ${r.message}`;
  };
  assert.match(
    bad({ block: 3, layer: null, key: 'A', mapping: null }),
    /E_EDIT_TARGET: there is no device block 3 \(the profile has 1\)/,
  );
  assert.match(bad({ block: 0, layer: null, key: 'Nope', mapping: null }), /E_EDIT_TARGET: .*Nope/);
  assert.match(
    bad({ block: 0, layer: null, key: 'A', mapping: { kind: 'simple', from: 'B', to: 'C' } }),
    /the mapping is for B, not A/,
  );
  assert.match(
    bad({ block: 0, layer: null, key: 'Z', mapping: null }),
    /E_EDIT_REFUSED: Z has no mapping there to remove/,
  );
  assert.match(
    bad({
      block: 0,
      layer: null,
      key: 'A',
      mapping: { kind: 'tapHold', from: 'A', tap: 'A', hold: 300, thresholdMs: 200 } as KeyMapping,
    }),
    /E_EDIT_REFUSED: the edited profile would not compile/,
  );
  const broken = editProfile('device_start("*"); map("A", "B"); device_end();', {
    block: 0,
    layer: null,
    key: 'A',
    mapping: null,
  });
  assert.ok(!broken.ok && broken.code === 'E_EDIT_PROFILE');
});

test('random edits of every example profile: the key does what was asked, untouched lines stay byte for byte', () => {
  const dir = join(import.meta.dirname, '..', '..', 'examples');
  const examples = readdirSync(dir)
    .filter((f) => f.endsWith('.rhai'))
    .map((f) => ({ file: f, source: readFileSync(join(dir, f), 'utf8') }))
    .filter(({ file, source }) => compileProfile(source, { file }).ok);
  const targets = ['A', 'J', 'F12', 'Semicolon', 'Num5', 'Insert'];
  const mappings = (key: string): KeyMapping[] => [
    { kind: 'simple', from: key, to: 'Home' },
    { kind: 'tapHold', from: key, tap: key, hold: 3, thresholdMs: 180 },
    { kind: 'oneShot', from: key, key: 'LShift', timeoutMs: 900 },
    { kind: 'macro', from: key, steps: [{ op: 'text', text: 'hi' }] },
  ];
  let edited = 0;
  fc.assert(
    fc.property(
      fc.nat(),
      fc.constantFrom(...targets),
      fc.nat({ max: 4 }),
      fc.boolean(),
      (pick, key, which, inLayer) => {
        const { file, source } = examples[pick % examples.length];
        const config = compileProfile(source, { file }).config!;
        const block = pick % config.devices.length;
        const layer = inLayer ? { kind: 'modifier' as const, id: 9 } : null;
        const mapping = which === 4 ? null : mappings(key)[which];
        const r = editProfile(source, { block, layer, key, mapping, override: true }, { file });
        if (!r.ok) {
          // only what the rules refuse: removing what is not there, or what code made
          assert.ok(
            r.code === 'E_EDIT_REFUSED' || r.code === 'E_EDIT_FROM_CODE',
            `${file}: ${r.code} ${r.message}`,
          );
          return;
        }
        edited++;
        assert.equal(canonicalJson(keyMapping(r.config, block, layer, key) ?? null), canonicalJson(mapping));
        // every other key of every block and layer does what it did
        const before = JSON.stringify({ ...config, metadata: undefined });
        const after = compileProfile(r.source, { file }).config!;
        if (mapping === null || which < 4) {
          const a = changedLines(source, r.source);
          assert.ok(a.removed.length <= 1 && a.added.length <= 3, `${file}: ${JSON.stringify(a)}`);
        }
        assert.equal(after.devices.length, JSON.parse(before).devices.length);
        // the compiled config is exactly the intended one: what every key of every block and
        // layer does is unchanged, but for the edited key in its block and layer
        const layerName = layer ? 'MD_09' : 'base';
        for (const change of diffConfigs(config, after))
          assert.ok(
            change.key === key && change.layer === layerName && change.block === block,
            `${file}: ${key} in block ${block} ${layerName} edited, but ${JSON.stringify(change)} changed too`,
          );
      },
    ),
    { numRuns: 200 },
  );
  assert.ok(edited > 50, `only ${edited} edits went through`);
});

test('round trip: every example, library and template profile splits into statements and the comments and blank lines between them, which join back to the same bytes', () => {
  const root = join(import.meta.dirname, '..', '..');
  const files = [join(root, 'examples'), join(root, 'examples', 'lib')].flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.rhai'))
      .map((f) => ({ file: f, source: readFileSync(join(dir, f), 'utf8') })),
  );
  const templates = TEMPLATE_NAMES.map((t) => ({ file: `${t}.rhai`, source: renderTemplate(t, 200) }));
  const all = [...files, ...templates];
  assert.ok(all.length >= 25, `${all.length} profiles`);
  const TRIVIA = /^(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*$/;
  for (const { file, source } of all) {
    const segments = sourceSegments(source, file);
    assert.equal(segments.map((s) => s.text).join(''), source, file);
    for (const s of segments.filter((x) => x.kind === 'between'))
      assert.match(s.text, TRIVIA, `${file}: code outside any statement: ${JSON.stringify(s.text)}`);
    assert.ok(
      segments.some((s) => s.kind === 'statement'),
      file,
    );
  }
});

test("a key override is a slot of its own: editing the key's mapping never touches it, and the other way round", () => {
  const src = `device_start("*");\n  key_override(["Shift"], "Backspace", "VK_Delete");\n  map("Backspace", "VK_A");\ndevice_end();\n`;
  const remapped = ok(src, {
    block: 0,
    layer: null,
    key: 'Backspace',
    mapping: { kind: 'simple', from: 'Backspace', to: 'B' },
  });
  assert.equal(remapped, src.replace('map("Backspace", "VK_A");', 'map("Backspace", "VK_B");'));
  const overridden = ok(src, {
    block: 0,
    layer: null,
    key: 'Backspace',
    mapping: { kind: 'keyOverride', from: 'Backspace', mods: ['Shift'], to: 'Insert' },
  });
  assert.equal(overridden, src.replace('"VK_Delete"', '"VK_Insert"'));
  // another modifier set is another override, added
  const ctrl = ok(src, {
    block: 0,
    layer: null,
    key: 'Backspace',
    mapping: { kind: 'keyOverride', from: 'Backspace', mods: ['Ctrl'], to: 'Home' },
  });
  assert.equal(changedLines(src, ctrl).added.length, 1);
  assert.equal(changedLines(src, ctrl).removed.length, 0);
  // removing: the key's mapping by default, its override when its modifiers are named
  const noMap = ok(src, { block: 0, layer: null, key: 'Backspace', mapping: null });
  assert.ok(noMap.includes('key_override') && !noMap.includes('map("Backspace"'));
  const noOverride = ok(src, {
    block: 0,
    layer: null,
    key: 'Backspace',
    mapping: null,
    overrideMods: ['Shift'],
  });
  assert.ok(!noOverride.includes('key_override') && noOverride.includes('map("Backspace"'));
});

test('a new when-block is indented like the statements of its device block', () => {
  const src = `device_start("*");\n    map("A", "VK_B");\ndevice_end();\n`;
  const after = ok(src, {
    block: 0,
    layer: { kind: 'modifier', id: 1 },
    key: 'H',
    mapping: { kind: 'simple', from: 'H', to: 'Left' },
  });
  assert.equal(
    after,
    `device_start("*");\n    map("A", "VK_B");\n    when_start("MD_01");\n        map("H", "VK_Left");\n    when_end();\ndevice_end();\n`,
  );
});
