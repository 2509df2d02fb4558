import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Diagnostic } from '../../src/dsl/diagnostics.ts';
import type { HostFunction, InterpreterOptions, RunResult } from '../../src/dsl/interpreter.ts';
import { DEFAULT_LIMITS, Interpreter } from '../../src/dsl/interpreter.ts';
import { parse } from '../../src/dsl/parser.ts';

function run(src: string, opts?: InterpreterOptions): RunResult {
  return new Interpreter(opts).runSource(src, 'main.rhai');
}

function limitError(src: string, opts?: InterpreterOptions): Diagnostic {
  const r = run(src, opts);
  assert.equal(r.diagnostics.length, 1, r.diagnostics.map((d) => d.message).join('; '));
  const d = r.diagnostics[0];
  assert.equal(d.code, 'E_LIMIT', d.message);
  return d;
}

describe('defaults', () => {
  test('the documented defaults', () => {
    assert.deepEqual(DEFAULT_LIMITS, {
      maxOperations: 1_000_000,
      maxCallDepth: 64,
      maxExprDepth: 64,
      maxSourceBytes: 1_048_576,
      maxStringLength: 1_048_576,
      maxArraySize: 100_000,
      maxMapSize: 100_000,
    });
    assert.throws(() => new Interpreter({ maxOperations: 0 }), /maxOperations must be a positive number/);
    // undefined means "default" (hosts spread partial option objects)
    assert.equal(new Interpreter({ maxOperations: undefined }).limits.maxOperations, 1_000_000);
  });
});

const MB = 2 ** 20;
const STRING_LIMIT = 'string length limit exceeded (1048576 characters)';
const ARRAY_LIMIT = 'array size limit exceeded (100000 elements)';

// A full garbage collection before measuring (and between big sources, so that the memory of
// one is not still held when the next is parsed). `gc` is available to new contexts only.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * How much the process's memory grew while `fn` ran: what it kept (resident, heap, buffers) and
 * its peak above the earlier peak. Memory, never time: CI shares a loaded machine.
 */
function memoryGrowth(fn: () => void): number {
  collectGarbage();
  const before = process.memoryUsage();
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  fn();
  const after = process.memoryUsage();
  const peakAfter = process.resourceUsage().maxRSS * 1024;
  return Math.max(
    after.rss - before.rss,
    after.heapUsed - before.heapUsed,
    after.arrayBuffers - before.arrayBuffers,
    peakAfter - Math.max(peakBefore, before.rss),
  );
}

/** The limit error, reached without the process growing by 64 MB on the way. */
function refusedSmall(src: string, opts?: InterpreterOptions): Diagnostic {
  let d: Diagnostic | undefined;
  const grew = memoryGrowth(() => (d = limitError(src, opts)));
  assert.ok(grew < 64 * MB, `memory grew by ${(grew / MB).toFixed(0)} MB for: ${src}`);
  return d as Diagnostic;
}

/**
 * A 1 MiB - 16 string (`s`, two-byte characters: twice the memory) and an array of 100,000 of it
 * (`a`). Every pass over `s` costs 262,140 operations: scripts using it get a budget of 10 M, so
 * that it is the size limit being tested.
 */
const BIG = 'let s = ""; s.pad(1048560, "ж"); let a = []; a.pad(100000, s);';
const ROOMY: InterpreterOptions = { maxOperations: 10_000_000 };

// First in the file: the peak memory of later tests would hide a peak here.
describe('allocations are checked before they are made', () => {
  test('string pad asks for its length first', () => {
    assert.equal(refusedSmall('let s = ""; s.pad(536870000, "x");').message, STRING_LIMIT);
    assert.equal(refusedSmall('let s = "ab"; s.pad(9223372036854775807, "xyz");').message, STRING_LIMIT);
    assert.equal(refusedSmall('let s = ""; s.pad(600000, "😀");').message, STRING_LIMIT);
    // what fits is built exactly as before: the fill repeated, then part of it
    assert.equal(run('let s = "ab"; s.pad(7, "xyz"); s').value, 'abxyzxy');
    assert.equal(run('let s = "😀"; s.pad(4, "é😀"); s').value, '😀é😀é');
    assert.equal(run('let s = "abc"; s.pad(2, "x"); s.pad(5, ""); s').value, 'abc');
    const r = run('let s = ""; s.pad(1048576, "ab"); s.len()');
    assert.deepEqual([r.diagnostics, r.value], [[], 1048576n]);
  });

  test('array pad', () => {
    assert.equal(refusedSmall('let a = []; a.pad(536870000, 0);').message, ARRAY_LIMIT);
    assert.equal(refusedSmall('let a = []; a.pad(9223372036854775807, [1, 2]);').message, ARRAY_LIMIT);
  });

  test('concatenation: string + and +=, interpolation, append', () => {
    assert.equal(refusedSmall(`${BIG} let t = s + s;`, ROOMY).message, STRING_LIMIT);
    assert.equal(refusedSmall(`${BIG} s += "ab" + s;`, ROOMY).message, STRING_LIMIT);
    assert.equal(refusedSmall(`${BIG} s.append(s);`, ROOMY).message, STRING_LIMIT);
    // a container's text is never built much past the limit (100,000 × 2 MB here)
    assert.equal(refusedSmall(`${BIG} let t = "x" + a;`, ROOMY).message, STRING_LIMIT);
    assert.equal(refusedSmall(`${BIG} let t = a + "x";`, ROOMY).message, STRING_LIMIT);
    assert.equal(refusedSmall(`${BIG} let t = \`\${a}\`;`, ROOMY).message, STRING_LIMIT);
    assert.equal(refusedSmall(`${BIG} let t = \`\${s}-\${s}\`;`, ROOMY).message, STRING_LIMIT);
    assert.equal(refusedSmall(`${BIG} let t = "x"; t.append(a);`, ROOMY).message, STRING_LIMIT);
    assert.equal(refusedSmall(`${BIG} let m = #{ a: a }; let t = \`\${m}\`;`, ROOMY).message, STRING_LIMIT);
  });

  test('to_string, to_debug, print and debug of big containers', () => {
    for (const call of ['a.to_string()', 'a.to_debug()', 'print(a)', 'debug(a)']) {
      assert.equal(refusedSmall(`${BIG} ${call};`, ROOMY).message, STRING_LIMIT, call);
    }
    // debug text is longer than the string (quotes, escapes)
    assert.equal(refusedSmall('let s = ""; s.pad(600000, "\\n"); debug(s);').message, STRING_LIMIT);
    assert.deepEqual(run('let a = [1, "x", [()]]; print(a); debug(a); a.to_debug()').output, [
      '[1, "x", [()]]',
      '[1, "x", [()]]',
    ]);
  });

  test('throwing a big container gives a message of bounded length', () => {
    let r: RunResult | undefined;
    const grew = memoryGrowth(() => (r = run(`${BIG} throw a;`, ROOMY)));
    assert.ok(grew < 64 * MB, `memory grew by ${(grew / MB).toFixed(0)} MB`);
    const d = (r as RunResult).diagnostics;
    assert.equal(d.length, 1);
    assert.equal(d[0].code, 'E_THROW');
    assert.ok(d[0].message.length < 8 * MB, String(d[0].message.length));
  });

  test('replace computes the length of its result first', () => {
    const d = refusedSmall(
      'let s = ""; s.pad(1000000, "x"); let r = ""; r.pad(1000, "y"); s.replace("x", r);',
    );
    assert.equal(d.message, STRING_LIMIT);
    assert.equal(
      refusedSmall('let s = ""; s.pad(600000, "ab"); s.replace("a", "xyz");').message,
      STRING_LIMIT,
    );
    assert.equal(run('let s = "a-b--c"; s.replace("-", "<$&>"); s').value, 'a<$&>b<$&><$&>c');
    assert.equal(run('let s = "aaa"; s.replace("aa", "b"); s').value, 'ba');
  });

  test('case mapping that lengthens a string', () => {
    // 'ﬃ' becomes 'FFI': three times longer
    assert.equal(refusedSmall('let s = ""; s.pad(600000, "ﬃ"); let t = s.to_upper();').message, STRING_LIMIT);
    assert.equal(refusedSmall('let s = ""; s.pad(600000, "ﬃ"); s.make_upper();').message, STRING_LIMIT);
    assert.equal(run('"ﬃ".to_upper()').value, 'FFI');
  });

  test('a character set in place of a shorter one', () => {
    const full = 'let s = ""; s.pad(1048576, "a"); ';
    assert.equal(refusedSmall(`${full} s[0] = '😀';`, ROOMY).message, STRING_LIMIT);
    assert.equal(refusedSmall(`${full} s.set(-1, '😀');`, ROOMY).message, STRING_LIMIT);
    assert.equal(run(`${full} s[0] = 'b'; s[0]`, ROOMY).value?.toString(), 'b');
    assert.equal(run('let s = "abc"; s[1] = "😀"; s').value, 'a😀c');
  });

  test('split counts its parts against the array limit as it goes', () => {
    const long = 'let s = ""; s.pad(1000000, "a,"); ';
    assert.equal(refusedSmall(`${long} s.split(",");`).message, ARRAY_LIMIT);
    assert.equal(refusedSmall(`${long} s.split(',');`).message, ARRAY_LIMIT);
    assert.equal(refusedSmall(`${long} s.split(",", 9223372036854775807);`).message, ARRAY_LIMIT);
    assert.equal(refusedSmall(`${long} s.split("");`).message, ARRAY_LIMIT);
    assert.equal(refusedSmall(`${long} s.split("", 200000);`).message, ARRAY_LIMIT);
    assert.equal(refusedSmall('let s = ""; s.pad(1000000, "a "); s.split();').message, ARRAY_LIMIT);
    // a small count of parts out of a long string is fine
    const r = run(`${long} let p = s.split(",", 3); [p.len(), p[0], p[1], p[2].len()]`);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.value, [3n, 'a', 'a', 999996n]);
    // the same results as JavaScript's split
    for (const [src, want] of [
      ['"a,b,,c".split(",")', ['a', 'b', '', 'c']],
      ['"a,b,,c".split(",", 2)', ['a', 'b,,c']],
      ['"a,b".split(",", 0)', ['a,b']],
      ['"abc".split("")', ['a', 'b', 'c']],
      ['"abc".split("", 2)', ['a', 'bc']],
      ['"".split("")', []],
      ['"".split(",")', ['']],
      ['" a  b\tc ".split()', ['a', 'b', 'c']],
      ['"a::b::c".split("::", 2)', ['a', 'b::c']],
    ] as const) {
      assert.deepEqual(run(src).value, want, src);
    }
  });

  test('chars, keys and values check their size first', () => {
    assert.equal(refusedSmall('let s = ""; s.pad(1000000, "ab"); s.chars();').message, ARRAY_LIMIT);
    assert.equal(refusedSmall('let s = ""; s.pad(1000000, "ab"); s.to_chars();').message, ARRAY_LIMIT);
    // a map may have more entries than an array may have elements
    const opts = { maxArraySize: 1000, maxMapSize: 5000 };
    const fill = 'let m = #{}; for i in 0..2000 { m[`${i}`] = i; } ';
    assert.equal(
      refusedSmall(`${fill} m.keys();`, opts).message,
      'array size limit exceeded (1000 elements)',
    );
    assert.equal(
      refusedSmall(`${fill} m.values();`, opts).message,
      'array size limit exceeded (1000 elements)',
    );
    assert.equal(
      refusedSmall(
        `${fill} let n = #{}; for i in 2000..4000 { n[\`\${i}\`] = i; } let m2 = m + n + #{ x: 1 };`,
        {
          maxMapSize: 4000,
        },
      ).message,
      'map size limit exceeded (4000 entries)',
    );
  });

  test('array + and +=, append and splice', () => {
    assert.equal(refusedSmall('let a = []; a.pad(60000, 0); let b = a + a;').message, ARRAY_LIMIT);
    assert.equal(refusedSmall('let a = []; a.pad(60000, 0); a += a;').message, ARRAY_LIMIT);
    assert.equal(refusedSmall('let a = []; a.pad(60000, 0); a.append(a);').message, ARRAY_LIMIT);
    assert.equal(refusedSmall('let a = []; a.pad(60000, 0); a.splice(0, 0, a);').message, ARRAY_LIMIT);
    // splice without spreading 100,000 arguments
    const r = run(
      'let a = [1, 2, 3]; let b = []; b.pad(99997, 0); a.splice(1, 1, b); [a.len(), a[0], a[-1]]',
    );
    assert.deepEqual(r.value, [99999n, 1n, 3n]);
  });

  test('curried arguments are an array: limited and charged', () => {
    const d = refusedSmall('let f = Fn("x"); loop { f = f.curry(1); }', { maxArraySize: 1000 });
    assert.equal(d.message, 'array size limit exceeded (1000 elements)');
    assert.match(refusedSmall('let f = Fn("x"); loop { f = f.curry(1, 2, 3); }').message, /operation limit/);
  });

  test('sub_string and extract clamp huge lengths to what there is', () => {
    const r = run(
      'let s = ""; s.pad(1000000, "x"); let a = [1, 2, 3]; [s.sub_string(1, 9223372036854775807).len(), a.extract(1, 9223372036854775807)]',
      ROOMY,
    );
    assert.deepEqual(r.value, [999999n, [2n, 3n]]);
    assert.equal(run('"a😀bc".sub_string(1, 2)').value, '😀b');
    assert.equal(run('"a😀bc".sub_string(-2)').value, 'bc');
  });

  test('a loop of big but allowed operations runs out of operations, not of time', () => {
    // Each pass builds or walks about a megabyte: a few hundred passes at most.
    for (const body of [
      's = ""; s.pad(1000000, "x");',
      'let t = s.replace("y", "z");',
      'let t = s; t.replace("x", "y");',
      'let t = s.to_upper();',
      'let t = s + "!";',
      'let t = `${s}!`;',
      'let t = s.sub_string(1);',
      'let t = s.split("x", 3);',
      'let t = s.to_debug();',
      'print(s);',
      'let t = s; t.append("!");',
      'let t = s.len();',
    ]) {
      const r = run(`let s = ""; s.pad(1000000, "x"); let n = 0; loop { ${body} n += 1; print(n); }`);
      assert.equal(r.diagnostics.length, 1, body);
      assert.match(r.diagnostics[0].message, /^operation limit exceeded/, body);
      const passes = r.output.filter((line) => /^\d+$/.test(line)).length;
      assert.ok(passes < 1000, `${passes} passes of: ${body}`);
    }
  });
});

describe('operations', () => {
  test('an infinite loop stops at the operation budget with a clear message', () => {
    const r = run('let x = 0;\nloop {}');
    assert.equal(r.diagnostics.length, 1);
    const d = r.diagnostics[0];
    assert.equal(d.message, 'operation limit exceeded (1000000 operations): does the script loop forever?');
    assert.equal(`${d.span.line}:${d.span.column}`, '2:1');
    // stopped by counting, right past the budget (how long that takes is the machine's business)
    assert.ok(r.operations > 1_000_000 && r.operations <= 1_000_010, `${r.operations} operations`);
  });

  test('every loop form is counted', () => {
    for (const src of [
      'while true {}',
      'do {} while true;',
      'for i in 0..9223372036854775807 {}',
      'fn f() { loop { let a = 1; } } f()',
    ]) {
      assert.equal(
        limitError(src, { maxOperations: 10_000 }).message,
        'operation limit exceeded (10000 operations): does the script loop forever?',
      );
    }
  });

  test('operations are reported and statement + expression evaluations are counted', () => {
    const r = run('let a = 1 + 2;');
    // statement, binary, two literals
    assert.equal(r.operations, 4);
    const r2 = run('let i = 0; while i < 10 { i += 1; }');
    assert.ok(r2.operations > 40 && r2.operations < 100, String(r2.operations));
  });

  test('copying big values costs operations too', () => {
    const cheap = run('let a = []; a.pad(10000, 0); let n = 0;').operations;
    const copies = run(
      'let a = []; a.pad(10000, 0); let n = 0; for i in 0..20 { let b = a; n += b.len(); }',
    ).operations;
    assert.ok(copies - cheap > 20 * (10000 / 16), `${copies} vs ${cheap}`);
  });

  test('the operation limit cannot be caught by try/catch', () => {
    assert.equal(limitError('try { loop {} } catch { }', { maxOperations: 1000 }).code, 'E_LIMIT');
  });
});

describe('call depth', () => {
  test('infinite recursion stops with a diagnostic', () => {
    const d = limitError('fn down(n) { down(n + 1) }\ndown(0);');
    assert.equal(d.message, 'call depth limit exceeded (64 nested calls): is there infinite recursion?');
    assert.equal(`${d.span.line}:${d.span.column}`, '1:14');
    // The repeated call site is summarised, not listed 64 times.
    assert.deepEqual(
      d.related?.map((r) => r.message),
      ["in call to 'down' at 1:14 (×63)", "in call to 'down' at 2:1"],
    );
  });

  test('legitimate recursion below the limit works; the limit is configurable', () => {
    assert.equal(run('fn d(n) { if n == 0 { 0 } else { 1 + d(n - 1) } } d(60)').value, 60n);
    assert.equal(
      limitError('fn d(n) { if n == 0 { 0 } else { 1 + d(n - 1) } } d(60)', { maxCallDepth: 10 }).code,
      'E_LIMIT',
    );
  });

  test('mutual recursion through closures and method calls is counted', () => {
    assert.equal(limitError('let f = 0; fn g(x) { x.g() } 1.g()').code, 'E_LIMIT');
    assert.equal(limitError('fn h(f) { f.call(f) } h(|f| h(f))').code, 'E_LIMIT');
  });

  test('deep recursion with deep expressions never overflows the JavaScript stack', () => {
    const deepExpr = '(((((((((((((((((((((((((((((((n + 1)))))))))))))))))))))))))))))))';
    const r = run(`fn r(n) { if n > 1000 { n } else { r${deepExpr.replace('n + 1', 'r(n + 1)')} } } r(0)`, {
      maxCallDepth: 64,
    });
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0].code, 'E_LIMIT');
  });
});

describe('nesting and source size', () => {
  test('10,000 parentheses give a diagnostic (never a RangeError)', () => {
    const d = limitError('let x = ' + '('.repeat(10_000) + '1' + ')'.repeat(10_000) + ';');
    assert.equal(d.message, 'expression nesting too deep (more than 64 levels)');
  });

  test('the interpreter applies its own maxExprDepth and maxSourceBytes when parsing', () => {
    assert.equal(
      limitError('((((((1))))))', { maxExprDepth: 4 }).message,
      'expression nesting too deep (more than 4 levels)',
    );
    assert.equal(
      limitError('let x = 1;', { maxSourceBytes: 5 }).message,
      'source too large (10 bytes; the limit is 5 bytes)',
    );
  });

  test('a 5,000-term chain runs without deep recursion', () => {
    const src = 'let s = ' + Array.from({ length: 5000 }, () => '1').join(' + ') + '; s';
    assert.equal(run(src).value, 5000n);
  });

  test('values cannot be nested without bound', () => {
    const d = limitError('let a = []; loop { a = [a]; }');
    assert.equal(d.message, 'value nested too deeply (more than 256 levels)');
  });
});

describe('data sizes', () => {
  test('string growth', () => {
    assert.equal(
      limitError('let s = "ab"; loop { s += s; }').message,
      'string length limit exceeded (1048576 characters)',
    );
    assert.equal(limitError('let s = "x"; s.pad(2000, "y");', { maxStringLength: 1000 }).code, 'E_LIMIT');
    assert.equal(
      limitError('let s = "x"; loop { s = `${s}${s}`; }', { maxStringLength: 1000 }).code,
      'E_LIMIT',
    );
    assert.equal(
      limitError('let s = "abc"; for i in 0..20 { s = s + s; }', { maxStringLength: 100 }).code,
      'E_LIMIT',
    );
  });

  test('array growth', () => {
    assert.equal(
      limitError('let a = []; loop { a.push(1); }', { maxArraySize: 1000 }).message,
      'array size limit exceeded (1000 elements)',
    );
    assert.equal(limitError('let a = [1]; loop { a += a; }', { maxArraySize: 1000 }).code, 'E_LIMIT');
    assert.equal(limitError('let a = [1]; loop { a = a + a; }', { maxArraySize: 1000 }).code, 'E_LIMIT');
    assert.equal(limitError('let a = []; a.pad(1001, 0);', { maxArraySize: 1000 }).code, 'E_LIMIT');
    assert.equal(limitError('let a = []; loop { a.insert(0, 1); }', { maxArraySize: 1000 }).code, 'E_LIMIT');
  });

  test('map growth', () => {
    const d = limitError('let m = #{}; let i = 0; loop { m["k" + i] = i; i += 1; }', { maxMapSize: 500 });
    assert.equal(d.message, 'map size limit exceeded (500 entries)');
    assert.equal(
      limitError('let m = #{}; let i = 0; loop { m.set(`${i}`, i); i += 1; }', { maxMapSize: 500 }).code,
      'E_LIMIT',
    );
  });

  test('exponential copying is stopped by the budget, not by memory', () => {
    const before = process.memoryUsage().rss;
    const d = limitError('let a = [1, 2, 3, 4]; loop { a.push(a); }');
    assert.equal(d.code, 'E_LIMIT');
    assert.match(d.message, /operation limit exceeded/);
    const grew = (process.memoryUsage().rss - before) / MB;
    assert.ok(grew < 512, `grew by ${grew.toFixed(0)} MB`);
  });
});

describe('runNested shares the budget', () => {
  test('operations of nested runs count against the outer limit', () => {
    const inner = parse('let i = 0; while i < 300 { i += 1; }', 'inner.rhai').program;
    const load: HostFunction = {
      name: 'load',
      params: 0,
      call(_args, ctx) {
        ctx.interpreter.runNested(inner, 'inner.rhai');
      },
    };
    const ok = new Interpreter({ hostFunctions: [load], maxOperations: 3000 }).runSource(
      'load();',
      'main.rhai',
    );
    assert.deepEqual(ok.diagnostics, []);
    const perLoad = ok.operations;
    const twice = new Interpreter({ hostFunctions: [load], maxOperations: 3000 }).runSource(
      'load(); load(); load(); load();',
      'main.rhai',
    );
    assert.equal(twice.diagnostics.length, 1);
    const d = twice.diagnostics[0];
    assert.equal(d.code, 'E_LIMIT');
    assert.equal(d.span.file, 'inner.rhai');
    assert.ok(perLoad * 4 > 3000);
  });

  test('nested runs count towards the call depth', () => {
    const self = parse('again();', 'self.rhai').program;
    const again: HostFunction = {
      name: 'again',
      params: 0,
      call(_args, ctx) {
        ctx.interpreter.runNested(self, 'self.rhai');
      },
    };
    const interp = new Interpreter({ hostFunctions: [again] });
    const r = interp.run(self);
    assert.equal(r.diagnostics.length, 1);
    assert.equal(
      r.diagnostics[0].message,
      'call depth limit exceeded (64 nested calls): is there infinite recursion?',
    );
  });

  test('runNested outside a run is a programming error', () => {
    assert.throws(
      () => new Interpreter().runNested(parse('1', 'x').program, 'x'),
      /only be called from a host function/,
    );
  });
});

// Sized so that a quadratic algorithm would take minutes; nothing here measures time (CI shares a
// loaded 2-core machine). The generous timeout marks them as the tests that would hang; note that
// node:test cannot interrupt synchronous code, so a regression shows as a file taking minutes
// (or as the CI job's own timeout), not as a failure of the test itself.
const HANG = { timeout: 120_000 };
/** Arms, parameters …: large enough for a quadratic step to show (N² = 10¹⁰), small enough for CI. */
const N = 100_000;
const LARGE = { maxSourceBytes: 64 * MB };

function lines(n: number, line: (i: number) => string, sep = '\n'): string {
  return Array.from({ length: n }, (_, i) => line(i)).join(sep);
}

/** Only the messages are kept: the tokens and tree of a big source are garbage at once. */
function parseMessages(src: string): string[] {
  collectGarbage();
  return parse(src, 'big.rhai', LARGE).diagnostics.map((d) => d.message);
}

describe('large sources parse in linear time', () => {
  test(`a switch with ${N.toLocaleString('en-US')} arms`, HANG, () => {
    assert.deepEqual(
      parseMessages(`let x = 1;\nswitch x {\n${lines(N, (i) => `${i} => ${i}`, ',\n')}\n}`),
      [],
    );
    // string, character and range cases
    const strings = `switch x {\n${lines(N / 2, (i) => `"k${i}" | '${String.fromCodePoint(0x4e00 + i)}' => ${i}`, ',\n')}\n}`;
    assert.deepEqual(parseMessages(strings), []);
    const ranges = `switch x {\n${lines(N / 2, (i) => `${2 * i}..${2 * i + 2} => ${i}`, ',\n')}\n}`;
    assert.deepEqual(parseMessages(ranges), []);
  });

  test('duplicate switch cases are still reported', HANG, () => {
    const r = parse(
      `switch x {\n  1 => 1,\n  2 | 1 => 2,\n  "a" => 3,\n  'a' => 4,\n  "a" => 5,\n  1.0 => 6,\n  1..3 => 7,\n  1..3 => 8,\n  1..=3 => 9,\n  1 if x > 0 => 10,\n  _ => 0\n}`,
      'dup.rhai',
    );
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.span.line}:${d.span.column} ${d.code} ${d.message}`),
      [
        '3:7 E_SYNTAX duplicate switch case (first at 2:3)',
        '6:3 E_SYNTAX duplicate switch case (first at 4:3)',
        '9:3 E_SYNTAX duplicate switch case (first at 8:3)',
      ],
    );
    // duplicates among N arms: found, and pointing at the first
    assert.deepEqual(
      parseMessages(
        `switch x {\n${lines(N, (i) => `${i} => ${i}`, ',\n')},\n0 => -1,\n${N - 1} | 5 => -2\n}`,
      ),
      [
        'duplicate switch case (first at 2:1)',
        `duplicate switch case (first at ${N + 1}:1)`,
        'duplicate switch case (first at 7:1)',
      ],
    );
  });

  test(
    `a switch with ${(N / 2).toLocaleString('en-US')} arms runs in constant time per evaluation`,
    HANG,
    () => {
      const arms = lines(N / 2, (i) => `${i} => ${i}`, ',\n');
      const r = new Interpreter({ ...LARGE, maxOperations: 10_000_000 }).runSource(
        `let n = 0;\nfor i in 0..${N / 2} { n += switch i {\n${arms},\n_ => 0\n}; }\nn`,
        'big.rhai',
      );
      assert.deepEqual(r.diagnostics, []);
      assert.equal(r.value, BigInt(((N / 2) * (N / 2 - 1)) / 2));
      // case order still decides: a guarded case that does not apply passes to the next one
      const order = run(
        'let x = 2; switch x { 1 => "a", 2 if x > 5 => "b", 0..5 => "c", 2 => "d", _ => "e" }',
      );
      assert.equal(order.value, 'd');
      assert.equal(run('switch 3 { 1 => "a", 0..5 if false => "b", 2..=3 => "c" }').value, 'c');
      assert.equal(run("switch 'a' { \"a\" => 1, 'a' => 2 }").value, 2n);
      assert.equal(run('switch 1 { 1.0 => 1, 1 => 2 }').value, 2n);
      assert.equal(run('switch parse_float("NaN") { 1.0 => 1, _ => 2 }').value, 2n);
      assert.equal(run('switch () { () => 1, _ => 2 }').value, 1n);
      assert.equal(run('switch [1] { 1 => 1, _ => 2 }').value, 2n);
    },
  );

  test(`scanning ${(N / 2).toLocaleString('en-US')} range arms is charged`, HANG, () => {
    const arms = lines(N / 2, (i) => `${2 * i}..${2 * i + 2} => ${i}`, ',\n');
    const r = new Interpreter(LARGE).runSource(`loop { print(switch ${N - 1} {\n${arms}\n}); }`, 'big.rhai');
    assert.equal(r.diagnostics.length, 1);
    assert.match(r.diagnostics[0].message, /^operation limit exceeded/);
    assert.ok(r.output.length < 1000, String(r.output.length));
    assert.equal(r.output[0], String(N / 2 - 1));
  });

  test(`functions and closures with ${N.toLocaleString('en-US')} parameters`, HANG, () => {
    const params = lines(N, (i) => `p${i}`, ', ');
    assert.deepEqual(parseMessages(`fn f(${params}) { p${N - 1} }`), []);
    assert.deepEqual(parseMessages(`let f = |${params}| p0;`), []);
    assert.deepEqual(parseMessages(`fn f(${params}, p7) { 1 }\nlet g = |a, b, a| 1;`), [
      "duplicate parameter 'p7'",
      "duplicate parameter 'a'",
    ]);
  });

  test('literals: unfinished unicode escapes, huge integers, long strings', HANG, () => {
    // each '\u{' once looked for its '}' in the whole rest of the file
    const escapes = parseMessages('"\\u{";'.repeat(140_000));
    assert.equal(escapes.length, 140_000);
    assert.equal(escapes[0], `invalid unicode escape '\\u{'`);
    assert.equal(run('"\\u{1F600}|\\u{41}"').value, '😀|A');
    assert.deepEqual(parseMessages(`let x = ${'9'.repeat(1_000_000)};`), [
      'integer literal is too large for i64 (the maximum is 9223372036854775807)',
    ]);
    assert.deepEqual(parseMessages('let x = -99999999999999999999999;'), [
      'integer literal is too small for i64 (the minimum is -9223372036854775808)',
    ]);
    assert.equal(run(`${'0'.repeat(100_000)}42 + 1`).value, 43n);
    assert.equal(run('-9223372036854775808').value, -9223372036854775808n);
    const text = 'x'.repeat(500_000);
    assert.equal(run(`"${text}\\n${text}"`).value, `${text}\n${text}`);
    assert.equal(run(`\`${text}\${1}\n${text}\``).value, `${text}1\n${text}`);
  });

  test('other large shapes', HANG, () => {
    for (const make of [
      () => `let m = #{ ${lines(100_000, (i) => `k${i}: ${i}`, ', ')} };`,
      () => `let x = 1; ${lines(100_000, (i) => `if x == ${i} { ${i} }`, ' else ')}`,
      () => lines(100_000, (i) => `fn f${i}() { ${i} }`),
      () => lines(100_000, (i) => `let v${i} = ${i};`),
      () => `let a = [${lines(200_000, (i) => String(i), ', ')}];`,
      () => `let s = ${lines(100_000, () => '"ab"', ' + ')};`,
      () => '{ let x = ;\n'.repeat(100_000),
    ]) {
      const messages = parseMessages(make());
      assert.ok(messages.length < 200, `${messages.length} diagnostics for ${make().slice(0, 40)}`);
    }
  });
});

describe('big scopes and long names cost what they do', () => {
  const VARS = lines(50_000, (i) => `let v${i} = ${i};`);

  test('reading a variable declared 50,000 variables ago', HANG, () => {
    const r = run(`${VARS}\nlet n = 0;\nloop { n += v0; print(""); }`);
    assert.equal(r.diagnostics.length, 1);
    assert.match(r.diagnostics[0].message, /^operation limit exceeded/);
    assert.ok(r.output.length < 10_000, String(r.output.length));
  });

  test('closures capturing a scope of 50,000 variables', HANG, () => {
    for (const loop of [
      'loop { let f = || 1; print(""); }',
      'let f = |x| x; loop { f.call(1); print(""); }',
    ]) {
      const r = run(`${VARS}\n${loop}`);
      assert.equal(r.diagnostics.length, 1, loop);
      assert.match(r.diagnostics[0].message, /^operation limit exceeded/, loop);
      assert.ok(r.output.length < 10_000, `${r.output.length} passes of ${loop}`);
    }
  });

  test('no "did you mean" search for very long names', HANG, () => {
    const long = 'a'.repeat(200_000);
    for (const [src, code] of [
      [`let ${long}b = 1; ${long}c`, 'E_UNKNOWN_VARIABLE'],
      [`fn ${long}b() { 1 } ${long}c()`, 'E_UNKNOWN_FUNCTION'],
      [`const ${long}b = 1; fn f() { global::${long}c } f()`, 'E_UNKNOWN_VARIABLE'],
    ]) {
      const r = run(src);
      assert.equal(r.diagnostics.length, 1);
      assert.equal(r.diagnostics[0].code, code);
      assert.equal(r.diagnostics[0].suggestions, undefined);
    }
    // typos still get suggestions
    assert.deepEqual(run('let counter = 1; countr').diagnostics[0].suggestions, ['counter']);
    assert.deepEqual(run('fn launch() {} lanch()').diagnostics[0].suggestions, ['launch']);
  });

  test('a loop of caught unknown-name errors among 15,000 similar names is charged', HANG, () => {
    const names = lines(15_000, (i) => `let name_${i}_${'x'.repeat(40)} = ${i};`);
    const r = run(`${names}\nloop { try { name_${'x'.repeat(40)} } catch { print(""); } }`);
    assert.equal(r.diagnostics.length, 1);
    assert.match(r.diagnostics[0].message, /^operation limit exceeded/);
    assert.ok(r.output.length < 1000, String(r.output.length));
  });
});
