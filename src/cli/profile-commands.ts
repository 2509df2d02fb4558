/** `keyrx compile`, `check`, `parse`, `view` and the profile loading shared with `simulate`. */
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Config } from '../core/index.ts';
import { configStats, plural } from '../core/index.ts';
import type { CompileResult } from '../dsl/compile.ts';
import { formatDiagnostic, suggest } from '../dsl/diagnostics.ts';
import type { KrxContents } from '../dsl/krx.ts';
import {
  decodeKrx,
  encodeKrx,
  KRX_FORMAT_VERSION,
  KRX_HEADER_SIZE,
  KRX_MAGIC,
  KrxError,
} from '../dsl/krx.ts';
import { COMPILER_VERSION } from '../dsl/version.ts';
import { isValidProfileName } from '../daemon/names.ts';
import { configPaths, resolveConfigDir } from '../daemon/paths.ts';
import { nodeSha256 } from '../daemon/profile-cache.ts';
import { compileSource, loadConfigFile, ProfileLoadError } from '../daemon/profile-files.ts';
import { painter } from './color.ts';
import { CliError, describeFsError } from './errors.ts';
import { summarizeDiagnostics } from './summary.ts';
import { renderKeyboardHtml } from './view-html.ts';

export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** colour what goes to err (diagnostics): see color.ts */
  color: boolean;
  /** colour what goes to out (check's verdict, doctor's report, monitor's lines): see color.ts */
  outColor: boolean;
}

/** The option of every command that takes a profile: where profile names are looked up. */
export interface ProfileArgOptions {
  configDir?: string;
}

export function formatDiagnostics(result: CompileResult, color: boolean): string {
  const lines = result.diagnostics.map((d) =>
    formatDiagnostic(d, result.sources.get(d.span.file) ?? '', { color }),
  );
  const summary = summarizeDiagnostics(result.diagnostics, color);
  if (summary) lines.push(summary);
  return lines.join('\n\n');
}

async function readSource(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read profile '${path}': ${describeFsError(e)}`, 1);
  }
}

/** A profile argument: the file to read, and the config directory for load()'s stdlib. */
export interface ResolvedProfile {
  path: string;
  /** set when the argument was a profile name, found in the config directory's profiles */
  name?: string;
  configDir: string;
}

/** Where the config directory came from, as the daemon resolves it (paths.ts resolveConfigDir). */
function configDirOrigin(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  if (explicit) return 'from --config-dir';
  if (env.KEYRX_CONFIG_DIR) return 'from $KEYRX_CONFIG_DIR';
  if (env.XDG_CONFIG_HOME) return 'from $XDG_CONFIG_HOME';
  return 'the default; --config-dir or $KEYRX_CONFIG_DIR choose another';
}

/** True unless nothing is at `path` (a path the OS refuses to look at counts as there: reading it says why). */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

/** The profile names of a profiles folder (its *.rhai files), sorted; none when it cannot be read. */
async function profileNames(dir: string): Promise<string[]> {
  const files = await readdir(dir).catch(() => [] as string[]);
  return files
    .filter((f) => f.endsWith('.rhai'))
    .map((f) => f.slice(0, -'.rhai'.length))
    .filter((n) => isValidProfileName(n))
    .sort();
}

/**
 * A profile argument is a file (.rhai, .krx, .json) when something is at that path; otherwise a
 * valid profile name means `<config dir>/profiles/<name>.rhai`, the file the daemon runs, found
 * without asking the daemon. A name found nowhere is an error that says where it looked.
 */
export async function resolveProfile(
  arg: string,
  opts: ProfileArgOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedProfile> {
  const configDir = resolveConfigDir(opts.configDir, env);
  if ((await exists(arg)) || !isValidProfileName(arg)) return { path: arg, configDir };
  const dir = configPaths(configDir).profiles;
  const path = join(dir, `${arg}.rhai`);
  const st = await stat(path).catch(() => null);
  if (st?.isFile()) return { path, name: arg, configDir };
  if (st) throw new CliError(`cannot read profile '${path}': not a regular file`, 1);
  const names = await profileNames(dir);
  const close = suggest(arg, names);
  const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? `, … (${names.length} in all)` : '');
  const hint =
    close.length > 0
      ? `; did you mean ${close.join(', ')}?`
      : names.length > 0
        ? `; the profiles there: ${shown}`
        : `; there are no profiles there`;
  throw new CliError(
    `no profile '${arg}': there is no file '${arg}' in ${process.cwd()}, nor ${path} (config directory ${configDirOrigin(opts.configDir, env)})${hint}`,
    1,
  );
}

/** Loads a .rhai/.krx/.json profile; compile errors are printed and exit with 1. */
export async function loadProfile(profile: ResolvedProfile, io: Output): Promise<Config> {
  const { path, configDir } = profile;
  try {
    const { config, compile } = await loadConfigFile(path, { configDir });
    if (compile && compile.diagnostics.length > 0) io.err(formatDiagnostics(compile, io.color));
    return config;
  } catch (e) {
    if (e instanceof ProfileLoadError) {
      if (e.compile) {
        io.err(formatDiagnostics(e.compile, io.color));
        throw new CliError(`${path}: not compiled`, 1);
      }
      throw new CliError(e.message, 1);
    }
    if ((e as NodeJS.ErrnoException).code)
      throw new CliError(`cannot read profile '${path}': ${describeFsError(e)}`, 1);
    throw e;
  }
}

async function compileOrFail(
  profile: ResolvedProfile,
  io: Output,
): Promise<CompileResult & { config: Config }> {
  const { path, configDir } = profile;
  const result = compileSource(await readSource(path), path, { configDir });
  if (result.diagnostics.length > 0) io.err(formatDiagnostics(result, io.color));
  if (!result.config) throw new CliError(`${path}: not compiled`, 1);
  return result as CompileResult & { config: Config };
}

/** `1 device block, 3 mappings, 1 layer` */
export function describeStats(config: Config): string {
  const s = configStats(config);
  return `${plural(s.devices, 'device block')}, ${plural(s.mappings, 'mapping')}, ${plural(s.layers, 'layer')}`;
}

/** Writes next to the target and renames, so a reader never sees half a file. */
async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    throw new CliError(`cannot write '${path}': ${describeFsError(e)}`, 1);
  }
}

/**
 * The default output of compile and view: the input with another extension, or for a profile
 * name `<name><ext>` in the current directory (never into the daemon's profiles folder).
 */
function defaultOutput(profile: ResolvedProfile, ext: string, replaced: RegExp): string {
  if (profile.name !== undefined) return `${profile.name}${ext}`;
  return profile.path.replace(replaced, ext);
}

export async function runCompile(
  input: string,
  opts: ProfileArgOptions & { output?: string },
  io: Output,
): Promise<void> {
  const start = performance.now();
  const profile = await resolveProfile(input, opts);
  const result = await compileOrFail(profile, io);
  const bytes = encodeKrx(result.config, result.sourceHash, { hash: nodeSha256 });
  const output = opts.output ?? defaultOutput(profile, '.krx', /(\.rhai)?$/i);
  await writeAtomic(output, bytes);
  const ms = (performance.now() - start).toFixed(1);
  io.out(
    `compiled ${profile.path} → ${output}: ${describeStats(result.config)}, ${plural(bytes.length, 'byte')}, ${ms} ms`,
  );
}

export async function runCheck(input: string, opts: ProfileArgOptions, io: Output): Promise<void> {
  const profile = await resolveProfile(input, opts);
  const result = await compileOrFail(profile, io);
  io.out(`${profile.path}: ${painter(io.outColor).green('ok')} (${describeStats(result.config)})`);
}

export async function runParse(
  input: string,
  opts: ProfileArgOptions & { json?: boolean },
  io: Output,
): Promise<void> {
  const config = await loadProfile(await resolveProfile(input, opts), io);
  if (opts.json) {
    io.out(JSON.stringify(config, null, 2));
    return;
  }
  for (const [i, block] of config.devices.entries()) {
    io.out(`device_start("${block.pattern}")   # block ${i + 1}`);
    for (const m of block.mappings) {
      // the mapping kinds of the config model (and the API): `conditional`, then its mappings
      if (m.kind === 'conditional') {
        io.out(`  conditional ${JSON.stringify(m.condition)}`);
        for (const inner of m.mappings) io.out(`    ${JSON.stringify(inner)}`);
      } else io.out(`  ${JSON.stringify(m)}`);
    }
  }
}

export async function runView(
  input: string,
  opts: ProfileArgOptions & { output?: string; layout?: string },
  io: Output,
): Promise<void> {
  const layout = await (await import('./layout-commands.ts')).layoutForView(opts.layout ?? 'ansi-104', opts);
  const profile = await resolveProfile(input, opts);
  const config = await loadProfile(profile, io);
  const html = renderKeyboardHtml(config, layout, basename(profile.path));
  const output = opts.output ?? defaultOutput(profile, '.html', /(\.rhai|\.krx|\.json)?$/i);
  await writeAtomic(output, html);
  io.out(`wrote ${output}`);
}

// ---------------------------------------------------------------- .krx: verify and hash

async function readKrxFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new CliError(`cannot read '${path}': ${describeFsError(e)}`, 1);
  }
}

/**
 * `keyrx verify <file.krx> [--source <file.rhai>]`: every check the daemon makes before it uses
 * a cache — magic, format version, length, payload hash, a valid config — one ✓/✗ line each,
 * then what it holds. With --source, also that it was compiled from that source.
 */
export async function runVerify(file: string, opts: { source?: string }, io: Output): Promise<void> {
  const paint = painter(io.outColor);
  const ok = (text: string): void => io.out(`${paint.green('✓')} ${text}`);
  const bytes = await readKrxFile(file);
  let contents: KrxContents;
  try {
    contents = decodeKrx(bytes, { hash: nodeSha256, allowOtherCompiler: true });
  } catch (e) {
    if (!(e instanceof KrxError)) throw e;
    io.out(`${paint.red('✗')} ${e.message}`);
    throw new CliError(`${file}: not a valid .krx (${e.reason})`, 1);
  }
  ok(`${KRX_MAGIC} format ${KRX_FORMAT_VERSION}, ${plural(bytes.length, 'byte')}`);
  ok(`payload SHA-256 ${contents.payloadHash}`);
  ok(`a valid config: ${describeStats(contents.config)}`);
  const same = contents.compilerVersion === COMPILER_VERSION;
  io.out(
    `${same ? paint.green('✓') : paint.yellow('!')} compiled by keyrx ${contents.compilerVersion}${same ? '' : ` (this is ${COMPILER_VERSION}: the daemon recompiles it)`}`,
  );
  io.out(`  source SHA-256 ${contents.sourceHash}`);
  if (opts.source === undefined) return;
  const source = await readSource(opts.source);
  const sourceHash = createHash('sha256').update(source, 'utf8').digest('hex');
  if (sourceHash !== contents.sourceHash) {
    io.out(
      `${paint.red('✗')} compiled from another version of ${opts.source} (its SHA-256 is ${sourceHash})`,
    );
    throw new CliError(`${file} is stale: recompile ${opts.source}`, 1);
  }
  ok(`compiled from ${opts.source} as it is now`);
}

/** `keyrx hash <file.krx> [--verify]`: the payload hash the file carries; --verify recomputes it. */
export async function runHash(file: string, opts: { verify?: boolean }, io: Output): Promise<void> {
  const bytes = await readKrxFile(file);
  if (bytes.length < KRX_HEADER_SIZE)
    throw new CliError(`${file}: not a .krx file (${plural(bytes.length, 'byte')})`, 1);
  const embedded = Buffer.from(bytes.subarray(56, 88)).toString('hex');
  io.out(embedded);
  if (!opts.verify) return;
  const actual = createHash('sha256').update(bytes.subarray(KRX_HEADER_SIZE)).digest('hex');
  if (actual !== embedded) {
    io.err(`mismatch: the payload's SHA-256 is ${actual}`);
    throw new CliError(`${file}: the payload does not match its hash (corrupted)`, 1);
  }
  io.err('verified: the payload matches');
}
