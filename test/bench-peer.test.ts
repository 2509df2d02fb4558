/**
 * bench:peer's serial-log parser and report (bench/peer/parse.ts, report.ts) on a made-up log with
 * every kind of run: the start-up to idle (KB-SETTLE), the node floor's ratios and keyrx's ratio
 * over it, and the stage profile from keyrxstages' log. No VM: the log is what kbench and the
 * init script print.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSerialLog, summarize } from '../bench/peer/parse.ts';
import { renderMarkdown, type PeerResult } from '../bench/peer/report.ts';

/** a run's lines: start-up, settle, both phases (every sample the same value), the run's end */
function runLines(
  who: string,
  i: number,
  remapUs: number,
  tapUs: number,
  opts: { idle?: string } = {},
): string[] {
  const label = `${who}-${i}`;
  const samples = (us: number, n: number): string => Array.from({ length: n }, () => String(us)).join(' ');
  return [
    `KB-SPAWN ${label} realtime_ms=1000000`,
    `KB-STARTUP ${label} output_s=0.500 live_s=0.600 probes=1 unmapped=0 unmapped_presses=0 ungrabbed=0 grabbed=1`,
    ...(opts.idle ? [`KB-SETTLE ${label} ${opts.idle}`] : []),
    `KB-RAW ${label}/remap ${samples(remapUs, 20)}`,
    `KB-RAWK ${label}/remap ${samples(remapUs - 100, 20)}`,
    `KB-STATS ${label}/remap events=20 measured=20 lost=0 unexpected=0 stale=0 p50=${remapUs} p90=${remapUs} p99=${remapUs} max=${remapUs} | kernel-ts p50=1 p99=1 (us)`,
    `KB-RAW ${label}/taphold ${samples(tapUs, 10)}`,
    `KB-RAWK ${label}/taphold ${samples(tapUs - 100, 10)}`,
    `KB-STATS ${label}/taphold events=10 measured=10 lost=0 unexpected=0 stale=0 p50=${tapUs} p90=${tapUs} p99=${tapUs} max=${tapUs} | kernel-ts p50=1 p99=1 (us)`,
    `KB-RUN ${i} ${who} exit=0 secs=12.00`,
  ];
}

const STAGES =
  'input stages over 60 keys (µs):\\nkernel→wake     p50 150 p90 300 p99 900 max 1000\\nread→engine     p50 400 p90 800 p99 1500 max 2000';

const LOG = [
  'KB-INFO init uptime=3.20s kernel=6.1.0-28-amd64 cpus=1',
  'KB-INFO taps=20 pace_us=3000 warmup=5 hold_us=20000 runtimeout=300s order: keyd nodefloor keyrx keyrxstages',
  ...runLines('keyd', 1, 300, 800, { idle: 'idle_s=1.300 cpu_s=0.40 settled=1' }),
  ...runLines('nodefloor', 2, 600, 1000, { idle: 'idle_s=1.900 cpu_s=1.10 settled=1' }),
  ...runLines('keyrx', 3, 1500, 2000, { idle: 'idle_s=16.400 cpu_s=14.50 settled=1' }),
  ...runLines('keyrxstages', 4, 1800, 2400, { idle: 'idle_s=181.000 cpu_s=-1.00 settled=0' }),
  `KB-DLOG keyrxstages-4 {"level":30,"time":1000900,"msg":"${STAGES}"}`,
  'KB-DONE uptime=90.00s',
].join('\n');

test('the start-up to idle, the node floor and keyrx over it are parsed and summarized', () => {
  const parsed = parseSerialLog(LOG);
  assert.deepEqual(
    parsed.runs.map((r) => r.label),
    ['keyd-1', 'nodefloor-2', 'keyrx-3', 'keyrxstages-4'],
  );
  assert.deepEqual(parsed.errors, []);
  const keyrx = parsed.runs.find((r) => r.who === 'keyrx')!;
  assert.equal(keyrx.startup?.idleS, 16.4);
  assert.equal(keyrx.startup?.cpuS, 14.5);
  assert.equal(keyrx.startup?.settled, true);
  const busy = parsed.runs.find((r) => r.who === 'keyrxstages')!;
  assert.equal(busy.startup?.settled, false);
  assert.equal(busy.startup?.cpuS, null, 'a gone process (cpu_s=-1) has no CPU figure');

  const s = summarize(parsed);
  // keyrxstages is its own remapper: its clock reads are not pooled with keyrx's samples
  assert.equal(s.pooled['keyrx/remap'].read.p50, 1500);
  assert.equal(s.pooled['keyrxstages/remap'].read.p50, 1800);
  const floorRatio = s.ratios.find((r) => r.who === 'nodefloor' && r.phase === 'remap');
  assert.equal(floorRatio?.read.p50, 2);
  assert.deepEqual(s.overNodeFloor, [
    { phase: 'remap', p50: 2.5, p99: 2.5 },
    { phase: 'taphold', p50: 2, p99: 2 },
  ]);
  assert.equal(s.startup.median.keyd?.idleS, 1.3);
  assert.equal(s.startup.median.keyrx?.idleS, 16.4);
  assert.equal(s.startup.liveRatio, 1);
  const p50Goal = s.goals.find((g) => g.text.startsWith('keyrx/keyd A→B p50'));
  assert.equal(p50Goal?.met, false);
  assert.equal(p50Goal?.value, '5.00×');
});

/** The saved result of a boot whose serial log was `log` (everything around it made up). */
function resultOf(log: string, order: string[], baseline?: PeerResult['settings']['baseline']): PeerResult {
  const parsed = parseSerialLog(log);
  return {
    version: 1,
    kind: 'peer',
    startedAt: '2026-12-07T00:00:00.000Z',
    durationSec: 90,
    command: 'npm run bench:peer',
    quick: false,
    settings: {
      taps: 20,
      paceUs: 3000,
      warmup: 5,
      holdUs: 20000,
      order,
      smp: 1,
      memMiB: 1024,
      accel: 'tcg',
      timeoutS: 600,
      runTimeoutS: 300,
      ...(baseline ? { baseline } : {}),
    },
    host: {
      node: 'v20',
      cpu: 'cpu',
      cpus: 2,
      platform: 'linux',
      qemu: 'qemu',
      loadAverage: { before: [0, 0, 0], after: [0, 0, 0] },
      uptime: { before: '', after: '' },
    },
    sources: {
      commit: 'abc',
      dirty: [],
      appCpio: 'app.cpio',
      keyd: { commit: 'f564288', tarballSha256: 'x' },
    },
    vm: {
      kernelPackage: 'linux-image',
      kernel: parsed.kernel,
      cpus: parsed.vmCpus,
      bootS: parsed.bootS,
      doneUptimeS: parsed.doneUptimeS,
      node: parsed.node,
      qemuExit: 0,
      wallS: 90,
    },
    runs: parsed.runs,
    summary: summarize(parsed),
    problems: [],
  } satisfies PeerResult;
}

test('the report shows the idle times, the node floor and the stage profile', () => {
  const md = renderMarkdown(resultOf(LOG, ['keyd', 'nodefloor', 'keyrx', 'keyrxstages']));
  assert.match(md, /\| node floor A→B \(bare node \+ koffi loop\) \| 1 \| 20 \|/);
  assert.match(md, /\| node floor\/keyd A→B \| 2\.00× \|/);
  assert.match(md, /keyrx against the node floor .*A→B p50 2\.50×, p99 2\.50×; tap-hold tap p50 2\.00×/);
  assert.match(md, /\| keyrx-3 \| 0\.50 s \| 0\.60 s \| 16\.40 s \(14\.50 s\) \|/);
  assert.match(md, /\| keyrxstages-4 \| 0\.50 s \| 0\.60 s \| 181\.00 s \*\*still busy\*\* \|/);
  assert.match(md, /## Stage profile[\s\S]*keyrxstages-4:[\s\S]*read→engine {5}p50 400/);
  // in the start-up timeline the stage summary is one table row, its first line
  assert.match(md, /\| keyrxstages-4 \| \+0\.90 \| input stages over 60 keys \(µs\): \|\n/);
});

test('--baseline: keyrx is set against its build at the baseline commit, run in the same boot', () => {
  const log = [
    'KB-INFO init uptime=3.20s kernel=6.1.0-28-amd64 cpus=1',
    'KB-INFO taps=20 pace_us=3000 warmup=5 hold_us=20000 runtimeout=300s order: keyd keyrxbase keyrx',
    ...runLines('keyd', 1, 300, 800),
    ...runLines('keyrxbase', 2, 1600, 2500),
    ...runLines('keyrx', 3, 1200, 2000),
    'KB-DONE uptime=60.00s',
  ].join('\n');
  const result = resultOf(log, ['keyd', 'keyrxbase', 'keyrx'], {
    ref: 'HEAD~2',
    commit: '6253047aa7d2c1b0f1e0d9c8b7a6f5e4d3c2b1a0',
  });
  const s = result.summary;
  // the baseline is its own remapper: not pooled with keyrx, and not in the goals' ratios
  assert.equal(s.pooled['keyrx/remap'].read.p50, 1200);
  assert.equal(s.pooled['keyrxbase/remap'].read.p50, 1600);
  assert.deepEqual(s.overBaseline, [
    { phase: 'remap', p50: 0.75, p99: 0.75 },
    { phase: 'taphold', p50: 0.8, p99: 0.8 },
  ]);
  assert.equal(s.goals.find((g) => g.text.startsWith('keyrx/keyd A→B p50'))?.value, '4.00×');
  const md = renderMarkdown(result);
  assert.match(md, /\| keyrx at the baseline commit A→B \| 1 \| 20 \|/);
  assert.match(md, /\| keyrx baseline\/keyd A→B \| 5\.33× \|/);
  assert.match(
    md,
    /keyrx against its baseline \(keyrxbase: the build of `HEAD~2`, 6253047, in the same boot; below 1× is faster now\): A→B p50 0\.75×, p99 0\.75×; tap-hold tap p50 0\.80×/,
  );
});
