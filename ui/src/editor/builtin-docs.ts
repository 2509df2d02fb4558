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
    signature: 'tap_hold(key, tap, hold, threshold_ms)',
    description:
      'Tap for tap ("VK_"), hold for layer hold ("MD_"). Held at threshold_ms (1–65535) or another key pressed → hold.',
    snippet: 'tap_hold("${1:key}", "${2:VK_tap}", "${3:MD_00}", ${4:200});${0}',
  },
  {
    name: 'hold_only',
    signature: 'hold_only(key, hold, threshold_ms?)',
    description:
      'Like tap_hold without a tap: holding activates layer hold ("MD_"), a tap emits nothing. Default 200 ms.',
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
      'Opens a conditional block: its mappings apply while "MD_xx" is held, "LK_xx" is on, "IME" / "LANG_xx" hold, or all of an array.',
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
