import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runEngineBench } from '../bench/engine.bench.ts';
import { benchConfig, typingStream } from '../bench/engine-workload.ts';
import type { Figure } from '../bench/suite/figures.ts';
import { compareWithBaseline, makeBaseline } from '../bench/suite/gate.ts';
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

test('the regression gate compares scaled ratios: a uniformly slower machine passes, a real slowdown fails', () => {
  const spec = (
    id: string,
    better: 'lower' | 'higher',
    scale: 'cpu' | 'raw',
    extra: Partial<Figure> = {},
  ) => ({
    id,
    section: 's',
    label: id,
    unit: better === 'lower' ? 'ms' : 'req/s',
    better,
    scale,
    ...extra,
  });
  const fig = (s: ReturnType<typeof spec>, value: number): Figure => ({ ...s, value, runs: [value] });
  const lat = spec('lat', 'lower', 'cpu');
  const rps = spec('rps', 'higher', 'cpu');
  const mem = spec('mem', 'lower', 'raw');
  const noisy = spec('noisy', 'lower', 'cpu', { gated: false });
  const baseline = makeBaseline(
    [fig(lat, 10), fig(rps, 1000), fig(mem, 500), fig(noisy, 1), fig(spec('gone', 'lower', 'cpu'), 1)],
    100,
    'm',
    false,
  );

  // everything twice as slow, and the reference too: no regression
  const slowMachine = compareWithBaseline(
    [fig(lat, 20), fig(rps, 500), fig(mem, 500), fig(noisy, 9)],
    200,
    baseline,
  );
  assert.deepEqual(slowMachine.failed, []);
  const byId = Object.fromEntries(slowMachine.rows.map((r) => [r.id, r]));
  assert.equal(byId.lat.worseBy, 1);
  assert.equal(byId.rps.worseBy, 1);
  assert.equal(byId.noisy.status, 'not gated');
  assert.equal(byId.gone.status, 'not measured');

  // same machine, 20 % slower latency, 20 % less throughput, 30 % more memory: all fail at 10 %
  const worse = compareWithBaseline(
    [fig(lat, 12), fig(rps, 800), fig(mem, 650), fig(spec('fresh', 'lower', 'cpu'), 1)],
    100,
    baseline,
  );
  assert.deepEqual(worse.failed.map((r) => r.id).sort(), ['lat', 'mem', 'rps']);
  assert.equal(worse.rows.find((r) => r.id === 'fresh')!.status, 'new');
  // a per-figure tolerance and the run's default both apply
  assert.deepEqual(compareWithBaseline([fig({ ...lat, tolerance: 0.3 }, 12)], 100, baseline).failed, []);
  assert.deepEqual(compareWithBaseline([fig(lat, 12)], 100, baseline, 0.25).failed, []);
  assert.equal(compareWithBaseline([fig(lat, 5)], 100, baseline).rows[0].status, 'better');
});

test('npm run bench produces well-formed results, reports and a baseline it can compare against', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyrx-bench-smoke-'));
  try {
    const run = (...extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'bench/run.ts',
          '--only',
          'engine,compile',
          '--quick',
          '--out',
          dir,
          '--baseline',
          join(dir, 'baseline.json'),
          ...extra,
        ],
        { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', timeout: 120_000 },
      );
    const first = run('--update-baseline');
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /\| figure \| seed \(KeyRx v0\.1\.1\) \| keyrx \(this run\) \| ratio \|/);
    const result = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8'));
    assert.equal(result.version, 1);
    assert.deepEqual(
      result.suites.map((s: { name: string }) => s.name),
      ['engine', 'compile'],
    );
    const ids = result.figures.map((f: { id: string }) => f.id);
    for (const id of ['engine.p50', 'engine.p99', 'engine.throughput', 'compile.warm', 'compile.krxLoad'])
      assert.ok(ids.includes(id), id);
    for (const f of result.figures) {
      assert.ok(Number.isFinite(f.value) && f.value > 0, `${f.id}: ${f.value}`);
      assert.ok(f.runs.length >= 1);
    }
    const compileWarm = result.figures.find((f: { id: string }) => f.id === 'compile.warm');
    assert.equal(compileWarm.seed.value, 50);
    assert.ok(compileWarm.ratio > 0);
    assert.match(readFileSync(join(dir, 'latest.md'), 'utf8'), /## Engine and compiler/);
    assert.match(readFileSync(join(dir, 'latest.html'), 'utf8'), /<svg /);
    const baseline = JSON.parse(readFileSync(join(dir, 'baseline.json'), 'utf8'));
    assert.ok(baseline.figures['engine.p99'].referenceMs > 0);

    // a generous tolerance: only the harness is tested here, never timing
    const second = run('--compare', '--tolerance', '9');
    assert.equal(second.status, 0, second.stdout + second.stderr);
    const compared = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8'));
    assert.ok(compared.gate.rows.length >= 5);
    assert.deepEqual(compared.gate.failed, []);

    const bad = run('--only', 'nope');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown suite 'nope'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
