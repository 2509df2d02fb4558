/**
 * Completion for KeyRx profiles: key names inside strings (bare for the input key of map/tap_hold/…,
 * `VK_` for outputs), `MD_xx` layers and `LK_xx` locks where they fit, `APP:`/`TITLE:` conditions,
 * tap_hold's option names and `mode` values inside its options map, and outside strings the
 * built-ins (with a signature and a snippet), keywords and the names the profile defines.
 */
import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import { snippetCompletion } from '@codemirror/autocomplete';
import { KEYS } from '../../../src/core/keys.ts';
import { BUILTINS, KEYWORDS, TAP_HOLD_MODES, TAP_HOLD_OPTIONS } from './builtin-docs.ts';

// ------------------------------------------------------------------ where is the cursor?

export interface CallFrame {
  /** the function whose argument list this is; null for a bare `(`, an array or a block */
  name: string | null;
  open: '(' | '[' | '{';
  /** 0-based index of the argument (or element) the cursor is in */
  arg: number;
  /** in an object map `#{ … }`: the property name of the entry the cursor is in (after its `:`) */
  key?: string;
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
    } else if (ch === ',' && frames.length > 0) {
      const top = frames[frames.length - 1];
      top.arg++;
      top.key = undefined;
    } else if (ch === ':' && text[i + 1] !== ':' && text[i - 1] !== ':' && lastWord) {
      // `name: value` in an object map
      const top = frames[frames.length - 1];
      if (top?.open === '{') top.key = lastWord.name;
    }
    if (!/\s/.test(ch)) lastWord = null;
    i++;
  }
  return { kind: 'code', frames };
}

// ------------------------------------------------------------------ what fits there?

type Slot =
  | 'input'
  | 'output'
  | 'target'
  | 'layer'
  /** a layer or a modifier key held instead (tap_hold's hold, one_shot's target, a dance's hold) */
  | 'hold'
  | 'condition'
  /** key_override's modifier names: Shift, LCtrl … */
  | 'overrideModifier'
  /** tap_hold's `mode` option */
  | 'mode'
  | 'none'
  | 'any';

const isCall = (frame: CallFrame | undefined, name: string, arg: number): boolean =>
  frame?.open === '(' && frame.name === name && frame.arg === arg;

/** The slot of an element of an array literal, from the call (or map entry) around it. */
function arraySlot(outer: CallFrame | undefined, outer2: CallFrame | undefined): Slot {
  if (isCall(outer, 'sequence', 1) || isCall(outer, 'unicode_entry', 0)) return 'output';
  if (isCall(outer, 'when_start', 0) || isCall(outer, 'when_not_start', 0)) return 'condition';
  if (isCall(outer, 'combo', 0)) return 'input';
  if (isCall(outer, 'tap_dance', 1)) return 'hold';
  if (isCall(outer, 'key_override', 0)) return 'overrideModifier';
  // tap_hold(…, #{ opposite_hand: #{ left: [ … ] } })
  if (
    outer?.open === '{' &&
    (outer.key === 'left' || outer.key === 'right') &&
    outer2?.key === 'opposite_hand'
  )
    return 'input';
  return 'any';
}

/** The slot of a value in an object map: tap_hold's options, a tap dance's `#{ tap, hold }`. */
function mapSlot(top: CallFrame, outer: CallFrame | undefined, outer2: CallFrame | undefined): Slot {
  if (isCall(outer, 'tap_hold', 4)) return top.key === 'mode' ? 'mode' : 'none';
  if (outer?.open === '[' && isCall(outer2, 'tap_dance', 1))
    return top.key === 'tap' ? 'output' : top.key === 'hold' ? 'hold' : 'none';
  return 'any';
}

/** The kind of name the innermost call expects at the cursor's argument. */
export function slotFor(frames: readonly CallFrame[]): Slot {
  const top = frames[frames.length - 1];
  if (!top) return 'any';
  const outer = frames[frames.length - 2];
  const outer2 = frames[frames.length - 3];
  // inside an array literal: sequence's key list, when_start's list of conditions, combo's keys …
  if (top.open === '[') return arraySlot(outer, outer2);
  if (top.open === '{') return mapSlot(top, outer, outer2);
  const a = top.arg;
  switch (top.name) {
    case 'map':
      return a === 0 ? 'input' : a === 1 ? 'target' : 'none';
    case 'tap_hold':
      return a === 0 ? 'input' : a === 1 ? 'output' : a === 2 ? 'hold' : 'none';
    case 'one_shot':
      return a === 0 ? 'input' : a === 1 ? 'hold' : 'none';
    case 'hold_only':
    case 'layer_toggle':
    case 'layer_switch':
      return a === 0 ? 'input' : a === 1 ? 'layer' : 'none';
    case 'sequence':
    case 'tap_dance':
    case 'macro':
    case 'caps_word':
    case 'unicode':
      return a === 0 ? 'input' : 'none';
    case 'combo':
    case 'unicode_entry':
      return a === 1 ? 'output' : 'none';
    case 'key_override':
      return a === 1 ? 'input' : a === 2 ? 'output' : 'none';
    case 'with_shift':
    case 'with_ctrl':
    case 'with_alt':
    case 'with_win':
    case 'with_mods':
    case 'press':
    case 'release':
    case 'tap':
      return a === 0 ? 'output' : 'none';
    case 'when_start':
    case 'when_not_start':
      return a === 0 ? 'condition' : 'none';
    case 'device_start':
    case 'when_device_start':
    case 'load':
    case 'print':
    case 'debug':
    case 'wait':
    case 'text':
      return 'none';
    default:
      return 'any';
  }
}

/** The cursor is where a property name of tap_hold's options map goes (`#{ mo|`). */
export function inTapHoldOptions(frames: readonly CallFrame[]): boolean {
  const top = frames[frames.length - 1];
  return top?.open === '{' && top.key === undefined && isCall(frames[frames.length - 2], 'tap_hold', 4);
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
const MODIFIER_KEYS = ['LShift', 'RShift', 'LCtrl', 'RCtrl', 'LAlt', 'RAlt', 'LMeta', 'RMeta'];
const VK_MODIFIERS: Completion[] = MODIFIER_KEYS.map((k) => ({
  label: `VK_${k}`,
  type: 'constant',
  detail: 'modifier key, held',
}));
const OVERRIDE_MODIFIERS: Completion[] = [
  ...['Shift', 'Ctrl', 'Alt', 'Meta'].map((m) => ({
    label: m,
    type: 'constant',
    detail: 'either side',
    boost: 5,
  })),
  ...MODIFIER_KEYS.map((m) => ({ label: m, type: 'constant', detail: 'this side only' })),
];
const MODES: Completion[] = TAP_HOLD_MODES.map((m) => ({
  label: m.name,
  type: 'enum',
  detail: m.description,
}));
const OPTION_NAMES: Completion[] = TAP_HOLD_OPTIONS.map((o) =>
  snippetCompletion(o.snippet, {
    label: o.name,
    type: 'property',
    detail: o.value,
    info: o.description,
    boost: 5,
  }),
);
const CONDITIONS: Completion[] = [
  {
    label: 'APP:',
    type: 'keyword',
    detail: 'the focused application matches a glob: APP:firefox',
    boost: 3,
  },
  {
    label: 'TITLE:',
    type: 'keyword',
    detail: 'the focused window title matches a glob: TITLE:*GitHub*',
    boost: 3,
  },
  { label: 'IME', type: 'keyword', detail: 'an input method is active' },
  ...['ja', 'ko', 'zh', 'en', 'de', 'fr', 'es', 'ru'].map((lang) => ({
    label: `LANG_${lang}`,
    type: 'keyword',
    detail: `the input language is ${lang}`,
  })),
];

const MACRO_STEPS = new Set(['press', 'release', 'tap', 'wait', 'text']);
const builtinOptions = (stepBoost: number): Completion[] =>
  BUILTINS.map((b) =>
    snippetCompletion(b.snippet, {
      label: b.name,
      type: 'function',
      detail: b.signature,
      info:
        b.name === 'tap_hold'
          ? `${b.description}\n${TAP_HOLD_OPTIONS.map((o) => `${o.name}: ${o.value}`).join('\n')}`
          : b.description,
      boost: MACRO_STEPS.has(b.name) ? stepBoost : 2,
    }),
  );
const BUILTIN_OPTIONS = builtinOptions(1);
/** in a macro's step list the step functions come first */
const MACRO_STEP_OPTIONS = builtinOptions(8);
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
    case 'hold':
      if (typed.startsWith('MD_')) return LAYERS;
      if (typed.startsWith('VK_')) return VK_MODIFIERS;
      return [...VK_MODIFIERS, ...LAYERS];
    case 'overrideModifier':
      return OVERRIDE_MODIFIERS;
    case 'mode':
      return MODES;
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
    const slot = slotFor(where.frames);
    // after `APP:` / `TITLE:` comes a name or glob of the user's: nothing to offer
    if (slot === 'condition' && /(?:APP|TITLE):$/.test(state.sliceDoc(contentStart, from))) return null;
    const options = stringOptions(slot, typed, context.explicit);
    if (!options) return null;
    return { from, options, validFor: /^\w*$/ };
  }

  const word = context.matchBefore(/[A-Za-z_]\w*$/);
  if (!word && !context.explicit) return null;
  // after a `.` it is a method or property: not ours to guess
  const from = word ? word.from : pos;
  if (state.sliceDoc(from - 1, from) === '.') return null;
  // tap_hold(…, #{ | }): the option names
  if (inTapHoldOptions(where.frames)) return { from, options: OPTION_NAMES, validFor: /^\w*$/ };
  const top = where.frames[where.frames.length - 1];
  const inMacro = top?.open === '[' && isCall(where.frames[where.frames.length - 2], 'macro', 1);
  return {
    from,
    options: [
      ...(inMacro ? MACRO_STEP_OPTIONS : BUILTIN_OPTIONS),
      ...KEYWORD_OPTIONS,
      ...declaredNames(state.doc.toString()),
    ],
    validFor: /^\w*$/,
  };
}
