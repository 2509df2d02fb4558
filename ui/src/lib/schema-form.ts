/**
 * Turns the settings JSON schema into form fields, and form text back into values, with the
 * schema's own limits checked before anything is sent.
 */
import type { JsonSchema } from '../api.ts';
import { plural } from './format.ts';

export type FieldKind = 'integer' | 'number' | 'boolean' | 'choice' | 'text' | 'list';

export interface FormField {
  key: string;
  label: string;
  description: string;
  kind: FieldKind;
  choices: string[];
  schema: JsonSchema;
}

/** `wsQueueBytes` → `WS queue bytes`; `latencyIntervalMs` → `Latency interval (ms)`. */
export function humanize(key: string): string {
  let words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(' ')
    .map((w) => w.toLowerCase());
  let unit = '';
  const last = words[words.length - 1];
  if (last === 'ms' || last === 'bytes') {
    unit = ` (${last})`;
    words = words.slice(0, -1);
  }
  const text = words.map((w) => (w === 'ws' ? 'WebSocket' : w)).join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1) + unit;
}

/**
 * The form's layout, the one thing the UI adds to the schema: what users change comes first, in
 * this order; the daemon's internals go under a collapsed "Advanced". A setting in neither list
 * (a newer daemon's) comes after the common ones, so nothing new is hidden.
 */
export const COMMON_SETTINGS: readonly string[] = [
  'emergencyExitChord',
  'defaultTapHoldMs',
  'sessionHours',
  'logLevel',
];
export const ADVANCED_SETTINGS: readonly string[] = [
  'latencyIntervalMs',
  'outputHistory',
  'wsRingSize',
  'wsQueueMessages',
  'wsQueueBytes',
  'wsMaxLagEvents',
];
/** Labels where the key's words read badly (the schema has no titles). */
const LABELS: Readonly<Record<string, string>> = {
  defaultTapHoldMs: 'Default tap-hold time (ms)',
  sessionHours: 'Session length (hours)',
};

/** The fields in the form's order, split into the common ones and the advanced ones. */
export function groupFields(fields: readonly FormField[]): { common: FormField[]; advanced: FormField[] } {
  const rank = (list: readonly string[], key: string) => {
    const i = list.indexOf(key);
    return i === -1 ? list.length : i;
  };
  const common = fields
    .filter((f) => !ADVANCED_SETTINGS.includes(f.key))
    .sort((a, b) => rank(COMMON_SETTINGS, a.key) - rank(COMMON_SETTINGS, b.key));
  const advanced = fields
    .filter((f) => ADVANCED_SETTINGS.includes(f.key))
    .sort((a, b) => rank(ADVANCED_SETTINGS, a.key) - rank(ADVANCED_SETTINGS, b.key));
  return { common, advanced };
}

function typeOf(s: JsonSchema): string | undefined {
  return Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
}

export function fieldsOf(schema: JsonSchema): FormField[] {
  return Object.entries(schema.properties ?? {}).map(([key, s]) => {
    const consts = s.anyOf?.map((a) => a.const).filter((c): c is string => typeof c === 'string');
    let kind: FieldKind = 'text';
    let choices: string[] = [];
    if (s.enum) {
      kind = 'choice';
      choices = s.enum.map(String);
    } else if (consts && consts.length > 0 && consts.length === s.anyOf!.length) {
      kind = 'choice';
      choices = consts;
    } else if (typeOf(s) === 'integer') kind = 'integer';
    else if (typeOf(s) === 'number') kind = 'number';
    else if (typeOf(s) === 'boolean') kind = 'boolean';
    else if (typeOf(s) === 'array') kind = 'list';
    return {
      key,
      label: s.title ?? LABELS[key] ?? humanize(key),
      description: s.description ?? '',
      kind,
      choices,
      schema: s,
    };
  });
}

/** The text an input shows for a value. */
export function toText(field: FormField, value: unknown): string {
  if (field.kind === 'list') return Array.isArray(value) ? value.join(' ') : '';
  if (value === undefined || value === null) return '';
  return String(value);
}

export type Parsed = { ok: true; value: unknown } | { ok: false; problem: string };

/** Reads an input's text as the field's value, or says what is wrong with it. */
export function parseField(field: FormField, text: string): Parsed {
  const s = field.schema;
  switch (field.kind) {
    case 'boolean':
      return { ok: true, value: text === 'true' };
    case 'choice':
      return field.choices.includes(text)
        ? { ok: true, value: text }
        : { ok: false, problem: `choose one of ${field.choices.join(', ')}` };
    case 'integer':
    case 'number': {
      const t = text.trim();
      if (t === '') return { ok: false, problem: 'enter a number' };
      const n = Number(t);
      if (!Number.isFinite(n)) return { ok: false, problem: `'${t}' is not a number` };
      if (field.kind === 'integer' && !Number.isInteger(n))
        return { ok: false, problem: 'enter a whole number' };
      if (s.minimum !== undefined && n < s.minimum) return { ok: false, problem: `at least ${s.minimum}` };
      if (s.maximum !== undefined && n > s.maximum) return { ok: false, problem: `at most ${s.maximum}` };
      return { ok: true, value: n };
    }
    case 'list': {
      const items = text
        .split(/[\s,]+/)
        .map((x) => x.trim())
        .filter((x) => x !== '');
      if (s.minItems !== undefined && items.length < s.minItems)
        return { ok: false, problem: `at least ${plural(s.minItems, 'entry', 'entries')}` };
      if (s.maxItems !== undefined && items.length > s.maxItems)
        return { ok: false, problem: `at most ${plural(s.maxItems, 'entry', 'entries')}` };
      const max = s.items?.maxLength;
      const long = max !== undefined ? items.find((i) => i.length > max) : undefined;
      if (long !== undefined && max !== undefined)
        return { ok: false, problem: `'${long}' is longer than ${plural(max, 'character')}` };
      return { ok: true, value: items };
    }
    case 'text': {
      if (s.minLength !== undefined && text.length < s.minLength)
        return { ok: false, problem: `at least ${plural(s.minLength, 'character')}` };
      if (s.maxLength !== undefined && text.length > s.maxLength)
        return { ok: false, problem: `at most ${plural(s.maxLength, 'character')}` };
      return { ok: true, value: text };
    }
  }
}

/** Maps the server's problems (`wsRingSize: must be >= 100`, `body/wsRingSize …`) to their fields. */
export function problemsByField(messages: string[], keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of messages) {
    const key = keys.find((k) => new RegExp(`(^|[/ '"])${k}\\b`).test(m));
    if (key) out[key] = out[key] ? `${out[key]}; ${m}` : m;
  }
  return out;
}
