/**
 * The engine benchmark's workload: a ~300-mapping profile with 10 layers and 10 tap-holds,
 * and a deterministic typing stream (rolled letters, spaces, layer chords, tap-hold taps
 * and holds) — shared by the benchmark and its smoke test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BaseMapping, Config, Mapping } from '../src/core/index.ts';
import { resolveKey } from '../src/core/index.ts';
import { compileProfile } from '../src/dsl/compile.ts';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
const TARGETS = [
  'Left',
  'Right',
  'Up',
  'Down',
  'Home',
  'End',
  'PageUp',
  'PageDown',
  'Delete',
  'Backspace',
  'F13',
  'F14',
  'F15',
  'F16',
  'F17',
  'F18',
  'F19',
  'F20',
  'Num1',
  'Num2',
  'Num3',
  'Num4',
  'Num5',
  'Minus',
  'Equal',
];
// Ten tap-holds, each holding one of MD_00..MD_09.
const TAP_HOLD_KEYS = [
  'CapsLock',
  'Tab',
  'Enter',
  'Space',
  'LAlt',
  'RAlt',
  'Semicolon',
  'Quote',
  'Grave',
  'Backslash',
];

export function benchConfig(): Config {
  const mappings: Mapping[] = [];
  TAP_HOLD_KEYS.forEach((from, i) =>
    mappings.push({
      kind: 'tapHold',
      from,
      tap: from === 'CapsLock' ? 'Escape' : from,
      hold: i,
      thresholdMs: 200,
    }),
  );
  for (let layer = 0; layer < 10; layer++) {
    const inner: BaseMapping[] = [];
    for (let i = 0; i < 25; i++) {
      const from = LETTERS[(i + layer) % 26];
      const to = TARGETS[(i * 7 + layer) % TARGETS.length];
      inner.push(
        i % 5 === 4
          ? { kind: 'modifiedOutput', from, to, shift: layer % 2 === 0, ctrl: true, alt: false, win: false }
          : { kind: 'simple', from, to },
      );
    }
    mappings.push({ kind: 'conditional', condition: { kind: 'modifier', id: layer }, mappings: inner });
  }
  // Base layer: a handful of symbol remaps plus letter swaps (Dvorak-like) so most typing hits a mapping.
  for (let i = 0; i < 40; i++)
    mappings.push({ kind: 'simple', from: LETTERS[i % 26], to: LETTERS[(i * 11 + 3) % 26] });
  return { version: 1, devices: [{ pattern: '*', mappings }] };
}

export interface StreamEvent {
  key: number;
  action: 'press' | 'release';
  timeUs: number;
}

/** A deterministic pseudo-random stream of `count` events (xorshift, no Math.random). */
export function typingStream(count: number, seed = 0x9e3779b9): StreamEvent[] {
  let s = seed >>> 0;
  const rand = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
  const letters = LETTERS.map(resolveKey);
  const space = resolveKey('Space');
  const layerKeys = TAP_HOLD_KEYS.map(resolveKey);
  const events: StreamEvent[] = [];
  let t = 0;
  const push = (key: number, action: 'press' | 'release', gapMs: number): void => {
    t += Math.round(gapMs * 1000);
    events.push({ key, action, timeUs: t });
  };
  while (events.length < count) {
    const r = rand();
    if (r < 0.7) {
      // a word: 3–7 letters typed with rolls (next press before the previous release)
      const len = 3 + Math.floor(rand() * 5);
      let prev = -1;
      for (let i = 0; i < len; i++) {
        const k = letters[Math.floor(rand() * 26)];
        if (k === prev) continue;
        push(k, 'press', 40 + rand() * 60);
        if (prev >= 0) push(prev, 'release', 5 + rand() * 20);
        prev = k;
      }
      if (prev >= 0) push(prev, 'release', 30 + rand() * 40);
      push(space, 'press', 30 + rand() * 50);
      push(space, 'release', 40 + rand() * 40);
    } else if (r < 0.9) {
      // a layer chord: hold a tap-hold key past its threshold, press 1–3 layer keys
      const layerKey = layerKeys[Math.floor(rand() * layerKeys.length)];
      push(layerKey, 'press', 80);
      const n = 1 + Math.floor(rand() * 3);
      let first = true;
      for (let i = 0; i < n; i++) {
        const k = letters[Math.floor(rand() * 26)];
        push(k, 'press', first ? 210 : 60);
        push(k, 'release', 50);
        first = false;
      }
      push(layerKey, 'release', 60);
    } else {
      // a quick tap of a tap-hold key
      const layerKey = layerKeys[Math.floor(rand() * layerKeys.length)];
      push(layerKey, 'press', 100);
      push(layerKey, 'release', 60 + rand() * 80);
    }
  }
  // finish with every key up
  const down = new Set<number>();
  for (const e of events) {
    if (e.action === 'press') down.add(e.key);
    else down.delete(e.key);
  }
  for (const k of down) push(k, 'release', 10);
  return events;
}

/**
 * Every feature beyond KeyRx in one profile: the benchmark profile above plus the home-row mods
 * of examples/22 (balanced tap-holds with every option, so typing is held back and replayed) and
 * examples/23 (combos, one-shot, tap dance, macros, caps word, key override, unicode, toggles).
 */
export function featuresConfig(): Config {
  const examples = join(import.meta.dirname, '..', 'examples');
  const extra = ['22-home-row-mods.rhai', '23-beyond-keyrx.rhai', '24-from-qmk-and-kanata.rhai'].flatMap(
    (file) => {
      const r = compileProfile(readFileSync(join(examples, file), 'utf8'), { file });
      if (!r.config) throw new Error(`${file} does not compile`);
      return r.config.devices[0].mappings;
    },
  );
  const base = benchConfig();
  // the examples' mappings first: their keys are looked up before the plain remaps
  return { version: 1, devices: [{ pattern: '*', mappings: [...extra, ...base.devices[0].mappings] }] };
}

/**
 * The typing stream with the features in use: a fifth of the words typed through the home-row
 * mods after a pause, combos, one-shot Shift, double taps, caps word, Shift+Backspace, unicode.
 */
export function featuresStream(count: number, seed = 0x51ed270b): StreamEvent[] {
  const base = typingStream(count, seed);
  const k = resolveKey;
  const extras: [number, 'press' | 'release', number][][] = [
    [
      [k('J'), 'press', 0],
      [k('K'), 'press', 10],
      [k('K'), 'release', 60],
      [k('J'), 'release', 5],
    ],
    [
      [k('RAlt'), 'press', 0],
      [k('RAlt'), 'release', 50],
      [k('A'), 'press', 80],
      [k('A'), 'release', 60],
    ],
    [
      [k('Q'), 'press', 0],
      [k('Q'), 'release', 40],
      [k('Q'), 'press', 40],
      [k('Q'), 'release', 40],
    ],
    [
      [k('CapsLock'), 'press', 0],
      [k('CapsLock'), 'release', 50],
      [k('B'), 'press', 60],
      [k('B'), 'release', 50],
      [k('Space'), 'press', 60],
      [k('Space'), 'release', 50],
    ],
    [
      [k('LShift'), 'press', 0],
      [k('Backspace'), 'press', 80],
      [k('Backspace'), 'release', 50],
      [k('LShift'), 'release', 40],
    ],
    [
      [k('F7'), 'press', 0],
      [k('F7'), 'release', 60],
    ],
    [
      [k('F'), 'press', 0],
      [k('O'), 'press', 30],
      [k('O'), 'release', 60],
      [k('F'), 'release', 10],
    ],
    [
      [k('D'), 'press', 0],
      [k('C'), 'press', 250],
      [k('C'), 'release', 50],
      [k('D'), 'release', 30],
    ],
    // examples/24: a leader sequence, mouse keys on a layer, an auto-shifted digit, a combo held
    // until both keys are up, an eager tap dance, a retro tap
    [
      [k('RCtrl'), 'press', 0],
      [k('RCtrl'), 'release', 40],
      [k('G'), 'press', 80],
      [k('G'), 'release', 40],
      [k('G'), 'press', 60],
      [k('G'), 'release', 40],
    ],
    [
      [k('Menu'), 'press', 0],
      [k('L'), 'press', 250],
      [k('L'), 'release', 120],
      [k('H'), 'press', 30],
      [k('H'), 'release', 40],
      [k('Menu'), 'release', 20],
    ],
    [
      [k('Num1'), 'press', 0],
      [k('Num1'), 'release', 220],
    ],
    [
      [k('Z'), 'press', 0],
      [k('X'), 'press', 10],
      [k('Z'), 'release', 60],
      [k('X'), 'release', 30],
    ],
    [
      [k('Grave'), 'press', 0],
      [k('Grave'), 'release', 40],
      [k('Grave'), 'press', 50],
      [k('Grave'), 'release', 40],
    ],
    [
      [k('Enter'), 'press', 0],
      [k('Enter'), 'release', 260],
    ],
  ];
  const events: StreamEvent[] = [];
  let shift = 0;
  let n = 0;
  for (let i = 0; i < base.length; i++) {
    const e = base[i];
    events.push({ ...e, timeUs: e.timeUs + shift });
    // after a space's release (every key is up then), sometimes one of the feature snippets
    if (e.key === resolveKey('Space') && e.action === 'release' && n++ % 3 === 0) {
      let t = e.timeUs + shift + 300_000;
      for (const [key, action, gapMs] of extras[n % extras.length]) {
        t += gapMs * 1000;
        events.push({ key, action, timeUs: t });
      }
      shift = t + 300_000 - e.timeUs;
    }
  }
  return events;
}
