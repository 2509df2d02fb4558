import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Token } from '../../src/dsl/lexer.ts';
import { tokenize } from '../../src/dsl/lexer.ts';

function lex(src: string): { tokens: Token[]; messages: string[] } {
  const r = tokenize(src, 't.rhai');
  return {
    tokens: r.tokens,
    messages: r.diagnostics.map((d) => `${d.span.line}:${d.span.column} ${d.message}`),
  };
}

/** kind:text of every token but the final eof */
function kinds(src: string): string[] {
  return lex(src)
    .tokens.slice(0, -1)
    .map((t) => `${t.kind}:${t.text}`);
}

function only(src: string): Token {
  const { tokens, messages } = lex(src);
  assert.deepEqual(messages, []);
  assert.equal(tokens.length, 2, `one token expected in ${src}`);
  return tokens[0];
}

describe('numbers', () => {
  test('integers in every base, with separators', () => {
    assert.equal(only('42').int, 42n);
    assert.equal(only('1_000_000').int, 1_000_000n);
    assert.equal(only('0xFF').int, 255n);
    assert.equal(only('0x_dead_BEEF').int, 0xdeadbeefn);
    assert.equal(only('0o17').int, 15n);
    assert.equal(only('0b1010_1010').int, 170n);
    // Range checking is the parser's job (it knows about unary minus).
    assert.equal(only('9223372036854775808').int, 9223372036854775808n);
  });

  test('floats', () => {
    assert.equal(only('1.5').float, 1.5);
    assert.equal(only('1e3').float, 1000);
    assert.equal(only('2.5E-3').float, 0.0025);
    assert.equal(only('1_000.25').float, 1000.25);
    assert.equal(only('1e+2').kind, 'float');
  });

  test('a dot after an integer is a range or a method call, not a fraction', () => {
    assert.deepEqual(kinds('1..2'), ['int:1', 'punct:..', 'int:2']);
    assert.deepEqual(kinds('1..=2'), ['int:1', 'punct:..=', 'int:2']);
    assert.deepEqual(kinds('5.abs()'), ['int:5', 'punct:.', 'ident:abs', 'punct:(', 'punct:)']);
  });

  test('malformed numbers are reported', () => {
    assert.deepEqual(lex('12abc').messages, ["1:1 invalid number literal '12abc'"]);
    assert.deepEqual(lex('0x').messages, ["1:1 hexadecimal literal '0x' has no digits"]);
    assert.deepEqual(lex('0b102').messages, ["1:1 invalid binary literal '0b102'"]);
  });
});

describe('strings and characters', () => {
  test('every escape sequence', () => {
    const t = only(String.raw`"a\nb\tc\\d\"e\'f\r\0\x41\u00e9\u{1F600}\U0001F601"`);
    assert.equal(t.kind, 'string');
    assert.equal(t.value, 'a\nb\tc\\d"e\'f\r\0A\u00e9\u{1F600}\u{1F601}');
  });

  test('line continuation skips the break and the indentation', () => {
    assert.equal(only('"abc\\\n     def"').value, 'abcdef');
  });

  test('unknown escapes are reported precisely and kept', () => {
    const { tokens, messages } = lex('let s = "a\\qb";');
    assert.deepEqual(messages, ["1:11 unknown escape sequence '\\q'"]);
    assert.equal(tokens[3].value, 'aqb');
  });

  test('bad unicode and hex escapes', () => {
    assert.deepEqual(lex('"\\u{110000}"').messages, [
      "1:2 invalid unicode escape '\\u{110000}': not a Unicode scalar value",
    ]);
    assert.deepEqual(lex('"\\xZZ"').messages, ["1:2 invalid escape sequence '\\xZZ'"]);
    assert.deepEqual(lex('"\\u12"').messages, ["1:2 invalid unicode escape '\\u1'"]);
  });

  test('unterminated string: reported at the quote, error token, next line still lexed', () => {
    const { tokens, messages } = lex('print("oops);\nlet x = 1;');
    assert.deepEqual(messages, ['1:7 unterminated string literal']);
    assert.equal(tokens[2].kind, 'error');
    assert.deepEqual(
      tokens.slice(3, -1).map((t) => t.text),
      ['let', 'x', '=', '1', ';'],
    );
    assert.equal(tokens[3].span.line, 2);
  });

  test('characters', () => {
    const a = only("'a'");
    assert.equal(a.kind, 'char');
    assert.equal(a.value, 'a');
    assert.equal(only("'\\n'").value, '\n');
    assert.equal(only("'\\u{1F600}'").value, '\u{1F600}');
    assert.equal(only("'é'").value, 'é');
    assert.deepEqual(lex("''").messages, ['1:1 empty character literal']);
    const multi = lex("'ab'");
    assert.deepEqual(multi.messages, ['1:1 character literal holds more than one character']);
    assert.equal(multi.tokens[0].kind, 'string');
  });

  test('back-tick strings: verbatim text, multi-line, with interpolations', () => {
    const t = only('`a\\n ${x + 1} b\n${ #{k: 1}.k }`');
    assert.equal(t.kind, 'template');
    const parts = t.parts ?? [];
    assert.equal(parts.length, 4);
    assert.deepEqual(parts[0], { kind: 'text', text: 'a\\n ', span: parts[0].span });
    assert.equal(parts[1].kind, 'expr');
    if (parts[1].kind === 'expr') {
      assert.deepEqual(
        parts[1].tokens.map((x) => x.text),
        ['x', '+', '1', '}'],
      );
      assert.equal(parts[1].tokens[0].span.column, 8);
    }
    assert.equal(parts[2].kind === 'text' && parts[2].text, ' b\n');
    // Braces inside the interpolation nest.
    if (parts[3].kind === 'expr') assert.equal(parts[3].tokens.at(-2)?.text, 'k');
  });

  test('unterminated back-tick string and interpolation', () => {
    assert.deepEqual(lex('`abc').messages, ['1:1 unterminated back-tick string']);
    assert.deepEqual(lex('`a ${x').messages, ["1:4 unterminated interpolation: expected '}' to close '${'"]);
  });
});

describe('comments, words and punctuation', () => {
  test('line, doc and nested block comments are skipped', () => {
    assert.deepEqual(kinds('a // x\n/// doc\n//! mod\nb /* c /* d */ e */ c'), [
      'ident:a',
      'ident:b',
      'ident:c',
    ]);
  });

  test('an unterminated block comment is reported at its start', () => {
    assert.deepEqual(lex('x /* a /* b */').messages, ['1:3 unterminated block comment']);
  });

  test('keywords, identifiers and reserved words', () => {
    assert.deepEqual(kinds('let x_1 = fn_; _ this global var'), [
      'keyword:let',
      'ident:x_1',
      'punct:=',
      'ident:fn_',
      'punct:;',
      'ident:_',
      'keyword:this',
      'keyword:global',
      'ident:var',
    ]);
  });

  test('maximal munch of operators', () => {
    assert.deepEqual(kinds('a**=b<<=c..=d#{}??e?.f::g=>h!=i'), [
      'ident:a',
      'punct:**=',
      'ident:b',
      'punct:<<=',
      'ident:c',
      'punct:..=',
      'ident:d',
      'punct:#{',
      'punct:}',
      'punct:??',
      'ident:e',
      'punct:?.',
      'ident:f',
      'punct:::',
      'ident:g',
      'punct:=>',
      'ident:h',
      'punct:!=',
      'ident:i',
    ]);
  });

  test('stray characters become error tokens with a message', () => {
    const { tokens, messages } = lex('a ~ b é');
    assert.equal(tokens[1].kind, 'error');
    assert.deepEqual(messages, ["1:3 unexpected character '~'", "1:7 unexpected character 'é'"]);
    assert.deepEqual(lex('a ... b').messages, ["1:3 '...' is not an operator"]);
  });

  test('a shebang line is ignored', () => {
    assert.deepEqual(kinds('#!/usr/bin/env keyrx\nx'), ['ident:x']);
  });
});

describe('spans', () => {
  test('lines and 1-based columns, CRLF, UTF-16 columns', () => {
    const { tokens } = lex('a\r\n  bb\n😀 c');
    assert.deepEqual(
      tokens.map((t) => [t.text, t.span.line, t.span.column, t.span.length, t.span.offset]),
      [
        ['a', 1, 1, 1, 0],
        ['bb', 2, 3, 2, 5],
        // The emoji is lexed as an error token two code units wide.
        ['😀', 3, 1, 2, 8],
        ['c', 3, 4, 1, 11],
        ['', 3, 5, 0, 12],
      ],
    );
  });

  test('every span names the file', () => {
    assert.ok(tokenize('x', 'profile.rhai').tokens.every((t) => t.span.file === 'profile.rhai'));
  });
});
