/**
 * Profiles from configs: the Rhai statement for each mapping, the opener of each condition, and a
 * whole profile. What this prints compiles back to exactly the mapping it came from (a property
 * test checks every kind), so an edit made without code — a click in the keyboard view, a CLI
 * command, an API call — can be written into a profile as source.
 */
import type { BaseMapping, Condition, ConditionItem, Config, LayerName, MacroStep } from '../core/index.ts';
import { directionName } from '../core/index.ts';

const hex = (id: number): string => id.toString(16).toUpperCase().padStart(2, '0');
const layer = (id: number): string => `"MD_${hex(id)}"`;
const str = (text: string): string => JSON.stringify(text);
const keys = (names: readonly string[], prefix = 'VK_'): string =>
  `[${names.map((k) => str(`${prefix}${k}`)).join(', ')}]`;

function item(i: ConditionItem): string {
  switch (i.kind) {
    case 'modifier':
      return layer(i.id);
    case 'lock':
      return str(`LK_${hex(i.id)}`);
    case 'ime':
      return '"IME"';
    case 'lang':
      return str(`LANG_${i.lang}`);
    case 'app':
      return str(`APP:${i.pattern}`);
    case 'title':
      return str(`TITLE:${i.pattern}`);
  }
}

/** The statements that open and close a conditional block. */
export function conditionSource(c: Condition): [open: string, close: string] {
  switch (c.kind) {
    case 'allOf':
      return [`when_start([${c.items.map(item).join(', ')}]);`, 'when_end();'];
    case 'noneOf':
      return [`when_not_start([${c.items.map(item).join(', ')}]);`, 'when_not_end();'];
    case 'device':
      return [`when_device_start(${str(c.pattern)});`, 'when_device_end();'];
    default:
      return [`when_start(${item(c)});`, 'when_end();'];
  }
}

/** `#{ … }` from name/value pairs, or '' when there are none (an options argument left out). */
function options(pairs: [string, string | undefined][]): string {
  const set = pairs.filter((p): p is [string, string] => p[1] !== undefined);
  return set.length > 0 ? `, #{ ${set.map(([k, v]) => `${k}: ${v}`).join(', ')} }` : '';
}

const num = (n: number | undefined): string | undefined => (n === undefined ? undefined : String(n));
const flag = (b: boolean | undefined): string | undefined => (b ? 'true' : undefined);

function tapHoldOptions(m: Extract<BaseMapping, { kind: 'tapHold' }>): string {
  return options([
    ['mode', m.mode && str(m.mode)],
    ['quick_tap_ms', num(m.quickTapMs)],
    ['require_prior_idle_ms', num(m.requirePriorIdleMs)],
    [
      'opposite_hand',
      m.oppositeHand &&
        `#{ left: ${keys(m.oppositeHand.left, '')}, right: ${keys(m.oppositeHand.right, '')} }`,
    ],
    ['roll_ms', num(m.rollMs)],
    ['tap_keys', m.tapKeys && keys(m.tapKeys)],
    ['hold_keys', m.holdKeys && keys(m.holdKeys)],
    [
      'timeout_action',
      m.timeoutKey !== undefined
        ? str(`VK_${m.timeoutKey}`)
        : m.timeoutLayer !== undefined
          ? layer(m.timeoutLayer)
          : undefined,
    ],
    ['retro_tap', flag(m.retroTap)],
    ['tap_held', flag(m.tapHeld)],
  ]);
}

/** One macro step as its built-in: `tap("VK_A")`, `wait(20)`, `text("hi")`. */
export function stepSource(s: MacroStep): string {
  return s.op === 'wait'
    ? `wait(${s.ms})`
    : s.op === 'text'
      ? `text(${str(s.text)})`
      : `${s.op}(${str(`VK_${s.key}`)})`;
}

/** A key with Shift/Ctrl/Alt/Win flags as `with_mods(…)`, or the plain key. */
function withMods(m: { shift?: boolean; ctrl?: boolean; alt?: boolean; win?: boolean }, key: string): string {
  const k = str(`VK_${key}`);
  return m.shift || m.ctrl || m.alt || m.win
    ? `with_mods(${k}, ${!!m.shift}, ${!!m.ctrl}, ${!!m.alt}, ${!!m.win})`
    : k;
}

/** The Rhai statement of one mapping (a leader with its sequences: several, on one line). */
export function mappingSource(m: BaseMapping): string {
  switch (m.kind) {
    case 'simple':
      return `map(${str(m.from)}, ${str(`VK_${m.to}`)});`;
    case 'modifier':
      return `map(${str(m.from)}, ${layer(m.id)});`;
    case 'lock':
      return `map(${str(m.from)}, ${str(`LK_${hex(m.id)}`)});`;
    case 'tapHold': {
      const hold = m.holdKey !== undefined ? str(`VK_${m.holdKey}`) : layer(m.hold ?? 0);
      return `tap_hold(${str(m.from)}, ${str(`VK_${m.tap}`)}, ${hold}, ${m.thresholdMs}${tapHoldOptions(m)});`;
    }
    case 'holdOnly':
      return `hold_only(${str(m.from)}, ${layer(m.hold)}, ${m.thresholdMs});`;
    case 'modifiedOutput':
      return `map(${str(m.from)}, with_mods(${str(`VK_${m.to}`)}, ${m.shift}, ${m.ctrl}, ${m.alt}, ${m.win}));`;
    case 'sequence':
      return `sequence(${str(m.from)}, ${keys(m.keys)});`;
    case 'oneShot': {
      const target = m.key !== undefined ? str(`VK_${m.key}`) : layer(m.layer ?? 0);
      return `one_shot(${str(m.from)}, ${target}, ${m.timeoutMs}${options([['lock', flag(m.lock)]])});`;
    }
    case 'combo': {
      const output = m.layer !== undefined ? layer(m.layer) : withMods(m, m.to ?? '');
      return `combo(${keys(m.keys, '')}, ${output}, ${m.windowMs}${options([['release', m.release && str(m.release)]])});`;
    }
    case 'tapDance': {
      const actions = m.actions.map((a) => {
        const hold =
          a.holdKey !== undefined
            ? str(`VK_${a.holdKey}`)
            : a.holdLayer !== undefined
              ? layer(a.holdLayer)
              : undefined;
        if (hold === undefined) return str(`VK_${a.tap}`);
        return a.tap === undefined ? hold : `#{ tap: ${str(`VK_${a.tap}`)}, hold: ${hold} }`;
      });
      return `tap_dance(${str(m.from)}, [${actions.join(', ')}], ${m.windowMs}${options([['eager', flag(m.eager)]])});`;
    }
    case 'macro':
      return `macro(${str(m.from)}, [${m.steps.map(stepSource).join(', ')}]);`;
    case 'layerToggle':
      return `layer_toggle(${str(m.from)}, ${layer(m.id)});`;
    case 'layerSwitch':
      return `layer_switch(${str(m.from)}, ${layer(m.id)});`;
    case 'capsWord': {
      const trigger = m.together !== undefined ? keys([m.from, m.together]) : str(m.from);
      return `caps_word(${trigger}, ${m.timeoutMs}${options([
        ['shift_keys', m.shiftKeys && keys(m.shiftKeys)],
        ['continue_keys', m.continueKeys && keys(m.continueKeys)],
      ])});`;
    }
    case 'autoShift':
      return `auto_shift([${str(m.from)}], ${m.thresholdMs});`;
    case 'mouseMove':
      return `mouse_move(${str(m.from)}, ${str(directionName(m.x, m.y))}, #{ speed: ${m.speed}, max_speed: ${m.maxSpeed}, accel_ms: ${m.accelMs} });`;
    case 'mouseWheel':
      return `mouse_wheel(${str(m.from)}, ${str(directionName(m.x, m.y))}, #{ rate: ${m.rate} });`;
    case 'leader':
      return [
        `leader(${str(m.from)}, ${m.timeoutMs});`,
        ...m.sequences.map(
          (q) => `leader_sequence(${keys(q.keys, '')}, [${q.steps.map(stepSource).join(', ')}]);`,
        ),
      ].join(' ');
    case 'dynamicMacroRecord':
      return `dynamic_macro_record(${str(m.from)}, ${m.slot});`;
    case 'dynamicMacroPlay':
      return `dynamic_macro_play(${str(m.from)}, ${m.slot});`;
    case 'keyOverride':
      return `key_override(${keys(m.mods, '')}, ${str(m.from)}, ${str(`VK_${m.to}`)});`;
    case 'unicode':
      return `unicode(${str(m.from)}, ${str(m.text)});`;
  }
}

/** The statement that names a layer. */
export function layerNameSource(n: LayerName): string {
  return `layer_name(${str(n.layer)}, ${str(n.name)});`;
}

/** A whole profile for a config: its device blocks, conditional blocks, unicode entry and lights. */
export function profileSource(config: Config): string {
  const lines: string[] = [];
  if (config.unicodeEntry)
    lines.push(`unicode_entry(${keys(config.unicodeEntry.start)}, ${str(`VK_${config.unicodeEntry.end}`)});`);
  for (const i of config.ledIndicators ?? []) lines.push(`led_indicator(${layer(i.layer)}, ${str(i.led)});`);
  for (const n of config.layerNames ?? []) lines.push(layerNameSource(n));
  for (const d of config.devices) {
    lines.push(`device_start(${str(d.pattern)});`);
    for (const m of d.mappings) {
      if (m.kind !== 'conditional') lines.push(`  ${mappingSource(m)}`);
      else {
        const [open, close] = conditionSource(m.condition);
        lines.push(`  ${open}`, ...m.mappings.map((b) => `    ${mappingSource(b)}`), `  ${close}`);
      }
    }
    lines.push('device_end();');
  }
  return lines.join('\n') + '\n';
}
