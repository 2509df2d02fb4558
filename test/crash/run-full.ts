/**
 * The full crash-consistency run (`npm run test:crash`): 200 SIGKILLs of the real daemon, then a
 * report; exits 1 on any violation. KEYRX_CRASH_SEED repeats a run, KEYRX_CRASH_KILLS changes its
 * length, KEYRX_CRASH_VERBOSE=1 prints every cycle.
 */
import { abortAll, formatReport, runCrashTest } from './harness.ts';

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    abortAll();
    process.exit(130);
  });

const seed = Number(process.env.KEYRX_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const kills = Number(process.env.KEYRX_CRASH_KILLS ?? 200);
const verbose = process.env.KEYRX_CRASH_VERBOSE === '1';
console.log(`crash consistency: ${kills} kills, seed ${seed} (repeat with KEYRX_CRASH_SEED=${seed})`);
const report = await runCrashTest({
  kills,
  seed,
  log: (line) => {
    if (verbose || line.startsWith('VIOLATION')) console.log(line);
  },
});
console.log(formatReport(report));
process.exitCode = report.violations.length === 0 ? 0 : 1;
