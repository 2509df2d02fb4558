/**
 * The simulation script language, used for input and output alike:
 *
 *   d:KEY  press        u:KEY  release        r:KEY  auto-repeat
 *   t:N    advance N ms (decimals allowed)   dev:NAME  device of the following keys
 *   ime:on|off, lang:xx   the input-method context (`IME` / `LANG_xx` conditions)
 *   app:NAME, title:TEXT  the focused application and window title (`APP:` / `TITLE:` conditions);
 *                         `app:""` clears
 *
 * Tokens are separated by whitespace or commas; KeyRx's `press:A,wait:50,release:A` and
 * `VK_` prefixes are accepted too. Values with spaces may be quoted: `dev:"My Keyboard"`.
 */
import type { KeyAction, OutputAction, OutputEvent } from './engine.ts';
import { DEFAULT_DEVICE } from './engine.ts';
import { axisName, keyName, resolveKey, UnknownKeyError } from './keys.ts';

export type ScriptStep =
  | { type: 'key'; action: KeyAction; key: number; token: string }
  | { type: 'wait'; ms: number; token: string }
  | { type: 'device'; name: string; token: string }
  | { type: 'context'; ime?: boolean; language?: string; app?: string; title?: string; token: string };

export class ScriptSyntaxError extends Error {
  /** 1-based column of the offending token in the script text */
  readonly column: number;
  readonly token: string;
  constructor(token: string, column: number, message: string) {
    super(`script column ${column}, token '${token}': ${message}`);
    this.name = 'ScriptSyntaxError';
    this.token = token;
    this.column = column;
  }
}

const KEY_ACTIONS: Record<string, KeyAction> = {
  d: 'press',
  press: 'press',
  down: 'press',
  u: 'release',
  release: 'release',
  up: 'release',
  r: 'repeat',
  repeat: 'repeat',
};

/** Longest script accepted (tokens); bounds memory for API callers. */
export const MAX_SCRIPT_TOKENS = 100_000;
/** Longest single wait: one day. */
const MAX_WAIT_MS = 86_400_000;

function* tokenize(text: string): Generator<{ token: string; column: number }> {
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === ',') {
      i++;
      continue;
    }
    if (ch === '#') {
      // comment to end of line (scenario files)
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const start = i;
    let token = '';
    while (i < text.length && !/[\s,]/.test(text[i])) {
      if (text[i] === '"') {
        const close = text.indexOf('"', i + 1);
        if (close < 0) throw new ScriptSyntaxError(text.slice(start), start + 1, 'unterminated quote');
        token += text.slice(i + 1, close);
        i = close + 1;
      } else token += text[i++];
    }
    yield { token, column: start + 1 };
  }
}

export function parseScript(text: string): ScriptStep[] {
  const steps: ScriptStep[] = [];
  for (const { token, column } of tokenize(text)) {
    if (steps.length >= MAX_SCRIPT_TOKENS)
      throw new ScriptSyntaxError(token, column, `script too long (more than ${MAX_SCRIPT_TOKENS} tokens)`);
    const colon = token.indexOf(':');
    if (colon <= 0)
      throw new ScriptSyntaxError(
        token,
        column,
        'expected KIND:VALUE such as d:A, u:A, r:A, t:50 or dev:NAME',
      );
    const kind = token.slice(0, colon).toLowerCase();
    const value = token.slice(colon + 1);
    if (kind === 'app' || kind === 'title') {
      steps.push({ type: 'context', [kind]: value, token });
      continue;
    }
    if (value === '') throw new ScriptSyntaxError(token, column, `missing value after '${kind}:'`);
    const action = KEY_ACTIONS[kind];
    if (action) {
      try {
        steps.push({ type: 'key', action, key: resolveKey(value), token });
      } catch (e) {
        if (e instanceof UnknownKeyError) throw new ScriptSyntaxError(token, column, e.message);
        throw e;
      }
    } else if (kind === 't' || kind === 'wait') {
      const ms = Number(value);
      if (!/^\d+(\.\d+)?$/.test(value) || !(ms <= MAX_WAIT_MS))
        throw new ScriptSyntaxError(
          token,
          column,
          `'${value}' is not a number of milliseconds (0–${MAX_WAIT_MS})`,
        );
      steps.push({ type: 'wait', ms, token });
    } else if (kind === 'dev' || kind === 'device') {
      steps.push({ type: 'device', name: value, token });
    } else if (kind === 'ime') {
      if (value !== 'on' && value !== 'off')
        throw new ScriptSyntaxError(token, column, `ime takes 'on' or 'off', got '${value}'`);
      steps.push({ type: 'context', ime: value === 'on', token });
    } else if (kind === 'lang') {
      steps.push({ type: 'context', language: value, token });
    } else {
      throw new ScriptSyntaxError(
        token,
        column,
        `unknown token kind '${kind}' (expected d, u, r, t, dev, ime, lang, app, title; or press, release, repeat, wait)`,
      );
    }
  }
  return steps;
}

/** An input event with its absolute time, as a script plays it. */
export interface TimedInput {
  action: KeyAction;
  key: number;
  timeUs: number;
  device: string;
}

/** Flattens a script to timed key events (contexts are dropped; the simulator keeps them). */
export function scriptToEvents(steps: ScriptStep[], device = DEFAULT_DEVICE): TimedInput[] {
  const events: TimedInput[] = [];
  let now = 0;
  for (const s of steps) {
    if (s.type === 'wait') now += Math.round(s.ms * 1000);
    else if (s.type === 'device') device = s.name;
    else if (s.type === 'key') events.push({ action: s.action, key: s.key, timeUs: now, device });
  }
  return events;
}

const ACTION_PREFIX: Record<KeyAction, string> = { press: 'd', release: 'u', repeat: 'r' };

export function formatMs(us: number): string {
  const ms = us / 1000;
  return Number.isInteger(ms) ? String(ms) : String(Math.round(ms * 1000) / 1000);
}

/** `d:A`, `u:A`, `r:A`; pointer motion as `mv:X+12`, `mv:Wheel-1` (mouse keys). */
export function formatKeyEvent(e: { key: number; action: OutputAction; value?: number }): string {
  if (e.action === 'move') return formatMove(axisName(e.key), e.value ?? 0);
  return `${ACTION_PREFIX[e.action]}:${keyName(e.key)}`;
}

/** `mv:X+12`: an axis and a signed distance. */
export function formatMove(axis: string, value: number): string {
  return `mv:${axis}${value >= 0 ? '+' : ''}${value}`;
}

/**
 * Formats output events as a script: `t:N` (ms since the previous group, the first group
 * counted from `originUs`) separates outputs that happen at different times.
 */
export function formatEvents(events: readonly OutputEvent[], originUs = 0): string {
  const parts: string[] = [];
  let last = originUs;
  for (const e of events) {
    if (e.timeUs > last) {
      parts.push(`t:${formatMs(e.timeUs - last)}`);
      last = e.timeUs;
    }
    parts.push(formatKeyEvent(e));
  }
  return parts.join(' ');
}
