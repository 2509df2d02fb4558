/**
 * The compiled configuration model: plain, serialisable data (key names, not codes), the
 * same shape KeyRx compiles to. The DSL compiler produces it, `.krx` files store it, and
 * the engine turns it into lookup tables when it loads it.
 */
import { isModifierKey, resolveKey, UnknownKeyError } from './keys.ts';
import { untypable } from './text.ts';

export const CONFIG_VERSION = 1;
/** MD_00–MD_FE and LK_00–LK_FE: 255 ids each; FF is reserved (KeyRx). */
export const MAX_LAYER_ID = 0xfe;
export const DEFAULT_THRESHOLD_MS = 200;

export interface SimpleMapping {
  kind: 'simple';
  from: string;
  to: string;
}
export interface ModifierMapping {
  kind: 'modifier';
  from: string;
  /** MD_xx id, 0–254 */
  id: number;
}
export interface LockMapping {
  kind: 'lock';
  from: string;
  /** LK_xx id, 0–254 */
  id: number;
}
/** How a tap-hold key decides between tap and hold while another key is involved. */
export type TapHoldMode = 'permissive' | 'hold_on_press' | 'balanced' | 'tap_preferred';
export const TAP_HOLD_MODES: readonly TapHoldMode[] = [
  'permissive',
  'hold_on_press',
  'balanced',
  'tap_preferred',
];

/** Which physical keys each hand types (for `oppositeHand`). */
export interface HandMap {
  left: string[];
  right: string[];
}

export interface TapHoldMapping {
  kind: 'tapHold';
  from: string;
  tap: string;
  /** MD_xx id activated while held (absent when `holdKey` is set) */
  hold?: number;
  /** an output modifier key held instead of a layer: home-row mods (`LShift`) */
  holdKey?: string;
  thresholdMs: number;
  /** absent: `permissive`, KeyRx's behaviour */
  mode?: TapHoldMode;
  /** pressed again within this long after its tap: the tap key again (held, so it repeats) */
  quickTapMs?: number;
  /** pressed within this long after another key's press: a tap at once (fast typing) */
  requirePriorIdleMs?: number;
  /** a key of the same hand pressed while undecided makes it a tap */
  oppositeHand?: HandMap;
  /** another key pressed within this long after it is a roll: a tap */
  rollMs?: number;
  /** keys whose press while undecided makes it a tap at once (kanata's tap-hold-release-keys) */
  tapKeys?: string[];
  /** keys whose press while undecided makes it a hold at once */
  holdKeys?: string[];
  /** held alone to the threshold: this key (held), instead of the hold (kanata's -timeout, keyd's timeout()) */
  timeoutKey?: string;
  /** held alone to the threshold: this MD_xx layer, instead of the hold */
  timeoutLayer?: number;
  /** held alone past the threshold and released with no key pressed since: the tap as well (QMK's retro tapping) */
  retroTap?: boolean;
  /** a tap decided while the key is still down (another key's press) holds the tap key until its release */
  tapHeld?: boolean;
}
export interface HoldOnlyMapping {
  kind: 'holdOnly';
  from: string;
  hold: number;
  thresholdMs: number;
}
export interface ModifiedOutputMapping {
  kind: 'modifiedOutput';
  from: string;
  to: string;
  shift: boolean;
  ctrl: boolean;
  alt: boolean;
  win: boolean;
}
export interface SequenceMapping {
  kind: 'sequence';
  from: string;
  keys: string[];
}

/** Next key gets the modifier key or layer, then it is released (held: an ordinary modifier). */
export interface OneShotMapping {
  kind: 'oneShot';
  from: string;
  /** output modifier key (`LShift`), or */
  key?: string;
  /** MD_xx id */
  layer?: number;
  /** armed this long at most after its release */
  timeoutMs: number;
  /** pressed again while armed: locked on until pressed once more (else: cancelled) */
  lock?: boolean;
}

/** Keys pressed together (within `windowMs` of the first) produce `to`; the only kind without `from`. */
export interface ComboMapping {
  kind: 'combo';
  keys: string[];
  /** the output key (with `shift`… flags, as modifiedOutput), or */
  to?: string;
  shift?: boolean;
  ctrl?: boolean;
  alt?: boolean;
  win?: boolean;
  /** an MD_xx layer held while the combo is */
  layer?: number;
  windowMs: number;
  /** the output ends at the release of the first key (absent) or of the last one (`all`) */
  release?: 'all';
}

/** What the nth tap of a tap dance does: tapped, or held (a key held down, or a layer). */
export interface DanceAction {
  tap?: string;
  holdKey?: string;
  holdLayer?: number;
}

export interface TapDanceMapping {
  kind: 'tapDance';
  from: string;
  actions: DanceAction[];
  /** a next tap must come within this long */
  windowMs: number;
  /** each press does its action at once (held while the key is), no waiting (kanata's tap-dance-eager) */
  eager?: boolean;
}

export type MacroStep =
  | { op: 'press' | 'release' | 'tap'; key: string }
  | { op: 'wait'; ms: number }
  | { op: 'text'; text: string };

export interface MacroMapping {
  kind: 'macro';
  from: string;
  steps: MacroStep[];
}

/** Press: MD_xx on until pressed again. */
export interface LayerToggleMapping {
  kind: 'layerToggle';
  from: string;
  id: number;
}

/** Press: MD_xx becomes the base layer (replacing another switched one); again: back to none. */
export interface LayerSwitchMapping {
  kind: 'layerSwitch';
  from: string;
  id: number;
}

/** Letters come out shifted until a key that is not part of a word, or `timeoutMs` idle. */
export interface CapsWordMapping {
  kind: 'capsWord';
  from: string;
  /** pressed while `from` is held (or the other way round) turns caps word on; both keys still act */
  together?: string;
  timeoutMs: number;
  /** the keys typed shifted (default: letters and Minus) */
  shiftKeys?: string[];
  /** the keys that keep the word going unshifted (default: digits, Backspace, Delete); modifiers always do */
  continueKeys?: string[];
}

/** One sequence typed after the leader key, and what it runs. */
export interface LeaderSequence {
  keys: string[];
  steps: MacroStep[];
}

/** A leader key: the keys typed after it (each within `timeoutMs` of the last) pick a sequence. */
export interface LeaderMapping {
  kind: 'leader';
  from: string;
  timeoutMs: number;
  sequences: LeaderSequence[];
}

/** Records the output typed until it is pressed again, into a slot (a dynamic macro). */
export interface DynamicMacroRecordMapping {
  kind: 'dynamicMacroRecord';
  from: string;
  slot: number;
}

/** Plays what was recorded into a slot. */
export interface DynamicMacroPlayMapping {
  kind: 'dynamicMacroPlay';
  from: string;
  slot: number;
}

/**
 * Moves the pointer while held: along (x, y) (each -1, 0 or 1; screen directions, y down), from
 * `speed` to `maxSpeed` pixels per second over `accelMs`. Keys held together add up (diagonals).
 */
export interface MouseMoveMapping {
  kind: 'mouseMove';
  from: string;
  x: number;
  y: number;
  speed: number;
  maxSpeed: number;
  accelMs: number;
}

/** Scrolls while held: (x, y) as for mouse moves (y -1: up), `rate` notches per second, in hi-res steps. */
export interface MouseWheelMapping {
  kind: 'mouseWheel';
  from: string;
  x: number;
  y: number;
  rate: number;
}

/** Held longer than the threshold: typed shifted (QMK's auto shift). */
export interface AutoShiftMapping {
  kind: 'autoShift';
  from: string;
  thresholdMs: number;
}

/** `from` with every listed modifier down gives `to`, those modifiers lifted meanwhile. */
export interface KeyOverrideMapping {
  kind: 'keyOverride';
  from: string;
  /** `Shift`, `Ctrl`, `Alt`, `Meta` (either side) or one side: `LShift`, `RCtrl` … */
  mods: string[];
  to: string;
}

/** Types `text` through the unicode entry (Linux: Ctrl+Shift+U, hex, Space). */
export interface UnicodeMapping {
  kind: 'unicode';
  from: string;
  text: string;
}

export type BaseMapping =
  | SimpleMapping
  | ModifierMapping
  | LockMapping
  | TapHoldMapping
  | HoldOnlyMapping
  | ModifiedOutputMapping
  | SequenceMapping
  | OneShotMapping
  | ComboMapping
  | TapDanceMapping
  | MacroMapping
  | LayerToggleMapping
  | LayerSwitchMapping
  | CapsWordMapping
  | AutoShiftMapping
  | MouseMoveMapping
  | MouseWheelMapping
  | LeaderMapping
  | DynamicMacroRecordMapping
  | DynamicMacroPlayMapping
  | KeyOverrideMapping
  | UnicodeMapping;

/** Every mapping but a combo is triggered by one key. */
export type KeyMapping = Exclude<BaseMapping, ComboMapping>;

/** The keys that trigger a mapping: `from`, a combo's keys, or both keys of a caps-word pair. */
export function triggerKeys(m: BaseMapping): string[] {
  if (m.kind === 'combo') return m.keys;
  return m.kind === 'capsWord' && m.together !== undefined ? [m.from, m.together] : [m.from];
}

export type ConditionItem =
  | { kind: 'modifier'; id: number }
  | { kind: 'lock'; id: number }
  | { kind: 'ime' }
  | { kind: 'lang'; lang: string }
  /** the focused application (`PUT /api/context`) matches the glob */
  | { kind: 'app'; pattern: string }
  /** the focused window's title matches the glob */
  | { kind: 'title'; pattern: string };

export type Condition =
  | ConditionItem
  /** every item active (`when_start([...])`) */
  | { kind: 'allOf'; items: ConditionItem[] }
  /** every item inactive (`when_not_start`) */
  | { kind: 'noneOf'; items: ConditionItem[] }
  /** the event's device name or id matches the glob (`when_device_start`) */
  | { kind: 'device'; pattern: string };

export interface ConditionalBlock {
  kind: 'conditional';
  condition: Condition;
  mappings: BaseMapping[];
}

export type Mapping = BaseMapping | ConditionalBlock;

export interface DeviceBlock {
  /** glob on the device name or id: `*`, `x*`, `*x`, `*x*`, exact; case-insensitive */
  pattern: string;
  mappings: Mapping[];
}

export interface ConfigMetadata {
  compilerVersion?: string;
  /** hex SHA-256 of the main source */
  sourceHash?: string;
  sourceFile?: string;
  /** files run by load(), with their hashes, so a cache can tell when one changed */
  inputs?: { path: string; sha256: string }[];
}

/** How `unicode()` and non-ASCII `text()` type a code point: hold `start`, type hex, tap `end`. */
export interface UnicodeEntry {
  start: string[];
  end: string;
}

export const DEFAULT_UNICODE_ENTRY: UnicodeEntry = { start: ['LCtrl', 'LShift', 'U'], end: 'Space' };

export interface Config {
  version: number;
  devices: DeviceBlock[];
  /** absent: DEFAULT_UNICODE_ENTRY */
  unicodeEntry?: UnicodeEntry;
  /** keyboard lights that show a layer (led_indicator()) */
  ledIndicators?: LedIndicator[];
  /** names people gave their layers (layer_name()), for views and editors */
  layerNames?: LayerName[];
  metadata?: ConfigMetadata;
}

/** A layer's name: `layer` is its id as written, `MD_xx` (held) or `LK_xx` (locked). */
export interface LayerName {
  layer: string;
  name: string;
}

export const MAX_LAYER_NAME_LENGTH = 32;
const LAYER_REF = /^(MD|LK)_[0-9A-F]{2}$/;

/** Why a layer name cannot be used, or null: 1–32 characters, no control characters, no edge spaces. */
export function layerNameProblem(name: string): string | null {
  if (name.length === 0) return 'a layer name cannot be empty';
  if ([...name].length > MAX_LAYER_NAME_LENGTH)
    return `a layer name has at most ${MAX_LAYER_NAME_LENGTH} characters, got ${[...name].length}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name))
    return 'a layer name cannot contain control characters';
  if (name.trim() !== name) return 'a layer name cannot start or end with a space';
  return null;
}

/** The keyboard lights keyrx can drive, in LED code order (LED_NUML … LED_KANA). */
export const LED_NAMES = ['NumLock', 'CapsLock', 'ScrollLock', 'Compose', 'Kana'] as const;
export type LedName = (typeof LED_NAMES)[number];

/** A light that is on while a layer is active (off otherwise, or the desktop's state when none is). */
export interface LedIndicator {
  layer: number;
  led: LedName;
}

export const BASE_MAPPING_KINDS = [
  'simple',
  'modifier',
  'lock',
  'tapHold',
  'holdOnly',
  'modifiedOutput',
  'sequence',
  'oneShot',
  'combo',
  'tapDance',
  'macro',
  'layerToggle',
  'layerSwitch',
  'capsWord',
  'autoShift',
  'mouseMove',
  'mouseWheel',
  'leader',
  'dynamicMacroRecord',
  'dynamicMacroPlay',
  'keyOverride',
  'unicode',
] as const;

/** Characters a macro's text() steps type in all. */
export function macroTextLength(steps: MacroStep[]): number {
  let n = 0;
  for (const step of steps) if (step.op === 'text') n += [...step.text].length;
  return n;
}

/** A macro's steps: 1 to LIMITS.macroSteps, their text within LIMITS.macroText. */
function macroSteps(v: Obj, path: string): MacroStep[] {
  const steps = field(v, 'steps', path);
  if (!Array.isArray(steps) || steps.length === 0 || steps.length > LIMITS.macroSteps)
    throw new ConfigError(`${path}.steps`, `must be an array of 1 to ${LIMITS.macroSteps} steps`);
  const typed = steps.map((st, i) => macroStep(st, `${path}.steps[${i}]`));
  const total = macroTextLength(typed);
  if (total > LIMITS.macroText)
    throw new ConfigError(`${path}.steps`, `type ${total} characters in all (max ${LIMITS.macroText})`);
  return typed;
}

/** The longest key list an option takes (caps word's lists: every key there is). */
const KEY_LIST_MAX = 768;

/** Bounds of the newer mappings: a decoded file is as safe to run as a compiled profile. */
export const LIMITS = {
  comboKeys: 8,
  danceActions: 16,
  macroSteps: 1000,
  macroWaitMs: 60_000,
  textLength: 1000,
  /** all the text one macro types */
  macroText: 10_000,
  unicodeLength: 64,
  handKeys: 128,
  leaderSequences: 256,
  leaderKeys: 8,
  /** dynamic macro slots, and the output events one recording keeps */
  macroSlots: 10,
  recordedEvents: 1000,
  /** pointer speed in pixels per second, wheel rate in notches per second */
  pointerSpeed: 10_000,
  wheelRate: 100,
} as const;

export class ConfigError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'ConfigError';
    this.path = path;
  }
}

// ---------------------------------------------------------------- validation

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function field(o: Obj, name: string, path: string): unknown {
  if (!(name in o)) throw new ConfigError(path, `missing field '${name}'`);
  return o[name];
}

function str(o: Obj, name: string, path: string): string {
  const v = field(o, name, path);
  if (typeof v !== 'string') throw new ConfigError(`${path}.${name}`, `must be a string, got ${describe(v)}`);
  return v;
}

function bool(o: Obj, name: string, path: string): boolean {
  const v = o[name] ?? false;
  if (typeof v !== 'boolean')
    throw new ConfigError(`${path}.${name}`, `must be a boolean, got ${describe(v)}`);
  return v;
}

function key(o: Obj, name: string, path: string): string {
  const v = str(o, name, path);
  try {
    resolveKey(v);
  } catch (e) {
    if (e instanceof UnknownKeyError) throw new ConfigError(`${path}.${name}`, e.message);
    throw e;
  }
  return v;
}

function layerId(o: Obj, name: string, path: string): number {
  const v = field(o, name, path);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_LAYER_ID)
    throw new ConfigError(`${path}.${name}`, `must be an integer 0–254 (hex 00–FE), got ${describe(v)}`);
  return v;
}

function threshold(o: Obj, path: string, fallback?: number): number {
  const v = o.thresholdMs ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535)
    throw new ConfigError(`${path}.thresholdMs`, `must be an integer from 1 to 65535 ms, got ${describe(v)}`);
  return v;
}

function checkKeys(o: Obj, allowed: string[], path: string): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k))
      throw new ConfigError(path, `unknown field '${k}' (allowed: ${allowed.join(', ')})`);
}

function ms(o: Obj, name: string, path: string, min: number, max = 65535): number {
  const v = field(o, name, path);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new ConfigError(
      `${path}.${name}`,
      `must be an integer from ${min} to ${max} ms, got ${describe(v)}`,
    );
  return v;
}

function optionalMs(o: Obj, name: string, path: string): number | undefined {
  return o[name] === undefined ? undefined : ms(o, name, path, 0);
}

function modifierKey(o: Obj, name: string, path: string): string {
  const k = key(o, name, path);
  if (!isModifierKey(resolveKey(k)))
    throw new ConfigError(
      `${path}.${name}`,
      `must be a modifier key (LShift, RCtrl, LAlt, LMeta …), got '${k}'`,
    );
  return k;
}

/** Which of two alternative fields is present (0: the first): exactly one must be. */
function exactlyOne(
  o: Obj,
  path: string,
  a: [field: string, what: string],
  b: [field: string, what: string],
): 0 | 1 {
  const hasA = o[a[0]] !== undefined;
  if (hasA === (o[b[0]] !== undefined))
    throw new ConfigError(path, `needs exactly one of '${a[0]}' (${a[1]}) and '${b[0]}' (${b[1]})`);
  return hasA ? 0 : 1;
}

function keyList(o: Obj, name: string, path: string, min: number, max: number): string[] {
  const list = field(o, name, path);
  if (!Array.isArray(list) || list.length < min || list.length > max)
    throw new ConfigError(`${path}.${name}`, `must be an array of ${min} to ${max} key names`);
  return list.map((k, i) => key({ k }, 'k', `${path}.${name}[${i}]`));
}

function typedText(o: Obj, name: string, path: string, max: number): string {
  const text = str(o, name, path);
  const length = [...text].length;
  if (length === 0 || length > max)
    throw new ConfigError(`${path}.${name}`, `must have 1 to ${max} characters, got ${length}`);
  const bad = untypable(text);
  if (bad) throw new ConfigError(`${path}.${name}`, `cannot type ${bad}`);
  return text;
}

/** Modifier names a key override takes: either side, or one side. */
const MODIFIER_KINDS = ['Shift', 'Ctrl', 'Alt', 'Meta'];
export const OVERRIDE_MODIFIER_NAMES: readonly string[] = [
  ...MODIFIER_KINDS,
  ...MODIFIER_KINDS.flatMap((m) => [`L${m}`, `R${m}`]),
];
const OVERRIDE_MODIFIERS = new Set(OVERRIDE_MODIFIER_NAMES);

function tapHold(v: Obj, path: string): TapHoldMapping {
  checkKeys(
    v,
    [
      'kind',
      'from',
      'tap',
      'hold',
      'holdKey',
      'thresholdMs',
      'mode',
      'quickTapMs',
      'requirePriorIdleMs',
      'oppositeHand',
      'rollMs',
      'tapKeys',
      'holdKeys',
      'timeoutKey',
      'timeoutLayer',
      'retroTap',
      'tapHeld',
    ],
    path,
  );
  const out: TapHoldMapping = {
    kind: 'tapHold',
    from: key(v, 'from', path),
    tap: key(v, 'tap', path),
    thresholdMs: threshold(v, path),
  };
  if (exactlyOne(v, path, ['hold', 'an MD id'], ['holdKey', 'a modifier key']) === 0)
    out.hold = layerId(v, 'hold', path);
  else out.holdKey = modifierKey(v, 'holdKey', path);
  if (v.mode !== undefined) {
    if (typeof v.mode !== 'string' || !(TAP_HOLD_MODES as readonly string[]).includes(v.mode))
      throw new ConfigError(
        `${path}.mode`,
        `must be one of ${TAP_HOLD_MODES.join(', ')}, got ${describe(v.mode)}`,
      );
    out.mode = v.mode as TapHoldMode;
  }
  for (const name of ['quickTapMs', 'requirePriorIdleMs', 'rollMs'] as const) {
    const value = optionalMs(v, name, path);
    if (value !== undefined) out[name] = value;
  }
  if (v.oppositeHand !== undefined) {
    const h = v.oppositeHand;
    const hp = `${path}.oppositeHand`;
    if (!isObj(h)) throw new ConfigError(hp, `must be an object {left, right}, got ${describe(h)}`);
    checkKeys(h, ['left', 'right'], hp);
    out.oppositeHand = {
      left: keyList(h, 'left', hp, 0, LIMITS.handKeys),
      right: keyList(h, 'right', hp, 0, LIMITS.handKeys),
    };
  }
  if (v.tapKeys !== undefined) out.tapKeys = keyList(v, 'tapKeys', path, 1, LIMITS.handKeys);
  if (v.holdKeys !== undefined) out.holdKeys = keyList(v, 'holdKeys', path, 1, LIMITS.handKeys);
  if (out.tapKeys && out.holdKeys) {
    const both = out.tapKeys.filter((k) => out.holdKeys!.includes(k));
    if (both.length > 0)
      throw new ConfigError(`${path}.holdKeys`, `lists ${both.join(', ')}, which tapKeys lists too`);
  }
  if (v.timeoutKey !== undefined && v.timeoutLayer !== undefined)
    throw new ConfigError(path, "has both 'timeoutKey' and 'timeoutLayer'");
  if (v.timeoutKey !== undefined) out.timeoutKey = key(v, 'timeoutKey', path);
  if (v.timeoutLayer !== undefined) out.timeoutLayer = layerId(v, 'timeoutLayer', path);
  if ((out.timeoutKey !== undefined || out.timeoutLayer !== undefined) && out.mode === 'hold_on_press')
    throw new ConfigError(
      path,
      'a timeout action never runs with mode hold_on_press (the hold starts at the press)',
    );
  if (bool(v, 'retroTap', path)) out.retroTap = true;
  if (bool(v, 'tapHeld', path)) out.tapHeld = true;
  return out;
}

function danceAction(v: unknown, path: string): DanceAction {
  if (!isObj(v)) throw new ConfigError(path, `must be an object, got ${describe(v)}`);
  checkKeys(v, ['tap', 'holdKey', 'holdLayer'], path);
  const out: DanceAction = {};
  if (v.tap !== undefined) out.tap = key(v, 'tap', path);
  if (v.holdKey !== undefined && v.holdLayer !== undefined)
    throw new ConfigError(path, "has both 'holdKey' and 'holdLayer'");
  if (v.holdKey !== undefined) out.holdKey = key(v, 'holdKey', path);
  if (v.holdLayer !== undefined) out.holdLayer = layerId(v, 'holdLayer', path);
  if (Object.keys(out).length === 0) throw new ConfigError(path, "needs 'tap', 'holdKey' or 'holdLayer'");
  return out;
}

function macroStep(v: unknown, path: string): MacroStep {
  if (!isObj(v)) throw new ConfigError(path, `must be an object, got ${describe(v)}`);
  const op = str(v, 'op', path);
  switch (op) {
    case 'press':
    case 'release':
    case 'tap':
      checkKeys(v, ['op', 'key'], path);
      return { op, key: key(v, 'key', path) };
    case 'wait':
      checkKeys(v, ['op', 'ms'], path);
      return { op, ms: ms(v, 'ms', path, 0, LIMITS.macroWaitMs) };
    case 'text':
      checkKeys(v, ['op', 'text'], path);
      return { op, text: typedText(v, 'text', path, LIMITS.textLength) };
    default:
      throw new ConfigError(
        `${path}.op`,
        `unknown macro step '${op}' (expected press, release, tap, wait, text)`,
      );
  }
}

function globPattern(o: Obj, path: string): string {
  const pattern = str(o, 'pattern', path);
  if (pattern === '') throw new ConfigError(`${path}.pattern`, 'must not be empty');
  return pattern;
}

function baseMapping(v: unknown, path: string): BaseMapping {
  if (!isObj(v)) throw new ConfigError(path, `must be an object, got ${describe(v)}`);
  const kind = str(v, 'kind', path);
  switch (kind) {
    case 'simple':
      checkKeys(v, ['kind', 'from', 'to'], path);
      return { kind, from: key(v, 'from', path), to: key(v, 'to', path) };
    case 'modifier':
    case 'lock':
      checkKeys(v, ['kind', 'from', 'id'], path);
      return { kind, from: key(v, 'from', path), id: layerId(v, 'id', path) };
    case 'tapHold':
      return tapHold(v, path);
    case 'holdOnly':
      checkKeys(v, ['kind', 'from', 'hold', 'thresholdMs'], path);
      return {
        kind,
        from: key(v, 'from', path),
        hold: layerId(v, 'hold', path),
        thresholdMs: threshold(v, path, DEFAULT_THRESHOLD_MS),
      };
    case 'modifiedOutput':
      checkKeys(v, ['kind', 'from', 'to', 'shift', 'ctrl', 'alt', 'win'], path);
      return {
        kind,
        from: key(v, 'from', path),
        to: key(v, 'to', path),
        shift: bool(v, 'shift', path),
        ctrl: bool(v, 'ctrl', path),
        alt: bool(v, 'alt', path),
        win: bool(v, 'win', path),
      };
    case 'sequence': {
      checkKeys(v, ['kind', 'from', 'keys'], path);
      const keys = field(v, 'keys', path);
      if (!Array.isArray(keys) || keys.length === 0)
        throw new ConfigError(`${path}.keys`, 'must be a non-empty array of key names');
      return {
        kind,
        from: key(v, 'from', path),
        keys: keys.map((k, i) => key({ k }, 'k', `${path}.keys[${i}]`)),
      };
    }
    case 'oneShot': {
      checkKeys(v, ['kind', 'from', 'key', 'layer', 'timeoutMs', 'lock'], path);
      const out: OneShotMapping = {
        kind,
        from: key(v, 'from', path),
        timeoutMs: ms(v, 'timeoutMs', path, 1),
      };
      if (exactlyOne(v, path, ['key', 'a modifier key'], ['layer', 'an MD id']) === 0)
        out.key = modifierKey(v, 'key', path);
      else out.layer = layerId(v, 'layer', path);
      if (bool(v, 'lock', path)) out.lock = true;
      return out;
    }
    case 'combo': {
      checkKeys(
        v,
        ['kind', 'keys', 'to', 'shift', 'ctrl', 'alt', 'win', 'layer', 'windowMs', 'release'],
        path,
      );
      const keys = keyList(v, 'keys', path, 2, LIMITS.comboKeys);
      if (new Set(keys.map(resolveKey)).size !== keys.length)
        throw new ConfigError(`${path}.keys`, 'must not name a key twice');
      const out: ComboMapping = { kind, keys, windowMs: ms(v, 'windowMs', path, 1, 5000) };
      if (exactlyOne(v, path, ['to', 'a key'], ['layer', 'an MD id']) === 1) {
        for (const flag of ['shift', 'ctrl', 'alt', 'win'])
          if (v[flag] !== undefined)
            throw new ConfigError(`${path}.${flag}`, "goes with 'to', not with 'layer'");
        out.layer = layerId(v, 'layer', path);
      } else {
        out.to = key(v, 'to', path);
        for (const flag of ['shift', 'ctrl', 'alt', 'win'] as const)
          if (bool(v, flag, path)) out[flag] = true;
      }
      if (v.release !== undefined) {
        if (v.release !== 'all' && v.release !== 'first')
          throw new ConfigError(`${path}.release`, `must be "first" or "all", got ${describe(v.release)}`);
        if (v.release === 'all') out.release = 'all';
      }
      return out;
    }
    case 'tapDance': {
      checkKeys(v, ['kind', 'from', 'actions', 'windowMs', 'eager'], path);
      const actions = field(v, 'actions', path);
      if (!Array.isArray(actions) || actions.length === 0 || actions.length > LIMITS.danceActions)
        throw new ConfigError(`${path}.actions`, `must be an array of 1 to ${LIMITS.danceActions} actions`);
      const out: TapDanceMapping = {
        kind,
        from: key(v, 'from', path),
        actions: actions.map((a, i) => danceAction(a, `${path}.actions[${i}]`)),
        windowMs: ms(v, 'windowMs', path, 1),
      };
      if (bool(v, 'eager', path)) out.eager = true;
      return out;
    }
    case 'macro':
      checkKeys(v, ['kind', 'from', 'steps'], path);
      return { kind, from: key(v, 'from', path), steps: macroSteps(v, path) };
    case 'leader': {
      checkKeys(v, ['kind', 'from', 'timeoutMs', 'sequences'], path);
      const list = field(v, 'sequences', path);
      if (!Array.isArray(list) || list.length > LIMITS.leaderSequences)
        throw new ConfigError(
          `${path}.sequences`,
          `must be an array of 0 to ${LIMITS.leaderSequences} sequences`,
        );
      const seen = new Set<string>();
      const sequences = list.map((q, i): LeaderSequence => {
        const qp = `${path}.sequences[${i}]`;
        if (!isObj(q)) throw new ConfigError(qp, `must be an object {keys, steps}, got ${describe(q)}`);
        checkKeys(q, ['keys', 'steps'], qp);
        const keys = keyList(q, 'keys', qp, 1, LIMITS.leaderKeys);
        const id = keys.map(resolveKey).join(' ');
        if (seen.has(id)) throw new ConfigError(`${qp}.keys`, `repeats the sequence ${keys.join(' ')}`);
        seen.add(id);
        return { keys, steps: macroSteps(q, qp) };
      });
      return { kind, from: key(v, 'from', path), timeoutMs: ms(v, 'timeoutMs', path, 1), sequences };
    }
    case 'mouseMove':
    case 'mouseWheel': {
      const fields = kind === 'mouseMove' ? ['speed', 'maxSpeed', 'accelMs'] : ['rate'];
      checkKeys(v, ['kind', 'from', 'x', 'y', ...fields], path);
      const unit = (name: 'x' | 'y'): number => {
        const n = field(v, name, path);
        if (n !== -1 && n !== 0 && n !== 1)
          throw new ConfigError(`${path}.${name}`, `must be -1, 0 or 1, got ${describe(n)}`);
        return n;
      };
      const x = unit('x');
      const y = unit('y');
      if (x === 0 && y === 0) throw new ConfigError(path, 'x and y are both 0: it would not move');
      if (kind === 'mouseWheel' && x !== 0 && y !== 0)
        throw new ConfigError(path, 'a wheel turns one way: x or y, not both');
      const rate = (name: string, max: number): number => {
        const n = field(v, name, path);
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max)
          throw new ConfigError(`${path}.${name}`, `must be an integer 1–${max}, got ${describe(n)}`);
        return n;
      };
      const from = key(v, 'from', path);
      if (kind === 'mouseWheel') return { kind, from, x, y, rate: rate('rate', LIMITS.wheelRate) };
      const out: MouseMoveMapping = {
        kind,
        from,
        x,
        y,
        speed: rate('speed', LIMITS.pointerSpeed),
        maxSpeed: rate('maxSpeed', LIMITS.pointerSpeed),
        accelMs: ms(v, 'accelMs', path, 0),
      };
      if (out.maxSpeed < out.speed)
        throw new ConfigError(
          `${path}.maxSpeed`,
          `must be at least speed (${out.speed}), got ${out.maxSpeed}`,
        );
      return out;
    }
    case 'dynamicMacroRecord':
    case 'dynamicMacroPlay': {
      checkKeys(v, ['kind', 'from', 'slot'], path);
      const slot = field(v, 'slot', path);
      if (typeof slot !== 'number' || !Number.isInteger(slot) || slot < 0 || slot >= LIMITS.macroSlots)
        throw new ConfigError(
          `${path}.slot`,
          `must be an integer 0–${LIMITS.macroSlots - 1}, got ${describe(slot)}`,
        );
      return { kind, from: key(v, 'from', path), slot };
    }
    case 'layerToggle':
    case 'layerSwitch':
      checkKeys(v, ['kind', 'from', 'id'], path);
      return { kind, from: key(v, 'from', path), id: layerId(v, 'id', path) };
    case 'capsWord': {
      checkKeys(v, ['kind', 'from', 'together', 'timeoutMs', 'shiftKeys', 'continueKeys'], path);
      const out: CapsWordMapping = {
        kind,
        from: key(v, 'from', path),
        timeoutMs: ms(v, 'timeoutMs', path, 1),
      };
      if (v.together !== undefined) {
        out.together = key(v, 'together', path);
        if (resolveKey(out.together) === resolveKey(out.from))
          throw new ConfigError(`${path}.together`, 'must be another key than from');
      }
      if (v.shiftKeys !== undefined) out.shiftKeys = keyList(v, 'shiftKeys', path, 0, KEY_LIST_MAX);
      if (v.continueKeys !== undefined) out.continueKeys = keyList(v, 'continueKeys', path, 0, KEY_LIST_MAX);
      return out;
    }
    case 'autoShift':
      checkKeys(v, ['kind', 'from', 'thresholdMs'], path);
      return { kind, from: key(v, 'from', path), thresholdMs: threshold(v, path) };
    case 'keyOverride': {
      checkKeys(v, ['kind', 'from', 'mods', 'to'], path);
      const mods = field(v, 'mods', path);
      if (!Array.isArray(mods) || mods.length === 0 || mods.length > 8)
        throw new ConfigError(`${path}.mods`, 'must be an array of 1 to 8 modifier names');
      mods.forEach((m, i) => {
        if (typeof m !== 'string' || !OVERRIDE_MODIFIERS.has(m))
          throw new ConfigError(
            `${path}.mods[${i}]`,
            `must be one of ${[...OVERRIDE_MODIFIERS].join(', ')}, got ${describe(m)}`,
          );
      });
      return { kind, from: key(v, 'from', path), mods: mods as string[], to: key(v, 'to', path) };
    }
    case 'unicode':
      checkKeys(v, ['kind', 'from', 'text'], path);
      return { kind, from: key(v, 'from', path), text: typedText(v, 'text', path, LIMITS.unicodeLength) };
    default:
      throw new ConfigError(
        `${path}.kind`,
        `unknown mapping kind '${kind}' (expected one of: ${[...BASE_MAPPING_KINDS, 'conditional'].join(', ')})`,
      );
  }
}

function conditionItem(v: unknown, path: string): ConditionItem {
  if (!isObj(v)) throw new ConfigError(path, `must be an object, got ${describe(v)}`);
  const kind = str(v, 'kind', path);
  switch (kind) {
    case 'modifier':
    case 'lock':
      checkKeys(v, ['kind', 'id'], path);
      return { kind, id: layerId(v, 'id', path) };
    case 'ime':
      checkKeys(v, ['kind'], path);
      return { kind };
    case 'lang': {
      checkKeys(v, ['kind', 'lang'], path);
      const lang = str(v, 'lang', path);
      if (lang === '') throw new ConfigError(`${path}.lang`, 'must not be empty');
      return { kind, lang: lang.toLowerCase() };
    }
    case 'app':
    case 'title':
      checkKeys(v, ['kind', 'pattern'], path);
      return { kind, pattern: globPattern(v, path) };
    default:
      throw new ConfigError(`${path}.kind`, `unknown condition kind '${kind}'`);
  }
}

function condition(v: unknown, path: string): Condition {
  if (!isObj(v)) throw new ConfigError(path, `must be an object, got ${describe(v)}`);
  const kind = str(v, 'kind', path);
  if (kind === 'allOf' || kind === 'noneOf') {
    checkKeys(v, ['kind', 'items'], path);
    const items = field(v, 'items', path);
    if (!Array.isArray(items) || items.length === 0)
      throw new ConfigError(`${path}.items`, 'must be a non-empty array of conditions');
    return { kind, items: items.map((it, i) => conditionItem(it, `${path}.items[${i}]`)) };
  }
  if (kind === 'device') {
    checkKeys(v, ['kind', 'pattern'], path);
    const pattern = str(v, 'pattern', path);
    if (pattern === '') throw new ConfigError(`${path}.pattern`, 'Device pattern cannot be empty');
    return { kind, pattern };
  }
  return conditionItem(v, path);
}

function mapping(v: unknown, path: string): Mapping {
  if (isObj(v) && v.kind === 'conditional') {
    checkKeys(v, ['kind', 'condition', 'mappings'], path);
    const mappings = field(v, 'mappings', path);
    if (!Array.isArray(mappings)) throw new ConfigError(`${path}.mappings`, 'must be an array');
    return {
      kind: 'conditional',
      condition: condition(field(v, 'condition', path), `${path}.condition`),
      mappings: mappings.map((m, i) => baseMapping(m, `${path}.mappings[${i}]`)),
    };
  }
  return baseMapping(v, path);
}

/** Checks untrusted data (a JSON config file, a decoded cache) and returns a typed Config. */
export function validateConfig(data: unknown): Config {
  if (!isObj(data)) throw new ConfigError('config', `must be an object, got ${describe(data)}`);
  checkKeys(
    data,
    ['version', 'devices', 'metadata', 'unicodeEntry', 'ledIndicators', 'layerNames'],
    'config',
  );
  const version = data.version ?? CONFIG_VERSION;
  if (version !== CONFIG_VERSION)
    throw new ConfigError('config.version', `unsupported version ${describe(version)} (expected 1)`);
  const devices = field(data, 'devices', 'config');
  if (!Array.isArray(devices)) throw new ConfigError('config.devices', 'must be an array of device blocks');
  const out: Config = {
    version: CONFIG_VERSION,
    devices: devices.map((d, i) => {
      const path = `devices[${i}]`;
      if (!isObj(d)) throw new ConfigError(path, `must be an object, got ${describe(d)}`);
      checkKeys(d, ['pattern', 'mappings'], path);
      const mappings = field(d, 'mappings', path);
      if (!Array.isArray(mappings)) throw new ConfigError(`${path}.mappings`, 'must be an array');
      return {
        pattern: str(d, 'pattern', path),
        mappings: mappings.map((m, j) => mapping(m, `${path}.mappings[${j}]`)),
      };
    }),
  };
  if (data.unicodeEntry !== undefined) {
    const e = data.unicodeEntry;
    const path = 'config.unicodeEntry';
    if (!isObj(e)) throw new ConfigError(path, `must be an object {start, end}, got ${describe(e)}`);
    checkKeys(e, ['start', 'end'], path);
    out.unicodeEntry = { start: keyList(e, 'start', path, 0, 8), end: key(e, 'end', path) };
  }
  if (data.ledIndicators !== undefined) {
    const list = data.ledIndicators;
    if (!Array.isArray(list) || list.length > LED_NAMES.length)
      throw new ConfigError(
        'config.ledIndicators',
        `must be an array of at most ${LED_NAMES.length} indicators`,
      );
    const seen = new Set<string>();
    out.ledIndicators = list.map((v, i) => {
      const path = `config.ledIndicators[${i}]`;
      if (!isObj(v)) throw new ConfigError(path, `must be an object {layer, led}, got ${describe(v)}`);
      checkKeys(v, ['layer', 'led'], path);
      const led = v.led;
      if (typeof led !== 'string' || !(LED_NAMES as readonly string[]).includes(led))
        throw new ConfigError(`${path}.led`, `must be one of ${LED_NAMES.join(', ')}, got ${describe(led)}`);
      if (seen.has(led)) throw new ConfigError(`${path}.led`, `${led} shows another layer already`);
      seen.add(led);
      return { layer: layerId(v, 'layer', path), led: led as LedName };
    });
  }
  if (data.layerNames !== undefined) {
    const list = data.layerNames;
    if (!Array.isArray(list) || list.length > 2 * (MAX_LAYER_ID + 1))
      throw new ConfigError('config.layerNames', 'must be an array of {layer, name}');
    const layers = new Set<string>();
    const names = new Set<string>();
    out.layerNames = list.map((v, i) => {
      const path = `config.layerNames[${i}]`;
      if (!isObj(v)) throw new ConfigError(path, `must be an object {layer, name}, got ${describe(v)}`);
      checkKeys(v, ['layer', 'name'], path);
      const layer = str(v, 'layer', path);
      const name = str(v, 'name', path);
      if (!LAYER_REF.test(layer) || parseInt(layer.slice(3), 16) > MAX_LAYER_ID)
        throw new ConfigError(`${path}.layer`, `must be MD_xx or LK_xx (hex 00-FE), got ${describe(layer)}`);
      const problem = layerNameProblem(name);
      if (problem) throw new ConfigError(`${path}.name`, problem);
      if (layers.has(layer)) throw new ConfigError(`${path}.layer`, `${layer} is named twice`);
      if (names.has(name.toLowerCase()))
        throw new ConfigError(`${path}.name`, `'${name}' names another layer`);
      layers.add(layer);
      names.add(name.toLowerCase());
      return { layer, name };
    });
  }
  if (data.metadata !== undefined) {
    if (!isObj(data.metadata)) throw new ConfigError('config.metadata', 'must be an object');
    const md: ConfigMetadata = {};
    for (const k of ['compilerVersion', 'sourceHash', 'sourceFile'] as const) {
      const v = data.metadata[k];
      if (v !== undefined) {
        if (typeof v !== 'string') throw new ConfigError(`config.metadata.${k}`, 'must be a string');
        md[k] = v;
      }
    }
    const inputs = data.metadata.inputs;
    if (inputs !== undefined) {
      if (!Array.isArray(inputs)) throw new ConfigError('config.metadata.inputs', 'must be an array');
      md.inputs = inputs.map((input, i) => {
        const path = `config.metadata.inputs[${i}]`;
        if (!isObj(input)) throw new ConfigError(path, 'must be an object');
        checkKeys(input, ['path', 'sha256'], path);
        return { path: str(input, 'path', path), sha256: str(input, 'sha256', path) };
      });
    }
    out.metadata = md;
  }
  return out;
}

/** Formats an MD_/LK_ id the way profiles write it: `MD_0A`. */
export function layerName(prefix: 'MD' | 'LK', id: number): string {
  return `${prefix}_${id.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Counts for listings: mappings (conditional blocks count their contents) and distinct layers. */
export function configStats(config: Config): { mappings: number; layers: number; devices: number } {
  let mappings = 0;
  const layers = new Set<string>();
  const noteCondition = (c: Condition): void => {
    if (c.kind === 'modifier') layers.add(layerName('MD', c.id));
    else if (c.kind === 'lock') layers.add(layerName('LK', c.id));
    else if (c.kind === 'allOf' || c.kind === 'noneOf') c.items.forEach(noteCondition);
  };
  for (const d of config.devices)
    for (const m of d.mappings) {
      if (m.kind === 'conditional') {
        mappings += m.mappings.length;
        noteCondition(m.condition);
      } else mappings++;
    }
  return { mappings, layers: layers.size, devices: config.devices.length };
}
