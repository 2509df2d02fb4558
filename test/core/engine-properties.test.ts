/**
 * Property tests: for random configs and random well-formed input, the output is
 * well-formed, nothing stays down once every input is up and deadlines have passed, and
 * the same input always gives the same output.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type {
  BaseMapping,
  Condition,
  Config,
  ConditionItem,
  HandMap,
  Mapping,
  OutputEvent,
} from '../../src/core/index.ts';
import { Engine, resolveKey } from '../../src/core/index.ts';

const KEYS = ['A', 'B', 'C', 'D', 'E', 'CapsLock', 'Space', 'LShift', 'Tab', 'H', 'J', 'Num1'];
const CODES = [30, 48, 46, 32, 18, 58, 57, 42, 15, 35, 36, 2];
const DEVICES = ['kb-one', 'kb-two'];

const key = fc.constantFrom(...KEYS);
const id = fc.integer({ min: 0, max: 3 });
const threshold = fc.integer({ min: 1, max: 300 });
const modifierKey = fc.constantFrom('LShift', 'RCtrl', 'LAlt');

const baseMapping: fc.Arbitrary<BaseMapping> = fc.oneof(
  fc.record({ kind: fc.constant('simple' as const), from: key, to: key }),
  fc.record({ kind: fc.constant('modifier' as const), from: key, id }),
  fc.record({ kind: fc.constant('lock' as const), from: key, id }),
  fc.record({ kind: fc.constant('tapHold' as const), from: key, tap: key, hold: id, thresholdMs: threshold }),
  fc.record({ kind: fc.constant('holdOnly' as const), from: key, hold: id, thresholdMs: threshold }),
  fc.record({
    kind: fc.constant('modifiedOutput' as const),
    from: key,
    to: key,
    shift: fc.boolean(),
    ctrl: fc.boolean(),
    alt: fc.boolean(),
    win: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('sequence' as const),
    from: key,
    keys: fc.array(key, { minLength: 1, maxLength: 8 }),
  }),
  // beyond KeyRx
  fc.record(
    {
      kind: fc.constant('tapHold' as const),
      from: key,
      tap: key,
      holdKey: modifierKey,
      thresholdMs: threshold,
      mode: fc.constantFrom(
        'permissive' as const,
        'hold_on_press' as const,
        'balanced' as const,
        'tap_preferred' as const,
      ),
      quickTapMs: fc.integer({ min: 0, max: 300 }),
      requirePriorIdleMs: fc.integer({ min: 0, max: 200 }),
      rollMs: fc.integer({ min: 0, max: 100 }),
      oppositeHand: fc.constant<HandMap>({
        left: ['A', 'B', 'C', 'D', 'E', 'CapsLock'],
        right: ['H', 'J', 'Num1'],
      }),
      tapKeys: fc.uniqueArray(key, { minLength: 1, maxLength: 3 }),
      holdKeys: fc.uniqueArray(key, { minLength: 1, maxLength: 3 }),
      timeoutKey: key,
      timeoutLayer: id,
      retroTap: fc.boolean(),
      tapHeld: fc.boolean(),
    },
    { requiredKeys: ['kind', 'from', 'tap', 'holdKey', 'thresholdMs'] },
  ),
  fc.record({
    kind: fc.constant('oneShot' as const),
    from: key,
    key: modifierKey,
    timeoutMs: threshold,
    lock: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('oneShot' as const),
    from: key,
    layer: id,
    timeoutMs: threshold,
    lock: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('autoShift' as const), from: key, thresholdMs: threshold }),
  fc.record({
    kind: fc.constant('mouseMove' as const),
    from: key,
    x: fc.constantFrom(-1, 0, 1),
    y: fc.constantFrom(-1, 1),
    speed: fc.integer({ min: 1, max: 2000 }),
    maxSpeed: fc.constant(2000),
    accelMs: fc.integer({ min: 0, max: 1000 }),
  }),
  fc.record({
    kind: fc.constant('mouseWheel' as const),
    from: key,
    x: fc.constantFrom(-1, 1),
    y: fc.constant(0),
    rate: fc.integer({ min: 1, max: 100 }),
  }),
  fc.record({
    kind: fc.constant('simple' as const),
    from: key,
    to: fc.constantFrom('MouseLeft', 'MouseRight'),
  }),
  fc.record({
    kind: fc.constant('leader' as const),
    from: key,
    timeoutMs: threshold,
    sequences: fc.uniqueArray(
      fc.record({
        keys: fc.array(key, { minLength: 1, maxLength: 3 }),
        steps: fc.array(
          fc.oneof(
            fc.record({ op: fc.constantFrom('press' as const, 'tap' as const), key }),
            fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 60 }) }),
          ),
          { minLength: 1, maxLength: 3 },
        ),
      }),
      { maxLength: 4, selector: (q) => q.keys.join(' ') },
    ),
  }),
  fc.record({
    kind: fc.constantFrom('dynamicMacroRecord' as const, 'dynamicMacroPlay' as const),
    from: key,
    slot: fc.integer({ min: 0, max: 1 }),
  }),
  fc.uniqueArray(key, { minLength: 2, maxLength: 3 }).chain((keys) =>
    fc.oneof(
      fc.record(
        {
          kind: fc.constant('combo' as const),
          keys: fc.constant(keys),
          to: key,
          ctrl: fc.boolean(),
          windowMs: fc.integer({ min: 1, max: 100 }),
          release: fc.constant('all' as const),
        },
        { requiredKeys: ['kind', 'keys', 'to', 'ctrl', 'windowMs'] },
      ),
      fc.record({
        kind: fc.constant('combo' as const),
        keys: fc.constant(keys),
        layer: id,
        windowMs: fc.integer({ min: 1, max: 100 }),
      }),
    ),
  ),
  fc.record({
    kind: fc.constant('tapDance' as const),
    from: key,
    actions: fc.array(
      fc.oneof(
        fc.record({ tap: key }),
        fc.record({ tap: key, holdKey: modifierKey }),
        fc.record({ holdLayer: id }),
      ),
      { minLength: 1, maxLength: 3 },
    ),
    windowMs: threshold,
    eager: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('macro' as const),
    from: key,
    steps: fc.array(
      fc.oneof(
        fc.record({ op: fc.constantFrom('press' as const, 'release' as const, 'tap' as const), key }),
        fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 60 }) }),
        fc.record({ op: fc.constant('text' as const), text: fc.constantFrom('a', 'Hi!', 'é') }),
      ),
      { minLength: 1, maxLength: 5 },
    ),
  }),
  fc.record({ kind: fc.constantFrom('layerToggle' as const, 'layerSwitch' as const), from: key, id }),
  fc.record({ kind: fc.constant('capsWord' as const), from: key, timeoutMs: threshold }),
  fc.record(
    {
      kind: fc.constant('capsWord' as const),
      from: fc.constant('LShift'),
      together: fc.constantFrom('Tab', 'CapsLock'),
      timeoutMs: threshold,
      shiftKeys: fc.uniqueArray(key, { maxLength: 4 }),
      continueKeys: fc.uniqueArray(key, { maxLength: 4 }),
    },
    { requiredKeys: ['kind', 'from', 'together', 'timeoutMs'] },
  ),
  fc.record({
    kind: fc.constant('keyOverride' as const),
    from: key,
    mods: fc.constantFrom<string[]>(['Shift'], ['LShift', 'Ctrl']),
    to: key,
  }),
  fc.record({ kind: fc.constant('unicode' as const), from: key, text: fc.constantFrom('é', '→x') }),
);

const item: fc.Arbitrary<ConditionItem> = fc.oneof(
  fc.record({ kind: fc.constant('modifier' as const), id }),
  fc.record({ kind: fc.constant('lock' as const), id }),
);
const condition: fc.Arbitrary<Condition> = fc.oneof(
  item,
  fc.record({ kind: fc.constant('allOf' as const), items: fc.array(item, { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('noneOf' as const), items: fc.array(item, { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('device' as const), pattern: fc.constantFrom('kb-*', '*two', 'none') }),
);
const mapping: fc.Arbitrary<Mapping> = fc.oneof(
  { weight: 3, arbitrary: baseMapping },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('conditional' as const),
      condition,
      mappings: fc.array(baseMapping, { minLength: 1, maxLength: 6 }),
    }),
  },
);
export const configArb: fc.Arbitrary<Config> = fc.record({
  version: fc.constant(1),
  devices: fc.array(
    fc.record({
      pattern: fc.constantFrom('*', 'kb-one', '*two', 'nothing'),
      mappings: fc.array(mapping, { maxLength: 25 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

type Op =
  | { op: 'press' | 'release' | 'repeat'; pick: number; device: number }
  | { op: 'wait'; ms: number }
  | { op: 'releaseAll' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('press' as const), pick: fc.nat(), device: fc.nat({ max: 1 }) }),
  },
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat(), device: fc.nat({ max: 1 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('repeat' as const), pick: fc.nat(), device: fc.nat({ max: 1 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 400 }) }),
  },
);

interface RunOptions {
  releaseAllAt?: Set<number>;
}

/** Plays random ops as well-formed input (presses of up keys, releases of down keys), then releases everything. */
interface Played {
  out: OutputEvent[];
  /** modifier keys of locked one-shots, which stay down by design */
  latched: Set<number>;
}

function play(config: Config, ops: Op[], opts: RunOptions = {}): Played {
  const engine = new Engine(config);
  const out: OutputEvent[] = [];
  const down = new Set<string>();
  let now = 0;
  const feed = (action: 'press' | 'release' | 'repeat', code: number, device: string): void => {
    out.push(...engine.process({ key: code, action, timeUs: now, device }));
  };
  ops.forEach((op, index) => {
    if (opts.releaseAllAt?.has(index)) out.push(...engine.releaseAll(now));
    if (op.op === 'wait') {
      now += op.ms * 1000;
      out.push(...engine.tick(now));
    } else if (op.op === 'releaseAll') {
      out.push(...engine.releaseAll(now));
    } else {
      const device = DEVICES[op.device];
      const upKeys = CODES.filter((c) => !down.has(`${device}/${c}`));
      const downKeys = CODES.filter((c) => down.has(`${device}/${c}`));
      if (op.op === 'press' && upKeys.length > 0) {
        const code = upKeys[op.pick % upKeys.length];
        down.add(`${device}/${code}`);
        feed('press', code, device);
      } else if (op.op !== 'press' && downKeys.length > 0) {
        const code = downKeys[op.pick % downKeys.length];
        if (op.op === 'release') down.delete(`${device}/${code}`);
        feed(op.op, code, device);
      }
    }
  });
  for (const entry of [...down]) {
    const [device, code] = entry.split('/');
    feed('release', Number(code), device);
  }
  // every deadline passes (one may start another: a macro's next wait, an armed one-shot)
  for (let deadline = engine.nextDeadline(), i = 0; deadline !== null && i < 100; i++) {
    now = Math.max(now, deadline);
    out.push(...engine.tick(now));
    deadline = engine.nextDeadline();
  }
  assert.equal(engine.nextDeadline(), null, 'no deadline may remain once every key is up');
  const latched = new Set(
    engine
      .state()
      .oneShots.filter((n) => !n.startsWith('MD_'))
      .map(resolveKey),
  );
  return { out, latched };
}

function checkWellFormed({ out, latched }: Played): void {
  const down = new Set<number>();
  let lastTime = -Infinity;
  for (const [i, e] of out.entries()) {
    assert.ok(e.timeUs >= lastTime, `event ${i} goes back in time`);
    lastTime = e.timeUs;
    // pointer motion (mouse keys) holds nothing down
    if (e.action === 'move')
      assert.ok(e.value !== 0 && Number.isInteger(e.value), `event ${i}: motion ${e.value}`);
    else if (e.action === 'press') {
      assert.ok(!down.has(e.key), `event ${i}: press of key ${e.key} that is already down`);
      down.add(e.key);
    } else if (e.action === 'release') {
      assert.ok(down.has(e.key), `event ${i}: release of key ${e.key} that is not down`);
      down.delete(e.key);
    } else assert.ok(down.has(e.key), `event ${i}: repeat of key ${e.key} that is not down`);
  }
  assert.deepEqual(
    [...down].filter((k) => !latched.has(k)),
    [],
    'output keys left down after every input was released',
  );
}

const RUNS = Number(process.env.KEYRX_PROPERTY_RUNS ?? 400);

test('output is well-formed and nothing stays down', () => {
  fc.assert(
    fc.property(configArb, fc.array(opArb, { maxLength: 80 }), (config, ops) => {
      checkWellFormed(play(config, ops));
    }),
    { numRuns: RUNS },
  );
});

test('the same input gives the same output', () => {
  fc.assert(
    fc.property(configArb, fc.array(opArb, { maxLength: 80 }), (config, ops) => {
      assert.deepEqual(play(config, ops), play(config, ops));
    }),
    { numRuns: RUNS / 2 },
  );
});

test('releaseAll at random points leaves nothing down and keeps output well-formed', () => {
  fc.assert(
    fc.property(
      configArb,
      fc.array(opArb, { maxLength: 60 }),
      fc.uniqueArray(fc.nat({ max: 59 }), { maxLength: 4 }),
      (config, ops, points) => {
        checkWellFormed(play(config, ops, { releaseAllAt: new Set(points) }));
      },
    ),
    { numRuns: RUNS / 2 },
  );
});

test('releaseAll returns the engine to a state with no output down', () => {
  fc.assert(
    fc.property(configArb, fc.array(opArb, { maxLength: 40 }), (config, ops) => {
      const engine = new Engine(config);
      let now = 0;
      for (const op of ops) {
        if (op.op === 'wait') engine.tick((now += op.ms * 1000));
        else if (op.op === 'press')
          engine.process({ key: CODES[op.pick % CODES.length], action: 'press', timeUs: now });
      }
      engine.releaseAll(now);
      const state = engine.state();
      assert.deepEqual(state.outputDown, []);
      assert.deepEqual(state.held, []);
      // held layers are dropped; toggled and switched ones stay on, like locks
      const staying = new Set<number>();
      for (const d of config.devices)
        for (const m of d.mappings)
          for (const inner of m.kind === 'conditional' ? m.mappings : [m])
            if (inner.kind === 'layerToggle' || inner.kind === 'layerSwitch') staying.add(inner.id);
      assert.deepEqual(
        state.modifiers.filter((id) => !staying.has(id)),
        [],
      );
      assert.equal(engine.nextDeadline(), null);
    }),
    { numRuns: RUNS / 2 },
  );
});
