/**
 * What the keyboard view shows for each key, derived from describeConfig's views: the chosen
 * layer's meaning, base fall-through, or (in the simulator) what the engine would do now.
 */
import type {
  ComboDescription,
  Condition,
  ConditionItem,
  DeviceView,
  KeyDescription,
  LayerView,
  Layout,
  LayoutKey,
} from '../../../src/core/index.ts';
import {
  globMatch,
  keyByName,
  layerName,
  layoutClusters,
  layoutRows,
  layoutSize,
} from '../../../src/core/index.ts';

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

/**
 * The built-in layout a profile suggests: JIS when a Japanese-only key is used (Yen, Ro, Henkan, …),
 * ISO for the 102nd key, else ANSI; full size when a numpad key (or Num Lock) is used, else the
 * tenkeyless board (JIS has no tenkeyless layout).
 */
export function detectLayout(views: readonly DeviceView[]): string {
  let iso = false;
  let numpad = false;
  for (const name of mentionedKeyNames(views)) {
    const info = keyByName(name);
    if (info?.group === 'japanese') return 'jis-109';
    if (info?.group === 'iso') iso = true;
    if (info?.group === 'numpad' || info?.name === 'NumLock') numpad = true;
  }
  if (iso) return numpad ? 'iso-105' : 'iso-88';
  return numpad ? 'ansi-104' : 'ansi-87';
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

export interface LayoutBlock {
  /** left edge on the board, key units */
  x: number;
  width: number;
  /** the block's keys in reading order, positions relative to the board */
  keys: LayoutKey[];
}

export interface LayoutGeometry {
  /**
   * The blocks of keys a vertical gap separates (main block, navigation cluster, numpad), left to
   * right; each is drawn on its own so narrow screens wrap them below one another.
   */
  blocks: LayoutBlock[];
  /** the board's height, key units (every block is this high: its keys keep their places) */
  height: number;
  /** width of the first block, and of all blocks side by side with half a unit between them */
  mainColumns: number;
  columns: number;
  /** keys per row, left to right, for arrow-key movement */
  rows: { key: string; center: number }[][];
}

/** Blocks are drawn half a unit apart (the CSS gap), whatever the layout's own gap. */
const BLOCK_GAP = 0.5;

export function layoutGeometry(layout: Pick<Layout, 'keys'>): LayoutGeometry {
  const blocks = layoutClusters(layout.keys).map((c) => ({
    x: c.x,
    width: c.width,
    keys: layoutRows(c.keys).flat(),
  }));
  const { height } = layoutSize(layout);
  const mainColumns = blocks[0]?.width ?? 0;
  const columns = blocks.reduce((sum, b) => sum + b.width, 0) + BLOCK_GAP * Math.max(0, blocks.length - 1);
  const rows = layoutRows(layout.keys).map((row) => row.map((k) => ({ key: k.key, center: k.x + k.w / 2 })));
  return { blocks, height, mainColumns, columns, rows };
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
