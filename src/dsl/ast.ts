/**
 * Syntax tree of a parsed script. Every node has the span of the source it came from, so runtime
 * errors point at the exact expression. Nodes are plain data (serialisable except for bigint
 * literals and the few literal values stored in switch patterns).
 */
import type { SourceSpan } from './diagnostics.ts';
import type { Char } from './values.ts';

export interface Program {
  kind: 'Program';
  file: string;
  statements: Stmt[];
  /** every `fn` of the file, in source order (hoisted: callable before their definition) */
  functions: FnDef[];
  span: SourceSpan;
}

export interface FnDef {
  kind: 'Fn';
  name: string;
  params: string[];
  paramSpans: SourceSpan[];
  body: BlockExpr;
  nameSpan: SourceSpan;
  span: SourceSpan;
}

export type Stmt =
  | LetStmt
  | ExprStmt
  | AssignStmt
  | WhileStmt
  | DoStmt
  | LoopStmt
  | ForStmt
  | BreakStmt
  | ContinueStmt
  | ReturnStmt
  | ThrowStmt
  | TryStmt;

export interface LetStmt {
  kind: 'Let';
  name: string;
  nameSpan: SourceSpan;
  init: Expr | null;
  constant: boolean;
  span: SourceSpan;
}

export interface ExprStmt {
  kind: 'Expr';
  expr: Expr;
  span: SourceSpan;
}

export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=' | '%=' | '**=' | '<<=' | '>>=' | '&=' | '|=' | '^=';

export interface AssignStmt {
  kind: 'Assign';
  op: AssignOp;
  target: Expr;
  value: Expr;
  span: SourceSpan;
}

export interface WhileStmt {
  kind: 'While';
  cond: Expr;
  body: BlockExpr;
  span: SourceSpan;
}

export interface DoStmt {
  kind: 'Do';
  body: BlockExpr;
  cond: Expr;
  /** `do { } until cond` stops when cond is true; `do { } while cond` when it is false */
  until: boolean;
  span: SourceSpan;
}

export interface LoopStmt {
  kind: 'Loop';
  body: BlockExpr;
  span: SourceSpan;
}

export interface ForStmt {
  kind: 'For';
  name: string;
  nameSpan: SourceSpan;
  /** `for (x, i) in …`: the counter variable */
  indexName: string | null;
  iterable: Expr;
  body: BlockExpr;
  span: SourceSpan;
}

export interface BreakStmt {
  kind: 'Break';
  value: Expr | null;
  span: SourceSpan;
}

export interface ContinueStmt {
  kind: 'Continue';
  span: SourceSpan;
}

export interface ReturnStmt {
  kind: 'Return';
  value: Expr | null;
  span: SourceSpan;
}

export interface ThrowStmt {
  kind: 'Throw';
  value: Expr | null;
  span: SourceSpan;
}

export interface TryStmt {
  kind: 'Try';
  body: BlockExpr;
  errorName: string | null;
  catchBody: BlockExpr;
  span: SourceSpan;
}

export type Expr =
  | IntLit
  | FloatLit
  | StringLit
  | CharLit
  | BoolLit
  | UnitLit
  | TemplateExpr
  | ArrayExpr
  | MapExpr
  | VariableExpr
  | ThisExpr
  | GlobalExpr
  | UnaryExpr
  | BinaryExpr
  | IndexExpr
  | PropertyExpr
  | CallExpr
  | MethodCallExpr
  | IfExpr
  | SwitchExpr
  | BlockExpr
  | ClosureExpr;

export interface IntLit {
  kind: 'Int';
  value: bigint;
  span: SourceSpan;
}
export interface FloatLit {
  kind: 'Float';
  value: number;
  span: SourceSpan;
}
export interface StringLit {
  kind: 'String';
  value: string;
  span: SourceSpan;
}
export interface CharLit {
  kind: 'Char';
  value: Char;
  span: SourceSpan;
}
export interface BoolLit {
  kind: 'Bool';
  value: boolean;
  span: SourceSpan;
}
export interface UnitLit {
  kind: 'Unit';
  span: SourceSpan;
}

export interface TemplateExpr {
  kind: 'Template';
  /** literal text and interpolated expressions, in order */
  parts: (string | Expr)[];
  span: SourceSpan;
}

export interface ArrayExpr {
  kind: 'Array';
  elements: Expr[];
  span: SourceSpan;
}

export interface MapEntry {
  key: string;
  keySpan: SourceSpan;
  value: Expr;
}

export interface MapExpr {
  kind: 'Map';
  entries: MapEntry[];
  span: SourceSpan;
}

export interface VariableExpr {
  kind: 'Variable';
  name: string;
  span: SourceSpan;
}

export interface ThisExpr {
  kind: 'This';
  span: SourceSpan;
}

/** `global::NAME`: a constant declared at the top level of the file */
export interface GlobalExpr {
  kind: 'Global';
  name: string;
  span: SourceSpan;
}

export type UnaryOp = '-' | '+' | '!';

export interface UnaryExpr {
  kind: 'Unary';
  op: UnaryOp;
  operand: Expr;
  span: SourceSpan;
}

export type BinaryOp =
  | '||'
  | '&&'
  | '|'
  | '^'
  | '&'
  | '=='
  | '!='
  | 'in'
  | '!in'
  | '<'
  | '<='
  | '>'
  | '>='
  | '??'
  | '..'
  | '..='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '**'
  | '<<'
  | '>>';

export interface BinaryExpr {
  kind: 'Binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
  opSpan: SourceSpan;
  span: SourceSpan;
}

export interface IndexExpr {
  kind: 'Index';
  object: Expr;
  index: Expr;
  span: SourceSpan;
}

export interface PropertyExpr {
  kind: 'Property';
  object: Expr;
  name: string;
  nameSpan: SourceSpan;
  /** `obj?.name`: () when obj is () */
  optional: boolean;
  span: SourceSpan;
}

export interface CallExpr {
  kind: 'Call';
  name: string;
  nameSpan: SourceSpan;
  args: Expr[];
  span: SourceSpan;
}

export interface MethodCallExpr {
  kind: 'MethodCall';
  object: Expr;
  name: string;
  nameSpan: SourceSpan;
  args: Expr[];
  optional: boolean;
  span: SourceSpan;
}

export interface IfBranch {
  cond: Expr;
  body: BlockExpr;
}

/** `if … else if … else …`, flattened so long chains do not nest */
export interface IfExpr {
  kind: 'If';
  branches: IfBranch[];
  elseBody: BlockExpr | null;
  span: SourceSpan;
}

export type SwitchPattern =
  | { kind: 'value'; value: bigint | number | string | boolean | Char | null; span: SourceSpan }
  | { kind: 'range'; start: bigint; end: bigint; inclusive: boolean; span: SourceSpan };

export interface SwitchCase {
  patterns: SwitchPattern[];
  guard: Expr | null;
  body: Expr;
  span: SourceSpan;
}

export interface SwitchExpr {
  kind: 'Switch';
  subject: Expr;
  cases: SwitchCase[];
  defaultBody: Expr | null;
  span: SourceSpan;
}

export interface BlockExpr {
  kind: 'Block';
  statements: Stmt[];
  span: SourceSpan;
}

export interface ClosureExpr {
  kind: 'Closure';
  params: string[];
  paramSpans: SourceSpan[];
  body: Expr;
  span: SourceSpan;
}
