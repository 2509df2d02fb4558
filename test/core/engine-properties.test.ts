/**
 * Property tests: for random configs and random well-formed input, the output is
 * well-formed, nothing stays down once every input is up and deadlines have passed, and
 * the same input always gives the same output.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Config, OutputEvent } from '../../src/core/index.ts';
import { Engine } from '../../src/core/index.ts';
import { latchedKeys } from '../fuzz/engine-cases.ts';
import { CODES, configArb, DEVICES } from './arbitraries.ts';

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
  return { out, latched: latchedKeys(engine.state().oneShots) };
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
