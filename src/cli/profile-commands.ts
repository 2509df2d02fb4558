/** `keyrx compile`, `check`, `parse`, `view` and the profile loading shared with `simulate`. */
import { rename, writeFile, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Config, KeyboardLayout } from '../core/index.ts';
import { configStats, LAYOUTS } from '../core/index.ts';
import type { CompileResult } from '../dsl/compile.ts';
import { formatDiagnostic } from '../dsl/diagnostics.ts';
import { encodeKrx } from '../dsl/krx.ts';
import { compileSource, loadConfigFile, nodeSha256, ProfileLoadError } from '../daemon/profile-files.ts';
import { CliError, describeFsError } from './errors.ts';
import { renderKeyboardHtml } from './view-html.ts';

export interface Output {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
}

export function formatDiagnostics(result: CompileResult, color: boolean): string {
  const lines = result.diagnostics.map((d) =>
    formatDiagnostic(d, result.sources.get(d.span.file) ?? '', { color }),
  );
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = result.diagnostics.length - errors;
  const summary = [
    errors && `${errors} error${errors > 1 ? 's' : ''}`,
    warnings && `${warnings} warning${warnings > 1 ? 's' : ''}`,
  ]
    .filter(Boolean)
    .join(', ');
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

/** Loads a .rhai/.krx/.json profile; compile errors are printed and exit with 1. */
export async function loadProfile(path: string, io: Output): Promise<Config> {
  try {
    const { config, compile } = await loadConfigFile(path);
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

async function compileOrFail(path: string, io: Output): Promise<CompileResult & { config: Config }> {
  const result = compileSource(await readSource(path), path);
  if (result.diagnostics.length > 0) io.err(formatDiagnostics(result, io.color));
  if (!result.config) throw new CliError(`${path}: not compiled`, 1);
  return result as CompileResult & { config: Config };
}

function describeStats(config: Config): string {
  const s = configStats(config);
  return `${s.devices} device block${s.devices === 1 ? '' : 's'}, ${s.mappings} mappings, ${s.layers} layers`;
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

export async function runCompile(input: string, opts: { output?: string }, io: Output): Promise<void> {
  const start = performance.now();
  const result = await compileOrFail(input, io);
  const bytes = encodeKrx(result.config, result.sourceHash, { hash: nodeSha256 });
  const output = opts.output ?? input.replace(/(\.rhai)?$/i, '.krx');
  await writeAtomic(output, bytes);
  const ms = (performance.now() - start).toFixed(1);
  io.out(`compiled ${input} → ${output}: ${describeStats(result.config)}, ${bytes.length} bytes, ${ms} ms`);
}

export async function runCheck(input: string, io: Output): Promise<void> {
  const result = await compileOrFail(input, io);
  io.out(`${input}: ok (${describeStats(result.config)})`);
}

export async function runParse(input: string, opts: { json?: boolean }, io: Output): Promise<void> {
  const config = await loadProfile(input, io);
  if (opts.json) {
    io.out(JSON.stringify(config, null, 2));
    return;
  }
  for (const [i, block] of config.devices.entries()) {
    io.out(`device_start("${block.pattern}")   # block ${i + 1}`);
    for (const m of block.mappings) {
      if (m.kind === 'conditional') {
        io.out(`  when ${JSON.stringify(m.condition)}`);
        for (const inner of m.mappings) io.out(`    ${JSON.stringify(inner)}`);
      } else io.out(`  ${JSON.stringify(m)}`);
    }
  }
}

export async function runView(
  input: string,
  opts: { output?: string; layout?: string },
  io: Output,
): Promise<void> {
  const layout = LAYOUTS[(opts.layout ?? 'ansi') as KeyboardLayout['id']];
  if (!layout) throw new CliError(`unknown layout '${opts.layout}' (expected ansi, iso or jis)`, 2);
  const config = await loadProfile(input, io);
  const html = renderKeyboardHtml(config, layout, basename(input));
  const output = opts.output ?? input.replace(/(\.rhai|\.krx|\.json)?$/i, '.html');
  await writeAtomic(output, html);
  io.out(`wrote ${output}`);
}
