/**
 * Completion for KeyRx profiles: key names inside strings (bare for the input key of map/tap_hold/…,
 * `VK_` for outputs), `MD_xx` layers and `LK_xx` locks where they fit, and outside strings the
 * built-ins (with a signature and a snippet), keywords and the names the profile defines.
 */
import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import { snippetCompletion } from '@codemirror/autocomplete';
import { KEYS } from '../../../src/core/keys.ts';
import { BUILTINS, KEYWORDS } from './builtin-docs.ts';

// ------------------------------------------------------------------ where is the cursor?

export interface CallFrame {
  /** the function whose argument list this is; null for a bare `(`, an array or a block */
  name: string | null;
  open: '(' | '[' | '{';
  /** 0-based index of the argument (or element) the cursor is in */
  arg: number;
}

export type CursorContext =
  | { kind: 'code'; frames: CallFrame[] }
  | { kind: 'comment' }
  /** `contentStart` is the offset (in the scanned text) just after the opening quote */
  | { kind: 'string'; contentStart: number; frames: CallFrame[] };

/**
 * Scans `text` (source from a line start up to the cursor) and says what the cursor is in: code,
 * a comment or a string, and inside which calls. Rhai's block comments nest; `"…"` strings end at
 * the line end; template strings' `${…}` are code again.
 */
export function scanContext(text: string): CursorContext {
  const frames: CallFrame[] = [];
  // Each open `${` of a template string: the frames outside it, and the braces opened inside it.
  const templates: { frames: CallFrame[]; braces: number }[] = [];
  let lastWord: { name: string; end: number } | null = null;
  const n = text.length;

  /** Reads string content from `i`; where it stopped and why. */
  const readString = (
    quote: string,
    i: number,
  ): { end: number; stop: 'closed' | 'open' | 'interpolation' } => {
    while (i < n) {
      const c = text[i];
      if (c === '\\') i += 2;
      else if (c === quote) return { end: i + 1, stop: 'closed' };
      // an unterminated "…" ends with its line
      else if (quote === '"' && c === '\n') return { end: i + 1, stop: 'closed' };
      else if (quote === '`' && c === '$' && text[i + 1] === '{')
        return { end: i + 2, stop: 'interpolation' };
      else i++;
    }
    return { end: n, stop: 'open' };
  };

  let i = 0;
  while (i < n) {
    const ch = text[i];
    if (ch === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      if (end < 0) return { kind: 'comment' };
      i = end + 1;
      continue;
    }
    if (ch === '/' && text[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (text[i] === '*' && text[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
      if (depth > 0) return { kind: 'comment' };
      continue;
    }
    // A string opens here, or the `}` of a `${…}` resumes its template string.
    const resumesTemplate =
      ch === '}' && templates.length > 0 && templates[templates.length - 1].braces === 0;
    if (ch === '"' || ch === '`' || resumesTemplate) {
      if (resumesTemplate) frames.splice(0, frames.length, ...templates.pop()!.frames);
      const quote = resumesTemplate ? '`' : ch;
      const contentStart = i + 1;
      const read = readString(quote, contentStart);
      if (read.stop === 'open') return { kind: 'string', contentStart, frames };
      if (read.stop === 'interpolation') templates.push({ frames: frames.splice(0), braces: 0 });
      i = read.end;
      lastWord = null;
      continue;
    }
    if (ch === "'") {
      i += text[i + 1] === '\\' ? 4 : 3;
      lastWord = null;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < n && /\w/.test(text[j])) j++;
      lastWord = { name: text.slice(i, j), end: j };
      i = j;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') {
      const callee =
        ch === '(' && lastWord && /^\s*$/.test(text.slice(lastWord.end, i)) ? lastWord.name : null;
      frames.push({ name: callee, open: ch, arg: 0 });
      if (ch === '{' && templates.length > 0) templates[templates.length - 1].braces++;
    } else if (ch === ')' || ch === ']' || ch === '}') {
      if (ch === '}' && templates.length > 0) templates[templates.length - 1].braces--;
      frames.pop();
    } else if (ch === ',' && frames.length > 0) frames[frames.length - 1].arg++;
    if (!/\s/.test(ch)) lastWord = null;
    i++;
  }
  return { kind: 'code', frames };
}

// ------------------------------------------------------------------ what fits there?

type Slot = 'input' | 'output' | 'target' | 'layer' | 'condition' | 'none' | 'any';

/** The kind of name the innermost call expects at the cursor's argument. */
export function slotFor(frames: readonly CallFrame[]): Slot {
  const top = frames[frames.length - 1];
  if (!top) return 'any';
  // inside an array literal: sequence's key list, or when_start's list of conditions
  if (top.open === '[') {
    const outer = frames[frames.length - 2];
    if (outer?.name === 'sequence' && outer.arg === 1) return 'output';
    if ((outer?.name === 'when_start' || outer?.name === 'when_not_start') && outer.arg === 0)
      return 'condition';
    return 'any';
  }
  switch (top.name) {
    case 'map':
      return top.arg === 0 ? 'input' : top.arg === 1 ? 'target' : 'none';
    case 'tap_hold':
      return top.arg === 0 ? 'input' : top.arg === 1 ? 'output' : top.arg === 2 ? 'layer' : 'none';
    case 'hold_only':
      return top.arg === 0 ? 'input' : top.arg === 1 ? 'layer' : 'none';
    case 'sequence':
      return top.arg === 0 ? 'input' : 'none';
    case 'with_shift':
    case 'with_ctrl':
    case 'with_alt':
    case 'with_win':
    case 'with_mods':
      return top.arg === 0 ? 'output' : 'none';
    case 'when_start':
    case 'when_not_start':
      return top.arg === 0 ? 'condition' : 'none';
    case 'device_start':
    case 'when_device_start':
    case 'load':
    case 'print':
    case 'debug':
      return 'none';
    default:
      return 'any';
  }
}

// ------------------------------------------------------------------ the options

const hex2 = (i: number) => i.toString(16).toUpperCase().padStart(2, '0');

function keyOptions(prefix: '' | 'VK_'): Completion[] {
  const out: Completion[] = [];
  for (const key of KEYS)
    for (const alias of key.aliases) {
      const canonical = alias === key.name;
      out.push({
        label: prefix + alias,
        type: 'constant',
        detail: canonical ? key.group : `= ${key.name}`,
        // the spelling the docs use first; aliases (`Esc`, `ESC`) still match
        boost: canonical ? 10 : 0,
      });
    }
  return out;
}

const BARE_KEYS = keyOptions('');
const VK_KEYS = keyOptions('VK_');
const LAYERS: Completion[] = Array.from({ length: 255 }, (_, i) => ({
  label: `MD_${hex2(i)}`,
  type: 'variable',
  detail: `layer ${i}, active while held`,
}));
const LOCKS: Completion[] = Array.from({ length: 255 }, (_, i) => ({
  label: `LK_${hex2(i)}`,
  type: 'variable',
  detail: `lock ${i}, toggled on each press`,
}));
const CONDITIONS: Completion[] = [
  { label: 'IME', type: 'keyword', detail: 'an input method is active' },
  ...['ja', 'ko', 'zh', 'en', 'de', 'fr', 'es', 'ru'].map((lang) => ({
    label: `LANG_${lang}`,
    type: 'keyword',
    detail: `the input language is ${lang}`,
  })),
];

const BUILTIN_OPTIONS: Completion[] = BUILTINS.map((b) =>
  snippetCompletion(b.snippet, {
    label: b.name,
    type: 'function',
    detail: b.signature,
    info: b.description,
    boost: 2,
  }),
);
const KEYWORD_OPTIONS: Completion[] = KEYWORDS.map((k) => ({ label: k, type: 'keyword' }));

/** Variables, constants and functions the profile declares (a cheap scan; no scopes). */
function declaredNames(doc: string): Completion[] {
  const seen = new Map<string, Completion>();
  for (const m of doc.matchAll(/\b(let|const|fn)\s+([A-Za-z_]\w*)/g)) {
    const [, kind, name] = m;
    if (!seen.has(name))
      seen.set(name, {
        label: name,
        type: kind === 'fn' ? 'function' : kind === 'const' ? 'constant' : 'variable',
        detail: kind,
      });
  }
  return [...seen.values()];
}

function stringOptions(slot: Slot, typed: string, explicit: boolean): Completion[] | null {
  switch (slot) {
    case 'input':
      return [...BARE_KEYS, ...VK_KEYS];
    case 'output':
      return VK_KEYS;
    case 'target':
      return [...VK_KEYS, ...LAYERS, ...LOCKS];
    case 'layer':
      return LAYERS;
    case 'condition':
      return [...LAYERS, ...LOCKS, ...CONDITIONS];
    case 'none':
      return null;
    case 'any':
      // a string anywhere else (a table of names, `let nav = "MD_00"`): offer names once it
      // looks like one, so ordinary strings stay quiet
      if (typed.startsWith('VK_')) return VK_KEYS;
      if (typed.startsWith('MD_')) return LAYERS;
      if (typed.startsWith('LK_')) return LOCKS;
      return explicit ? [...VK_KEYS, ...LAYERS, ...LOCKS] : null;
  }
}

// How far back the context scan starts: enough for any call spread over a few lines.
const SCAN_LINES = 40;

export function rhaiCompletions(context: CompletionContext): CompletionResult | null {
  const { state, pos } = context;
  const line = state.doc.lineAt(pos);
  const scanFrom = state.doc.line(Math.max(1, line.number - SCAN_LINES)).from;
  const where = scanContext(state.sliceDoc(scanFrom, pos));
  if (where.kind === 'comment') return null;

  if (where.kind === 'string') {
    const contentStart = scanFrom + where.contentStart;
    const word = context.matchBefore(/\w*$/);
    const from = Math.max(word ? word.from : pos, contentStart);
    const typed = state.sliceDoc(from, pos);
    const options = stringOptions(slotFor(where.frames), typed, context.explicit);
    if (!options) return null;
    return { from, options, validFor: /^\w*$/ };
  }

  const word = context.matchBefore(/[A-Za-z_]\w*$/);
  if (!word && !context.explicit) return null;
  // after a `.` it is a method or property: not ours to guess
  const from = word ? word.from : pos;
  if (state.sliceDoc(from - 1, from) === '.') return null;
  return {
    from,
    options: [...BUILTIN_OPTIONS, ...KEYWORD_OPTIONS, ...declaredNames(state.doc.toString())],
    validFor: /^\w*$/,
  };
}
