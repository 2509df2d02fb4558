/**
 * Engine properties under the daemon's life cycle: random configs, random timed input on two
 * devices, and at random points what the input thread does around the engine — profile swaps,
 * releaseAll(), devices appearing, devices disabled and enabled again.
 *
 * `HostModel` does what EngineHost (src/daemon/input-thread.ts) does around its Engine: a swap is
 * `releaseAll()` on the old engine, then a new Engine on the new config that learns the devices
 * seen so far; a disabled device's keys go out unmapped, and a key's release goes the way its
 * press went; the press completing the emergency chord is swallowed (the virtual backend's way).
 * EngineHost runs in a worker and cannot be imported: test/fuzz/host-cases.ts checks the real one
 * end to end through a daemon.
 *
 * Invariants, checked on the whole output stream of a run:
 *   - no press of a key already down, no release or repeat of a key not down, time never goes back
 *     (with a device disabled during the run, unmapped keys share the output with mapped ones, so
 *     there only the weaker rule holds: nothing released that was never pressed);
 *   - right after releaseAll() or a swap, no output key is down but those of unmapped presses;
 *   - once every input is released and every deadline passed, no output key is down, and the
 *     engine holds nothing (no held key, no pending tap-hold, no deadline);
 *   - the same run twice gives the same output.
 */
import assert from 'node:assert/strict';
import type {
  BaseMapping,
  Condition,
  ConditionItem,
  Config,
  DanceAction,
  DeviceBlock,
  MacroStep,
  Mapping,
  OutputEvent,
} from '../../src/core/index.ts';
import { Engine, resolveKey } from '../../src/core/index.ts';
import type { Case, Rng, SyncTarget } from './harness.ts';

export const KEY_NAMES = [
  'A',
  'B',
  'C',
  'D',
  'E',
  'H',
  'J',
  'Space',
  'CapsLock',
  'Tab',
  'Escape',
  'Num1',
  'LShift',
  'LCtrl',
  'LAlt',
  'LMeta',
];
const CODES = KEY_NAMES.map((k) => resolveKey(k));
export const DEVICES = ['kb-one', 'kb-two'];
/** the default emergency exit chord (settings.emergencyExitChord) */
const CHORD = ['LCtrl', 'Space', 'Escape'].map((k) => resolveKey(k));
const PATTERNS = ['*', 'kb-one', '*two', 'kb-*', 'Keyboard*', 'usb-*', 'nothing'];

// ---------------------------------------------------------------- random configs

function layerId(rng: Rng): number {
  return rng.chance(0.9) ? rng.int(4) : rng.pick([0x7f, 0xfe]);
}

const MODIFIERS = ['LShift', 'RShift', 'LCtrl', 'LAlt', 'RMeta'];
const MODES = ['permissive', 'hold_on_press', 'balanced', 'tap_preferred'] as const;

function baseMapping(rng: Rng): BaseMapping {
  const from = rng.pick(KEY_NAMES);
  const key = (): string => rng.pick(KEY_NAMES);
  const ms = (max: number): number => rng.range(1, max);
  switch (rng.int(22)) {
    case 0:
      return { kind: 'simple', from, to: key() };
    case 1:
      return { kind: 'modifier', from, id: layerId(rng) };
    case 2:
      return { kind: 'lock', from, id: layerId(rng) };
    case 3:
      return { kind: 'tapHold', from, tap: key(), hold: layerId(rng), thresholdMs: ms(300) };
    case 4:
      return { kind: 'holdOnly', from, hold: layerId(rng), thresholdMs: ms(300) };
    case 5:
      return {
        kind: 'modifiedOutput',
        from,
        to: key(),
        shift: rng.chance(0.5),
        ctrl: rng.chance(0.5),
        alt: rng.chance(0.3),
        win: rng.chance(0.2),
      };
    case 6:
      return { kind: 'sequence', from, keys: Array.from({ length: rng.range(1, 8) }, key) };
    case 7: {
      // tap-hold with every option
      const m: BaseMapping = { kind: 'tapHold', from, tap: key(), thresholdMs: ms(300) };
      if (rng.chance(0.5)) m.holdKey = rng.pick(MODIFIERS);
      else m.hold = layerId(rng);
      if (rng.chance(0.8)) m.mode = rng.pick(MODES);
      if (rng.chance(0.3)) m.quickTapMs = rng.int(300);
      if (rng.chance(0.3)) m.requirePriorIdleMs = rng.int(200);
      if (rng.chance(0.4)) m.oppositeHand = { left: KEY_NAMES.slice(0, 5), right: KEY_NAMES.slice(5, 10) };
      if (rng.chance(0.3)) m.rollMs = rng.int(100);
      if (rng.chance(0.3)) m.tapKeys = [...new Set(Array.from({ length: rng.range(1, 4) }, key))];
      if (rng.chance(0.3)) {
        // a key may not be in both lists (the DSL and the config model refuse it)
        const hold = [...new Set(Array.from({ length: rng.range(1, 4) }, key))].filter(
          (k) => !m.tapKeys?.includes(k),
        );
        if (hold.length > 0) m.holdKeys = hold;
      }
      if (m.mode !== 'hold_on_press' && rng.chance(0.3)) {
        if (rng.chance(0.5)) m.timeoutKey = key();
        else m.timeoutLayer = layerId(rng);
      }
      if (rng.chance(0.3)) m.retroTap = true;
      if (rng.chance(0.3)) m.tapHeld = true;
      return m;
    }
    case 8:
      return rng.chance(0.5)
        ? { kind: 'oneShot', from, key: rng.pick(MODIFIERS), timeoutMs: ms(500), lock: rng.chance(0.3) }
        : { kind: 'oneShot', from, layer: layerId(rng), timeoutMs: ms(500), lock: rng.chance(0.3) };
    case 9: {
      const keys = [...new Set(Array.from({ length: rng.range(2, 4) }, key))];
      if (keys.length < 2) keys.push(keys[0] === 'A' ? 'B' : 'A');
      return rng.weighted<BaseMapping>([
        [3, { kind: 'combo', keys, to: key(), windowMs: ms(100) }],
        [1, { kind: 'combo', keys, to: key(), windowMs: ms(100), release: 'all' }],
        [1, { kind: 'combo', keys, layer: layerId(rng), windowMs: ms(100), release: 'all' }],
        [1, { kind: 'combo', keys, to: key(), ctrl: true, shift: rng.chance(0.5), windowMs: ms(100) }],
        [1, { kind: 'combo', keys, layer: layerId(rng), windowMs: ms(100) }],
      ]);
    }
    case 10:
      return {
        kind: 'tapDance',
        from,
        actions: Array.from({ length: rng.range(1, 3) }, () =>
          rng.weighted<() => DanceAction>([
            [3, () => ({ tap: key() })],
            [1, () => ({ tap: key(), holdKey: rng.pick(MODIFIERS) })],
            [1, () => ({ holdLayer: layerId(rng) })],
          ] as const)(),
        ),
        windowMs: ms(300),
        ...(rng.chance(0.3) ? { eager: true } : {}),
      };
    case 11:
      return {
        kind: 'macro',
        from,
        steps: Array.from({ length: rng.range(1, 6) }, () =>
          rng.weighted<() => MacroStep>([
            [3, () => ({ op: 'tap' as const, key: key() })],
            [2, () => ({ op: 'press' as const, key: key() })],
            [2, () => ({ op: 'release' as const, key: key() })],
            [2, () => ({ op: 'wait' as const, ms: rng.int(80) })],
            [1, () => ({ op: 'text' as const, text: rng.pick(['hi', 'A-b', 'é!', '\n']) })],
          ] as const)(),
        ),
      };
    case 12:
      return { kind: rng.chance(0.5) ? 'layerToggle' : 'layerSwitch', from, id: layerId(rng) };
    case 13: {
      const m: BaseMapping = { kind: 'capsWord', from, timeoutMs: ms(400) };
      if (rng.chance(0.3)) m.together = from === 'LShift' ? 'RShift' : 'LShift';
      if (rng.chance(0.3)) m.shiftKeys = [...new Set(Array.from({ length: rng.int(4) }, key))];
      if (rng.chance(0.3)) m.continueKeys = [...new Set(Array.from({ length: rng.int(4) }, key))];
      return m;
    }
    case 14:
      return { kind: 'keyOverride', from, mods: [rng.pick(['Shift', 'LCtrl', 'Alt'])], to: key() };
    case 15:
      return { kind: 'unicode', from, text: rng.pick(['é', 'ü→', '😀']) };
    case 16:
      return { kind: 'autoShift', from, thresholdMs: ms(300) };
    case 17: {
      const sequences: { keys: string[]; steps: MacroStep[] }[] = [];
      for (let n = rng.int(4); n > 0; n--) {
        const keys = Array.from({ length: rng.range(1, 3) }, key);
        if (sequences.some((q) => q.keys.join(' ') === keys.join(' '))) continue;
        sequences.push({
          keys,
          steps: Array.from({ length: rng.range(1, 3) }, () =>
            rng.chance(0.7) ? { op: 'tap' as const, key: key() } : { op: 'wait' as const, ms: rng.int(50) },
          ),
        });
      }
      return { kind: 'leader', from, timeoutMs: ms(400), sequences };
    }
    case 18:
      return { kind: rng.chance(0.5) ? 'dynamicMacroRecord' : 'dynamicMacroPlay', from, slot: rng.int(3) };
    case 19: {
      const x = rng.pick([-1, 0, 1]);
      const y = x === 0 ? rng.pick([-1, 1]) : rng.pick([-1, 0, 1]);
      return rng.chance(0.5)
        ? { kind: 'mouseWheel', from, x: y === 0 ? x : 0, y, rate: rng.range(1, 100) }
        : {
            kind: 'mouseMove',
            from,
            x,
            y,
            speed: 100,
            maxSpeed: rng.range(100, 3000),
            accelMs: rng.int(1000),
          };
    }
    case 20:
      return { kind: 'simple', from, to: rng.pick(['MouseLeft', 'MouseRight', 'MouseMiddle']) };
    default:
      return { kind: 'simple', from, to: key() };
  }
}

function conditionItem(rng: Rng): ConditionItem {
  switch (rng.int(7)) {
    case 0:
    case 1:
      return { kind: 'modifier', id: layerId(rng) };
    case 2:
    case 3:
      return { kind: 'lock', id: layerId(rng) };
    case 4:
      return { kind: 'ime' };
    case 5:
      return { kind: 'lang', lang: rng.pick(['ja', 'ko', 'en-US']) };
    default:
      return { kind: rng.chance(0.5) ? 'app' : 'title', pattern: rng.pick(['firefox', '*term*', 'x']) };
  }
}

function condition(rng: Rng): Condition {
  switch (rng.int(5)) {
    case 0:
    case 1:
      return conditionItem(rng);
    case 2:
      return { kind: 'allOf', items: Array.from({ length: rng.range(1, 3) }, () => conditionItem(rng)) };
    case 3:
      return { kind: 'noneOf', items: Array.from({ length: rng.range(1, 3) }, () => conditionItem(rng)) };
    default:
      return { kind: 'device', pattern: rng.pick(PATTERNS) };
  }
}

export function randomConfig(rng: Rng): Config {
  const devices: DeviceBlock[] = Array.from({ length: rng.range(1, 3) }, () => ({
    pattern: rng.pick(PATTERNS),
    mappings: Array.from({ length: rng.int(26) }, (): Mapping => {
      if (rng.chance(0.6)) return baseMapping(rng);
      return {
        kind: 'conditional',
        condition: condition(rng),
        mappings: Array.from({ length: rng.range(1, 6) }, () => baseMapping(rng)),
      };
    }),
  }));
  return { version: 1, devices };
}

// ---------------------------------------------------------------- the host model

/** What EngineHost does around its engine (see the file comment). */
export class HostModel {
  engine: Engine;
  private readonly identities = new Map<string, { name: string; id: string }>();
  private readonly disabled = new Set<string>();
  private readonly physicalDown = new Set<number>();
  /** held keys (`device\0key`) and the way their press went */
  readonly routes = new Map<string, 'engine' | 'raw'>();

  constructor(config: Config) {
    this.engine = new Engine(config, { trace: true });
  }

  deviceAdded(handle: string, name: string, id: string): void {
    this.identities.set(handle, { name, id });
    this.engine.describeDevice(handle, { name, id });
  }

  setEnabled(device: string, enabled: boolean): void {
    if (enabled) this.disabled.delete(device);
    else this.disabled.add(device);
  }

  process(
    key: number,
    action: 'press' | 'release' | 'repeat',
    timeUs: number,
    device: string,
  ): OutputEvent[] {
    if (action === 'press') this.physicalDown.add(key);
    else if (action === 'release') this.physicalDown.delete(key);
    // the emergency chord: the virtual backend's host swallows the press that completes it
    if (action === 'press' && CHORD.every((k) => this.physicalDown.has(k))) return [];
    const id = `${device}\u0000${key}`;
    let route = this.routes.get(id);
    if (route === undefined && action === 'press') {
      route = this.disabled.has(device) ? 'raw' : 'engine';
      this.routes.set(id, route);
    } else if (action === 'release') this.routes.delete(id);
    if (route === 'raw') return [{ key, action, timeUs }];
    return this.engine.process({ key, action, timeUs, device });
  }

  tick(nowUs: number): OutputEvent[] {
    return this.engine.tick(nowUs);
  }

  releaseAll(nowUs: number): OutputEvent[] {
    return this.engine.releaseAll(nowUs);
  }

  /** The input thread's 'swap': release everything, then a fresh engine that knows the devices. */
  swap(config: Config, nowUs: number): OutputEvent[] {
    const released = this.engine.releaseAll(nowUs);
    this.engine = new Engine(config, { trace: true });
    for (const [handle, identity] of this.identities) this.engine.describeDevice(handle, identity);
    return released;
  }
}

// ---------------------------------------------------------------- runs

type Op =
  | { op: 'press' | 'release' | 'repeat'; device: number; pick: number }
  | { op: 'glitch-press' | 'glitch-release'; device: number; pick: number }
  | { op: 'wait'; ms: number }
  | { op: 'releaseAll' }
  | { op: 'swap'; to: number }
  | { op: 'deviceAdded'; device: number }
  | { op: 'disable' | 'enable'; device: number }
  | { op: 'context'; ime: boolean; language: string };

export function randomOps(rng: Rng, configs: number, toggles: boolean): Op[] {
  const n = rng.range(0, 120);
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) {
    const device = rng.int(DEVICES.length);
    const pick = rng.int(1 << 30);
    ops.push(
      rng.weighted<() => Op>([
        [30, () => ({ op: 'press', device, pick })],
        [30, () => ({ op: 'release', device, pick })],
        [4, () => ({ op: 'repeat', device, pick })],
        [1, () => ({ op: 'glitch-press', device, pick })],
        [1, () => ({ op: 'glitch-release', device, pick })],
        [18, () => ({ op: 'wait', ms: rng.pick([0, 1, 5, 50, 150, 199, 200, 201, 299, 400]) })],
        [3, () => ({ op: 'releaseAll' })],
        [4, () => ({ op: 'swap', to: rng.int(configs) })],
        [2, () => ({ op: 'deviceAdded', device })],
        [toggles ? 3 : 0, () => ({ op: 'disable', device })],
        [toggles ? 3 : 0, () => ({ op: 'enable', device })],
        [1, () => ({ op: 'context', ime: rng.chance(0.5), language: rng.pick(['', 'ja', 'ko-KR', 'en']) })],
      ])(),
    );
  }
  return ops;
}

interface RunOutput {
  out: OutputEvent[];
  /** indexes into `out` right after each releaseAll/swap, with the keys pressed unmapped then */
  checkpoints: { at: number; raw: Set<number> }[];
  /** output keys that may stay down at the end: the modifiers of locked one-shots */
  latched?: Set<number>;
}

/** The modifier keys of one-shots still on once every key is up and every deadline passed: locked ones. */
export function latchedKeys(oneShots: string[]): Set<number> {
  return new Set(oneShots.filter((name) => !name.startsWith('MD_')).map(resolveKey));
}

/** Plays the ops, then releases every held input and lets every deadline pass. */
export function play(configs: Config[], ops: Op[]): RunOutput {
  const host = new HostModel(configs[0]);
  const out: OutputEvent[] = [];
  const checkpoints: RunOutput['checkpoints'] = [];
  const down = DEVICES.map(() => new Set<number>());
  let now = 1_000_000;
  const rawKeys = (): Set<number> =>
    new Set([...host.routes].filter(([, r]) => r === 'raw').map(([id]) => Number(id.split('\u0000')[1])));
  for (const op of ops) {
    switch (op.op) {
      case 'press':
      case 'release':
      case 'repeat':
      case 'glitch-press':
      case 'glitch-release': {
        const d = DEVICES[op.device];
        const held = down[op.device];
        let key: number;
        let action: 'press' | 'release' | 'repeat';
        if (op.op === 'glitch-press' || op.op === 'glitch-release') {
          // a lost event: a press of a held key, or a release of a key that is up
          key = CODES[op.pick % CODES.length];
          action = op.op === 'glitch-press' ? 'press' : 'release';
        } else {
          const candidates = CODES.filter((c) => (op.op === 'press' ? !held.has(c) : held.has(c)));
          if (candidates.length === 0) continue;
          key = candidates[op.pick % candidates.length];
          action = op.op;
        }
        if (action === 'press') held.add(key);
        else if (action === 'release') held.delete(key);
        out.push(...host.process(key, action, now, d));
        break;
      }
      case 'wait':
        now += op.ms * 1000;
        out.push(...host.tick(now));
        break;
      case 'releaseAll':
        out.push(...host.releaseAll(now));
        checkpoints.push({ at: out.length, raw: rawKeys() });
        break;
      case 'swap':
        out.push(...host.swap(configs[op.to], now));
        checkpoints.push({ at: out.length, raw: rawKeys() });
        break;
      case 'deviceAdded': {
        const handle = DEVICES[op.device];
        host.deviceAdded(handle, op.device === 0 ? 'Keyboard One' : 'Keyboard Two', `usb-${op.device}`);
        break;
      }
      case 'disable':
      case 'enable':
        host.setEnabled(DEVICES[op.device], op.op === 'enable');
        break;
      case 'context':
        host.engine.setContext({ ime: op.ime, language: op.language });
        break;
    }
  }
  // every input up, in a fixed order, then every deadline passes
  for (const [i, held] of down.entries())
    for (const key of [...held]) out.push(...host.process(key, 'release', now, DEVICES[i]));
  // (one deadline may start another: a macro's next wait, an armed one-shot's timeout)
  for (let deadline = host.engine.nextDeadline(), i = 0; deadline !== null && i < 1000; i++) {
    now = Math.max(now, deadline);
    out.push(...host.tick(now));
    deadline = host.engine.nextDeadline();
  }
  const s = host.engine.state();
  assert.equal(host.engine.nextDeadline(), null, 'a deadline remains once every key is up');
  assert.deepEqual(s.held, [], 'the engine still holds keys once every key is up');
  assert.deepEqual(s.pending, [], 'a tap-hold is still pending once every key is up');
  // a locked one-shot (tapped twice, with `lock`) keeps its modifier down by design
  const latched = latchedKeys(s.oneShots);
  assert.deepEqual(
    s.outputDown.filter((k) => !latched.has(k)),
    [],
    'the engine has output keys down once every key is up',
  );
  assert.deepEqual([...host.routes.keys()], [], 'presses without their release');
  return { out, checkpoints, latched };
}

/**
 * Checks an output stream; `strict` unless unmapped keys shared the output with mapped ones.
 * `inTimeOrder`: one clock for every event (the daemon's injected scripts run on a virtual one).
 */
export function checkStream(run: RunOutput, strict: boolean, inTimeOrder = true): void {
  const down = new Set<number>();
  const everPressed = new Set<number>();
  let last = -Infinity;
  let next = 0;
  const atCheckpoint = (i: number): void => {
    while (next < run.checkpoints.length && run.checkpoints[next].at === i) {
      const { raw } = run.checkpoints[next++];
      const stuck = [...down].filter((k) => !raw.has(k));
      assert.deepEqual(stuck, [], `output keys still down right after releaseAll/swap (event ${i})`);
    }
  };
  for (const [i, e] of run.out.entries()) {
    atCheckpoint(i);
    if (inTimeOrder) assert.ok(e.timeUs >= last, `event ${i} goes back in time`);
    last = e.timeUs;
    if (e.action === 'move') continue; // pointer motion holds nothing down
    if (e.action === 'press') {
      if (strict) assert.ok(!down.has(e.key), `event ${i}: press of key ${e.key}, which is already down`);
      down.add(e.key);
      everPressed.add(e.key);
    } else if (e.action === 'release') {
      if (strict) assert.ok(down.has(e.key), `event ${i}: release of key ${e.key}, which is not down`);
      else assert.ok(everPressed.has(e.key), `event ${i}: release of key ${e.key}, which was never pressed`);
      down.delete(e.key);
    } else if (strict) assert.ok(down.has(e.key), `event ${i}: repeat of key ${e.key}, which is not down`);
  }
  atCheckpoint(run.out.length);
  assert.deepEqual(
    [...down].filter((k) => !run.latched?.has(k)),
    [],
    'output keys left down after every input was released',
  );
}

export const engineTarget: SyncTarget = {
  name: 'engine',
  makeCase(rng: Rng, index: number): Case {
    const configs = Array.from({ length: rng.range(1, 3) }, () => randomConfig(rng));
    const toggles = rng.chance(0.3);
    const ops = randomOps(rng, configs.length, toggles);
    const counts = ops.reduce<Record<string, number>>((c, o) => ((c[o.op] = (c[o.op] ?? 0) + 1), c), {});
    return {
      category: toggles ? 'swaps + device toggles' : 'swaps + releaseAll',
      label: `${configs.length} config(s), ${ops.length} ops (${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
      execute() {
        const run = play(configs, ops);
        checkStream(run, !toggles);
        if (index % 4 === 0)
          assert.deepEqual(play(configs, ops).out, run.out, 'the same run gave other output');
      },
    };
  },
};
