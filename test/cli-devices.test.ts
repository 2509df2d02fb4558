/**
 * `keyrx devices …` and `keyrx diagnostics` as real processes: against a running daemon (devices
 * typed on through the virtual backend), and on the config directory directly when no daemon
 * runs; DELETE /api/devices/:id over a real socket, with what an attacker would send.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { daemonScope, freePort, runCli } from './support/daemon-process.ts';

const scope = daemonScope();

test('devices rename, disable, enable, set-layout and forget, by id, name or id prefix', async () => {
  const dir = scope.tempDir('keyrx-cli-devices-');
  const d = await scope.startDaemon(dir);
  const keyrx = (...args: string[]) =>
    runCli([...args, '--url', d.url, '--config-dir', dir], { env: { NO_COLOR: '1' } });
  await d.api('POST', '/api/inject?instant=true', { events: 'dev:kb-left d:A u:A dev:kb-right d:A u:A' });

  let r = await keyrx('devices', 'rename', 'kb-left', 'Laptop');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "renamed kb-left to 'Laptop'\n");
  // by its new name, any case
  r = await keyrx('devices', 'disable', 'laptop');
  assert.equal(r.stdout, 'Laptop: not remapped (its keys pass through unchanged)\n');
  await d.api('PUT', '/api/profiles/default', {
    source: 'device_start("*");\n map("A", "VK_B");\ndevice_end();\n',
  });
  await d.api('POST', '/api/profiles/default/activate');
  await d.api('POST', '/api/inject?instant=true', { events: 'dev:kb-left d:A u:A dev:kb-right d:A u:A' });
  const out = (await d.api('GET', '/api/output?limit=4')).json.events.map((e: { key: string }) => e.key);
  assert.deepEqual(out, ['A', 'A', 'B', 'B'], 'the disabled device types A, the other B');
  r = await keyrx('devices', 'enable', 'Laptop');
  assert.equal(r.stdout, 'Laptop: remapped\n');
  r = await keyrx('devices', 'set-layout', 'kb-r', 'iso');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'kb-right: layout iso-105\n');
  r = await keyrx('devices', 'set-layout', 'kb-right', 'none');
  assert.equal(r.stdout, 'kb-right: layout not set (the UI uses the default)\n');

  // ambiguous and unknown names are usage errors that list the devices
  r = await keyrx('devices', 'forget', 'kb-');
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /'kb-' names 2 devices; use an id:\n {2}kb-left {2}Laptop\n {2}kb-right {2}kb-right/,
  );
  r = await keyrx('devices', 'rename', 'nope', 'X');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no device 'nope'; the devices are:/);
  r = await keyrx('devices', 'set-layout', 'Laptop', 'no-such-layout');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no-such-layout/);

  // forget: the connected device stays, with its own name and remapped
  r = await keyrx('devices', 'forget', 'Laptop');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    'forgot the settings of Laptop (kb-left); it is connected, so it stays listed with the defaults\n',
  );
  const listed = JSON.parse((await keyrx('devices', 'list', '--json')).stdout).devices;
  assert.deepEqual(
    listed.map((x: { id: string; name: string; enabled: boolean }) => [x.id, x.name, x.enabled]),
    [
      ['kb-left', 'kb-left', true],
      ['kb-right', 'kb-right', true],
    ],
  );
  r = await keyrx('devices', 'forget', 'kb-left');
  assert.equal(r.stdout, 'kb-left (kb-left) has no saved settings: nothing to forget\n');
  assert.ok(!readFileSync(join(dir, 'devices.json'), 'utf8').includes('kb-left'));
  await d.stop();
});

test('devices commands work on the config directory when no daemon runs; a forgotten unplugged device is gone', async () => {
  const dir = scope.tempDir('keyrx-cli-devices-offline-');
  const d = await scope.startDaemon(dir);
  await d.api('POST', '/api/inject?instant=true', { events: 'dev:kb-old d:A u:A' });
  await d.api('PATCH', '/api/devices/kb-old', { name: 'Old board', layout: 'jis-109' });
  await d.stop();
  const port = String(await freePort());
  const offline = (...args: string[]) =>
    runCli([...args, '--config-dir', dir], { env: { KEYRX_PORT: port, NO_COLOR: '1' } });

  let r = await offline('devices', 'list');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `keyrx: no daemon is running: working on ${dir} directly\n`);
  assert.match(r.stdout, /^kb-old +Old board \(kb-old\) +yes +no +no +jis-109 +/m);
  r = await offline('devices', 'disable', 'Old board');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(readFileSync(join(dir, 'devices.json'), 'utf8')).devices['kb-old'].enabled, false);
  r = await offline('devices', 'forget', 'kb-old');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'forgot Old board (kb-old)\n');
  r = await offline('devices', 'list');
  assert.equal(r.stdout, 'no devices\n');
});

test('DELETE /api/devices/:id: unknown ids, traversal and oversized ids are refused; no token, no forgetting', async () => {
  const dir = scope.tempDir('keyrx-devices-api-');
  const d = await scope.startDaemon(dir);
  await d.api('POST', '/api/inject?instant=true', { events: 'dev:kb-1 d:A u:A' });
  await d.api('PATCH', '/api/devices/kb-1', { name: 'Mine' });
  const before = readFileSync(join(dir, 'devices.json'), 'utf8');
  for (const id of ['nope', '..%2Fdevices.json', '%2e%2e', 'kb-1%00', 'x'.repeat(300)]) {
    const r = await d.api('DELETE', `/api/devices/${id}`);
    assert.ok([400, 404].includes(r.status), `${id}: ${r.status}`);
    assert.equal(typeof r.json.error.code, 'string');
  }
  const anonymous = await fetch(`${d.url}/api/devices/kb-1`, { method: 'DELETE' });
  assert.equal(anonymous.status, 401);
  const foreign = await fetch(`${d.url}/api/devices/kb-1`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${d.token}`, origin: 'https://evil.example' },
  });
  assert.equal(foreign.status, 403);
  assert.equal(readFileSync(join(dir, 'devices.json'), 'utf8'), before, 'nothing was forgotten');
  const ok = await d.api('DELETE', '/api/devices/kb-1');
  assert.equal(ok.status, 200);
  assert.equal(ok.json.forgotten, true);
  assert.equal(ok.json.device.name, 'kb-1');
  await d.stop();
});

test('diagnostics: Markdown from a running daemon, --json, --output; from the config directory when none runs', async () => {
  const dir = scope.tempDir('keyrx-cli-diagnostics-');
  const d = await scope.startDaemon(dir);
  const keyrx = (...args: string[]) =>
    runCli([...args, '--url', d.url, '--config-dir', dir], { env: { NO_COLOR: '1' } });
  let r = await keyrx('diagnostics');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^## keyrx diagnostics \(/);
  assert.match(r.stdout, /- daemon: pid \d+, up \d+ s, backend virtual/);
  assert.ok(!r.stdout.includes(d.token), 'no token');
  r = await keyrx('diagnostics', '--json');
  assert.equal(JSON.parse(r.stdout).daemon.running, true);
  const file = join(dir, 'report.md');
  r = await keyrx('diagnostics', '--output', file);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /diagnostics written to .*report\.md \(the token, home directory, titles and keys are redacted\)/,
  );
  assert.match(readFileSync(file, 'utf8'), /^## keyrx diagnostics/);
  assert.equal(statSync(file).mode & 0o077, 0, 'private to its owner');
  await d.stop();

  const port = String(await freePort());
  r = await runCli(['diagnostics', '--config-dir', dir], { env: { KEYRX_PORT: port, NO_COLOR: '1' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `keyrx: no daemon is running: working on ${dir} directly\n`);
  assert.match(r.stdout, /- daemon: not running \(this report was made from the config directory\)/);
  assert.match(r.stdout, /- config dir: .*; 1 profile\(s\), active: default/);
});

test('state inspect: layers with their names, keys held, output down, suspended, context; --json', async () => {
  const dir = scope.tempDir('keyrx-cli-state-');
  const d = await scope.startDaemon(dir);
  const keyrx = (...args: string[]) =>
    runCli([...args, '--url', d.url, '--config-dir', dir], { env: { NO_COLOR: '1' } });
  await d.api('PUT', '/api/profiles/default', {
    source: [
      'layer_name("MD_00", "Nav");',
      'device_start("*");',
      '  map("CapsLock", "MD_00");',
      '  tap_hold("Space", "VK_Space", "VK_LShift", 200);',
      'device_end();',
      '',
    ].join('\n'),
  });
  await d.api('POST', '/api/profiles/default/activate');
  await d.api('PUT', '/api/context', { app: 'firefox' });
  await d.api('POST', '/api/inject?instant=true', { events: 'dev:kb-1 d:CapsLock d:Space' });
  let r = await keyrx('state', 'inspect');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^profile: +default$/m);
  assert.match(r.stdout, /^remapping: +on$/m);
  assert.match(r.stdout, /^layers held: +MD_00 \(Nav\)$/m);
  assert.match(r.stdout, /^keys held: +CapsLock \(kb-1\), Space \(kb-1\)$/m);
  // an instant injection lets deadlines pass: Space, held alone, became LShift
  assert.match(r.stdout, /^undecided: +-$/m);
  assert.match(r.stdout, /^output down: +LShift$/m);
  assert.match(r.stdout, /^context: +app firefox, title -, ime off, language -$/m);
  await d.api('POST', '/api/suspend');
  r = await keyrx('state', 'inspect', '--json');
  const json = JSON.parse(r.stdout);
  assert.equal(json.suspended, true);
  assert.deepEqual(json.modifiers, ['MD_00']);
  await d.stop();
});
