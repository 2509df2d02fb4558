/**
 * Random configs of every mapping kind, for the engine's property tests and the printer's round
 * trip (test/dsl/print.test.ts). Keys and devices are few, so keys meet and mappings interact.
 */
import fc from 'fast-check';
import type {
  BaseMapping,
  Condition,
  Config,
  ConditionItem,
  HandMap,
  Mapping,
} from '../../src/core/index.ts';

export const KEYS = ['A', 'B', 'C', 'D', 'E', 'CapsLock', 'Space', 'LShift', 'Tab', 'H', 'J', 'Num1'];
export const CODES = [30, 48, 46, 32, 18, 58, 57, 42, 15, 35, 36, 2];
export const DEVICES = ['kb-one', 'kb-two'];

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
