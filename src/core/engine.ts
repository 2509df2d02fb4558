/**
 * The remapping engine: a pure, deterministic state machine with virtual time.
 *
 *   process(event)  → output events for one input event (fires due deadlines first)
 *   tick(nowUs)     → output events of deadlines that are due (tap-hold timeouts, macro waits …)
 *   nextDeadline()  → when the host must call tick next, or null: no polling
 *   releaseAll()    → releases every output key still down (profile swap, shutdown)
 *
 * Semantics are KeyRx's (see docs/architecture.md), without its defects: every device
 * block counts, device conditions match, and a release emits exactly the releases of what
 * its press emitted, in reverse order, whatever changed in between — so no key sticks.
 * Output keys are reference-counted: two held inputs that produce the same output keep it
 * down until both are released, and a non-modifier output pressed again while down is
 * re-triggered (release + press) so the second keystroke still registers.
 *
 * Beyond KeyRx: some decisions need to see what comes next (a balanced tap-hold waits for
 * another key's release, a combo for its other keys, a macro for its waits). While such a
 * decision is open, later input is held back in order, and replayed through the engine once
 * it is made — so nothing is lost or reordered, only delayed.
 */
import type {
  BaseMapping,
  Condition,
  Config,
  ConditionItem,
  DeviceBlock,
  KeyMapping,
  MacroStep,
  UnicodeEntry,
} from './config.ts';
import { DEFAULT_UNICODE_ENTRY, layerName, LIMITS } from './config.ts';
import { globMatch } from './glob.ts';
import {
  isModifierKey,
  KEY_CODE_LIMIT,
  keyByCode,
  keyName,
  MODIFIER_KEY_CODES,
  MOUSE_AXES,
  resolveKey,
} from './keys.ts';
import { textSteps } from './text.ts';

export type KeyAction = 'press' | 'release' | 'repeat';

export interface InputEvent {
  /** Linux key code */
  key: number;
  action: KeyAction;
  /** microseconds, any monotonic origin */
  timeUs: number;
  /** device handle (its name unless described otherwise); default `virtual` */
  device?: string;
}

/** What an output event does: a key's press, release or repeat, or pointer motion (mouse keys). */
export type OutputAction = KeyAction | 'move';

export interface OutputEvent {
  /** a key code; for `move`, a REL_* axis (MOUSE_AXES) */
  key: number;
  action: OutputAction;
  timeUs: number;
  /** `move` only: the signed distance (pixels, wheel notches or hi-res units of 1/120 notch) */
  value?: number;
}

export type MappingKind = BaseMapping['kind'] | 'passthrough';

/** What the engine decided for one input (or one deadline), for timelines and monitors. */
export type Decision =
  | 'remap'
  | 'passthrough'
  | 'layer-on'
  | 'layer-off'
  | 'lock-toggle'
  | 'pending'
  | 'tap'
  | 'hold'
  | 'hold-release'
  | 'sequence'
  | 'release'
  | 'repeat'
  | 'ignored'
  /** held back until an open decision is made, then replayed */
  | 'queued'
  /** tap-hold pressed again soon after its tap: the tap key, held */
  | 'quick-tap'
  /** tap-hold pressed soon after another key (fast typing): a tap at once */
  | 'idle-tap'
  /** tap-hold interrupted by a key of the same hand: a tap */
  | 'same-hand-tap'
  /** tap-hold followed by another key within its roll window: a tap */
  | 'roll-tap'
  /** tap-hold interrupted by a key of its `tapKeys`: a tap at once */
  | 'listed-tap'
  /** tap-hold interrupted by a key of its `holdKeys`: a hold at once */
  | 'listed-hold'
  /** tap-hold held alone to its threshold: its timeout action instead of the hold */
  | 'timeout-action'
  /** tap-hold held alone past its threshold and released: the tap after all (retro tap) */
  | 'retro-tap'
  /** auto shift: held to its threshold, the key shifted */
  | 'auto-shift'
  /** one-shot pressed again while armed: locked on */
  | 'one-shot-lock'
  /** a locked one-shot pressed again: off */
  | 'one-shot-unlock'
  /** the leader key: the next keys pick a sequence */
  | 'leader'
  /** a key typed after the leader: part of a sequence (not typed itself) */
  | 'leader-key'
  /** the keys after the leader made a sequence: it runs */
  | 'leader-sequence'
  /** the keys after the leader made no sequence (or time ran out): nothing runs */
  | 'leader-cancel'
  /** a dynamic macro starts recording */
  | 'macro-record'
  /** a dynamic macro's recording ends and is kept */
  | 'macro-record-stop'
  /** mouse keys: the pointer moves (or the wheel turns) while the key is held */
  | 'mouse-move'
  | 'mouse-wheel'
  | 'combo'
  | 'dance-tap'
  | 'dance-hold'
  | 'macro'
  | 'one-shot'
  | 'one-shot-armed'
  | 'one-shot-used'
  | 'one-shot-timeout'
  | 'one-shot-cancel'
  | 'layer-toggle'
  | 'layer-switch'
  | 'caps-word-on'
  | 'caps-word-off'
  | 'override'
  | 'unicode';

export interface TraceEntry {
  timeUs: number;
  key: number;
  device: string;
  /** `timeout` for a decision made by a deadline rather than an input */
  action: KeyAction | 'timeout';
  mapping: MappingKind;
  decision: Decision;
  /** the decision about the input of this process() call itself (others: keys it resolved or replayed) */
  own: boolean;
}

export interface EngineState {
  modifiers: number[];
  locks: number[];
  /** physical keys currently held, per device */
  held: { device: string; key: number }[];
  pending: { device: string; key: number; sinceUs: number; deadlineUs: number }[];
  /** output keys currently down */
  outputDown: number[];
  ime: boolean;
  language: string;
  /** focused application and window title (`APP:` / `TITLE:` conditions) */
  app: string;
  title: string;
  /** input events held back until an open decision is made */
  queued: number;
  capsWord: boolean;
  /** one-shot modifiers and layers waiting for the next key: `LShift`, `MD_01` */
  oneShots: string[];
}

export interface EngineContext {
  ime?: boolean;
  language?: string;
  app?: string;
  title?: string;
}

export interface EngineOptions {
  /** record a TraceEntry per decision (timelines, monitor); off on the hot path by default */
  trace?: boolean;
}

export const DEFAULT_DEVICE = 'virtual';

// ---------------------------------------------------------------- compiled form

const K_SIMPLE = 0;
const K_MODIFIER = 1;
const K_LOCK = 2;
const K_TAPHOLD = 3;
const K_HOLDONLY = 4;
const K_MODIFIED = 5;
const K_SEQUENCE = 6;
const K_ONESHOT = 7;
const K_DANCE = 8;
const K_MACRO = 9;
const K_TOGGLE = 10;
const K_SWITCH = 11;
const K_CAPSWORD = 12;
const K_OVERRIDE = 13;
const K_UNICODE = 14;
const K_LEADER = 15;
const K_RECORD = 16;
const K_PLAY = 17;
const K_MOUSE_MOVE = 18;
const K_MOUSE_WHEEL = 19;

/** Mouse keys move the pointer in steps this far apart (QMK's default interval). */
const POINTER_STEP_US = 16_000;
/** Hi-res wheel units per notch (the kernel's REL_WHEEL_HI_RES convention). */
const HI_RES_PER_NOTCH = 120;

const MODE_PERMISSIVE = 0;
const MODE_HOLD_ON_PRESS = 1;
const MODE_BALANCED = 2;
const MODE_TAP_PREFERRED = 3;
/** auto shift: another key's press makes it a tap (its threshold, the shifted key) */
const MODE_TAP_ON_OTHER = 4;
const MODES: Record<string, number> = {
  permissive: MODE_PERMISSIVE,
  hold_on_press: MODE_HOLD_ON_PRESS,
  balanced: MODE_BALANCED,
  tap_preferred: MODE_TAP_PREFERRED,
};

/** Macro program: (op, value) pairs. */
const OP_PRESS = 0;
const OP_RELEASE = 1;
const OP_WAIT = 2;
/** type `texts[value]`: expanded when it runs, so a config's size bounds the engine's memory */
const OP_TEXT = 3;

const LSHIFT = MODIFIER_KEY_CODES.LShift;
/** Modifiers that make a key a shortcut (caps word ends at one); not AltGr (RAlt), which types symbols */
const SHORTCUT_MODIFIERS: readonly number[] = ['LCtrl', 'RCtrl', 'LAlt', 'LMeta', 'RMeta'].map(
  (name) => MODIFIER_KEY_CODES[name as keyof typeof MODIFIER_KEY_CODES],
);
const ALL_MODIFIERS: readonly number[] = Object.values(MODIFIER_KEY_CODES);
const MODIFIER_GROUPS: Record<string, number[]> = {
  Shift: [MODIFIER_KEY_CODES.LShift, MODIFIER_KEY_CODES.RShift],
  Ctrl: [MODIFIER_KEY_CODES.LCtrl, MODIFIER_KEY_CODES.RCtrl],
  Alt: [MODIFIER_KEY_CODES.LAlt, MODIFIER_KEY_CODES.RAlt],
  Meta: [MODIFIER_KEY_CODES.LMeta, MODIFIER_KEY_CODES.RMeta],
};

interface DanceStep {
  tap: number;
  holdKey: number;
  holdLayer: number;
}

/** One shape for every mapping kind (fields a kind does not use keep their defaults). */
interface Compiled {
  k: number;
  kind: KeyMapping['kind'];
  /** output key: simple/modifiedOutput `to`, tap-hold tap, override output, one-shot key */
  to: number;
  /** MD/LK id: modifier, lock, toggle, switch, tap-hold hold layer, one-shot layer; else -1 */
  id: number;
  /** tap-hold threshold, tap-dance window, one-shot and caps-word timeouts */
  thresholdUs: number;
  /** modifier keys then `to` (modifiedOutput), or the sequence keys */
  keys: number[];
  /** tap-hold: output modifier held instead of a layer, else -1 */
  holdKey: number;
  mode: number;
  quickTapUs: number;
  idleUs: number;
  /** another key pressed within this long of it: a roll, so a tap */
  rollUs: number;
  /** per key code: 1 left hand, 2 right hand, 0 neither (opposite-hand tap-holds) */
  hands: Uint8Array | null;
  hand: number;
  /** per key code, 1 where a press decides an undecided tap-hold: `tapKeys` tap, `holdKeys` hold */
  tapKeys: Uint8Array | null;
  holdKeys: Uint8Array | null;
  /** tap dance: each press does its action at once */
  eager: boolean;
  /** tap-hold held alone to the threshold: these keys (modifiers, then a key) or this layer instead of the hold */
  timeoutKeys: number[];
  timeoutLayer: number;
  retroTap: boolean;
  /** tap-hold: a tap decided while the key is down holds the tap key until its release */
  tapHeld: boolean;
  /** one-shot: a second press while armed locks it */
  lock: boolean;
  /** caps word: what each key code does to the word (WORD_*), when not the default table */
  words: Uint8Array | null;
  /** leader: each sequence's keys and the macro it runs */
  sequences: { keys: number[]; macro: Compiled }[];
  /** mouse keys: direction (-1, 0, 1), speed and top speed (px/s or notches/s), time to top speed */
  mx: number;
  my: number;
  speed: number;
  maxSpeed: number;
  accelUs: number;
  dance: DanceStep[];
  ops: number[];
  /** the texts OP_TEXT types (a unicode mapping's is the first) */
  texts: string[];
  /** key override: the modifiers it lifts while held */
  lifts: number[];
}

const C_MODIFIER = 0;
const C_LOCK = 1;
const C_IME = 2;
const C_LANG = 3;
const C_ALL = 4;
const C_NONE = 5;
const C_DEVICE = 6;
const C_APP = 7;
const C_TITLE = 8;
/** every group has a key down in the output (key overrides) */
const C_OUTPUT_MODS = 9;

interface CompiledCondition {
  c: number;
  id: number;
  text: string;
  items: CompiledCondition[];
  groups: number[][];
}

interface Entry {
  cond: CompiledCondition | null;
  m: Compiled;
}

interface CompiledCombo {
  keys: number[];
  /** output key, or -1 (a layer) */
  to: number;
  /** modifiers pressed before `to` */
  mods: number[];
  /** MD id held while the combo is, or -1 */
  layer: number;
  windowUs: number;
  /** the output lasts until every key is released (else: until the first is) */
  releaseAll: boolean;
  cond: CompiledCondition | null;
}

/** Caps word turned on by two keys held together (both Shifts), which keep acting as themselves. */
interface CapsPair {
  a: number;
  b: number;
  timeoutUs: number;
  words: Uint8Array;
  cond: CompiledCondition | null;
}

interface CompiledBlock {
  pattern: string;
  table: (Entry[] | undefined)[];
  combos: CompiledCombo[];
  capsPairs: CapsPair[];
  /** 1 where a key is part of some combo */
  comboKey: Uint8Array;
}

interface DeviceSlot {
  index: number;
  handle: string;
  identities: string[];
  block: CompiledBlock | null;
}

/** Something with a deadline: the engine fires it when time reaches it. */
interface Timed {
  deadlineUs: number;
  fire(engine: Engine, out: OutputEvent[]): void;
}

/** An input event inside the engine: resolved device slot, and its place in the replay order. */
interface Queued {
  slot: DeviceSlot;
  key: number;
  id: number;
  action: KeyAction;
  timeUs: number;
  /** process() call that received it (its first decision is that call's own) */
  seq: number;
  /** a combo already declined it: handle it as a plain key */
  skipCombo: boolean;
}

/** Something that holds later input back until it is decided. */
interface Blocker {
  observe(engine: Engine, ev: Queued, out: OutputEvent[]): void;
}

const TH_PENDING = 0;
const TH_HOLD = 1;
const TH_TAP = 2;

class PendingTapHold implements Timed, Blocker {
  state = TH_PENDING;
  /** hold_on_press: a release before this (with no key between) is still a tap */
  tapUntilUs = 0;
  /** decided by its threshold, and no key pressed since: a retro tap at its release */
  alone = false;
  constructor(
    readonly record: PressRecord,
    readonly m: Compiled,
    readonly sinceUs: number,
    public deadlineUs: number,
    /** the input order of its press (a replayed press keeps its place) */
    readonly seq: number,
  ) {}
  fire(engine: Engine, out: OutputEvent[]): void {
    engine.tapHoldTimeout(this, out);
  }
  observe(engine: Engine, ev: Queued, out: OutputEvent[]): void {
    engine.observeTapHold(this, ev, out);
  }
}

class ComboRun implements Timed, Blocker {
  readonly members: Queued[] = [];
  deadlineUs: number;
  constructor(
    readonly candidates: CompiledCombo[],
    first: Queued,
  ) {
    this.members.push(first);
    let window = 0;
    for (const c of candidates) if (c.windowUs > window) window = c.windowUs;
    this.deadlineUs = first.timeUs + window;
  }
  fire(engine: Engine, out: OutputEvent[]): void {
    engine.decideCombo(this, this.deadlineUs, out, 'timeout');
  }
  observe(engine: Engine, ev: Queued, out: OutputEvent[]): void {
    engine.observeCombo(this, ev, out);
  }
}

class DanceRun implements Timed {
  count = 0;
  down = false;
  record: PressRecord | null = null;
  deadlineUs = 0;
  constructor(
    readonly m: Compiled,
    readonly slot: DeviceSlot,
    readonly key: number,
    readonly id: number,
    readonly sinceUs: number,
  ) {}
  fire(engine: Engine, out: OutputEvent[]): void {
    engine.resolveDance(this, this.deadlineUs, out, 'timeout');
  }
}

class MacroRun implements Timed, Blocker {
  pc = 0;
  deadlineUs = 0;
  /** keys the macro pressed and has not released: released when it ends */
  readonly held: number[] = [];
  constructor(
    readonly m: Compiled,
    readonly slot: DeviceSlot,
    readonly key: number,
  ) {}
  fire(engine: Engine, out: OutputEvent[]): void {
    engine.continueMacro(this, this.deadlineUs, out);
  }
  observe(): void {
    // a running macro holds everything back until it ends
  }
}

/** The keys typed after a leader key, until they make a sequence, make none, or time runs out. */
class LeaderRun implements Timed, Blocker {
  readonly typed: number[] = [];
  /** the presses it took (they are not typed, nor replayed) */
  readonly consumed: Queued[] = [];
  deadlineUs: number;
  constructor(
    readonly m: Compiled,
    readonly slot: DeviceSlot,
    readonly key: number,
    t: number,
  ) {
    this.deadlineUs = t + m.thresholdUs;
  }
  fire(engine: Engine, out: OutputEvent[]): void {
    engine.endLeader(this, this.deadlineUs, 'timeout', out);
  }
  observe(engine: Engine, ev: Queued, out: OutputEvent[]): void {
    engine.observeLeader(this, ev, out);
  }
}

/** A held mouse key: its mapping and since when (for its acceleration). */
interface Mover {
  m: Compiled;
  sinceUs: number;
}

/** The pointer while mouse keys are held: a step every POINTER_STEP_US, fractions carried over. */
class PointerMotion implements Timed {
  deadlineUs = 0;
  readonly movers: Mover[] = [];
  /** fractions of a pixel (x, y) and of a hi-res wheel unit (vertical, horizontal) not sent yet */
  readonly rest = [0, 0, 0, 0];
  /** hi-res units sent since the last whole notch (vertical, horizontal) */
  readonly notch = [0, 0];
  fire(engine: Engine, out: OutputEvent[]): void {
    engine.pointerStep(this, this.deadlineUs, POINTER_STEP_US, out);
  }
}

class OneShot implements Timed {
  armed = false;
  /** locked on (pressed again while armed, with `lock`): only its key turns it off */
  locked = false;
  /** another key was pressed while the one-shot key was held: it acted as a plain modifier */
  used = false;
  deadlineUs = 0;
  constructor(
    readonly m: Compiled,
    readonly slot: DeviceSlot,
    readonly key: number,
  ) {}
  fire(engine: Engine, out: OutputEvent[]): void {
    engine.endOneShot(this, this.deadlineUs, 'one-shot-timeout', out);
  }
}

class CapsWord implements Timed {
  deadlineUs = 0;
  constructor(
    readonly slot: DeviceSlot,
    readonly key: number,
    readonly timeoutUs: number,
    /** what each key does to the word (WORD_*) */
    readonly words: Uint8Array,
  ) {}
  fire(engine: Engine): void {
    engine.endCapsWord(this.deadlineUs, 'timeout');
  }
}

interface PressRecord {
  slot: DeviceSlot;
  key: number;
  kind: MappingKind;
  /** output keys this press holds down, in press order */
  outputs: number[];
  /** MD id held by this press (modifier mapping or resolved hold), else -1 */
  modifier: number;
  tapHold: PendingTapHold | null;
  dance: DanceRun | null;
  oneShot: OneShot | null;
  /** modifiers a key override lifted while it is held */
  lifted: number[] | null;
  /** a combo: every member key's id points at this record (those not released yet) */
  ids: number[] | null;
  /** a combo that ends at the release of its last key, not its first */
  untilAllUp: boolean;
  /** key re-sent on auto-repeat, else -1 */
  repeatKey: number;
  /** the press ended as a tap of a tap-hold (quick-tap counts from its release) */
  tapped: boolean;
  /** a mouse key: moving the pointer until its release */
  mover: Mover | null;
}

function blankCompiled(kind: KeyMapping['kind'], k: number): Compiled {
  return {
    k,
    kind,
    to: -1,
    id: -1,
    thresholdUs: 0,
    keys: [],
    holdKey: -1,
    mode: MODE_PERMISSIVE,
    quickTapUs: 0,
    idleUs: 0,
    rollUs: 0,
    hands: null,
    hand: 0,
    tapKeys: null,
    holdKeys: null,
    eager: false,
    timeoutKeys: [],
    timeoutLayer: -1,
    retroTap: false,
    tapHeld: false,
    lock: false,
    words: null,
    sequences: [],
    mx: 0,
    my: 0,
    speed: 0,
    maxSpeed: 0,
    accelUs: 0,
    dance: [],
    ops: [],
    texts: [],
    lifts: [],
  };
}

/** Hand tables are shared between the mappings that use the same map. */
function handTable(cache: Map<string, Uint8Array>, left: string[], right: string[]): Uint8Array {
  const id = `${left.join(',')}|${right.join(',')}`;
  let table = cache.get(id);
  if (!table) {
    table = new Uint8Array(KEY_CODE_LIMIT);
    for (const k of left) table[resolveKey(k)] = 1;
    for (const k of right) table[resolveKey(k)] = 2;
    cache.set(id, table);
  }
  return table;
}

function keySet(names: string[]): Uint8Array {
  const set = new Uint8Array(KEY_CODE_LIMIT);
  for (const name of names) set[resolveKey(name)] = 1;
  return set;
}

/** A macro's steps as (op, value) pairs. */
function compileMacro(kind: KeyMapping['kind'], steps: MacroStep[]): Compiled {
  const c = blankCompiled(kind, K_MACRO);
  for (const step of steps)
    switch (step.op) {
      case 'press':
        c.ops.push(OP_PRESS, resolveKey(step.key));
        break;
      case 'release':
        c.ops.push(OP_RELEASE, resolveKey(step.key));
        break;
      case 'tap':
        c.ops.push(OP_PRESS, resolveKey(step.key), OP_RELEASE, resolveKey(step.key));
        break;
      case 'wait':
        c.ops.push(OP_WAIT, step.ms * 1000);
        break;
      case 'text':
        c.ops.push(OP_TEXT, c.texts.length);
        c.texts.push(step.text);
    }
  return c;
}

function compileMapping(m: KeyMapping, hands: Map<string, Uint8Array>): Compiled {
  switch (m.kind) {
    case 'simple': {
      const c = blankCompiled(m.kind, K_SIMPLE);
      c.to = resolveKey(m.to);
      return c;
    }
    case 'modifier':
    case 'lock': {
      const c = blankCompiled(m.kind, m.kind === 'modifier' ? K_MODIFIER : K_LOCK);
      c.id = m.id;
      return c;
    }
    case 'tapHold': {
      const c = blankCompiled(m.kind, K_TAPHOLD);
      c.to = resolveKey(m.tap);
      c.id = m.hold ?? -1;
      c.holdKey = m.holdKey === undefined ? -1 : resolveKey(m.holdKey);
      c.thresholdUs = m.thresholdMs * 1000;
      c.mode = MODES[m.mode ?? 'permissive'];
      c.quickTapUs = (m.quickTapMs ?? 0) * 1000;
      c.idleUs = (m.requirePriorIdleMs ?? 0) * 1000;
      c.rollUs = (m.rollMs ?? 0) * 1000;
      if (m.oppositeHand) {
        c.hands = handTable(hands, m.oppositeHand.left, m.oppositeHand.right);
        c.hand = c.hands[resolveKey(m.from)];
      }
      if (m.tapKeys) c.tapKeys = keySet(m.tapKeys);
      if (m.holdKeys) c.holdKeys = keySet(m.holdKeys);
      if (m.timeoutKey !== undefined) c.timeoutKeys = [resolveKey(m.timeoutKey)];
      if (m.timeoutLayer !== undefined) c.timeoutLayer = m.timeoutLayer;
      c.retroTap = m.retroTap === true;
      c.tapHeld = m.tapHeld === true;
      return c;
    }
    case 'holdOnly': {
      const c = blankCompiled(m.kind, K_HOLDONLY);
      c.id = m.hold;
      c.thresholdUs = m.thresholdMs * 1000;
      return c;
    }
    case 'modifiedOutput': {
      const c = blankCompiled(m.kind, K_MODIFIED);
      c.to = resolveKey(m.to);
      c.keys = [...modifierKeys(m), c.to];
      return c;
    }
    case 'sequence': {
      const c = blankCompiled(m.kind, K_SEQUENCE);
      c.keys = m.keys.map(resolveKey);
      return c;
    }
    case 'oneShot': {
      const c = blankCompiled(m.kind, K_ONESHOT);
      if (m.key !== undefined) c.to = resolveKey(m.key);
      else c.id = m.layer ?? -1;
      c.thresholdUs = m.timeoutMs * 1000;
      c.lock = m.lock === true;
      return c;
    }
    case 'tapDance': {
      const c = blankCompiled(m.kind, K_DANCE);
      c.thresholdUs = m.windowMs * 1000;
      c.eager = m.eager === true;
      c.dance = m.actions.map((a) => ({
        tap: a.tap === undefined ? -1 : resolveKey(a.tap),
        holdKey: a.holdKey === undefined ? -1 : resolveKey(a.holdKey),
        holdLayer: a.holdLayer ?? -1,
      }));
      return c;
    }
    case 'macro':
      return compileMacro(m.kind, m.steps);
    case 'leader': {
      const c = blankCompiled(m.kind, K_LEADER);
      c.thresholdUs = m.timeoutMs * 1000;
      c.sequences = m.sequences.map((q) => ({
        keys: q.keys.map(resolveKey),
        macro: compileMacro('macro', q.steps),
      }));
      return c;
    }
    case 'mouseMove': {
      const c = blankCompiled(m.kind, K_MOUSE_MOVE);
      c.mx = m.x;
      c.my = m.y;
      c.speed = m.speed;
      c.maxSpeed = m.maxSpeed;
      c.accelUs = m.accelMs * 1000;
      return c;
    }
    case 'mouseWheel': {
      const c = blankCompiled(m.kind, K_MOUSE_WHEEL);
      c.mx = m.x;
      c.my = m.y;
      c.speed = c.maxSpeed = m.rate;
      return c;
    }
    case 'dynamicMacroRecord':
    case 'dynamicMacroPlay': {
      const c = blankCompiled(m.kind, m.kind === 'dynamicMacroRecord' ? K_RECORD : K_PLAY);
      c.id = m.slot;
      return c;
    }
    case 'unicode': {
      const c = blankCompiled(m.kind, K_UNICODE);
      c.texts.push(m.text);
      return c;
    }
    case 'layerToggle':
    case 'layerSwitch': {
      const c = blankCompiled(m.kind, m.kind === 'layerToggle' ? K_TOGGLE : K_SWITCH);
      c.id = m.id;
      return c;
    }
    case 'capsWord': {
      const c = blankCompiled(m.kind, K_CAPSWORD);
      c.thresholdUs = m.timeoutMs * 1000;
      if (m.shiftKeys !== undefined || m.continueKeys !== undefined)
        c.words = wordTable(m.shiftKeys, m.continueKeys);
      return c;
    }
    case 'autoShift': {
      // a tap-hold whose tap is the key and whose threshold types it shifted; another key taps it
      const c = blankCompiled(m.kind, K_TAPHOLD);
      c.to = resolveKey(m.from);
      c.thresholdUs = m.thresholdMs * 1000;
      c.mode = MODE_TAP_ON_OTHER;
      c.timeoutKeys = [LSHIFT, c.to];
      return c;
    }
    case 'keyOverride': {
      const c = blankCompiled(m.kind, K_OVERRIDE);
      c.to = resolveKey(m.to);
      c.lifts = modifierGroups(m.mods).flat();
      return c;
    }
  }
}

/** KeyRx's order: Shift, Ctrl, Alt, Meta (always the left ones). */
function modifierKeys(m: { shift?: boolean; ctrl?: boolean; alt?: boolean; win?: boolean }): number[] {
  const keys: number[] = [];
  if (m.shift) keys.push(MODIFIER_KEY_CODES.LShift);
  if (m.ctrl) keys.push(MODIFIER_KEY_CODES.LCtrl);
  if (m.alt) keys.push(MODIFIER_KEY_CODES.LAlt);
  if (m.win) keys.push(MODIFIER_KEY_CODES.LMeta);
  return keys;
}

function condition(c: number, fields: Partial<CompiledCondition> = {}): CompiledCondition {
  return { c, id: -1, text: '', items: [], groups: [], ...fields };
}

function compileItem(item: ConditionItem | Condition): CompiledCondition {
  switch (item.kind) {
    case 'modifier':
      return condition(C_MODIFIER, { id: item.id });
    case 'lock':
      return condition(C_LOCK, { id: item.id });
    case 'ime':
      return condition(C_IME);
    case 'lang':
      return condition(C_LANG, { text: item.lang.toLowerCase() });
    case 'app':
      return condition(C_APP, { text: item.pattern });
    case 'title':
      return condition(C_TITLE, { text: item.pattern });
    case 'allOf':
      return condition(C_ALL, { items: item.items.map(compileItem) });
    case 'noneOf':
      return condition(C_NONE, { items: item.items.map(compileItem) });
    case 'device':
      return condition(C_DEVICE, { text: item.pattern });
  }
}

/** Key-override modifier names as key codes: `Shift` is either shift key, `LShift` the left one. */
function modifierGroups(mods: string[]): number[][] {
  return mods.map((name) => MODIFIER_GROUPS[name] ?? [resolveKey(name)]);
}

function both(a: CompiledCondition | null, b: CompiledCondition): CompiledCondition {
  return a === null ? b : condition(C_ALL, { items: [a, b] });
}

function compileBlock(block: DeviceBlock, hands: Map<string, Uint8Array>): CompiledBlock {
  const table: (Entry[] | undefined)[] = new Array(KEY_CODE_LIMIT);
  const combos: CompiledCombo[] = [];
  const capsPairs: CapsPair[] = [];
  const comboKey = new Uint8Array(KEY_CODE_LIMIT);
  const add = (m: BaseMapping, cond: CompiledCondition | null): void => {
    if (m.kind === 'combo') {
      const keys = m.keys.map(resolveKey);
      for (const k of keys) comboKey[k] = 1;
      combos.push({
        keys,
        to: m.to === undefined ? -1 : resolveKey(m.to),
        mods: modifierKeys(m),
        layer: m.layer ?? -1,
        windowUs: m.windowMs * 1000,
        releaseAll: m.release === 'all',
        cond,
      });
      return;
    }
    if (m.kind === 'capsWord' && m.together !== undefined) {
      const c = compileMapping(m, hands);
      capsPairs.push({
        a: resolveKey(m.from),
        b: resolveKey(m.together),
        timeoutUs: c.thresholdUs,
        words: c.words ?? CAPS_WORD,
        cond,
      });
      return;
    }
    if (m.kind === 'keyOverride')
      cond = both(cond, condition(C_OUTPUT_MODS, { groups: modifierGroups(m.mods) }));
    (table[resolveKey(m.from)] ??= []).push({ cond, m: compileMapping(m, hands) });
  };
  // KeyRx's lookup order: every conditional entry (in declaration order) before any base one.
  // A key override is conditional too (on its modifiers).
  for (const m of block.mappings)
    if (m.kind === 'conditional') {
      const cond = compileItem(m.condition);
      for (const inner of m.mappings) add(inner, cond);
    } else if (m.kind === 'keyOverride') add(m, null);
  for (const m of block.mappings) if (m.kind !== 'conditional' && m.kind !== 'keyOverride') add(m, null);
  return { pattern: block.pattern, table, combos, capsPairs, comboKey };
}

/** Removes an item from a list; returns whether it was there. */
function remove<T>(list: T[], item: T): boolean {
  const i = list.indexOf(item);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}

function languageMatches(want: string, have: string): boolean {
  // BCP-47 style prefix match both ways: `ja` matches `ja-JP` and vice versa.
  return want === have || have.startsWith(want + '-') || want.startsWith(have + '-');
}

function isTapHoldLike(m: Compiled | null): boolean {
  return m !== null && (m.k === K_TAPHOLD || m.k === K_HOLDONLY);
}

const WORD_ENDS = 0;
const WORD_CONTINUES = 1;
const WORD_SHIFTED = 2;
/**
 * What a typed key does to caps word, by code: letters and `-` are shifted; digits, Backspace,
 * Delete and modifiers keep the word going unshifted; anything else ends it.
 */
const CAPS_WORD = new Uint8Array(KEY_CODE_LIMIT);
for (let code = 0; code < KEY_CODE_LIMIT; code++) {
  const info = keyByCode(code);
  if (info === undefined) continue;
  if (info.group === 'letter' || info.name === 'Minus') CAPS_WORD[code] = WORD_SHIFTED;
  else if (
    info.group === 'digit' ||
    info.group === 'modifier' ||
    info.name === 'Backspace' ||
    info.name === 'Delete'
  )
    CAPS_WORD[code] = WORD_CONTINUES;
}

/** A caps-word table from its lists; a list not given keeps its default keys. Modifiers always continue. */
function wordTable(shift: string[] | undefined, keep: string[] | undefined): Uint8Array {
  const table = new Uint8Array(KEY_CODE_LIMIT);
  for (let code = 0; code < KEY_CODE_LIMIT; code++) {
    const d = CAPS_WORD[code];
    if ((shift === undefined && d === WORD_SHIFTED) || (keep === undefined && d === WORD_CONTINUES))
      table[code] = d;
  }
  for (const code of ALL_MODIFIERS) table[code] = WORD_CONTINUES;
  for (const name of keep ?? []) table[resolveKey(name)] = WORD_CONTINUES;
  for (const name of shift ?? []) table[resolveKey(name)] = WORD_SHIFTED;
  return table;
}

// ---------------------------------------------------------------- engine

export class Engine {
  private readonly blocks: CompiledBlock[];
  private readonly slots = new Map<string, DeviceSlot>();
  private readonly identities = new Map<string, string[]>();
  private readonly records = new Map<number, PressRecord>();
  /** every object with a deadline: pending tap-holds, combos, dances, macros, one-shots, caps word */
  private timers: Timed[] = [];
  /** permissive tap-holds and hold-only keys that another key's press decides */
  private interruptible: PendingTapHold[] = [];
  /** hold_on_press tap-holds that are still a tap if released before another key */
  private tentative: PendingTapHold[] = [];
  /** retro-tap holds decided by their threshold: the next press of any key ends their chance */
  private alone: PendingTapHold[] = [];
  private dances: DanceRun[] = [];
  private oneShots: OneShot[] = [];
  private capsWord: CapsWord | null = null;
  private blocker: Blocker | null = null;
  private queue: Queued[] = [];
  private readonly modifierCount = new Int32Array(256);
  private readonly lockState = new Uint8Array(256);
  private readonly toggled = new Uint8Array(256);
  private baseLayer = -1;
  /** holders of each output key */
  private readonly outputCount = new Int32Array(KEY_CODE_LIMIT);
  /** what the outputs say now: 1 = down */
  private readonly isDown = new Uint8Array(KEY_CODE_LIMIT);
  /** active lifts of a held modifier (key overrides, typed text): kept up while > 0 */
  private readonly lifted = new Uint8Array(KEY_CODE_LIMIT);
  /** dynamic macros: what each slot recorded, as macro ops */
  private readonly recordings = new Map<number, number[]>();
  /** the recording in progress: its slot and the output so far */
  private recording: { slot: number; ops: number[] } | null = null;
  /** held mouse keys, while any is */
  private pointer: PointerMotion | null = null;
  /** last tap of a tap-hold key, by press id (quick tap) */
  private readonly lastTapUs = new Map<number, number>();
  private lastPressUs = -Infinity;
  /** the key of the last press: a quick tap needs its own key pressed last (QMK, kanata) */
  private lastPressId = -1;
  private lastOutUs = -Infinity;
  private seq = 0;
  /** the slot slot() returned last */
  private lastSlot: DeviceSlot | null = null;
  private current: Queued | null = null;
  private ownOpen = false;
  private ime = false;
  private language = '';
  private app = '';
  private title = '';
  private readonly unicodeEntry: UnicodeEntry;
  private readonly tracing: boolean;
  /** decisions of the last process/tick/releaseAll call (only with `trace: true`) */
  readonly trace: TraceEntry[] = [];
  /** mapping kind and decision of the input handled by the last process() call */
  lastKind: MappingKind = 'passthrough';
  lastDecision: Decision = 'passthrough';

  constructor(config: Config, options: EngineOptions = {}) {
    const hands = new Map<string, Uint8Array>();
    const entry = config.unicodeEntry ?? DEFAULT_UNICODE_ENTRY;
    this.blocks = config.devices.map((b) => compileBlock(b, hands));
    this.unicodeEntry = entry;
    this.tracing = options.trace ?? false;
  }

  /**
   * Adds identities that device patterns may match for a handle: its name, stable id, serial
   * number and physical path (KeyRx matches name, serial and phys).
   */
  describeDevice(
    handle: string,
    identity: { name?: string; id?: string; serial?: string; phys?: string },
  ): void {
    const list = [handle];
    for (const value of [identity.name, identity.id, identity.serial, identity.phys])
      if (value && !list.includes(value)) list.push(value);
    this.identities.set(handle, list);
    const slot = this.slots.get(handle);
    if (slot) {
      slot.identities = list;
      slot.block = this.blockFor(list);
    }
  }

  /** Index of the device block that events from this device use, or -1 (pass-through). */
  blockIndexFor(handle: string): number {
    const slot = this.slot(handle);
    return slot.block ? this.blocks.indexOf(slot.block) : -1;
  }

  setContext(context: EngineContext): void {
    if (context.ime !== undefined) this.ime = context.ime;
    if (context.language !== undefined) this.language = context.language.toLowerCase();
    if (context.app !== undefined) this.app = context.app;
    if (context.title !== undefined) this.title = context.title;
  }

  process(event: InputEvent): OutputEvent[] {
    const out: OutputEvent[] = [];
    if (this.tracing) this.trace.length = 0;
    const t = event.timeUs;
    if (this.timers.length > 0) this.runDeadlines(t, out);
    const slot = this.slot(event.device ?? DEFAULT_DEVICE);
    const ev: Queued = {
      slot,
      key: event.key,
      id: slot.index * 1024 + event.key,
      action: event.action,
      timeUs: t,
      seq: ++this.seq,
      skipCombo: false,
    };
    this.ownOpen = true;
    this.handle(ev, out);
    this.ownOpen = false;
    // replayed presses may have deadlines that are already due
    if (this.timers.length > 0) this.runDeadlines(t, out);
    return out;
  }

  tick(nowUs: number): OutputEvent[] {
    const out: OutputEvent[] = [];
    if (this.tracing) this.trace.length = 0;
    this.runDeadlines(nowUs, out);
    return out;
  }

  nextDeadline(): number | null {
    let next: number | null = null;
    for (const p of this.timers) if (next === null || p.deadlineUs < next) next = p.deadlineUs;
    return next;
  }

  /**
   * Releases every output still down, drops open decisions, held-back input, one-shots, caps
   * word and held layers; locks, toggled layers and the switched base layer stay.
   */
  releaseAll(timeUs = 0): OutputEvent[] {
    const out: OutputEvent[] = [];
    if (this.tracing) this.trace.length = 0;
    if (this.recording !== null) {
      // a dynamic macro being recorded ends here, before the releases below
      this.recordings.set(this.recording.slot, this.recording.ops);
      this.recording = null;
    }
    const records = [...new Set(this.records.values())].reverse();
    this.records.clear();
    this.timers = [];
    this.interruptible = [];
    this.tentative = [];
    this.alone = [];
    this.pointer = null;
    this.dances = [];
    this.oneShots = [];
    this.capsWord = null;
    this.blocker = null;
    this.queue = [];
    for (const r of records) {
      for (let i = r.outputs.length - 1; i >= 0; i--) this.releaseOut(r.outputs[i], timeUs, out);
      r.outputs.length = 0;
    }
    // Defensive: nothing can be left, but a keyboard daemon must never leave a key down.
    for (let code = 0; code < KEY_CODE_LIMIT; code++) {
      if (this.isDown[code]) this.emit(code, 'release', timeUs, out);
      this.outputCount[code] = 0;
      this.isDown[code] = 0;
      this.lifted[code] = 0;
    }
    this.modifierCount.fill(0);
    for (let id = 0; id < 256; id++) if (this.toggled[id]) this.modifierCount[id]++;
    if (this.baseLayer >= 0) this.modifierCount[this.baseLayer]++;
    return out;
  }

  /**
   * True when the active modifiers and locks are exactly these (sorted ids), without building
   * the state: the input thread asks after every key, and state() walks every key code.
   */
  layersAre(modifiers: readonly number[], locks: readonly number[]): boolean {
    let m = 0;
    let l = 0;
    for (let i = 0; i < 256; i++) {
      if (this.modifierCount[i] > 0 && modifiers[m++] !== i) return false;
      if (this.lockState[i] && locks[l++] !== i) return false;
    }
    return m === modifiers.length && l === locks.length;
  }

  /** The active modifier and lock ids (sorted): the layer part of state(). */
  layers(): { modifiers: number[]; locks: number[] } {
    const modifiers: number[] = [];
    const locks: number[] = [];
    for (let i = 0; i < 256; i++) {
      if (this.modifierCount[i] > 0) modifiers.push(i);
      if (this.lockState[i]) locks.push(i);
    }
    return { modifiers, locks };
  }

  state(): EngineState {
    const { modifiers, locks } = this.layers();
    const outputDown: number[] = [];
    for (let code = 0; code < KEY_CODE_LIMIT; code++) if (this.isDown[code]) outputDown.push(code);
    const pending: EngineState['pending'] = [];
    for (const p of this.timers) {
      if (p instanceof PendingTapHold && p.state === TH_PENDING)
        pending.push({
          device: p.record.slot.handle,
          key: p.record.key,
          sinceUs: p.sinceUs,
          deadlineUs: p.deadlineUs,
        });
      else if (p instanceof DanceRun)
        pending.push({ device: p.slot.handle, key: p.key, sinceUs: p.sinceUs, deadlineUs: p.deadlineUs });
    }
    return {
      modifiers,
      locks,
      held: [...new Set(this.records.values())].map((r) => ({ device: r.slot.handle, key: r.key })),
      pending,
      outputDown,
      ime: this.ime,
      language: this.language,
      app: this.app,
      title: this.title,
      queued: this.queue.length,
      capsWord: this.capsWord !== null,
      oneShots: this.oneShots.map((s) => (s.m.to >= 0 ? keyName(s.m.to) : layerName('MD', s.m.id))),
    };
  }

  isModifierActive(id: number): boolean {
    return this.modifierCount[id] > 0;
  }

  isLockActive(id: number): boolean {
    return this.lockState[id] === 1;
  }

  // ---------------------------------------------------------------- input flow

  private slot(handle: string): DeviceSlot {
    // keys come in runs from one keyboard: its slot without a map lookup (slots are never removed)
    if (this.lastSlot !== null && this.lastSlot.handle === handle) return this.lastSlot;
    let slot = this.slots.get(handle);
    if (!slot) {
      const identities = this.identities.get(handle) ?? [handle];
      slot = { index: this.slots.size, handle, identities, block: this.blockFor(identities) };
      this.slots.set(handle, slot);
    }
    this.lastSlot = slot;
    return slot;
  }

  private blockFor(identities: string[]): CompiledBlock | null {
    // The first block, in declaration order, whose pattern matches the name or the id.
    for (const block of this.blocks)
      for (const identity of identities) if (globMatch(block.pattern, identity)) return block;
    return null;
  }

  /** An event goes to the open decision, if any, or is handled now. */
  private handle(ev: Queued, out: OutputEvent[]): void {
    const previous = this.current;
    this.current = ev;
    if (this.blocker !== null) {
      this.queue.push(ev);
      this.note(ev.timeUs, ev.key, ev.slot, ev.action, 'passthrough', 'queued');
      this.blocker.observe(this, ev, out);
    } else this.dispatch(ev, out);
    this.current = previous;
  }

  /** The open decision is made: what it held back goes through the engine again, in order. */
  private unblock(out: OutputEvent[], t: number): void {
    // what was held back comes out now, not at the (earlier) times it came in
    if (t > this.lastOutUs) this.lastOutUs = t;
    this.blocker = null;
    const queue = this.queue;
    this.queue = [];
    for (const ev of queue) {
      if (this.timers.length > 0) this.runDeadlines(ev.timeUs, out);
      this.handle(ev, out);
    }
  }

  private dispatch(ev: Queued, out: OutputEvent[]): void {
    const t = ev.timeUs;
    if (ev.action === 'press') {
      const stale = this.records.get(ev.id);
      // A second press without a release (a glitch, or a press from before a grab):
      // finish the first one so nothing stays down.
      if (stale) this.finish(stale, ev.id, t, out);
      if (
        !ev.skipCombo &&
        ev.slot.block !== null &&
        ev.slot.block.comboKey[ev.key] === 1 &&
        this.startCombo(ev)
      )
        return;
      this.press(ev.slot, ev.key, ev.id, t, out);
    } else if (ev.action === 'release') {
      const record = this.records.get(ev.id);
      if (record) this.finish(record, ev.id, t, out);
      else this.note(t, ev.key, ev.slot, 'release', 'passthrough', 'ignored');
    } else {
      const record = this.records.get(ev.id);
      if (record && record.repeatKey >= 0 && this.isDown[record.repeatKey] === 1) {
        this.emit(record.repeatKey, 'repeat', t, out);
        this.note(t, ev.key, ev.slot, 'repeat', record.kind, 'repeat');
      } else this.note(t, ev.key, ev.slot, 'repeat', record?.kind ?? 'passthrough', 'ignored');
    }
  }

  private lookup(slot: DeviceSlot, key: number): Compiled | null {
    const entries = slot.block?.table[key];
    if (!entries) return null;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.cond === null || this.holds(e.cond, slot)) return e.m;
    }
    return null;
  }

  private holds(c: CompiledCondition, slot: DeviceSlot): boolean {
    switch (c.c) {
      case C_MODIFIER:
        return this.modifierCount[c.id] > 0;
      case C_LOCK:
        return this.lockState[c.id] === 1;
      case C_IME:
        return this.ime;
      case C_LANG:
        return this.language !== '' && languageMatches(c.text, this.language);
      case C_APP:
        return this.app !== '' && globMatch(c.text, this.app);
      case C_TITLE:
        return this.title !== '' && globMatch(c.text, this.title);
      case C_ALL:
        for (const item of c.items) if (!this.holds(item, slot)) return false;
        return true;
      case C_NONE:
        for (const item of c.items) if (this.holds(item, slot)) return false;
        return true;
      case C_DEVICE:
        for (const identity of slot.identities) if (globMatch(c.text, identity)) return true;
        return false;
      case C_OUTPUT_MODS:
        for (const group of c.groups) {
          let down = false;
          for (const code of group) if (this.isDown[code] === 1) down = true;
          if (!down) return false;
        }
        return true;
      default:
        return false;
    }
  }

  private newRecord(slot: DeviceSlot, key: number, kind: MappingKind): PressRecord {
    return {
      slot,
      key,
      kind,
      outputs: [],
      modifier: -1,
      tapHold: null,
      dance: null,
      oneShot: null,
      lifted: null,
      ids: null,
      untilAllUp: false,
      repeatKey: -1,
      tapped: false,
      mover: null,
    };
  }

  private press(slot: DeviceSlot, key: number, id: number, t: number, out: OutputEvent[]): void {
    if (this.alone.length > 0) this.notAlone();
    let m = this.lookup(slot, key);
    // Another key's press decides open tap-holds, hold_on_press taps and tap dances; the key is
    // then looked up again under the new layer state.
    if (
      (this.interruptible.length > 0 || this.tentative.length > 0 || this.dances.length > 0) &&
      this.interrupt(slot, key, m, t, out)
    )
      m = this.lookup(slot, key);
    const record = this.newRecord(slot, key, m ? m.kind : 'passthrough');
    this.records.set(id, record);
    const decision = m === null ? this.passthrough(record, t, out) : this.apply(m, record, id, t, out);
    this.note(t, key, slot, 'press', record.kind, decision);
    this.lastPressUs = t;
    this.lastPressId = id;
    if (slot.block !== null && slot.block.capsPairs.length > 0) this.capsPair(slot, key, t);
  }

  private passthrough(record: PressRecord, t: number, out: OutputEvent[]): Decision {
    this.typeHeld(record, record.key, t, out);
    if (!isModifierKey(record.key)) this.typed(t, out);
    return 'passthrough';
  }

  private apply(m: Compiled, record: PressRecord, id: number, t: number, out: OutputEvent[]): Decision {
    switch (m.k) {
      case K_SIMPLE:
        this.typeHeld(record, m.to, t, out);
        if (!isModifierKey(m.to)) this.typed(t, out);
        return 'remap';
      case K_MODIFIER:
        this.modifierCount[m.id]++;
        record.modifier = m.id;
        return 'layer-on';
      case K_LOCK:
        this.lockState[m.id] ^= 1;
        return 'lock-toggle';
      case K_TAPHOLD:
      case K_HOLDONLY: // a permissive tap-hold without options whose tap sends nothing
        return this.pressTapHold(m, record, id, t, out);
      case K_MODIFIED:
        this.capsShift(m.to, t);
        for (const k of m.keys) {
          this.pressOut(k, t, out);
          record.outputs.push(k);
        }
        record.repeatKey = m.to;
        this.typed(t, out);
        return 'remap';
      case K_SEQUENCE:
        for (const k of m.keys) {
          this.pressOut(k, t, out);
          this.releaseOut(k, t, out);
        }
        this.typed(t, out);
        return 'sequence';
      case K_ONESHOT:
        return this.pressOneShot(m, record, t, out);
      case K_DANCE:
        return m.eager ? this.pressEagerDance(m, record, id, t, out) : this.pressDance(m, record, id, t);
      case K_MACRO: {
        const run = new MacroRun(m, record.slot, record.key);
        if (!this.runMacro(run, t, out)) {
          this.blocker = run;
          this.timers.push(run);
        }
        this.typed(t, out);
        return 'macro';
      }
      case K_UNICODE:
        this.typeText(m.texts[0], t, out);
        this.typed(t, out);
        return 'unicode';
      case K_LEADER: {
        const run = new LeaderRun(m, record.slot, record.key, t);
        this.blocker = run;
        this.timers.push(run);
        return 'leader';
      }
      case K_RECORD:
        if (this.recording !== null) {
          // any record key ends the recording in progress
          this.recordings.set(this.recording.slot, this.recording.ops);
          this.recording = null;
          return 'macro-record-stop';
        }
        this.recording = { slot: m.id, ops: [] };
        return 'macro-record';
      case K_MOUSE_MOVE:
      case K_MOUSE_WHEEL:
        record.mover = this.startMover(m, t, out);
        return m.k === K_MOUSE_MOVE ? 'mouse-move' : 'mouse-wheel';
      case K_PLAY: {
        const ops = this.recordings.get(m.id);
        // nothing recorded yet, or playing the slot being recorded (it would record itself)
        if (ops === undefined || this.recording?.slot === m.id) return 'ignored';
        const macro = blankCompiled('macro', K_MACRO);
        macro.ops = ops;
        this.runMacro(new MacroRun(macro, record.slot, record.key), t, out);
        this.typed(t, out);
        return 'macro';
      }
      case K_TOGGLE:
        this.toggled[m.id] ^= 1;
        this.modifierCount[m.id] += this.toggled[m.id] ? 1 : -1;
        return 'layer-toggle';
      case K_SWITCH: {
        const previous = this.baseLayer;
        if (previous >= 0) this.modifierCount[previous]--;
        this.baseLayer = previous === m.id ? -1 : m.id;
        if (this.baseLayer >= 0) this.modifierCount[this.baseLayer]++;
        return 'layer-switch';
      }
      case K_CAPSWORD:
        if (this.capsWord !== null) {
          this.endCapsWord(t, 'toggle');
          return 'caps-word-off';
        }
        this.capsWord = new CapsWord(record.slot, record.key, m.thresholdUs, m.words ?? CAPS_WORD);
        this.capsWord.deadlineUs = t + m.thresholdUs;
        this.timers.push(this.capsWord);
        return 'caps-word-on';
      default: {
        // K_OVERRIDE: its modifiers are down (its condition); lift them while it is held.
        record.lifted = this.lift(m.lifts, t, out);
        this.pressOut(m.to, t, out);
        record.outputs.push(m.to);
        record.repeatKey = m.to;
        this.typed(t, out);
        return 'override';
      }
    }
  }

  /** The release side of a press: undo exactly what the press did. */
  private finish(record: PressRecord, id: number, t: number, out: OutputEvent[]): void {
    if (record.untilAllUp && record.ids !== null && record.ids.length > 1) {
      // a combo held until all its keys are up: this one is, the output stays
      remove(record.ids, id);
      this.records.delete(id);
      this.note(t, id % 1024, record.slot, 'release', record.kind, 'ignored');
      return;
    }
    if (record.ids !== null) for (const member of record.ids) this.records.delete(member);
    else this.records.delete(id);
    let decision: Decision = 'release';
    for (let i = record.outputs.length - 1; i >= 0; i--) this.releaseOut(record.outputs[i], t, out);
    record.outputs.length = 0;
    if (record.lifted !== null) {
      this.restore(record.lifted, t, out);
      record.lifted = null;
    }
    if (record.modifier >= 0) {
      this.modifierCount[record.modifier]--;
      decision = record.kind === 'modifier' ? 'layer-off' : 'hold-release';
    }
    const th = record.tapHold;
    if (th !== null)
      decision =
        this.releaseTapHold(th, t, out) ??
        (th.state === TH_HOLD && th.m.mode !== MODE_TAP_ON_OTHER ? 'hold-release' : decision);
    if (record.tapped) this.lastTapUs.set(id, t);
    if (record.dance !== null) decision = this.releaseDance(record.dance, t, out);
    if (record.oneShot !== null) decision = this.releaseOneShot(record.oneShot, t, out);
    if (record.mover !== null) this.stopMover(record.mover);
    this.note(t, record.key, record.slot, 'release', record.kind, decision);
  }

  /**
   * A press of another key: open permissive tap-holds become holds (KeyRx) — or taps when the
   * key is of the same hand —, hold_on_press keys stop being taps, tap dances end. Returns
   * whether anything changed that the key's lookup depends on.
   */
  private interrupt(
    slot: DeviceSlot,
    key: number,
    m: Compiled | null,
    t: number,
    out: OutputEvent[],
  ): boolean {
    let changed = false;
    if (this.dances.length > 0)
      for (const dance of [...this.dances])
        if (dance.key !== key || dance.slot !== slot) {
          this.resolveDance(dance, t, out, 'press');
          changed = true;
        }
    if (this.interruptible.length > 0) {
      const all = this.interruptible;
      this.interruptible = [];
      for (const p of all) {
        if (p.state !== TH_PENDING) continue;
        const early = this.earlyTap(p, key, t);
        if (early !== null) {
          this.tapNow(p, t, early, out);
          changed = true;
        } else if (p.m.holdKeys !== null && p.m.holdKeys[key] === 1) {
          this.holdNow(p, t, 'press', out, 'listed-hold');
          changed = true;
        } else if (isTapHoldLike(m) && this.tapsAtPress(m!, slot.index * 1024 + key, t) === null) {
          // KeyRx: another tap-hold key's press does not decide (rolls of tap-hold keys stay
          // taps); its tap, if it comes first, will (sendTap)
          this.interruptible.push(p);
        } else {
          this.holdNow(p, t, 'press', out);
          changed = true;
        }
      }
    }
    if (this.tentative.length > 0) {
      const all = this.tentative;
      this.tentative = [];
      for (const p of all) {
        const early = this.earlyTap(p, key, t);
        if (early !== null) {
          // same hand or a roll: it was a tap after all; undo the hold first
          this.undoHold(p, t, out);
          this.tapNow(p, t, early, out);
        } else {
          p.state = TH_HOLD;
          this.note(t, p.record.key, p.record.slot, 'press', p.m.kind, 'hold');
        }
        changed = true;
      }
    }
    return changed;
  }

  // ---------------------------------------------------------------- tap-hold

  private pressTapHold(
    m: Compiled,
    record: PressRecord,
    id: number,
    t: number,
    out: OutputEvent[],
  ): Decision {
    const early = this.tapsAtPress(m, id, t);
    if (early !== null) {
      // the tap key, held like a plain key (so it repeats)
      this.typeHeld(record, m.to, t, out);
      record.tapped = true;
      this.typed(t, out);
      return early;
    }
    const pending = new PendingTapHold(record, m, t, t + m.thresholdUs, this.current?.seq ?? this.seq);
    record.tapHold = pending;
    if (m.mode === MODE_HOLD_ON_PRESS) {
      pending.tapUntilUs = t + m.thresholdUs;
      pending.state = TH_HOLD;
      this.startHold(pending, t, out);
      this.tentative.push(pending);
      return 'pending';
    }
    this.timers.push(pending);
    if (m.mode === MODE_PERMISSIVE || m.mode === MODE_TAP_ON_OTHER) this.interruptible.push(pending);
    else this.blocker = pending;
    return 'pending';
  }

  /**
   * A tap-hold pressed again right after its own tap (no other key pressed since), or pressed
   * while typing fast, is its tap key at once: the decision, else null.
   */
  private tapsAtPress(m: Compiled, id: number, t: number): Decision | null {
    if (m.k !== K_TAPHOLD) return null;
    if (m.quickTapUs > 0 && this.lastPressId === id) {
      const lastTap = this.lastTapUs.get(id);
      if (lastTap !== undefined && t - lastTap < m.quickTapUs) return 'quick-tap';
    }
    if (m.idleUs > 0 && t - this.lastPressUs < m.idleUs) return 'idle-tap';
    return null;
  }

  /** Returns the release's decision when the tap-hold decides it. */
  private releaseTapHold(p: PendingTapHold, t: number, out: OutputEvent[]): Decision | null {
    if (p.state === TH_PENDING) {
      // Still pending: the threshold has not been reached (deadlines ran first), so a tap.
      this.removeTimer(p);
      remove(this.interruptible, p);
      if (this.sendTap(p, t, out)) this.typed(t, out);
      return 'tap';
    }
    // hold_on_press released with no other key in between, within the threshold: a tap (its hold
    // was undone by the release above)
    if (remove(this.tentative, p) && t < p.tapUntilUs) {
      if (this.sendTap(p, t, out)) this.typed(t, out);
      return 'tap';
    }
    // held alone past the threshold (retro tap): the hold ended above, now the tap
    if (p.alone) {
      p.alone = false;
      remove(this.alone, p);
      if (this.sendTap(p, t, out)) this.typed(t, out);
      return 'retro-tap';
    }
    return null;
  }

  /**
   * Decided as a tap: the tap key; returns whether a key was typed (a hold-only key sends nothing).
   * `down`: the key is still held (another key decided early); with `tapHeld` the tap key is then
   * held until its release.
   */
  private sendTap(p: PendingTapHold, t: number, out: OutputEvent[], down = false): boolean {
    p.state = TH_TAP;
    const layers = this.interruptible.length > 0 && this.holdEarlier(p, t, out);
    if (p.m.k !== K_TAPHOLD) return false;
    const keys = layers ? this.layerTap(p) : null;
    if (keys !== null) {
      // the hold decided first turned on a layer where this key is another key: that key
      for (const k of keys) {
        this.pressOut(k, t, out);
        if (down && p.m.tapHeld) p.record.outputs.push(k);
      }
      if (down && p.m.tapHeld) p.record.repeatKey = keys[keys.length - 1];
      else for (let i = keys.length - 1; i >= 0; i--) this.releaseOut(keys[i], t, out);
      p.record.tapped = true;
      return true;
    }
    if (down && p.m.tapHeld) this.typeHeld(p.record, p.m.to, t, out);
    else this.typeTap(p.m.to, t, out);
    p.record.tapped = true;
    return true;
  }

  /**
   * Another key was tapped inside undecided permissive tap-holds pressed before it: they are
   * holds (QMK's permissive hold), decided before that tap goes out, so the output keeps the
   * input's order. (KeyRx left them pending and sent the inner tap first.)
   */
  private holdEarlier(p: PendingTapHold, t: number, out: OutputEvent[]): boolean {
    let layers = false;
    for (const q of [...this.interruptible])
      if (q !== p && q.state === TH_PENDING && q.seq < p.seq) {
        remove(this.interruptible, q);
        // an auto-shift key has no hold: another key's tap makes it a tap, before that one
        if (q.m.mode === MODE_TAP_ON_OTHER) this.tapNow(q, t, 'tap', out);
        else {
          this.holdNow(q, t, 'press', out);
          if (q.m.holdKey < 0) layers = true;
        }
      }
    return layers;
  }

  /**
   * The key of a tap-hold tapped inside a hold just decided (holdEarlier) on the layer that hold
   * turned on: the simple or modified key it maps to there, else null (its own tap stands). The
   * layer's key is what the permissive hold gives a plain key pressed inside (KeyRx, QMK).
   */
  private layerTap(p: PendingTapHold): number[] | null {
    const now = this.lookup(p.record.slot, p.record.key);
    if (now === null || now === p.m) return null;
    if (now.k === K_SIMPLE) return [now.to];
    if (now.k === K_MODIFIED) return now.keys;
    return null;
  }

  /** @internal the threshold passed: a hold */
  tapHoldTimeout(p: PendingTapHold, out: OutputEvent[]): void {
    remove(this.interruptible, p);
    this.holdNow(p, p.deadlineUs, 'timeout', out);
    if (this.blocker === p) this.unblock(out, p.deadlineUs);
  }

  /** @internal a balanced or tap_preferred tap-hold sees held-back input */
  observeTapHold(p: PendingTapHold, ev: Queued, out: OutputEvent[]): void {
    const own = ev.slot === p.record.slot && ev.key === p.record.key;
    const early = ev.action === 'press' && !own ? this.earlyTap(p, ev.key, ev.timeUs) : null;
    if (own && ev.action === 'release') {
      // released before the threshold: a tap (its release replays after it, and ends the record)
      this.tapNow(p, ev.timeUs, 'tap', out, 'release');
    } else if (early !== null) {
      this.tapNow(p, ev.timeUs, early, out);
    } else if (ev.action === 'press' && !own && p.m.holdKeys !== null && p.m.holdKeys[ev.key] === 1) {
      this.holdNow(p, ev.timeUs, 'press', out, 'listed-hold');
    } else if (
      p.m.mode === MODE_BALANCED &&
      ev.action === 'release' &&
      this.queue.some((q) => q.action === 'press' && q.slot === ev.slot && q.key === ev.key)
    ) {
      // balanced: a key pressed and released while it was undecided makes it a hold
      this.holdNow(p, ev.timeUs, 'press', out);
    } else return;
    this.unblock(out, ev.timeUs);
  }

  /** Another key's press that makes an undecided tap-hold a tap at once: listed, same hand, or a roll. */
  private earlyTap(p: PendingTapHold, key: number, t: number): Decision | null {
    if (p.m.tapKeys !== null && p.m.tapKeys[key] === 1) return 'listed-tap';
    if (p.m.hands !== null && p.m.hand !== 0 && p.m.hands[key] === p.m.hand) return 'same-hand-tap';
    if (t - p.sinceUs < p.m.rollUs) return 'roll-tap';
    if (p.m.mode === MODE_TAP_ON_OTHER) return 'tap';
    return null;
  }

  private tapNow(
    p: PendingTapHold,
    t: number,
    decision: Decision,
    out: OutputEvent[],
    action: 'press' | 'release' = 'press',
  ): void {
    this.removeTimer(p);
    const typed = this.sendTap(p, t, out, action === 'press');
    this.note(t, p.record.key, p.record.slot, action, p.m.kind, decision);
    if (typed) this.typed(t, out);
  }

  private holdNow(
    p: PendingTapHold,
    t: number,
    cause: 'timeout' | 'press',
    out: OutputEvent[],
    decision: Decision = 'hold',
  ): void {
    p.state = TH_HOLD;
    this.removeTimer(p);
    const keys = p.m.timeoutKeys;
    // alone: no key pressed since its own press (and no timeout key typed, which needs no tap after)
    const alone = this.lastPressId === p.record.slot.index * 1024 + p.record.key;
    if (cause === 'timeout' && p.m.retroTap && keys.length === 0 && alone) {
      p.alone = true;
      this.alone.push(p);
    }
    if (cause === 'timeout' && (keys.length > 0 || p.m.timeoutLayer >= 0)) {
      decision = p.m.mode === MODE_TAP_ON_OTHER ? 'auto-shift' : 'timeout-action';
      if (keys.length > 0) {
        // a key typed: undecided permissive tap-holds pressed before go first (as for a tap)
        if (this.interruptible.length > 0) this.holdEarlier(p, t, out);
        for (let i = 0; i < keys.length - 1; i++) {
          this.pressOut(keys[i], t, out);
          p.record.outputs.push(keys[i]);
        }
        this.typeHeld(p.record, keys[keys.length - 1], t, out);
        this.typed(t, out);
      } else {
        this.modifierCount[p.m.timeoutLayer]++;
        p.record.modifier = p.m.timeoutLayer;
      }
    } else this.startHold(p, t, out);
    this.note(t, p.record.key, p.record.slot, cause, p.m.kind, decision);
  }

  /** A key was pressed: holds decided by their threshold are no longer alone (no retro tap). */
  private notAlone(): void {
    for (const p of this.alone) p.alone = false;
    this.alone = [];
  }

  private startHold(p: PendingTapHold, t: number, out: OutputEvent[]): void {
    if (p.m.holdKey >= 0) {
      this.pressOut(p.m.holdKey, t, out);
      p.record.outputs.push(p.m.holdKey);
    } else {
      this.modifierCount[p.m.id]++;
      p.record.modifier = p.m.id;
    }
  }

  private undoHold(p: PendingTapHold, t: number, out: OutputEvent[]): void {
    if (p.m.holdKey >= 0) {
      const i = p.record.outputs.lastIndexOf(p.m.holdKey);
      if (i >= 0) p.record.outputs.splice(i, 1);
      this.releaseOut(p.m.holdKey, t, out);
    } else if (p.record.modifier >= 0) {
      this.modifierCount[p.record.modifier]--;
      p.record.modifier = -1;
    }
  }

  // ---------------------------------------------------------------- combos

  /** A press of a combo key: wait for the combo's other keys when one could still complete. */
  private startCombo(ev: Queued): boolean {
    const block = ev.slot.block!;
    let candidates: CompiledCombo[] | null = null;
    for (const combo of block.combos)
      if (combo.keys.includes(ev.key) && (combo.cond === null || this.holds(combo.cond, ev.slot)))
        (candidates ??= []).push(combo);
    if (candidates === null) return false;
    const run = new ComboRun(candidates, ev);
    this.blocker = run;
    this.queue.push(ev);
    this.timers.push(run);
    this.note(ev.timeUs, ev.key, ev.slot, 'press', 'combo', 'queued');
    return true;
  }

  /** @internal */
  observeCombo(run: ComboRun, ev: Queued, out: OutputEvent[]): void {
    const member = run.members.some((q) => q.key === ev.key && q.slot === ev.slot);
    // (a key whose earlier press is still held cannot join; one whose release is held back can)
    if (
      ev.action === 'press' &&
      !member &&
      ev.slot === run.members[0].slot &&
      (!this.records.has(ev.id) || this.releaseQueued(ev.id, ev.seq))
    ) {
      const keys = [...run.members.map((q) => q.key), ev.key];
      const first = run.members[0].timeUs;
      const possible = run.candidates.filter(
        (c) => ev.timeUs - first <= c.windowUs && keys.every((k) => c.keys.includes(k)),
      );
      if (possible.length > 0) {
        run.members.push(ev);
        // complete, and no longer combo could still grow out of these keys: fire now
        const exact = possible.find((c) => c.keys.length === keys.length);
        if (exact !== undefined && possible.every((c) => c.keys.length === keys.length))
          this.fireCombo(run, exact, ev.timeUs, out, 'press');
        return;
      }
    } else if (ev.action !== 'release' || !member) return;
    this.decideCombo(run, ev.timeUs, out);
  }

  /** A release of this key is held back from before `seq` (the key was let go, then pressed again). */
  private releaseQueued(id: number, seq: number): boolean {
    for (const q of this.queue) if (q.action === 'release' && q.id === id && q.seq < seq) return true;
    return false;
  }

  /** @internal the window ended, or a key that cannot belong to the combo came: fire or let the keys go. */
  decideCombo(run: ComboRun, t: number, out: OutputEvent[], cause: 'press' | 'timeout' = 'press'): void {
    const first = run.members[0].timeUs;
    const last = run.members[run.members.length - 1].timeUs;
    const exact = run.candidates.find(
      (c) =>
        c.keys.length === run.members.length &&
        last - first <= c.windowUs &&
        run.members.every((q) => c.keys.includes(q.key)),
    );
    if (exact !== undefined) {
      this.fireCombo(run, exact, t, out, cause);
      return;
    }
    this.removeTimer(run);
    for (const q of run.members) q.skipCombo = true;
    this.unblock(out, t);
  }

  private fireCombo(
    run: ComboRun,
    combo: CompiledCombo,
    t: number,
    out: OutputEvent[],
    action: 'press' | 'timeout',
  ): void {
    this.removeTimer(run);
    const first = run.members[0];
    // a member's release held back from before its press ends the earlier press first (its old
    // record), not the combo about to start; it comes out now, when this is decided
    if (t > this.lastOutUs) this.lastOutUs = t;
    for (const q of [...this.queue])
      if (q.action === 'release' && run.members.some((m) => m.id === q.id && q.seq < m.seq)) {
        remove(this.queue, q);
        this.dispatch(q, out);
      }
    this.queue = this.queue.filter((q) => !run.members.includes(q));
    if (this.interruptible.length > 0 || this.tentative.length > 0 || this.dances.length > 0)
      this.interrupt(first.slot, first.key, null, t, out);
    if (this.alone.length > 0) this.notAlone();
    const record = this.newRecord(first.slot, first.key, 'combo');
    // no member has a record of its own: dispatch() finished a stale first press, and observeCombo()
    // lets no key join whose earlier press is still held
    record.ids = run.members.map((q) => q.id);
    record.untilAllUp = combo.releaseAll;
    for (const id of record.ids) this.records.set(id, record);
    if (combo.layer >= 0) {
      this.modifierCount[combo.layer]++;
      record.modifier = combo.layer;
    } else {
      for (const k of combo.mods) {
        this.pressOut(k, t, out);
        record.outputs.push(k);
      }
      this.typeHeld(record, combo.to, t, out);
    }
    const last = run.members[run.members.length - 1];
    this.note(t, last.key, last.slot, action, 'combo', 'combo');
    this.typed(t, out);
    this.lastPressUs = t;
    this.lastPressId = -1;
    this.unblock(out, t);
  }

  // ---------------------------------------------------------------- tap dance

  private pressDance(m: Compiled, record: PressRecord, id: number, t: number): Decision {
    let run = this.dances.find((d) => d.id === id && d.m === m);
    if (run === undefined) {
      run = new DanceRun(m, record.slot, record.key, id, t);
      this.dances.push(run);
      this.timers.push(run);
    }
    run.count++;
    run.down = true;
    run.record = record;
    run.deadlineUs = t + m.thresholdUs;
    record.dance = run;
    return 'pending';
  }

  /**
   * An eager dance: this press's action at once, held while the key is (its record releases it);
   * the count goes on while presses come within the window, and starts again after the last action.
   */
  private pressEagerDance(
    m: Compiled,
    record: PressRecord,
    id: number,
    t: number,
    out: OutputEvent[],
  ): Decision {
    let run = this.dances.find((d) => d.id === id && d.m === m);
    if (run !== undefined && run.count >= m.dance.length) {
      this.endDance(run);
      run = undefined;
    }
    if (run === undefined) {
      run = new DanceRun(m, record.slot, record.key, id, t);
      this.dances.push(run);
    } else this.removeTimer(run);
    run.count++;
    run.down = true;
    run.record = record;
    record.dance = run;
    const action = m.dance[run.count - 1];
    if (action.holdLayer >= 0) {
      this.modifierCount[action.holdLayer]++;
      record.modifier = action.holdLayer;
      return 'dance-hold';
    }
    if (action.tap >= 0) {
      this.typeHeld(record, action.tap, t, out);
      this.typed(t, out);
    } else {
      this.pressOut(action.holdKey, t, out);
      record.outputs.push(action.holdKey);
    }
    return action.tap >= 0 ? 'dance-tap' : 'dance-hold';
  }

  private endDance(run: DanceRun): void {
    remove(this.dances, run);
    this.removeTimer(run);
  }

  private releaseDance(run: DanceRun, t: number, out: OutputEvent[]): Decision {
    run.down = false;
    run.record = null;
    if (run.m.eager) {
      // the action ended with the key (finish released it); the next press may continue the count
      if (this.dances.includes(run)) {
        run.deadlineUs = t + run.m.thresholdUs;
        this.timers.push(run);
      }
      return 'release';
    }
    if (run.count >= run.m.dance.length) return this.resolveDance(run, t, out, 'release');
    run.deadlineUs = t + run.m.thresholdUs;
    return 'pending';
  }

  /** @internal the dance ends: the nth action, held if its key is still down. */
  resolveDance(
    run: DanceRun,
    t: number,
    out: OutputEvent[],
    cause: 'timeout' | 'press' | 'release',
  ): Decision {
    if (run.m.eager) {
      // its actions ran at each press: ending it only ends the count
      this.endDance(run);
      return 'release';
    }
    this.dances.splice(this.dances.indexOf(run), 1);
    this.removeTimer(run);
    const action = run.m.dance[Math.min(run.count, run.m.dance.length) - 1];
    const record = run.record;
    let decision: Decision;
    if (run.down && record !== null) {
      record.dance = null;
      if (action.holdLayer >= 0) {
        this.modifierCount[action.holdLayer]++;
        record.modifier = action.holdLayer;
      } else if (action.holdKey >= 0) {
        this.pressOut(action.holdKey, t, out);
        record.outputs.push(action.holdKey);
      } else if (action.tap >= 0) {
        this.typeHeld(record, action.tap, t, out);
        this.typed(t, out);
      }
      decision = 'dance-hold';
    } else {
      if (action.tap >= 0) {
        this.typeTap(action.tap, t, out);
        this.typed(t, out);
      }
      decision = 'dance-tap';
    }
    // at the dance key's release, finish() notes the decision as that release's own
    if (cause !== 'release') this.note(t, run.key, run.slot, cause, 'tapDance', decision);
    return decision;
  }

  // ---------------------------------------------------------------- macros and text

  /** Runs a macro until a wait or its end; returns whether it ended. */
  private runMacro(run: MacroRun, t: number, out: OutputEvent[]): boolean {
    const ops = run.m.ops;
    while (run.pc < ops.length) {
      const op = ops[run.pc];
      const v = ops[run.pc + 1];
      run.pc += 2;
      switch (op) {
        case OP_PRESS:
          this.pressOut(v, t, out);
          run.held.push(v);
          break;
        case OP_RELEASE: {
          // only what the macro pressed: a key the user holds stays down
          const i = run.held.lastIndexOf(v);
          if (i >= 0) {
            run.held.splice(i, 1);
            this.releaseOut(v, t, out);
          }
          break;
        }
        case OP_WAIT:
          if (v > 0) {
            run.deadlineUs = t + v;
            return false;
          }
          break;
        default: // OP_TEXT
          this.typeText(run.m.texts[v], t, out);
      }
    }
    for (let i = run.held.length - 1; i >= 0; i--) this.releaseOut(run.held[i], t, out);
    run.held.length = 0;
    return true;
  }

  /**
   * Types text exactly: modifiers that are down are lifted meanwhile (pressed again after), and a
   * key held down is let up before its keystroke so that it registers.
   */
  private typeText(text: string, t: number, out: OutputEvent[]): void {
    const lifted = this.lift(ALL_MODIFIERS, t, out);
    for (const step of textSteps(text, this.unicodeEntry)) {
      if (step.press && this.isDown[step.code] === 1) {
        this.isDown[step.code] = 0;
        this.emit(step.code, 'release', t, out);
      }
      this.emit(step.code, step.press ? 'press' : 'release', t, out);
    }
    this.restore(lifted, t, out);
  }

  // ---------------------------------------------------------------- leader

  /** @internal a key after the leader: it extends the sequence, completes one, or ends it */
  observeLeader(run: LeaderRun, ev: Queued, out: OutputEvent[]): void {
    if (ev.action !== 'press') {
      // releases and repeats go through now (a Shift let go while typing the sequence is up
      // when it runs); the presses before them were taken, so the order holds
      remove(this.queue, ev);
      this.dispatch(ev, out);
      return;
    }
    run.consumed.push(ev);
    if (ev.slot === run.slot && ev.key === run.key) {
      // the leader again: cancelled (the note endLeader makes is this press's own)
      this.endLeader(run, ev.timeUs, 'press', out, null);
      return;
    }
    run.typed.push(ev.key);
    this.note(ev.timeUs, ev.key, ev.slot, 'press', 'leader', 'leader-key');
    const typed = run.typed;
    const possible = run.m.sequences.filter(
      (q) => q.keys.length >= typed.length && typed.every((k, i) => q.keys[i] === k),
    );
    if (possible.length === 0) this.endLeader(run, ev.timeUs, 'press', out, null);
    else if (possible.length === 1 && possible[0].keys.length === typed.length)
      this.endLeader(run, ev.timeUs, 'press', out, possible[0]);
    // more may follow: wait for the next key
    else run.deadlineUs = ev.timeUs + run.m.thresholdUs;
  }

  /**
   * @internal the leader's keys are done: its sequence runs (at a timeout, the one they spell
   * exactly, if any); the keys it took are dropped, the rest held back goes on.
   */
  endLeader(
    run: LeaderRun,
    t: number,
    cause: 'press' | 'timeout',
    out: OutputEvent[],
    chosen?: { keys: number[]; macro: Compiled } | null,
  ): void {
    this.removeTimer(run);
    const sequence =
      chosen !== undefined
        ? chosen
        : (run.m.sequences.find(
            (q) => q.keys.length === run.typed.length && q.keys.every((k, i) => run.typed[i] === k),
          ) ?? null);
    this.queue = this.queue.filter((q) => !run.consumed.includes(q));
    this.blocker = null;
    this.note(t, run.key, run.slot, cause, 'leader', sequence !== null ? 'leader-sequence' : 'leader-cancel');
    if (sequence !== null) {
      const macro = new MacroRun(sequence.macro, run.slot, run.key);
      this.typed(t, out);
      if (!this.runMacro(macro, t, out)) {
        // it waits: what is still held back waits for it
        this.blocker = macro;
        this.timers.push(macro);
        return;
      }
    }
    this.unblock(out, t);
  }

  /** @internal a macro's wait is over */
  continueMacro(run: MacroRun, t: number, out: OutputEvent[]): void {
    if (this.runMacro(run, t, out)) {
      this.note(t, run.key, run.slot, 'timeout', 'macro', 'macro');
      if (this.blocker === run) this.unblock(out, t);
    } else this.timers.push(run);
  }

  // ---------------------------------------------------------------- one-shot

  private pressOneShot(m: Compiled, record: PressRecord, t: number, out: OutputEvent[]): Decision {
    const locked = this.oneShots.find((s) => s.m === m && s.locked);
    if (locked !== undefined) {
      this.endOneShot(locked, t, null, out);
      return 'one-shot-unlock';
    }
    const armed = this.oneShots.find((s) => s.m === m && s.armed);
    if (armed !== undefined) {
      this.removeTimer(armed);
      armed.armed = false;
      if (m.lock) {
        // pressed again while waiting: locked on until the next press
        armed.locked = true;
        return 'one-shot-lock';
      }
      // pressed again while waiting: cancel
      this.endOneShot(armed, t, null, out);
      return 'one-shot-cancel';
    }
    const shot = new OneShot(m, record.slot, record.key);
    if (m.to >= 0) this.pressOut(m.to, t, out);
    else this.modifierCount[m.id]++;
    this.oneShots.push(shot);
    record.oneShot = shot;
    return 'one-shot';
  }

  private releaseOneShot(shot: OneShot, t: number, out: OutputEvent[]): Decision {
    if (!this.oneShots.includes(shot)) return 'release';
    if (shot.used) {
      this.endOneShot(shot, t, null, out);
      return 'release';
    }
    shot.armed = true;
    shot.deadlineUs = t + shot.m.thresholdUs;
    this.timers.push(shot);
    return 'one-shot-armed';
  }

  /** @internal */
  endOneShot(shot: OneShot, t: number, decision: Decision | null, out: OutputEvent[]): void {
    const i = this.oneShots.indexOf(shot);
    if (i < 0) return;
    this.oneShots.splice(i, 1);
    this.removeTimer(shot);
    if (shot.m.to >= 0) this.releaseOut(shot.m.to, t, out);
    else this.modifierCount[shot.m.id]--;
    if (decision !== null)
      this.note(
        t,
        shot.key,
        shot.slot,
        decision === 'one-shot-timeout' ? 'timeout' : 'press',
        'oneShot',
        decision,
      );
  }

  /** A key was typed: armed one-shots are used up, held ones become plain modifiers. */
  private typed(t: number, out: OutputEvent[]): void {
    if (this.oneShots.length === 0) return;
    for (const shot of [...this.oneShots]) {
      if (shot.armed) this.endOneShot(shot, t, 'one-shot-used', out);
      else if (!shot.locked) shot.used = true;
    }
  }

  // ---------------------------------------------------------------- caps word

  /** Whether caps word (if on) shifts this key; a key that is not part of a word ends it. */
  private capsShift(code: number, t: number): boolean {
    const word = this.capsWord;
    if (word === null) return false;
    const effect = word.words[code];
    // a shortcut (Ctrl, Alt or Meta down) is not part of a word: it ends it, unshifted (QMK)
    if (effect === WORD_ENDS || this.shortcutDown()) {
      this.endCapsWord(t, 'key');
      return false;
    }
    word.deadlineUs = t + word.timeoutUs;
    return effect === WORD_SHIFTED;
  }

  /** Both keys of a caps-word pair are held now (this one just pressed): caps word on. */
  private capsPair(slot: DeviceSlot, key: number, t: number): void {
    for (const pair of slot.block!.capsPairs) {
      const other = key === pair.a ? pair.b : key === pair.b ? pair.a : -1;
      if (other < 0 || !this.records.has(slot.index * 1024 + other)) continue;
      if (pair.cond !== null && !this.holds(pair.cond, slot)) continue;
      if (this.capsWord === null) {
        this.capsWord = new CapsWord(slot, key, pair.timeoutUs, pair.words);
        this.capsWord.deadlineUs = t + pair.timeoutUs;
        this.timers.push(this.capsWord);
        this.note(t, key, slot, 'press', 'capsWord', 'caps-word-on');
      }
      return;
    }
  }

  private shortcutDown(): boolean {
    for (const code of SHORTCUT_MODIFIERS) if (this.isDown[code] === 1) return true;
    return false;
  }

  /** @internal */
  endCapsWord(t: number, cause: 'timeout' | 'key' | 'toggle'): void {
    const word = this.capsWord;
    if (word === null) return;
    this.capsWord = null;
    this.removeTimer(word);
    if (cause !== 'toggle')
      this.note(
        t,
        word.key,
        word.slot,
        cause === 'timeout' ? 'timeout' : 'press',
        'capsWord',
        'caps-word-off',
      );
  }

  /** A key typed and held (caps word may shift it). */
  private typeHeld(record: PressRecord, code: number, t: number, out: OutputEvent[]): void {
    if (!isModifierKey(code) && this.capsShift(code, t)) {
      this.pressOut(LSHIFT, t, out);
      record.outputs.push(LSHIFT);
    }
    this.pressOut(code, t, out);
    record.outputs.push(code);
    record.repeatKey = code;
  }

  /** A key typed as a tap: press and release (caps word may shift it). */
  private typeTap(code: number, t: number, out: OutputEvent[]): void {
    const shift = !isModifierKey(code) && this.capsShift(code, t);
    if (shift) this.pressOut(LSHIFT, t, out);
    this.pressOut(code, t, out);
    this.releaseOut(code, t, out);
    if (shift) this.releaseOut(LSHIFT, t, out);
  }

  // ---------------------------------------------------------------- deadlines

  private runDeadlines(now: number, out: OutputEvent[]): void {
    // Earliest deadline first, so decisions come out in time order.
    while (this.timers.length > 0) {
      let first = 0;
      for (let i = 1; i < this.timers.length; i++)
        if (this.timers[i].deadlineUs < this.timers[first].deadlineUs) first = i;
      const due = this.timers[first];
      if (due.deadlineUs > now) return;
      this.timers.splice(first, 1);
      due.fire(this, out);
    }
  }

  private removeTimer(timer: Timed): void {
    remove(this.timers, timer);
  }

  // ---------------------------------------------------------------- output

  private emit(key: number, action: KeyAction, t: number, out: OutputEvent[]): void {
    // Output times never go back (a replayed key is emitted when it is decided).
    if (t > this.lastOutUs) this.lastOutUs = t;
    out.push({ key, action, timeUs: this.lastOutUs });
    if (this.recording !== null && action !== 'repeat') this.record(key, action);
  }

  // ---------------------------------------------------------------- mouse keys

  /** A mouse key pressed: it moves at once (one step), then every step while held. */
  private startMover(m: Compiled, t: number, out: OutputEvent[]): Mover {
    const mover: Mover = { m, sinceUs: t };
    let pointer = this.pointer;
    // (a new pointer is scheduled by its first step)
    if (pointer === null) pointer = this.pointer = new PointerMotion();
    pointer.movers.push(mover);
    // its first step now; the others keep their schedule
    this.pointerStep(pointer, t, POINTER_STEP_US, out, mover);
    return mover;
  }

  private stopMover(mover: Mover): void {
    const pointer = this.pointer;
    if (pointer === null || !remove(pointer.movers, mover)) return;
    if (pointer.movers.length === 0) {
      this.removeTimer(pointer);
      this.pointer = null;
    }
  }

  /**
   * @internal one step of the held mouse keys: `stepUs` worth of motion at their speed now (each
   * accelerates from its start), the fractions kept for the next step; the next step is scheduled.
   */
  pointerStep(pointer: PointerMotion, t: number, stepUs: number, out: OutputEvent[], only?: Mover): void {
    let vx = 0;
    let vy = 0;
    let wx = 0;
    let wy = 0;
    for (const { m, sinceUs } of only ? [only] : pointer.movers) {
      const f = m.accelUs > 0 ? Math.min(1, (t - sinceUs) / m.accelUs) : 0;
      const v = m.speed + (m.maxSpeed - m.speed) * f;
      if (m.k === K_MOUSE_MOVE) {
        vx += m.mx * v;
        vy += m.my * v;
      } else {
        // notches per second in hi-res units; the wheel turns up (away) for y -1
        wx += m.mx * v * HI_RES_PER_NOTCH;
        wy -= m.my * v * HI_RES_PER_NOTCH;
      }
    }
    const seconds = stepUs / 1e6;
    const amounts = [vx * seconds, vy * seconds, wy * seconds, wx * seconds];
    const axes = [MOUSE_AXES.X, MOUSE_AXES.Y, MOUSE_AXES.WheelHiRes, MOUSE_AXES.HWheelHiRes];
    for (let i = 0; i < 4; i++) {
      const total = amounts[i] + pointer.rest[i];
      const whole = Math.trunc(total);
      pointer.rest[i] = total - whole;
      if (whole === 0) continue;
      this.move(axes[i], whole, t, out);
      if (i >= 2) {
        // the classic wheel axis: a notch each time the hi-res units make a whole one
        const n = i - 2;
        pointer.notch[n] += whole;
        const notches = Math.trunc(pointer.notch[n] / HI_RES_PER_NOTCH);
        if (notches !== 0) {
          pointer.notch[n] -= notches * HI_RES_PER_NOTCH;
          this.move(n === 0 ? MOUSE_AXES.Wheel : MOUSE_AXES.HWheel, notches, t, out);
        }
      }
    }
    if (only && this.timers.includes(pointer)) return;
    pointer.deadlineUs = t + POINTER_STEP_US;
    if (!this.timers.includes(pointer)) this.timers.push(pointer);
  }

  private move(axis: number, value: number, t: number, out: OutputEvent[]): void {
    if (t > this.lastOutUs) this.lastOutUs = t;
    out.push({ key: axis, action: 'move', timeUs: this.lastOutUs, value });
  }

  /** A dynamic macro keeps the output while it records, up to its size. */
  private record(key: number, action: KeyAction): void {
    const ops = this.recording!.ops;
    if (ops.length < 2 * LIMITS.recordedEvents) ops.push(action === 'press' ? OP_PRESS : OP_RELEASE, key);
  }

  private pressOut(key: number, t: number, out: OutputEvent[]): void {
    this.outputCount[key]++;
    if (this.isDown[key] === 1) {
      if (!isModifierKey(key)) {
        this.emit(key, 'release', t, out);
        this.emit(key, 'press', t, out);
      }
    } else if (this.lifted[key] === 0) {
      this.isDown[key] = 1;
      this.emit(key, 'press', t, out);
    }
  }

  private releaseOut(key: number, t: number, out: OutputEvent[]): void {
    if (this.outputCount[key] === 0) return;
    if (--this.outputCount[key] === 0 && this.isDown[key] === 1) {
      this.isDown[key] = 0;
      this.emit(key, 'release', t, out);
    }
  }

  /** Lets those of these keys that are down up until restore(); returns them. */
  private lift(keys: readonly number[], t: number, out: OutputEvent[]): number[] {
    const lifted: number[] = [];
    for (const key of keys)
      if (this.isDown[key] === 1) {
        this.lifted[key]++;
        this.isDown[key] = 0;
        this.emit(key, 'release', t, out);
        lifted.push(key);
      }
    return lifted;
  }

  /** Ends a lift: keys still held go down again. */
  private restore(keys: number[], t: number, out: OutputEvent[]): void {
    for (const key of keys) {
      if (this.lifted[key] > 0) this.lifted[key]--;
      if (this.lifted[key] === 0 && this.outputCount[key] > 0 && this.isDown[key] === 0) {
        this.isDown[key] = 1;
        this.emit(key, 'press', t, out);
      }
    }
  }

  private note(
    timeUs: number,
    key: number,
    slot: DeviceSlot,
    action: TraceEntry['action'],
    mapping: MappingKind,
    decision: Decision,
  ): void {
    // The decision about this call's input: `queued` is provisional, the next one is final.
    const cur = this.current;
    const own =
      this.ownOpen &&
      cur !== null &&
      cur.seq === this.seq &&
      action === cur.action &&
      key === cur.key &&
      slot === cur.slot;
    if (own) {
      if (decision !== 'queued') this.ownOpen = false;
      this.lastKind = mapping;
      this.lastDecision = decision;
    }
    if (this.tracing) this.trace.push({ timeUs, key, device: slot.handle, action, mapping, decision, own });
  }
}

/** Index of the device block a device with these identities uses (the engine's rule), or -1. */
export function matchDeviceBlock(config: Config, identities: string[]): number {
  return config.devices.findIndex((block) =>
    identities.some((identity) => globMatch(block.pattern, identity)),
  );
}
