import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../src/core/index.ts';
import {
  Engine,
  formatEvents,
  parseScenario,
  runScenario,
  simulate,
  validateConfig,
} from '../../src/core/index.ts';

const config: Config = validateConfig({
  devices: [
    {
      pattern: 'usb-04d9*',
      mappings: [{ kind: 'simple', from: 'A', to: 'Num1' }],
    },
    {
      pattern: '*',
      mappings: [
        { kind: 'tapHold', from: 'CapsLock', tap: 'Escape', hold: 0, thresholdMs: 200 },
        { kind: 'tapHold', from: 'Space', tap: 'Space', hold: 1, thresholdMs: 120 },
        { kind: 'modifiedOutput', from: 'F1', to: 'C', shift: true, ctrl: true, alt: false, win: false },
        { kind: 'simple', from: 'B', to: 'X' },
        {
          kind: 'conditional',
          condition: { kind: 'modifier', id: 0 },
          mappings: [{ kind: 'simple', from: 'H', to: 'Left' }],
        },
      ],
    },
  ],
});

test('nextDeadline and tick drive tap-hold timeouts without polling', () => {
  const engine = new Engine(config);
  assert.equal(engine.nextDeadline(), null);
  engine.process({ key: 58, action: 'press', timeUs: 1_000 });
  engine.process({ key: 57, action: 'press', timeUs: 5_000 });
  assert.equal(engine.nextDeadline(), 125_000, 'earliest of 201 ms and 125 ms');
  assert.deepEqual(engine.tick(124_999), []);
  assert.deepEqual(engine.state().modifiers, []);
  engine.tick(125_000);
  assert.deepEqual(engine.state().modifiers, [1]);
  assert.equal(engine.nextDeadline(), 201_000);
  engine.tick(300_000);
  assert.deepEqual(engine.state().modifiers, [0, 1]);
  assert.equal(engine.nextDeadline(), null);
});

test('releaseAll releases outputs in reverse order of presses and drops pending tap-holds', () => {
  const engine = new Engine(config);
  engine.process({ key: 48, action: 'press', timeUs: 0 }); // B -> X
  engine.process({ key: 59, action: 'press', timeUs: 0 }); // F1 -> Shift+Ctrl+C
  engine.process({ key: 58, action: 'press', timeUs: 0 }); // CapsLock pending
  const out = engine.releaseAll(10);
  assert.equal(formatEvents(out, 10), 'u:C u:LCtrl u:LShift u:X');
  assert.equal(engine.nextDeadline(), null);
  assert.deepEqual(engine.state().held, []);
  // the physical releases that follow produce nothing
  assert.deepEqual(engine.process({ key: 48, action: 'release', timeUs: 20 }), []);
  assert.deepEqual(engine.process({ key: 58, action: 'release', timeUs: 20 }), []);
});

test('device blocks match the name or the described id', () => {
  const engine = new Engine(config);
  engine.describeDevice('event3', { name: 'Cherry Board', id: 'usb-04d9:1702-abc' });
  assert.equal(engine.blockIndexFor('event3'), 0);
  assert.equal(engine.blockIndexFor('other'), 1);
  assert.equal(
    formatEvents(engine.process({ key: 30, action: 'press', timeUs: 0, device: 'event3' })),
    'd:Num1',
  );
  assert.equal(formatEvents(engine.process({ key: 30, action: 'press', timeUs: 0, device: 'other' })), 'd:A');
  assert.equal(new Engine({ version: 1, devices: [{ pattern: 'x', mappings: [] }] }).blockIndexFor('y'), -1);
});

test('lastKind/lastDecision and the trace describe each decision', () => {
  const engine = new Engine(config, { trace: true });
  engine.process({ key: 58, action: 'press', timeUs: 0 });
  assert.equal(engine.lastKind, 'tapHold');
  assert.equal(engine.lastDecision, 'pending');
  engine.process({ key: 35, action: 'press', timeUs: 10_000 }); // H: permissive hold, then Left
  assert.deepEqual(
    engine.trace.map((t) => [t.key, t.mapping, t.decision]),
    [
      [58, 'tapHold', 'hold'],
      [35, 'simple', 'remap'],
    ],
  );
  engine.process({ key: 30, action: 'press', timeUs: 10_000 });
  assert.equal(engine.lastKind, 'passthrough');
});

test('state reports layers, held keys, pending tap-holds and outputs', () => {
  const engine = new Engine(config);
  engine.process({ key: 57, action: 'press', timeUs: 0, device: 'kb' });
  engine.process({ key: 48, action: 'press', timeUs: 0, device: 'kb' });
  const s = engine.state();
  assert.deepEqual(s.held, [
    { device: 'kb', key: 57 },
    { device: 'kb', key: 48 },
  ]);
  assert.deepEqual(s.pending, []);
  assert.deepEqual(s.modifiers, [1], 'B pressed while Space pending: permissive hold');
  assert.deepEqual(s.outputDown, [45]);
});

test('simulate builds a timeline with decisions and layer state', () => {
  const result = simulate(config, 'd:CapsLock t:250 d:H t:10 u:H u:CapsLock');
  assert.equal(result.output, 't:250 d:Left t:10 u:Left');
  assert.equal(result.durationMs, 260);
  assert.deepEqual(
    result.timeline.map((e) => [e.timeMs, e.input, e.decision, e.modifiers.join()]),
    [
      [0, 'd:CapsLock', 'pending', ''],
      [200, 'timeout', 'hold', 'MD_00'],
      [250, 'd:H', 'remap', 'MD_00'],
      [260, 'u:H', 'release', 'MD_00'],
      [260, 'u:CapsLock', 'hold-release', ''],
    ],
  );
  assert.deepEqual(result.timeline[2].outputs, ['d:Left']);
});

test('a deadline that lets held-back keys go is a timeline row at the deadline, in time order', () => {
  const combo: Config = {
    version: 1,
    devices: [{ pattern: '*', mappings: [{ kind: 'combo', keys: ['J', 'K'], to: 'C', windowMs: 200 }] }],
  };
  const result = simulate(combo, 'd:J t:300 d:X u:X u:J');
  assert.equal(result.output, 't:200 d:J t:100 d:X u:X u:J');
  assert.deepEqual(
    result.timeline.map((e) => [e.timeMs, e.input, e.decision, e.outputs.join(' ')]),
    [
      [0, 'd:J', 'queued', ''],
      [200, 'timeout', 'passthrough', 'd:J'],
      [300, 'd:X', 'passthrough', 'd:X'],
      [300, 'u:X', 'release', 'u:X'],
      [300, 'u:J', 'release', 'u:J'],
    ],
  );
});

test('the scenario runner reports a wrong expectation', () => {
  const scenario = parseScenario(
    ['== config', JSON.stringify(config), '== case: wrong', 'in: d:B u:B', 'out: d:B u:B', 'held: none'].join(
      '\n',
    ),
  );
  const [result] = runScenario(config, scenario);
  assert.equal(result.ok, false);
  assert.match(result.problems[0], /expected: d:B u:B\n\s+actual:\s+d:X u:X/);
});

test('layersAre answers whether the active layers are exactly the given ones, as state() lists them', () => {
  const engine = new Engine(config);
  assert.ok(engine.layersAre([], []));
  engine.process({ key: 58, action: 'press', timeUs: 0 });
  engine.process({ key: 57, action: 'press', timeUs: 0 });
  engine.tick(300_000); // both tap-holds decide hold: modifiers 0 and 1
  const { modifiers, locks } = engine.state();
  assert.deepEqual(engine.layers(), { modifiers, locks });
  assert.deepEqual(modifiers, [0, 1]);
  assert.ok(engine.layersAre([0, 1], []));
  assert.ok(!engine.layersAre([0], []), 'one missing');
  assert.ok(!engine.layersAre([0, 1, 2], []), 'one too many');
  assert.ok(!engine.layersAre([1, 0], []), 'order matters (sorted ids)');
  assert.ok(!engine.layersAre([0, 1], [0]), 'a lock that is not on');
  engine.process({ key: 57, action: 'release', timeUs: 300_100 });
  assert.ok(engine.layersAre([0], []));
});
