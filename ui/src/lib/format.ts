/** Small display helpers shared by pages. */
import { plural as corePlural } from '../../../src/core/plural.ts';

export function relativeTime(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 30) return `${d} d ago`;
  return new Date(t).toLocaleDateString();
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const count = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/**
 * A count with its noun, singular for exactly one: `plural(1, 'error')` → `1 error`,
 * `plural(2, 'error')` → `2 errors`, `plural(3, 'entry', 'entries')` → `3 entries`. The number is
 * written in the reader's locale (`1,234 events`). Every count the UI writes in words goes
 * through here, so nothing says `error(s)` or `1 keys`.
 */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return corePlural(n, singular, pluralForm, (x) => count.format(x));
}
