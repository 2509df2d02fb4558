/**
 * Diagnostics shared by the lexer, parser, interpreter and every front end (CLI, REST API, editor).
 *
 * A diagnostic always carries a span; lines and columns are 1-based and columns count UTF-16 code
 * units, so an editor can use them directly. Error codes are short stable strings (`E_SYNTAX`, …)
 * that front ends may match on; messages are for people and may change.
 */

import { editDistance } from '../core/keys.ts';

export interface SourceSpan {
  file: string;
  /** 1-based line */
  line: number;
  /** 1-based column, in UTF-16 code units */
  column: number;
  /** length in UTF-16 code units (may be 0, e.g. end of file) */
  length: number;
  /** 0-based offset of the first code unit in the source text */
  offset: number;
}

export type Severity = 'error' | 'warning';

export interface RelatedInformation {
  message: string;
  span: SourceSpan;
}

export interface Diagnostic {
  severity: Severity;
  code: string;
  message: string;
  span: SourceSpan;
  hint?: string;
  suggestions?: string[];
  related?: RelatedInformation[];
}

/** The stable error codes. Host functions may use their own codes too. */
export const ErrorCode = {
  /** malformed source: lexer and parser errors */
  Syntax: 'E_SYNTAX',
  UnknownVariable: 'E_UNKNOWN_VARIABLE',
  UnknownFunction: 'E_UNKNOWN_FUNCTION',
  /** a known function called with the wrong number of arguments */
  Arity: 'E_ARITY',
  /** a value of the wrong type for an operator, statement or function */
  Type: 'E_TYPE',
  /** a value of the right type but unusable (bad number text, zero step, …) */
  Value: 'E_VALUE',
  /** a resource limit (operations, call depth, nesting, sizes) */
  Limit: 'E_LIMIT',
  ConstAssign: 'E_CONST_ASSIGN',
  Index: 'E_INDEX',
  /** overflow, division by zero */
  Arith: 'E_ARITH',
  /** default for errors raised by host functions */
  Host: 'E_HOST',
  /** load(): file not found, or a loaded file with syntax errors */
  Load: 'E_LOAD',
  /** load(): a file loads itself, directly or through others */
  LoadCycle: 'E_LOAD_CYCLE',
  /**
   * load(): the path is outside the allowed folders (the profile's folder, the stdlib folders),
   * or is not a regular file of at most 1 MiB inside them (a link leading out, a FIFO, a
   * device, a socket, a folder, a bigger file)
   */
  LoadRefused: 'E_LOAD_REFUSED',
  /** `throw` not caught by the script */
  Throw: 'E_THROW',
  /** a bug in keyrx itself; never expected */
  Internal: 'E_INTERNAL',
  /** warning: a function defined twice with the same arity (the last one wins) */
  DuplicateFunction: 'W_DUPLICATE_FN',
} as const;

export interface ScriptErrorExtra {
  code?: string;
  hint?: string;
  suggestions?: string[];
  related?: RelatedInformation[];
}

/**
 * The error type of the language layer. Host functions throw it to report a problem in the script;
 * without a span the interpreter uses the span of the call, without a code it uses `E_HOST`.
 */
export class ScriptError extends Error {
  span: SourceSpan | undefined;
  code: string | undefined;
  hint: string | undefined;
  suggestions: string[] | undefined;
  /** innermost first; the interpreter appends "in call to 'f' at L:C" while unwinding */
  related: RelatedInformation[];

  constructor(message: string, span?: SourceSpan, extra?: ScriptErrorExtra) {
    super(message);
    this.name = 'ScriptError';
    this.span = span;
    this.code = extra?.code;
    this.hint = extra?.hint;
    this.suggestions = extra?.suggestions;
    this.related = extra?.related ? [...extra.related] : [];
  }

  toDiagnostic(fallbackSpan: SourceSpan, fallbackCode: string = ErrorCode.Host): Diagnostic {
    const d: Diagnostic = {
      severity: 'error',
      code: this.code ?? fallbackCode,
      message: this.message,
      span: this.span ?? fallbackSpan,
    };
    if (this.hint !== undefined) d.hint = this.hint;
    if (this.suggestions !== undefined && this.suggestions.length > 0) d.suggestions = [...this.suggestions];
    if (this.related.length > 0) d.related = this.related.map((r) => ({ message: r.message, span: r.span }));
    return d;
  }
}

/** A zero-length span at the start of a file, for problems that concern the whole file. */
export function fileSpan(file: string): SourceSpan {
  return { file, line: 1, column: 1, length: 0, offset: 0 };
}

/** `L:C`, or `file:L:C` when the span is in another file than `relativeTo`. */
export function formatLocation(span: SourceSpan, relativeTo?: string): string {
  const lc = `${span.line}:${span.column}`;
  return relativeTo !== undefined && span.file !== relativeTo ? `${span.file}:${lc}` : lc;
}

const ANSI = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  cyan: '\x1b[36m',
};

const MAX_SHOWN_LINE = 160;

function sourceLine(source: string, line: number): string {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = source.indexOf('\n', start);
    if (nl < 0) return '';
    start = nl + 1;
  }
  let end = source.indexOf('\n', start);
  if (end < 0) end = source.length;
  let text = source.slice(start, end);
  if (text.endsWith('\r')) text = text.slice(0, -1);
  return text;
}

/**
 * Render a diagnostic for a terminal:
 *
 *     main.rhai:3:9: error: unknown variable 'countr'
 *      3 | let y = countr + 1;
 *        |         ^^^^^^
 *       = help: …
 *       = did you mean: counter?
 *       = note: in call to 'f' at 10:5
 *
 * `source` is the text of `d.span.file`. Carets stay on the span's first line and are at least one wide.
 */
export function formatDiagnostic(d: Diagnostic, source: string, opts?: { color?: boolean }): string {
  const color = opts?.color === true;
  const paint = (code: string, text: string): string => (color ? `${code}${text}${ANSI.reset}` : text);
  const sevColor = d.severity === 'error' ? ANSI.red : ANSI.yellow;
  const { span } = d;
  const out: string[] = [];
  out.push(
    `${paint(ANSI.bold, `${span.file}:${span.line}:${span.column}:`)} ${paint(ANSI.bold + sevColor, `${d.severity}:`)} ${paint(ANSI.bold, d.message)}`,
  );

  let text = sourceLine(source, span.line);
  let col = Math.max(1, span.column);
  // Show a window of very long lines (minified or generated code) around the span.
  if (text.length > MAX_SHOWN_LINE) {
    const start = Math.max(0, Math.min(col - 1 - 40, text.length - MAX_SHOWN_LINE));
    const head = start > 0 ? '…' : '';
    const tail = start + MAX_SHOWN_LINE < text.length ? '…' : '';
    text = head + text.slice(start, start + MAX_SHOWN_LINE) + tail;
    col = col - start + head.length;
  }
  const lineNo = String(span.line);
  const gutter = ' '.repeat(lineNo.length);
  out.push(`${paint(ANSI.blue, ` ${lineNo} |`)} ${text}`.trimEnd());
  // Keep tabs from the source line so the carets line up in any terminal.

  let pad = '';
  for (let i = 0; i < col - 1; i++) pad += text[i] === '\t' ? '\t' : ' ';
  const room = Math.max(1, text.length - (col - 1));
  const width = Math.max(1, Math.min(span.length, room));
  out.push(`${paint(ANSI.blue, ` ${gutter} |`)} ${pad}${paint(ANSI.bold + sevColor, '^'.repeat(width))}`);

  if (d.hint !== undefined) out.push(`  ${paint(ANSI.cyan, '= help:')} ${d.hint}`);
  if (d.suggestions !== undefined && d.suggestions.length > 0) {
    out.push(`  ${paint(ANSI.cyan, '= did you mean:')} ${d.suggestions.join(', ')}?`);
  }
  for (const r of d.related ?? []) {
    const where = r.span.file !== span.file ? ` (${r.span.file})` : '';
    out.push(`  ${paint(ANSI.cyan, '= note:')} ${r.message}${where}`);
  }
  return out.join('\n');
}

/**
 * "Did you mean" candidates: case-insensitive edit distance ≤ 3, closest first (ties
 * alphabetically), never `name` itself, at most `max`; candidates more than one edit worse than
 * the closest are left out.
 */
export function suggest(name: string, candidates: Iterable<string>, max = 3): string[] {
  const scored: { c: string; d: number }[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (c === name || seen.has(c)) continue;
    seen.add(c);
    // The length difference is a lower bound of the distance: skip hopeless candidates cheaply.
    if (Math.abs(c.length - name.length) > 3) continue;
    const d = editDistance(name, c, 3);
    if (d <= 3) scored.push({ c, d });
  }
  scored.sort((x, y) => x.d - y.d || (x.c < y.c ? -1 : x.c > y.c ? 1 : 0));
  // Candidates much worse than the best one are noise ("prnt" → print, not Fn).
  const best = scored.length > 0 ? scored[0].d : 0;
  return scored
    .filter((s) => s.d <= best + 1)
    .slice(0, Math.max(0, max))
    .map((s) => s.c);
}

/** Sort diagnostics by position (stable), for output in reading order. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        (a.d.span.file < b.d.span.file ? -1 : a.d.span.file > b.d.span.file ? 1 : 0) ||
        a.d.span.offset - b.d.span.offset ||
        a.i - b.i,
    )
    .map((x) => x.d);
}
