/**
 * The key table: every key KeyRx profiles can name, with one canonical name, KeyRx's
 * aliases, and the Linux `KEY_*` code from `linux/input-event-codes.h`.
 *
 * The engine works on Linux codes (small integers < 768) so the evdev path needs no
 * translation; names exist only at the edges (profiles, scripts, UI).
 */

/** Linux KEY_MAX + 1: every key code is below this. */
export const KEY_CODE_LIMIT = 768;

export type KeyGroup =
  | 'letter'
  | 'digit'
  | 'function'
  | 'modifier'
  | 'navigation'
  | 'symbol'
  | 'numpad'
  | 'media'
  | 'system'
  | 'browser'
  | 'app'
  | 'edit'
  | 'japanese'
  | 'korean'
  | 'iso'
  /** mouse buttons: keyrx sends them on its own pointer device */
  | 'mouse';

export interface KeyInfo {
  /** Canonical name (KeyRx's spelling), used in every output. */
  readonly name: string;
  /** Linux KEY_* code. */
  readonly code: number;
  /** Every accepted spelling, canonical first. */
  readonly aliases: readonly string[];
  readonly group: KeyGroup;
}

type Row = [name: string, code: number, group: KeyGroup, ...aliases: string[]];

const ROWS: Row[] = [
  ['A', 30, 'letter'],
  ['B', 48, 'letter'],
  ['C', 46, 'letter'],
  ['D', 32, 'letter'],
  ['E', 18, 'letter'],
  ['F', 33, 'letter'],
  ['G', 34, 'letter'],
  ['H', 35, 'letter'],
  ['I', 23, 'letter'],
  ['J', 36, 'letter'],
  ['K', 37, 'letter'],
  ['L', 38, 'letter'],
  ['M', 50, 'letter'],
  ['N', 49, 'letter'],
  ['O', 24, 'letter'],
  ['P', 25, 'letter'],
  ['Q', 16, 'letter'],
  ['R', 19, 'letter'],
  ['S', 31, 'letter'],
  ['T', 20, 'letter'],
  ['U', 22, 'letter'],
  ['V', 47, 'letter'],
  ['W', 17, 'letter'],
  ['X', 45, 'letter'],
  ['Y', 21, 'letter'],
  ['Z', 44, 'letter'],
  ['Num0', 11, 'digit', '0'],
  ['Num1', 2, 'digit', '1'],
  ['Num2', 3, 'digit', '2'],
  ['Num3', 4, 'digit', '3'],
  ['Num4', 5, 'digit', '4'],
  ['Num5', 6, 'digit', '5'],
  ['Num6', 7, 'digit', '6'],
  ['Num7', 8, 'digit', '7'],
  ['Num8', 9, 'digit', '8'],
  ['Num9', 10, 'digit', '9'],
  ['F1', 59, 'function'],
  ['F2', 60, 'function'],
  ['F3', 61, 'function'],
  ['F4', 62, 'function'],
  ['F5', 63, 'function'],
  ['F6', 64, 'function'],
  ['F7', 65, 'function'],
  ['F8', 66, 'function'],
  ['F9', 67, 'function'],
  ['F10', 68, 'function'],
  ['F11', 87, 'function'],
  ['F12', 88, 'function'],
  ['F13', 183, 'function'],
  ['F14', 184, 'function'],
  ['F15', 185, 'function'],
  ['F16', 186, 'function'],
  ['F17', 187, 'function'],
  ['F18', 188, 'function'],
  ['F19', 189, 'function'],
  ['F20', 190, 'function'],
  ['F21', 191, 'function'],
  ['F22', 192, 'function'],
  ['F23', 193, 'function'],
  ['F24', 194, 'function'],
  ['LShift', 42, 'modifier', 'LSFT'],
  ['RShift', 54, 'modifier', 'RSFT'],
  ['LCtrl', 29, 'modifier', 'LCTL'],
  ['RCtrl', 97, 'modifier', 'RCTL'],
  ['LAlt', 56, 'modifier', 'LALT'],
  ['RAlt', 100, 'modifier', 'RALT'],
  ['LMeta', 125, 'modifier', 'LGUI'],
  ['RMeta', 126, 'modifier', 'RGUI'],
  ['Escape', 1, 'navigation', 'Esc', 'ESC'],
  ['Enter', 28, 'navigation', 'Return', 'ENT'],
  ['Backspace', 14, 'navigation', 'BSPC'],
  ['Tab', 15, 'navigation', 'TAB'],
  ['Space', 57, 'navigation', 'SPC'],
  ['CapsLock', 58, 'navigation', 'CAPS'],
  ['NumLock', 69, 'navigation', 'NLCK'],
  ['ScrollLock', 70, 'navigation', 'SCRL'],
  ['PrintScreen', 99, 'navigation', 'PSCR'],
  ['Pause', 119, 'navigation', 'PAUS'],
  ['Insert', 110, 'navigation', 'Ins', 'INS'],
  ['Delete', 111, 'navigation', 'Del', 'DEL'],
  ['Home', 102, 'navigation', 'HOME'],
  ['End', 107, 'navigation', 'END'],
  ['PageUp', 104, 'navigation', 'PGUP'],
  ['PageDown', 109, 'navigation', 'PGDN'],
  ['Left', 105, 'navigation', 'LEFT'],
  ['Right', 106, 'navigation', 'RGHT'],
  ['Up', 103, 'navigation', 'UP'],
  ['Down', 108, 'navigation', 'DOWN'],
  ['LeftBracket', 26, 'symbol', 'LBRC'],
  ['RightBracket', 27, 'symbol', 'RBRC'],
  ['Backslash', 43, 'symbol', 'BSLS'],
  ['Semicolon', 39, 'symbol', 'SCLN'],
  ['Quote', 40, 'symbol', 'QUOT'],
  ['Comma', 51, 'symbol', 'COMM'],
  ['Period', 52, 'symbol', 'DOT'],
  ['Slash', 53, 'symbol', 'SLSH'],
  // A JIS keyboard sends the Grave scan code for 半角/全角, so KeyRx resolves those names here.
  ['Grave', 41, 'symbol', 'GRV', 'Zenkaku', '全角', '半角', 'Hankaku', 'ZenkakuHankaku'],
  ['Minus', 12, 'symbol', 'MINS'],
  ['Equal', 13, 'symbol', 'EQL'],
  ['Numpad0', 82, 'numpad'],
  ['Numpad1', 79, 'numpad'],
  ['Numpad2', 80, 'numpad'],
  ['Numpad3', 81, 'numpad'],
  ['Numpad4', 75, 'numpad'],
  ['Numpad5', 76, 'numpad'],
  ['Numpad6', 77, 'numpad'],
  ['Numpad7', 71, 'numpad'],
  ['Numpad8', 72, 'numpad'],
  ['Numpad9', 73, 'numpad'],
  ['NumpadDivide', 98, 'numpad'],
  ['NumpadMultiply', 55, 'numpad'],
  ['NumpadSubtract', 74, 'numpad'],
  ['NumpadAdd', 78, 'numpad'],
  ['NumpadEnter', 96, 'numpad'],
  ['NumpadDecimal', 83, 'numpad'],
  ['Mute', 113, 'media'],
  ['VolumeDown', 114, 'media'],
  ['VolumeUp', 115, 'media'],
  ['MediaPlayPause', 164, 'media'],
  ['MediaStop', 166, 'media'],
  ['MediaPrevious', 165, 'media'],
  ['MediaNext', 163, 'media'],
  ['Power', 116, 'system'],
  ['Sleep', 142, 'system'],
  ['Wake', 143, 'system'],
  ['BrowserBack', 158, 'browser'],
  ['BrowserForward', 159, 'browser'],
  ['BrowserRefresh', 173, 'browser'],
  ['BrowserStop', 128, 'browser'],
  ['BrowserSearch', 217, 'browser'],
  ['BrowserFavorites', 156, 'browser'],
  ['BrowserHome', 172, 'browser'],
  ['AppMail', 155, 'app'],
  ['AppCalculator', 140, 'app'],
  ['AppMyComputer', 157, 'app'],
  ['Menu', 127, 'edit'],
  ['Help', 138, 'edit'],
  ['Select', 353, 'edit'],
  ['Execute', 134, 'edit'],
  ['Undo', 131, 'edit'],
  ['Redo', 182, 'edit'],
  ['Cut', 137, 'edit'],
  ['Copy', 133, 'edit'],
  ['Paste', 135, 'edit'],
  ['Find', 136, 'edit'],
  ['KatakanaHiragana', 93, 'japanese', 'Katakana', 'カタカナ', 'カタカナひらがな'],
  ['Hiragana', 91, 'japanese', 'ひらがな'],
  ['Henkan', 92, 'japanese', '変換', 'Convert'],
  ['Muhenkan', 94, 'japanese', '無変換', 'NonConvert'],
  ['Yen', 124, 'japanese', '円', '¥'],
  ['Ro', 89, 'japanese', 'ろ'],
  // KeyRx has these two codes but no name reaches them (Zenkaku/Katakana resolve to
  // Grave/KatakanaHiragana). We name them so events from such keyboards round-trip.
  ['ZenkakuHankakuKey', 85, 'japanese'],
  ['KatakanaKey', 90, 'japanese'],
  ['Hangeul', 122, 'korean', 'Hangul', '한글'],
  ['Hanja', 123, 'korean', '한자'],
  ['Iso102nd', 86, 'iso', '102nd'],
  // Linux BTN_LEFT … BTN_EXTRA: outputs for mouse keys (a grabbed mouse's own buttons are forwarded)
  ['MouseLeft', 272, 'mouse', 'BTN_LEFT', 'MB1'],
  ['MouseRight', 273, 'mouse', 'BTN_RIGHT', 'MB2'],
  ['MouseMiddle', 274, 'mouse', 'BTN_MIDDLE', 'MB3'],
  ['MouseBack', 275, 'mouse', 'BTN_SIDE', 'MB4'],
  ['MouseForward', 276, 'mouse', 'BTN_EXTRA', 'MB5'],
];

/** Pointer motion axes (Linux REL_*) a mouse-key output moves, by name. */
export const MOUSE_AXES = {
  X: 0x00,
  Y: 0x01,
  HWheel: 0x06,
  Wheel: 0x08,
  WheelHiRes: 0x0b,
  HWheelHiRes: 0x0c,
} as const;
export type MouseAxis = keyof typeof MOUSE_AXES;

/** The name of a REL_* axis code (`X`, `Wheel` …), or `REL_<n>`. */
export function axisName(code: number): string {
  for (const [name, c] of Object.entries(MOUSE_AXES)) if (c === code) return name;
  return `REL_${code}`;
}

/** Whether an output code is a mouse button (sent on the pointer device). */
export function isMouseButtonKey(code: number): boolean {
  return code >= 272 && code <= 279;
}

export const KEYS: readonly KeyInfo[] = ROWS.map(([name, code, group, ...aliases]) =>
  Object.freeze({ name, code, group, aliases: Object.freeze([name, ...aliases]) }),
);

const byName = new Map<string, KeyInfo>();
const byCode: (KeyInfo | undefined)[] = new Array(KEY_CODE_LIMIT);
for (const key of KEYS) {
  byCode[key.code] = key;
  for (const alias of key.aliases) byName.set(alias, key);
}

/** Looks a key up by any accepted spelling (case-sensitive, as KeyRx). */
export function keyByName(name: string): KeyInfo | undefined {
  return byName.get(name);
}

export function keyByCode(code: number): KeyInfo | undefined {
  return byCode[code];
}

/** Canonical name of a code; codes outside the table print as `Code<N>` so they still round-trip. */
export function keyName(code: number): string {
  return byCode[code]?.name ?? `Code${code}`;
}

export const ALL_KEY_NAMES: readonly string[] = [...byName.keys()];

export const MODIFIER_KEY_CODES = {
  LShift: 42,
  RShift: 54,
  LCtrl: 29,
  RCtrl: 97,
  LAlt: 56,
  RAlt: 100,
  LMeta: 125,
  RMeta: 126,
} as const;

const modifierCodes = new Set<number>(Object.values(MODIFIER_KEY_CODES));
export function isModifierKey(code: number): boolean {
  return modifierCodes.has(code);
}

/** Levenshtein distance, case-insensitive; stops early once it exceeds `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = new Array<number>(b.length + 1);
  let curr = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    curr[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      curr[j] = Math.min(prev[j] + 1, curr[j - 1] + 1, prev[j - 1] + cost);
      if (curr[j] < rowMin) rowMin = curr[j];
    }
    if (rowMin > limit) return limit + 1;
    [prev, curr] = [curr, prev];
  }
  return prev[b.length];
}

/** Up to `max` candidates within edit distance 3, closest first (ties keep table order). */
export function closestNames(name: string, candidates: Iterable<string>, max = 3): string[] {
  // Nothing is close to a very long name, and comparing a megabyte with every candidate is slow.
  if (name.length > 256) return [];
  const scored: { candidate: string; distance: number; index: number }[] = [];
  let index = 0;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate, 3);
    if (distance <= 3) scored.push({ candidate, distance, index });
    index++;
  }
  scored.sort((x, y) => x.distance - y.distance || x.index - y.index);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const { candidate } of scored) {
    if (seen.has(candidate)) continue;
    seen.add(candidate);
    out.push(candidate);
    if (out.length === max) break;
  }
  return out;
}

export class UnknownKeyError extends Error {
  readonly keyName: string;
  readonly suggestions: string[];
  constructor(name: string) {
    const suggestions = closestNames(name, ALL_KEY_NAMES);
    const hint = suggestions.length > 0 ? `. Did you mean: ${suggestions.join(', ')}?` : '';
    super(`Unknown key name: '${name}'${hint}`);
    this.name = 'UnknownKeyError';
    this.keyName = name;
    this.suggestions = suggestions;
  }
}

/**
 * Resolves a key name as an input key: an optional `VK_` prefix is stripped (KeyRx).
 * Throws UnknownKeyError with suggestions.
 */
export function resolveKey(name: string): number {
  const bare = name.startsWith('VK_') ? name.slice(3) : name;
  const key = byName.get(bare);
  if (key) return key.code;
  const raw = /^Code(\d{1,3})$/.exec(bare);
  if (raw && Number(raw[1]) > 0 && Number(raw[1]) < KEY_CODE_LIMIT) return Number(raw[1]);
  throw new UnknownKeyError(bare);
}
