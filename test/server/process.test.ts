/** The daemon as a real process over real HTTP: restarts, SIGKILL, signals, hot reload. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliEntry, daemonScope, ROOT } from '../support/daemon-process.ts';

const { tempDir, startDaemon } = daemonScope();

test('the last acknowledged activation survives SIGKILL', async () => {
  const dir = tempDir('keyrx-restart-');
  const first = await startDaemon(dir);
  assert.equal(
    (await first.api('POST', '/api/profiles', { name: 'nav', template: 'vim_navigation' })).status,
    201,
  );
  assert.equal(
    (await first.api('POST', '/api/profiles', { name: 'caps', template: 'capslock_escape' })).status,
    201,
  );
  assert.equal((await first.api('POST', '/api/profiles/nav/activate')).json.profile, 'nav');
  assert.equal((await first.api('POST', '/api/profiles/activate', { name: 'caps' })).json.profile, 'caps');
  first.child.kill('SIGKILL');
  assert.equal((await first.exited).signal, 'SIGKILL');

  const second = await startDaemon(dir);
  const status = (await second.api('GET', '/api/status')).json;
  assert.equal(status.activeProfile, 'caps');
  await second.api('POST', '/api/inject?instant=true', { events: 'd:CapsLock u:CapsLock' });
  const out = (await second.api('GET', '/api/output?limit=2')).json;
  assert.equal(out.script, 'd:Escape u:Escape');
  second.child.kill('SIGTERM');
  assert.equal((await second.exited).code, 0);
});

test('hot reload: PUT changes the mapping without a restart and no key stays down; SIGHUP picks up disk edits', async () => {
  const dir = tempDir('keyrx-reload-');
  const d = await startDaemon(dir);
  const src = (to: string): string =>
    `device_start("*");\n  map("A", "VK_${to}");\n  map("CapsLock", "MD_00");\n  when_start("MD_00"); map("H", "VK_Left"); when_end();\ndevice_end();\n`;
  await d.api('PUT', '/api/profiles/default', { source: src('B') });
  await d.api('POST', '/api/inject', { events: 'd:A t:5 u:A' });
  // a key held across the swap: its output is released by the swap, not left down
  await d.api('POST', '/api/inject?instant=true', { events: 'd:CapsLock d:H' });
  const put = await d.api('PUT', '/api/profiles/default', { source: src('C') });
  assert.equal(put.json.reloaded, true);
  const state = (await d.api('GET', '/api/state')).json;
  assert.deepEqual([state.outputDown, state.modifiers, state.held], [[], [], []]);
  await d.api('POST', '/api/inject?instant=true', { events: 'u:H u:CapsLock d:A u:A' });
  const out = (await d.api('GET', '/api/output?limit=10')).json.events.map(
    (e: { action: string; key: string }) => `${e.action[0]}:${e.key}`,
  );
  assert.deepEqual(out, ['p:B', 'r:B', 'p:Left', 'r:Left', 'p:C', 'r:C']);

  writeFileSync(join(dir, 'profiles', 'default.rhai'), src('D'));
  d.child.kill('SIGHUP');
  let script = '';
  for (let i = 0; i < 50 && script !== 'd:D u:D'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    await d.api('POST', '/api/inject?instant=true', { events: 'd:A u:A' });
    script = (await d.api('GET', '/api/output?limit=2')).json.script;
  }
  assert.equal(script, 'd:D u:D');

  await d.api('POST', '/api/inject?instant=true', { events: 'd:A' });
  // it exits by itself (code 0; its own 2 s grace forces the exit if shutdown stalls), never
  // needs a SIGKILL; a hang fails by the test's timeout
  d.child.kill('SIGTERM');
  const exit = await d.exited;
  assert.deepEqual(exit, { code: 0, signal: null });
});

test('corrupt state.json and settings.json: reported, defaults used, files kept', async () => {
  const dir = tempDir('keyrx-corrupt-');
  const d = await startDaemon(dir);
  d.child.kill('SIGTERM');
  await d.exited;
  writeFileSync(join(dir, 'state.json'), '{"activeProfile": ');
  writeFileSync(join(dir, 'settings.json'), '{"wsMaxLagEvents": "lots"}');
  const again = await startDaemon(dir);
  const status = (await again.api('GET', '/api/status')).json;
  assert.equal(status.activeProfile, null, 'pass-through');
  assert.equal((await again.api('GET', '/api/settings')).json.wsMaxLagEvents, 3);
  assert.equal(
    readFileSync(join(dir, 'state.json'), 'utf8'),
    '{"activeProfile": ',
    'the user file is not rewritten',
  );
  assert.equal((await again.api('GET', '/api/profiles/default')).status, 200, 'profiles are untouched');
  again.child.kill('SIGTERM');
  await again.exited;
});

test('--no-auth is refused on a non-loopback address', async () => {
  const proc = spawn(
    process.execPath,
    [...cliEntry(), 'daemon', '--no-auth', '--host', '0.0.0.0', '--config-dir', tempDir('keyrx-noauth-')],
    { cwd: ROOT },
  );
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  const code = await new Promise((resolve) => proc.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /--no-auth is refused on 0\.0\.0\.0/);
});

test('logs: one JSON object per line off a terminal, readable lines with --log-format pretty', async () => {
  const json = await startDaemon(tempDir('keyrx-logjson-'));
  json.child.kill('SIGTERM');
  await json.exited;
  const jsonLines = json.stderr().trim().split('\n');
  assert.ok(jsonLines.length >= 2, json.stderr());
  for (const line of jsonLines) assert.equal(typeof JSON.parse(line).msg, 'string', line);

  const pretty = await startDaemon(tempDir('keyrx-logpretty-'), { extraArgs: ['--log-format', 'pretty'] });
  pretty.child.kill('SIGTERM');
  await pretty.exited;
  const lines = pretty.stderr().trim().split('\n');
  assert.ok(
    lines.some((l) =>
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: first start: created and activated the default profile$/.test(l),
    ),
    pretty.stderr(),
  );
  assert.ok(
    lines.every((l) => !l.startsWith('{')),
    'no JSON lines',
  );
  // no colour codes when stderr is not a terminal
  assert.ok(!pretty.stderr().includes('\u001b['));

  const bad = spawn(
    process.execPath,
    [...cliEntry(), 'daemon', '--log-format', 'xml', '--config-dir', tempDir('keyrx-logbad-')],
    { cwd: ROOT },
  );
  let err = '';
  bad.stderr.on('data', (d) => (err += d));
  assert.equal(await new Promise((resolve) => bad.on('exit', resolve)), 2);
  assert.match(err, /invalid --log-format 'xml' \(pretty or json\)/);
});
