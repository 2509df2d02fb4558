/**
 * The built-in keyboard layouts (src/core/layouts.ts): KeyRx's eleven, every key a canonical name
 * of the key table at a sensible place; the old ids; custom ids; and validateLayout's errors, each
 * with where it is.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LayoutKey } from '../../src/core/index.ts';
import {
  BUILTIN_LAYOUTS,
  canonicalLayoutId,
  isBuiltInLayoutId,
  isValidCustomLayoutId,
  keyByName,
  layoutAliases,
  layoutById,
  layoutClusters,
  LayoutError,
  layoutRows,
  layoutSize,
  layoutToJson,
  MAX_LAYOUT_KEYS,
  validateLayout,
} from '../../src/core/index.ts';

const names = (id: string): Set<string> => new Set(layoutById(id)!.keys.map((k) => k.key));
const at = (id: string, key: string): LayoutKey => layoutById(id)!.keys.find((k) => k.key === key)!;

function problems(value: unknown): string[] {
  try {
    validateLayout(value, 'x');
  } catch (e) {
    assert.ok(e instanceof LayoutError, String(e));
    return e.problems;
  }
  assert.fail('expected a LayoutError');
}

describe('built-in layouts', () => {
  test("KeyRx's eleven layouts, with the key counts of their names", () => {
    assert.deepEqual(
      BUILTIN_LAYOUTS.map((l) => [l.id, l.keys.length]),
      [
        ['ansi-104', 104],
        ['ansi-87', 87],
        ['iso-105', 105],
        ['iso-88', 88],
        ['jis-109', 109],
        ['compact-60', 61],
        ['compact-65', 68],
        ['compact-75', 84],
        ['compact-96', 100],
        ['hhkb', 59],
        ['numpad', 17],
      ],
    );
    for (const l of BUILTIN_LAYOUTS) {
      assert.equal(l.builtIn, true);
      assert.ok(l.name.length > 0 && l.name.length <= 64, l.id);
      assert.ok(l.description && l.description.length > 0, l.id);
      assert.ok(Object.isFrozen(l) && Object.isFrozen(l.keys), `${l.id} is read-only`);
    }
  });

  test('every key is a canonical key-table name, once per layout, at a quarter-unit place, and no two keys overlap', () => {
    for (const l of BUILTIN_LAYOUTS) {
      for (const k of l.keys) {
        assert.equal(keyByName(k.key)?.name, k.key, `${l.id}: ${k.key} is canonical`);
        for (const v of [k.x, k.y, k.w, k.h]) assert.equal(v * 4, Math.round(v * 4), `${l.id} ${k.key}`);
        assert.ok(k.w >= 1 && k.h >= 1, `${l.id} ${k.key} is at least one unit`);
      }
      // validateLayout checks names, duplicates, sizes and overlaps: the built-ins pass as they are
      const checked = validateLayout({ name: l.name, description: l.description, keys: l.keys }, l.id);
      assert.deepEqual(checked.keys, l.keys, l.id);
    }
  });

  test('ANSI, ISO and JIS differ where the boards do', () => {
    const ansi = names('ansi-104');
    const iso = names('iso-105');
    const jis = names('jis-109');
    assert.deepEqual(
      [...iso].filter((k) => !ansi.has(k)),
      ['Iso102nd'],
    );
    assert.deepEqual(
      [...ansi].filter((k) => !iso.has(k)),
      [],
    );
    assert.deepEqual([...jis].filter((k) => !ansi.has(k)).sort(), [
      'Henkan',
      'KatakanaHiragana',
      'Muhenkan',
      'Ro',
      'Yen',
    ]);
    // ISO and JIS: the tall Enter; ANSI: a wide one
    assert.deepEqual(at('iso-105', 'Enter'), { key: 'Enter', x: 13.75, y: 2.5, w: 1.25, h: 2 });
    assert.deepEqual(at('jis-109', 'Enter'), { key: 'Enter', x: 13.75, y: 2.5, w: 1.25, h: 2 });
    assert.deepEqual(at('ansi-104', 'Enter'), { key: 'Enter', x: 12.75, y: 3.5, w: 2.25, h: 1 });
    // ISO: the key left of the Enter's lower half is Backslash; the 102nd key is right of a short Shift
    assert.deepEqual([at('iso-105', 'Backslash').x, at('iso-105', 'Backslash').y], [12.75, 3.5]);
    assert.deepEqual([at('iso-105', 'LShift').w, at('iso-105', 'Iso102nd').x], [1.25, 1.25]);
    // the numpad's tall keys
    assert.equal(at('ansi-104', 'NumpadAdd').h, 2);
    assert.equal(at('ansi-104', 'NumpadEnter').h, 2);
    assert.equal(at('ansi-104', 'Numpad0').w, 2);
  });

  test('tenkeyless is full size without the numpad; the compact boards keep the alphanumeric block', () => {
    for (const [full, tkl] of [
      ['ansi-104', 'ansi-87'],
      ['iso-105', 'iso-88'],
    ]) {
      const missing = [...names(full)].filter((k) => !names(tkl).has(k));
      assert.equal(missing.length, 17);
      assert.ok(
        missing.every((k) => k === 'NumLock' || k.startsWith('Numpad')),
        full,
      );
      for (const k of layoutById(tkl)!.keys) assert.deepEqual(k, at(full, k.key), `${tkl} ${k.key}`);
    }
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
    for (const id of ['compact-60', 'compact-65', 'compact-75', 'compact-96', 'hhkb'])
      for (const k of [...letters, 'Space', 'Enter', 'Backspace', 'Tab', 'LShift', 'RShift'])
        assert.ok(names(id).has(k), `${id} has ${k}`);
    assert.ok(!names('compact-60').has('Escape') && !names('compact-60').has('Up'));
    assert.ok(names('compact-65').has('Up') && !names('compact-65').has('F1'));
    assert.ok(names('compact-75').has('F12') && names('compact-75').has('Up'));
    assert.ok(names('compact-96').has('NumpadEnter') && names('compact-96').has('F12'));
    // HHKB: Control where Caps Lock is, Backspace above Enter, no Caps Lock
    assert.deepEqual([at('hhkb', 'LCtrl').x, at('hhkb', 'LCtrl').y], [0, 2]);
    assert.equal(at('hhkb', 'Backspace').y, 1);
    assert.ok(!names('hhkb').has('CapsLock'));
    assert.deepEqual(layoutSize(layoutById('numpad')!), { width: 4, height: 5 });
    assert.deepEqual(layoutSize(layoutById('ansi-104')!), { width: 22.5, height: 6.5 });
  });

  test('the old ids are aliases of the full-size boards', () => {
    assert.equal(layoutById('ansi'), layoutById('ansi-104'));
    assert.equal(layoutById('iso'), layoutById('iso-105'));
    assert.equal(layoutById('jis'), layoutById('jis-109'));
    assert.equal(canonicalLayoutId('iso'), 'iso-105');
    assert.equal(canonicalLayoutId('my-board'), 'my-board');
    assert.equal(canonicalLayoutId('constructor'), 'constructor');
    assert.equal(layoutById('toString'), undefined);
    assert.deepEqual(layoutAliases('ansi-104'), ['ansi']);
    assert.deepEqual(layoutAliases('hhkb'), []);
    assert.ok(isBuiltInLayoutId('jis') && isBuiltInLayoutId('numpad') && !isBuiltInLayoutId('mine'));
  });

  test('custom ids: lowercase letters, digits and -, 1–48 characters, not built in, not a device name', () => {
    for (const id of ['a', 'my-board', '60-percent', 'x'.repeat(48), 'ansi-104-mod'])
      assert.ok(isValidCustomLayoutId(id), id);
    for (const id of [
      '',
      '-a',
      'A',
      'my_board',
      'my board',
      'a.json',
      '../x',
      '..',
      'x/y',
      'x'.repeat(49),
      'ansi',
      'ansi-104',
      'numpad',
      'con',
      'nul',
      'com1',
      'lpt9',
      'é',
      5,
      null,
    ])
      assert.ok(!isValidCustomLayoutId(id), String(id));
  });
});

describe('validateLayout', () => {
  test('a good layout: defaults, canonical names, rounding, and the id given (not the input’s)', () => {
    const l = validateLayout(
      {
        id: 'ignored',
        builtIn: true,
        name: '  Mine  ',
        description: ' small ',
        keys: [
          { key: 'Esc', x: 0, y: 0 },
          { key: 'LSFT', x: 1.000000001, y: 0, w: 2.25 },
          { key: 'NumpadEnter', x: 0, y: 1, h: 2 },
        ],
      },
      'mine',
    );
    assert.deepEqual(l, {
      id: 'mine',
      name: 'Mine',
      description: 'small',
      builtIn: false,
      keys: [
        { key: 'Escape', x: 0, y: 0, w: 1, h: 1 },
        { key: 'LShift', x: 1, y: 0, w: 2.25, h: 1 },
        { key: 'NumpadEnter', x: 0, y: 1, w: 1, h: 2 },
      ],
    });
    // touching edges are not an overlap
    validateLayout(
      {
        name: 'x',
        keys: [
          { key: 'A', x: 0, y: 0, w: 1.5 },
          { key: 'B', x: 1.5, y: 0 },
          { key: 'C', x: 0, y: 1 },
        ],
      },
      'x',
    );
  });

  test('without an id argument, the input’s id is used and must be a custom id', () => {
    const keys = [{ key: 'A', x: 0, y: 0 }];
    assert.equal(validateLayout({ id: 'from-file', name: 'x', keys }).id, 'from-file');
    assert.throws(() => validateLayout({ name: 'x', keys }), /id: missing/);
    assert.throws(
      () => validateLayout({ id: '../x', name: 'x', keys }),
      /id: "\.\.\/x" is not a custom layout id/,
    );
    assert.throws(
      () => validateLayout({ id: 'ansi', name: 'x', keys }),
      /id: "ansi" is not a custom layout id/,
    );
    assert.equal(validateLayout({ id: '../x', name: 'x', keys }, 'given').id, 'given');
  });

  test('the shape: an object with a name and keys', () => {
    for (const v of [null, 5, 'x', [], undefined])
      assert.match(problems(v)[0], /^a layout is an object with "name" and "keys", not /);
    assert.deepEqual(problems({ keys: [{ key: 'A', x: 0, y: 0 }] }), [
      'name: missing (a name for people, 1–64 characters)',
    ]);
    assert.deepEqual(problems({ name: 'x' }), ['keys: missing (an array of {key, x, y, w, h})']);
    assert.deepEqual(problems({ name: 'x', keys: {} }), ['keys: must be an array of keys, not an object']);
    assert.deepEqual(problems({ name: 'x', keys: [] }), ['keys: a layout needs at least one key']);
    assert.deepEqual(problems({ name: 'x', keys: [{ key: 'A', x: 0, y: 0 }], rows: 5 }), [
      'unknown field "rows" (a layout has name, description and keys)',
    ]);
    assert.deepEqual(
      problems({
        name: 'x',
        keys: Array.from({ length: MAX_LAYOUT_KEYS + 1 }, () => ({ key: 'A', x: 0, y: 0 })),
      }),
      [`keys: at most ${MAX_LAYOUT_KEYS} keys, got ${MAX_LAYOUT_KEYS + 1}`],
    );
  });

  test('names and descriptions', () => {
    const key = [{ key: 'A', x: 0, y: 0 }];
    assert.deepEqual(problems({ name: '', keys: key }), ['name: must not be empty']);
    assert.deepEqual(problems({ name: 'x'.repeat(65), keys: key }), ['name: at most 64 characters, got 65']);
    assert.deepEqual(problems({ name: 'a\nb', keys: key }), ['name: must not contain control characters']);
    assert.deepEqual(problems({ name: 5, keys: key }), ['name: must be a string, not a number']);
    assert.deepEqual(problems({ name: 'x', description: 'd'.repeat(501), keys: key }), [
      'description: at most 500 characters, got 501',
    ]);
    assert.deepEqual(problems({ name: 'x', description: 'a\u0000', keys: key }), [
      'description: must not contain control characters',
    ]);
    assert.equal(
      validateLayout({ name: 'x', description: 'two\nlines', keys: key }, 'x').description,
      'two\nlines',
    );
  });

  test('each key problem says which key: names, duplicates, overlaps, sizes, fields', () => {
    assert.deepEqual(
      problems({
        name: 'x',
        keys: [
          { key: 'Escpe', x: 0, y: 0 },
          { key: 'A', x: 1, y: 0 },
          { key: 'A', x: 2, y: 0 },
          { key: 'B', x: 1.5, y: 0 },
          { key: 'C', x: -0.5, y: 0 },
          { key: 'D', x: 0, y: 0, w: 0 },
          { key: 'E', x: 0, y: 0, h: -1 },
          { key: 'F', x: Number.NaN, y: 0 },
          { key: 'G', x: Infinity, y: 0 },
          { key: 'H', x: '1', y: 0 },
          { key: 'I', y: 0 },
          { key: 'J', x: 0, y: 65 },
          { key: 'K', x: 0, y: 0, w: 17 },
          { key: 5, x: 0, y: 0 },
          'L',
          { key: 'M', x: 0, y: 3, colour: 'red' },
        ],
      }),
      [
        'keys[0].key: unknown key name "Escpe" (did you mean Escape?)',
        'keys[2].key: A is listed twice (also keys[1])',
        'keys[4].x: must be 0 or more, got -0.5',
        'keys[5].w: must be greater than 0, got 0',
        'keys[6].h: must be greater than 0, got -1',
        'keys[7].x: must be a finite number, not NaN',
        'keys[8].x: must be a finite number, not Infinity',
        'keys[9].x: must be a finite number, not "1"',
        'keys[10].x: missing (a number of key units)',
        'keys[11].y: at most 64 units, got 65',
        'keys[12].w: at most 16 units, got 17',
        'keys[13].key: must be a key name, not a number',
        'keys[14]: must be an object {key, x, y, w, h}, not a string',
        'keys[15]: unknown field "colour" (a key has key, x, y, w, h)',
        'keys[3]: B overlaps keys[1] (A)',
      ],
    );
  });

  test('the error message lists the first problems and counts the rest', () => {
    const keys = Array.from({ length: 30 }, (_, i) => ({ key: `Nope${i}`, x: i, y: 0 }));
    try {
      validateLayout({ name: 'x', keys }, 'x');
      assert.fail('expected a LayoutError');
    } catch (e) {
      assert.ok(e instanceof LayoutError);
      assert.equal(e.problems.length, 30);
      assert.match(e.message, /; and 20 more$/);
    }
  });
});

describe('geometry helpers', () => {
  test('rows group keys whose tops are close; clusters split at vertical gaps', () => {
    const keys: LayoutKey[] = [
      { key: 'A', x: 0, y: 0, w: 1, h: 1 },
      { key: 'B', x: 1, y: 0.25, w: 1, h: 1 },
      { key: 'C', x: 0, y: 1, w: 1, h: 1 },
      { key: 'D', x: 3, y: 0, w: 1, h: 2 },
    ];
    assert.deepEqual(
      layoutRows(keys).map((r) => r.map((k) => k.key)),
      [['A', 'B', 'D'], ['C']],
    );
    assert.deepEqual(
      layoutClusters(keys).map((c) => [
        c.x,
        c.width,
        c.keys
          .map((k) => k.key)
          .sort()
          .join(''),
      ]),
      [
        [0, 2, 'ABC'],
        [3, 1, 'D'],
      ],
    );
    assert.deepEqual(layoutSize({ keys }), { width: 4, height: 2 });
  });

  test('layoutToJson: the stored form, keys in reading order, without builtIn', () => {
    const json = layoutToJson(layoutById('numpad')!);
    assert.deepEqual(Object.keys(json), ['id', 'name', 'description', 'keys']);
    assert.deepEqual(
      json.keys.slice(0, 5).map((k) => k.key),
      ['NumLock', 'NumpadDivide', 'NumpadMultiply', 'NumpadSubtract', 'Numpad7'],
    );
    assert.deepEqual(validateLayout(json, 'numpad-copy').keys.length, 17);
  });
});
