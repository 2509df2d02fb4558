/**
 * Property: the engine never reorders taps. Every input key of a random profile has outputs of its
 * own (its tap, its layer's tap, its dance taps, its sequence), so each output press names the
 * input key it came from; the sources of the tap outputs, in output order, must be a subsequence
 * of the input presses. Holds (modifier keys, layers) are decided by time and are not taps: their
 * outputs are left out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { BaseMapping, Config, HandMap } from '../../src/core/index.ts';
import { Engine } from '../../src/core/index.ts';
import { isModifierKey, keyName, resolveKey } from '../../src/core/keys.ts';

/** The keys typed; each has its own outputs below. */
const INPUTS = ['A', 'S', 'D', 'F', 'J', 'K', 'L', 'Semicolon'];
/**
 * Per input key: [base tap, tap under layer 0, two dance taps, the rest of its sequence], all
 * distinct. A sequence types its first dance tap, then its last key, which is not counted (one
 * press, one tap).
 */
const OUTPUTS: Record<string, string[]> = {
  A: ['Num1', 'F1', 'Q', 'W', 'F7'],
  S: ['Num2', 'F2', 'E', 'R', 'F8'],
  D: ['Num3', 'F3', 'T', 'Y', 'F9'],
  F: ['Num4', 'F4', 'U', 'I', 'F10'],
  J: ['Num5', 'F5', 'O', 'P', 'F11'],
  K: ['Num6', 'F6', 'Z', 'X', 'F12'],
  L: ['Num7', 'F13', 'C', 'V', 'F14'],
  Semicolon: ['Num8', 'F15', 'B', 'N', 'F16'],
};
/** A combo of L and Semicolon types this; its source is whichever of the two was pressed first. */
const COMBO_OUTPUT = 'Num0';
const COMBO_SOURCE = 'L|Semicolon';
const CONTINUATIONS = new Set(Object.values(OUTPUTS).map((o) => resolveKey(o[4])));
const HOLD_KEYS = ['LShift', 'RShift', 'LCtrl', 'RCtrl', 'LAlt', 'RAlt', 'LMeta', 'RMeta'];
const HANDS: HandMap = { left: ['A', 'S', 'D', 'F'], right: ['J', 'K', 'L', 'Semicolon'] };

const source = new Map<number, string>();
for (const [input, outputs] of Object.entries(OUTPUTS)) {
  source.set(resolveKey(input), input);
  for (const o of outputs.slice(0, 4)) source.set(resolveKey(o), input);
}
source.set(resolveKey(COMBO_OUTPUT), COMBO_SOURCE);

/** A mapping for input key `from` whose outputs are its own (index = which input). */
function mappingArb(from: string, index: number): fc.Arbitrary<BaseMapping | null> {
  const [tap, , dance1, dance2, rest] = OUTPUTS[from];
  const holdKey = HOLD_KEYS[index];
  return fc.oneof(
    fc.constant(null), // passthrough
    fc.constant<BaseMapping>({ kind: 'simple', from, to: tap }),
    fc.record(
      {
        kind: fc.constant('tapHold' as const),
        from: fc.constant(from),
        tap: fc.constant(tap),
        hold: fc.integer({ min: 0, max: 1 }),
        thresholdMs: fc.integer({ min: 50, max: 250 }),
        mode: fc.constantFrom(
          'permissive' as const,
          'hold_on_press' as const,
          'balanced' as const,
          'tap_preferred' as const,
        ),
        quickTapMs: fc.integer({ min: 0, max: 200 }),
        requirePriorIdleMs: fc.integer({ min: 0, max: 100 }),
        rollMs: fc.integer({ min: 0, max: 60 }),
        oppositeHand: fc.constant(HANDS),
        tapKeys: fc.subarray(INPUTS, { minLength: 1 }),
        holdKeys: fc.subarray(INPUTS, { minLength: 1 }),
        timeoutLayer: fc.integer({ min: 0, max: 1 }),
        retroTap: fc.boolean(),
        tapHeld: fc.boolean(),
      },
      { requiredKeys: ['kind', 'from', 'tap', 'hold', 'thresholdMs'] },
    ),
    fc.record(
      {
        kind: fc.constant('tapHold' as const),
        from: fc.constant(from),
        tap: fc.constant(tap),
        holdKey: fc.constant(holdKey),
        thresholdMs: fc.integer({ min: 50, max: 250 }),
        mode: fc.constantFrom('permissive' as const, 'balanced' as const, 'tap_preferred' as const),
        quickTapMs: fc.integer({ min: 0, max: 200 }),
        timeoutKey: fc.constant(tap),
        retroTap: fc.boolean(),
      },
      { requiredKeys: ['kind', 'from', 'tap', 'holdKey', 'thresholdMs'] },
    ),
    fc.record({
      kind: fc.constant('holdOnly' as const),
      from: fc.constant(from),
      hold: fc.integer({ min: 0, max: 1 }),
      thresholdMs: fc.integer({ min: 50, max: 250 }),
    }),
    fc.record({
      kind: fc.constant('tapDance' as const),
      from: fc.constant(from),
      actions: fc.constant<{ tap: string; holdKey?: string }[]>([{ tap: dance1 }, { tap: dance2, holdKey }]),
      windowMs: fc.integer({ min: 50, max: 250 }),
      eager: fc.boolean(),
    }),
    fc.constant<BaseMapping>({ kind: 'sequence', from, keys: [dance1, rest] }),
    fc.record({
      kind: fc.constant('autoShift' as const),
      from: fc.constant(from),
      thresholdMs: fc.integer({ min: 50, max: 250 }),
    }),
  );
}

const configArb: fc.Arbitrary<Config> = fc
  .tuple(
    fc.tuple(...INPUTS.map((k, i) => mappingArb(k, i))),
    fc.subarray(INPUTS),
    fc.option(fc.integer({ min: 10, max: 80 })),
    fc.boolean(),
  )
  .map(([mappings, layered, comboWindow, untilAllUp]) => {
    const base = mappings.filter((m): m is BaseMapping => m !== null);
    if (comboWindow !== null)
      base.unshift({
        kind: 'combo',
        keys: ['L', 'Semicolon'],
        to: COMBO_OUTPUT,
        windowMs: comboWindow,
        ...(untilAllUp ? { release: 'all' as const } : {}),
      });
    return {
      version: 1,
      devices: [
        {
          pattern: '*',
          mappings: [
            // under layer 0 some keys type their second output
            {
              kind: 'conditional' as const,
              condition: { kind: 'modifier' as const, id: 0 },
              mappings: layered.map((from) => ({ kind: 'simple' as const, from, to: OUTPUTS[from][1] })),
            },
            ...base,
          ],
        },
      ],
    };
  });

type Op = { op: 'press' | 'release'; pick: number } | { op: 'wait'; ms: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('press' as const), pick: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 300 }) }),
  },
);

/** Plays the ops as well-formed input; returns the input presses and the sources of the tap outputs. */
function play(config: Config, ops: Op[]): { presses: string[]; taps: string[]; log: string[] } {
  const engine = new Engine(config);
  const presses: string[] = [];
  const taps: string[] = [];
  const log: string[] = [];
  const down = new Set<string>();
  let now = 0;
  const take = (events: { key: number; action: string; timeUs: number }[]): void => {
    for (const e of events) {
      log.push(`  out t=${e.timeUs / 1000} ${e.action} ${keyName(e.key)}`);
      if (e.action === 'press' && !isModifierKey(e.key) && !CONTINUATIONS.has(e.key))
        taps.push(source.get(e.key) ?? `?${keyName(e.key)}`);
    }
  };
  const feed = (action: 'press' | 'release', name: string): void => {
    log.push(`in t=${now / 1000} ${action} ${name}`);
    if (action === 'press') presses.push(name);
    take(engine.process({ key: resolveKey(name), action, timeUs: now }));
  };
  for (const op of ops) {
    if (op.op === 'wait') {
      now += op.ms * 1000;
      take(engine.tick(now));
      continue;
    }
    const pool = INPUTS.filter((k) => down.has(k) === (op.op === 'release'));
    if (pool.length === 0) continue;
    const name = pool[op.pick % pool.length];
    if (op.op === 'press') down.add(name);
    else down.delete(name);
    feed(op.op, name);
  }
  for (const name of [...down]) feed('release', name);
  for (let deadline = engine.nextDeadline(), i = 0; deadline !== null && i < 100; i++) {
    now = Math.max(now, deadline);
    take(engine.tick(now));
    deadline = engine.nextDeadline();
  }
  return { presses, taps, log };
}

/**
 * Whether `taps` appear in `presses` in order (each tap matched to a later press of its key, or of
 * one of the keys `A|B` names).
 */
function inOrder(presses: string[], taps: string[]): boolean {
  let at = 0;
  for (const tap of taps) {
    const keys = tap.split('|');
    while (at < presses.length && !keys.includes(presses[at])) at++;
    if (at === presses.length) return false;
    at++;
  }
  return true;
}

const RUNS = Number(process.env.KEYRX_PROPERTY_RUNS ?? 400);

test('taps come out in the order their keys were pressed, for every kind whose output is a tap', () => {
  fc.assert(
    fc.property(configArb, fc.array(opArb, { maxLength: 40 }), (config, ops) => {
      const { presses, taps, log } = play(config, ops);
      assert.ok(
        inOrder(presses, taps),
        `presses ${presses.join(' ')}\ntaps from ${taps.join(' ')}\n${log.join('\n')}\n${JSON.stringify(config)}`,
      );
    }),
    { numRuns: RUNS },
  );
});

test('the check finds the reordering it is meant to (KeyRx: a nested tap-hold tap sent first)', () => {
  assert.equal(inOrder(['CapsLock', 'Space'], ['Space', 'CapsLock']), false);
  assert.equal(inOrder(['A', 'S', 'A'], ['S', 'A']), true);
  assert.equal(inOrder(['A', 'S'], ['A', 'A']), false);
});
