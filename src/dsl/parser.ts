/**
 * Recursive-descent parser with precedence climbing for binary operators (Rhai's precedence table).
 *
 * Error recovery: a syntax error aborts the current statement only. The statement list that was
 * parsing it records the diagnostic, skips to a synchronisation point (a `;` outside braces, the
 * `}` that closes the braces opened by the statement, or a statement keyword) and goes on, so one
 * run reports every independent error of a file. Errors are reported where the problem is seen,
 * once; tokens the lexer already flagged abort silently.
 *
 * Nesting is limited (`maxExprDepth`): parentheses, unary operators, right operands, blocks and
 * postfix chains all count, so no input can exhaust the JavaScript stack, here or in the
 * interpreter. Left-associative operator chains (`a + b + c …`) do not nest; the interpreter
 * evaluates them iteratively.
 */
import type {
  AssignOp,
  BinaryOp,
  BlockExpr,
  ClosureExpr,
  Expr,
  FnDef,
  IfExpr,
  MapEntry,
  Program,
  Stmt,
  SwitchCase,
  SwitchExpr,
  SwitchPattern,
  TemplateExpr,
} from './ast.ts';
import type { Diagnostic, SourceSpan } from './diagnostics.ts';
import { ErrorCode, formatLocation, sortDiagnostics } from './diagnostics.ts';
import type { Token } from './lexer.ts';
import { RESERVED_WORDS, tokenize } from './lexer.ts';
import { Char, I64_MAX, I64_MIN } from './values.ts';

export interface ParseOptions {
  /** maximum nesting of expressions and blocks (default 64) */
  maxExprDepth?: number;
  /** maximum size of the source in UTF-8 bytes (default 1 MiB) */
  maxSourceBytes?: number;
}

export interface ParseResult {
  program: Program;
  /** errors and warnings, in source order; the program is only safe to run without errors */
  diagnostics: Diagnostic[];
}

export const DEFAULT_MAX_EXPR_DEPTH = 64;
export const DEFAULT_MAX_SOURCE_BYTES = 1_048_576;

/** Rhai's binding powers (token.rs `precedence()`); higher binds tighter. */
const PRECEDENCE: Readonly<Record<string, number>> = {
  '||': 30,
  '|': 30,
  '^': 30,
  '&&': 60,
  '&': 60,
  '==': 90,
  '!=': 90,
  in: 110,
  '!in': 110,
  '<': 130,
  '<=': 130,
  '>': 130,
  '>=': 130,
  '??': 135,
  '..': 140,
  '..=': 140,
  '+': 150,
  '-': 150,
  '*': 180,
  '/': 180,
  '%': 180,
  '**': 190,
  '<<': 210,
  '>>': 210,
};

const ASSIGN_OPS: ReadonlySet<string> = new Set([
  '=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '**=',
  '<<=',
  '>>=',
  '&=',
  '|=',
  '^=',
]);

const STATEMENT_KEYWORDS: ReadonlySet<string> = new Set([
  'let',
  'const',
  'fn',
  'private',
  'if',
  'switch',
  'while',
  'loop',
  'do',
  'for',
  'return',
  'throw',
  'try',
  'break',
  'continue',
  'import',
  'export',
]);

/** Thrown to abandon the current statement; the diagnostic (if any) is already recorded. */
class ParseAbort {}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Parse a whole file. Never throws for bad input: every problem becomes a diagnostic. */
export function parse(source: string, file: string, opts?: ParseOptions): ParseResult {
  const maxDepth = opts?.maxExprDepth ?? DEFAULT_MAX_EXPR_DEPTH;
  const maxBytes = opts?.maxSourceBytes ?? DEFAULT_MAX_SOURCE_BYTES;
  const whole: SourceSpan = { file, line: 1, column: 1, length: 0, offset: 0 };
  const empty: Program = { kind: 'Program', file, statements: [], functions: [], span: whole };

  // Cheap bound first: a UTF-16 code unit is at most 3 UTF-8 bytes.
  if (source.length * 3 > maxBytes) {
    const bytes = utf8Length(source);
    if (bytes > maxBytes) {
      return {
        program: empty,
        diagnostics: [
          {
            severity: 'error',
            code: ErrorCode.Limit,
            message: `source too large (${bytes} bytes; the limit is ${maxBytes} bytes)`,
            span: whole,
            hint: 'split the profile into smaller files',
          },
        ],
      };
    }
  }

  const lexed = tokenize(source, file, { maxDepth });
  const diagnostics = [...lexed.diagnostics];
  const functions: FnDef[] = [];
  const parser = new Parser(lexed.tokens, file, diagnostics, maxDepth, functions, 0);
  let statements: Stmt[] = [];
  try {
    statements = parser.parseProgram();
  } catch (e) {
    // The depth limit makes this unreachable in practice; never let a RangeError escape anyway.
    if (!(e instanceof RangeError)) throw e;
    diagnostics.push({
      severity: 'error',
      code: ErrorCode.Limit,
      message: 'source nested too deeply to parse',
      span: whole,
    });
  }
  reportDuplicateFunctions(functions, diagnostics);
  const end = lexed.tokens[lexed.tokens.length - 1].span;
  return {
    program: { kind: 'Program', file, statements, functions, span: { ...whole, length: end.offset } },
    diagnostics: sortDiagnostics(diagnostics),
  };
}

function reportDuplicateFunctions(functions: FnDef[], diagnostics: Diagnostic[]): void {
  const seen = new Map<string, FnDef>();
  for (const f of functions) {
    const key = `${f.name}/${f.params.length}`;
    const prev = seen.get(key);
    if (prev) {
      diagnostics.push({
        severity: 'warning',
        code: ErrorCode.DuplicateFunction,
        message: `function '${f.name}' with ${f.params.length} parameter${f.params.length === 1 ? '' : 's'} is defined more than once; this definition replaces the one at ${formatLocation(prev.nameSpan)}`,
        span: f.nameSpan,
        related: [{ message: 'previous definition', span: prev.nameSpan }],
      });
    }
    seen.set(key, f);
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return t.text === '}' ? "'}'" : 'end of file';
    case 'string': {
      const v = t.value ?? '';
      return `string "${v.length > 20 ? v.slice(0, 20) + '…' : v}"`;
    }
    case 'template':
      return 'a back-tick string';
    case 'char':
      return `character ${t.text}`;
    case 'error':
      return 'an invalid token';
    default:
      return `'${t.text}'`;
  }
}

/** Where a token ends (line/column after its last character). */
function endOf(t: Token): { line: number; column: number; offset: number } {
  const nl = t.text.lastIndexOf('\n');
  if (nl < 0)
    return {
      line: t.span.line,
      column: t.span.column + t.text.length,
      offset: t.span.offset + t.span.length,
    };
  let lines = 0;
  for (const ch of t.text) if (ch === '\n') lines++;
  return { line: t.span.line + lines, column: t.text.length - nl, offset: t.span.offset + t.span.length };
}

class Parser {
  private pos = 0;
  private loopDepth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
    private readonly diags: Diagnostic[],
    private readonly maxDepth: number,
    private readonly functions: FnDef[],
    private depth: number,
  ) {}

  // ---- token helpers -------------------------------------------------------------------------

  private peek(k = 0): Token {
    return this.tokens[Math.min(this.pos + k, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.tokens[this.pos];
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private isPunct(t: Token, p: string): boolean {
    return t.kind === 'punct' && t.text === p;
  }

  private isKeyword(t: Token, k: string): boolean {
    return t.kind === 'keyword' && t.text === k;
  }

  private atPunct(p: string): boolean {
    return this.isPunct(this.peek(), p);
  }

  private eatPunct(p: string): boolean {
    if (this.atPunct(p)) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** Span from `start` to the end of the last consumed token. */
  private spanFrom(start: SourceSpan): SourceSpan {
    const last = this.tokens[Math.max(0, this.pos - 1)];
    const end = last.span.offset + last.span.length;
    return { ...start, length: Math.max(0, end - start.offset) };
  }

  private report(message: string, span: SourceSpan, hint?: string, code: string = ErrorCode.Syntax): void {
    const d: Diagnostic = { severity: 'error', code, message, span };
    if (hint !== undefined) d.hint = hint;
    this.diags.push(d);
  }

  private fail(message: string, span: SourceSpan, hint?: string, code: string = ErrorCode.Syntax): never {
    this.report(message, span, hint, code);
    throw new ParseAbort();
  }

  /** A token the lexer already reported aborts the statement without a second message. */
  private failUnexpected(expected: string, t: Token = this.peek()): never {
    if (t.kind === 'error') throw new ParseAbort();
    this.fail(`${expected}, found ${describe(t)}`, t.span, this.hintFor(t));
  }

  private hintFor(t: Token): string | undefined {
    if (this.isPunct(t, '=')) return "use '==' to compare; '=' assigns and is only allowed as a statement";
    return undefined;
  }

  private expectPunct(p: string, expected: string): Token {
    if (this.atPunct(p)) return this.next();
    return this.failUnexpected(expected);
  }

  private enter(t: Token): void {
    if (++this.depth > this.maxDepth) {
      this.fail(
        `expression nesting too deep (more than ${this.maxDepth} levels)`,
        t.span,
        'split the expression with intermediate variables',
        ErrorCode.Limit,
      );
    }
  }

  private leave(): void {
    this.depth--;
  }

  // ---- statements ------------------------------------------------------------------------------

  parseProgram(): Stmt[] {
    return this.parseStatements(true);
  }

  private parseStatements(topLevel: boolean): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') return out;
      if (this.isPunct(t, '}')) {
        if (!topLevel) return out;
        this.report("unexpected '}'", t.span, 'there is no open block here for it to close');
        this.next();
        continue;
      }
      if (this.isPunct(t, ';')) {
        this.next();
        continue;
      }
      const startPos = this.pos;
      const depth = this.depth;
      const loopDepth = this.loopDepth;
      try {
        const s = this.parseStatement(topLevel);
        if (s !== null) {
          out.push(s);
          this.expectTerminator(s);
        }
      } catch (e) {
        if (!(e instanceof ParseAbort)) throw e;
        this.depth = depth;
        this.loopDepth = loopDepth;
        this.synchronize(startPos);
      }
    }
  }

  /** Skip the rest of a broken statement (see the file comment). */
  private synchronize(startPos: number): void {
    let braces = 0;
    const count = (t: Token): void => {
      if (t.kind !== 'punct') return;
      if (t.text === '{' || t.text === '#{') braces++;
      else if (t.text === '}' && braces > 0) braces--;
    };
    for (let i = startPos; i < this.pos; i++) count(this.tokens[i]);
    if (this.pos === startPos && this.peek().kind !== 'eof') count(this.next());
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') return;
      if (t.kind === 'punct') {
        if (t.text === ';' && braces === 0) {
          this.next();
          return;
        }
        if (t.text === '}') {
          if (braces === 0) return;
          braces--;
          this.next();
          if (braces === 0) return;
          continue;
        }
        if (t.text === '{' || t.text === '#{') {
          braces++;
          this.next();
          continue;
        }
      }
      if (t.kind === 'keyword' && STATEMENT_KEYWORDS.has(t.text)) {
        const prev = this.tokens[this.pos - 1];
        // Inside unclosed braces only a keyword that starts a line ends the skipping.
        if (braces === 0 || prev === undefined || endOf(prev).line < t.span.line) return;
      }
      this.next();
    }
  }

  private selfTerminated(s: Stmt): boolean {
    switch (s.kind) {
      case 'While':
      case 'Loop':
      case 'For':
      case 'Try':
        return true;
      case 'Expr':
        return (
          (s.expr.kind === 'If' || s.expr.kind === 'Switch' || s.expr.kind === 'Block') &&
          s.expr.span.offset === s.span.offset
        );
      default:
        return false;
    }
  }

  private expectTerminator(s: Stmt): void {
    if (this.eatPunct(';')) return;
    if (this.selfTerminated(s)) return;
    const t = this.peek();
    if (t.kind === 'eof' || this.isPunct(t, '}')) return;
    if (t.kind === 'error') return;
    const prev = this.tokens[this.pos - 1];
    const end = endOf(prev);
    const span: SourceSpan = {
      file: this.file,
      line: end.line,
      column: end.column,
      length: 1,
      offset: end.offset,
    };
    const message = `expected ';' after this statement, found ${describe(t)}`;
    if (t.span.line === end.line) {
      // Something unexpected on the same line: the statement itself is malformed, skip the rest.
      this.fail(message, span, this.hintFor(t) ?? 'statements are separated by ";"');
    }
    this.report(message, span, 'statements are separated by ";"');
  }

  private parseStatement(topLevel: boolean): Stmt | null {
    const t = this.peek();
    if (t.kind === 'keyword') {
      switch (t.text) {
        case 'let':
        case 'const':
          return this.parseLet();
        case 'private':
          if (this.isKeyword(this.peek(1), 'fn')) {
            this.next();
            this.parseFn(topLevel);
            return null;
          }
          return this.failUnexpected("expected 'fn' after 'private'", this.peek(1));
        case 'fn':
          this.parseFn(topLevel);
          return null;
        case 'if':
        case 'switch': {
          const e = t.text === 'if' ? this.parseIf() : this.parseSwitch();
          return { kind: 'Expr', expr: e, span: e.span };
        }
        case 'while':
          return this.parseWhile();
        case 'loop': {
          this.next();
          const body = this.parseLoopBody("the 'loop' body");
          return { kind: 'Loop', body, span: this.spanFrom(t.span) };
        }
        case 'do':
          return this.parseDo();
        case 'for':
          return this.parseFor();
        case 'break':
        case 'continue':
          return this.parseBreakContinue();
        case 'return':
        case 'throw': {
          this.next();
          const value = this.startsExpression(this.peek()) ? this.parseExpr() : null;
          return { kind: t.text === 'return' ? 'Return' : 'Throw', value, span: this.spanFrom(t.span) };
        }
        case 'try':
          return this.parseTry();
        case 'import':
        case 'export':
          return this.fail(`'${t.text}' is not supported: modules are not available in profiles`, t.span);
      }
    }
    if (t.kind === 'ident' && RESERVED_WORDS.has(t.text)) {
      if (t.text === 'var')
        this.fail("'var' is a reserved word", t.span, "declare variables with 'let' (or 'const')");
    }
    if (this.isPunct(t, '{')) {
      const block = this.parseBlock();
      return { kind: 'Expr', expr: block, span: block.span };
    }
    return this.parseExprOrAssign();
  }

  private startsExpression(t: Token): boolean {
    if (t.kind === 'eof') return false;
    if (t.kind === 'punct') return !['}', ';', ')', ']', ',', '=>'].includes(t.text);
    if (t.kind === 'keyword') return !['else', 'catch', 'until'].includes(t.text);
    return true;
  }

  private parseExprOrAssign(): Stmt {
    const start = this.peek().span;
    const target = this.parseExpr();
    const t = this.peek();
    if (t.kind === 'punct' && ASSIGN_OPS.has(t.text)) {
      this.checkAssignable(target, t);
      this.next();
      const value = this.parseExpr();
      const after = this.peek();
      if (after.kind === 'punct' && ASSIGN_OPS.has(after.text)) {
        this.fail('assignments cannot be chained', after.span, 'assign each variable in its own statement');
      }
      return { kind: 'Assign', op: t.text as AssignOp, target, value, span: this.spanFrom(start) };
    }
    return { kind: 'Expr', expr: target, span: this.spanFrom(start) };
  }

  private checkAssignable(target: Expr, op: Token): void {
    switch (target.kind) {
      case 'Variable':
      case 'This':
      case 'Index':
        return;
      case 'Property':
        if (!target.optional) return;
        this.fail("cannot assign through '?.'", target.span);
        break;
      case 'Global':
        this.fail(`cannot assign to 'global::${target.name}': global constants are read-only`, target.span);
        break;
      default:
        this.fail(
          `cannot assign to this expression with '${op.text}'`,
          target.span,
          op.text === '='
            ? "use '==' to compare values"
            : 'only variables, array elements and map properties can be assigned',
        );
    }
  }

  /** A name being declared: a plain identifier, not a keyword. */
  private expectBindingName(what: string): Token {
    const t = this.peek();
    if (t.kind === 'ident') {
      if (RESERVED_WORDS.has(t.text))
        this.fail(`'${t.text}' is a reserved word and cannot be used as ${what}`, t.span);
      return this.next();
    }
    if (t.kind === 'keyword') {
      // Consume it, so that recovery does not take it for the start of the next statement.
      this.next();
      this.fail(
        `expected ${what}, found the keyword '${t.text}'`,
        t.span,
        'keywords cannot be used as names',
      );
    }
    return this.failUnexpected(`expected ${what}`, t);
  }

  private parseLet(): Stmt {
    const kw = this.next();
    const constant = kw.text === 'const';
    const name = this.expectBindingName(
      constant ? "a constant name after 'const'" : "a variable name after 'let'",
    );
    if (this.atPunct(':')) {
      this.fail(
        'type annotations are not supported',
        this.peek().span,
        'Rhai variables are dynamically typed: write `let x = 1;`',
      );
    }
    let init: Expr | null = null;
    if (this.eatPunct('=')) init = this.parseExpr();
    return {
      kind: 'Let',
      name: name.text,
      nameSpan: name.span,
      init,
      constant,
      span: this.spanFrom(kw.span),
    };
  }

  private parseFn(topLevel: boolean): void {
    const kw = this.next();
    const name = this.expectBindingName("a function name after 'fn'");
    const open = this.expectPunct('(', `expected '(' after the function name '${name.text}'`);
    const params: string[] = [];
    const paramSpans: SourceSpan[] = [];
    const seen = new Set<string>();
    for (;;) {
      if (this.eatPunct(')')) break;
      const p = this.expectBindingName('a parameter name');
      if (seen.has(p.text)) this.report(`duplicate parameter '${p.text}'`, p.span);
      seen.add(p.text);
      params.push(p.text);
      paramSpans.push(p.span);
      if (this.eatPunct(',')) continue;
      if (this.eatPunct(')')) break;
      this.failUnexpected(
        `expected ',' or ')' in the parameter list of '${name.text}' opened at ${formatLocation(open.span)}`,
      );
    }
    const savedLoop = this.loopDepth;
    this.loopDepth = 0;
    const body = this.parseBlockAfter(`the body of function '${name.text}'`);
    this.loopDepth = savedLoop;
    const def: FnDef = {
      kind: 'Fn',
      name: name.text,
      params,
      paramSpans,
      body,
      nameSpan: name.span,
      span: this.spanFrom(kw.span),
    };
    if (topLevel) {
      this.functions.push(def);
    } else {
      this.report(
        "'fn' can only be defined at the global level",
        { ...kw.span, length: name.span.offset + name.span.length - kw.span.offset },
        'move the function out of the enclosing block; use a closure (|x| …) for a local function',
      );
    }
  }

  private parseBlockAfter(what: string): BlockExpr {
    if (!this.atPunct('{')) {
      const t = this.peek();
      if (t.kind === 'error') throw new ParseAbort();
      this.fail(
        `expected '{' to start ${what}, found ${describe(t)}`,
        t.span,
        this.hintFor(t) ?? 'bodies are always written in braces: { … }',
      );
    }
    return this.parseBlock();
  }

  private parseLoopBody(what: string): BlockExpr {
    this.loopDepth++;
    const body = this.parseBlockAfter(what);
    this.loopDepth--;
    return body;
  }

  private parseBlock(): BlockExpr {
    const open = this.next();
    this.enter(open);
    const statements = this.parseStatements(false);
    const close = this.peek();
    if (!this.isPunct(close, '}')) {
      if (close.kind === 'error') throw new ParseAbort();
      this.fail(
        `expected '}' to close the block opened at ${formatLocation(open.span)}, found ${describe(close)}`,
        close.span,
      );
    }
    this.next();
    this.leave();
    return { kind: 'Block', statements, span: this.spanFrom(open.span) };
  }

  private parseCondition(what: string): Expr {
    const cond = this.parseExpr();
    const t = this.peek();
    if (this.isPunct(t, '=')) {
      this.fail(`'=' cannot be used in ${what}`, t.span, "use '==' to compare values");
    }
    return cond;
  }

  private parseIf(): IfExpr {
    const kw = this.next();
    const branches: IfExpr['branches'] = [];
    let elseBody: BlockExpr | null = null;
    // `else if` chains are flattened so a long chain costs no nesting.
    for (;;) {
      const cond = this.parseCondition("an 'if' condition");
      const body = this.parseBlockAfter("the 'if' body");
      branches.push({ cond, body });
      if (!this.isKeyword(this.peek(), 'else')) break;
      this.next();
      if (this.isKeyword(this.peek(), 'if')) {
        this.next();
        continue;
      }
      elseBody = this.parseBlockAfter("the 'else' body");
      break;
    }
    return { kind: 'If', branches, elseBody, span: this.spanFrom(kw.span) };
  }

  private parseWhile(): Stmt {
    const kw = this.next();
    const cond = this.parseCondition("a 'while' condition");
    const body = this.parseLoopBody("the 'while' body");
    return { kind: 'While', cond, body, span: this.spanFrom(kw.span) };
  }

  private parseDo(): Stmt {
    const kw = this.next();
    const body = this.parseLoopBody("the 'do' body");
    const t = this.peek();
    if (!this.isKeyword(t, 'while') && !this.isKeyword(t, 'until')) {
      this.failUnexpected("expected 'while' or 'until' after the 'do' body");
    }
    this.next();
    const cond = this.parseCondition(`a '${t.text}' condition`);
    return { kind: 'Do', body, cond, until: t.text === 'until', span: this.spanFrom(kw.span) };
  }

  private parseFor(): Stmt {
    const kw = this.next();
    let name: Token;
    let indexName: string | null = null;
    if (this.atPunct('(')) {
      const open = this.next();
      name = this.expectBindingName('a loop variable name');
      this.expectPunct(',', "expected ',' and a counter variable in 'for (value, index)'");
      const idx = this.expectBindingName('a counter variable name');
      if (idx.text === name.text) this.report(`duplicate loop variable '${idx.text}'`, idx.span);
      indexName = idx.text;
      this.expectPunct(')', `expected ')' to close '(' opened at ${formatLocation(open.span)}`);
    } else {
      name = this.expectBindingName("a loop variable name after 'for'");
    }
    if (!this.isKeyword(this.peek(), 'in')) this.failUnexpected("expected 'in' after the loop variable");
    this.next();
    const iterable = this.parseExpr();
    const body = this.parseLoopBody("the 'for' body");
    return {
      kind: 'For',
      name: name.text,
      nameSpan: name.span,
      indexName,
      iterable,
      body,
      span: this.spanFrom(kw.span),
    };
  }

  private parseBreakContinue(): Stmt {
    const kw = this.next();
    if (this.loopDepth === 0) {
      this.report(`'${kw.text}' can only be used inside a loop`, kw.span);
    }
    if (kw.text === 'continue') return { kind: 'Continue', span: kw.span };
    const value = this.startsExpression(this.peek()) ? this.parseExpr() : null;
    return { kind: 'Break', value, span: this.spanFrom(kw.span) };
  }

  private parseTry(): Stmt {
    const kw = this.next();
    const body = this.parseBlockAfter("the 'try' body");
    if (!this.isKeyword(this.peek(), 'catch')) this.failUnexpected("expected 'catch' after the 'try' body");
    this.next();
    let errorName: string | null = null;
    if (this.atPunct('(')) {
      const open = this.next();
      errorName = this.expectBindingName('a variable name for the error').text;
      this.expectPunct(')', `expected ')' to close '(' opened at ${formatLocation(open.span)}`);
    }
    const catchBody = this.parseBlockAfter("the 'catch' body");
    return { kind: 'Try', body, errorName, catchBody, span: this.spanFrom(kw.span) };
  }

  // ---- expressions -----------------------------------------------------------------------------

  parseExpr(): Expr {
    this.enter(this.peek());
    const e = this.parseBinary(0);
    this.leave();
    return e;
  }

  private binaryOpAt(t: Token): { op: BinaryOp; prec: number; width: number } | null {
    if (t.kind === 'punct') {
      const prec = PRECEDENCE[t.text];
      if (prec !== undefined) return { op: t.text as BinaryOp, prec, width: 1 };
      if (t.text === '!' && this.isKeyword(this.peek(1), 'in'))
        return { op: '!in', prec: PRECEDENCE['!in'], width: 2 };
      return null;
    }
    if (this.isKeyword(t, 'in')) return { op: 'in', prec: PRECEDENCE.in, width: 1 };
    return null;
  }

  private parseBinary(minPrec: number): Expr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const found = this.binaryOpAt(t);
      if (found === null || found.prec < minPrec) return left;
      this.pos += found.width;
      const opSpan = this.spanFrom(t.span);
      // `**` is right-associative; everything else left-associative (and built iteratively here).
      const nextMin = found.op === '**' ? found.prec : found.prec + 1;
      this.enter(this.peek());
      const right = this.parseBinary(nextMin);
      this.leave();
      left = { kind: 'Binary', op: found.op, left, right, opSpan, span: this.spanFrom(left.span) };
    }
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (t.kind === 'punct' && (t.text === '-' || t.text === '+' || t.text === '!')) {
      this.next();
      const n = this.peek();
      // Fold `-<int literal>` so that i64::MIN can be written, unless a method call follows:
      // `-5.abs()` is `-(5.abs())` as in Rhai.
      if (t.text === '-' && n.kind === 'int' && !this.startsPostfix(this.peek(1))) {
        this.next();
        const value = -(n.int ?? 0n);
        const span = this.spanFrom(t.span);
        if (value < I64_MIN)
          this.report(`integer literal is too small for i64 (the minimum is ${I64_MIN})`, span);
        return { kind: 'Int', value: value < I64_MIN ? 0n : value, span };
      }
      this.enter(t);
      const operand = this.parseUnary();
      this.leave();
      return { kind: 'Unary', op: t.text, operand, span: this.spanFrom(t.span) };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private startsPostfix(t: Token): boolean {
    return t.kind === 'punct' && (t.text === '.' || t.text === '?.' || t.text === '[');
  }

  private parsePostfix(expr: Expr): Expr {
    let chain = 0;
    for (;;) {
      const t = this.peek();
      if (!this.startsPostfix(t)) return expr;
      // Postfix chains build left-nested trees: count them towards the nesting limit.
      if (this.depth + ++chain > this.maxDepth) {
        this.fail(
          `expression nesting too deep (more than ${this.maxDepth} levels)`,
          t.span,
          undefined,
          ErrorCode.Limit,
        );
      }
      this.next();
      if (t.text === '[') {
        const index = this.parseExpr();
        this.expectPunct(']', `expected ']' to close the index opened at ${formatLocation(t.span)}`);
        expr = { kind: 'Index', object: expr, index, span: this.spanFrom(expr.span) };
        continue;
      }
      const nameTok = this.peek();
      if (nameTok.kind !== 'ident') {
        this.failUnexpected(`expected a property or method name after '${t.text}'`);
      }
      this.next();
      const optional = t.text === '?.';
      if (this.atPunct('(')) {
        const open = this.next();
        const args = this.parseArgs(nameTok.text, open);
        expr = {
          kind: 'MethodCall',
          object: expr,
          name: nameTok.text,
          nameSpan: nameTok.span,
          args,
          optional,
          span: this.spanFrom(expr.span),
        };
      } else {
        expr = {
          kind: 'Property',
          object: expr,
          name: nameTok.text,
          nameSpan: nameTok.span,
          optional,
          span: this.spanFrom(expr.span),
        };
      }
    }
  }

  private parseArgs(name: string, open: Token): Expr[] {
    const args: Expr[] = [];
    for (;;) {
      if (this.eatPunct(')')) return args;
      args.push(this.parseExpr());
      if (this.eatPunct(',')) continue;
      if (this.eatPunct(')')) return args;
      const t = this.peek();
      if (t.kind === 'error') throw new ParseAbort();
      this.fail(
        `expected ')' to close the call to '${name}' opened at ${formatLocation(open.span)}, found ${describe(t)}`,
        t.span,
        this.hintFor(t) ??
          (this.startsExpression(t) && !this.isPunct(t, '{') ? "separate arguments with ','" : undefined),
      );
    }
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'int': {
        this.next();
        let value = t.int ?? 0n;
        if (value > I64_MAX) {
          this.report(
            `integer literal is too large for i64 (the maximum is ${I64_MAX})`,
            t.span,
            'use a float (e.g. 1.0e20) for larger numbers',
          );
          value = 0n;
        }
        return { kind: 'Int', value, span: t.span };
      }
      case 'float':
        this.next();
        return { kind: 'Float', value: t.float ?? 0, span: t.span };
      case 'string':
        this.next();
        return { kind: 'String', value: t.value ?? '', span: t.span };
      case 'char':
        this.next();
        return { kind: 'Char', value: new Char(t.value ?? ''), span: t.span };
      case 'template':
        return this.parseTemplate();
      case 'ident':
        return this.parseIdentifier();
      case 'keyword':
        return this.parseKeywordExpr(t);
      case 'punct':
        switch (t.text) {
          case '(': {
            const open = this.next();
            if (this.eatPunct(')')) return { kind: 'Unit', span: this.spanFrom(open.span) };
            const inner = this.parseExpr();
            this.expectPunct(')', `expected ')' to close '(' opened at ${formatLocation(open.span)}`);
            return inner;
          }
          case '[':
            return this.parseArray();
          case '#{':
            return this.parseMap();
          case '{':
            return this.parseBlock();
          case '|':
          case '||':
            return this.parseClosure();
        }
        return this.failUnexpected('expected an expression');
      default:
        return this.failUnexpected('expected an expression');
    }
  }

  private parseIdentifier(): Expr {
    const t = this.next();
    if (RESERVED_WORDS.has(t.text)) {
      const hint =
        t.text === 'null' || t.text === 'nil'
          ? "Rhai has no null: use () for 'no value'"
          : t.text === 'var'
            ? "declare variables with 'let'"
            : undefined;
      this.fail(`'${t.text}' is a reserved word`, t.span, hint);
    }
    if (this.atPunct('(')) {
      const open = this.next();
      const args = this.parseArgs(t.text, open);
      return { kind: 'Call', name: t.text, nameSpan: t.span, args, span: this.spanFrom(t.span) };
    }
    if (this.atPunct('::')) {
      this.fail(
        `unknown namespace '${t.text}'`,
        t.span,
        "only 'global::NAME' (a global constant) is supported",
      );
    }
    return { kind: 'Variable', name: t.text, span: t.span };
  }

  private parseKeywordExpr(t: Token): Expr {
    switch (t.text) {
      case 'true':
      case 'false':
        this.next();
        return { kind: 'Bool', value: t.text === 'true', span: t.span };
      case 'this':
        this.next();
        return { kind: 'This', span: t.span };
      case 'global': {
        this.next();
        this.expectPunct('::', "expected '::' after 'global' (as in global::NAME)");
        const name = this.peek();
        if (name.kind !== 'ident') this.failUnexpected("expected a constant name after 'global::'");
        this.next();
        return { kind: 'Global', name: name.text, span: this.spanFrom(t.span) };
      }
      case 'if':
        return this.parseIf();
      case 'switch':
        return this.parseSwitch();
      case 'fn':
        return this.fail(
          "'fn' can only be defined at the global level",
          t.span,
          'use a closure for a function value: |x| x + 1',
        );
      case 'let':
      case 'const':
        return this.fail(
          `expected an expression, found '${t.text}'`,
          t.span,
          `'${t.text}' declares a variable: it is a statement and has no value`,
        );
      case 'while':
      case 'loop':
      case 'for':
      case 'do':
        return this.fail(
          `expected an expression, found '${t.text}'`,
          t.span,
          'loops are statements; they cannot be used as values',
        );
      default:
        return this.fail(`expected an expression, found '${t.text}'`, t.span);
    }
  }

  private parseTemplate(): TemplateExpr {
    const t = this.next();
    const parts: (string | Expr)[] = [];
    for (const part of t.parts ?? []) {
      if (part.kind === 'text') {
        parts.push(part.text);
        continue;
      }
      if (part.tokens.length <= 1) {
        this.fail("empty interpolation '${}'", part.span, 'put an expression inside: ${name}');
      }
      const sub = new Parser(part.tokens, this.file, this.diags, this.maxDepth, this.functions, this.depth);
      const e = sub.parseExpr();
      const rest = sub.peek();
      if (rest.kind !== 'eof') {
        if (rest.kind === 'error') throw new ParseAbort();
        this.fail(
          `expected '}' to close the interpolation opened at ${formatLocation(part.span)}, found ${describe(rest)}`,
          rest.span,
        );
      }
      parts.push(e);
    }
    return { kind: 'Template', parts, span: t.span };
  }

  private parseArray(): Expr {
    const open = this.next();
    this.enter(open);
    const elements: Expr[] = [];
    for (;;) {
      if (this.eatPunct(']')) break;
      elements.push(this.parseExpr());
      if (this.eatPunct(',')) continue;
      if (this.eatPunct(']')) break;
      const t = this.peek();
      if (t.kind === 'error') throw new ParseAbort();
      this.fail(
        `expected ']' to close the array opened at ${formatLocation(open.span)}, found ${describe(t)}`,
        t.span,
        this.startsExpression(t) ? "separate elements with ','" : undefined,
      );
    }
    this.leave();
    return { kind: 'Array', elements, span: this.spanFrom(open.span) };
  }

  private parseMap(): Expr {
    const open = this.next();
    this.enter(open);
    const entries: MapEntry[] = [];
    const seen = new Set<string>();
    for (;;) {
      if (this.eatPunct('}')) break;
      const k = this.peek();
      let key: string;
      if (k.kind === 'ident' || k.kind === 'string') {
        key = k.kind === 'string' ? (k.value ?? '') : k.text;
      } else if (k.kind === 'keyword') {
        this.fail(`'${k.text}' cannot be a bare property name`, k.span, `quote it: "${k.text}": …`);
      } else {
        this.failUnexpected(
          `expected a property name or '}' in the object map opened at ${formatLocation(open.span)}`,
        );
      }
      this.next();
      this.expectPunct(':', `expected ':' after the property name '${key}'`);
      const value = this.parseExpr();
      if (seen.has(key)) this.report(`duplicate property '${key}' in object map literal`, k.span);
      seen.add(key);
      entries.push({ key, keySpan: k.span, value });
      if (this.eatPunct(',')) continue;
      if (this.eatPunct('}')) break;
      const t = this.peek();
      if (t.kind === 'error') throw new ParseAbort();
      this.fail(
        `expected '}' to close the object map opened at ${formatLocation(open.span)}, found ${describe(t)}`,
        t.span,
        t.kind === 'ident' || t.kind === 'string' ? "separate properties with ','" : undefined,
      );
    }
    this.leave();
    return { kind: 'Map', entries, span: this.spanFrom(open.span) };
  }

  private parseClosure(): ClosureExpr {
    const open = this.next();
    this.enter(open);
    const params: string[] = [];
    const paramSpans: SourceSpan[] = [];
    if (open.text === '|') {
      const seen = new Set<string>();
      for (;;) {
        if (this.eatPunct('|')) break;
        const p = this.expectBindingName('a closure parameter name');
        if (seen.has(p.text)) this.report(`duplicate parameter '${p.text}'`, p.span);
        seen.add(p.text);
        params.push(p.text);
        paramSpans.push(p.span);
        if (this.eatPunct(',')) continue;
        if (this.eatPunct('|')) break;
        this.failUnexpected(
          `expected ',' or '|' in the closure parameters opened at ${formatLocation(open.span)}`,
        );
      }
    }
    // `break` inside a closure cannot reach a loop outside it.
    const savedLoop = this.loopDepth;
    this.loopDepth = 0;
    const body = this.parseExpr();
    this.loopDepth = savedLoop;
    this.leave();
    return { kind: 'Closure', params, paramSpans, body, span: this.spanFrom(open.span) };
  }

  private parseSwitch(): SwitchExpr {
    const kw = this.next();
    const subject = this.parseExpr();
    if (!this.atPunct('{')) this.failUnexpected("expected '{' to start the switch cases");
    const open = this.next();
    this.enter(open);
    const cases: SwitchCase[] = [];
    let defaultBody: Expr | null = null;
    // first span of every unguarded case value (a Map: 100,000 cases must not be compared pairwise)
    const seen = new Map<string, SourceSpan>();
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, '}')) break;
      if (t.kind === 'eof') {
        this.fail(
          `expected '}' to close the switch opened at ${formatLocation(open.span)}, found end of file`,
          t.span,
        );
      }
      if (defaultBody !== null) {
        this.fail("the default case '_' must be the last case", t.span);
      }
      let body: Expr;
      if (t.kind === 'ident' && t.text === '_') {
        this.next();
        this.expectPunct('=>', "expected '=>' after '_'");
        body = this.parseCaseBody();
        defaultBody = body;
      } else {
        const patterns: SwitchPattern[] = [this.parsePattern()];
        while (this.eatPunct('|')) patterns.push(this.parsePattern());
        let guard: Expr | null = null;
        if (this.isKeyword(this.peek(), 'if')) {
          this.next();
          guard = this.parseExpr();
        }
        this.expectPunct('=>', "expected '=>' after the switch case");
        body = this.parseCaseBody();
        if (guard === null) {
          for (const p of patterns) {
            const key =
              p.kind === 'value'
                ? `${typeof p.value}:${String(p.value)}`
                : `range:${p.start}:${p.end}:${p.inclusive}`;
            const first = seen.get(key);
            if (first !== undefined)
              this.report(`duplicate switch case (first at ${formatLocation(first)})`, p.span);
            else seen.set(key, p.span);
          }
        }
        cases.push({ patterns, guard, body, span: this.spanFrom(t.span) });
      }
      if (this.eatPunct(',')) continue;
      if (this.atPunct('}')) break;
      if (body.kind === 'Block') continue;
      this.failUnexpected("expected ',' or '}' after the switch case");
    }
    this.next();
    this.leave();
    return { kind: 'Switch', subject, cases, defaultBody, span: this.spanFrom(kw.span) };
  }

  private parseCaseBody(): Expr {
    return this.atPunct('{') ? this.parseBlock() : this.parseExpr();
  }

  private parsePattern(): SwitchPattern {
    const start = this.peek();
    const literalInt = (): bigint | null => {
      const neg = this.atPunct('-') && this.peek(1).kind === 'int';
      if (neg) this.next();
      const t = this.peek();
      if (t.kind !== 'int') return null;
      this.next();
      const v = neg ? -(t.int ?? 0n) : (t.int ?? 0n);
      if (v > I64_MAX || v < I64_MIN)
        this.report('integer literal out of range for i64', this.spanFrom(start.span));
      return v;
    };
    if (this.atPunct('-') && this.peek(1).kind === 'float') {
      this.next();
      const f = this.next();
      return { kind: 'value', value: -(f.float ?? 0), span: this.spanFrom(start.span) };
    }
    const n = literalInt();
    if (n !== null) {
      if (this.atPunct('..') || this.atPunct('..=')) {
        const inclusive = this.next().text === '..=';
        const end = literalInt();
        if (end === null) this.failUnexpected('expected an integer to end the range');
        return { kind: 'range', start: n, end, inclusive, span: this.spanFrom(start.span) };
      }
      return { kind: 'value', value: n, span: start.span };
    }
    const t = this.peek();
    switch (t.kind) {
      case 'float':
        this.next();
        return { kind: 'value', value: t.float ?? 0, span: t.span };
      case 'string':
        this.next();
        return { kind: 'value', value: t.value ?? '', span: t.span };
      case 'char':
        this.next();
        return { kind: 'value', value: new Char(t.value ?? ''), span: t.span };
      case 'keyword':
        if (t.text === 'true' || t.text === 'false') {
          this.next();
          return { kind: 'value', value: t.text === 'true', span: t.span };
        }
        break;
      case 'punct':
        if (t.text === '(' && this.isPunct(this.peek(1), ')')) {
          this.next();
          this.next();
          return { kind: 'value', value: null, span: this.spanFrom(t.span) };
        }
        break;
    }
    if (t.kind === 'error') throw new ParseAbort();
    return this.fail(
      `expected a switch case value, found ${describe(t)}`,
      t.span,
      "cases are literal values (1, \"a\", 'c', true), integer ranges (1..5, 1..=5) or '_' for the default",
    );
  }
}
