/**
 * Physical keyboard layouts for keyboard views (CLI `view` and `layouts show`, the web UI, device
 * settings): every key with an absolute position and size in key units (1 = a letter key), top
 * left at (0, 0). Only real keys are listed: gaps are simply where no key is, and keys a
 * keyboard's firmware handles itself (Fn) are left out, because keyrx never sees them.
 *
 * Key names are canonical key-table names (keys.ts). Built-in layouts have fixed ids; custom
 * layouts (imported, or KLE JSON through kle.ts) are checked by validateLayout() and stored by the
 * daemon (src/daemon/layout-store.ts). The ids `ansi`, `iso` and `jis` of the first three layouts
 * are aliases of `ansi-104`, `iso-105` and `jis-109` wherever an id is accepted.
 *
 * Pure: no I/O, runs in the browser too.
 */
import { closestNames, keyByName, KEYS } from './keys.ts';

export interface LayoutKey {
  /** canonical key name */
  key: string;
  /** left edge, key units from the left of the board */
  x: number;
  /** top edge, key units from the top of the board */
  y: number;
  /** width in key units (1 = a letter key) */
  w: number;
  /** height in key units (2 = numpad Enter, ISO Enter) */
  h: number;
}

export interface Layout {
  id: string;
  name: string;
  description?: string;
  keys: LayoutKey[];
  builtIn: boolean;
}

/** Most keys a layout may have (a full-size board has 104–109). */
export const MAX_LAYOUT_KEYS = 256;
export const MAX_LAYOUT_NAME = 64;
export const MAX_LAYOUT_DESCRIPTION = 500;
/** Largest coordinate and size, in key units: room for any real board, no absurd drawings. */
export const MAX_LAYOUT_EXTENT = 64;
export const MAX_KEY_SIZE = 16;

// ---------------------------------------------------------------- building blocks

/** A row item: a key name (1 unit), a key with its width, or a gap of this many units. */
type Item = string | [name: string, w: number] | number;

/** The keys of one row starting at (x, y), left to right. */
function row(y: number, x: number, items: Item[]): LayoutKey[] {
  const out: LayoutKey[] = [];
  for (const item of items) {
    if (typeof item === 'number') {
      x += item;
      continue;
    }
    const [key, w] = typeof item === 'string' ? [item, 1] : item;
    out.push({ key, x, y, w, h: 1 });
    x += w;
  }
  return out;
}

const key = (name: string, x: number, y: number, w = 1, h = 1): LayoutKey => ({ key: name, x, y, w, h });
const names = (text: string): string[] => text.split(' ');
const moved = (keys: LayoutKey[], dx: number, dy: number): LayoutKey[] =>
  keys.map((k) => ({ ...k, x: k.x + dx, y: k.y + dy }));

const F_ROW: Item[] = [
  'Escape',
  1,
  ...names('F1 F2 F3 F4'),
  0.5,
  ...names('F5 F6 F7 F8'),
  0.5,
  ...names('F9 F10 F11 F12'),
];
const DIGITS = names('Num1 Num2 Num3 Num4 Num5 Num6 Num7 Num8 Num9 Num0');
const TOP_LETTERS = names('Q W E R T Y U I O P');
const HOME_LETTERS = names('A S D F G H J K L');
const BOTTOM_LETTERS = names('Z X C V B N M Comma Period Slash');

/** The full-size function row and the 87/88-key navigation cluster and arrows (rows at y 0, 1.5 … 5.5). */
function navCluster(): LayoutKey[] {
  return [
    ...row(0, 15.25, names('PrintScreen ScrollLock Pause')),
    ...row(1.5, 15.25, names('Insert Home PageUp')),
    ...row(2.5, 15.25, names('Delete End PageDown')),
    key('Up', 16.25, 4.5),
    ...row(5.5, 15.25, names('Left Down Right')),
  ];
}

/** The 17-key numeric keypad with its top-left corner (Num Lock) at (x, y). */
function numpad(x: number, y: number): LayoutKey[] {
  return [
    ...row(y, x, names('NumLock NumpadDivide NumpadMultiply NumpadSubtract')),
    ...row(y + 1, x, names('Numpad7 Numpad8 Numpad9')),
    key('NumpadAdd', x + 3, y + 1, 1, 2),
    ...row(y + 2, x, names('Numpad4 Numpad5 Numpad6')),
    ...row(y + 3, x, names('Numpad1 Numpad2 Numpad3')),
    key('NumpadEnter', x + 3, y + 3, 1, 2),
    ...row(y + 4, x, [['Numpad0', 2], 'NumpadDecimal']),
  ];
}

const ANSI_BOTTOM: Item[] = [
  ['LCtrl', 1.25],
  ['LMeta', 1.25],
  ['LAlt', 1.25],
  ['Space', 6.25],
  ['RAlt', 1.25],
  ['RMeta', 1.25],
  ['Menu', 1.25],
  ['RCtrl', 1.25],
];

/** The ANSI alphanumeric block, 15 units wide, its number row at y. */
function ansiMain(y: number, first: Item = 'Grave'): LayoutKey[] {
  return [
    ...row(y, 0, [first, ...DIGITS, 'Minus', 'Equal', ['Backspace', 2]]),
    ...row(y + 1, 0, [['Tab', 1.5], ...TOP_LETTERS, 'LeftBracket', 'RightBracket', ['Backslash', 1.5]]),
    ...row(y + 2, 0, [['CapsLock', 1.75], ...HOME_LETTERS, 'Semicolon', 'Quote', ['Enter', 2.25]]),
    ...row(y + 3, 0, [['LShift', 2.25], ...BOTTOM_LETTERS, ['RShift', 2.75]]),
    ...row(y + 4, 0, ANSI_BOTTOM),
  ];
}

/** The ISO alphanumeric block: tall Enter, the key left of it (Backslash) and the 102nd key. */
function isoMain(y: number): LayoutKey[] {
  return [
    ...row(y, 0, ['Grave', ...DIGITS, 'Minus', 'Equal', ['Backspace', 2]]),
    ...row(y + 1, 0, [['Tab', 1.5], ...TOP_LETTERS, 'LeftBracket', 'RightBracket']),
    key('Enter', 13.75, y + 1, 1.25, 2),
    ...row(y + 2, 0, [['CapsLock', 1.75], ...HOME_LETTERS, 'Semicolon', 'Quote', 'Backslash']),
    ...row(y + 3, 0, [['LShift', 1.25], 'Iso102nd', ...BOTTOM_LETTERS, ['RShift', 2.75]]),
    ...row(y + 4, 0, ANSI_BOTTOM),
  ];
}

function jisMain(y: number): LayoutKey[] {
  return [
    ...row(y, 0, ['Grave', ...DIGITS, 'Minus', 'Equal', 'Yen', 'Backspace']),
    ...row(y + 1, 0, [['Tab', 1.5], ...TOP_LETTERS, 'LeftBracket', 'RightBracket']),
    key('Enter', 13.75, y + 1, 1.25, 2),
    ...row(y + 2, 0, [['CapsLock', 1.75], ...HOME_LETTERS, 'Semicolon', 'Quote', 'Backslash']),
    ...row(y + 3, 0, [['LShift', 2.25], ...BOTTOM_LETTERS, 'Ro', ['RShift', 1.75]]),
    ...row(y + 4, 0, [
      ['LCtrl', 1.5],
      'LMeta',
      ['LAlt', 1.5],
      'Muhenkan',
      ['Space', 3],
      'Henkan',
      'KatakanaHiragana',
      ['RAlt', 1.5],
      'RMeta',
      'Menu',
      ['RCtrl', 1.5],
    ]),
  ];
}

/** Bottom row of the 65 % and 75 % boards: three modifiers right of the space bar, then the arrows. */
const COMPACT_BOTTOM: Item[] = [
  ['LCtrl', 1.25],
  ['LMeta', 1.25],
  ['LAlt', 1.25],
  ['Space', 6.25],
  'RAlt',
  'RMeta',
  'RCtrl',
  'Left',
  'Down',
  'Right',
];

/** The 65 % block (15 + 1 units wide) with its number row at y. */
function compactMain(y: number, first: string): LayoutKey[] {
  return [
    ...row(y, 0, [first, ...DIGITS, 'Minus', 'Equal', ['Backspace', 2]]),
    ...row(y + 1, 0, [['Tab', 1.5], ...TOP_LETTERS, 'LeftBracket', 'RightBracket', ['Backslash', 1.5]]),
    ...row(y + 2, 0, [['CapsLock', 1.75], ...HOME_LETTERS, 'Semicolon', 'Quote', ['Enter', 2.25]]),
    ...row(y + 3, 0, [['LShift', 2.25], ...BOTTOM_LETTERS, ['RShift', 1.75], 'Up']),
    ...row(y + 4, 0, COMPACT_BOTTOM),
  ];
}

const FULL_FN = row(0, 0, F_ROW);

function builtIn(id: string, name: string, description: string, keys: LayoutKey[]): Layout {
  return Object.freeze({
    id,
    name,
    description,
    keys: Object.freeze(keys.map((k) => Object.freeze(k))) as LayoutKey[],
    builtIn: true,
  });
}

/** KeyRx's eleven layouts, in the order the selectors show them. */
export const BUILTIN_LAYOUTS: readonly Layout[] = Object.freeze([
  builtIn('ansi-104', 'ANSI 104 (US, full size)', 'US full-size keyboard with numeric keypad', [
    ...FULL_FN,
    ...ansiMain(1.5),
    ...navCluster(),
    ...numpad(18.5, 1.5),
  ]),
  builtIn('ansi-87', 'ANSI 87 (US, TKL)', 'US tenkeyless: full size without the numeric keypad', [
    ...FULL_FN,
    ...ansiMain(1.5),
    ...navCluster(),
  ]),
  builtIn('iso-105', 'ISO 105 (EU, full size)', 'European full-size keyboard: tall Enter and a 102nd key', [
    ...FULL_FN,
    ...isoMain(1.5),
    ...navCluster(),
    ...numpad(18.5, 1.5),
  ]),
  builtIn('iso-88', 'ISO 88 (EU, TKL)', 'European tenkeyless: ISO without the numeric keypad', [
    ...FULL_FN,
    ...isoMain(1.5),
    ...navCluster(),
  ]),
  builtIn('jis-109', 'JIS 109 (Japanese)', 'Japanese full-size keyboard: ¥, ろ, 無変換, 変換 and かな keys', [
    ...FULL_FN,
    ...jisMain(1.5),
    ...navCluster(),
    ...numpad(18.5, 1.5),
  ]),
  builtIn(
    'compact-60',
    '60 %',
    'ANSI 60 %: the alphanumeric block only (layers give arrows and F-keys; Fn is the keyboard’s own)',
    ansiMain(0, 'Grave'),
  ),
  builtIn('compact-65', '65 %', 'ANSI 65 %: 60 % plus arrows and a column of navigation keys', [
    ...compactMain(0, 'Escape'),
    ...row(0, 15, ['Delete']),
    ...row(1, 15, ['PageUp']),
    ...row(2, 15, ['PageDown']),
    ...row(3, 15, ['End']),
  ]),
  builtIn('compact-75', '75 %', 'ANSI 75 %: 65 % with a function row, no gaps', [
    ...row(0, 0, ['Escape', ...names('F1 F2 F3 F4 F5 F6 F7 F8 F9 F10 F11 F12 PrintScreen Insert Delete')]),
    ...moved(compactMain(0, 'Grave'), 0, 1.25),
    ...row(1.25, 15, ['Home']),
    ...row(2.25, 15, ['PageUp']),
    ...row(3.25, 15, ['PageDown']),
    ...row(4.25, 15, ['End']),
  ]),
  builtIn(
    'compact-96',
    '96 %',
    'ANSI 96 % (1800-style): full size with the gaps closed and a 1-unit numpad 0',
    [
      ...row(0, 0, [
        'Escape',
        ...names('F1 F2 F3 F4 F5 F6 F7 F8 F9 F10 F11 F12 PrintScreen Delete Home End PageUp PageDown'),
      ]),
      ...row(1, 0, [
        'Grave',
        ...DIGITS,
        'Minus',
        'Equal',
        ['Backspace', 2],
        ...names('NumLock NumpadDivide NumpadMultiply NumpadSubtract'),
      ]),
      ...row(2, 0, [
        ['Tab', 1.5],
        ...TOP_LETTERS,
        'LeftBracket',
        'RightBracket',
        ['Backslash', 1.5],
        ...names('Numpad7 Numpad8 Numpad9'),
      ]),
      key('NumpadAdd', 18, 2, 1, 2),
      ...row(3, 0, [
        ['CapsLock', 1.75],
        ...HOME_LETTERS,
        'Semicolon',
        'Quote',
        ['Enter', 2.25],
        ...names('Numpad4 Numpad5 Numpad6'),
      ]),
      ...row(4, 0, [
        ['LShift', 2.25],
        ...BOTTOM_LETTERS,
        ['RShift', 1.75],
        'Up',
        ...names('Numpad1 Numpad2 Numpad3'),
      ]),
      key('NumpadEnter', 18, 4, 1, 2),
      ...row(5, 0, [...COMPACT_BOTTOM, 'Numpad0', 'NumpadDecimal']),
    ],
  ),
  builtIn('hhkb', 'HHKB', 'Happy Hacking Keyboard: Control where Caps Lock is, Backspace above Enter', [
    ...row(0, 0, ['Escape', ...DIGITS, 'Minus', 'Equal', 'Backslash', 'Grave']),
    ...row(1, 0, [['Tab', 1.5], ...TOP_LETTERS, 'LeftBracket', 'RightBracket', ['Backspace', 1.5]]),
    ...row(2, 0, [['LCtrl', 1.75], ...HOME_LETTERS, 'Semicolon', 'Quote', ['Enter', 2.25]]),
    ...row(3, 0, [['LShift', 2.25], ...BOTTOM_LETTERS, ['RShift', 1.75]]),
    ...row(4, 1.5, ['LAlt', ['LMeta', 1.5], ['Space', 6], ['RMeta', 1.5], 'RAlt']),
  ]),
  builtIn('numpad', 'Numpad', 'A standalone 17-key numeric keypad', numpad(0, 0)),
]);

/** Old ids (the first three layouts) and the ids they stand for. */
export const LAYOUT_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  ansi: 'ansi-104',
  iso: 'iso-105',
  jis: 'jis-109',
});

const builtInById = new Map(BUILTIN_LAYOUTS.map((l) => [l.id, l]));

/** The built-in id an old alias stands for; any other id unchanged. */
export function canonicalLayoutId(id: string): string {
  return Object.hasOwn(LAYOUT_ALIASES, id) ? LAYOUT_ALIASES[id] : id;
}

/** A built-in layout by its id or an old alias; undefined for anything else (custom ids too). */
export function layoutById(id: string): Layout | undefined {
  return builtInById.get(canonicalLayoutId(id));
}

/** Whether an id names a built-in layout (or is one of the old aliases): such ids cannot be custom. */
export function isBuiltInLayoutId(id: string): boolean {
  return layoutById(id) !== undefined;
}

/** The old aliases of a built-in id (`ansi` for `ansi-104`). */
export function layoutAliases(id: string): string[] {
  return Object.entries(LAYOUT_ALIASES)
    .filter(([, to]) => to === id)
    .map(([alias]) => alias);
}

// ---------------------------------------------------------------- ids of custom layouts

export const LAYOUT_ID_RULE =
  'a layout id is 1–48 characters: lowercase letters, digits and "-", starting with a letter or digit; not a built-in id and not a reserved device name (con, prn, aux, nul, com1–9, lpt1–9)';

const ID = /^[a-z0-9][a-z0-9-]{0,47}$/;
const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/;

/** An id a custom layout can have (a file name in every OS, never a path). Built-in ids are not. */
export function isValidCustomLayoutId(id: unknown): id is string {
  return typeof id === 'string' && ID.test(id) && !RESERVED.test(id) && !isBuiltInLayoutId(id);
}

// ---------------------------------------------------------------- geometry

/** Width and height of the smallest box from (0, 0) holding every key. */
export function layoutSize(layout: Pick<Layout, 'keys'>): { width: number; height: number } {
  let width = 0;
  let height = 0;
  for (const k of layout.keys) {
    width = Math.max(width, k.x + k.w);
    height = Math.max(height, k.y + k.h);
  }
  return { width: roundUnits(width), height: roundUnits(height) };
}

/** Sizes and positions are kept to 1/10000 of a unit, so arithmetic noise never tells keys apart. */
export function roundUnits(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

const EPSILON = 1e-6;

function overlaps(a: LayoutKey, b: LayoutKey): boolean {
  return (
    a.x < b.x + b.w - EPSILON &&
    b.x < a.x + a.w - EPSILON &&
    a.y < b.y + b.h - EPSILON &&
    b.y < a.y + a.h - EPSILON
  );
}

/**
 * Rows for moving between keys with the arrow keys: keys whose tops are within 3/4 unit of the
 * row's first key form one row (a staggered column still belongs to its row), left to right.
 */
export function layoutRows(keys: readonly LayoutKey[]): LayoutKey[][] {
  const sorted = [...keys].sort((a, b) => a.y - b.y || a.x - b.x);
  const rows: LayoutKey[][] = [];
  let top = -Infinity;
  for (const k of sorted) {
    if (k.y - top >= 0.75) {
      rows.push([]);
      top = k.y;
    }
    rows[rows.length - 1].push(k);
  }
  for (const r of rows) r.sort((a, b) => a.x - b.x);
  return rows;
}

/**
 * Blocks of keys separated by a vertical gap of at least `minGap` units that no key crosses (the
 * navigation cluster and the numpad beside the main block), left to right.
 */
export function layoutClusters(
  keys: readonly LayoutKey[],
  minGap = 0.2,
): { x: number; width: number; keys: LayoutKey[] }[] {
  const sorted = [...keys].sort((a, b) => a.x - b.x);
  const clusters: { x: number; width: number; keys: LayoutKey[] }[] = [];
  let right = -Infinity;
  for (const k of sorted) {
    if (clusters.length === 0 || k.x - right >= minGap) {
      clusters.push({ x: k.x, width: 0, keys: [] });
      right = k.x;
    }
    const c = clusters[clusters.length - 1];
    c.keys.push(k);
    right = Math.max(right, k.x + k.w);
    c.width = roundUnits(right - c.x);
  }
  return clusters;
}

// ---------------------------------------------------------------- validation

/** A layout that is not valid: every problem, each with where it is (`keys[3].w: …`). */
export class LayoutError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    const shown = problems.slice(0, 10);
    const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
    super(`${shown.join('; ')}${more}`);
    this.name = 'LayoutError';
    this.problems = problems;
  }
}

/** At most this many problems are collected: a huge broken input gives a readable error. */
const MAX_PROBLEMS = 50;
/** C0 and C1 control characters and the Unicode line separators; `\n` too unless allowed. */
function hasControlCharacter(text: string, allowNewline = false): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c === 0x0a && allowNewline) continue;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/** A value in a message: a string quoted and shortened, a number as it is, anything else by its type. */
function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeName(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

const KEY_FIELDS = new Set(['key', 'x', 'y', 'w', 'h']);
const LAYOUT_FIELDS = new Set(['id', 'name', 'description', 'keys', 'builtIn']);

/**
 * Checks a custom layout as it comes from JSON (a file, a request body, an import): `name`,
 * optional `description`, and `keys` as `{key, x, y, w?, h?}` (w and h default to 1). Key names
 * may be any spelling of the key table and come back canonical. The id is the one given here (a
 * file name, a URL); without one, the input's `id`, which must then be a valid custom id
 * (LAYOUT_ID_RULE). A `builtIn` in the input is ignored: a checked layout is never built in.
 *
 * Throws a LayoutError listing every problem with its place: an unknown key name (with the closest
 * names), a key listed twice, two keys that overlap, a negative, zero or non-finite position or
 * size, more than MAX_LAYOUT_KEYS keys, a missing or too long name.
 */
export function validateLayout(value: unknown, id?: string): Layout {
  const problems: string[] = [];
  const problem = (text: string): boolean => {
    if (problems.length < MAX_PROBLEMS) problems.push(text);
    return false;
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new LayoutError([`a layout is an object with "name" and "keys", not ${typeName(value)}`]);
  const input = value as Record<string, unknown>;
  for (const field of Object.keys(input))
    if (!LAYOUT_FIELDS.has(field))
      problem(`unknown field ${show(field)} (a layout has name, description and keys)`);

  if (id === undefined) {
    if (input.id === undefined) problem('id: missing (give the layout an id)');
    else if (!isValidCustomLayoutId(input.id))
      problem(`id: ${show(input.id)} is not a custom layout id (${LAYOUT_ID_RULE})`);
  }
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (input.name === undefined) problem('name: missing (a name for people, 1–64 characters)');
  else if (typeof input.name !== 'string') problem(`name: must be a string, not ${typeName(input.name)}`);
  else if (name.length === 0) problem('name: must not be empty');
  else if (name.length > MAX_LAYOUT_NAME)
    problem(`name: at most ${MAX_LAYOUT_NAME} characters, got ${name.length}`);
  else if (hasControlCharacter(name)) problem('name: must not contain control characters');

  let description: string | undefined;
  if (input.description !== undefined) {
    if (typeof input.description !== 'string')
      problem(`description: must be a string, not ${typeName(input.description)}`);
    else if (input.description.length > MAX_LAYOUT_DESCRIPTION)
      problem(`description: at most ${MAX_LAYOUT_DESCRIPTION} characters, got ${input.description.length}`);
    else if (hasControlCharacter(input.description, true))
      problem('description: must not contain control characters');
    else if (input.description.trim() !== '') description = input.description.trim();
  }

  const keys: LayoutKey[] = [];
  if (input.keys === undefined) problem('keys: missing (an array of {key, x, y, w, h})');
  else if (!Array.isArray(input.keys)) problem(`keys: must be an array of keys, not ${typeName(input.keys)}`);
  else if (input.keys.length === 0) problem('keys: a layout needs at least one key');
  else if (input.keys.length > MAX_LAYOUT_KEYS)
    problem(`keys: at most ${MAX_LAYOUT_KEYS} keys, got ${input.keys.length}`);
  else {
    const seen = new Map<string, number>();
    input.keys.forEach((raw: unknown, i: number) => {
      const at = `keys[${i}]`;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        return problem(`${at}: must be an object {key, x, y, w, h}, not ${typeName(raw)}`);
      const k = raw as Record<string, unknown>;
      for (const field of Object.keys(k))
        if (!KEY_FIELDS.has(field))
          problem(`${at}: unknown field ${show(field)} (a key has key, x, y, w, h)`);
      let canonical: string | undefined;
      let duplicate = false;
      if (typeof k.key !== 'string') problem(`${at}.key: must be a key name, not ${typeName(k.key)}`);
      else {
        canonical = keyByName(k.key)?.name;
        if (canonical === undefined) {
          const close = closestNames(
            k.key,
            KEYS.map((info) => info.name),
          );
          problem(
            `${at}.key: unknown key name ${show(k.key)}${close.length > 0 ? ` (did you mean ${close.join(', ')}?)` : ''}`,
          );
        } else if (seen.has(canonical)) {
          duplicate = true;
          problem(`${at}.key: ${canonical} is listed twice (also keys[${seen.get(canonical)}])`);
        } else seen.set(canonical, i);
      }
      const num = (field: 'x' | 'y' | 'w' | 'h', fallback?: number): number | undefined => {
        const v = k[field] ?? fallback;
        if (v === undefined) return void problem(`${at}.${field}: missing (a number of key units)`);
        if (typeof v !== 'number' || !Number.isFinite(v))
          return void problem(`${at}.${field}: must be a finite number, not ${show(v)}`);
        const size = field === 'w' || field === 'h';
        if (size ? v <= 0 : v < 0)
          return void problem(`${at}.${field}: must be ${size ? 'greater than 0' : '0 or more'}, got ${v}`);
        const max = size ? MAX_KEY_SIZE : MAX_LAYOUT_EXTENT;
        if (v > max) return void problem(`${at}.${field}: at most ${max} units, got ${v}`);
        return roundUnits(v);
      };
      const x = num('x');
      const y = num('y');
      const w = num('w', 1);
      const h = num('h', 1);
      if (
        !duplicate &&
        canonical !== undefined &&
        x !== undefined &&
        y !== undefined &&
        w !== undefined &&
        h !== undefined
      )
        keys.push({ key: canonical, x, y, w, h });
    });
    // with at most MAX_LAYOUT_KEYS keys, comparing every pair is cheap
    const index = new Map(keys.map((k) => [k, seen.get(k.key)!]));
    for (let i = 0; i < keys.length; i++)
      for (let j = 0; j < i; j++)
        if (overlaps(keys[i], keys[j]))
          problem(
            `keys[${index.get(keys[i])}]: ${keys[i].key} overlaps keys[${index.get(keys[j])}] (${keys[j].key})`,
          );
  }
  if (problems.length > 0) throw new LayoutError(problems);
  return {
    id: id ?? (input.id as string),
    name,
    ...(description !== undefined ? { description } : {}),
    keys,
    builtIn: false,
  };
}

/** The JSON form of a layout for files and exports: no `builtIn` noise, keys in reading order. */
export function layoutToJson(layout: Layout): {
  id: string;
  name: string;
  description?: string;
  keys: LayoutKey[];
} {
  return {
    id: layout.id,
    name: layout.name,
    ...(layout.description !== undefined ? { description: layout.description } : {}),
    keys: layoutRows(layout.keys)
      .flat()
      .map(({ key, x, y, w, h }) => ({ key, x, y, w, h })),
  };
}
