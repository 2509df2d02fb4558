/**
 * What each key does, per layer, in words short enough for a keycap: the data behind
 * keyboard views (CLI `keyrx view`, the web UI).
 */
import type {
  BaseMapping,
  Condition,
  Config,
  ConditionItem,
  DanceAction,
  KeyMapping,
  MacroStep,
} from './config.ts';
import { layerName } from './config.ts';

export interface KeyDescription {
  kind: BaseMapping['kind'];
  /** short keycap label: `Left`, `Esc/MD_00`, `⇧1` */
  label: string;
  /** one-line explanation */
  detail: string;
  /** where the mapping was declared, when the caller knows (see describeConfig's `locate`) */
  source?: MappingSource;
}

export interface MappingSource {
  file: string;
  line: number;
  column: number;
}

export interface LayerView {
  /** `base`, `MD_00`, `LK_01`, `MD_00+MD_01`, `not LK_00`, `IME+LANG_ja`, `device *x*` */
  name: string;
  condition: Condition | null;
  keys: Record<string, KeyDescription>;
  /** combos of this layer: keys pressed together, and what they give */
  combos: ComboDescription[];
  /** key overrides by key: what the key gives while the listed modifiers are down */
  overrides?: Record<string, KeyDescription>;
}

export interface ComboDescription extends KeyDescription {
  keys: string[];
}

export interface DeviceView {
  pattern: string;
  layers: LayerView[];
}

function itemName(c: ConditionItem): string {
  switch (c.kind) {
    case 'modifier':
      return layerName('MD', c.id);
    case 'lock':
      return layerName('LK', c.id);
    case 'ime':
      return 'IME';
    case 'lang':
      return `LANG_${c.lang}`;
    case 'app':
      return `APP:${c.pattern}`;
    case 'title':
      return `TITLE:${c.pattern}`;
  }
}

export function conditionName(c: Condition): string {
  switch (c.kind) {
    case 'allOf':
      return c.items.map(itemName).join('+');
    case 'noneOf':
      return `not ${c.items.map(itemName).join('/')}`;
    case 'device':
      return `device ${c.pattern}`;
    default:
      return itemName(c);
  }
}

const SHORT: Record<string, string> = {
  Escape: 'Esc',
  Backspace: 'Bksp',
  Delete: 'Del',
  PageUp: 'PgUp',
  PageDown: 'PgDn',
  CapsLock: 'Caps',
};
const short = (name: string): string => SHORT[name] ?? name.replace(/^Num(\d)$/, '$1');

function holdName(m: { hold?: number; holdKey?: string }): string {
  return m.holdKey ?? layerName('MD', m.hold ?? 0);
}

function danceText(a: DanceAction): string {
  const hold = a.holdKey ?? (a.holdLayer !== undefined ? layerName('MD', a.holdLayer) : undefined);
  return [a.tap && `tap ${a.tap}`, hold && `hold ${hold}`].filter(Boolean).join(', ');
}

function stepText(s: MacroStep): string {
  switch (s.op) {
    case 'wait':
      return `wait ${s.ms} ms`;
    case 'text':
      return `text ${JSON.stringify(s.text)}`;
    default:
      return `${s.op} ${s.key}`;
  }
}

/** `tap_hold` options in the words of the DSL, for the detail line. */
function tapHoldOptions(m: Extract<BaseMapping, { kind: 'tapHold' }>): string {
  const parts: string[] = [];
  if (m.mode && m.mode !== 'permissive') parts.push(m.mode.replace(/_/g, ' '));
  if (m.quickTapMs) parts.push(`quick tap ${m.quickTapMs} ms`);
  if (m.requirePriorIdleMs) parts.push(`tap after typing within ${m.requirePriorIdleMs} ms`);
  if (m.oppositeHand) parts.push('opposite hand');
  if (m.rollMs) parts.push(`rolls within ${m.rollMs} ms are taps`);
  if (m.tapKeys) parts.push(`tap on ${m.tapKeys.join(' ')}`);
  if (m.holdKeys) parts.push(`hold on ${m.holdKeys.join(' ')}`);
  if (m.timeoutKey) parts.push(`held alone: ${m.timeoutKey}`);
  if (m.timeoutLayer !== undefined) parts.push(`held alone: ${layerName('MD', m.timeoutLayer)}`);
  if (m.retroTap) parts.push('retro tap');
  if (m.tapHeld) parts.push('early tap held');
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

export function describeMapping(m: KeyMapping): KeyDescription {
  switch (m.kind) {
    case 'simple':
      return { kind: m.kind, label: short(m.to), detail: `${m.from} → ${m.to}` };
    case 'modifier':
      return { kind: m.kind, label: layerName('MD', m.id), detail: `holds layer ${layerName('MD', m.id)}` };
    case 'lock':
      return { kind: m.kind, label: layerName('LK', m.id), detail: `toggles lock ${layerName('LK', m.id)}` };
    case 'tapHold':
      return {
        kind: m.kind,
        label: `${short(m.tap)}/${holdName(m)}`,
        detail: `tap: ${m.tap}, hold ≥ ${m.thresholdMs} ms: ${holdName(m)}${tapHoldOptions(m)}`,
      };
    case 'holdOnly':
      return {
        kind: m.kind,
        label: `(${layerName('MD', m.hold)})`,
        detail: `hold ≥ ${m.thresholdMs} ms: ${layerName('MD', m.hold)}; tap does nothing`,
      };
    case 'modifiedOutput':
      return { kind: m.kind, ...withModifiers(m, m.to) };
    case 'sequence':
      return { kind: m.kind, label: m.keys.map(short).join(''), detail: `types ${m.keys.join(' ')}` };
    case 'oneShot': {
      const target = m.key ?? layerName('MD', m.layer ?? 0);
      return {
        kind: m.kind,
        label: `1×${short(target)}`,
        detail: `one-shot ${target}: the next key gets it (armed ${m.timeoutMs} ms${m.lock ? '; twice: locked' : ''})`,
      };
    }
    case 'tapDance':
      return {
        kind: m.kind,
        label: m.actions.map((a) => short(a.tap ?? a.holdKey ?? layerName('MD', a.holdLayer ?? 0))).join('|'),
        detail: `tap dance (${m.windowMs} ms${m.eager ? ', eager: each press at once' : ''}): ${m.actions.map((a, i) => `${i + 1}× ${danceText(a)}`).join('; ')}`,
      };
    case 'macro':
      return { kind: m.kind, label: 'macro', detail: `macro: ${m.steps.map(stepText).join(', ')}` };
    case 'layerToggle':
      return {
        kind: m.kind,
        label: `⇄${layerName('MD', m.id)}`,
        detail: `toggles layer ${layerName('MD', m.id)}`,
      };
    case 'layerSwitch':
      return {
        kind: m.kind,
        label: `→${layerName('MD', m.id)}`,
        detail: `switches the base layer to ${layerName('MD', m.id)} (again: back)`,
      };
    case 'capsWord':
      return {
        kind: m.kind,
        label: 'CapsWd',
        detail: `caps word (ends after ${m.timeoutMs} ms idle${capsWordLists(m)})`,
      };
    case 'leader':
      return {
        kind: m.kind,
        label: 'Leader',
        detail: `leader (${m.timeoutMs} ms per key): ${m.sequences.map((q) => `${q.keys.join(' ')} → ${q.steps.map(stepText).join(', ')}`).join('; ') || 'no sequences'}`,
      };
    case 'mouseMove':
      return {
        kind: m.kind,
        label: `🖱${ARROWS[`${m.x},${m.y}`] ?? ''}`,
        detail: `moves the pointer ${directionName(m.x, m.y)}: ${m.speed} px/s${m.maxSpeed > m.speed ? ` to ${m.maxSpeed} px/s over ${m.accelMs} ms` : ''}`,
      };
    case 'mouseWheel':
      return {
        kind: m.kind,
        label: `⇳${ARROWS[`${m.x},${m.y}`] ?? ''}`,
        detail: `scrolls ${directionName(m.x, m.y)}: ${m.rate} notches/s`,
      };
    case 'dynamicMacroRecord':
      return { kind: m.kind, label: `Rec${m.slot}`, detail: `records dynamic macro ${m.slot} (again: stop)` };
    case 'dynamicMacroPlay':
      return { kind: m.kind, label: `Play${m.slot}`, detail: `plays dynamic macro ${m.slot}` };
    case 'autoShift':
      return {
        kind: m.kind,
        label: `${short(m.from)}/⇧`,
        detail: `auto shift: held ≥ ${m.thresholdMs} ms types Shift+${m.from}`,
      };
    case 'keyOverride':
      return { kind: m.kind, label: short(m.to), detail: `${m.mods.join('+')}+${m.from} → ${m.to}` };
    case 'unicode':
      return { kind: m.kind, label: m.text, detail: `types ${JSON.stringify(m.text)} (unicode entry)` };
  }
}

const ARROWS: Record<string, string> = {
  '0,-1': '↑',
  '0,1': '↓',
  '-1,0': '←',
  '1,0': '→',
  '-1,-1': '↖',
  '1,-1': '↗',
  '-1,1': '↙',
  '1,1': '↘',
};

/** `up`, `down_left` …: the DSL's name of a mouse-key direction. */
export function directionName(x: number, y: number): string {
  return [y < 0 ? 'up' : y > 0 ? 'down' : '', x < 0 ? 'left' : x > 0 ? 'right' : '']
    .filter(Boolean)
    .join('_');
}

function capsWordLists(m: Extract<BaseMapping, { kind: 'capsWord' }>): string {
  const parts: string[] = [];
  if (m.shiftKeys) parts.push(`; shifts ${m.shiftKeys.join(' ') || 'nothing'}`);
  if (m.continueKeys) parts.push(`; continues on ${m.continueKeys.join(' ') || 'modifiers only'}`);
  return parts.join('');
}

/** A key with Shift/Ctrl/Alt/Win flags: `⇧⌃T`, `Shift+Ctrl+T`. */
function withModifiers(
  m: { shift?: boolean; ctrl?: boolean; alt?: boolean; win?: boolean },
  key: string,
): { label: string; detail: string } {
  const mods = [m.shift && 'Shift', m.ctrl && 'Ctrl', m.alt && 'Alt', m.win && 'Win'].filter(Boolean);
  const sym = [m.shift && '⇧', m.ctrl && '⌃', m.alt && '⌥', m.win && '◆'].filter(Boolean).join('');
  return { label: `${sym}${short(key)}`, detail: [...mods, key].join('+') };
}

/** A combo, for keyboard views: on each of its keys, and in the layer's list. */
export function describeCombo(m: Extract<BaseMapping, { kind: 'combo' }>): ComboDescription {
  const output =
    m.layer !== undefined
      ? { label: layerName('MD', m.layer), detail: `layer ${layerName('MD', m.layer)} while held` }
      : withModifiers(m, m.to ?? '');
  return {
    kind: m.kind,
    keys: m.keys,
    label: output.label,
    detail: `${m.keys.join('+')} together (within ${m.windowMs} ms) → ${output.detail}${m.release === 'all' ? ', until every key is up' : ''}`,
  };
}

/** Layers of each device block: the base layer, then one per distinct condition, in declaration order. */
export function describeConfig(
  config: Config,
  locate?: (m: BaseMapping) => MappingSource | undefined,
): DeviceView[] {
  const located = <T extends KeyDescription>(m: BaseMapping, d: T): T => {
    const source = locate?.(m);
    return source ? { ...d, source: { file: source.file, line: source.line, column: source.column } } : d;
  };
  const add = (layer: LayerView, m: BaseMapping): void => {
    if (m.kind === 'combo') layer.combos.push(located(m, describeCombo(m)));
    // two keys held together, each still itself: listed with the combos, not on either key
    else if (m.kind === 'capsWord' && m.together !== undefined)
      layer.combos.push(
        located(m, {
          kind: m.kind,
          keys: [m.from, m.together],
          label: 'CapsWd',
          detail: `${m.from}+${m.together} together → caps word; both keys still act (ends after ${m.timeoutMs} ms idle${capsWordLists(m)})`,
        }),
      );
    // key overrides apply while their modifiers are down: they do not hide the key's base mapping
    else if (m.kind !== 'keyOverride') layer.keys[m.from] ??= located(m, describeMapping(m));
    else (layer.overrides ??= {})[m.from] ??= located(m, describeMapping(m));
  };
  return config.devices.map((block) => {
    const base: LayerView = { name: 'base', condition: null, keys: {}, combos: [] };
    const layers = new Map<string, LayerView>();
    for (const m of block.mappings) {
      if (m.kind === 'conditional') {
        const name = conditionName(m.condition);
        let layer = layers.get(name);
        if (!layer) layers.set(name, (layer = { name, condition: m.condition, keys: {}, combos: [] }));
        for (const inner of m.mappings) add(layer, inner);
      } else add(base, m);
    }
    return { pattern: block.pattern, layers: [base, ...layers.values()] };
  });
}
