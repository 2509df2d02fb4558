/**
 * The home-row-mods example under fast rolling typing: seeded random typing of an English text
 * with a fast typist's timing must give exactly the text — no modifier ever reaches the output —
 * and holding a home-row key on purpose must still give the modifier.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { OutputEvent } from '../src/core/index.ts';
import { Engine, isModifierKey, keyName, resolveKey } from '../src/core/index.ts';
import { compileSource } from '../src/daemon/profile-files.ts';
import { Rng } from './support/rng.ts';

const path = join(import.meta.dirname, '..', 'examples', '22-home-row-mods.rhai');
const { config } = compileSource(readFileSync(path, 'utf8'), path);

const TEXT =
  'the quick brown fox jumps over the lazy dog. a lad asked dad for salad; sad falls fade as ' +
  'flasks and glass shake. jell-o jokes, kayak locks and skill flags: all of them fall fast. ' +
  'she sells sea shells and adds salsa, dill and kale. joy, luck and skills kill dull talk.';

const KEY_OF: Record<string, string> = {
  ' ': 'Space',
  '.': 'Period',
  ',': 'Comma',
  ';': 'Semicolon',
  ':': 'Semicolon',
  '-': 'Minus',
};
const keyOf = (ch: string): number => resolveKey(KEY_OF[ch] ?? ch.toUpperCase());

/** The seeded stream of uniform numbers a typing run draws its timing from. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

interface Stroke {
  key: number;
  down: number;
  up: number;
}

/**
 * A fast typist: 30–100 ms between presses (about 100–150 wpm), each key held 50–110 ms, so most
 * keys overlap the next one (rolls) and some the one after; a 150–400 ms pause after some words.
 */
function typing(text: string, random: () => number): Stroke[] {
  const strokes: Stroke[] = [];
  let t = 0;
  for (const ch of text.replace(/:/g, ';')) {
    const hold = 50 + random() * 60;
    strokes.push({ key: keyOf(ch), down: Math.round(t * 1000), up: Math.round((t + hold) * 1000) });
    t += ch === ' ' && random() < 0.3 ? 150 + random() * 250 : 30 + random() * 70;
  }
  return strokes;
}

function play(strokes: Stroke[]): { out: OutputEvent[]; nested: number } {
  const engine = new Engine(config!);
  const events = strokes
    .flatMap((s) => [
      { key: s.key, action: 'press' as const, timeUs: s.down },
      { key: s.key, action: 'release' as const, timeUs: s.up },
    ])
    .sort((a, b) => a.timeUs - b.timeUs || (a.action === 'release' ? -1 : 1));
  const out: OutputEvent[] = [];
  for (const e of events) out.push(...engine.process(e));
  out.push(...engine.tick(Number.MAX_SAFE_INTEGER));
  // nested pairs: a key pressed and released while the previous one is held
  let nested = 0;
  for (let i = 1; i < strokes.length; i++) if (strokes[i].up < strokes[i - 1].up) nested++;
  return { out, nested };
}

/** The characters the output types (Shift makes capitals), and the modifiers it pressed. */
function typed(out: OutputEvent[]): { text: string; modifiers: string[] } {
  const shift = new Set<number>();
  const modifiers: string[] = [];
  let text = '';
  const charOf: Record<string, string> = { Space: ' ', Period: '.', Comma: ',', Semicolon: ';', Minus: '-' };
  for (const e of out) {
    if (e.action !== 'press') {
      if (e.action === 'release') shift.delete(e.key);
      continue;
    }
    const name = keyName(e.key);
    if (isModifierKey(e.key)) {
      modifiers.push(name);
      if (name.endsWith('Shift')) shift.add(e.key);
      continue;
    }
    const ch = charOf[name] ?? name.toLowerCase();
    text += shift.size > 0 ? ch.toUpperCase() : ch;
  }
  return { text, modifiers };
}

test('fast rolling typing through home-row mods: the exact text, zero misfires (20 seeded runs)', () => {
  assert.ok(config, 'the example compiles');
  let keys = 0;
  let nestedTotal = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const { out, nested } = play(typing(TEXT, rng(seed)));
    const { text, modifiers } = typed(out);
    assert.deepEqual(modifiers, [], `seed ${seed}: a modifier reached the output`);
    assert.equal(text, TEXT.replace(/:/g, ';'), `seed ${seed}: the typed text differs`);
    keys += TEXT.length;
    nestedTotal += nested;
  }
  // the timing really does roll and nest keys (otherwise the test would prove little)
  assert.ok(nestedTotal > 50, `only ${nestedTotal} nested pairs in ${keys} keys`);
});

test('held on purpose, the same keys are modifiers: Shift+word, Ctrl+C', () => {
  // F held 300 ms, then "jkl" typed with it held: JKL in capitals
  const strokes: Stroke[] = [{ key: keyOf('f'), down: 0, up: 700_000 }];
  let t = 300;
  for (const ch of 'jkl') {
    strokes.push({ key: keyOf(ch), down: t * 1000, up: (t + 60) * 1000 });
    t += 90;
  }
  const { text, modifiers } = typed(play(strokes).out);
  assert.equal(text, 'JKL');
  assert.deepEqual(modifiers, ['LShift']);
  const ctrl = play([
    { key: keyOf('d'), down: 0, up: 400_000 },
    { key: keyOf('c'), down: 250_000, up: 300_000 },
  ]).out.map((e) => `${e.action === 'press' ? 'd' : 'u'}:${keyName(e.key)}`);
  assert.deepEqual(ctrl, ['d:LCtrl', 'd:C', 'u:C', 'u:LCtrl']);
});
