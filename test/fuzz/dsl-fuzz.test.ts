/**
 * DSL fuzzing, short variant (the full run: `npm run test:fuzz`), and regression tests for what
 * the fuzzer found: single operations whose work grew with the data they touched, so that a
 * profile within its operation budget could still compile for minutes or hours.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closestNames, ALL_KEY_NAMES } from '../../src/core/index.ts';
import { compileProfile } from '../../src/dsl/compile.ts';
import { Interpreter } from '../../src/dsl/interpreter.ts';
import { failureReport, fuzzSeed, onlyCase, runInWorker } from './harness.ts';

test('fuzz: 2,500 DSL cases compile to a result or diagnostics, within budget, never throwing', async () => {
  const r = await runInWorker('dsl', { count: 2500, seed: fuzzSeed(), full: false, only: onlyCase() });
  assert.equal(r.failures.length, 0, failureReport(r));
});

/** Operations a script uses (it must end without error). */
function operations(src: string): number {
  const r = new Interpreter({ maxOperations: 50_000_000 }).runSource(src, 'main.rhai');
  assert.deepEqual(
    r.diagnostics.map((d) => d.message),
    [],
  );
  return r.operations;
}

/** The operations the statement `op` adds to a script that only sets up `prelude`. */
function cost(prelude: string, op: string): number {
  return operations(`${prelude}\n${op}`) - operations(prelude);
}

const BIG_STRING = 'let s = "ab"; for i in 0..18 { s += s; }'; // 524,288 characters
const BIG_ARRAY = 'let a = []; a.pad(99999, 1);';
const NESTED = 'let e = []; e.pad(1000, 1); let b = []; b.pad(1000, e); let x = e; x[999] = 2;';

test('a pass over a long string costs operations by its length', () => {
  // each of these once cost a single operation: in a loop, hours within the default budget
  for (const op of [
    'let t = s.len();',
    'let t = s[5];',
    "s[5] = 'x';",
    'let t = s.index_of("z");',
    'let t = s.sub_string(1, 2);',
    'let t = s.to_upper();',
    'let t = s.to_debug();',
    'let t = s.split(5);',
    'let c = s; c.pop();',
    'let c = s; c.truncate(5);',
    'for c in s { break; }',
    'let t = s < s + "x";',
    'let t = "zz" in s;',
  ])
    assert.ok(cost(BIG_STRING, op) >= 524_288 / 8, `${op}: ${cost(BIG_STRING, op)} operations`);
});

test('a pass over a long array costs operations by its length, building one stays linear', () => {
  for (const op of [
    'let t = a.contains(5);',
    'let t = 5 in a;',
    'let t = a.index_of(5);',
    'a.sort();',
    'a.reverse();',
    'a.insert(0, 1);',
    'let t = a.to_string();',
  ])
    assert.ok(cost(BIG_ARRAY, op) >= 99_999 / 16, `${op}: ${cost(BIG_ARRAY, op)} operations`);
  // comparing nested arrays costs what it compares
  assert.ok(cost(NESTED, 'let t = b.contains(x);') >= 1_000_000 / 16);
  assert.ok(cost(NESTED, 'let t = x in b;') >= 1_000_000 / 16);
  // constant-time calls stay cheap: 50,000 pushes and appends fit the default budget easily
  assert.ok(operations('let a = []; for i in 0..50000 { a.push(i); a.len(); a[i]; }') < 1_000_000);
  assert.ok(operations('let a = []; for i in 0..50000 { a.append([i]); }') < 1_000_000);
});

test('map copies cost by their entries', () => {
  const prelude = 'let m = #{}; for i in 0..20000 { m[`k${i}`] = i; }';
  assert.ok(cost(prelude, 'let t = m;') >= 20_000);
});

test('text of a value: interpolation and throw pay for it; no text beyond 16 MB is ever built', () => {
  assert.ok(cost(BIG_ARRAY, 'let t = `${a}`;') >= 99_999 / 16);
  assert.ok(cost(BIG_ARRAY, 'try { throw a; } catch {}') >= 99_999 / 16);
  // 2000 references to one 512 KB string: a gigabyte of text, once built in one operation
  const r = compileProfile(`${BIG_STRING} let b = []; b.pad(2000, s); let t = b.to_string();`);
  assert.match(r.diagnostics[0]?.message ?? '', /string length limit exceeded/);
  // printing it is refused at the string limit, before the gigabyte of text is built
  const r2 = compileProfile(`${BIG_STRING} let b = []; b.pad(2000, s); print(b);`);
  assert.match(r2.diagnostics[0]?.message ?? '', /string length limit exceeded/);
});

test('parse_int of a 524,288-digit text is an overflow error, not minutes of arithmetic', () => {
  // refused by the digit count before any arithmetic (once minutes of BigInt work)
  const r = compileProfile('let s = "9"; for i in 0..19 { s += s; } let t = s.parse_int();');
  assert.equal(r.diagnostics[0]?.message, 'integer overflow in parse_int()');
  // in range, unchanged
  assert.equal(
    new Interpreter().runSource('"-9223372036854775808".parse_int()', 'm.rhai').value,
    -9223372036854775808n,
  );
  assert.equal(
    new Interpreter().runSource('"7fffffffffffffff".parse_int(16)', 'm.rhai').value,
    9223372036854775807n,
  );
});

test('errors cost more than one operation: caught ones, and problems a built-in records', () => {
  const caught = operations('for i in 0..100 { try { undefined_fn(); } catch {} }');
  const plain = operations('for i in 0..100 { try { 1; } catch {} }');
  assert.ok(caught - plain >= 100 * 32, `${caught - plain}`);
  const recorded = compileProfile(
    'device_start("*"); for i in 0..100 { map("Nope", "VK_B"); } device_end();',
  );
  const fine = compileProfile('device_start("*"); for i in 0..100 { map("A", "VK_B"); } device_end();');
  assert.ok(recorded.operations - fine.operations >= 100 * 64, `${recorded.operations - fine.operations}`);
});

test('a megabyte-long key name: a clipped message, no search for similar names', () => {
  const one = compileProfile(`${BIG_STRING} device_start("*"); map(s, "VK_A"); device_end();`);
  assert.equal(one.diagnostics[0].code, 'E_UNKNOWN_KEY');
  assert.ok(one.diagnostics[0].message.length <= 501, `${one.diagnostics[0].message.length} characters`);
  assert.equal(one.diagnostics[0].suggestions, undefined);
  // in a loop until the budget runs out: it once took 9 s (a search per call), or hours (uncharged);
  // each call is charged, so the budget ends it after few calls
  const loop = compileProfile(
    `${BIG_STRING} device_start("*"); loop { map(s, "VK_A"); sequence("A", [s, s]); }`,
  );
  assert.ok(loop.diagnostics.some((d) => /operation limit exceeded/.test(d.message)));
  const calls = loop.diagnostics.filter((d) => d.code === 'E_UNKNOWN_KEY').length;
  assert.ok(calls < 1000, `${calls} calls before the budget ran out`);
  assert.deepEqual(closestNames('Escap', ALL_KEY_NAMES).slice(0, 1), ['Escape']);
});
