/**
 * Rhai as KeyRx profiles use it, for CodeMirror: a stream tokenizer (no grammar — the real parser
 * runs on every keystroke anyway and reports what is wrong), highlighting, indentation and the
 * language data completion and comment toggling read.
 *
 * KeyRx built-ins get their own token, and inside strings the names the compiler interprets
 * (`VK_Escape`, `MD_00`, `LK_01`, `LANG_ja`) are styled apart from plain text.
 */
import type { StringStream } from '@codemirror/language';
import {
  HighlightStyle,
  LanguageSupport,
  StreamLanguage,
  indentUnit,
  syntaxHighlighting,
} from '@codemirror/language';
import type { Extension } from '@codemirror/state';
import { Tag, tags } from '@lezer/highlight';
import { BUILTIN_SET, KEYWORDS } from './builtin-docs.ts';
import { rhaiCompletions } from './completions.ts';

/** Token tags of our own; each falls back to a standard tag for other highlighters. */
export const rhaiTags = {
  builtin: Tag.define('keyrxBuiltin', tags.variableName),
  keyName: Tag.define('keyrxKeyName', tags.string),
  layerName: Tag.define('keyrxLayerName', tags.string),
  lockName: Tag.define('keyrxLockName', tags.string),
  interpolation: Tag.define('rhaiInterpolation', tags.string),
};

const KEYWORD_SET = new Set(KEYWORDS);
const BLOCK_OPENERS = new Set(['device_start', 'when_start', 'when_not_start', 'when_device_start']);
const BLOCK_CLOSERS = new Set(['device_end', 'when_end', 'when_not_end', 'when_device_end']);

export interface RhaiState {
  /** depth of nested block comments still open (Rhai's block comments nest) */
  commentDepth: number;
  /** the quote of the string being read, or null in code */
  quote: '"' | '`' | null;
  /** per open `${` of a template string: the braces opened inside it */
  interpolations: number[];
  /** open brackets of every kind: the indentation */
  brackets: number;
  /** open device_start/when_start blocks, which KeyRx profiles indent like braces */
  blocks: number;
  /** the previous token was `fn`: the next name is a definition */
  afterFn: boolean;
}

// A name the compiler reads inside a string, matched at a word boundary.
const NAME_IN_STRING = /^(?:VK_\w*|MD_[0-9A-Fa-f]*|LK_[0-9A-Fa-f]*|LANG_[\w-]*|APP:|TITLE:)/;
const NUMBER = /^(?:0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)/;
const OPERATOR = /^(?:\.\.=?|::|=>|\?\?|\?\.|[-+*/%=!<>&|^]+)/;

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && /\w/.test(ch);
}

function blockComment(stream: StringStream, state: RhaiState): string {
  while (!stream.eol()) {
    if (stream.match('/*')) state.commentDepth++;
    else if (stream.match('*/')) {
      state.commentDepth--;
      if (state.commentDepth === 0) break;
    } else stream.next();
  }
  return 'blockComment';
}

function stringBody(stream: StringStream, state: RhaiState): string {
  const quote = state.quote!;
  if (!isWordChar(stream.string[stream.pos - 1])) {
    const m = stream.match(NAME_IN_STRING) as RegExpMatchArray | null;
    // `APP:` / `TITLE:` (the condition prefixes) are followed by the user's glob
    if (m && (m[0].endsWith(':') || !isWordChar(stream.peek()))) {
      const text = m[0];
      if (text.endsWith(':')) return 'keyrxLayer';
      return text.startsWith('MD_') ? 'keyrxLayer' : text.startsWith('LK_') ? 'keyrxLock' : 'keyrxKey';
    }
    if (m) stream.backUp(m[0].length);
  }
  if (quote === '`' && stream.match('${')) {
    state.interpolations.push(0);
    state.quote = null;
    return 'rhaiInterpolation';
  }
  if (stream.peek() === '\\') {
    stream.next();
    if (!stream.match(/^(?:u\{[0-9a-fA-F]{1,6}\}|x[0-9a-fA-F]{2})/)) stream.next();
    return 'escape';
  }
  if (stream.peek() === quote) {
    stream.next();
    state.quote = null;
    return 'string';
  }
  // Plain text up to something that is styled differently (at least one character: a name that
  // did not qualify above, like `MD_LShift`, is plain text).
  const start = stream.pos;
  while (!stream.eol()) {
    const ch = stream.peek();
    if (ch === quote || ch === '\\' || (quote === '`' && ch === '$' && stream.string[stream.pos + 1] === '{'))
      break;
    if (
      stream.pos > start &&
      !isWordChar(stream.string[stream.pos - 1]) &&
      stream.match(NAME_IN_STRING, false)
    )
      break;
    stream.next();
  }
  return 'string';
}

function code(stream: StringStream, state: RhaiState): string | null {
  if (stream.eatSpace()) return null;
  if (stream.match('///')) {
    stream.skipToEnd();
    return 'docComment';
  }
  if (stream.match('//')) {
    stream.skipToEnd();
    return 'lineComment';
  }
  if (stream.match('/*')) {
    state.commentDepth = 1;
    return blockComment(stream, state);
  }
  const ch = stream.peek()!;
  if (ch === '"' || ch === '`') {
    stream.next();
    state.quote = ch;
    return 'string';
  }
  if (ch === "'") {
    stream.next();
    if (stream.eat('\\')) stream.match(/^(?:u\{[0-9a-fA-F]{1,6}\}|x[0-9a-fA-F]{2}|.)/);
    else stream.next();
    stream.eat("'");
    return 'character';
  }
  if (stream.match(NUMBER)) return 'number';
  const word = stream.match(/^[A-Za-z_]\w*/) as RegExpMatchArray | null;
  if (word) {
    const name = word[0];
    const definition = state.afterFn;
    state.afterFn = name === 'fn';
    if (KEYWORD_SET.has(name)) {
      if (name === 'true' || name === 'false') return 'bool';
      if (name === 'this') return 'self';
      if (name === 'let' || name === 'const' || name === 'fn') return 'definitionKeyword';
      return 'keyword';
    }
    if (definition) return 'variableName.function.definition';
    const isCall = stream.match(/^\s*\(/, false);
    if (isCall && BUILTIN_SET.has(name)) {
      if (BLOCK_OPENERS.has(name)) state.blocks++;
      else if (BLOCK_CLOSERS.has(name)) state.blocks = Math.max(0, state.blocks - 1);
      return 'keyrxBuiltin';
    }
    if (isCall) return 'variableName.function';
    if (/^[A-Z][A-Z0-9_]+$/.test(name)) return 'variableName.constant';
    return 'variableName';
  }
  state.afterFn = false;
  if (ch === '#' && stream.match('#{')) {
    state.brackets++;
    if (state.interpolations.length > 0) state.interpolations[state.interpolations.length - 1]++;
    return 'brace';
  }
  if (ch === '{' || ch === '(' || ch === '[') {
    stream.next();
    state.brackets++;
    if (ch === '{' && state.interpolations.length > 0)
      state.interpolations[state.interpolations.length - 1]++;
    return ch === '{' ? 'brace' : ch === '(' ? 'paren' : 'squareBracket';
  }
  if (ch === '}' || ch === ')' || ch === ']') {
    stream.next();
    if (ch === '}' && state.interpolations.length > 0) {
      const top = state.interpolations.length - 1;
      if (state.interpolations[top] === 0) {
        // the end of `${ … }`: back inside the template string
        state.interpolations.pop();
        state.quote = '`';
        return 'rhaiInterpolation';
      }
      state.interpolations[top]--;
    }
    state.brackets = Math.max(0, state.brackets - 1);
    return ch === '}' ? 'brace' : ch === ')' ? 'paren' : 'squareBracket';
  }
  if (stream.match(OPERATOR)) return 'operator';
  stream.next();
  if (ch === ',' || ch === ';') return 'separator';
  if (ch === '.' || ch === ':') return 'punctuation';
  return null;
}

const rhaiParser = {
  name: 'rhai',
  startState: (): RhaiState => ({
    commentDepth: 0,
    quote: null,
    interpolations: [],
    brackets: 0,
    blocks: 0,
    afterFn: false,
  }),
  copyState: (s: RhaiState): RhaiState => ({ ...s, interpolations: [...s.interpolations] }),
  token(stream: StringStream, state: RhaiState): string | null {
    let style: string | null;
    if (state.commentDepth > 0) style = blockComment(stream, state);
    else if (state.quote) style = stringBody(stream, state);
    else style = code(stream, state);
    // A "…" string ends with its line unless the line ends in a `\` continuation: one missing
    // quote must not colour the rest of the file.
    if (stream.eol() && state.quote === '"' && !stream.string.endsWith('\\')) state.quote = null;
    return style;
  },
  indent(state: RhaiState, textAfter: string, cx: { unit: number }): number | null {
    if (state.commentDepth > 0 || state.quote) return null;
    const closes = /^\s*[}\])]/.test(textAfter) ? 1 : 0;
    const endsBlock = /^\s*(?:device_end|when_end|when_not_end|when_device_end)\b/.test(textAfter) ? 1 : 0;
    return Math.max(0, state.brackets - closes + state.blocks - endsBlock) * cx.unit;
  },
  languageData: {
    commentTokens: { line: '//', block: { open: '/*', close: '*/' } },
    closeBrackets: { brackets: ['(', '[', '{', '"', '`'] },
    indentOnInput: /^\s*(?:[}\])]|device_end|when_end|when_not_end|when_device_end)$/,
    autocomplete: rhaiCompletions,
  },
  // names of our own: StreamLanguage reads CodeMirror 5 names like `builtin` its own way
  tokenTable: {
    keyrxBuiltin: rhaiTags.builtin,
    keyrxKey: rhaiTags.keyName,
    keyrxLayer: rhaiTags.layerName,
    keyrxLock: rhaiTags.lockName,
    rhaiInterpolation: rhaiTags.interpolation,
  },
};

export const rhaiLanguage = StreamLanguage.define<RhaiState>(rhaiParser);

/** Colours come from the page's CSS variables, so the light and dark themes both apply. */
export const rhaiHighlightStyle = HighlightStyle.define([
  { tag: [tags.keyword, tags.definitionKeyword, tags.self], color: 'var(--layer)', fontWeight: '600' },
  { tag: rhaiTags.builtin, color: 'var(--accent)', fontWeight: '600' },
  {
    tag: [tags.function(tags.variableName), tags.definition(tags.function(tags.variableName))],
    color: 'var(--remap)',
  },
  { tag: tags.constant(tags.variableName), color: 'var(--lock)' },
  { tag: [tags.string, tags.character], color: 'var(--success)' },
  { tag: rhaiTags.keyName, color: 'var(--remap)', fontWeight: '600' },
  { tag: rhaiTags.layerName, color: 'var(--layer)', fontWeight: '600' },
  { tag: rhaiTags.lockName, color: 'var(--lock)', fontWeight: '600' },
  { tag: [tags.escape, rhaiTags.interpolation], color: 'var(--taphold)' },
  { tag: [tags.number, tags.bool], color: 'var(--taphold)' },
  { tag: [tags.lineComment, tags.blockComment, tags.docComment], color: 'var(--muted)', fontStyle: 'italic' },
  { tag: tags.operator, color: 'var(--text)' },
]);

/** The language, its highlighting and KeyRx's 4-space indentation. */
export function rhai(): Extension {
  return [new LanguageSupport(rhaiLanguage), syntaxHighlighting(rhaiHighlightStyle), indentUnit.of('    ')];
}
