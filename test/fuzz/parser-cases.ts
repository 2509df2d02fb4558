/**
 * The two parsers of outside input besides the DSL:
 *   - parseScript (src/core/script.ts), which reads POST /api/simulate and /api/inject bodies: any
 *     text gives steps or a ScriptSyntaxError naming a column inside the text, never another
 *     exception; the steps it gives run through simulate() without one either.
 *   - the WebSocket request handler (src/server/ws.ts), through real sockets to an in-process
 *     daemon: every well-formed frame — any text, JSON or not, any binary frame, up to the frame
 *     limit — gets exactly one reply, `ack` or `error` with a code, and the connection stays open.
 */
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { Config, ScriptStep } from '../../src/core/index.ts';
import {
  ALL_KEY_NAMES,
  KEY_CODE_LIMIT,
  MAX_SCRIPT_TOKENS,
  parseScript,
  ScriptSyntaxError,
  simulate,
} from '../../src/core/index.ts';
import { MAX_CLIENT_FRAME, TOPICS } from '../../src/server/ws.ts';
import { startTestDaemon } from '../server/helpers.ts';
import type { Case, Rng, SyncTarget, TargetResult } from './harness.ts';
import { caseRng, emptyResult, preview, record } from './harness.ts';
import { randomConfig } from './engine-cases.ts';
import { HANG_MS } from '../support/wait.ts';

// ---------------------------------------------------------------- simulation scripts

const KINDS = [
  'd',
  'u',
  'r',
  't',
  'D',
  'press',
  'release',
  'repeat',
  'down',
  'up',
  'wait',
  'dev',
  'device',
  'ime',
  'lang',
  'x',
  '',
  'T',
  'dev:',
];
const WAITS = [
  '0',
  '1',
  '12.5',
  '0.001',
  '86400000',
  '86400001',
  '-5',
  '1e3',
  'NaN',
  'Infinity',
  '1.',
  '.5',
  '99999999999999999999',
  '007',
  '',
];
const SEPARATORS = [
  ' ',
  ' ',
  ' ',
  ',',
  '\n',
  '\t',
  '\r\n',
  '  ',
  ', ',
  '\u00a0',
  '\v',
  '\f',
  '\u2028',
  '\u3000',
];

function scriptValue(rng: Rng, kind: string): string {
  switch (kind.toLowerCase()) {
    case 't':
    case 'wait':
      return rng.pick(WAITS);
    case 'ime':
      return rng.pick(['on', 'off', 'On', 'maybe', '']);
    case 'lang':
      return rng.pick(['ja', 'ko-KR', '', 'x'.repeat(300)]);
    case 'dev':
    case 'device':
      return rng.pick(['kb', '"My Keyboard"', '"unterminated', '""', '"a"b"c"', 'kb-*', '\u0000']);
    default: {
      const k = rng.pick(ALL_KEY_NAMES);
      return rng.weighted([
        [6, k],
        [2, `VK_${k}`],
        [1, `Code${rng.int(800)}`],
        [1, k.toLowerCase()],
        [1, rng.pick(['Nope', 'VK_', 'Code', 'Code0', 'Code768', '"A"', 'A:B', ''])],
      ]);
    }
  }
}

function scriptText(rng: Rng): string {
  if (rng.chance(0.1)) {
    // arbitrary characters
    return Array.from({ length: rng.int(60) }, () =>
      String.fromCharCode(rng.int(rng.chance(0.8) ? 128 : 0x10000)),
    ).join('');
  }
  const n = rng.int(rng.chance(0.9) ? 40 : 3000);
  let s = '';
  for (let i = 0; i < n; i++) {
    if (rng.chance(0.03)) s += `# comment ${rng.int(9)}\n`;
    const kind = rng.pick(KINDS);
    s += rng.chance(0.03) ? `${kind}${scriptValue(rng, kind)}` : `${kind}:${scriptValue(rng, kind)}`;
    s += rng.pick(SEPARATORS);
  }
  return s;
}

const EXTREME_SCRIPTS: (() => string)[] = [
  () => 'd:A '.repeat(MAX_SCRIPT_TOKENS),
  () => 'd:A '.repeat(MAX_SCRIPT_TOKENS + 1),
  () => `d:${'A'.repeat(1_000_000)}`,
  () => `dev:"${'x'.repeat(1_000_000)}"`,
  () => `dev:"${'x'.repeat(1_000_000)}`,
  () => ' '.repeat(1_000_000),
  () => '"'.repeat(100_001),
  () => '#'.repeat(1_000_000),
  () => 't:86400000 '.repeat(1000),
  () => '\u00a0d:A',
];

const SIM_CONFIG: Config = {
  version: 1,
  devices: [
    {
      pattern: '*',
      mappings: [
        { kind: 'tapHold', from: 'CapsLock', tap: 'Escape', hold: 0, thresholdMs: 200 },
        {
          kind: 'conditional',
          condition: { kind: 'modifier', id: 0 },
          mappings: [{ kind: 'simple', from: 'H', to: 'Left' }],
        },
      ],
    },
  ],
};

function checkParse(text: string, rng: Rng): void {
  let steps: ScriptStep[];
  try {
    steps = parseScript(text);
  } catch (e) {
    assert.ok(
      e instanceof ScriptSyntaxError,
      `not a ScriptSyntaxError: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    );
    assert.ok(
      Number.isInteger(e.column) && e.column >= 1 && e.column <= text.length,
      `column ${e.column} outside the ${text.length}-character text`,
    );
    assert.equal(typeof e.token, 'string');
    return;
  }
  assert.ok(steps.length <= MAX_SCRIPT_TOKENS, `${steps.length} steps`);
  for (const s of steps) {
    if (s.type === 'key')
      assert.ok(Number.isInteger(s.key) && s.key > 0 && s.key < KEY_CODE_LIMIT, `key code ${s.key}`);
    else if (s.type === 'wait')
      assert.ok(Number.isFinite(s.ms) && s.ms >= 0 && s.ms <= 86_400_000, `wait ${s.ms}`);
  }
  // what parses, runs (POST /api/simulate does exactly this)
  if (steps.length <= 5000) {
    const config = rng.chance(0.5) ? SIM_CONFIG : randomConfig(rng);
    const r = simulate(config, steps, { settle: rng.chance(0.5) });
    assert.equal(typeof r.output, 'string');
  }
}

export const scriptTarget: SyncTarget = {
  name: 'script',
  makeCase(rng: Rng, index: number): Case {
    if (index < EXTREME_SCRIPTS.length) {
      const text = EXTREME_SCRIPTS[index]();
      return {
        category: 'extreme',
        label: `extreme ${preview(text, 60)}`,
        execute: () => checkParse(text, rng),
      };
    }
    const text = scriptText(rng);
    return { category: 'random script', label: preview(text, 120), execute: () => checkParse(text, rng) };
  },
};

// ---------------------------------------------------------------- WebSocket requests

const OPS = [
  'ping',
  'subscribe',
  'unsubscribe',
  'Ping',
  'SUBSCRIBE',
  'publish',
  'inject',
  '',
  '__proto__',
  'constructor',
  'toString',
];

function jsonValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 3 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 1e308, 2 ** 53 + 1, -0]);
    case 3:
      return rng.pick(['', 'key', 'state', 'x', '\u0000', '😀', 'a'.repeat(300)]);
    case 4:
      return rng.pick(TOPICS);
    case 5:
      return rng.pick(['A', 'virtual', 'kb']);
    case 6:
      return Array.from({ length: rng.int(5) }, () => jsonValue(rng, depth + 1));
    case 7:
      return Object.fromEntries(
        Array.from({ length: rng.int(4) }, () => [
          rng.pick(['op', 'id', 'topics', 'filter', 'devices', 'keys', 'x', '__proto__']),
          jsonValue(rng, depth + 1),
        ]),
      );
    default:
      return rng.pick([[...TOPICS], ['key'], [], { devices: ['virtual'], keys: ['A'] }, { devices: null }]);
  }
}

/** A request: mostly a JSON object with plausible fields, sometimes anything at all. */
function wsFrame(rng: Rng): { data: string | Buffer; binary: boolean; what: string } {
  const kind = rng.weighted([
    [60, 'request'],
    [10, 'json'],
    [10, 'text'],
    [6, 'binary'],
    [4, 'deep'],
    [4, 'big'],
    [6, 'filter'],
  ] as const);
  switch (kind) {
    case 'request': {
      const m: Record<string, unknown> = {};
      if (rng.chance(0.9)) m.op = rng.chance(0.8) ? rng.pick(OPS) : jsonValue(rng);
      if (rng.chance(0.6))
        m.id = rng.chance(0.7) ? rng.pick([1, 'abc', 0, -5, 'x'.repeat(100)]) : jsonValue(rng);
      if (rng.chance(0.6))
        m.topics = rng.chance(0.6) ? [rng.pick(TOPICS), rng.pick([...TOPICS, 'nope'])] : jsonValue(rng);
      if (rng.chance(0.3)) m.filter = jsonValue(rng);
      if (rng.chance(0.1)) m[rng.pick(['extra', '__proto__', 'constructor'])] = jsonValue(rng);
      const text = JSON.stringify(m);
      return { data: text, binary: false, what: text };
    }
    case 'json': {
      const text = JSON.stringify(jsonValue(rng)) ?? 'null';
      return { data: text, binary: false, what: text };
    }
    case 'text': {
      const text = rng.chance(0.5)
        ? rng.pick([
            '',
            ' ',
            '{',
            '{"op":',
            'ping',
            '{"op":"ping"}}',
            '[1,',
            '\u0000',
            '\ud800',
            'null',
            'NaN',
            '1e999',
            '{"op":"ping","id":1e999}',
          ])
        : Array.from({ length: rng.int(40) }, () => String.fromCharCode(rng.int(0x10000))).join('');
      return { data: text, binary: false, what: text };
    }
    case 'binary': {
      const bytes = Buffer.from(Array.from({ length: rng.int(200) }, () => rng.int(256)));
      return {
        data: rng.chance(0.5) ? bytes : Buffer.from('{"op":"ping","id":1}'),
        binary: true,
        what: `${bytes.length} binary bytes`,
      };
    }
    case 'deep': {
      const depth = rng.pick([100, 1000, 10_000, 30_000]);
      const text = `{"op":"subscribe","topics":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      return { data: text, binary: false, what: `JSON nested ${depth} deep` };
    }
    case 'big': {
      // up to the frame limit: a well-formed frame however large it may be
      const room = MAX_CLIENT_FRAME - 40;
      const text = JSON.stringify({
        op: rng.pick(['ping', 'subscribe', 'nope']),
        id: 'x'.repeat(rng.range(room - 100, room)),
      });
      return { data: text, binary: false, what: `${text.length}-byte request` };
    }
    default: {
      const item = rng.pick(['A', 'x'.repeat(256), 'x'.repeat(257), 5]);
      // as many as fit in one frame
      const fits = Math.floor((MAX_CLIENT_FRAME - 100) / (JSON.stringify(item).length + 1));
      const n = Math.min(fits, rng.pick([10, 200, 999, 1000, 1001, 5000]));
      const text = JSON.stringify({
        op: 'subscribe',
        id: 7,
        topics: ['key'],
        filter: { [rng.pick(['devices', 'keys'])]: Array(n).fill(item) },
      });
      return { data: text, binary: false, what: `filter of ${n} × ${preview(String(item), 12)}` };
    }
  }
}

interface Reply {
  type: string;
  data: { id: unknown; code?: string; op?: string };
}

const ERROR_CODES = new Set(['BAD_MESSAGE', 'BAD_TOPIC', 'BAD_FILTER', 'UNKNOWN_OP']);

/** One client; requests go one at a time, each waiting for its reply. */
class FuzzClient {
  readonly ws: WebSocket;
  private replies: Reply[] = [];
  private wake: (() => void) | null = null;
  closed: { code: number; reason: string } | null = null;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (d, isBinary) => {
      assert.ok(!isBinary, 'the server sent a binary frame');
      const parsed = JSON.parse(String(d)) as Reply | Reply[];
      for (const m of Array.isArray(parsed) ? parsed : [parsed])
        if ((m.type === 'ack' || m.type === 'error') && m.data && 'id' in m.data) this.replies.push(m);
      this.wake?.();
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake?.();
    });
    this.ws.on('error', () => undefined);
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  async request(data: string | Buffer, binary: boolean): Promise<Reply> {
    this.ws.send(data, { binary });
    const deadline = Date.now() + HANG_MS;
    while (this.replies.length === 0) {
      if (this.closed)
        throw new Error(`the server closed the connection (${this.closed.code} ${this.closed.reason})`);
      if (Date.now() > deadline) throw new Error(`no reply within ${HANG_MS / 1000} s`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 100);
      });
      this.wake = null;
    }
    const reply = this.replies.shift()!;
    // exactly one reply: nothing else may follow for the same request
    await new Promise((r) => setImmediate(r));
    assert.equal(this.replies.length, 0, 'more than one reply to one request');
    return reply;
  }
}

/** Requests per connection: under the server's limit of 50 per second. */
const PER_CONNECTION = 40;

export async function runWsFuzz(run: { count: number; seed: number }): Promise<TargetResult> {
  const result = emptyResult('websocket', run.seed);
  const t0 = performance.now();
  const t = await startTestDaemon();
  try {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as { port: number };
    const url = `ws://127.0.0.1:${port}/ws?token=${t.token}`;
    let client: FuzzClient | null = null;
    let sinceOpen = 0;
    for (let index = 0; index < run.count; index++) {
      const rng = caseRng(run.seed, index);
      const frame = wsFrame(rng);
      const c = { category: frame.binary ? 'binary frame' : 'text frame', label: preview(frame.what, 100) };
      const start = performance.now();
      let error: unknown = null;
      try {
        // a fresh connection every PER_CONNECTION requests: its rate window starts afresh
        if (client === null || sinceOpen >= PER_CONNECTION) {
          client?.ws.close();
          client = new FuzzClient(url);
          await client.opened();
          sinceOpen = 0;
        }
        sinceOpen++;
        const reply: Reply = await client.request(frame.data, frame.binary);
        if (reply.type === 'error')
          assert.ok(
            ERROR_CODES.has(String(reply.data.code)),
            `error reply without a known code: ${JSON.stringify(reply.data).slice(0, 200)}`,
          );
        else
          assert.ok(
            ['ping', 'subscribe', 'unsubscribe'].includes(String(reply.data.op)),
            `ack of ${String(reply.data.op)}`,
          );
        if (frame.binary || typeof frame.data !== 'string') assert.equal(reply.data.code, 'BAD_MESSAGE');
        else {
          let parsed: unknown;
          try {
            parsed = JSON.parse(frame.data);
          } catch {
            parsed = undefined;
          }
          if (parsed === undefined || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
            assert.equal(reply.data.code, 'BAD_MESSAGE', 'not a JSON object: BAD_MESSAGE');
          else {
            const m = parsed as Record<string, unknown>;
            const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
            // (as JSON has it: 1e999 parses as Infinity and goes back as null)
            assert.deepEqual(
              reply.data.id,
              JSON.parse(JSON.stringify(id)),
              'the reply echoes the request id',
            );
            if (!['ping', 'subscribe', 'unsubscribe'].includes(m.op as string))
              assert.equal(reply.data.code, 'UNKNOWN_OP');
          }
        }
      } catch (e) {
        error = e;
        client?.ws.terminate();
        client = null;
      }
      record(result, index, c, performance.now() - start, error);
    }
    client?.ws.close();
    // the daemon is still fine: REST answers, a new connection gets its hello
    // the server listens: requests must name it (Host), as real ones do
    const status = await t.app.inject({
      method: 'GET',
      url: '/api/status',
      headers: { ...t.auth, host: `127.0.0.1:${port}` },
    });
    assert.equal(status.statusCode, 200, 'GET /api/status after the fuzzing');
    const last = new FuzzClient(url);
    await last.opened();
    const reply = await last.request(JSON.stringify({ op: 'ping', id: 'end' }), false);
    assert.equal(reply.type, 'ack');
    last.ws.close();
  } finally {
    await t.close();
  }
  result.durationMs = performance.now() - t0;
  return result;
}
