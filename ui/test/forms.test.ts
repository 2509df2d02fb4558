import { describe, expect, test } from 'vitest';
import type { JsonSchema } from '../src/api.ts';
import {
  fieldsOf,
  groupFields,
  humanize,
  parseField,
  problemsByField,
  toText,
} from '../src/lib/schema-form.ts';
import { loginUrlFor } from '../src/pages/LoginPage.tsx';

// The shape GET /api/settings/schema serves (typebox: integers with bounds, a const union, a string array).
const schema: JsonSchema = {
  type: 'object',
  properties: {
    wsRingSize: { type: 'integer', minimum: 100, maximum: 1_000_000, default: 10_000, description: 'ring' },
    emergencyExitChord: {
      type: 'array',
      items: { type: 'string', minLength: 1, maxLength: 32 },
      minItems: 2,
      maxItems: 6,
      default: ['LCtrl', 'Space', 'Escape'],
    },
    logLevel: {
      anyOf: [
        { type: 'string', const: 'info' },
        { type: 'string', const: 'debug' },
      ],
    },
    verbose: { type: 'boolean' },
  },
};

describe('settings form from the schema', () => {
  const fields = fieldsOf(schema);
  const field = (k: string) => fields.find((f) => f.key === k)!;

  test('field kinds and labels', () => {
    expect(fields.map((f) => [f.key, f.kind])).toEqual([
      ['wsRingSize', 'integer'],
      ['emergencyExitChord', 'list'],
      ['logLevel', 'choice'],
      ['verbose', 'boolean'],
    ]);
    expect(field('logLevel').choices).toEqual(['info', 'debug']);
    expect(humanize('latencyIntervalMs')).toBe('Latency interval (ms)');
    expect(humanize('wsQueueBytes')).toBe('WebSocket queue (bytes)');
  });

  test('numbers are checked against the bounds before sending', () => {
    expect(parseField(field('wsRingSize'), '5000')).toEqual({ ok: true, value: 5000 });
    expect(parseField(field('wsRingSize'), '5')).toEqual({ ok: false, problem: 'at least 100' });
    expect(parseField(field('wsRingSize'), '2000000')).toEqual({ ok: false, problem: 'at most 1000000' });
    expect(parseField(field('wsRingSize'), '12.5')).toEqual({ ok: false, problem: 'enter a whole number' });
    expect(parseField(field('wsRingSize'), 'abc')).toEqual({ ok: false, problem: "'abc' is not a number" });
    expect(parseField(field('wsRingSize'), ' ')).toEqual({ ok: false, problem: 'enter a number' });
  });

  test('key lists round-trip through text, with item limits', () => {
    const f = field('emergencyExitChord');
    expect(toText(f, ['LCtrl', 'Space'])).toBe('LCtrl Space');
    expect(parseField(f, 'LCtrl, Space  Escape')).toEqual({ ok: true, value: ['LCtrl', 'Space', 'Escape'] });
    expect(parseField(f, 'LCtrl')).toEqual({ ok: false, problem: 'at least 2 entries' });
    expect(parseField(f, 'a b c d e f g')).toEqual({ ok: false, problem: 'at most 6 entries' });
    expect(parseField(f, `A ${'x'.repeat(33)}`).ok).toBe(false);
  });

  test('limits are written with the right plural', () => {
    const one = fieldsOf({
      type: 'object',
      properties: {
        tags: { type: 'array', items: { type: 'string', maxLength: 1 }, minItems: 1, maxItems: 1 },
        code: { type: 'string', minLength: 1, maxLength: 1 },
      },
    });
    expect(parseField(one[0], '')).toEqual({ ok: false, problem: 'at least 1 entry' });
    expect(parseField(one[0], 'a b')).toEqual({ ok: false, problem: 'at most 1 entry' });
    expect(parseField(one[0], 'ab')).toEqual({ ok: false, problem: "'ab' is longer than 1 character" });
    expect(parseField(one[1], '')).toEqual({ ok: false, problem: 'at least 1 character' });
    expect(parseField(one[1], 'ab')).toEqual({ ok: false, problem: 'at most 1 character' });
  });

  test("common settings first in the UI's order, internals under Advanced, a new one with the common", () => {
    const all = fieldsOf({
      type: 'object',
      properties: {
        wsRingSize: { type: 'integer' },
        latencyIntervalMs: { type: 'integer' },
        futureThing: { type: 'boolean' },
        logLevel: { enum: ['info', 'debug'] },
        sessionHours: { type: 'integer' },
        emergencyExitChord: { type: 'array' },
        defaultTapHoldMs: { type: 'integer' },
      },
    });
    const { common, advanced } = groupFields(all);
    expect(common.map((f) => f.key)).toEqual([
      'emergencyExitChord',
      'defaultTapHoldMs',
      'sessionHours',
      'logLevel',
      'futureThing',
    ]);
    expect(advanced.map((f) => f.key)).toEqual(['latencyIntervalMs', 'wsRingSize']);
  });

  test("the server's problems land on their fields", () => {
    expect(
      problemsByField(
        ['wsRingSize: must be >= 100', "emergencyExitChord: unknown key name 'Nope'", 'something else'],
        fields.map((f) => f.key),
      ),
    ).toEqual({
      wsRingSize: 'wsRingSize: must be >= 100',
      emergencyExitChord: "emergencyExitChord: unknown key name 'Nope'",
    });
  });
});

describe('login input', () => {
  const origin = 'http://127.0.0.1:9867';
  test('a printed login link is redeemed on this origin', () => {
    expect(loginUrlFor('http://localhost:9999/login?code=d1Jpm6vNpRi_VwwHp1kRuAzt', origin)).toBe(
      `${origin}/login?code=d1Jpm6vNpRi_VwwHp1kRuAzt`,
    );
  });
  test('a bare code or a token', () => {
    expect(loginUrlFor('d1Jpm6vNpRi_VwwHp1kRuAzt', origin)).toBe(
      `${origin}/login?code=d1Jpm6vNpRi_VwwHp1kRuAzt`,
    );
    const token = 'ab'.repeat(32);
    expect(loginUrlFor(` ${token} `, origin)).toBe(`${origin}/login?token=${token}`);
  });
  test('anything else is refused', () => {
    expect(loginUrlFor('', origin)).toBeNull();
    expect(loginUrlFor('https://evil.example/other?x=1', origin)).toBeNull();
    expect(loginUrlFor('not a code!', origin)).toBeNull();
  });
});
