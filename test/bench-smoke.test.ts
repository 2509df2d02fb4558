import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runEngineBench } from '../bench/engine.bench.ts';
import { benchConfig, typingStream } from '../bench/engine-workload.ts';
import { Engine } from '../src/core/index.ts';

test('the engine benchmark runs and reports well-formed figures (no timing asserted)', () => {
  const r = runEngineBench({ events: 2_000, rounds: 1 });
  assert.equal(r.mappings, 300);
  assert.ok(r.events >= 2_000);
  for (const v of [r.p50Ns, r.p99Ns, r.maxNs, r.eventsPerSecond]) assert.ok(Number.isFinite(v) && v > 0);
  assert.ok(r.p50Ns <= r.p99Ns && r.p99Ns <= r.maxNs);
});

test('the benchmark workload is a realistic, well-formed stream that exercises every path', () => {
  const stream = typingStream(5_000);
  const engine = new Engine(benchConfig(), { trace: true });
  const decisions = new Set<string>();
  for (const e of stream) {
    const d = engine.nextDeadline();
    if (d !== null && d <= e.timeUs) {
      engine.tick(d);
      for (const t of engine.trace) decisions.add(t.decision);
    }
    engine.process(e);
    for (const t of engine.trace) decisions.add(t.decision);
  }
  for (const d of ['remap', 'pending', 'tap', 'hold', 'hold-release']) assert.ok(decisions.has(d), d);
  assert.deepEqual(engine.state().outputDown, []);
});
