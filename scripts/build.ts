/**
 * `npm run build`: the daemon and CLI (tsc → dist/src) and the web UI (vite → dist/ui).
 * `--changed` (what `npm start` uses) builds only a part whose inputs are newer than its output,
 * so a start with a current build begins at once instead of after half a minute of compiling.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BIN = (name: string): string => join(ROOT, 'node_modules', '.bin', name);

interface Part {
  name: string;
  /** files and folders whose changes make the part stale */
  inputs: string[];
  /** written by every build of the part */
  output: string;
  command: string[];
}

const PARTS: Part[] = [
  {
    name: 'daemon and CLI',
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'],
    output: 'dist/src/cli/main.js',
    command: [BIN('tsc'), '-p', 'tsconfig.build.json'],
  },
  {
    name: 'web UI',
    // the UI bundles the engine and the compiler (src/core, src/dsl)
    inputs: [
      'ui/src',
      'ui/public',
      'ui/index.html',
      'ui/vite.config.ts',
      'ui/tsconfig.json',
      'src/core',
      'src/dsl',
      'package.json',
    ],
    output: 'dist/ui/index.html',
    command: [BIN('vite'), 'build', 'ui', '--logLevel', 'warn'],
  },
];

/** The newest modification time below `path` (0 when it does not exist). */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let latest = st.mtimeMs; // a deleted file changes its folder
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

function isCurrent(part: Part): boolean {
  const output = join(ROOT, part.output);
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return part.inputs.every((input) => newest(join(ROOT, input)) <= built);
}

const onlyChanged = process.argv.includes('--changed');
for (const part of PARTS) {
  if (onlyChanged && isCurrent(part)) continue;
  process.stderr.write(`building the ${part.name}…\n`);
  const [cmd, ...args] = part.command;
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`building the ${part.name} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status ?? 1);
  }
}
