/**
 * `npm run bench:peer`: keyrx's key path against keyd's, in the same kernel, in one qemu boot
 * (issue #21). Everything it needs is in the repository: bench/peer/ (this runner, kbench.c, the
 * VM's init, both configurations) and bench/peers/keyd-src.tar.gz (keyd's source, only measured).
 *
 * 1. images: test/vm/images.sh (shared with `npm run test:vm`) finds or builds the cached kernel,
 *    base initramfs and app cpio (rebuilt when the sources changed: this measures the tree as it is);
 * 2. builds keyd (`CFLAGS=-static make`, cached by the tarball's hash) and kbench (`gcc -static`,
 *    cached by its source's hash) under $KEYRX_VM_CACHE/peer, and packs the bench cpio;
 * 3. boots qemu (KVM when usable, else TCG) with rdinit=/bench/init, which runs kbench once per
 *    entry of ORDER (floor, keyd, keyrx, keyrxfifo, keyrxstages, nodefloor, keyrxbase) and prints KB-* lines on
 *    the serial console; with --baseline, the commit's build is packed as /app-base (keyrxbase runs it);
 * 4. parses the log (parse.ts), prints the Markdown report (report.ts) and saves
 *    bench/results/peer-<ISO time>.json (+ .serial.log), peer-latest.json and peer-latest.md.
 *
 * Exit status: 0 when every run completed, goals met or not (it is a benchmark); 1 when the run
 * itself failed (build, qemu, a run that did not finish, a log that does not parse); 2 for bad
 * arguments.
 *
 *   npm run bench:peer                         ORDER floor,keyd,keyrx,keyd,keyrx,keyd,keyrx,floor, 1000 taps (~5 min TCG)
 *   npm run bench:peer -- --quick              300 taps, ORDER floor,keyd,keyrx,keyd,keyrx
 *   npm run bench:peer -- --order floor,keyd,keyrx,keyrxfifo --taps 500
 *   npm run bench:peer -- --baseline HEAD~3    keyrx as it is against keyrx at a commit, in the same boot
 *                                              (ORDER floor,keyd,keyrx,keyrxbase,keyd,keyrxbase,keyrx; with
 *                                              --quick or --order as given: keyrxbase is the commit's build)
 *   npm run bench:peer -- --from-log FILE      re-summarize a saved serial log (no build, no boot, nothing saved)
 * Options (and environment): --taps (TAPS), --order (ORDER), --baseline (BASELINE), --smp (SMP, 1), --mem (MEM, 1024 MiB),
 * --accel kvm|tcg (ACCEL), --timeout s (TIMEOUT, qemu as a whole), --pace us (PACE, 3000),
 * --hold us (HOLD, 20000), --warm n (WARM, 200), --out dir (bench/results), --keep-work.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, platform, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSerialLog, summarize, WHO, type ParsedLog, type Who } from './parse.ts';
import { renderMarkdown, type PeerResult, type PeerSettings } from './report.ts';

const HERE = import.meta.dirname;
const ROOT = join(HERE, '../..');
const KEYD_TARBALL = join(ROOT, 'bench/peers/keyd-src.tar.gz');
export const KEYD_COMMIT = 'f564288ac2b19d2305a5b39023c474805ff8fce5';
const FULL_ORDER = 'floor,keyd,keyrx,nodefloor,keyd,keyrx,nodefloor,keyd,keyrx,keyrxstages,floor';
const QUICK_ORDER = 'floor,keyd,keyrx,nodefloor,keyd,keyrx';
/**
 * --baseline without --order: each keyrx build twice, in both orders (a drift cancels), the tree's
 * own first: a boot's first keyrx run is often its slowest, and that must not flatter the change
 */
const BASELINE_ORDER = 'floor,keyd,keyrx,keyrxbase,keyd,keyrxbase,keyrx';
const BASELINE_QUICK_ORDER = 'floor,keyd,keyrx,keyrxbase,keyrxbase,keyrx';

const log = (line: string): void => console.error(`bench:peer: ${line}`);

class UsageError extends Error {}

interface Args {
  settings: PeerSettings;
  quick: boolean;
  out: string;
  fromLog: string | null;
  keepWork: boolean;
  command: string;
}

function parse(argv: string[]): Args | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      taps: { type: 'string' },
      order: { type: 'string' },
      baseline: { type: 'string' },
      smp: { type: 'string' },
      mem: { type: 'string' },
      accel: { type: 'string' },
      timeout: { type: 'string' },
      pace: { type: 'string' },
      hold: { type: 'string' },
      warm: { type: 'string' },
      out: { type: 'string' },
      'from-log': { type: 'string' },
      'keep-work': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const env = process.env;
  const quick = values.quick ?? false;
  const int = (name: string, flag: string | undefined, envName: string, def: number, min: number): number => {
    const text = flag ?? env[envName];
    if (text === undefined || text === '') return def;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`--${name} (${envName}) must be an integer ≥ ${min}, got '${text}'`);
    return n;
  };
  const baselineRef = values.baseline ?? env.BASELINE ?? null;
  const defaultOrder = baselineRef
    ? quick
      ? BASELINE_QUICK_ORDER
      : BASELINE_ORDER
    : quick
      ? QUICK_ORDER
      : FULL_ORDER;
  const orderText = values.order ?? env.ORDER ?? defaultOrder;
  const order = orderText
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  for (const who of order)
    if (!WHO.includes(who as Who)) throw new UsageError(`unknown ORDER entry '${who}' (${WHO.join(', ')})`);
  if (order.length === 0) throw new UsageError('ORDER is empty');
  if (order.includes('keyrxbase') && !baselineRef)
    throw new UsageError(
      "ORDER entry 'keyrxbase' needs --baseline REF (BASELINE): the commit to measure against",
    );
  const baseline = baselineRef ? { ref: baselineRef, commit: resolveCommit(baselineRef) } : undefined;
  const taps = int('taps', values.taps, 'TAPS', quick ? 300 : 1000, 10);
  const accelText = values.accel ?? env.ACCEL ?? (kvmUsable() ? 'kvm' : 'tcg');
  if (accelText !== 'kvm' && accelText !== 'tcg')
    throw new UsageError(`--accel must be kvm or tcg, got '${accelText}'`);
  const warmup = int('warm', values.warm, 'WARM', 200, 0);
  // A run: start-up (keyrx: tens of seconds under TCG) + 2 × (taps + warm-up) presses and releases
  // + taps of 20 ms holds; generous, it only bounds a hang.
  const runTimeoutS = 240 + Math.ceil((taps + warmup) * 0.3);
  const settings: PeerSettings = {
    taps,
    paceUs: int('pace', values.pace, 'PACE', 3000, 0),
    warmup,
    holdUs: int('hold', values.hold, 'HOLD', 20000, 1000),
    order,
    smp: int('smp', values.smp, 'SMP', 1, 1),
    memMiB: int('mem', values.mem, 'MEM', 1024, 256),
    accel: accelText,
    timeoutS: int('timeout', values.timeout, 'TIMEOUT', 120 + order.length * runTimeoutS, 30),
    runTimeoutS,
    ...(baseline ? { baseline } : {}),
  };
  const envShown = ['TAPS', 'ORDER', 'BASELINE', 'SMP', 'MEM', 'ACCEL', 'TIMEOUT', 'PACE', 'HOLD', 'WARM']
    .filter((k) => env[k])
    .map((k) => `${k}=${env[k]} `)
    .join('');
  return {
    settings,
    quick,
    out: values.out ?? join(ROOT, 'bench/results'),
    fromLog: values['from-log'] ?? null,
    keepWork: values['keep-work'] ?? false,
    command: `${envShown}npm run bench:peer${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
  };
}

/** A git ref → its full commit id; a usage error when it names none. */
function resolveCommit(ref: string): string {
  const r = spawnSync('git', ['-C', ROOT, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
    encoding: 'utf8',
  });
  const commit = r.status === 0 ? r.stdout.trim() : '';
  if (!/^[0-9a-f]{40}$/.test(commit))
    throw new UsageError(`--baseline '${ref}' names no commit of this repository`);
  return commit;
}

function kvmUsable(): boolean {
  try {
    accessSync('/dev/kvm', constants.W_OK);
    return /\b(vmx|svm)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- building

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { ...opts, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stdout + r.stderr).trim().slice(-4000)}`,
    );
  return r.stdout;
}

interface Images {
  KPKG: string;
  KDIR: string;
  BASE: string;
  APP: string;
}

/** test/vm/images.sh: the kernel, base and app cpio, built when missing or stale (its progress on our stderr). */
function ensureImages(): Images {
  const r = spawnSync(join(ROOT, 'test/vm/images.sh'), [], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.error) throw new Error(`test/vm/images.sh: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`test/vm/images.sh failed (exit ${r.status}): the VM images could not be built`);
  const vars = Object.fromEntries(
    r.stdout
      .split('\n')
      .map((l) => /^(KPKG|KDIR|BASE|APP)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  ) as Partial<Images>;
  for (const k of ['KPKG', 'KDIR', 'BASE', 'APP'] as const)
    if (!vars[k]) throw new Error(`test/vm/images.sh printed no ${k}= line`);
  for (const f of [join(vars.KDIR!, 'vmlinuz'), vars.BASE!, vars.APP!])
    if (!existsSync(f)) throw new Error(`test/vm/images.sh: ${f} is missing`);
  return vars as Images;
}

/** removes the builds of older sources (`<prefix><hash>` directories) before a new one */
function prune(peerCache: string, prefix: string): void {
  for (const name of readdirSync(peerCache))
    if (name.startsWith(prefix)) rmSync(join(peerCache, name), { recursive: true, force: true });
}

/** keyd, built static from the tarball into <cache>/peer/keyd-<hash>/keyd (once per tarball). */
function buildKeyd(peerCache: string): { path: string; sha256: string } {
  const tarHash = sha256(readFileSync(KEYD_TARBALL));
  const dir = join(peerCache, `keyd-${tarHash.slice(0, 16)}`);
  const bin = join(dir, 'keyd');
  if (existsSync(bin)) return { path: bin, sha256: tarHash };
  const t = Date.now();
  prune(peerCache, 'keyd-');
  const build = mkdtempSync(join(peerCache, 'keyd-build-'));
  try {
    run('tar', ['-xzf', KEYD_TARBALL, '-C', build]);
    // COMMIT on the command line: keyd's Makefile would ask git, and the cache may sit in a checkout.
    run('make', ['-C', join(build, 'keyd'), `COMMIT=${KEYD_COMMIT.slice(0, 7)}`], {
      env: { ...process.env, CFLAGS: '-static' },
    });
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(build, 'keyd/bin/keyd'), `${bin}.tmp`);
    chmodSync(`${bin}.tmp`, 0o755);
    renameSync(`${bin}.tmp`, bin);
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
  log(`keyd ${KEYD_COMMIT.slice(0, 7)} built static in ${((Date.now() - t) / 1000).toFixed(1)} s: ${bin}`);
  return { path: bin, sha256: tarHash };
}

/** kbench, gcc -static, cached by its source and the compiler. */
function buildKbench(peerCache: string): string {
  const src = join(HERE, 'kbench.c');
  const gcc = run('gcc', ['--version']).split('\n')[0];
  const dir = join(peerCache, `kbench-${sha256(readFileSync(src) + gcc).slice(0, 16)}`);
  const bin = join(dir, 'kbench');
  if (existsSync(bin)) return bin;
  prune(peerCache, 'kbench-');
  mkdirSync(dir, { recursive: true });
  run('gcc', ['-static', '-O2', '-Wall', '-Wextra', '-o', `${bin}.tmp`, src]);
  renameSync(`${bin}.tmp`, bin);
  log(`kbench built: ${bin}`);
  return bin;
}

/**
 * keyrx at the baseline commit, compiled as test/vm/images.sh compiles the app (its src/ and
 * test/vm/ from git, tsc with that commit's test/vm/tsconfig.json), cached by the commit: the
 * dist folder of /app-base. Its node_modules are /app's (the dependencies as they are now).
 */
function buildBaseline(peerCache: string, commit: string): string {
  const dir = join(peerCache, `base-${commit.slice(0, 16)}`);
  const dist = join(dir, 'dist');
  if (existsSync(join(dist, 'src/cli/main.js'))) return dist;
  prune(peerCache, 'base-'); // this commit's partial build too
  const src = join(dir, 'src-tree');
  mkdirSync(src, { recursive: true });
  const t = Date.now();
  run('sh', [
    '-c',
    'git -C "$1" archive "$2" src test/vm package.json tsconfig.json | tar -x -C "$3"',
    'sh',
    ROOT,
    commit,
    src,
  ]);
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules')); // types and packages for tsc
  run(join(ROOT, 'node_modules/.bin/tsc'), [
    '-p',
    join(src, 'test/vm/tsconfig.json'),
    '--outDir',
    `${dist}.tmp`,
  ]);
  copyFileSync(join(src, 'package.json'), join(dir, 'package.json'));
  renameSync(`${dist}.tmp`, dist); // last: a build with dist/ in place is whole
  rmSync(src, { recursive: true, force: true });
  log(`baseline ${commit.slice(0, 7)} compiled in ${((Date.now() - t) / 1000).toFixed(1)} s: ${dist}`);
  return dist;
}

/** base + app + the bench cpio (/bench/…, /app-base), concatenated: the kernel unpacks them in order. */
function assembleInitrd(
  work: string,
  images: Images,
  kbench: string,
  keyd: string,
  baselineDist: string | null,
): string {
  const root = join(work, 'root');
  const bench = join(root, 'bench');
  mkdirSync(bench, { recursive: true });
  copyFileSync(join(HERE, 'init'), join(bench, 'init'));
  copyFileSync(kbench, join(bench, 'kbench'));
  copyFileSync(keyd, join(bench, 'keyd'));
  for (const f of ['init', 'kbench', 'keyd']) chmodSync(join(bench, f), 0o755);
  copyFileSync(join(HERE, 'keyd.conf'), join(bench, 'keyd.conf'));
  copyFileSync(join(HERE, 'keyrx-bench.rhai'), join(bench, 'keyrx-bench.rhai'));
  copyFileSync(join(HERE, 'node-floor.mjs'), join(bench, 'node-floor.mjs'));
  if (baselineDist) {
    const base = join(root, 'app-base');
    mkdirSync(base);
    run('cp', ['-r', baselineDist, join(base, 'dist')]);
    copyFileSync(join(baselineDist, '../package.json'), join(base, 'package.json'));
    symlinkSync('../app/node_modules', join(base, 'node_modules'));
  }
  const cpio = join(work, 'bench.cpio');
  run('sh', ['-c', 'cd "$1" && find . -print0 | cpio --null -o -H newc --quiet >"$2"', 'sh', root, cpio]);
  const initrd = join(work, 'initrd-peer.img');
  run('sh', ['-c', 'cat "$1" "$2" "$3" >"$4"', 'sh', images.BASE, images.APP, cpio, initrd]);
  return initrd;
}

// ---------------------------------------------------------------- booting

let qemuPid: number | null = null;

/** Boots; the serial console goes to `logPath` and, filtered, to our stderr as progress. */
function boot(
  s: PeerSettings,
  kdir: string,
  initrd: string,
  logPath: string,
): Promise<{ exit: number | null; timedOut: boolean; wallS: number }> {
  const append = [
    'console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/bench/init',
    `kb.taps=${s.taps} kb.pace=${s.paceUs} kb.warm=${s.warmup} kb.hold=${s.holdUs}`,
    `kb.order=${s.order.join(',')} kb.runtimeout=${s.runTimeoutS}`,
  ].join(' ');
  const args = [
    ...['-accel', s.accel, '-cpu', s.accel === 'kvm' ? 'host' : 'max', '-m', String(s.memMiB)],
    ...['-smp', String(s.smp), '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio'],
    ...['-display', 'none', '-kernel', join(kdir, 'vmlinuz'), '-initrd', initrd, '-append', append],
  ];
  const started = Date.now();
  const file = createWriteStream(logPath);
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  qemuPid = child.pid ?? null;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    log(`qemu still running after ${s.timeoutS} s: stopping it (pid ${child.pid})`);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  }, s.timeoutS * 1000);
  let pending = '';
  const progress = (chunk: Buffer): void => {
    file.write(chunk);
    pending += chunk.toString('utf8').replace(/\r/g, '');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    const at = (): string => `${Math.round((Date.now() - started) / 1000)}s`.padStart(5);
    for (const line of lines)
      if (/^KB-(INFO|RUN|STARTUP|STATS|ERROR|NODE|DONE|STOP)\b/.test(line))
        console.error(`${at()} ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`);
      else if (/Kernel panic|^qemu-system/.test(line)) console.error(`${at()} ${line}`);
  };
  child.stdout.on('data', progress);
  child.stderr.on('data', progress);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`qemu-system-x86_64: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      qemuPid = null;
      file.end(() => resolve({ exit: code, timedOut, wallS: (Date.now() - started) / 1000 }));
    });
  });
}

// ---------------------------------------------------------------- checks and saving

/** What makes the run itself a failure (not a missed goal). */
function problemsOf(parsed: ParsedLog, order: string[]): string[] {
  const problems = [...parsed.errors];
  if (parsed.doneUptimeS === null)
    problems.push('the VM never printed KB-DONE (it stopped or timed out first)');
  order.forEach((who, i) => {
    const label = `${who}-${i + 1}`;
    const r = parsed.runs.find((x) => x.label === label);
    if (!r) return problems.push(`${label}: no output at all`);
    if (r.exit === null) problems.push(`${label}: did not finish`);
    else if (r.exit !== 0)
      problems.push(`${label}: kbench exit ${r.exit}${r.exit === 124 ? ' (timeout)' : ''}`);
    if (r.exit !== 0) {
      // why, from the remapper's side: its exit, and the first distinct error lines of its log
      if (r.stop && r.stop.status !== 'exit0' && r.who !== 'keyd')
        problems.push(`${label}: the remapper ended by ${r.stop.status}`);
      const said = new Set(
        r.daemonLog
          .map((l) => l.text.trim())
          .filter((t) => /Fatal error|Check failed|"level":(50|60)|^\w*Error\b|Segmentation|Aborted/.test(t)),
      );
      for (const t of [...said].slice(0, 3)) problems.push(`${label}: its log says: ${t.slice(0, 200)}`);
    }
    const phases = who === 'floor' ? (['floor'] as const) : (['remap', 'taphold'] as const);
    for (const p of phases)
      if (!r.phases[p]?.raw.length) problems.push(`${label}: no samples for its ${p} phase`);
    if (r.phases.remap && r.phases.remap.raw.length !== r.phases.remap.events - r.phases.remap.lost)
      problems.push(`${label}: KB-RAW and KB-STATS disagree (a truncated console line?)`);
  });
  return [...new Set(problems)];
}

function gitInfo(): { commit: string; dirty: string[] } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync(
      'git',
      ['status', '--porcelain', '--', 'src', 'test/vm', 'package.json', 'package-lock.json', 'tsconfig.json'],
      { cwd: ROOT, encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: [] };
  }
}

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`;
  }
}

function qemuVersion(): string {
  try {
    return execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
  } catch {
    return 'qemu (version unknown)';
  }
}

export function writeReports(result: PeerResult, outDir: string, serialLog: string | null): string[] {
  mkdirSync(outDir, { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(result)}\n`;
  const files: [string, string][] = [
    [join(outDir, `peer-${stamp}.json`), json],
    [join(outDir, 'peer-latest.json'), json],
    [join(outDir, 'peer-latest.md'), renderMarkdown(result)],
  ];
  for (const [path, text] of files) writeFileSync(path, text);
  const paths = files.map(([p]) => p);
  if (serialLog) {
    const dest = join(outDir, `peer-${stamp}.serial.log`);
    copyFileSync(serialLog, dest);
    paths.push(dest);
  }
  return paths;
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  let args: Args | 'help';
  try {
    args = parse(process.argv.slice(2));
  } catch (e) {
    console.error(`bench:peer: ${(e as Error).message}`);
    return 2;
  }
  if (args === 'help') {
    const head = readFileSync(import.meta.filename, 'utf8').split('*/')[0];
    console.log(head.replace(/^\/\*\*?\n?|^ \* ?/gm, ''));
    return 0;
  }
  const s = args.settings;
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const loadBefore = loadavg();
  const uptimeBefore = uptime();
  const cpuList = cpus();
  const git = gitInfo();
  const host = {
    node: process.version,
    cpu: cpuList[0]?.model.trim() ?? 'unknown CPU',
    cpus: cpuList.length,
    platform: `${platform()} ${process.arch}`,
    qemu: qemuVersion(),
  };

  let serialLog: string;
  let work: string | null = null;
  let images: Images = { KPKG: 'unknown', KDIR: '', BASE: '', APP: '' };
  let keydSha: string;
  let qemu: { exit: number | null; timedOut: boolean; wallS: number } = {
    exit: null,
    timedOut: false,
    wallS: 0,
  };
  const problems: string[] = [];
  if (args.fromLog) {
    serialLog = args.fromLog;
    keydSha = sha256(readFileSync(KEYD_TARBALL));
  } else {
    log(`host: ${uptimeBefore}`);
    if (git.dirty.length > 0)
      log(
        `the app is built from the working tree: ${git.dirty.length} uncommitted file(s) under src/, test/vm/ …`,
      );
    try {
      images = ensureImages();
      const cache = join(process.env.KEYRX_VM_CACHE ?? '/tmp/keyrx-vm-cache', 'peer');
      mkdirSync(cache, { recursive: true });
      const keyd = buildKeyd(cache);
      keydSha = keyd.sha256;
      const kbench = buildKbench(cache);
      work = mkdtempSync(join(tmpdir(), 'keyrx-peer-'));
      const baselineDist = s.baseline ? buildBaseline(cache, s.baseline.commit) : null;
      const initrd = assembleInitrd(work, images, kbench, keyd.path, baselineDist);
      serialLog = join(work, 'serial.log');
      log(
        `booting ${images.KPKG} (${s.accel}, ${s.smp} vCPU, ${s.memMiB} MiB): taps=${s.taps} order=${s.order.join(',')}; app ${basename(images.APP)}`,
      );
      qemu = await boot(s, images.KDIR, initrd, serialLog);
      log(
        `qemu ${qemu.exit === null ? 'killed' : `exit ${qemu.exit}`} after ${qemu.wallS.toFixed(0)} s; serial log ${serialLog}`,
      );
    } catch (e) {
      console.error(`bench:peer: ${(e as Error).message}`);
      if (work && !args.keepWork) rmSync(work, { recursive: true, force: true });
      return 1;
    }
    if (qemu.timedOut) problems.push(`qemu timed out after ${s.timeoutS} s`);
    else if (qemu.exit !== 0) problems.push(`qemu exit ${qemu.exit}`);
  }

  let parsed: ParsedLog;
  try {
    parsed = parseSerialLog(readFileSync(serialLog, 'utf8'));
  } catch (e) {
    console.error(`bench:peer: cannot read the serial log ${serialLog}: ${(e as Error).message}`);
    return 1;
  }
  problems.push(...problemsOf(parsed, s.order));
  const result: PeerResult = {
    version: 1,
    kind: 'peer',
    startedAt,
    durationSec: (Date.now() - started) / 1000,
    command: args.command,
    quick: args.quick,
    settings: s,
    host: {
      ...host,
      loadAverage: { before: loadBefore, after: loadavg() },
      uptime: { before: uptimeBefore, after: uptime() },
    },
    sources: {
      commit: git.commit,
      dirty: git.dirty,
      appCpio: basename(images.APP),
      keyd: { commit: KEYD_COMMIT, tarballSha256: keydSha },
    },
    vm: {
      kernelPackage: images.KPKG,
      kernel: parsed.kernel,
      cpus: parsed.vmCpus,
      bootS: parsed.bootS,
      doneUptimeS: parsed.doneUptimeS,
      node: parsed.node,
      qemuExit: qemu.exit,
      wallS: qemu.wallS,
    },
    runs: parsed.runs,
    summary: summarize(parsed),
    problems,
  };
  console.log(renderMarkdown(result));
  if (!args.fromLog) {
    const paths = writeReports(result, args.out, serialLog);
    console.log(`report: ${paths.join(', ')}`);
    log(`host after: ${result.host.uptime.after}`);
    if (work && !args.keepWork) rmSync(work, { recursive: true, force: true });
    else if (work) log(`work directory kept: ${work}`);
  }
  if (problems.length > 0) {
    console.error(`bench:peer: the run failed:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    return 1;
  }
  return 0;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    if (qemuPid !== null) process.kill(qemuPid, 'SIGKILL'); // our own child, by its PID
    process.exit(130);
  });

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
