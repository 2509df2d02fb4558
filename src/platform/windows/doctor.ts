/**
 * `keyrx doctor` on Windows: can the backend run here, and what to expect. Checks koffi (the FFI
 * module with its Windows build), the keyboard hook (SetWindowsHookExW, then unhooked at once),
 * whether this process runs elevated (UIPI: a hook of a non-elevated process does not see keys
 * typed into elevated windows, and its SendInput cannot reach them), the keyboards Raw Input
 * lists (device identity), the config directory and the token file (and that its DACL lets no one
 * else read it), and autostart (the HKCU Run value). Read-only but for the hook and the Raw Input
 * registration it makes and removes.
 *
 * runWindowsDoctor() takes its probes as options (the real ones by default), so the verdicts and
 * the text are tested on Linux with fakes.
 */
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import { configPaths, resolveConfigDir } from '../../daemon/paths.ts';
import type { CheckStatus, DoctorCheck } from '../linux/doctor.ts';
import { readAutostart, RUN_KEY, RUN_VALUE } from './autostart.ts';
import { win32 } from './win32.ts';
import { describeRawKeyboard, parseInterfacePath } from './raw-input.ts';
import { watchRawInput } from './raw-input-win32.ts';
import { fileSddl, othersWithAccess } from './acl.ts';

export interface WindowsDoctorReport {
  ok: boolean;
  platform: 'windows';
  /** os.release(), e.g. 10.0.19045 */
  release: string;
  /** running under Wine (then UIPI and elevation mean nothing) */
  wine: boolean;
  user: { name: string; elevated: boolean | null };
  checks: DoctorCheck[];
}

export interface WindowsDoctorProbes {
  /** loads koffi and binds user32; returns its version and whether this is Wine */
  loadFfi(): { koffiVersion: string; wine: boolean };
  /** installs the WH_KEYBOARD_LL hook and removes it; throws when it cannot */
  tryHook(): void;
  /** whether this process's token is elevated, or null when it cannot be told */
  elevated(): boolean | null;
  /** the keyboards Raw Input lists: their names and instance ids; throws when it cannot */
  keyboards(): Array<{ name: string; instance: string; virtual: boolean }>;
  /** who besides the owner (system, administrators) may read a file; throws when it cannot tell */
  othersWithAccess(path: string): string[];
  configDir(): string;
  exists(path: string): boolean;
  /** the Run value's command, or null */
  autostart(): Promise<string | null>;
  userName(): string;
  release(): string;
}

function realElevated(): boolean | null {
  try {
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(p: string): { func(s: string): (...a: unknown[]) => unknown };
    };
    const kernel32 = koffi.load('kernel32.dll');
    const advapi32 = koffi.load('advapi32.dll');
    const GetCurrentProcess = kernel32.func('void * __stdcall GetCurrentProcess()');
    const CloseHandle = kernel32.func('bool __stdcall CloseHandle(void *h)');
    const OpenProcessToken = advapi32.func(
      'bool __stdcall OpenProcessToken(void *proc, uint32_t access, _Out_ void **token)',
    );
    const GetTokenInformation = advapi32.func(
      'bool __stdcall GetTokenInformation(void *token, int cls, _Out_ uint32_t *info, uint32_t len, _Out_ uint32_t *ret)',
    );
    const token: unknown[] = [null];
    if (!OpenProcessToken(GetCurrentProcess(), 0x0008 /* TOKEN_QUERY */, token)) return null;
    const info = [0];
    const ok = GetTokenInformation(token[0], 20 /* TokenElevation */, info, 4, [0]);
    CloseHandle(token[0]);
    return ok ? info[0] !== 0 : null;
  } catch {
    return null;
  }
}

export const realProbes: WindowsDoctorProbes = {
  loadFfi() {
    const w = win32();
    return { koffiVersion: w.koffiVersion, wine: w.wine };
  },
  tryHook() {
    const w = win32();
    const unhook = w.hookKeyboard((nCode, wParam, lParam) => w.callNextHook(nCode, wParam, lParam));
    unhook();
  },
  elevated: realElevated,
  keyboards() {
    const raw = watchRawInput({ now: () => 0, onLate: () => undefined, onDeviceChange: () => undefined });
    try {
      return raw.keyboards().map((k) => {
        const parsed = parseInterfacePath(k.path);
        return { name: describeRawKeyboard(k).name, instance: parsed.instance, virtual: parsed.virtual };
      });
    } finally {
      raw.close();
    }
  },
  othersWithAccess: (path) => othersWithAccess(fileSddl(path)),
  configDir: () => resolveConfigDir(),
  exists: (p) => fs.existsSync(p),
  autostart: readAutostart,
  userName: () => {
    try {
      return os.userInfo().username;
    } catch {
      return process.env.USERNAME ?? 'user';
    }
  },
  release: () => os.release(),
};

export async function runWindowsDoctor(
  probes: WindowsDoctorProbes = realProbes,
): Promise<WindowsDoctorReport> {
  const checks: DoctorCheck[] = [];
  const add = (id: string, title: string, status: CheckStatus, detail: string, fix?: string): void => {
    checks.push(fix === undefined ? { id, title, status, detail } : { id, title, status, detail, fix });
  };

  let wine = false;
  let ffi = false;
  try {
    const r = probes.loadFfi();
    wine = r.wine;
    ffi = true;
    add('ffi', 'koffi (FFI) loads', 'ok', `koffi ${r.koffiVersion}${r.wine ? ', under Wine' : ''}`);
  } catch (e) {
    add(
      'ffi',
      'koffi (FFI) loads',
      'fail',
      (e as Error).message,
      'reinstall keyrx with the Node for Windows that runs it (npm i -g keyrx): koffi ships its Windows build as a prebuilt package',
    );
  }

  if (!ffi) add('hook', 'keyboard hook (WH_KEYBOARD_LL)', 'skip', 'needs koffi');
  else
    try {
      probes.tryHook();
      add(
        'hook',
        'keyboard hook (WH_KEYBOARD_LL)',
        'ok',
        'SetWindowsHookExW succeeded (and was removed again)',
      );
    } catch (e) {
      add(
        'hook',
        'keyboard hook (WH_KEYBOARD_LL)',
        'fail',
        (e as Error).message,
        'security software can block low-level keyboard hooks: allow node.exe, then run keyrx doctor again',
      );
    }

  const elevated = ffi ? probes.elevated() : null;
  if (elevated === null) add('elevation', 'elevation (UIPI)', 'skip', 'could not read the process token');
  else if (elevated)
    add(
      'elevation',
      'elevation (UIPI)',
      'ok',
      'running elevated (as administrator): keys typed into every window are seen, elevated ones included' +
        (wine ? ' (Wine has no integrity levels)' : ''),
    );
  else
    add(
      'elevation',
      'elevation (UIPI)',
      'warn',
      'not elevated: keys typed while an elevated window has the focus (an administrator console, Task Manager, UAC prompts) are not seen by keyrx and pass unmapped; keyrx cannot type into such windows either',
      'that is usually fine; to remap in elevated windows too, start keyrx from an elevated prompt (the autostart entry runs it non-elevated)',
    );

  if (!ffi) add('keyboards', 'keyboards (Raw Input)', 'skip', 'needs koffi');
  else
    try {
      const all = probes.keyboards();
      const physical = all.filter((k) => !k.virtual);
      if (physical.length === 0)
        add(
          'keyboards',
          'keyboards (Raw Input)',
          'warn',
          all.length === 0 ? 'Raw Input lists no keyboard' : 'Raw Input lists only virtual keyboards',
          'keys still reach the hook; device blocks and per-device settings need a listed keyboard',
        );
      else
        add(
          'keyboards',
          'keyboards (Raw Input)',
          'ok',
          physical.map((k) => `${k.name} (${k.instance})`).join('; '),
        );
    } catch (e) {
      add(
        'keyboards',
        'keyboards (Raw Input)',
        'warn',
        (e as Error).message,
        'keys still reach the hook, but every key counts as one keyboard (windows-keyboard): device blocks match that one only',
      );
    }

  const dir = probes.configDir();
  const paths = configPaths(dir);
  if (probes.exists(dir)) add('config-dir', 'config directory', 'ok', dir);
  else
    add(
      'config-dir',
      'config directory',
      'warn',
      `${dir} does not exist yet`,
      'the first `keyrx daemon` creates it (with a default profile)',
    );
  if (probes.exists(paths.token)) {
    let others: string[] | null = null;
    let why = '';
    try {
      others = probes.othersWithAccess(paths.token);
    } catch (e) {
      why = (e as Error).message;
    }
    if (others === null)
      add('token', 'API token file', 'warn', `${paths.token}: its access list could not be read (${why})`);
    else if (others.length === 0)
      add('token', 'API token file', 'ok', `${paths.token}, readable by its owner only`);
    else
      add(
        'token',
        'API token file',
        'fail',
        `${paths.token} is readable by ${others.join(', ')}: they could drive the API (read and inject keys)`,
        'restart the daemon: it gives the file an owner-only access list at start',
      );
  } else
    add(
      'token',
      'API token file',
      'warn',
      `no ${paths.token}`,
      'the daemon writes it at start; the CLI and the web UI need it',
    );

  const run = await probes.autostart().catch(() => null);
  if (run !== null) add('autostart', 'autostart at login', 'ok', `${RUN_KEY}\\${RUN_VALUE} = ${run}`);
  else
    add(
      'autostart',
      'autostart at login',
      'warn',
      `no ${RUN_KEY}\\${RUN_VALUE}: keyrx does not start at login`,
      'keyrx install --autostart',
    );

  return {
    ok: checks.every((c) => c.status !== 'fail'),
    platform: 'windows',
    release: probes.release(),
    wine,
    user: { name: probes.userName(), elevated },
    checks,
  };
}

const MARK: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function formatWindowsDoctorReport(report: WindowsDoctorReport): string {
  const lines: string[] = [
    `keyrx doctor: Windows ${report.release}${report.wine ? ' (Wine)' : ''}, user ${report.user.name}`,
  ];
  for (const c of report.checks) {
    lines.push(`[${MARK[c.status]}] ${c.title}: ${c.detail}`);
    if (c.fix && (c.status === 'fail' || c.status === 'warn'))
      for (const l of c.fix.split('\n')) lines.push(`         ${l}`);
  }
  lines.push(
    '',
    report.ok ? 'Everything needed is in place.' : 'Fix the FAIL items above, then run keyrx doctor again.',
  );
  return lines.join('\n');
}
