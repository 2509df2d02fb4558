/**
 * The mapping dialog's form model: every kind the dialog edits round-trips (the fields filled from
 * a mapping give that mapping back, checked by the real compiler), options without a field are
 * kept, and a bad value is refused with the field at fault or the compiler's own message.
 */
import { describe, expect, test } from 'vitest';
import type { KeyMapping } from '../../../src/core/index.ts';
import { compileProfile } from '../../../src/dsl/compile.ts';
import { mappingSource } from '../../../src/dsl/print.ts';
import type { Draft } from '../../src/edit/draft.ts';
import {
  DRAFT_KINDS,
  draftFrom,
  isDraftKind,
  mappingFrom,
  mappingKeys,
  mappingLayers,
} from '../../src/edit/draft.ts';

/** At least one mapping of every kind, with every option the dialog has a field for. */
const MAPPINGS: KeyMapping[] = [
  { kind: 'simple', from: 'A', to: 'B' },
  { kind: 'modifiedOutput', from: 'A', to: 'C', shift: false, ctrl: true, alt: false, win: false },
  { kind: 'modifiedOutput', from: 'Num1', to: 'Num1', shift: true, ctrl: true, alt: true, win: true },
  { kind: 'modifier', from: 'CapsLock', id: 0 },
  { kind: 'modifier', from: 'Space', id: 0xfe },
  { kind: 'lock', from: 'ScrollLock', id: 2 },
  { kind: 'tapHold', from: 'CapsLock', tap: 'Escape', hold: 0, thresholdMs: 200 },
  {
    kind: 'tapHold',
    from: 'F',
    tap: 'F',
    holdKey: 'LShift',
    thresholdMs: 180,
    mode: 'balanced',
    quickTapMs: 120,
    requirePriorIdleMs: 150,
    rollMs: 40,
    retroTap: true,
    tapHeld: true,
  },
  { kind: 'tapHold', from: 'J', tap: 'J', hold: 3, thresholdMs: 250, mode: 'hold_on_press' },
  { kind: 'holdOnly', from: 'Space', hold: 1, thresholdMs: 200 },
  { kind: 'oneShot', from: 'LShift', key: 'LShift', timeoutMs: 1000 },
  { kind: 'oneShot', from: 'Q', layer: 3, timeoutMs: 500, lock: true },
  {
    kind: 'tapDance',
    from: 'Q',
    actions: [{ tap: 'Q' }, { tap: 'Escape', holdKey: 'LCtrl' }, { holdLayer: 2 }],
    windowMs: 200,
    eager: true,
  },
  { kind: 'tapDance', from: 'W', actions: [{ tap: 'W' }, { tap: 'Tab' }], windowMs: 180 },
  {
    kind: 'macro',
    from: 'M',
    steps: [
      { op: 'tap', key: 'H' },
      { op: 'wait', ms: 20 },
      { op: 'text', text: 'hi “there” é' },
      { op: 'press', key: 'LShift' },
      { op: 'release', key: 'LShift' },
    ],
  },
  { kind: 'sequence', from: 'S', keys: ['A', 'B', 'Enter'] },
  { kind: 'layerToggle', from: 'T', id: 1 },
  { kind: 'layerSwitch', from: 'T', id: 4 },
  { kind: 'capsWord', from: 'LShift', together: 'RShift', timeoutMs: 5000 },
  { kind: 'capsWord', from: 'CapsLock', timeoutMs: 3000 },
  { kind: 'autoShift', from: 'A', thresholdMs: 180 },
  { kind: 'mouseMove', from: 'H', x: -1, y: 0, speed: 300, maxSpeed: 1500, accelMs: 1000 },
  { kind: 'mouseMove', from: 'U', x: 1, y: -1, speed: 200, maxSpeed: 200, accelMs: 0 },
  { kind: 'mouseWheel', from: 'J', x: 0, y: 1, rate: 10 },
  { kind: 'unicode', from: 'U', text: 'é→😀' },
  { kind: 'keyOverride', from: 'Backspace', mods: ['Shift'], to: 'Delete' },
  { kind: 'keyOverride', from: 'Num2', mods: ['LCtrl', 'RAlt'], to: 'F2' },
  { kind: 'dynamicMacroRecord', from: 'F1', slot: 0 },
  { kind: 'dynamicMacroPlay', from: 'F2', slot: 1 },
];

/** What the compiler makes of a mapping's own statement (the reference a round trip must match). */
function compiled(m: KeyMapping): KeyMapping {
  const r = compileProfile(`device_start("*");\n${mappingSource(m)}\ndevice_end();\n`);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.config!.devices[0].mappings[0] as KeyMapping;
}

function ok(d: Draft, key: string): KeyMapping {
  const r = mappingFrom(d, key);
  if (!r.ok) throw new Error(`refused: ${r.field ?? ''} ${r.message}`);
  return r.mapping;
}

function refused(d: Draft, key: string): { field?: string; message: string } {
  const r = mappingFrom(d, key);
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(r.mapping)}`);
  return { field: r.field, message: r.message };
}

describe('draft round trip', () => {
  test('the fixtures cover every kind the dialog edits', () => {
    expect(new Set(MAPPINGS.map((m) => m.kind))).toEqual(new Set(DRAFT_KINDS.map((k) => k.kind)));
  });

  test.each(MAPPINGS.map((m) => [`${m.kind} ${m.from}`, m] as const))(
    '%s: draftFrom → mappingFrom gives the same mapping',
    (_, m) => {
      const d = draftFrom(m);
      expect(d.kind).toBe(m.kind);
      const back = ok(d, m.from);
      expect(back).toEqual(m);
      // and it is exactly what the compiler makes of the statement an edit writes
      expect(back).toEqual(compiled(m));
    },
  );

  test('tap-hold options without a field are kept from the mapping edited', () => {
    const m: KeyMapping = {
      kind: 'tapHold',
      from: 'F',
      tap: 'F',
      holdKey: 'LShift',
      thresholdMs: 180,
      oppositeHand: { left: ['A', 'S'], right: ['J', 'K'] },
      tapKeys: ['J'],
      holdKeys: ['K'],
      timeoutKey: 'LCtrl',
    };
    const d = draftFrom(m);
    d.thresholdMs = '220';
    expect(ok(d, 'F')).toEqual({ ...m, thresholdMs: 220 });
  });

  test('caps word key lists are kept; a cleared option goes away', () => {
    const m: KeyMapping = {
      kind: 'capsWord',
      from: 'CapsLock',
      timeoutMs: 5000,
      shiftKeys: ['A', 'B'],
      continueKeys: ['Num1'],
    };
    expect(ok(draftFrom(m), 'CapsLock')).toEqual(m);
    const th = draftFrom({
      kind: 'tapHold',
      from: 'A',
      tap: 'A',
      hold: 0,
      thresholdMs: 200,
      mode: 'balanced',
      rollMs: 30,
    });
    th.mode = '';
    th.rollMs = ' ';
    expect(ok(th, 'A')).toEqual({ kind: 'tapHold', from: 'A', tap: 'A', hold: 0, thresholdMs: 200 });
  });

  test('switching kinds keeps the fields they share and drops the rest', () => {
    const d = draftFrom({ kind: 'simple', from: 'CapsLock', to: 'Escape' });
    d.kind = 'tapHold';
    expect(ok(d, 'CapsLock')).toEqual({
      kind: 'tapHold',
      from: 'CapsLock',
      tap: 'Escape',
      hold: 0,
      thresholdMs: 200,
    });
    d.kind = 'keyOverride';
    expect(ok(d, 'CapsLock')).toEqual({
      kind: 'keyOverride',
      from: 'CapsLock',
      mods: ['Shift'],
      to: 'Escape',
    });
  });

  test('key names are made canonical: aliases, VK_ prefixes, spaces', () => {
    const d = draftFrom(undefined);
    d.to = ' VK_Esc ';
    expect(ok(d, 'CAPS')).toEqual({ kind: 'simple', from: 'CapsLock', to: 'Escape' });
    d.kind = 'sequence';
    d.keys = ['LSFT', 'A', '1'];
    expect(ok(d, 'S')).toEqual({ kind: 'sequence', from: 'S', keys: ['LShift', 'A', 'Num1'] });
  });

  test('an empty key has the DSL defaults and the layer asked for', () => {
    const d = draftFrom(undefined, 5);
    expect(d.kind).toBe('simple');
    expect(d.thresholdMs).toBe('200');
    d.kind = 'modifier';
    expect(ok(d, 'Space')).toEqual({ kind: 'modifier', from: 'Space', id: 5 });
    d.kind = 'tapDance';
    d.actions[0].tap = 'X';
    d.actions[1].hold = 'layer';
    expect(ok(d, 'X')).toEqual({
      kind: 'tapDance',
      from: 'X',
      actions: [{ tap: 'X' }, { holdLayer: 5 }],
      windowMs: 200,
    });
  });

  test('a leader key is not a kind the dialog edits', () => {
    expect(isDraftKind('leader')).toBe(false);
    expect(isDraftKind('combo')).toBe(false);
    expect(DRAFT_KINDS.every((k) => isDraftKind(k.kind))).toBe(true);
  });
});

describe('refusals', () => {
  test('a missing or unknown key names its field, with the key table suggestions', () => {
    const d = draftFrom(undefined);
    expect(refused(d, 'A')).toEqual({ field: 'to', message: 'choose the key it types' });
    d.to = 'Escap';
    const r = refused(d, 'A');
    expect(r.field).toBe('to');
    expect(r.message).toMatch(/Unknown key name: 'Escap'\. Did you mean: Escape/);
    d.kind = 'macro';
    d.steps = [
      { op: 'tap', key: 'A', ms: '', text: '' },
      { op: 'wait', key: '', ms: 'soon', text: '' },
    ];
    expect(refused(d, 'A')).toMatchObject({ field: 'steps.1.ms' });
    expect(refused(draftFrom(undefined), 'Nope').field).toBe('key');
  });

  test("values out of range get the compiler's own message", () => {
    const d = draftFrom({ kind: 'tapHold', from: 'A', tap: 'A', hold: 0, thresholdMs: 200 });
    d.thresholdMs = '99999';
    const r = refused(d, 'A');
    expect(r.field).toBeUndefined();
    expect(r.message).toMatch(/^tap_hold\(\): threshold must be 1–65535 ms, got 99999/);
    expect(r.message).not.toMatch(/mapping\.rhai|\n/);
    const mm = draftFrom({
      kind: 'mouseMove',
      from: 'H',
      x: -1,
      y: 0,
      speed: 300,
      maxSpeed: 1500,
      accelMs: 1000,
    });
    mm.maxSpeed = '100';
    expect(refused(mm, 'H').message).toMatch(/max/i);
  });

  test('forms that would do nothing are refused before the compiler', () => {
    const mods = draftFrom({
      kind: 'modifiedOutput',
      from: 'A',
      to: 'C',
      shift: true,
      ctrl: false,
      alt: false,
      win: false,
    });
    mods.shift = false;
    expect(refused(mods, 'A').field).toBe('mods');
    const dance = draftFrom(undefined);
    dance.kind = 'tapDance';
    expect(refused(dance, 'A')).toEqual({
      field: 'actions.0.tap',
      message: 'tap 1 does nothing: choose a key or a hold',
    });
    const text = draftFrom(undefined);
    text.kind = 'unicode';
    expect(refused(text, 'A').field).toBe('text');
    const seq = draftFrom(undefined);
    seq.kind = 'sequence';
    expect(refused(seq, 'A').field).toBe('keys');
  });
});

test('the keys and layers a mapping names', () => {
  expect(
    mappingKeys({ kind: 'tapHold', from: 'A', tap: 'Escape', holdKey: 'LCtrl', thresholdMs: 200 }),
  ).toEqual(['Escape', 'LCtrl']);
  expect(
    mappingKeys({
      kind: 'macro',
      from: 'M',
      steps: [
        { op: 'tap', key: 'H' },
        { op: 'wait', ms: 1 },
        { op: 'tap', key: 'H' },
      ],
    }),
  ).toEqual(['H']);
  expect(
    mappingLayers({ kind: 'tapHold', from: 'A', tap: 'A', hold: 1, thresholdMs: 200, timeoutLayer: 2 }),
  ).toEqual(['MD_01', 'MD_02']);
  expect(mappingLayers({ kind: 'lock', from: 'A', id: 10 })).toEqual(['LK_0A']);
  expect(mappingLayers({ kind: 'simple', from: 'A', to: 'B' })).toEqual([]);
});
