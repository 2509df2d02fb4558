/**
 * The engine's host end to end: an in-process daemon with the virtual backend, random profiles,
 * and random runs of key input on two devices (POST /api/inject), profile swaps (activation),
 * devices disabled and enabled again (PATCH /api/devices/:id). This exercises the real EngineHost
 * of src/daemon/input-thread.ts, which test/fuzz/engine-cases.ts can only model.
 *
 * After each run every held key is released; then no output key may be down — in the output the
 * daemon records (the hub's key events) nor in the engine (GET /api/state) — and the output must be
 * well-formed (strictly so when no device was disabled during the run; see engine-cases.ts).
 */
import assert from 'node:assert/strict';
import type { BaseMapping, Condition, Config, ConditionItem, MacroStep } from '../../src/core/index.ts';
import { directionName, resolveKey } from '../../src/core/index.ts';
import { startTestDaemon } from '../server/helpers.ts';
import type { Rng, TargetResult } from './harness.ts';
import { caseRng, emptyResult, record } from './harness.ts';
import { checkStream, latchedKeys, randomConfig } from './engine-cases.ts';

const DEVICES = ['virtual', 'kb2'];
const KEYS = ['A', 'B', 'C', 'H', 'J', 'Space', 'CapsLock', 'Tab', 'Escape', 'LShift', 'LCtrl'];

// ---------------------------------------------------------------- configs as profiles

const hex = (id: number): string => id.toString(16).toUpperCase().padStart(2, '0');

function item(i: ConditionItem): string {
  switch (i.kind) {
    case 'modifier':
      return `"MD_${hex(i.id)}"`;
    case 'lock':
      return `"LK_${hex(i.id)}"`;
    case 'ime':
      return '"IME"';
    case 'lang':
      return `"LANG_${i.lang}"`;
    case 'app':
      return `"APP:${i.pattern}"`;
    case 'title':
      return `"TITLE:${i.pattern}"`;
  }
}

function opener(c: Condition): [string, string] {
  switch (c.kind) {
    case 'allOf':
      return [`when_start([${c.items.map(item).join(', ')}]);`, 'when_end();'];
    case 'noneOf':
      return [`when_not_start([${c.items.map(item).join(', ')}]);`, 'when_not_end();'];
    case 'device':
      return [`when_device_start("${c.pattern}");`, 'when_device_end();'];
    default:
      return [`when_start(${item(c)});`, 'when_end();'];
  }
}

const list = (keys: string[], prefix = 'VK_'): string => `[${keys.map((k) => `"${prefix}${k}"`).join(', ')}]`;

function tapHoldOptions(m: Extract<BaseMapping, { kind: 'tapHold' }>): string {
  const o: string[] = [];
  if (m.mode) o.push(`mode: "${m.mode}"`);
  if (m.quickTapMs !== undefined) o.push(`quick_tap_ms: ${m.quickTapMs}`);
  if (m.requirePriorIdleMs !== undefined) o.push(`require_prior_idle_ms: ${m.requirePriorIdleMs}`);
  if (m.oppositeHand)
    o.push(
      `opposite_hand: #{ left: ${list(m.oppositeHand.left, '')}, right: ${list(m.oppositeHand.right, '')} }`,
    );
  if (m.rollMs !== undefined) o.push(`roll_ms: ${m.rollMs}`);
  if (m.tapKeys) o.push(`tap_keys: ${list(m.tapKeys)}`);
  if (m.holdKeys) o.push(`hold_keys: ${list(m.holdKeys)}`);
  if (m.timeoutKey !== undefined) o.push(`timeout_action: "VK_${m.timeoutKey}"`);
  if (m.timeoutLayer !== undefined) o.push(`timeout_action: "MD_${hex(m.timeoutLayer)}"`);
  if (m.retroTap) o.push('retro_tap: true');
  if (m.tapHeld) o.push('tap_held: true');
  return o.length > 0 ? `, #{ ${o.join(', ')} }` : '';
}

function stepSource(st: MacroStep): string {
  return st.op === 'wait'
    ? `wait(${st.ms})`
    : st.op === 'text'
      ? `text(${JSON.stringify(st.text)})`
      : `${st.op}("VK_${st.key}")`;
}

function mappingLine(m: BaseMapping): string {
  switch (m.kind) {
    case 'simple':
      return `map("${m.from}", "VK_${m.to}");`;
    case 'modifier':
      return `map("${m.from}", "MD_${hex(m.id)}");`;
    case 'lock':
      return `map("${m.from}", "LK_${hex(m.id)}");`;
    case 'tapHold': {
      const hold = m.holdKey !== undefined ? `VK_${m.holdKey}` : `MD_${hex(m.hold ?? 0)}`;
      return `tap_hold("${m.from}", "VK_${m.tap}", "${hold}", ${m.thresholdMs}${tapHoldOptions(m)});`;
    }
    case 'holdOnly':
      return `hold_only("${m.from}", "MD_${hex(m.hold)}", ${m.thresholdMs});`;
    case 'modifiedOutput':
      return `map("${m.from}", with_mods("VK_${m.to}", ${m.shift}, ${m.ctrl}, ${m.alt}, ${m.win}));`;
    case 'sequence':
      return `sequence("${m.from}", ${list(m.keys)});`;
    case 'oneShot':
      return `one_shot("${m.from}", "${m.key !== undefined ? `VK_${m.key}` : `MD_${hex(m.layer ?? 0)}`}", ${m.timeoutMs}${m.lock ? ', #{ lock: true }' : ''});`;
    case 'combo': {
      const options = m.release === 'all' ? ', #{ release: "all" }' : '';
      if (m.layer !== undefined)
        return `combo(${list(m.keys, '')}, "MD_${hex(m.layer)}", ${m.windowMs}${options});`;
      return `combo(${list(m.keys, '')}, with_mods("VK_${m.to}", ${!!m.shift}, ${!!m.ctrl}, ${!!m.alt}, ${!!m.win}), ${m.windowMs}${options});`;
    }
    case 'tapDance': {
      const actions = m.actions.map((a) => {
        const hold =
          a.holdKey !== undefined
            ? `"VK_${a.holdKey}"`
            : a.holdLayer !== undefined
              ? `"MD_${hex(a.holdLayer)}"`
              : null;
        if (hold === null) return `"VK_${a.tap}"`;
        return a.tap === undefined ? hold : `#{ tap: "VK_${a.tap}", hold: ${hold} }`;
      });
      return `tap_dance("${m.from}", [${actions.join(', ')}], ${m.windowMs}${m.eager ? ', #{ eager: true }' : ''});`;
    }
    case 'macro':
      return `macro("${m.from}", [${m.steps.map(stepSource).join(', ')}]);`;
    case 'layerToggle':
      return `layer_toggle("${m.from}", "MD_${hex(m.id)}");`;
    case 'layerSwitch':
      return `layer_switch("${m.from}", "MD_${hex(m.id)}");`;
    case 'capsWord': {
      const o: string[] = [];
      if (m.shiftKeys) o.push(`shift_keys: ${list(m.shiftKeys)}`);
      if (m.continueKeys) o.push(`continue_keys: ${list(m.continueKeys)}`);
      const trigger = m.together !== undefined ? list([m.from, m.together]) : `"${m.from}"`;
      return `caps_word(${trigger}, ${m.timeoutMs}${o.length > 0 ? `, #{ ${o.join(', ')} }` : ''});`;
    }
    case 'autoShift':
      return `auto_shift(["${m.from}"], ${m.thresholdMs});`;
    case 'leader':
      return [
        `leader("${m.from}", ${m.timeoutMs});`,
        ...m.sequences.map(
          (q) => `leader_sequence(${list(q.keys, '')}, [${q.steps.map(stepSource).join(', ')}]);`,
        ),
      ].join(' ');
    case 'mouseMove':
      return `mouse_move("${m.from}", "${directionName(m.x, m.y)}", #{ speed: ${m.speed}, max_speed: ${m.maxSpeed}, accel_ms: ${m.accelMs} });`;
    case 'mouseWheel':
      return `mouse_wheel("${m.from}", "${directionName(m.x, m.y)}", #{ rate: ${m.rate} });`;
    case 'dynamicMacroRecord':
      return `dynamic_macro_record("${m.from}", ${m.slot});`;
    case 'dynamicMacroPlay':
      return `dynamic_macro_play("${m.from}", ${m.slot});`;
    case 'keyOverride':
      return `key_override(${list(m.mods, '')}, "${m.from}", "VK_${m.to}");`;
    case 'unicode':
      return `unicode("${m.from}", ${JSON.stringify(m.text)});`;
  }
}

/** The Rhai source of a config (the daemon stores profiles as source). */
export function profileSource(config: Config): string {
  const lines: string[] = [];
  for (const d of config.devices) {
    lines.push(`device_start("${d.pattern.replace('kb-one', 'virtual').replace('*two', 'kb*')}");`);
    for (const m of d.mappings) {
      if (m.kind !== 'conditional') lines.push(`  ${mappingLine(m)}`);
      else {
        const [open, close] = opener(m.condition);
        lines.push(`  ${open}`, ...m.mappings.map((b) => `    ${mappingLine(b)}`), `  ${close}`);
      }
    }
    lines.push('device_end();');
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- runs

type Api = (
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  payload?: object,
) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface HostRun {
  api: Api;
  profiles: string[];
  outputs: { key: string; action: 'press' | 'release' | 'repeat' | 'move'; timeUs: number }[];
}

async function playRun(h: HostRun, rng: Rng): Promise<{ toggles: boolean; steps: number }> {
  const held = DEVICES.map(() => new Set<string>());
  const seen = new Set<string>();
  let toggles = false;
  const n = rng.range(1, 14);
  for (let i = 0; i < n; i++) {
    const what = rng.weighted([
      [10, 'inject'],
      [3, 'swap'],
      [2, 'toggle'],
      [1, 'sleep'],
    ] as const);
    if (what === 'inject') {
      const d = rng.int(DEVICES.length);
      const steps: string[] = [`dev:${DEVICES[d]}`];
      for (let k = rng.range(1, 8); k > 0; k--) {
        const key = rng.pick(KEYS);
        if (rng.chance(0.25)) steps.push(`t:${rng.pick([1, 50, 199, 250, 400])}`);
        if (held[d].has(key)) {
          steps.push(rng.chance(0.15) ? `r:${key}` : `u:${key}`);
          if (!steps[steps.length - 1].startsWith('r:')) held[d].delete(key);
        } else {
          steps.push(`d:${key}`);
          held[d].add(key);
        }
      }
      seen.add(DEVICES[d]);
      const r = await h.api('POST', `/api/inject?instant=${rng.chance(0.8)}`, { events: steps.join(' ') });
      assert.equal(r.status, 200, `inject: ${JSON.stringify(r.body)}`);
    } else if (what === 'swap') {
      const name = rng.pick(h.profiles);
      const r = await h.api('POST', `/api/profiles/${name}/activate`);
      assert.equal(r.status, 200, `activate ${name}: ${JSON.stringify(r.body)}`);
    } else if (what === 'toggle' && seen.size > 0) {
      const id = rng.pick([...seen]);
      const r = await h.api('PATCH', `/api/devices/${id}`, { enabled: rng.chance(0.5) });
      assert.equal(r.status, 200, `PATCH /api/devices/${id}: ${JSON.stringify(r.body)}`);
      toggles = true;
    } else if (what === 'sleep') {
      // real time passes: tap-hold deadlines fire from the input thread's own timer
      await new Promise((resolve) => setTimeout(resolve, rng.pick([0, 20, 120])));
    }
  }
  // every key up, on its own device (its release goes the way its press went)
  for (const [d, keys] of held.entries())
    if (keys.size > 0) {
      const r = await h.api('POST', '/api/inject?instant=true', {
        events: `dev:${DEVICES[d]} ${[...keys].map((k) => `u:${k}`).join(' ')}`,
      });
      assert.equal(r.status, 200);
    }
  return { toggles, steps: n };
}

/** Longest real-time wait for the engine to settle after a run (deadlines are at most about a second). */
const SETTLE_LIMIT_MS = 30_000;

/** Nothing held, held back or waiting to be released but what a locked one-shot keeps down. */
function settled(state: {
  held: unknown[];
  queued: number;
  outputDown: string[];
  oneShots: string[];
}): boolean {
  const latched = latchedKeys(state.oneShots);
  return (
    state.held.length === 0 && state.queued === 0 && state.outputDown.every((k) => latched.has(resolveKey(k)))
  );
}

export async function runHostFuzz(run: { count: number; seed: number }): Promise<TargetResult> {
  const result = emptyResult('daemon host', run.seed);
  const t0 = performance.now();
  const t = await startTestDaemon();
  try {
    const api: Api = async (method, url, payload) => {
      const r = await t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });
      return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null };
    };
    const outputs: HostRun['outputs'] = [];
    t.daemon.hub.subscribe((e) => {
      if (e.type !== 'key') return;
      for (const o of (e.data as { outputs: HostRun['outputs'] }).outputs) outputs.push(o);
    });
    // a few random profiles, compiled by the daemon like any other
    const profiles: string[] = [];
    const setup = caseRng(run.seed, -1);
    for (let i = 0; i < 5; i++) {
      const name = `fuzz-${i}`;
      const r = await api('POST', '/api/profiles', { name, source: profileSource(randomConfig(setup)) });
      assert.equal(r.status, 201, `create ${name}: ${JSON.stringify(r.body).slice(0, 500)}`);
      profiles.push(name);
    }
    const h: HostRun = { api, profiles, outputs };
    for (let index = 0; index < run.count; index++) {
      const rng = caseRng(run.seed, index);
      const start = performance.now();
      let error: unknown = null;
      let label = `run ${index}`;
      let category = 'swaps';
      try {
        await api('POST', `/api/profiles/${rng.pick(profiles)}/activate`);
        outputs.length = 0;
        const { toggles, steps } = await playRun(h, rng);
        category = toggles ? 'swaps + device toggles' : 'swaps';
        label = `run ${index}: ${steps} steps${toggles ? ', devices toggled' : ''}`;
        // deadlines after the last input run in real time (a macro's wait, an armed one-shot's
        // timeout): wait for the engine to settle; the limit only catches a hang
        let state = await api('GET', '/api/state');
        for (const end = Date.now() + SETTLE_LIMIT_MS; Date.now() < end && !settled(state.body);) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          state = await api('GET', '/api/state');
        }
        // a locked one-shot keeps its modifier down by design
        const latched = latchedKeys(state.body.oneShots);
        assert.deepEqual(
          (state.body.outputDown as string[]).filter((k) => !latched.has(resolveKey(k))),
          [],
          `GET /api/state: output keys down once every key is up: ${JSON.stringify(state.body)}`,
        );
        assert.deepEqual(state.body.held, [], 'GET /api/state: keys held once every key is up');
        checkStream(
          {
            // pointer motion names an axis, not a key (checkStream skips it)
            out: outputs.map((o) => ({
              key: o.action === 'move' ? 0 : resolveKey(o.key),
              action: o.action,
              timeUs: o.timeUs,
            })),
            checkpoints: [],
            latched,
          },
          !toggles,
          false,
        );
      } catch (e) {
        error = e;
      } finally {
        for (const id of DEVICES) await api('PATCH', `/api/devices/${id}`, { enabled: true });
      }
      record(result, index, { category, label }, performance.now() - start, error);
    }
  } finally {
    await t.close();
  }
  result.durationMs = performance.now() - t0;
  return result;
}
