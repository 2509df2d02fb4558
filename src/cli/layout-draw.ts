/**
 * A keyboard layout drawn in the terminal with box-drawing characters (or plain ASCII): every key
 * a box at its place, labelled with its key name when that fits, else with a shorter spelling the
 * key table accepts (`SCLN` for Semicolon), else with an abbreviation listed under the drawing.
 * One key unit is COLS columns and ROWS lines, so a full-size board is about 113 columns wide.
 */
import type { Layout } from '../core/index.ts';
import { keyByName, layoutRows } from '../core/index.ts';

const COLS = 5;
const ROWS = 2;

const UP = 1;
const DOWN = 2;
const LEFT = 4;
const RIGHT = 8;

const BOX: Readonly<Record<number, string>> = {
  [LEFT | RIGHT]: '─',
  [LEFT]: '─',
  [RIGHT]: '─',
  [UP | DOWN]: '│',
  [UP]: '│',
  [DOWN]: '│',
  [DOWN | RIGHT]: '┌',
  [DOWN | LEFT]: '┐',
  [UP | RIGHT]: '└',
  [UP | LEFT]: '┘',
  [UP | DOWN | RIGHT]: '├',
  [UP | DOWN | LEFT]: '┤',
  [DOWN | LEFT | RIGHT]: '┬',
  [UP | LEFT | RIGHT]: '┴',
  [UP | DOWN | LEFT | RIGHT]: '┼',
};

function ascii(mask: number): string {
  if (mask === (LEFT | RIGHT) || mask === LEFT || mask === RIGHT) return '-';
  if (mask === (UP | DOWN) || mask === UP || mask === DOWN) return '|';
  return '+';
}

/** Short labels for keys whose names and spellings are all too long for their cap. */
const ABBREVIATIONS: Readonly<Record<string, string>> = {
  NumpadDivide: 'P/',
  NumpadMultiply: 'P*',
  NumpadSubtract: 'P-',
  NumpadAdd: 'P+',
  NumpadEnter: 'PEnt',
  NumpadDecimal: 'P.',
  Iso102nd: 'ISO',
  Muhenkan: 'Mhen',
  Henkan: 'Henk',
  KatakanaHiragana: 'Kana',
  Hangeul: 'Han',
  MediaPlayPause: 'Play',
};

/** One character cell per code unit: only ASCII spellings are used as labels. */
const isAscii = (s: string): boolean => /^[\x20-\x7e]+$/.test(s);

/** The label of a key in `width` columns, and whether it is an abbreviation (not a key name). */
export function keyLabel(name: string, width: number): { text: string; abbreviated: boolean } {
  if (name.length <= width) return { text: name, abbreviated: false };
  const spellings = (keyByName(name)?.aliases ?? [])
    .filter((a) => a !== name && isAscii(a) && a.length <= width)
    .sort((a, b) => b.length - a.length);
  if (spellings.length > 0) return { text: spellings[0], abbreviated: false };
  const digit = /^Numpad(\d)$/.exec(name);
  const short = digit ? `P${digit[1]}` : ABBREVIATIONS[name];
  if (short !== undefined && short.length <= width) return { text: short, abbreviated: true };
  return { text: width >= 2 ? `${name.slice(0, width - 1)}…` : name.slice(0, width), abbreviated: true };
}

/** The drawing, lines joined with "\n"; then a line naming the abbreviated keys, if any. */
export function drawLayout(layout: Pick<Layout, 'keys'>, opts: { ascii?: boolean } = {}): string {
  const boxes = layoutRows(layout.keys)
    .flat()
    .map((k) => ({
      key: k.key,
      c0: Math.round(k.x * COLS),
      c1: Math.round((k.x + k.w) * COLS),
      r0: Math.round(k.y * ROWS),
      r1: Math.round((k.y + k.h) * ROWS),
    }));
  const width = Math.max(0, ...boxes.map((b) => b.c1)) + 1;
  const height = Math.max(0, ...boxes.map((b) => b.r1)) + 1;
  const masks = Array.from({ length: height }, () => new Uint8Array(width));
  const text: string[][] = Array.from({ length: height }, () => new Array<string>(width).fill(' '));
  for (const b of boxes) {
    for (let c = b.c0; c <= b.c1; c++)
      for (const r of [b.r0, b.r1]) masks[r][c] |= (c < b.c1 ? RIGHT : 0) | (c > b.c0 ? LEFT : 0);
    for (let r = b.r0; r <= b.r1; r++)
      for (const c of [b.c0, b.c1]) masks[r][c] |= (r < b.r1 ? DOWN : 0) | (r > b.r0 ? UP : 0);
  }
  const abbreviated: string[] = [];
  for (const b of boxes) {
    const room = b.c1 - b.c0 - 1;
    if (room <= 0 || b.r1 - b.r0 < 2) continue;
    const label = keyLabel(b.key, room);
    if (label.abbreviated)
      abbreviated.push(/^P\d$/.test(label.text) ? 'P<n>=Numpad<n>' : `${label.text}=${b.key}`);
    const row = b.r0 + Math.floor((b.r1 - b.r0) / 2);
    const start = b.c0 + 1 + Math.floor((room - label.text.length) / 2);
    [...label.text].forEach((ch, i) => (text[row][start + i] = ch));
  }
  const lines = masks.map((line, r) =>
    [...line]
      .map((mask, c) => (mask === 0 ? text[r][c] : opts.ascii ? ascii(mask) : BOX[mask]))
      .join('')
      .trimEnd(),
  );
  if (abbreviated.length > 0) lines.push('', `abbreviated: ${[...new Set(abbreviated)].join(', ')}`);
  return lines.join('\n');
}
