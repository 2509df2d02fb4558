/**
 * KeyRx's REST spellings over a real socket, each checked against the shape KeyRx 1.1's handler
 * returns (shared/reference/keyrx.md §3.5), and against our own route's state afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ListeningDaemon } from './helpers.ts';
import { fetchJson, startListeningDaemon } from './helpers.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: ListeningDaemon;
before(async () => {
  t = await startListeningDaemon();
});
after(async () => {
  await t.close();
});

const call = (method: string, path: string, body?: unknown) => fetchJson(t, method, path, body);

const keys = (o: object): string[] => Object.keys(o).sort();

test("version, latency and engine state in KeyRx's shapes", async () => {
  const v = await call('GET', '/api/version');
  assert.deepEqual(keys(v.json), ['build_time', 'platform', 'version']);
  assert.equal(v.json.version, (await call('GET', '/api/status')).json.version);
  const l = await call('GET', '/api/metrics/latency');
  assert.deepEqual(keys(l.json), ['avg_us', 'max_us', 'min_us', 'p95_us', 'p99_us']);
  await call('PUT', '/api/profiles/default', {
    source: 'device_start("*");\n  map("CapsLock", "MD_0A");\n  map("F1", "LK_01");\ndevice_end();\n',
  });
  await call('POST', '/api/profiles/default/activate');
  await call('POST', '/api/inject?instant=true', { events: 'd:F1 u:F1 d:CapsLock' });
  const s = await call('GET', '/api/daemon/state');
  assert.deepEqual(s.json, {
    active_layer: 'MD_0A',
    modifiers: ['MD_0A'],
    locks: ['LK_01'],
    active_modifier_count: 1,
    active_lock_count: 1,
  });
  await call('POST', '/api/inject?instant=true', { events: 'u:CapsLock d:F1 u:F1' });
  assert.equal((await call('GET', '/api/daemon/state')).json.active_layer, 'Base');
});

test('profile config get/put, rename with newName: KeyRx shapes; an invalid config is refused and nothing saved', async () => {
  await call('POST', '/api/profiles', { name: 'work', template: 'blank' });
  const got = await call('GET', '/api/profiles/work/config');
  assert.deepEqual(keys(got.json), ['name', 'source']);
  const source = 'device_start("*");\n  map("A", "VK_B");\ndevice_end();\n';
  assert.deepEqual((await call('PUT', '/api/profiles/work/config', { config: source })).json, {
    success: true,
  });
  assert.equal((await call('GET', '/api/profiles/work')).json.source, source);
  const bad = await call('PUT', '/api/profiles/work/config', { config: 'map("A", VK_B);' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'PROFILE_INVALID');
  assert.equal(
    (await call('GET', '/api/profiles/work/config')).json.source,
    source,
    'KeyRx kept the bad source; we do not',
  );
  assert.deepEqual((await call('PUT', '/api/profiles/work/rename', { newName: 'job' })).json, {
    success: true,
    profile: { name: 'job' },
  });
  assert.equal((await call('GET', '/api/profiles/work')).status, 404);
  assert.equal(
    (await call('PUT', '/api/profiles/job/rename', { name: 'x' })).status,
    400,
    "KeyRx's body only",
  );
});

test('device name and layout routes, KeyRx layout names; unknown devices 404', async () => {
  await call('POST', '/api/inject?instant=true', { events: 'dev:kb-1 d:A u:A' });
  assert.deepEqual((await call('PUT', '/api/devices/kb-1/name', { name: 'Desk' })).json, { success: true });
  assert.deepEqual((await call('PUT', '/api/devices/kb-1/layout', { layout: 'ISO_105' })).json, {
    success: true,
  });
  assert.deepEqual((await call('GET', '/api/devices/kb-1/layout')).json, { layout: 'iso-105' });
  const d = (await call('GET', '/api/devices')).json.devices.find((x: Json) => x.id === 'kb-1');
  assert.deepEqual([d.name, d.layout], ['Desk', 'iso-105']);
  assert.equal((await call('GET', '/api/devices/nope/layout')).status, 404);
  assert.equal((await call('PUT', '/api/devices/nope/name', { name: 'x' })).status, 404);
  assert.equal(
    (await call('PUT', '/api/devices/kb-1/layout', { layout: 'DVORAK' })).json.error.code,
    'LAYOUT_UNKNOWN',
  );
});

test("macro recorder and suspend routes in KeyRx's shapes", async () => {
  assert.deepEqual((await call('POST', '/api/macros/start-recording')).json, {
    success: true,
    message: 'recording started',
    event_count: 0,
  });
  await call('POST', '/api/inject?instant=true', { events: 'd:X u:X' });
  const stopped = await call('POST', '/api/macros/stop-recording');
  assert.deepEqual(stopped.json, { success: true, message: 'recording stopped', event_count: 2 });
  const events = await call('GET', '/api/macros/recorded-events');
  assert.deepEqual(keys(events.json), ['event_count', 'events', 'recording', 'success']);
  assert.deepEqual(
    events.json.events.map((e: Json) => [e.key, e.action]),
    [
      ['X', 'press'],
      ['X', 'release'],
    ],
  );
  assert.deepEqual((await call('POST', '/api/macros/clear')).json, { success: true });
  assert.equal((await call('GET', '/api/recording')).json.count, 0);
  assert.deepEqual((await call('POST', '/api/debug/suspend', { suspended: true })).json, {
    suspended: true,
    applied: true,
  });
  assert.equal((await call('GET', '/api/status')).json.suspended, true);
  assert.deepEqual((await call('POST', '/api/debug/suspend', { suspended: false })).json, {
    suspended: false,
    applied: true,
  });
});

test("status and active profile carry KeyRx's fields next to ours; none active is {active_profile: null}", async () => {
  await call('POST', '/api/profiles', { name: 'solo', template: 'blank' });
  await call('POST', '/api/profiles/solo/activate');
  await call('POST', '/api/inject?instant=true', { events: 'dev:kb-2 d:A u:A' });
  const s = (await call('GET', '/api/status')).json;
  assert.equal(s.status, 'running');
  assert.equal(s.daemon_running, true);
  assert.equal(s.active_profile, 'solo');
  assert.equal(s.active_profile, s.activeProfile);
  assert.equal(s.device_count, s.devices);
  assert.ok(s.device_count >= 1, 'the injected device is connected');
  assert.equal(s.uptime_secs, s.uptimeSec);
  const active = (await call('GET', '/api/profiles/active')).json;
  assert.equal(active.active_profile, 'solo');
  assert.equal(active.name, 'solo', 'our detail is still there');
  assert.equal(typeof active.source, 'string');
  await call('DELETE', '/api/profiles/solo?force=true');
  const none = await call('GET', '/api/profiles/active');
  assert.equal(none.status, 200);
  assert.deepEqual(none.json, { active_profile: null });
  assert.equal((await call('GET', '/api/status')).json.active_profile, null);
});

test('a layout by its KeyRx name is KLE raw data; by our id, our layout; an unknown KeyRx name 404s', async () => {
  const kle = await call('GET', '/api/layouts/ANSI_104');
  assert.equal(kle.status, 200);
  assert.ok(Array.isArray(kle.json), 'KeyRx answered the raw KLE array');
  assert.deepEqual(kle.json, (await call('GET', '/api/layouts/ansi-104/kle')).json);
  const ours = (await call('GET', '/api/layouts/ansi-104')).json;
  assert.equal(ours.id, 'ansi-104');
  assert.ok(Array.isArray(ours.keys));
  // a KeyRx custom layout, migrated under its lower-case id
  const custom = [
    ['Q', 'W'],
    ['A', 'S'],
  ];
  assert.equal((await call('PUT', '/api/layouts/my-board', { name: 'My Board', kle: custom })).status, 201);
  const byKeyrxName = await call('GET', '/api/layouts/My_Board');
  assert.equal(byKeyrxName.status, 200);
  assert.deepEqual(byKeyrxName.json, (await call('GET', '/api/layouts/my-board/kle')).json);
  const missing = await call('GET', '/api/layouts/DVORAK_42');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, 'LAYOUT_NOT_FOUND');
  assert.match(missing.json.error.message, /DVORAK_42/);
  // a traversal spelled as a KeyRx name is only ever a name in the layouts folder
  const sneaky = await call('GET', `/api/layouts/${encodeURIComponent('../../token')}`);
  assert.equal(sneaky.status, 404);
  assert.doesNotMatch(JSON.stringify(sneaky.json), /[0-9a-f]{32}/);
});
