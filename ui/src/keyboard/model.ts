/**
 * What the keyboard view shows for each key, derived from describeConfig's views: the chosen
 * layer's meaning, base fall-through, or (in the simulator) what the engine would do now.
 */
import type {
  ComboDescription,
  Condition,
  ConditionItem,
  DeviceView,
  KeyboardLayout,
  KeyDescription,
  LayerView,
  LayoutKey,
} from '../../../src/core/index.ts';
import { globMatch, keyByName, layerName } from '../../../src/core/index.ts';
import type { LayoutId } from './KeyboardView.tsx';

/** The colour family of a mapping kind (the legend's colours). */
export type KindClass = 'remap' | 'layer' | 'lock' | 'taphold' | 'oneshot' | 'macro';

export function kindClass(kind: KeyDescription['kind']): KindClass {
  switch (kind) {
    case 'modifier':
    case 'layerSwitch':
      return 'layer';
    case 'lock':
    case 'layerToggle':
      return 'lock';
    case 'tapHold':
    case 'holdOnly':
    case 'tapDance':
    case 'autoShift':
      return 'taphold';
    case 'oneShot':
    case 'capsWord':
      return 'oneshot';
    case 'macro':
    case 'unicode':
    case 'leader':
    case 'dynamicMacroRecord':
    case 'dynamicMacroPlay':
    case 'mouseMove':
    case 'mouseWheel':
      return 'macro';
    default:
      // simple, modifiedOutput, sequence; keyOverride and combo are not drawn as a key's kind
      return 'remap';
  }
}

/** The legend: each colour family and the kinds it stands for. */
export const KIND_LEGEND: readonly { kind: KindClass; label: string; title: string }[] = [
  { kind: 'remap', label: 'remap', title: 'map(): a key, with modifiers, or a sequence' },
  { kind: 'layer', label: 'layer key', title: 'a layer while held (MD_), or layer_switch()' },
  { kind: 'lock', label: 'lock / toggle', title: 'a lock (LK_), or layer_toggle()' },
  {
    kind: 'taphold',
    label: 'tap / hold / dance',
    title: 'tap_hold(), hold_only(), tap_dance(), auto_shift()',
  },
  { kind: 'oneshot', label: 'one-shot / caps word', title: 'one_shot(), caps_word()' },
  {
    kind: 'macro',
    label: 'macro / unicode',
    title: 'macro(), unicode(), leader(), dynamic macros, mouse_move(), mouse_wheel()',
  },
];

function mentionedKeyNames(views: readonly DeviceView[]): Set<string> {
  const names = new Set<string>();
  for (const view of views)
    for (const layer of view.layers)
      for (const [key, d] of [
        ...Object.entries(layer.keys),
        ...Object.entries(layer.overrides ?? {}),
        ...(layer.combos ?? []).map((c) => [c.keys[0], c] as const),
      ]) {
        names.add(key);
        // outputs are only in the prose (`tap: Muhenkan, …`, `Yen → Backspace`): pick the words
        for (const word of d.detail.split(/[^A-Za-z0-9_]+/)) if (word) names.add(word);
      }
  return names;
}

/** JIS when a Japanese-only key is used (Yen, Ro, Henkan, …), ISO for the 102nd key, else ANSI. */
export function detectLayout(views: readonly DeviceView[]): LayoutId {
  let iso = false;
  for (const name of mentionedKeyNames(views)) {
    const group = keyByName(name)?.group;
    if (group === 'japanese') return 'jis';
    if (group === 'iso') iso = true;
  }
  return iso ? 'iso' : 'ansi';
}

function itemHolds(item: ConditionItem, active: ReadonlySet<string>): boolean {
  switch (item.kind) {
    case 'modifier':
      return active.has(layerName('MD', item.id));
    case 'lock':
      return active.has(layerName('LK', item.id));
    case 'ime':
      return active.has('IME');
    case 'lang': {
      const want = item.lang.toLowerCase();
      for (const name of active) {
        if (!name.startsWith('LANG_')) continue;
        const have = name.slice(5).toLowerCase();
        if (want === have || have.startsWith(want + '-') || want.startsWith(have + '-')) return true;
      }
      return false;
    }
    case 'app':
    case 'title': {
      // the focused application / window title, as `APP:firefox` / `TITLE:…` in the active set
      const prefix = item.kind === 'app' ? 'APP:' : 'TITLE:';
      for (const name of active)
        if (name.startsWith(prefix) && globMatch(item.pattern, name.slice(prefix.length))) return true;
      return false;
    }
  }
}

/**
 * The engine's condition rule, on layer names (`MD_00`, `LK_01`, `IME`, `LANG_ja`, `APP:firefox`,
 * `TITLE:…`) and a device name.
 */
export function conditionHolds(condition: Condition, active: ReadonlySet<string>, device?: string): boolean {
  switch (condition.kind) {
    case 'allOf':
      return condition.items.every((i) => itemHolds(i, active));
    case 'noneOf':
      return !condition.items.some((i) => itemHolds(i, active));
    case 'device':
      return device !== undefined && globMatch(condition.pattern, device);
    default:
      return itemHolds(condition, active);
  }
}

export interface ResolvedKey {
  layer: LayerView;
  description: KeyDescription;
}

/**
 * What a key does with these layers active: the first declared conditional mapping whose
 * condition holds, else the base mapping — the engine's lookup order. Layers group mappings
 * by condition, so declaration order between layers comes from the source lines when known.
 */
export function resolveLive(
  view: DeviceView,
  key: string,
  active: ReadonlySet<string>,
  device?: string,
): ResolvedKey | null {
  const candidates: ResolvedKey[] = [];
  for (const layer of view.layers) {
    if (layer.condition === null) continue;
    const description = layer.keys[key];
    if (description && conditionHolds(layer.condition, active, device))
      candidates.push({ layer, description });
  }
  if (candidates.length > 1) {
    const file = candidates[0].description.source?.file;
    const comparable = candidates.every((c) => c.description.source && c.description.source.file === file);
    if (comparable) {
      const position = (c: ResolvedKey) => c.description.source!.line * 1e6 + c.description.source!.column;
      candidates.sort((a, b) => position(a) - position(b));
    }
  }
  if (candidates.length > 0) return candidates[0];
  const base = view.layers[0];
  return base.keys[key] ? { layer: base, description: base.keys[key] } : null;
}

export interface LayoutGeometry {
  /** the alphanumeric block, row by row (gaps included) */
  main: LayoutKey[][];
  /** the navigation cluster beside it, row by row; wraps below it on narrow screens */
  nav: LayoutKey[][];
  mainColumns: number;
  navColumns: number;
  /** keys per row, left to right, for arrow-key movement */
  rows: { key: string; center: number }[][];
}

const NAV_GAP = 0.5;

/** Splits each row at the gap before the navigation cluster (the last half-unit gap). */
export function layoutGeometry(layout: KeyboardLayout): LayoutGeometry {
  const main: LayoutKey[][] = [];
  const nav: LayoutKey[][] = [];
  for (const row of layout.rows) {
    let split = -1;
    for (let i = row.length - 1; i >= 0; i--)
      if (row[i].key === null && row[i].w === NAV_GAP) {
        split = i;
        break;
      }
    const tail = split >= 0 ? row.slice(split + 1) : [];
    // only a short trailing cluster is the nav block (the function row's F-key gaps are not)
    if (split >= 0 && tail.reduce((s, k) => s + k.w, 0) <= 4) {
      main.push(row.slice(0, split));
      nav.push(tail);
    } else {
      main.push(row);
      nav.push([]);
    }
  }
  const width = (slots: LayoutKey[]) => slots.reduce((s, k) => s + k.w, 0);
  const mainColumns = Math.max(...main.map(width));
  const navColumns = Math.max(0, ...nav.map(width));
  const rows = main.map((slots, r) => {
    const keys: { key: string; center: number }[] = [];
    let x = 0;
    for (const slot of [...slots, { key: null, w: mainColumns - width(slots) + NAV_GAP }, ...nav[r]]) {
      if (slot.key) keys.push({ key: slot.key, center: x + slot.w / 2 });
      x += slot.w;
    }
    return keys;
  });
  return { main, nav, mainColumns, navColumns, rows };
}

/** The key an arrow press moves to, or null at an edge. */
export function moveFocus(
  rows: readonly { key: string; center: number }[][],
  from: string,
  direction: 'left' | 'right' | 'up' | 'down' | 'home' | 'end',
): string | null {
  const r = rows.findIndex((row) => row.some((k) => k.key === from));
  if (r < 0) return null;
  const row = rows[r];
  const i = row.findIndex((k) => k.key === from);
  switch (direction) {
    case 'left':
      return row[i - 1]?.key ?? null;
    case 'right':
      return row[i + 1]?.key ?? null;
    case 'home':
      return row[0].key;
    case 'end':
      return row[row.length - 1].key;
    default: {
      const target = rows[direction === 'up' ? r - 1 : r + 1];
      if (!target || target.length === 0) return null;
      const center = row[i].center;
      let best = target[0];
      for (const k of target) if (Math.abs(k.center - center) < Math.abs(best.center - center)) best = k;
      return best.key;
    }
  }
}

/** The layers whose combos and key overrides apply: the chosen layer and base, or (live) every active one. */
export function applicableLayers(
  view: DeviceView,
  chosen: LayerView | null,
  active: ReadonlySet<string>,
  device?: string,
): LayerView[] {
  const base = view.layers[0];
  if (chosen) return chosen === base ? [base] : [chosen, base];
  return [
    ...view.layers.filter((l) => l.condition !== null && conditionHolds(l.condition, active, device)),
    base,
  ];
}

export interface LayerCombo {
  combo: ComboDescription;
  layer: LayerView;
}

/** The combos of these layers, in order (the chosen layer's first). */
export function combosOf(layers: readonly LayerView[]): LayerCombo[] {
  return layers.flatMap((layer) => (layer.combos ?? []).map((combo) => ({ combo, layer })));
}

export interface LayerOverride {
  description: KeyDescription;
  layer: LayerView;
}

/** The key override of `key` in the first of these layers that has one. */
export function overrideOf(layers: readonly LayerView[], key: string): LayerOverride | null {
  for (const layer of layers) {
    const description = layer.overrides?.[key];
    if (description) return { description, layer };
  }
  return null;
}
