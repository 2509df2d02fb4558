/**
 * Node glue for profile files: compiling a .rhai from disk (with load() reading the real
 * file system, confined to the allowed folders), reading .krx caches and JSON configs. Used by
 * the CLI and the daemon.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Config } from '../core/index.ts';
import { ConfigError, validateConfig } from '../core/index.ts';
import type { CompileResult, ProfileFileSystem } from '../dsl/compile.ts';
import { compileProfile } from '../dsl/compile.ts';
import { decodeKrx, KrxError } from '../dsl/krx.ts';
import { LoadRefused } from '../dsl/load-policy.ts';
import type { RealRootCache } from './bounded-read.ts';
import { readConfinedSync } from './bounded-read.ts';
import { resolveConfigDir } from './paths.ts';
import { nodeSha256, stdlibDirsOf } from './profile-cache.ts';

/**
 * load()'s file system for one compile: synchronous (compiles run where blocking briefly is
 * acceptable: the CLI, the compile worker) but bounded and confined (bounded-read.ts): only
 * regular files of at most 1 MiB really inside the compile's roots are read; everything else
 * throws LoadRefused.
 */
export function confinedProfileFs(): ProfileFileSystem {
  const realRoots: RealRootCache = new Map();
  return {
    readFile(path, roots) {
      const r = readConfinedSync(path, roots, realRoots);
      if (r.kind === 'ok') return r.text;
      if (r.kind === 'missing') return undefined;
      throw new LoadRefused(r.reason);
    },
  };
}

/** The stdlib folders of the config directory in use (resolveConfigDir: $KEYRX_CONFIG_DIR, $XDG_CONFIG_HOME/keyrx, …). */
export function defaultStdlibDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  return stdlibDirsOf(resolveConfigDir(undefined, env));
}

/** Compiles `path`'s text; load() is confined to its folder and the stdlib folders of `configDir`. */
export function compileSource(
  source: string,
  path: string,
  opts: { configDir?: string } = {},
): CompileResult {
  const configDir = opts.configDir ?? resolveConfigDir();
  return compileProfile(source, { file: path, fs: confinedProfileFs(), stdlibDirs: stdlibDirsOf(configDir) });
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
export async function loadConfigFile(
  path: string,
  opts: { configDir?: string } = {},
): Promise<{ config: Config; compile?: CompileResult }> {
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
  const result = compileSource(text, path, opts);
  if (!result.config) throw new ProfileLoadError(`${path}: the profile has errors`, result);
  return { config: result.config, compile: result };
}
