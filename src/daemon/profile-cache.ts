/**
 * The compiled-profile cache check, with light imports only: the daemon's start reads the
 * active profile from here before the compiler, the HTTP server and the schemas are loaded
 * (input-first.ts), and the daemon checks every cache the same way afterwards.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from '../core/index.ts';
import { BUNDLED_PREFIX, BUNDLED_STDLIB } from '../dsl/bundled-stdlib.ts';
import type { Hasher } from '../dsl/krx.ts';
import { decodeKrx } from '../dsl/krx.ts';
import { loadRoots, rootOf } from '../dsl/load-policy.ts';
import { readConfined } from './bounded-read.ts';

/** node:crypto's SHA-256, ~10× faster than the portable one for cache checks. */
export const nodeSha256: Hasher = (bytes) => createHash('sha256').update(bytes).digest();

/** Hex SHA-256 of a string's UTF-8 bytes, with node:crypto (same value as the portable sha256Hex). */
export function nodeSha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The system-wide stdlib folder (root-owned). */
export const SYSTEM_STDLIB_DIR = '/usr/share/keyrx/stdlib';

/** The stdlib folders of a config directory: `<configDir>/stdlib`, then /usr/share/keyrx/stdlib. */
export function stdlibDirsOf(configDir: string): string[] {
  return [join(configDir, 'stdlib'), SYSTEM_STDLIB_DIR];
}

/** Where load() may read from when compiling `mainFile` with this config directory's stdlib. */
export function loadRootsOf(mainFile: string, configDir: string): string[] {
  return loadRoots(mainFile, stdlibDirsOf(configDir));
}

/**
 * The text of a file a cached compile loaded, for checking its hash: read under the same policy
 * as load() (bounded, never blocking); undefined when the path is outside the roots, not there,
 * or refused, so the cache counts as stale and the recompile reports why.
 */
export async function readLoadedInput(
  path: string,
  mainFile: string,
  configDir: string,
): Promise<string | undefined> {
  const roots = loadRootsOf(mainFile, configDir);
  if (rootOf(path, roots) === undefined) return undefined;
  const r = await readConfined(path, roots);
  return r.kind === 'ok' ? r.text : undefined;
}

/**
 * The config in a profile's cache bytes when they are current: compiled from this source (its
 * hash) by this compiler, and every file it load()ed unchanged. null when a loaded file changed
 * or went away; a KrxError when the bytes are stale, foreign or damaged (its `reason` says which).
 */
export async function currentCachedConfig(
  bytes: Uint8Array,
  sourceHash: string,
  mainFile: string,
  configDir: string,
): Promise<Config | null> {
  const { config } = decodeKrx(bytes, { expectSourceHash: sourceHash, hash: nodeSha256 });
  for (const input of config.metadata?.inputs ?? []) {
    const text = input.path.startsWith(BUNDLED_PREFIX)
      ? BUNDLED_STDLIB[input.path.slice(BUNDLED_PREFIX.length)]
      : // bounded and confined like load(): outside the roots, or not a regular file → stale
        await readLoadedInput(input.path, mainFile, configDir);
    if (text === undefined || nodeSha256Hex(text) !== input.sha256) return null;
  }
  return config;
}
