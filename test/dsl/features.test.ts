/** The built-ins beyond KeyRx: what they compile to, and a clear error at the right place for each mistake. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic } from '../../src/dsl/diagnostics.ts';
import { describeConfig, Engine, simulate, validateConfig } from '../../src/core/index.ts';
import type { CompileResult } from '../../src/dsl/compile.ts';
import { compileProfile } from '../../src/dsl/compile.ts';
import { formatDiagnostic } from '../../src/dsl/diagnostics.ts';
import { decodeKrx, encodeKrx } from '../../src/dsl/krx.ts';

const wrap = (body: string): string => `device_start("*");\n${body}\ndevice_end();\n`;

function ok(source: string): CompileResult {
  const r = compileProfile(source, { file: 'p.rhai' });
  assert.ok(r.ok, r.diagnostics.map((d) => formatDiagnostic(d, source)).join('\n'));
  return r;
}

/** Errors of a one-line body (line 2 of the wrapped profile), as `col message`. */
function errors(body: string): string[] {
  const r = compileProfile(wrap(body), { file: 'p.rhai' });
  assert.equal(r.ok, false, `expected an error for: ${body}`);
  return r.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.span.line}:${d.span.column} ${d.message}`);
}

function only(body: string): Diagnostic {
  const r = compileProfile(wrap(body), { file: 'p.rhai' });
  const errs = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errs.length, 1, errs.map((d) => d.message).join('\n'));
  return errs[0];
}

/** What the config model (the .krx cache and the API take it) says of one mapping: 'valid' or its error. */
function configError(mapping: object): string {
  try {
    validateConfig({ version: 1, devices: [{ pattern: '*', mappings: [mapping] }] });
    return 'valid';
  } catch (e) {
    return (e as Error).message;
  }
}

test('the call forms of the issue compile, and the config round-trips through .krx and validation', () => {
  const r = ok(
    wrap(`
      tap_hold("F", "VK_F", "VK_LShift", 200, #{ mode: "balanced", require_prior_idle_ms: 150 });
      one_shot("RAlt", "VK_LShift");
      combo(["J", "K"], "VK_Escape", 50);
      tap_dance("Q", ["VK_Q", "VK_Escape"], 200);
      macro("F5", [tap("VK_H"), wait(20), tap("VK_I"), text("hi")]);
      layer_toggle("F9", "MD_05");
      layer_switch("F10", "MD_06");
      caps_word("F8");
      key_override(["LShift"], "Backspace", "VK_Delete");
      unicode("F7", "é");
      when_start("APP:firefox"); map("F1", "VK_F5"); when_end();`),
  );
  const mappings = r.config!.devices[0].mappings;
  assert.deepEqual(mappings.slice(0, 10), [
    {
      kind: 'tapHold',
      from: 'F',
      tap: 'F',
      holdKey: 'LShift',
      thresholdMs: 200,
      mode: 'balanced',
      requirePriorIdleMs: 150,
    },
    { kind: 'oneShot', from: 'RAlt', key: 'LShift', timeoutMs: 1000 },
    { kind: 'combo', keys: ['J', 'K'], to: 'Escape', windowMs: 50 },
    { kind: 'tapDance', from: 'Q', actions: [{ tap: 'Q' }, { tap: 'Escape' }], windowMs: 200 },
    {
      kind: 'macro',
      from: 'F5',
      steps: [
        { op: 'tap', key: 'H' },
        { op: 'wait', ms: 20 },
        { op: 'tap', key: 'I' },
        { op: 'text', text: 'hi' },
      ],
    },
    { kind: 'layerToggle', from: 'F9', id: 5 },
    { kind: 'layerSwitch', from: 'F10', id: 6 },
    { kind: 'capsWord', from: 'F8', timeoutMs: 5000 },
    { kind: 'keyOverride', from: 'Backspace', mods: ['LShift'], to: 'Delete' },
    { kind: 'unicode', from: 'F7', text: 'é' },
  ]);
  assert.deepEqual(mappings[10], {
    kind: 'conditional',
    condition: { kind: 'app', pattern: 'firefox' },
    mappings: [{ kind: 'simple', from: 'F1', to: 'F5' }],
  });
  const config = r.config!;
  const hash = 'ab'.repeat(32);
  const decoded = decodeKrx(encodeKrx(config, hash), { expectSourceHash: hash });
  assert.deepEqual(validateConfig(JSON.parse(JSON.stringify(decoded.config))), validateConfig(config));
  // every kind has a keycap and a line of detail
  const [view] = describeConfig(config);
  for (const key of ['F', 'RAlt', 'Q', 'F5', 'F9', 'F10', 'F8', 'F7'])
    assert.ok(view.layers[0].keys[key]?.detail, `no description for ${key}`);
  assert.equal(view.layers[0].combos[0].detail, 'J+K together (within 50 ms) → Escape');
  assert.equal(view.layers[0].overrides?.Backspace?.detail, 'LShift+Backspace → Delete');
  assert.ok(view.layers.some((l) => l.name === 'APP:firefox'));
});

test('combo outputs: a key, a key with modifiers, a layer', () => {
  const r = ok(
    wrap(`
      combo(["J", "K"], "VK_Escape");
      combo(["S", "D"], with_mods("VK_T", true, true, false, false), 30);
      combo(["E", "R"], "MD_02");`),
  );
  assert.deepEqual(r.config!.devices[0].mappings, [
    { kind: 'combo', keys: ['J', 'K'], to: 'Escape', windowMs: 50 },
    { kind: 'combo', keys: ['S', 'D'], to: 'T', shift: true, ctrl: true, windowMs: 30 },
    { kind: 'combo', keys: ['E', 'R'], layer: 2, windowMs: 50 },
  ]);
  const [view] = describeConfig(r.config!);
  assert.deepEqual(
    view.layers[0].combos.map((c) => [c.label, c.detail]),
    [
      ['Esc', 'J+K together (within 50 ms) → Escape'],
      ['⇧⌃T', 'S+D together (within 30 ms) → Shift+Ctrl+T'],
      ['MD_02', 'E+R together (within 50 ms) → layer MD_02 while held'],
    ],
  );
  assert.match(
    only('combo(["J", "K"], with_shift("K"));').message,
    /virtual key 'K' is missing required prefix/,
  );
});

test('tap_hold options: each one, the defaults, and opposite_hand maps', () => {
  const r = ok(
    wrap(`
      tap_hold("A", "VK_A", "MD_01", 180, #{ mode: "permissive", quick_tap_ms: 120, opposite_hand: true });
      tap_hold("S", "VK_S", "VK_LAlt", 180, #{ mode: "hold_on_press", opposite_hand: #{ left: ["A", "S"], right: ["VK_J"] } });
      tap_hold("D", "VK_D", "MD_02", 180, #{});`),
  );
  const [a, s, d] = r.config!.devices[0].mappings as Extract<
    (typeof r.config & object)['devices'][0]['mappings'][0],
    { kind: 'tapHold' }
  >[];
  assert.equal(a.mode, undefined, 'permissive is the default and is not stored');
  assert.equal(a.quickTapMs, 120);
  assert.ok(a.oppositeHand?.left.includes('F') && a.oppositeHand.right.includes('J'));
  assert.deepEqual(s.oppositeHand, { left: ['A', 'S'], right: ['J'] });
  assert.equal(s.holdKey, 'LAlt');
  assert.deepEqual(d, { kind: 'tapHold', from: 'D', tap: 'D', hold: 2, thresholdMs: 180 });
});

test('tap_hold options that decide: tap_keys, hold_keys, timeout_action, retro_tap', () => {
  const r = ok(
    wrap(`
      tap_hold("F", "VK_F", "VK_LShift", 200, #{ tap_keys: ["VK_G", "R"], hold_keys: ["C"], retro_tap: true });
      tap_hold("J", "VK_J", "VK_RShift", 200, #{ timeout_action: "VK_J", retro_tap: false });
      tap_hold("K", "VK_K", "MD_01", 200, #{ timeout_action: "MD_0A" });`),
  );
  const [f, j, k] = r.config!.devices[0].mappings;
  assert.deepEqual(f, {
    kind: 'tapHold',
    from: 'F',
    tap: 'F',
    holdKey: 'LShift',
    thresholdMs: 200,
    tapKeys: ['G', 'R'],
    holdKeys: ['C'],
    retroTap: true,
  });
  assert.deepEqual(j, {
    kind: 'tapHold',
    from: 'J',
    tap: 'J',
    holdKey: 'RShift',
    thresholdMs: 200,
    timeoutKey: 'J',
  });
  assert.deepEqual(k, { kind: 'tapHold', from: 'K', tap: 'K', hold: 1, thresholdMs: 200, timeoutLayer: 10 });
  // the config validator agrees (the .krx cache and the API take the same model)
  assert.deepEqual(validateConfig(JSON.parse(JSON.stringify(r.config))), r.config);
  assert.match(describeConfig(r.config!)[0].layers[0].keys.F.detail, /tap on G R, hold on C, retro tap/);

  const bad = (options: string): Diagnostic =>
    only(`tap_hold("F", "VK_F", "VK_LShift", 200, #{ ${options} });`);
  const both = bad('tap_keys: ["G"], hold_keys: ["VK_G"]');
  assert.match(both.message, /G is in both tap_keys and hold_keys/);
  assert.equal(`${both.span.line}:${both.span.column}`, '2:41');
  assert.match(bad('tap_keys: []').message, /tap_keys must be a non-empty array of keys/);
  assert.match(bad('hold_keys: "C"').message, /hold_keys must be a non-empty array of keys, got string/);
  assert.deepEqual(bad('tap_keys: ["Gg"]').suggestions?.slice(0, 1), ['G']);
  assert.match(bad('timeout_action: "J"').message, /virtual key 'J' is missing required prefix/);
  assert.match(bad('timeout_action: 1').message, /a key "VK_…" or a layer "MD_xx", got/);
  assert.match(bad('timeout_action: "MD_FF"').message, /Modifier ID 255 exceeds maximum value 254/);
  assert.match(bad('retro_tap: 1').message, /retro_tap must be true or false/);
  assert.match(
    bad('mode: "hold_on_press", timeout_action: "VK_F"').message,
    /never runs with mode "hold_on_press"/,
  );
});

test('the config model refuses what the DSL refuses in tap_hold options', () => {
  const base = { kind: 'tapHold', from: 'F', tap: 'F', holdKey: 'LShift', thresholdMs: 200 };
  const check = (extra: object): string => configError({ ...base, ...extra });
  assert.match(check({ tapKeys: ['G'], holdKeys: ['G'] }), /holdKeys.*lists G, which tapKeys lists too/);
  assert.match(check({ timeoutKey: 'J', timeoutLayer: 1 }), /both 'timeoutKey' and 'timeoutLayer'/);
  assert.match(check({ retroTap: 'yes' }), /retroTap.*must be a boolean/);
  assert.match(check({ mode: 'hold_on_press', timeoutLayer: 2 }), /never runs with mode hold_on_press/);
  assert.match(check({ tapKeys: ['NoSuchKey'] }), /NoSuchKey/);
  assert.equal(check({ tapKeys: ['G'], timeoutKey: 'F', retroTap: true }), 'valid');
});

test('tap_hold: a mistake in the options is an error at the options, with suggestions', () => {
  const mode = only('tap_hold("F", "VK_F", "VK_LShift", 200, #{ mode: "balance" });');
  assert.match(
    mode.message,
    /mode must be one of "permissive", "hold_on_press", "balanced", "tap_preferred", got "balance"/,
  );
  assert.deepEqual(mode.suggestions, ['"balanced"']);
  assert.equal(`${mode.span.line}:${mode.span.column}`, '2:41');
  const unknown = only('tap_hold("F", "VK_F", "VK_LShift", 200, #{ quick_tap: 100 });');
  assert.match(
    unknown.message,
    /unknown option 'quick_tap' \(options: mode, quick_tap_ms, require_prior_idle_ms, opposite_hand, roll_ms, tap_keys, hold_keys, timeout_action, retro_tap, tap_held\)/,
  );
  assert.deepEqual(unknown.suggestions, ['quick_tap_ms']);
  assert.match(
    only('tap_hold("F", "VK_F", "VK_LShift", 200, #{ quick_tap_ms: -1 });').message,
    /from 0 to 65535/,
  );
  assert.match(only('tap_hold("F", "VK_F", "VK_LShift", 200, #{ quick_tap_ms: "100" });').message, /integer/);
  assert.match(
    only('tap_hold("F", "VK_F", "VK_LShift", 200, #{ opposite_hand: 1 });').message,
    /true or #\{ left/,
  );
  assert.match(
    only('tap_hold("F", "VK_F", "VK_LShift", 200, [1]);').message,
    /options must be an object map/,
  );
  const hold = only('tap_hold("F", "VK_F", "VK_A", 200);');
  assert.match(hold.message, /'VK_A' is not a modifier key/);
  assert.match(only('tap_hold("F", "VK_F", "LShift", 200);').hint ?? '', /VK_LShift/);
});

test('each new built-in reports its mistakes where they are', () => {
  const cases: [string, RegExp][] = [
    ['one_shot("RAlt", "VK_A");', /one_shot target: 'VK_A' is not a modifier key/],
    ['one_shot("RAlt", "VK_LShift", 0);', /timeout must be 1–65535 ms, got 0/],
    ['combo(["J"], "VK_Escape");', /combo\(\) needs 2 to 8 keys, got 1/],
    ['combo(["J", "J"], "VK_Escape");', /combo\(\) names J twice/],
    ['combo(["J", "K"], "Escape");', /virtual key 'Escape' is missing required prefix/],
    ['combo(["J", "Kay"], "VK_Escape");', /Unknown key name: 'Kay'/],
    ['combo(["J", 1], "VK_Escape");', /combo keys must be key name strings, got i64/],
    ['combo(["J", "K"], "VK_Escape", 6000);', /window must be 1–5000 ms/],
    ['tap_dance("Q", []);', /tap_dance\(\) needs 1 to 16 actions, got 0/],
    ['tap_dance("Q", [1]);', /tap_dance action 1 must be "VK_…", "MD_…" or #\{ tap: …, hold: … \}, got i64/],
    ['tap_dance("Q", [#{ tapp: "VK_Q" }]);', /unknown field 'tapp'/],
    ['tap_dance("Q", ["Q"]);', /virtual key 'Q' is missing required prefix/],
    [
      'macro("F5", ["VK_H"]);',
      /macro step 1 must be press\(\), release\(\), tap\(\), wait\(\) or text\(\), got string/,
    ],
    ['macro("F5", []);', /macro\(\) needs 1 to 1000 steps, got 0/],
    ['macro("F5", [wait(60001)]);', /wait\(\) takes 0–60000 ms, got 60001/],
    ['macro("F5", [text("")]);', /text\(\): the text is empty/],
    ['macro("F5", [text("a\\u0007")]);', /text\(\): cannot type U\+0007/],
    [
      'let t = text("' + 'x'.repeat(1000) + '"); macro("F5", [t, t, t, t, t, t, t, t, t, t, t]);',
      /macro\(\) types 11000 characters in all \(max 10000\)/,
    ],
    ['layer_toggle("F9", "LK_05");', /layer_toggle\(\) target must be a layer MD_xx, got: LK_05/],
    ['layer_switch("F9", "MD_FF");', /Modifier ID 255 exceeds maximum value 254/],
    ['caps_word("F8", 0);', /idle timeout must be 1–65535 ms, got 0/],
    [
      'key_override(["Shft"], "Backspace", "VK_Delete");',
      /key_override modifiers are Shift, Ctrl, Alt, Meta, LShift/,
    ],
    ['key_override([], "Backspace", "VK_Delete");', /needs 1 to 8 modifiers/],
    ['unicode("F7", "");', /unicode\(\): the text is empty/],
    ['unicode("F7", "' + 'é'.repeat(65) + '");', /unicode\(\): the text has 65 characters \(max 64\)/],
    ['when_start("APP:"); map("A", "VK_B"); when_end();', /APP: needs a name or glob/],
  ];
  for (const [body, message] of cases) {
    const errs = errors(body);
    assert.equal(errs.length, 1, `${body}: ${errs.join(' | ')}`);
    assert.match(errs[0], message, body);
    assert.match(errs[0], /^2:\d+ /, `${body}: not on the call's line`);
  }
  const suggestion = only('key_override(["Shft"], "Backspace", "VK_Delete");');
  assert.equal(suggestion.suggestions?.[0], 'Shift');
  // a failed macro step is reported once, where it is made
  assert.deepEqual(errors('macro("F5", [tap("VK_Hh"), wait(5)]);'), ["2:18 Unknown key name: 'Hh'"]);
});

test('the new built-ins belong inside a device block; unicode_entry does not', () => {
  const r = compileProfile('combo(["J", "K"], "VK_Escape");\n', { file: 'p.rhai' });
  assert.match(r.diagnostics[0].message, /combo\(\) must be called inside a device_start/);
  const entry = ok(
    `unicode_entry(["VK_LCtrl", "VK_LShift", "VK_U"], "VK_Enter");\n${wrap('unicode("F7", "é");')}`,
  );
  assert.deepEqual(entry.config!.unicodeEntry, { start: ['LCtrl', 'LShift', 'U'], end: 'Enter' });
  assert.equal(
    simulate(entry.config!, 'd:F7 u:F7').output,
    'd:LCtrl d:LShift d:U u:U u:LShift u:LCtrl d:E u:E d:Num9 u:Num9 d:Enter u:Enter',
  );
  // astral characters: one entry, the whole code point
  assert.equal(
    simulate(ok(wrap('unicode("F7", "😀");')).config!, 'd:F7').output,
    'd:LCtrl d:LShift d:U u:U u:LShift u:LCtrl d:Num1 u:Num1 d:F u:F d:Num6 u:Num6 d:Num0 u:Num0 d:Num0 u:Num0 d:Space u:Space',
  );
});

test('a profile swap (releaseAll) while input is held back or a macro runs leaves nothing down or pending', () => {
  const config = ok(
    wrap(`
      tap_hold("F", "VK_F", "VK_LShift", 200, #{ mode: "balanced" });
      combo(["J", "K"], "VK_Escape");
      macro("F5", [press("VK_LCtrl"), wait(100), tap("VK_C")]);
      one_shot("RAlt", "VK_RShift");
      caps_word("F8");`),
  ).config!;
  for (const script of [
    ['d:F', 'd:X', 'd:Y'],
    ['d:J'],
    ['d:F5', 'd:A'],
    ['d:RAlt', 'u:RAlt'],
    ['d:F8', 'u:F8', 'd:A'],
  ]) {
    const engine = new Engine(config);
    const out = [];
    for (const token of script) {
      const [action, key] = token.split(':');
      out.push(
        ...engine.process({ key: keyCode(key), action: action === 'd' ? 'press' : 'release', timeUs: 0 }),
      );
    }
    out.push(...engine.releaseAll(10_000));
    const s = engine.state();
    assert.deepEqual(
      [s.outputDown, s.pending, s.queued, s.oneShots, s.capsWord, engine.nextDeadline()],
      [[], [], 0, [], false, null],
      script.join(' '),
    );
    const down = new Set<number>();
    for (const e of out)
      if (e.action === 'press') down.add(e.key);
      else if (e.action === 'release') down.delete(e.key);
    assert.deepEqual([...down], [], `${script.join(' ')}: released what it pressed`);
    // the held-back presses never went out, so their releases do nothing
    assert.deepEqual(engine.process({ key: keyCode('X'), action: 'release', timeUs: 20_000 }), []);
  }
});

import { resolveKey as keyCode } from '../../src/core/index.ts';

test('combo release and tap_dance eager options, and their mistakes at the options', () => {
  const r = ok(
    wrap(`
      combo(["J", "K"], "VK_Escape", #{ release: "all" });
      combo(["U", "I"], "MD_02", 40, #{ release: "first" });
      tap_dance("E", ["VK_E", "VK_Backspace"], 150, #{ eager: true });
      tap_dance("Q", ["VK_Q"], #{ eager: false });`),
  );
  assert.deepEqual(r.config!.devices[0].mappings, [
    { kind: 'combo', keys: ['J', 'K'], windowMs: 50, to: 'Escape', release: 'all' },
    { kind: 'combo', keys: ['U', 'I'], windowMs: 40, layer: 2 },
    {
      kind: 'tapDance',
      from: 'E',
      actions: [{ tap: 'E' }, { tap: 'Backspace' }],
      windowMs: 150,
      eager: true,
    },
    { kind: 'tapDance', from: 'Q', actions: [{ tap: 'Q' }], windowMs: 200 },
  ]);
  assert.deepEqual(validateConfig(JSON.parse(JSON.stringify(r.config))), r.config);

  const release = only('combo(["J", "K"], "VK_Escape", #{ release: "last" });');
  assert.match(release.message, /combo option release must be "first" or "all", got "last"/);
  assert.equal(`${release.span.line}:${release.span.column}`, '2:32');
  const unknown = only('combo(["J", "K"], "VK_Escape", 50, #{ releas: "all" });');
  assert.match(unknown.message, /combo: unknown option 'releas' \(options: release\)/);
  assert.deepEqual(unknown.suggestions, ['release']);
  assert.match(
    only('combo(["J", "K"], "VK_Escape", 50, 60);').message,
    /combo\(\) options must be an object map/,
  );
  assert.match(only('tap_dance("E", ["VK_E"], 150, #{ eager: 1 });').message, /eager must be true or false/);
  assert.match(only('tap_dance("E", ["VK_E"], #{ eagre: true });').message, /unknown option 'eagre'/);
  assert.match(
    configError({ kind: 'combo', keys: ['J', 'K'], to: 'A', windowMs: 50, release: 'last' }),
    /release.*must be "first" or "all"/,
  );
});

test('one_shot lock, caps_word pairs and word lists, auto_shift: what they compile to, and their mistakes', () => {
  const r = ok(
    wrap(`
      one_shot("LAlt", "VK_LCtrl", 500, #{ lock: true });
      caps_word(["VK_LShift", "RShift"], 3000);
      caps_word("F9", 5000, #{ shift_keys: ["letters", "VK_Num1"], continue_keys: ["Minus"] });
      auto_shift(["digits", "A", "VK_Num1"], 200);`),
  );
  const mappings = r.config!.devices[0].mappings;
  assert.deepEqual(mappings.slice(0, 2), [
    { kind: 'oneShot', from: 'LAlt', key: 'LCtrl', timeoutMs: 500, lock: true },
    { kind: 'capsWord', from: 'LShift', together: 'RShift', timeoutMs: 3000 },
  ]);
  const word = mappings[2] as { shiftKeys: string[]; continueKeys: string[] };
  assert.equal(word.shiftKeys.length, 27);
  assert.deepEqual(word.shiftKeys.slice(-2), ['Z', 'Num1']);
  assert.deepEqual(word.continueKeys, ['Minus']);
  // the ten digits, then A; Num1 listed twice counts once
  const shifted = mappings.slice(3).map((m) => (m as { from: string }).from);
  assert.equal(shifted.length, 11);
  assert.deepEqual(shifted.slice(0, 10).sort(), [
    'Num0',
    'Num1',
    'Num2',
    'Num3',
    'Num4',
    'Num5',
    'Num6',
    'Num7',
    'Num8',
    'Num9',
  ]);
  assert.equal(shifted[10], 'A');
  assert.ok(mappings.slice(3).every((m) => m.kind === 'autoShift' && m.thresholdMs === 200));
  assert.deepEqual(validateConfig(JSON.parse(JSON.stringify(r.config))), r.config);
  // the pair is listed with the combos, not on either Shift
  const base = describeConfig(r.config!)[0].layers[0];
  assert.equal(base.keys.LShift, undefined);
  assert.match(base.combos[0].detail, /LShift\+RShift together → caps word; both keys still act/);
  assert.match(base.keys.A.detail, /auto shift: held ≥ 200 ms types Shift\+A/);

  assert.match(only('one_shot("LAlt", "VK_LCtrl", #{ lock: "yes" });').message, /lock must be true or false/);
  assert.match(only('one_shot("LAlt", "VK_LCtrl", #{ locked: true });').message, /unknown option 'locked'/);
  assert.match(only('caps_word(["VK_LShift"]);').message, /caps_word\(\) needs 2 to 2 keys, got 1/);
  assert.match(only('caps_word(["VK_LShift", "LShift"]);').message, /names LShift twice/);
  assert.match(
    only('caps_word("F9", 100, #{ shift_keys: "letters" });').message,
    /shift_keys must be an array/,
  );
  const typo = only('caps_word("F9", 100, #{ continue_keys: ["Minuss"] });');
  assert.match(typo.message, /Minuss/);
  assert.ok(typo.suggestions?.includes('Minus'), JSON.stringify(typo.suggestions));
  assert.match(only('auto_shift([]);').message, /auto_shift\(\) needs 1 to 256 keys, got 0/);
  assert.match(only('auto_shift(["letterz"]);').message, /letterz/);
  assert.match(only('auto_shift(["A"], 0);').message, /the timeout must be 1–65535 ms, got 0/);
});

test('leader and leader_sequence, dynamic macros: what they compile to, and their mistakes', () => {
  const r = ok(
    wrap(`
      leader("RAlt", 500);
      leader_sequence(["G", "G"], "VK_Home");
      leader_sequence(["S"], with_mods("VK_S", true, true, false, false));
      leader_sequence(["E"], text("me@example.com"));
      leader_sequence(["D"], [tap("VK_A"), wait(20)]);
      dynamic_macro_record("F5", 0);
      dynamic_macro_play("F6", 9);`),
  );
  assert.deepEqual(r.config!.devices[0].mappings, [
    {
      kind: 'leader',
      from: 'RAlt',
      timeoutMs: 500,
      sequences: [
        { keys: ['G', 'G'], steps: [{ op: 'tap', key: 'Home' }] },
        {
          keys: ['S'],
          steps: [
            { op: 'press', key: 'LShift' },
            { op: 'press', key: 'LCtrl' },
            { op: 'tap', key: 'S' },
            { op: 'release', key: 'LCtrl' },
            { op: 'release', key: 'LShift' },
          ],
        },
        { keys: ['E'], steps: [{ op: 'text', text: 'me@example.com' }] },
        {
          keys: ['D'],
          steps: [
            { op: 'tap', key: 'A' },
            { op: 'wait', ms: 20 },
          ],
        },
      ],
    },
    { kind: 'dynamicMacroRecord', from: 'F5', slot: 0 },
    { kind: 'dynamicMacroPlay', from: 'F6', slot: 9 },
  ]);
  assert.deepEqual(validateConfig(JSON.parse(JSON.stringify(r.config))), r.config);
  assert.match(
    describeConfig(r.config!)[0].layers[0].keys.RAlt.detail,
    /leader \(500 ms per key\): G G → tap Home/,
  );

  const first = only('leader_sequence(["G"], "VK_Home");');
  assert.match(first.message, /needs a leader\(key\) before it in this device block/);
  assert.equal(`${first.span.line}:${first.span.column}`, '2:1');
  assert.match(
    errors('leader("RAlt"); leader_sequence(["G"], "VK_A"); leader_sequence(["VK_G"], "VK_B");').join('\n'),
    /G is already a sequence of this leader/,
  );
  assert.match(only('leader("RAlt"); leader_sequence([], "VK_A");').message, /needs 1 to 8 keys, got 0/);
  assert.match(only('leader("RAlt"); leader_sequence(["G"], "Home");').message, /missing required prefix/);
  assert.match(
    only('leader("RAlt"); leader_sequence(["G"], 5);').message,
    /the action must be "VK_…", with_\*/,
  );
  assert.match(only('leader("RAlt"); leader_sequence(["G"], [1]);').message, /step 1 must be press\(\)/);
  assert.match(only('dynamic_macro_record("F5", 10);').message, /the slot must be 0–9, got 10/);
  assert.match(only('dynamic_macro_play("F5", "0");').message, /integer|int/);
  // the config model: a repeated sequence, a slot out of range
  assert.match(
    configError({
      kind: 'leader',
      from: 'RAlt',
      timeoutMs: 100,
      sequences: [
        { keys: ['G'], steps: [{ op: 'tap', key: 'A' }] },
        { keys: ['VK_G'], steps: [{ op: 'tap', key: 'B' }] },
      ],
    }),
    /repeats the sequence/,
  );
  assert.match(configError({ kind: 'dynamicMacroPlay', from: 'F6', slot: 10 }), /slot.*0–9/);
});

test('mouse keys: buttons as key names, mouse_move and mouse_wheel with their defaults, and their mistakes', () => {
  const r = ok(
    wrap(`
      map("F1", "VK_MouseLeft");
      mouse_move("H", "left");
      mouse_move("K", "up_right", #{ speed: 200, max_speed: 2000, accel_ms: 500 });
      mouse_wheel("U", "down", #{ rate: 20 });
      mouse_wheel("I", "left");`),
  );
  assert.deepEqual(r.config!.devices[0].mappings, [
    { kind: 'simple', from: 'F1', to: 'MouseLeft' },
    { kind: 'mouseMove', from: 'H', x: -1, y: 0, speed: 300, maxSpeed: 1500, accelMs: 1000 },
    { kind: 'mouseMove', from: 'K', x: 1, y: -1, speed: 200, maxSpeed: 2000, accelMs: 500 },
    { kind: 'mouseWheel', from: 'U', x: 0, y: 1, rate: 20 },
    { kind: 'mouseWheel', from: 'I', x: -1, y: 0, rate: 10 },
  ]);
  assert.deepEqual(validateConfig(JSON.parse(JSON.stringify(r.config))), r.config);
  const keys = describeConfig(r.config!)[0].layers[0].keys;
  assert.match(keys.K.detail, /moves the pointer up_right: 200 px\/s to 2000 px\/s over 500 ms/);
  assert.match(keys.U.detail, /scrolls down: 20 notches\/s/);

  const dir = only('mouse_move("H", "upleft");');
  assert.match(dir.message, /direction must be one of "up", "down", "left", "right", "up_left"/);
  assert.deepEqual(dir.suggestions?.[0], '"up_left"');
  assert.match(
    only('mouse_wheel("U", "up_left");').message,
    /direction must be one of "up", "down", "left", "right", got/,
  );
  assert.match(
    only('mouse_move("H", "left", #{ speed: 0 });').message,
    /speed must be an integer from 1 to 10000/,
  );
  assert.match(
    only('mouse_move("H", "left", #{ speed: 900, max_speed: 500 });').message,
    /max_speed \(500\) is below speed \(900\)/,
  );
  assert.match(only('mouse_move("H", "left", #{ spede: 1 });').message, /unknown option 'spede'/);
  assert.match(
    only('mouse_wheel("U", "up", #{ rate: 101 });').message,
    /rate must be an integer from 1 to 100/,
  );
  assert.match(only('map("F1", "VK_MouseLeftt");').message, /MouseLeftt/);
  assert.match(configError({ kind: 'mouseWheel', from: 'U', x: 1, y: 1, rate: 5 }), /x or y, not both/);
  assert.match(
    configError({ kind: 'mouseMove', from: 'U', x: 0, y: 0, speed: 1, maxSpeed: 1, accelMs: 0 }),
    /both 0/,
  );
  assert.match(
    configError({ kind: 'mouseMove', from: 'U', x: 2, y: 0, speed: 1, maxSpeed: 1, accelMs: 0 }),
    /-1, 0 or 1/,
  );
});

test('led_indicator: a light for a layer, anywhere in the profile, and its mistakes', () => {
  const r = ok(
    `led_indicator("MD_01", "ScrollLock");\n${wrap('map("A", "VK_B");')}led_indicator("MD_0A", "Kana");\n`,
  );
  assert.deepEqual(r.config!.ledIndicators, [
    { layer: 1, led: 'ScrollLock' },
    { layer: 10, led: 'Kana' },
  ]);
  assert.deepEqual(validateConfig(JSON.parse(JSON.stringify(r.config))), r.config);
  const light = only('led_indicator("MD_01", "ScrolLock");');
  assert.match(
    light.message,
    /the light must be one of "NumLock", "CapsLock", "ScrollLock", "Compose", "Kana", got "ScrolLock"/,
  );
  assert.deepEqual(light.suggestions?.[0], '"ScrollLock"');
  assert.match(only('led_indicator("LK_01", "NumLock");').message, /layer must be MD_xx, got: LK_01/);
  assert.match(
    only('led_indicator("MD_01", "NumLock"); led_indicator("MD_02", "NumLock");').message,
    /NumLock shows another layer already/,
  );
  assert.throws(
    () => validateConfig({ version: 1, devices: [], ledIndicators: [{ layer: 1, led: 'Caps' }] }),
    /ledIndicators\[0\]\.led.*must be one of NumLock/,
  );
});
