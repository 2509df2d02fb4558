/**
 * Node glue for profile files: compiling a .rhai from disk (with load() reading the real
 * file system), reading .krx caches and JSON configs. Used by the CLI and the daemon.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { extname, join } from 'node:path';
import type { Config } from '../core/index.ts';
import { ConfigError, validateConfig } from '../core/index.ts';
import type { CompileResult, ProfileFileSystem } from '../dsl/compile.ts';
import { compileProfile } from '../dsl/compile.ts';
import type { Hasher } from '../dsl/krx.ts';
import { decodeKrx, KrxError } from '../dsl/krx.ts';

/** node:crypto's SHA-256, ~10× faster than the portable one for cache checks. */
export const nodeSha256: Hasher = (bytes) => createHash('sha256').update(bytes).digest();

/** load() reads files synchronously: compiles are short and run where blocking is acceptable (CLI, compile worker). */
export const nodeProfileFs: ProfileFileSystem = {
  readFile(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
      throw e;
    }
  },
};

/** $XDG_CONFIG_HOME/keyrx/stdlib (else ~/.config/keyrx/stdlib), then /usr/share/keyrx/stdlib. */
export function defaultStdlibDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return [join(configHome, 'keyrx', 'stdlib'), '/usr/share/keyrx/stdlib'];
}

export function compileSource(source: string, path: string): CompileResult {
  return compileProfile(source, { file: path, fs: nodeProfileFs, stdlibDirs: defaultStdlibDirs() });
}

export type ProfileKind = 'rhai' | 'krx' | 'json';

export function profileKind(path: string): ProfileKind | undefined {
  const ext = extname(path).toLowerCase();
  return ext === '.rhai' ? 'rhai' : ext === '.krx' ? 'krx' : ext === '.json' ? 'json' : undefined;
}

export class ProfileLoadError extends Error {
  readonly compile?: CompileResult;
  constructor(message: string, compile?: CompileResult) {
    super(message);
    this.name = 'ProfileLoadError';
    this.compile = compile;
  }
}

/** Reads any profile form into a config: .rhai compiles, .krx is verified, .json validated. */
export async function loadConfigFile(path: string): Promise<{ config: Config; compile?: CompileResult }> {
  const kind = profileKind(path);
  if (kind === 'krx') {
    const bytes = await readFile(path);
    try {
      return { config: decodeKrx(bytes, { hash: nodeSha256 }).config };
    } catch (e) {
      if (e instanceof KrxError) throw new ProfileLoadError(`${path}: ${e.message}`);
      throw e;
    }
  }
  const text = await readFile(path, 'utf8');
  if (kind === 'json') {
    try {
      return { config: validateConfig(JSON.parse(text)) };
    } catch (e) {
      if (e instanceof ConfigError || e instanceof SyntaxError)
        throw new ProfileLoadError(`${path}: ${e.message}`);
      throw e;
    }
  }
  const result = compileSource(text, path);
  if (!result.config) throw new ProfileLoadError(`${path}: the profile has errors`, result);
  return { config: result.config, compile: result };
}

/** Hex SHA-256 of a string's UTF-8 bytes, with node:crypto (same value as the portable sha256Hex). */
export function nodeSha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
