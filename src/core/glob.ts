/**
 * Device pattern matching: `*` matches any run of characters, everything else is literal,
 * compared case-insensitively. `*`, `x*`, `*x`, `*x*`, `a*b` and longer chains all work.
 */
export function globMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  const parts = p.split('*');
  if (parts.length === 1) return p === t;
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (!t.startsWith(first)) return false;
  let pos = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const at = t.indexOf(parts[i], pos);
    if (at < 0) return false;
    pos = at + parts[i].length;
  }
  return t.length - pos >= last.length && t.endsWith(last);
}
