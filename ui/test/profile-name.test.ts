/**
 * The UI's copy of the profile-name rule against the daemon's own (src/daemon/names.ts), over
 * many names, so the dialogs and the daemon cannot come to disagree.
 */
import { describe, expect, test } from 'vitest';
// The daemon's rule is the reference: tests may import it, the UI may not.
// eslint-disable-next-line no-restricted-imports
import { isValidProfileName as daemonAccepts } from '../../src/daemon/names.ts';
import { isValidProfileName, profileNameProblem } from '../src/lib/profile-name.ts';

/** A small deterministic PRNG (mulberry32), so a failure names a reproducible name. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RESERVED = [
  'CON',
  'PRN',
  'AUX',
  'NUL',
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`]),
];

/** Every case of a word: con, Con, cOn … */
function cases(word: string): string[] {
  let out = [''];
  for (const ch of word.toLowerCase())
    out = out.flatMap((p) => (ch.toUpperCase() === ch ? [p + ch] : [p + ch, p + ch.toUpperCase()]));
  return out;
}

const EDGES = [
  '',
  'a',
  'A',
  '0',
  '_',
  '-',
  'a_',
  'a-',
  '0-0',
  'work',
  'Work_2-b',
  ' work',
  'work ',
  'wo rk',
  'work.rhai',
  '.hidden',
  '..',
  '../x',
  'a/b',
  'a\\b',
  'a:b',
  'é',
  'aé',
  'a\u0000b',
  'a\nb',
  'ａ', // fullwidth a
  '١٢٣', // Arabic-Indic digits
  'x'.repeat(63),
  'x'.repeat(64),
  'x'.repeat(65),
  `_${'x'.repeat(63)}`,
  'COM0',
  'COM10',
  'LPT0',
  'CONX',
  'XCON',
  'CON-1',
  'con_',
  'COM¹',
  ...RESERVED.flatMap(cases),
];

function randomNames(count: number, seed: number): string[] {
  const next = random(seed);
  const alphabet = 'abcXYZ019_-. /\\:é*?"<>|\t';
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const roll = next();
    if (roll < 0.1) {
      // near a reserved name
      const base = RESERVED[Math.floor(next() * RESERVED.length)];
      const variants = [base, base.toLowerCase(), `${base}x`, `x${base}`, base.slice(0, -1)];
      out.push(variants[Math.floor(next() * variants.length)]);
      continue;
    }
    const length = roll < 0.2 ? 60 + Math.floor(next() * 10) : Math.floor(next() * 12);
    let name = '';
    for (let j = 0; j < length; j++) {
      // mostly allowed characters, so many names are valid
      const pool = next() < 0.85 ? 'abcdefXYZ0123456789_-' : alphabet;
      name += pool[Math.floor(next() * pool.length)];
    }
    out.push(name);
  }
  return out;
}

describe('profile names: the UI rule is the daemon rule', () => {
  test('edge cases', () => {
    for (const name of EDGES)
      expect(isValidProfileName(name), JSON.stringify(name)).toBe(daemonAccepts(name));
  });

  test('5,000 random names, a good share of them valid', () => {
    const names = randomNames(5000, 20261127);
    let valid = 0;
    for (const name of names) {
      const accepted = daemonAccepts(name);
      if (accepted) valid++;
      expect(isValidProfileName(name), JSON.stringify(name)).toBe(accepted);
    }
    // both sides of the rule are exercised
    expect(valid).toBeGreaterThan(1000);
    expect(valid).toBeLessThan(4500);
  });

  test('the reason names what is wrong', () => {
    expect(profileNameProblem('')).toMatch(/enter a name/i);
    expect(profileNameProblem('my work')).toMatch(/no spaces/i);
    expect(profileNameProblem('a/b')).toMatch(/“\/” is not allowed/);
    expect(profileNameProblem('-a')).toMatch(/start with a letter or digit/i);
    expect(profileNameProblem('x'.repeat(65))).toMatch(/at most 64 characters/i);
    expect(profileNameProblem('aux')).toMatch(/AUX is a reserved device name/);
    expect(profileNameProblem('Work_2-b')).toBeNull();
  });
});
