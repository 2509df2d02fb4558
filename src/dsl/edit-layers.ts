/**
 * Layers without code: list a profile's layers (what names them, which when-blocks hold their
 * mappings, which keys turn them on), name a new layer, rename one, delete one. Like the key
 * edits (edit.ts) only the statements an edit touches change, and the result is compiled before
 * it is returned.
 *
 * A layer is an `MD_xx` (on while something holds it) or `LK_xx` (toggled by a lock key) id;
 * `layer_name("MD_01", "Nav")` gives it a name. Deleting a layer removes its name and the
 * when-blocks that test it alone; keys that still turn it on are left to the user (a note says
 * which), since removing them would change what those keys do.
 */
import type { BaseMapping, Condition, ConditionItem, Config, LayerName } from '../core/index.ts';
import { layerName, layerNameProblem, MAX_LAYER_ID } from '../core/index.ts';
import type { CompileOptions } from './compile.ts';
import type { EditResult, Statement } from './edit.ts';
import {
  compileAfterEdit,
  compileBeforeEdit,
  lineAt,
  removeRange,
  statementOf,
  statements,
  where,
} from './edit.ts';
import { layerNameSource } from './print.ts';

/** A key that turns a layer on, and how. */
export interface LayerActivator {
  block: number;
  key: string;
  /** the mapping kind: modifier, lock, tapHold, holdOnly, oneShot, combo, tapDance, layerToggle, layerSwitch */
  via: BaseMapping['kind'];
  /** the condition of the when-block the key is mapped in, or null for the block's own mappings */
  when: Condition | null;
}

export interface LayerInfo {
  /** `MD_xx` or `LK_xx` */
  layer: string;
  name: string | null;
  /** when-blocks that test this layer alone, by device block */
  blocks: { block: number; pattern: string; mappings: number }[];
  /** when-blocks that test it together with other conditions (all_of / none_of lists) */
  combined: number;
  activatedBy: LayerActivator[];
}

type LayerItem = Extract<ConditionItem, { kind: 'modifier' | 'lock' }>;

const itemRef = (c: LayerItem): string => layerName(c.kind === 'modifier' ? 'MD' : 'LK', c.id);

/** The MD_/LK_ layers a condition tests. */
function layersIn(c: Condition): LayerItem[] {
  if (c.kind === 'allOf' || c.kind === 'noneOf')
    return c.items.filter((i): i is LayerItem => i.kind === 'modifier' || i.kind === 'lock');
  return c.kind === 'modifier' || c.kind === 'lock' ? [c] : [];
}

/** The condition is this layer alone (`when_start("MD_01")`), not a list with others. */
export function isLayerCondition(c: Condition, layer: string): boolean {
  return (c.kind === 'modifier' || c.kind === 'lock') && itemRef(c) === layer;
}

/** The layers a mapping turns on (MD_xx held, toggled or switched to; LK_xx toggled), each once. */
export function layersTurnedOnBy(m: BaseMapping): string[] {
  return [...new Set(layerRefsOf(m))];
}

function layerRefsOf(m: BaseMapping): string[] {
  const md = (id: number | undefined): string[] => (id === undefined ? [] : [layerName('MD', id)]);
  switch (m.kind) {
    case 'modifier':
    case 'layerToggle':
    case 'layerSwitch':
      return md(m.id);
    case 'lock':
      return [layerName('LK', m.id)];
    case 'tapHold':
      return [...md(m.hold), ...md(m.timeoutLayer)];
    case 'holdOnly':
      return md(m.hold);
    case 'oneShot':
    case 'combo':
      return md(m.layer);
    case 'tapDance':
      return m.actions.flatMap((a) => md(a.holdLayer));
    default:
      return [];
  }
}

const refOrder = (a: string, b: string): number =>
  a.slice(0, 2) === b.slice(0, 2) ? parseInt(a.slice(3), 16) - parseInt(b.slice(3), 16) : a < b ? 1 : -1;

/** Every layer a profile names, tests or turns on, MD_ ones first, in id order. */
export function listLayers(config: Config): LayerInfo[] {
  const byRef = new Map<string, LayerInfo>();
  const info = (ref: string): LayerInfo => {
    let i = byRef.get(ref);
    if (!i) byRef.set(ref, (i = { layer: ref, name: null, blocks: [], combined: 0, activatedBy: [] }));
    return i;
  };
  for (const n of config.layerNames ?? []) info(n.layer).name = n.name;
  const noteActivators = (block: number, when: Condition | null, m: BaseMapping): void => {
    for (const ref of layersTurnedOnBy(m))
      info(ref).activatedBy.push({
        block,
        key: m.kind === 'combo' ? m.keys.join('+') : m.from,
        via: m.kind,
        when,
      });
  };
  config.devices.forEach((device, block) => {
    for (const m of device.mappings) {
      if (m.kind !== 'conditional') {
        noteActivators(block, null, m);
        continue;
      }
      const tested = layersIn(m.condition);
      const alone = m.condition.kind === 'modifier' || m.condition.kind === 'lock';
      for (const item of tested) {
        const i = info(itemRef(item));
        if (alone) i.blocks.push({ block, pattern: device.pattern, mappings: m.mappings.length });
        else i.combined++;
      }
      for (const inner of m.mappings) noteActivators(block, m.condition, inner);
    }
  });
  return [...byRef.values()].sort((a, b) => refOrder(a.layer, b.layer));
}

/** `MD_1`, `md_01`, `LK_0a` → `MD_01` / `LK_0A`; anything else → null. */
export function parseLayerRef(text: string): string | null {
  const m = /^(MD|LK)_([0-9A-F]{1,2})$/i.exec(text.trim());
  if (!m) return null;
  const id = parseInt(m[2], 16);
  return id > MAX_LAYER_ID ? null : layerName(m[1].toUpperCase() as 'MD' | 'LK', id);
}

/** A layer by id (`MD_01`) or by name (case-insensitive). */
export function findLayer(layers: readonly LayerInfo[], wanted: string): LayerInfo | undefined {
  const ref = parseLayerRef(wanted);
  if (ref) return layers.find((l) => l.layer === ref);
  const lower = wanted.toLowerCase();
  return layers.find((l) => l.name?.toLowerCase() === lower);
}

/** Compiles an edited source; refused when it does not compile or `check` finds it wrong. */
function finish(
  next: string,
  opts: CompileOptions,
  check: (config: Config) => string | null,
  notes: string[] = [],
): EditResult {
  const after = compileAfterEdit(next, opts);
  if (!after.ok) return after;
  const problem = check(after.config);
  if (problem) return { ok: false, code: 'E_EDIT_REFUSED', message: problem };
  return notes.length > 0
    ? { ok: true, source: next, config: after.config, notes }
    : { ok: true, source: next, config: after.config };
}

function clash(config: Config, name: string, except: string | null): LayerName | undefined {
  const lower = name.toLowerCase();
  return (config.layerNames ?? []).find((n) => n.layer !== except && n.name.toLowerCase() === lower);
}

/**
 * Names a layer: a new `layer_name(…)` statement after the profile's other ones, or before its
 * first device block (and the comment lines right above it).
 */
export function createLayer(
  source: string,
  edit: { layer: string; name: string },
  opts: CompileOptions = {},
): EditResult {
  const c = compileBeforeEdit(source, opts);
  if (!c.ok) return c;
  const { r, file } = c;
  const ref = parseLayerRef(edit.layer);
  if (!ref)
    return {
      ok: false,
      code: 'E_EDIT_TARGET',
      message: `a layer id is MD_xx or LK_xx with xx from 00 to FE, got '${edit.layer}'`,
    };
  const problem = layerNameProblem(edit.name);
  if (problem) return { ok: false, code: 'E_EDIT_TARGET', message: problem };
  const named = (r.config.layerNames ?? []).find((n) => n.layer === ref);
  if (named)
    return {
      ok: false,
      code: 'E_EDIT_CLASH',
      message: `${ref} exists already, named '${named.name}' (rename it instead)`,
    };
  const other = clash(r.config, edit.name, null);
  if (other)
    return { ok: false, code: 'E_EDIT_CLASH', message: `'${edit.name}' names ${other.layer} already` };

  const text = `${layerNameSource({ layer: ref, name: edit.name })}\n`;
  const list = statements(source, file);
  const declared = [...r.layerNameSpans.values()]
    .map((span) => statementOf(list, span, file))
    .filter((s): s is Statement => s !== undefined);
  let next: string;
  if (declared.length > 0) {
    const last = declared.reduce((a, b) => (b.end > a.end ? b : a));
    const lineEnd = source.indexOf('\n', last.end);
    const at = lineEnd < 0 ? source.length : lineEnd + 1;
    next = `${source.slice(0, at)}${lineEnd < 0 ? '\n' : ''}${lineAt(source, last.start).indent}${text}${source.slice(at)}`;
  } else {
    const firstBlock = [...r.blockSpans.values()]
      .map((s) => statementOf(list, s.open, file))
      .filter((s): s is Statement => s !== undefined)
      .sort((a, b) => a.start - b.start)[0];
    if (firstBlock) {
      // above the block's own comment lines, unless they open the file (its header stays first)
      const line = lineAt(source, firstBlock.start).start;
      const above = commentsAbove(source, line);
      const at = above === 0 ? line : above;
      next = `${source.slice(0, at)}${text}\n${source.slice(at)}`;
    } else next = `${source}${source === '' || source.endsWith('\n') ? '' : '\n'}${text}`;
  }
  return finish(next, opts, (config) =>
    (config.layerNames ?? []).some((n) => n.layer === ref && n.name === edit.name)
      ? null
      : `the edit would not take effect: ${ref} is not named '${edit.name}' afterwards`,
  );
}

/** The start of the run of `//` comment lines right above `lineStart` (or `lineStart`). */
function commentsAbove(source: string, lineStart: number): number {
  let at = lineStart;
  while (at > 0) {
    const prev = source.lastIndexOf('\n', at - 2) + 1;
    if (!/^[ \t]*\/\//.test(source.slice(prev, at))) break;
    at = prev;
  }
  return at;
}

/** `; its layers: MD_00 (Nav), LK_01` or ` (it has none)`, for messages about a layer not found. */
export function knownLayersText(layers: readonly LayerInfo[]): string {
  const known = layers.map((l) => (l.name ? `${l.layer} (${l.name})` : l.layer));
  return known.length > 0 ? `; its layers: ${known.join(', ')}` : ' (it has none)';
}

function unknownLayer(layers: readonly LayerInfo[], wanted: string): Extract<EditResult, { ok: false }> {
  return {
    ok: false,
    code: 'E_EDIT_TARGET',
    message: `no layer '${wanted}' in this profile${knownLayersText(layers)}`,
  };
}

/** Renames a layer (by id or current name); a layer without a name yet gets one. */
export function renameLayer(
  source: string,
  edit: { layer: string; name: string },
  opts: CompileOptions = {},
): EditResult {
  const c = compileBeforeEdit(source, opts);
  if (!c.ok) return c;
  const { r, file } = c;
  const layers = listLayers(r.config);
  const layer = findLayer(layers, edit.layer);
  if (!layer) return unknownLayer(layers, edit.layer);
  const problem = layerNameProblem(edit.name);
  if (problem) return { ok: false, code: 'E_EDIT_TARGET', message: problem };
  if (layer.name === null) return createLayer(source, { layer: layer.layer, name: edit.name }, opts);
  if (layer.name === edit.name)
    return { ok: false, code: 'E_EDIT_REFUSED', message: `${layer.layer} is named '${edit.name}' already` };
  const other = clash(r.config, edit.name, layer.layer);
  if (other)
    return { ok: false, code: 'E_EDIT_CLASH', message: `'${edit.name}' names ${other.layer} already` };
  const entry = r.config.layerNames!.find((n) => n.layer === layer.layer)!;
  const span = [...r.layerNameSpans].find(([n]) => n.layer === entry.layer)?.[1];
  const stmt = statementOf(statements(source, file), span, file);
  if (!stmt)
    return {
      ok: false,
      code: 'E_EDIT_FROM_CODE',
      message: `${layer.layer} is named by code${span ? ` at ${where(span)}` : ''} (a loop, a function or a loaded file): rename it there`,
      span,
    };
  const next =
    source.slice(0, stmt.start) +
    layerNameSource({ layer: layer.layer, name: edit.name }) +
    source.slice(stmt.end);
  return finish(next, opts, (config) =>
    (config.layerNames ?? []).some((n) => n.layer === layer.layer && n.name === edit.name)
      ? null
      : `the edit would not take effect: ${layer.layer} is not named '${edit.name}' afterwards`,
  );
}

/**
 * Deletes a layer: its `layer_name(…)` and every when-block that tests it alone, each with its
 * mappings. Keys that turn it on, and when-blocks that test it with other conditions, stay —
 * the notes say which.
 */
export function deleteLayer(source: string, edit: { layer: string }, opts: CompileOptions = {}): EditResult {
  const c = compileBeforeEdit(source, opts);
  if (!c.ok) return c;
  const { r, file } = c;
  const layers = listLayers(r.config);
  const layer = findLayer(layers, edit.layer);
  if (!layer) return unknownLayer(layers, edit.layer);
  const list = statements(source, file);
  const ranges: { start: number; end: number }[] = [];
  for (const device of r.config.devices)
    for (const m of device.mappings) {
      if (m.kind !== 'conditional') continue;
      if (!(
        (m.condition.kind === 'modifier' || m.condition.kind === 'lock') &&
        itemRef(m.condition) === layer.layer
      ))
        continue;
      const span = r.blockSpans.get(m);
      const open = statementOf(list, span?.open, file);
      const close = statementOf(list, span?.close ?? undefined, file);
      if (!open || !close)
        return {
          ok: false,
          code: 'E_EDIT_FROM_CODE',
          message: `a when-block of ${layer.layer} is made by code${span ? ` at ${where(span.open)}` : ''}: delete it there`,
          span: span?.open,
        };
      ranges.push({ start: open.start, end: close.end });
    }
  const entry = [...r.layerNameSpans].find(([n]) => n.layer === layer.layer);
  if (entry) {
    const stmt = statementOf(list, entry[1], file);
    if (!stmt)
      return {
        ok: false,
        code: 'E_EDIT_FROM_CODE',
        message: `${layer.layer} is named by code at ${where(entry[1])}: delete it there`,
        span: entry[1],
      };
    ranges.push(stmt);
  }
  if (ranges.length === 0)
    return {
      ok: false,
      code: 'E_EDIT_REFUSED',
      message: `${layer.layer} has no name and no when-block of its own to delete`,
    };
  let next = source;
  for (const range of ranges.sort((a, b) => b.start - a.start))
    next = removeRange(next, range.start, range.end);

  const label = layer.name ? `${layer.layer} ('${layer.name}')` : layer.layer;
  const notes = layer.activatedBy.map(
    (a) => `${a.key} in device block ${a.block} still turns ${label} on (${a.via}); it now changes nothing`,
  );
  if (layer.combined > 0)
    notes.push(
      `${layer.combined} when-block${layer.combined === 1 ? '' : 's'} testing ${layer.layer} together with other conditions stay${layer.combined === 1 ? 's' : ''}`,
    );
  return finish(
    next,
    opts,
    (config) => {
      const left = listLayers(config).find((l) => l.layer === layer.layer);
      return left && (left.name !== null || left.blocks.length > 0)
        ? `the edit would not take effect: ${layer.layer} still has ${left.name !== null ? 'a name' : 'a when-block'}`
        : null;
    },
    notes,
  );
}
