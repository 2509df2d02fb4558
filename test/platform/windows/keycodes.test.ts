/**
 * The Windows key table (src/platform/windows/keycodes.ts) against our key table
 * (src/core/keys.ts): round trips, uniqueness, coverage, and the keys Windows names oddly.
 * Pure lookups: runs on Linux.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KEYS, keyByName, keyName } from '../../../src/core/index.ts';
import {
  hookAliases,
  linuxCodeFromHook,
  UNMAPPED_KEYS,
  VK,
  windowsKeyFor,
  windowsKeyTable,
} from '../../../src/platform/windows/keycodes.ts';

const code = (name: string): number => {
  const key = keyByName(name);
  assert.ok(key, `no key named ${name}`);
  return key.code;
};
const fromHook = (vk: number, scan: number, extended: boolean): string | null => {
  const c = linuxCodeFromHook({ vk, scan, extended });
  return c === null ? null : keyName(c);
};

test('every entry round-trips: windowsKeyFor(code) read back by a hook is the same code', () => {
  const table = windowsKeyTable();
  assert.ok(table.length > 140, `only ${table.length} entries`);
  for (const [c, wk] of table) {
    assert.deepEqual(windowsKeyFor(c), wk);
    assert.equal(linuxCodeFromHook(wk), c, `${keyName(c)} as reported with its VK`);
    // the scan code decides, whatever VK the active layout made of the key (0xFF: none)
    assert.equal(linuxCodeFromHook({ ...wk, vk: 0xff }), c, `${keyName(c)} with VK__none_`);
    assert.equal(linuxCodeFromHook({ ...wk, vk: VK.OEM_8 }), c, `${keyName(c)} with another layout's VK`);
  }
});

test('the scan code, not the layout, names the key: QWERTZ Z/Y, AZERTY A/Q, NumLock-off numpad', () => {
  // German layout: the key left of U is VK 'Z' but scan 0x15, the Y key
  assert.equal(fromHook(0x5a, 0x15, false), 'Y');
  assert.equal(fromHook(0x59, 0x2c, false), 'Z');
  // French layout: VK 'Q' on scan 0x1E is the A key
  assert.equal(fromHook(0x51, 0x1e, false), 'A');
  // numpad 7 with NumLock off is VK_HOME, not extended: still Numpad7
  assert.equal(fromHook(VK.HOME, 0x47, false), 'Numpad7');
});

test('no two Linux codes share a (scan, extended) pair, hook aliases included', () => {
  const seen = new Map<string, string>();
  const claim = (scan: number, extended: boolean, c: number, what: string): void => {
    const k = `${scan.toString(16)}/${extended ? 'E0' : '--'}`;
    const other = seen.get(k);
    assert.equal(other, undefined, `${k}: ${what} and ${other}`);
    seen.set(k, what);
    assert.equal(linuxCodeFromHook({ vk: 0, scan, extended }), c, `${k} reads back as ${what}`);
  };
  for (const [c, wk] of windowsKeyTable()) claim(wk.scan, wk.extended, c, keyName(c));
  for (const [scan, extended, c, why] of hookAliases()) claim(scan, extended, c, `${keyName(c)} (${why})`);
});

test('every key of our table has an entry, except mouse buttons and a listed few', () => {
  const mapped = new Set(windowsKeyTable().map(([c]) => c));
  const missing = KEYS.filter((k) => k.group !== 'mouse' && !mapped.has(k.code)).map((k) => k.name);
  assert.deepEqual(
    missing.sort(),
    ['Execute', 'Find', 'Redo', 'Select', 'ZenkakuHankakuKey'],
    'keys without a Windows entry',
  );
  assert.deepEqual(
    Object.keys(UNMAPPED_KEYS)
      .map((c) => keyName(Number(c)))
      .sort(),
    missing.sort(),
    'UNMAPPED_KEYS lists exactly those, with a reason each',
  );
  // and nothing in the Windows table that our key table does not know
  const known = new Set(KEYS.map((k) => k.code));
  for (const c of mapped) assert.ok(known.has(c), `Code${c} is not in src/core/keys.ts`);
  for (const k of KEYS.filter((key) => key.group === 'mouse')) assert.equal(windowsKeyFor(k.code), null);
  assert.equal(windowsKeyFor(0x2ff), null, 'a Linux-only code');
});

test('for Linux codes up to KEY_F12 (88) the set-1 scan code is the Linux code', () => {
  for (const [c, wk] of windowsKeyTable()) if (c <= 88) assert.equal(wk.scan, c, keyName(c));
});

test('navigation cluster vs numpad: same scan code, told apart by the extended flag', () => {
  const pairs: [string, string, number][] = [
    ['Insert', 'Numpad0', 0x52],
    ['Delete', 'NumpadDecimal', 0x53],
    ['Home', 'Numpad7', 0x47],
    ['End', 'Numpad1', 0x4f],
    ['PageUp', 'Numpad9', 0x49],
    ['PageDown', 'Numpad3', 0x51],
    ['Left', 'Numpad4', 0x4b],
    ['Right', 'Numpad6', 0x4d],
    ['Up', 'Numpad8', 0x48],
    ['Down', 'Numpad2', 0x50],
    ['NumpadEnter', 'Enter', 0x1c],
    ['NumpadDivide', 'Slash', 0x35],
    ['RCtrl', 'LCtrl', 0x1d],
    ['RAlt', 'LAlt', 0x38],
    ['PrintScreen', 'NumpadMultiply', 0x37],
    ['NumLock', 'Pause', 0x45],
  ];
  for (const [extendedName, plainName, scan] of pairs) {
    assert.deepEqual(windowsKeyFor(code(extendedName)), {
      ...windowsKeyFor(code(extendedName))!,
      scan,
      extended: true,
    });
    assert.deepEqual(windowsKeyFor(code(plainName)), {
      ...windowsKeyFor(code(plainName))!,
      scan,
      extended: false,
    });
    assert.equal(fromHook(0xff, scan, true), extendedName);
    assert.equal(fromHook(0xff, scan, false), plainName);
  }
  assert.deepEqual(windowsKeyFor(code('NumpadEnter')), { vk: VK.RETURN, scan: 0x1c, extended: true });
  assert.deepEqual(windowsKeyFor(code('NumpadDivide')), { vk: VK.DIVIDE, scan: 0x35, extended: true });
});

test('Pause, NumLock, Break, PrintScreen and SysRq as a low-level hook reports them', () => {
  // Pause: E1 1D 45 → VK_PAUSE, scan 0x45, not extended
  assert.deepEqual(windowsKeyFor(code('Pause')), { vk: VK.PAUSE, scan: 0x45, extended: false });
  assert.equal(fromHook(VK.PAUSE, 0x45, false), 'Pause');
  // NumLock: scan 0x45, extended (KBDEXT in the layout)
  assert.deepEqual(windowsKeyFor(code('NumLock')), { vk: VK.NUMLOCK, scan: 0x45, extended: true });
  assert.equal(fromHook(VK.NUMLOCK, 0x45, true), 'NumLock');
  // Ctrl+Pause: VK_CANCEL, scan 0x46 extended — the Pause key; 0x46 plain is ScrollLock
  assert.equal(fromHook(VK.CANCEL, 0x46, true), 'Pause');
  assert.equal(fromHook(VK.SCROLL, 0x46, false), 'ScrollLock');
  // PrintScreen: 0x37 extended; Alt+PrintScreen (SysRq): 0x54
  assert.deepEqual(windowsKeyFor(code('PrintScreen')), { vk: VK.SNAPSHOT, scan: 0x37, extended: true });
  assert.equal(fromHook(VK.SNAPSHOT, 0x54, false), 'PrintScreen');
  assert.equal(fromHook(VK.MULTIPLY, 0x37, false), 'NumpadMultiply');
});

test('modifiers: left and right, Windows keys, and Right Shift as Wine reports it', () => {
  const expected: [string, number, number, boolean][] = [
    ['LShift', VK.LSHIFT, 0x2a, false],
    ['RShift', VK.RSHIFT, 0x36, false],
    ['LCtrl', VK.LCONTROL, 0x1d, false],
    ['RCtrl', VK.RCONTROL, 0x1d, true],
    ['LAlt', VK.LMENU, 0x38, false],
    ['RAlt', VK.RMENU, 0x38, true],
    ['LMeta', VK.LWIN, 0x5b, true],
    ['RMeta', VK.RWIN, 0x5c, true],
  ];
  for (const [name, vk, scan, extended] of expected)
    assert.deepEqual(windowsKeyFor(code(name)), { vk, scan, extended }, name);
  // Wine's X11 driver sends Shift_R as scan 0x136
  assert.equal(fromHook(VK.RSHIFT, 0x36, true), 'RShift');
  // AltGr's synthesized Left Ctrl (0x21D): its low byte is Left Ctrl; hook-logic decides its fate
  assert.equal(fromHook(VK.LCONTROL, 0x21d, false), 'LCtrl');
});

test('punctuation, ISO, JIS and Korean keys', () => {
  const expected: [string, number, number, boolean][] = [
    ['Semicolon', VK.OEM_1, 0x27, false],
    ['Equal', VK.OEM_PLUS, 0x0d, false],
    ['Comma', VK.OEM_COMMA, 0x33, false],
    ['Minus', VK.OEM_MINUS, 0x0c, false],
    ['Period', VK.OEM_PERIOD, 0x34, false],
    ['Slash', VK.OEM_2, 0x35, false],
    ['Grave', VK.OEM_3, 0x29, false],
    ['LeftBracket', VK.OEM_4, 0x1a, false],
    ['Backslash', VK.OEM_5, 0x2b, false],
    ['RightBracket', VK.OEM_6, 0x1b, false],
    ['Quote', VK.OEM_7, 0x28, false],
    ['Iso102nd', VK.OEM_102, 0x56, false],
    ['Henkan', VK.CONVERT, 0x79, false],
    ['Muhenkan', VK.NONCONVERT, 0x7b, false],
    ['KatakanaHiragana', VK.DBE_HIRAGANA, 0x70, false],
    ['Yen', 0, 0x7d, false],
    ['Ro', VK.ABNT_C1, 0x73, false],
    ['Hangeul', VK.HANGUL, 0x72, false],
    ['Hanja', VK.HANJA, 0x71, false],
  ];
  for (const [name, vk, scan, extended] of expected)
    assert.deepEqual(windowsKeyFor(code(name)), { vk, scan, extended }, name);
  // 半角/全角 on a JIS keyboard is the Grave key; the names resolve to it in our table too
  assert.equal(fromHook(0xf3, 0x29, false), 'Grave');
  assert.equal(code('Zenkaku'), code('Grave'));
  // F24 owns 0x76 (Lang5 shares it)
  assert.equal(fromHook(0x87, 0x76, false), 'F24');
});

test('media, browser and launch keys are extended with their VK_* codes', () => {
  const expected: [string, number, number][] = [
    ['Mute', VK.VOLUME_MUTE, 0x20],
    ['VolumeDown', VK.VOLUME_DOWN, 0x2e],
    ['VolumeUp', VK.VOLUME_UP, 0x30],
    ['MediaNext', VK.MEDIA_NEXT_TRACK, 0x19],
    ['MediaPrevious', VK.MEDIA_PREV_TRACK, 0x10],
    ['MediaStop', VK.MEDIA_STOP, 0x24],
    ['MediaPlayPause', VK.MEDIA_PLAY_PAUSE, 0x22],
    ['BrowserBack', VK.BROWSER_BACK, 0x6a],
    ['BrowserForward', VK.BROWSER_FORWARD, 0x69],
    ['BrowserRefresh', VK.BROWSER_REFRESH, 0x67],
    ['BrowserStop', VK.BROWSER_STOP, 0x68],
    ['BrowserSearch', VK.BROWSER_SEARCH, 0x65],
    ['BrowserFavorites', VK.BROWSER_FAVORITES, 0x66],
    ['BrowserHome', VK.BROWSER_HOME, 0x32],
    ['AppMail', VK.LAUNCH_MAIL, 0x6c],
    ['AppMyComputer', VK.LAUNCH_APP1, 0x6b],
    ['AppCalculator', VK.LAUNCH_APP2, 0x21],
    ['Menu', VK.APPS, 0x5d],
    ['Sleep', VK.SLEEP, 0x5f],
  ];
  for (const [name, vk, scan] of expected)
    assert.deepEqual(windowsKeyFor(code(name)), { vk, scan, extended: true }, name);
  // the function keys beyond F12: 0x64–0x6E, VK_F13…
  assert.deepEqual(windowsKeyFor(code('F13')), { vk: 0x7c, scan: 0x64, extended: false });
  assert.deepEqual(windowsKeyFor(code('F23')), { vk: 0x86, scan: 0x6e, extended: false });
  assert.deepEqual(windowsKeyFor(code('F24')), { vk: 0x87, scan: 0x76, extended: false });
});

test('VK fallback (scan code 0): every VK of the table names its key, the extended flag where it tells', () => {
  const rows = windowsKeyTable().filter(([, wk]) => wk.vk !== 0);
  const pairs = new Set<string>();
  for (const [c, wk] of rows) {
    const k = `${wk.vk}/${wk.extended}`;
    assert.ok(!pairs.has(k), `two keys with VK 0x${wk.vk.toString(16)}, extended ${wk.extended}`);
    pairs.add(k);
    assert.equal(linuxCodeFromHook({ vk: wk.vk, scan: 0, extended: wk.extended }), c, keyName(c));
  }
  // a VK injected without the flag still names the key (VK_HOME is Home, not Numpad7)
  assert.equal(fromHook(VK.HOME, 0, false), 'Home');
  assert.equal(fromHook(VK.RCONTROL, 0, false), 'RCtrl');
  // VK_RETURN: Enter, or NumpadEnter with the flag
  assert.equal(fromHook(VK.RETURN, 0, false), 'Enter');
  assert.equal(fromHook(VK.RETURN, 0, true), 'NumpadEnter');
  // generic modifiers
  assert.equal(fromHook(VK.SHIFT, 0, false), 'LShift');
  assert.equal(fromHook(VK.CONTROL, 0, false), 'LCtrl');
  assert.equal(fromHook(VK.CONTROL, 0, true), 'RCtrl');
  assert.equal(fromHook(VK.MENU, 0, false), 'LAlt');
  assert.equal(fromHook(VK.MENU, 0, true), 'RAlt');
  assert.equal(fromHook(VK.CANCEL, 0, false), 'Pause');
  assert.equal(fromHook(VK.CLEAR, 0, false), 'Numpad5');
  assert.equal(fromHook(VK.OEM_8, 0, false), 'Grave');
  // nothing to go by
  assert.equal(fromHook(0, 0, false), null);
  assert.equal(fromHook(VK.PACKET, 0, false), null);
  assert.equal(fromHook(0xe8, 0, false), null, 'an unassigned VK');
});

test('an unknown scan code is not guessed from its VK', () => {
  // a "fake shift" without the synthesized bit, an OEM scan code, the Lang5 position
  assert.equal(fromHook(VK.LSHIFT, 0x2a, true), null);
  assert.equal(fromHook(0xe6, 0x5a, false), null);
  assert.equal(fromHook(0x41, 0x7f, false), null, 'VK A on a scan code we do not know');
  assert.equal(fromHook(VK.SNAPSHOT, 0x54, true), null);
});
