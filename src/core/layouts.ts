/**
 * Physical keyboard layouts for keyboard views (CLI `view`, web UI): rows of keys with
 * widths in key units. Key names are canonical key-table names; `null` is a gap.
 */
export interface LayoutKey {
  key: string | null;
  /** width in key units (1 = a letter key) */
  w: number;
}
export interface KeyboardLayout {
  id: 'ansi' | 'iso' | 'jis';
  name: string;
  rows: LayoutKey[][];
}

const k = (key: string | null, w = 1): LayoutKey => ({ key, w });
const keys = (names: string): LayoutKey[] => names.split(' ').map((n) => k(n));

const FUNCTION_ROW = [
  k('Escape'),
  k(null, 1),
  ...keys('F1 F2 F3 F4'),
  k(null, 0.5),
  ...keys('F5 F6 F7 F8'),
  k(null, 0.5),
  ...keys('F9 F10 F11 F12'),
];
const NAV = {
  top: keys('PrintScreen ScrollLock Pause'),
  r1: keys('Insert Home PageUp'),
  r2: keys('Delete End PageDown'),
  r3: [k(null, 3)],
  r4: [k(null), k('Up'), k(null)],
  r5: keys('Left Down Right'),
};
const GAP = k(null, 0.5);

function withNav(rows: LayoutKey[][]): LayoutKey[][] {
  const nav = [NAV.top, NAV.r1, NAV.r2, NAV.r3, NAV.r4, NAV.r5];
  return rows.map((row, i) => [...row, GAP, ...nav[i]]);
}

// ANSI and ISO share these rows
const NUMBER_ROW = [
  ...keys('Grave Num1 Num2 Num3 Num4 Num5 Num6 Num7 Num8 Num9 Num0 Minus Equal'),
  k('Backspace', 2),
];
const BOTTOM_ROW = [
  k('LCtrl', 1.25),
  k('LMeta', 1.25),
  k('LAlt', 1.25),
  k('Space', 6.25),
  k('RAlt', 1.25),
  k('RMeta', 1.25),
  k('Menu', 1.25),
  k('RCtrl', 1.25),
];

export const LAYOUTS: Record<KeyboardLayout['id'], KeyboardLayout> = {
  ansi: {
    id: 'ansi',
    name: 'ANSI (US)',
    rows: withNav([
      FUNCTION_ROW,
      NUMBER_ROW,
      [k('Tab', 1.5), ...keys('Q W E R T Y U I O P LeftBracket RightBracket'), k('Backslash', 1.5)],
      [k('CapsLock', 1.75), ...keys('A S D F G H J K L Semicolon Quote'), k('Enter', 2.25)],
      [k('LShift', 2.25), ...keys('Z X C V B N M Comma Period Slash'), k('RShift', 2.75)],
      BOTTOM_ROW,
    ]),
  },
  iso: {
    id: 'iso',
    name: 'ISO (EU)',
    rows: withNav([
      FUNCTION_ROW,
      NUMBER_ROW,
      [k('Tab', 1.5), ...keys('Q W E R T Y U I O P LeftBracket RightBracket'), k('Enter', 1.5)],
      [k('CapsLock', 1.75), ...keys('A S D F G H J K L Semicolon Quote Backslash'), k(null, 1.25)],
      [k('LShift', 1.25), ...keys('Iso102nd Z X C V B N M Comma Period Slash'), k('RShift', 2.75)],
      BOTTOM_ROW,
    ]),
  },
  jis: {
    id: 'jis',
    name: 'JIS (Japanese)',
    rows: withNav([
      FUNCTION_ROW,
      [...keys('Grave Num1 Num2 Num3 Num4 Num5 Num6 Num7 Num8 Num9 Num0 Minus Equal Yen Backspace')],
      [k('Tab', 1.5), ...keys('Q W E R T Y U I O P LeftBracket RightBracket'), k('Enter', 1.5)],
      [k('CapsLock', 1.75), ...keys('A S D F G H J K L Semicolon Quote Backslash'), k(null, 1.25)],
      [k('LShift', 2.25), ...keys('Z X C V B N M Comma Period Slash Ro'), k('RShift', 1.75)],
      [
        k('LCtrl', 1.25),
        k('LMeta', 1.25),
        k('LAlt', 1.25),
        k('Muhenkan', 1.25),
        k('Space', 3.5),
        k('Henkan', 1.25),
        k('KatakanaHiragana', 1.25),
        k('RAlt', 1.25),
        k('RCtrl', 1.25),
      ],
    ]),
  },
};
