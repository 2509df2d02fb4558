/**
 * The global Suspend switch over real sockets: REST (fetch) and the WebSocket stream (ws) on
 * 127.0.0.1, with keys injected into the virtual backend and the output read back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { ListeningDaemon } from './helpers.ts';
import { fetchJson, startListeningDaemon } from './helpers.ts';
import { HANG_MS } from '../support/wait.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: ListeningDaemon;
let base = '';
before(async () => {
  t = await startListeningDaemon();
  base = t.host;
  await t.daemon.updateProfile(
    'default',
    'device_start("*");\n map("A", "VK_B");\n map("CapsLock", "MD_00");\n when_start("MD_00");\n map("H", "VK_Left");\n when_end();\ndevice_end();\n',
  );
});
after(async () => {
  await t.close();
});

const call = (method: string, path: string, body?: unknown) => fetchJson(t, method, path, body);

/** Injects a script at once; returns the output events it caused as `+B`/`-B`. */
async function typed(script: string): Promise<string[]> {
  const before = (await call('GET', '/api/output?limit=1000')).json.events.length;
  const r = await call('POST', '/api/inject?instant=true', { events: script });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const events = (await call('GET', '/api/output?limit=1000')).json.events as Json[];
  return events.slice(before).map((e) => `${e.action === 'press' ? '+' : '-'}${e.key}`);
}

function stream(): { ws: WebSocket; messages: Json[]; until: (p: (m: Json[]) => boolean) => Promise<void> } {
  const ws = new WebSocket(`ws://${base}/ws?token=${t.token}&topics=suspend,key`);
  const messages: Json[] = [];
  ws.on('message', (d) => {
    const parsed = JSON.parse(String(d));
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) messages.push(m);
  });
  return {
    ws,
    messages,
    async until(p) {
      const end = Date.now() + HANG_MS;
      while (!p(messages)) {
        if (Date.now() > end) throw new Error(`timeout; got ${JSON.stringify(messages.map((m) => m.type))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

test('suspend: every device types unmapped; a key held from before finishes through the engine; resume remaps', async () => {
  assert.deepEqual((await call('GET', '/api/suspend')).json, { suspended: false });
  assert.deepEqual(await typed('dev:kb-1 d:A u:A'), ['+B', '-B']);

  // A and CapsLock (a layer) held, then suspended
  assert.deepEqual(await typed('dev:kb-1 d:A d:CapsLock'), ['+B']);
  assert.deepEqual((await call('POST', '/api/suspend')).json, { suspended: true });
  assert.equal((await call('GET', '/api/status')).json.suspended, true);
  // new presses pass through on every device: A is A, H is H although the layer is on
  assert.deepEqual(await typed('dev:kb-2 d:A u:A dev:kb-1 d:H u:H'), ['+A', '-A', '+H', '-H']);
  // the held ones end where they began: B is released, the layer goes off
  assert.deepEqual(await typed('dev:kb-1 u:A u:CapsLock'), ['-B']);
  assert.deepEqual((await call('GET', '/api/state')).json.modifiers, []);

  // a key pressed while suspended and released after resuming comes up as itself
  assert.deepEqual(await typed('dev:kb-1 d:A'), ['+A']);
  assert.deepEqual((await call('POST', '/api/resume')).json, { suspended: false });
  assert.deepEqual(await typed('dev:kb-1 u:A'), ['-A']);
  assert.deepEqual(await typed('dev:kb-1 d:A u:A d:CapsLock d:H u:H u:CapsLock'), [
    '+B',
    '-B',
    '+Left',
    '-Left',
  ]);
  assert.equal((await call('GET', '/api/status')).json.suspended, false);
});

test('the stream: one suspend event per change (none for a repeat), the snapshot has the state, key records say passthrough', async () => {
  const s = stream();
  await s.until((m) => m.some((e) => e.type === 'snapshot'));
  assert.equal(s.messages.find((e) => e.type === 'snapshot').data.suspended, false);
  await call('POST', '/api/suspend');
  await call('POST', '/api/suspend'); // already suspended: no event
  await typed('dev:kb-1 d:A u:A');
  assert.deepEqual((await call('POST', '/api/suspend/toggle')).json, { suspended: false });
  assert.deepEqual((await call('POST', '/api/suspend/toggle')).json, { suspended: true });
  await call('POST', '/api/resume');
  await s.until((m) => m.filter((e) => e.type === 'suspend').length >= 4);
  await s.until((m) => m.filter((e) => e.type === 'key').length >= 2);
  assert.deepEqual(
    s.messages.filter((e) => e.type === 'suspend').map((e) => e.data),
    [
      { suspended: true, from: 'api' },
      { suspended: false, from: 'api' },
      { suspended: true, from: 'api' },
      { suspended: false, from: 'api' },
    ],
  );
  const keys = s.messages.filter((e) => e.type === 'key');
  assert.deepEqual(
    keys.map((k) => [
      k.data.key,
      k.data.action,
      k.data.decision,
      k.data.outputs.map((o: Json) => o.key).join(),
    ]),
    [
      ['A', 'press', 'passthrough', 'A'],
      ['A', 'release', 'passthrough', 'A'],
    ],
  );
  // a second client connecting while suspended sees it in its snapshot
  await call('POST', '/api/suspend');
  const late = stream();
  await late.until((m) => m.some((e) => e.type === 'snapshot'));
  assert.equal(late.messages.find((e) => e.type === 'snapshot').data.suspended, true);
  await call('POST', '/api/resume');
  s.ws.close();
  late.ws.close();
});

test('suspend routes need the token; a foreign Origin cannot switch remapping', async () => {
  for (const [method, path] of [
    ['GET', '/api/suspend'],
    ['POST', '/api/suspend'],
    ['POST', '/api/resume'],
    ['POST', '/api/suspend/toggle'],
  ]) {
    const anonymous = await fetch(`http://${base}${path}`, { method, signal: AbortSignal.timeout(HANG_MS) });
    assert.equal(anonymous.status, 401, `${method} ${path}`);
    if (method === 'GET') continue; // reads are not origin-checked (api.md § Origin rules)
    // a page on another site must not switch remapping off, even with the token
    const foreign = await fetch(`http://${base}${path}`, {
      method,
      headers: { ...t.auth, origin: 'https://evil.example' },
      signal: AbortSignal.timeout(HANG_MS),
    });
    assert.equal(foreign.status, 403, `${method} ${path} from a foreign origin`);
    assert.equal(((await foreign.json()) as Json).error.code, 'FORBIDDEN_ORIGIN');
  }
  // nothing was switched by the refused requests
  assert.deepEqual((await call('GET', '/api/suspend')).json, { suspended: false });
});
