/**
 * DSL fuzzing: compileProfile() on random token streams, random programs, mutated example
 * profiles, extreme nesting and literals, infinite loops, and loops over megabyte values.
 *
 * Every case must give a CompileResult (never an exception) whose diagnostics point inside the
 * files they name, whose config (when ok) is valid and loads into the engine, within its
 * operation budget (a case slower than CASE_SLOW_MS is reported, not failed). Cases 0..n-1 of every run are the fixed list of named
 * extremes (NAMED_CASES); the rest are drawn from the seed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_KEY_NAMES, Engine, validateConfig } from '../../src/core/index.ts';
import type { CompileOptions, CompileResult } from '../../src/dsl/compile.ts';
import { compileProfile, MAX_DIAGNOSTICS } from '../../src/dsl/compile.ts';
import { builtinNames } from '../../src/dsl/corelib.ts';
import type { SourceSpan } from '../../src/dsl/diagnostics.ts';
import { DEFAULT_LIMITS } from '../../src/dsl/interpreter.ts';
import { BUILTIN_NAMES } from '../../src/dsl/builtins.ts';
import { KEYWORDS, PUNCTUATORS, RESERVED_WORDS } from '../../src/dsl/lexer.ts';
import type { Case, Rng, SyncTarget, TargetOptions } from './harness.ts';
import { preview } from './harness.ts';

// ---------------------------------------------------------------- corpus

const ROOT = join(import.meta.dirname, '..', '..');
/** Virtual location of the examples: load() resolves inside the in-memory file system below. */
const EX = '/fuzz/examples';

const EXAMPLES: { file: string; text: string }[] = readdirSync(join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.rhai'))
  .sort()
  .map((f) => ({ file: `${EX}/${f}`, text: readFileSync(join(ROOT, 'examples', f), 'utf8') }));
const LIBS: { file: string; text: string }[] = readdirSync(join(ROOT, 'examples', 'lib'))
  .filter((f) => f.endsWith('.rhai'))
  .sort()
  .map((f) => ({ file: `${EX}/lib/${f}`, text: readFileSync(join(ROOT, 'examples', 'lib', f), 'utf8') }));

/** Extra files a fuzzed load() may reach: a self-load, a mutual cycle, a syntax error, a runtime error. */
const FUZZ_FILES: Record<string, string> = {
  [`${EX}/lib/self.rhai`]: 'load("self.rhai");',
  [`${EX}/lib/ping.rhai`]: 'map("A", "VK_B");\nload("pong.rhai");',
  [`${EX}/lib/pong.rhai`]: 'load("ping.rhai");',
  [`${EX}/lib/broken.rhai`]: 'map("A", "VK_B"\nlet = ;',
  [`${EX}/lib/throws.rhai`]: 'throw "from a loaded file";',
  [`${EX}/lib/loops.rhai`]: 'loop {}',
  [`${EX}/stdlib/extra.rhai`]: 'map("Q", "VK_W");',
};

function fileSystem(overrides: Record<string, string> = {}): CompileOptions['fs'] {
  const files = new Map<string, string>();
  for (const f of [...EXAMPLES, ...LIBS]) files.set(f.file, f.text);
  for (const [k, v] of Object.entries(FUZZ_FILES)) files.set(k, v);
  for (const [k, v] of Object.entries(overrides)) files.set(k, v);
  return { readFile: (path) => files.get(path) };
}
const BASE_FS = fileSystem();

// ---------------------------------------------------------------- the oracle

const LIMIT_MESSAGE =
  /operation limit exceeded|call depth limit exceeded|string length limit exceeded|array size limit exceeded|map size limit exceeded|value nested too deeply|nested too deeply|nesting too deep|source too large|nested more than/;

/** Line starts of a text, for checking that a span's line/column agree with its offset. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function checkSpan(
  span: SourceSpan,
  result: CompileResult,
  cache: Map<string, number[]>,
  what: string,
): void {
  const text = result.sources.get(span.file);
  assert.ok(text !== undefined, `${what}: span names file '${span.file}', which is not among the sources`);
  assert.ok(
    Number.isInteger(span.offset) && span.offset >= 0 && span.offset <= text.length,
    `${what}: offset ${span.offset} outside the ${text.length}-character file`,
  );
  assert.ok(
    Number.isInteger(span.length) && span.length >= 0 && span.offset + span.length <= text.length,
    `${what}: span ${span.offset}+${span.length} runs past the end (${text.length})`,
  );
  let starts = cache.get(span.file);
  if (!starts) cache.set(span.file, (starts = lineStarts(text)));
  // the last line start at or before the offset
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= span.offset) lo = mid;
    else hi = mid - 1;
  }
  assert.equal(
    `${span.line}:${span.column}`,
    `${lo + 1}:${span.offset - starts[lo] + 1}`,
    `${what}: line/column do not match offset ${span.offset}`,
  );
}

export interface CompileExpectation {
  /** the compile must stop at a limit: an error whose message names it */
  limit?: RegExp;
  /** the result must be ok */
  ok?: boolean;
}

/** Compiles and checks every invariant; returns the result. */
export function compileAndCheck(
  source: string,
  opts: CompileOptions,
  expect: CompileExpectation = {},
  checkDeterminism = false,
): CompileResult {
  let r: CompileResult;
  try {
    r = compileProfile(source, opts);
  } catch (e) {
    throw new Error(`compileProfile threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, {
      cause: e,
    });
  }
  assert.equal(typeof r.ok, 'boolean', 'ok is a boolean');
  assert.ok(Array.isArray(r.diagnostics), 'diagnostics is an array');
  assert.match(r.sourceHash, /^[0-9a-f]{64}$/, 'sourceHash');
  assert.ok(Array.isArray(r.output) && r.output.every((o) => typeof o === 'string'), 'output');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(r.ok, errors.length === 0, 'ok exactly when there is no error');
  assert.equal(r.config === null, !r.ok, 'a config exactly when ok');
  assert.ok(r.diagnostics.length <= MAX_DIAGNOSTICS + 1, `${r.diagnostics.length} diagnostics (capped)`);
  const cache = new Map<string, number[]>();
  for (const [i, d] of r.diagnostics.entries()) {
    const what = `diagnostic ${i} (${d.code} ${preview(d.message, 120)})`;
    assert.ok(d.severity === 'error' || d.severity === 'warning', `${what}: severity ${d.severity}`);
    assert.match(d.code, /^[EW]_[A-Z0-9_]+$/, `${what}: code`);
    assert.notEqual(d.code, 'E_INTERNAL', `${what}: an internal error is a keyrx bug`);
    if (d.code === 'E_LIMIT')
      assert.match(d.message, LIMIT_MESSAGE, `${what}: a limit error names the limit`);
    assert.ok(typeof d.message === 'string' && d.message.length > 0, `${what}: message`);
    checkSpan(d.span, r, cache, what);
    for (const rel of d.related ?? []) checkSpan(rel.span, r, cache, `${what}, related '${rel.message}'`);
  }
  const maxOps = opts.limits?.maxOperations ?? DEFAULT_LIMITS.maxOperations;
  if (r.operations > maxOps)
    assert.ok(
      // (the limit error may be among the problems cut off after MAX_DIAGNOSTICS)
      r.diagnostics.some((d) => d.code === 'E_LIMIT' || d.code === 'E_TOO_MANY'),
      `${r.operations} operations (over ${maxOps}) without an E_LIMIT error`,
    );
  if (r.config) {
    // what the compiler accepts, the rest of keyrx must accept too
    validateConfig(JSON.parse(JSON.stringify(r.config)));
    const engine = new Engine(r.config);
    engine.process({ key: 30, action: 'press', timeUs: 0 });
    engine.process({ key: 30, action: 'release', timeUs: 1000 });
    engine.releaseAll(2000);
  }
  if (expect.limit)
    assert.ok(
      r.diagnostics.some((d) => d.code === 'E_LIMIT' && expect.limit!.test(d.message)),
      `expected a limit error matching ${String(expect.limit)}, got: ${r.diagnostics
        .slice(0, 3)
        .map((d) => `${d.code} ${d.message}`)
        .join(' | ')}`,
    );
  if (expect.ok !== undefined)
    assert.equal(
      r.ok,
      expect.ok,
      `expected ok=${expect.ok}: ${r.diagnostics
        .slice(0, 3)
        .map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`)
        .join(' | ')}`,
    );
  if (checkDeterminism) {
    const again = compileProfile(source, opts);
    assert.deepEqual(summary(again), summary(r), 'the same source must compile the same way');
  }
  return r;
}

function summary(r: CompileResult): unknown {
  return {
    ok: r.ok,
    operations: r.operations,
    config: JSON.stringify(r.config),
    diagnostics: r.diagnostics.map((d) => [d.code, d.message, d.span.file, d.span.offset, d.span.length]),
    output: r.output.length,
  };
}

// ---------------------------------------------------------------- vocabulary

const DSL_FUNCTIONS = [...BUILTIN_NAMES];
const CORE_FUNCTIONS = builtinNames();
const KEYWORD_LIST = [...KEYWORDS];
const RESERVED_LIST = [...RESERVED_WORDS];
/** The lexer's punctuators, brackets and semicolons twice as likely, and characters it rejects. */
const PUNCTUATION = [...PUNCTUATORS, ...'( ) { } ; ;'.split(' '), '#', '@', '$', '\\', '`', '"', "'"];
const NUMBERS = [
  '0',
  '1',
  '-1',
  '7',
  '42',
  '200',
  '255',
  '256',
  '65535',
  '65536',
  '9223372036854775807',
  '-9223372036854775808',
  '9223372036854775808',
  '99999999999999999999999999999999',
  '0x7f',
  '0xFFFFFFFFFFFFFFFF',
  '0b1010',
  '0o777',
  '0x',
  '1_000',
  '1__0',
  '1.5',
  '0.0',
  '-0.0',
  '1e308',
  '1e309',
  '-1e309',
  '1e-400',
  '1.7976931348623157e308',
  '1.',
  '.5',
  '1e',
  '01',
];
const STRINGS = [
  '""',
  '"a"',
  '"\\n\\t\\r\\0\\\\\\""',
  '"\\x41"',
  '"\\u{1F600}"',
  '"\\u{110000}"',
  '"\\u{D800}"',
  '"\\q"',
  '"\\x4"',
  '"unterminated',
  '"multi\nline"',
  "'a'",
  "''",
  "'ab'",
  "'\\n'",
  "'\\u{1F600}'",
  '`plain`',
  '`a${1}b`',
  '`${`${x}`}`',
  '`${',
  '`${}`',
  '`unterminated',
  '"*"',
  '"kb-*"',
  '"[a-z]*"',
  '"\\\\"',
];
const WEIRD = [
  '\0',
  '\u00a0',
  '\ufeff',
  '\u2028',
  '\u2029',
  '\ud800',
  '\udc00',
  '😀',
  'é',
  'ß',
  '\u0301',
  '\r',
  '\v',
  '\f',
  '\x1b',
  'İ',
  '\u200b',
];
const KEY_NAMES = ALL_KEY_NAMES;

function keyString(rng: Rng): string {
  const k = rng.pick(KEY_NAMES);
  switch (rng.int(10)) {
    case 0:
      return `"${k}"`;
    case 1:
    case 2:
    case 3:
      return `"VK_${k}"`;
    case 4:
      return `"MD_${rng.int(300).toString(16).toUpperCase().padStart(2, '0')}"`;
    case 5:
      return `"LK_${rng.int(300).toString(16).toUpperCase().padStart(2, '0')}"`;
    case 6:
      return rng.pick([
        '"IME"',
        '"LANG_ja"',
        '"LANG_"',
        '"MD_LShift"',
        '"MD_GG"',
        '"LK_-1"',
        '"VK_"',
        '"VK_Nope"',
      ]);
    case 7:
      return `"${k.toLowerCase()}"`;
    case 8:
      return `"Code${rng.int(800)}"`;
    default:
      return `"${k}"`;
  }
}

function identifier(rng: Rng): string {
  const first = 'abcdefghijklmnopqrstuvwxyz_ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const rest = first + '0123456789';
  let s = first[rng.int(first.length)];
  const n = rng.int(8);
  for (let i = 0; i < n; i++) s += rest[rng.int(rest.length)];
  return s;
}

function comment(rng: Rng): string {
  return rng.pick([
    '// note\n',
    '/* c */',
    '/* /* nested */ */',
    '/* unterminated',
    '///doc\n',
    '//!\n',
    '/**/',
  ]);
}

export function randomToken(rng: Rng): string {
  switch (rng.int(14)) {
    case 0:
    case 1:
      return rng.pick(KEYWORD_LIST);
    case 2:
      return rng.pick(RESERVED_LIST);
    case 3:
      return rng.pick(DSL_FUNCTIONS);
    case 4:
      return rng.pick(CORE_FUNCTIONS);
    case 5:
      return keyString(rng);
    case 6:
      return rng.pick(NUMBERS);
    case 7:
      return rng.pick(STRINGS);
    case 8:
    case 9:
    case 10:
      return rng.pick(PUNCTUATION);
    case 11:
      return identifier(rng);
    case 12:
      return comment(rng);
    default:
      return rng.pick(WEIRD);
  }
}

function tokenStream(rng: Rng): string {
  const n = rng.weighted([
    [3, rng.range(1, 12)],
    [5, rng.range(1, 80)],
    [2, rng.range(80, 400)],
  ]);
  let out = '';
  for (let i = 0; i < n; i++) {
    out += randomToken(rng);
    out += rng.weighted([
      [12, ' '],
      [3, ''],
      [4, '\n'],
      [1, '\r\n'],
      [1, '\t'],
    ]);
  }
  return out;
}

// ---------------------------------------------------------------- random programs

/** Random programs from a small grammar: mostly well-formed, so they reach the interpreter. */
class ProgramGen {
  private readonly vars = ['x', 'y', 'n', 's', 'arr', 'm', 'f'];
  private fnNames: string[] = [];
  constructor(private readonly rng: Rng) {}

  program(): string {
    const r = this.rng;
    const lines: string[] = [];
    if (r.chance(0.7))
      lines.push('let x = 1; let y = 2.5; let n = 3; let s = "A"; let arr = [1, 2]; let m = #{a: 1};');
    if (r.chance(0.5)) lines.push('let f = |v| v + 1;');
    const n = r.range(1, 20);
    for (let i = 0; i < n; i++) lines.push(this.stmt(0));
    return lines.join('\n');
  }

  private block(depth: number): string {
    const n = this.rng.range(0, 3);
    const body: string[] = [];
    for (let i = 0; i < n; i++) body.push(this.stmt(depth + 1));
    return `{ ${body.join(' ')} }`;
  }

  stmt(depth: number): string {
    const r = this.rng;
    const v = r.pick(this.vars);
    const deep = depth >= 3;
    switch (r.int(deep ? 8 : 22)) {
      case 0:
        return `let ${v} = ${this.expr(depth)};`;
      case 1:
        return `${v} = ${this.expr(depth)};`;
      case 2:
        return `${v} ${r.pick(['+=', '-=', '*=', '/=', '%=', '**=', '<<=', '|=', '&='])} ${this.expr(depth)};`;
      case 3:
        return `${this.expr(depth)};`;
      case 4:
        return `map(${keyString(r)}, ${r.chance(0.8) ? keyString(r) : this.expr(depth)});`;
      case 5:
        return `print(${this.expr(depth)});`;
      case 6:
        return `${v}[${this.expr(depth)}] = ${this.expr(depth)};`;
      case 7:
        return `${v}.${identifier(r)} = ${this.expr(depth)};`;
      case 8:
        return `if ${this.expr(depth)} ${this.block(depth)}${r.chance(0.5) ? ` else ${this.block(depth)}` : ''}`;
      case 9:
        return `for ${r.pick(['i', 'k', '(v, i)'])} in ${r.pick(['0..5', '0..=3', 'arr', 's', 'range(0, 10, 3)', 'm.keys()', this.expr(depth)])} ${this.block(depth)}`;
      case 10: {
        const c = `c${depth}`;
        return `let ${c} = 0; while ${c} < ${r.range(0, 6)} { ${c} += 1; ${this.stmt(depth + 1)} }`;
      }
      case 11: {
        const name = identifier(r);
        this.fnNames.push(name);
        const params = ['a', 'b', 'c'].slice(0, r.int(4));
        return `fn ${name}(${params.join(', ')}) ${this.block(depth)}`;
      }
      case 12:
        return `device_start(${r.pick(['"*"', '"kb-*"', '"x"', '""', this.expr(depth)])}); ${this.stmt(depth + 1)} ${r.chance(0.8) ? 'device_end();' : ''}`;
      case 13:
        return `${r.pick(['when_start', 'when_not_start', 'when_device_start'])}(${r.chance(0.7) ? keyString(r) : `[${keyString(r)}, ${keyString(r)}]`}); ${this.stmt(depth + 1)} ${r.pick(['when_end();', 'when_not_end();', 'when_device_end();', ''])}`;
      case 14: {
        const head = `tap_hold(${keyString(r)}, ${keyString(r)}, ${keyString(r)}, ${r.pick(['200', '0', '1', '65535', '65536', '-5', '1.5', '"x"'])}`;
        if (r.chance(0.5)) return `${head});`;
        // options, well-formed or not: the decision lists, the timeout action, retro tap …
        const option = (): string =>
          r.pick([
            `mode: ${r.pick(['"balanced"', '"hold_on_press"', '"tap_preferred"', '"x"', '1'])}`,
            `quick_tap_ms: ${r.pick(['120', '-1', '"x"'])}`,
            `roll_ms: ${r.pick(['80', '70000'])}`,
            `opposite_hand: ${r.pick(['true', 'false', '#{ left: ["A"], right: ["J"] }', '#{ left: 1 }'])}`,
            `tap_keys: [${Array.from({ length: r.int(3) }, () => keyString(r)).join(', ')}]`,
            `hold_keys: ${r.chance(0.8) ? `[${Array.from({ length: r.int(3) }, () => keyString(r)).join(', ')}]` : this.expr(depth)}`,
            `timeout_action: ${r.chance(0.8) ? keyString(r) : this.expr(depth)}`,
            `retro_tap: ${r.pick(['true', 'false', '1', '"yes"'])}`,
            `${identifier(r)}: ${this.expr(depth)}`,
          ]);
        return `${head}, #{ ${Array.from({ length: r.range(1, 4) }, option).join(', ')} });`;
      }
      case 15:
        return `hold_only(${keyString(r)}, ${keyString(r)}${r.chance(0.5) ? `, ${r.pick(['150', '0', '70000'])}` : ''});`;
      case 16:
        return `sequence(${keyString(r)}, [${Array.from({ length: r.int(10) }, () => keyString(r)).join(', ')}]);`;
      case 17:
        return `map(${keyString(r)}, ${r.pick(['with_shift', 'with_ctrl', 'with_alt', 'with_win'])}(${keyString(r)}));`;
      case 18:
        return `switch ${this.expr(depth)} { ${this.literal()} => ${this.expr(depth)}, ${this.literal()} | ${this.literal()} => ${this.expr(depth)}, _ => ${this.expr(depth)} }`;
      case 19:
        return `try ${this.block(depth)} catch${r.chance(0.5) ? ' (err)' : ''} ${this.block(depth)}`;
      case 20:
        return r.pick(['break;', 'continue;', `return ${this.expr(depth)};`, `throw ${this.expr(depth)};`]);
      default:
        return `load(${r.pick(['"lib/vim-arrows.rhai"', '"lib/self.rhai"', '"lib/ping.rhai"', '"lib/broken.rhai"', '"lib/throws.rhai"', '"extra.rhai"', '"shift.rhai"', '"ctrl.rhai"', '"../../etc/passwd"', '"/abs.rhai"', '""', this.expr(depth)])});`;
    }
  }

  private literal(): string {
    const r = this.rng;
    return r.pick(['0', '1', '-1', '"A"', "'c'", 'true', 'false', '()', '1.5', '9223372036854775807']);
  }

  expr(depth: number): string {
    const r = this.rng;
    if (depth > 4) return r.chance(0.5) ? this.literal() : r.pick(this.vars);
    const d = depth + 1;
    switch (r.int(18)) {
      case 0:
      case 1:
        return this.literal();
      case 2:
      case 3:
        return r.pick(this.vars);
      case 4:
        return `${this.expr(d)} ${r.pick(['+', '-', '*', '/', '%', '**', '==', '!=', '<', '<=', '>', '>=', '&&', '||', '&', '|', '^', '<<', '>>', 'in', '??', '..', '..='])} ${this.expr(d)}`;
      case 5:
        return `${r.pick(['-', '!', '+'])}${this.expr(d)}`;
      case 6:
        return `(${this.expr(d)})`;
      case 7:
        return `${r.pick(CORE_FUNCTIONS)}(${this.args(d)})`;
      case 8:
        return `${this.expr(d)}.${r.pick(CORE_FUNCTIONS)}(${this.args(d)})`;
      case 9:
        return `${r.pick(this.vars)}[${this.expr(d)}]`;
      case 10:
        return `[${this.args(d)}]`;
      case 11:
        return `#{${identifier(r)}: ${this.expr(d)}, "${identifier(r)}": ${this.expr(d)}}`;
      case 12:
        return `|${r.pick(['', 'a', 'a, b'])}| ${this.expr(d)}`;
      case 13:
        return `\`t${r.chance(0.5) ? `\${${this.expr(d)}}` : ''}\``;
      case 14:
        return `if ${this.expr(d)} { ${this.expr(d)} } else { ${this.expr(d)} }`;
      case 15:
        return this.fnNames.length > 0
          ? `${r.pick(this.fnNames)}(${this.args(d)})`
          : `f.call(${this.expr(d)})`;
      case 16:
        return `${r.pick(['with_shift', 'with_mods', 'with_ctrl'])}(${this.args(d)})`;
      default:
        return `${r.pick(this.vars)}.${r.pick(['len', 'is_empty', identifier(r)])}`;
    }
  }

  private args(depth: number): string {
    const n = this.rng.int(4);
    return Array.from({ length: n }, () => this.expr(depth)).join(', ');
  }
}

// ---------------------------------------------------------------- mutations

const PIECE = /"(?:[^"\\\n]|\\.)*"|\/\/[^\n]*|[A-Za-z_][A-Za-z0-9_]*|\d+|\s+|[^]/g;

function mutate(rng: Rng, text: string): { text: string; ops: string[] } {
  const ops: string[] = [];
  const n = rng.weighted([
    [5, 1],
    [3, 2],
    [2, rng.range(3, 8)],
  ]);
  for (let i = 0; i < n; i++) {
    const op = rng.int(14);
    if (op < 4) {
      // line level
      const lines = text.split('\n');
      const a = rng.int(lines.length);
      const b = rng.int(lines.length);
      if (op === 0) {
        lines.splice(a, 1);
        ops.push(`delete line ${a + 1}`);
      } else if (op === 1) {
        lines.splice(a, 0, lines[b]);
        ops.push(`copy line ${b + 1} to ${a + 1}`);
      } else if (op === 2) {
        [lines[a], lines[b]] = [lines[b], lines[a]];
        ops.push(`swap lines ${a + 1} and ${b + 1}`);
      } else {
        const count = rng.range(2, 20);
        lines.splice(a, 0, ...Array<string>(count).fill(lines[b]));
        ops.push(`repeat line ${b + 1} ${count}×`);
      }
      text = lines.join('\n');
    } else if (op < 9) {
      // token level
      const pieces = text.match(PIECE) ?? [''];
      const a = rng.int(pieces.length);
      const b = rng.int(pieces.length);
      if (op === 4) {
        pieces.splice(a, 1);
        ops.push(`delete token ${preview(pieces[a] ?? '', 20)}`);
      } else if (op === 5) {
        pieces.splice(a, 0, pieces[b]);
        ops.push(`duplicate token ${preview(pieces[b], 20)}`);
      } else if (op === 6) {
        [pieces[a], pieces[b]] = [pieces[b], pieces[a]];
        ops.push(`swap tokens ${preview(pieces[a], 20)} ${preview(pieces[b], 20)}`);
      } else if (op === 7) {
        const t = randomToken(rng);
        pieces[a] = t;
        ops.push(`replace token with ${preview(t, 20)}`);
      } else {
        const t = randomToken(rng);
        pieces.splice(a, 0, t, ' ');
        ops.push(`insert token ${preview(t, 20)}`);
      }
      text = pieces.join('');
    } else if (op < 12) {
      // character level
      const at = rng.int(text.length + 1);
      if (op === 9 && text.length > 0) {
        const code = text.charCodeAt(Math.min(at, text.length - 1)) ^ (1 << rng.int(16));
        text = text.slice(0, at) + String.fromCharCode(code) + text.slice(at + 1);
        ops.push(`flip a bit at ${at}`);
      } else if (op === 10) {
        const ch = rng.chance(0.5) ? rng.pick(WEIRD) : rng.pick(PUNCTUATION);
        text = text.slice(0, at) + ch + text.slice(at);
        ops.push(`insert ${preview(ch, 12)} at ${at}`);
      } else {
        text = text.slice(0, at) + text.slice(at + rng.range(1, 10));
        ops.push(`delete characters at ${at}`);
      }
    } else if (op === 12) {
      const at = rng.int(text.length + 1);
      text = text.slice(0, at);
      ops.push(`truncate at ${at}`);
    } else {
      const other = rng.pick(EXAMPLES).text;
      const from = rng.int(other.length);
      const chunk = other.slice(from, from + rng.range(1, 400));
      const at = rng.int(text.length + 1);
      text = text.slice(0, at) + chunk + text.slice(at);
      ops.push(`splice ${chunk.length} characters of another example at ${at}`);
    }
  }
  return { text, ops };
}

// ---------------------------------------------------------------- extremes

/** Nesting `depth` levels deep, of one kind. */
export function nested(kind: string, depth: number): string {
  const rep = (s: string): string => s.repeat(depth);
  switch (kind) {
    case 'parens':
      return `let x = ${rep('(')}1${rep(')')};`;
    case 'brackets':
      return `let x = ${rep('[')}1${rep(']')};`;
    case 'blocks':
      return `let x = ${rep('{ ')}1${rep(' }')};`;
    case 'maps':
      return `let x = ${rep('#{a: ')}1${rep('}')};`;
    case 'unary':
      return `let x = ${rep('- ')}1;`;
    case 'not':
      return `let x = ${rep('!')}true;`;
    case 'calls':
      return `let x = ${rep('abs(')}1${rep(')')};`;
    case 'index':
      return `let a = [0]; let x = ${rep('a[')}0${rep(']')};`;
    case 'if':
      return `${rep('if true { ')}map("A", "VK_B");${rep(' }')}`;
    case 'else-if':
      return `let v = 3; ${Array.from({ length: depth }, (_, i) => `if v == ${i} { 1 }`).join(' else ')};`;
    case 'closures':
      return `let f = ${rep('|| ')}1;`;
    case 'templates':
      return `let x = ${rep('`${')}1${rep('}`')};`;
    case 'power':
      return `let x = ${Array(depth).fill('1').join(' ** ')};`;
    case 'assign':
      return `let a = 0; ${Array(depth).fill('a').join(' = ')} = 1;`;
    case 'comments':
      return `${rep('/* ')}x${rep(' */')} map("A", "VK_B");`;
    case 'open-parens':
      return rep('(');
    case 'open-blocks':
      return rep('{');
    case 'fns':
      return `${rep('fn f() { ')}1${rep(' }')}`;
    case 'sum':
      return `let x = ${Array(depth).fill('1').join(' + ')};`;
    case 'method-chain':
      return `let x = "a"${'.to_upper()'.repeat(depth)};`;
    default:
      throw new Error(`unknown nesting kind ${kind}`);
  }
}
export const NESTING_KINDS = [
  'parens',
  'brackets',
  'blocks',
  'maps',
  'unary',
  'not',
  'calls',
  'index',
  'if',
  'else-if',
  'closures',
  'templates',
  'power',
  'assign',
  'comments',
  'open-parens',
  'open-blocks',
  'fns',
  'sum',
  'method-chain',
];

const MB = DEFAULT_LIMITS.maxSourceBytes;

/** A source of exactly `bytes` UTF-8 bytes: a valid profile padded with a comment. */
function sourceOfSize(bytes: number, fill = 'x'): string {
  const head = 'device_start("*"); map("A", "VK_B"); device_end();\n// ';
  const fillBytes = Buffer.byteLength(fill);
  const n = Math.floor((bytes - head.length) / fillBytes);
  let s = head + fill.repeat(n);
  while (Buffer.byteLength(s) < bytes) s += 'x';
  return s;
}

interface Named {
  name: string;
  source: () => string;
  expect?: CompileExpectation;
  /** cheap enough for every run (npm test); the others run in the full run only */
  quick?: boolean;
  file?: string;
}

const LOOP = /operation limit exceeded \(1000000 operations\)/;
const DEPTH = /call depth limit exceeded \(64 nested calls\)/;
const big = (k: number): string => `let s = "ab"; for i in 0..${k} { s += s; }`;

/** The fixed extremes: cases 0..n-1 of every run (the quick ones in npm test). */
export const NAMED_CASES: Named[] = [
  // infinite loops and recursion, with the default limits: the diagnostic names the limit
  { name: 'loop {}', source: () => 'loop {}', expect: { limit: LOOP }, quick: true },
  { name: 'while true {}', source: () => 'while true {}', expect: { limit: LOOP }, quick: true },
  { name: 'do {} while true', source: () => 'do {} while true;', expect: { limit: LOOP }, quick: true },
  { name: 'do {} until false', source: () => 'do {} until false;', expect: { limit: LOOP }, quick: true },
  {
    name: 'for over i64 range',
    source: () => 'for i in 0..9223372036854775807 {}',
    expect: { limit: LOOP },
    quick: true,
  },
  {
    name: 'loop with continue',
    source: () => 'let i = 0; loop { i += 1; continue; }',
    expect: { limit: LOOP },
    quick: true,
  },
  {
    name: 'loop with try/catch',
    source: () => 'loop { try { throw 1; } catch {} }',
    expect: { limit: LOOP },
    quick: true,
  },
  {
    name: 'unknown function caught in a loop',
    source: () => 'loop { try { undefined_fn(); } catch {} }',
    expect: { limit: LOOP },
    quick: true,
  },
  {
    name: 'unknown variable caught in a loop',
    source: () => 'loop { try { nope; } catch (e) { let m = e; } }',
    expect: { limit: LOOP },
  },
  {
    name: 'type error caught in a loop',
    source: () => 'loop { try { abs("x"); } catch {} }',
    expect: { limit: LOOP },
  },
  {
    name: 'deep throw caught in a loop',
    source: () => 'fn f(n) { if n > 50 { throw 1 } f(n + 1) }\nloop { try { f(0) } catch {} }',
    expect: { limit: LOOP },
  },
  { name: 'recursion', source: () => 'fn f(n) { f(n + 1) }\nf(0);', expect: { limit: DEPTH }, quick: true },
  {
    name: 'mutual recursion',
    source: () => 'fn a(n) { b(n) }\nfn b(n) { a(n) }\na(0);',
    expect: { limit: DEPTH },
    quick: true,
  },
  {
    name: 'closure recursion',
    source: () => 'fn h(f) { f.call(f) }\nh(|f| h(f));',
    expect: { limit: DEPTH },
    quick: true,
  },
  {
    name: 'method recursion',
    source: () => 'fn g() { this.g() }\n1.g();',
    expect: { limit: DEPTH },
    quick: true,
  },
  {
    name: 'recursion in a loop',
    source: () => 'fn f(n) { if n > 30 { 0 } else { f(n + 1) } }\nloop { f(0); }',
    expect: { limit: LOOP },
    quick: true,
  },
  { name: 'load() cycle', source: () => 'load("lib/self.rhai");', expect: { ok: false }, quick: true },
  {
    name: 'load() mutual cycle',
    source: () => 'device_start("*"); load("lib/ping.rhai"); device_end();',
    expect: { ok: false },
    quick: true,
  },
  {
    name: 'load() of an infinite loop',
    source: () => 'load("lib/loops.rhai");',
    expect: { limit: LOOP },
    quick: true,
  },
  {
    name: 'load() in a loop',
    source: () => 'device_start("*"); loop { load("lib/vim-arrows.rhai"); }',
    expect: { limit: LOOP },
  },
  {
    name: 'string growth',
    source: () => 'let s = "ab"; loop { s += s; }',
    expect: { limit: /string length limit/ },
    quick: true,
  },
  {
    name: 'array growth',
    source: () => 'let a = []; loop { a.push(a.len()); }',
    expect: { limit: /array size limit/ },
  },
  {
    name: 'map growth',
    source: () => 'let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; }',
    expect: { limit: LOOP },
  },
  {
    name: 'value nesting',
    source: () => 'let a = []; loop { a = [a]; }',
    expect: { limit: /value nested too deeply/ },
    quick: true,
  },
  { name: 'print in a loop', source: () => 'loop { print("x"); }', expect: { limit: LOOP } },
  {
    name: 'mapping in a loop',
    source: () => 'device_start("*"); loop { map("A", "VK_B"); }',
    expect: { limit: LOOP },
  },
  {
    name: 'a mistake in a loop',
    source: () => 'device_start("*"); loop { map("Nope", "VK_B"); }',
    expect: { limit: LOOP },
  },
  { name: 'device_start in a loop', source: () => 'loop { device_start("*"); }', expect: { limit: LOOP } },
  {
    name: 'when-block in a loop',
    source: () => 'device_start("*"); loop { when_start("MD_00"); map("A", "VK_B"); when_end(); }',
    expect: { limit: LOOP },
  },
  // a loop over megabyte values: each operation must cost in proportion to the data it walks
  {
    name: 'len() of a 512 KB string in a loop',
    source: () => `${big(18)} loop { let t = s.len(); }`,
    expect: { limit: LOOP },
    quick: true,
  },
  {
    name: 'index of a 512 KB string in a loop',
    source: () => `${big(18)} loop { let t = s[5]; }`,
    expect: { limit: LOOP },
  },
  {
    name: 'set a char of a 512 KB string in a loop',
    source: () => `${big(18)} loop { s[5] = 'x'; }`,
    expect: { limit: LOOP },
  },
  {
    name: 'index_of in a 512 KB string in a loop',
    source: () => `${big(18)} loop { let t = s.index_of("z"); }`,
    expect: { limit: LOOP },
  },
  {
    name: 'sub_string of a 512 KB string in a loop',
    source: () => `${big(18)} loop { let t = s.sub_string(1, 2); }`,
    expect: { limit: LOOP },
  },
  {
    name: 'to_debug of a 512 KB string in a loop',
    source: () => `${big(18)} loop { let t = s.to_debug(); }`,
    expect: { limit: LOOP },
  },
  {
    name: 'pop() of a 512 KB string in a loop',
    source: () => `${big(18)} loop { let t = s; t.pop(); }`,
    expect: { limit: LOOP },
  },
  {
    name: 'split(i) of a 512 KB string in a loop',
    source: () => `${big(18)} loop { let t = s.split(5); }`,
    expect: { limit: LOOP },
  },
  {
    name: 'for over a 512 KB string in a loop',
    source: () => `${big(18)} loop { for c in s { break; } }`,
    expect: { limit: LOOP },
  },
  {
    name: 'compare 512 KB strings in a loop',
    source: () => `${big(18)} let u = s + "x"; loop { let t = s < u; }`,
    expect: { limit: LOOP },
  },
  {
    name: 'map() with a 512 KB key name in a loop',
    source: () => `${big(18)} device_start("*"); loop { map(s, "VK_A"); }`,
    expect: { limit: LOOP },
  },
  {
    name: 'sequence() of 512 KB key names in a loop',
    source: () => `${big(18)} device_start("*"); loop { sequence("A", [s, s, s, s, s, s, s, s]); }`,
    expect: { limit: LOOP },
  },
  {
    name: 'when_start() of 512 KB names in a loop',
    source: () => `${big(18)} let a = [s, s, s, s]; device_start("*"); loop { when_start(a); when_end(); }`,
    expect: { limit: LOOP },
  },
  {
    name: 'contains() on a 100,000-element array in a loop',
    source: () => 'let a = []; a.pad(99999, 1); loop { let t = a.contains(5); }',
    expect: { limit: LOOP },
    quick: true,
  },
  {
    name: '`in` a 100,000-element array in a loop',
    source: () => 'let a = []; a.pad(99999, 1); loop { let t = 5 in a; }',
    expect: { limit: LOOP },
  },
  {
    name: 'sort() of a 100,000-element array in a loop',
    source: () => 'let a = []; a.pad(99999, 1); loop { a.sort(); }',
    expect: { limit: LOOP },
  },
  {
    name: 'to_string() of a 100,000-element array in a loop',
    source: () => 'let a = []; a.pad(99999, 1); loop { let t = a.to_string(); }',
    expect: { limit: LOOP },
  },
  {
    name: 'contains() on 1000×1000 nested arrays in a loop',
    source: () =>
      'let a = []; a.pad(1000, 1); let b = []; b.pad(1000, a); let x = a; x[999] = 2; loop { let t = b.contains(x); }',
    expect: { limit: LOOP },
  },
  {
    name: '`in` 1000×1000 nested arrays in a loop',
    source: () =>
      'let a = []; a.pad(1000, 1); let b = []; b.pad(1000, a); let x = a; x[999] = 2; loop { let t = x in b; }',
    expect: { limit: LOOP },
  },
  {
    name: 'to_string() of 2000 copies of a 512 KB string',
    source: () => `${big(18)} let b = []; b.pad(2000, s); let t = b.to_string();`,
    expect: { limit: /string length limit/ },
    quick: true,
  },
  {
    name: 'print() of 2000 copies of a 512 KB string in a loop',
    source: () => `${big(18)} let b = []; b.pad(2000, s); loop { print(b); }`,
    expect: { limit: LOOP },
  },
  {
    name: 'interpolate 2000 copies of a 512 KB string',
    source: () => `${big(18)} let b = []; b.pad(2000, s); let t = \`\${b}\`;`,
    expect: { limit: /string length limit|operation limit/ },
  },
  {
    name: 'parse_int of 524,288 digits',
    source: () => 'let s = "9"; for i in 0..19 { s += s; } let t = s.parse_int();',
    expect: { ok: false },
    quick: true,
  },
  {
    name: 'pad a string to 1,000,000 in a loop',
    source: () => 'let s = "a"; s.pad(1000000, "ab"); loop { s.pad(1000000, "b"); }',
    expect: { limit: LOOP },
  },
  // nesting: 10,000 levels of each kind give a diagnostic, never a RangeError
  ...NESTING_KINDS.map((kind): Named => ({
    name: `10,000 nested: ${kind}`,
    source: () => nested(kind, 10_000),
    quick: ['parens', 'brackets', 'blocks', 'templates', 'if', 'comments', 'open-parens'].includes(kind),
  })),
  // huge literals and sources
  {
    name: '100 KB string literal',
    source: () => `let s = "${'a'.repeat(100_000)}"; print(s.len());`,
    expect: { ok: true },
    quick: true,
  },
  {
    name: '100 KB template literal',
    source: () => `let s = \`${'a'.repeat(100_000)}\${1}\`;`,
    expect: { ok: true },
    quick: true,
  },
  {
    name: '100 KB key name',
    source: () => `device_start("*"); map("${'A'.repeat(100_000)}", "VK_B"); device_end();`,
    expect: { ok: false },
    quick: true,
  },
  {
    name: '100 KB identifier',
    source: () => `let ${'v'.repeat(100_000)} = 1;`,
    expect: { ok: true },
    quick: true,
  },
  {
    name: '100 KB of digits',
    source: () => `let x = ${'9'.repeat(100_000)};`,
    expect: { ok: false },
    quick: true,
  },
  {
    name: '100 KB hex literal',
    source: () => `let x = 0x${'f'.repeat(100_000)};`,
    expect: { ok: false },
    quick: true,
  },
  { name: '100 KB float literal', source: () => `let x = 1.${'5'.repeat(100_000)}e308;`, quick: true },
  {
    name: 'float literals at the edges',
    source: () =>
      'let a = 1e308; let b = 1e309; let c = -1e309; let d = 1e-400; let e = 1.7976931348623157e308 * 10.0; let f = a / 0.0; print(`${a} ${b} ${e} ${f}`);',
    quick: true,
  },
  {
    name: 'integer edges',
    source: () => 'let a = 9223372036854775807; let b = -9223372036854775808; let c = a + 1;',
    expect: { ok: false },
    quick: true,
  },
  { name: 'source of exactly 1 MiB', source: () => sourceOfSize(MB), expect: { ok: true }, quick: true },
  {
    name: 'source of 1 MiB + 1 byte',
    source: () => sourceOfSize(MB + 1),
    expect: { limit: /source too large/ },
    quick: true,
  },
  {
    name: '1 MiB of multi-byte characters',
    source: () => sourceOfSize(MB, 'é'),
    expect: { ok: true },
    quick: true,
  },
  {
    name: '1 MiB + 1 byte of 4-byte characters',
    source: () => sourceOfSize(MB + 1, '😀'),
    expect: { limit: /source too large/ },
    quick: true,
  },
  { name: '1 MiB string literal', source: () => `let s = "${'a'.repeat(MB - 12)}";`, quick: true },
  { name: '1 MiB of newlines', source: () => '\n'.repeat(MB), expect: { ok: true }, quick: true },
  { name: '1 MiB of semicolons', source: () => ';'.repeat(MB), quick: true },
  { name: '1 MiB of open parentheses', source: () => '('.repeat(MB), expect: { ok: false }, quick: true },
  {
    name: '1 MiB of mappings',
    source: () =>
      `device_start("*");\n${'map("A", "VK_B");\n'.repeat(Math.floor((MB - 40) / 18))}device_end();`,
  },
  {
    name: '1 MiB of errors',
    source: () =>
      `device_start("*");\n${'map("Nope", "VK_B");\n'.repeat(Math.floor((MB - 40) / 21))}device_end();`,
    expect: { ok: false },
  },
  {
    name: 'building a 50,000-element array with push()',
    source: () =>
      'let a = []; for i in 0..50000 { a.push(i); } let b = []; for i in 0..50000 { b.append([i]); }',
    expect: { ok: true },
    quick: true,
  },
  {
    name: 'building a 50,000-entry map',
    source: () => 'let m = #{}; for i in 0..50000 { m[`k${i}`] = i; if !m.contains(`k${i}`) { throw 1; } }',
    expect: { ok: true },
  },
  { name: '1 MiB of syntax errors', source: () => ') '.repeat(MB / 2), expect: { ok: false }, quick: true },
  {
    name: '1 MiB unterminated string',
    source: () => `"${'a'.repeat(MB - 2)}`,
    expect: { ok: false },
    quick: true,
  },
  {
    name: '1 MiB unterminated block comment',
    source: () => `/*${'a'.repeat(MB - 2)}`,
    expect: { ok: false },
    quick: true,
  },
  {
    name: 'lone surrogates and NUL',
    source: () => 'let s = "\ud800\udc00\ud800\0"; map("\udc00", "VK_\ud800");\0\ud800',
    expect: { ok: false },
    quick: true,
  },
  {
    name: 'CRLF, BOM, shebang',
    source: () => '#!/usr/bin/keyrx\r\n\ufeffdevice_start("*");\r\nmap("A", "VK_B");\r\ndevice_end();\r\n',
    quick: true,
  },
  { name: 'empty source', source: () => '', expect: { ok: true }, quick: true },
  { name: 'NUL bytes only', source: () => '\0'.repeat(1000), expect: { ok: false }, quick: true },
];

/** Loops over megabyte-sized values: the operation budget must bound the time, not only the count. */
function budgetCase(rng: Rng): { source: string; label: string } {
  const prelude: string[] = [];
  const values: string[] = [];
  const names: string[] = ['1', '"x"', "'c'", '[1, 2]', '#{a: 1}', '0..3', '|v| v', '|a, b| 0'];
  if (rng.chance(0.7)) {
    const k = rng.range(8, 18);
    prelude.push(`${big(k)} let w = [s, "VK_A", s, s];`);
    names.push('s', 's', 's + "x"', 's.sub_string(1)', 'w');
    values.push(`s: ${2 << k} chars`);
  }
  if (rng.chance(0.6)) {
    const n = rng.pick([1000, 50000, 99999]);
    const item = rng.pick(['1', '"x"', '[1]', names.includes('s') ? 's' : '2']);
    prelude.push(`let a = []; a.pad(${n}, ${item});`);
    names.push('a', 'a');
    values.push(`a: ${n} × ${item}`);
  }
  if (rng.chance(0.4)) {
    const inner = rng.pick([100, 300, 1000]);
    const outer = rng.pick([100, 300, 1000]);
    prelude.push(
      `let e = []; e.pad(${inner}, 1); let b = []; b.pad(${outer}, e); let x = e; x[${inner - 1}] = 2;`,
    );
    names.push('b', 'x', 'e');
    values.push(`b: ${outer} × ${inner}`);
  }
  if (rng.chance(0.3)) {
    prelude.push('let m = #{}; for i in 0..20000 { m[`k${i}`] = i; }');
    names.push('m');
    values.push('m: 20000 entries');
  }
  const v = (): string => rng.pick(names);
  const op = (): string => {
    switch (rng.int(11)) {
      case 0:
      case 1:
      case 2:
        return `let t = ${v()}.${rng.pick(CORE_FUNCTIONS)}(${Array.from({ length: rng.int(3) }, v).join(', ')});`;
      case 3:
        return `let t = ${rng.pick(CORE_FUNCTIONS)}(${Array.from({ length: rng.range(1, 3) }, v).join(', ')});`;
      case 4:
        return `let t = ${v()} ${rng.pick(['==', '!=', '<', '>=', 'in', '!in', '+'])} ${v()};`;
      case 5:
        return `let t = \`\${${v()}}\`;`;
      case 6:
        return `let t = ${v()}[${rng.pick(['0', '5', '-1', '999'])}];`;
      case 7:
        return `let t = ${v()}; t[${rng.pick(['0', '5', '-1'])}] = ${v()};`;
      case 8:
        return `for c in ${v()} { break; }`;
      case 9:
        return rng.chance(0.5)
          ? `${rng.pick(['print', 'debug'])}(${v()});`
          : rng.pick([
              'undefined_fn(1);',
              'nope;',
              'throw 1;',
              'abs("x");',
              `${v()}.nope();`,
              `let t = ${v()} / 0;`,
            ]);
      default: {
        const [f, n] = rng.pick([
          ['map', 2],
          ['tap_hold', 4],
          ['hold_only', 2],
          ['device_start', 1],
          ['when_start', 1],
          ['when_not_start', 1],
          ['when_device_start', 1],
          ['sequence', 2],
          ['with_mods', 5],
          ['with_shift', 1],
          ['load', 1],
        ] as const);
        return `${f}(${Array.from({ length: n }, v).join(', ')});`;
      }
    }
  };
  const body = Array.from({ length: rng.range(1, 3) }, () => `try { ${op()} } catch {}`).join(' ');
  const loop = `loop { ${body} }`;
  return {
    source: `${prelude.join('\n')}\ndevice_start("*");\n${loop}`,
    label: `${values.join(', ') || 'small values'}: ${loop}`,
  };
}

// ---------------------------------------------------------------- the target

const EXTREME_DEPTHS = [10, 63, 64, 65, 100, 1000, 10_000];

export const dslTarget: SyncTarget = {
  name: 'dsl',
  makeCase(rng: Rng, index: number, opts: TargetOptions): Case {
    const named = opts.full ? NAMED_CASES : NAMED_CASES.filter((n) => n.quick);
    if (index < named.length) {
      const n = named[index];
      return {
        category: 'named extreme',
        label: n.name,
        execute: () => {
          compileAndCheck(n.source(), { file: n.file ?? `${EX}/fuzz.rhai`, fs: BASE_FS }, n.expect ?? {});
        },
      };
    }
    const determinism = index % 16 === 0;
    // loops over megabyte values run with the default budget in the full run (up to a second or two
    // each), so fewer of them there; npm test runs more, with a twentieth of the budget
    const kind = rng.weighted([
      [30, 'tokens'],
      [20, 'program'],
      [44, 'mutant'],
      [4, 'extreme'],
      [opts.full ? 0.3 : 2, 'budget'],
    ] as const);
    switch (kind) {
      case 'tokens': {
        const source = tokenStream(rng);
        return {
          category: 'token stream',
          label: `tokens ${preview(source)}`,
          execute: () =>
            void compileAndCheck(source, { file: `${EX}/fuzz.rhai`, fs: BASE_FS }, {}, determinism),
        };
      }
      case 'program': {
        const source = new ProgramGen(rng).program();
        return {
          category: 'random program',
          label: `program ${preview(source)}`,
          execute: () =>
            void compileAndCheck(source, { file: `${EX}/fuzz.rhai`, fs: BASE_FS }, {}, determinism),
        };
      }
      case 'mutant': {
        const ex = rng.pick(EXAMPLES);
        const { text, ops } = mutate(rng, ex.text);
        // a load()ed library mutated too, now and then
        let fs = BASE_FS;
        let libNote = '';
        if (ex.file.endsWith('19-load-local-lib.rhai') && rng.chance(0.5)) {
          const lib = rng.pick(LIBS);
          const m = mutate(rng, lib.text);
          fs = fileSystem({ [lib.file]: m.text });
          libNote = `; ${lib.file.slice(EX.length + 1)}: ${m.ops.join(', ')}`;
        }
        return {
          category: 'mutated example',
          label: `${ex.file.slice(EX.length + 1)}: ${ops.join(', ')}${libNote}`,
          execute: () => void compileAndCheck(text, { file: ex.file, fs }, {}, determinism),
        };
      }
      case 'extreme': {
        const kind2 = rng.pick(NESTING_KINDS);
        const depth = rng.pick(EXTREME_DEPTHS);
        const source = nested(kind2, depth);
        return {
          category: 'nesting',
          label: `${depth} nested ${kind2}`,
          execute: () => void compileAndCheck(source, { file: `${EX}/fuzz.rhai`, fs: BASE_FS }),
        };
      }
      default: {
        const { source, label } = budgetCase(rng);
        // default limits in the full run; a twentieth of the budget in npm test (the same code paths)
        const limits = opts.full ? {} : { maxOperations: 50_000 };
        return {
          category: 'megabyte loop',
          label,
          execute: () =>
            void compileAndCheck(source, { file: `${EX}/fuzz.rhai`, fs: BASE_FS, limits }, { limit: /./ }),
        };
      }
    }
  },
};

export function namedCaseCount(full: boolean): number {
  return full ? NAMED_CASES.length : NAMED_CASES.filter((n) => n.quick).length;
}
