/**
 * Crash-safe file writes: temp file in the same directory → write → fsync → rename →
 * fsync(directory). A crash at any instant leaves the old or the new file, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const TEMP_MARK = '.keyrx-tmp-';

/**
 * `durable: false` skips both fsyncs: readers still see the old or the new file (rename is atomic),
 * but after a power loss the file may be empty; only for data that is verified when read (caches).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
  opts: { durable?: boolean } = {},
): Promise<void> {
  const durable = opts.durable !== false;
  const dir = dirname(path);
  const tmp = join(dir, `${TEMP_MARK}${basename(path)}.${randomBytes(4).toString('hex')}`);
  let handle;
  try {
    handle = await openNew(tmp, mode);
    await handle.writeFile(data);
    if (durable) await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  if (durable) await syncDir(dir);
}

/**
 * Creates `path`; recreates its directory first if it was removed while the daemon runs
 * (`rm -rf` of the config dir), so the next save works instead of failing until a restart.
 */
async function openNew(path: string, mode: number) {
  try {
    return await open(path, 'wx', mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    return await open(path, 'wx', mode);
  }
}

/** fsync a directory so a rename in it is durable. */
export async function syncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync (EPERM); NTFS journals the rename itself
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes temp files a crash left behind; returns how many. */
export async function removeStaleTemps(dir: string): Promise<number> {
  let removed = 0;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  for (const name of names)
    if (name.startsWith(TEMP_MARK)) {
      await unlink(join(dir, name)).catch(() => undefined);
      removed++;
    }
  return removed;
}
