/**
 * keyboard-layout-editor.com (KLE) JSON ⇄ our layouts (layouts.ts).
 *
 * KLE's "raw data" is an array of rows; a row is an array of key legends (strings) and property
 * objects that apply to the next key: `x`/`y` move the cursor (relative), `w`/`h` size the next
 * key, `x2`/`y2`/`w2`/`h2` describe the second rectangle of an odd-shaped key (ISO Enter: we keep
 * the main rectangle), `rx`/`ry` move the cursor to a new origin, `r` rotates, `d` marks a
 * decal (not a key). An object before the first row holds metadata (`name`, `notes`). After a key
 * the cursor moves right by its width; after a row it goes down one unit and back to `rx`.
 *
 * Import reads the legends of each key (split at "\n", HTML stripped) and finds the key name:
 *
 *   1. Numeric keypad: the keys whose centres lie in the 4 × 5 block whose top-left key is labelled
 *      Num Lock are numpad keys first: digits → Numpad0–9, `/ * - + . ,` → the numpad operators,
 *      Enter → NumpadEnter. Without a Num Lock key there is no numpad block (write `Numpad1` … or
 *      `KP 1` to name numpad keys anywhere).
 *   2. A legend that is exactly a canonical key name (`LShift`, `Numpad1`: what export writes).
 *   3. The legend table below (case-insensitive): letters, digits and their shifted symbols, F1–F24,
 *      Esc, Tab, Caps Lock, Shift, Ctrl, Alt, Win/Super/Cmd/Meta, Enter/Return, Backspace, arrows
 *      (←↑→↓ and words), Home/End/PgUp/PgDn/Ins/Del, punctuation and its shifted forms, Japanese
 *      and Korean keys, then every spelling of the key table (`Esc`, `BSPC` …).
 *   With several legends, the joined text is tried first (`Page` + `Up`), then the unshifted legend
 *   (the second: `1` of `!` over `1`), then the others.
 *   4. Shift, Ctrl, Alt and Win without a side: the leftmost is the left one, the next the right
 *      one (`AltGr` is always RAlt). A key without a legend at least 3 units wide is Space.
 *   5. ISO: the key just left of the lower half of a tall Enter is Backslash (`#` on UK boards)
 *      and a 1-unit key just right of a short left Shift is Iso102nd (`\` or `<>`), whatever
 *      their legends say.
 *
 * A legend that names no key (a language-specific character, `Fn`, which the keyboard handles
 * itself) is an error listing each one with its row and key number, unless `skipUnknown`: then
 * those keys are left out and listed. Rotated keys (`r`) are refused: our layouts are not rotated.
 *
 * Export writes each key's canonical name as its legend, so export then import gives the same layout.
 *
 * Pure: no I/O, runs in the browser too.
 */
import { keyByName, KEYS } from './keys.ts';
import type { Layout, LayoutKey } from './layouts.ts';
import { MAX_LAYOUT_KEYS, roundUnits, validateLayout } from './layouts.ts';

export interface KleImportOptions {
  /** leave out keys whose legend names no key (listed in `skipped`) instead of failing */
  skipUnknown?: boolean;
}

export interface KleSkipped {
  /** 1-based row of the KLE data (the metadata object does not count) */
  row: number;
  /** 1-based key number within the row */
  col: number;
  legend: string;
  reason: string;
}

export interface KleParse {
  /** the metadata's `name`, if any */
  name?: string;
  /** the metadata's `notes`, if any */
  description?: string;
  keys: LayoutKey[];
  skipped: KleSkipped[];
}

/** KLE data that cannot become a layout: every problem, each with its row and key number. */
export class KleError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    const shown = problems.slice(0, 12);
    const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
    super(`${shown.join('; ')}${more}`);
    this.name = 'KleError';
    this.problems = problems;
  }
}

/** Rows beyond this are refused before any work (a real board has fewer than 20). */
const MAX_ROWS = 256;
const MAX_LEGEND = 200;

// ---------------------------------------------------------------- legends

type Side = 'Shift' | 'Ctrl' | 'Alt' | 'Meta';
type Resolved =
  | { kind: 'key'; name: string; exact: boolean }
  | { kind: 'side'; group: Side }
  | { kind: 'empty' }
  | { kind: 'unknown' };

const SIDE_PREFIX = '\u0000side:';

/** Lower-case legend → canonical key name, or a side-less modifier (`SIDE_PREFIX` + group). */
const LEGENDS = new Map<string, string>();
function legend(name: string, ...spellings: string[]): void {
  for (const s of spellings) LEGENDS.set(s.toLowerCase(), name);
}
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') legend(c, c);
for (let f = 1; f <= 24; f++) legend(`F${f}`, `f${f}`);
const SHIFTED_DIGITS = ')!@#$%^&*(';
for (let d = 0; d <= 9; d++) legend(`Num${d}`, String(d), SHIFTED_DIGITS[d]);
legend('Grave', '`', '~', '¬', '半角/全角', '全角/半角', '半/全', '全/半', '半角', '全角');
legend('Minus', '-', '_');
legend('Equal', '=', '+');
legend('LeftBracket', '[', '{');
legend('RightBracket', ']', '}');
legend('Backslash', '\\', '|');
legend('Semicolon', ';', ':');
legend('Quote', "'", '"');
legend('Comma', ',', '<');
legend('Period', '.', '>');
legend('Slash', '/', '?');
legend('Escape', 'esc', 'escape');
legend('Tab', 'tab', '⇥', '↹', 'tab ↹', '⇤ tab ⇥');
legend('CapsLock', 'caps lock', 'capslock', 'caps', 'caps lk', '⇪', 'caps ⇪');
legend('Enter', 'enter', 'return', 'ret', '↵', '⏎', '⌤', 'enter ↵', '↩');
legend('Backspace', 'backspace', 'back space', 'bksp', 'bkspc', 'bspc', 'back', '⌫', '⟵');
legend('Space', 'space', 'spacebar', 'space bar', '␣');
legend('Delete', 'delete', 'del', '⌦');
legend('Insert', 'insert', 'ins');
legend('Home', 'home', '⇱');
legend('End', 'end', '⇲');
legend('PageUp', 'page up', 'pageup', 'pgup', 'pg up', 'pg. up', '⇞');
legend('PageDown', 'page down', 'pagedown', 'pgdn', 'pg dn', 'pgdown', 'pg down', 'pg. dn', '⇟');
legend('Up', 'up', '↑', '▲', '⬆');
legend('Down', 'down', '↓', '▼', '⬇');
legend('Left', 'left', '←', '◀', '⬅');
legend('Right', 'right', '→', '▶', '➡');
legend(
  'PrintScreen',
  'print screen',
  'printscreen',
  'prtsc',
  'prt sc',
  'prtscn',
  'prt scn',
  'prtscr',
  'prnt scrn',
  'print',
  'psc',
  'print scrn',
  'sysrq',
  'print screen sysrq',
);
legend('ScrollLock', 'scroll lock', 'scrolllock', 'scrlk', 'scr lk', 'scroll', 'slck', 'scrl');
legend('Pause', 'pause', 'break', 'pause break', 'pause/break', 'pse');
legend('NumLock', 'num lock', 'numlock', 'num lk', 'numlk', 'num', 'nmlk', 'nlck');
legend('Menu', 'menu', 'app', 'apps', 'application', '≣', '▤', 'context menu');
legend('LShift', 'lshift', 'left shift', 'l shift', 'shift l', 'lsft');
legend('RShift', 'rshift', 'right shift', 'r shift', 'shift r', 'rsft');
legend('LCtrl', 'lctrl', 'left ctrl', 'l ctrl', 'ctrl l', 'left control', 'lctl');
legend('RCtrl', 'rctrl', 'right ctrl', 'r ctrl', 'ctrl r', 'right control', 'rctl');
legend('LAlt', 'lalt', 'left alt', 'l alt', 'alt l');
legend('RAlt', 'ralt', 'right alt', 'r alt', 'alt r', 'altgr', 'alt gr', 'alt graph');
legend('LMeta', 'lmeta', 'lwin', 'left win', 'lgui', 'lcmd', 'left cmd', 'lsuper', 'left super');
legend('RMeta', 'rmeta', 'rwin', 'right win', 'rgui', 'rcmd', 'right cmd', 'rsuper', 'right super');
legend(`${SIDE_PREFIX}Shift`, 'shift', '⇧');
legend(`${SIDE_PREFIX}Ctrl`, 'ctrl', 'control', 'ctl', 'strg', '⌃', 'ctrl ⌃');
legend(`${SIDE_PREFIX}Alt`, 'alt', 'option', 'opt', '⌥', 'alt ⌥');
legend(
  `${SIDE_PREFIX}Meta`,
  'win',
  'windows',
  'super',
  'cmd',
  'command',
  'meta',
  'gui',
  'os',
  '⌘',
  '◆',
  '◇',
  '❖',
  '⊞',
  'start',
);
legend('Yen', '¥', 'yen', '￥', '\\ ¥');
legend('Ro', 'ろ', 'ro');
legend('Muhenkan', '無変換', 'muhenkan', 'nonconvert');
legend('Henkan', '変換', 'henkan', 'convert', '前候補 変換');
legend(
  'KatakanaHiragana',
  'かな',
  'カナ',
  'カタカナ',
  'ひらがな',
  'カタカナ/ひらがな',
  'カタカナ ひらがな',
  'かな/カナ',
  'katakana',
  'hiragana',
  'kana',
  'katakanahiragana',
);
legend('Hangeul', '한/영', '한영', 'han/yeong', 'hangul', 'hangeul');
legend('Hanja', '한자', 'hanja');
for (let d = 0; d <= 9; d++)
  legend(`Numpad${d}`, `kp ${d}`, `kp${d}`, `kp_${d}`, `pad ${d}`, `keypad ${d}`, `numpad ${d}`);
legend('NumpadEnter', 'kp enter', 'kp_enter', 'keypad enter', 'numpad enter', 'pad enter');
legend('NumpadAdd', 'kp +', 'kp_plus', 'keypad +', 'numpad +', 'pad +');
legend('NumpadSubtract', 'kp -', 'kp_minus', 'keypad -', 'numpad -', 'pad -');
legend('NumpadMultiply', 'kp *', 'kp_multiply', 'keypad *', 'numpad *', 'pad *');
legend('NumpadDivide', 'kp /', 'kp_divide', 'keypad /', 'numpad /', 'pad /');
legend('NumpadDecimal', 'kp .', 'kp_decimal', 'keypad .', 'numpad .', 'pad .');

/** In the numpad block: what its legends mean there (before anything else). */
const NUMPAD = new Map<string, string>([
  ['/', 'NumpadDivide'],
  ['*', 'NumpadMultiply'],
  ['-', 'NumpadSubtract'],
  ['+', 'NumpadAdd'],
  ['.', 'NumpadDecimal'],
  [',', 'NumpadDecimal'],
  ['enter', 'NumpadEnter'],
  ['return', 'NumpadEnter'],
  ['↵', 'NumpadEnter'],
  ['⌤', 'NumpadEnter'],
]);
for (let d = 0; d <= 9; d++) NUMPAD.set(String(d), `Numpad${d}`);
for (const k of KEYS) if (k.group === 'numpad') NUMPAD.set(k.name.toLowerCase(), k.name);

const CANONICAL = new Set(KEYS.map((k) => k.name));
/** Every spelling of the key table, lower-cased, when it names one key only. */
const LOWER_ALIASES = new Map<string, string | null>();
for (const k of KEYS)
  for (const a of k.aliases) {
    const lower = a.toLowerCase();
    const known = LOWER_ALIASES.get(lower);
    LOWER_ALIASES.set(lower, known === undefined || known === k.name ? k.name : null);
  }

const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  uarr: '↑',
  darr: '↓',
  larr: '←',
  rarr: '→',
  crarr: '↵',
  yen: '¥',
};

/** The text of a legend: HTML tags removed, entities decoded, spaces collapsed. */
function legendText(raw: string): string {
  return raw
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, body: string) => {
      if (body[0] === '#') {
        const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : Number(body.slice(1));
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
      }
      return ENTITIES[body.toLowerCase()] ?? m;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

function lookup(text: string, inNumpad: boolean): Resolved | null {
  if (text === '') return null;
  const lower = text.toLowerCase();
  if (inNumpad) {
    const pad = NUMPAD.get(lower);
    if (pad) return { kind: 'key', name: pad, exact: false };
  }
  if (CANONICAL.has(text)) return { kind: 'key', name: text, exact: true };
  const known = LEGENDS.get(lower);
  if (known !== undefined)
    return known.startsWith(SIDE_PREFIX)
      ? { kind: 'side', group: known.slice(SIDE_PREFIX.length) as Side }
      : { kind: 'key', name: known, exact: false };
  const alias = keyByName(text)?.name ?? LOWER_ALIASES.get(lower);
  return alias ? { kind: 'key', name: alias, exact: false } : null;
}

/** Texts to try for a key, best first: all legends joined, the unshifted one, then the rest. */
function candidates(labels: readonly string[]): string[] {
  const present = labels.filter((l) => l !== '');
  if (present.length <= 1) return present;
  const order = [labels.join(' ').replace(/\s+/g, ' ').trim()];
  if (labels[1]) order.push(labels[1]);
  for (const [i, l] of labels.entries()) if (i !== 1 && l) order.push(l);
  return order;
}

function resolve(labels: readonly string[], inNumpad: boolean): Resolved {
  const texts = candidates(labels);
  if (texts.length === 0) return { kind: 'empty' };
  if (inNumpad)
    for (const l of labels) {
      const pad = NUMPAD.get(l.toLowerCase());
      if (pad) return { kind: 'key', name: pad, exact: l === pad };
    }
  for (const t of texts) {
    const r = lookup(t, false);
    if (r) return r;
  }
  return { kind: 'unknown' };
}

// ---------------------------------------------------------------- import

interface RawKey {
  row: number;
  col: number;
  labels: string[];
  legend: string;
  x: number;
  y: number;
  w: number;
  h: number;
  resolved: Resolved;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * KLE raw data → keys with our names, positions from (0, 0). Throws a KleError listing every
 * problem (shape, rotation, unknown legends, two keys taken for one name).
 */
export function parseKle(data: unknown, opts: KleImportOptions = {}): KleParse {
  const problems: string[] = [];
  if (!Array.isArray(data))
    throw new KleError([
      'KLE data is an array of rows (keyboard-layout-editor.com: Raw data, or the downloaded JSON)',
    ]);
  if (data.length > MAX_ROWS + 1)
    throw new KleError([`KLE data: at most ${MAX_ROWS} rows, got ${data.length}`]);

  let name: string | undefined;
  let description: string | undefined;
  const raw: RawKey[] = [];
  let x = 0;
  let y = 0;
  let originX = 0;
  let w = 1;
  let h = 1;
  let decal = false;
  let rowNumber = 0;
  for (const [r, entry] of data.entries()) {
    if (!Array.isArray(entry)) {
      if (r === 0 && isObject(entry)) {
        if (typeof entry.name === 'string' && entry.name.trim() !== '') name = entry.name.trim();
        if (typeof entry.notes === 'string' && entry.notes.trim() !== '') description = entry.notes.trim();
        continue;
      }
      problems.push(
        r === 0
          ? `element 1: the metadata must be an object, not ${describe(entry)}`
          : `element ${r + 1}: a row must be an array${isObject(entry) ? ' (metadata only comes first)' : ''}, not ${describe(entry)}`,
      );
      continue;
    }
    rowNumber++;
    let col = 0;
    for (const [k, item] of entry.entries()) {
      if (typeof item === 'string') {
        col++;
        if (!decal) {
          if (raw.length >= MAX_LAYOUT_KEYS)
            throw new KleError([
              `KLE data: more than ${MAX_LAYOUT_KEYS} keys (a layout has at most that many)`,
            ]);
          const labels = item.split('\n').map((l) => legendText(l.slice(0, MAX_LEGEND)));
          raw.push({
            row: rowNumber,
            col,
            labels,
            legend: labels.filter(Boolean).join(' / '),
            x,
            y,
            w,
            h,
            resolved: { kind: 'unknown' },
          });
        }
        x += w;
        w = 1;
        h = 1;
        decal = false;
        continue;
      }
      const at = `row ${rowNumber}, before key ${col + 1}`;
      if (!isObject(item)) {
        problems.push(`${at}: expected a legend (string) or a property object, not ${describe(item)}`);
        continue;
      }
      const num = (field: string): number | undefined => {
        const v = item[field];
        if (v === undefined) return undefined;
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          problems.push(`${at}: "${field}" must be a number, not ${describe(v)}`);
          return undefined;
        }
        return v;
      };
      const r = num('r');
      if (r !== undefined && r !== 0) {
        problems.push(
          `${at}: rotated keys ("r": ${r}) are not supported: keyrx layouts are not rotated; remove the rotation in KLE`,
        );
        continue;
      }
      const rx = num('rx');
      const ry = num('ry');
      if ((rx !== undefined || ry !== undefined) && k !== 0)
        problems.push(`${at}: "rx"/"ry" only on the first key of a row`);
      if (rx !== undefined) {
        originX = rx;
        x = rx;
      }
      if (ry !== undefined) {
        y = ry;
        x = originX;
      }
      x += num('x') ?? 0;
      y += num('y') ?? 0;
      const width = num('w');
      const height = num('h');
      if (width) w = width;
      if (height) h = height;
      if (item.d === true) decal = true;
    }
    y += 1;
    x = originX;
  }
  if (problems.length > 0) throw new KleError(problems);

  // names: first without the numpad block, to find Num Lock; then the block's keys again
  for (const key of raw) key.resolved = resolve(key.labels, false);
  const numLock = raw.find((k) => k.resolved.kind === 'key' && k.resolved.name === 'NumLock');
  if (numLock) {
    for (const key of raw) {
      const cx = key.x + key.w / 2;
      const cy = key.y + key.h / 2;
      if (key !== numLock && cx >= numLock.x && cx < numLock.x + 4 && cy >= numLock.y && cy < numLock.y + 5)
        key.resolved = resolve(key.labels, true);
    }
  }
  const named = (key: RawKey, n: string): boolean => key.resolved.kind === 'key' && key.resolved.name === n;
  /**
   * A key the ISO rules may rename: its legend is a character (`#`, `\`, `<`) or names nothing;
   * never a key named by its canonical name or a named key (`Left Shift`, `Tab`).
   */
  const characterKey = (key: RawKey): boolean => {
    const r = key.resolved;
    if (r.kind === 'unknown' || r.kind === 'empty') return true;
    if (r.kind !== 'key' || r.exact) return false;
    const group = keyByName(r.name)?.group;
    return group === 'symbol' || group === 'digit' || group === 'iso';
  };
  const near = (a: number, b: number): boolean => Math.abs(a - b) < 0.3;

  // ISO: the key left of a tall Enter's lower half, and the key right of a short left Shift
  for (const enter of raw.filter((k) => named(k, 'Enter') && k.h >= 1.75)) {
    const left = raw.find((k) => k.h <= 1 && near(k.x + k.w, enter.x) && near(k.y, enter.y + 1));
    if (left && characterKey(left)) left.resolved = { kind: 'key', name: 'Backslash', exact: false };
  }
  const shifts = raw
    .filter((k) => named(k, 'LShift') || (k.resolved.kind === 'side' && k.resolved.group === 'Shift'))
    .sort((a, b) => a.x - b.x);
  const leftShift = shifts[0];
  if (leftShift && leftShift.w <= 1.5) {
    const next = raw.find(
      (k) => k.w <= 1.25 && near(k.x, leftShift.x + leftShift.w) && near(k.y, leftShift.y),
    );
    if (next && characterKey(next)) next.resolved = { kind: 'key', name: 'Iso102nd', exact: false };
  }

  // sides: explicit ones first, then the rest left to right
  for (const group of ['Shift', 'Ctrl', 'Alt', 'Meta'] as const) {
    const left = `L${group}`;
    const right = `R${group}`;
    const free = [left, right].filter((n) => !raw.some((k) => named(k, n)));
    const open = raw
      .filter((k) => k.resolved.kind === 'side' && k.resolved.group === group)
      .sort((a, b) => a.x + a.w / 2 - (b.x + b.w / 2));
    for (const key of open) {
      const side = free.shift();
      if (side) key.resolved = { kind: 'key', name: side, exact: false };
      else
        problems.push(
          `${where(key)}: a third ${group} key (only ${left} and ${right} exist); name it in KLE or remove it`,
        );
    }
  }

  // a wide key without a legend is the space bar
  if (!raw.some((k) => named(k, 'Space'))) {
    const blank = raw.filter((k) => k.resolved.kind === 'empty' && k.w >= 3).sort((a, b) => b.w - a.w)[0];
    if (blank) blank.resolved = { kind: 'key', name: 'Space', exact: false };
  }

  const skipped: KleSkipped[] = [];
  const keys: LayoutKey[] = [];
  const taken = new Map<string, RawKey>();
  let unnamed = 0;
  for (const key of raw) {
    const res = key.resolved;
    if (res.kind !== 'key') {
      if (res.kind === 'side') continue; // reported above
      const reason =
        res.kind === 'empty'
          ? 'a key without a legend (only a wide one is taken for Space)'
          : /^fn\d*$/i.test(key.legend)
            ? 'Fn is handled by the keyboard itself: keyrx never sees it'
            : 'this legend names no key';
      if (opts.skipUnknown) skipped.push({ row: key.row, col: key.col, legend: key.legend, reason });
      else {
        problems.push(`${where(key)}: ${reason}`);
        unnamed++;
      }
      continue;
    }
    const before = taken.get(res.name);
    if (before) {
      problems.push(
        `${where(key)} and ${where(before)} are both read as ${res.name}; name one of them in KLE`,
      );
      continue;
    }
    for (const other of taken.values())
      if (
        key.x < other.x + other.w - 1e-6 &&
        other.x < key.x + key.w - 1e-6 &&
        key.y < other.y + other.h - 1e-6 &&
        other.y < key.y + key.h - 1e-6
      )
        problems.push(`${where(key)} overlaps ${where(other)}`);
    taken.set(res.name, key);
    keys.push({ key: res.name, x: key.x, y: key.y, w: key.w, h: key.h });
  }
  if (problems.length > 0) {
    if (unnamed > 0)
      problems.push('"skipUnknown": true (keyrx layouts import --skip-unknown) leaves such keys out');
    throw new KleError(problems);
  }
  // the board starts at (0, 0) whatever origin KLE used
  const minX = Math.min(...keys.map((k) => k.x));
  const minY = Math.min(...keys.map((k) => k.y));
  const placed = keys.map((k) => ({
    key: k.key,
    x: roundUnits(k.x - minX),
    y: roundUnits(k.y - minY),
    w: roundUnits(k.w),
    h: roundUnits(k.h),
  }));
  return {
    ...(name !== undefined ? { name } : {}),
    ...(description !== undefined ? { description } : {}),
    keys: placed,
    skipped,
  };
}

function where(key: RawKey): string {
  const shown = key.legend === '' ? 'no legend' : JSON.stringify(key.legend);
  return `row ${key.row}, key ${key.col} (${shown})`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/**
 * KLE raw data → a custom layout with this id, checked by validateLayout (overlaps, sizes, name).
 * The name is `opts.name`, else the KLE metadata's name; the description likewise (KLE `notes`).
 */
export function importKle(
  data: unknown,
  id: string,
  opts: KleImportOptions & { name?: string; description?: string } = {},
): { layout: Layout; skipped: KleSkipped[] } {
  const parsed = parseKle(data, opts);
  const name = opts.name ?? parsed.name;
  const description = opts.description ?? parsed.description;
  if (name === undefined)
    throw new KleError(['the layout needs a name: give one (the KLE data has no metadata "name")']);
  const layout = validateLayout(
    { name, ...(description !== undefined ? { description } : {}), keys: parsed.keys },
    id,
  );
  return { layout, skipped: parsed.skipped };
}

// ---------------------------------------------------------------- export

/**
 * A layout as KLE raw data: metadata (name, notes), then one row per distinct top edge, each key's
 * legend its canonical name. Paste it into keyboard-layout-editor.com's Raw data tab.
 */
export function exportKle(layout: Pick<Layout, 'name' | 'description' | 'keys'>): unknown[] {
  const out: unknown[] = [
    { name: layout.name, ...(layout.description !== undefined ? { notes: layout.description } : {}) },
  ];
  const byTop = new Map<number, LayoutKey[]>();
  for (const k of layout.keys) byTop.set(k.y, [...(byTop.get(k.y) ?? []), k]);
  let cursorY = 0;
  for (const top of [...byTop.keys()].sort((a, b) => a - b)) {
    const items: unknown[] = [];
    let cursorX = 0;
    const keys = byTop.get(top)!.sort((a, b) => a.x - b.x);
    for (const [i, k] of keys.entries()) {
      const props: Record<string, number> = {};
      const dy = roundUnits(top - cursorY);
      const dx = roundUnits(k.x - cursorX);
      if (i === 0 && dy !== 0) props.y = dy;
      if (dx !== 0) props.x = dx;
      if (k.w !== 1) props.w = k.w;
      if (k.h !== 1) props.h = k.h;
      if (Object.keys(props).length > 0) items.push(props);
      items.push(k.key);
      cursorX = k.x + k.w;
    }
    out.push(items);
    cursorY = top + 1;
  }
  return out;
}

/** Whether JSON looks like KLE raw data (an array) rather than one of our layouts (an object). */
export function isKleData(data: unknown): boolean {
  return Array.isArray(data);
}
