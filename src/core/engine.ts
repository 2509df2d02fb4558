/**
 * The remapping engine: a pure, deterministic state machine with virtual time.
 *
 *   process(event)  → output events for one input event (fires due deadlines first)
 *   tick(nowUs)     → output events of deadlines that are due (tap-hold timeouts)
 *   nextDeadline()  → when the host must call tick next, or null: no polling
 *   releaseAll()    → releases every output key still down (profile swap, shutdown)
 *
 * Semantics are KeyRx's (see docs/architecture.md), without its defects: every device
 * block counts, device conditions match, and a release emits exactly the releases of what
 * its press emitted, in reverse order, whatever changed in between — so no key sticks.
 * Output keys are reference-counted: two held inputs that produce the same output keep it
 * down until both are released, and a non-modifier output pressed again while down is
 * re-triggered (release + press) so the second keystroke still registers.
 */
import type { BaseMapping, Condition, Config, ConditionItem, DeviceBlock } from './config.ts';
import { globMatch } from './glob.ts';
import { isModifierKey, KEY_CODE_LIMIT, MODIFIER_KEY_CODES, resolveKey } from './keys.ts';

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

export interface OutputEvent {
  key: number;
  action: KeyAction;
  timeUs: number;
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
  | 'ignored';

export interface TraceEntry {
  timeUs: number;
  key: number;
  device: string;
  /** `timeout` for a decision made by a deadline rather than an input */
  action: KeyAction | 'timeout';
  mapping: MappingKind;
  decision: Decision;
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

interface Compiled {
  k: number;
  kind: BaseMapping['kind'];
  /** output key (simple, modifiedOutput) or tap key (tapHold) */
  to: number;
  /** MD/LK id */
  id: number;
  thresholdUs: number;
  /** modifier keys then `to` (modifiedOutput) or the sequence keys */
  keys: number[];
}

const C_MODIFIER = 0;
const C_LOCK = 1;
const C_IME = 2;
const C_LANG = 3;
const C_ALL = 4;
const C_NONE = 5;
const C_DEVICE = 6;

interface CompiledCondition {
  c: number;
  id: number;
  text: string;
  items: CompiledCondition[];
}

interface Entry {
  cond: CompiledCondition | null;
  m: Compiled;
}

interface CompiledBlock {
  pattern: string;
  table: (Entry[] | undefined)[];
}

interface DeviceSlot {
  index: number;
  handle: string;
  identities: string[];
  block: CompiledBlock | null;
}

interface PendingTapHold {
  record: PressRecord;
  m: Compiled;
  sinceUs: number;
  deadlineUs: number;
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
  /** key re-sent on auto-repeat, else -1 */
  repeatKey: number;
}

function compileMapping(m: BaseMapping): Compiled {
  const c: Compiled = { k: 0, kind: m.kind, to: -1, id: -1, thresholdUs: 0, keys: [] };
  switch (m.kind) {
    case 'simple':
      c.k = K_SIMPLE;
      c.to = resolveKey(m.to);
      break;
    case 'modifier':
      c.k = K_MODIFIER;
      c.id = m.id;
      break;
    case 'lock':
      c.k = K_LOCK;
      c.id = m.id;
      break;
    case 'tapHold':
      c.k = K_TAPHOLD;
      c.to = resolveKey(m.tap);
      c.id = m.hold;
      c.thresholdUs = m.thresholdMs * 1000;
      break;
    case 'holdOnly':
      c.k = K_HOLDONLY;
      c.id = m.hold;
      c.thresholdUs = m.thresholdMs * 1000;
      break;
    case 'modifiedOutput':
      c.k = K_MODIFIED;
      c.to = resolveKey(m.to);
      // KeyRx's order: Shift, Ctrl, Alt, Meta (always the left ones), then the key.
      if (m.shift) c.keys.push(MODIFIER_KEY_CODES.LShift);
      if (m.ctrl) c.keys.push(MODIFIER_KEY_CODES.LCtrl);
      if (m.alt) c.keys.push(MODIFIER_KEY_CODES.LAlt);
      if (m.win) c.keys.push(MODIFIER_KEY_CODES.LMeta);
      c.keys.push(c.to);
      break;
    case 'sequence':
      c.k = K_SEQUENCE;
      c.keys = m.keys.map(resolveKey);
      break;
  }
  return c;
}

function compileItem(item: ConditionItem | Condition): CompiledCondition {
  switch (item.kind) {
    case 'modifier':
      return { c: C_MODIFIER, id: item.id, text: '', items: [] };
    case 'lock':
      return { c: C_LOCK, id: item.id, text: '', items: [] };
    case 'ime':
      return { c: C_IME, id: -1, text: '', items: [] };
    case 'lang':
      return { c: C_LANG, id: -1, text: item.lang.toLowerCase(), items: [] };
    case 'allOf':
      return { c: C_ALL, id: -1, text: '', items: item.items.map(compileItem) };
    case 'noneOf':
      return { c: C_NONE, id: -1, text: '', items: item.items.map(compileItem) };
    case 'device':
      return { c: C_DEVICE, id: -1, text: item.pattern, items: [] };
  }
}

function compileBlock(block: DeviceBlock): CompiledBlock {
  const table: (Entry[] | undefined)[] = new Array(KEY_CODE_LIMIT);
  const add = (m: BaseMapping, cond: CompiledCondition | null): void => {
    const code = resolveKey(m.from);
    (table[code] ??= []).push({ cond, m: compileMapping(m) });
  };
  // KeyRx's lookup order: every conditional entry (in declaration order) before any base one.
  for (const m of block.mappings)
    if (m.kind === 'conditional') {
      const cond = compileItem(m.condition);
      for (const inner of m.mappings) add(inner, cond);
    }
  for (const m of block.mappings) if (m.kind !== 'conditional') add(m, null);
  return { pattern: block.pattern, table };
}

function languageMatches(want: string, have: string): boolean {
  // BCP-47 style prefix match both ways: `ja` matches `ja-JP` and vice versa.
  return want === have || have.startsWith(want + '-') || want.startsWith(have + '-');
}

// ---------------------------------------------------------------- engine

export class Engine {
  private readonly blocks: CompiledBlock[];
  private readonly slots = new Map<string, DeviceSlot>();
  private readonly identities = new Map<string, string[]>();
  private readonly records = new Map<number, PressRecord>();
  private pending: PendingTapHold[] = [];
  private readonly modifierCount = new Int32Array(256);
  private readonly lockState = new Uint8Array(256);
  private readonly outputCount = new Int32Array(KEY_CODE_LIMIT);
  private ime = false;
  private language = '';
  private readonly tracing: boolean;
  /** decisions of the last process/tick/releaseAll call (only with `trace: true`) */
  readonly trace: TraceEntry[] = [];
  /** mapping kind and decision of the input handled by the last process() call */
  lastKind: MappingKind = 'passthrough';
  lastDecision: Decision = 'passthrough';

  constructor(config: Config, options: EngineOptions = {}) {
    this.blocks = config.devices.map(compileBlock);
    this.tracing = options.trace ?? false;
  }

  /** Adds identities (device name, stable id) that device patterns may match for a handle. */
  describeDevice(handle: string, identity: { name?: string; id?: string }): void {
    const list = [handle];
    if (identity.name && identity.name !== handle) list.push(identity.name);
    if (identity.id && !list.includes(identity.id)) list.push(identity.id);
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

  setContext(context: { ime?: boolean; language?: string }): void {
    if (context.ime !== undefined) this.ime = context.ime;
    if (context.language !== undefined) this.language = context.language.toLowerCase();
  }

  process(event: InputEvent): OutputEvent[] {
    const out: OutputEvent[] = [];
    if (this.tracing) this.trace.length = 0;
    this.runDeadlines(event.timeUs);
    const slot = this.slot(event.device ?? DEFAULT_DEVICE);
    const id = slot.index * 1024 + event.key;
    const t = event.timeUs;
    if (event.action === 'press') {
      const stale = this.records.get(id);
      // A second press without a release (a glitch, or a press from before a grab):
      // finish the first one so nothing stays down.
      if (stale) this.finish(stale, id, t, out);
      this.press(slot, event.key, id, t, out);
    } else if (event.action === 'release') {
      const record = this.records.get(id);
      if (record) this.finish(record, id, t, out);
      else this.note(t, event.key, slot, 'release', 'passthrough', 'ignored');
    } else {
      const record = this.records.get(id);
      if (record && record.repeatKey >= 0 && this.outputCount[record.repeatKey] > 0) {
        out.push({ key: record.repeatKey, action: 'repeat', timeUs: t });
        this.note(t, event.key, slot, 'repeat', record.kind, 'repeat');
      } else this.note(t, event.key, slot, 'repeat', record?.kind ?? 'passthrough', 'ignored');
    }
    return out;
  }

  tick(nowUs: number): OutputEvent[] {
    const out: OutputEvent[] = [];
    if (this.tracing) this.trace.length = 0;
    this.runDeadlines(nowUs);
    return out;
  }

  nextDeadline(): number | null {
    let next: number | null = null;
    for (const p of this.pending) if (next === null || p.deadlineUs < next) next = p.deadlineUs;
    return next;
  }

  /** Releases every output still down, drops pending tap-holds and held layers; locks stay. */
  releaseAll(timeUs = 0): OutputEvent[] {
    const out: OutputEvent[] = [];
    if (this.tracing) this.trace.length = 0;
    const records = [...this.records.values()].reverse();
    this.records.clear();
    this.pending = [];
    for (const r of records) {
      for (let i = r.outputs.length - 1; i >= 0; i--) this.releaseOut(r.outputs[i], timeUs, out);
      r.outputs.length = 0;
    }
    this.modifierCount.fill(0);
    // Defensive: nothing can be left, but a keyboard daemon must never leave a key down.
    for (let code = 0; code < KEY_CODE_LIMIT; code++)
      if (this.outputCount[code] > 0) {
        this.outputCount[code] = 0;
        out.push({ key: code, action: 'release', timeUs });
      }
    return out;
  }

  state(): EngineState {
    const modifiers: number[] = [];
    const locks: number[] = [];
    for (let i = 0; i < 256; i++) {
      if (this.modifierCount[i] > 0) modifiers.push(i);
      if (this.lockState[i]) locks.push(i);
    }
    const outputDown: number[] = [];
    for (let code = 0; code < KEY_CODE_LIMIT; code++) if (this.outputCount[code] > 0) outputDown.push(code);
    return {
      modifiers,
      locks,
      held: [...this.records.values()].map((r) => ({ device: r.slot.handle, key: r.key })),
      pending: this.pending.map((p) => ({
        device: p.record.slot.handle,
        key: p.record.key,
        sinceUs: p.sinceUs,
        deadlineUs: p.deadlineUs,
      })),
      outputDown,
      ime: this.ime,
      language: this.language,
    };
  }

  isModifierActive(id: number): boolean {
    return this.modifierCount[id] > 0;
  }

  isLockActive(id: number): boolean {
    return this.lockState[id] === 1;
  }

  // ---------------------------------------------------------------- internals

  private slot(handle: string): DeviceSlot {
    let slot = this.slots.get(handle);
    if (!slot) {
      const identities = this.identities.get(handle) ?? [handle];
      slot = { index: this.slots.size, handle, identities, block: this.blockFor(identities) };
      this.slots.set(handle, slot);
    }
    return slot;
  }

  private blockFor(identities: string[]): CompiledBlock | null {
    // The first block, in declaration order, whose pattern matches the name or the id.
    for (const block of this.blocks)
      for (const identity of identities) if (globMatch(block.pattern, identity)) return block;
    return null;
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
      case C_ALL:
        for (const item of c.items) if (!this.holds(item, slot)) return false;
        return true;
      case C_NONE:
        for (const item of c.items) if (this.holds(item, slot)) return false;
        return true;
      case C_DEVICE:
        for (const identity of slot.identities) if (globMatch(c.text, identity)) return true;
        return false;
      default:
        return false;
    }
  }

  private press(slot: DeviceSlot, key: number, id: number, t: number, out: OutputEvent[]): void {
    let m = this.lookup(slot, key);
    if (this.pending.length > 0 && (m === null || (m.k !== K_TAPHOLD && m.k !== K_HOLDONLY))) {
      // Permissive hold: another key's press decides every pending tap-hold as hold, and
      // that key is then looked up under the new layer state.
      this.resolvePendingAsHold(t);
      m = this.lookup(slot, key);
    }
    const record: PressRecord = {
      slot,
      key,
      kind: m ? m.kind : 'passthrough',
      outputs: [],
      modifier: -1,
      tapHold: null,
      repeatKey: -1,
    };
    this.records.set(id, record);
    let decision: Decision;
    if (m === null) {
      this.pressOut(key, t, out);
      record.outputs.push(key);
      record.repeatKey = key;
      decision = 'passthrough';
    } else
      switch (m.k) {
        case K_SIMPLE:
          this.pressOut(m.to, t, out);
          record.outputs.push(m.to);
          record.repeatKey = m.to;
          decision = 'remap';
          break;
        case K_MODIFIER:
          this.modifierCount[m.id]++;
          record.modifier = m.id;
          decision = 'layer-on';
          break;
        case K_LOCK:
          this.lockState[m.id] ^= 1;
          decision = 'lock-toggle';
          break;
        case K_TAPHOLD:
        case K_HOLDONLY: {
          const pending = { record, m, sinceUs: t, deadlineUs: t + m.thresholdUs };
          record.tapHold = pending;
          this.pending.push(pending);
          decision = 'pending';
          break;
        }
        case K_MODIFIED:
          for (const k of m.keys) {
            this.pressOut(k, t, out);
            record.outputs.push(k);
          }
          record.repeatKey = m.to;
          decision = 'remap';
          break;
        default: // K_SEQUENCE
          for (const k of m.keys) {
            this.pressOut(k, t, out);
            this.releaseOut(k, t, out);
          }
          decision = 'sequence';
      }
    this.note(t, key, slot, 'press', record.kind, decision);
  }

  /** The release side of a press: undo exactly what the press did. */
  private finish(record: PressRecord, id: number, t: number, out: OutputEvent[]): void {
    this.records.delete(id);
    let decision: Decision = 'release';
    for (let i = record.outputs.length - 1; i >= 0; i--) this.releaseOut(record.outputs[i], t, out);
    record.outputs.length = 0;
    if (record.modifier >= 0) {
      this.modifierCount[record.modifier]--;
      decision = record.kind === 'modifier' ? 'layer-off' : 'hold-release';
    }
    const th = record.tapHold;
    if (th !== null && record.modifier < 0) {
      // Still pending: the threshold has not been reached (deadlines ran first), so a tap.
      this.pending.splice(this.pending.indexOf(th), 1);
      if (th.m.k === K_TAPHOLD) {
        this.pressOut(th.m.to, t, out);
        this.releaseOut(th.m.to, t, out);
      }
      decision = 'tap';
    }
    this.note(t, record.key, record.slot, 'release', record.kind, decision);
  }

  private runDeadlines(now: number): void {
    // Earliest deadline first, so decisions come out in time order.
    while (this.pending.length > 0) {
      let first = 0;
      for (let i = 1; i < this.pending.length; i++)
        if (this.pending[i].deadlineUs < this.pending[first].deadlineUs) first = i;
      const p = this.pending[first];
      if (p.deadlineUs > now) return;
      this.pending.splice(first, 1);
      this.activateHold(p, p.deadlineUs, 'timeout');
    }
  }

  private resolvePendingAsHold(t: number): void {
    const all = this.pending;
    this.pending = [];
    for (const p of all) this.activateHold(p, t, 'press');
  }

  private activateHold(p: PendingTapHold, t: number, cause: 'timeout' | 'press'): void {
    this.modifierCount[p.m.id]++;
    p.record.modifier = p.m.id;
    this.note(t, p.record.key, p.record.slot, cause === 'timeout' ? 'timeout' : 'press', p.m.kind, 'hold');
  }

  private pressOut(key: number, t: number, out: OutputEvent[]): void {
    const count = this.outputCount[key]++;
    if (count === 0) out.push({ key, action: 'press', timeUs: t });
    else if (!isModifierKey(key)) {
      out.push({ key, action: 'release', timeUs: t });
      out.push({ key, action: 'press', timeUs: t });
    }
  }

  private releaseOut(key: number, t: number, out: OutputEvent[]): void {
    if (this.outputCount[key] === 0) return;
    if (--this.outputCount[key] === 0) out.push({ key, action: 'release', timeUs: t });
  }

  private note(
    timeUs: number,
    key: number,
    slot: DeviceSlot,
    action: TraceEntry['action'],
    mapping: MappingKind,
    decision: Decision,
  ): void {
    if (action !== 'timeout') {
      this.lastKind = mapping;
      this.lastDecision = decision;
    }
    if (this.tracing) this.trace.push({ timeUs, key, device: slot.handle, action, mapping, decision });
  }
}

/** Index of the device block a device with these identities uses (the engine's rule), or -1. */
export function matchDeviceBlock(config: Config, identities: string[]): number {
  return config.devices.findIndex((block) =>
    identities.some((identity) => globMatch(block.pattern, identity)),
  );
}
