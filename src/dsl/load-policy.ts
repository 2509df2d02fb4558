/**
 * Where `load()` may read from: the lexical (pure) half of the policy. No Node APIs.
 *
 * A compile has a fixed set of roots: the folder of the main profile file (and everything below
 * it) and each stdlib folder. A candidate path lexically outside every root is refused without
 * ever being looked up, so nothing about files elsewhere (their content, or whether they exist)
 * can reach a diagnostic. What only the file system can tell (symbolic links leading out of a
 * root, FIFOs, devices, sizes) is the ProfileFileSystem adapter's part: it refuses by throwing
 * LoadRefused (the daemon's is src/daemon/bounded-read.ts).
 */
import { BUNDLED_STDLIB } from './bundled-stdlib.ts';
import { dirname, isAbsolute, joinPath } from './paths.ts';

/** Largest file load() reads (the compiler's source-size limit). */
export const MAX_LOAD_BYTES = 1_048_576;

/**
 * Thrown by a ProfileFileSystem that refuses a file it could read: `reason` says why, in words
 * that quote nothing of the file (e.g. "'/p/x' is a FIFO, not a regular file").
 */
export class LoadRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'LoadRefused';
  }
}

/** The roots of a compile: the main file's folder, then the stdlib folders; normalised, no duplicates. */
export function loadRoots(mainFile: string, stdlibDirs: readonly string[] = []): string[] {
  const roots: string[] = [];
  for (const r of [dirname(joinPath(mainFile)), ...stdlibDirs.map((d) => joinPath(d))])
    if (!roots.includes(r)) roots.push(r);
  return roots;
}

function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '' && s !== '.');
}

/**
 * Whether `path` is `root` or below it, lexically (both are normalised first). Absolute and
 * relative paths never contain each other; `..` can never stay inside (`a/..` is normalised away,
 * a leading `..` that the root does not have leaves it).
 */
export function isWithin(path: string, root: string): boolean {
  const p = joinPath(path);
  const r = joinPath(root);
  if (isAbsolute(p) !== isAbsolute(r)) return false;
  const ps = segments(p);
  const rs = segments(r);
  if (ps.length < rs.length) return false;
  for (let i = 0; i < rs.length; i++) if (ps[i] !== rs[i]) return false;
  return ps.length === rs.length || ps[rs.length] !== '..';
}

/** The first root `path` is lexically within, if any. */
export function rootOf(path: string, roots: readonly string[]): string | undefined {
  return roots.find((r) => isWithin(path, r));
}

/** The allowed places, for messages. */
export function describeRoots(roots: readonly string[]): string {
  const bundled = Object.keys(BUNDLED_STDLIB).join(', ');
  const shown = roots.map((r) => (r === '.' ? "the profile's folder (.)" : r));
  return [...shown, `the bundled stdlib (${bundled})`].join(', ');
}
