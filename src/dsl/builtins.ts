/**
 * KeyRx's DSL built-ins as host functions over one ProfileBuilder — the state KeyRx calls
 * ParserState: finished device blocks, the open device block and the open when-block.
 *
 * Validation errors in a built-in are recorded and the call returns `()` so the script keeps
 * running: one compile reports every independent mistake (three misspelled keys give three
 * errors), not just the first. Messages keep KeyRx's wording where users know it.
 */
import type {
  BaseMapping,
  ComboMapping,
  TapDanceMapping,
  Condition,
  ConditionItem,
  DanceAction,
  DeviceBlock,
  HandMap,
  MacroStep,
  Mapping,
  TapHoldMapping,
  TapHoldMode,
  UnicodeEntry,
  CapsWordMapping,
  OneShotMapping,
  LeaderMapping,
  LedIndicator,
  LedName,
  LayerName,
} from '../core/index.ts';
import {
  KEYS,
  LED_NAMES,
  DEFAULT_THRESHOLD_MS,
  keyByName,
  MAX_LAYER_ID,
  UnknownKeyError,
  closestNames,
  ALL_KEY_NAMES,
  LIMITS,
  macroTextLength,
  OVERRIDE_MODIFIER_NAMES,
  TAP_HOLD_MODES,
  untypable,
  layerNameProblem,
  layerName,
} from '../core/index.ts';
import type { Diagnostic, SourceSpan } from './diagnostics.ts';
import { ScriptError } from './diagnostics.ts';
import type { CallContext, HostFunction } from './interpreter.ts';
import type { HostObject, Value } from './values.ts';
import type { ScriptMap } from './values.ts';
import { expectArray, expectBool, expectInt, expectString, typeName, UNIT } from './values.ts';

/** The value `with_shift()` and friends return; `map(key, value)` turns it into a modifiedOutput. */
export class ModifiedKey implements HostObject {
  readonly hostType = 'ModifiedKey';
  constructor(
    readonly key: string,
    readonly shift: boolean,
    readonly ctrl: boolean,
    readonly alt: boolean,
    readonly win: boolean,
  ) {}
  toDisplayString(): string {
    const mods = [this.shift && 'shift', this.ctrl && 'ctrl', this.alt && 'alt', this.win && 'win'].filter(
      Boolean,
    );
    return `ModifiedKey(${mods.join('+')}+${this.key})`;
  }
}

/** What `press()`, `release()`, `tap()`, `wait()` and `text()` return: one step of a `macro()`. */
export class MacroStepValue implements HostObject {
  readonly hostType = 'MacroStep';
  constructor(readonly step: MacroStep) {}
  toDisplayString(): string {
    const s = this.step;
    return s.op === 'wait'
      ? `wait(${s.ms})`
      : s.op === 'text'
        ? `text(${JSON.stringify(s.text)})`
        : `${s.op}(VK_${s.key})`;
  }
}

/** Physical positions of each hand on a row-staggered keyboard: `opposite_hand: true`. */
export const DEFAULT_HANDS: HandMap = {
  left: (
    'Grave Num1 Num2 Num3 Num4 Num5 Tab Q W E R T CapsLock A S D F G LShift Iso102nd Z X C V B ' +
    'LCtrl LMeta LAlt Escape F1 F2 F3 F4 F5'
  ).split(' '),
  right: (
    'Num6 Num7 Num8 Num9 Num0 Minus Equal Backspace Y U I O P LeftBracket RightBracket Backslash ' +
    'H J K L Semicolon Quote Enter N M Comma Period Slash RShift RAlt RMeta RCtrl Menu F6 F7 F8 F9 F10 F11 F12'
  ).split(' '),
};

const TAP_HOLD_OPTIONS = [
  'mode',
  'quick_tap_ms',
  'require_prior_idle_ms',
  'opposite_hand',
  'roll_ms',
  'tap_keys',
  'hold_keys',
  'timeout_action',
  'retro_tap',
  'tap_held',
];
/** A step that failed was reported where it was made: the macro is dropped without a second error. */
class Reported extends Error {}

interface OpenDevice {
  pattern: string;
  mappings: Mapping[];
  span: SourceSpan;
  /** the last leader() of the block: leader_sequence() adds to it */
  leader?: LeaderMapping;
}

/** Where a block opens (its device_start/when_start call) and closes (its *_end call, if any). */
export interface BlockSpan {
  open: SourceSpan;
  close: SourceSpan | null;
}

interface OpenWhen {
  /** null when the condition was invalid: the block still opens (its when_end matches) but is dropped */
  condition: Condition | null;
  mappings: BaseMapping[];
  span: SourceSpan;
  opener: string;
}

export const MAX_SEQUENCE_LENGTH = 8;
/** Operations a recorded problem costs (suggestions are costly): a loop repeating a mistake stops soon. */
const PROBLEM_COST = 64;
const PHYSICAL_MODIFIERS = new Set(['LShift', 'RShift', 'LCtrl', 'RCtrl', 'LAlt', 'RAlt', 'LMeta', 'RMeta']);

/** A problem in the call's arguments: recorded as a diagnostic, the call does nothing. */
class Invalid extends Error {
  constructor(
    message: string,
    readonly span: SourceSpan,
    readonly extra: { hint?: string; suggestions?: string[]; code?: string } = {},
  ) {
    super(message);
  }
}

/** A message quoting a megabyte-long name stays readable (and a loop repeating it, cheap). */
function clip(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH)}…`;
}
const MAX_MESSAGE_LENGTH = 500;

export class ProfileBuilder {
  readonly devices: DeviceBlock[] = [];
  /** set by unicode_entry() */
  unicodeEntry: UnicodeEntry | null = null;
  /** added by led_indicator() */
  readonly ledIndicators: LedIndicator[] = [];
  /** added by layer_name(), with where each was declared (edits rename or remove them) */
  readonly layerNames: LayerName[] = [];
  readonly layerNameSpans = new Map<LayerName, SourceSpan>();
  readonly diagnostics: Diagnostic[] = [];
  device: OpenDevice | null = null;
  when: OpenWhen | null = null;
  /** where each mapping was declared (keyboard views jump from a key to its line) */
  readonly mappingSpans = new Map<BaseMapping, SourceSpan>();
  /** where each device block and conditional block opens and closes (edits insert into them) */
  readonly blockSpans = new Map<DeviceBlock | Mapping, BlockSpan>();

  error(
    message: string,
    span: SourceSpan,
    extra: { hint?: string; suggestions?: string[]; code?: string } = {},
  ): void {
    const d: Diagnostic = {
      severity: 'error',
      code: extra.code ?? 'E_PROFILE',
      message: clip(message),
      span,
    };
    if (extra.hint) d.hint = extra.hint;
    if (extra.suggestions?.length) d.suggestions = extra.suggestions;
    this.diagnostics.push(d);
  }

  warning(message: string, span: SourceSpan, hint?: string): void {
    const d: Diagnostic = { severity: 'warning', code: 'W_PROFILE', message: clip(message), span };
    if (hint) d.hint = hint;
    this.diagnostics.push(d);
  }

  /** End of the main file: every block must be closed. */
  finish(): void {
    if (this.when)
      this.error(`${this.when.opener}(...) is never closed: add when_end()`, this.when.span, {
        code: 'E_UNCLOSED_BLOCK',
        hint: 'its mappings would be lost; every when_start/when_not_start/when_device_start needs a when_end()',
      });
    if (this.device) {
      this.error(
        `device_start("${this.device.pattern}") is never closed: add device_end()`,
        this.device.span,
        {
          code: 'E_UNCLOSED_BLOCK',
        },
      );
      this.closeDevice(null);
    }
  }

  /** Closes the open when-block into the open device block (an invalid one is dropped). */
  attachWhen(close: SourceSpan | null = null): void {
    if (this.when && this.device && this.when.condition) {
      const block: Mapping = {
        kind: 'conditional',
        condition: this.when.condition,
        mappings: this.when.mappings,
      };
      this.device.mappings.push(block);
      this.blockSpans.set(block, { open: this.when.span, close });
    }
    this.when = null;
  }

  /** Closes the open device block (`close`: its device_end(), or null when something else closed it). */
  closeDevice(close: SourceSpan | null): void {
    const device = this.device!;
    const block: DeviceBlock = { pattern: device.pattern, mappings: device.mappings };
    this.devices.push(block);
    this.blockSpans.set(block, { open: device.span, close });
    this.device = null;
  }

  addMapping(m: BaseMapping, fnName: string, span: SourceSpan): void {
    if (!this.device)
      throw new Invalid(
        `${fnName}() must be called inside a device_start(...) ... device_end() block`,
        span,
        {
          hint: 'open one first, e.g. device_start("*");',
        },
      );
    if (this.when) this.when.mappings.push(m);
    else this.device.mappings.push(m);
    this.mappingSpans.set(m, span);
  }
}

// ---------------------------------------------------------------- name parsing

/** An input key: `VK_` optional (KeyRx's parse_physical_key). Returns the canonical name. */
function physicalKey(name: string, span: SourceSpan): string {
  const bare = name.startsWith('VK_') ? name.slice(3) : name;
  const key = keyByName(bare);
  if (!key) throw unknownKey(bare, span);
  return key.name;
}

function unknownKey(name: string, span: SourceSpan): Invalid {
  const e = new UnknownKeyError(name);
  return new Invalid(`Unknown key name: '${name}'`, span, {
    code: 'E_UNKNOWN_KEY',
    suggestions: e.suggestions,
  });
}

/** An output key: `VK_` required (KeyRx's parse_virtual_key). */
function virtualKey(name: string, span: SourceSpan, what: string): string {
  if (!name.startsWith('VK_')) {
    const known = keyByName(name);
    throw new Invalid(`${what}: virtual key '${name}' is missing required prefix`, span, {
      code: 'E_PREFIX',
      hint: known ? `use "VK_${name}"` : undefined,
      suggestions: known ? undefined : closestNames(name, ALL_KEY_NAMES).map((n) => `VK_${n}`),
    });
  }
  return physicalKey(name, span);
}

/** `MD_xx` / `LK_xx`: hex, 00–FE (KeyRx's messages). */
function layerId(text: string, prefix: 'MD' | 'LK', span: SourceSpan): number {
  const body = text.slice(3);
  const kind = prefix === 'MD' ? 'Modifier' : 'Lock';
  if (prefix === 'MD' && PHYSICAL_MODIFIERS.has(body))
    throw new Invalid(`Physical modifier '${text}' cannot be used as MD_ identifier`, span, {
      code: 'E_LAYER_ID',
      hint: `MD_ ids are hex numbers 00–FE; to output the real key use "VK_${body}"`,
    });
  if (!/^[0-9A-Fa-f]{1,4}$/.test(body))
    throw new Invalid(
      `Invalid custom ${kind.toLowerCase()} ID prefix: expected ${prefix}_XX (hex, 00-FE), got '${text}'`,
      span,
      { code: 'E_LAYER_ID' },
    );
  const id = parseInt(body, 16);
  if (id > MAX_LAYER_ID)
    throw new Invalid(`${kind} ID ${id} exceeds maximum value ${MAX_LAYER_ID}`, span, {
      code: 'E_LAYER_ID',
      hint: `${prefix}_FF is reserved; use ${prefix}_00 to ${prefix}_FE`,
    });
  return id;
}

function conditionItem(text: string, span: SourceSpan): ConditionItem {
  if (text.startsWith('MD_')) return { kind: 'modifier', id: layerId(text, 'MD', span) };
  if (text.startsWith('LK_')) return { kind: 'lock', id: layerId(text, 'LK', span) };
  if (text === 'IME') return { kind: 'ime' };
  if (text.startsWith('LANG_')) {
    const lang = text.slice(5);
    if (lang === '')
      throw new Invalid(`Invalid condition '${text}': LANG_ needs a language, e.g. LANG_ja`, span);
    return { kind: 'lang', lang: lang.toLowerCase() };
  }
  for (const kind of ['app', 'title'] as const) {
    const prefix = `${kind.toUpperCase()}:`;
    if (text.startsWith(prefix)) {
      const pattern = text.slice(prefix.length);
      if (pattern === '')
        throw new Invalid(
          `Invalid condition '${text}': ${prefix} needs a name or glob, e.g. ${prefix}firefox`,
          span,
          {
            code: 'E_CONDITION',
          },
        );
      return { kind, pattern };
    }
  }
  throw new Invalid(
    `Invalid condition prefix: expected MD_XX, LK_XX, IME, LANG_XX, APP:name or TITLE:text, got '${text}'`,
    span,
    { code: 'E_CONDITION' },
  );
}

// ---------------------------------------------------------------- built-ins

function threshold(args: Value[], i: number, fnName: string, ctx: CallContext): number {
  const ms = expectInt(args, i, fnName, ctx);
  if (ms < 1 || ms > 65535)
    throw new Invalid(`${fnName}(): threshold must be 1–65535 ms, got ${ms}`, ctx.argSpans[i], {
      code: 'E_RANGE',
      hint: 'KeyRx silently wrapped larger values; 200 is a common choice',
    });
  return ms;
}

/** What a failed value-returning built-in returns: its error is reported, and map() skips it silently. */
export const INVALID_VALUE: HostObject = { hostType: 'invalid value' };

function modifiedKey(fnName: string, flags: [boolean, boolean, boolean, boolean]) {
  return (args: Value[], ctx: CallContext): Value => {
    const key = virtualKey(expectString(args, 0, fnName, ctx), ctx.argSpans[0], `Invalid key in ${fnName}()`);
    return new ModifiedKey(key, ...flags);
  };
}

/** An array argument with a length in [min, max]: `combo() needs 2 to 8 keys, got 1`. */
function listArg(
  args: Value[],
  i: number,
  fnName: string,
  ctx: CallContext,
  min: number,
  max: number,
  what: string,
): Value[] {
  const list = expectArray(args, i, fnName, ctx);
  if (list.length < min || list.length > max)
    throw new Invalid(`${fnName}() needs ${min} to ${max} ${what}, got ${list.length}`, ctx.argSpans[i], {
      code: 'E_RANGE',
    });
  return list;
}

function optionalMs(
  args: Value[],
  i: number,
  fnName: string,
  ctx: CallContext,
  fallback: number,
  what: string,
  max = 65535,
): number {
  if (args.length <= i) return fallback;
  const ms = expectInt(args, i, fnName, ctx);
  if (ms < 1 || ms > max)
    throw new Invalid(`${fnName}(): ${what} must be 1–${max} ms, got ${ms}`, ctx.argSpans[i], {
      code: 'E_RANGE',
    });
  return ms;
}

const MODIFIER_NAMES = 'VK_LShift, VK_RShift, VK_LCtrl, VK_RCtrl, VK_LAlt, VK_RAlt, VK_LMeta, VK_RMeta';

/** `VK_` + a modifier key (a tap-hold's or one-shot's key target). */
function modifierTarget(text: string, span: SourceSpan, what: string): string {
  const key = virtualKey(text, span, what);
  if (!PHYSICAL_MODIFIERS.has(key))
    throw new Invalid(`${what}: '${text}' is not a modifier key`, span, {
      code: 'E_TARGET',
      hint: `a key held like a modifier must be one of ${MODIFIER_NAMES}, or a layer MD_xx`,
    });
  return key;
}

/** An array argument of key names (physical: `VK_` optional). */
function physicalKeys(list: Value[], span: SourceSpan, what: string): string[] {
  return list.map((k) => {
    if (typeof k !== 'string')
      throw new Invalid(`${what} must be key name strings, got ${typeName(k)}`, span, { code: 'E_TYPE' });
    return physicalKey(k, span);
  });
}

function textArg(text: string, span: SourceSpan, fnName: string, max: number): string {
  const length = [...text].length;
  if (length === 0) throw new Invalid(`${fnName}(): the text is empty`, span, { code: 'E_RANGE' });
  if (length > max)
    throw new Invalid(`${fnName}(): the text has ${length} characters (max ${max})`, span, {
      code: 'E_RANGE',
    });
  const bad = untypable(text);
  if (bad) throw new Invalid(`${fnName}(): cannot type ${bad}`, span, { code: 'E_RANGE' });
  return text;
}

/**
 * What a sequence runs, as macro steps: a key `"VK_x"` (tapped), a key with modifiers
 * (`with_ctrl("VK_S")`), one macro step (`text("…")`) or a list of them.
 */
function actionSteps(value: Value, span: SourceSpan, fnName: string): MacroStep[] {
  if (value === INVALID_VALUE) throw new Reported();
  if (typeof value === 'string') return [{ op: 'tap', key: virtualKey(value, span, `${fnName} action`) }];
  if (value instanceof ModifiedKey) {
    const mods = (
      [
        ['shift', 'LShift'],
        ['ctrl', 'LCtrl'],
        ['alt', 'LAlt'],
        ['win', 'LMeta'],
      ] as const
    )
      .filter(([flag]) => value[flag])
      .map(([, key]) => key);
    return [
      ...mods.map((key): MacroStep => ({ op: 'press', key })),
      { op: 'tap', key: value.key },
      ...mods.reverse().map((key): MacroStep => ({ op: 'release', key })),
    ];
  }
  if (value instanceof MacroStepValue) return [value.step];
  if (Array.isArray(value) && value.length > 0 && value.length <= LIMITS.macroSteps) {
    const steps = value.map((v, i) => {
      if (v === INVALID_VALUE) throw new Reported();
      if (!(v instanceof MacroStepValue))
        throw new Invalid(
          `${fnName}(): step ${i + 1} must be press(), release(), tap(), wait() or text(), got ${typeName(v)}`,
          span,
          { code: 'E_TYPE' },
        );
      return v.step;
    });
    const typed = macroTextLength(steps);
    if (typed > LIMITS.macroText)
      throw new Invalid(`${fnName}() types ${typed} characters in all (max ${LIMITS.macroText})`, span, {
        code: 'E_RANGE',
      });
    return steps;
  }
  throw new Invalid(
    `${fnName}(): the action must be "VK_…", with_*(…), a step like text("…") or [steps], got ${typeName(value)}`,
    span,
    { code: 'E_TYPE' },
  );
}

/** Key groups a key list may name: `"letters"`, `"digits"`, `"symbols"`. */
const KEY_GROUPS: Record<string, readonly string[]> = {
  letters: KEYS.filter((k) => k.group === 'letter').map((k) => k.name),
  digits: KEYS.filter((k) => k.group === 'digit').map((k) => k.name),
  symbols: KEYS.filter((k) => k.group === 'symbol').map((k) => k.name),
};

/** A list of keys (`VK_` optional) and key groups, without repeats, in order. */
function expandKeyGroups(list: Value[], span: SourceSpan, what: string): string[] {
  const keys: string[] = [];
  for (const v of list) {
    const group = typeof v === 'string' ? KEY_GROUPS[v] : undefined;
    for (const k of group ?? physicalKeys([v], span, what)) if (!keys.includes(k)) keys.push(k);
  }
  return keys;
}

/** Directions of mouse keys: (x, y) with y down, as on the screen. */
export const MOVE_DIRECTIONS: Readonly<Record<string, [number, number]>> = {
  up: [0, -1],
  down: [0, 1],
  left: [-1, 0],
  right: [1, 0],
  up_left: [-1, -1],
  up_right: [1, -1],
  down_left: [-1, 1],
  down_right: [1, 1],
};
const WHEEL_DIRECTIONS: Record<string, [number, number]> = {
  up: [0, -1],
  down: [0, 1],
  left: [-1, 0],
  right: [1, 0],
};

function direction(
  text: string,
  span: SourceSpan,
  fnName: string,
  table: Record<string, [number, number]>,
): [number, number] {
  const d = table[text];
  if (d) return d;
  const names = Object.keys(table);
  throw new Invalid(
    `${fnName}(): direction must be one of ${names.map((n) => `"${n}"`).join(', ')}, got "${text}"`,
    span,
    {
      code: 'E_RANGE',
      suggestions: closestNames(text, names).map((n) => `"${n}"`),
    },
  );
}

/** An integer option within [min, max], or its default. */
function intOption(
  options: ScriptMap | null,
  name: string,
  fnName: string,
  span: SourceSpan,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = options?.get(name);
  if (value === undefined) return fallback;
  if (typeof value !== 'bigint' || value < BigInt(min) || value > BigInt(max))
    throw new Invalid(
      `${fnName} option ${name} must be an integer from ${min} to ${max}, got ${typeName(value)} ${String(value)}`,
      span,
      {
        code: 'E_RANGE',
      },
    );
  return Number(value);
}

/** A true/false option; false and absent are the same. */
function boolOption(options: ScriptMap | null, name: string, fnName: string, span: SourceSpan): boolean {
  const value = options?.get(name);
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    throw new Invalid(`${fnName} option ${name} must be true or false, got ${typeName(value)}`, span, {
      code: 'E_TYPE',
    });
  return value;
}

/**
 * A trailing options map `#{ … }` after at least `min` arguments: split off, its names checked
 * (an unknown one is an error with suggestions). Any other value in its place is an error too.
 */
function trailingOptions(
  args: Value[],
  min: number,
  fnName: string,
  ctx: CallContext,
  known: readonly string[],
): { args: Value[]; options: ScriptMap | null } {
  const last = args.length - 1;
  if (last < min || !(args[last] instanceof Map)) {
    if (args.length === min + 2)
      throw new Invalid(
        `${fnName}() options must be an object map #{ … }, got ${typeName(args[last])}`,
        ctx.argSpans[last],
        {
          code: 'E_TYPE',
          hint: `options: ${known.join(', ')}`,
        },
      );
    return { args, options: null };
  }
  const options = args[last] as ScriptMap;
  for (const name of options.keys())
    if (!known.includes(name))
      throw new Invalid(
        `${fnName}: unknown option '${name}' (options: ${known.join(', ')})`,
        ctx.argSpans[last],
        {
          code: 'E_OPTION',
          suggestions: closestNames(name, known),
        },
      );
  return { args: args.slice(0, last), options };
}

function tapHoldOptions(options: ScriptMap, m: TapHoldMapping, span: SourceSpan): void {
  for (const [name, value] of options) {
    const ms = (): number => {
      if (typeof value !== 'bigint' || value < 0n || value > 65535n)
        throw new Invalid(
          `tap_hold option ${name} must be an integer from 0 to 65535 (ms), got ${typeName(value)} ${String(value)}`,
          span,
          {
            code: 'E_RANGE',
          },
        );
      return Number(value);
    };
    switch (name) {
      case 'mode':
        if (typeof value !== 'string' || !(TAP_HOLD_MODES as readonly string[]).includes(value))
          throw new Invalid(
            `tap_hold option mode must be one of ${TAP_HOLD_MODES.map((x) => `"${x}"`).join(', ')}, got ${typeof value === 'string' ? `"${value}"` : typeName(value)}`,
            span,
            {
              code: 'E_RANGE',
              suggestions:
                typeof value === 'string'
                  ? closestNames(value, TAP_HOLD_MODES).map((x) => `"${x}"`)
                  : undefined,
            },
          );
        if (value !== 'permissive') m.mode = value as TapHoldMode;
        break;
      case 'quick_tap_ms':
        m.quickTapMs = ms();
        break;
      case 'require_prior_idle_ms':
        m.requirePriorIdleMs = ms();
        break;
      case 'roll_ms':
        m.rollMs = ms();
        break;
      case 'tap_keys':
      case 'hold_keys': {
        if (!Array.isArray(value) || value.length === 0)
          throw new Invalid(
            `tap_hold option ${name} must be a non-empty array of keys, got ${typeName(value)}`,
            span,
            { code: 'E_TYPE', hint: `e.g. ${name}: ["VK_J", "VK_K"]` },
          );
        const keys = physicalKeys(value, span, `tap_hold option ${name}`);
        if (name === 'tap_keys') m.tapKeys = keys;
        else m.holdKeys = keys;
        break;
      }
      case 'timeout_action':
        if (typeof value === 'string' && value.startsWith('MD_')) m.timeoutLayer = layerId(value, 'MD', span);
        else if (typeof value === 'string')
          m.timeoutKey = virtualKey(value, span, 'tap_hold option timeout_action');
        else
          throw new Invalid(
            `tap_hold option timeout_action must be a key "VK_…" or a layer "MD_xx", got ${typeName(value)}`,
            span,
            { code: 'E_TYPE' },
          );
        break;
      case 'retro_tap':
        if (boolOption(options, name, 'tap_hold', span)) m.retroTap = true;
        break;
      case 'tap_held':
        if (boolOption(options, name, 'tap_hold', span)) m.tapHeld = true;
        break;
      case 'opposite_hand':
        if (value === true) m.oppositeHand = DEFAULT_HANDS;
        else if (value instanceof Map) {
          const left = value.get('left');
          const right = value.get('right');
          const extra = [...value.keys()].filter((k) => k !== 'left' && k !== 'right');
          if (!Array.isArray(left) || !Array.isArray(right) || extra.length > 0)
            throw new Invalid(
              'tap_hold option opposite_hand must be true or #{ left: [keys], right: [keys] }',
              span,
              {
                code: 'E_TYPE',
              },
            );
          m.oppositeHand = {
            left: physicalKeys(left, span, 'opposite_hand left keys'),
            right: physicalKeys(right, span, 'opposite_hand right keys'),
          };
        } else if (value !== false)
          throw new Invalid(
            'tap_hold option opposite_hand must be true or #{ left: [keys], right: [keys] }',
            span,
            {
              code: 'E_TYPE',
            },
          );
        break;
      default:
        throw new Invalid(
          `tap_hold: unknown option '${name}' (options: ${TAP_HOLD_OPTIONS.join(', ')})`,
          span,
          {
            code: 'E_OPTION',
            suggestions: closestNames(name, TAP_HOLD_OPTIONS),
          },
        );
    }
  }
  const both = m.tapKeys?.filter((k) => m.holdKeys?.includes(k)) ?? [];
  if (both.length > 0)
    throw new Invalid(`tap_hold: ${both.join(', ')} is in both tap_keys and hold_keys`, span, {
      code: 'E_RANGE',
    });
  if ((m.timeoutKey !== undefined || m.timeoutLayer !== undefined) && m.mode === 'hold_on_press')
    throw new Invalid('tap_hold: timeout_action never runs with mode "hold_on_press"', span, {
      code: 'E_RANGE',
      hint: 'the hold starts at the press; use another mode for a timeout action',
    });
}

/** One tap-dance action: `"VK_x"` (tap it; held: hold it), `"MD_xx"` (held: the layer) or `#{ tap, hold }`. */
function danceAction(v: Value, span: SourceSpan, i: number): DanceAction {
  const what = `tap_dance action ${i + 1}`;
  const hold = (text: Value): Pick<DanceAction, 'holdKey' | 'holdLayer'> => {
    if (typeof text !== 'string')
      throw new Invalid(`${what}: hold must be a string, got ${typeName(text)}`, span, { code: 'E_TYPE' });
    if (text.startsWith('MD_')) return { holdLayer: layerId(text, 'MD', span) };
    return { holdKey: virtualKey(text, span, what) };
  };
  if (typeof v === 'string') {
    if (v.startsWith('MD_')) return { holdLayer: layerId(v, 'MD', span) };
    return { tap: virtualKey(v, span, what) };
  }
  if (v instanceof Map) {
    const extra = [...v.keys()].filter((k) => k !== 'tap' && k !== 'hold');
    if (extra.length > 0)
      throw new Invalid(`${what}: unknown field '${extra[0]}' (fields: tap, hold)`, span, {
        code: 'E_OPTION',
      });
    const tap = v.get('tap');
    const out: DanceAction = {};
    if (tap !== undefined) {
      if (typeof tap !== 'string')
        throw new Invalid(`${what}: tap must be a string, got ${typeName(tap)}`, span, { code: 'E_TYPE' });
      out.tap = virtualKey(tap, span, what);
    }
    if (v.has('hold')) Object.assign(out, hold(v.get('hold')!));
    if (out.tap === undefined && out.holdKey === undefined && out.holdLayer === undefined)
      throw new Invalid(`${what}: needs tap or hold`, span, { code: 'E_TYPE' });
    return out;
  }
  throw new Invalid(`${what} must be "VK_…", "MD_…" or #{ tap: …, hold: … }, got ${typeName(v)}`, span, {
    code: 'E_TYPE',
  });
}

export function createBuiltins(b: ProfileBuilder): HostFunction[] {
  // Each built-in validates fully before changing any state, so a failed call changes nothing.
  const fn = (
    name: string,
    params: HostFunction['params'],
    body: (args: Value[], ctx: CallContext) => Value | void,
    returnsValue = name.startsWith('with_'),
  ): HostFunction => ({
    name,
    params,
    call(args, ctx) {
      try {
        return body(args, ctx) ?? UNIT;
      } catch (e) {
        if (e instanceof Reported) return UNIT;
        if (e instanceof Invalid) {
          b.error(e.message, e.span, e.extra);
          ctx.interpreter.chargeOperations(PROBLEM_COST, ctx.span);
          return returnsValue ? INVALID_VALUE : UNIT;
        }
        if (e instanceof ScriptError && e.code === 'E_TYPE') {
          // a wrong argument type is independent of the rest: record it and go on
          b.error(e.message, e.span ?? ctx.span, { code: 'E_TYPE', hint: e.hint });
          ctx.interpreter.chargeOperations(PROBLEM_COST, ctx.span);
          return returnsValue ? INVALID_VALUE : UNIT;
        }
        throw e;
      }
    },
  });

  const layerKey = (
    name: string,
    kind: 'layerToggle' | 'layerSwitch',
    args: Value[],
    ctx: CallContext,
  ): void => {
    const from = physicalKey(expectString(args, 0, name, ctx), ctx.argSpans[0]);
    const target = expectString(args, 1, name, ctx);
    if (!target.startsWith('MD_'))
      throw new Invalid(`${name}() target must be a layer MD_xx, got: ${target}`, ctx.argSpans[1], {
        code: 'E_PREFIX',
      });
    b.addMapping({ kind, from, id: layerId(target, 'MD', ctx.argSpans[1]) }, name, ctx.span);
  };

  const closeWhen = (name: string) => (_args: Value[], ctx: CallContext) => {
    if (!b.when)
      throw new Invalid(`${name}() called without matching when_start()`, ctx.span, { code: 'E_BLOCK' });
    if (!b.device) throw new Invalid(`${name}() outside a device block`, ctx.span, { code: 'E_BLOCK' });
    b.attachWhen(ctx.span);
  };

  const openWhen = (opener: string, parseCondition: () => Condition, ctx: CallContext): void => {
    if (!b.device)
      throw new Invalid(`Conditional blocks must be called inside a device() block`, ctx.span, {
        code: 'E_BLOCK',
        hint: `call ${opener}(...) between device_start(...) and device_end()`,
      });
    if (b.when)
      throw new Invalid(
        `Nested conditional blocks are not supported: ${b.when.opener}(...) opened at ${b.when.span.line}:${b.when.span.column} is still open`,
        ctx.span,
        {
          code: 'E_BLOCK',
          hint: 'close it with when_end() first, or use when_start(["MD_00", "MD_01"]) for all-of',
        },
      );
    let condition: Condition | null = null;
    try {
      condition = parseCondition();
    } catch (e) {
      // Report the bad condition but still open the block, so its when_end() is not a second error.
      if (e instanceof Invalid) b.error(e.message, e.span, e.extra);
      else if (e instanceof ScriptError && e.code === 'E_TYPE')
        b.error(e.message, e.span ?? ctx.span, { code: 'E_TYPE' });
      else throw e;
    }
    b.when = { condition, mappings: [], span: ctx.span, opener };
  };

  return [
    fn('device_start', 1, (args, ctx) => {
      const pattern = expectString(args, 0, 'device_start', ctx);
      if (b.when)
        throw new Invalid(
          `device_start() while ${b.when.opener}(...) opened at ${b.when.span.line}:${b.when.span.column} is still open`,
          ctx.span,
          {
            code: 'E_BLOCK',
            hint: 'close the when-block with when_end() and the device block with device_end()',
          },
        );
      if (b.device) {
        b.warning(
          `device_start() while device_start("${b.device.pattern}") opened at ${b.device.span.line}:${b.device.span.column} is still open: it is closed here`,
          ctx.span,
          'add device_end() before the next device_start()',
        );
        b.closeDevice(null);
      }
      b.device = { pattern, mappings: [], span: ctx.span };
    }),
    fn('device_end', 0, (_args, ctx) => {
      if (!b.device)
        throw new Invalid('device_end() called without matching device_start()', ctx.span, {
          code: 'E_BLOCK',
        });
      if (b.when) {
        b.error(
          `device_end() while ${b.when.opener}(...) opened at ${b.when.span.line}:${b.when.span.column} is still open`,
          ctx.span,
          { code: 'E_BLOCK', hint: 'add when_end() first' },
        );
        // close both, so one mistake gives one error rather than more at the end of the file
        b.attachWhen();
      }
      b.closeDevice(ctx.span);
    }),
    fn('map', 2, (args, ctx) => {
      const from = physicalKey(expectString(args, 0, 'map', ctx), ctx.argSpans[0]);
      const target = args[1];
      if (target === INVALID_VALUE) return; // already reported where it was made
      const span = ctx.argSpans[1];
      let m: BaseMapping;
      if (target instanceof ModifiedKey) {
        m = {
          kind: 'modifiedOutput',
          from,
          to: target.key,
          shift: target.shift,
          ctrl: target.ctrl,
          alt: target.alt,
          win: target.win,
        };
      } else {
        const to = expectString(args, 1, 'map', ctx);
        if (to.startsWith('VK_')) m = { kind: 'simple', from, to: physicalKey(to, span) };
        else if (to.startsWith('MD_')) m = { kind: 'modifier', from, id: layerId(to, 'MD', span) };
        else if (to.startsWith('LK_')) m = { kind: 'lock', from, id: layerId(to, 'LK', span) };
        else
          throw new Invalid(
            `Output must have VK_, MD_, or LK_ prefix: ${to} -> use VK_${to} for virtual key`,
            span,
            {
              code: 'E_PREFIX',
              suggestions: keyByName(to) ? [`VK_${to}`] : undefined,
            },
          );
      }
      b.addMapping(m, 'map', ctx.span);
    }),
    fn('with_shift', 1, modifiedKey('with_shift', [true, false, false, false])),
    fn('with_ctrl', 1, modifiedKey('with_ctrl', [false, true, false, false])),
    fn('with_alt', 1, modifiedKey('with_alt', [false, false, true, false])),
    fn('with_win', 1, modifiedKey('with_win', [false, false, false, true])),
    fn('with_mods', 5, (args, ctx) => {
      const key = virtualKey(
        expectString(args, 0, 'with_mods', ctx),
        ctx.argSpans[0],
        'Invalid key in with_mods()',
      );
      return new ModifiedKey(
        key,
        expectBool(args, 1, 'with_mods', ctx),
        expectBool(args, 2, 'with_mods', ctx),
        expectBool(args, 3, 'with_mods', ctx),
        expectBool(args, 4, 'with_mods', ctx),
      );
    }),
    fn('tap_hold', [4, 5], (args, ctx) => {
      const from = physicalKey(expectString(args, 0, 'tap_hold', ctx), ctx.argSpans[0]);
      const tapText = expectString(args, 1, 'tap_hold', ctx);
      if (!tapText.startsWith('VK_'))
        throw new Invalid(`tap_hold tap parameter must have VK_ prefix, got: ${tapText}`, ctx.argSpans[1], {
          code: 'E_PREFIX',
        });
      const tap = physicalKey(tapText, ctx.argSpans[1]);
      const holdText = expectString(args, 2, 'tap_hold', ctx);
      const m: TapHoldMapping = { kind: 'tapHold', from, tap, thresholdMs: 0 };
      if (holdText.startsWith('VK_')) m.holdKey = modifierTarget(holdText, ctx.argSpans[2], 'tap_hold hold');
      else if (holdText.startsWith('MD_')) m.hold = layerId(holdText, 'MD', ctx.argSpans[2]);
      else
        throw new Invalid(`tap_hold hold parameter must have MD_ prefix, got: ${holdText}`, ctx.argSpans[2], {
          code: 'E_PREFIX',
          hint: 'a layer MD_xx, or a modifier key to hold: VK_LShift, VK_LCtrl, VK_LAlt, VK_LMeta …',
        });
      m.thresholdMs = threshold(args, 3, 'tap_hold', ctx);
      if (args.length > 4) {
        const options = args[4];
        if (!(options instanceof Map))
          throw new Invalid(
            `tap_hold() options must be an object map #{ … }, got ${typeName(options)}`,
            ctx.argSpans[4],
            {
              code: 'E_TYPE',
              hint: 'e.g. #{ mode: "balanced", require_prior_idle_ms: 150 }',
            },
          );
        tapHoldOptions(options, m, ctx.argSpans[4]);
      }
      b.addMapping(m, 'tap_hold', ctx.span);
    }),
    fn('hold_only', [2, 3], (args, ctx) => {
      const from = physicalKey(expectString(args, 0, 'hold_only', ctx), ctx.argSpans[0]);
      const holdText = expectString(args, 1, 'hold_only', ctx);
      if (!holdText.startsWith('MD_'))
        throw new Invalid(
          `hold_only hold parameter must have MD_ prefix, got: ${holdText}`,
          ctx.argSpans[1],
          { code: 'E_PREFIX' },
        );
      const hold = layerId(holdText, 'MD', ctx.argSpans[1]);
      const thresholdMs = args.length > 2 ? threshold(args, 2, 'hold_only', ctx) : DEFAULT_THRESHOLD_MS;
      b.addMapping({ kind: 'holdOnly', from, hold, thresholdMs }, 'hold_only', ctx.span);
    }),
    fn('sequence', 2, (args, ctx) => {
      const from = physicalKey(expectString(args, 0, 'sequence', ctx), ctx.argSpans[0]);
      const list = expectArray(args, 1, 'sequence', ctx);
      if (list.length === 0)
        throw new Invalid('Sequence must have at least one output key', ctx.argSpans[1], { code: 'E_RANGE' });
      if (list.length > MAX_SEQUENCE_LENGTH)
        throw new Invalid(
          `Sequence too long: ${list.length} keys (max ${MAX_SEQUENCE_LENGTH})`,
          ctx.argSpans[1],
          { code: 'E_RANGE' },
        );
      const keys = list.map((k, i) => {
        if (typeof k !== 'string')
          throw new Invalid('Sequence keys must be strings', ctx.argSpans[1], { code: 'E_TYPE' });
        try {
          return virtualKey(k, ctx.argSpans[1], `Invalid sequence key ${i}`);
        } catch (e) {
          if (e instanceof Invalid && e.extra.code === 'E_UNKNOWN_KEY')
            throw new Invalid(`Invalid sequence key ${i}: ${e.message}`, e.span, e.extra);
          throw e;
        }
      });
      b.addMapping({ kind: 'sequence', from, keys }, 'sequence', ctx.span);
    }),
    fn('one_shot', [2, 4], (all, ctx) => {
      const { args, options } = trailingOptions(all, 2, 'one_shot', ctx, ['lock']);
      const from = physicalKey(expectString(args, 0, 'one_shot', ctx), ctx.argSpans[0]);
      const target = expectString(args, 1, 'one_shot', ctx);
      const timeoutMs = optionalMs(args, 2, 'one_shot', ctx, 1000, 'the timeout');
      const m: OneShotMapping = target.startsWith('MD_')
        ? { kind: 'oneShot', from, layer: layerId(target, 'MD', ctx.argSpans[1]), timeoutMs }
        : {
            kind: 'oneShot',
            from,
            key: modifierTarget(target, ctx.argSpans[1], 'one_shot target'),
            timeoutMs,
          };
      if (boolOption(options, 'lock', 'one_shot', ctx.argSpans[args.length])) m.lock = true;
      b.addMapping(m, 'one_shot', ctx.span);
    }),
    fn('combo', [2, 4], (all, ctx) => {
      const { args, options } = trailingOptions(all, 2, 'combo', ctx, ['release']);
      const list = listArg(args, 0, 'combo', ctx, 2, LIMITS.comboKeys, 'keys');
      const keys = physicalKeys(list, ctx.argSpans[0], 'combo keys');
      const twice = keys.find((k, i) => keys.indexOf(k) !== i);
      if (twice) throw new Invalid(`combo() names ${twice} twice`, ctx.argSpans[0], { code: 'E_RANGE' });
      const output = args[1];
      if (output === INVALID_VALUE) return; // reported where it was made
      const windowMs = optionalMs(args, 2, 'combo', ctx, 50, 'the window', 5000);
      const m: ComboMapping = { kind: 'combo', keys, windowMs };
      if (output instanceof ModifiedKey) {
        m.to = output.key;
        for (const flag of ['shift', 'ctrl', 'alt', 'win'] as const) if (output[flag]) m[flag] = true;
      } else {
        const text = expectString(args, 1, 'combo', ctx);
        if (text.startsWith('MD_')) m.layer = layerId(text, 'MD', ctx.argSpans[1]);
        else m.to = virtualKey(text, ctx.argSpans[1], 'combo output');
      }
      const release = options?.get('release');
      if (release !== undefined) {
        if (release !== 'first' && release !== 'all')
          throw new Invalid(
            `combo option release must be "first" or "all", got ${typeof release === 'string' ? `"${release}"` : typeName(release)}`,
            ctx.argSpans[args.length],
            { code: 'E_RANGE' },
          );
        if (release === 'all') m.release = 'all';
      }
      b.addMapping(m, 'combo', ctx.span);
    }),
    fn('tap_dance', [2, 4], (all, ctx) => {
      const { args, options } = trailingOptions(all, 2, 'tap_dance', ctx, ['eager']);
      const from = physicalKey(expectString(args, 0, 'tap_dance', ctx), ctx.argSpans[0]);
      const list = listArg(args, 1, 'tap_dance', ctx, 1, LIMITS.danceActions, 'actions');
      const actions = list.map((a, i) => danceAction(a, ctx.argSpans[1], i));
      const windowMs = optionalMs(args, 2, 'tap_dance', ctx, DEFAULT_THRESHOLD_MS, 'the window');
      const m: TapDanceMapping = { kind: 'tapDance', from, actions, windowMs };
      if (boolOption(options, 'eager', 'tap_dance', ctx.argSpans[args.length])) m.eager = true;
      b.addMapping(m, 'tap_dance', ctx.span);
    }),
    fn('macro', 2, (args, ctx) => {
      const from = physicalKey(expectString(args, 0, 'macro', ctx), ctx.argSpans[0]);
      const list = listArg(args, 1, 'macro', ctx, 1, LIMITS.macroSteps, 'steps');
      const steps = list.map((v, i) => {
        if (v === INVALID_VALUE) throw new Reported();
        if (!(v instanceof MacroStepValue))
          throw new Invalid(
            `macro step ${i + 1} must be press(), release(), tap(), wait() or text(), got ${typeName(v)}`,
            ctx.argSpans[1],
            { code: 'E_TYPE', hint: typeof v === 'string' ? `use tap("${v}")` : undefined },
          );
        return v.step;
      });
      const typed = macroTextLength(steps);
      if (typed > LIMITS.macroText)
        throw new Invalid(
          `macro() types ${typed} characters in all (max ${LIMITS.macroText})`,
          ctx.argSpans[1],
          {
            code: 'E_RANGE',
          },
        );
      b.addMapping({ kind: 'macro', from, steps }, 'macro', ctx.span);
    }),
    ...(['press', 'release', 'tap'] as const).map((op) =>
      fn(
        op,
        1,
        (args, ctx) =>
          new MacroStepValue({ op, key: physicalKey(expectString(args, 0, op, ctx), ctx.argSpans[0]) }),
        true,
      ),
    ),
    fn(
      'wait',
      1,
      (args, ctx) => {
        const ms = expectInt(args, 0, 'wait', ctx);
        if (ms < 0 || ms > LIMITS.macroWaitMs)
          throw new Invalid(`wait() takes 0–${LIMITS.macroWaitMs} ms, got ${ms}`, ctx.argSpans[0], {
            code: 'E_RANGE',
          });
        return new MacroStepValue({ op: 'wait', ms });
      },
      true,
    ),
    fn(
      'text',
      1,
      (args, ctx) =>
        new MacroStepValue({
          op: 'text',
          text: textArg(expectString(args, 0, 'text', ctx), ctx.argSpans[0], 'text', LIMITS.textLength),
        }),
      true,
    ),
    fn('layer_toggle', 2, (args, ctx) => layerKey('layer_toggle', 'layerToggle', args, ctx)),
    fn('layer_switch', 2, (args, ctx) => layerKey('layer_switch', 'layerSwitch', args, ctx)),
    fn('caps_word', [1, 3], (all, ctx) => {
      const { args, options } = trailingOptions(all, 1, 'caps_word', ctx, ['shift_keys', 'continue_keys']);
      let m: CapsWordMapping;
      const timeoutMs = optionalMs(args, 1, 'caps_word', ctx, 5000, 'the idle timeout');
      if (Array.isArray(args[0])) {
        // two keys held together (both Shifts): each still does what it does
        const keys = physicalKeys(
          listArg(args, 0, 'caps_word', ctx, 2, 2, 'keys'),
          ctx.argSpans[0],
          'caps_word keys',
        );
        if (keys[0] === keys[1])
          throw new Invalid(`caps_word() names ${keys[0]} twice`, ctx.argSpans[0], { code: 'E_RANGE' });
        m = { kind: 'capsWord', from: keys[0], together: keys[1], timeoutMs };
      } else
        m = {
          kind: 'capsWord',
          from: physicalKey(expectString(args, 0, 'caps_word', ctx), ctx.argSpans[0]),
          timeoutMs,
        };
      const span = ctx.argSpans[args.length];
      for (const [name, field] of [
        ['shift_keys', 'shiftKeys'],
        ['continue_keys', 'continueKeys'],
      ] as const) {
        const value = options?.get(name);
        if (value === undefined) continue;
        if (!Array.isArray(value))
          throw new Invalid(
            `caps_word option ${name} must be an array of keys, got ${typeName(value)}`,
            span,
            {
              code: 'E_TYPE',
            },
          );
        m[field] = expandKeyGroups(value, span, `caps_word option ${name}`);
      }
      b.addMapping(m, 'caps_word', ctx.span);
    }),
    fn('leader', [1, 2], (args, ctx) => {
      const from = physicalKey(expectString(args, 0, 'leader', ctx), ctx.argSpans[0]);
      const timeoutMs = optionalMs(args, 1, 'leader', ctx, 1000, 'the timeout');
      const m: LeaderMapping = { kind: 'leader', from, timeoutMs, sequences: [] };
      b.addMapping(m, 'leader', ctx.span);
      b.device!.leader = m;
    }),
    fn('leader_sequence', 2, (args, ctx) => {
      if (!b.device)
        throw new Invalid(
          'leader_sequence() must be called inside a device_start(...) ... device_end() block',
          ctx.span,
        );
      const leader = b.device.leader;
      if (!leader)
        throw new Invalid('leader_sequence() needs a leader(key) before it in this device block', ctx.span, {
          code: 'E_ORDER',
          hint: 'e.g. leader("VK_RAlt"); then leader_sequence(["G", "G"], "VK_Home");',
        });
      const list = listArg(args, 0, 'leader_sequence', ctx, 1, LIMITS.leaderKeys, 'keys');
      const keys = physicalKeys(list, ctx.argSpans[0], 'leader_sequence keys');
      if (leader.sequences.some((q) => q.keys.join(' ') === keys.join(' ')))
        throw new Invalid(
          `leader_sequence(): ${keys.join(' ')} is already a sequence of this leader`,
          ctx.argSpans[0],
          {
            code: 'E_RANGE',
          },
        );
      if (leader.sequences.length >= LIMITS.leaderSequences)
        throw new Invalid(`a leader has at most ${LIMITS.leaderSequences} sequences`, ctx.span, {
          code: 'E_RANGE',
        });
      leader.sequences.push({ keys, steps: actionSteps(args[1], ctx.argSpans[1], 'leader_sequence') });
    }),
    ...(['dynamic_macro_record', 'dynamic_macro_play'] as const).map((name) =>
      fn(name, 2, (args, ctx) => {
        const from = physicalKey(expectString(args, 0, name, ctx), ctx.argSpans[0]);
        const slot = expectInt(args, 1, name, ctx);
        if (slot < 0 || slot >= LIMITS.macroSlots)
          throw new Invalid(
            `${name}(): the slot must be 0–${LIMITS.macroSlots - 1}, got ${slot}`,
            ctx.argSpans[1],
            {
              code: 'E_RANGE',
            },
          );
        const kind = name === 'dynamic_macro_record' ? 'dynamicMacroRecord' : 'dynamicMacroPlay';
        b.addMapping({ kind, from, slot }, name, ctx.span);
      }),
    ),
    fn('mouse_move', [2, 3], (all, ctx) => {
      const { args, options } = trailingOptions(all, 2, 'mouse_move', ctx, [
        'speed',
        'max_speed',
        'accel_ms',
      ]);
      const from = physicalKey(expectString(args, 0, 'mouse_move', ctx), ctx.argSpans[0]);
      const [x, y] = direction(
        expectString(args, 1, 'mouse_move', ctx),
        ctx.argSpans[1],
        'mouse_move',
        MOVE_DIRECTIONS,
      );
      const span = ctx.argSpans[args.length];
      const speed = intOption(options, 'speed', 'mouse_move', span, 300, 1, LIMITS.pointerSpeed);
      const maxSpeed = intOption(
        options,
        'max_speed',
        'mouse_move',
        span,
        Math.max(speed, 1500),
        1,
        LIMITS.pointerSpeed,
      );
      if (maxSpeed < speed)
        throw new Invalid(`mouse_move option max_speed (${maxSpeed}) is below speed (${speed})`, span, {
          code: 'E_RANGE',
        });
      const accelMs = intOption(options, 'accel_ms', 'mouse_move', span, 1000, 0, 65535);
      b.addMapping({ kind: 'mouseMove', from, x, y, speed, maxSpeed, accelMs }, 'mouse_move', ctx.span);
    }),
    fn('mouse_wheel', [2, 3], (all, ctx) => {
      const { args, options } = trailingOptions(all, 2, 'mouse_wheel', ctx, ['rate']);
      const from = physicalKey(expectString(args, 0, 'mouse_wheel', ctx), ctx.argSpans[0]);
      const [x, y] = direction(
        expectString(args, 1, 'mouse_wheel', ctx),
        ctx.argSpans[1],
        'mouse_wheel',
        WHEEL_DIRECTIONS,
      );
      const rate = intOption(
        options,
        'rate',
        'mouse_wheel',
        ctx.argSpans[args.length],
        10,
        1,
        LIMITS.wheelRate,
      );
      b.addMapping({ kind: 'mouseWheel', from, x, y, rate }, 'mouse_wheel', ctx.span);
    }),
    fn('auto_shift', [1, 2], (args, ctx) => {
      const list = listArg(args, 0, 'auto_shift', ctx, 1, 256, 'keys');
      const keys = expandKeyGroups(list, ctx.argSpans[0], 'auto_shift keys');
      const thresholdMs = optionalMs(args, 1, 'auto_shift', ctx, 175, 'the timeout');
      for (const from of keys) b.addMapping({ kind: 'autoShift', from, thresholdMs }, 'auto_shift', ctx.span);
    }),
    fn('key_override', 3, (args, ctx) => {
      const list = listArg(args, 0, 'key_override', ctx, 1, 8, 'modifiers');
      const mods = list.map((v) => {
        const name = typeof v === 'string' ? v.replace(/^VK_/, '') : null;
        if (name === null || !OVERRIDE_MODIFIER_NAMES.includes(name))
          throw new Invalid(
            `key_override modifiers are ${OVERRIDE_MODIFIER_NAMES.join(', ')}; got ${typeof v === 'string' ? `'${v}'` : typeName(v)}`,
            ctx.argSpans[0],
            { code: 'E_TARGET', suggestions: name ? closestNames(name, OVERRIDE_MODIFIER_NAMES) : undefined },
          );
        return name;
      });
      const from = physicalKey(expectString(args, 1, 'key_override', ctx), ctx.argSpans[1]);
      const to = virtualKey(
        expectString(args, 2, 'key_override', ctx),
        ctx.argSpans[2],
        'key_override output',
      );
      b.addMapping({ kind: 'keyOverride', from, mods, to }, 'key_override', ctx.span);
    }),
    fn('unicode', 2, (args, ctx) => {
      const from = physicalKey(expectString(args, 0, 'unicode', ctx), ctx.argSpans[0]);
      const text = textArg(
        expectString(args, 1, 'unicode', ctx),
        ctx.argSpans[1],
        'unicode',
        LIMITS.unicodeLength,
      );
      b.addMapping({ kind: 'unicode', from, text }, 'unicode', ctx.span);
    }),
    fn('led_indicator', 2, (args, ctx) => {
      const layerText = expectString(args, 0, 'led_indicator', ctx);
      if (!layerText.startsWith('MD_'))
        throw new Invalid(`led_indicator() layer must be MD_xx, got: ${layerText}`, ctx.argSpans[0], {
          code: 'E_PREFIX',
        });
      const layer = layerId(layerText, 'MD', ctx.argSpans[0]);
      const led = expectString(args, 1, 'led_indicator', ctx);
      if (!(LED_NAMES as readonly string[]).includes(led))
        throw new Invalid(
          `led_indicator(): the light must be one of ${LED_NAMES.map((n) => `"${n}"`).join(', ')}, got "${led}"`,
          ctx.argSpans[1],
          { code: 'E_RANGE', suggestions: closestNames(led, LED_NAMES).map((n) => `"${n}"`) },
        );
      if (b.ledIndicators.some((i) => i.led === led))
        throw new Invalid(`led_indicator(): ${led} shows another layer already`, ctx.argSpans[1], {
          code: 'E_RANGE',
        });
      b.ledIndicators.push({ layer, led: led as LedName });
    }),
    fn('layer_name', 2, (args, ctx) => {
      const text = expectString(args, 0, 'layer_name', ctx);
      const prefix = text.startsWith('MD_') ? 'MD' : text.startsWith('LK_') ? 'LK' : null;
      if (!prefix)
        throw new Invalid(`layer_name() layer must be MD_xx or LK_xx, got: ${text}`, ctx.argSpans[0], {
          code: 'E_PREFIX',
        });
      const layer = layerName(prefix, layerId(text, prefix, ctx.argSpans[0]));
      const name = expectString(args, 1, 'layer_name', ctx);
      const problem = layerNameProblem(name);
      if (problem) throw new Invalid(`layer_name(): ${problem}`, ctx.argSpans[1], { code: 'E_RANGE' });
      const same = b.layerNames.find((n) => n.layer === layer);
      if (same) {
        const at = b.layerNameSpans.get(same)!;
        throw new Invalid(
          `layer_name(): ${layer} is named '${same.name}' already (at ${at.line}:${at.column})`,
          ctx.argSpans[0],
          {
            code: 'E_DUPLICATE',
          },
        );
      }
      const clash = b.layerNames.find((n) => n.name.toLowerCase() === name.toLowerCase());
      if (clash)
        throw new Invalid(`layer_name(): '${name}' names ${clash.layer} already`, ctx.argSpans[1], {
          code: 'E_DUPLICATE',
        });
      const entry: LayerName = { layer, name };
      b.layerNames.push(entry);
      b.layerNameSpans.set(entry, ctx.span);
    }),
    fn('unicode_entry', 2, (args, ctx) => {
      const list = expectArray(args, 0, 'unicode_entry', ctx);
      if (list.length > 8)
        throw new Invalid(
          `unicode_entry() takes at most 8 keys to hold, got ${list.length}`,
          ctx.argSpans[0],
          {
            code: 'E_RANGE',
          },
        );
      const start = list.map((k) => {
        if (typeof k !== 'string')
          throw new Invalid(`unicode_entry keys must be strings, got ${typeName(k)}`, ctx.argSpans[0], {
            code: 'E_TYPE',
          });
        return virtualKey(k, ctx.argSpans[0], 'unicode_entry key');
      });
      const end = virtualKey(
        expectString(args, 1, 'unicode_entry', ctx),
        ctx.argSpans[1],
        'unicode_entry end key',
      );
      b.unicodeEntry = { start, end };
    }),
    fn('when_start', 1, (args, ctx) =>
      openWhen(
        'when_start',
        () => {
          const v = args[0];
          if (Array.isArray(v)) {
            if (v.length === 0)
              throw new Invalid('when_start([]) needs at least one condition', ctx.argSpans[0], {
                code: 'E_CONDITION',
              });
            const items = v.map((item) => {
              if (typeof item !== 'string')
                throw new Invalid('Only single conditions allowed in array', ctx.argSpans[0], {
                  code: 'E_CONDITION',
                });
              return conditionItem(item, ctx.argSpans[0]);
            });
            return items.length === 1 ? items[0] : { kind: 'allOf', items };
          }
          return conditionItem(expectString(args, 0, 'when_start', ctx), ctx.argSpans[0]);
        },
        ctx,
      ),
    ),
    fn('when_not_start', 1, (args, ctx) =>
      openWhen(
        'when_not_start',
        () => {
          const v = args[0];
          // KeyRx takes one condition; an array (none of them active) is our extension.
          const texts = Array.isArray(v) ? v : [expectString(args, 0, 'when_not_start', ctx)];
          if (texts.length === 0)
            throw new Invalid('when_not_start([]) needs at least one condition', ctx.argSpans[0], {
              code: 'E_CONDITION',
            });
          const items = texts.map((t) => {
            if (typeof t !== 'string')
              throw new Invalid('Only single conditions allowed in when_not', ctx.argSpans[0], {
                code: 'E_CONDITION',
              });
            return conditionItem(t, ctx.argSpans[0]);
          });
          return { kind: 'noneOf', items };
        },
        ctx,
      ),
    ),
    fn('when_device_start', 1, (args, ctx) =>
      openWhen(
        'when_device_start',
        () => {
          const pattern = expectString(args, 0, 'when_device_start', ctx);
          if (pattern === '')
            throw new Invalid('Device pattern cannot be empty', ctx.argSpans[0], { code: 'E_CONDITION' });
          return { kind: 'device', pattern };
        },
        ctx,
      ),
    ),
    fn('when_end', 0, closeWhen('when_end')),
    fn('when_not_end', 0, closeWhen('when_not_end')),
    fn('when_device_end', 0, closeWhen('when_device_end')),
  ];
}

/** Every function the compiler registers (read off the registry, so a new built-in is never left out). */
export const BUILTIN_NAMES: readonly string[] = [
  ...new Set(createBuiltins(new ProfileBuilder()).map((f) => f.name)),
];
