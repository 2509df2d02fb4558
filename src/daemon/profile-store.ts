/**
 * Profile files on disk: `profiles/<name>.rhai` (the truth) and `cache/<name>.krx`.
 * Every path is built from a validated name, so nothing can leave the config directory;
 * every write is atomic.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeFileAtomic } from './atomic.ts';
import { DaemonError, storageError } from './errors.ts';
import { checkProfileName, isValidProfileName } from './names.ts';
import type { ConfigPaths } from './paths.ts';

export interface ProfileFile {
  name: string;
  size: number;
  modifiedAt: Date;
}

export const PROFILE_EXT = '.rhai';
/** Sources above this are refused (the compiler's own limit). */
export const MAX_PROFILE_BYTES = 1_048_576;

/** What a read of a profile or cache file takes at most (the compiler refuses sources over 1 MiB itself). */
const MAX_READ_BYTES = 64 * 1_048_576;

/**
 * A regular file's bytes, read so that nothing can hang or balloon the daemon: a FIFO or device
 * swapped in for a profile or cache file opens without waiting (O_NONBLOCK) and is refused by
 * fstat (ENOENT: treated as missing), and at most `max` bytes are read (EFBIG beyond).
 */
async function readRegularFile(path: string, max = MAX_READ_BYTES): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'ENOENT' });
    // sized by fstat, grown if the file grows meanwhile, never past max + 1
    let buffer = Buffer.alloc(Math.min(st.size, max) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > max)
          throw Object.assign(new Error(`${path} is larger than ${max} bytes`), { code: 'EFBIG' });
        const grown = Buffer.alloc(Math.min(buffer.length * 2, max + 1));
        buffer.copy(grown);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

export class ProfileStore {
  /** cache writes in flight, by profile name */
  private readonly pendingCache = new Map<string, Promise<void>>();
  constructor(private readonly paths: ConfigPaths) {}

  sourcePath(name: string): string {
    return join(this.paths.profiles, `${checkProfileName(name)}${PROFILE_EXT}`);
  }

  cachePath(name: string): string {
    return join(this.paths.cache, `${checkProfileName(name)}.krx`);
  }

  async ensureDirs(): Promise<void> {
    await mkdir(this.paths.profiles, { recursive: true, mode: 0o700 });
    await mkdir(this.paths.cache, { recursive: true, mode: 0o700 });
  }

  /** Every valid profile file; files with invalid names are ignored (never deleted). */
  async list(): Promise<ProfileFile[]> {
    let names: string[];
    try {
      names = await readdir(this.paths.profiles);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storageError('listing profiles', e);
    }
    const out: ProfileFile[] = [];
    for (const file of names) {
      if (!file.endsWith(PROFILE_EXT)) continue;
      const name = file.slice(0, -PROFILE_EXT.length);
      if (!isValidProfileName(name)) continue;
      try {
        const s = await stat(join(this.paths.profiles, file));
        if (s.isFile()) out.push({ name, size: s.size, modifiedAt: s.mtime });
      } catch {
        // removed between readdir and stat
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async stat(name: string): Promise<ProfileFile | undefined> {
    try {
      const s = await stat(this.sourcePath(name));
      return s.isFile() ? { name, size: s.size, modifiedAt: s.mtime } : undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storageError(`reading profile '${name}'`, e);
    }
  }

  async read(name: string): Promise<string> {
    try {
      return (await readRegularFile(this.sourcePath(name))).toString('utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new DaemonError('PROFILE_NOT_FOUND', `no profile named '${name}'`);
      throw storageError(`reading profile '${name}'`, e);
    }
  }

  async write(name: string, source: string): Promise<void> {
    try {
      await writeFileAtomic(this.sourcePath(name), source, 0o600);
    } catch (e) {
      throw storageError(`saving profile '${name}'`, e);
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await unlink(this.sourcePath(name));
      await syncDir(this.paths.profiles);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new DaemonError('PROFILE_NOT_FOUND', `no profile named '${name}'`);
      throw storageError(`deleting profile '${name}'`, e);
    }
    await this.removeCache(name);
  }

  /** Renames source and cache; the target must not exist (checked by the caller under its lock). */
  async rename(from: string, to: string): Promise<void> {
    try {
      await rename(this.sourcePath(from), this.sourcePath(to));
      await syncDir(this.paths.profiles);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new DaemonError('PROFILE_NOT_FOUND', `no profile named '${from}'`);
      throw storageError(`renaming profile '${from}'`, e);
    }
    await this.pendingCache.get(from);
    await rename(this.cachePath(from), this.cachePath(to)).catch(() => undefined);
  }

  async readCache(name: string): Promise<Uint8Array | undefined> {
    await this.pendingCache.get(name);
    try {
      return await readRegularFile(this.cachePath(name));
    } catch {
      return undefined;
    }
  }

  /**
   * Starts writing a cache without making the caller wait (activation replies sooner); reading,
   * renaming or removing that profile's cache waits for it, and so does flushCaches().
   */
  writeCacheLater(name: string, bytes: Uint8Array): void {
    const previous = this.pendingCache.get(name) ?? Promise.resolve();
    const done = previous
      .then(() => this.writeCache(name, bytes))
      .then(() => {
        if (this.pendingCache.get(name) === done) this.pendingCache.delete(name);
      });
    this.pendingCache.set(name, done);
  }

  /** Waits for every cache write started with writeCacheLater() (shutdown). */
  async flushCaches(): Promise<void> {
    await Promise.all(this.pendingCache.values());
  }

  /** The cache is an optimisation: failing to write it is not an error for the caller. */
  async writeCache(name: string, bytes: Uint8Array): Promise<boolean> {
    try {
      // Not fsynced: a cache is checked against its hashes on every load, so one lost or torn by a
      // crash is only recompiled; activation does not wait for the disk twice more.
      await writeFileAtomic(this.cachePath(name), bytes, 0o600, { durable: false });
      return true;
    } catch {
      return false;
    }
  }

  async removeCache(name: string): Promise<void> {
    await this.pendingCache.get(name);
    await unlink(this.cachePath(name)).catch(() => undefined);
  }
}
