/**
 * Where a key's time goes inside the input thread, stage by stage (KEYRX_STAGE_PROFILE=1): from
 * the kernel's timestamp of the event to the loop waking in ppoll, to read() returning it, to
 * the engine's decision, to the uinput write. Histograms only (no allocation per key); the
 * daemon logs the summary when the backend stops. For finding latency, not for every day.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export const STAGES = [
  'kernel→wake',
  'wake→read',
  'read→engine',
  'engine→written',
  'kernel→written',
] as const;

export class StageProfile {
  private readonly histograms: RecordableHistogram[] = STAGES.map(() => createHistogram());

  /** One key: µs timestamps of its event, the wake-up, the read, the decision and the write. */
  record(eventUs: number, wokeUs: number, readUs: number, decidedUs: number, writtenUs: number): void {
    const h = this.histograms;
    h[0].record(Math.max(1, wokeUs - eventUs));
    h[1].record(Math.max(1, readUs - wokeUs));
    h[2].record(Math.max(1, decidedUs - readUs));
    h[3].record(Math.max(1, writtenUs - decidedUs));
    h[4].record(Math.max(1, writtenUs - eventUs));
  }

  /** p50/p90/p99/max of each stage, µs, as one line per stage. */
  summary(): string {
    const count = this.histograms[0].count;
    const rows = STAGES.map((name, i) => {
      const h = this.histograms[i];
      return `${name.padEnd(15)} p50 ${h.percentile(50)} p90 ${h.percentile(90)} p99 ${h.percentile(99)} max ${h.max}`;
    });
    return `input stages over ${count} keys (µs):\n${rows.join('\n')}`;
  }

  get count(): number {
    return this.histograms[0].count;
  }
}
