/** Counts in messages for people: `1 error`, `2 errors`, `0 device blocks`. */

/**
 * `n` and the noun, singular for exactly 1: `plural(1, 'key')` → `1 key`, `plural(3, 'key')` →
 * `3 keys`. Irregular nouns give their plural: `plural(2, 'entry', 'entries')`. `formatNumber`
 * writes the number (the web UI passes the reader's locale: `1,234 events`).
 */
export function plural(
  n: number,
  singular: string,
  pluralForm = `${singular}s`,
  formatNumber: (n: number) => string = String,
): string {
  return `${formatNumber(n)} ${n === 1 ? singular : pluralForm}`;
}
