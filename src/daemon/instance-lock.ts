/**
 * One daemon per config directory: `<config dir>/daemon.lock`, held with flock(2) for the
 * daemon's whole life and holding its pid (for the message a second daemon prints).
 *
 * flock is released by the kernel when the process dies however it dies, so a crash never leaves
 * a lock behind, and nobody else can take it: the file lives in the user's 0700 directory. Where
 * flock is not available (no FFI module, not Linux) an exclusive-create pid file is the fallback;
 * a pid file whose process is gone is taken over.
 */
import { closeSync, constants, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonError } from './errors.ts';

export const LOCK_FILE = 'daemon.lock';
const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;

export interface InstanceLock {
  readonly path: string;
  release(): void;
}

function alreadyRunning(root: string, pidText: string): DaemonError {
  const pid = /^\d+$/.test(pidText.trim()) ? ` (pid ${pidText.trim()})` : '';
  return new DaemonError(
    'ALREADY_RUNNING',
    `another keyrx daemon${pid} is already using ${root}; stop it first (keyrx status shows it), or start this one with another --config-dir`,
  );
}

function readPid(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(0, 32);
  } catch {
    return '';
  }
}

async function loadFlock(): Promise<((fd: number) => number) | null> {
  if (process.platform !== 'linux') return null;
  try {
    const { libc } = await import('../platform/linux/libc.ts');
    const c = libc();
    return (fd) => (c.flock(fd, LOCK_EX | LOCK_NB) === 0 ? 0 : c.errno());
  } catch {
    return null;
  }
}

/**
 * Takes the config directory's lock, or throws ALREADY_RUNNING naming the daemon that has it. On a
 * read-only file system without a lock file nothing can be locked (nor changed): `unlocked` says so.
 */
export async function acquireInstanceLock(root: string): Promise<InstanceLock & { unlocked?: string }> {
  const path = join(root, LOCK_FILE);
  const flock = await loadFlock();
  if (flock) {
    // read-only: a descriptor open for writing would keep the file system from being remounted read-only
    const fd = openUnlessReadOnly(path, constants.O_RDONLY | constants.O_CREAT | constants.O_NOFOLLOW);
    if (fd === null) return unlocked(path);
    const errno = flock(fd);
    if (errno !== 0) {
      closeSync(fd);
      if (errno === EWOULDBLOCK) throw alreadyRunning(root, readPid(path));
      throw new DaemonError('STORAGE_ERROR', `cannot lock ${path} (errno ${errno})`);
    }
    // the pid is for the message a second daemon prints; the lock is the descriptor
    const wrote = tryWrite(path, `${process.pid}\n`);
    let held = true;
    return {
      path,
      release() {
        if (!held) return;
        held = false;
        // emptied, not removed: a daemon starting now locks this same file, never a new one
        if (wrote) tryWrite(path, '');
        closeSync(fd);
      },
    };
  }
  return pidFileLock(root, path);
}

function tryWrite(path: string, text: string): boolean {
  try {
    writeFileSync(path, text, { mode: 0o600 });
    return true;
  } catch {
    return false;
  }
}

/** The descriptor, or null on a read-only file system (where the file cannot be created). */
function openUnlessReadOnly(path: string, flags: number): number | null {
  try {
    return openSync(path, flags, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EROFS') return null;
    throw e;
  }
}

function unlocked(path: string): InstanceLock & { unlocked: string } {
  return { path, unlocked: 'the config directory is read-only', release: () => undefined };
}

function pidFileLock(root: string, path: string): InstanceLock & { unlocked?: string } {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openUnlessReadOnly(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
      if (fd === null) return unlocked(path);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let held = true;
      return {
        path,
        release() {
          if (!held) return;
          held = false;
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pidText = readPid(path);
      const pid = Number(pidText.trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) throw alreadyRunning(root, pidText);
      try {
        unlinkSync(path); // left by a daemon that died
      } catch {
        // another starter removed it first; try again
      }
    }
  }
  throw alreadyRunning(root, readPid(path));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
