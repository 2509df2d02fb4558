import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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

describe('operations', () => {
  test('an infinite loop stops quickly with a clear message', () => {
    const t0 = performance.now();
    const d = limitError('let x = 0;\nloop {}');
    const ms = performance.now() - t0;
    assert.equal(d.message, 'operation limit exceeded (1000000 operations): does the script loop forever?');
    assert.equal(`${d.span.line}:${d.span.column}`, '2:1');
    assert.ok(ms < 1000, `took ${ms} ms`);
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
    const t0 = performance.now();
    const d = limitError('let a = [1, 2, 3, 4]; loop { a.push(a); }');
    assert.ok(performance.now() - t0 < 3000);
    assert.ok(['E_LIMIT'].includes(d.code));
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
