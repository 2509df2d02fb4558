/**
 * `keyrx migrate --from-keyrx`: a config directory laid out the way KeyRx 1.x writes it (profiles
 * from the examples, `.active` as JSON, its device registry, settings and a KLE layout, its own
 * binary .krx files), migrated in place and into another directory; the migrated daemon serves
 * the profiles with the same active profile; a migrated device's settings go to the keyboard with
 * its serial number when it connects.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { Daemon } from '../src/daemon/daemon.ts';
import { daemonScope, ROOT, runCli } from './support/daemon-process.ts';

const scope = daemonScope();

/** A KeyRx 1.x config directory. */
function keyrxDir(prefix: string): string {
  const dir = scope.tempDir(prefix);
  mkdirSync(join(dir, 'profiles'));
  mkdirSync(join(dir, 'layouts'));
  for (const [example, name] of [
    ['01-simple-remap', 'simple'],
    ['04-dual-function-keys', 'dual'],
    ['18-gaming', 'gaming'],
  ])
    copyFileSync(join(ROOT, 'examples', `${example}.rhai`), join(dir, 'profiles', `${name}.rhai`));
  writeFileSync(
    join(dir, 'profiles', 'broken.rhai'),
    'device_start("*");\n  map("A", VK_B);\ndevice_end();\n',
  );
  // KeyRx's compiled files: its own format (magic "KRX\n"), never read by keyrx
  writeFileSync(join(dir, 'profiles', 'gaming.krx'), Buffer.concat([Buffer.from('KRX\n'), Buffer.alloc(64)]));
  writeFileSync(
    join(dir, '.active'),
    JSON.stringify({ name: 'gaming', activated_at: 1796000000, activated_by: 'user' }),
  );
  writeFileSync(
    join(dir, 'devices.json'),
    JSON.stringify({
      'serial-ABC123': {
        id: 'serial-ABC123',
        name: 'Desk board',
        serial: 'ABC123',
        layout: 'JIS_109',
        lastSeen: 1796000000,
      },
      'path-/dev/input/event3': { id: 'path-/dev/input/event3', name: 'Laptop', lastSeen: 1796000000 },
      'weird-id': { id: 'weird-id', name: 'Unknown' },
    }),
  );
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ global_layout: 'ISO_105', port: 9870 }));
  writeFileSync(
    join(dir, 'layouts', 'My Board.json'),
    JSON.stringify([
      ['Esc', 'F1', 'F2'],
      ['Q', 'W', 'E'],
    ]),
  );
  return dir;
}

test('in place (KeyRx and keyrx share ~/.config/keyrx): KeyRx files aside, profiles checked, the daemon starts with the same profile', async () => {
  const dir = keyrxDir('keyrx-migrate-same-');
  const r = await runCli(['migrate', '--from-keyrx', dir, '--config-dir', dir], { env: { NO_COLOR: '1' } });
  assert.equal(r.code, 1, 'a profile does not compile: exit 1');
  assert.match(r.stderr, /some profiles do not compile here/);
  const out = r.stdout;
  assert.match(
    out,
    /KeyRx's own files moved to .*keyrx-1\.x: \.active, devices\.json, settings\.json, profiles\/gaming\.krx, layouts\/My Board\.json/,
  );
  assert.match(out, /^ {2}simple: kept \(already here\)$/m);
  assert.match(out, /^ {2}gaming: kept \(already here\)$/m);
  assert.match(out, /^ {2}broken: DOES NOT COMPILE\n {6}.*broken\.rhai:2:\d+/m);
  assert.match(out, /^active profile: gaming \(the daemon starts with it\)$/m);
  assert.match(out, /^ {2}My Board\.json → my-board: imported$/m);
  assert.match(
    out,
    /^devices: 2 carried over, 1 skipped \(their KeyRx id names no serial or path: weird-id\)$/m,
  );
  assert.match(out, /start keyrx with --port 9870/);
  assert.match(out, /global layout ISO_105 went to the migrated devices without one/);
  // nothing deleted: KeyRx's files are kept aside
  assert.ok(existsSync(join(dir, 'keyrx-1.x', 'devices.json')));
  assert.ok(existsSync(join(dir, 'keyrx-1.x', 'profiles', 'gaming.krx')));
  assert.ok(!existsSync(join(dir, 'profiles', 'gaming.krx')));

  const d = await scope.startDaemon(dir);
  const status = (await d.api('GET', '/api/status')).json;
  assert.equal(status.activeProfile, 'gaming');
  const profiles = (await d.api('GET', '/api/profiles')).json.profiles;
  assert.deepEqual(profiles.map((p: { name: string }) => p.name).sort(), [
    'broken',
    'dual',
    'gaming',
    'simple',
  ]);
  assert.ok(profiles.find((p: { name: string }) => p.name === 'broken').lastCompileError);
  const layouts = (await d.api('GET', '/api/layouts')).json.layouts.map((l: { id: string }) => l.id);
  assert.ok(layouts.includes('my-board'));
  const devices = (await d.api('GET', '/api/devices')).json.devices;
  assert.deepEqual(
    devices.map((x: { id: string; name: string; layout: string | null; connected: boolean }) => [
      x.id,
      x.name,
      x.layout,
      x.connected,
    ]),
    [
      ['keyrx:path-/dev/input/event3', 'Laptop', 'iso-105', false],
      ['keyrx:serial-ABC123', 'Desk board', 'jis-109', false],
    ],
  );
  // the profiles work: the dual-function example taps CapsLock to Escape
  await d.api('POST', '/api/profiles/dual/activate');
  assert.equal((await d.api('GET', '/api/status')).json.activeProfile, 'dual');
  await d.stop();
});

test("into another directory: the profiles are copied and compiled, KeyRx's directory is left as it was", async () => {
  const from = keyrxDir('keyrx-migrate-from-');
  const before = JSON.stringify(readdirSync(from, { recursive: true }).sort());
  const to = scope.tempDir('keyrx-migrate-to-');
  const r = await runCli(['migrate', '--from-keyrx', from, '--config-dir', to, '--json'], {
    env: { NO_COLOR: '1' },
  });
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.movedAside, []);
  assert.deepEqual(
    report.profiles.map((p: { name: string; result: string }) => [p.name, p.result]),
    [
      ['broken', 'invalid'],
      ['dual', 'imported'],
      ['gaming', 'imported'],
      ['simple', 'imported'],
    ],
  );
  assert.equal(report.active.result, 'set');
  assert.equal(
    readFileSync(join(to, 'profiles', 'dual.rhai'), 'utf8'),
    readFileSync(join(from, 'profiles', 'dual.rhai'), 'utf8'),
  );
  assert.equal(JSON.stringify(readdirSync(from, { recursive: true }).sort()), before);
  assert.equal(JSON.parse(readFileSync(join(to, 'state.json'), 'utf8')).activeProfile, 'gaming');
  // a second run: what is there stays; a profile changed here is not replaced without --overwrite
  writeFileSync(join(to, 'profiles', 'simple.rhai'), '// mine\n');
  const again = await runCli(['migrate', '--from-keyrx', from, '--config-dir', to], {
    env: { NO_COLOR: '1' },
  });
  assert.match(
    again.stdout,
    /^ {2}simple: not imported \(a different profile of that name is here \(--overwrite replaces it\)\)$/m,
  );
  assert.match(again.stdout, /^ {2}dual: not imported$/m);
  const missing = await runCli(['migrate', '--from-keyrx', join(to, 'nope'), '--config-dir', to]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no KeyRx config directory at/);
});

test('a migrated device: the keyboard with its serial number takes its name and layout when it connects', async () => {
  const dir = scope.tempDir('keyrx-migrate-adopt-');
  const daemon = new Daemon({ configDir: dir, logger: pino({ level: 'silent' }) });
  await daemon.start('virtual');
  try {
    await daemon.addMigratedDevices([{ keyrxId: 'serial-ABC123', name: 'Desk board', layout: 'jis-109' }]);
    // what the input thread says when a keyboard connects (the Linux backend names uniq the serial)
    const device = {
      id: '046d:c31c-0badcafe',
      name: 'Logitech USB Keyboard',
      uniq: 'ABC123',
      isKeyboard: true,
      isPointer: false,
      grabbed: true,
    };
    (daemon as unknown as { onInputMessage(m: unknown): void }).onInputMessage({
      t: 'device',
      change: 'added',
      device,
    });
    for (
      let i = 0;
      i < 200 && !daemon.listDevices().some((x) => x.id === device.id && x.name === 'Desk board');
      i++
    )
      await new Promise((r) => setTimeout(r, 10));
    const listed = daemon.listDevices();
    assert.deepEqual(
      listed.map((x) => [x.id, x.name, x.layout, x.connected]),
      [[device.id, 'Desk board', 'jis-109', true]],
      'the entry moved to the keyboard; the waiting one is gone',
    );
    assert.ok(!readFileSync(join(dir, 'devices.json'), 'utf8').includes('keyrxMatch'));
  } finally {
    await daemon.stop();
  }
});

test("keyrx run -c FILE (KeyRx's spelling): the file runs as the profile named after it; a broken one stops the start", async () => {
  const dir = scope.tempDir('keyrx-run-c-');
  const file = join(dir, 'laptop.rhai');
  writeFileSync(file, 'device_start("*");\n  map("A", "VK_B");\ndevice_end();\n');
  const config = join(dir, 'config');
  const d = await scope.startDaemon(config, { extraArgs: ['-c', file] });
  assert.equal((await d.api('GET', '/api/status')).json.activeProfile, 'laptop');
  await d.api('POST', '/api/inject?instant=true', { events: 'd:A u:A' });
  assert.deepEqual(
    (await d.api('GET', '/api/output?limit=2')).json.events.map((e: { key: string }) => e.key),
    ['B', 'B'],
  );
  await d.stop();
  // started again with the same file: the saved profile is the same, the daemon starts with it
  const again = await scope.startDaemon(config, { extraArgs: ['-c', file] });
  assert.equal((await again.api('GET', '/api/status')).json.activeProfile, 'laptop');
  await again.stop();
  // a different profile of that name is never replaced
  writeFileSync(file, 'device_start("*");\n  map("A", "VK_C");\ndevice_end();\n');
  const args = [
    'run',
    '-c',
    file,
    '--config-dir',
    config,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--backend',
    'virtual',
  ];
  let r = await runCli(args, { env: { NO_COLOR: '1' } });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /a different profile 'laptop' is in .*: rename the file, or replace it with keyrx profiles import/,
  );
  // a file that does not compile: its errors at file:line:col, nothing started
  const broken = join(dir, 'broken.rhai');
  writeFileSync(broken, 'device_start("*");\n  map("A", VK_B);\ndevice_end();\n');
  r = await runCli([...args.slice(0, 2), broken, ...args.slice(3)], { env: { NO_COLOR: '1' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+`));
  assert.ok(!existsSync(join(config, 'profiles', 'broken.rhai')));
});
