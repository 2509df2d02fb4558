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
import type { Config } from '../../src/core/index.ts';
import { resolveKey } from '../../src/core/index.ts';
import { profileSource as printProfile } from '../../src/dsl/print.ts';
import { startTestDaemon } from '../server/helpers.ts';
import type { Rng, TargetResult } from './harness.ts';
import { caseRng, emptyResult, record } from './harness.ts';
import { checkStream, latchedKeys, randomConfig } from './engine-cases.ts';

const DEVICES = ['virtual', 'kb2'];
const KEYS = ['A', 'B', 'C', 'H', 'J', 'Space', 'CapsLock', 'Tab', 'Escape', 'LShift', 'LCtrl'];

// ---------------------------------------------------------------- configs as profiles

/** The Rhai source of a config (the daemon stores profiles as source), its devices named for the host. */
export function profileSource(config: Config): string {
  return printProfile({
    ...config,
    devices: config.devices.map((d) => ({
      ...d,
      pattern: d.pattern.replace('kb-one', 'virtual').replace('*two', 'kb*'),
    })),
  });
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
