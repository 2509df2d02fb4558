import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Diagnostic } from '../../src/dsl/diagnostics.ts';
import { ScriptError, formatDiagnostic, suggest } from '../../src/dsl/diagnostics.ts';
import type { CallContext, HostFunction, InterpreterOptions, RunResult } from '../../src/dsl/interpreter.ts';
import { Interpreter } from '../../src/dsl/interpreter.ts';
import { parse } from '../../src/dsl/parser.ts';
import type { HostObject, Value } from '../../src/dsl/values.ts';
import {
  Char,
  FnPtr,
  UNIT,
  expectArray,
  expectBool,
  expectHostObject,
  expectInt,
  expectMap,
  expectNumber,
  expectString,
  int,
  toDebugString,
  typeName,
} from '../../src/dsl/values.ts';

function run(src: string, opts?: InterpreterOptions): RunResult {
  return new Interpreter(opts).runSource(src, 'main.rhai');
}

/** Output lines of a script that must succeed. */
function out(src: string, opts?: InterpreterOptions): string[] {
  const r = run(src, opts);
  assert.deepEqual(
    r.diagnostics.map((d) => formatDiagnostic(d, src)),
    [],
  );
  return r.output;
}

/** debug text of the value of a script that must succeed */
function val(src: string, opts?: InterpreterOptions): string {
  const r = run(src, opts);
  assert.deepEqual(
    r.diagnostics.map((d) => formatDiagnostic(d, src)),
    [],
  );
  return toDebugString(r.value);
}

/** The one diagnostic of a failing script. */
function fail(src: string, opts?: InterpreterOptions): Diagnostic {
  const r = run(src, opts);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(
    errors.length,
    1,
    `one error expected, got: ${r.diagnostics.map((d) => d.message).join('; ')}`,
  );
  return errors[0];
}

function where(d: Diagnostic): string {
  return `${d.code} ${d.span.line}:${d.span.column} ${d.message}`;
}

describe('literals and types', () => {
  const cases: [string, string, string][] = [
    ['42', '42', 'i64'],
    ['0xff', '255', 'i64'],
    ['0o17', '15', 'i64'],
    ['0b101', '5', 'i64'],
    ['1_000', '1000', 'i64'],
    ['1.5', '1.5', 'f64'],
    ['1e3', '1000.0', 'f64'],
    ['true', 'true', 'bool'],
    ['()', '()', '()'],
    ['"a\\tb"', '"a\\tb"', 'string'],
    ["'x'", "'x'", 'char'],
    ['`sum ${1 + 2}`', '"sum 3"', 'string'],
    ['[1, "a", [2]]', '[1, "a", [2]]', 'array'],
    ['#{b: 1, "a c": [2]}', '#{"a c": [2], "b": 1}', 'map'],
    ['1..3', '1..3', 'range'],
    ['1..=3', '1..=3', 'range='],
    ['|x| x', 'Fn(<closure>)', 'Fn'],
  ];
  for (const [src, shown, type] of cases) {
    test(`${src} is ${shown}: ${type}`, () => {
      assert.equal(val(src), shown);
      assert.equal(val(`type_of(${src})`), JSON.stringify(type));
    });
  }

  test('escapes reach the value', () => {
    assert.deepEqual(out("print(\"tab\\there\\u{41}\\x42\\n\"); print('\\'');"), ['tab\thereAB\n', "'"]);
  });

  test('print shows strings bare and () as nothing; debug shows quotes', () => {
    assert.deepEqual(
      out('print("s"); print(()); print(1.0); print([1.5, "x", \'c\']); debug("s"); debug(())'),
      ['s', '', '1.0', '[1.5, "x", \'c\']', '"s"', '()'],
    );
  });
});

describe('numbers', () => {
  test('integer division truncates toward zero, remainder keeps the sign of the dividend', () => {
    assert.equal(val('[7 / 2, -7 / 2, 7 % 3, -7 % 3, 7 % -3]'), '[3, -3, 1, -1, 1]');
  });

  test('mixed int/float arithmetic gives floats', () => {
    assert.equal(
      val('[1 + 0.5, 3 / 2.0, 2 * 1.5, 2 ** 0.5 > 1.41, 1 == 1.0, 2 > 1.5]'),
      '[1.5, 1.5, 3.0, true, true, true]',
    );
    assert.equal(val('type_of(1 + 1.0)'), '"f64"');
  });

  test('powers, shifts, bit operations', () => {
    assert.equal(
      val('[2 ** 10, 2 ** 3 ** 2, 1 << 4, 256 >> 2, -16 >> 2, 1 << -1, 6 & 3, 6 | 3, 6 ^ 3]'),
      '[1024, 512, 16, 64, -4, 0, 2, 7, 5]',
    );
    assert.equal(val('[true & false, true | false, true ^ true]'), '[false, true, false]');
  });

  test('precedence at run time', () => {
    assert.equal(val('1 + 2 * 3 - 4 / 2'), '5');
    assert.equal(val('2 + 3 == 5 && !false'), 'true');
    assert.equal(val('-2 ** 2'), '4');
    assert.equal(val('1 << 2 ** 2'), '16');
  });

  test('overflow and division by zero are errors', () => {
    assert.equal(
      where(fail('let x = 9223372036854775807;\nx + 1')),
      'E_ARITH 2:1 integer overflow: 9223372036854775807 + 1 does not fit in i64',
    );
    assert.equal(fail('-9223372036854775808 - 1').code, 'E_ARITH');
    assert.equal(fail('3037000500 * 3037000500').code, 'E_ARITH');
    assert.equal(fail('2 ** 64').code, 'E_ARITH');
    assert.equal(fail('abs(-9223372036854775808)').code, 'E_ARITH');
    assert.equal(where(fail('1 / 0')), 'E_ARITH 1:1 division by zero: 1 / 0');
    assert.equal(fail('1 % 0').code, 'E_ARITH');
    assert.equal(fail('1.0 / 0').code, 'E_ARITH');
    assert.equal(fail('2 ** -1').code, 'E_ARITH');
    assert.equal(val('2.0 ** -1'), '0.5');
  });

  test('type errors name both types', () => {
    assert.equal(where(fail('1 + true')), 'E_TYPE 1:1 cannot add i64 and bool');
    assert.equal(where(fail('"a" < 1')), "E_TYPE 1:1 cannot compare string with i64 using '<'");
    assert.equal(where(fail('!1')), "E_TYPE 1:1 '!' needs a bool, got i64");
    assert.equal(where(fail('1 && true')), "E_TYPE 1:1 '&&' needs bool operands, got i64");
  });

  test('conversions', () => {
    assert.equal(
      val(
        '[to_int(3.9), to_int(-3.9), to_float(2), parse_int("42"), parse_int(" -7 "), parse_int("ff", 16), parse_float("2.5e1"), to_int(\'A\')]',
      ),
      '[3, -3, 2.0, 42, -7, 255, 25.0, 65]',
    );
    assert.equal(where(fail('parse_int("4x2")')), "E_VALUE 1:11 parse_int(): '4x2' is not a valid integer");
    assert.equal(
      val('[abs(-3), abs(-2.5), min(3, 1), max(2, 7.5), min("b", "a"), sign(-4), floor(2.7), round(2.5)]'),
      '[3, 2.5, 1, 7.5, "a", -1, 2.0, 3.0]',
    );
  });
});

describe('strings', () => {
  test('+ with a string on either side converts the other side', () => {
    assert.deepEqual(
      out(
        'print("n=" + 1); print(1 + "x"); print("f" + 1.5); print("b" + true); print("a" + \'c\'); print("u" + ()); print(\'a\' + \'b\'); print("l" + [1, "x"])',
      ),
      ['n=1', '1x', 'f1.5', 'btrue', 'ac', 'u', 'ab', 'l[1, "x"]'],
    );
  });

  test('indexing by character, negative from the end', () => {
    assert.equal(val('let s = "héllo"; [s[1], s[-1], s.len(), len(s)]'), "['é', 'o', 5, 5]");
    assert.equal(val('let s = "abc"; s[1] = \'X\'; s'), '"aXc"');
  });

  test('string functions with Rhai names and argument order', () => {
    const src = `
      let s = "  Hello, World  ";
      s.trim();
      [s, s.to_upper(), s.to_lower(), s.contains("World"), s.contains('H'), s.index_of("o"), s.index_of('o', 5),
       s.starts_with("He"), s.ends_with("ld"), s.sub_string(7), s.sub_string(0, 5), s.sub_string(-5, 3),
       s.sub_string(1..3), "a,b,,c".split(","), "a b  c".split(), "k=v=w".split("=", 2), "abc".split(1),
       "abc".chars(), "".is_empty(), to_string(12), "x".to_upper()]`;
    assert.equal(
      val(src),
      '["Hello, World", "HELLO, WORLD", "hello, world", true, true, 4, 8, true, true, "World", "Hello", "Wor", "el", ["a", "b", "", "c"], ["a", "b", "c"], ["k", "v=w"], ["a", "bc"], [\'a\', \'b\', \'c\'], true, "12", "X"]',
    );
  });

  test('in-place string functions modify the variable (method and function style)', () => {
    assert.equal(val('let s = "aXbX"; s.replace("X", "-"); s'), '"a-b-"');
    assert.equal(val('let s = "ab"; s.pad(5, \'.\'); s'), '"ab..."');
    assert.equal(val('let s = "ab"; pad(s, 4, "xy"); s'), '"abxy"');
    assert.equal(val('let s = "hello"; s.truncate(2); s.make_upper(); s'), '"HE"');
    assert.equal(val('let s = "abc"; let c = s.pop(); [s, c]'), '["ab", \'c\']');
    assert.equal(val('let s = "  x  "; let r = s.trim(); [r, s]'), '[(), "x"]');
  });

  test('a for loop iterates over characters', () => {
    assert.deepEqual(out('for c in "ab" { print(type_of(c) + ":" + c) }'), ['char:a', 'char:b']);
  });

  test('interpolation of any value', () => {
    assert.deepEqual(out('let m = #{a: [1]}; print(`m=${m} a=${m.a[0] + 1} ${()}|`)'), [
      'm=#{"a": [1]} a=2 |',
    ]);
  });
});

describe('arrays and maps', () => {
  test('nested index assignment and negative indices', () => {
    assert.equal(
      val('let a = [[1, 2], [3, 4]]; a[1][0] = 30; a[-1][-1] += 10; a[0] = [0]; a'),
      '[[0], [30, 14]]',
    );
    assert.equal(
      val('let m = #{a: #{b: [1, 2]}}; m.a.b[1] = 20; m["a"].c = "x"; m.a["d"] = (); m'),
      '#{"a": #{"b": [1, 20], "c": "x", "d": ()}}',
    );
  });

  test('maps: missing property is (), keys and values in key order', () => {
    assert.equal(
      val(
        'let m = #{z: 1, a: 2}; [m.missing, m["z"], m.keys(), m.values(), m.len(), "a" in m, m.contains("q")]',
      ),
      '[(), 1, ["a", "z"], [2, 1], 2, true, false]',
    );
  });

  test('arrays and maps are values: assignment and arguments copy', () => {
    assert.equal(val('let a = [1]; let b = a; b.push(2); [a, b]'), '[[1], [1, 2]]');
    assert.equal(val('fn f(x) { x.push(9); x } let a = [1]; let b = f(a); [a, b]'), '[[1], [1, 9]]');
    assert.equal(val('let m = #{a: [1]}; let l = m.a; l.push(2); m'), '#{"a": [1]}');
    assert.equal(val('let a = [[1]]; let b = []; b.push(a[0]); b[0].push(2); a'), '[[1]]');
  });

  test('+ concatenates arrays and merges maps; == compares deeply', () => {
    assert.equal(val('[1] + [2, 3]'), '[1, 2, 3]');
    assert.equal(val('#{a: 1, b: 2} + #{b: 3}'), '#{"a": 1, "b": 3}');
    assert.equal(val('let a = [1]; a += 2; a += [3, 4]; a'), '[1, 2, 3, 4]');
    assert.equal(
      val('[[1, #{a: 2}] == [[1, #{a: 2}]], [1] != [1.0], #{a: 1} == #{a: 2}, [1] == [1, 2]]'),
      '[false, false, false, false]',
    );
    assert.equal(val('[[1, #{a: 2}] == [1, #{a: 2}], [1, 2] == [1, 2]]'), '[true, true]');
  });

  test('array functions', () => {
    const src = `
      let a = [3, 1, 2];
      a.push(4); a.insert(0, 0); a.insert(-1, 9);
      let popped = a.pop(); let shifted = a.shift(); let removed = a.remove(1);
      let info = [a, popped, shifted, removed, a.len(), a.is_empty(), a.contains(3), 9 in a, a.index_of(2), a.index_of(7)];
      a.reverse(); let rev = a; a.sort(); let b = [5, 6]; b.pad(4, 0); b.clear();
      info + [rev, a, b, [1, 1, 2, 1].dedup_copy()]`;
    assert.equal(
      val(src.replace('[1, 1, 2, 1].dedup_copy()', '{ let d = [1, 1, 2, 1]; d.dedup(); d }')),
      '[[3, 2, 9], 4, 0, 1, 3, false, true, true, 1, -1, [9, 2, 3], [2, 3, 9], [], [1, 2, 1]]',
    );
    assert.equal(
      val(
        'let a = [1, 2, 3, 4, 5]; [a.extract(1, 2), a.extract(-2), a.extract(1..=2), a.get(-1), a.get(10)]',
      ),
      '[[2, 3], [4, 5], [2, 3], 5, ()]',
    );
    assert.equal(val('let a = [1, 2, 3, 4]; let t = a.split(2); a.truncate(1); [a, t]'), '[[1], [3, 4]]');
    assert.equal(val('let a = ["b", "a"]; a.sort(); a'), '["a", "b"]');
    assert.equal(
      where(fail('let a = [1, "x"]; a.sort()')),
      'E_TYPE 1:19 sort(): all elements must have the same type to be sorted (found i64 and string)',
    );
  });

  test('indexing errors', () => {
    assert.equal(
      where(fail('let a = [1, 2];\na[2]')),
      'E_INDEX 2:3 array index 2 is out of bounds (the array has 2 elements)',
    );
    assert.equal(
      where(fail('let a = [1]; a["x"]')),
      'E_TYPE 1:16 array index must be an integer, got string',
    );
    assert.equal(
      where(fail('let m = #{}; m[1]')),
      'E_TYPE 1:16 object map keys are strings; cannot index a map with i64',
    );
    assert.equal(where(fail('let x = 5; x[0]')), 'E_TYPE 1:12 cannot index into i64');
    assert.equal(
      where(fail('let a = []; a[0] = 1;')),
      'E_INDEX 1:15 array index 0 is out of bounds (the array has 0 elements)',
    );
  });

  test('ranges', () => {
    assert.equal(
      val('[3 in 1..5, 5 in 1..5, 5 in 1..=5, range(0, 3).contains(2)]'),
      '[true, false, true, true]',
    );
  });
});

describe('control flow', () => {
  test('if/else if/else as statement and expression', () => {
    const src =
      'fn c(x) { if x < 0 { "neg" } else if x == 0 { "zero" } else { "pos" } } [c(-1), c(0), c(5), if false { 1 }]';
    assert.equal(val(src), '["neg", "zero", "pos", ()]');
  });

  test('while, loop, do-while, do-until with break and continue', () => {
    const src = `
      let log = [];
      let i = 0;
      while i < 10 { i += 1; if i % 2 == 0 { continue; } if i > 7 { break; } log.push(i); }
      let j = 0;
      loop { j += 1; if j == 3 { continue; } if j >= 5 { break; } log.push(j * 10); }
      let k = 0;
      do { k += 1; } while k < 3;
      do { k += 100; } until true;
      log.push(k);
      let v = loop { break 42; };
      log + [v]`;
    assert.equal(
      val(src.replace('let v = loop { break 42; };', 'let v = { loop { break 42; } };')),
      '[1, 3, 5, 7, 10, 20, 40, 103, 42]',
    );
  });

  test('for over arrays, ranges (with step), strings, and the indexed form', () => {
    const src = `
      let r = [];
      for x in [10, 20] { r.push(x) }
      for i in 0..3 { r.push(i) }
      for i in 1..=2 { r.push(i * 100) }
      for i in range(10, 0, -4) { r.push(i) }
      for (x, i) in ["a", "b"] { r.push(x + i) }
      for i in 0..10 { if i == 1 { continue } if i == 3 { break } r.push(-i) }
      r`;
    assert.equal(val(src), '[10, 20, 0, 1, 2, 100, 200, 10, 6, 2, "a0", "b1", 0, -2]');
    assert.equal(where(fail('for x in #{a: 1} {}')), 'E_TYPE 1:10 cannot iterate over map');
  });

  test('break/continue/return through expression blocks', () => {
    assert.equal(
      val('let s = 0; for i in 0..10 { let x = if i == 5 { break; } else { i }; s += x; } s'),
      '10',
    );
    assert.equal(
      val('fn f(a) { let v = switch a { 1 => { return "early"; }, _ => "late" }; v } [f(1), f(2)]'),
      '["early", "late"]',
    );
  });

  test('conditions must be bool', () => {
    assert.equal(where(fail('while 1 {}')), "E_TYPE 1:7 the 'while' condition must be a bool, got i64");
  });

  test('switch: values, alternatives, ranges, guards, default, value of the switch', () => {
    const src = `
      fn k(x) {
        switch x {
          0 => "zero",
          1 | 2 => "small",
          3..10 => "range",
          10..=20 if x % 2 == 0 => "even teen",
          10..=20 => { let t = "odd"; t + " teen" }
          "s" => "string",
          'c' => "char",
          true => "bool",
          _ => "other"
        }
      }
      [k(0), k(2), k(5), k(12), k(13), k("s"), k('c'), k(true), k(1.0), k(99)]`;
    assert.equal(
      val(src),
      '["zero", "small", "range", "even teen", "odd teen", "string", "char", "bool", "other", "other"]',
    );
    assert.equal(val('switch 5 { 1 => 1 }'), '()');
    // An exact value wins over an earlier range.
    assert.equal(val('switch 5 { 0..10 => "range", 5 => "exact" }'), '"exact"');
  });

  test('try/catch and throw', () => {
    assert.equal(val('try { throw "bad"; } catch (e) { "caught " + e }'), '"caught bad"');
    assert.equal(val('try { 1 / 0 } catch (e) { e }'), '"division by zero: 1 / 0"');
    assert.equal(val('try { throw #{code: 7}; } catch (e) { e.code }'), '7');
    const d = fail('fn f() { throw "oops"; }\nf();');
    assert.equal(where(d), 'E_THROW 1:10 oops');
  });

  test('top-level return ends the script with a value', () => {
    assert.deepEqual(run('print(1); return 5; print(2);').output, ['1']);
    assert.equal(val('return 5; 6'), '5');
  });
});

describe('functions', () => {
  test('hoisting, recursion and overloading by arity', () => {
    const src = `
      let a = fib(20);
      fn fib(n) { if n < 2 { return n; } fib(n - 1) + fib(n - 2) }
      fn f() { "none" }
      fn f(x) { "one" }
      fn f(x, y) { "two" }
      [a, f(), f(1), f(1, 2), is_def_fn("fib", 1), is_def_fn("fib", 2)]`;
    assert.equal(val(src), '[6765, "none", "one", "two", true, false]');
  });

  test('functions are pure: outer variables are invisible, global constants via global::', () => {
    const d = fail('let total = 5;\nfn f(a) { a + total }\nf(1)');
    assert.equal(where(d), "E_UNKNOWN_VARIABLE 2:15 unknown variable 'total'");
    assert.match(d.hint ?? '', /only see their parameters/);
    assert.deepEqual(d.related, [{ message: "in call to 'f' at 3:1", span: d.related?.[0].span }]);
    assert.equal(val('const LIMIT = 10;\nfn f(a) { a * global::LIMIT }\nf(2)'), '20');
    const plain = fail('const LIMIT = 10;\nfn f() { LIMIT }\nf()');
    assert.equal(plain.message, "unknown variable 'LIMIT'");
    assert.equal(
      plain.hint,
      "functions cannot see variables outside them; read the global constant as 'global::LIMIT'",
    );
    assert.equal(fail('fn f() { global::NOPE }\nf()').message, "unknown global constant 'global::NOPE'");
    // Constants inside blocks are not global.
    assert.equal(fail('{ const INNER = 1; }\nfn f() { global::INNER }\nf()').code, 'E_UNKNOWN_VARIABLE');
  });

  test('arguments are passed by value', () => {
    assert.equal(val('fn inc(x) { x += 1; x } let a = 1; let b = inc(a); [a, b]'), '[1, 2]');
  });

  test('method-call syntax: built-ins and script functions; this binding', () => {
    const src = `
      fn double(x) { x * 2 }
      fn bump() { this += 1; }
      fn describe() { "I am " + this }
      let n = 5;
      n.bump();
      n.bump();
      [3.double(), double(4), n, "x".describe(), [1, 2].len(), "abc".len, [1].len]`;
    assert.equal(val(src), '[6, 8, 7, "I am x", 2, 3, 1]');
    assert.equal(where(fail('fn f() { this }\nf()')), "E_UNKNOWN_VARIABLE 1:10 'this' is not bound here");
  });

  test('in-place built-ins modify a variable in function-call style too (Rhai), a constant only by copy', () => {
    assert.equal(val('let a = [1]; push(a, 2); a'), '[1, 2]');
    assert.equal(val('const A = [1]; push(A, 2); A'), '[1]');
    assert.equal(
      where(fail('const A = [1];\nA.push(2);')),
      "E_CONST_ASSIGN 2:1 cannot call 'push' on constant 'A': it would modify it",
    );
    assert.equal(val('const A = [3, 1]; A.len() + A.index_of(1)'), '3');
  });

  test('constants cannot be assigned, shadowing is allowed', () => {
    assert.equal(where(fail('const X = 1;\nX = 2;')), "E_CONST_ASSIGN 2:1 cannot assign to constant 'X'");
    assert.equal(
      where(fail('const M = #{a: 1};\nM.a = 2;')),
      "E_CONST_ASSIGN 2:1 cannot assign to constant 'M'",
    );
    assert.equal(val('const X = 1; let X = X + 1; X'), '2');
    assert.equal(val('let x = 1; { let x = 2; } x'), '1');
  });

  test('closures: capture, map/filter/reduce/sort/for_each/call/curry', () => {
    const src = `
      let k = 10;
      let add = |x| x + k;
      let nums = [3, 1, 2];
      let sorted = nums; sorted.sort(|a, b| b - a);
      let seen = [];
      nums.for_each(|v, i| seen.push(v * 100 + i));
      let counter = 0;
      let incr = || { counter += 1; };
      incr.call(); incr.call();
      [add.call(1), add(2), nums.map(add), nums.map(|v, i| v * i), nums.filter(|v| v > 1),
       nums.reduce(|acc, v| (acc ?? 0) + v), nums.reduce(|acc, v| acc + v, 100), sorted,
       nums.some(|v| v > 2), nums.all(|v| v > 2), nums.find(|v| v < 3), seen, counter,
       Fn("max").curry(5).call(3), call(|a, b| a * b, 6, 7)]`;
    assert.equal(
      val(src),
      '[11, 12, [13, 11, 12], [0, 1, 4], [3, 2], 6, 106, [3, 2, 1], true, false, 1, [300, 101, 202], 2, 5, 42]',
    );
    assert.equal(val('fn sq(x) { x * x } [1, 2].map("sq")'), '[1, 4]');
    assert.equal(
      where(fail('let f = |a| a; f(1, 2)')),
      'E_ARITY 1:16 the closure expects 1 argument, but 2 were given',
    );
  });

  test('a map holding functions works like an object with this', () => {
    assert.equal(val('let o = #{n: 1, inc: |d| { this.n += d; }}; o.inc(5); o.n'), '6');
  });

  test('errors inside functions carry the call chain', () => {
    const src = 'fn a(x) { b(x) }\nfn b(y) { y / 0 }\nlet r = a(1);';
    const d = fail(src);
    assert.equal(where(d), 'E_ARITH 2:11 division by zero: 1 / 0');
    assert.deepEqual(
      d.related?.map((r) => r.message),
      ["in call to 'b' at 1:11", "in call to 'a' at 3:9"],
    );
    assert.equal(
      formatDiagnostic(d, src),
      [
        'main.rhai:2:11: error: division by zero: 1 / 0',
        ' 2 | fn b(y) { y / 0 }',
        '   |           ^^^^^',
        "  = note: in call to 'b' at 1:11",
        "  = note: in call to 'a' at 3:9",
      ].join('\n'),
    );
  });

  test('wrong arity and unknown names get precise messages and suggestions', () => {
    assert.equal(where(fail('fn f(a, b) {} f(1)')), "E_ARITY 1:15 'f' expects 2 arguments, but 1 was given");
    const unknownFn = fail('fn render_key(k) { k }\nrendr_key(1)');
    assert.equal(where(unknownFn), "E_UNKNOWN_FUNCTION 2:1 unknown function 'rendr_key'");
    assert.deepEqual(unknownFn.suggestions, ['render_key']);
    const unknownVar = fail('let counter = 1;\nlet count2 = 2;\nprint(countr);');
    assert.equal(where(unknownVar), "E_UNKNOWN_VARIABLE 3:7 unknown variable 'countr'");
    assert.deepEqual(unknownVar.suggestions, ['count2', 'counter']);
    const method = fail('[1].lenn()');
    assert.equal(method.message, "unknown method 'lenn' for array");
    assert.deepEqual(method.suggestions, ['len']);
    assert.equal(
      where(fail('"x".to_upper(1)')),
      "E_ARITY 1:1 'to_upper' expects 0 arguments, but 1 (plus the value before '.') were given",
    );
    assert.equal(fail('to_upper(1)').message, "'to_upper' is not defined for (i64)");
    assert.equal(fail('to_upper(1)').hint, 'it takes: to_upper(string), to_upper(char)');
    assert.equal(fail('let x = 1; x(2)').message, "'x' is a variable holding i64, not a function");
  });
});

describe('host functions', () => {
  function recorder(): { calls: string[]; fns: HostFunction[] } {
    const calls: string[] = [];
    const fns: HostFunction[] = [
      {
        name: 'map',
        params: 2,
        call(args, ctx) {
          const from = expectString(args, 0, 'map', ctx);
          const to = expectString(args, 1, 'map', ctx);
          if (to === 'Nope')
            throw new ScriptError(`unknown key '${to}'`, ctx.argSpans[1], { suggestions: ['No'] });
          calls.push(`${from}->${to}@${ctx.span.line}:${ctx.span.column}`);
        },
      },
      {
        name: 'tap_hold',
        params: [2, 3],
        call(args, ctx) {
          const ms = args.length > 2 ? expectInt(args, 2, 'tap_hold', ctx) : 200;
          calls.push(
            `th ${expectString(args, 0, 'tap_hold', ctx)} ${expectString(args, 1, 'tap_hold', ctx)} ${ms}`,
          );
          return int(ms);
        },
      },
    ];
    return { calls, fns };
  }

  test('arguments, spans, return values', () => {
    const { calls, fns } = recorder();
    const r = run(
      'map("A", "B");\nlet k = "C"; k.map("D");\nlet t = tap_hold("X", "Y") + tap_hold("X", "Y", 50);',
      { hostFunctions: fns },
    );
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(calls, ['A->B@1:1', 'C->D@2:14', 'th X Y 200', 'th X Y 50']);
  });

  test('ScriptError thrown at argSpans[1] becomes the diagnostic (default code E_HOST)', () => {
    const { fns } = recorder();
    const src = 'let a = 1;\nmap("A",   "Nope");';
    const d = fail(src, { hostFunctions: fns });
    assert.equal(where(d), "E_HOST 2:12 unknown key 'Nope'");
    assert.deepEqual(d.suggestions, ['No']);
    assert.equal(
      formatDiagnostic(d, src),
      [
        "main.rhai:2:12: error: unknown key 'Nope'",
        ' 2 | map("A",   "Nope");',
        '   |            ^^^^^^',
        '  = did you mean: No?',
      ].join('\n'),
    );
  });

  test('argument helpers produce typed messages at the argument', () => {
    const { fns } = recorder();
    const d = fail('map("A", 5)', { hostFunctions: fns });
    assert.equal(where(d), 'E_TYPE 1:10 map(): argument 2 must be a string, got i64');
    const ctx = { span: d.span, argSpans: [d.span] };
    assert.throws(() => expectInt([1.5], 0, 'f', ctx), /f\(\): argument 1 must be an integer, got f64/);
    assert.throws(() => expectBool(['x'], 0, 'f', ctx), /must be a bool \(true or false\), got string/);
    assert.throws(() => expectArray([UNIT], 0, 'f', ctx), /must be an array, got \(\)/);
    assert.throws(() => expectMap([[]], 0, 'f', ctx), /must be an object map, got array/);
    assert.throws(() => expectString([], 0, 'f', ctx), /f\(\): missing argument 1/);
    assert.equal(expectString([new Char('x')], 0, 'f', ctx), 'x');
    assert.equal(expectNumber([3n], 0, 'f', ctx), 3);
    assert.equal(typeName(new Map()), 'map');
  });

  test('wrong arity for a host function', () => {
    const { fns } = recorder();
    assert.equal(
      where(fail('map("A")', { hostFunctions: fns })),
      "E_ARITY 1:1 'map' expects 2 arguments, but 1 was given",
    );
    assert.equal(
      fail('tap_hold(1, 2, 3, 4)', { hostFunctions: fns }).message,
      "'tap_hold' expects 2 or 3 arguments, but 4 were given",
    );
  });

  test('script functions override host functions of the same name and arity (Rhai order)', () => {
    const { calls, fns } = recorder();
    const r = run('fn map(a, b) { "script" } map("A", "B")', { hostFunctions: fns });
    assert.equal(r.value, 'script');
    assert.deepEqual(calls, []);
  });

  test('typed built-ins keep working next to an untyped host function of the same name', () => {
    const { calls, fns } = recorder();
    const r = run('map("A", "B"); [1, 2].map(|x| x + 1)', { hostFunctions: fns });
    assert.deepEqual(r.diagnostics, []);
    assert.equal(toDebugString(r.value), '[2, 3]');
    assert.deepEqual(calls, ['A->B@1:1']);
  });

  test('host functions get private copies of arrays; host objects pass through', () => {
    let kept: Value[] = [];
    class Device implements HostObject {
      readonly hostType = 'Device';
      constructor(readonly id: string) {}
      toDisplayString(): string {
        return `Device(${this.id})`;
      }
      getProperty(name: string): Value | undefined {
        return name === 'id' ? this.id : undefined;
      }
    }
    const fns: HostFunction[] = [
      {
        name: 'keep',
        params: 1,
        call(args, ctx) {
          kept = expectArray(args, 0, 'keep', ctx);
        },
      },
      { name: 'device', params: 1, call: (args, ctx) => new Device(expectString(args, 0, 'device', ctx)) },
      {
        name: 'dev_id',
        params: 1,
        call: (args, ctx) => expectHostObject<Device>(args, 0, 'Device', 'dev_id', ctx).id,
      },
    ];
    const r = run(
      'let a = [1]; keep(a); a.push(2); let d = device("kb"); [type_of(d), d.dev_id(), d.id, `${d}`]',
      { hostFunctions: fns },
    );
    assert.deepEqual(r.diagnostics, []);
    assert.equal(toDebugString(kept), '[1]');
    assert.equal(toDebugString(r.value), '["Device", "kb", "kb", "Device(kb)"]');
  });

  test('host errors of other kinds are contained', () => {
    const fns: HostFunction[] = [
      {
        name: 'boom',
        params: 0,
        call() {
          throw new Error('kaput');
        },
      },
      { name: 'bad', params: 0, call: () => ({}) as unknown as Value },
    ];
    assert.equal(where(fail('boom()', { hostFunctions: fns })), 'E_HOST 1:1 boom() failed: kaput');
    assert.equal(
      fail('bad()', { hostFunctions: fns }).message,
      'bad() returned a value the script cannot use (object)',
    );
  });

  test('a host can call back script closures', () => {
    const fns: HostFunction[] = [
      {
        name: 'twice',
        params: 1,
        call(args, ctx: CallContext) {
          const fp = args[0] as FnPtr;
          const once = ctx.interpreter.callFunction(fp, [int(1)]);
          return ctx.interpreter.callFunction(fp, [once]);
        },
      },
    ];
    assert.equal(run('let k = 5; twice(|x| x + k)', { hostFunctions: fns }).value, 11n);
  });

  test('runNested: fresh scope, same budget, inner spans, ctx.file', () => {
    const files: Record<string, string> = {
      'lib.rhai':
        'let inner = 1;\nfn helper() { 2 }\nprint("lib " + helper());\nlet i = 0; while i < 50 { i += 1; }',
      'bad.rhai': 'let z = 1;\nz.no_such();',
    };
    const seenFiles: string[] = [];
    let interp: Interpreter;
    const load: HostFunction = {
      name: 'load',
      params: 1,
      call(args, ctx) {
        const name = expectString(args, 0, 'load', ctx);
        seenFiles.push(ctx.file);
        const parsed = parse(files[name], name);
        assert.deepEqual(parsed.diagnostics, []);
        ctx.interpreter.runNested(parsed.program, name);
      },
    };
    interp = new Interpreter({ hostFunctions: [load] });
    const main = 'let outer = 1;\nload("lib.rhai");\nprint(is_def_var("inner"));';
    const alone = new Interpreter().runSource(files['lib.rhai'], 'lib.rhai').operations;
    const r = interp.runSource(main, 'main.rhai');
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.output, ['lib 2', 'false']);
    assert.deepEqual(seenFiles, ['main.rhai']);
    assert.ok(r.operations > alone, `${r.operations} should include the ${alone} operations of lib.rhai`);

    // The inner file's error keeps its own span, with a note where it was loaded.
    interp = new Interpreter({ hostFunctions: [load] });
    const bad = interp.runSource('let a = 1;\nload("bad.rhai");', 'main.rhai');
    assert.equal(bad.diagnostics.length, 1);
    const d = bad.diagnostics[0];
    assert.equal(
      `${d.span.file}:${d.span.line}:${d.span.column} ${d.message}`,
      "bad.rhai:2:3 unknown method 'no_such' for i64",
    );
    assert.deepEqual(
      d.related?.map((x) => x.message),
      ["in call to 'load' at main.rhai:2:1"],
    );
  });
});

describe('misc', () => {
  test('suggest(): case-insensitive, distance ≤ 3, closest first', () => {
    assert.deepEqual(suggest('Countr', ['counter', 'count', 'xyz', 'COUNTER']), [
      'COUNTER',
      'count',
      'counter',
    ]);
    assert.deepEqual(suggest('abc', ['abc', 'xyzw']), []);
    assert.deepEqual(suggest('mapp', ['map', 'tap', 'maps', 'help'], 2), ['map', 'maps']);
  });

  test('print output is collected and also streamed to onOutput', () => {
    const seen: string[] = [];
    const r = run('print("a"); debug([1]); 1', { onOutput: (text, kind) => seen.push(`${kind}:${text}`) });
    assert.deepEqual(r.output, ['a', '[1]']);
    assert.deepEqual(seen, ['print:a', 'debug:[1]']);
  });

  test('an interpreter can be reused; each run starts fresh', () => {
    const interp = new Interpreter();
    const p = parse('let x = 1; print(x); x', 'a').program;
    const a = interp.run(p);
    const b = interp.run(p);
    assert.deepEqual([a.output, b.output, a.operations], [['1'], ['1'], b.operations]);
  });

  test('a 500-line script of mixed statements parses and runs', () => {
    const lines: string[] = [
      'const BASE = 3;',
      'fn weight(k, i) { (k.len() + i) % global::BASE }',
      'let keys = [];',
      'let table = #{};',
    ];
    for (let i = 0; lines.length < 500; i++) {
      switch (i % 8) {
        case 0:
          lines.push(`let k${i} = "key_${i}";`);
          break;
        case 1:
          lines.push(`keys.push(k${i - 1});`);
          break;
        case 2:
          lines.push(`table[k${i - 2}] = weight(k${i - 2}, ${i});`);
          break;
        case 3:
          lines.push(
            `if table[k${i - 3}] > 1 { keys.push("heavy"); } else if table[k${i - 3}] == 1 { keys.push("mid"); }`,
          );
          break;
        case 4:
          lines.push(`for j in 0..3 { if j == 1 { continue; } table["n${i}_" + j] = j * ${i}; }`);
          break;
        case 5:
          lines.push(`let s${i} = switch ${i} % 4 { 0 => "a", 1 | 2 => "b", _ => "c" };`);
          break;
        case 6:
          lines.push(`let c${i} = \`\${s${i - 1}}-\${keys.len()}\`; // a comment`);
          break;
        case 7:
          lines.push(`/* block */ let w${i} = [1, 2, 3].map(|x| x * ${i}).reduce(|a, b| (a ?? 0) + b);`);
          break;
      }
    }
    lines.push('print(keys.len() + table.len());');
    const src = lines.join('\n');
    assert.equal(src.split('\n').length, 501);
    const r = run(src);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.output.length, 1);
    assert.ok(r.operations > 1000);
  });
});
