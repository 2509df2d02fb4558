/** What is printed on a physical keycap: short enough for a small key, readable to people. */
import type { Layout } from '../../../src/core/index.ts';
import { canonicalLayoutId, keyByName } from '../../../src/core/index.ts';

const LEGENDS: Readonly<Record<string, string>> = {
  Escape: 'Esc',
  Grave: '`',
  Minus: '-',
  Equal: '=',
  Backspace: 'Bksp',
  Tab: 'Tab',
  LeftBracket: '[',
  RightBracket: ']',
  Backslash: '\\',
  CapsLock: 'Caps',
  Semicolon: ';',
  Quote: "'",
  Enter: 'Enter',
  LShift: 'Shift',
  RShift: 'Shift',
  Comma: ',',
  Period: '.',
  Slash: '/',
  LCtrl: 'Ctrl',
  RCtrl: 'Ctrl',
  LMeta: 'Meta',
  RMeta: 'Meta',
  LAlt: 'Alt',
  RAlt: 'AltGr',
  Space: 'Space',
  Menu: 'Menu',
  PrintScreen: 'PrtSc',
  ScrollLock: 'ScrLk',
  Pause: 'Pause',
  Insert: 'Ins',
  Home: 'Home',
  PageUp: 'PgUp',
  Delete: 'Del',
  End: 'End',
  PageDown: 'PgDn',
  Up: '↑',
  Down: '↓',
  Left: '←',
  Right: '→',
  Iso102nd: '<>',
  Yen: '¥',
  Ro: 'ろ',
  Muhenkan: '無変換',
  Henkan: '変換',
  KatakanaHiragana: 'かな',
  NumLock: 'NumLk',
  NumpadDivide: 'Pad /',
  NumpadMultiply: 'Pad *',
  NumpadSubtract: 'Pad -',
  NumpadAdd: 'Pad +',
  NumpadEnter: 'Pad ↵',
  NumpadDecimal: 'Pad .',
};

const japanese = new WeakMap<object, boolean>();

/** A JIS board: the built-in JIS layout, or any layout with a Japanese-only key (¥, ろ, 変換 …). */
function isJis(layout: string | Pick<Layout, 'keys'>): boolean {
  if (typeof layout === 'string') return canonicalLayoutId(layout) === 'jis-109';
  let known = japanese.get(layout);
  if (known === undefined) {
    known = layout.keys.some((k) => keyByName(k.key)?.group === 'japanese');
    japanese.set(layout, known);
  }
  return known;
}

/** Keycap legend of a physical key; a JIS board prints 半/全 on the Grave position. */
export function keyLegend(key: string, layout: string | Pick<Layout, 'keys'>): string {
  if (key === 'Grave' && isJis(layout)) return '半/全';
  const digit = /^Num(\d)$/.exec(key);
  if (digit) return digit[1];
  const numpad = /^Numpad(\d)$/.exec(key);
  if (numpad) return `Pad ${numpad[1]}`;
  return LEGENDS[key] ?? key;
}
