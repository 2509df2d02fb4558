/**
 * `keyrx install` and `keyrx uninstall`: the setup docs/linux.md describes by hand, done step by
 * step — uinput loaded now and at boot, the groups input and uinput, the user in both, the udev
 * rule, and the systemd user service — ending with `keyrx doctor`'s verdict.
 *
 * Every step first looks at what is already in place (a second run says "already done"), then
 * prints exactly what it will run. Steps that need root ask first (`--yes` answers yes, `--dry-run`
 * only prints the plan) and run through `sudo` unless keyrx already runs as root: nothing is ever
 * done as root without being shown and agreed to. A tool that is missing or does not work here
 * (no systemd user session, no udev daemon) turns into "run this by hand", never an obscure error.
 *
 * Tests only: KEYRX_INSTALL_ROOT prefixes every system path, the user's config directory and
 * the folders commands are looked up in (so a test runs the real steps inside a temp dir with
 * fake tools), and KEYRX_INSTALL_USER names the user to set up.
 */
import { AUTOSTART_FILE, desktopEntry } from '../platform/linux/desktop-autostart.ts';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { PackagingFile } from '../platform/linux/packaging.ts';
import { packageRoot, packagingFile, shellQuote } from '../platform/linux/packaging.ts';
import { CliError } from './errors.ts';
import type { Output } from './profile-commands.ts';
import { VERSION } from './version.ts';

export interface InstallOptions {
  /** answer yes to every question */
  yes?: boolean;
  /** print the plan only */
  dryRun?: boolean;
  /** `keyrx install --remove`: same as `keyrx uninstall` */
  remove?: boolean;
  /** false with --no-service: leave the systemd user service alone */
  service?: boolean;
  /** false with --no-enable: install the service without enabling or starting it */
  enable?: boolean;
  /** start keyrx at login: Windows' HKCU Run value (all `keyrx install` does there); Linux's default */
  autostart?: boolean;
  /** Linux: start keyrx with the desktop session through an XDG autostart entry (keyrx.desktop) */
  desktopEntry?: boolean;
}

export function registerInstallCommands(program: Command, io: Output): void {
  program
    .command('install')
    .description(
      'set up this machine for keyrx: uinput, the input/uinput groups, the udev rule and the systemd user service (asks before each step that needs root)',
    )
    .option('-y, --yes', 'do not ask: run every step, the ones that need root with sudo')
    .option('-n, --dry-run', 'only print what is already done and what would run')
    .option('--remove', 'undo it (same as keyrx uninstall)')
    .option('--no-service', 'leave the systemd user service alone')
    .option('--no-enable', 'install the systemd user service but do not enable or start it (no autostart)')
    .option(
      '--autostart',
      'start keyrx at login: on Windows the HKCU Run value (the only step there); on Linux the enabled service (the default)',
    )
    .option(
      '--desktop-entry',
      'Linux: start keyrx with your desktop session (~/.config/autostart/keyrx.desktop), where its tray icon has the session bus and display; use with --no-service',
    )
    .action((opts: InstallOptions) => runInstall(opts, io));
  program
    .command('uninstall')
    .description(
      'undo keyrx install: stop and remove the service, remove the udev rule, the uinput group membership and the modules-load.d file',
    )
    .option('-y, --yes', 'do not ask: run every step, the ones that need root with sudo')
    .option('-n, --dry-run', 'only print what would be removed')
    .option('--no-service', 'leave the systemd user service alone')
    .action((opts: InstallOptions) => runInstall({ ...opts, remove: true }, io));
}

// ---------------------------------------------------------------------------------------------
// The machine: paths (under KEYRX_INSTALL_ROOT in tests), the user, and the commands

interface Machine {
  /** '/' or KEYRX_INSTALL_ROOT */
  root: string;
  /** this process runs as root (no sudo needed) */
  isRoot: boolean;
  /** the user to set up */
  user: string;
  /** the user's config directory as the user sees it ($XDG_CONFIG_HOME or ~/.config) */
  configHome: string;
  /** folders a command is looked up in, in order */
  commandDirs: string[];
  env: NodeJS.ProcessEnv;
}

const SYSTEM_BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function machineOf(env: NodeJS.ProcessEnv): Machine {
  const fakeRoot = env.KEYRX_INSTALL_ROOT ? path.resolve(env.KEYRX_INSTALL_ROOT) : undefined;
  const root = fakeRoot ?? '/';
  const info = safeUserInfo();
  const user = env.KEYRX_INSTALL_USER || info.username;
  const home = env.HOME || info.homedir;
  const configHome =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : path.join(home, '.config');
  // Under a fake root, commands come from inside it only: a test never runs the real usermod.
  const commandDirs = fakeRoot
    ? SYSTEM_BIN_DIRS.map((d) => path.join(root, d))
    : [...new Set([...(env.PATH ?? '').split(':').filter((d) => path.isAbsolute(d)), ...SYSTEM_BIN_DIRS])];
  return { root, isRoot: process.getuid?.() === 0, user, configHome, commandDirs, env };
}

function safeUserInfo(): { username: string; homedir: string } {
  try {
    const i = os.userInfo();
    return { username: i.username, homedir: i.homedir };
  } catch {
    return { username: process.env.USER ?? 'user', homedir: os.homedir() };
  }
}

// ---------------------------------------------------------------------------------------------
// Actions: what a step runs

/** One thing a step does, shown as the shell line a user would type. */
interface Action {
  /** e.g. `sudo usermod -aG input,uinput alice` */
  show: string;
  /** null when it can run here; else why not (then it is printed as "run by hand") */
  blocked: string | null;
  run(): Promise<string | null>;
}

interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

function exec(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    // sudo asks for a password on the terminal itself (/dev/tty), never on stdin
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => resolve({ code: null, stdout, stderr, error: e.message }));
    child.on('close', (code, signal) =>
      resolve({ code, stdout, stderr, error: signal ? `killed by ${signal}` : undefined }),
    );
  });
}

/** The first line worth showing of a failed command's output. */
function firstLine(r: ExecResult): string {
  const text = `${r.stderr}\n${r.stdout}`.split('\n').find((l) => l.trim() !== '');
  return text?.trim() ?? r.error ?? `exit code ${r.code}`;
}

class Tools {
  readonly m: Machine;
  readonly print: (line: string) => void;
  constructor(m: Machine, print: (line: string) => void) {
    this.m = m;
    this.print = print;
  }

  at(p: string): string {
    return path.join(this.m.root, p);
  }

  which(name: string): string | null {
    for (const dir of this.m.commandDirs) {
      const file = path.join(dir, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        if (fs.statSync(file).isFile()) return file;
      } catch {
        // not here
      }
    }
    return null;
  }

  /** Runs a read-only probe (no sudo), with a time limit. */
  probe(name: string, args: string[]): Promise<ExecResult> | null {
    const file = this.which(name);
    return file ? exec(file, args, this.m.env, 30_000) : null;
  }

  /** Why a root action cannot run here, or null. */
  private rootBlocked(): string | null {
    if (this.m.isRoot) return null;
    return this.which('sudo') ? null : 'sudo is not installed: run it as root';
  }

  /** `name args`, as root when `root` (through sudo unless this process is root). */
  command(name: string, args: string[], root: boolean, whyBlocked?: string | null): Action {
    const useSudo = root && !this.m.isRoot;
    const show = [...(useSudo ? ['sudo'] : []), name, ...args].map(shellQuote).join(' ');
    const file = this.which(name);
    const blocked =
      whyBlocked ??
      (file ? null : `${name} is not installed here (looked in ${this.shownDirs()})`) ??
      (root ? this.rootBlocked() : null);
    return {
      show,
      blocked,
      run: async () => {
        const sudo = useSudo ? this.which('sudo') : null;
        const r = sudo ? await exec(sudo, [file!, ...args], this.m.env) : await exec(file!, args, this.m.env);
        this.echo(r);
        if (r.code === 0) return null;
        return `${name} failed (${r.error ?? `exit code ${r.code}`}): ${firstLine(r)}`;
      },
    };
  }

  private shownDirs(): string {
    return this.m.root === '/' ? 'PATH, /usr/sbin and /sbin' : `${this.m.root}{${SYSTEM_BIN_DIRS.join(',')}}`;
  }

  private echo(r: ExecResult): void {
    const lines = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
    for (const l of lines.slice(0, 20)) this.print(`        | ${l}`);
    if (lines.length > 20) this.print(`        | … (${lines.length - 20} more lines)`);
  }

  /** Copies `src` to the system path `dest` with `mode` (install -D -m), as root when `root`. */
  installFile(src: string, dest: string, mode: number, root: boolean): Action {
    const modeText = mode.toString(8).padStart(4, '0');
    if (root && !this.m.isRoot) {
      const a = this.command('install', ['-D', '-m', modeText, src, this.at(dest)], true);
      return { ...a, show: `sudo install -D -m ${modeText} ${shellQuote(src)} ${shellQuote(dest)}` };
    }
    return {
      show: `install -D -m ${modeText} ${shellQuote(src)} ${shellQuote(dest)}`,
      blocked: null,
      run: async () => writeFileAtomic(this.at(dest), fs.readFileSync(src), mode),
    };
  }

  /** Writes `text` to the user's file `dest` (never root). */
  writeUserFile(dest: string, text: string, mode: number, from: string): Action {
    return {
      show: `write ${shellQuote(dest)} (mode ${mode.toString(8).padStart(4, '0')}) from ${shellQuote(from)}`,
      blocked: null,
      run: async () => writeFileAtomic(this.at(dest), Buffer.from(text), mode),
    };
  }

  /** Removes the system path `dest`, as root when `root`. */
  removeFile(dest: string, root: boolean): Action {
    if (root && !this.m.isRoot) {
      const a = this.command('rm', ['-f', this.at(dest)], true);
      return { ...a, show: `sudo rm -f ${shellQuote(dest)}` };
    }
    return {
      show: `rm -f ${shellQuote(dest)}`,
      blocked: null,
      run: async () => {
        try {
          fs.rmSync(this.at(dest), { force: true });
          return null;
        } catch (e) {
          return `cannot remove ${dest}: ${(e as Error).message}`;
        }
      },
    };
  }
}

function writeFileAtomic(file: string, data: Buffer, mode: number): string | null {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    const tmp = `${file}.keyrx-install-${process.pid}`;
    fs.writeFileSync(tmp, data, { mode });
    fs.chmodSync(tmp, mode); // the umask does not decide the mode
    fs.renameSync(tmp, file);
    return null;
  } catch (e) {
    return `cannot write ${file}: ${(e as Error).message}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Steps

type StepState =
  | { kind: 'done'; detail: string }
  | { kind: 'not-needed'; detail: string }
  | { kind: 'todo'; detail: string; actions: Action[]; note?: string };

interface Step {
  id?: 'user-groups';
  title: string;
  /** its actions need root: ask first */
  root: boolean;
  inspect(): Promise<StepState>;
}

type Outcome = 'done' | 'already' | 'not-needed' | 'partial' | 'failed' | 'skipped' | 'planned';

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

interface GroupLine {
  name: string;
  gid: number;
  members: string[];
}

function groupsOf(t: Tools): GroupLine[] {
  const out: GroupLine[] = [];
  for (const line of (readText(t.at('/etc/group')) ?? '').split('\n')) {
    const [name, , gid, members = ''] = line.split(':');
    if (!name || name.startsWith('#') || gid === undefined) continue;
    out.push({ name, gid: Number(gid), members: members.split(',').filter(Boolean) });
  }
  return out;
}

function primaryGid(t: Tools, user: string): number | undefined {
  for (const line of (readText(t.at('/etc/passwd')) ?? '').split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f[3] !== undefined) return Number(f[3]);
  }
  return undefined;
}

function inGroup(t: Tools, user: string, group: string): boolean {
  const g = groupsOf(t).find((e) => e.name === group);
  if (!g) return false;
  return g.members.includes(user) || primaryGid(t, user) === g.gid;
}

function kernelRelease(t: Tools): string {
  return (readText(t.at('/proc/sys/kernel/osrelease')) ?? os.release()).trim();
}

const MODULES_LOAD_DIRS = [
  '/etc/modules-load.d',
  '/run/modules-load.d',
  '/usr/local/lib/modules-load.d',
  '/usr/lib/modules-load.d',
  '/lib/modules-load.d',
];
const MODULES_CONF = '/etc/modules-load.d/keyrx.conf';
const UDEV_RULE = '/etc/udev/rules.d/99-keyrx.rules';
const PACKAGE_UDEV_RULES = ['/usr/lib/udev/rules.d/99-keyrx.rules', '/lib/udev/rules.d/99-keyrx.rules'];
const SYSTEM_UNITS = [
  '/etc/systemd/user/keyrx.service',
  '/usr/local/lib/systemd/user/keyrx.service',
  '/usr/lib/systemd/user/keyrx.service',
  '/lib/systemd/user/keyrx.service',
];
const UNIT_MARK = '# systemd user unit for the keyrx daemon, written by `keyrx install`';

/**
 * Why udevadm control/trigger cannot work here (no udev daemon: a container, a chroot), or null.
 * udevd's control socket tells, readable by anyone (`udevadm control --ping` needs root).
 */
function udevNotRunning(t: Tools, consequence: string): string | null {
  if (!t.which('udevadm')) return null; // then the action says udevadm is not installed
  return fs.existsSync(t.at('/run/udev/control'))
    ? null
    : `the udev daemon is not running here (no /run/udev/control)${consequence}`;
}

/** Where uinput is set to load at boot, or null. */
function uinputAtBoot(t: Tools): string | null {
  const lists = (text: string): boolean =>
    text.split('\n').some((l) => l.replace(/#.*/, '').trim() === 'uinput');
  for (const dir of MODULES_LOAD_DIRS) {
    let files: string[];
    try {
      files = fs.readdirSync(t.at(dir)).filter((f) => f.endsWith('.conf'));
    } catch {
      continue;
    }
    for (const f of files.sort())
      if (lists(readText(path.join(t.at(dir), f)) ?? '')) return path.join(dir, f);
  }
  if (lists(readText(t.at('/etc/modules')) ?? '')) return '/etc/modules';
  return null;
}

function uinputBuiltin(t: Tools): boolean {
  const k = kernelRelease(t);
  return [`/lib/modules/${k}/modules.builtin`, `/usr/lib/modules/${k}/modules.builtin`].some((f) =>
    /(^|\/)uinput\.ko$/m.test(readText(t.at(f)) ?? ''),
  );
}

function needFile(name: PackagingFile): string {
  const file = packagingFile(name);
  if (!file)
    throw new CliError(
      `cannot find packaging/${name} in this installation of keyrx (${packageRoot() ?? 'unknown folder'}): reinstall keyrx`,
      1,
    );
  return file;
}

/** The command line the service runs: this installation's node and main.js, absolute. */
function daemonCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  let main = path.join(path.dirname(here), `main${path.extname(here)}`);
  if (main.endsWith('.ts')) {
    // running from the sources (tsx): the service runs the build instead
    const built = path.join(packageRoot() ?? path.dirname(here), 'dist', 'src', 'cli', 'main.js');
    main = built;
  }
  try {
    main = fs.realpathSync(main);
  } catch {
    // not built yet: keep the path; the service fails until `npm run build`
  }
  return [process.execPath, main, 'daemon'];
}

/** One word of a systemd command line (systemd.service § COMMAND LINES). */
function systemdQuote(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_@+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/[\\"]/g, '\\$&')}"`;
}

/** packaging/keyrx.service with ExecStart naming this installation. */
function userUnitText(template: string, templatePath: string): string {
  const execStart = `ExecStart=${daemonCommand().map(systemdQuote).join(' ')}`;
  // the template's own comments say how to install it by hand: replaced by what this file is
  const body = template
    .slice(Math.max(0, template.search(/^\[Unit\]/m)))
    .replace(/^ExecStart=.*$/m, execStart);
  return (
    `${UNIT_MARK} from ${templatePath}.\n` +
    "# ExecStart runs the keyrx that installed it by absolute paths, so the user manager's PATH does\n" +
    '# not matter. Local changes go in a drop-in (systemctl --user edit keyrx); `keyrx install` rewrites\n' +
    '# this file and `keyrx uninstall` removes it.\n' +
    '# Reload the active profile: systemctl --user reload keyrx (SIGHUP). Logs: journalctl --user -u keyrx -f\n' +
    '\n' +
    body
  );
}

interface Systemd {
  /** why `systemctl --user` cannot be used here, or null */
  blocked: string | null;
  enabled: boolean;
  active: boolean;
}

async function systemdState(t: Tools): Promise<Systemd> {
  const env = await t.probe('systemctl', ['--user', 'show-environment']);
  if (!env) return { blocked: 'systemctl is not installed here (no systemd)', enabled: false, active: false };
  if (env.code !== 0)
    return {
      blocked: `no systemd user session to talk to (systemctl --user: ${firstLine(env)})`,
      enabled: false,
      active: false,
    };
  const enabled = (await t.probe('systemctl', ['--user', 'is-enabled', 'keyrx.service']))!;
  const active = (await t.probe('systemctl', ['--user', 'is-active', 'keyrx.service']))!;
  return {
    blocked: null,
    enabled: enabled.code === 0 && /^(enabled|enabled-runtime|linked|alias)/.test(enabled.stdout.trim()),
    active: active.stdout.trim() === 'active' || active.stdout.trim() === 'reloading',
  };
}

function installSteps(t: Tools, opts: InstallOptions): Step[] {
  const { user } = t.m;
  const rules = needFile('99-keyrx.rules');
  const modulesConf = needFile('keyrx-modules-load.conf');
  const unitTemplate = needFile('keyrx.service');
  const steps: Step[] = [
    {
      title: 'uinput kernel module: loaded now and at every boot',
      root: true,
      async inspect() {
        if (uinputBuiltin(t)) return { kind: 'done', detail: 'built into this kernel' };
        const loaded = fs.existsSync(t.at('/sys/module/uinput'));
        const boot = uinputAtBoot(t);
        if (loaded && boot) return { kind: 'done', detail: `loaded, and listed in ${boot}` };
        const actions: Action[] = [];
        if (!boot) actions.push(t.installFile(modulesConf, MODULES_CONF, 0o644, true));
        if (!loaded) actions.push(t.command('modprobe', ['uinput'], true));
        return {
          kind: 'todo',
          detail: [loaded ? 'loaded' : 'not loaded', boot ? `listed in ${boot}` : 'not loaded at boot'].join(
            ', ',
          ),
          actions,
        };
      },
    },
    {
      title: 'groups input and uinput exist',
      root: true,
      async inspect() {
        const have = new Set(groupsOf(t).map((g) => g.name));
        const missing = ['input', 'uinput'].filter((g) => !have.has(g));
        if (missing.length === 0) return { kind: 'done', detail: 'both exist' };
        return {
          kind: 'todo',
          detail: `missing: ${missing.join(', ')}`,
          actions: missing.map((g) => t.command('groupadd', ['--system', g], true)),
        };
      },
    },
    {
      id: 'user-groups',
      title: `${user} is in groups input (read keyboards) and uinput (create the virtual keyboard)`,
      root: true,
      async inspect() {
        if (user === 'root') return { kind: 'not-needed', detail: 'root can open every device' };
        const missing = ['input', 'uinput'].filter((g) => !inGroup(t, user, g));
        if (missing.length === 0) return { kind: 'done', detail: 'member of both' };
        return {
          kind: 'todo',
          detail: `not in: ${missing.join(', ')}`,
          actions: [t.command('usermod', ['-aG', missing.join(','), user], true)],
          note: 'group changes apply to sessions started afterwards: log out and back in (or reboot)',
        };
      },
    },
    {
      title: `udev rule: /dev/uinput for group uinput, /dev/input/event* for group input`,
      root: true,
      async inspect() {
        const want = fs.readFileSync(rules, 'utf8');
        const packaged = PACKAGE_UDEV_RULES.find((f) => fs.existsSync(t.at(f)));
        if (packaged) return { kind: 'done', detail: `installed by the keyrx package: ${packaged}` };
        const have = readText(t.at(UDEV_RULE));
        if (have === want) return { kind: 'done', detail: UDEV_RULE };
        const udevBlocked = udevNotRunning(t, '; the rule applies when udev starts (at the next boot)');
        return {
          kind: 'todo',
          detail: have === undefined ? `no ${UDEV_RULE}` : `${UDEV_RULE} differs from ${rules}: replacing it`,
          actions: [
            t.installFile(rules, UDEV_RULE, 0o644, true),
            t.command('udevadm', ['control', '--reload'], true, udevBlocked),
            t.command('udevadm', ['trigger'], true, udevBlocked),
          ],
        };
      },
    },
  ];
  if (opts.service !== false)
    steps.push({
      title: `systemd user service keyrx${opts.enable === false ? '' : ': enabled (starts with your session) and running'}`,
      root: false,
      async inspect() {
        const unitPath = path.join(t.m.configHome, 'systemd/user/keyrx.service');
        const systemUnit = SYSTEM_UNITS.find((f) => fs.existsSync(t.at(f)));
        const have = readText(t.at(unitPath));
        const want = userUnitText(fs.readFileSync(unitTemplate, 'utf8'), unitTemplate);
        const useSystem = systemUnit !== undefined && have === undefined;
        const writeUnit = !useSystem && have !== want;
        const sd = await systemdState(t);
        const details: string[] = [
          useSystem
            ? `unit ${systemUnit} (from the keyrx package)`
            : have === undefined
              ? `no ${unitPath}`
              : have === want
                ? `unit ${unitPath}`
                : `${unitPath} differs from what keyrx install writes: replacing it`,
        ];
        if (sd.blocked) details.push(sd.blocked);
        else
          details.push(`${sd.enabled ? 'enabled' : 'not enabled'}, ${sd.active ? 'running' : 'not running'}`);
        const enable = opts.enable !== false;
        const done = !writeUnit && !sd.blocked && (!enable || (sd.enabled && sd.active));
        if (done) return { kind: 'done', detail: details.join('; ') };
        const actions: Action[] = [];
        if (writeUnit) actions.push(t.writeUserFile(unitPath, want, 0o644, unitTemplate));
        if (writeUnit || sd.blocked || (enable && !sd.enabled))
          actions.push(t.command('systemctl', ['--user', 'daemon-reload'], false, sd.blocked));
        if (enable && (sd.blocked || !sd.enabled || !sd.active))
          actions.push(
            t.command('systemctl', ['--user', 'enable', '--now', 'keyrx.service'], false, sd.blocked),
          );
        if (enable && writeUnit && have !== undefined && sd.active)
          actions.push(t.command('systemctl', ['--user', 'restart', 'keyrx.service'], false, sd.blocked));
        return {
          kind: 'todo',
          detail: details.join('; '),
          actions,
          note: sd.blocked
            ? 'without a systemd user session, run the systemctl commands in your desktop session, or start `keyrx daemon` yourself'
            : undefined,
        };
      },
    });
  if (opts.desktopEntry)
    steps.push({
      title: 'desktop autostart entry: keyrx starts with your desktop session',
      root: false,
      async inspect() {
        const entry = path.join(t.m.configHome, 'autostart', AUTOSTART_FILE);
        const want = desktopEntry(daemonCommand());
        const have = readText(t.at(entry));
        if (have === want) return { kind: 'done', detail: entry };
        return {
          kind: 'todo',
          detail:
            have === undefined
              ? `no ${entry}`
              : `${entry} differs from what keyrx install writes: replacing it`,
          actions: [t.writeUserFile(entry, want, 0o644, 'keyrx install')],
          note:
            opts.service !== false
              ? 'the systemd user service starts keyrx too: a second daemon on the same config directory stops at once; keep one (--no-service)'
              : undefined,
        };
      },
    });
  return steps;
}

function uninstallSteps(t: Tools, opts: InstallOptions): Step[] {
  const { user } = t.m;
  const steps: Step[] = [
    {
      title: 'desktop autostart entry removed',
      root: false,
      async inspect() {
        const entry = path.join(t.m.configHome, 'autostart', AUTOSTART_FILE);
        if (!fs.existsSync(t.at(entry))) return { kind: 'done', detail: `no ${entry}` };
        return { kind: 'todo', detail: entry, actions: [t.removeFile(entry, false)] };
      },
    },
  ];
  if (opts.service !== false)
    steps.push({
      title: 'systemd user service keyrx: stopped, disabled and removed',
      root: false,
      async inspect() {
        const unitPath = path.join(t.m.configHome, 'systemd/user/keyrx.service');
        const have = fs.existsSync(t.at(unitPath));
        const systemUnit = SYSTEM_UNITS.find((f) => fs.existsSync(t.at(f)));
        const sd = await systemdState(t);
        // without systemctl, `enable` leaves its mark: the symlink in default.target.wants
        const wants = fs.existsSync(
          t.at(path.join(t.m.configHome, 'systemd/user/default.target.wants/keyrx.service')),
        );
        const running = sd.blocked ? wants : sd.enabled || sd.active;
        const kept =
          systemUnit && !have ? ` (${systemUnit} belongs to the keyrx package: apt remove keyrx)` : '';
        if (!have && !running) return { kind: 'done', detail: `no ${unitPath}, not enabled${kept}` };
        const actions: Action[] = [];
        if (running)
          actions.push(
            t.command('systemctl', ['--user', 'disable', '--now', 'keyrx.service'], false, sd.blocked),
          );
        if (have) {
          actions.push(t.removeFile(unitPath, false));
          actions.push(t.command('systemctl', ['--user', 'daemon-reload'], false, sd.blocked));
        }
        return {
          kind: 'todo',
          detail: [
            have ? unitPath : `no ${unitPath}`,
            sd.blocked ?? (running ? 'enabled or running' : 'not enabled'),
          ].join('; '),
          actions,
        };
      },
    });
  steps.push(
    {
      title: 'udev rule removed',
      root: true,
      async inspect() {
        const packaged = PACKAGE_UDEV_RULES.find((f) => fs.existsSync(t.at(f)));
        const kept = packaged ? ` (${packaged} belongs to the keyrx package: apt remove keyrx)` : '';
        if (!fs.existsSync(t.at(UDEV_RULE))) return { kind: 'done', detail: `no ${UDEV_RULE}${kept}` };
        const udevBlocked = udevNotRunning(t, '');
        return {
          kind: 'todo',
          detail: UDEV_RULE,
          actions: [
            t.removeFile(UDEV_RULE, true),
            t.command('udevadm', ['control', '--reload'], true, udevBlocked),
            t.command('udevadm', ['trigger'], true, udevBlocked),
          ],
        };
      },
    },
    {
      title: `${user} is no longer in group uinput`,
      root: true,
      async inspect() {
        if (user === 'root') return { kind: 'not-needed', detail: 'root is not added to groups' };
        const g = groupsOf(t).find((e) => e.name === 'uinput');
        if (!g?.members.includes(user)) return { kind: 'done', detail: 'not a member' };
        return {
          kind: 'todo',
          detail: 'member of uinput',
          actions: [t.command('gpasswd', ['-d', user, 'uinput'], true)],
        };
      },
    },
    {
      title: 'uinput no longer loaded at boot for keyrx',
      root: true,
      async inspect() {
        if (!fs.existsSync(t.at(MODULES_CONF))) return { kind: 'done', detail: `no ${MODULES_CONF}` };
        return { kind: 'todo', detail: MODULES_CONF, actions: [t.removeFile(MODULES_CONF, true)] };
      },
    },
  );
  return steps;
}

// ---------------------------------------------------------------------------------------------
// Questions

/** Reads answers line by line from stdin (a terminal, or a pipe in tests); end of input is "no". */
class Asker {
  private rl: readline.Interface | undefined;
  private readonly queue: string[] = [];
  private waiting: ((line: string | null) => void) | undefined;
  private ended = false;

  async ask(question: string): Promise<boolean> {
    process.stdout.write(question);
    const line = await this.next();
    if (!process.stdin.isTTY) process.stdout.write(`${line ?? '(no answer: end of input)'}\n`);
    return /^\s*y(es)?\s*$/i.test(line ?? '');
  }

  private next(): Promise<string | null> {
    if (!this.rl) {
      this.rl = readline.createInterface({ input: process.stdin, terminal: false });
      this.rl.on('line', (l) => this.deliver(l));
      this.rl.on('close', () => {
        this.ended = true;
        this.deliver(null);
      });
    }
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended) return Promise.resolve(null);
    this.rl.resume();
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private deliver(line: string | null): void {
    const w = this.waiting;
    if (w) {
      this.waiting = undefined;
      // stop reading the terminal while sudo may ask for a password on it
      if (!this.ended) this.rl?.pause();
      w(line);
    } else if (line !== null) this.queue.push(line);
  }

  close(): void {
    this.rl?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The command

export async function runInstall(
  opts: InstallOptions,
  io: Output,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if (process.platform === 'win32') {
    const { runWindowsInstall } = await import('./install-windows.ts');
    return runWindowsInstall(opts, io, daemonCommand());
  }
  if (process.platform !== 'linux')
    throw new CliError(
      `keyrx install sets up Linux (udev, uinput, systemd) and Windows (autostart); this is ${process.platform}`,
      1,
    );
  const m = machineOf(env);
  const uid = process.getuid?.() ?? -1;
  if (uid === 0 && env.SUDO_USER && env.SUDO_USER !== 'root' && !env.KEYRX_INSTALL_USER)
    throw new CliError(
      `run \`keyrx ${opts.remove ? 'uninstall' : 'install'}\` as ${env.SUDO_USER}, without sudo: it sets up the service for the user who runs it, ` +
        'and asks before each step that needs root and runs only those with sudo',
      2,
    );
  const print = io.out;
  const t = new Tools(m, print);
  const remove = opts.remove === true;
  const steps = remove ? uninstallSteps(t, opts) : installSteps(t, opts);
  const where = packageRoot() ?? 'unknown folder';
  print(
    `keyrx ${remove ? 'uninstall' : 'install'}: ${remove ? 'undoes the setup of' : 'sets up'} keyrx ${VERSION} (${where}) for user ${m.user}` +
      (m.root === '/' ? '' : ` [test root ${m.root}]`),
  );
  if (m.user === 'root' && !remove)
    print(
      'Running as root: root needs no groups, and the service will run as root. keyrx is meant to run as your ' +
        'own user: run `keyrx install` as that user instead (it uses sudo for the steps that need root).',
    );
  print(
    opts.dryRun
      ? 'Dry run: nothing is changed; each step says whether it is done and what would run.'
      : opts.yes
        ? `--yes: every step runs without a question${m.isRoot ? '' : ', the ones that need root with sudo'}.`
        : `Steps that need root ask first${m.isRoot ? '' : ', then run with sudo'}.`,
  );

  const asker = new Asker();
  const outcomes: Outcome[] = [];
  const manual: string[] = [];
  const notes: string[] = [];
  let groupsAdded = false;
  try {
    for (const [i, step] of steps.entries()) {
      print('');
      print(`[${i + 1}/${steps.length}] ${step.title}${step.root ? ' [needs root]' : ''}`);
      const state = await step.inspect();
      if (state.kind === 'done') {
        print(`      already done: ${state.detail}`);
        outcomes.push('already');
        continue;
      }
      if (state.kind === 'not-needed') {
        print(`      not needed: ${state.detail}`);
        outcomes.push('not-needed');
        continue;
      }
      print(`      now: ${state.detail}`);
      const runnable = state.actions.filter((a) => a.blocked === null);
      for (const a of state.actions)
        print(
          a.blocked === null
            ? `      ${opts.dryRun ? 'would run' : 'will run'}: ${a.show}`
            : `      cannot run here: ${a.show}`,
        );
      for (const reason of new Set(state.actions.map((a) => a.blocked).filter((b) => b !== null)))
        print(`        (${reason})`);
      if (opts.dryRun) {
        outcomes.push('planned');
        continue;
      }
      if (step.root && runnable.length > 0 && !opts.yes) {
        const ok = await asker.ask(
          `      Run ${runnable.length === 1 ? 'this' : 'these'} as root${m.isRoot ? '' : ' (with sudo)'}? [y/N] `,
        );
        if (!ok) {
          print('      skipped: run it by hand when you want it:');
          for (const a of state.actions) print(`        ${a.show}`);
          manual.push(...state.actions.map((a) => a.show));
          outcomes.push('skipped');
          continue;
        }
      }
      let failed: string | null = null;
      let ran = 0;
      const byHand: Action[] = [];
      for (const a of state.actions) {
        if (failed !== null || a.blocked !== null) {
          byHand.push(a);
          continue;
        }
        print(`      running: ${a.show}`);
        failed = await a.run();
        if (failed !== null) {
          print(`      failed: ${failed}`);
          byHand.push(a);
        } else ran++;
      }
      if (byHand.length > 0) {
        const outcome = ran > 0 ? 'partial' : 'failed';
        print(
          `      ${outcome === 'partial' ? 'partly done' : 'not done'}: run by hand${step.root ? ' (as root)' : ''}:`,
        );
        for (const a of byHand) print(`        ${a.show}`);
        manual.push(...byHand.map((a) => a.show));
        outcomes.push(outcome);
      } else {
        print('      done');
        outcomes.push('done');
        if (step.id === 'user-groups') groupsAdded = true;
      }
      if (state.note && ran > 0) notes.push(state.note);
    }
  } finally {
    asker.close();
  }

  print('');
  const count = (o: Outcome): number => outcomes.filter((x) => x === o).length;
  const parts = [
    [count('done'), 'done'],
    [count('already'), 'already done'],
    [count('not-needed'), 'not needed'],
    [count('planned'), 'to do'],
    [count('partial'), 'partly done'],
    [count('skipped'), 'skipped'],
    [count('failed'), 'failed'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, what]) => `${n} ${what}`);
  print(`${remove ? 'keyrx uninstall' : 'keyrx install'}: ${parts.join(', ')}.`);
  if (manual.length > 0) {
    print('Still to do, by hand:');
    for (const line of manual) print(`  ${line}`);
  }
  for (const note of new Set(notes)) print(`Note: ${note}.`);
  if (remove) {
    print(
      `Left in place: the group uinput (sudo groupdel uinput once nobody needs it) and ${m.user}'s membership of ` +
        `input, a standard group other programs use too (sudo gpasswd -d ${m.user} input). uinput stays loaded until the next boot.`,
    );
  } else {
    if (opts.dryRun) print('Dry run: nothing was changed. Run `keyrx install` to do the steps above.');
    // the verdict: doctor's checks (the device list is left to `keyrx doctor`)
    const { runDoctor, formatDoctorReport } = await import('../platform/linux/index.ts');
    const report = await runDoctor({ root: m.root, userName: m.user });
    print('');
    print(formatDoctorReport({ ...report, devices: [] }));
    if (!report.ok && groupsAdded)
      print('(New groups apply after you log out and back in; then run `keyrx doctor` again.)');
  }
  if (outcomes.some((o) => o === 'failed' || o === 'partial' || o === 'skipped'))
    throw new CliError(`${remove ? 'uninstall' : 'install'} is not complete: see "Still to do" above`, 1);
}
