/** What is printed on a physical keycap: short enough for a small key, readable to people. */
import type { LayoutId } from './KeyboardView.tsx';

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
};

/** Keycap legend of a physical key; the JIS board prints 半/全 on the Grave position. */
export function keyLegend(key: string, layout: LayoutId): string {
  if (layout === 'jis' && key === 'Grave') return '半/全';
  const digit = /^Num(\d)$/.exec(key);
  if (digit) return digit[1];
  const numpad = /^Numpad(\d)$/.exec(key);
  if (numpad) return `Pad ${numpad[1]}`;
  return LEGENDS[key] ?? key;
}
