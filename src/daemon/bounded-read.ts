/**
 * The file-system half of load()'s policy (the lexical half is src/dsl/load-policy.ts): reads a
 * file only when it really is a regular file of at most MAX_LOAD_BYTES inside one of the allowed
 * roots, with reads that cannot block or balloon. One algorithm, two drivers: synchronous for the
 * compile worker and the CLI, asynchronous (libuv's thread pool) for the daemon's cache checks.
 *
 * - Each root counts as its real path (a root may itself be a symbolic link, e.g. profiles →
 *   ~/dotfiles/keyrx; one that does not exist yet counts as its nearest existing ancestor's real
 *   path plus the rest).
 * - The path is walked one component at a time from its root's real path with lstat, following
 *   symbolic links by hand. Before anything is looked up it must be inside a real root, or an
 *   ancestor of one (on the way down to it): a link leading anywhere else, existing or dangling,
 *   is refused without touching where it points, so the refusal says nothing about that place.
 * - The end of the walk must be inside a real root and a regular file of at most the cap. It is
 *   then opened O_RDONLY | O_NONBLOCK | O_NOFOLLOW (a FIFO swapped in meanwhile opens without
 *   waiting for a writer and is refused by fstat; a link swapped in fails to open), fstat must
 *   agree, where /proc/self/fd exists the opened file's real path must be inside a root (a
 *   directory swapped for a link meanwhile), and at most cap + 1 bytes are read.
 */
import {
  closeSync,
  close as closeCb,
  constants,
  fstatSync,
  fstat as fstatCb,
  lstatSync,
  lstat as lstatCb,
  openSync,
  open as openCb,
  readlinkSync,
  readlink as readlinkCb,
  readSync,
  read as readCb,
  realpathSync,
  realpath as realpathCb,
  type Stats,
} from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { MAX_LOAD_BYTES } from '../dsl/load-policy.ts';

export { MAX_LOAD_BYTES };

export type ConfinedRead =
  | { kind: 'ok'; text: string; realPath: string }
  | { kind: 'missing' }
  /** `reason` names the path and why, never any of the file's content */
  | { kind: 'refused'; reason: string };

/** Real paths of roots, by root: one per compile (roots do not move during one). */
export type RealRootCache = Map<string, string>;

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);
const MAX_LINKS = 40;
const FIRST_CHUNK = 64 * 1024;

// ----------------------------------------------------------------- the algorithm, driver-neutral

interface Sys {
  lstat(path: string): Stats;
  readlink(path: string): string;
  realpath(path: string): string;
  open(path: string, flags: number): number;
  fstat(fd: number): Stats;
  read(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  close(fd: number): void;
}

type Call = { [K in keyof Sys]: { call: K; args: Parameters<Sys[K]> } }[keyof Sys];
/** Yields a system call, gets its result back (or its error thrown in). */
type Walk<T> = Generator<Call, T, unknown>;

function* sys<K extends keyof Sys>(call: K, ...args: Parameters<Sys[K]>): Walk<ReturnType<Sys[K]>> {
  return (yield { call, args } as Call) as ReturnType<Sys[K]>;
}

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

/** `path` is `root` or below it (both absolute and normalised). */
function inside(path: string, root: string): boolean {
  if (root === sep) return path.startsWith(sep);
  return path === root || path.startsWith(root + sep);
}

function* realRoot(root: string, cache: RealRootCache | undefined): Walk<string> {
  const known = cache?.get(root);
  if (known !== undefined) return known;
  let real: string;
  try {
    real = yield* sys('realpath', root);
  } catch (e) {
    const parent = resolve(root, '..');
    // not there (yet): its nearest existing ancestor's real path, plus the rest
    if ((errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') && parent !== root)
      real = resolve(yield* realRoot(parent, cache), relative(parent, root));
    else real = root;
  }
  cache?.set(root, real);
  return real;
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function describeErrno(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default:
      return code ?? 'unreadable';
  }
}

function* confinedRead(
  path: string,
  roots: readonly string[],
  cache: RealRootCache | undefined,
): Walk<ConfinedRead> {
  const refuse = (why: string): ConfinedRead => ({ kind: 'refused', reason: `'${path}' ${why}` });
  const outside = (): ConfinedRead => refuse('leads outside the allowed folders through a symbolic link');
  if (path.includes('\0')) return refuse('contains a NUL character');
  const target = resolve(path);
  const lexicalRoots = roots.map((r) => resolve(r));
  const home = lexicalRoots.findIndex((r) => inside(target, r));
  // the compiler never asks for these; refused all the same, without a look-up
  if (home < 0) return refuse('is outside the allowed folders');
  const real: string[] = [];
  for (const r of lexicalRoots) real.push(yield* realRoot(r, cache));
  const allowedToLook = (p: string): boolean => real.some((r) => inside(p, r) || inside(r, p));

  let current = real[home];
  const rest = relative(lexicalRoots[home], target).split(sep);
  let links = 0;
  let last: Stats | undefined;
  while (rest.length > 0) {
    const part = rest.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current = resolve(current, '..');
      last = undefined;
      continue;
    }
    const next = resolve(current, part);
    if (!allowedToLook(next)) return outside();
    let st: Stats;
    try {
      st = yield* sys('lstat', next);
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
      return refuse(`cannot be read (${describeErrno(code)})`);
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return refuse(`cannot be read (${describeErrno('ELOOP')})`);
      let to: string;
      try {
        to = yield* sys('readlink', next);
      } catch (e) {
        return refuse(`cannot be read (${describeErrno(errnoOf(e))})`);
      }
      if (isAbsolute(to)) current = sep;
      rest.unshift(...to.split(sep));
      last = undefined;
      continue;
    }
    if (rest.some((p) => p !== '' && p !== '.') && !st.isDirectory()) return { kind: 'missing' };
    current = next;
    last = st;
  }
  if (!real.some((r) => inside(current, r))) return outside();
  if (last === undefined) {
    // the walk ended on a root or after `..`: look at where it is
    try {
      last = yield* sys('lstat', current);
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
      return refuse(`cannot be read (${describeErrno(code)})`);
    }
  }
  const capText = `${MAX_LOAD_BYTES / 1_048_576} MiB`;
  if (!last.isFile()) return refuse(`is ${kindOf(last)}, not a regular file`);
  if (last.size > MAX_LOAD_BYTES) return refuse(`is larger than ${capText}`);

  let fd: number;
  try {
    fd = yield* sys('open', current, OPEN_FLAGS);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT') return { kind: 'missing' };
    // swapped since the walk: ELOOP for a symbolic link, ENXIO for a socket
    if (code === 'ELOOP') return refuse('was replaced by a symbolic link while being read');
    if (code === 'ENXIO') return refuse('is a socket, not a regular file');
    return refuse(`cannot be read (${describeErrno(code)})`);
  }
  try {
    const st = yield* sys('fstat', fd);
    if (!st.isFile()) return refuse(`is ${kindOf(st)}, not a regular file`);
    if (st.size > MAX_LOAD_BYTES) return refuse(`is larger than ${capText}`);
    let opened: string | undefined;
    try {
      opened = yield* sys('readlink', `/proc/self/fd/${fd}`);
    } catch {
      opened = undefined; // no /proc: the walk's checks stand alone
    }
    if (opened !== undefined && opened.startsWith(sep) && !real.some((r) => inside(opened, r)))
      return outside();
    const limit = MAX_LOAD_BYTES + 1;
    let buffer = new Uint8Array(Math.min(Math.max(st.size + 1, 1), limit, FIRST_CHUNK));
    let total = 0;
    for (;;) {
      if (total === buffer.length) {
        if (buffer.length >= limit) break;
        const bigger = new Uint8Array(Math.min(buffer.length * 4, limit));
        bigger.set(buffer);
        buffer = bigger;
      }
      const n = yield* sys('read', fd, buffer, total, buffer.length - total);
      if (n === 0) break;
      total += n;
    }
    if (total > MAX_LOAD_BYTES) return refuse(`is larger than ${capText}`);
    return { kind: 'ok', text: Buffer.from(buffer.buffer, 0, total).toString('utf8'), realPath: current };
  } catch (e) {
    return refuse(`cannot be read (${describeErrno(errnoOf(e))})`);
  } finally {
    try {
      yield* sys('close', fd);
    } catch {
      // nothing to do
    }
  }
}

// ----------------------------------------------------------------- drivers

const syncSys: Sys = {
  lstat: (p) => lstatSync(p),
  readlink: (p) => readlinkSync(p),
  realpath: (p) => realpathSync(p),
  open: (p, flags) => openSync(p, flags),
  fstat: (fd) => fstatSync(fd),
  read: (fd, buffer, offset, length) => readSync(fd, buffer, offset, length, null),
  close: (fd) => closeSync(fd),
};

const lstatP = promisify(lstatCb);
const readlinkP = promisify(readlinkCb);
const realpathP = promisify(realpathCb);
const openP = promisify(openCb);
const fstatP = promisify(fstatCb);
const closeP = promisify(closeCb);
const asyncSys: { [K in keyof Sys]: (...args: Parameters<Sys[K]>) => Promise<ReturnType<Sys[K]>> } = {
  lstat: (p) => lstatP(p),
  readlink: (p) => readlinkP(p),
  realpath: (p) => realpathP(p),
  open: (p, flags) => openP(p, flags),
  fstat: (fd) => fstatP(fd),
  read: (fd, buffer, offset, length) =>
    new Promise((res, rej) => readCb(fd, buffer, offset, length, null, (e, n) => (e ? rej(e) : res(n)))),
  close: (fd) => closeP(fd),
};

/** Calls `c` on a table of Sys-shaped functions (sync or async). */
function invoke(table: Record<keyof Sys, (...args: never[]) => unknown>, c: Call): unknown {
  return table[c.call](...(c.args as unknown as never[]));
}

/**
 * Reads `path` if the policy allows (see the top of this file); `roots` are the allowed folders
 * (relative ones are taken from the current directory). Never blocks on a FIFO or device and
 * never reads more than MAX_LOAD_BYTES + 1 bytes.
 */
export function readConfinedSync(
  path: string,
  roots: readonly string[],
  cache?: RealRootCache,
): ConfinedRead {
  const walk = confinedRead(path, roots, cache);
  let step = walk.next();
  while (!step.done) {
    let result: unknown;
    try {
      result = invoke(syncSys, step.value);
    } catch (e) {
      step = walk.throw(e);
      continue;
    }
    step = walk.next(result);
  }
  return step.value;
}

/** readConfinedSync on libuv's thread pool: for the daemon's main thread. */
export async function readConfined(
  path: string,
  roots: readonly string[],
  cache?: RealRootCache,
): Promise<ConfinedRead> {
  const walk = confinedRead(path, roots, cache);
  let step = walk.next();
  while (!step.done) {
    let result: unknown;
    try {
      result = await invoke(asyncSys, step.value);
    } catch (e) {
      step = walk.throw(e);
      continue;
    }
    step = walk.next(result);
  }
  return step.value;
}
