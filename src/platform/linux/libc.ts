/**
 * The few libc calls the backend needs, through koffi (prebuilt FFI, no compiler).
 *
 * koffi is loaded lazily on first use, so importing the platform modules never fails on a
 * machine without koffi or /dev/input; only using the backend does, with LinuxBackendUnavailable.
 *
 * ioctl is variadic in C. koffi calls variadic functions through a slower path that cannot be
 * used with .async, so we declare fixed-argument aliases of the same symbol instead
 * (`(int, unsigned long, int)` and `(int, unsigned long, void *)`), which is ABI-compatible for
 * integer and pointer arguments on the x86_64 and aarch64 SysV ABIs.
 *
 * Hot-path calls (read, write, ppoll) return -1 and leave errno to koffi.errno() instead of
 * throwing: a non-blocking read loop ends in EAGAIN on every wake-up, and an exception per
 * wake-up costs ~10 µs against ~1 µs for the call.
 */
import { createRequire } from 'node:module';
import { FFI_FIX, LinuxBackendUnavailable, SyscallError } from './errors.ts';

/** Just the part of koffi's API used here (keeps the build independent of koffi's typings). */
interface KoffiFunction {
  (...args: unknown[]): unknown;
}
interface KoffiLibrary {
  func(name: string, result: string, args: string[]): KoffiFunction;
}
interface KoffiModule {
  load(path: string | null): KoffiLibrary;
  errno(): number;
  version: string;
}

export interface Libc {
  readonly koffiVersion: string;
  ioctlInt(fd: number, request: number, arg: number): number;
  ioctlBuf(fd: number, request: number, buf: Buffer): number;
  read(fd: number, buf: Buffer, length: number): number;
  write(fd: number, buf: Buffer, length: number): number;
  /** ppoll(fds, nfds, timeout (struct timespec) or null = infinite, sigmask = NULL) */
  ppoll(fds: Buffer, nfds: number, timeout: Buffer | null): number;
  eventfd(initval: number, flags: number): number;
  inotifyInit1(flags: number): number;
  inotifyAddWatch(fd: number, path: string, mask: number): number;
  close(fd: number): number;
  /** flock(fd, operation): the daemon's instance lock on its config directory */
  flock(fd: number, operation: number): number;
  /** sched_setscheduler(pid (0: the calling thread), policy, struct sched_param *) */
  schedSetscheduler(pid: number, policy: number, param: Buffer): number;
  errno(): number;
}

let cached: Libc | null = null;
let loadError: LinuxBackendUnavailable | null = null;

/** Loads koffi and binds libc once per thread; throws LinuxBackendUnavailable when koffi is missing. */
export function libc(): Libc {
  if (cached) return cached;
  if (loadError) throw loadError;
  if (process.platform !== 'linux') {
    loadError = new LinuxBackendUnavailable(
      `not Linux (platform ${process.platform})`,
      'Use the virtual backend.',
    );
    throw loadError;
  }
  let koffi: KoffiModule;
  try {
    koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
  } catch (err) {
    loadError = new LinuxBackendUnavailable('the koffi FFI module is not installed', FFI_FIX, { cause: err });
    throw loadError;
  }
  // dlopen(NULL): the symbols node itself links against, i.e. whichever libc this is (glibc or musl).
  const lib = koffi.load(null);
  const ioctlInt = lib.func('ioctl', 'int', ['int', 'unsigned long', 'int']);
  const ioctlBuf = lib.func('ioctl', 'int', ['int', 'unsigned long', 'void *']);
  const read = lib.func('read', 'long', ['int', 'void *', 'unsigned long']);
  const write = lib.func('write', 'long', ['int', 'void *', 'unsigned long']);
  const ppoll = lib.func('ppoll', 'int', ['void *', 'unsigned long', 'void *', 'void *']);
  const eventfd = lib.func('eventfd', 'int', ['unsigned int', 'int']);
  const inotifyInit1 = lib.func('inotify_init1', 'int', ['int']);
  const inotifyAddWatch = lib.func('inotify_add_watch', 'int', ['int', 'const char *', 'uint32_t']);
  const close = lib.func('close', 'int', ['int']);
  const flock = lib.func('flock', 'int', ['int', 'int']);
  const schedSetscheduler = lib.func('sched_setscheduler', 'int', ['int', 'int', 'void *']);
  cached = {
    koffiVersion: koffi.version,
    ioctlInt: (fd, request, arg) => ioctlInt(fd, request, arg) as number,
    ioctlBuf: (fd, request, buf) => ioctlBuf(fd, request, buf) as number,
    read: (fd, buf, length) => read(fd, buf, length) as number,
    write: (fd, buf, length) => write(fd, buf, length) as number,
    ppoll: (fds, nfds, timeout) => ppoll(fds, nfds, timeout, null) as number,
    eventfd: (initval, flags) => eventfd(initval, flags) as number,
    inotifyInit1: (flags) => inotifyInit1(flags) as number,
    inotifyAddWatch: (fd, path, mask) => inotifyAddWatch(fd, path, mask) as number,
    close: (fd) => close(fd) as number,
    flock: (fd, operation) => flock(fd, operation) as number,
    schedSetscheduler: (pid, policy, param) => schedSetscheduler(pid, policy, param) as number,
    errno: () => koffi.errno(),
  };
  return cached;
}

/** ioctl that throws SyscallError (for setup paths, not the key path). */
export function ioctl(fd: number, request: number, arg: number | Buffer = 0, what?: string): number {
  const c = libc();
  const r = typeof arg === 'number' ? c.ioctlInt(fd, request, arg) : c.ioctlBuf(fd, request, arg);
  if (r < 0) throw new SyscallError('ioctl', c.errno(), what ?? `0x${request.toString(16)}`);
  return r;
}

/** Like ioctl() but returns -errno instead of throwing (for probes where failure is expected). */
export function tryIoctl(fd: number, request: number, arg: number | Buffer = 0): number {
  const c = libc();
  const r = typeof arg === 'number' ? c.ioctlInt(fd, request, arg) : c.ioctlBuf(fd, request, arg);
  return r < 0 ? -c.errno() : r;
}
