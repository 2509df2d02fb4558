/**
 * The simulator's output as the characters a US layout would type: a quick way to read
 * "what did that produce" without decoding key events. Shortcuts (Ctrl, Alt, Meta held)
 * type nothing; Backspace deletes.
 */
import type { OutputEvent } from '../../../src/core/index.ts';
import { keyName, MODIFIER_KEY_CODES } from '../../../src/core/index.ts';

const PLAIN_SHIFTED: Readonly<Record<string, [string, string]>> = {
  Num1: ['1', '!'],
  Num2: ['2', '@'],
  Num3: ['3', '#'],
  Num4: ['4', '$'],
  Num5: ['5', '%'],
  Num6: ['6', '^'],
  Num7: ['7', '&'],
  Num8: ['8', '*'],
  Num9: ['9', '('],
  Num0: ['0', ')'],
  Grave: ['`', '~'],
  Minus: ['-', '_'],
  Equal: ['=', '+'],
  LeftBracket: ['[', '{'],
  RightBracket: [']', '}'],
  Backslash: ['\\', '|'],
  Semicolon: [';', ':'],
  Quote: ["'", '"'],
  Comma: [',', '<'],
  Period: ['.', '>'],
  Slash: ['/', '?'],
  Iso102nd: ['\\', '|'],
  Space: [' ', ' '],
  Enter: ['\n', '\n'],
  NumpadEnter: ['\n', '\n'],
  Tab: ['\t', '\t'],
  NumpadDivide: ['/', '/'],
  NumpadMultiply: ['*', '*'],
  NumpadSubtract: ['-', '-'],
  NumpadAdd: ['+', '+'],
  NumpadDecimal: ['.', '.'],
};

const SHIFTS: readonly number[] = [MODIFIER_KEY_CODES.LShift, MODIFIER_KEY_CODES.RShift];
const SHORTCUT_MODIFIERS: readonly number[] = [
  MODIFIER_KEY_CODES.LCtrl,
  MODIFIER_KEY_CODES.RCtrl,
  MODIFIER_KEY_CODES.LAlt,
  MODIFIER_KEY_CODES.RAlt,
  MODIFIER_KEY_CODES.LMeta,
  MODIFIER_KEY_CODES.RMeta,
];
const MAX_TEXT = 2000;

function character(name: string, shift: boolean): string | null {
  if (/^[A-Z]$/.test(name)) return shift ? name : name.toLowerCase();
  const numpad = /^Numpad(\d)$/.exec(name);
  if (numpad) return numpad[1];
  const pair = PLAIN_SHIFTED[name];
  return pair ? pair[shift ? 1 : 0] : null;
}

export class TypedText {
  private readonly down = new Set<number>();
  text = '';

  feed(events: readonly OutputEvent[]): void {
    for (const e of events) {
      if (e.action === 'move') continue; // pointer motion types nothing
      if (e.action === 'release') {
        this.down.delete(e.key);
        continue;
      }
      this.down.add(e.key);
      if (SHORTCUT_MODIFIERS.some((m) => this.down.has(m))) continue;
      const name = keyName(e.key);
      if (name === 'Backspace') this.text = this.text.slice(0, -1);
      else {
        const ch = character(
          name,
          SHIFTS.some((m) => this.down.has(m)),
        );
        if (ch !== null) this.text = (this.text + ch).slice(-MAX_TEXT);
      }
    }
  }

  clear(): void {
    this.text = '';
  }
}
