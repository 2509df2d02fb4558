/**
 * The reference workload: a fixed amount of pure-JS CPU work (the compiler's portable SHA-256 over
 * 256 KiB, 8 times) timed in the same run as the figures. The regression gate divides CPU-bound
 * figures by it, so a slower or busier machine moves both and the ratio stays put.
 */
import { sha256 } from '../../src/dsl/sha256.ts';
import { median } from './figures.ts';

const DATA = new Uint8Array(256 * 1024).map((_, i) => (i * 2654435761) >>> 24);

function once(): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < 8; i++) sha256(DATA);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Median of `samples` timings in ms, after two warm-ups. */
export function measureReference(samples = 9): number {
  once();
  once();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(once());
  return median(times);
}
