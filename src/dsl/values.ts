/**
 * Runtime values and the helpers hosts use to check them.
 *
 * | Rhai type | JavaScript representation             |
 * |-----------|---------------------------------------|
 * | `i64`     | `bigint` (always within i64 range)     |
 * | `f64`     | `number`                               |
 * | `string`  | `string`                               |
 * | `char`    | `Char`                                 |
 * | `bool`    | `boolean`                              |
 * | `()`      | `null` (`UNIT`)                        |
 * | `array`   | `Value[]`                              |
 * | `map`     | `Map<string, Value>`                   |
 * | `range`   | `RangeValue`                           |
 * | `Fn`      | `FnPtr` (function pointer or closure)  |
 * | other     | any object with a `hostType` string: opaque host objects |
 *
 * Arrays and maps have value semantics in the script (assignment copies); the interpreter copies
 * them when they leave a variable, so a host function may keep the arrays and maps it receives.
 * A host function must return fresh arrays/maps (not ones it keeps and mutates later).
 */
import type { Expr } from './ast.ts';
import type { SourceSpan } from './diagnostics.ts';
import { ErrorCode, ScriptError } from './diagnostics.ts';

export type Unit = null;
export const UNIT: Unit = null;

/** A Rhai `char`: one Unicode scalar value. */
export class Char {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** `a..b` (exclusive) or `a..=b` (inclusive) over integers; `range(a, b, step)` adds a step. */
export class RangeValue {
  constructor(
    readonly start: bigint,
    readonly end: bigint,
    readonly inclusive: boolean,
    readonly step: bigint = 1n,
  ) {}

  contains(n: bigint): boolean {
    if (this.step > 0n) {
      if (n < this.start || (this.inclusive ? n > this.end : n >= this.end)) return false;
    } else if (n > this.start || (this.inclusive ? n < this.end : n <= this.end)) {
      return false;
    }
    return (n - this.start) % this.step === 0n;
  }
}

/** What a closure needs to run later; produced and consumed by the interpreter only. */
export interface ClosureData {
  params: string[];
  body: Expr;
  /** variables visible where the closure was written, shared with that scope */
  captured: unknown;
  /** the module (file) the closure belongs to */
  module: unknown;
}

/** A Rhai function pointer: `Fn("name")`, or a closure `|x| x + 1`, with curried arguments. */
export class FnPtr {
  constructor(
    readonly name: string,
    readonly curry: readonly Value[] = [],
    readonly closure: ClosureData | null = null,
  ) {}
}

/** Opaque values created by host functions. `hostType` is what `type_of()` and error messages show. */
export interface HostObject {
  readonly hostType: string;
  /** text for `print`/`to_string`; default `<hostType>` */
  toDisplayString?(): string;
  /** `==`; default identity */
  equals?(other: HostObject): boolean;
  /** `obj.name`; return undefined for "no such property" */
  getProperty?(name: string): Value | undefined;
  /** `obj.name = v`; return false for "no such property" (throw ScriptError for bad values) */
  setProperty?(name: string, value: Value): boolean;
}

export type ScriptMap = Map<string, Value>;

export type Value =
  bigint | number | string | boolean | Unit | Char | Value[] | ScriptMap | RangeValue | FnPtr | HostObject;

export const I64_MIN = -(2n ** 63n);
export const I64_MAX = 2n ** 63n - 1n;

/** Deeper values than this are refused, so copying and printing them never exhausts the stack. */
export const MAX_VALUE_DEPTH = 256;

/** Make an `i64` from a JavaScript integer. */
export function int(n: number | bigint): bigint {
  const b = typeof n === 'bigint' ? n : BigInt(Math.trunc(n));
  if (b < I64_MIN || b > I64_MAX) throw new RangeError(`${n} does not fit in i64`);
  return b;
}

export function isHostObject(v: Value): v is HostObject {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Map) &&
    !(v instanceof Char) &&
    !(v instanceof RangeValue) &&
    !(v instanceof FnPtr)
  );
}

/** Rhai's type name: `i64`, `f64`, `string`, `char`, `bool`, `()`, `array`, `map`, `range`, `Fn`, or the host type. */
export function typeName(v: Value): string {
  switch (typeof v) {
    case 'bigint':
      return 'i64';
    case 'number':
      return 'f64';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
  }
  if (v === null) return '()';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Map) return 'map';
  if (v instanceof Char) return 'char';
  if (v instanceof RangeValue) return v.inclusive ? 'range=' : 'range';
  if (v instanceof FnPtr) return 'Fn';
  const t = (v as HostObject).hostType;
  return typeof t === 'string' ? t : 'object';
}

/** Float text as Rhai prints it: always with a fraction or an exponent. */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? 'inf' : '-inf';
  const abs = Math.abs(f);
  if (abs !== 0 && (abs >= 1e15 || abs < 1e-10)) {
    return f.toExponential().replace('e+', 'e');
  }
  const s = String(f);
  return Number.isInteger(f) ? `${s}.0` : s;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\t': '\\t',
  '\r': '\\r',
  '\0': '\\0',
};
const NEEDS_ESCAPE = { '"': /[\\\n\t\r\0"]/g, "'": /[\\\n\t\r\0']/g } as const;

function quoteString(s: string, quote: '"' | "'"): string {
  // one regex pass: a character at a time would take ~0.1 s for a megabyte
  return quote + s.replace(NEEDS_ESCAPE[quote], (ch) => ESCAPES[ch] ?? '\\' + ch) + quote;
}

/** Map keys in Rhai's (sorted) order. */
export function sortedKeys(m: ScriptMap): string[] {
  return [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Longest text `show` builds. An array can hold the same long string many times at no cost, so
 * its text could be far larger than anything the script paid for: past this length the rest is
 * left out (`…`), and the caller's string length check reports it. Callers that know their string
 * length limit pass it instead (`maxLength`), so nothing much longer than the limit is ever built.
 */
export const MAX_SHOWN_LENGTH = 16 * 1024 * 1024;

function show(v: Value, debug: boolean, depth: number, room: { left: number }): string {
  switch (typeof v) {
    case 'string':
      return debug ? quoteString(v, '"') : v;
    case 'bigint':
      return v.toString();
    case 'number':
      return formatFloat(v);
    case 'boolean':
      return v ? 'true' : 'false';
  }
  if (v === null) return debug ? '()' : '';
  if (depth > MAX_VALUE_DEPTH) return '…';
  if (Array.isArray(v)) {
    const parts: string[] = [];
    for (const e of v) {
      if (room.left <= 0) {
        parts.push('…');
        break;
      }
      const text = show(e, true, depth + 1, room);
      // a nested container has counted its own parts already
      room.left -= 2 + (Array.isArray(e) || e instanceof Map ? 0 : text.length);
      parts.push(text);
    }
    return `[${parts.join(', ')}]`;
  }
  if (v instanceof Map) {
    const parts: string[] = [];
    for (const k of sortedKeys(v)) {
      if (room.left <= 0) {
        parts.push('…');
        break;
      }
      const e = v.get(k) ?? null;
      const text = `${quoteString(k, '"')}: ${show(e, true, depth + 1, room)}`;
      room.left -= 2 + (Array.isArray(e) || e instanceof Map ? k.length + 4 : text.length);
      parts.push(text);
    }
    return `#{${parts.join(', ')}}`;
  }
  if (v instanceof Char) return debug ? quoteString(v.value, "'") : v.value;
  if (v instanceof RangeValue) {
    const base = `${v.start}${v.inclusive ? '..=' : '..'}${v.end}`;
    return v.step === 1n ? base : `range(${v.start}, ${v.end}, ${v.step})`;
  }
  if (v instanceof FnPtr) return `Fn(${v.name})`;
  const h = v as HostObject;
  return typeof h.toDisplayString === 'function' ? h.toDisplayString() : `<${typeName(v)}>`;
}

/**
 * What `print` and `to_string` show: strings and chars bare, `()` as nothing.
 *
 * Containers stop (`…`) once their text is past `maxLength`: a text longer than `maxLength` stays
 * longer than `maxLength` (so a length check still fails), but is at most about one element longer.
 */
export function toDisplayString(v: Value, maxLength = MAX_SHOWN_LENGTH): string {
  return show(v, false, 0, { left: Math.min(maxLength, MAX_SHOWN_LENGTH) + 1 });
}

/** What `debug` shows: strings quoted, `()` as `()`. `maxLength` as for toDisplayString. */
export function toDebugString(v: Value, maxLength = MAX_SHOWN_LENGTH): string {
  return show(v, true, 0, { left: Math.min(maxLength, MAX_SHOWN_LENGTH) + 1 });
}

/** Entries valueEquals compared since the last takeEqualityWork(): the interpreter charges them. */
let equalityWork = 0;

export function takeEqualityWork(): number {
  const n = equalityWork;
  equalityWork = 0;
  return n;
}

/** Structural equality with Rhai's rules: ints equal floats of the same value, strings equal chars. */
export function valueEquals(a: Value, b: Value, depth = 0): boolean {
  if (a === b) return true;
  if (depth > MAX_VALUE_DEPTH) return false;
  if (typeof a === 'bigint') return typeof b === 'number' && Number(a) === b;
  if (typeof a === 'number') return typeof b === 'bigint' && a === Number(b);
  if (typeof a === 'string') return b instanceof Char && b.value === a;
  if (a instanceof Char) return (b instanceof Char && b.value === a.value) || b === a.value;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    equalityWork += a.length;
    for (let i = 0; i < a.length; i++) if (!valueEquals(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    equalityWork += a.size;
    for (const [k, v] of a) {
      if (!b.has(k) || !valueEquals(v, b.get(k) ?? null, depth + 1)) return false;
    }
    return true;
  }
  if (a instanceof RangeValue) {
    return (
      b instanceof RangeValue &&
      a.start === b.start &&
      a.end === b.end &&
      a.inclusive === b.inclusive &&
      a.step === b.step
    );
  }
  if (a instanceof FnPtr) {
    if (
      !(b instanceof FnPtr) ||
      a.name !== b.name ||
      a.closure !== b.closure ||
      a.curry.length !== b.curry.length
    ) {
      return false;
    }
    equalityWork += a.curry.length;
    return a.curry.every((x, i) => valueEquals(x, b.curry[i], depth + 1));
  }
  if (a !== null && b !== null && isHostObject(a) && isHostObject(b) && typeof a.equals === 'function') {
    return a.equals(b);
  }
  return false;
}

/**
 * Ordering for `<`, `min`, `sort`…: numbers (ints and floats mixed), strings and chars (mixed),
 * booleans. Returns null when the two values cannot be ordered.
 */
export function compareValues(a: Value, b: Value): number | null {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return null;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const sa = typeof a === 'string' ? a : a instanceof Char ? a.value : null;
  const sb = typeof b === 'string' ? b : b instanceof Char ? b.value : null;
  if (sa !== null && sb !== null) return sa < sb ? -1 : sa > sb ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (a === null && b === null) return 0;
  return null;
}

/** Counts what a deep copy did, so the interpreter can charge it to the operation budget. */
export interface CopyStats {
  containers: number;
  elements: number;
}

function valueTooDeep(span?: SourceSpan): ScriptError {
  return new ScriptError(`value nested too deeply (more than ${MAX_VALUE_DEPTH} levels)`, span, {
    code: ErrorCode.Limit,
  });
}

interface CostWalk {
  containers: number;
  elements: number;
  limit: number;
}

/** false once the cost is past the limit (or the value is too deep to copy): stop walking. */
function walkCost(v: Value[] | ScriptMap, w: CostWalk, depth: number): boolean {
  if (depth >= MAX_VALUE_DEPTH) return false;
  w.containers++;
  w.elements += Array.isArray(v) ? v.length : v.size * 16;
  if (w.containers + w.elements / 16 > w.limit) return false;
  for (const e of Array.isArray(v) ? v : v.values()) {
    if (e !== null && typeof e === 'object' && (Array.isArray(e) || e instanceof Map)) {
      if (!walkCost(e, w, depth + 1)) return false;
    }
  }
  return true;
}

/**
 * What cloneValue(v) will do, in the units its CopyStats are charged in (one per container, one
 * per 16 elements, a map entry counting 16), computed without allocating anything, so that a copy
 * can be paid for before it is made. Counting stops once past `limit` (the result is then more
 * than `limit`, not the full cost).
 */
export function copyCost(v: Value, limit = Infinity): number {
  if (v === null || typeof v !== 'object' || !(Array.isArray(v) || v instanceof Map)) return 0;
  const w: CostWalk = { containers: 0, elements: 0, limit };
  walkCost(v, w, 0);
  return w.containers + Math.floor(w.elements / 16);
}

/** Deep copy of arrays and maps (everything else is immutable or an opaque host reference). */
export function cloneValue(v: Value, stats?: CopyStats, span?: SourceSpan, depth = 0): Value {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    if (depth >= MAX_VALUE_DEPTH) throw valueTooDeep(span);
    if (stats) {
      stats.containers++;
      stats.elements += v.length;
    }
    const out = new Array<Value>(v.length);
    for (let i = 0; i < v.length; i++) {
      const e = v[i];
      out[i] = e !== null && typeof e === 'object' ? cloneValue(e, stats, span, depth + 1) : e;
    }
    return out;
  }
  if (v instanceof Map) {
    if (depth >= MAX_VALUE_DEPTH) throw valueTooDeep(span);
    if (stats) {
      stats.containers++;
      // an entry costs about 16 times an array element to copy (a hash insert)
      stats.elements += v.size * 16;
    }
    const out: ScriptMap = new Map();
    for (const [k, e] of v)
      out.set(k, e !== null && typeof e === 'object' ? cloneValue(e, stats, span, depth + 1) : e);
    return out;
  }
  return v;
}

/** Is this JavaScript value something the interpreter can hold? (Guards host function results.) */
export function isValue(v: unknown): v is Value {
  switch (typeof v) {
    case 'bigint':
      return v >= I64_MIN && v <= I64_MAX;
    case 'number':
    case 'string':
    case 'boolean':
      return true;
    case 'object':
      return (
        v === null ||
        Array.isArray(v) ||
        v instanceof Map ||
        v instanceof Char ||
        v instanceof RangeValue ||
        v instanceof FnPtr ||
        typeof (v as { hostType?: unknown }).hostType === 'string'
      );
    default:
      return false;
  }
}

/** charsOf(s).length, without making the array. */
export function charCount(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** The characters (Unicode scalar values) of a string: Rhai indexes strings by character. */
export function charsOf(s: string): string[] {
  // Fast path: without surrogates each code unit is one character.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return Array.from(s);
  }
  return s.split('');
}

// ---------------------------------------------------------------------------------------------
// Argument checking for host functions
// ---------------------------------------------------------------------------------------------

/** What the argument helpers need from a call: `CallContext` satisfies it. */
export interface ArgContext {
  /** span of the whole call */
  span: SourceSpan;
  /** span of each argument; for method calls `x.f(a)` index 0 is the receiver `x` */
  argSpans: readonly SourceSpan[];
}

/** A type error pointing at argument `i` (0-based): `map(): argument 2 must be a string, got i64`. */
export function argumentError(
  ctx: ArgContext,
  i: number,
  fnName: string,
  message: string,
  hint?: string,
): ScriptError {
  return new ScriptError(`${fnName}(): argument ${i + 1} ${message}`, ctx.argSpans[i] ?? ctx.span, {
    code: ErrorCode.Type,
    hint,
  });
}

function arg(args: readonly Value[], i: number, fnName: string, ctx: ArgContext): Value {
  if (i >= args.length) {
    throw new ScriptError(`${fnName}(): missing argument ${i + 1}`, ctx.span, { code: ErrorCode.Arity });
  }
  return args[i];
}

function wrongType(
  args: readonly Value[],
  i: number,
  fnName: string,
  ctx: ArgContext,
  what: string,
): ScriptError {
  return argumentError(ctx, i, fnName, `must be ${what}, got ${typeName(args[i])}`);
}

/** A string (a char is accepted and converted). */
export function expectString(args: readonly Value[], i: number, fnName: string, ctx: ArgContext): string {
  const v = arg(args, i, fnName, ctx);
  if (typeof v === 'string') return v;
  if (v instanceof Char) return v.value;
  throw wrongType(args, i, fnName, ctx, 'a string');
}

/** An `i64` as a JavaScript number; refuses floats and integers beyond ±2^53. */
export function expectInt(args: readonly Value[], i: number, fnName: string, ctx: ArgContext): number {
  const v = arg(args, i, fnName, ctx);
  if (typeof v !== 'bigint') throw wrongType(args, i, fnName, ctx, 'an integer');
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw argumentError(ctx, i, fnName, `is too large (${v})`);
  }
  return Number(v);
}

/** An `i64` as a bigint (full range). */
export function expectBigInt(args: readonly Value[], i: number, fnName: string, ctx: ArgContext): bigint {
  const v = arg(args, i, fnName, ctx);
  if (typeof v !== 'bigint') throw wrongType(args, i, fnName, ctx, 'an integer');
  return v;
}

/** An `i64` or `f64`, as a JavaScript number. */
export function expectNumber(args: readonly Value[], i: number, fnName: string, ctx: ArgContext): number {
  const v = arg(args, i, fnName, ctx);
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw wrongType(args, i, fnName, ctx, 'a number');
}

export function expectBool(args: readonly Value[], i: number, fnName: string, ctx: ArgContext): boolean {
  const v = arg(args, i, fnName, ctx);
  if (typeof v === 'boolean') return v;
  throw wrongType(args, i, fnName, ctx, 'a bool (true or false)');
}

export function expectArray(args: readonly Value[], i: number, fnName: string, ctx: ArgContext): Value[] {
  const v = arg(args, i, fnName, ctx);
  if (Array.isArray(v)) return v;
  throw wrongType(args, i, fnName, ctx, 'an array');
}

export function expectMap(args: readonly Value[], i: number, fnName: string, ctx: ArgContext): ScriptMap {
  const v = arg(args, i, fnName, ctx);
  if (v instanceof Map) return v;
  throw wrongType(args, i, fnName, ctx, 'an object map');
}

export function expectFnPtr(args: readonly Value[], i: number, fnName: string, ctx: ArgContext): FnPtr {
  const v = arg(args, i, fnName, ctx);
  if (v instanceof FnPtr) return v;
  throw wrongType(args, i, fnName, ctx, 'a function (a closure like |x| x + 1, or Fn("name"))');
}

/** A host object of the given `hostType`. */
export function expectHostObject<T extends HostObject>(
  args: readonly Value[],
  i: number,
  hostType: string,
  fnName: string,
  ctx: ArgContext,
): T {
  const v = arg(args, i, fnName, ctx);
  if (v !== null && isHostObject(v) && v.hostType === hostType) return v as T;
  throw wrongType(args, i, fnName, ctx, `a ${hostType}`);
}
