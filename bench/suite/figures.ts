/**
 * One measured figure of the suite, with the seed's figure (KeyRx v0.1.1's performance report)
 * when it has one, and the rule the regression gate applies to it.
 */

export type Better = 'lower' | 'higher';

export interface FigureSpec {
  /** stable id: the baseline and the gate match on it (`api.status.c10.p99`) */
  id: string;
  /** the report's section, after the seed's (`2A API latency`) */
  section: string;
  label: string;
  unit: string;
  better: Better;
  /** the seed's figure in the same unit, and what it measured */
  seed?: { value: number; note?: string };
  /** a goal from the issue, as a test of the value */
  goal?: { text: string; met(value: number, seed?: number): boolean };
  /**
   * How the gate reads the figure: `cpu` figures are divided by (or, for throughput, multiplied
   * by) the reference workload's time of the same run, so a slower or busier machine does not
   * look like a regression; `raw` figures (memory, counts) are compared as they are.
   */
  scale: 'cpu' | 'raw';
  /** allowed worsening before the gate fails, as a fraction, for noisy figures (the run's tolerance when larger) */
  tolerance?: number;
  /** false: reported only (too noisy, or informational) */
  gated?: boolean;
}

export interface Figure extends FigureSpec {
  /** median over the runs */
  value: number;
  /** one value per run */
  runs: number[];
}

/** A suite's measurements: figure specs with one value each, per run. */
export type Measured = { spec: FigureSpec; value: number }[];

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Merges the runs of a suite: one Figure per id, value = median of the runs. */
export function mergeRuns(runs: Measured[]): Figure[] {
  const byId = new Map<string, { spec: FigureSpec; values: number[] }>();
  for (const run of runs)
    for (const { spec, value } of run) {
      const entry = byId.get(spec.id) ?? { spec, values: [] };
      entry.values.push(value);
      byId.set(spec.id, entry);
    }
  return [...byId.values()].map(({ spec, values }) => {
    const finite = values.filter(Number.isFinite);
    return { ...spec, value: median(finite), runs: values };
  });
}

/** How many times better than the seed (> 1: better), or null without a seed figure. */
export function seedRatio(f: Pick<Figure, 'better' | 'value' | 'seed'>): number | null {
  if (!f.seed || !Number.isFinite(f.value) || f.value <= 0) return null;
  return f.better === 'lower' ? f.seed.value / f.value : f.value / f.seed.value;
}

/** min–max of the runs as a fraction of the median (0.05 = ±5 %), null for one run. */
export function spread(f: Pick<Figure, 'runs' | 'value'>): number | null {
  const finite = f.runs.filter(Number.isFinite);
  if (finite.length < 2 || !(f.value > 0)) return null;
  return (Math.max(...finite) - Math.min(...finite)) / f.value;
}
