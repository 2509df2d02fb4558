/**
 * The config directory holds the API token and the profiles that decide what every key does, so
 * on start it must belong to the user running the daemon and be writable by nobody else.
 *
 * Group- or world-writable modes are fixed (chmod go-w) and logged; what cannot be fixed (another
 * owner, a chmod the file system refuses) stops the daemon with the exact command that fixes it.
 * Symbolic links inside the directory are not followed, except the standard folders (profiles/,
 * cache/, stdlib/), whose targets are checked like the folders themselves.
 */
import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { DaemonError } from './errors.ts';

/** Entries checked at most (a config dir has a few dozen); the rest is left alone, with a warning. */
const MAX_ENTRIES = 10_000;
const MAX_DEPTH = 8;
const FOLLOWED = new Set(['profiles', 'cache', 'stdlib']);

export interface ConfigDirCheck {
  /** `path: old mode → new mode` for every mode that was tightened */
  fixed: string[];
  /** true when there were more entries than were checked */
  truncated: boolean;
}

function quote(path: string): string {
  return `'${path.replace(/'/g, "'\\''")}'`;
}

function insecure(message: string): DaemonError {
  return new DaemonError('CONFIG_DIR_INSECURE', message);
}

/** Creates the directory (0700) if needed, then checks and tightens everything in it. */
export async function secureConfigDir(root: string): Promise<ConfigDirCheck> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  // Windows has no POSIX modes (stat says 0o666, chmod changes nothing): %APPDATA% is the user's
  // own by its ACL, which is what the owner and mode checks stand for here
  if (process.platform === 'win32') return { fixed: [], truncated: false };
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  const result: ConfigDirCheck = { fixed: [], truncated: false };
  let seen = 0;

  const check = async (path: string, st: Stats): Promise<void> => {
    if (uid !== null && st.uid !== uid)
      throw insecure(
        `${path} belongs to user ${st.uid}, not to the user running keyrx (${uid}); the config directory holds the API token and every mapping, so only you may own it. Fix: run keyrx as that user, give it another --config-dir, or take the directory over with: sudo chown -R ${uid} ${quote(root)}`,
      );
    const mode = st.mode & 0o7777;
    if ((mode & 0o022) === 0) return;
    const next = mode & ~0o022;
    try {
      await chmod(path, next);
    } catch {
      throw insecure(
        `${path} is writable by ${mode & 0o002 ? 'every user' : 'its group'} (mode ${mode.toString(8)}) and its mode cannot be changed here. Fix: chmod -R go-w ${quote(root)}`,
      );
    }
    result.fixed.push(`${path}: ${mode.toString(8)} → ${next.toString(8)}`);
  };

  const walk = async (dir: string, depth: number): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (++seen > MAX_ENTRIES) {
        result.truncated = true;
        return;
      }
      const path = join(dir, name);
      let st = await lstat(path).catch(() => null);
      if (!st) continue;
      if (st.isSymbolicLink()) {
        if (!(depth === 0 && FOLLOWED.has(name))) continue;
        st = await stat(path).catch(() => null);
        if (!st) continue;
      }
      await check(path, st);
      if (st.isDirectory() && depth < MAX_DEPTH) await walk(path, depth + 1);
    }
  };

  await check(root, await stat(root));
  await walk(root, 0);
  return result;
}
