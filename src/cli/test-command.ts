/**
 * `keyrx test`: runs scenario files (src/core/scenario.ts — a profile, then cases of input script
 * → expected output, held keys, layers, decisions) through the engine, the same simulation the
 * daemon, the REST simulator and the browser run. A file names its profile (`== profile`, `==
 * config`, `== profile-file: PATH`), or `--profile` gives one for every file. With no paths:
 * every `*.txt` of `<config dir>/tests`. Exit 1 when a case fails or a profile does not compile.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { CaseResult, Config, ScenarioFile } from '../core/index.ts';
import { parseScenario, plural, runScenario, ScenarioFormatError, validateConfig } from '../core/index.ts';
import { resolveConfigDir } from '../daemon/paths.ts';
import { compileSource } from '../daemon/profile-files.ts';
import { formatDiagnostic } from '../dsl/diagnostics.ts';
import { painter } from './color.ts';
import { CliError, describeFsError } from './errors.ts';
import type { Output, ProfileArgOptions } from './profile-commands.ts';
import { resolveProfile } from './profile-commands.ts';

export interface TestOptions extends ProfileArgOptions {
  profile?: string;
  /** only cases whose name contains this (case-insensitive) */
  scenario?: string;
  json?: boolean;
}

interface FileReport {
  file: string;
  profile: string;
  /** why the profile could not be used (then no case ran) */
  error?: string;
  cases: Array<{ name: string; line: number; ok: boolean; problems: string[] }>;
}

async function scenarioFiles(paths: string[], opts: TestOptions): Promise<string[]> {
  const roots = paths.length > 0 ? paths : [join(resolveConfigDir(opts.configDir), 'tests')];
  const out: string[] = [];
  for (const p of roots) {
    const st = await stat(p).catch((e: unknown) => {
      throw new CliError(
        paths.length === 0
          ? `no scenario files given, and ${p} does not exist: name files or folders (keyrx test my-tests/)`
          : `cannot read '${p}': ${describeFsError(e)}`,
        paths.length === 0 ? 2 : 1,
      );
    });
    if (st.isDirectory())
      out.push(
        ...(await readdir(p))
          .filter((f) => f.endsWith('.txt'))
          .sort()
          .map((f) => join(p, f)),
      );
    else out.push(p);
  }
  if (out.length === 0) throw new CliError(`no scenario files (*.txt) in ${roots.join(', ')}`, 1);
  return out;
}

/** The config a scenario runs against, or why there is none (diagnostics as file:line:col). */
async function configFor(
  scenario: ScenarioFile,
  file: string,
  opts: TestOptions,
): Promise<{ config: Config; label: string } | { error: string; label: string }> {
  let path: string;
  let label: string;
  if (opts.profile !== undefined) {
    const p = await resolveProfile(opts.profile, opts);
    path = p.path;
    label = p.name ?? p.path;
  } else if (scenario.profile.kind === 'file') {
    path = resolve(dirname(file), scenario.profile.text);
    label = scenario.profile.text;
  } else if (scenario.profile.kind === 'config') {
    try {
      return { config: validateConfig(JSON.parse(scenario.profile.text)), label: 'its config section' };
    } catch (e) {
      return {
        error: `${file}:${scenario.profile.line}: ${(e as Error).message}`,
        label: 'its config section',
      };
    }
  } else {
    const compiled = compileSource(scenario.profile.text, file, {
      configDir: resolveConfigDir(opts.configDir),
    });
    if (compiled.config) return { config: compiled.config, label: 'its profile section' };
    return {
      label: 'its profile section',
      // the profile section starts at its own line: diagnostics count from there
      error: compiled.diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => `${file}:${d.span.line + scenario.profile.line - 1}:${d.span.column}: ${d.message}`)
        .join('\n'),
    };
  }
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (e) {
    return { error: `cannot read profile '${path}': ${describeFsError(e)}`, label };
  }
  const compiled = compileSource(source, path, { configDir: resolveConfigDir(opts.configDir) });
  if (compiled.config) return { config: compiled.config, label };
  return {
    label,
    error: compiled.diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => formatDiagnostic(d, compiled.sources.get(d.span.file) ?? ''))
      .join('\n'),
  };
}

export async function runTest(paths: string[], opts: TestOptions, io: Output): Promise<void> {
  const paint = painter(io.outColor);
  const reports: FileReport[] = [];
  for (const file of await scenarioFiles(paths, opts)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read '${file}': ${describeFsError(e)}`, 1);
    }
    let scenario: ScenarioFile;
    try {
      scenario = parseScenario(text, file);
    } catch (e) {
      if (e instanceof ScenarioFormatError) throw new CliError(e.message, 2);
      throw e;
    }
    if (opts.scenario !== undefined) {
      const want = opts.scenario.toLowerCase();
      scenario = { ...scenario, cases: scenario.cases.filter((c) => c.name.toLowerCase().includes(want)) };
    }
    const target = await configFor(scenario, file, opts);
    const report: FileReport = { file, profile: target.label, cases: [] };
    if ('error' in target) report.error = target.error;
    else
      report.cases = runScenario(target.config, scenario).map((r: CaseResult) => ({
        name: r.case.name,
        line: r.case.line,
        ok: r.ok,
        problems: r.problems,
      }));
    reports.push(report);
  }
  const cases = reports.flatMap((r) => r.cases);
  const failed = cases.filter((c) => !c.ok).length;
  const broken = reports.filter((r) => r.error !== undefined).length;
  if (opts.json)
    io.out(JSON.stringify({ files: reports, passed: cases.length - failed, failed, broken }, null, 2));
  else {
    for (const r of reports) {
      io.out(`${r.file} (profile: ${r.profile})`);
      if (r.error !== undefined) {
        io.out(`  ${paint.red('FAIL')} the profile does not compile:`);
        for (const l of r.error.split('\n')) io.out(`    ${l}`);
        continue;
      }
      if (r.cases.length === 0) io.out(`  ${paint.dim('no case matches')}`);
      for (const c of r.cases) {
        io.out(
          `  ${c.ok ? paint.green('ok  ') : paint.red('FAIL')} ${c.name}${c.ok ? '' : ` (${r.file}:${c.line})`}`,
        );
        for (const p of c.problems) io.out(`       ${p}`);
      }
    }
    io.out(
      `${plural(cases.length - failed, 'case')} passed, ${failed} failed` +
        (broken > 0 ? `; ${plural(broken, 'profile')} did not compile` : ''),
    );
  }
  if (failed > 0 || broken > 0) throw new CliError('some scenarios failed (see above)', 1);
  if (cases.length === 0) throw new CliError('no case ran', 1);
}
