import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Expr, Stmt } from '../../src/dsl/ast.ts';
import { formatDiagnostic } from '../../src/dsl/diagnostics.ts';
import { parse } from '../../src/dsl/parser.ts';

/** Compact S-expression form of an expression, to check tree shapes. */
function sx(e: Expr): string {
  switch (e.kind) {
    case 'Int':
    case 'Float':
    case 'Bool':
      return String(e.value);
    case 'String':
      return JSON.stringify(e.value);
    case 'Char':
      return `'${e.value.value}'`;
    case 'Unit':
      return '()';
    case 'Variable':
      return e.name;
    case 'This':
      return 'this';
    case 'Global':
      return `global::${e.name}`;
    case 'Unary':
      return `(${e.op} ${sx(e.operand)})`;
    case 'Binary':
      return `(${e.op} ${sx(e.left)} ${sx(e.right)})`;
    case 'Index':
      return `(idx ${sx(e.object)} ${sx(e.index)})`;
    case 'Property':
      return `(${e.optional ? '?.' : '.'}${e.name} ${sx(e.object)})`;
    case 'Call':
      return `(${e.name}${e.args.map((a) => ' ' + sx(a)).join('')})`;
    case 'MethodCall':
      return `(.${e.name}() ${sx(e.object)}${e.args.map((a) => ' ' + sx(a)).join('')})`;
    case 'Array':
      return `[${e.elements.map(sx).join(' ')}]`;
    case 'Map':
      return `#{${e.entries.map((en) => `${en.key}: ${sx(en.value)}`).join(', ')}}`;
    case 'Template':
      return `\`${e.parts.map((p) => (typeof p === 'string' ? p : `\${${sx(p)}}`)).join('')}\``;
    case 'Closure':
      return `(|${e.params.join(',')}| ${sx(e.body)})`;
    case 'Block':
      return `{${e.statements.map(sxs).join('; ')}}`;
    case 'If':
      return `(if ${e.branches.map((b) => `${sx(b.cond)} ${sx(b.body)}`).join(' elif ')}${e.elseBody ? ' else ' + sx(e.elseBody) : ''})`;
    case 'Switch':
      return `(switch ${sx(e.subject)} ${e.cases
        .map(
          (c) =>
            c.patterns
              .map((p) =>
                p.kind === 'range' ? `${p.start}${p.inclusive ? '..=' : '..'}${p.end}` : String(p.value),
              )
              .join('|') +
            (c.guard ? ` if ${sx(c.guard)}` : '') +
            ` => ${sx(c.body)}`,
        )
        .join(', ')}${e.defaultBody ? `, _ => ${sx(e.defaultBody)}` : ''})`;
  }
}

function sxs(s: Stmt): string {
  switch (s.kind) {
    case 'Let':
      return `${s.constant ? 'const' : 'let'} ${s.name}${s.init ? ' = ' + sx(s.init) : ''}`;
    case 'Expr':
      return sx(s.expr);
    case 'Assign':
      return `${sx(s.target)} ${s.op} ${sx(s.value)}`;
    case 'While':
      return `while ${sx(s.cond)} ${sx(s.body)}`;
    case 'Do':
      return `do ${sx(s.body)} ${s.until ? 'until' : 'while'} ${sx(s.cond)}`;
    case 'Loop':
      return `loop ${sx(s.body)}`;
    case 'For':
      return `for ${s.indexName ? `(${s.name}, ${s.indexName})` : s.name} in ${sx(s.iterable)} ${sx(s.body)}`;
    case 'Break':
      return s.value ? `break ${sx(s.value)}` : 'break';
    case 'Continue':
      return 'continue';
    case 'Return':
      return s.value ? `return ${sx(s.value)}` : 'return';
    case 'Throw':
      return s.value ? `throw ${sx(s.value)}` : 'throw';
    case 'Try':
      return `try ${sx(s.body)} catch${s.errorName ? ` (${s.errorName})` : ''} ${sx(s.catchBody)}`;
  }
}

function ok(src: string): string[] {
  const r = parse(src, 't.rhai');
  assert.deepEqual(
    r.diagnostics.map((d) => d.message),
    [],
    `unexpected diagnostics for: ${src}`,
  );
  return r.program.statements.map(sxs);
}

function expr(src: string): string {
  const stmts = ok(src);
  assert.equal(stmts.length, 1);
  return stmts[0];
}

/** `line:col message` of every diagnostic */
function errors(src: string, opts?: Parameters<typeof parse>[2]): string[] {
  return parse(src, 't.rhai', opts).diagnostics.map((d) => `${d.span.line}:${d.span.column} ${d.message}`);
}

describe('precedence and associativity (Rhai table)', () => {
  const cases: [string, string][] = [
    ['1 + 2 * 3', '(+ 1 (* 2 3))'],
    ['1 - 2 - 3', '(- (- 1 2) 3)'],
    ['2 ** 3 ** 2', '(** 2 (** 3 2))'],
    // Shifts bind tighter than ** in Rhai.
    ['1 << 2 ** 3', '(** (<< 1 2) 3)'],
    ['a * b % c / d', '(/ (% (* a b) c) d)'],
    ['a || b && c', '(|| a (&& b c))'],
    // | ^ and || share a level, & and && share one.
    ['a | b ^ c || d', '(|| (^ (| a b) c) d)'],
    ['a & b && c', '(&& (& a b) c)'],
    ['a == b < c', '(== a (< b c))'],
    ['x in arr == true', '(== (in x arr) true)'],
    ['x !in arr', '(!in x arr)'],
    ['a < b in c', '(in (< a b) c)'],
    ['a ?? b + 1', '(?? a (+ b 1))'],
    ['a ?? b < c', '(< (?? a b) c)'],
    ['0..n + 1', '(.. 0 (+ n 1))'],
    ['1..=5', '(..= 1 5)'],
    ['!a == b', '(== (! a) b)'],
    ['-2 ** 2', '(** -2 2)'],
    ['-x.abs()', '(- (.abs() x))'],
    ['-5.abs()', '(- (.abs() 5))'],
    ['- -x', '(- (- x))'],
    ['a.b.c[1].d(2)', '(.d() (idx (.c (.b a)) 1) 2)'],
    ['m?.k', '(?.k m)'],
    ['(1 + 2) * 3', '(* (+ 1 2) 3)'],
    ['f(a, b,)', '(f a b)'],
    ['global::LIMIT * 2', '(* global::LIMIT 2)'],
  ];
  for (const [src, want] of cases) {
    test(src, () => assert.equal(expr(src), want));
  }
});

describe('literals', () => {
  test('every literal form', () => {
    assert.deepEqual(ok('42; 0xff; 1.5; 1e3; true; false; (); "s"; \'c\'; [1, 2,]; #{a: 1, "b c": 2,}'), [
      '42',
      '255',
      '1.5',
      '1000',
      'true',
      'false',
      '()',
      '"s"',
      "'c'",
      '[1 2]',
      '#{a: 1, b c: 2}',
    ]);
  });

  test('back-tick interpolation parses nested expressions', () => {
    assert.equal(expr('`a ${x + 1} b ${f(`${y}`)}`'), '`a ${(+ x 1)} b ${(f `${y}`)}`');
  });

  test('i64 bounds', () => {
    assert.equal(expr('-9223372036854775808'), '-9223372036854775808');
    assert.deepEqual(errors('9223372036854775808'), [
      '1:1 integer literal is too large for i64 (the maximum is 9223372036854775807)',
    ]);
  });

  test('closures', () => {
    assert.equal(expr('|x, y| x + y'), '(|x,y| (+ x y))');
    assert.equal(expr('|| 42'), '(|| 42)');
    assert.equal(expr('arr.map(|v| { v * 2 })'), '(.map() arr (|v| {(* v 2)}))');
  });
});

describe('statements', () => {
  test('let, const, assignment, compound assignment', () => {
    assert.deepEqual(ok('let x = 1; let y; const Z = 2; x = 3; x += 1; a[0].b **= 2; this = 1;'), [
      'let x = 1',
      'let y',
      'const Z = 2',
      'x = 3',
      'x += 1',
      '(idx a 0).b **= 2'.replace('(idx a 0).b', '(.b (idx a 0))'),
      'this = 1',
    ]);
  });

  test('semicolons are optional after blocks and after the last statement', () => {
    assert.deepEqual(ok('if a { 1 } else { 2 }\nwhile x { y }\n{ z }\nlet w = 1;\nw'), [
      '(if a {1} else {2})',
      'while x {y}',
      '{z}',
      'let w = 1',
      'w',
    ]);
    assert.deepEqual(ok('fn f() { let a = 1; a }'), []);
  });

  test('else-if chains are flat', () => {
    assert.equal(
      expr('if a { 1 } else if b { 2 } else if c { 3 } else { 4 }'),
      '(if a {1} elif b {2} elif c {3} else {4})',
    );
    const chain =
      'if x == 0 { 0 }' + Array.from({ length: 500 }, (_, i) => ` else if x == ${i + 1} { ${i} }`).join('');
    assert.equal(parse(chain, 't').diagnostics.length, 0);
  });

  test('loops', () => {
    assert.deepEqual(
      ok(
        'loop { break; } while i < 3 { i += 1; continue; } do { x } while x; do { x } until y; for v in a { } for (v, i) in a { break v; }',
      ),
      [
        'loop {break}',
        'while (< i 3) {i += 1; continue}',
        'do {x} while x',
        'do {x} until y',
        'for v in a {}',
        'for (v, i) in a {break v}',
      ],
    );
  });

  test('switch with alternatives, ranges, guards and default', () => {
    assert.equal(
      expr('switch x { 1 => "a", 2 | 3 => "b", 4..10 => "c", 10..=20 if y => { "d" } -1 => "e", _ => "f" }'),
      '(switch x 1 => "a", 2|3 => "b", 4..10 => "c", 10..=20 if y => {"d"}, -1 => "e", _ => "f")',
    );
  });

  test('functions are collected (hoisted) and removed from the statements', () => {
    const r = parse('f(1);\nfn f(a, b,) { a }\nfn f(a) { a }\nprivate fn g() {}', 't.rhai');
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(
      r.program.functions.map((f) => `${f.name}/${f.params.length}`),
      ['f/2', 'f/1', 'g/0'],
    );
    assert.deepEqual(r.program.statements.map(sxs), ['(f 1)']);
  });

  test('try/catch and throw', () => {
    assert.deepEqual(ok('try { throw "x"; } catch (e) { e } try { } catch { }'), [
      'try {throw "x"} catch (e) {e}',
      'try {} catch {}',
    ]);
  });

  test('redefining a function with the same arity is a warning', () => {
    const r = parse('fn f(a) { 1 }\nfn f(b) { 2 }', 't.rhai');
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0].severity, 'warning');
    assert.equal(r.diagnostics[0].code, 'W_DUPLICATE_FN');
    assert.equal(r.diagnostics[0].span.line, 2);
  });
});

describe('syntax errors', () => {
  test('three independent errors give three diagnostics at the right places', () => {
    const src = [
      'let a = 1;',
      'let b = map("x", "y";',
      'let c = 2;',
      'let d = (1 + ;',
      'print(a);',
      'let e = [1, 2;',
      'let f = 3;',
    ].join('\n');
    assert.deepEqual(errors(src), [
      "2:21 expected ')' to close the call to 'map' opened at 2:12, found ';'",
      "4:14 expected an expression, found ';'",
      "6:14 expected ']' to close the array opened at 6:9, found ';'",
    ]);
    // The statements around the errors survive.
    const names = parse(src, 't').program.statements.flatMap((s) => (s.kind === 'Let' ? [s.name] : []));
    assert.deepEqual(names, ['a', 'c', 'f']);
  });

  test('errors inside blocks recover inside the block', () => {
    assert.deepEqual(errors('fn f() {\n  let x = ;\n  let y = 1 +;\n}\nlet z = ;'), [
      "2:11 expected an expression, found ';'",
      "3:14 expected an expression, found ';'",
      "5:9 expected an expression, found ';'",
    ]);
  });

  test('an unclosed map literal does not cascade', () => {
    assert.deepEqual(errors('let m = #{ a: 1, b: };\nlet n = 2;'), [
      "1:21 expected an expression, found '}'",
    ]);
  });

  test('lexer errors are not reported twice', () => {
    assert.deepEqual(errors('print("abc);\nlet x = 1;'), ['1:7 unterminated string literal']);
  });

  test('fn inside a block', () => {
    assert.deepEqual(errors('if true {\n  fn inner() { 1 }\n}'), [
      "2:3 'fn' can only be defined at the global level",
    ]);
  });

  test('break and continue outside loops, also across closures', () => {
    assert.deepEqual(errors('break;\nfn f() { continue; }\nloop { let g = || { break; }; }'), [
      "1:1 'break' can only be used inside a loop",
      "2:10 'continue' can only be used inside a loop",
      "3:21 'break' can only be used inside a loop",
    ]);
  });

  test('missing semicolon at the end of a line is reported once and parsing goes on', () => {
    assert.deepEqual(errors('let a = 1\nlet b = 2\nlet c = 3;'), [
      "1:10 expected ';' after this statement, found 'let'",
      "2:10 expected ';' after this statement, found 'let'",
    ]);
  });

  test('assignment mistakes', () => {
    assert.deepEqual(errors('if x = 1 { }'), ["1:6 '=' cannot be used in an 'if' condition"]);
    assert.deepEqual(errors('1 = 2;'), ["1:1 cannot assign to this expression with '='"]);
    assert.deepEqual(errors('a = b = 1;'), ['1:7 assignments cannot be chained']);
    assert.deepEqual(errors('global::X = 1;'), [
      "1:1 cannot assign to 'global::X': global constants are read-only",
    ]);
  });

  test('helpful messages for common mistakes', () => {
    assert.deepEqual(errors('var x = 1;'), ["1:1 'var' is a reserved word"]);
    assert.deepEqual(errors('let x = null;'), ["1:9 'null' is a reserved word"]);
    assert.deepEqual(errors('let if = 1;'), [
      "1:5 expected a variable name after 'let', found the keyword 'if'",
    ]);
    assert.deepEqual(errors('let x: i64 = 1;'), ['1:6 type annotations are not supported']);
    assert.deepEqual(errors('if x print(1);'), ["1:6 expected '{' to start the 'if' body, found 'print'"]);
    assert.deepEqual(errors('let m = #{a: 1, a: 2};'), ["1:17 duplicate property 'a' in object map literal"]);
    assert.deepEqual(errors('switch x { _ => 1, 2 => 3 }'), [
      "1:20 the default case '_' must be the last case",
    ]);
    assert.deepEqual(errors('switch x { 1 => 1, 1 => 2 }'), ['1:20 duplicate switch case (first at 1:12)']);
    assert.deepEqual(errors('switch x { a => 1 }'), ["1:12 expected a switch case value, found 'a'"]);
    assert.deepEqual(errors('let s = `${}`;'), ["1:10 empty interpolation '${}'"]);
    assert.deepEqual(errors('let s = `${1 2}`;'), [
      "1:14 expected '}' to close the interpolation opened at 1:10, found '2'",
    ]);
    assert.deepEqual(errors('fn f(a, a) {}'), ["1:9 duplicate parameter 'a'"]);
    assert.deepEqual(errors('import "x" as y;'), [
      "1:1 'import' is not supported: modules are not available in profiles",
    ]);
  });

  test('missing closing brace at end of file names the opening one', () => {
    assert.deepEqual(errors('fn f() {\n  if x {\n    1\n  }\n'), [
      "5:1 expected '}' to close the block opened at 1:8, found end of file",
    ]);
  });

  test('a stray closing brace', () => {
    assert.deepEqual(errors('let a = 1; }\nlet b = 2;'), ["1:12 unexpected '}'"]);
  });

  test('hints are attached', () => {
    const d = parse('if a = 1 { }', 't').diagnostics[0];
    assert.equal(d.hint, "use '==' to compare values");
    assert.equal(d.code, 'E_SYNTAX');
    const call = parse('f(1 2)', 't').diagnostics[0];
    assert.equal(call.hint, "separate arguments with ','");
  });
});

describe('limits', () => {
  test('10,000 nested parentheses: one diagnostic, no stack overflow', () => {
    const src = 'let x = ' + '('.repeat(10_000) + '1' + ')'.repeat(10_000) + ';\nlet y = 2;';
    const r = parse(src, 't');
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0].code, 'E_LIMIT');
    assert.equal(r.diagnostics[0].message, 'expression nesting too deep (more than 64 levels)');
    assert.deepEqual(r.program.statements.map(sxs), ['let y = 2']);
  });

  test('deep nesting of every kind is bounded', () => {
    const deep = [
      '{'.repeat(5000) + '}'.repeat(5000),
      '['.repeat(5000) + ']'.repeat(5000),
      '-'.repeat(5000) + '1',
      '!'.repeat(5000) + 'true',
      '#{a: '.repeat(3000) + '1' + '}'.repeat(3000),
      'f('.repeat(3000) + ')'.repeat(3000),
      'if a {'.repeat(3000) + '}'.repeat(3000),
      '|x| '.repeat(3000) + 'x',
      '2 ** '.repeat(3000) + '2',
      'x' + '.y'.repeat(3000),
      'x' + '[0]'.repeat(3000),
      '`${'.repeat(3000) + '1' + '}`'.repeat(3000),
    ];
    for (const src of deep) {
      const r = parse(src, 't');
      assert.ok(
        r.diagnostics.some((d) => d.code === 'E_LIMIT'),
        `expected a limit error for ${src.slice(0, 20)}…: ${r.diagnostics.map((d) => d.message).join('; ')}`,
      );
    }
  });

  test('long left-associative chains are fine (evaluated iteratively)', () => {
    const r = parse('let s = ' + Array.from({ length: 5000 }, (_, i) => String(i)).join(' + ') + ';', 't');
    assert.deepEqual(r.diagnostics, []);
  });

  test('the depth limit is configurable', () => {
    assert.deepEqual(errors('((((1))))', { maxExprDepth: 3 }).length, 1);
    assert.deepEqual(errors('((((1))))', { maxExprDepth: 10 }), []);
  });

  test('source size limit', () => {
    const d = parse('x'.repeat(2000), 'big.rhai', { maxSourceBytes: 1000 }).diagnostics;
    assert.equal(d.length, 1);
    assert.equal(d[0].code, 'E_LIMIT');
    assert.equal(d[0].message, 'source too large (2000 bytes; the limit is 1000 bytes)');
    // Counted in UTF-8 bytes: 400 × 'é' = 800 bytes, plus the quotes.
    assert.deepEqual(parse('"' + 'é'.repeat(400) + '"', 't', { maxSourceBytes: 802 }).diagnostics, []);
    assert.equal(parse('"' + 'é'.repeat(400) + '"', 't', { maxSourceBytes: 801 }).diagnostics.length, 1);
  });
});

describe('formatDiagnostic', () => {
  test('exact text with help, suggestions and notes', () => {
    const src = 'let counter = 1;\nlet y = countr + 1;\n';
    const out = formatDiagnostic(
      {
        severity: 'error',
        code: 'E_UNKNOWN_VARIABLE',
        message: "unknown variable 'countr'",
        span: { file: 'main.rhai', line: 2, column: 9, length: 6, offset: 25 },
        hint: 'declare it with let first',
        suggestions: ['counter', 'count'],
        related: [
          {
            message: "in call to 'f' at 10:5",
            span: { file: 'main.rhai', line: 10, column: 5, length: 1, offset: 0 },
          },
        ],
      },
      src,
    );
    assert.equal(
      out,
      [
        "main.rhai:2:9: error: unknown variable 'countr'",
        ' 2 | let y = countr + 1;',
        '   |         ^^^^^^',
        '  = help: declare it with let first',
        '  = did you mean: counter, count?',
        "  = note: in call to 'f' at 10:5",
      ].join('\n'),
    );
  });

  test('parser diagnostic rendered from source', () => {
    const src = 'let a = 1;\nlet b = map("x", "y";\n';
    const d = parse(src, 'p.rhai').diagnostics[0];
    assert.equal(
      formatDiagnostic(d, src),
      [
        "p.rhai:2:21: error: expected ')' to close the call to 'map' opened at 2:12, found ';'",
        ' 2 | let b = map("x", "y";',
        '   |                     ^',
      ].join('\n'),
    );
  });

  test('zero-length spans get one caret, tabs are kept, warnings say warning, colour is optional', () => {
    const span = { file: 'f', line: 1, column: 3, length: 0, offset: 2 };
    const out = formatDiagnostic({ severity: 'warning', code: 'W', message: 'm', span }, '\tx');
    assert.equal(out, ['f:1:3: warning: m', ' 1 | \tx', '   | \t ^'].join('\n'));
    const colored = formatDiagnostic({ severity: 'error', code: 'E', message: 'm', span }, '\tx', {
      color: true,
    });
    assert.ok(colored.includes('\u001b[31m'), 'red error label');
  });
});
