/**
 * `.krx` decoding beyond test/dsl/krx.test.ts (which covers random bytes, every bit flip and every
 * truncation of one file): here the payload is mutated as JSON and as text and then sealed with a
 * correct length and hash, so every case reaches the JSON parser and the config validation.
 *
 * Every case gives a value or a KrxError, nothing else; and what the decoder accepts, the engine
 * must run: a decoded config loads into an Engine, processes input and releases everything without
 * an exception, and decodes to itself again after re-encoding.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Config } from '../../src/core/index.ts';
import { ALL_KEY_NAMES, BASE_MAPPING_KINDS, Engine } from '../../src/core/index.ts';
import { compileProfile } from '../../src/dsl/compile.ts';
import { decodeKrx, encodeKrx, KRX_HEADER_SIZE, KrxError } from '../../src/dsl/krx.ts';
import type { Case, Rng, SyncTarget, TargetOptions } from './harness.ts';
import { preview } from './harness.ts';
import { randomConfig } from './engine-cases.ts';

const SOURCE_HASH = 'ab'.repeat(32);
/** node:crypto for speed (the daemon injects it too); the portable hash is checked against it elsewhere */
const hash = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest();

/** A valid header with a correct length and payload hash around any payload bytes. */
export function seal(payload: Uint8Array): Uint8Array {
  const header = encodeKrx({ version: 1, devices: [] }, SOURCE_HASH, { hash }).subarray(0, KRX_HEADER_SIZE);
  const out = new Uint8Array(KRX_HEADER_SIZE + payload.length);
  out.set(header);
  out.set(payload, KRX_HEADER_SIZE);
  new DataView(out.buffer).setUint32(88, payload.length, true);
  out.set(hash(payload), 56);
  return out;
}

const RANDOM_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1,
  1.5,
  254,
  255,
  256,
  65535,
  65536,
  1e308,
  -0,
  '',
  'A',
  'VK_A',
  'Nope',
  'Code0',
  'Code767',
  'Code768',
  '__proto__',
  'constructor',
  'toString',
  '*',
  [],
  {},
  [1],
  ['A'],
  { kind: 'simple' },
  { kind: 'conditional' },
  { __proto__: { kind: 'simple', from: 'A', to: 'B' } },
];
const KINDS = [...BASE_MAPPING_KINDS, 'conditional'];
const FIELDS = [
  'kind',
  'from',
  'to',
  'id',
  'tap',
  'hold',
  'thresholdMs',
  'keys',
  'shift',
  'condition',
  'mappings',
];

function randomValue(rng: Rng): unknown {
  if (rng.chance(0.2)) return rng.pick(KINDS);
  if (rng.chance(0.2)) return rng.pick(ALL_KEY_NAMES);
  return structuredClone(rng.pick(RANDOM_VALUES));
}

/** All containers (objects and arrays) of a JSON value, with their parents. */
function containers(v: unknown, out: (Record<string, unknown> | unknown[])[] = []): typeof out {
  if (v !== null && typeof v === 'object') {
    out.push(v as Record<string, unknown>);
    for (const child of Object.values(v)) containers(child, out);
  }
  return out;
}

const MAX_PAYLOAD_TEXT = 4_000_000;

/** Mutates a copy of `start`, op by op; an op that would make the payload too big is undone. */
function mutateJson(rng: Rng, start: unknown): { text: string; ops: string[] } {
  const ops: string[] = [];
  let text = JSON.stringify(start);
  const n = rng.range(1, 4);
  for (let i = 0; i < n; i++) {
    const root: unknown = JSON.parse(text);
    const done = ops.length;
    mutateOnce(rng, root, ops);
    let next: string | undefined;
    try {
      next = JSON.stringify(root);
    } catch {
      next = undefined; // too big to be a string at all
    }
    if (next !== undefined && next.length <= MAX_PAYLOAD_TEXT) text = next;
    else ops.length = done;
  }
  return { text, ops };
}

function mutateOnce(rng: Rng, root: unknown, ops: string[]): void {
  {
    const all = containers(root);
    const c = rng.pick(all);
    if (Array.isArray(c)) {
      const at = rng.int(c.length + 1);
      switch (rng.int(4)) {
        case 0:
          c.splice(at, 1);
          ops.push('delete element');
          break;
        case 1:
          if (c.length > 0) c.splice(at, 0, structuredClone(c[rng.int(c.length)]));
          ops.push('duplicate element');
          break;
        case 2:
          c[at] = randomValue(rng);
          ops.push(`set element to ${preview(JSON.stringify(c[at]) ?? '', 24)}`);
          break;
        default:
          if (c.length > 0) c.push(...Array<unknown>(rng.pick([10, 1000, 20_000])).fill(c[0]));
          ops.push('many copies');
      }
    } else {
      const keys = Object.keys(c);
      const k = rng.chance(0.7) && keys.length > 0 ? rng.pick(keys) : rng.pick(FIELDS);
      switch (rng.int(4)) {
        case 0:
          delete c[k];
          ops.push(`delete .${k}`);
          break;
        case 1:
          c[k] = randomValue(rng);
          ops.push(`.${k} = ${preview(JSON.stringify(c[k]) ?? '', 24)}`);
          break;
        case 2:
          c[rng.pick(FIELDS)] = c[k];
          ops.push(`copy .${k}`);
          break;
        default:
          c[k] = rng.chance(0.5) ? [c[k]] : { kind: 'allOf', items: [c[k]] };
          ops.push(`wrap .${k}`);
      }
    }
  }
}

function mutateText(rng: Rng, text: string): { text: string; op: string } {
  const at = rng.int(text.length + 1);
  switch (rng.int(5)) {
    case 0:
      return { text: text.slice(0, at), op: `truncate at ${at}` };
    case 1:
      return { text: text.slice(0, at) + text.slice(at + rng.range(1, 8)), op: `delete at ${at}` };
    case 2: {
      const s = rng.pick([
        '{',
        '}',
        '[',
        ']',
        ',',
        ':',
        '"',
        '\\',
        '0',
        '-',
        'e',
        '\u0000',
        '\ud800',
        '😀',
        'null',
      ]);
      return { text: text.slice(0, at) + s + text.slice(at), op: `insert ${preview(s, 10)} at ${at}` };
    }
    case 3:
      return { text: text.replace(/"(\w+)"/, '"$1\\u0000"'), op: 'NUL in a name' };
    default: {
      const code = (text.charCodeAt(at) || 32) ^ (1 << rng.int(7));
      return {
        text: text.slice(0, at) + String.fromCharCode(code) + text.slice(at + 1),
        op: `flip at ${at}`,
      };
    }
  }
}

/** A decoded config must run: events in, everything released, no exception. */
function exercise(config: Config, rng: Rng): void {
  const engine = new Engine(config);
  let t = 0;
  for (let i = 0; i < 30; i++) {
    const key = rng.range(1, 130);
    engine.process({ key, action: 'press', timeUs: (t += rng.int(300_000)), device: rng.pick(['kb', 'x']) });
    if (rng.chance(0.7)) engine.process({ key, action: 'release', timeUs: (t += rng.int(300_000)) });
  }
  engine.releaseAll(t);
  assert.deepEqual(engine.state().outputDown, [], 'output keys down after releaseAll');
}

function decodeOrKrxError(bytes: Uint8Array, rng: Rng): 'value' | 'error' {
  let config: Config;
  try {
    config = decodeKrx(bytes, { hash }).config;
  } catch (e) {
    assert.ok(
      e instanceof KrxError,
      `not a KrxError: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    );
    return 'error';
  }
  exercise(config, rng);
  const again = decodeKrx(encodeKrx(config, SOURCE_HASH, { hash }), { hash }).config;
  assert.deepEqual(again, config, 'a decoded config must decode to itself after re-encoding');
  return 'value';
}

const EXAMPLE_CONFIGS: Config[] = [
  'device_start("*"); tap_hold("CapsLock", "VK_Escape", "MD_00", 200); when_start("MD_00"); map("H", "VK_Left"); when_end(); device_end();',
  'device_start("kb-*"); map("A", with_shift("VK_B")); sequence("F1", ["VK_H", "VK_I"]); hold_only("Space", "MD_01"); when_start(["MD_01", "LK_02"]); map("J", "VK_Down"); when_end(); when_device_start("*two"); map("C", "VK_D"); when_device_end(); device_end();',
].map((src) => compileProfile(src).config!);

const encoder = new TextEncoder();

export const krxTarget: SyncTarget = {
  name: 'krx',
  makeCase(rng: Rng, _index: number, opts: TargetOptions): Case {
    const base = rng.chance(0.3) ? structuredClone(rng.pick(EXAMPLE_CONFIGS)) : randomConfig(rng);
    const kind = rng.weighted([
      [10, 'roundtrip'],
      [55, 'json'],
      [25, 'text'],
      [5, 'deep'],
      [5, 'bytes'],
    ] as const);
    let payload: Uint8Array;
    let label: string;
    switch (kind) {
      case 'roundtrip':
        payload = encoder.encode(JSON.stringify(base));
        label = 'valid config';
        break;
      case 'json': {
        const m = mutateJson(rng, base);
        payload = encoder.encode(m.text);
        label = `mutated JSON: ${m.ops.join(', ')}`;
        break;
      }
      case 'text': {
        const m = mutateText(rng, JSON.stringify(base));
        payload = encoder.encode(m.text);
        label = `mutated text: ${m.op}`;
        break;
      }
      case 'deep': {
        const depth = rng.pick(opts.full ? [1000, 100_000, 1_000_000] : [1000, 10_000, 100_000]);
        const open = rng.pick(['[', '{"devices":', '{"version":1,"devices":[{"pattern":"*","mappings":[']);
        payload = encoder.encode(open + '['.repeat(depth) + ']'.repeat(depth));
        label = `${depth} nested arrays`;
        break;
      }
      default: {
        payload = new Uint8Array(rng.range(0, 4096)).map(() => rng.int(256));
        label = `${payload.length} random payload bytes`;
      }
    }
    const bytes = seal(payload);
    return {
      category:
        kind === 'roundtrip' ? 'valid config' : kind === 'bytes' ? 'random payload' : `mutated ${kind}`,
      label,
      execute() {
        const outcome = decodeOrKrxError(bytes, rng);
        if (kind === 'roundtrip') assert.equal(outcome, 'value', 'a valid config must decode');
      },
    };
  },
};
