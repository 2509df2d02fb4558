/**
 * `npm run test:soak`: the 60-second soak (issue #9 §4), with a summary table of its figures.
 * Flags: --duration <s> (default 60), --warmup <s> (default 10), --clients <n> (default 1000),
 * --json (the result as JSON on stdout). Exit 1 when a figure breaks its bound.
 */
import { formatSummary, runSoak, violations } from './soak.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const json = args.includes('--json');
const result = await runSoak({
  durationSec: flag('duration', 60),
  warmupSec: flag('warmup', 10),
  clients: flag('clients', 1000),
  progress: (line) => process.stderr.write(`${line}\n`),
});
const problems = violations(result);
if (json) process.stdout.write(`${JSON.stringify({ ...result, violations: problems }, null, 2)}\n`);
else {
  process.stdout.write(`\nkeyrx soak, ${new Date().toISOString()}, Node ${process.version}\n\n`);
  process.stdout.write(
    `${formatSummary(result)}\n\nviolations: ${problems.length === 0 ? '0' : problems.join('; ')}\n`,
  );
}
process.exit(problems.length === 0 ? 0 : 1);
