/**
 * The full fuzzing run (`npm run test:fuzz`): every target with its full count, then a summary
 * table for docs/reliability.md. Exits 1 when any case failed.
 *
 *   npm run test:fuzz                           everything (about 6 minutes on 2 cores)
 *   npm run test:fuzz -- --only dsl,engine      some targets (dsl, engine, host, krx, script, websocket)
 *   npm run test:fuzz -- --jobs 2               split the DSL cases across 2 workers
 *   npm run test:fuzz -- --scale 0.1            a tenth of every count
 *   KEYRX_FUZZ_SEED=123 npm run test:fuzz       another seed (failures print theirs)
 */
import type { TargetName, TargetResult } from './harness.ts';
import { failureReport, formatMs, fuzzSeed, mergeResults, runInWorker } from './harness.ts';
import { runHostFuzz } from './host-cases.ts';
import { runWsFuzz } from './parser-cases.ts';

const COUNTS = {
  dsl: 100_000,
  engine: 10_000,
  host: 300,
  krx: 10_000,
  script: 20_000,
  websocket: 5_000,
} as const;
type Name = keyof typeof COUNTS;

const LABELS: Record<Name, string> = {
  dsl: 'DSL compiler (compileProfile)',
  engine: 'engine: swaps, releaseAll, device toggles (model)',
  host: 'engine host through a daemon (inject, activate, toggles)',
  krx: '.krx decoder (sealed payloads)',
  script: 'simulation script parser (parseScript + simulate)',
  websocket: 'WebSocket requests (real sockets)',
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const only = arg('only')?.split(',') as Name[] | undefined;
const jobs = Math.max(1, Number(arg('jobs') ?? 1));
const scale = Number(arg('scale') ?? 1);
const seed = fuzzSeed();
for (const n of only ?? [])
  if (!(n in COUNTS)) throw new Error(`unknown target '${n}' (${Object.keys(COUNTS).join(', ')})`);

async function runWorkers(target: TargetName, count: number, parts: number): Promise<TargetResult> {
  const t0 = performance.now();
  const size = Math.ceil(count / parts);
  const results = await Promise.all(
    Array.from({ length: parts }, (_, i) =>
      runInWorker(target, { start: i * size, count: Math.min(count, (i + 1) * size), seed, full: true }),
    ),
  );
  return mergeResults(results, performance.now() - t0);
}

async function run(name: Name, count: number): Promise<TargetResult> {
  switch (name) {
    case 'dsl':
      return runWorkers('dsl', count, jobs);
    case 'host':
      return runHostFuzz({ count, seed });
    case 'websocket':
      return runWsFuzz({ count, seed });
    default:
      return runWorkers(name, count, 1);
  }
}

const results: [Name, TargetResult][] = [];
console.log(`keyrx fuzzing, seed ${seed}${scale !== 1 ? `, counts × ${scale}` : ''}`);
for (const name of Object.keys(COUNTS) as Name[]) {
  if (only && !only.includes(name)) continue;
  const count = Math.max(1, Math.round(COUNTS[name] * scale));
  process.stdout.write(`  ${name}: ${count.toLocaleString('en-US')} cases … `);
  const r = await run(name, count);
  results.push([name, r]);
  console.log(
    `${r.failures.length === 0 ? 'ok' : `${r.failures.length} FAILED`} (${formatMs(r.durationMs)})`,
  );
}

console.log('\n| target | cases | failures | duration | slowest case | slower than 5 s |');
console.log('|---|---:|---:|---:|---|---:|');
for (const [name, r] of results)
  console.log(
    `| ${LABELS[name]} | ${r.cases.toLocaleString('en-US')} | ${r.failures.length} | ${formatMs(r.durationMs)} | ${formatMs(r.slowest.ms)}: ${r.slowest.label.slice(0, 90).replace(/\|/g, '\\|')} | ${r.slow} |`,
  );
for (const [name, r] of results)
  console.log(
    `\n${name} cases by kind: ${Object.entries(r.categories)
      .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
      .join(', ')}`,
  );
const failed = results.filter(([, r]) => r.failures.length > 0);
for (const [, r] of failed) console.log(`\n${failureReport(r)}`);
process.exitCode = failed.length > 0 ? 1 : 0;
