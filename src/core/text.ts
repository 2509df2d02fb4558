/**
 * Typing text: which key (and whether Shift) gives each character on a US layout, and how
 * other characters go through the unicode entry. Used by `text()` macro steps and `unicode()`.
 */
import type { UnicodeEntry } from './config.ts';
import { MODIFIER_KEY_CODES, resolveKey } from './keys.ts';

export interface Keystroke {
  code: number;
  shift: boolean;
}

const UNSHIFTED = "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./";
const SHIFTED = '~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:"ZXCVBNM<>?';
const KEY_NAMES = (
  'Grave Num1 Num2 Num3 Num4 Num5 Num6 Num7 Num8 Num9 Num0 Minus Equal ' +
  'Q W E R T Y U I O P LeftBracket RightBracket Backslash ' +
  'A S D F G H J K L Semicolon Quote ' +
  'Z X C V B N M Comma Period Slash'
).split(' ');

const US = new Map<string, Keystroke>();
for (let i = 0; i < UNSHIFTED.length; i++) {
  const code = resolveKey(KEY_NAMES[i]);
  US.set(UNSHIFTED[i], { code, shift: false });
  US.set(SHIFTED[i], { code, shift: true });
}
US.set(' ', { code: resolveKey('Space'), shift: false });
US.set('\n', { code: resolveKey('Enter'), shift: false });
US.set('\t', { code: resolveKey('Tab'), shift: false });

/** The keystroke for a character on a US layout, or undefined (type it through the unicode entry). */
export function usKeystroke(ch: string): Keystroke | undefined {
  return US.get(ch);
}

/** A character no method can type (other control characters), for error messages; else null. */
export function untypable(text: string): string | null {
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (US.has(ch)) continue;
    if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0))
      return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    if (cp >= 0xd800 && cp <= 0xdfff) return 'a lone surrogate';
  }
  return null;
}

/** One output step of typed text: press or release a key. */
export interface KeyStep {
  press: boolean;
  code: number;
}

/** Keys that type `text`: US keystrokes, everything else through `entry`. Every press is released. */
export function textSteps(text: string, entry: UnicodeEntry): KeyStep[] {
  const steps: KeyStep[] = [];
  const tap = (code: number): void => {
    steps.push({ press: true, code }, { press: false, code });
  };
  const shift = MODIFIER_KEY_CODES.LShift;
  const start = entry.start.map(resolveKey);
  const end = resolveKey(entry.end);
  for (const ch of text) {
    const stroke = US.get(ch);
    if (stroke) {
      if (stroke.shift) steps.push({ press: true, code: shift });
      tap(stroke.code);
      if (stroke.shift) steps.push({ press: false, code: shift });
      continue;
    }
    // Hold the entry chord, let it go, type the code point in hex, finish.
    for (const code of start) steps.push({ press: true, code });
    for (let i = start.length - 1; i >= 0; i--) steps.push({ press: false, code: start[i] });
    // hex digits are lowercase: their US keystrokes need no Shift
    for (const digit of ch.codePointAt(0)!.toString(16)) tap(US.get(digit)!.code);
    tap(end);
  }
  return steps;
}
