import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ALL_KEY_NAMES,
  closestNames,
  keyByName,
  keyName,
  KEYS,
  resolveKey,
  UnknownKeyError,
} from '../../src/core/index.ts';

test('the table has every KeyRx code: 156 keys and 5 mouse buttons, unique names and Linux codes', () => {
  assert.equal(KEYS.filter((k) => k.group !== 'mouse').length, 156);
  assert.deepEqual(
    KEYS.filter((k) => k.group === 'mouse').map((k) => [k.name, k.code]),
    [
      ['MouseLeft', 0x110],
      ['MouseRight', 0x111],
      ['MouseMiddle', 0x112],
      ['MouseBack', 0x113],
      ['MouseForward', 0x114],
    ],
  );
  assert.equal(new Set(KEYS.map((k) => k.name)).size, 161);
  assert.equal(new Set(KEYS.map((k) => k.code)).size, 161);
  for (const k of KEYS) assert.ok(k.code > 0 && k.code < 768, `${k.name} code ${k.code}`);
});

test('KeyRx accepts 227 spellings; ours are a superset', () => {
  // KeyRx's 227 plus our two raw-code names (ZenkakuHankakuKey, KatakanaKey) and カタカナひらがな.
  assert.ok(ALL_KEY_NAMES.length >= 227, String(ALL_KEY_NAMES.length));
  assert.equal(new Set(ALL_KEY_NAMES).size, ALL_KEY_NAMES.length, 'an alias names two keys');
});

test('canonical names map to Linux KEY_* codes', () => {
  const expected: Record<string, number> = {
    Escape: 1,
    Num1: 2,
    Num0: 11,
    Minus: 12,
    Backspace: 14,
    Tab: 15,
    Q: 16,
    Enter: 28,
    LCtrl: 29,
    A: 30,
    Grave: 41,
    LShift: 42,
    Z: 44,
    Space: 57,
    CapsLock: 58,
    F1: 59,
    F10: 68,
    F11: 87,
    F12: 88,
    Iso102nd: 86,
    Ro: 89,
    KatakanaHiragana: 93,
    Henkan: 92,
    Muhenkan: 94,
    NumpadEnter: 96,
    RCtrl: 97,
    PrintScreen: 99,
    RAlt: 100,
    Home: 102,
    Up: 103,
    Left: 105,
    Delete: 111,
    Mute: 113,
    Pause: 119,
    Hangeul: 122,
    Hanja: 123,
    Yen: 124,
    LMeta: 125,
    Menu: 127,
    F13: 183,
    F24: 194,
    Select: 353,
    MediaPlayPause: 164,
    BrowserSearch: 217,
  };
  for (const [name, code] of Object.entries(expected)) assert.equal(keyByName(name)?.code, code, name);
});

test('aliases: QMK style, digits, short forms, Japanese and Korean spellings', () => {
  const pairs: [string, string][] = [
    ['ESC', 'Escape'],
    ['Esc', 'Escape'],
    ['BSPC', 'Backspace'],
    ['LSFT', 'LShift'],
    ['LGUI', 'LMeta'],
    ['RGHT', 'Right'],
    ['SCLN', 'Semicolon'],
    ['QUOT', 'Quote'],
    ['1', 'Num1'],
    ['0', 'Num0'],
    ['Del', 'Delete'],
    ['Ins', 'Insert'],
    ['Return', 'Enter'],
    ['全角', 'Grave'],
    ['半角', 'Grave'],
    ['Zenkaku', 'Grave'],
    ['ZenkakuHankaku', 'Grave'],
    ['Katakana', 'KatakanaHiragana'],
    ['変換', 'Henkan'],
    ['無変換', 'Muhenkan'],
    ['円', 'Yen'],
    ['¥', 'Yen'],
    ['ろ', 'Ro'],
    ['한글', 'Hangeul'],
    ['Hangul', 'Hangeul'],
    ['한자', 'Hanja'],
    ['102nd', 'Iso102nd'],
    ['Convert', 'Henkan'],
    ['NonConvert', 'Muhenkan'],
  ];
  for (const [alias, canonical] of pairs) assert.equal(keyByName(alias)?.name, canonical, alias);
});

test('names are case-sensitive; VK_ prefix is optional for input keys', () => {
  assert.equal(keyByName('escape'), undefined);
  assert.equal(resolveKey('VK_A'), 30);
  assert.equal(resolveKey('A'), 30);
  assert.equal(keyName(30), 'A');
  assert.equal(keyName(700), 'Code700');
  assert.equal(resolveKey('Code700'), 700);
});

test('unknown names suggest up to 3 close names', () => {
  assert.throws(
    () => resolveKey('Escap'),
    (e: unknown) =>
      e instanceof UnknownKeyError &&
      e.suggestions[0] === 'Escape' &&
      e.suggestions.length <= 3 &&
      /Unknown key name: 'Escap'\. Did you mean: Escape/.test(e.message),
  );
  assert.deepEqual(closestNames('capslock', ALL_KEY_NAMES), ['CapsLock']);
  assert.throws(
    () => resolveKey('Qwertyuiop'),
    (e: unknown) => e instanceof UnknownKeyError && e.suggestions.length === 0,
  );
});
