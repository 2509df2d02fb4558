/** Helpers every benchmark shares: CPU pinning with taskset and plain-text tables. */
import { execFileSync } from 'node:child_process';

/** `0-2,5` → [0, 1, 2, 5] (taskset's list format). */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.trim().split('-').map(Number);
    if (!Number.isInteger(a)) continue;
    for (let c = a; c <= (Number.isInteger(b) ? b : a); c++) out.push(c);
  }
  return out;
}

/** The CPU list a process may run on, or null when taskset is not available. */
export function affinity(pid: number): string | null {
  try {
    const out = execFileSync('taskset', ['-cp', String(pid)], { encoding: 'utf8', stdio: 'pipe' });
    return /:\s*([\d,\s-]+)\s*$/.exec(out)?.[1].trim() ?? null;
  } catch {
    return null;
  }
}

/** Pins every thread of a process to a CPU list. */
export function setAffinity(pid: number, list: string): void {
  execFileSync('taskset', ['-a', '-cp', list, String(pid)], { stdio: 'ignore' });
}

/** Aligned columns: the first `left` columns left-aligned, the rest right-aligned. */
export function table(header: string[], rows: string[][], left = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
