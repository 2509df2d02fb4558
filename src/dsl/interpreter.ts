/**
 * Tree-walking interpreter for the Rhai subset, with resource limits and host functions.
 *
 * ## Using it from a host
 *
 * ```ts
 * const { program, diagnostics } = parse(source, 'profile.rhai');
 * const interp = new Interpreter({ maxOperations: 100_000, hostFunctions: [mapFn] });
 * const result = interp.run(program, 'profile.rhai');
 * // result.diagnostics: at most one runtime error (a runtime error stops the script, as in Rhai)
 * // result.output: print()/debug() lines; result.operations: budget used; result.value: last value
 * ```
 *
 * A host function is `{ name, params, call(args, ctx) }`; `params` is an arity or an inclusive
 * `[min, max]` range, and the same name may be registered for several arities. `call` receives
 * the evaluated arguments (arrays and maps are private copies the host may keep; `x.f(a)` passes
 * `[x, a]`) and a `CallContext` with the span of the call and of each argument. It returns a
 * `Value` (`undefined` counts as `()`); integers are `bigint` (`int(5)`), plain numbers are f64.
 * To report a problem it throws `ScriptError(message, ctx.argSpans[i])`; without a span the call's
 * span is used, without a code `E_HOST`. The `expectString/expectInt/…` helpers in values.ts
 * produce the usual "map(): argument 2 must be a string, got i64" errors.
 *
 * Function lookup for `f(a, b)` follows Rhai: a script `fn f(a, b)` first, then a built-in whose
 * parameter types match exactly, then a host function of that arity, then function pointers held
 * in a variable `f`. (`overrideBuiltins: true` puts a host function before the built-ins.)
 * `x.f(a)` looks for a script `fn f(a)` called with `this` bound to `x`, then a script
 * `fn f(x, a)`, then `f(x, a)` among the built-ins and host functions.
 *
 * `runNested(program, file)` runs another parsed file (the host's `load()`): fresh global scope
 * and functions, same operation budget, call-depth accounting, output and host functions. Errors
 * propagate as `ScriptError` with spans in the inner file. `callFunction` calls a script closure
 * or function by name during a run (for hosts taking callbacks).
 *
 * ## Semantics notes
 *
 * - Arrays and maps are values: assignment, arguments and `for` copy them. Copies are charged to
 *   the operation budget (one operation per container and per 16 elements), so nothing a script
 *   does is free.
 * - Functions are pure: a function body sees its parameters, its locals and `global::CONST`.
 * - Built-ins that modify their first argument (`push`, `trim`, …) get it by reference when it is a
 *   variable (`push(a, 1)` and `a.push(1)` both modify `a`, as in Rhai); a constant is copied in
 *   function-call style and refused in method-call style.
 */
import type {
  BinaryExpr,
  BinaryOp,
  BlockExpr,
  CallExpr,
  Expr,
  FnDef,
  ForStmt,
  IfExpr,
  MethodCallExpr,
  Program,
  Stmt,
  SwitchExpr,
  TryStmt,
} from './ast.ts';
import { plural } from '../core/plural.ts';
import type { Diagnostic, SourceSpan } from './diagnostics.ts';
import { ErrorCode, ScriptError, formatLocation, suggest } from './diagnostics.ts';
import type { Builtin, Overload, Ref, StdContext, StdHost } from './corelib.ts';
import { BUILTINS, describeOverloads, findOverload } from './corelib.ts';
import { DEFAULT_MAX_EXPR_DEPTH, DEFAULT_MAX_SOURCE_BYTES, parse } from './parser.ts';
import type { ArgContext, HostObject, ScriptMap, Value } from './values.ts';
import {
  Char,
  FnPtr,
  I64_MAX,
  I64_MIN,
  RangeValue,
  UNIT,
  charCount,
  charsOf,
  cloneValue,
  compareValues,
  copyCost,
  isHostObject,
  isValue,
  toDebugString,
  toDisplayString,
  typeName,
  takeEqualityWork,
  valueEquals,
} from './values.ts';

export interface Limits {
  /** statements + expression evaluations + loop iterations (+ copying work) per run */
  maxOperations: number;
  /** nested calls of script functions and closures (and nested runs) */
  maxCallDepth: number;
  /** parser nesting depth of expressions and blocks */
  maxExprDepth: number;
  /** size of one source file in UTF-8 bytes */
  maxSourceBytes: number;
  /** length of one string, in UTF-16 code units */
  maxStringLength: number;
  maxArraySize: number;
  maxMapSize: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxOperations: 1_000_000,
  maxCallDepth: 64,
  maxExprDepth: DEFAULT_MAX_EXPR_DEPTH,
  maxSourceBytes: DEFAULT_MAX_SOURCE_BYTES,
  maxStringLength: 1_048_576,
  maxArraySize: 100_000,
  maxMapSize: 100_000,
});

export interface CallContext extends ArgContext {
  /** span of the whole call expression */
  span: SourceSpan;
  /** span of each argument; for `x.f(a)` index 0 is `x` */
  argSpans: SourceSpan[];
  interpreter: Interpreter;
  /** the file whose code made the call (the inner file during `runNested`) */
  file: string;
  /** the function name as called */
  name: string;
  /** called as `x.f(…)` */
  method: boolean;
}

export interface HostFunction {
  name: string;
  /** number of arguments, or an inclusive [min, max] range */
  params: number | [min: number, max: number];
  call(args: Value[], ctx: CallContext): Value | void;
  /** take precedence over built-ins of the same name even when their types match */
  overrideBuiltins?: boolean;
}

export interface InterpreterOptions extends Partial<Limits> {
  hostFunctions?: HostFunction[];
  /** called for every print()/debug() line as it happens (the lines are also in RunResult.output) */
  onOutput?: (text: string, kind: 'print' | 'debug', span: SourceSpan) => void;
}

export interface RunResult {
  /** empty, or the one runtime error that stopped the script */
  diagnostics: Diagnostic[];
  /** print()/debug() lines, in order */
  output: string[];
  /** operations used (compare with limits.maxOperations) */
  operations: number;
  /** value of the last statement, or of a top-level `return` */
  value: Value;
}

// Completion signals of statements. Exceptions are used only when a signal must cross an
// expression (e.g. `break` inside `let x = if c { break; } …`).
const NORMAL = 0;
const BREAK = 1;
const CONTINUE = 2;
const RETURN = 3;

class ControlFlow {
  constructor(
    readonly signal: number,
    readonly value: Value,
  ) {}
}

/** A `throw` from the script: catchable by `try`, keeps the thrown value. */
class ThrownValue extends ScriptError {
  constructor(
    message: string,
    span: SourceSpan,
    readonly value: Value,
  ) {
    super(message, span, { code: ErrorCode.Throw });
  }
}

interface Cell {
  value: Value;
  readonly constant: boolean;
  readonly declSpan: SourceSpan | null;
}

interface Entry {
  readonly name: string;
  readonly cell: Cell;
}

interface ScriptFn {
  def: FnDef;
  module: Module;
}

/** One file being run: its functions and global constants. */
interface Module {
  file: string;
  functions: Map<string, Map<number, ScriptFn>>;
  globals: Map<string, Value>;
  rootScope: Entry[];
}

interface Frame {
  /** variables, innermost last; shadowing = a later entry of the same name */
  scope: Entry[];
  thisRef: Ref | null;
  module: Module;
  fnName: string | null;
  blockDepth: number;
  isRoot: boolean;
}

interface Captured {
  scope: Entry[];
  thisRef: Ref | null;
}

const NO_SPAN: SourceSpan = { file: '', line: 1, column: 1, length: 0, offset: 0 };

function isContainer(v: Value): v is Value[] | ScriptMap {
  return v !== null && typeof v === 'object' && (Array.isArray(v) || v instanceof Map);
}

/** Operations a caught error costs: a loop that fails and catches forever stops soon enough. */
const CAUGHT_ERROR_COST = 32;

/**
 * "Did you mean" compares the name with every candidate (an edit distance: up to name length ×
 * candidate length steps each): no suggestions for names longer than this, and the work is charged.
 */
const MAX_SUGGESTED_NAME = 64;

/** Variable lookups scan the scope from the innermost entry: one operation per this many entries. */
const SCOPE_ENTRIES_PER_OPERATION = 64;

/**
 * Operations a pass over a long string (one per 4 code units: some passes split it into
 * characters and join them again) or an array (one per 16 elements) costs. Maps are hashed, never
 * walked, except by functions that charge for it themselves.
 */
function sizeCharge(v: Value): number {
  if (typeof v === 'string') return v.length > 256 ? v.length >> 2 : 0;
  if (Array.isArray(v)) return v.length >> 4;
  return 0;
}

/** Built-ins that do not walk an array they get as first argument (building one stays linear). */
const CONSTANT_TIME_ON_ARRAYS = new Set([
  'len',
  'is_empty',
  'get',
  'set',
  'push',
  'pop',
  'append',
  'truncate',
  'clear',
  'type_of',
]);

function describeArities(arities: number[]): string {
  const sorted = [...new Set(arities)].sort((a, b) => a - b);
  if (sorted.length === 1) return plural(sorted[0], 'argument');
  const last = sorted.pop() as number;
  return `${sorted.join(', ')} or ${last} arguments`;
}

function constAssignError(name: string, span: SourceSpan, action?: string): ScriptError {
  return new ScriptError(action ?? `cannot assign to constant '${name}'`, span, {
    code: ErrorCode.ConstAssign,
    hint: `'${name}' is declared with 'const'; declare it with 'let' if it needs to change`,
  });
}

function stringLengthError(max: number, span: SourceSpan): ScriptError {
  return new ScriptError(`string length limit exceeded (${max} characters)`, span, { code: ErrorCode.Limit });
}

function mapSizeError(max: number, span: SourceSpan): ScriptError {
  return new ScriptError(`map size limit exceeded (${max} entries)`, span, { code: ErrorCode.Limit });
}

/** The switch cases a value can select, found by hashing rather than by trying every case. */
interface SwitchTable {
  /** case indices, in order, by the (primitive) value of one of their value patterns */
  values: Map<bigint | number | string | boolean | null, number[]>;
  /** the same for character patterns, by the character */
  chars: Map<string, number[]>;
  /** indices of the cases with a range pattern, in order */
  ranges: number[];
}

const switchTables = new WeakMap<SwitchExpr, SwitchTable>();

function addCase<K>(map: Map<K, number[]>, key: K, index: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [index]);
  else if (list[list.length - 1] !== index) list.push(index);
}

/** Built once per switch expression (the AST is immutable); linear in the number of cases. */
function switchTable(e: SwitchExpr): SwitchTable {
  let t = switchTables.get(e);
  if (t !== undefined) return t;
  t = { values: new Map(), chars: new Map(), ranges: [] };
  for (let i = 0; i < e.cases.length; i++) {
    for (const p of e.cases[i].patterns) {
      if (p.kind === 'range') {
        if (t.ranges[t.ranges.length - 1] !== i) t.ranges.push(i);
      } else if (p.value instanceof Char) {
        addCase(t.chars, p.value.value, i);
      } else if (!(typeof p.value === 'number' && Number.isNaN(p.value))) {
        // Switch cases match by value and type (a float case never matches an integer), as Rhai's
        // hashing does: Map keys compare so (1n is not 1). NaN, which equals nothing, is left out.
        addCase(t.values, p.value, i);
      }
    }
  }
  switchTables.set(e, t);
  return t;
}

// Storage locations. Small classes rather than closures: one is made for every assignment and
// every method call on a variable.

class VarRef implements Ref {
  constructor(
    private readonly cell: Cell,
    readonly name: string,
  ) {}
  get constant(): boolean {
    return this.cell.constant;
  }
  get(): Value {
    return this.cell.value;
  }
  set(v: Value, span: SourceSpan): void {
    if (this.cell.constant) throw constAssignError(this.name, span);
    this.cell.value = v;
  }
}

/** A value with no storage behind it (a temporary receiver), or a read-only one. */
class TempRef implements Ref {
  constructor(
    private value: Value,
    readonly constant = false,
    readonly name = '',
  ) {}
  get(): Value {
    return this.value;
  }
  set(v: Value, span: SourceSpan): void {
    if (this.constant) throw constAssignError(this.name, span);
    this.value = v;
  }
}

class ElementRef implements Ref {
  constructor(
    private readonly array: Value[],
    private readonly index: number,
    private readonly base: Ref,
  ) {}
  get constant(): boolean {
    return this.base.constant;
  }
  get name(): string {
    return this.base.name;
  }
  get(): Value {
    return this.array[this.index];
  }
  set(v: Value, span: SourceSpan): void {
    if (this.base.constant) throw constAssignError(this.base.name, span);
    this.array[this.index] = v;
  }
}

class KeyRef implements Ref {
  constructor(
    private readonly map: ScriptMap,
    private readonly key: string,
    private readonly base: Ref,
    private readonly maxSize: number,
  ) {}
  get constant(): boolean {
    return this.base.constant;
  }
  get name(): string {
    return this.base.name;
  }
  get(): Value {
    return this.map.get(this.key) ?? UNIT;
  }
  set(v: Value, span: SourceSpan): void {
    if (this.base.constant) throw constAssignError(this.base.name, span);
    if (!this.map.has(this.key) && this.map.size + 1 > this.maxSize) throw mapSizeError(this.maxSize, span);
    this.map.set(this.key, v);
  }
}

/** One character of a string: setting it rebuilds the string and stores it in the base. */
class CharRef implements Ref {
  constructor(
    private readonly chars: string[],
    private readonly index: number,
    private readonly base: Ref,
    private readonly maxLength: number,
  ) {}
  get constant(): boolean {
    return this.base.constant;
  }
  get name(): string {
    return this.base.name;
  }
  get(): Value {
    return new Char(this.chars[this.index]);
  }
  set(v: Value, span: SourceSpan): void {
    const ch =
      v instanceof Char ? v.value : typeof v === 'string' && v.length <= 2 && charCount(v) === 1 ? v : null;
    if (ch === null) {
      throw new ScriptError(`a string position can only be set to a character, got ${typeName(v)}`, span, {
        code: ErrorCode.Type,
      });
    }
    const grows = ch.length - this.chars[this.index].length;
    this.chars[this.index] = ch;
    const s = this.chars.join('');
    // an astral character in place of another one lengthens the string
    if (grows > 0 && s.length > this.maxLength) throw stringLengthError(this.maxLength, span);
    this.base.set(s, span);
  }
}

export class Interpreter {
  readonly limits: Limits;
  private readonly hostFns = new Map<string, HostFunction[]>();
  private readonly onOutput: InterpreterOptions['onOutput'];
  private running = false;
  private ops = 0;
  private callDepth = 0;
  private output: string[] = [];
  private frame: Frame;
  private lastSpan: SourceSpan = NO_SPAN;
  private stmtValue: Value = UNIT;
  private breakValue: Value = UNIT;
  private returnValue: Value = UNIT;
  private readonly std: StdHost;

  constructor(opts: InterpreterOptions = {}) {
    const limits: Limits = { ...DEFAULT_LIMITS };
    for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
      const v = opts[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !(v > 0))
        throw new RangeError(`limit ${key} must be a positive number, got ${String(v)}`);
      limits[key] = v;
    }
    this.limits = limits;
    this.onOutput = opts.onOutput;
    for (const fn of opts.hostFunctions ?? []) this.registerFunction(fn);
    const emptyModule: Module = { file: '', functions: new Map(), globals: new Map(), rootScope: [] };
    this.frame = { scope: [], thisRef: null, module: emptyModule, fnName: null, blockDepth: 0, isRoot: true };
    this.std = {
      checkString: (s, span) => this.checkString(s, span),
      checkStringLength: (n, span) => this.checkStringLength(n, span),
      checkArraySize: (n, span) => this.checkArraySize(n, span),
      checkMapSize: (n, span) => this.checkMapSize(n, span),
      charge: (n, span) => this.charge(n, span),
      copy: (v, span) => this.owned(v, span),
      emit: (kind, text, span) => this.emit(kind, text, span),
      show: (v, debug, span) => {
        const max = this.limits.maxStringLength;
        return this.checkString(debug ? toDebugString(v, max) : toDisplayString(v, max), span);
      },
      // Built-ins pass elements of arrays they hold by reference: the callee gets copies.
      callFnPtr: (fp, args, span) =>
        this.callFnPtr(
          fp,
          args.map((a) => this.owned(a, span)),
          span,
          null,
        ),
      fnPtrArity: (fp) => this.fnPtrArity(fp),
      hasFunction: (name, arity) => this.hasFunction(name, arity),
      hasVariable: (name) => this.lookup(name) !== null,
    };
  }

  /** Add a host function. Registering the same name and arity again replaces it. */
  registerFunction(fn: HostFunction): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(fn.name)) throw new Error(`invalid host function name '${fn.name}'`);
    const [min, max] = typeof fn.params === 'number' ? [fn.params, fn.params] : fn.params;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
      throw new Error(`host function '${fn.name}': invalid params ${JSON.stringify(fn.params)}`);
    }
    const list = (this.hostFns.get(fn.name) ?? []).filter((f) => {
      const [a, b] = typeof f.params === 'number' ? [f.params, f.params] : f.params;
      return !(a === min && b === max);
    });
    list.push(fn);
    this.hostFns.set(fn.name, list);
  }

  /** Is a function callable with this many arguments (any, when null)? Script functions of the running file count too. */
  hasFunction(name: string, arity: number | null): boolean {
    const script = this.frame.module.functions.get(name);
    if (script && (arity === null ? script.size > 0 : script.has(arity))) return true;
    if (this.hostFns.get(name)?.some((f) => arity === null || this.hostAccepts(f, arity))) return true;
    const b = BUILTINS.get(name);
    return b !== undefined && (arity === null || (arity >= b.minArgs && arity <= b.maxArgs));
  }

  /** Operations used so far by the current (or last) run. */
  get operations(): number {
    return this.ops;
  }

  /** Charge work a host function did to the operation budget (throws the limit error when exceeded). */
  chargeOperations(n: number, span: SourceSpan): void {
    if (!this.running) throw new Error('chargeOperations() can only be used while a script runs');
    this.charge(n, span);
  }

  /** Parse with this interpreter's limits, then run if there is no syntax error. */
  runSource(source: string, file: string): RunResult {
    const parsed = parse(source, file, {
      maxExprDepth: this.limits.maxExprDepth,
      maxSourceBytes: this.limits.maxSourceBytes,
    });
    if (parsed.diagnostics.some((d) => d.severity === 'error')) {
      return { diagnostics: parsed.diagnostics, output: [], operations: 0, value: UNIT };
    }
    const result = this.run(parsed.program, file);
    return { ...result, diagnostics: [...parsed.diagnostics, ...result.diagnostics] };
  }

  /** Run a program from scratch (fresh budget, output and globals). Never throws for script errors. */
  run(program: Program, file: string = program.file): RunResult {
    if (this.running) {
      throw new Error(
        'Interpreter.run() cannot be called while a script is running; use runNested() from host functions',
      );
    }
    this.running = true;
    this.ops = 0;
    this.callDepth = 0;
    this.output = [];
    this.lastSpan = program.span;
    const diagnostics: Diagnostic[] = [];
    let value: Value = UNIT;
    try {
      value = this.execProgram(program, file);
    } catch (e) {
      diagnostics.push(this.toDiagnostic(e));
    } finally {
      this.running = false;
    }
    return { diagnostics, output: this.output, operations: this.ops, value };
  }

  /**
   * Run another parsed file inside the current run (for the host's `load()`): fresh globals and
   * functions, shared budget, depth, output and host functions. Script errors propagate as
   * ScriptError (spans in the inner file).
   */
  runNested(program: Program, file: string = program.file): Value {
    if (!this.running) throw new Error('runNested() can only be called from a host function during run()');
    if (this.callDepth >= this.limits.maxCallDepth) throw this.callDepthError(this.lastSpan);
    this.callDepth++;
    try {
      return this.execProgram(program, file);
    } catch (e) {
      throw this.asScriptError(e);
    } finally {
      this.callDepth--;
    }
  }

  /** Call a function pointer (closure) or a function by name during a run, e.g. a callback a host received. */
  callFunction(fn: FnPtr | string, args: Value[], span?: SourceSpan): Value {
    if (!this.running) throw new Error('callFunction() can only be used while a script runs');
    const at = span ?? this.lastSpan;
    try {
      return fn instanceof FnPtr
        ? this.callFnPtr(fn, args, at, null)
        : this.callByName(fn, args, at, [], null);
    } catch (e) {
      throw this.asScriptError(e);
    }
  }

  // ---- errors and limits ---------------------------------------------------------------------

  private asScriptError(e: unknown): unknown {
    if (e instanceof ScriptError || e instanceof ControlFlow) return e;
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      return new ScriptError('script nested too deeply: the JavaScript stack is exhausted', this.lastSpan, {
        code: ErrorCode.Limit,
      });
    }
    return new ScriptError(`internal error: ${e instanceof Error ? e.message : String(e)}`, this.lastSpan, {
      code: ErrorCode.Internal,
    });
  }

  private toDiagnostic(e: unknown): Diagnostic {
    const err = this.asScriptError(e);
    if (err instanceof ScriptError) return err.toDiagnostic(this.lastSpan, ErrorCode.Internal);
    return {
      severity: 'error',
      code: ErrorCode.Internal,
      message: 'internal error: stray control flow',
      span: this.lastSpan,
    };
  }

  private error(
    message: string,
    span: SourceSpan,
    code: string,
    hint?: string,
    suggestions?: string[],
  ): ScriptError {
    return new ScriptError(message, span, { code, hint, suggestions });
  }

  private typeError(message: string, span: SourceSpan, hint?: string): ScriptError {
    return this.error(message, span, ErrorCode.Type, hint);
  }

  private tick(span: SourceSpan): void {
    this.lastSpan = span;
    if (++this.ops > this.limits.maxOperations) throw this.opsError(span);
  }

  private charge(n: number, span: SourceSpan): void {
    this.ops += n;
    if (this.ops > this.limits.maxOperations) throw this.opsError(span);
  }

  /**
   * A value's text (interpolation, `+`, `throw`): building it is a pass over the value and the
   * text. A container's text stops soon after the string length limit (the caller's check fails).
   */
  private display(v: Value, span: SourceSpan): string {
    if (typeof v === 'string') return v;
    this.chargeSizes([v], span);
    const text = toDisplayString(v, this.limits.maxStringLength);
    this.charge(sizeCharge(text), span);
    return text;
  }

  /**
   * Functions, comparisons and string indexing walk their string, array and map operands: charge
   * that work by size, as copies are, or one operation could be a pass over a megabyte.
   */
  private chargeSizes(values: readonly Value[], span: SourceSpan, from = 0): void {
    let n = 0;
    for (let i = from; i < values.length; i++) n += sizeCharge(values[i]);
    if (n > 0) this.charge(n, span);
  }

  private opsError(span: SourceSpan): ScriptError {
    return this.error(
      `operation limit exceeded (${this.limits.maxOperations} operations): does the script loop forever?`,
      span,
      ErrorCode.Limit,
      'check the loop conditions; a profile should need far fewer operations',
    );
  }

  private callDepthError(span: SourceSpan): ScriptError {
    return this.error(
      `call depth limit exceeded (${this.limits.maxCallDepth} nested calls): is there infinite recursion?`,
      span,
      ErrorCode.Limit,
      'make sure every recursive function has a case that stops the recursion',
    );
  }

  private checkString(s: string, span: SourceSpan): string {
    this.checkStringLength(s.length, span);
    if (s.length > 256) this.charge(s.length >> 8, span);
    return s;
  }

  /** For a string about to be built: fails before building it when `n` code units are too many. */
  private checkStringLength(n: number, span: SourceSpan): void {
    if (n > this.limits.maxStringLength) throw stringLengthError(this.limits.maxStringLength, span);
  }

  private checkArraySize(n: number, span: SourceSpan): void {
    if (n > this.limits.maxArraySize) {
      throw this.error(
        `array size limit exceeded (${this.limits.maxArraySize} elements)`,
        span,
        ErrorCode.Limit,
      );
    }
  }

  private checkMapSize(n: number, span: SourceSpan): void {
    if (n > this.limits.maxMapSize) throw mapSizeError(this.limits.maxMapSize, span);
  }

  private emit(kind: 'print' | 'debug', text: string, span: SourceSpan): void {
    this.charge(sizeCharge(text), span);
    this.output.push(text);
    this.onOutput?.(text, kind, span);
  }

  /**
   * A value leaving its storage: arrays and maps are copied (value semantics). The copy is paid
   * for before it is made, so a copy the budget cannot pay for is never allocated.
   */
  private owned(v: Value, span: SourceSpan): Value {
    if (!isContainer(v)) return v;
    this.charge(copyCost(v, this.limits.maxOperations - this.ops), span);
    return cloneValue(v, undefined, span);
  }

  // ---- programs, blocks, statements ----------------------------------------------------------

  private execProgram(program: Program, file: string): Value {
    const module: Module = { file, functions: new Map(), globals: new Map(), rootScope: [] };
    for (const def of program.functions) {
      let byArity = module.functions.get(def.name);
      if (!byArity) module.functions.set(def.name, (byArity = new Map()));
      byArity.set(def.params.length, { def, module });
    }
    const frame: Frame = {
      scope: module.rootScope,
      thisRef: null,
      module,
      fnName: null,
      blockDepth: 0,
      isRoot: true,
    };
    const saved = this.frame;
    this.frame = frame;
    try {
      const sig = this.execStatements(program.statements);
      return sig === RETURN ? this.returnValue : this.stmtValue;
    } catch (e) {
      if (e instanceof ControlFlow && e.signal === RETURN) return e.value;
      throw e;
    } finally {
      this.frame = saved;
    }
  }

  private execStatements(stmts: Stmt[]): number {
    this.stmtValue = UNIT;
    for (let i = 0; i < stmts.length; i++) {
      const sig = this.execStmt(stmts[i]);
      if (sig !== NORMAL) return sig;
    }
    return NORMAL;
  }

  private execBlock(block: BlockExpr): number {
    const f = this.frame;
    const mark = f.scope.length;
    f.blockDepth++;
    try {
      return this.execStatements(block.statements);
    } finally {
      f.scope.length = mark;
      f.blockDepth--;
    }
  }

  /** Run a loop body, turning signals thrown across expressions back into return codes. */
  private runBody(body: BlockExpr): number {
    try {
      return this.execBlock(body);
    } catch (e) {
      if (!(e instanceof ControlFlow)) throw e;
      if (e.signal === BREAK) this.breakValue = e.value;
      else if (e.signal === RETURN) this.returnValue = e.value;
      return e.signal;
    }
  }

  private controlFlow(sig: number): ControlFlow {
    return new ControlFlow(sig, sig === BREAK ? this.breakValue : sig === RETURN ? this.returnValue : UNIT);
  }

  private declare(name: string, value: Value, constant: boolean, span: SourceSpan): void {
    const f = this.frame;
    f.scope.push({ name, cell: { value, constant, declSpan: span } });
    // Constants at the top level of a file form its `global` module.
    if (constant && f.isRoot && f.blockDepth === 0) f.module.globals.set(name, value);
  }

  private execStmt(s: Stmt): number {
    this.tick(s.span);
    switch (s.kind) {
      case 'Let': {
        const v = s.init === null ? UNIT : this.evalExpr(s.init);
        this.declare(s.name, v, s.constant, s.nameSpan);
        this.stmtValue = UNIT;
        return NORMAL;
      }
      case 'Expr': {
        const e = s.expr;
        // Statement-level if/switch/blocks pass signals as return codes (no exceptions).
        if (e.kind === 'If') return this.execIf(e);
        if (e.kind === 'Switch') return this.execSwitch(e);
        if (e.kind === 'Block') return this.execBlock(e);
        this.stmtValue = this.evalExpr(e);
        return NORMAL;
      }
      case 'Assign':
        this.execAssign(s.op, s.target, s.value, s.span);
        this.stmtValue = UNIT;
        return NORMAL;
      case 'While':
        for (;;) {
          this.tick(s.span);
          if (!this.evalCond(s.cond, "the 'while' condition")) break;
          const sig = this.runBody(s.body);
          if (sig === BREAK) return this.breakLoop();
          if (sig === RETURN) return RETURN;
        }
        this.stmtValue = UNIT;
        return NORMAL;
      case 'Do':
        for (;;) {
          this.tick(s.span);
          const sig = this.runBody(s.body);
          if (sig === BREAK) return this.breakLoop();
          if (sig === RETURN) return RETURN;
          const c = this.evalCond(s.cond, `the '${s.until ? 'until' : 'while'}' condition`);
          if (s.until ? c : !c) break;
        }
        this.stmtValue = UNIT;
        return NORMAL;
      case 'Loop':
        return this.execLoop(s.body, s.span);
      case 'For':
        return this.execFor(s);
      case 'Break':
        this.breakValue = s.value === null ? UNIT : this.evalExpr(s.value);
        return BREAK;
      case 'Continue':
        return CONTINUE;
      case 'Return':
        this.returnValue = s.value === null ? UNIT : this.evalExpr(s.value);
        return RETURN;
      case 'Throw': {
        const v = s.value === null ? UNIT : this.evalExpr(s.value);
        const text = this.display(v, s.span);
        throw new ThrownValue(text.length > 0 ? text : 'exception thrown', s.span, v);
      }
      case 'Try':
        return this.execTry(s);
    }
  }

  private execLoop(body: BlockExpr, span: SourceSpan): number {
    for (;;) {
      this.tick(span);
      const sig = this.runBody(body);
      if (sig === BREAK) return this.breakLoop();
      if (sig === RETURN) return RETURN;
    }
  }

  private breakLoop(): number {
    this.stmtValue = this.breakValue;
    this.breakValue = UNIT;
    return NORMAL;
  }

  private execFor(s: ForStmt): number {
    const iterable = this.evalExpr(s.iterable);
    const f = this.frame;
    const mark = f.scope.length;
    let counter = 0n;
    // Returns a signal, or -1 to keep iterating.
    const step = (item: Value): number => {
      this.tick(s.span);
      f.scope.length = mark;
      f.scope.push({ name: s.name, cell: { value: item, constant: false, declSpan: s.nameSpan } });
      if (s.indexName !== null) {
        f.scope.push({ name: s.indexName, cell: { value: counter, constant: false, declSpan: s.nameSpan } });
      }
      counter++;
      const sig = this.runBody(s.body);
      if (sig === BREAK) return this.breakLoop();
      if (sig === RETURN) return RETURN;
      return -1;
    };
    try {
      if (Array.isArray(iterable)) {
        for (let i = 0; i < iterable.length; i++) {
          const r = step(iterable[i]);
          if (r !== -1) return r;
        }
      } else if (iterable instanceof RangeValue) {
        const { start, end, inclusive } = iterable;
        const by = iterable.step;
        for (
          let n = start;
          by > 0n ? (inclusive ? n <= end : n < end) : inclusive ? n >= end : n > end;
          n += by
        ) {
          const r = step(n);
          if (r !== -1) return r;
        }
      } else if (typeof iterable === 'string') {
        this.chargeSizes([iterable], s.iterable.span);
        for (const ch of charsOf(iterable)) {
          const r = step(new Char(ch));
          if (r !== -1) return r;
        }
      } else {
        throw this.typeError(
          `cannot iterate over ${typeName(iterable)}`,
          s.iterable.span,
          iterable instanceof Map
            ? 'iterate over keys(map) or values(map)'
            : 'a for loop iterates over an array, a range (0..n), or the characters of a string',
        );
      }
    } finally {
      f.scope.length = mark;
    }
    this.stmtValue = UNIT;
    return NORMAL;
  }

  private execTry(s: TryStmt): number {
    const f = this.frame;
    try {
      return this.execBlock(s.body);
    } catch (e) {
      // Resource limits are not catchable: a script must not be able to outlive its budget.
      if (!(e instanceof ScriptError) || e.code === ErrorCode.Limit) throw e;
      // An error costs far more than an operation (the exception, its message and suggestions).
      this.charge(CAUGHT_ERROR_COST, s.span);
      if (s.errorName === null) return this.execBlock(s.catchBody);
      const value: Value = e instanceof ThrownValue ? e.value : e.message;
      const mark = f.scope.length;
      f.blockDepth++;
      f.scope.push({ name: s.errorName, cell: { value, constant: false, declSpan: null } });
      try {
        return this.execStatements(s.catchBody.statements);
      } finally {
        f.scope.length = mark;
        f.blockDepth--;
      }
    }
  }

  private execIf(e: IfExpr): number {
    for (const b of e.branches) {
      if (this.evalCond(b.cond, "the 'if' condition")) return this.execBlock(b.body);
    }
    if (e.elseBody !== null) return this.execBlock(e.elseBody);
    this.stmtValue = UNIT;
    return NORMAL;
  }

  private evalCond(cond: Expr, what: string): boolean {
    const v = this.evalExpr(cond);
    if (typeof v === 'boolean') return v;
    throw this.typeError(
      `${what} must be a bool, got ${typeName(v)}`,
      cond.span,
      typeof v === 'bigint' || typeof v === 'number'
        ? "numbers are not true or false in Rhai: compare explicitly, e.g. 'x != 0'"
        : undefined,
    );
  }

  private execSwitch(e: SwitchExpr): number {
    const subject = this.evalPeek(e.subject);
    const run = (body: Expr): number => {
      if (body.kind === 'Block') return this.execBlock(body);
      this.stmtValue = this.evalExpr(body);
      return NORMAL;
    };
    // Exact values first, then ranges (Rhai looks values up in a table before scanning ranges).
    const table = switchTable(e);
    const byValue =
      subject instanceof Char
        ? table.chars.get(subject.value)
        : subject === null || typeof subject !== 'object'
          ? table.values.get(subject)
          : undefined;
    for (const i of byValue ?? []) {
      const c = e.cases[i];
      if (c.guard !== null && !this.evalCond(c.guard, 'a switch case condition')) continue;
      return run(c.body);
    }
    if (typeof subject === 'bigint' && table.ranges.length > 0) {
      // the range cases are tried one by one: that is a pass over them
      this.charge(table.ranges.length >> 4, e.span);
      for (const i of table.ranges) {
        const c = e.cases[i];
        const hit = c.patterns.some(
          (p) =>
            p.kind === 'range' && subject >= p.start && (p.inclusive ? subject <= p.end : subject < p.end),
        );
        if (!hit) continue;
        if (c.guard !== null && !this.evalCond(c.guard, 'a switch case condition')) continue;
        return run(c.body);
      }
    }
    if (e.defaultBody !== null) return run(e.defaultBody);
    this.stmtValue = UNIT;
    return NORMAL;
  }

  // ---- assignment and references -------------------------------------------------------------

  private execAssign(op: string, target: Expr, valueExpr: Expr, span: SourceSpan): void {
    // Rhai evaluates the right-hand side first.
    const value = this.evalExpr(valueExpr);
    const ref = this.resolveRef(target);
    if (ref === null) throw this.error('cannot assign to this expression', target.span, ErrorCode.Syntax);
    if (op === '=') {
      ref.set(value, target.span);
      return;
    }
    const bop = op.slice(0, -1) as BinaryOp;
    const cur = ref.get();
    // `arr += x` appends in place (x pushed, or its elements if x is an array); `map += map` merges.
    if (bop === '+' && Array.isArray(cur)) {
      if (ref.constant) throw this.constError(ref, target.span);
      const more = Array.isArray(value) ? value : [value];
      this.checkArraySize(cur.length + more.length, span);
      for (const v of more) cur.push(v);
      return;
    }
    if (bop === '+' && cur instanceof Map && value instanceof Map) {
      if (ref.constant) throw this.constError(ref, target.span);
      for (const [k, v] of value) {
        if (!cur.has(k)) this.checkMapSize(cur.size + 1, span);
        cur.set(k, v);
      }
      return;
    }
    ref.set(this.binaryOp(bop, cur, value, span), target.span);
  }

  private constError(ref: Ref, span: SourceSpan, action?: string): ScriptError {
    return constAssignError(ref.name, span, action);
  }

  private isLvalue(e: Expr): boolean {
    return (
      e.kind === 'Variable' ||
      e.kind === 'This' ||
      e.kind === 'Global' ||
      e.kind === 'Index' ||
      (e.kind === 'Property' && !e.optional)
    );
  }

  /** The storage location an lvalue expression names, or null if it is not an lvalue. */
  private resolveRef(e: Expr): Ref | null {
    switch (e.kind) {
      case 'Variable': {
        this.tick(e.span);
        const cell = this.lookup(e.name);
        if (cell === null) throw this.unknownVariable(e.name, e.span);
        return new VarRef(cell, e.name);
      }
      case 'This':
        this.tick(e.span);
        return this.thisRef(e.span);
      case 'Global': {
        const v = this.evalPeek(e);
        return new TempRef(v, true, `global::${e.name}`);
      }
      case 'Index': {
        this.tick(e.span);
        const base = this.resolveRef(e.object) ?? new TempRef(this.evalExpr(e.object));
        const idx = this.evalExpr(e.index);
        return this.indexRef(base, idx, e.index.span, e.span);
      }
      case 'Property': {
        if (e.optional) return null;
        this.tick(e.span);
        const base = this.resolveRef(e.object) ?? new TempRef(this.evalExpr(e.object));
        return this.propertyRef(base, e.name, e.nameSpan);
      }
      default:
        return null;
    }
  }

  private thisRef(span: SourceSpan): Ref {
    const r = this.frame.thisRef;
    if (r === null) {
      throw this.error(
        "'this' is not bound here",
        span,
        ErrorCode.UnknownVariable,
        "'this' is the value a function is called on: x.f() binds 'this' to x",
      );
    }
    return r;
  }

  private arrayIndex(len: number, idx: Value, idxSpan: SourceSpan, what: string): number {
    if (typeof idx !== 'bigint') {
      throw this.typeError(`${what} index must be an integer, got ${typeName(idx)}`, idxSpan);
    }
    const i = idx < 0n ? BigInt(len) + idx : idx;
    if (i < 0n || i >= BigInt(len)) {
      throw this.error(
        `${what} index ${idx} is out of bounds (the ${what} has ${plural(len, what === 'string' ? 'character' : 'element')})`,
        idxSpan,
        ErrorCode.Index,
        len === 0
          ? `the ${what} is empty`
          : `valid indices are 0..${len - 1}, or -${len}..-1 counting from the end`,
      );
    }
    return Number(i);
  }

  private mapKey(idx: Value, idxSpan: SourceSpan): string {
    if (typeof idx === 'string') return idx;
    if (idx instanceof Char) return idx.value;
    throw this.typeError(`object map keys are strings; cannot index a map with ${typeName(idx)}`, idxSpan);
  }

  private indexRef(base: Ref, idx: Value, idxSpan: SourceSpan, span: SourceSpan): Ref {
    const container = base.get();
    if (Array.isArray(container)) {
      return new ElementRef(container, this.arrayIndex(container.length, idx, idxSpan, 'array'), base);
    }
    if (container instanceof Map)
      return new KeyRef(container, this.mapKey(idx, idxSpan), base, this.limits.maxMapSize);
    if (typeof container === 'string') {
      this.chargeSizes([container], span);
      const chars = charsOf(container);
      const i = this.arrayIndex(chars.length, idx, idxSpan, 'string');
      return new CharRef(chars, i, base, this.limits.maxStringLength);
    }
    throw this.cannotIndex(container, span);
  }

  private cannotIndex(v: Value, span: SourceSpan): ScriptError {
    return this.typeError(
      `cannot index into ${typeName(v)}`,
      span,
      v === UNIT
        ? 'the value is (): check that the variable or property exists'
        : 'only arrays, object maps and strings can be indexed',
    );
  }

  private propertyRef(base: Ref, name: string, nameSpan: SourceSpan): Ref {
    const container = base.get();
    if (container instanceof Map) return new KeyRef(container, name, base, this.limits.maxMapSize);
    if (container !== null && isHostObject(container)) {
      const host: HostObject = container;
      return {
        get: () => this.hostProperty(host, name, nameSpan),
        set: (v, at) => {
          if (base.constant) throw this.constError(base, at);
          if (typeof host.setProperty !== 'function' || !host.setProperty(name, v)) {
            throw this.typeError(`cannot set property '${name}' of ${host.hostType}`, nameSpan);
          }
        },
        constant: base.constant,
        name: base.name,
      };
    }
    throw this.typeError(
      `cannot set property '${name}' on ${typeName(container)}`,
      nameSpan,
      container === UNIT ? 'the value is (): check that it exists' : 'only object maps have properties',
    );
  }

  private hostProperty(host: HostObject, name: string, span: SourceSpan): Value {
    const v = typeof host.getProperty === 'function' ? host.getProperty(name) : undefined;
    if (v === undefined) throw this.typeError(`${host.hostType} has no property '${name}'`, span);
    return v;
  }

  private propertyGet(base: Value, name: string, nameSpan: SourceSpan, span: SourceSpan): Value {
    if (base instanceof Map) return base.get(name) ?? UNIT;
    if (base !== null && isHostObject(base)) return this.hostProperty(base, name, nameSpan);
    const b = BUILTINS.get(name);
    if (b !== undefined && b.getter) {
      const o = findOverload(b, [base]);
      if (o !== null) return this.invokeBuiltin(b, o, [base], null, span, [span], false);
    }
    const callable = b !== undefined && b.minArgs <= 1 && b.maxArgs >= 1;
    throw this.typeError(
      `${typeName(base)} has no property '${name}'`,
      nameSpan,
      callable
        ? `call it as a method: .${name}()`
        : base === UNIT
          ? 'the value is (): check that it exists'
          : undefined,
    );
  }

  // ---- expressions ---------------------------------------------------------------------------

  private lookup(name: string): Cell | null {
    const scope = this.frame.scope;
    let i = scope.length - 1;
    while (i >= 0 && scope[i].name !== name) i--;
    // A scan through thousands of variables is charged: a loop reading the first of 50,000 is not cheap.
    const scanned = Math.floor((scope.length - i) / SCOPE_ENTRIES_PER_OPERATION);
    if (scanned > 0) this.charge(scanned, this.lastSpan);
    return i >= 0 ? scope[i].cell : null;
  }

  /** suggest(), for names short enough to be typos, with the comparisons charged. */
  private suggestions(name: string, candidates: string[], span: SourceSpan): string[] {
    if (name.length > MAX_SUGGESTED_NAME) return [];
    this.charge(Math.floor((candidates.length * (name.length + 1) ** 2) / 256), span);
    return suggest(name, candidates);
  }

  private unknownVariable(name: string, span: SourceSpan): ScriptError {
    const f = this.frame;
    this.charge((f.scope.length + f.module.rootScope.length) >> 4, span);
    const visible = f.scope.map((e) => e.name);
    let hint: string | undefined;
    if (f.module.globals.has(name) && !f.isRoot) {
      hint = `functions cannot see variables outside them; read the global constant as 'global::${name}'`;
    } else if (!f.isRoot && f.module.rootScope.some((e) => e.name === name)) {
      hint = `functions only see their parameters and their own variables; pass '${name}' as an argument (or make it a top-level 'const' and read 'global::${name}')`;
    } else if (this.hasFunction(name, null)) {
      hint = `'${name}' is a function: call it as ${name}(…), or use Fn("${name}") for a function pointer`;
    }
    return this.error(
      `unknown variable '${name}'`,
      span,
      ErrorCode.UnknownVariable,
      hint,
      this.suggestions(name, visible, span),
    );
  }

  private evalArgs(exprs: Expr[]): Value[] {
    const out = new Array<Value>(exprs.length);
    for (let i = 0; i < exprs.length; i++) out[i] = this.evalExpr(exprs[i]);
    return out;
  }

  /**
   * Evaluate without copying: for values that are only looked at (compared, printed, indexed).
   * The result must not be kept or modified.
   */
  private evalPeek(e: Expr): Value {
    switch (e.kind) {
      case 'Variable': {
        this.tick(e.span);
        const cell = this.lookup(e.name);
        if (cell === null) throw this.unknownVariable(e.name, e.span);
        return cell.value;
      }
      case 'This':
        this.tick(e.span);
        return this.thisRef(e.span).get();
      case 'Global': {
        this.tick(e.span);
        const v = this.frame.module.globals.get(e.name);
        if (v === undefined) throw this.unknownGlobal(e.name, e.span);
        return v;
      }
      case 'Index': {
        this.tick(e.span);
        const base = this.evalPeek(e.object);
        const idx = this.evalExpr(e.index);
        return this.indexGet(base, idx, e.index.span, e.span);
      }
      case 'Property': {
        this.tick(e.span);
        const base = this.evalPeek(e.object);
        if (e.optional && base === UNIT) return UNIT;
        return this.propertyGet(base, e.name, e.nameSpan, e.span);
      }
      default:
        return this.evalExpr(e);
    }
  }

  private unknownGlobal(name: string, span: SourceSpan): ScriptError {
    const m = this.frame.module;
    this.charge(m.rootScope.length >> 4, span);
    const isVar = m.rootScope.some((e) => e.name === name);
    return this.error(
      `unknown global constant 'global::${name}'`,
      span,
      ErrorCode.UnknownVariable,
      isVar
        ? `'${name}' is a variable; only 'const' declarations at the top level are visible as global::${name}`
        : 'global:: reads constants declared with const at the top level of the file (before this point runs)',
      this.suggestions(name, [...m.globals.keys()], span),
    );
  }

  private indexGet(base: Value, idx: Value, idxSpan: SourceSpan, span: SourceSpan): Value {
    if (Array.isArray(base)) return base[this.arrayIndex(base.length, idx, idxSpan, 'array')];
    if (base instanceof Map) return base.get(this.mapKey(idx, idxSpan)) ?? UNIT;
    if (typeof base === 'string') {
      this.chargeSizes([base], span);
      const chars = charsOf(base);
      return new Char(chars[this.arrayIndex(chars.length, idx, idxSpan, 'string')]);
    }
    throw this.cannotIndex(base, span);
  }

  private evalExpr(e: Expr): Value {
    switch (e.kind) {
      case 'Variable':
      case 'This':
      case 'Global':
      case 'Index':
      case 'Property':
        return this.owned(this.evalPeek(e), e.span);
    }
    this.tick(e.span);
    switch (e.kind) {
      case 'Int':
      case 'Float':
      case 'String':
      case 'Char':
      case 'Bool':
        return e.value;
      case 'Unit':
        return UNIT;
      case 'Template': {
        let out = '';
        for (const p of e.parts) {
          const piece = typeof p === 'string' ? p : this.display(this.evalPeek(p), e.span);
          this.checkStringLength(out.length + piece.length, e.span);
          out += piece;
        }
        return this.checkString(out, e.span);
      }
      case 'Array': {
        this.checkArraySize(e.elements.length, e.span);
        return this.evalArgs(e.elements);
      }
      case 'Map': {
        this.checkMapSize(e.entries.length, e.span);
        const m: ScriptMap = new Map();
        for (const entry of e.entries) m.set(entry.key, this.evalExpr(entry.value));
        return m;
      }
      case 'Unary':
        return this.evalUnary(e.op, this.evalExpr(e.operand), e.span);
      case 'Binary':
        return this.evalBinary(e);
      case 'Call':
        return this.evalCall(e);
      case 'MethodCall':
        return this.evalMethodCall(e);
      case 'If': {
        const sig = this.execIf(e);
        if (sig !== NORMAL) throw this.controlFlow(sig);
        return this.stmtValue;
      }
      case 'Switch': {
        const sig = this.execSwitch(e);
        if (sig !== NORMAL) throw this.controlFlow(sig);
        return this.stmtValue;
      }
      case 'Block': {
        const sig = this.execBlock(e);
        if (sig !== NORMAL) throw this.controlFlow(sig);
        return this.stmtValue;
      }
      case 'Closure': {
        // capturing copies the scope: charged as copying an array of that size
        this.charge(this.frame.scope.length >> 4, e.span);
        const captured: Captured = { scope: this.frame.scope.slice(), thisRef: this.frame.thisRef };
        return new FnPtr('<closure>', [], {
          params: e.params,
          body: e.body,
          captured,
          module: this.frame.module,
        });
      }
    }
  }

  private evalUnary(op: string, v: Value, span: SourceSpan): Value {
    switch (op) {
      case '-':
        if (typeof v === 'bigint') return this.checkInt(-v, span, `-(${v})`);
        if (typeof v === 'number') return -v;
        throw this.typeError(`cannot negate ${typeName(v)}`, span);
      case '+':
        if (typeof v === 'bigint' || typeof v === 'number') return v;
        throw this.typeError(`unary '+' needs a number, got ${typeName(v)}`, span);
      default:
        if (typeof v === 'boolean') return !v;
        throw this.typeError(
          `'!' needs a bool, got ${typeName(v)}`,
          span,
          typeof v === 'bigint' ? "compare explicitly instead, e.g. 'x == 0'" : undefined,
        );
    }
  }

  /**
   * Left-associative chains (`a + b + c + …`) form a left spine of any length; evaluate it with a
   * loop so that long chains never deepen the JavaScript stack.
   */
  private evalBinary(root: BinaryExpr): Value {
    const spine: BinaryExpr[] = [];
    let cur: Expr = root;
    while (cur.kind === 'Binary') {
      spine.push(cur);
      cur = cur.left;
    }
    let acc = this.evalExpr(cur);
    for (let i = spine.length - 1; i >= 0; i--) {
      const node = spine[i];
      if (i !== 0) this.tick(node.span);
      acc = this.applyBinary(node, acc);
    }
    return acc;
  }

  private applyBinary(node: BinaryExpr, left: Value): Value {
    switch (node.op) {
      case '&&':
      case '||': {
        if (typeof left !== 'boolean') {
          throw this.typeError(`'${node.op}' needs bool operands, got ${typeName(left)}`, node.left.span);
        }
        if (node.op === '&&' ? !left : left) return left;
        const right = this.evalExpr(node.right);
        if (typeof right !== 'boolean') {
          throw this.typeError(`'${node.op}' needs bool operands, got ${typeName(right)}`, node.right.span);
        }
        return right;
      }
      case '??':
        return left !== UNIT ? left : this.evalExpr(node.right);
      case '==':
      case '!=':
      case 'in':
      case '!in':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return this.binaryOp(node.op, left, this.evalPeek(node.right), node.span);
      default:
        return this.binaryOp(node.op, left, this.evalExpr(node.right), node.span);
    }
  }

  private checkInt(r: bigint, span: SourceSpan, what: string): bigint {
    if (r < I64_MIN || r > I64_MAX) {
      throw this.error(
        `integer overflow: ${what} does not fit in i64`,
        span,
        ErrorCode.Arith,
        'use floats (e.g. 1.0 * x) for very large numbers',
      );
    }
    return r;
  }

  private binaryOp(op: BinaryOp, a: Value, b: Value, span: SourceSpan): Value {
    switch (op) {
      case '+':
        return this.add(a, b, span);
      case '-':
      case '*':
      case '/':
      case '%':
      case '**':
        return this.arith(op, a, b, span);
      case '<<':
      case '>>':
        return this.shift(op, a, b, span);
      case '&':
      case '|':
      case '^':
        if (typeof a === 'bigint' && typeof b === 'bigint')
          return op === '&' ? a & b : op === '|' ? a | b : a ^ b;
        if (typeof a === 'boolean' && typeof b === 'boolean')
          return op === '&' ? a && b : op === '|' ? a || b : a !== b;
        throw this.typeError(`cannot apply '${op}' to ${typeName(a)} and ${typeName(b)}`, span);
      case '==':
      case '!=': {
        this.chargeSizes([a, b], span);
        const equal = valueEquals(a, b);
        this.charge(takeEqualityWork() >> 4, span);
        return op === '==' ? equal : !equal;
      }
      case '<':
      case '<=':
      case '>':
      case '>=': {
        this.chargeSizes([a, b], span);
        const c = compareValues(a, b);
        if (c === null)
          throw this.typeError(`cannot compare ${typeName(a)} with ${typeName(b)} using '${op}'`, span);
        return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
      }
      case 'in':
      case '!in': {
        this.chargeSizes([b], span);
        const found = this.contains(b, a, span);
        this.charge(takeEqualityWork() >> 4, span);
        return op === 'in' ? found : !found;
      }
      case '..':
      case '..=':
        if (typeof a === 'bigint' && typeof b === 'bigint') return new RangeValue(a, b, op === '..=');
        throw this.typeError(`a range needs integer bounds, got ${typeName(a)} and ${typeName(b)}`, span);
      default:
        throw this.error(`operator '${op}' cannot be used here`, span, ErrorCode.Syntax);
    }
  }

  private add(a: Value, b: Value, span: SourceSpan): Value {
    if (typeof a === 'bigint' && typeof b === 'bigint') return this.checkInt(a + b, span, `${a} + ${b}`);
    if (
      (typeof a === 'bigint' || typeof a === 'number') &&
      (typeof b === 'bigint' || typeof b === 'number')
    ) {
      return Number(a) + Number(b);
    }
    if (typeof a === 'string' || typeof b === 'string' || (a instanceof Char && b instanceof Char)) {
      const left = this.display(a, span);
      const right = this.display(b, span);
      this.checkStringLength(left.length + right.length, span);
      return this.checkString(left + right, span);
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      this.checkArraySize(a.length + b.length, span);
      return a.concat(b);
    }
    if (a instanceof Map && b instanceof Map) {
      let added = 0;
      for (const k of b.keys()) if (!a.has(k)) added++;
      this.checkMapSize(a.size + added, span);
      const out: ScriptMap = new Map(a);
      for (const [k, v] of b) out.set(k, v);
      return out;
    }
    throw this.typeError(
      `cannot add ${typeName(a)} and ${typeName(b)}`,
      span,
      Array.isArray(a) ? 'to add an element use push(), or wrap it in an array: arr + [x]' : undefined,
    );
  }

  private arith(op: '-' | '*' | '/' | '%' | '**', a: Value, b: Value, span: SourceSpan): Value {
    if (typeof a === 'bigint' && typeof b === 'bigint') {
      switch (op) {
        case '-':
          return this.checkInt(a - b, span, `${a} - ${b}`);
        case '*':
          return this.checkInt(a * b, span, `${a} * ${b}`);
        case '/':
          if (b === 0n) throw this.error(`division by zero: ${a} / 0`, span, ErrorCode.Arith);
          return this.checkInt(a / b, span, `${a} / ${b}`);
        case '%':
          if (b === 0n) throw this.error(`division by zero: ${a} % 0`, span, ErrorCode.Arith);
          return a % b;
        case '**':
          if (b < 0n) {
            throw this.error(
              `cannot raise an integer to a negative power (${a} ** ${b})`,
              span,
              ErrorCode.Arith,
              'use a float base: 2.0 ** -1',
            );
          }
          if (b > 64n && a !== 0n && a !== 1n && a !== -1n)
            throw this.checkInt(I64_MAX + 1n, span, `${a} ** ${b}`);
          return this.checkInt(a ** b, span, `${a} ** ${b}`);
      }
    }
    if (
      (typeof a === 'bigint' || typeof a === 'number') &&
      (typeof b === 'bigint' || typeof b === 'number')
    ) {
      const x = Number(a);
      const y = Number(b);
      switch (op) {
        case '-':
          return x - y;
        case '*':
          return x * y;
        case '/':
          if (y === 0)
            throw this.error(
              `division by zero: ${toDisplayString(a)} / ${toDisplayString(b)}`,
              span,
              ErrorCode.Arith,
            );
          return x / y;
        case '%':
          if (y === 0)
            throw this.error(
              `division by zero: ${toDisplayString(a)} % ${toDisplayString(b)}`,
              span,
              ErrorCode.Arith,
            );
          return x % y;
        case '**':
          return x ** y;
      }
    }
    throw this.typeError(`cannot apply '${op}' to ${typeName(a)} and ${typeName(b)}`, span);
  }

  private shift(op: '<<' | '>>', a: Value, b: Value, span: SourceSpan): Value {
    if (typeof a !== 'bigint' || typeof b !== 'bigint') {
      throw this.typeError(`cannot apply '${op}' to ${typeName(a)} and ${typeName(b)}`, span);
    }
    // A negative shift goes the other way, as in Rhai.
    const left = op === '<<' ? b >= 0n : b < 0n;
    const n = b < 0n ? -b : b;
    if (n >= 64n) throw this.error(`shift by too many bits: ${a} ${op} ${b}`, span, ErrorCode.Arith);
    return left ? BigInt.asIntN(64, a << n) : a >> n;
  }

  private contains(collection: Value, item: Value, span: SourceSpan): boolean {
    if (typeof collection === 'string') {
      if (typeof item === 'string' || item instanceof Char) return collection.includes(toDisplayString(item));
      throw this.typeError(
        `'in' a string needs a string or character on the left, got ${typeName(item)}`,
        span,
      );
    }
    if (Array.isArray(collection)) return collection.some((e) => valueEquals(e, item));
    if (collection instanceof Map) {
      if (typeof item === 'string' || item instanceof Char) return collection.has(toDisplayString(item));
      throw this.typeError(`'in' a map needs a string key on the left, got ${typeName(item)}`, span);
    }
    if (collection instanceof RangeValue) return typeof item === 'bigint' && collection.contains(item);
    throw this.typeError(
      `'in' needs an array, string, map or range on the right, got ${typeName(collection)}`,
      span,
    );
  }

  // ---- calls ---------------------------------------------------------------------------------

  private hostAccepts(f: HostFunction, argc: number): boolean {
    return typeof f.params === 'number' ? f.params === argc : argc >= f.params[0] && argc <= f.params[1];
  }

  private pickHost(name: string, argc: number): HostFunction | null {
    const list = this.hostFns.get(name);
    if (list === undefined) return null;
    for (let i = list.length - 1; i >= 0; i--) if (this.hostAccepts(list[i], argc)) return list[i];
    return null;
  }

  private scriptFn(name: string, argc: number): ScriptFn | undefined {
    return this.frame.module.functions.get(name)?.get(argc);
  }

  private evalCall(e: CallExpr): Value {
    const argc = e.args.length;
    const sfn = this.scriptFn(e.name, argc);
    if (sfn !== undefined) return this.callScript(sfn, this.evalArgs(e.args), null, e.span, e.name);

    const builtin = BUILTINS.get(e.name);
    const host = this.pickHost(e.name, argc);
    if (host !== null || (builtin !== undefined && argc >= builtin.minArgs && argc <= builtin.maxArgs)) {
      // Rhai turns f(x, …) into x.f(…) when x is a variable, so in-place built-ins modify it.
      let receiver: Ref | null = null;
      const args = new Array<Value>(argc);
      let first = 0;
      const a0 = e.args[0];
      if (builtin !== undefined && a0 !== undefined && (a0.kind === 'Variable' || a0.kind === 'This')) {
        receiver = this.resolveRef(a0);
        if (receiver !== null) {
          args[0] = receiver.get();
          first = 1;
        }
      }
      for (let i = first; i < argc; i++) args[i] = this.evalExpr(e.args[i]);
      return this.callNative(e.name, builtin, host, args, receiver, e.span, argSpansOf(e), false);
    }

    const cell = this.lookup(e.name);
    if (cell !== null && cell.value instanceof FnPtr)
      return this.callFnPtr(cell.value, this.evalArgs(e.args), e.span, null);
    throw this.unknownFunction(e.name, argc, e.nameSpan, e.span, null);
  }

  private evalMethodCall(e: MethodCallExpr): Value {
    const argc = e.args.length;
    const ref = this.isLvalue(e.object) ? this.resolveRef(e.object) : null;
    const recv = ref !== null ? ref.get() : this.evalExpr(e.object);
    if (e.optional && recv === UNIT) return UNIT;

    const withThis = this.scriptFn(e.name, argc);
    if (withThis !== undefined) {
      return this.callScript(withThis, this.evalArgs(e.args), ref ?? new TempRef(recv), e.span, e.name);
    }
    const withFirst = this.scriptFn(e.name, argc + 1);
    if (withFirst !== undefined) {
      const first = ref !== null ? this.owned(recv, e.object.span) : recv;
      return this.callScript(withFirst, [first, ...this.evalArgs(e.args)], null, e.span, e.name);
    }
    // A map property holding a function: `obj.action(x)` calls it with `this` bound to obj.
    if (recv instanceof Map) {
      const fp = recv.get(e.name);
      if (fp instanceof FnPtr)
        return this.callFnPtr(fp, this.evalArgs(e.args), e.span, ref ?? new TempRef(recv));
    }
    const builtin = BUILTINS.get(e.name);
    const host = this.pickHost(e.name, argc + 1);
    if (builtin !== undefined || host !== null) {
      const args = [recv, ...this.evalArgs(e.args)];
      return this.callNative(e.name, builtin ?? null, host, args, ref, e.span, argSpansOf(e), true);
    }
    throw this.unknownFunction(e.name, argc + 1, e.nameSpan, e.span, recv);
  }

  /** Dispatch to a built-in (exact type match) or a host function; see the file comment. */
  private callNative(
    name: string,
    builtin: Builtin | null | undefined,
    host: HostFunction | null,
    args: Value[],
    receiver: Ref | null,
    span: SourceSpan,
    argSpans: SourceSpan[],
    method: boolean,
  ): Value {
    if (builtin && !host?.overrideBuiltins) {
      const o = findOverload(builtin, args);
      if (o !== null) return this.invokeBuiltin(builtin, o, args, receiver, span, argSpans, method);
    }
    if (host !== null) {
      // Host functions may keep what they get: never hand them the caller's storage.
      if (receiver !== null) args[0] = this.owned(args[0], argSpans[0] ?? span);
      return this.callHost(host, args, span, argSpans, name, method);
    }
    if (builtin && args.length >= builtin.minArgs && args.length <= builtin.maxArgs) {
      const types = args.map(typeName).join(', ');
      throw this.typeError(
        `'${name}' is not defined for (${types})`,
        span,
        `it takes: ${describeOverloads(builtin)}`,
      );
    }
    throw this.unknownFunction(name, args.length, span, span, method ? args[0] : null);
  }

  private invokeBuiltin(
    b: Builtin,
    o: Overload,
    args: Value[],
    receiver: Ref | null,
    span: SourceSpan,
    argSpans: SourceSpan[],
    method: boolean,
  ): Value {
    let target = o.mutates ? receiver : null;
    if (target !== null && target.constant) {
      if (method) {
        throw this.constError(
          target,
          argSpans[0] ?? span,
          `cannot call '${b.name}' on constant '${target.name}': it would modify it`,
        );
      }
      // Function-call style on a constant works on a copy, as in Rhai.
      args[0] = this.owned(args[0], span);
      target = null;
    }
    const c: StdContext = { span, argSpans, name: b.name, receiver: target, host: this.std };
    this.chargeSizes(args, span, Array.isArray(args[0]) && CONSTANT_TIME_ON_ARRAYS.has(b.name) ? 1 : 0);
    const result = o.fn(args, c);
    const work = sizeCharge(typeof result === 'string' ? result : null) + (takeEqualityWork() >> 4);
    if (work > 0) this.charge(work, span);
    return result;
  }

  private callHost(
    h: HostFunction,
    args: Value[],
    span: SourceSpan,
    argSpans: SourceSpan[],
    name: string,
    method: boolean,
  ): Value {
    // host functions read their arguments whole, key names in arrays too
    this.chargeSizes(args, span);
    for (const a of args) if (Array.isArray(a)) this.chargeSizes(a, span);
    const file = this.frame.module.file;
    const ctx: CallContext = { span, argSpans, interpreter: this, file, name, method };
    let r: Value | void;
    try {
      r = h.call(args, ctx);
    } catch (e) {
      if (e instanceof ScriptError) {
        if (e.span === undefined) e.span = span;
        if (e.code === undefined) e.code = ErrorCode.Host;
        // An error from a file run by this call (load()): say where it was loaded from.
        if (e.span.file !== file) this.addCallNote(e, `in call to '${name}'`, span);
        throw e;
      }
      if (e instanceof RangeError && /call stack/i.test(e.message)) throw this.asScriptError(e);
      throw this.error(
        `${name}() failed: ${e instanceof Error ? e.message : String(e)}`,
        span,
        ErrorCode.Host,
      );
    }
    if (r === undefined) return UNIT;
    if (!isValue(r)) {
      throw this.error(
        `${name}() returned a value the script cannot use (${typeof r})`,
        span,
        ErrorCode.Host,
      );
    }
    return r;
  }

  private addCallNote(e: ScriptError, label: string, span: SourceSpan): void {
    const message = `${label} at ${formatLocation(span, e.span?.file)}`;
    const last = e.related[e.related.length - 1];
    // Recursion repeats the same call site: one note with a count instead of a screenful.
    if (last !== undefined && last.span.offset === span.offset && last.span.file === span.file) {
      const m = /^(.*) \(×(\d+)\)$/.exec(last.message);
      const base = m !== null ? m[1] : last.message;
      if (base === message) {
        last.message = `${message} (×${m !== null ? Number(m[2]) + 1 : 2})`;
        return;
      }
    }
    if (e.related.length < 10) e.related.push({ message, span });
    else if (e.related.length === 10) e.related.push({ message: 'in further nested calls', span });
  }

  private callScript(
    fn: ScriptFn,
    args: Value[],
    thisRef: Ref | null,
    span: SourceSpan,
    name: string,
  ): Value {
    const def = fn.def;
    const scope: Entry[] = new Array<Entry>(def.params.length);
    for (let i = 0; i < def.params.length; i++) {
      scope[i] = {
        name: def.params[i],
        cell: { value: args[i], constant: false, declSpan: def.paramSpans[i] },
      };
    }
    const frame: Frame = {
      scope,
      thisRef,
      module: fn.module,
      fnName: def.name,
      blockDepth: 0,
      isRoot: false,
    };
    return this.invoke(frame, def.body, span, `in call to '${name}'`);
  }

  private invoke(frame: Frame, body: Expr, span: SourceSpan, label: string): Value {
    if (this.callDepth >= this.limits.maxCallDepth) throw this.callDepthError(span);
    const saved = this.frame;
    this.frame = frame;
    this.callDepth++;
    try {
      if (body.kind === 'Block') {
        const sig = this.execBlock(body);
        return sig === RETURN ? this.returnValue : this.stmtValue;
      }
      return this.evalExpr(body);
    } catch (e) {
      if (e instanceof ControlFlow && e.signal === RETURN) return e.value;
      if (e instanceof ScriptError) this.addCallNote(e, label, span);
      throw e;
    } finally {
      this.frame = saved;
      this.callDepth--;
    }
  }

  private fnPtrArity(fp: FnPtr): number | null {
    if (fp.closure !== null) return fp.closure.params.length - fp.curry.length;
    const script = this.frame.module.functions.get(fp.name);
    if (script !== undefined && script.size === 1) return [...script.keys()][0] - fp.curry.length;
    return null;
  }

  private callFnPtr(fp: FnPtr, args: Value[], span: SourceSpan, thisRef: Ref | null): Value {
    // the curried arguments and a closure's captured scope are copied for every call
    const copied =
      fp.curry.length + (fp.closure !== null ? (fp.closure.captured as Captured).scope.length : 0);
    if (copied >= 16) this.charge(copied >> 4, span);
    const all = fp.curry.length > 0 ? [...fp.curry, ...args] : args;
    const closure = fp.closure;
    if (closure === null) return this.callByName(fp.name, all, span, [], thisRef);
    if (all.length !== closure.params.length) {
      throw this.error(
        `the closure expects ${plural(closure.params.length, 'argument')}, but ${all.length} ${all.length === 1 ? 'was' : 'were'} given`,
        span,
        ErrorCode.Arity,
      );
    }
    const cap = closure.captured as Captured;
    const scope = cap.scope.slice();
    closure.params.forEach((p, i) =>
      scope.push({ name: p, cell: { value: all[i], constant: false, declSpan: null } }),
    );
    const frame: Frame = {
      scope,
      thisRef: thisRef ?? cap.thisRef,
      module: closure.module as Module,
      fnName: '<closure>',
      blockDepth: 0,
      isRoot: false,
    };
    return this.invoke(frame, closure.body, span, 'in closure called');
  }

  private callByName(
    name: string,
    args: Value[],
    span: SourceSpan,
    argSpans: SourceSpan[],
    thisRef: Ref | null,
  ): Value {
    const byThis = thisRef !== null ? this.scriptFn(name, args.length) : undefined;
    if (byThis !== undefined) return this.callScript(byThis, args, thisRef, span, name);
    const sfn = this.scriptFn(name, args.length);
    if (sfn !== undefined) return this.callScript(sfn, args, null, span, name);
    const builtin = BUILTINS.get(name);
    const host = this.pickHost(name, args.length);
    if (builtin !== undefined || host !== null) {
      const spans = argSpans.length === args.length ? argSpans : args.map(() => span);
      return this.callNative(name, builtin, host, args, null, span, spans, false);
    }
    throw this.unknownFunction(name, args.length, span, span, null);
  }

  private knownArities(name: string): number[] {
    const out: number[] = [...(this.frame.module.functions.get(name)?.keys() ?? [])];
    for (const f of this.hostFns.get(name) ?? []) {
      const [a, b] = typeof f.params === 'number' ? [f.params, f.params] : f.params;
      for (let n = a; n <= Math.min(b, a + 8); n++) out.push(n);
    }
    const b = BUILTINS.get(name);
    if (b !== undefined) for (const o of b.overloads) out.push(o.params.length);
    return out;
  }

  private unknownFunction(
    name: string,
    argc: number,
    nameSpan: SourceSpan,
    span: SourceSpan,
    recv: Value | null,
  ): ScriptError {
    const method = recv !== null;
    const arities = this.knownArities(name);
    if (arities.length > 0) {
      const given = method ? `${argc - 1} (plus the value before '.')` : String(argc);
      const expects = method
        ? describeArities(arities.map((n) => n - 1).filter((n) => n >= 0))
        : describeArities(arities);
      return this.error(
        `'${name}' expects ${expects}, but ${given} ${argc === 1 && !method ? 'was' : 'were'} given`,
        span,
        ErrorCode.Arity,
      );
    }
    if (!method) {
      const cell = this.lookup(name);
      if (cell !== null) {
        return this.typeError(
          `'${name}' is a variable holding ${typeName(cell.value)}, not a function`,
          nameSpan,
        );
      }
    }
    const candidates = [...this.frame.module.functions.keys(), ...this.hostFns.keys(), ...BUILTINS.keys()];
    const message = method ? `unknown method '${name}' for ${typeName(recv)}` : `unknown function '${name}'`;
    return this.error(
      message,
      nameSpan,
      ErrorCode.UnknownFunction,
      undefined,
      this.suggestions(name, candidates, nameSpan),
    );
  }
}

const argSpanCache = new WeakMap<CallExpr | MethodCallExpr, SourceSpan[]>();

/** Spans of a call's arguments (the receiver first for method calls), computed once per node. */
function argSpansOf(e: CallExpr | MethodCallExpr): SourceSpan[] {
  let spans = argSpanCache.get(e);
  if (spans === undefined) {
    spans = e.args.map((a) => a.span);
    if (e.kind === 'MethodCall') spans.unshift(e.object.span);
    argSpanCache.set(e, spans);
  }
  return spans;
}
