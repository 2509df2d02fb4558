/**
 * The peer benchmark's result (the JSON saved as bench/results/peer-<time>.json) and its Markdown
 * (bench/results/peer-latest.md, also printed on the console). Pure: run.ts gathers and writes.
 */
import type { ParsedLog, Pct, PhaseStats, RunRecord, Summary, Who } from './parse.ts';

export interface PeerSettings {
  taps: number;
  paceUs: number;
  warmup: number;
  holdUs: number;
  order: string[];
  smp: number;
  memMiB: number;
  accel: 'kvm' | 'tcg';
  timeoutS: number;
  runTimeoutS: number;
  /** --baseline: the commit the keyrxbase entries run (its build, packed as /app-base) */
  baseline?: { ref: string; commit: string };
}

export interface PeerResult {
  version: 1;
  kind: 'peer';
  startedAt: string;
  durationSec: number;
  command: string;
  quick: boolean;
  settings: PeerSettings;
  host: {
    node: string;
    cpu: string;
    cpus: number;
    platform: string;
    qemu: string;
    /** os.loadavg() (1, 5, 15 min) before the boot and after it */
    loadAverage: { before: number[]; after: number[] };
    uptime: { before: string; after: string };
  };
  sources: {
    commit: string;
    /** files under src/, test/vm/, package.json … that differ from the commit (the app cpio is built from the tree) */
    dirty: string[];
    appCpio: string;
    keyd: { commit: string; tarballSha256: string };
  };
  vm: {
    kernelPackage: string;
    kernel: string | null;
    cpus: number | null;
    bootS: number | null;
    doneUptimeS: number | null;
    node: ParsedLog['node'];
    qemuExit: number | null;
    wallS: number;
  };
  /** the runs as parsed, raw samples included */
  runs: RunRecord[];
  summary: Summary;
  /** the run itself failed when this is not empty (a run's exit status, no KB-DONE, a timeout …) */
  problems: string[];
}

const LABEL: Record<string, string> = {
  'floor/floor': 'floor (no remapper)',
  'keyd/remap': 'keyd A→B',
  'keyrx/remap': 'keyrx A→B',
  'keyrxfifo/remap': 'keyrx SCHED_FIFO A→B',
  'keyrxstages/remap': 'keyrx with the stage profile A→B',
  'nodefloor/remap': 'node floor A→B (bare node + koffi loop)',
  'keyrxbase/remap': 'keyrx at the baseline commit A→B',
  'keyd/taphold': 'keyd tap-hold tap',
  'keyrx/taphold': 'keyrx tap-hold tap',
  'keyrxfifo/taphold': 'keyrx SCHED_FIFO tap-hold tap',
  'keyrxstages/taphold': 'keyrx with the stage profile tap-hold tap',
  'nodefloor/taphold': 'node floor CapsLock release → Escape',
  'keyrxbase/taphold': 'keyrx at the baseline commit tap-hold tap',
};
const POOLED_ORDER = [
  'floor/floor',
  'keyd/remap',
  'keyrx/remap',
  'keyrxfifo/remap',
  'keyrxstages/remap',
  'nodefloor/remap',
  'keyrxbase/remap',
  'keyd/taphold',
  'keyrx/taphold',
  'keyrxfifo/taphold',
  'keyrxstages/taphold',
  'nodefloor/taphold',
  'keyrxbase/taphold',
];
const WHO_NAME: Partial<Record<Who, string>> = {
  keyrxfifo: 'keyrx SCHED_FIFO',
  keyrxstages: 'keyrx with the stage profile',
  nodefloor: 'node floor',
  keyrxbase: 'keyrx baseline',
};

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
/** a latency phase as the tables name it */
const pathName = (phase: 'remap' | 'taphold'): string => (phase === 'remap' ? 'A→B' : 'tap-hold tap');
const x2 = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '—');
const s2 = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)} s` : '—');

function mdTable(header: string[], align: ('l' | 'r')[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
}

const pctCells = (p: Pct): string[] => [int(p.p50), int(p.p90), int(p.p99), int(p.max)];

function pooledTable(s: Summary, kind: 'read' | 'kernel', runsOf: (key: string) => number): string {
  const rows = POOLED_ORDER.filter((k) => s.pooled[k]).map((k) => {
    const st: PhaseStats = s.pooled[k];
    return [
      LABEL[k] ?? k,
      String(runsOf(k)),
      int(st.events),
      int(st.lost),
      int(st.unexpected),
      int(st.stale),
      ...pctCells(st[kind]),
    ];
  });
  return mdTable(
    ['path', 'runs', 'events', 'lost', 'unexp.', 'stale', 'p50 µs', 'p90 µs', 'p99 µs', 'max µs'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows,
  );
}

export function renderMarkdown(r: PeerResult): string {
  const s = r.summary;
  const out: string[] = [];
  const st = r.settings;
  out.push('# keyrx against keyd: the key path in the same kernel', '');
  out.push(
    `Run ${r.startedAt} (\`${r.command}\`), ${Math.round(r.durationSec)} s. ` +
      `VM: ${r.vm.kernelPackage}, ${st.accel.toUpperCase()}, ${st.smp} vCPU, ${st.memMiB} MiB; ` +
      `${st.taps} taps per phase (${st.warmup} warm-up), pace ${st.paceUs} µs, tap held ${st.holdUs / 1000} ms; ` +
      `order ${st.order.join(',')}. Host: ${r.host.cpus} × ${r.host.cpu}, Node ${r.host.node}, ${r.host.qemu}; ` +
      `load average ${r.host.loadAverage.before.map((l) => l.toFixed(2)).join(' ')} before, ` +
      `${r.host.loadAverage.after.map((l) => l.toFixed(2)).join(' ')} after. ` +
      `keyrx ${r.sources.commit.slice(0, 7)}${r.sources.dirty.length ? ` + ${r.sources.dirty.length} uncommitted file(s) under its sources` : ''}; keyd ${r.sources.keyd.commit.slice(0, 7)}.`,
    '',
  );
  if (r.problems.length > 0)
    out.push(
      '**The run failed:**',
      '',
      ...r.problems.map((p) => `- ${p}`),
      '',
      'Figures below are partial.',
      '',
    );

  out.push('## Goals (issue #21)', '');
  out.push(
    mdTable(
      ['goal', 'this run', ''],
      ['l', 'r', 'l'],
      s.goals.map((g) => [g.text, g.value, g.met ? '✅' : '❌']),
    ),
    '',
  );

  const runsOf = (key: string): number => s.perRun.filter((p) => `${p.who}/${p.phase}` === key).length;
  out.push('## Pooled over runs: write() → read() of the output event (µs)', '');
  out.push(pooledTable(s, 'read', runsOf), '');
  const overshoots = r.runs.filter((x) => (x.longHolds ?? 0) > 0);
  if (overshoots.length > 0)
    out.push(
      `Tap-hold taps not counted because kbench's own 20 ms hold overshot 150 ms (the VM stalled; a remapper may rightly see a hold): ${overshoots.map((x) => `${x.label} ${x.longHolds}`).join(', ')}.`,
      '',
    );

  out.push('## Ratios', '');
  const ratioRows = s.ratios.map((q) => [
    `${WHO_NAME[q.who] ?? q.who}/keyd ${pathName(q.phase)}`,
    ...[q.read.p50, q.read.p90, q.read.p99, q.read.max, q.kernel.p50, q.kernel.p99].map(x2),
  ]);
  out.push(
    mdTable(
      ['ratio', 'p50', 'p90', 'p99', 'max', 'p50 (kernel ts)', 'p99 (kernel ts)'],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
      ratioRows,
    ),
    '',
  );
  if (s.aboveFloor.length > 0) {
    out.push(
      "Above the floor: each remapper's percentile minus the floor's (what it adds to the kernel's own uinput → evdev path).",
      '',
      mdTable(
        ['path', 'keyd p50', 'keyrx p50', 'ratio p50', 'keyd p99', 'keyrx p99', 'ratio p99'],
        ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
        s.aboveFloor.map((a) => [
          `${a.who === 'keyrx' ? '' : `${WHO_NAME[a.who] ?? a.who} `}${pathName(a.phase)}`,
          `${int(a.p50.keyd)} µs`,
          `${int(a.p50.them)} µs`,
          x2(a.p50.ratio),
          `${int(a.p99.keyd)} µs`,
          `${int(a.p99.them)} µs`,
          x2(a.p99.ratio),
        ]),
      ),
      '',
    );
  }
  // keyrx ÷ another remapper of the same boot, both paths, as one line
  const keyrxOver = (intro: string, rows: Summary['overNodeFloor']): void => {
    if (rows.length === 0) return;
    const ratios = rows.map((o) => `${pathName(o.phase)} p50 ${x2(o.p50)}, p99 ${x2(o.p99)}`);
    out.push(`${intro}: ${ratios.join('; ')}.`, '');
  };
  keyrxOver(
    "keyrx against the node floor (node-floor.mjs: the same mapping in a bare node + koffi loop, no keyrx code; what keyrx's own code adds to node's)",
    s.overNodeFloor,
  );
  const base = r.settings.baseline;
  keyrxOver(
    `keyrx against its baseline (keyrxbase: the build of ${base ? `\`${base.ref}\`, ${base.commit.slice(0, 7)}` : 'the baseline commit'}, in the same boot; below 1× is faster now)`,
    s.overBaseline,
  );
  if (s.pairs.length > 0)
    out.push(
      'Adjacent pairs (keyd run → the keyrx run right after it; drift control):',
      '',
      mdTable(
        ['pair', 'path', 'ratio p50', 'ratio p99'],
        ['l', 'l', 'r', 'r'],
        s.pairs.map((p) => [`${p.keyd} → ${p.keyrx}`, pathName(p.phase), x2(p.p50), x2(p.p99)]),
      ),
      '',
    );

  const stageRuns = r.runs.flatMap((run) => {
    const line = run.daemonLog.find((l) => l.msg.startsWith('input stages over'));
    return line ? [{ label: run.label, msg: line.msg }] : [];
  });
  if (stageRuns.length > 0) {
    out.push('## Stage profile', '');
    out.push(
      "From the input thread's own clock reads (KEYRX_STAGE_PROFILE=1, summarized in its log when it stops): the kernel's timestamp of the event → ppoll returning → read() returning it → the engine's decision → the uinput write done.",
      '',
    );
    for (const st of stageRuns) out.push(`${st.label}:`, '', '```', st.msg, '```', '');
  }

  out.push('## Start-up', '');
  out.push(
    'From kbench starting the remapper (fork+exec) to its output device appearing, and to the first A that came out as B ' +
      "(probed every ~0.22 s), and to the remapper idle (≤ 10 ms of CPU in 0.5 s: it may go on loading after its key path is live; the latency phases start then). *unmapped*: A events that came out of the remapper's output as A before that; " +
      '*ungrabbed*: A events the fake keyboard still delivered to the rest of the system (not grabbed yet). ' +
      '*stop*: SIGTERM → exit.',
    '',
    mdTable(
      [
        'run',
        'output device',
        'remapping live',
        'idle (CPU used)',
        'probes',
        'unmapped (presses)',
        'ungrabbed',
        'grabbed',
        'stop',
      ],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'r'],
      s.startup.runs.map((u) => {
        const run = r.runs.find((x) => x.label === u.label);
        return [
          u.label,
          s2(u.outputS),
          s2(u.liveS),
          u.idleS === null
            ? '—'
            : `${s2(u.idleS)}${u.cpuS === null ? '' : ` (${s2(u.cpuS)})`}${u.settled === false ? ' **still busy**' : ''}`,
          String(u.probes),
          `${u.unmapped} (${u.unmappedPresses})`,
          String(u.ungrabbed),
          u.grabbed ? 'yes' : '**no**',
          run?.stop ? `${s2(run.stop.secs)} (${run.stop.status})` : '—',
        ];
      }),
    ),
    '',
  );
  const med = s.startup.median;
  const medLine = (['keyd', 'keyrx', 'keyrxfifo', 'keyrxstages', 'nodefloor', 'keyrxbase'] as Who[])
    .filter((w) => med[w])
    .map(
      (w) =>
        `${WHO_NAME[w] ?? w} output ${s2(med[w]!.outputS)}, live ${s2(med[w]!.liveS)}` +
        (Number.isFinite(med[w]!.idleS) ? `, idle ${s2(med[w]!.idleS)}` : ''),
    )
    .join('; ');
  out.push(
    `Medians: ${medLine}. keyrx/keyd: live ${x2(s.startup.liveRatio)}, output device ${x2(s.startup.outputRatio)}.` +
      (r.vm.node
        ? ` In this VM \`node -e 0\` takes ${s2(r.vm.node.emptyS)} and \`keyrx --version\` ${s2(r.vm.node.cliVersionS)}.`
        : ''),
    '',
  );

  const timelines = r.runs.filter((x) => x.who.startsWith('keyrx') && x.daemonLog.length > 0);
  if (timelines.length > 0) {
    out.push("## keyrx's start-up, from its own log", '');
    out.push(
      "Seconds after the fork (the log line's `time` against kbench's clock; the same wall clock in the VM).",
      '',
    );
    const rows: string[][] = [];
    for (const run of timelines) {
      // the timed (JSON) lines only: the console banner has no time, and carries a login code
      const events: { at: number | null; what: string }[] = run.daemonLog
        .filter((l) => l.atS !== null)
        .map((l) => ({ at: l.atS, what: l.msg.split('\n')[0] }));
      if (run.startup) {
        events.push({ at: run.startup.outputS, what: '*(kbench) output device appeared*' });
        events.push({ at: run.startup.liveS, what: '*(kbench) remapping live: A came out as B*' });
      }
      events.sort((a, b) => (a.at ?? Infinity) - (b.at ?? Infinity));
      for (const e of events)
        rows.push([run.label, e.at === null ? '—' : `+${e.at.toFixed(2)}`, e.what.slice(0, 140)]);
    }
    out.push(mdTable(['run', 's', 'event'], ['l', 'r', 'l'], rows), '');
  }

  out.push('## Per run: write() → read() (µs)', '');
  out.push(
    mdTable(
      [
        'run/phase',
        'events',
        'lost',
        'unexp.',
        'stale',
        'p50',
        'p90',
        'p99',
        'max',
        'kernel-ts p50',
        'kernel-ts p99',
      ],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      s.perRun.map((p) => [
        `${p.label}/${p.phase}`,
        int(p.stats.events),
        int(p.stats.lost),
        int(p.stats.unexpected),
        int(p.stats.stale),
        ...pctCells(p.stats.read),
        int(p.stats.kernel.p50),
        int(p.stats.kernel.p99),
      ]),
    ),
    '',
  );
  out.push("## Pooled over runs: write() → the output event's kernel timestamp (µs)", '');
  out.push(
    "The same events timed by the kernel when the output event was queued: excludes the reader's own wake-up.",
    '',
    pooledTable(s, 'kernel', runsOf),
    '',
  );
  const runs = r.runs
    .map(
      (x) =>
        `${x.label} ${x.exit === null ? 'did not end' : `exit ${x.exit}`}${x.secs === null ? '' : ` (${x.secs.toFixed(1)} s)`}`,
    )
    .join(', ');
  out.push(
    '## Runs',
    '',
    `${runs}. VM boot to init: ${s2(r.vm.bootS ?? NaN)}; qemu ${r.vm.qemuExit === null ? 'killed' : `exit ${r.vm.qemuExit}`} after ${s2(r.vm.wallS)}.`,
    '',
  );
  out.push('## Method', '', ...METHOD.map((m) => `- ${m}`), '');
  return out.join('\n');
}

export const METHOD = [
  'One qemu boot of the Debian kernel test/vm uses (its cached kernel, base and app initramfs: the keyrx tree compiled to JS, production node_modules), plus a bench cpio: kbench (static C), keyd built static from bench/peers/keyd-src.tar.gz, both configurations. The remappers run one after the other in the order given; alternating them cancels drift.',
  "kbench (bench/peer/kbench.c) creates a fake uinput keyboard, fork+execs the remapper, waits until its output device remaps A→B, then times TAPS taps of A (each press and release: write() of the event → read() of B on the remapper's output device, CLOCK_MONOTONIC in one process) and TAPS taps of CapsLock held 20 ms (release → Escape press). 1 s without the expected event counts as lost; an output event the kernel stamped before the write it would answer is a late answer to an earlier one (a liveness probe), skipped and counted as stale. floor: the same taps read back from the fake keyboard's own node, with no remapper.",
  'keyrx: `node /app/dist/src/cli/main.js daemon --backend linux --config-dir /tmp/cfg --port 0`, profile bench/peer/keyrx-bench.rhai active; keyd: its own defaults (it raises itself to SCHED_FIFO 49), bench/peer/keyd.conf. keyrxfifo: keyrx started under SCHED_FIFO 49, a control. keyrxstages: keyrx with KEYRX_STAGE_PROFILE=1 (the stage table in its log; not pooled with keyrx). nodefloor: bench/peer/node-floor.mjs, the same mapping in a bare node + koffi loop with no keyrx code, a control. Latency phases start once the remapper is idle after its start.',
  'Percentiles are nearest-rank over the samples; pooled figures pool the samples of all runs of a remapper. Ratios are keyrx ÷ keyd of the pooled figures of the same boot. Software CPU emulation (TCG) inflates every figure: compare ratios within one boot, on a quiet host.',
];
