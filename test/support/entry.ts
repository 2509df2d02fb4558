/**
 * The `keyrx` program the tests run as a process: src/ transpiled to JavaScript once per version
 * of the sources, shared by every test file (each runs in its own process) and every spawn.
 * Starting `node --import tsx src/cli/main.ts` costs seconds of on-the-fly compilation per
 * process (3.2 s to a listening daemon against 1.0 s from JavaScript), and the suite starts
 * hundreds of them.
 *
 * The tree lives in node_modules/.cache/keyrx-test/<hash of src>/ (inside the repository, so
 * its imports resolve from node_modules). Test files that arrive at the same time each build into
 * a temp directory and rename it into place; the first rename wins and the others use it.
 * It is laid out like an installed package (package.json, dist/ui and packaging/ linked in), so
 * a daemon serves the web UI as `npm start` does. KEYRX_TEST_TSX=1 runs the sources through tsx
 * instead.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

export const ROOT = join(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');
const CACHE = join(ROOT, 'node_modules', '.cache', 'keyrx-test');
/** Bump when the tree's layout changes. */
const LAYOUT = 'layout 2';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

let cached: string[] | null = null;

/** Node arguments that run the keyrx CLI: `[...cliEntry(), 'daemon', …]`. */
export function cliEntry(): string[] {
  if (process.env.KEYRX_TEST_TSX === '1') return ['--import', 'tsx', join(SRC, 'cli', 'main.ts')];
  cached ??= [buildOnce()];
  return cached;
}

function buildOnce(): string {
  // read once: the tree is built from exactly the sources its name is the hash of, even when a
  // file is edited meanwhile
  const files = sourceFiles(SRC).map((file) => ({ file, content: readFileSync(file) }));
  const hash = createHash('sha256');
  // the layout below is part of the key too: a change of it must not reuse an old tree
  hash.update(LAYOUT).update(readFileSync(join(ROOT, 'package.json')));
  for (const { file, content } of files)
    hash.update(relative(ROOT, file)).update('\0').update(content).update('\0');
  const dir = join(CACHE, hash.digest('hex').slice(0, 16));
  const main = join(dir, 'dist', 'src', 'cli', 'main.js');
  if (existsSync(main)) {
    // in use: not pruned for another hour
    utimesSync(dir, new Date(), new Date());
    return main;
  }

  const temp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const compilerOptions: ts.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    target: ts.ScriptTarget.ES2023,
    verbatimModuleSyntax: true,
    rewriteRelativeImportExtensions: true,
  };
  for (const { file, content } of files) {
    if (file.endsWith('.d.ts')) continue; // declarations only: no JavaScript to run
    const target = join(temp, 'dist', relative(ROOT, file));
    mkdirSync(dirname(target), { recursive: true });
    if (file.endsWith('.ts'))
      writeFileSync(
        target.replace(/\.ts$/, '.js'),
        ts.transpileModule(content.toString('utf8'), { fileName: file, compilerOptions }).outputText,
      );
    else writeFileSync(target, content); // e.g. the worker loader (.mjs)
  }
  // laid out like an installed package: its package.json (name, version, "type": "module"), the
  // built web UI when there is one, and packaging/ (what doctor and install point at)
  writeFileSync(join(temp, 'package.json'), readFileSync(join(ROOT, 'package.json')));
  symlinkSync(join(ROOT, 'dist', 'ui'), join(temp, 'dist', 'ui'), 'dir');
  symlinkSync(join(ROOT, 'packaging'), join(temp, 'packaging'), 'dir');
  try {
    renameSync(temp, dir);
  } catch {
    // another test file renamed its build into place first: the same sources, so the same tree
    rmSync(temp, { recursive: true, force: true });
  }
  pruneOldBuilds(dir);
  return main;
}

/**
 * Keeps the cache from growing with every edit of src/: builds of other sources go once they are
 * an hour old — not sooner, as a test file still running may use one (sources edited during a run
 * give its later files another build), and a temp dir may be a build in progress.
 */
function pruneOldBuilds(keep: string): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(CACHE)) {
    const path = join(CACHE, name);
    if (path !== keep && statSync(path).mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
  }
}
