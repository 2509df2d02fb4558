/** How the monitor writes times, outputs and key events, on screen and in exports. */
import type { KeyEventData } from '../stream/event-stream.ts';

type Output = KeyEventData['outputs'][number];

const ARROWS: Record<string, string> = { press: '↓', release: '↑', repeat: '↻' };
const SCRIPT_PREFIX: Record<string, string> = { press: 'd', release: 'u', repeat: 'r' };

/** `↓Left ↑Left`: compact, for the table (pointer motion as in scripts: `mv:X+8`). */
export function formatOutputs(outputs: readonly Output[]): string {
  return outputs
    .map((o) => (o.action === 'move' ? move(o) : `${ARROWS[o.action] ?? `${o.action}:`}${o.key}`))
    .join(' ');
}

/** `d:Left u:Left mv:X+8`: the notation of `keyrx simulate` scripts, plain ASCII for files. */
export function outputsAsScript(outputs: readonly Output[]): string {
  return outputs
    .map((o) => (o.action === 'move' ? move(o) : `${SCRIPT_PREFIX[o.action] ?? o.action}:${o.key}`))
    .join(' ');
}

function move(o: Output): string {
  const v = o.value ?? 0;
  return `mv:${o.key}${v >= 0 ? '+' : ''}${v}`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local wall-clock time with milliseconds, `14:03:22.123`, from µs since the epoch. */
export function formatClock(timeUs: number): string {
  const d = new Date(Math.floor(timeUs / 1000));
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** ISO 8601 in UTC keeping the microseconds: `2026-11-27T02:48:18.688964Z`. */
export function isoFromMicros(timeUs: number): string {
  const ms = Math.floor(timeUs / 1000);
  const micros = Math.round(timeUs - ms * 1000);
  return new Date(ms).toISOString().replace(/Z$/, `${pad(micros, 3)}Z`);
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** `1,234` in the reader's locale. */
export function formatCount(n: number): string {
  return integer.format(n);
}
