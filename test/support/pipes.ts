/**
 * Pipes standing in for a keyboard and the uinput output (the linux backend's pipe seam,
 * LinuxBackendOptions.pipes and KEYRX_PIPE_FDS), made and driven with the same calls through the
 * same FFI (koffi) as the backend: for the key-path and start-up benchmarks and their tests.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { monotonicUs } from '../../src/platform/types.ts';
import { ROOT } from './daemon-process.ts';

const require = createRequire(import.meta.url);

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
export const POLLIN = 1;

interface Koffi {
  load(path: null): { func(name: string, result: string, args: string[]): (...a: unknown[]) => number };
  errno(): number;
}

interface Libc {
  pipe2: (fds: Buffer, flags: number) => number;
  /** timeout: struct timespec, or null to wait forever */
  ppoll: (fds: Buffer, n: number, ts: Buffer | null) => number;
  read: (fd: number, buf: Buffer, length: number) => number;
  write: (fd: number, buf: Buffer, length: number) => number;
}

/** The same calls through the same FFI as the backend (koffi), so the floor phase is comparable. */
export function libc(): Libc {
  const koffi = require('koffi') as Koffi;
  const lib = koffi.load(null);
  const pipe2 = lib.func('pipe2', 'int', ['void *', 'int']);
  const ppoll = lib.func('ppoll', 'int', ['void *', 'unsigned long', 'void *', 'void *']);
  const read = lib.func('read', 'long', ['int', 'void *', 'unsigned long']);
  const write = lib.func('write', 'long', ['int', 'void *', 'unsigned long']);
  return {
    pipe2: (fds, flags) => pipe2(fds, flags),
    ppoll: (fds, n, ts) => ppoll(fds, n, ts, null),
    read: (fd, buf, length) => read(fd, buf, length),
    write: (fd, buf, length) => write(fd, buf, length),
  };
}

/** A non-blocking, close-on-exec pipe: [read end, write end]. */
export function pipe(): [number, number] {
  const fds = Buffer.alloc(8);
  if (libc().pipe2(fds, O_NONBLOCK | O_CLOEXEC) !== 0) throw new Error('pipe2 failed');
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}

export const KEY_A = 30;
export const KEY_B = 48;

/** One struct input_event (24 bytes) and its SYN_REPORT, stamped now. */
export function keyReport(code: number, value: number): Buffer {
  const b = Buffer.alloc(48);
  const us = monotonicUs();
  b.writeBigInt64LE(BigInt(Math.floor(us / 1e6)), 0);
  b.writeBigInt64LE(BigInt(Math.floor(us % 1e6)), 8);
  b.writeUInt16LE(1, 16);
  b.writeUInt16LE(code, 18);
  b.writeInt32LE(value, 20);
  b.copy(b, 24, 0, 16); // SYN_REPORT: type 0, code 0, value 0
  return b;
}

export interface TypedStart {
  /** spawn → the first B press read from the output pipe */
  liveMs: number;
  /** A events that came out as they were typed (not remapped) */
  unmapped: number;
  /** every key event out, in order, as "code:value" */
  keysOut: string[];
  stderr: string;
}

/**
 * Spawns `node ...args` with a pipe keyboard as fd 3 and the output pipe as fd 4
 * (KEYRX_PIPE_FDS=3:4), types A (press, release, …) every 2 ms from the spawn on, and records
 * every key event out until B came out; then stops the daemon (SIGTERM, SIGKILL after 5 s).
 */
export async function typeThroughStart(opts: {
  args: string[];
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}): Promise<TypedStart> {
  const [inRead, inWrite] = pipe();
  const [outRead, outWrite] = pipe();
  const t0 = performance.now();
  const child = spawn(process.execPath, opts.args, {
    cwd: ROOT,
    env: { ...opts.env, KEYRX_PIPE_FDS: '3:4' },
    stdio: ['ignore', 'ignore', 'pipe', inRead, outWrite],
  });
  fs.closeSync(inRead);
  fs.closeSync(outWrite);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // 'close': the process ended and its stderr was read to the end
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const buf = Buffer.alloc(24 * 64);
  const keysOut: string[] = [];
  let liveMs = NaN;
  let down = false;
  try {
    while (Number.isNaN(liveMs)) {
      if (child.exitCode !== null)
        throw new Error(`the daemon exited (${child.exitCode}) before remapping:\n${stderr}`);
      if (performance.now() - t0 > opts.timeoutMs)
        throw new Error(`no remapped key within ${opts.timeoutMs} ms:\n${stderr}`);
      try {
        fs.writeSync(inWrite, keyReport(KEY_A, down ? 0 : 1));
        down = !down;
      } catch {
        // EAGAIN: the daemon is not reading yet and the pipe is full
      }
      for (;;) {
        let n = 0;
        try {
          n = fs.readSync(outRead, buf, 0, buf.length, null);
        } catch {
          break; // EAGAIN
        }
        if (n <= 0) break;
        for (let off = 0; off + 24 <= n; off += 24) {
          if (buf.readUInt16LE(off + 16) !== 1) continue;
          const code = buf.readUInt16LE(off + 18);
          const value = buf.readInt32LE(off + 20);
          keysOut.push(`${code}:${value}`);
          if (code === KEY_B && value === 1 && Number.isNaN(liveMs)) liveMs = performance.now() - t0;
        }
      }
      if (Number.isNaN(liveMs)) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    if (down) fs.writeSync(inWrite, keyReport(KEY_A, 0));
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    fs.closeSync(inWrite);
    fs.closeSync(outRead);
  }
  // after the exit: stderr has the daemon's last lines (its shutdown) too
  const unmapped = keysOut.filter((k) => k.startsWith(`${KEY_A}:`)).length;
  return { liveMs, unmapped, keysOut, stderr };
}
