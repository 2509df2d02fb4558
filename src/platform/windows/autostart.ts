/**
 * Autostart on Windows: the value `keyrx` under HKCU\Software\Microsoft\Windows\CurrentVersion\Run,
 * `"<node.exe>" "<main.js>" daemon`, which Windows runs at every login of this user. No admin
 * rights are needed (HKCU). Written, read and removed with reg.exe.
 *
 * The command lines are built by pure functions (tested on Linux); runAutostart() runs them.
 */
import { spawn } from 'node:child_process';

export const RUN_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';
export const RUN_VALUE = 'keyrx';

/** The command Windows runs at login: `"<node.exe>" "<main.js>" daemon`. */
export function autostartCommand(nodeExe: string, mainJs: string): string {
  for (const p of [nodeExe, mainJs])
    if (p.includes('"')) throw new Error(`a path with a double quote cannot be autostarted: ${p}`);
  return `"${nodeExe}" "${mainJs}" daemon`;
}

/** reg.exe's arguments that write the Run value. */
export function regAddArgs(command: string): string[] {
  return ['add', RUN_KEY, '/v', RUN_VALUE, '/t', 'REG_SZ', '/d', command, '/f'];
}

/** reg.exe's arguments that read the Run value (exit 1 when it is not there). */
export function regQueryArgs(): string[] {
  return ['query', RUN_KEY, '/v', RUN_VALUE];
}

/** reg.exe's arguments that remove the Run value. */
export function regDeleteArgs(): string[] {
  return ['delete', RUN_KEY, '/v', RUN_VALUE, '/f'];
}

/** The value's data in `reg query` output (`    keyrx    REG_SZ    "…" "…" daemon`), or null. */
export function parseRegQuery(stdout: string): string | null {
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^\s+(\S+)\s+REG_(?:EXPAND_)?SZ\s+(.*)$/.exec(line);
    if (m && m[1].toLowerCase() === RUN_VALUE) return m[2].trim();
  }
  return null;
}

export interface RegResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs reg.exe (Windows only). */
export function reg(args: string[]): Promise<RegResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn('reg.exe', args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => resolve({ code: null, stdout, stderr: stderr + e.message }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The Run value now, or null when there is none. */
export async function readAutostart(): Promise<string | null> {
  const r = await reg(regQueryArgs());
  return r.code === 0 ? parseRegQuery(r.stdout) : null;
}
