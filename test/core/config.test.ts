import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, configStats, globMatch, layerName, validateConfig } from '../../src/core/index.ts';

const ok = {
  devices: [
    {
      pattern: '*',
      mappings: [
        { kind: 'simple', from: 'A', to: 'B' },
        { kind: 'holdOnly', from: 'LMeta', hold: 7 },
        {
          kind: 'conditional',
          condition: {
            kind: 'allOf',
            items: [
              { kind: 'modifier', id: 0 },
              { kind: 'lang', lang: 'JA' },
            ],
          },
          mappings: [{ kind: 'sequence', from: 'S', keys: ['Y', 'A'] }],
        },
      ],
    },
  ],
};

test('validateConfig accepts a good config and fills defaults', () => {
  const config = validateConfig(ok);
  assert.equal(config.version, 1);
  const holdOnly = config.devices[0].mappings[1];
  assert.equal(holdOnly.kind === 'holdOnly' && holdOnly.thresholdMs, 200);
  const cond = config.devices[0].mappings[2];
  assert.equal(
    cond.kind === 'conditional' && cond.condition.kind === 'allOf' && cond.condition.items[1].kind,
    'lang',
  );
  assert.deepEqual(configStats(config), { mappings: 3, layers: 1, devices: 1 });
});

function rejects(data: unknown, path: string, message: RegExp): void {
  assert.throws(
    () => validateConfig(data),
    (e: unknown) => e instanceof ConfigError && e.path === path && message.test(e.message),
  );
}

test('validateConfig says what is wrong and where', () => {
  rejects([], 'config', /must be an object, got an array/);
  rejects({ devices: {} }, 'config.devices', /must be an array/);
  rejects(
    { devices: [{ pattern: '*', mappings: [{ kind: 'simple', from: 'A', to: 'Escap' }] }] },
    'devices[0].mappings[0].to',
    /Unknown key name: 'Escap'.*Escape/,
  );
  rejects(
    { devices: [{ pattern: '*', mappings: [{ kind: 'warp', from: 'A' }] }] },
    'devices[0].mappings[0].kind',
    /unknown mapping kind 'warp'/,
  );
  rejects(
    { devices: [{ pattern: '*', mappings: [{ kind: 'modifier', from: 'A', id: 255 }] }] },
    'devices[0].mappings[0].id',
    /0–254/,
  );
  rejects(
    {
      devices: [
        { pattern: '*', mappings: [{ kind: 'tapHold', from: 'A', tap: 'B', hold: 0, thresholdMs: 70000 }] },
      ],
    },
    'devices[0].mappings[0].thresholdMs',
    /1 to 65535/,
  );
  rejects(
    { devices: [{ pattern: '*', mappings: [{ kind: 'simple', from: 'A', to: 'B', extra: 1 }] }] },
    'devices[0].mappings[0]',
    /unknown field 'extra'/,
  );
  rejects(
    { devices: [{ pattern: '*', mappings: [{ kind: 'sequence', from: 'A', keys: [] }] }] },
    'devices[0].mappings[0].keys',
    /non-empty/,
  );
  rejects(
    {
      devices: [
        {
          pattern: '*',
          mappings: [{ kind: 'conditional', condition: { kind: 'device', pattern: '' }, mappings: [] }],
        },
      ],
    },
    'devices[0].mappings[0].condition.pattern',
    /cannot be empty/,
  );
  rejects({ version: 2, devices: [] }, 'config.version', /unsupported version/);
});

test('layerName formats ids as profiles write them', () => {
  assert.equal(layerName('MD', 0), 'MD_00');
  assert.equal(layerName('LK', 254), 'LK_FE');
  assert.equal(layerName('MD', 10), 'MD_0A');
});

test('globMatch: *, prefix, suffix, contains, chains, exact, case-insensitive', () => {
  assert.ok(globMatch('*', 'anything'));
  assert.ok(globMatch('*', ''));
  assert.ok(globMatch('Key*', 'keychron k2'));
  assert.ok(!globMatch('Key*', 'my keychron'));
  assert.ok(globMatch('*board', 'Keyboard'));
  assert.ok(!globMatch('*board', 'Keyboards'));
  assert.ok(globMatch('*chron*', 'Keychron K2'));
  assert.ok(globMatch('a*b*c', 'aXbYc'));
  assert.ok(!globMatch('a*b*c', 'aXcYb'));
  assert.ok(!globMatch('ab*ba', 'aba'), 'prefix and suffix may not overlap');
  assert.ok(globMatch('AT Translated Set 2 keyboard', 'at translated set 2 KEYBOARD'));
  assert.ok(!globMatch('AT', 'AT Translated'));
});
