/**
 * One key's mapping from command arguments (`keyrx config set-key`, the MCP tools), made by the
 * DSL's own compiler, so `"VK_Escape"`, `"MD_01"`, `"LK_00"` mean exactly what they mean in
 * `map()`, `tap_hold()` and `macro()`.
 *
 * The compiled program is generated here from string, integer and boolean literals only:
 * arguments never become code (every string goes in through JSON.stringify, whose escapes the
 * DSL's lexer reads the same way). So a compile here is a few microseconds and cannot loop, load
 * a file or reach anything.
 */
import type { KeyMapping, TapHoldMode } from '../core/index.ts';
import { compileProfile } from './compile.ts';

/** Wrong arguments, found before any API call: the CLI's usage error, the MCP tools' tool error. */
export class ArgumentError extends Error {
  readonly code = 'INVALID_ARGUMENTS';
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentError';
  }
}

const str = (text: string): string => JSON.stringify(text);

/** The mapping one DSL statement makes (`map("A", "VK_B");`), or a ArgumentError with the compiler's first error. */
export function mappingOf(statement: string): KeyMapping {
  const r = compileProfile(`device_start("*");\n${statement}\ndevice_end();\n`, { file: 'argument' });
  if (!r.ok || !r.config) {
    const first = r.diagnostics.find((d) => d.severity === 'error');
    if (!first) throw new ArgumentError('not a mapping');
    const hint = first.hint ? ` (${first.hint})` : '';
    const text = first.message + hint;
    const fresh = (first.suggestions ?? []).filter((s) => !text.includes(s));
    const suggestions = fresh.length > 0 ? `; did you mean ${fresh.join(', ')}?` : '';
    throw new ArgumentError(text + suggestions);
  }
  const m = r.config.devices[0].mappings[0];
  if (!m || m.kind === 'conditional' || m.kind === 'combo') throw new ArgumentError("not one key's mapping");
  return m;
}

export interface Modifiers {
  shift?: boolean;
  ctrl?: boolean;
  alt?: boolean;
  win?: boolean;
}

/** `map(key, target)`, or `map(key, with_mods(target, …))` when a modifier is asked for. */
export function mapMapping(key: string, target: string, mods: Modifiers = {}): KeyMapping {
  const flags = [mods.shift, mods.ctrl, mods.alt, mods.win].map((b) => (b ? 'true' : 'false'));
  const withMods = flags.includes('true');
  if (withMods && !target.startsWith('VK_'))
    throw new ArgumentError(`shift/ctrl/alt/win need a key target (VK_…), not '${target}'`);
  const to = withMods ? `with_mods(${str(target)}, ${flags.join(', ')})` : str(target);
  return mappingOf(`map(${str(key)}, ${to});`);
}

/** `tap_hold(key, tap, hold, thresholdMs, #{ mode })`. */
export function tapHoldMapping(
  key: string,
  tap: string,
  hold: string,
  thresholdMs: number,
  mode?: TapHoldMode,
): KeyMapping {
  const options = mode === undefined ? '' : `, #{ mode: ${str(mode)} }`;
  return mappingOf(`tap_hold(${str(key)}, ${str(tap)}, ${str(hold)}, ${thresholdMs}${options});`);
}

/**
 * `macro(key, [steps])` from `press:K release:K tap:K wait:MS text:TEXT`, separated by commas or
 * spaces (KeyRx's `config set-macro` form); a step it cannot read is named with its number.
 */
export function macroMapping(key: string, steps: string): KeyMapping {
  const tokens = steps.split(/[,\s]+/).filter((t) => t !== '');
  if (tokens.length === 0) throw new ArgumentError('a macro needs at least one step');
  const calls = tokens.map((token, i) => {
    const colon = token.indexOf(':');
    const op = colon < 0 ? token : token.slice(0, colon).toLowerCase();
    const arg = colon < 0 ? '' : token.slice(colon + 1);
    const where = `step ${i + 1} '${token}'`;
    if (arg === '') throw new ArgumentError(`${where}: expected op:value (press:VK_A, wait:50 …)`);
    switch (op) {
      case 'press':
      case 'release':
      case 'tap':
        return `${op}(${str(arg)})`;
      case 'wait':
        if (!/^\d+$/.test(arg)) throw new ArgumentError(`${where}: wait takes milliseconds`);
        return `wait(${arg})`;
      case 'text':
        return `text(${str(arg)})`;
      default:
        throw new ArgumentError(`${where}: unknown step '${op}' (press, release, tap, wait, text)`);
    }
  });
  return mappingOf(`macro(${str(key)}, [${calls.join(', ')}]);`);
}
