/**
 * `npm run bench:compile`: cold and warm compile time of the 500-line example profile,
 * .krx cache load time (node:crypto and portable SHA-256), and engine construction.
 * KeyRx's seed report gives ~50 ms for compilation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../src/core/index.ts';
import { nodeSha256 } from '../src/daemon/profile-cache.ts';
import { compileSource } from '../src/daemon/profile-files.ts';
import { decodeKrx, encodeKrx } from '../src/dsl/krx.ts';

export const BENCH_PROFILE = join(import.meta.dirname, '../examples/20-personal-layout.rhai');

export interface CompileBenchResult {
  profileLines: number;
  mappings: number;
  coldCompileMs: number;
  warmCompileMedianMs: number;
  warmCompileP90Ms: number;
  krxBytes: number;
  krxLoadMedianMs: number;
  krxLoadPortableMedianMs: number;
  engineBuildMedianMs: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function p90(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length * 0.9)];
}
function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function runCompileBench(opts: { rounds?: number; path?: string } = {}): CompileBenchResult {
  const path = opts.path ?? BENCH_PROFILE;
  const rounds = opts.rounds ?? 50;
  const source = readFileSync(path, 'utf8');
  let result!: ReturnType<typeof compileSource>;
  // cold: the first compile in this process (parser and interpreter not yet optimised by the JIT)
  const coldCompileMs = time(() => (result = compileSource(source, path)));
  if (!result.config) throw new Error(`${path} does not compile`);
  const config = result.config;
  for (let i = 0; i < 10; i++) compileSource(source, path);
  const warm: number[] = [];
  for (let i = 0; i < rounds; i++) warm.push(time(() => compileSource(source, path)));

  const krx = encodeKrx(config, result.sourceHash, { hash: nodeSha256 });
  for (let i = 0; i < 20; i++) decodeKrx(krx, { hash: nodeSha256 });
  const loads: number[] = [];
  const portable: number[] = [];
  const builds: number[] = [];
  for (let i = 0; i < rounds * 4; i++) {
    loads.push(time(() => decodeKrx(krx, { hash: nodeSha256, expectSourceHash: result.sourceHash })));
    portable.push(time(() => decodeKrx(krx)));
    builds.push(time(() => new Engine(config)));
  }
  let mappings = 0;
  for (const d of config.devices)
    for (const m of d.mappings) mappings += m.kind === 'conditional' ? m.mappings.length : 1;
  return {
    profileLines: source.split('\n').length - (source.endsWith('\n') ? 1 : 0),
    mappings,
    coldCompileMs,
    warmCompileMedianMs: median(warm),
    warmCompileP90Ms: p90(warm),
    krxBytes: krx.length,
    krxLoadMedianMs: median(loads),
    krxLoadPortableMedianMs: median(portable),
    engineBuildMedianMs: median(builds),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = runCompileBench(process.argv.includes('--quick') ? { rounds: 5 } : {});
  if (process.argv.includes('--json')) console.log(JSON.stringify(r));
  else {
    const ms = (n: number): string => `${n.toFixed(3)} ms`;
    console.log(
      `compile: examples/20-personal-layout.rhai (${r.profileLines} lines, ${r.mappings} mappings)`,
    );
    console.log(`  cold compile (first in process)   ${ms(r.coldCompileMs)}`);
    console.log(
      `  warm compile median / p90         ${ms(r.warmCompileMedianMs)} / ${ms(r.warmCompileP90Ms)}   goal < 20 ms (KeyRx: ~50 ms)`,
    );
    console.log(`  .krx load (${r.krxBytes} bytes) median      ${ms(r.krxLoadMedianMs)}   goal < 1 ms`);
    console.log(
      `  .krx load, portable SHA-256       ${ms(r.krxLoadPortableMedianMs)}   (the browser's path)`,
    );
    console.log(`  engine tables from config median  ${ms(r.engineBuildMedianMs)}`);
  }
}
