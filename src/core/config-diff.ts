/**
 * What changed between two configs, key by key: for each device block (matched by pattern) and
 * layer (by condition), the keys whose mapping was added, removed or changed, in the words of the
 * keyboard view (describe.ts). The profile diff of the CLI, the API and the web UI.
 */
import type { Config } from './config.ts';
import type { DeviceView, LayerView } from './describe.ts';
import { describeConfig } from './describe.ts';

export interface MappingChange {
  /** the device block's index in the newer config (in the older one when the block is gone) */
  block: number;
  pattern: string;
  /** `base`, `MD_00`, `MD_00+LK_01` … */
  layer: string;
  /** a key, `A+S` for a combo, `LCtrl+A` style keys for key overrides (`override A`) */
  key: string;
  /** what it did before and does now (null: not mapped) */
  before: string | null;
  after: string | null;
}

/** Every mapping of a layer, by a name that tells combos and overrides from keys. */
function entries(layer: LayerView | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!layer) return out;
  for (const [key, d] of Object.entries(layer.keys)) out.set(key, d.detail);
  for (const c of layer.combos) out.set(c.keys.join('+'), c.detail);
  for (const [key, d] of Object.entries(layer.overrides ?? {})) out.set(`override ${key}`, d.detail);
  return out;
}

/** Pairs the blocks of two views: by pattern, the nth block with a pattern with the nth. */
function pairBlocks(a: DeviceView[], b: DeviceView[]): [number | null, number | null][] {
  const pairs: [number | null, number | null][] = [];
  const usedA = new Set<number>();
  b.forEach((block, j) => {
    const i = a.findIndex((x, k) => !usedA.has(k) && x.pattern === block.pattern);
    if (i >= 0) usedA.add(i);
    pairs.push([i >= 0 ? i : null, j]);
  });
  a.forEach((_, i) => {
    if (!usedA.has(i)) pairs.push([i, null]);
  });
  return pairs;
}

export function diffConfigs(before: Config, after: Config): MappingChange[] {
  const a = describeConfig(before);
  const b = describeConfig(after);
  const changes: MappingChange[] = [];
  for (const [i, j] of pairBlocks(a, b)) {
    const old = i === null ? undefined : a[i];
    const now = j === null ? undefined : b[j];
    const pattern = (now ?? old)!.pattern;
    const block = (j ?? i)!;
    const layerNames = [
      ...new Set([...(now?.layers ?? []).map((l) => l.name), ...(old?.layers ?? []).map((l) => l.name)]),
    ];
    for (const layer of layerNames) {
      const x = entries(old?.layers.find((l) => l.name === layer));
      const y = entries(now?.layers.find((l) => l.name === layer));
      for (const key of new Set([...y.keys(), ...x.keys()])) {
        const was = x.get(key) ?? null;
        const is = y.get(key) ?? null;
        if (was !== is) changes.push({ block, pattern, layer, key, before: was, after: is });
      }
    }
  }
  return changes;
}
