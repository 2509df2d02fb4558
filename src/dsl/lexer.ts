/**
 * Hand-written lexer for the Rhai subset used by keyrx profiles.
 *
 * The whole file is tokenised up front (profiles are small) so the parser gets free lookahead.
 * Lexical errors are collected as diagnostics; a malformed token that would derail the parser
 * (unterminated string, stray character) becomes an `error` token, which the parser skips without
 * reporting a second time.
 *
 * Back-tick strings keep their `${…}` interpolations as nested token lists, parsed later as
 * expressions; their spans point into the original source.
 */
import type { Diagnostic, SourceSpan } from './diagnostics.ts';
import { ErrorCode } from './diagnostics.ts';

export type TokenKind =
  'int' | 'float' | 'string' | 'char' | 'template' | 'ident' | 'keyword' | 'punct' | 'eof' | 'error';

export type TemplatePart =
  { kind: 'text'; text: string; span: SourceSpan } | { kind: 'expr'; tokens: Token[]; span: SourceSpan };

export interface Token {
  kind: TokenKind;
  /** the source text of the token; for punctuation, identifiers and keywords the token itself */
  text: string;
  span: SourceSpan;
  /** decoded value of string and char literals */
  value?: string;
  /** value of integer literals; range-checked by the parser (which knows about unary minus) */
  int?: bigint;
  float?: number;
  parts?: TemplatePart[];
}

/** Words with a meaning in the language. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'let',
  'const',
  'if',
  'else',
  'switch',
  'do',
  'while',
  'until',
  'loop',
  'for',
  'in',
  'break',
  'continue',
  'return',
  'throw',
  'try',
  'catch',
  'fn',
  'private',
  'import',
  'export',
  'as',
  'global',
  'this',
  'true',
  'false',
]);

/** Words Rhai reserves for future use; they cannot name variables or functions. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'var',
  'static',
  'goto',
  'exit',
  'match',
  'case',
  'public',
  'protected',
  'new',
  'use',
  'with',
  'module',
  'package',
  'super',
  'spawn',
  'thread',
  'go',
  'sync',
  'async',
  'await',
  'yield',
  'default',
  'void',
  'null',
  'nil',
  'shared',
]);

// Longest first, so that maximal munch is a simple scan.
export const PUNCTUATORS: readonly string[] = [
  '..=',
  '**=',
  '<<=',
  '>>=',
  '...',
  '::',
  '=>',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '?.',
  '..',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '**',
  '<<',
  '>>',
  '#{',
  '+',
  '-',
  '*',
  '/',
  '%',
  '=',
  '<',
  '>',
  '!',
  '&',
  '|',
  '^',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ';',
  ':',
  '.',
  '?',
];

// Candidates by first character (still longest first): a handful of checks per token instead of all.
const PUNCTUATORS_BY_FIRST = new Map<string, string[]>();
for (const p of PUNCTUATORS) {
  const list = PUNCTUATORS_BY_FIRST.get(p[0]) ?? [];
  list.push(p);
  PUNCTUATORS_BY_FIRST.set(p[0], list);
}

export interface LexOptions {
  /** nesting limit for `${…}` inside back-tick strings (shares the parser's expression depth limit) */
  maxDepth?: number;
}

export interface LexResult {
  tokens: Token[];
  diagnostics: Diagnostic[];
}

/** Stands for an integer literal with too many digits for any integer type (2^64). */
const TOO_LARGE = 1n << 64n;

/** One-character escapes and what they stand for. */
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

export function tokenize(source: string, file: string, opts?: LexOptions): LexResult {
  const lexer = new Lexer(source, file, opts?.maxDepth ?? 64);
  const tokens = lexer.run();
  return { tokens, diagnostics: lexer.diagnostics };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}
function isHexDigit(ch: string): boolean {
  return /^[0-9a-fA-F]$/.test(ch);
}

class Lexer {
  readonly diagnostics: Diagnostic[] = [];
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private templateDepth = 0;
  /** set when interpolations nest too deeply: the rest of the file is abandoned silently */
  private abandoned = false;

  constructor(
    private readonly src: string,
    private readonly file: string,
    private readonly maxDepth: number,
  ) {}

  run(): Token[] {
    const tokens: Token[] = [];
    // A shebang line is allowed at the very start, as in Rhai.
    if (this.src.startsWith('#!')) {
      while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
    }
    for (;;) {
      const t = this.scan();
      tokens.push(t);
      if (t.kind === 'eof') return tokens;
    }
  }

  private spanAt(offset: number, line: number, lineStart: number, length: number): SourceSpan {
    return { file: this.file, line, column: offset - lineStart + 1, length, offset };
  }

  private error(message: string, span: SourceSpan, hint?: string, code: string = ErrorCode.Syntax): void {
    const d: Diagnostic = { severity: 'error', code, message, span };
    if (hint !== undefined) d.hint = hint;
    this.diagnostics.push(d);
  }

  /** Advance one code unit, keeping line bookkeeping right. */
  private advance(): void {
    if (this.src.charCodeAt(this.pos) === 10) {
      this.line++;
      this.lineStart = this.pos + 1;
    }
    this.pos++;
  }

  private skipTrivia(): void {
    const src = this.src;
    while (this.pos < src.length) {
      const c = src.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff) {
        this.advance();
      } else if (c === 47 && src.charCodeAt(this.pos + 1) === 47) {
        // `//`, `///` doc comments and `//!` module docs are all plain comments here.
        while (this.pos < src.length && src.charCodeAt(this.pos) !== 10) this.pos++;
      } else if (c === 47 && src.charCodeAt(this.pos + 1) === 42) {
        this.skipBlockComment();
      } else {
        return;
      }
    }
  }

  private skipBlockComment(): void {
    const startSpan = this.spanAt(this.pos, this.line, this.lineStart, 2);
    // Block comments nest, as in Rhai: `/* a /* b */ c */` is one comment.
    let depth = 0;
    const src = this.src;
    while (this.pos < src.length) {
      if (src.startsWith('/*', this.pos)) {
        depth++;
        this.pos += 2;
      } else if (src.startsWith('*/', this.pos)) {
        depth--;
        this.pos += 2;
        if (depth === 0) return;
      } else {
        this.advance();
      }
    }
    this.error('unterminated block comment', startSpan, "add '*/' to close it (block comments nest)");
  }

  private make(
    kind: TokenKind,
    start: number,
    line: number,
    lineStart: number,
    extra?: Partial<Token>,
  ): Token {
    // Every token gets the same shape, which keeps the parser's property accesses monomorphic.
    return {
      kind,
      text: this.src.slice(start, this.pos),
      span: this.spanAt(start, line, lineStart, this.pos - start),
      value: extra?.value,
      int: extra?.int,
      float: extra?.float,
      parts: extra?.parts,
    };
  }

  private scan(): Token {
    this.skipTrivia();
    const src = this.src;
    const start = this.pos;
    const line = this.line;
    const lineStart = this.lineStart;
    if (this.pos >= src.length) return this.make('eof', start, line, lineStart);
    const c = src.charCodeAt(this.pos);

    if (isIdentStart(c)) {
      while (this.pos < src.length && isIdentPart(src.charCodeAt(this.pos))) this.pos++;
      const word = src.slice(start, this.pos);
      return this.make(KEYWORDS.has(word) ? 'keyword' : 'ident', start, line, lineStart);
    }
    if (isDigit(c)) return this.scanNumber(start, line, lineStart);
    if (c === 34) return this.scanString(start, line, lineStart);
    if (c === 39) return this.scanChar(start, line, lineStart);
    if (c === 96) return this.scanTemplate(start, line, lineStart);

    for (const p of PUNCTUATORS_BY_FIRST.get(src[this.pos]) ?? []) {
      if (src.startsWith(p, this.pos)) {
        this.pos += p.length;
        const t = this.make('punct', start, line, lineStart);
        if (p === '...') {
          this.error(
            "'...' is not an operator",
            t.span,
            "use '..' for an exclusive range or '..=' for an inclusive one",
          );
          return { ...t, kind: 'error' };
        }
        return t;
      }
    }

    // Anything else cannot start a token. Take a whole code point so the message shows it right.
    const cp = src.codePointAt(this.pos) ?? c;
    this.pos += cp > 0xffff ? 2 : 1;
    const t = this.make('error', start, line, lineStart);
    const shown = String.fromCodePoint(cp);
    if (cp > 127 && /\p{L}/u.test(shown)) {
      this.error(
        `unexpected character '${shown}'`,
        t.span,
        "names may only use ASCII letters, digits and '_'; put other text in a string",
      );
    } else if (shown === '#') {
      this.error("unexpected character '#'", t.span, "object maps are written '#{ key: value }'");
    } else {
      this.error(`unexpected character '${shown}'`, t.span);
    }
    return t;
  }

  private scanNumber(start: number, line: number, lineStart: number): Token {
    const src = this.src;
    const radixPrefix = src[this.pos] === '0' ? src[this.pos + 1] : undefined;
    if (radixPrefix === 'x' || radixPrefix === 'o' || radixPrefix === 'b') {
      this.pos += 2;
      const valid = radixPrefix === 'x' ? /[0-9a-fA-F_]/ : radixPrefix === 'o' ? /[0-7_]/ : /[01_]/;
      const digitsStart = this.pos;
      while (this.pos < src.length && valid.test(src[this.pos])) this.pos++;
      const digits = src.slice(digitsStart, this.pos).replace(/_/g, '');
      const name = radixPrefix === 'x' ? 'hexadecimal' : radixPrefix === 'o' ? 'octal' : 'binary';
      if (this.pos < src.length && isIdentPart(src.charCodeAt(this.pos))) {
        while (this.pos < src.length && isIdentPart(src.charCodeAt(this.pos))) this.pos++;
        const t = this.make('int', start, line, lineStart, { int: 0n });
        this.error(`invalid ${name} literal '${t.text}'`, t.span);
        return t;
      }
      if (digits.length === 0) {
        const t = this.make('int', start, line, lineStart, { int: 0n });
        this.error(`${name} literal '${t.text}' has no digits`, t.span);
        return t;
      }
      return this.make('int', start, line, lineStart, { int: BigInt(`0${radixPrefix}${digits}`) });
    }

    const isDigitOrSep = (i: number): boolean => isDigit(src.charCodeAt(i)) || src[i] === '_';
    while (this.pos < src.length && isDigitOrSep(this.pos)) this.pos++;
    let isFloat = false;
    // `1..2` is a range and `1.max(2)` a method call: a fraction needs a digit after the dot.
    if (src[this.pos] === '.' && isDigit(src.charCodeAt(this.pos + 1))) {
      isFloat = true;
      this.pos++;
      while (this.pos < src.length && isDigitOrSep(this.pos)) this.pos++;
    }
    if (src[this.pos] === 'e' || src[this.pos] === 'E') {
      const sign = src[this.pos + 1] === '+' || src[this.pos + 1] === '-' ? 1 : 0;
      if (isDigit(src.charCodeAt(this.pos + 1 + sign))) {
        isFloat = true;
        this.pos += 1 + sign;
        while (this.pos < src.length && isDigitOrSep(this.pos)) this.pos++;
      }
    }
    if (this.pos < src.length && isIdentPart(src.charCodeAt(this.pos))) {
      while (this.pos < src.length && isIdentPart(src.charCodeAt(this.pos))) this.pos++;
      const t = this.make('int', start, line, lineStart, { int: 0n });
      this.error(`invalid number literal '${t.text}'`, t.span);
      return t;
    }
    const clean = src.slice(start, this.pos).replace(/_/g, '');
    if (isFloat) return this.make('float', start, line, lineStart, { float: Number(clean) });
    // Beyond 20 significant digits it is out of range whatever the digits are: the parser only
    // needs "too large", and converting a megabyte of digits to a BigInt is slower than linear.
    const significant = clean.length - (/^0*/.exec(clean)?.[0].length ?? 0);
    return this.make('int', start, line, lineStart, { int: significant > 20 ? TOO_LARGE : BigInt(clean) });
  }

  /**
   * Read one escape sequence after a backslash at `this.pos`. Returns the decoded text, or null
   * for a line continuation. Unknown escapes are reported and kept literally.
   */
  private scanEscape(quote: string): string | null {
    const src = this.src;
    const escStart = this.pos;
    const escLine = this.line;
    const escLineStart = this.lineStart;
    this.pos++; // the backslash
    const ch = src[this.pos];
    const span = (): SourceSpan => this.spanAt(escStart, escLine, escLineStart, this.pos - escStart);
    const simple = SIMPLE_ESCAPES[ch];
    if (simple !== undefined) {
      this.pos++;
      return simple;
    }
    switch (ch) {
      case '\r':
      case '\n': {
        // Line continuation: skip the line break and the next line's indentation.
        if (ch === '\r') this.pos++;
        if (src[this.pos] === '\n') this.advance();
        while (src[this.pos] === ' ' || src[this.pos] === '\t') this.pos++;
        return null;
      }
      case 'x': {
        this.pos++;
        const hex = src.slice(this.pos, this.pos + 2);
        if (hex.length === 2 && isHexDigit(hex[0]) && isHexDigit(hex[1])) {
          this.pos += 2;
          return String.fromCharCode(parseInt(hex, 16));
        }
        this.error(
          `invalid escape sequence '${src.slice(escStart, this.pos + 2)}'`,
          span(),
          "'\\x' takes two hex digits, e.g. '\\x41'",
        );
        return 'x';
      }
      case 'u':
      case 'U': {
        this.pos++;
        let hex: string;
        if (ch === 'u' && src[this.pos] === '{') {
          // The '}' is looked for among the next 9 characters only: searching the rest of the
          // file for every '\u{' would make a file full of them quadratic.
          const rel = src.slice(this.pos + 1, this.pos + 10).indexOf('}');
          const close = rel < 0 ? -1 : this.pos + 1 + rel;
          hex = close > 0 ? src.slice(this.pos + 1, close) : '';
          if (hex.length > 0 && [...hex].every(isHexDigit)) {
            this.pos = close + 1;
            const cp = parseInt(hex, 16);
            if (cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) return String.fromCodePoint(cp);
            this.error(
              `invalid unicode escape '${src.slice(escStart, this.pos)}': not a Unicode scalar value`,
              span(),
            );
            return '\uFFFD';
          }
        } else {
          const n = ch === 'u' ? 4 : 8;
          hex = src.slice(this.pos, this.pos + n);
          if (hex.length === n && [...hex].every(isHexDigit)) {
            this.pos += n;
            const cp = parseInt(hex, 16);
            if (cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) return String.fromCodePoint(cp);
            this.error(
              `invalid unicode escape '${src.slice(escStart, this.pos)}': not a Unicode scalar value`,
              span(),
            );
            return '\uFFFD';
          }
        }
        this.error(
          `invalid unicode escape '${src.slice(escStart, Math.min(this.pos + 1, src.length))}'`,
          this.spanAt(escStart, escLine, escLineStart, Math.min(this.pos + 1, src.length) - escStart),
          "write '\\u{1F600}', '\\u00E9' (4 hex digits) or '\\U0001F600' (8 hex digits)",
        );
        return ch;
      }
      default: {
        if (this.pos >= src.length) return '';
        const cp = src.codePointAt(this.pos) ?? 0;
        const shown = String.fromCodePoint(cp);
        this.pos += shown.length;
        this.error(
          `unknown escape sequence '\\${shown}'`,
          span(),
          `valid escapes: \\n \\t \\r \\0 \\\\ \\${quote} \\xHH \\u{…}; write '\\\\' for a backslash`,
        );
        return shown;
      }
    }
  }

  private scanString(start: number, line: number, lineStart: number): Token {
    const src = this.src;
    this.pos++; // opening quote
    let value = '';
    // Text without escapes is taken in runs (slices), not a character at a time.
    let run = this.pos;
    while (this.pos < src.length) {
      const ch = src[this.pos];
      if (ch === '"') {
        value += src.slice(run, this.pos);
        this.pos++;
        return this.make('string', start, line, lineStart, { value });
      }
      if (ch === '\n' || (ch === '\r' && src[this.pos + 1] === '\n')) break;
      if (ch === '\\') {
        value += src.slice(run, this.pos);
        const s = this.scanEscape('"');
        if (s !== null) value += s;
        run = this.pos;
        continue;
      }
      this.pos++;
    }
    const t = this.make('error', start, line, lineStart);
    this.error(
      'unterminated string literal',
      { ...t.span, length: 1 },
      "close the string with '\"' on the same line; use `back-ticks` for multi-line text",
    );
    return t;
  }

  private scanChar(start: number, line: number, lineStart: number): Token {
    const src = this.src;
    this.pos++; // opening quote
    let value = '';
    while (this.pos < src.length) {
      const ch = src[this.pos];
      if (ch === "'") {
        this.pos++;
        const t = this.make('char', start, line, lineStart, { value });
        const chars = [...value];
        if (chars.length === 0) {
          this.error(
            'empty character literal',
            t.span,
            "a character literal holds exactly one character, e.g. 'a'",
          );
          return { ...t, kind: 'error' };
        }
        if (chars.length > 1) {
          this.error(
            'character literal holds more than one character',
            t.span,
            `use double quotes for a string: "${value.replace(/["\\]/g, (m) => '\\' + m)}"`,
          );
          return { ...t, kind: 'string' };
        }
        return t;
      }
      if (ch === '\n' || (ch === '\r' && src[this.pos + 1] === '\n')) break;
      if (ch === '\\') {
        const s = this.scanEscape("'");
        if (s !== null) value += s;
        continue;
      }
      const cp = src.codePointAt(this.pos) ?? 0;
      const s = String.fromCodePoint(cp);
      value += s;
      this.pos += s.length;
    }
    const t = this.make('error', start, line, lineStart);
    this.error('unterminated character literal', { ...t.span, length: 1 }, 'close it with "\'"');
    return t;
  }

  /** Back-tick string: verbatim text (no escapes, may span lines) with `${expr}` interpolation. */
  private scanTemplate(start: number, line: number, lineStart: number): Token {
    const src = this.src;
    this.pos++; // opening back-tick
    const parts: TemplatePart[] = [];
    let textStart = this.pos;
    let textLine = this.line;
    let textLineStart = this.lineStart;
    // The text is verbatim: it is the source since textStart, taken as one slice.
    const flushText = (): void => {
      if (this.pos > textStart) {
        parts.push({
          kind: 'text',
          text: src.slice(textStart, this.pos),
          span: this.spanAt(textStart, textLine, textLineStart, this.pos - textStart),
        });
      }
    };
    while (this.pos < src.length) {
      const ch = src[this.pos];
      if (ch === '`') {
        flushText();
        this.pos++;
        return this.make('template', start, line, lineStart, { parts });
      }
      if (ch === '$' && src[this.pos + 1] === '{') {
        flushText();
        const exprStart = this.pos;
        const exprLine = this.line;
        const exprLineStart = this.lineStart;
        this.pos += 2;
        const tokens = this.scanInterpolation(exprStart, exprLine, exprLineStart);
        if (tokens === null) {
          // Unterminated: the whole rest of the file was swallowed; stop here.
          const t = this.make('error', start, line, lineStart);
          return t;
        }
        parts.push({
          kind: 'expr',
          tokens,
          span: this.spanAt(exprStart, exprLine, exprLineStart, this.pos - exprStart),
        });
        textStart = this.pos;
        textLine = this.line;
        textLineStart = this.lineStart;
        continue;
      }
      this.advance();
    }
    const t = this.make('error', start, line, lineStart);
    this.error(
      'unterminated back-tick string',
      { ...t.span, length: 1 },
      'close it with another back-tick (`)',
    );
    return t;
  }

  /** Tokens of one `${…}` up to its matching `}`, followed by an eof token at that brace. */
  private scanInterpolation(exprStart: number, exprLine: number, exprLineStart: number): Token[] | null {
    const openSpan = this.spanAt(exprStart, exprLine, exprLineStart, 2);
    if (this.templateDepth >= this.maxDepth) {
      const message = `interpolations nested too deeply (more than ${this.maxDepth} levels)`;
      this.error(message, openSpan, undefined, ErrorCode.Limit);
      this.pos = this.src.length;
      this.abandoned = true;
      return null;
    }
    this.templateDepth++;
    try {
      const tokens: Token[] = [];
      let depth = 0;
      for (;;) {
        const t = this.scan();
        if (t.kind === 'eof') {
          if (!this.abandoned) this.error("unterminated interpolation: expected '}' to close '${'", openSpan);
          return null;
        }
        if (t.kind === 'punct' && (t.text === '{' || t.text === '#{')) depth++;
        if (t.kind === 'punct' && t.text === '}') {
          if (depth === 0) {
            tokens.push({ kind: 'eof', text: '}', span: t.span });
            return tokens;
          }
          depth--;
        }
        tokens.push(t);
      }
    } finally {
      this.templateDepth--;
    }
  }
}
