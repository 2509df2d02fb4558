/**
 * The KeyRx built-ins as the editor presents them: highlighted as their own token, completed with
 * a one-line signature and description (the facts are docs/dsl.md's). `snippet` is what completion
 * inserts: `${1:text}` marks the fields the user tabs through, in order, and `${0}` where the
 * cursor ends. A field holds the whole string, so a key name completed inside it replaces only the
 * field and Tab still moves on.
 */
import { BUILTIN_NAMES } from '../../../src/dsl/builtins.ts';

export interface BuiltinDoc {
  name: string;
  signature: string;
  description: string;
  snippet: string;
}

const DOCS: readonly BuiltinDoc[] = [
  {
    name: 'device_start',
    signature: 'device_start(pattern)',
    description:
      'Opens a device block for keyboards whose name or id matches pattern ("*" wildcard, case-insensitive). The first matching block wins.',
    snippet: 'device_start("${1:*}");${0}',
  },
  {
    name: 'device_end',
    signature: 'device_end()',
    description: 'Closes the open device block.',
    snippet: 'device_end();',
  },
  {
    name: 'map',
    signature: 'map(from, to)',
    description:
      'from types "VK_X", holds layer "MD_xx" while pressed, toggles lock "LK_xx", or types a with_*() combination.',
    snippet: 'map("${1:from}", "${2:VK_to}");${0}',
  },
  {
    name: 'tap_hold',
    signature: 'tap_hold(key, tap, hold, threshold_ms, options = #{})',
    description:
      'Tap for tap ("VK_"), hold for layer hold ("MD_") or a modifier ("VK_LShift": home-row mods). Held at threshold_ms (1–65535) or, by default, another key pressed → hold. options: mode, quick_tap_ms, require_prior_idle_ms, roll_ms, opposite_hand, tap_keys, hold_keys, timeout_action, retro_tap, tap_held.',
    snippet: 'tap_hold("${1:key}", "${2:VK_tap}", "${3:MD_00}", ${4:200});${0}',
  },
  {
    name: 'hold_only',
    signature: 'hold_only(key, hold, threshold_ms = 200)',
    description: 'Like tap_hold without a tap: holding activates layer hold ("MD_"), a tap emits nothing.',
    snippet: 'hold_only("${1:key}", "${2:MD_00}");${0}',
  },
  {
    name: 'sequence',
    signature: 'sequence(key, [keys])',
    description: 'Pressing key types 1 to 8 keys ("VK_"), each pressed and released in order.',
    snippet: 'sequence("${1:key}", ["${2:VK_key}"]);${0}',
  },
  {
    name: 'when_start',
    signature: 'when_start(condition)',
    description:
      'Opens a conditional block: its mappings apply while "MD_xx" is held, "LK_xx" is on, "IME" / "LANG_xx" hold, the focused app or window title matches ("APP:firefox", "TITLE:*GitHub*"), or all of an array.',
    snippet: 'when_start("${1:MD_00}");${0}',
  },
  {
    name: 'when_not_start',
    signature: 'when_not_start(condition)',
    description:
      'Opens a conditional block that applies while the condition is false (an array: none of them).',
    snippet: 'when_not_start("${1:LK_00}");${0}',
  },
  {
    name: 'when_device_start',
    signature: 'when_device_start(pattern)',
    description: 'Opens a conditional block for keys coming from a device matching pattern.',
    snippet: 'when_device_start("${1:*}");${0}',
  },
  {
    name: 'when_end',
    signature: 'when_end()',
    description: 'Closes the open conditional block. Blocks do not nest.',
    snippet: 'when_end();',
  },
  {
    name: 'when_not_end',
    signature: 'when_not_end()',
    description: 'Same as when_end() (KeyRx spelling).',
    snippet: 'when_not_end();',
  },
  {
    name: 'when_device_end',
    signature: 'when_device_end()',
    description: 'Same as when_end() (KeyRx spelling).',
    snippet: 'when_device_end();',
  },
  {
    name: 'with_shift',
    signature: 'with_shift(key)',
    description: 'A value for map(): key ("VK_") with left Shift.',
    snippet: 'with_shift("${1:VK_key}")${0}',
  },
  {
    name: 'with_ctrl',
    signature: 'with_ctrl(key)',
    description: 'A value for map(): key ("VK_") with left Ctrl.',
    snippet: 'with_ctrl("${1:VK_key}")${0}',
  },
  {
    name: 'with_alt',
    signature: 'with_alt(key)',
    description: 'A value for map(): key ("VK_") with left Alt.',
    snippet: 'with_alt("${1:VK_key}")${0}',
  },
  {
    name: 'with_win',
    signature: 'with_win(key)',
    description: 'A value for map(): key ("VK_") with left Win.',
    snippet: 'with_win("${1:VK_key}")${0}',
  },
  {
    name: 'with_mods',
    signature: 'with_mods(key, shift, ctrl, alt, win)',
    description:
      'A value for map(): key ("VK_") with the chosen left modifiers, pressed in the order Shift, Ctrl, Alt, Win.',
    snippet: 'with_mods("${1:VK_key}", ${2:false}, ${3:false}, ${4:false}, ${5:false})${0}',
  },
  {
    name: 'one_shot',
    signature: 'one_shot(key, target, ms = 1000, #{ lock })',
    description:
      'Tap key: target ("VK_LShift" or another modifier, or a layer "MD_xx") applies to the next key only, for at most ms; held, it is an ordinary modifier. Tap again to cancel — or, with #{ lock: true }, to lock it on until the next tap.',
    snippet: 'one_shot("${1:key}", "${2:VK_LShift}");${0}',
  },
  {
    name: 'combo',
    signature: 'combo([keys], output, ms = 50, #{ release })',
    description:
      '2–8 keys pressed together (any order, within ms of the first) give output — "VK_x", with_ctrl("VK_x") and friends, or a layer "MD_xx" — held until one of them is released (#{ release: "all" }: until all are); otherwise they type as usual.',
    snippet: 'combo(["${1:J}", "${2:K}"], "${3:VK_Escape}");${0}',
  },
  {
    name: 'tap_dance',
    signature: 'tap_dance(key, [actions], ms = 200, #{ eager })',
    description:
      'n taps (each within ms of the last) do the nth action: "VK_x" (tap it, held: hold it), "MD_xx" (held: the layer) or #{ tap: "VK_x", hold: "VK_y" | "MD_xx" }. #{ eager: true }: each press does its action at once.',
    snippet: 'tap_dance("${1:key}", ["${2:VK_tap1}", "${3:VK_tap2}"]);${0}',
  },
  {
    name: 'macro',
    signature: 'macro(key, [steps])',
    description:
      'Pressing key runs the steps press(), release(), tap(), wait(ms), text("…") in order, with real waits; input meanwhile is replayed after it.',
    snippet: 'macro("${1:key}", [${2:text("hello")}]);${0}',
  },
  {
    name: 'press',
    signature: 'press(key)',
    description:
      'A macro step: presses key ("VK_" optional) and keeps it down (released at the macro\'s end at the latest).',
    snippet: 'press("${1:VK_key}")${0}',
  },
  {
    name: 'release',
    signature: 'release(key)',
    description: 'A macro step: releases a key the macro pressed.',
    snippet: 'release("${1:VK_key}")${0}',
  },
  {
    name: 'tap',
    signature: 'tap(key)',
    description: 'A macro step: presses and releases key ("VK_" optional).',
    snippet: 'tap("${1:VK_key}")${0}',
  },
  {
    name: 'wait',
    signature: 'wait(ms)',
    description: 'A macro step: waits ms (0–60000) before the next step.',
    snippet: 'wait(${1:50})${0}',
  },
  {
    name: 'text',
    signature: 'text(text)',
    description:
      'A macro step: types text (US layout, Shift where needed; \\n Enter, \\t Tab; other characters through the unicode entry).',
    snippet: 'text("${1:text}")${0}',
  },
  {
    name: 'layer_toggle',
    signature: 'layer_toggle(key, layer)',
    description: 'Each press turns layer ("MD_xx") on or off; when_start("MD_xx") sees it.',
    snippet: 'layer_toggle("${1:key}", "${2:MD_00}");${0}',
  },
  {
    name: 'layer_switch',
    signature: 'layer_switch(key, layer)',
    description:
      'Makes layer ("MD_xx") the base layer, replacing another switched layer; pressing it again returns to none.',
    snippet: 'layer_switch("${1:key}", "${2:MD_00}");${0}',
  },
  {
    name: 'caps_word',
    signature: 'caps_word(key | [key, key], ms = 5000, #{ shift_keys, continue_keys })',
    description:
      'Caps word on (again: off): letters come out shifted and - as _ until a non-word key or ms without typing. Two keys (["VK_LShift", "VK_RShift"]): on when both are held, each still itself. Options replace the lists of shifted and continuing keys ("letters", "digits", "symbols" or keys).',
    snippet: 'caps_word("${1:key}");${0}',
  },
  {
    name: 'leader',
    signature: 'leader(key, ms = 1000)',
    description:
      'A leader key: the keys typed next (each within ms of the last) pick a sequence from leader_sequence(); they are not typed themselves.',
    snippet: 'leader("${1:VK_RAlt}");${0}',
  },
  {
    name: 'leader_sequence',
    signature: 'leader_sequence([keys], action)',
    description:
      'After the leader: these keys run action — "VK_x", with_ctrl("VK_x") and friends, text("…") or [macro steps].',
    snippet: 'leader_sequence(["${1:G}", "${2:G}"], "${3:VK_Home}");${0}',
  },
  {
    name: 'dynamic_macro_record',
    signature: 'dynamic_macro_record(key, slot)',
    description: 'Records what you type into slot 0–9 until a record key is pressed again.',
    snippet: 'dynamic_macro_record("${1:key}", ${2:0});${0}',
  },
  {
    name: 'dynamic_macro_play',
    signature: 'dynamic_macro_play(key, slot)',
    description: 'Types what slot 0–9 recorded (nothing until something is recorded).',
    snippet: 'dynamic_macro_play("${1:key}", ${2:0});${0}',
  },
  {
    name: 'mouse_move',
    signature: 'mouse_move(key, direction, #{ speed, max_speed, accel_ms })',
    description:
      'Moves the pointer while held ("up", "down", "left", "right", "up_left" …), from speed to max_speed px/s over accel_ms (defaults 300, 1500, 1000). Buttons are keys: "VK_MouseLeft" …',
    snippet: 'mouse_move("${1:key}", "${2:left}");${0}',
  },
  {
    name: 'mouse_wheel',
    signature: 'mouse_wheel(key, direction, #{ rate })',
    description:
      'Turns the wheel while held ("up", "down", "left", "right"), rate notches per second (default 10), in hi-res steps.',
    snippet: 'mouse_wheel("${1:key}", "${2:down}");${0}',
  },
  {
    name: 'led_indicator',
    signature: 'led_indicator(layer, light)',
    description:
      'A keyboard light ("NumLock", "CapsLock", "ScrollLock", "Compose", "Kana") on while layer "MD_xx" is active, off otherwise. Call it outside device blocks.',
    snippet: 'led_indicator("${1:MD_01}", "${2:ScrollLock}");${0}',
  },
  {
    name: 'layer_name',
    signature: 'layer_name(layer, name)',
    description:
      'Names layer "MD_xx" or "LK_xx" (1–32 characters, unique) for the keyboard view, the layer list and the editors. Call it outside device blocks.',
    snippet: 'layer_name("${1:MD_01}", "${2:Nav}");${0}',
  },
  {
    name: 'auto_shift',
    signature: 'auto_shift([keys], ms = 175)',
    description:
      'Each key held for ms comes out shifted (a tap, or another key pressed, gives it plain). Keys or the groups "letters", "digits", "symbols".',
    snippet: 'auto_shift(["${1:letters}"]);${0}',
  },
  {
    name: 'key_override',
    signature: 'key_override([modifiers], key, output)',
    description:
      'While all modifiers (Shift, Ctrl, Alt, Meta or one side: LShift …) are down, key gives output ("VK_") with them lifted: Shift+Backspace → Delete.',
    snippet: 'key_override(["${1:Shift}"], "${2:Backspace}", "${3:VK_Delete}");${0}',
  },
  {
    name: 'unicode',
    signature: 'unicode(key, text)',
    description:
      'Pressing key types text (1–64 characters, e.g. "é") through the unicode entry (Linux: Ctrl+Shift+U, hex, Space).',
    snippet: 'unicode("${1:key}", "${2:é}");${0}',
  },
  {
    name: 'unicode_entry',
    signature: 'unicode_entry([hold_keys], end_key)',
    description:
      'Profile-wide: the keys held to start a unicode entry and the key that ends it. Default ["VK_LCtrl", "VK_LShift", "VK_U"], "VK_Space".',
    snippet: 'unicode_entry(["${1:VK_LCtrl}", "${2:VK_LShift}", "${3:VK_U}"], "${4:VK_Space}");${0}',
  },
  {
    name: 'load',
    signature: 'load(path)',
    description:
      'Runs another file here, inside the open blocks, with its own variables. Bundled: shift.rhai, ctrl.rhai.',
    snippet: 'load("${1:shift.rhai}");${0}',
  },
  {
    name: 'print',
    signature: 'print(value)',
    description: 'Writes value to the compile output.',
    snippet: 'print(${1:value});${0}',
  },
  {
    name: 'debug',
    signature: 'debug(value)',
    description: "Writes value's debug form to the compile output.",
    snippet: 'debug(${1:value});${0}',
  },
];

/** The options map of tap_hold (its fifth argument): name, value and what it does. */
export interface OptionDoc {
  name: string;
  value: string;
  description: string;
  snippet: string;
}

export const TAP_HOLD_OPTIONS: readonly OptionDoc[] = [
  {
    name: 'mode',
    value: '"permissive" | "hold_on_press" | "balanced" | "tap_preferred"',
    description:
      'How another key decides while undecided: permissive (default: a press → hold), hold_on_press (hold at once, a lone tap undoes it), balanced (a press and release → hold), tap_preferred (only the threshold).',
    snippet: 'mode: "${1:balanced}"',
  },
  {
    name: 'quick_tap_ms',
    value: 'ms',
    description: 'Pressed again within ms after its tap: the tap key, held (auto-repeats).',
    snippet: 'quick_tap_ms: ${1:150}',
  },
  {
    name: 'require_prior_idle_ms',
    value: 'ms',
    description: 'Pressed within ms after another key: a tap at once, so fast typing never misfires.',
    snippet: 'require_prior_idle_ms: ${1:150}',
  },
  {
    name: 'roll_ms',
    value: 'ms',
    description: 'Another key pressed within ms after it is a roll: a tap at once.',
    snippet: 'roll_ms: ${1:50}',
  },
  {
    name: 'opposite_hand',
    value: 'true | #{ left: [keys], right: [keys] }',
    description:
      'A key of the same hand pressed while undecided makes it a tap (true: the built-in QWERTY hand map).',
    snippet: 'opposite_hand: ${1:true}',
  },
  {
    name: 'tap_keys',
    value: '[keys]',
    description: 'Pressing one of these keys while undecided makes it a tap at once.',
    snippet: 'tap_keys: ["${1:VK_J}"]',
  },
  {
    name: 'hold_keys',
    value: '[keys]',
    description: 'Pressing one of these keys while undecided makes it a hold at once.',
    snippet: 'hold_keys: ["${1:VK_C}"]',
  },
  {
    name: 'timeout_action',
    value: '"VK_…" | "MD_xx"',
    description:
      'Held alone to the threshold: this key (held) or layer instead of the hold; another key still decides the hold.',
    snippet: 'timeout_action: "${1:VK_F}"',
  },
  {
    name: 'retro_tap',
    value: 'true | false',
    description: 'Held alone past the threshold and released with no other key pressed: the tap as well.',
    snippet: 'retro_tap: ${1:true}',
  },
  {
    name: 'tap_held',
    value: 'true | false',
    description:
      'A tap decided while the key is still down (tap_keys, same hand, a roll, another key) holds the tap key until the key is released, instead of pressing and releasing it at once.',
    snippet: 'tap_held: ${1:true}',
  },
];

/** The values of tap_hold's `mode` option. */
export const TAP_HOLD_MODES: readonly { name: string; description: string }[] = [
  { name: 'permissive', description: 'default (KeyRx): another key pressed while undecided → hold' },
  { name: 'hold_on_press', description: 'hold at once; released alone before the threshold → tap' },
  { name: 'balanced', description: 'another key pressed and released while undecided → hold' },
  { name: 'tap_preferred', description: 'only the threshold decides' },
];

/** Every built-in the compiler registers, plus print/debug (Rhai's, always present). */
export const BUILTINS: readonly BuiltinDoc[] = DOCS;
export const BUILTIN_SET: ReadonlySet<string> = new Set(DOCS.map((d) => d.name));

/** The compiler's own list: a built-in added there without a doc here shows up in the tests. */
export const COMPILER_BUILTINS: readonly string[] = BUILTIN_NAMES;

/** Rhai keywords (highlighted, completed). */
export const KEYWORDS: readonly string[] = [
  'let',
  'const',
  'fn',
  'if',
  'else',
  'while',
  'loop',
  'do',
  'until',
  'for',
  'in',
  'switch',
  'return',
  'break',
  'continue',
  'throw',
  'try',
  'catch',
  'true',
  'false',
  'import',
  'export',
  'as',
  'private',
  'global',
  'this',
];
