import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatEvents, parseScript, ScriptSyntaxError, scriptToEvents } from '../../src/core/index.ts';

test('parses every token kind', () => {
  const steps = parseScript('dev:"My Board" d:A t:12.5 r:VK_A u:A ime:on lang:ja-JP dev:x');
  assert.deepEqual(
    steps.map((s) => s.type),
    ['device', 'key', 'wait', 'key', 'key', 'context', 'context', 'device'],
  );
  assert.deepEqual(steps[0], { type: 'device', name: 'My Board', token: 'dev:My Board' });
  assert.deepEqual(steps[2], { type: 'wait', ms: 12.5, token: 't:12.5' });
});

test("accepts KeyRx's press:/wait:/release: form with commas", () => {
  const events = scriptToEvents(parseScript('press:A,wait:50,release:A'));
  assert.deepEqual(events, [
    { action: 'press', key: 30, timeUs: 0, device: 'virtual' },
    { action: 'release', key: 30, timeUs: 50_000, device: 'virtual' },
  ]);
});

test('errors name the token and column', () => {
  const cases: [string, RegExp][] = [
    ['d:A x:B', /column 5, token 'x:B': unknown token kind 'x'/],
    ['d:A q', /column 5.*expected KIND:VALUE/],
    ['d:Escap', /Unknown key name: 'Escap'.*Escape/],
    ['t:-5', /not a number of milliseconds/],
    ['t:abc', /not a number/],
    ['d:', /missing value/],
    ['dev:"open', /unterminated quote/],
    ['ime:maybe', /'on' or 'off'/],
  ];
  for (const [script, message] of cases)
    assert.throws(
      () => parseScript(script),
      (e: unknown) => e instanceof ScriptSyntaxError && message.test(e.message),
      script,
    );
});

test('formats outputs with relative waits that replay as the same script', () => {
  const text = formatEvents([
    { key: 1, action: 'press', timeUs: 200_000 },
    { key: 1, action: 'release', timeUs: 200_000 },
    { key: 42, action: 'press', timeUs: 250_500 },
    { key: 42, action: 'repeat', timeUs: 300_000 },
  ]);
  assert.equal(text, 't:200 d:Escape u:Escape t:50.5 d:LShift t:49.5 r:LShift');
  const replay = scriptToEvents(parseScript(text));
  assert.deepEqual(
    replay.map((e) => e.timeUs),
    [200_000, 200_000, 250_500, 300_000],
  );
});
