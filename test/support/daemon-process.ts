/**
 * Starts the real `keyrx daemon` as a child process on a free port and waits for the URL it
 * prints. Shared by the process-level tests and the benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

import { cliEntry, ROOT } from './entry.ts';

export { cliEntry, ROOT };
export const CLI = join(ROOT, 'src/cli/main.ts');

export interface DaemonProcess {
  url: string;
  token: string;
  dir: string;
  child: ChildProcess;
  startupMs: number;
  /** resolves with the exit code and signal once the process is gone */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** everything the daemon wrote to stdout so far */
  stdout(): string;
  /** the last 4 KB of stderr (logs) */
  stderr(): string;
  /** authorised JSON request to the daemon's API */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** SIGTERM, then SIGKILL after `graceMs` */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnDaemonOptions {
  dir: string;
  /** pin to this CPU with taskset */
  cpu?: number | null;
  port?: number;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** The environment without KEYRX_* variables, so a developer's own settings never leak into tests. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('KEYRX_')) delete env[k];
  return { ...env, ...extra };
}

/** `daemon` and the arguments every test daemon gets: its config dir, loopback, a port, the virtual backend. */
export function daemonArgs(dir: string, port = 0): string[] {
  return [
    'daemon',
    '--config-dir',
    dir,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--backend',
    'virtual',
  ];
}

export async function spawnDaemon(opts: SpawnDaemonOptions): Promise<DaemonProcess> {
  const args = [...cliEntry(), ...daemonArgs(opts.dir, opts.port), ...(opts.extraArgs ?? [])];
  const [cmd, argv] =
    opts.cpu === undefined || opts.cpu === null
      ? [process.execPath, args]
      : ['taskset', ['-c', String(opts.cpu), process.execPath, ...args]];
  const start = performance.now();
  const child = spawn(cmd, argv, {
    cwd: ROOT,
    env: opts.env ?? cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timeout = opts.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      // a daemon hung while starting would otherwise outlive the test
      child.kill('SIGKILL');
      reject(new Error(`the daemon did not start in ${timeout} ms:\n${out}\n${err}`));
    }, timeout);
    const check = (): void => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`the daemon exited (${code}) before listening:\n${out}\n${err}`));
    });
  });
  const startupMs = performance.now() - start;
  const token = readFileSync(join(opts.dir, 'token'), 'utf8').trim();
  return {
    url,
    token,
    dir: opts.dir,
    child,
    startupMs,
    exited,
    stdout: () => out,
    stderr: () => err,
    async api(method, path, body) {
      const res = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: res.status, json: await res.json() };
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `keyrx <args>` to its end with a clean environment; killed after `timeoutMs` (a hang, not a limit). */
export function runCli(
  args: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliEntry(), ...args], { cwd: ROOT, env: cleanEnv(opts.env) });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    const guard = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end();
  });
}

/**
 * Temp dirs and daemons for one test file: when its tests end, every daemon still running is
 * killed and every dir removed.
 */
export function daemonScope(defaults: Partial<SpawnDaemonOptions> = {}): {
  tempDir(prefix: string): string;
  startDaemon(dir: string, options?: Partial<SpawnDaemonOptions>): Promise<DaemonProcess>;
} {
  const started = new Set<DaemonProcess>();
  const dirs: string[] = [];
  after(async () => {
    for (const d of started) d.child.kill('SIGKILL');
    await Promise.all([...started].map((d) => d.exited));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return {
    tempDir(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    async startDaemon(dir, options = {}) {
      const d = await spawnDaemon({ ...defaults, ...options, dir });
      started.add(d);
      void d.exited.then(() => started.delete(d));
      return d;
    },
  };
}

/** A TCP port nothing listens on right now (for "no daemon there" tests). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address !== 'object') throw new Error('no port');
  return address.port;
}
