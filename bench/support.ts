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

export interface Pinning {
  /** the CPU to start the daemon on (spawnDaemon's `cpu`), or null when not pinned */
  daemonCpu: number | null;
  /** what was pinned, for the report */
  note: string;
  /** gives this process its CPUs back */
  restore(): void;
}

/**
 * The daemon on the first allowed CPU, this process (the load generator, called `client` in the
 * note) on the second, when taskset and two CPUs are available.
 */
export function pinAwayFromDaemon(client = 'client'): Pinning {
  const original = affinity(process.pid);
  const allowed = original ? parseCpuList(original) : [];
  const unpinned = (note: string): Pinning => ({ daemonCpu: null, note, restore: () => undefined });
  if (!original) return unpinned('not pinned: taskset is not available');
  if (allowed.length < 2) return unpinned(`not pinned: only CPU ${allowed.join(',')} is available`);
  try {
    setAffinity(process.pid, String(allowed[1]));
  } catch (e) {
    return unpinned(`not pinned: taskset failed (${(e as Error).message.split('\n')[0]})`);
  }
  return {
    daemonCpu: allowed[0],
    note: `daemon pinned to CPU ${allowed[0]}, ${client} to CPU ${allowed[1]} (taskset)`,
    restore: () => setAffinity(process.pid, original),
  };
}
