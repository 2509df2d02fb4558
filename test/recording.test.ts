/**
 * Macro recording: the recorder and its conversion to macro steps (bounded by counts, not time),
 * then through a real daemon: REST, the stream, the CLI (`keyrx record …`), a saved macro that
 * replays what was recorded; and that the diagnostics report never carries it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import {
  MacroRecorder,
  macroSteps,
  MAX_RECORDED_EVENTS,
  MAX_RECORDING_MS,
  stepsText,
} from '../src/daemon/macro-recorder.ts';
import { daemonScope, runCli } from './support/daemon-process.ts';
import { HANG_MS } from './support/wait.ts';

const scope = daemonScope();
const T0 = 1_800_000_000_000_000; // µs

function key(ms: number, k: string, action: string, outputs: [number, string, string][] = [[ms, k, action]]) {
  return {
    wallUs: T0 + ms * 1000,
    device: 'kb',
    key: k,
    action,
    outputs: outputs.map(([at, o, a]) => ({ key: o, action: a, timeUs: T0 + at * 1000 })),
  };
}

test('steps: taps, pauses, held keys released at the end, releases of keys pressed before dropped', () => {
  const r = new MacroRecorder();
  r.start(T0);
  r.record(key(0, 'X', 'release')); // pressed before the recording began
  r.record(key(5, 'LShift', 'press'));
  r.record(key(6, 'A', 'press', [[6, 'B', 'press']]));
  r.record(key(8, 'A', 'release', [[8, 'B', 'release']]));
  r.record(key(9, 'A', 'repeat', [[9, 'B', 'repeat']])); // repeats are not kept
  r.record(key(60, 'C', 'press'));
  r.record(key(120, 'C', 'release'));
  const events = r.snapshot().events;
  assert.equal(events.length, 6);
  // outputs: Shift down, B tapped (2 ms: under the 10 ms default), a 52 ms pause, C held 60 ms; Shift released
  assert.equal(
    stepsText(macroSteps(events)),
    'press:VK_LShift tap:VK_B wait:52 press:VK_C wait:60 release:VK_C release:VK_LShift',
  );
  // the keys pressed instead of the outputs; every pause kept
  assert.equal(
    stepsText(macroSteps(events, { source: 'input', minWaitMs: 0 })),
    'press:VK_LShift wait:1 press:VK_A wait:2 release:VK_A wait:52 press:VK_C wait:60 release:VK_C release:VK_LShift',
  );
  // steps name keys as a compiled macro(…) does (what PUT …/keys/:key takes); the text adds VK_
  assert.deepEqual(macroSteps(events)[1], { op: 'tap', key: 'B' });
  assert.deepEqual(macroSteps([]), []);
});

test('the recorder is bounded: it stops by itself at 5000 events and after 10 minutes; a timer decision adds outputs', () => {
  const stops: string[] = [];
  const r = new MacroRecorder((by) => stops.push(by));
  r.start(T0);
  for (let i = 0; i < MAX_RECORDED_EVENTS + 10; i++) r.record(key(i, 'A', i % 2 === 0 ? 'press' : 'release'));
  assert.equal(r.snapshot().count, MAX_RECORDED_EVENTS);
  assert.deepEqual([r.recording, r.snapshot().stoppedBy, stops], [false, 'limit', ['limit']]);

  const t = new MacroRecorder((by) => stops.push(by));
  t.start(T0);
  t.record(key(10, 'CapsLock', 'press', []));
  t.record(key(210, 'CapsLock', 'timeout', [[210, 'LCtrl', 'press']]));
  assert.deepEqual(t.snapshot().events[0].outputs, [{ atMs: 210, key: 'LCtrl', action: 'press' }]);
  t.record(key(MAX_RECORDING_MS + 1, 'A', 'press'));
  assert.deepEqual([t.recording, t.snapshot().stoppedBy, t.snapshot().count], [false, 'time', 1]);
  t.clear();
  assert.equal(t.snapshot().count, 0);
});

test('through the daemon: record over REST and the CLI, the stream says so, save the recording as a macro, it replays', async () => {
  const dir = scope.tempDir('keyrx-recording-');
  const d = await scope.startDaemon(dir);
  const keyrx = (...args: string[]) =>
    runCli([...args, '--url', d.url, '--config-dir', dir], { env: { NO_COLOR: '1' } });
  await d.api('PUT', '/api/profiles/default', {
    source: 'device_start("*");\n  map("A", "VK_B");\ndevice_end();\n',
  });
  await d.api('POST', '/api/profiles/default/activate');

  const ws = new WebSocket(`${d.url.replace('http', 'ws')}/ws?token=${d.token}&topics=recording`);
  const seen: { recording: boolean; count: number }[] = [];
  ws.on('message', (m) => {
    for (const e of [JSON.parse(String(m))].flat()) if (e.type === 'recording') seen.push(e.data);
  });
  await new Promise((resolve) => ws.once('open', resolve));

  let r = await keyrx('record', 'start');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^recording: type the macro/);
  await d.api('POST', '/api/inject?instant=true', { events: 'd:A u:A d:C u:C' });
  r = await keyrx('record', 'stop');
  assert.equal(r.stdout, 'stopped: 4 key events recorded (keyrx record macro shows them as steps)\n');
  const rec = (await d.api('GET', '/api/recording')).json;
  assert.deepEqual(
    rec.events.map((e: { key: string; action: string; outputs: { key: string }[] }) => [
      e.key,
      e.action,
      e.outputs.map((o) => o.key).join(),
    ]),
    [
      ['A', 'press', 'B'],
      ['A', 'release', 'B'],
      ['C', 'press', 'C'],
      ['C', 'release', 'C'],
    ],
  );
  r = await keyrx('record', 'macro');
  assert.equal(r.stdout, 'tap:VK_B tap:VK_C\n');
  r = await keyrx('record', 'macro', '--input');
  assert.equal(r.stdout, 'tap:VK_A tap:VK_C\n');
  r = await keyrx('record', 'show');
  assert.match(r.stdout, /4 key events\n\s+\+\d+ ms {2}d:A {2}\(virtual\) → d:B\n/);

  // saved as F5's macro, F5 types what was recorded
  r = await keyrx('record', 'save', 'default', 'F5');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^saved 'default': F5 → /);
  assert.match(
    (await d.api('GET', '/api/profiles/default')).json.source,
    /macro\("F5", \[tap\("VK_B"\), tap\("VK_C"\)\]\);/,
  );
  await d.api('POST', '/api/inject?instant=true', { events: 'd:F5 u:F5' });
  const out = (await d.api('GET', '/api/output?limit=4')).json.events.map(
    (e: { key: string; action: string }) => `${e.action === 'press' ? 'd' : 'u'}:${e.key}`,
  );
  assert.deepEqual(out, ['d:B', 'u:B', 'd:C', 'u:C']);

  // the diagnostics report never carries it
  const diag = JSON.stringify((await d.api('GET', '/api/diagnostics')).json);
  assert.ok(!diag.includes('"atMs"'));
  r = await keyrx('record', 'clear');
  assert.equal(r.stdout, 'recording cleared\n');
  r = await keyrx('record', 'macro');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nothing recorded: keyrx record start, type, keyrx record stop/);
  const end = Date.now() + HANG_MS;
  while (seen.length < 3 && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
  assert.deepEqual(
    seen.map((s) => [s.recording, s.count]),
    [
      [true, 0],
      [false, 4],
      [false, 0],
    ],
  );
  ws.close();
  await d.stop();
});
