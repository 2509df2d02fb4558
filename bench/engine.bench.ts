/**
 * `npm run bench:engine`: engine cost per input event (p50/p99/max, ns) and throughput
 * (events/s) for a ~300-mapping, 10-layer, 10-tap-hold profile fed with a typing stream.
 * Figures only, no pass/fail: performance is reported, never asserted in tests.
 */
import { createHistogram } from 'node:perf_hooks';
import { Engine } from '../src/core/index.ts';
import { benchConfig, featuresConfig, featuresStream, typingStream } from './engine-workload.ts';

export interface EngineBenchResult {
  mappings: number;
  events: number;
  p50Ns: number;
  p99Ns: number;
  maxNs: number;
  meanNs: number;
  eventsPerSecond: number;
}

function mappingCount(config: ReturnType<typeof benchConfig>): number {
  let n = 0;
  for (const m of config.devices[0].mappings) n += m.kind === 'conditional' ? m.mappings.length : 1;
  return n;
}

/** `features`: every feature beyond KeyRx in the profile and the stream (see engine-workload.ts). */
export function runEngineBench(
  opts: { events?: number; rounds?: number; features?: boolean } = {},
): EngineBenchResult {
  const config = opts.features ? featuresConfig() : benchConfig();
  const stream = (opts.features ? featuresStream : typingStream)(opts.events ?? 200_000);
  const rounds = opts.rounds ?? 5;

  // Throughput: the stream as the input thread would run it (ticks at due deadlines).
  const play = (engine: Engine): number => {
    let outputs = 0;
    for (let i = 0; i < stream.length; i++) {
      const e = stream[i];
      const deadline = engine.nextDeadline();
      if (deadline !== null && deadline <= e.timeUs) outputs += engine.tick(deadline).length;
      outputs += engine.process(e).length;
    }
    return outputs;
  };
  play(new Engine(config)); // warm-up: let the JIT settle
  play(new Engine(config));
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const engine = new Engine(config);
    const start = process.hrtime.bigint();
    play(engine);
    const ns = Number(process.hrtime.bigint() - start);
    rates.push(stream.length / (ns / 1e9));
  }
  rates.sort((a, b) => a - b);

  // Per-event latency: each process() call timed on its own (includes ~20–40 ns of timer cost).
  const histogram = createHistogram();
  const engine = new Engine(config);
  for (let i = 0; i < stream.length; i++) {
    const e = stream[i];
    const deadline = engine.nextDeadline();
    if (deadline !== null && deadline <= e.timeUs) engine.tick(deadline);
    const start = process.hrtime.bigint();
    engine.process(e);
    histogram.record(Math.max(1, Number(process.hrtime.bigint() - start)));
  }
  return {
    mappings: mappingCount(config),
    events: stream.length,
    p50Ns: histogram.percentile(50),
    p99Ns: histogram.percentile(99),
    maxNs: histogram.max,
    meanNs: Math.round(histogram.mean),
    eventsPerSecond: Math.round(rates[Math.floor(rates.length / 2)]),
  };
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const features = process.argv.includes('--features');
  const r = runEngineBench({ ...(quick ? { events: 20_000, rounds: 2 } : {}), features });
  if (process.argv.includes('--json')) console.log(JSON.stringify(r));
  else {
    console.log(
      features
        ? `engine: ${r.mappings} mappings with every feature beyond KeyRx (home-row mods, combos, …); ${fmt(r.events)} events`
        : `engine: ${r.mappings} mappings, 10 layers, 10 tap-holds; ${fmt(r.events)} typing events`,
    );
    console.log(
      `  per event   p50 ${fmt(r.p50Ns)} ns   p99 ${fmt(r.p99Ns)} ns   max ${fmt(r.maxNs)} ns   mean ${fmt(r.meanNs)} ns`,
    );
    console.log(`  throughput  ${fmt(r.eventsPerSecond)} events/s (median of rounds)`);
    console.log(
      `  goals       p99 < 2,000 ns; >= 1,000,000 events/s  (KeyRx claims ~17 ns process_event in criterion)`,
    );
  }
}
