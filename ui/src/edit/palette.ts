/**
 * The key palette's model, pure (no React): every key a field can name — from the key table
 * (src/core/keys.ts: canonical name, aliases, group) with a description people search by —, the
 * palette's groups, a ranked search, and the favourites and recent keys kept in localStorage.
 *
 * Layers (`MD_xx`, `LK_xx`) are entries too, but only the ones a field offers: the profile's own
 * layers and the next free id; a typed `MD_1A` is offered as it is.
 */
import type { KeyGroup, KeyInfo } from '../../../src/core/index.ts';
import { KEYS, layerName, MAX_LAYER_ID } from '../../../src/core/index.ts';
import { keyLegend } from '../keyboard/legends.ts';

export type PaletteGroupId =
  | 'letters'
  | 'digits'
  | 'modifiers'
  | 'navigation'
  | 'editing'
  | 'function'
  | 'symbols'
  | 'numpad'
  | 'media'
  | 'international'
  | 'mouse'
  | 'layers';

/** The palette's groups in the order it lists them, and the key-table groups each holds. */
export const PALETTE_GROUPS: readonly {
  id: PaletteGroupId;
  label: string;
  keyGroups: readonly KeyGroup[];
}[] = [
  { id: 'letters', label: 'Letters', keyGroups: ['letter'] },
  { id: 'digits', label: 'Digits', keyGroups: ['digit'] },
  { id: 'modifiers', label: 'Modifiers', keyGroups: ['modifier'] },
  { id: 'navigation', label: 'Navigation and whitespace', keyGroups: ['navigation'] },
  { id: 'function', label: 'Function keys', keyGroups: ['function'] },
  { id: 'symbols', label: 'Symbols', keyGroups: ['symbol'] },
  { id: 'numpad', label: 'Numpad', keyGroups: ['numpad'] },
  { id: 'media', label: 'Media, system and browser', keyGroups: ['media', 'system', 'browser', 'app'] },
  { id: 'editing', label: 'Editing keys', keyGroups: ['edit'] },
  { id: 'international', label: 'Japanese, Korean, ISO', keyGroups: ['japanese', 'korean', 'iso'] },
  { id: 'mouse', label: 'Mouse buttons', keyGroups: ['mouse'] },
  { id: 'layers', label: 'Layers', keyGroups: [] },
];

export interface PaletteEntry {
  /** what the field gets: a canonical key name, or `MD_xx` / `LK_xx` */
  name: string;
  /** every accepted spelling, canonical first */
  aliases: readonly string[];
  group: PaletteGroupId;
  /** what people call it: `Escape key`, `left arrow`, `backtick / grave accent` */
  description: string;
  /** what the keycap shows (`Esc`, `←`, `` ` ``) */
  legend: string;
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  LShift: 'left Shift',
  RShift: 'right Shift',
  LCtrl: 'left Control',
  RCtrl: 'right Control',
  LAlt: 'left Alt / Option',
  RAlt: 'right Alt / AltGr / Option',
  LMeta: 'left Meta / Super / Windows / Command',
  RMeta: 'right Meta / Super / Windows / Command',
  Escape: 'Escape key',
  Enter: 'Enter / Return',
  Backspace: 'Backspace: delete left',
  Tab: 'Tab',
  Space: 'space bar',
  CapsLock: 'Caps Lock',
  NumLock: 'Num Lock',
  ScrollLock: 'Scroll Lock',
  PrintScreen: 'Print Screen / SysRq',
  Pause: 'Pause / Break',
  Insert: 'Insert',
  Delete: 'Delete: delete right (forward delete)',
  Home: 'Home: start of line',
  End: 'End: end of line',
  PageUp: 'Page Up',
  PageDown: 'Page Down',
  Left: 'left arrow',
  Right: 'right arrow',
  Up: 'up arrow',
  Down: 'down arrow',
  LeftBracket: '[ left bracket / brace',
  RightBracket: '] right bracket / brace',
  Backslash: '\\ backslash / pipe',
  Semicolon: '; semicolon / colon',
  Quote: "' quote / apostrophe / double quote",
  Comma: ', comma / less than',
  Period: '. period / dot / greater than',
  Slash: '/ slash / question mark',
  Grave: '` backtick / grave accent / tilde (半角/全角 on JIS)',
  Minus: '- minus / hyphen / underscore',
  Equal: '= equals / plus',
  NumpadDivide: 'numpad /',
  NumpadMultiply: 'numpad *',
  NumpadSubtract: 'numpad -',
  NumpadAdd: 'numpad +',
  NumpadEnter: 'numpad Enter',
  NumpadDecimal: 'numpad . decimal point',
  Mute: 'mute the sound',
  VolumeDown: 'volume down',
  VolumeUp: 'volume up',
  MediaPlayPause: 'play / pause',
  MediaStop: 'stop playing',
  MediaPrevious: 'previous track',
  MediaNext: 'next track',
  Power: 'power button',
  Sleep: 'sleep',
  Wake: 'wake up',
  BrowserBack: 'browser: back',
  BrowserForward: 'browser: forward',
  BrowserRefresh: 'browser: reload',
  BrowserStop: 'browser: stop loading',
  BrowserSearch: 'browser: search',
  BrowserFavorites: 'browser: bookmarks / favourites',
  BrowserHome: 'browser: home page',
  AppMail: 'launch the mail app',
  AppCalculator: 'launch the calculator',
  AppMyComputer: 'launch the file manager (my computer)',
  Menu: 'context menu / application key',
  Help: 'Help',
  Select: 'Select',
  Execute: 'Execute / Open',
  Undo: 'Undo (the media key)',
  Redo: 'Redo / Again',
  Cut: 'Cut',
  Copy: 'Copy',
  Paste: 'Paste',
  Find: 'Find',
  KatakanaHiragana: 'かな: katakana / hiragana / romaji (JIS)',
  Hiragana: 'ひらがな: hiragana',
  Henkan: '変換: convert (JIS, right of space)',
  Muhenkan: '無変換: no convert (JIS, left of space)',
  Yen: '¥ yen (JIS)',
  Ro: 'ろ: ro / backslash underscore (JIS)',
  ZenkakuHankakuKey: '半角/全角: the raw Zenkaku/Hankaku code',
  KatakanaKey: 'カタカナ: the raw Katakana code',
  Hangeul: '한글: Korean / English switch',
  Hanja: '한자: Hanja conversion',
  Iso102nd: '< > the extra ISO key left of Z',
  MouseLeft: 'left mouse button',
  MouseRight: 'right mouse button',
  MouseMiddle: 'middle mouse button / wheel click',
  MouseBack: 'mouse side button: back',
  MouseForward: 'mouse extra button: forward',
};

function describe(key: KeyInfo): string {
  const known = DESCRIPTIONS[key.name];
  if (known) return known;
  switch (key.group) {
    case 'letter':
      return `letter ${key.name}`;
    case 'digit':
      return `digit ${key.name.slice(3)} (top row)`;
    case 'function':
      return `function key ${key.name}`;
    case 'numpad':
      return `numpad ${key.name.replace(/^Numpad/, '')}`;
    default:
      return key.name;
  }
}

function groupOf(key: KeyInfo): PaletteGroupId {
  return PALETTE_GROUPS.find((g) => g.keyGroups.includes(key.group))?.id ?? 'editing';
}

/** Every key of the key table, in table order. */
export const KEY_ENTRIES: readonly PaletteEntry[] = KEYS.map((key) => ({
  name: key.name,
  aliases: key.aliases,
  group: groupOf(key),
  description: describe(key),
  legend: keyLegend(key.name, 'ansi'),
}));

const byName = new Map(KEY_ENTRIES.map((e) => [e.name, e]));

/** A key's entry by canonical name, or undefined (a layer, or a `CodeN` key). */
export function keyEntry(name: string): PaletteEntry | undefined {
  return byName.get(name);
}

/** A layer the palette offers, with the name the profile gives it. */
export interface LayerOption {
  /** `MD_01`, `LK_00` */
  ref: string;
  name: string | null;
  /** not in the profile yet: the next free id */
  isNew?: boolean;
}

export function layerEntry(layer: LayerOption): PaletteEntry {
  const hold = layer.ref.startsWith('MD_');
  const what = hold ? 'layer on while held' : 'lock toggled by each press';
  return {
    name: layer.ref,
    aliases: [layer.ref],
    group: 'layers',
    description: `${layer.name ? `${layer.name}: ` : ''}${layer.isNew ? `new ${what}` : what}`,
    legend: layer.ref,
  };
}

/** `MD_1a`, `lk_3` → `MD_1A` / `LK_03`; else null. */
export function parseLayerText(text: string): string | null {
  const m = /^(MD|LK)_([0-9A-F]{1,2})$/i.exec(text.trim());
  if (!m) return null;
  const id = parseInt(m[2], 16);
  return id > MAX_LAYER_ID ? null : layerName(m[1].toUpperCase() as 'MD' | 'LK', id);
}

/** The first id of that prefix no layer uses, or null when all 255 are taken. */
export function nextFreeLayer(prefix: 'MD' | 'LK', used: Iterable<string>): string | null {
  const taken = new Set(used);
  for (let id = 0; id <= MAX_LAYER_ID; id++) {
    const ref = layerName(prefix, id);
    if (!taken.has(ref)) return ref;
  }
  return null;
}

/**
 * Entries matching a query, best first: an exact name or alias, then names and aliases that
 * start with it, then ones containing it, then matches in the description or legend. Every word
 * of a several-word query must match somewhere. Case does not matter.
 */
export function searchEntries(query: string, entries: readonly PaletteEntry[]): PaletteEntry[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [...entries];
  const words = q.split(/\s+/);
  const scored: { entry: PaletteEntry; score: number; index: number }[] = [];
  entries.forEach((entry, index) => {
    const names = entry.aliases.map((a) => a.toLowerCase());
    const prose = `${entry.description} ${entry.legend}`.toLowerCase();
    let score: number;
    if (names.includes(q)) score = 0;
    else if (names.some((n) => n.startsWith(q))) score = 1;
    else if (names.some((n) => n.includes(q))) score = 2;
    else if (prose.split(/[^\p{L}\p{N}]+/u).some((w) => w.startsWith(q)) || prose.includes(q)) score = 3;
    else if (words.length > 1 && words.every((w) => names.some((n) => n.includes(w)) || prose.includes(w)))
      score = 4;
    else return;
    // the canonical name matching beats an alias matching
    if (score > 0 && entry.name.toLowerCase().startsWith(q)) score -= 0.5;
    scored.push({ entry, score, index });
  });
  scored.sort((a, b) => a.score - b.score || a.index - b.index);
  return scored.map((s) => s.entry);
}

// ------------------------------------------------------------------ favourites and recents

export const FAVOURITES_KEY = 'keyrx.palette.favourites';
export const RECENTS_KEY = 'keyrx.palette.recents';
export const MAX_RECENTS = 10;
const MAX_FAVOURITES = 100;

/** The favourite and recent keys, shared by every palette of the page and kept in localStorage. */
export interface KeyMemory {
  favourites(): readonly string[];
  recents(): readonly string[];
  isFavourite(name: string): boolean;
  toggleFavourite(name: string): void;
  /** a key was picked or saved in a mapping: it goes first among the recents (at most 10) */
  use(name: string): void;
  subscribe(listener: () => void): () => void;
}

function readList(storage: Storage | null, key: string, max: number): string[] {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(key) ?? '[]');
    return Array.isArray(parsed)
      ? parsed.filter((x): x is string => typeof x === 'string' && x.length <= 64).slice(0, max)
      : [];
  } catch {
    return [];
  }
}

function writeList(storage: Storage | null, key: string, list: readonly string[]): void {
  try {
    storage?.setItem(key, JSON.stringify(list));
  } catch {
    // private mode or a full storage: the lists live on for this page only
  }
}

export function createKeyMemory(storage: Storage | null): KeyMemory {
  let favourites = readList(storage, FAVOURITES_KEY, MAX_FAVOURITES);
  let recents = readList(storage, RECENTS_KEY, MAX_RECENTS);
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of listeners) l();
  };
  return {
    favourites: () => favourites,
    recents: () => recents,
    isFavourite: (name) => favourites.includes(name),
    toggleFavourite(name) {
      favourites = favourites.includes(name)
        ? favourites.filter((f) => f !== name)
        : [...favourites, name].slice(-MAX_FAVOURITES);
      writeList(storage, FAVOURITES_KEY, favourites);
      changed();
    },
    use(name) {
      if (name === '') return;
      recents = [name, ...recents.filter((r) => r !== name)].slice(0, MAX_RECENTS);
      writeList(storage, RECENTS_KEY, recents);
      changed();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function browserStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

let shared: KeyMemory | null = null;

/** The page's key memory (created on first use, from localStorage). */
export function keyMemory(): KeyMemory {
  shared ??= createKeyMemory(browserStorage());
  return shared;
}

/** Forgets the page's key memory, so the next keyMemory() reads localStorage again (tests). */
export function resetKeyMemory(): void {
  shared = null;
}
