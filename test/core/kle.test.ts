/**
 * keyboard-layout-editor (KLE) raw data ⇄ layouts (src/core/kle.ts): real KLE files written in its
 * presets' format (test/fixtures/kle: ANSI 104, a UK ISO 105, a 60 % with Fn, an HHKB with HTML
 * legends and a decal), the legend rules one by one, the errors with their row and key, and export
 * then import giving the same layout (every built-in one, and random ones).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { LayoutKey } from '../../src/core/index.ts';
import {
  BUILTIN_LAYOUTS,
  exportKle,
  importKle,
  isKleData,
  KEYS,
  KleError,
  layoutById,
  LayoutError,
  parseKle,
} from '../../src/core/index.ts';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/kle', `${name}.json`), 'utf8'));
const sorted = (keys: readonly LayoutKey[]) => [...keys].sort((a, b) => a.key.localeCompare(b.key));
/** The keys of one KLE row of legends (each a 1-unit key), by name → x. */
const names = (data: unknown, opts = {}) => parseKle(data, opts).keys.map((k) => k.key);

function kleProblems(data: unknown, opts = {}): string[] {
  try {
    parseKle(data, opts);
  } catch (e) {
    assert.ok(e instanceof KleError, String(e));
    return e.problems;
  }
  assert.fail('expected a KleError');
}

describe('real KLE files', () => {
  test('an ANSI 104 in the presets’ format is the built-in ANSI 104, key for key', () => {
    const r = parseKle(fixture('ansi-104'));
    assert.equal(r.name, 'ANSI 104 from KLE');
    assert.deepEqual(r.skipped, []);
    assert.deepEqual(sorted(r.keys), sorted(layoutById('ansi-104')!.keys));
  });

  test('a UK ISO 105: "~ #" left of the tall Enter is Backslash, "| \\" right of the short Shift is Iso102nd', () => {
    const r = parseKle(fixture('iso-105-uk'));
    assert.equal(r.description, 'UK legends: the # key left of the tall Enter, \\ next to the left Shift');
    assert.deepEqual(sorted(r.keys), sorted(layoutById('iso-105')!.keys));
    // "£ 3" is 3 and "@ '" is Quote: the unshifted legend decides
    const find = (k: string) => r.keys.find((x) => x.key === k)!;
    assert.deepEqual([find('Num3').x, find('Quote').x, find('RAlt').x], [3, 11.75, 10]);
  });

  test('a 60 %: Fn is refused with its row and key, or skipped and listed', () => {
    assert.deepEqual(kleProblems(fixture('sixty')), [
      'row 5, key 7 ("Fn"): Fn is handled by the keyboard itself: keyrx never sees it',
      '"skipUnknown": true (keyrx layouts import --skip-unknown) leaves such keys out',
    ]);
    const r = parseKle(fixture('sixty'), { skipUnknown: true });
    assert.deepEqual(r.skipped, [
      { row: 5, col: 7, legend: 'Fn', reason: 'Fn is handled by the keyboard itself: keyrx never sees it' },
    ]);
    const builtIn = layoutById('compact-60')!.keys.filter((k) => k.key !== 'Menu');
    assert.deepEqual(sorted(r.keys), sorted(builtIn));
  });

  test('an HHKB with HTML legends, entities, a decal and alignment flags is the built-in HHKB', () => {
    const r = parseKle(fixture('hhkb-html'), { skipUnknown: true });
    assert.equal(r.name, 'HHKB with HTML legends');
    assert.deepEqual(
      r.skipped.map((s) => s.legend),
      ['Fn'],
    );
    assert.deepEqual(sorted(r.keys), sorted(layoutById('hhkb')!.keys));
  });
});

describe('legends', () => {
  test('letters, digits and their shifted symbols, punctuation, named keys, arrows, HTML', () => {
    assert.deepEqual(
      names([['q', '!\n1', '@\n2', '~\n`', '_\n-', '+\n=', '{\n[', '|\n\\', ':\n;', '"\n\'']]),
      ['Q', 'Num1', 'Num2', 'Grave', 'Minus', 'Equal', 'LeftBracket', 'Backslash', 'Semicolon', 'Quote'],
    );
    assert.deepEqual(
      names([['<\n,', '>\n.', '?\n/', 'Page\nUp', 'Pg Dn', 'Print Screen', 'Scroll\nLock', 'Pause\nBreak']]),
      ['Comma', 'Period', 'Slash', 'PageUp', 'PageDown', 'PrintScreen', 'ScrollLock', 'Pause'],
    );
    assert.deepEqual(
      names([['Esc', 'Tab ↹', 'Caps Lock', 'Return', 'Bksp', 'Del', 'Ins', 'Home', 'End', 'F13', 'f24']]),
      ['Escape', 'Tab', 'CapsLock', 'Enter', 'Backspace', 'Delete', 'Insert', 'Home', 'End', 'F13', 'F24'],
    );
    assert.deepEqual(names([['←', '↑', '→', '↓']]), ['Left', 'Up', 'Right', 'Down']);
    assert.deepEqual(names([['&uarr;', '<b>Menu</b>', '&#x2192;', '<i class="x"></i>&amp;\n7']]), [
      'Up',
      'Menu',
      'Right',
      'Num7',
    ]);
    // canonical names (what export writes) and spellings of the key table
    assert.deepEqual(names([['LShift', 'VolumeUp', 'Mute', 'BSPC', 'KP 5', 'Numpad6']]), [
      'LShift',
      'VolumeUp',
      'Mute',
      'Backspace',
      'Numpad5',
      'Numpad6',
    ]);
    // Japanese and Korean keys
    assert.deepEqual(
      names([['半角/全角', '¥', '_\nろ', '無変換', '変換', 'カタカナ/ひらがな', '한/영', '한자']]),
      ['Grave', 'Yen', 'Ro', 'Muhenkan', 'Henkan', 'KatakanaHiragana', 'Hangeul', 'Hanja'],
    );
  });

  test('modifiers without a side: the leftmost is the left one; AltGr is the right Alt', () => {
    const bottom = [['Ctrl', 'Win', 'Alt', { w: 6 }, '', 'AltGr', 'Cmd', 'Menu', 'Control']];
    assert.deepEqual(names(bottom), ['LCtrl', 'LMeta', 'LAlt', 'Space', 'RAlt', 'RMeta', 'Menu', 'RCtrl']);
    assert.deepEqual(names([['Shift'], ['Ctrl']]), ['LShift', 'LCtrl']);
    // an explicit side takes that side; the other goes to the side-less one
    assert.deepEqual(names([['Shift', 'Left Shift']]), ['RShift', 'LShift']);
    assert.deepEqual(kleProblems([['Shift', 'Shift', 'Shift']]), [
      'row 1, key 3 ("Shift"): a third Shift key (only LShift and RShift exist); name it in KLE or remove it',
    ]);
  });

  test('the numpad block: keys in the 4 × 5 block from Num Lock are numpad keys', () => {
    const pad = [
      ['Esc', { x: 1 }, 'Num Lock', '/', '*', '-'],
      [{ x: 2 }, '7\nHome', '8\n↑', '9\nPgUp', { h: 2 }, '+'],
      [{ x: 2 }, '4\n←', '5', '6\n→'],
      ['/', { x: 1 }, '1\nEnd', '2\n↓', '3\nPgDn', { h: 2 }, 'Enter'],
      [{ x: 2, w: 2 }, '0\nIns', '.\nDel'],
    ];
    assert.deepEqual(names(pad), [
      'Escape',
      'NumLock',
      'NumpadDivide',
      'NumpadMultiply',
      'NumpadSubtract',
      'Numpad7',
      'Numpad8',
      'Numpad9',
      'NumpadAdd',
      'Numpad4',
      'Numpad5',
      'Numpad6',
      'Slash', // left of the block: the main block's slash
      'Numpad1',
      'Numpad2',
      'Numpad3',
      'NumpadEnter',
      'Numpad0',
      'NumpadDecimal',
    ]);
    // without Num Lock there is no block: prefixed legends name numpad keys anywhere
    assert.deepEqual(names([['KP 7', 'kp_enter', 'Pad +', '7']]), [
      'Numpad7',
      'NumpadEnter',
      'NumpadAdd',
      'Num7',
    ]);
  });

  test('a wide key without a legend is Space; a narrow one names no key', () => {
    assert.deepEqual(names([[{ w: 6.25 }, '']]), ['Space']);
    assert.deepEqual(kleProblems([['A', '']]), [
      'row 1, key 2 (no legend): a key without a legend (only a wide one is taken for Space)',
      '"skipUnknown": true (keyrx layouts import --skip-unknown) leaves such keys out',
    ]);
  });

  test('unknown legends: each listed with its row and key; skipUnknown leaves them out', () => {
    const data = [
      ['Q', 'ü'],
      ['ß', 'Fn', 'A'],
    ];
    assert.deepEqual(kleProblems(data), [
      'row 1, key 2 ("ü"): this legend names no key',
      'row 2, key 1 ("ß"): this legend names no key',
      'row 2, key 2 ("Fn"): Fn is handled by the keyboard itself: keyrx never sees it',
      '"skipUnknown": true (keyrx layouts import --skip-unknown) leaves such keys out',
    ]);
    const r = parseKle(data, { skipUnknown: true });
    assert.deepEqual(
      r.keys.map((k) => k.key),
      ['Q', 'A'],
    );
    assert.deepEqual(
      r.skipped.map((s) => [s.row, s.col, s.legend]),
      [
        [1, 2, 'ü'],
        [2, 1, 'ß'],
        [2, 2, 'Fn'],
      ],
    );
  });
});

describe('geometry', () => {
  test('x, y, w, h move and size keys; rows go down one unit; the board starts at (0, 0)', () => {
    const r = parseKle([
      [{ y: -0.5, x: 0.5 }, 'A', { w: 1.5 }, 'B', { x: 0.25 }, 'C'],
      [{ h: 2 }, 'D', { y: 0.5 }, 'E'],
    ]);
    // KLE has A at (0.5, -0.5): the board is moved up by half a unit, D (x 0) stays at the left edge
    assert.deepEqual(r.keys, [
      { key: 'A', x: 0.5, y: 0, w: 1, h: 1 },
      { key: 'B', x: 1.5, y: 0, w: 1.5, h: 1 },
      { key: 'C', x: 3.25, y: 0, w: 1, h: 1 },
      { key: 'D', x: 0, y: 1, w: 1, h: 2 },
      { key: 'E', x: 1, y: 1.5, w: 1, h: 1 },
    ]);
  });

  test('rx / ry start a new origin; the second rectangle of odd keys (x2, w2 …) is ignored', () => {
    const r = parseKle([
      ['A', 'B'],
      [{ rx: 5, ry: 0 }, 'C'],
      ['D'],
      [{ w: 1.25, h: 2, w2: 1.5, h2: 1, x2: -0.25 }, 'Enter'],
    ]);
    assert.deepEqual(
      r.keys.map((k) => [k.key, k.x, k.y, k.w, k.h]),
      [
        ['A', 0, 0, 1, 1],
        ['B', 1, 0, 1, 1],
        ['C', 5, 0, 1, 1],
        ['D', 5, 1, 1, 1],
        ['Enter', 5, 2, 1.25, 2],
      ],
    );
  });

  test('refused: rotation, a malformed shape, bad property values, overlaps, two keys read as one', () => {
    assert.deepEqual(kleProblems([[{ r: 10, rx: 1 }, 'A']]), [
      'row 1, before key 1: rotated keys ("r": 10) are not supported: keyrx layouts are not rotated; remove the rotation in KLE',
    ]);
    assert.deepEqual(parseKle([[{ r: 0 }, 'A']]).keys.length, 1);
    assert.deepEqual(kleProblems([['A', { rx: 2 }, 'B']]), [
      'row 1, before key 2: "rx"/"ry" only on the first key of a row',
    ]);
    assert.deepEqual(kleProblems({ rows: [] }), [
      'KLE data is an array of rows (keyboard-layout-editor.com: Raw data, or the downloaded JSON)',
    ]);
    assert.deepEqual(kleProblems([['A'], { name: 'late' }]), [
      'element 2: a row must be an array (metadata only comes first), not an object',
    ]);
    assert.deepEqual(kleProblems([[5, 'A']]), [
      'row 1, before key 1: expected a legend (string) or a property object, not number 5',
    ]);
    assert.deepEqual(kleProblems([[{ w: '2' }, 'A']]), [
      'row 1, before key 1: "w" must be a number, not "2"',
    ]);
    assert.deepEqual(kleProblems([['A', { x: -0.5 }, 'B']]), [
      'row 1, key 2 ("B") overlaps row 1, key 1 ("A")',
    ]);
    assert.deepEqual(kleProblems([['A', '!\n1', '1']]), [
      'row 1, key 3 ("1") and row 1, key 2 ("! / 1") are both read as Num1; name one of them in KLE',
    ]);
    assert.match(kleProblems(Array.from({ length: 300 }, () => ['A']))[0], /at most 256 rows/);
    assert.match(kleProblems([Array.from({ length: 300 }, () => 'A')])[0], /more than 256 keys/);
  });
});

describe('import and export', () => {
  test('importKle: the name from the caller, else the metadata; checked by validateLayout', () => {
    assert.equal(importKle(fixture('ansi-104'), 'a').layout.name, 'ANSI 104 from KLE');
    assert.equal(importKle(fixture('ansi-104'), 'a', { name: 'Mine' }).layout.name, 'Mine');
    assert.throws(
      () => importKle([['A']], 'a'),
      (e: unknown) => e instanceof KleError && /needs a name/.test(e.message),
    );
    // validateLayout's limits still apply (a key 20 units wide)
    assert.throws(
      () => importKle([[{ w: 20 }, 'Space']], 'a', { name: 'x' }),
      (e: unknown) => e instanceof LayoutError && /keys\[0\]\.w: at most 16 units/.test(e.message),
    );
    assert.ok(isKleData([]) && !isKleData({ keys: [] }));
  });

  test('export writes metadata and rows of canonical names; KLE’s own offsets and sizes', () => {
    const out = exportKle({
      name: 'Small',
      description: 'two rows',
      keys: [
        { key: 'Escape', x: 0, y: 0, w: 1, h: 1 },
        { key: 'F1', x: 2, y: 0, w: 1, h: 1 },
        { key: 'A', x: 0, y: 1.5, w: 1.5, h: 1 },
        { key: 'NumpadEnter', x: 3, y: 1.5, w: 1, h: 2 },
      ],
    });
    assert.deepEqual(out, [
      { name: 'Small', notes: 'two rows' },
      ['Escape', { x: 1 }, 'F1'],
      [{ y: 0.5, w: 1.5 }, 'A', { x: 1.5, h: 2 }, 'NumpadEnter'],
    ]);
  });

  test('every built-in layout: export then import gives the same layout', () => {
    for (const l of BUILTIN_LAYOUTS) {
      const back = importKle(exportKle(l), l.id).layout;
      assert.equal(back.name, l.name);
      assert.equal(back.description, l.description);
      assert.deepEqual(sorted(back.keys), sorted(l.keys), l.id);
    }
  });

  test('random layouts: export then import gives the same keys', () => {
    // not Num Lock: its numpad block reads "Enter" as NumpadEnter (the documented rule)
    const keyNames = KEYS.map((k) => k.name).filter((n) => n !== 'NumLock');
    const layoutArb = fc
      .uniqueArray(fc.constantFrom(...keyNames), { minLength: 1, maxLength: 60 })
      .chain((chosen) =>
        fc.tuple(
          fc.constant(chosen),
          fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 2 })), {
            minLength: chosen.length,
            maxLength: chosen.length,
          }),
          fc.integer({ min: 4, max: 20 }),
        ),
      )
      .map(([chosen, sizes, perRow]) => {
        // keys in a grid of 2-unit cells, each 0.25–2 wide and 1–2 high (tall keys skip the row below)
        const keys: LayoutKey[] = chosen.map((key, i) => ({
          key,
          x: (i % perRow) * 2,
          y: Math.floor(i / perRow) * 2,
          w: sizes[i][0] / 4,
          h: sizes[i][1],
        }));
        return keys;
      });
    fc.assert(
      fc.property(layoutArb, (keys) => {
        const back = importKle(exportKle({ name: 'R', keys }), 'r').layout;
        const shift = Math.min(...keys.map((k) => k.x));
        const lift = Math.min(...keys.map((k) => k.y));
        assert.deepEqual(
          sorted(back.keys),
          sorted(keys.map((k) => ({ ...k, x: k.x - shift, y: k.y - lift }))),
        );
      }),
      { numRuns: 200 },
    );
  });
});
