/**
 * Compiles a KeyRx profile (Rhai source) to the core config model.
 *
 * No Node APIs: files for `load()` come through an injected ProfileFileSystem, so the
 * browser compiles with the same code (and the bundled stdlib).
 *
 * load(path) search order, from the directory of the file that calls it (KeyRx's):
 *   1. <dir>/path   2. <dir>/stdlib/path   3. each of `stdlibDirs`
 *      (the CLI and daemon pass <config dir>/stdlib and /usr/share/keyrx/stdlib)
 *   4. the bundled stdlib (shift.rhai, ctrl.rhai)
 * An absolute path is only itself (then the bundled stdlib, which has no such name).
 *
 * load() is confined (load-policy.ts): the allowed roots are the main file's folder (with
 * everything below it) and each of `stdlibDirs`. A candidate lexically outside every root is
 * skipped without being looked up, and "searched:" hints name only in-root candidates; when
 * the path itself (the first candidate) leads outside and nothing in a root matched, the call
 * fails with E_LOAD_REFUSED. The file system adapter refuses what only it can see (symbolic
 * links out of the roots, devices, FIFOs, sockets, folders, files over 1 MiB) by throwing
 * LoadRefused, also E_LOAD_REFUSED. No refusal quotes anything of the file it refused.
 *
 * A loaded file runs with a fresh variable scope against the same open device/when blocks,
 * with every built-in available; a load cycle is an error.
 */
import type { BaseMapping, Config, LayerName } from '../core/index.ts';
import { CONFIG_VERSION, plural } from '../core/index.ts';
import type { BlockSpan } from './builtins.ts';
import { createBuiltins, ProfileBuilder } from './builtins.ts';
import type { Diagnostic, SourceSpan } from './diagnostics.ts';
import { ErrorCode, ScriptError } from './diagnostics.ts';
import type { CallContext, Limits } from './interpreter.ts';
import { Interpreter } from './interpreter.ts';
import { describeRoots, isWithin, LoadRefused, loadRoots } from './load-policy.ts';
import { parse } from './parser.ts';
import { dirname, isAbsolute, joinPath } from './paths.ts';
import { sha256Hex } from './sha256.ts';
import { BUNDLED_PREFIX, BUNDLED_STDLIB } from './bundled-stdlib.ts';
import { expectString, UNIT } from './values.ts';
import { COMPILER_VERSION } from './version.ts';

export interface ProfileFileSystem {
  /**
   * The file's text, or undefined when there is no such file. `path` is lexically inside one of
   * `roots` (the compile's allowed folders); an adapter that sees more than names (links, file
   * types, sizes) throws LoadRefused for what the policy refuses, with a reason that quotes
   * nothing of the file.
   */
  readFile(path: string, roots: readonly string[]): string | undefined;
}

export interface CompileOptions {
  /** path of the profile (for diagnostics and relative loads); default `profile.rhai` */
  file?: string;
  fs?: ProfileFileSystem;
  /** stdlib folders load() searches after the caller's folder; each is an allowed root too */
  stdlibDirs?: string[];
  limits?: Partial<Limits>;
}

export interface LoadedFile {
  path: string;
  sha256: string;
}

export interface CompileResult {
  ok: boolean;
  /** the compiled config; null when there is any error */
  config: Config | null;
  /** errors and warnings, by file and position */
  diagnostics: Diagnostic[];
  /** hex SHA-256 of the main source */
  sourceHash: string;
  /** every file run by load(), with its hash (caches must check them too) */
  loaded: LoadedFile[];
  /** text of every file involved, for printing diagnostics */
  sources: Map<string, string>;
  /** print()/debug() output of the script */
  output: string[];
  operations: number;
  /** where each mapping of `config` was declared (the call's span; may be in a loaded file) */
  mappingSpans: ReadonlyMap<BaseMapping, SourceSpan>;
  /** where each device block and conditional block (config objects) opens and closes */
  blockSpans: ReadonlyMap<object, BlockSpan>;
  /** where each layer name of `config` was declared */
  layerNameSpans: ReadonlyMap<LayerName, SourceSpan>;
}

export const MAX_DIAGNOSTICS = 100;
const MAX_LOAD_DEPTH = 32;

export function compileProfile(source: string, opts: CompileOptions = {}): CompileResult {
  const file = opts.file ?? 'profile.rhai';
  const sources = new Map<string, string>([[file, source]]);
  const loaded: LoadedFile[] = [];
  const result = (
    diagnostics: Diagnostic[],
    config: Config | null,
    output: string[] = [],
    operations = 0,
    mappingSpans: ReadonlyMap<BaseMapping, SourceSpan> = new Map(),
    blockSpans: ReadonlyMap<object, BlockSpan> = new Map(),
    layerNameSpans: ReadonlyMap<LayerName, SourceSpan> = new Map(),
  ): CompileResult => {
    const sorted = tidy(diagnostics, file);
    const ok = !sorted.some((d) => d.severity === 'error');
    return {
      ok,
      config: ok ? config : null,
      diagnostics: sorted,
      sourceHash: sha256Hex(source),
      loaded,
      sources,
      output,
      operations,
      mappingSpans,
      blockSpans,
      layerNameSpans,
    };
  };

  const parsed = parse(source, file, {
    maxExprDepth: opts.limits?.maxExprDepth,
    maxSourceBytes: opts.limits?.maxSourceBytes,
  });
  if (parsed.diagnostics.some((d) => d.severity === 'error')) return result(parsed.diagnostics, null);

  const builder = new ProfileBuilder();
  const interpreter = new Interpreter({ ...opts.limits, hostFunctions: createBuiltins(builder) });
  const loadStack: string[] = [file];
  const roots = loadRoots(file, opts.stdlibDirs);

  interpreter.registerFunction({
    name: 'load',
    params: 1,
    call(args, ctx: CallContext) {
      const requested = expectString(args, 0, 'load', ctx);
      const found = resolveLoad(requested, ctx.file, opts.fs, opts.stdlibDirs ?? [], roots);
      const allowed = `load() reads only from: ${describeRoots(roots)}`;
      const searched = found.searched.length > 0 ? `; searched: ${found.searched.join(', ')}` : '';
      if (found.refused !== undefined) {
        throw new ScriptError(`load('${requested}') refused: ${found.refused}`, ctx.argSpans[0], {
          code: ErrorCode.LoadRefused,
          hint: `${allowed}${searched}`,
        });
      }
      if (found.outside !== undefined) {
        throw new ScriptError(
          `load('${requested}') refused: '${found.outside}' is outside the allowed folders`,
          ctx.argSpans[0],
          {
            code: ErrorCode.LoadRefused,
            hint: `${allowed}; move or copy the file into one of them${searched}`,
          },
        );
      }
      if (!found.path) {
        throw new ScriptError(`Import failed: file not found: '${requested}'`, ctx.argSpans[0], {
          code: ErrorCode.Load,
          hint: `searched: ${found.searched.join(', ')}`,
        });
      }
      const path = found.path;
      if (loadStack.includes(path)) {
        throw new ScriptError(`load cycle: ${[...loadStack, path].join(' → ')}`, ctx.argSpans[0], {
          code: ErrorCode.LoadCycle,
        });
      }
      if (loadStack.length > MAX_LOAD_DEPTH)
        throw new ScriptError(`load() nested more than ${MAX_LOAD_DEPTH} files deep`, ctx.argSpans[0], {
          code: 'E_LIMIT',
        });
      const text = found.text!;
      sources.set(path, text);
      if (!loaded.some((l) => l.path === path)) loaded.push({ path, sha256: sha256Hex(text) });
      const inner = parse(text, path, {
        maxExprDepth: opts.limits?.maxExprDepth,
        maxSourceBytes: opts.limits?.maxSourceBytes,
      });
      const errors = inner.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) {
        builder.diagnostics.push(...inner.diagnostics);
        throw new ScriptError(
          `load('${requested}'): ${path} has ${plural(errors.length, 'syntax error')}`,
          ctx.argSpans[0],
          {
            code: ErrorCode.Load,
          },
        );
      }
      loadStack.push(path);
      try {
        interpreter.runNested(inner.program, path);
      } finally {
        loadStack.pop();
      }
      return UNIT;
    },
  });

  const run = interpreter.run(parsed.program, file);
  const aborted = run.diagnostics.some((d) => d.severity === 'error');
  // After an abort the open blocks are an effect of the abort, not a mistake of their own.
  if (!aborted) builder.finish();
  const config: Config = {
    version: CONFIG_VERSION,
    devices: builder.devices,
    ...(builder.unicodeEntry ? { unicodeEntry: builder.unicodeEntry } : {}),
    ...(builder.ledIndicators.length > 0 ? { ledIndicators: builder.ledIndicators } : {}),
    ...(builder.layerNames.length > 0 ? { layerNames: builder.layerNames } : {}),
    metadata: {
      compilerVersion: COMPILER_VERSION,
      sourceHash: sha256Hex(source),
      sourceFile: file,
      ...(loaded.length > 0 ? { inputs: loaded.map((l) => ({ path: l.path, sha256: l.sha256 })) } : {}),
    },
  };
  return result(
    [...parsed.diagnostics, ...builder.diagnostics, ...run.diagnostics],
    config,
    run.output,
    run.operations,
    builder.mappingSpans,
    builder.blockSpans,
    builder.layerNameSpans,
  );
}

interface LoadResolution {
  /** the file found, with its text */
  path?: string;
  text?: string;
  /** the in-root candidates looked at, and the bundled name */
  searched: string[];
  /** the adapter refused an in-root candidate: why */
  refused?: string;
  /** nothing was found and the path itself leads outside every root: that place */
  outside?: string;
}

/**
 * KeyRx's search order, confined to `roots`: candidates outside them are skipped without a
 * look-up; the first one found, or refused, ends the search.
 */
function resolveLoad(
  requested: string,
  fromFile: string,
  fs: ProfileFileSystem | undefined,
  stdlibDirs: readonly string[],
  roots: readonly string[],
): LoadResolution {
  const searched: string[] = [];
  const candidates: string[] = [];
  if (isAbsolute(requested)) candidates.push(joinPath(requested));
  else if (!fromFile.startsWith(BUNDLED_PREFIX)) {
    const dir = dirname(fromFile);
    candidates.push(joinPath(dir, requested), joinPath(dir, 'stdlib', requested));
    for (const d of stdlibDirs) candidates.push(joinPath(d, requested));
  }
  const outside =
    candidates.length > 0 && !roots.some((r) => isWithin(candidates[0], r)) ? candidates[0] : undefined;
  for (const path of candidates) {
    if (!roots.some((r) => isWithin(path, r)) || searched.includes(path)) continue;
    searched.push(path);
    let text: string | undefined;
    try {
      text = fs?.readFile(path, roots);
    } catch (e) {
      if (e instanceof LoadRefused) return { searched, refused: e.reason };
      throw e;
    }
    if (text !== undefined) return { path, text, searched };
  }
  if (isAbsolute(requested)) return { searched, outside };
  const bundled = BUNDLED_STDLIB[requested];
  searched.push(`${BUNDLED_PREFIX}${requested}`);
  if (bundled !== undefined) return { path: `${BUNDLED_PREFIX}${requested}`, text: bundled, searched };
  return { searched, outside };
}

function spanKey(s: SourceSpan): string {
  return `${s.file}\u0000${s.offset}\u0000${s.length}`;
}

/** Main file first, then by position; exact duplicates (a loop repeating one mistake) once; capped. */
function tidy(diagnostics: Diagnostic[], mainFile: string): Diagnostic[] {
  const seen = new Set<string>();
  const unique = diagnostics.filter((d) => {
    const key = `${spanKey(d.span)}\u0000${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  unique.sort(
    (a, b) =>
      Number(a.span.file !== mainFile) - Number(b.span.file !== mainFile) ||
      a.span.file.localeCompare(b.span.file) ||
      a.span.offset - b.span.offset,
  );
  if (unique.length <= MAX_DIAGNOSTICS) return unique;
  const rest = unique.length - MAX_DIAGNOSTICS;
  const capped = unique.slice(0, MAX_DIAGNOSTICS);
  capped.push({
    severity: 'error',
    code: 'E_TOO_MANY',
    message: `${plural(rest, 'more problem')} not shown`,
    span: capped[capped.length - 1].span,
  });
  return capped;
}
