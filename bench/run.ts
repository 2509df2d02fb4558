/**
 * `npm run bench`: every benchmark, one report. Prints the figures next to the seed's (KeyRx
 * v0.1.1's performance report), writes bench/results/<timestamp>.json, latest.md and latest.html,
 * and with --compare checks them against bench/baseline.json (the regression gate).
 *
 *   npm run bench                        full pass (about 8 minutes on 2 cores)
 *   npm run bench -- --quick             a short pass
 *   npm run bench -- --only api,ws       some suites (engine, compile, api, ws, pipeline, serialize, lifecycle, startup)
 *   npm run bench -- --compare           exit 1 when a figure is worse than the baseline beyond its tolerance
 *   npm run bench -- --update-baseline   write this run's figures into bench/baseline.json
 *   --tolerance 0.1 (default)  --out <dir>  --baseline <file>  --list
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Figure, Measured } from './suite/figures.ts';
import { mergeRuns } from './suite/figures.ts';
import type { Baseline, GateResult } from './suite/gate.ts';
import { compareWithBaseline, DEFAULT_TOLERANCE, makeBaseline } from './suite/gate.ts';
import { measureReference } from './suite/reference.ts';
import type { RunResult, SuiteRun } from './suite/report.ts';
import {
  figureTable,
  gateTable,
  headline,
  renderHtml,
  renderMarkdown,
  toReportFigures,
} from './suite/report.ts';
import { SUITES } from './suite/suites.ts';

const ROOT = join(import.meta.dirname, '..');

export const METHOD = [
  'Each suite runs the real daemon as a child process on a temporary config directory, on loopback only; every run is bounded in count and time.',
  'Warm-up before measuring (autocannon warm-up seconds, warm-up requests, connections and events); then several runs where a suite is cheap enough (engine 5, compile 3, API 2 in a full pass). The value is the median of the runs; the spread is half their min–max range.',
  'Percentiles come from the samples themselves (sorted, or autocannon per-request times), never from averages of averages.',
  'The API and WebSocket suites pin the daemon and the load generator to different CPUs with taskset when two are available (each suite states what it pinned); the key-path suite runs unpinned by default and shows the machine floor (the same pipes through an echo process).',
  'Seed figures are from KeyRx v0.1.1 report on its own machine; ratios compare across machines and are indicative. Where the seed gives an average or does not state a count, the nearest of our figures is named in the table.',
  'The regression gate divides CPU-bound figures by a reference workload measured in the same run (pure-JS SHA-256 over 256 KiB ×8), so a slower or busier machine moves both; memory figures are compared as they are.',
];

interface Args {
  only: string[] | null;
  quick: boolean;
  compare: boolean;
  updateBaseline: boolean;
  tolerance: number;
  out: string;
  baseline: string;
}

function parse(argv: string[]): Args | 'list' {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      compare: { type: 'boolean', default: false },
      'update-baseline': { type: 'boolean', default: false },
      tolerance: { type: 'string' },
      out: { type: 'string' },
      baseline: { type: 'string' },
      list: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.list) return 'list';
  const only = values.only
    ? values.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : null;
  const known = SUITES.map((s) => s.name);
  for (const name of only ?? [])
    if (!known.includes(name)) throw new Error(`unknown suite '${name}' (suites: ${known.join(', ')})`);
  const tolerance = values.tolerance === undefined ? DEFAULT_TOLERANCE : Number(values.tolerance);
  if (!(tolerance > 0 && tolerance < 10))
    throw new Error(`--tolerance must be a fraction like 0.1, got '${values.tolerance}'`);
  return {
    only,
    quick: values.quick ?? false,
    compare: values.compare ?? false,
    updateBaseline: values['update-baseline'] ?? false,
    tolerance,
    out: values.out ?? join(ROOT, 'bench/results'),
    baseline: values.baseline ?? join(ROOT, 'bench/baseline.json'),
  };
}

function readBaseline(path: string): Baseline | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Baseline;
  } catch (e) {
    throw new Error(
      `${path} is not valid JSON (${(e as Error).message}); run --update-baseline to rewrite it`,
      {
        cause: e,
      },
    );
  }
}

export interface SuiteOutcome {
  result: RunResult;
  figures: Figure[];
}

/** Runs the suites and builds the result (no files written). */
export async function runSuite(
  args: Pick<Args, 'only' | 'quick'>,
  log: (line: string) => void = () => {},
): Promise<SuiteOutcome> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const loadBefore = loadavg()[0];
  const refBefore = measureReference();
  log(`reference workload: ${refBefore.toFixed(1)} ms`);
  const suites = SUITES.filter((s) => !args.only || args.only.includes(s.name));
  const figures: Figure[] = [];
  const runs: SuiteRun[] = [];
  for (const suite of suites) {
    const count = args.quick ? suite.runs.quick : suite.runs.full;
    const t0 = Date.now();
    const measured: Measured[] = [];
    const run: SuiteRun = { name: suite.name, title: suite.title, runs: 0, seconds: 0, pinning: [] };
    for (let i = 1; i <= count; i++) {
      log(`${suite.name}: run ${i} of ${count}`);
      try {
        measured.push(
          await suite.measure({
            quick: args.quick,
            progress: (l) => log(`  ${suite.name}: ${l}`),
            pinned: (note) => {
              if (!run.pinning.includes(note)) run.pinning.push(note);
            },
          }),
        );
        run.runs++;
      } catch (e) {
        run.error = (e as Error).message.split('\n')[0];
        log(`${suite.name}: FAILED: ${(e as Error).stack ?? e}`);
        break;
      }
    }
    run.seconds = (Date.now() - t0) / 1000;
    runs.push(run);
    figures.push(...mergeRuns(measured));
    log(`${suite.name}: ${run.runs} run(s) in ${run.seconds.toFixed(1)} s`);
  }
  const refAfter = measureReference();
  const cpuList = cpus();
  const result: RunResult = {
    version: 1,
    startedAt,
    durationSec: (Date.now() - started) / 1000,
    quick: args.quick,
    only: args.only,
    machine: {
      node: process.version,
      cpu: cpuList[0]?.model.trim() ?? 'unknown CPU',
      cpus: cpuList.length,
      platform: `${platform()} ${process.arch}`,
      loadAverage: { before: loadBefore, after: loadavg()[0] },
    },
    referenceMs: { before: refBefore, after: refAfter, used: (refBefore + refAfter) / 2 },
    method: METHOD,
    suites: runs,
    figures: toReportFigures(figures),
    gate: null,
  };
  return { result, figures };
}

/** Writes <timestamp>.json, latest.json, latest.md and latest.html; returns their paths. */
export function writeReports(result: RunResult, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const files: [string, string][] = [
    [join(outDir, `${stamp}.json`), json],
    [join(outDir, 'latest.json'), json],
    [join(outDir, 'latest.md'), renderMarkdown(result)],
    [join(outDir, 'latest.html'), renderHtml(result)],
  ];
  for (const [path, text] of files) writeFileSync(path, text);
  return files.map(([p]) => p);
}

async function main(): Promise<number> {
  let args: Args | 'list';
  try {
    args = parse(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    return 2;
  }
  if (args === 'list') {
    for (const s of SUITES)
      console.log(`${s.name.padEnd(10)} ${s.title} (runs: ${s.runs.full}, quick ${s.runs.quick})`);
    return 0;
  }
  let baseline: Baseline | null;
  try {
    baseline = readBaseline(args.baseline);
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    return 2;
  }
  if (args.compare && !baseline) {
    console.error(`bench: --compare needs ${args.baseline}; create it with --update-baseline`);
    return 2;
  }
  const { result, figures } = await runSuite(args, (line) => console.error(line));
  let gate: GateResult | null = null;
  if (args.compare && baseline) {
    gate = compareWithBaseline(figures, result.referenceMs.used, baseline, args.tolerance);
    result.gate = gate;
  }
  const paths = writeReports(result, args.out);
  console.log(renderConsole(result));
  console.log(`\nreport: ${paths.slice(1).join(', ')}`);
  const failedSuites = result.suites.filter((s) => s.error);
  if (args.updateBaseline) {
    if (failedSuites.length > 0) console.error('bench: baseline NOT updated: a suite failed');
    else {
      const next = makeBaseline(
        figures,
        result.referenceMs.used,
        `${result.machine.cpus} × ${result.machine.cpu}`,
        args.quick,
        baseline,
      );
      writeFileSync(args.baseline, `${JSON.stringify(next, null, 2)}\n`);
      console.log(`baseline updated: ${args.baseline} (${Object.keys(next.figures).length} figures)`);
    }
  }
  if (gate) {
    console.log(
      gate.failed.length === 0
        ? `\ngate: no figure worse than the baseline beyond its tolerance (${gate.rows.length} compared)`
        : `\ngate: ${gate.failed.length} figure(s) worse than the baseline:\n${gate.failed.map((r) => `  ${r.label}: ${r.worseBy?.toFixed(2)}× (tolerance ${Math.round(r.tolerance * 100)} %)`).join('\n')}`,
    );
  }
  return failedSuites.length > 0 || (gate && gate.failed.length > 0) ? 1 : 0;
}

function renderConsole(r: RunResult): string {
  const out = [`keyrx benchmark — ${r.quick ? 'quick' : 'full'} pass, ${Math.round(r.durationSec)} s`, ''];
  const goals = headline(r);
  if (goals.length > 0) out.push('Goals', figureTable(goals), '');
  out.push('All figures', figureTable(r.figures));
  if (r.gate) out.push('', 'Regression gate', gateTable(r.gate));
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
