/**
 * What each key does, per layer, in words short enough for a keycap: the data behind
 * keyboard views (CLI `keyrx view`, the web UI).
 */
import type { BaseMapping, Condition, Config, ConditionItem } from './config.ts';
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

export function describeMapping(m: BaseMapping): KeyDescription {
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
        label: `${short(m.tap)}/${layerName('MD', m.hold)}`,
        detail: `tap: ${m.tap}, hold ≥ ${m.thresholdMs} ms: ${layerName('MD', m.hold)}`,
      };
    case 'holdOnly':
      return {
        kind: m.kind,
        label: `(${layerName('MD', m.hold)})`,
        detail: `hold ≥ ${m.thresholdMs} ms: ${layerName('MD', m.hold)}; tap does nothing`,
      };
    case 'modifiedOutput': {
      const mods = [m.shift && 'Shift', m.ctrl && 'Ctrl', m.alt && 'Alt', m.win && 'Win'].filter(
        Boolean,
      ) as string[];
      const sym = [m.shift && '⇧', m.ctrl && '⌃', m.alt && '⌥', m.win && '◆'].filter(Boolean).join('');
      return { kind: m.kind, label: `${sym}${short(m.to)}`, detail: `${mods.join('+')}+${m.to}` };
    }
    case 'sequence':
      return { kind: m.kind, label: m.keys.map(short).join(''), detail: `types ${m.keys.join(' ')}` };
  }
}

/** Layers of each device block: the base layer, then one per distinct condition, in declaration order. */
export function describeConfig(
  config: Config,
  locate?: (m: BaseMapping) => MappingSource | undefined,
): DeviceView[] {
  const describe = (m: BaseMapping): KeyDescription => {
    const d = describeMapping(m);
    const source = locate?.(m);
    return source ? { ...d, source: { file: source.file, line: source.line, column: source.column } } : d;
  };
  return config.devices.map((block) => {
    const base: LayerView = { name: 'base', condition: null, keys: {} };
    const layers = new Map<string, LayerView>();
    for (const m of block.mappings) {
      if (m.kind === 'conditional') {
        const name = conditionName(m.condition);
        let layer = layers.get(name);
        if (!layer) layers.set(name, (layer = { name, condition: m.condition, keys: {} }));
        for (const inner of m.mappings) layer.keys[inner.from] ??= describe(inner);
      } else base.keys[m.from] ??= describe(m);
    }
    return { pattern: block.pattern, layers: [base, ...layers.values()] };
  });
}
