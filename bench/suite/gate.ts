/**
 * The regression gate: this run against bench/baseline.json, figure by figure, as ratios. CPU-bound
 * figures are first scaled by the reference workload measured in the same run (see reference.ts),
 * so the gate compares "how many reference-units this took", not raw times of different machines
 * or moments.
 */
import type { Better, Figure } from './figures.ts';

export const BASELINE_VERSION = 1;
export const DEFAULT_TOLERANCE = 0.1;

export interface BaselineFigure {
  value: number;
  unit: string;
  better: Better;
  scale: 'cpu' | 'raw';
  /** the reference workload of the run that measured it (baselines can be updated suite by suite) */
  referenceMs: number;
}

export interface Baseline {
  version: number;
  createdAt: string;
  machine: string;
  quick: boolean;
  referenceMs: number;
  figures: Record<string, BaselineFigure>;
}

export type GateStatus = 'ok' | 'better' | 'worse' | 'new' | 'not measured' | 'not gated';

export interface GateRow {
  id: string;
  label: string;
  unit: string;
  baseline: number | null;
  current: number | null;
  /** this run relative to the baseline after scaling; > 1 is worse (slower, or less throughput) */
  worseBy: number | null;
  tolerance: number;
  status: GateStatus;
}

export interface GateResult {
  rows: GateRow[];
  failed: GateRow[];
  referenceMs: { baseline: number; current: number };
}

/** A baseline from this run; figures of `previous` that this run did not measure are kept. */
export function makeBaseline(
  figures: Figure[],
  referenceMs: number,
  machine: string,
  quick: boolean,
  previous: Baseline | null = null,
): Baseline {
  const out: Record<string, BaselineFigure> = { ...(previous?.figures ?? {}) };
  for (const f of figures)
    if (Number.isFinite(f.value))
      out[f.id] = { value: f.value, unit: f.unit, better: f.better, scale: f.scale, referenceMs };
  return {
    version: BASELINE_VERSION,
    createdAt: new Date().toISOString(),
    machine,
    quick,
    referenceMs,
    figures: out,
  };
}

/** Scaled so that machine speed cancels: time × (1/ref), throughput × ref. */
function scaled(value: number, better: Better, scale: 'cpu' | 'raw', referenceMs: number): number {
  if (scale === 'raw') return value;
  return better === 'lower' ? value / referenceMs : value * referenceMs;
}

export function compareWithBaseline(
  figures: Figure[],
  referenceMs: number,
  baseline: Baseline,
  defaultTolerance = DEFAULT_TOLERANCE,
): GateResult {
  if (baseline.version !== BASELINE_VERSION)
    throw new Error(
      `bench/baseline.json has version ${baseline.version}, expected ${BASELINE_VERSION}: run --update-baseline`,
    );
  const rows: GateRow[] = [];
  const seen = new Set<string>();
  for (const f of figures) {
    seen.add(f.id);
    const base = baseline.figures[f.id];
    // a figure's own tolerance widens the run's for noisy figures; it never narrows it
    const tolerance = Math.max(f.tolerance ?? 0, defaultTolerance);
    const row: GateRow = {
      id: f.id,
      label: f.label,
      unit: f.unit,
      baseline: base?.value ?? null,
      current: Number.isFinite(f.value) ? f.value : null,
      worseBy: null,
      tolerance,
      status: 'ok',
    };
    if (!base) row.status = 'new';
    else if (row.current === null) row.status = 'not measured';
    else {
      const now = scaled(row.current, f.better, f.scale, referenceMs);
      const then = scaled(base.value, base.better, base.scale, base.referenceMs);
      row.worseBy = f.better === 'lower' ? now / then : then / now;
      if (f.gated === false) row.status = 'not gated';
      else if (row.worseBy > 1 + tolerance) row.status = 'worse';
      else if (row.worseBy < 1 / (1 + tolerance)) row.status = 'better';
    }
    rows.push(row);
  }
  for (const [id, base] of Object.entries(baseline.figures))
    if (!seen.has(id))
      rows.push({
        id,
        label: id,
        unit: base.unit,
        baseline: base.value,
        current: null,
        worseBy: null,
        tolerance: defaultTolerance,
        status: 'not measured',
      });
  return {
    rows,
    failed: rows.filter((r) => r.status === 'worse'),
    referenceMs: { baseline: baseline.referenceMs, current: referenceMs },
  };
}
