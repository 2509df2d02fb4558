/**
 * `npm test`: every check the project has, as groups that all run to the end — a failure in one
 * never keeps the others from running — with one summary at the end and a non-zero exit when any
 * group failed.
 *
 *   static   type check (daemon and UI), eslint, prettier
 *   unit     node:test files under test/ (several at a time: most wait on processes and sockets)
 *   ui       the web UI's component tests (vitest, jsdom)
 *
 * static runs beside unit (it is one CPU-bound process after another, unit mostly waits), ui
 * after static. Each group's output is kept in test-results/<group>.log; a failing group's output
 * is printed, a passing group's only its counts.
 *
 * Options: `--only unit,ui` runs some groups; file names run those files alone in the unit group
 * (`npm test -- test/cli.test.ts`).
 * No group has a time limit except HANG_MINUTES, which only catches a hang (CI has shared cores).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const RESULTS = join(ROOT, 'test-results');
const HANG_MINUTES = 25;
const BIN = (name: string): string => join(ROOT, 'node_modules', '.bin', name);

interface Step {
  label: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

interface Group {
  name: string;
  steps: Step[];
  /** how to find the counts in a passing group's output */
  summary: (output: string) => string;
}

interface Outcome {
  name: string;
  ok: boolean;
  seconds: number;
  summary: string;
  output: string;
}

// `--only unit,ui`, and test files for the unit group (`npm test -- test/cli.test.ts`)
const args = process.argv.slice(2);
let only: Set<string> | null = null;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--only') only = new Set((args[++i] ?? '').split(','));
  else if (args[i] !== '--') files.push(args[i]);
}
if (files.length > 0) only ??= new Set(['unit']);

// The unit files wait on daemons and sockets far more than they compute: more at once than cores.
const unitConcurrency = Number(process.env.KEYRX_TEST_CONCURRENCY) || Math.max(2, availableParallelism() + 1);

const GROUPS: Group[] = [
  {
    name: 'static',
    steps: [
      { label: 'tsc (daemon, tests)', cmd: BIN('tsc'), args: ['--noEmit', '-p', '.'] },
      { label: 'tsc (web UI)', cmd: BIN('tsc'), args: ['--noEmit', '-p', 'ui'] },
      { label: 'eslint', cmd: BIN('eslint'), args: ['.'] },
      { label: 'prettier', cmd: BIN('prettier'), args: ['--check', '.', '--log-level', 'warn'] },
    ],
    summary: () => 'types, lint and formatting clean',
  },
  {
    name: 'unit',
    steps: [
      {
        label: 'node --test',
        cmd: process.execPath,
        args: [
          '--import',
          'tsx',
          '--test',
          `--test-concurrency=${unitConcurrency}`,
          ...(files.length > 0 ? files : unitFiles()),
        ],
      },
    ],
    summary: (out) =>
      ['tests', 'pass', 'fail', 'skipped']
        .map((k) =>
          new RegExp(`^# ${k} (\\d+)`, 'm').exec(out)?.[1]?.concat(` ${k === 'tests' ? 'tests' : k}`),
        )
        .filter(Boolean)
        .join(', '),
  },
  {
    name: 'ui',
    steps: [{ label: 'vitest', cmd: BIN('vitest'), args: ['run', '--root', 'ui'], env: { NO_COLOR: '1' } }],
    summary: (out) => /Tests\s+(.+)$/m.exec(out)?.[1]?.trim() ?? '',
  },
];

/**
 * Each `not ok` of a TAP report with its YAML block (the error, expected and actual, the
 * location), at most 40 lines each; '' when there is none.
 */
function tapFailures(tap: string): string {
  const lines = tap.split('\n');
  const blocks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = /^(\s*)not ok \d+ - /.exec(lines[i]);
    if (!head) continue;
    const end = new RegExp(`^${head[1]}  \\.\\.\\.$`);
    let j = i + 1;
    while (j < lines.length && !end.test(lines[j])) j++;
    const block = lines.slice(i, j + 1);
    blocks.push(
      block.length > 40
        ? [...block.slice(0, 40), `${head[1]}  (… ${block.length - 40} more lines)`].join('\n')
        : block.join('\n'),
    );
  }
  return blocks.join('\n');
}

// The test files directly in test/ and one folder down (node 20's --test takes no globs, and no
// shell expands them here).
/** Every `*.test.ts` below test/, at any depth (test/platform/windows/…), sorted. */
function unitFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? walk(`${dir}/${d.name}`) : d.name.endsWith('.test.ts') ? [`${dir}/${d.name}`] : [],
    );
  return walk('test').sort();
}

function runStep(step: Step, log: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    log.push(`$ ${step.label}\n`);
    const child = spawn(step.cmd, step.args, {
      cwd: ROOT,
      env: { ...process.env, ...step.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => log.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => log.push(d));
    const hang = setTimeout(() => {
      log.push(`\n(stopped: still running after ${HANG_MINUTES} minutes — a hang)\n`);
      child.kill('SIGKILL');
    }, HANG_MINUTES * 60_000);
    child.on('error', (e) => log.push(`\n${e.message}\n`));
    child.on('close', (code) => {
      clearTimeout(hang);
      resolve(code === 0);
    });
  });
}

async function runGroup(group: Group): Promise<Outcome> {
  const start = performance.now();
  const log: string[] = [];
  let ok = true;
  // every step runs, so one report shows every problem (a type error and a lint error alike)
  for (const step of group.steps) if (!(await runStep(step, log))) ok = false;
  const output = log.join('');
  writeFileSync(join(RESULTS, `${group.name}.log`), output);
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${group.name} (${seconds.toFixed(0)} s)\n`);
  return { name: group.name, ok, seconds, summary: ok ? group.summary(output) : '', output };
}

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const start = performance.now();
  const selected = (name: string): boolean => only === null || only.has(name);
  const byName = new Map(GROUPS.map((g) => [g.name, g]));
  const run = (name: string): Promise<Outcome | null> =>
    selected(name) ? runGroup(byName.get(name)!) : Promise.resolve(null);

  const staticThenUi = run('static').then(async (s) => [s, await run('ui')] as const);
  const [[staticOutcome, uiOutcome], unitOutcome] = await Promise.all([staticThenUi, run('unit')]);
  const outcomes = [staticOutcome, unitOutcome, uiOutcome].filter((o): o is Outcome => o !== null);

  for (const o of outcomes.filter((x) => !x.ok))
    process.stdout.write(`\n======== ${o.name} failed (test-results/${o.name}.log) ========\n${o.output}\n`);
  // the failures once more, last, where a log shown only by its head and tail still has them
  for (const o of outcomes.filter((x) => !x.ok)) {
    const failures = tapFailures(o.output);
    if (failures !== '')
      process.stdout.write(`\n======== ${o.name}: the failing tests ========\n${failures}\n`);
  }
  process.stdout.write('\n');
  for (const o of outcomes)
    process.stdout.write(
      `${o.ok ? 'ok  ' : 'FAIL'} ${o.name.padEnd(7)} ${`${o.seconds.toFixed(0)} s`.padStart(6)}  ${o.summary}\n`,
    );
  const failed = outcomes.filter((o) => !o.ok).map((o) => o.name);
  const total = Math.round((performance.now() - start) / 1000);
  process.stdout.write(
    `${failed.length === 0 ? 'all passed' : `failed: ${failed.join(', ')}`} in ${Math.floor(total / 60)} min ${total % 60} s\n`,
  );
  process.exitCode = failed.length === 0 ? 0 : 1;
}

await main();
