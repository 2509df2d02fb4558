/**
 * Rhai's standard functions (names and argument order as in Rhai's packages), typed by overload.
 *
 * Every function lists its overloads with parameter types, which gives both dispatch and the error
 * messages: `'to_upper' is not defined for (i64)` + the accepted signatures. Typed overloads also
 * decide conflicts with host functions of the same name the way Rhai does: a built-in whose types
 * match exactly wins over an untyped host function (so `arr.map(|x| …)` still works when the host
 * registers its own `map(from, to)`), and the host function gets every other call.
 *
 * Functions that modify their first argument in place (`push`, `trim`, `replace`, …) receive it by
 * reference when it names a variable, element or property (`receiver`); strings, being immutable in
 * JavaScript, are written back through the receiver.
 */
import type { SourceSpan } from './diagnostics.ts';
import { ErrorCode, ScriptError } from './diagnostics.ts';
import type { ArgContext, ScriptMap, Value } from './values.ts';
import {
  Char,
  FnPtr,
  I64_MAX,
  I64_MIN,
  RangeValue,
  UNIT,
  charCount,
  charsOf,
  compareValues,
  sortedKeys,
  typeName,
  valueEquals,
} from './values.ts';

/** A storage location: a variable, array element, map property or `this`. */
export interface Ref {
  get(): Value;
  set(value: Value, span: SourceSpan): void;
  /** true for constants (and everything inside them) */
  readonly constant: boolean;
  /** the root variable, for messages */
  readonly name: string;
}

/**
 * What built-ins need from the interpreter.
 *
 * A built-in whose result size depends on its arguments works the size out (or an upper bound of
 * it) and checks it with checkStringLength/checkArraySize before building anything, so a call
 * asking for a gigabyte fails without allocating it; work proportional to a result is charged.
 */
export interface StdHost {
  /** the string length limit error when `s` is too long; charges for a long string */
  checkString(s: string, span: SourceSpan): string;
  /** the string length limit error when a string of `n` code units would be too long */
  checkStringLength(n: number, span: SourceSpan): void;
  checkArraySize(n: number, span: SourceSpan): void;
  checkMapSize(n: number, span: SourceSpan): void;
  /** charge extra work (big copies, big results) to the operation budget */
  charge(ops: number, span: SourceSpan): void;
  /** deep copy, charged to the operation budget */
  copy(v: Value, span: SourceSpan): Value;
  emit(kind: 'print' | 'debug', text: string, span: SourceSpan): void;
  /**
   * The `print`/`to_string` text of a value (the `debug` text when `debug`), checked against the
   * string length limit; a text over the limit fails before much more than the limit is built.
   */
  show(v: Value, debug: boolean, span: SourceSpan): string;
  callFnPtr(fp: FnPtr, args: Value[], span: SourceSpan): Value;
  /** number of parameters a function pointer expects, or null if unknown */
  fnPtrArity(fp: FnPtr): number | null;
  hasFunction(name: string, arity: number | null): boolean;
  hasVariable(name: string): boolean;
}

export interface StdContext extends ArgContext {
  name: string;
  /** the location of argument 0, when the call may modify it in place */
  receiver: Ref | null;
  host: StdHost;
}

/** Type names usable in signatures; `|` separates alternatives. */
type TypeSpec = string;

export interface Overload {
  params: TypeSpec[];
  /** extra arguments of this type (variadic) */
  rest?: TypeSpec;
  /** `params` split into alternatives once, for fast dispatch */
  types?: string[][];
  restTypes?: string[];
  /** modifies argument 0 in place: refused on constants */
  mutates?: boolean;
  fn: (args: Value[], c: StdContext) => Value;
}

export interface Builtin {
  name: string;
  overloads: Overload[];
  minArgs: number;
  maxArgs: number;
  /** may also be read as a property (`arr.len`) */
  getter: boolean;
}

function matchesType(spec: readonly string[], v: Value): boolean {
  for (const t of spec) {
    switch (t) {
      case 'any':
        return true;
      case 'i64':
        if (typeof v === 'bigint') return true;
        break;
      case 'f64':
        if (typeof v === 'number') return true;
        break;
      case 'number':
        if (typeof v === 'bigint' || typeof v === 'number') return true;
        break;
      case 'string':
        if (typeof v === 'string') return true;
        break;
      case 'char':
        if (v instanceof Char) return true;
        break;
      case 'bool':
        if (typeof v === 'boolean') return true;
        break;
      case 'array':
        if (Array.isArray(v)) return true;
        break;
      case 'map':
        if (v instanceof Map) return true;
        break;
      case 'range':
        if (v instanceof RangeValue) return true;
        break;
      case 'Fn':
        if (v instanceof FnPtr) return true;
        break;
      case '()':
        if (v === null) return true;
        break;
    }
  }
  return false;
}

export function overloadAccepts(o: Overload, args: readonly Value[]): boolean {
  if (args.length < o.params.length) return false;
  if (args.length > o.params.length && o.rest === undefined) return false;
  const types = (o.types ??= o.params.map((p) => p.split('|')));
  for (let i = 0; i < args.length; i++) {
    const spec = i < types.length ? types[i] : (o.restTypes ??= (o.rest as string).split('|'));
    if (!matchesType(spec, args[i])) return false;
  }
  return true;
}

export function findOverload(b: Builtin, args: readonly Value[]): Overload | null {
  for (const o of b.overloads) if (overloadAccepts(o, args)) return o;
  return null;
}

export function describeOverloads(b: Builtin): string {
  return b.overloads
    .map((o) => `${b.name}(${[...o.params, ...(o.rest !== undefined ? [`${o.rest}...`] : [])].join(', ')})`)
    .join(', ');
}

// ---- helpers -----------------------------------------------------------------------------------

function err(c: ArgContext, message: string, code: string = ErrorCode.Value, i?: number): ScriptError {
  return new ScriptError(message, i !== undefined ? (c.argSpans[i] ?? c.span) : c.span, { code });
}

function text(v: Value): string {
  return v instanceof Char ? v.value : (v as string);
}

function big(v: Value): bigint {
  return v as bigint;
}

/** Rhai's `calc_offset_len`: a negative start counts from the end; the result is clamped. */
function offsetLen(len: number, start: bigint, length: bigint): [number, number] {
  let s: number;
  if (start < 0n) {
    const back = -start;
    s = back > BigInt(len) ? 0 : len - Number(back);
  } else if (start >= BigInt(len)) {
    return [len, 0];
  } else {
    s = Number(start);
  }
  const room = len - s;
  const l = length <= 0n ? 0 : length > BigInt(room) ? room : Number(length);
  return [s, l];
}

/** Index counting from the end when negative; null when out of bounds. */
function indexIn(len: number, i: bigint): number | null {
  const n = i < 0n ? BigInt(len) + i : i;
  return n >= 0n && n < BigInt(len) ? Number(n) : null;
}

/** Store a modified string in the receiver: checked, and charged as a string a built-in returns is. */
function setString(c: StdContext, s: string): void {
  c.host.checkString(s, c.span);
  if (s.length > 256) c.host.charge(s.length >> 2, c.span);
  c.receiver?.set(s, c.span);
}

/** Code units of the first `n` characters of `s` (n at most its character count). */
function unitsOfChars(s: string, n: number): number {
  let i = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i);
    const d = s.charCodeAt(i + 1);
    i += c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
  }
  return i;
}

/**
 * `s.split(d)` (JavaScript's: an empty separator splits into code units) in at most `max` parts,
 * the last one holding the rest of the string; the array size is checked as it grows, so a split
 * into millions of parts fails before making them.
 */
function splitString(c: StdContext, s: string, d: string, max: number): Value[] {
  const out: Value[] = [];
  if (d.length === 0) {
    if (s.length === 0) return out;
    const n = Math.min(s.length, max);
    c.host.checkArraySize(n, c.span);
    for (let i = 0; i < n - 1; i++) out.push(s[i]);
    out.push(s.slice(n - 1));
    return out;
  }
  let from = 0;
  while (out.length < max - 1) {
    const at = s.indexOf(d, from);
    if (at < 0) break;
    c.host.checkArraySize(out.length + 2, c.span);
    out.push(s.slice(from, at));
    from = at + d.length;
  }
  out.push(s.slice(from));
  return out;
}

function checkedInt(c: ArgContext, n: bigint, what: string): bigint {
  if (n < I64_MIN || n > I64_MAX) throw err(c, `integer overflow in ${what}`, ErrorCode.Arith);
  return n;
}

function toFnPtr(v: Value): FnPtr {
  return v instanceof FnPtr ? v : new FnPtr(v as string);
}

/** Call a predicate/mapper with (item) or (item, index), whichever the function takes. */
function callDual(c: StdContext, fp: FnPtr, item: Value, index: number, extraFirst?: Value): Value {
  const base = extraFirst !== undefined ? [extraFirst, item] : [item];
  const arity = c.host.fnPtrArity(fp);
  const args = arity === base.length + 1 ? [...base, BigInt(index)] : base;
  return c.host.callFnPtr(fp, args, c.span);
}

function truthy(c: StdContext, v: Value, what: string): boolean {
  if (typeof v === 'boolean') return v;
  throw err(c, `${c.name}(): the ${what} must return a bool, got ${typeName(v)}`, ErrorCode.Type);
}

const PARSE_INT_CAP = 1n << 64n;

function parseIntText(s: string, radix: number): bigint | null {
  const t = s.trim();
  const m = /^([+-]?)(.+)$/.exec(t);
  if (m === null) return null;
  let n = 0n;
  const r = BigInt(radix);
  for (const ch of m[2].toLowerCase()) {
    const d = parseInt(ch, 36);
    if (Number.isNaN(d) || d >= radix) return null;
    // Past 2^64 the caller reports an overflow anyway: stop growing (quadratic on a long text).
    if (n <= PARSE_INT_CAP) n = n * r + BigInt(d);
  }
  return m[1] === '-' ? -n : n;
}

function minMax(c: StdContext, a: Value, b: Value, wantMax: boolean): Value {
  const cmp = compareValues(a, b);
  if (cmp === null) {
    throw err(c, `${c.name}(): cannot compare ${typeName(a)} with ${typeName(b)}`, ErrorCode.Type);
  }
  const pick = (wantMax ? cmp >= 0 : cmp <= 0) ? a : b;
  // Mixed int/float gives a float, as in Rhai.
  if ((typeof a === 'number' || typeof b === 'number') && typeof pick === 'bigint') return Number(pick);
  return pick;
}

function sortArray(c: StdContext, arr: Value[]): void {
  if (arr.length <= 1) return;
  const t0 = typeName(arr[0]);
  for (const v of arr) {
    const t = typeName(v);
    if (t !== t0) {
      throw err(
        c,
        `sort(): all elements must have the same type to be sorted (found ${t0} and ${t})`,
        ErrorCode.Type,
        0,
      );
    }
  }
  if (!['i64', 'f64', 'string', 'char', 'bool', '()'].includes(t0)) {
    throw err(c, `sort(): cannot sort elements of type ${t0} without a comparer function`, ErrorCode.Type, 0);
  }
  arr.sort((a, b) => compareValues(a, b) ?? 0);
}

// ---- definitions -------------------------------------------------------------------------------

const defs = new Map<string, Builtin>();

function def(name: string, overloads: Overload[], getter = false): void {
  let minArgs = Infinity;
  let maxArgs = 0;
  for (const o of overloads) {
    minArgs = Math.min(minArgs, o.params.length);
    maxArgs = Math.max(maxArgs, o.rest !== undefined ? 255 : o.params.length);
  }
  defs.set(name, { name, overloads, minArgs, maxArgs, getter });
}

function o(params: TypeSpec[], fn: Overload['fn'], extra?: { mutates?: boolean; rest?: TypeSpec }): Overload {
  return { params, fn, ...extra };
}

const MUT = { mutates: true };

// Output and introspection
def('print', [
  o([], (_a, c) => (c.host.emit('print', '', c.span), UNIT)),
  o(['any'], (a, c) => (c.host.emit('print', c.host.show(a[0], false, c.span), c.span), UNIT)),
]);
def('debug', [
  o([], (_a, c) => (c.host.emit('debug', '()', c.span), UNIT)),
  o(['any'], (a, c) => (c.host.emit('debug', c.host.show(a[0], true, c.span), c.span), UNIT)),
]);
def('type_of', [o(['any'], (a) => typeName(a[0]))]);
def('is_def_fn', [
  o(['string'], (a, c) => c.host.hasFunction(a[0] as string, null)),
  o(['string', 'i64'], (a, c) => c.host.hasFunction(a[0] as string, Number(a[1]))),
]);
def('is_def_var', [o(['string'], (a, c) => c.host.hasVariable(a[0] as string))]);

// Function pointers
def('Fn', [
  o(['string'], (a, c) => {
    const name = a[0] as string;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw err(c, `Fn(): '${name}' is not a valid function name`, ErrorCode.Value, 0);
    return new FnPtr(name);
  }),
]);
def('call', [o(['Fn'], (a, c) => c.host.callFnPtr(a[0] as FnPtr, a.slice(1), c.span), { rest: 'any' })]);
def('curry', [
  o(
    ['Fn'],
    (a, c) => {
      const fp = a[0] as FnPtr;
      // `f = f.curry(x)` in a loop grows the list: it is an array, with an array's limit and cost
      const n = fp.curry.length + a.length - 1;
      c.host.checkArraySize(n, c.span);
      c.host.charge(n >> 4, c.span);
      return new FnPtr(fp.name, [...fp.curry, ...a.slice(1)], fp.closure);
    },
    { rest: 'any' },
  ),
]);

// Ranges
def('range', [
  o(['i64', 'i64'], (a) => new RangeValue(big(a[0]), big(a[1]), false)),
  o(['i64', 'i64', 'i64'], (a, c) => {
    if (a[2] === 0n) throw err(c, 'range(): the step cannot be zero', ErrorCode.Value, 2);
    return new RangeValue(big(a[0]), big(a[1]), false, big(a[2]));
  }),
]);

// Conversions
def('to_string', [o(['any'], (a, c) => c.host.show(a[0], false, c.span))]);
def('to_debug', [o(['any'], (a, c) => c.host.show(a[0], true, c.span))]);
def('to_int', [
  o(['i64'], (a) => a[0]),
  o(['f64'], (a, c) => {
    const f = a[0] as number;
    const t = Math.trunc(f);
    if (!Number.isFinite(t) || t < -9.223372036854776e18 || t >= 9.223372036854776e18) {
      throw err(c, `to_int(): ${f} is out of range for i64`, ErrorCode.Arith, 0);
    }
    return BigInt(t);
  }),
  o(['char'], (a) => BigInt((a[0] as Char).value.codePointAt(0) ?? 0)),
]);
def('to_float', [o(['number'], (a) => Number(a[0]))]);
def('to_char', [
  o(['i64'], (a, c) => {
    const n = big(a[0]);
    if (n < 0n || n > 0x10ffffn || (n >= 0xd800n && n <= 0xdfffn)) {
      throw err(c, `to_char(): ${n} is not a valid Unicode character`, ErrorCode.Value, 0);
    }
    return new Char(String.fromCodePoint(Number(n)));
  }),
]);
def('parse_int', [
  o(['string'], (a, c) => {
    const n = parseIntText(a[0] as string, 10);
    if (n === null)
      throw err(c, `parse_int(): '${a[0] as string}' is not a valid integer`, ErrorCode.Value, 0);
    return checkedInt(c, n, 'parse_int()');
  }),
  o(['string', 'i64'], (a, c) => {
    const radix = Number(a[1]);
    if (radix < 2 || radix > 36)
      throw err(c, `parse_int(): radix must be between 2 and 36, got ${radix}`, ErrorCode.Value, 1);
    const n = parseIntText(a[0] as string, radix);
    if (n === null)
      throw err(
        c,
        `parse_int(): '${a[0] as string}' is not a valid base-${radix} integer`,
        ErrorCode.Value,
        0,
      );
    return checkedInt(c, n, 'parse_int()');
  }),
]);
def('parse_float', [
  o(['string'], (a, c) => {
    const s = (a[0] as string).trim();
    if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
    if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    if (/^nan$/i.test(s)) return NaN;
    throw err(c, `parse_float(): '${a[0] as string}' is not a valid number`, ErrorCode.Value, 0);
  }),
]);

// Numbers
def('abs', [
  o(['i64'], (a, c) => checkedInt(c, big(a[0]) < 0n ? -big(a[0]) : big(a[0]), 'abs()')),
  o(['f64'], (a) => Math.abs(a[0] as number)),
]);
def('sign', [
  o(['i64'], (a) => (big(a[0]) > 0n ? 1n : big(a[0]) < 0n ? -1n : 0n)),
  o(['f64'], (a) => {
    const f = a[0] as number;
    return f > 0 ? 1n : f < 0 ? -1n : 0n;
  }),
]);
def('min', [o(['number|string|char', 'number|string|char'], (a, c) => minMax(c, a[0], a[1], false))]);
def('max', [o(['number|string|char', 'number|string|char'], (a, c) => minMax(c, a[0], a[1], true))]);
def('floor', [o(['number'], (a) => Math.floor(Number(a[0])))]);
def('ceiling', [o(['number'], (a) => Math.ceil(Number(a[0])))]);
def('round', [o(['number'], (a) => Math.round(Number(a[0])))]);
def('sqrt', [o(['number'], (a) => Math.sqrt(Number(a[0])))]);

// Shared by strings, arrays and maps
def(
  'len',
  [
    o(['string'], (a) => BigInt(charCount(a[0] as string))),
    o(['array'], (a) => BigInt((a[0] as Value[]).length)),
    o(['map'], (a) => BigInt((a[0] as ScriptMap).size)),
  ],
  true,
);
def(
  'is_empty',
  [
    o(['string'], (a) => (a[0] as string).length === 0),
    o(['array'], (a) => (a[0] as Value[]).length === 0),
    o(['map'], (a) => (a[0] as ScriptMap).size === 0),
  ],
  true,
);
def('contains', [
  o(['string', 'string|char'], (a) => (a[0] as string).includes(text(a[1]))),
  o(['array', 'any'], (a) => (a[0] as Value[]).some((e) => valueEquals(e, a[1]))),
  o(['map', 'string|char'], (a) => (a[0] as ScriptMap).has(text(a[1]))),
  o(['range', 'i64'], (a) => (a[0] as RangeValue).contains(big(a[1]))),
]);

function stringIndexOf(s: string, find: string, start: bigint): bigint {
  const chars = charsOf(s);
  const [from] = offsetLen(chars.length, start, 0n);
  if (start >= BigInt(chars.length) && chars.length > 0) return -1n;
  const unitFrom = chars.slice(0, from).join('').length;
  const at = s.indexOf(find, unitFrom);
  return at < 0 ? -1n : BigInt(charsOf(s.slice(0, at)).length);
}

function arrayIndexOf(c: StdContext, arr: Value[], what: Value, start: bigint): bigint {
  if (arr.length === 0) return -1n;
  const [from] = offsetLen(arr.length, start, 0n);
  const pred = what instanceof FnPtr ? what : null;
  for (let i = from; i < arr.length; i++) {
    const hit = pred ? truthy(c, callDual(c, pred, arr[i], i), 'filter function') : valueEquals(arr[i], what);
    if (hit) return BigInt(i);
  }
  return -1n;
}

def('index_of', [
  o(['string', 'string|char'], (a) => stringIndexOf(a[0] as string, text(a[1]), 0n)),
  o(['string', 'string|char', 'i64'], (a) => stringIndexOf(a[0] as string, text(a[1]), big(a[2]))),
  o(['array', 'any'], (a, c) => arrayIndexOf(c, a[0] as Value[], a[1], 0n)),
  o(['array', 'any', 'i64'], (a, c) => arrayIndexOf(c, a[0] as Value[], a[1], big(a[2]))),
]);
def('clear', [
  o(['array'], (a) => (((a[0] as Value[]).length = 0), UNIT), MUT),
  o(['map'], (a) => ((a[0] as ScriptMap).clear(), UNIT), MUT),
  o(['string'], (_a, c) => (setString(c, ''), UNIT), MUT),
]);
def('remove', [
  o(
    ['array', 'i64'],
    (a) => {
      const arr = a[0] as Value[];
      const i = indexIn(arr.length, big(a[1]));
      return i === null ? UNIT : arr.splice(i, 1)[0];
    },
    MUT,
  ),
  o(
    ['map', 'string|char'],
    (a) => {
      const m = a[0] as ScriptMap;
      const k = text(a[1]);
      const v = m.get(k);
      m.delete(k);
      return v === undefined ? UNIT : v;
    },
    MUT,
  ),
  o(
    ['string', 'string|char'],
    (a, c) => (setString(c, (a[0] as string).split(text(a[1])).join('')), UNIT),
    MUT,
  ),
]);
def('get', [
  o(['array', 'i64'], (a, c) => {
    const arr = a[0] as Value[];
    const i = indexIn(arr.length, big(a[1]));
    return i === null ? UNIT : c.host.copy(arr[i], c.span);
  }),
  o(['string', 'i64'], (a) => {
    const chars = charsOf(a[0] as string);
    const i = indexIn(chars.length, big(a[1]));
    return i === null ? UNIT : new Char(chars[i]);
  }),
  o(['map', 'string|char'], (a, c) => {
    const v = (a[0] as ScriptMap).get(text(a[1]));
    return v === undefined ? UNIT : c.host.copy(v, c.span);
  }),
]);
def('set', [
  o(
    ['array', 'i64', 'any'],
    (a) => {
      const arr = a[0] as Value[];
      const i = indexIn(arr.length, big(a[1]));
      if (i !== null) arr[i] = a[2];
      return UNIT;
    },
    MUT,
  ),
  o(
    ['string', 'i64', 'char'],
    (a, c) => {
      const chars = charsOf(a[0] as string);
      const i = indexIn(chars.length, big(a[1]));
      if (i !== null) {
        chars[i] = (a[2] as Char).value;
        setString(c, chars.join(''));
      }
      return UNIT;
    },
    MUT,
  ),
  o(
    ['map', 'string|char', 'any'],
    (a, c) => {
      const m = a[0] as ScriptMap;
      const k = text(a[1]);
      if (!m.has(k)) c.host.checkMapSize(m.size + 1, c.span);
      m.set(k, a[2]);
      return UNIT;
    },
    MUT,
  ),
]);
def('pad', [
  o(
    ['array', 'i64', 'any'],
    (a, c) => {
      const arr = a[0] as Value[];
      const len = big(a[1]);
      if (len <= BigInt(arr.length)) return UNIT;
      c.host.checkArraySize(len > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(len), c.span);
      const n = Number(len);
      c.host.charge((n - arr.length) >> 4, c.span);
      const item = a[2];
      const isContainer =
        item !== null && typeof item === 'object' && (Array.isArray(item) || item instanceof Map);
      while (arr.length < n) arr.push(isContainer ? c.host.copy(item, c.span) : item);
      return UNIT;
    },
    MUT,
  ),
  o(
    ['string', 'i64', 'string|char'],
    (a, c) => {
      const s = a[0] as string;
      const len = big(a[1]);
      const fill = text(a[2]);
      const fillChars = BigInt(charCount(fill));
      const have = BigInt(charCount(s));
      if (len <= have || fillChars === 0n) return UNIT;
      // `fill` repeated (whole times, then a part of it) up to `len` characters: its length first
      const whole = (len - have) / fillChars;
      const part = Number((len - have) % fillChars);
      const partUnits = unitsOfChars(fill, part);
      const units = BigInt(s.length) + whole * BigInt(fill.length) + BigInt(partUnits);
      c.host.checkStringLength(units > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(units), c.span);
      setString(c, s + fill.repeat(Number(whole)) + fill.slice(0, partUnits));
      return UNIT;
    },
    MUT,
  ),
]);
def('truncate', [
  o(
    ['array', 'i64'],
    (a) => {
      const arr = a[0] as Value[];
      const n = big(a[1]);
      if (n <= 0n) arr.length = 0;
      else if (n < BigInt(arr.length)) arr.length = Number(n);
      return UNIT;
    },
    MUT,
  ),
  o(
    ['string', 'i64'],
    (a, c) => {
      const chars = charsOf(a[0] as string);
      const n = big(a[1]);
      if (n < BigInt(chars.length)) setString(c, n <= 0n ? '' : chars.slice(0, Number(n)).join(''));
      return UNIT;
    },
    MUT,
  ),
]);
def('split', [
  o(['string'], (a, c) => {
    // the words between runs of whitespace
    const parts: Value[] = [];
    for (const m of (a[0] as string).matchAll(/\S+/g)) {
      c.host.checkArraySize(parts.length + 1, c.span);
      parts.push(m[0]);
    }
    return parts;
  }),
  o(['string', 'string|char'], (a, c) => splitString(c, a[0] as string, text(a[1]), Infinity)),
  o(['string', 'string|char', 'i64'], (a, c) => {
    const s = a[0] as string;
    const n = big(a[2]);
    if (n < 1n) return [s];
    return splitString(c, s, text(a[1]), n > BigInt(s.length) ? Infinity : Number(n));
  }),
  o(['string', 'i64'], (a) => {
    const chars = charsOf(a[0] as string);
    const i = big(a[1]);
    const at =
      i < 0n
        ? Math.max(0, chars.length + Number(i < -BigInt(chars.length) ? -BigInt(chars.length) : i))
        : Math.min(chars.length, Number(i > BigInt(chars.length) ? BigInt(chars.length) : i));
    return [chars.slice(0, at).join(''), chars.slice(at).join('')];
  }),
  o(
    ['array', 'i64'],
    (a) => {
      const arr = a[0] as Value[];
      if (arr.length === 0) return [];
      const [start] = offsetLen(arr.length, big(a[1]), 0n);
      return arr.splice(start);
    },
    MUT,
  ),
]);

// Strings
function subString(c: StdContext, s: string, start: bigint, len: bigint): string {
  const count = charCount(s);
  const [from, n] = offsetLen(count, start, len);
  // one code unit per character: no need for the array of characters
  if (count === s.length) return s.slice(from, from + n);
  return charsOf(s)
    .slice(from, from + n)
    .join('');
}
def('sub_string', [
  o(['string', 'i64'], (a, c) => subString(c, a[0] as string, big(a[1]), I64_MAX)),
  o(['string', 'i64', 'i64'], (a, c) => subString(c, a[0] as string, big(a[1]), big(a[2]))),
  o(['string', 'range'], (a, c) => {
    const r = a[1] as RangeValue;
    const start = r.start < 0n ? 0n : r.start;
    const end = r.end < start ? start : r.end;
    return subString(c, a[0] as string, start, end - start + (r.inclusive ? 1n : 0n));
  }),
]);
def('crop', [
  o(['string', 'i64'], (a, c) => (setString(c, subString(c, a[0] as string, big(a[1]), I64_MAX)), UNIT), MUT),
  o(
    ['string', 'i64', 'i64'],
    (a, c) => (setString(c, subString(c, a[0] as string, big(a[1]), big(a[2]))), UNIT),
    MUT,
  ),
]);
// Case mapping can make a string longer (at most 3 times: 'ﬃ' → 'FFI'), so results are checked.
def('to_upper', [
  o(['string'], (a, c) => c.host.checkString((a[0] as string).toUpperCase(), c.span)),
  o(['char'], (a) => {
    const u = (a[0] as Char).value.toUpperCase();
    return [...u].length === 1 ? new Char(u) : a[0];
  }),
]);
def('to_lower', [
  o(['string'], (a, c) => c.host.checkString((a[0] as string).toLowerCase(), c.span)),
  o(['char'], (a) => {
    const l = (a[0] as Char).value.toLowerCase();
    return [...l].length === 1 ? new Char(l) : a[0];
  }),
]);
def('make_upper', [o(['string'], (a, c) => (setString(c, (a[0] as string).toUpperCase()), UNIT), MUT)]);
def('make_lower', [o(['string'], (a, c) => (setString(c, (a[0] as string).toLowerCase()), UNIT), MUT)]);
def('trim', [o(['string'], (a, c) => (setString(c, (a[0] as string).trim()), UNIT), MUT)]);
def('starts_with', [o(['string', 'string|char'], (a) => (a[0] as string).startsWith(text(a[1])))]);
def('ends_with', [o(['string', 'string|char'], (a) => (a[0] as string).endsWith(text(a[1])))]);
def('replace', [
  o(
    ['string', 'string|char', 'string|char'],
    (a, c) => {
      const s = a[0] as string;
      const find = text(a[1]);
      const by = text(a[2]);
      if (find.length === 0) return UNIT;
      // a long replacement multiplies the length: count the matches and check the result first
      let count = 0;
      for (let at = s.indexOf(find); at >= 0; at = s.indexOf(find, at + find.length)) count++;
      if (count === 0) return UNIT;
      c.host.checkStringLength(s.length + count * (by.length - find.length), c.span);
      setString(c, s.split(find).join(by));
      return UNIT;
    },
    MUT,
  ),
]);
const toChars = o(['string'], (a, c): Value => {
  const s = a[0] as string;
  const n = charCount(s);
  c.host.checkArraySize(n, c.span);
  c.host.charge(n >> 4, c.span);
  return charsOf(s).map((ch) => new Char(ch));
});
def('chars', [toChars]);
def('to_chars', [toChars]);

// Arrays
def('push', [
  o(
    ['array', 'any'],
    (a, c) => {
      const arr = a[0] as Value[];
      c.host.checkArraySize(arr.length + 1, c.span);
      arr.push(a[1]);
      return UNIT;
    },
    MUT,
  ),
]);
def('append', [
  o(
    ['array', 'array'],
    (a, c) => {
      const arr = a[0] as Value[];
      const more = a[1] as Value[];
      c.host.checkArraySize(arr.length + more.length, c.span);
      for (const v of more) arr.push(v);
      return UNIT;
    },
    MUT,
  ),
  o(
    ['string', 'any'],
    (a, c) => {
      const s = a[0] as string;
      const more = c.host.show(a[1], false, c.span);
      c.host.checkStringLength(s.length + more.length, c.span);
      setString(c, s + more);
      return UNIT;
    },
    MUT,
  ),
]);
def('pop', [
  o(
    ['array'],
    (a) => {
      const v = (a[0] as Value[]).pop();
      return v === undefined ? UNIT : v;
    },
    MUT,
  ),
  o(
    ['string'],
    (a, c) => {
      const chars = charsOf(a[0] as string);
      const last = chars.pop();
      if (last === undefined) return UNIT;
      setString(c, chars.join(''));
      return new Char(last);
    },
    MUT,
  ),
]);
def('shift', [
  o(
    ['array'],
    (a) => {
      const v = (a[0] as Value[]).shift();
      return v === undefined ? UNIT : v;
    },
    MUT,
  ),
]);
def('insert', [
  o(
    ['array', 'i64', 'any'],
    (a, c) => {
      const arr = a[0] as Value[];
      c.host.checkArraySize(arr.length + 1, c.span);
      const [at] = offsetLen(arr.length, big(a[1]), 0n);
      arr.splice(at, 0, a[2]);
      return UNIT;
    },
    MUT,
  ),
]);
def('chop', [
  o(
    ['array', 'i64'],
    (a) => {
      const arr = a[0] as Value[];
      const n = big(a[1]);
      if (n <= 0n) arr.length = 0;
      else if (n < BigInt(arr.length)) arr.splice(0, arr.length - Number(n));
      return UNIT;
    },
    MUT,
  ),
]);
def('reverse', [o(['array'], (a) => ((a[0] as Value[]).reverse(), UNIT), MUT)]);
def('sort', [
  o(['array'], (a, c) => (sortArray(c, a[0] as Value[]), UNIT), MUT),
  o(
    ['array', 'Fn|string'],
    (a, c) => {
      const fp = toFnPtr(a[1]);
      (a[0] as Value[]).sort((x, y) => {
        const r = c.host.callFnPtr(fp, [x, y], c.span);
        if (typeof r !== 'bigint') {
          throw err(
            c,
            `sort(): the comparer must return an integer (<0, 0, >0), got ${typeName(r)}`,
            ErrorCode.Type,
            1,
          );
        }
        return r < 0n ? -1 : r > 0n ? 1 : 0;
      });
      return UNIT;
    },
    MUT,
  ),
]);
def('dedup', [
  o(
    ['array'],
    (a) => {
      const arr = a[0] as Value[];
      let w = 0;
      for (let i = 0; i < arr.length; i++) if (w === 0 || !valueEquals(arr[w - 1], arr[i])) arr[w++] = arr[i];
      arr.length = w;
      return UNIT;
    },
    MUT,
  ),
]);
def('extract', [
  o(['array', 'i64'], (a, c) => {
    const arr = a[0] as Value[];
    const [s, n] = offsetLen(arr.length, big(a[1]), I64_MAX);
    return c.host.copy(arr.slice(s, s + n), c.span);
  }),
  o(['array', 'i64', 'i64'], (a, c) => {
    const arr = a[0] as Value[];
    const [s, n] = offsetLen(arr.length, big(a[1]), big(a[2]));
    return c.host.copy(arr.slice(s, s + n), c.span);
  }),
  o(['array', 'range'], (a, c) => {
    const arr = a[0] as Value[];
    const r = a[1] as RangeValue;
    const start = r.start < 0n ? 0n : r.start;
    const end = r.end < start ? start : r.end;
    const [s, n] = offsetLen(arr.length, start, end - start + (r.inclusive ? 1n : 0n));
    return c.host.copy(arr.slice(s, s + n), c.span);
  }),
]);
def('splice', [
  o(
    ['array', 'i64', 'i64', 'array'],
    (a, c) => {
      const arr = a[0] as Value[];
      const repl = a[3] as Value[];
      const [s, n] = offsetLen(arr.length, big(a[1]), big(a[2]));
      c.host.checkArraySize(arr.length - n + repl.length, c.span);
      // not splice(s, n, ...repl): a spread of 100,000 arguments can exhaust the stack
      const tail = arr.slice(s + n);
      arr.length = s;
      for (const v of repl) arr.push(v);
      for (const v of tail) arr.push(v);
      return UNIT;
    },
    MUT,
  ),
]);

// Arrays with functions (closures or function names)
def('map', [
  o(['array', 'Fn|string'], (a, c) => {
    const fp = toFnPtr(a[1]);
    return (a[0] as Value[]).map((v, i) => callDual(c, fp, v, i));
  }),
]);
def('filter', [
  o(['array', 'Fn|string'], (a, c) => {
    const fp = toFnPtr(a[1]);
    const out: Value[] = [];
    (a[0] as Value[]).forEach((v, i) => {
      if (truthy(c, callDual(c, fp, v, i), 'filter function')) out.push(c.host.copy(v, c.span));
    });
    return out;
  }),
]);
def('for_each', [
  o(['array', 'Fn|string'], (a, c) => {
    const fp = toFnPtr(a[1]);
    (a[0] as Value[]).forEach((v, i) => callDual(c, fp, v, i));
    return UNIT;
  }),
]);
def('reduce', [
  o(['array', 'Fn|string'], (a, c) => {
    const fp = toFnPtr(a[1]);
    let acc: Value = UNIT;
    (a[0] as Value[]).forEach((v, i) => (acc = callDual(c, fp, v, i, acc)));
    return acc;
  }),
  o(['array', 'Fn|string', 'any'], (a, c) => {
    const fp = toFnPtr(a[1]);
    let acc: Value = a[2];
    (a[0] as Value[]).forEach((v, i) => (acc = callDual(c, fp, v, i, acc)));
    return acc;
  }),
]);
def('some', [
  o(['array', 'Fn|string'], (a, c) => {
    const fp = toFnPtr(a[1]);
    return (a[0] as Value[]).some((v, i) => truthy(c, callDual(c, fp, v, i), 'filter function'));
  }),
]);
def('all', [
  o(['array', 'Fn|string'], (a, c) => {
    const fp = toFnPtr(a[1]);
    return (a[0] as Value[]).every((v, i) => truthy(c, callDual(c, fp, v, i), 'filter function'));
  }),
]);
def('find', [
  o(['array', 'Fn|string'], (a, c) => {
    const fp = toFnPtr(a[1]);
    const arr = a[0] as Value[];
    for (let i = 0; i < arr.length; i++) {
      if (truthy(c, callDual(c, fp, arr[i], i), 'filter function')) return c.host.copy(arr[i], c.span);
    }
    return UNIT;
  }),
]);
function partition(a: Value[], c: StdContext, keepMatching: boolean): Value {
  const arr = a[0] as Value[];
  const fp = toFnPtr(a[1]);
  const kept: Value[] = [];
  const removed: Value[] = [];
  arr.forEach((v, i) => {
    const hit = truthy(c, callDual(c, fp, v, i), 'filter function');
    (hit === keepMatching ? kept : removed).push(v);
  });
  arr.length = 0;
  for (const v of kept) arr.push(v);
  return removed;
}
def('drain', [o(['array', 'Fn|string'], (a, c) => partition(a, c, false), MUT)]);
def('retain', [o(['array', 'Fn|string'], (a, c) => partition(a, c, true), MUT)]);

// Maps
def('keys', [
  o(['map'], (a, c) => {
    const m = a[0] as ScriptMap;
    c.host.checkArraySize(m.size, c.span);
    c.host.charge(m.size >> 4, c.span);
    return sortedKeys(m);
  }),
]);
def('values', [
  o(['map'], (a, c) => {
    const m = a[0] as ScriptMap;
    c.host.checkArraySize(m.size, c.span);
    return c.host.copy(
      sortedKeys(m).map((k) => m.get(k) ?? UNIT),
      c.span,
    );
  }),
]);
function mergeMaps(a: Value[], c: StdContext, overwrite: boolean): Value {
  const m = a[0] as ScriptMap;
  const other = a[1] as ScriptMap;
  for (const [k, v] of other) {
    if (m.has(k) && !overwrite) continue;
    if (!m.has(k)) c.host.checkMapSize(m.size + 1, c.span);
    m.set(k, c.host.copy(v, c.span));
  }
  return UNIT;
}
def('mixin', [o(['map', 'map'], (a, c) => mergeMaps(a, c, true), MUT)]);
def('fill_with', [o(['map', 'map'], (a, c) => mergeMaps(a, c, false), MUT)]);

/** All built-in functions by name. */
export const BUILTINS: ReadonlyMap<string, Builtin> = defs;

/** Names of the built-in functions (for completion and suggestions). */
export function builtinNames(): string[] {
  return [...defs.keys()];
}
