/**
 * Edits without code: set or delete the mapping of one key in one device block and layer of a
 * profile, changing only the statement the edit touches — every other byte (comments, blank
 * lines, formatting, the order of statements) stays as it was. The result is compiled before it
 * is returned: an edit that would not compile, or would not take effect, is refused.
 *
 * A mapping written by code (inside a loop or a function, in a `load()`ed file, or by a statement
 * that maps other keys too) is not rewritten: the edit says where it comes from, and with `override` adds an explicit mapping
 * that takes precedence (the first declared mapping of a key wins) instead.
 */
import type { BaseMapping, Condition, Config, DeviceBlock, KeyMapping, Mapping } from '../core/index.ts';
import { keyName, resolveKey } from '../core/index.ts';
import type { CompileOptions, CompileResult } from './compile.ts';
import { compileProfile } from './compile.ts';
import type { SourceSpan } from './diagnostics.ts';
import { formatDiagnostic } from './diagnostics.ts';
import { canonicalJson } from './krx.ts';
import { parse } from './parser.ts';
import { conditionSource, mappingSource } from './print.ts';

export interface KeyEdit {
  /** the device block, by its index in the compiled config */
  block: number;
  /** the conditional block (layer) by its condition, or null for the block's base mappings */
  layer: Condition | null;
  /** the key whose mapping changes */
  key: string;
  /** its new mapping (triggered by `key`), or null to remove it */
  mapping: KeyMapping | null;
  /** the key is mapped by code: add an explicit mapping ahead of it rather than refuse */
  override?: boolean;
  /**
   * the edit is of the key's override for these modifiers (`key_override()`), a slot of its own
   * beside the key's mapping; taken from `mapping` when it is a keyOverride
   */
  overrideMods?: string[];
}

export type EditResult =
  | {
      ok: true;
      source: string;
      config: Config;
      /** what the edit left as it was, worth saying */ notes?: string[];
    }
  | { ok: false; code: EditErrorCode; message: string; span?: SourceSpan };

export type EditErrorCode =
  /** the profile does not compile as it is */
  | 'E_EDIT_PROFILE'
  /** no such device block, or a key name that does not exist, or a mapping for another key */
  | 'E_EDIT_TARGET'
  /** the mapping (or its block) comes from code: a loop, a function, a loaded file */
  | 'E_EDIT_FROM_CODE'
  /** the edited profile would not compile, or the edit would not change what the key does */
  | 'E_EDIT_REFUSED'
  /** a layer id or name that is taken already */
  | 'E_EDIT_CLASH';

/** A top-level statement of the main file: its text range, the semicolon included. */
export interface Statement {
  start: number;
  end: number;
  /** the offset of the call it is, when it is one */
  call: number | null;
}

export function statements(source: string, file: string): Statement[] {
  const program = parse(source, file).program;
  return program.statements.map((s) => {
    let end = s.span.offset + s.span.length;
    const semicolon = /^\s*;/.exec(source.slice(end));
    if (semicolon) end += semicolon[0].length;
    return {
      start: s.span.offset,
      end,
      call: s.kind === 'Expr' && s.expr.kind === 'Call' ? s.expr.span.offset : null,
    };
  });
}

/**
 * The main file as the edit model sees it: top-level statements, function definitions and the
 * text between them (blank lines, comments), in order. Joined, they are the source byte for byte
 * — edits replace statements and keep everything else.
 */
export function sourceSegments(
  source: string,
  file: string,
): { kind: 'statement' | 'function' | 'between'; text: string }[] {
  const parts = [
    ...statements(source, file).map((s) => ({ kind: 'statement' as const, start: s.start, end: s.end })),
    ...parse(source, file).program.functions.map((f) => ({
      kind: 'function' as const,
      start: f.span.offset,
      end: f.span.offset + f.span.length,
    })),
  ].sort((a, b) => a.start - b.start);
  const out: { kind: 'statement' | 'function' | 'between'; text: string }[] = [];
  let at = 0;
  for (const p of parts) {
    if (p.start < at) throw new Error(`${file}: statements overlap at offset ${p.start}`);
    if (p.start > at) out.push({ kind: 'between', text: source.slice(at, p.start) });
    out.push({ kind: p.kind, text: source.slice(p.start, p.end) });
    at = p.end;
  }
  if (at < source.length) out.push({ kind: 'between', text: source.slice(at) });
  return out;
}

/** The statement a call written at the top level of the main file is, or undefined (code made it). */
export function statementOf(
  list: Statement[],
  span: SourceSpan | undefined,
  file: string,
): Statement | undefined {
  if (span === undefined || span.file !== file) return undefined;
  return list.find((s) => s.call === span.offset);
}

export const where = (span: SourceSpan): string => `${span.file}:${span.line}:${span.column}`;

const modsKey = (mods: readonly string[]): string => [...mods].sort().join('+');

/**
 * The first mapping of `key` among a container's own mappings (base ones, or a layer's): its own
 * mapping, or with `overrideMods` its key override for those modifiers — a slot of its own, as in
 * the engine, so a `key_override()` is never taken for the key's mapping or the other way round.
 */
function mappingOf(
  mappings: readonly (Mapping | BaseMapping)[],
  key: string,
  overrideMods: readonly string[] | null = null,
): BaseMapping | undefined {
  const want = overrideMods && modsKey(overrideMods);
  for (const m of mappings) {
    if (m.kind === 'conditional' || m.kind === 'combo' || m.from !== key) continue;
    if (want === null ? m.kind !== 'keyOverride' : m.kind === 'keyOverride' && modsKey(m.mods) === want)
      return m;
  }
  return undefined;
}

type Layer = Extract<Mapping, { kind: 'conditional' }>;

/** The block's when-block for a condition (compared by value), if it has one. */
function layerOf(block: DeviceBlock, layer: Condition | null): Layer | undefined {
  if (layer === null) return undefined;
  const want = canonicalJson(layer);
  return block.mappings.find(
    (m): m is Layer => m.kind === 'conditional' && canonicalJson(m.condition) === want,
  );
}

/** The mappings an edit of this layer looks among: the block's own, or its when-block's (none yet). */
function containerOf(block: DeviceBlock, layer: Condition | null): readonly (Mapping | BaseMapping)[] {
  return layer === null ? block.mappings : (layerOf(block, layer)?.mappings ?? []);
}

/** The start of the line `offset` is on, and its indentation. */
export function lineAt(source: string, offset: number): { start: number; indent: string } {
  const start = source.lastIndexOf('\n', offset - 1) + 1;
  return { start, indent: /^[ \t]*/.exec(source.slice(start))![0] };
}

/**
 * What the key does in that block and layer of a config (its first mapping there), or with
 * `overrideMods` its key override for those modifiers; undefined when none.
 */
export function keyMapping(
  config: Config,
  block: number,
  layer: Condition | null,
  key: string,
  overrideMods: readonly string[] | null = null,
): BaseMapping | undefined {
  const b = config.devices[block];
  return b && mappingOf(containerOf(b, layer), key, overrideMods);
}

type Refusal = Extract<EditResult, { ok: false }>;

/** The profile before an edit, compiled: an edit starts from a profile that compiles. */
export function compileBeforeEdit(
  source: string,
  opts: CompileOptions,
): { ok: true; r: CompileResult & { config: Config }; file: string } | Refusal {
  const file = opts.file ?? 'profile.rhai';
  const r = compileProfile(source, { ...opts, file });
  if (!r.ok || !r.config) {
    const first = r.diagnostics.find((d) => d.severity === 'error');
    return {
      ok: false,
      code: 'E_EDIT_PROFILE',
      message: `the profile does not compile as it is${first ? `: ${formatDiagnostic(first, source)}` : ''}`,
    };
  }
  return { ok: true, r: r as CompileResult & { config: Config }, file };
}

/** The edited profile, compiled: its config, or the refusal of an edit that would not compile. */
export function compileAfterEdit(next: string, opts: CompileOptions): { ok: true; config: Config } | Refusal {
  const after = compileProfile(next, { ...opts, file: opts.file ?? 'profile.rhai' });
  if (!after.ok || !after.config) {
    const first = after.diagnostics.find((d) => d.severity === 'error');
    return {
      ok: false,
      code: 'E_EDIT_REFUSED',
      message: `the edited profile would not compile${first ? `: ${formatDiagnostic(first, next)}` : ''}`,
    };
  }
  return { ok: true, config: after.config };
}

export function editProfile(source: string, edit: KeyEdit, opts: CompileOptions = {}): EditResult {
  const before = compileBeforeEdit(source, opts);
  if (!before.ok) return before;
  const { r, file } = before;
  let key: string;
  try {
    key = keyName(resolveKey(edit.key));
  } catch (e) {
    return { ok: false, code: 'E_EDIT_TARGET', message: (e as Error).message };
  }
  if (edit.mapping !== null && (edit.mapping.kind as string) !== 'combo' && edit.mapping.from !== key)
    return {
      ok: false,
      code: 'E_EDIT_TARGET',
      message: `the mapping is for ${edit.mapping.from}, not ${key}`,
    };
  const block = r.config.devices[edit.block];
  if (!block)
    return {
      ok: false,
      code: 'E_EDIT_TARGET',
      message: `there is no device block ${edit.block} (the profile has ${r.config.devices.length})`,
    };
  const list = statements(source, file);
  const blockSpan = r.blockSpans.get(block);
  const blockOpen = statementOf(list, blockSpan?.open, file);
  const blockClose = statementOf(list, blockSpan?.close ?? undefined, file);
  if (!blockSpan || !blockOpen || !blockClose)
    return {
      ok: false,
      code: 'E_EDIT_FROM_CODE',
      message: `device block ${edit.block} ("${block.pattern}") is not written out in ${file}: it comes from code`,
      span: blockSpan?.open,
    };

  // the container: the block itself, or the layer's when-block (made when missing)
  const layer = layerOf(block, edit.layer);
  let open = blockOpen;
  let close = blockClose;
  if (layer) {
    const span = r.blockSpans.get(layer);
    const o = statementOf(list, span?.open, file);
    const c = statementOf(list, span?.close ?? undefined, file);
    if (!span || !o || !c)
      return {
        ok: false,
        code: 'E_EDIT_FROM_CODE',
        message: `the layer's block is not written out in ${file}: it comes from code`,
        span: span?.open,
      };
    open = o;
    close = c;
  }
  const overrideMods = edit.mapping?.kind === 'keyOverride' ? edit.mapping.mods : (edit.overrideMods ?? null);
  const existing = mappingOf(containerOf(block, edit.layer), key, overrideMods);

  let next: string;
  if (existing !== undefined) {
    const span = r.mappingSpans.get(existing);
    const stmt = statementOf(list, span, file);
    // one statement that maps other keys too (auto_shift(["A", "B"])) is theirs as well: not rewritten
    const shared =
      span !== undefined &&
      [...r.mappingSpans].some(
        ([m, s]) => m !== existing && s.file === span.file && s.offset === span.offset,
      );
    if (stmt !== undefined && shared && !edit.override)
      return {
        ok: false,
        code: 'E_EDIT_FROM_CODE',
        message: `${key} is mapped at ${where(span!)} by a statement that maps other keys too: edit it there, or add an explicit mapping ahead of it (override)`,
        span,
      };
    if (stmt !== undefined && !shared) next = replaceStatement(source, stmt, edit.mapping);
    else if (!edit.override)
      return {
        ok: false,
        code: 'E_EDIT_FROM_CODE',
        message: `${key} is mapped by code${span ? ` at ${where(span)}` : ''} (a loop, a function or a loaded file): edit it there, or add an explicit mapping ahead of it (override)`,
        span,
      };
    else if (edit.mapping === null)
      return {
        ok: false,
        code: 'E_EDIT_FROM_CODE',
        message: `${key} is mapped by code${span ? ` at ${where(span)}` : ''}: it cannot be removed without editing it there`,
        span,
      };
    // an explicit mapping first in the block: the first declared one wins
    else next = insertAfter(source, open, mappingSource(edit.mapping));
  } else if (edit.mapping === null) {
    return { ok: false, code: 'E_EDIT_REFUSED', message: `${key} has no mapping there to remove` };
  } else if (edit.layer !== null && !layer) {
    // a new when-block for the layer, at the end of the device block, indented like its statements
    const [o, c] = conditionSource(edit.layer);
    const outer = lineAt(source, blockClose.start).indent;
    const inner = blockIndent(source, blockOpen, blockClose);
    const step = inner.length > outer.length ? inner.slice(outer.length) : '  ';
    next = insertBefore(
      source,
      blockClose,
      `${inner}${o}\n${inner}${step}${mappingSource(edit.mapping)}\n${inner}${c}\n`,
    );
  } else next = insertBeforeClose(source, open, close, mappingSource(edit.mapping));

  // the result must compile, and the key must now do what the edit says
  const after = compileAfterEdit(next, opts);
  if (!after.ok) return after;
  const now = keyMapping(after.config, edit.block, edit.layer, key, overrideMods);
  if (canonicalJson(now ?? null) !== canonicalJson(edit.mapping))
    return {
      ok: false,
      code: 'E_EDIT_REFUSED',
      message:
        edit.mapping === null
          ? `${key} is still mapped after removing its statement (another mapping of it follows)`
          : `the edit would not take effect: ${key} maps to something else there`,
    };
  return { ok: true, source: next, config: after.config };
}

/** Replaces a statement by another (or removes it, with its line when nothing else is on it). */
function replaceStatement(source: string, stmt: Statement, mapping: BaseMapping | null): string {
  if (mapping !== null) return source.slice(0, stmt.start) + mappingSource(mapping) + source.slice(stmt.end);
  return removeRange(source, stmt.start, stmt.end);
}

/** Removes a range of statements, with its line(s) when nothing else is on them. */
export function removeRange(source: string, from: number, to: number): string {
  const stmt = { start: from, end: to };
  const { start } = lineAt(source, stmt.start);
  const lineEnd = source.indexOf('\n', stmt.end);
  const before = source.slice(start, stmt.start);
  const after = source.slice(stmt.end, lineEnd < 0 ? source.length : lineEnd);
  if (before.trim() === '' && after.trim() === '')
    return source.slice(0, start) + source.slice(lineEnd < 0 ? source.length : lineEnd + 1);
  return source.slice(0, stmt.start) + source.slice(stmt.end);
}

/** A new statement on its own line right after another, with its indentation. */
function insertAfter(source: string, stmt: Statement, text: string): string {
  const lineEnd = source.indexOf('\n', stmt.end);
  const { indent } = lineAt(source, stmt.start);
  const at = lineEnd < 0 ? source.length : lineEnd + 1;
  const prefix = lineEnd < 0 ? '\n' : '';
  return `${source.slice(0, at)}${prefix}${indent}  ${text}\n${source.slice(at)}`;
}

/** Text (whole lines) on the line(s) before a statement. */
function insertBefore(source: string, stmt: Statement, lines: string): string {
  const { start } = lineAt(source, stmt.start);
  return source.slice(0, start) + lines + source.slice(start);
}

/** The indentation of a block's statements: its last one's, or its opener's plus two spaces. */
function blockIndent(source: string, open: Statement, close: Statement): string {
  const inside = source.slice(open.end, close.start);
  const lastLine = inside.trimEnd().split('\n').pop() ?? '';
  return inside.trim() !== '' && inside.includes('\n')
    ? /^[ \t]*/.exec(lastLine)![0]
    : `${lineAt(source, open.start).indent}  `;
}

/** A new statement at the end of a block, before its closing call, indented like its statements. */
function insertBeforeClose(source: string, open: Statement, close: Statement, text: string): string {
  const indent = blockIndent(source, open, close);
  const { start } = lineAt(source, close.start);
  if (source.slice(start, close.start).trim() !== '')
    // the closer shares its line with something: put the statement just before it
    return `${source.slice(0, close.start)}${text} ${source.slice(close.start)}`;
  return `${source.slice(0, start)}${indent}${text}\n${source.slice(start)}`;
}
