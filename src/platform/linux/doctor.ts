/**
 * `keyrx doctor`: checks everything the Linux backend needs and says how to fix each failure.
 * Read-only: it opens nothing for writing and creates no device. Device listing comes from
 * /proc/bus/input/devices, which needs no permission, so it works before the fixes too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProcInputDevice } from './codec.ts';
import { classify, deviceId, isOwnDevice, parseProcInputDevices } from './codec.ts';
import { FFI_FIX, LinuxBackendUnavailable } from './errors.ts';
import { libc } from './libc.ts';
import { packagingFileForShell } from './packaging.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** what to do about a warn/fail */
  fix?: string;
}

export interface DoctorDevice {
  id: string;
  name: string;
  /** /dev/input/eventN */
  path?: string;
  vendor: number;
  product: number;
  phys: string;
  isKeyboard: boolean;
  isPointer: boolean;
  /** keyrx's own output device */
  own: boolean;
  /** this user can open the node */
  readable: boolean;
  /** the backend would grab it with default settings (keyboard, not pointer, readable) */
  grabbable: boolean;
}

export interface DoctorReport {
  /** no check failed */
  ok: boolean;
  kernel: string;
  user: { name: string; uid: number; groups: string[] };
  checks: DoctorCheck[];
  keyboards: DoctorDevice[];
  /** every input device, keyboards included */
  devices: DoctorDevice[];
}

export interface DoctorOptions {
  /** prefix for every system path (tests point it at a fake tree); default '/' */
  root?: string;
  /** identity overrides (tests); default: this process */
  uid?: number;
  gids?: number[];
  userName?: string;
  /** loads the FFI module; default: the backend's loader */
  loadFfi?: () => void;
}

const UDEV_RULE_DIRS = [
  '/etc/udev/rules.d',
  '/run/udev/rules.d',
  '/usr/lib/udev/rules.d',
  '/lib/udev/rules.d',
];

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parseGroupFile(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [name, , gid, members = ''] = line.split(':');
    if (!name || gid === undefined || Number.isNaN(Number(gid))) continue;
    out.push({ name, gid: Number(gid), members: members.split(',').filter(Boolean) });
  }
  return out;
}

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const root = options.root ?? '/';
  const at = (p: string): string => path.join(root, p);
  const read = (p: string): string | undefined => {
    try {
      return fs.readFileSync(at(p), 'utf8');
    } catch {
      return undefined;
    }
  };
  const exists = (p: string): boolean => fs.existsSync(at(p));
  const can = (p: string, mode: number): boolean => {
    try {
      fs.accessSync(at(p), mode);
      return true;
    } catch {
      return false;
    }
  };

  const checks: DoctorCheck[] = [];
  const add = (check: DoctorCheck): void => void checks.push(check);
  const kernel = (read('/proc/sys/kernel/osrelease') ?? os.release()).trim();
  const uid = options.uid ?? process.getuid?.() ?? -1;
  const gids = options.gids ?? process.getgroups?.() ?? [];
  const userName = options.userName ?? safeUserName();
  const groupsFile = parseGroupFile(read('/etc/group') ?? '');
  const groupName = (gid: number): string => groupsFile.find((g) => g.gid === gid)?.name ?? String(gid);
  const myGroups = [...new Set(gids)].map(groupName);
  const isRoot = uid === 0;

  // 1. platform
  if (process.platform !== 'linux') {
    add({
      id: 'platform',
      title: 'Linux',
      status: 'fail',
      detail: `this is ${process.platform}; the Linux backend needs Linux (evdev + uinput)`,
      fix: 'Use the virtual backend (`keyrx daemon --backend virtual`).',
    });
  } else add({ id: 'platform', title: 'Linux', status: 'ok', detail: `kernel ${kernel}` });

  // 2. FFI
  try {
    (options.loadFfi ?? (() => void libc()))();
    add({ id: 'ffi', title: 'FFI module (koffi)', status: 'ok', detail: 'loaded' });
  } catch (err) {
    add({
      id: 'ffi',
      title: 'FFI module (koffi)',
      status: 'fail',
      detail: err instanceof LinuxBackendUnavailable ? err.reason : (err as Error).message,
      fix: FFI_FIX,
    });
  }

  // 3. uinput: module, node, access
  const uinputExists = exists('/dev/uinput');
  const uinputLoaded = exists('/sys/module/uinput') || uinputExists;
  if (uinputLoaded)
    add({ id: 'uinput-module', title: 'uinput kernel module', status: 'ok', detail: 'loaded' });
  else {
    const config = read(`/boot/config-${kernel}`);
    const setting = config
      ? /^(?:CONFIG_INPUT_UINPUT=([ym])|# CONFIG_INPUT_UINPUT is not set)/m.exec(config)
      : null;
    const noSupport = setting !== null && setting[1] === undefined;
    add({
      id: 'uinput-module',
      title: 'uinput kernel module',
      status: 'fail',
      detail: noSupport
        ? `kernel ${kernel} is built without uinput (CONFIG_INPUT_UINPUT is not set)`
        : 'the uinput module is not loaded',
      fix: noSupport
        ? 'Install a kernel with CONFIG_INPUT_UINPUT (on Debian: the generic linux-image flavour, not -cloud).'
        : 'sudo modprobe uinput\nLoad it at every boot: echo uinput | sudo tee /etc/modules-load.d/keyrx.conf',
    });
  }
  if (!uinputExists)
    add({
      id: 'uinput-device',
      title: '/dev/uinput',
      status: 'fail',
      detail: 'missing',
      fix: uinputLoaded
        ? 'The module is loaded but the node is missing: is devtmpfs/udev running? Try `sudo udevadm trigger`.'
        : 'sudo modprobe uinput',
    });
  else if (can('/dev/uinput', fs.constants.W_OK))
    add({ id: 'uinput-device', title: '/dev/uinput', status: 'ok', detail: 'exists and is writable' });
  else
    add({
      id: 'uinput-device',
      title: '/dev/uinput',
      status: 'fail',
      detail: `not writable by ${userName} (${describeMode(at('/dev/uinput'), groupName)})`,
      fix:
        'Install the udev rule and join the uinput group, then log out and in:\n' +
        '  sudo groupadd --system uinput\n' +
        `  sudo cp ${packagingFileForShell('99-keyrx.rules')} /etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger\n` +
        `  sudo usermod -aG uinput ${userName}\n` +
        '(`keyrx install` does these steps, asking before each one)',
    });

  // 4. evdev and the event nodes
  let nodes: string[] = [];
  try {
    nodes = fs.readdirSync(at('/dev/input')).filter((n) => /^event\d+$/.test(n));
  } catch {
    // no /dev/input
  }
  const readable = new Set(nodes.filter((n) => can(`/dev/input/${n}`, fs.constants.R_OK)));
  if (!exists('/dev/input') && !exists('/sys/module/evdev'))
    add({
      id: 'input-access',
      title: 'input devices (/dev/input/event*)',
      status: 'fail',
      detail: 'no /dev/input: the evdev module is not loaded',
      fix: 'sudo modprobe evdev',
    });
  else if (nodes.length === 0)
    add({
      id: 'input-access',
      title: 'input devices (/dev/input/event*)',
      status: 'warn',
      detail: 'no event nodes: no input device is connected',
      fix: 'Plug in a keyboard; keyrx picks it up when it appears.',
    });
  else if (readable.size === 0)
    add({
      id: 'input-access',
      title: 'input devices (/dev/input/event*)',
      status: 'fail',
      detail: `none of the ${nodes.length} event nodes is readable by ${userName} (${describeMode(at(`/dev/input/${nodes[0]}`), groupName)})`,
      fix: `sudo usermod -aG input ${userName}   # then log out and in`,
    });
  else
    add({
      id: 'input-access',
      title: 'input devices (/dev/input/event*)',
      status: readable.size === nodes.length ? 'ok' : 'warn',
      detail: `${readable.size} of ${nodes.length} event nodes readable`,
      fix:
        readable.size === nodes.length
          ? undefined
          : `Some nodes are not readable: sudo usermod -aG input ${userName}`,
    });

  // 5. group membership
  if (isRoot)
    add({
      id: 'groups',
      title: 'group membership (input, uinput)',
      status: 'ok',
      detail: `running as root (a user service is the recommended setup: see ${packagingFileForShell('keyrx.service')}, or run \`keyrx install\` as your user)`,
    });
  else {
    const missing: string[] = [];
    const pending: string[] = [];
    for (const g of ['input', 'uinput']) {
      if (myGroups.includes(g)) continue;
      const entry = groupsFile.find((e) => e.name === g);
      if (entry?.members.includes(userName)) pending.push(g);
      else missing.push(g);
    }
    const noUinputGroup = !groupsFile.some((e) => e.name === 'uinput');
    if (missing.length === 0 && pending.length === 0)
      add({
        id: 'groups',
        title: 'group membership (input, uinput)',
        status: 'ok',
        detail: 'member of both',
      });
    else {
      const fixes: string[] = [];
      if (noUinputGroup && missing.includes('uinput')) fixes.push('sudo groupadd --system uinput');
      if (missing.length > 0) fixes.push(`sudo usermod -aG ${missing.join(',')} ${userName}`);
      fixes.push('log out and back in (group changes apply to new sessions)');
      // Access can also come from ACLs or a rule granting another group: then this is only a warning.
      const accessOk = can('/dev/uinput', fs.constants.W_OK) && readable.size > 0;
      add({
        id: 'groups',
        title: 'group membership (input, uinput)',
        status: accessOk ? 'warn' : 'fail',
        detail:
          [
            missing.length > 0 ? `not in: ${missing.join(', ')}` : '',
            pending.length > 0 ? `added to ${pending.join(', ')} but this session predates it` : '',
          ]
            .filter(Boolean)
            .join('; ') + ` (current groups: ${myGroups.join(', ') || 'none'})`,
        fix: fixes.join('\n'),
      });
    }
  }

  // 6. udev rule
  const rule = findUinputRule(at);
  if (rule)
    add({
      id: 'udev-rule',
      title: 'udev rule for /dev/uinput',
      status: 'ok',
      detail: `${rule.file} (${rule.line})`,
    });
  else
    add({
      id: 'udev-rule',
      title: 'udev rule for /dev/uinput',
      status: isRoot || can('/dev/uinput', fs.constants.W_OK) ? 'warn' : 'fail',
      detail: 'no rule gives a group access to /dev/uinput (by default only root can use it)',
      fix:
        `sudo cp ${packagingFileForShell('99-keyrx.rules')} /etc/udev/rules.d/\n` +
        'sudo udevadm control --reload && sudo udevadm trigger\n' +
        '(or run `keyrx install`, which also sets up the groups and the service)',
    });

  // 7. devices
  const proc = read('/proc/bus/input/devices');
  const devices =
    proc === undefined ? [] : parseProcInputDevices(proc).map((d) => toDoctorDevice(d, readable));
  const keyboards = devices.filter((d) => d.isKeyboard && !d.own);
  if (proc === undefined)
    add({
      id: 'keyboards',
      title: 'keyboards',
      status: 'skip',
      detail: '/proc/bus/input/devices is not readable',
    });
  else if (keyboards.length === 0)
    add({
      id: 'keyboards',
      title: 'keyboards',
      status: 'warn',
      detail: 'no keyboard found (a keyboard has the letter keys and key repeat)',
      fix: 'Plug in a keyboard; pointers and media-key nodes are not grabbed by default.',
    });
  else {
    const grabbable = keyboards.filter((k) => k.grabbable).length;
    add({
      id: 'keyboards',
      title: 'keyboards',
      status: grabbable > 0 ? 'ok' : 'warn',
      detail: `${keyboards.length} found, ${grabbable} usable: ${keyboards.map((k) => k.name).join(', ')}`,
      fix: grabbable > 0 ? undefined : 'The keyboards are not readable: see the input-access check.',
    });
  }

  return {
    ok: !checks.some((c) => c.status === 'fail'),
    kernel,
    user: { name: userName, uid, groups: myGroups },
    checks,
    keyboards,
    devices,
  };
}

function toDoctorDevice(d: ProcInputDevice, readable: Set<string>): DoctorDevice {
  const { isKeyboard, isPointer } = classify(d.caps);
  const own = isOwnDevice(d.vendor, d.product);
  const canRead = d.event !== undefined && readable.has(d.event);
  return {
    id: deviceId(d.vendor, d.product, d.name, d.phys),
    name: d.name,
    path: d.event ? `/dev/input/${d.event}` : undefined,
    vendor: d.vendor,
    product: d.product,
    phys: d.phys,
    isKeyboard,
    isPointer,
    own,
    readable: canRead,
    grabbable: isKeyboard && !isPointer && !own && canRead,
  };
}

function findUinputRule(at: (p: string) => string): { file: string; line: string } | null {
  for (const dir of UDEV_RULE_DIRS) {
    let files: string[];
    try {
      files = fs.readdirSync(at(dir)).filter((f) => f.endsWith('.rules'));
    } catch {
      continue;
    }
    for (const f of files.sort()) {
      let text: string;
      try {
        text = fs.readFileSync(path.join(at(dir), f), 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        const t = line.trim();
        if (t.startsWith('#')) continue;
        if (/KERNEL=="uinput"/.test(t) && /(GROUP=|MODE=|TAG\+="uaccess")/.test(t))
          return { file: path.join(dir, f), line: t.length > 100 ? t.slice(0, 97) + '...' : t };
      }
    }
  }
  return null;
}

function describeMode(p: string, groupName: (gid: number) => string): string {
  try {
    const st = fs.statSync(p);
    return `mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, owner uid ${st.uid}, group ${groupName(st.gid)}`;
  } catch {
    return 'cannot stat';
  }
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'user';
  }
}

const MARK: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** Plain-text rendering for the CLI. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines: string[] = [];
  lines.push(`keyrx doctor: kernel ${report.kernel}, user ${report.user.name} (uid ${report.user.uid})`);
  for (const c of report.checks) {
    lines.push(`[${MARK[c.status]}] ${c.title}: ${c.detail}`);
    if (c.fix && (c.status === 'fail' || c.status === 'warn'))
      for (const l of c.fix.split('\n')) lines.push(`         ${l}`);
  }
  if (report.devices.length > 0) {
    lines.push('', 'Input devices:');
    for (const d of report.devices) {
      const kind = d.own
        ? 'keyrx output'
        : [d.isKeyboard ? 'keyboard' : '', d.isPointer ? 'pointer' : ''].filter(Boolean).join('+') || 'other';
      const flags = [d.readable ? 'readable' : 'not readable', d.grabbable ? 'will be grabbed' : ''].filter(
        Boolean,
      );
      lines.push(`  ${d.id}  ${d.path ?? '-'}  ${JSON.stringify(d.name)}  [${kind}; ${flags.join(', ')}]`);
    }
  }
  lines.push(
    '',
    report.ok ? 'Everything needed is in place.' : 'Fix the FAIL items above, then run keyrx doctor again.',
  );
  return lines.join('\n');
}
