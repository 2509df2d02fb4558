/**
 * The mapping dialog's form model, pure (no React): a `Draft` holds what the fields show for every
 * mapping kind the dialog edits, `draftFrom` fills it from a key's current mapping, and
 * `mappingFrom` turns it back into a `KeyMapping` — checked by the DSL's own compiler, so the
 * mapping is exactly what the printed statement compiles to (key aliases made canonical, defaults
 * the compiler would add) and a bad value is refused with the compiler's message.
 *
 * Options the dialog has no field for (tap-hold's opposite_hand, tap_keys, hold_keys,
 * timeout_action; caps word's key lists) are kept from the mapping being edited.
 */
import type {
  DanceAction,
  KeyMapping,
  MacroStep,
  TapHoldMapping,
  TapHoldMode,
} from '../../../src/core/index.ts';
import { DEFAULT_THRESHOLD_MS, directionName, keyName, resolveKey } from '../../../src/core/index.ts';
import { compileProfile } from '../../../src/dsl/compile.ts';
import { MOVE_DIRECTIONS } from '../../../src/dsl/builtins.ts';
import { layersTurnedOnBy } from '../../../src/dsl/edit-layers.ts';
import { mappingSource } from '../../../src/dsl/print.ts';

/** The kinds the dialog edits, in the order its kind list shows them, with a label and a hint. */
export const DRAFT_KINDS = [
  { kind: 'simple', label: 'Remap to a key', hint: 'map(): the key types another key' },
  { kind: 'modifiedOutput', label: 'Key with modifiers', hint: 'map() with with_mods(): e.g. Ctrl+C' },
  { kind: 'modifier', label: 'Hold a layer (MD_xx)', hint: 'map() to MD_xx: the layer is on while held' },
  { kind: 'lock', label: 'Lock (LK_xx)', hint: 'map() to LK_xx: each press toggles the lock' },
  {
    kind: 'tapHold',
    label: 'Tap-hold',
    hint: 'tap_hold(): one key when tapped, a layer or modifier when held',
  },
  { kind: 'holdOnly', label: 'Hold only', hint: 'hold_only(): a layer when held, nothing when tapped' },
  { kind: 'oneShot', label: 'One-shot', hint: 'one_shot(): a modifier or layer for the next key only' },
  { kind: 'tapDance', label: 'Tap dance', hint: 'tap_dance(): one action per number of taps' },
  { kind: 'macro', label: 'Macro', hint: 'macro(): presses, releases, taps, waits and text in turn' },
  { kind: 'sequence', label: 'Key sequence', hint: 'sequence(): types several keys in turn' },
  { kind: 'layerToggle', label: 'Layer toggle', hint: 'layer_toggle(): each press flips the layer' },
  { kind: 'layerSwitch', label: 'Layer switch', hint: 'layer_switch(): makes the layer the base one' },
  { kind: 'capsWord', label: 'Caps word', hint: 'caps_word(): letters shifted until the word ends' },
  { kind: 'autoShift', label: 'Auto shift', hint: 'auto_shift(): held a little longer, shifted' },
  { kind: 'mouseMove', label: 'Mouse: move', hint: 'mouse_move(): moves the pointer while held' },
  { kind: 'mouseWheel', label: 'Mouse: wheel', hint: 'mouse_wheel(): scrolls while held' },
  { kind: 'unicode', label: 'Unicode text', hint: 'unicode(): types text through the unicode entry' },
  {
    kind: 'keyOverride',
    label: 'Key override',
    hint: 'key_override(): with these modifiers held, the key gives another key',
  },
  {
    kind: 'dynamicMacroRecord',
    label: 'Record a dynamic macro',
    hint: 'dynamic_macro_record(): records until pressed again',
  },
  { kind: 'dynamicMacroPlay', label: 'Play a dynamic macro', hint: 'dynamic_macro_play(): types it' },
] as const satisfies readonly { kind: KeyMapping['kind']; label: string; hint: string }[];

export type DraftKind = (typeof DRAFT_KINDS)[number]['kind'];

export const MOUSE_DIRECTIONS = [
  'up',
  'down',
  'left',
  'right',
  'up_left',
  'up_right',
  'down_left',
  'down_right',
] as const;
export type MouseDirection = (typeof MOUSE_DIRECTIONS)[number];

export const OVERRIDE_MODIFIERS = [
  'Shift',
  'Ctrl',
  'Alt',
  'Meta',
  'LShift',
  'RShift',
  'LCtrl',
  'RCtrl',
  'LAlt',
  'RAlt',
  'LMeta',
  'RMeta',
] as const;

export interface DanceDraft {
  tap: string;
  hold: 'none' | 'key' | 'layer';
  holdKey: string;
  holdLayer: number;
}

export interface StepDraft {
  op: MacroStep['op'];
  key: string;
  ms: string;
  text: string;
}

/** Every field of every kind: switching kinds keeps what the fields have in common. */
export interface Draft {
  kind: DraftKind;
  /** output key: remap, with modifiers, key override, tap-hold's tap */
  to: string;
  shift: boolean;
  ctrl: boolean;
  alt: boolean;
  win: boolean;
  /** MD_xx id: hold a layer, toggle, switch, hold only, a tap-hold's or one-shot's layer */
  layer: number;
  /** LK_xx id */
  lock: number;
  /** tap-hold and one-shot: hold a layer or a modifier key */
  target: 'layer' | 'key';
  /** the modifier key held (tap-hold) or given once (one-shot) */
  holdKey: string;
  thresholdMs: string;
  mode: '' | TapHoldMode;
  quickTapMs: string;
  requirePriorIdleMs: string;
  rollMs: string;
  retroTap: boolean;
  tapHeld: boolean;
  timeoutMs: string;
  oneShotLock: boolean;
  actions: DanceDraft[];
  windowMs: string;
  eager: boolean;
  steps: StepDraft[];
  keys: string[];
  /** caps word's second key (both together turn it on), or '' */
  together: string;
  direction: MouseDirection;
  speed: string;
  maxSpeed: string;
  accelMs: string;
  rate: string;
  text: string;
  mods: string[];
  slot: string;
  /** the mapping the draft was filled from: options without a field are kept from it */
  base?: KeyMapping;
}

export function emptyStep(op: MacroStep['op'] = 'tap'): StepDraft {
  return { op, key: '', ms: '20', text: '' };
}

export function emptyDance(holdLayer = 0): DanceDraft {
  return { tap: '', hold: 'none', holdKey: '', holdLayer };
}

/**
 * The fields for a key: its mapping's values, the rest at the DSL's defaults. `defaultLayer` is
 * the MD_xx id a layer field starts at when the mapping names none.
 */
export function draftFrom(m: KeyMapping | undefined, defaultLayer = 0): Draft {
  const d: Draft = {
    kind: 'simple',
    to: '',
    shift: false,
    ctrl: false,
    alt: false,
    win: false,
    layer: defaultLayer,
    lock: 0,
    target: 'layer',
    holdKey: 'LShift',
    thresholdMs: String(DEFAULT_THRESHOLD_MS),
    mode: '',
    quickTapMs: '',
    requirePriorIdleMs: '',
    rollMs: '',
    retroTap: false,
    tapHeld: false,
    timeoutMs: '1000',
    oneShotLock: false,
    actions: [emptyDance(defaultLayer), emptyDance(defaultLayer)],
    windowMs: String(DEFAULT_THRESHOLD_MS),
    eager: false,
    steps: [emptyStep()],
    keys: [],
    together: '',
    direction: 'up',
    speed: '300',
    maxSpeed: '1500',
    accelMs: '1000',
    rate: '10',
    text: '',
    mods: ['Shift'],
    slot: '0',
  };
  if (!m) return d;
  const num = (n: number | undefined) => (n === undefined ? '' : String(n));
  d.base = m;
  switch (m.kind) {
    case 'simple':
      return { ...d, kind: m.kind, to: m.to };
    case 'modifiedOutput':
      return { ...d, kind: m.kind, to: m.to, shift: m.shift, ctrl: m.ctrl, alt: m.alt, win: m.win };
    case 'modifier':
    case 'layerToggle':
    case 'layerSwitch':
      return { ...d, kind: m.kind, layer: m.id };
    case 'lock':
      return { ...d, kind: m.kind, lock: m.id };
    case 'tapHold':
      return {
        ...d,
        kind: m.kind,
        to: m.tap,
        target: m.holdKey !== undefined ? 'key' : 'layer',
        holdKey: m.holdKey ?? d.holdKey,
        layer: m.hold ?? d.layer,
        thresholdMs: String(m.thresholdMs),
        mode: m.mode ?? '',
        quickTapMs: num(m.quickTapMs),
        requirePriorIdleMs: num(m.requirePriorIdleMs),
        rollMs: num(m.rollMs),
        retroTap: m.retroTap ?? false,
        tapHeld: m.tapHeld ?? false,
      };
    case 'holdOnly':
      return { ...d, kind: m.kind, layer: m.hold, thresholdMs: String(m.thresholdMs) };
    case 'oneShot':
      return {
        ...d,
        kind: m.kind,
        target: m.key !== undefined ? 'key' : 'layer',
        holdKey: m.key ?? d.holdKey,
        layer: m.layer ?? d.layer,
        timeoutMs: String(m.timeoutMs),
        oneShotLock: m.lock ?? false,
      };
    case 'tapDance':
      return {
        ...d,
        kind: m.kind,
        windowMs: String(m.windowMs),
        eager: m.eager ?? false,
        actions: m.actions.map((a) => ({
          tap: a.tap ?? '',
          hold: a.holdKey !== undefined ? 'key' : a.holdLayer !== undefined ? 'layer' : 'none',
          holdKey: a.holdKey ?? '',
          holdLayer: a.holdLayer ?? defaultLayer,
        })),
      };
    case 'macro':
      return {
        ...d,
        kind: m.kind,
        steps: m.steps.map((s) =>
          s.op === 'wait'
            ? { ...emptyStep('wait'), ms: String(s.ms) }
            : s.op === 'text'
              ? { ...emptyStep('text'), text: s.text }
              : { ...emptyStep(s.op), key: s.key },
        ),
      };
    case 'sequence':
      return { ...d, kind: m.kind, keys: [...m.keys] };
    case 'capsWord':
      return { ...d, kind: m.kind, timeoutMs: String(m.timeoutMs), together: m.together ?? '' };
    case 'autoShift':
      return { ...d, kind: m.kind, thresholdMs: String(m.thresholdMs) };
    case 'mouseMove':
      return {
        ...d,
        kind: m.kind,
        direction: directionName(m.x, m.y) as MouseDirection,
        speed: String(m.speed),
        maxSpeed: String(m.maxSpeed),
        accelMs: String(m.accelMs),
      };
    case 'mouseWheel':
      return {
        ...d,
        kind: m.kind,
        direction: directionName(m.x, m.y) as MouseDirection,
        rate: String(m.rate),
      };
    case 'unicode':
      return { ...d, kind: m.kind, text: m.text };
    case 'keyOverride':
      return { ...d, kind: m.kind, to: m.to, mods: [...m.mods] };
    case 'dynamicMacroRecord':
    case 'dynamicMacroPlay':
      return { ...d, kind: m.kind, slot: String(m.slot) };
    case 'leader':
      // not a kind the dialog edits (its sequences are code): the dialog says so
      return d;
  }
}

/** Whether the dialog has a form for this kind of mapping. */
export function isDraftKind(kind: string): kind is DraftKind {
  return DRAFT_KINDS.some((k) => k.kind === kind);
}

export type MappingResult =
  { ok: true; mapping: KeyMapping } | { ok: false; field?: string; message: string };

class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A key name as the key table spells it, or a FieldError saying which field names no key. */
function keyField(value: string, field: string, what: string): string {
  const v = value.trim().replace(/^VK_/, '');
  if (v === '') throw new FieldError(field, `choose ${what}`);
  try {
    return keyName(resolveKey(v));
  } catch (e) {
    throw new FieldError(field, `${what}: ${(e as Error).message}`);
  }
}

/** A whole number; the range is the compiler's to check (its message names the limit). */
function intField(value: string, field: string, what: string): number {
  const v = value.trim();
  if (!/^-?\d+$/.test(v)) throw new FieldError(field, `${what} must be a whole number, got “${value}”`);
  return Number(v);
}

function optionalInt(value: string, field: string, what: string): number | undefined {
  return value.trim() === '' ? undefined : intField(value, field, what);
}

/** The mapping the fields describe, before the compiler's check. */
function rawMapping(d: Draft, from: string): KeyMapping {
  switch (d.kind) {
    case 'simple':
      return { kind: 'simple', from, to: keyField(d.to, 'to', 'the key it types') };
    case 'modifiedOutput':
      if (!d.shift && !d.ctrl && !d.alt && !d.win)
        throw new FieldError('mods', 'choose at least one modifier (or remap to a plain key)');
      return {
        kind: 'modifiedOutput',
        from,
        to: keyField(d.to, 'to', 'the key it types'),
        shift: d.shift,
        ctrl: d.ctrl,
        alt: d.alt,
        win: d.win,
      };
    case 'modifier':
    case 'layerToggle':
    case 'layerSwitch':
      return { kind: d.kind, from, id: d.layer };
    case 'lock':
      return { kind: 'lock', from, id: d.lock };
    case 'tapHold': {
      const base: Partial<TapHoldMapping> = d.base?.kind === 'tapHold' ? d.base : {};
      const m: TapHoldMapping = {
        ...base,
        kind: 'tapHold',
        from,
        tap: keyField(d.to, 'to', 'the tap key'),
        thresholdMs: intField(d.thresholdMs, 'thresholdMs', 'the threshold'),
      };
      delete m.hold;
      delete m.holdKey;
      if (d.target === 'key') m.holdKey = keyField(d.holdKey, 'holdKey', 'the modifier held');
      else m.hold = d.layer;
      const set = <K extends keyof TapHoldMapping>(k: K, v: TapHoldMapping[K] | undefined) => {
        if (v === undefined || v === false || v === '') delete m[k];
        else m[k] = v;
      };
      set('mode', d.mode === '' ? undefined : d.mode);
      set('quickTapMs', optionalInt(d.quickTapMs, 'quickTapMs', 'quick tap'));
      set('requirePriorIdleMs', optionalInt(d.requirePriorIdleMs, 'requirePriorIdleMs', 'prior idle'));
      set('rollMs', optionalInt(d.rollMs, 'rollMs', 'roll'));
      set('retroTap', d.retroTap);
      set('tapHeld', d.tapHeld);
      return m;
    }
    case 'holdOnly':
      return {
        kind: 'holdOnly',
        from,
        hold: d.layer,
        thresholdMs: intField(d.thresholdMs, 'thresholdMs', 'the threshold'),
      };
    case 'oneShot': {
      const m: KeyMapping = {
        kind: 'oneShot',
        from,
        timeoutMs: intField(d.timeoutMs, 'timeoutMs', 'the timeout'),
        ...(d.target === 'key'
          ? { key: keyField(d.holdKey, 'holdKey', 'the modifier') }
          : { layer: d.layer }),
      };
      if (d.oneShotLock) m.lock = true;
      return m;
    }
    case 'tapDance': {
      if (d.actions.length === 0) throw new FieldError('actions', 'a tap dance needs at least one action');
      const actions = d.actions.map((a, i): DanceAction => {
        const out: DanceAction = {};
        if (a.tap.trim() !== '') out.tap = keyField(a.tap, `actions.${i}.tap`, `tap ${i + 1}'s key`);
        if (a.hold === 'key')
          out.holdKey = keyField(a.holdKey, `actions.${i}.holdKey`, `tap ${i + 1}'s hold key`);
        if (a.hold === 'layer') out.holdLayer = a.holdLayer;
        if (out.tap === undefined && out.holdKey === undefined && out.holdLayer === undefined)
          throw new FieldError(`actions.${i}.tap`, `tap ${i + 1} does nothing: choose a key or a hold`);
        return out;
      });
      const m: KeyMapping = {
        kind: 'tapDance',
        from,
        actions,
        windowMs: intField(d.windowMs, 'windowMs', 'the window'),
      };
      if (d.eager) m.eager = true;
      return m;
    }
    case 'macro':
      if (d.steps.length === 0) throw new FieldError('steps', 'a macro needs at least one step');
      return {
        kind: 'macro',
        from,
        steps: d.steps.map((s, i): MacroStep => {
          if (s.op === 'wait')
            return { op: 'wait', ms: intField(s.ms, `steps.${i}.ms`, `step ${i + 1}'s wait`) };
          if (s.op === 'text') {
            if (s.text === '') throw new FieldError(`steps.${i}.text`, `step ${i + 1}: type the text`);
            return { op: 'text', text: s.text };
          }
          return { op: s.op, key: keyField(s.key, `steps.${i}.key`, `step ${i + 1}'s key`) };
        }),
      };
    case 'sequence':
      if (d.keys.length === 0) throw new FieldError('keys', 'a sequence needs at least one key');
      return {
        kind: 'sequence',
        from,
        keys: d.keys.map((k, i) => keyField(k, `keys.${i}`, `key ${i + 1}`)),
      };
    case 'capsWord': {
      const base = d.base?.kind === 'capsWord' ? d.base : undefined;
      const m: KeyMapping = {
        kind: 'capsWord',
        from,
        timeoutMs: intField(d.timeoutMs, 'timeoutMs', 'the idle timeout'),
      };
      if (d.together.trim() !== '') m.together = keyField(d.together, 'together', 'the second key');
      if (base?.shiftKeys) m.shiftKeys = base.shiftKeys;
      if (base?.continueKeys) m.continueKeys = base.continueKeys;
      return m;
    }
    case 'autoShift':
      return {
        kind: 'autoShift',
        from,
        thresholdMs: intField(d.thresholdMs, 'thresholdMs', 'the threshold'),
      };
    case 'mouseMove': {
      const [x, y] = MOVE_DIRECTIONS[d.direction];
      return {
        kind: 'mouseMove',
        from,
        x,
        y,
        speed: intField(d.speed, 'speed', 'the speed'),
        maxSpeed: intField(d.maxSpeed, 'maxSpeed', 'the top speed'),
        accelMs: intField(d.accelMs, 'accelMs', 'the acceleration time'),
      };
    }
    case 'mouseWheel': {
      const [x, y] = MOVE_DIRECTIONS[d.direction];
      return { kind: 'mouseWheel', from, x, y, rate: intField(d.rate, 'rate', 'the rate') };
    }
    case 'unicode':
      if (d.text === '') throw new FieldError('text', 'type the text it types');
      return { kind: 'unicode', from, text: d.text };
    case 'keyOverride':
      if (d.mods.length === 0) throw new FieldError('mods', 'choose at least one modifier');
      return { kind: 'keyOverride', from, mods: [...d.mods], to: keyField(d.to, 'to', 'the key it gives') };
    case 'dynamicMacroRecord':
    case 'dynamicMacroPlay':
      return { kind: d.kind, from, slot: intField(d.slot, 'slot', 'the slot') };
  }
}

/**
 * The mapping of `key` the fields describe, as the compiler makes it from the printed statement:
 * what an edit with it writes is exactly this. Refused with the field at fault, or the compiler's
 * message (a threshold out of range, a max speed below the speed …).
 */
export function mappingFrom(d: Draft, key: string): MappingResult {
  let raw: KeyMapping;
  try {
    raw = rawMapping(d, keyField(key, 'key', 'the key'));
  } catch (e) {
    if (e instanceof FieldError) return { ok: false, field: e.field, message: e.message };
    throw e;
  }
  const source = `device_start("*");\n${mappingSource(raw)}\ndevice_end();\n`;
  const r = compileProfile(source, { file: 'mapping.rhai' });
  const error = r.diagnostics.find((x) => x.severity === 'error');
  if (!r.ok || !r.config || error)
    return {
      ok: false,
      // the compiler's words, without the line of the throwaway profile it was checked in
      message: error ? `${error.message}${error.hint ? ` (${error.hint})` : ''}` : 'it does not compile',
    };
  const compiled = r.config.devices[0]?.mappings.find(
    (m): m is KeyMapping => m.kind !== 'conditional' && m.kind !== 'combo' && m.from === raw.from,
  );
  if (!compiled) return { ok: false, message: 'the mapping did not compile to a mapping of this key' };
  return { ok: true, mapping: compiled };
}

/** The keys a mapping names (its outputs, hold keys, steps …): they go to the palette's recents. */
export function mappingKeys(m: KeyMapping): string[] {
  const keys: (string | undefined)[] = [];
  switch (m.kind) {
    case 'simple':
    case 'modifiedOutput':
    case 'keyOverride':
      keys.push(m.to);
      break;
    case 'tapHold':
      keys.push(m.tap, m.holdKey);
      break;
    case 'oneShot':
      keys.push(m.key);
      break;
    case 'tapDance':
      for (const a of m.actions) keys.push(a.tap, a.holdKey);
      break;
    case 'macro':
      for (const s of m.steps) if (s.op !== 'wait' && s.op !== 'text') keys.push(s.key);
      break;
    case 'sequence':
      keys.push(...m.keys);
      break;
    case 'capsWord':
      keys.push(m.together);
      break;
    default:
      break;
  }
  return [...new Set(keys.filter((k): k is string => k !== undefined))];
}

/** The MD_xx layers a mapping turns on or toggles (`MD_01`), and the LK_xx lock it toggles. */
export function mappingLayers(m: KeyMapping): string[] {
  return layersTurnedOnBy(m);
}
