/**
 * `keyrx daemon` with its Linux tray on a private session bus: the daemon process shows the item,
 * its tooltip follows the active profile and the global Suspend switch however it was flipped, and
 * the menu drives the daemon (Resume, Exit) — read and clicked with gdbus, an independent client.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TRAY_COMMANDS } from '../src/platform/windows/tray.ts';
import { gdbus, type PrivateBus, startPrivateBus } from './support/dbus.ts';
import { cleanEnv, daemonScope } from './support/daemon-process.ts';
import { HANG_MS } from './support/wait.ts';

const scope = daemonScope();
let bus: PrivateBus;
before(async () => {
  bus = await startPrivateBus();
});
after(async () => {
  await bus?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `read()` matches (a hang fails after HANG_MS). */
async function until(what: string, read: () => Promise<string>, re: RegExp): Promise<string> {
  const end = Date.now() + HANG_MS;
  for (;;) {
    const last = await read().catch((e: Error) => e.message);
    if (re.test(last)) return last;
    if (Date.now() > end) throw new Error(`${what}: no ${re} in ${last}`);
    await sleep(50);
  }
}

test('the daemon shows a tray item on the session bus; the tooltip follows profile and Suspend; the menu drives it', async () => {
  const dir = scope.tempDir('keyrx-daemon-tray-');
  const d = await scope.startDaemon(dir, {
    extraArgs: ['--tray'],
    env: cleanEnv({ DBUS_SESSION_BUS_ADDRESS: bus.address }),
  });
  const names = () =>
    gdbus(bus.address, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.ListNames');
  const listed = await until('the item on the bus', names, /org\.kde\.StatusNotifierItem-\d+-1/);
  const name = /org\.kde\.StatusNotifierItem-\d+-1/.exec(listed)![0];
  assert.equal(name, `org.kde.StatusNotifierItem-${d.child.pid}-1`);
  const tooltip = () =>
    gdbus(
      bus.address,
      name,
      '/StatusNotifierItem',
      'org.freedesktop.DBus.Properties.Get',
      'org.kde.StatusNotifierItem',
      'ToolTip',
    );
  await until('the active profile in the tooltip', tooltip, /profile: default/);

  // suspended over REST: the tooltip says so
  assert.deepEqual((await d.api('POST', '/api/suspend')).json, { suspended: true });
  await until('suspended in the tooltip', tooltip, /suspended: keys pass through/);
  // the menu's Resume resumes the daemon
  await gdbus(
    bus.address,
    name,
    '/MenuBar',
    'com.canonical.dbusmenu.Event',
    String(TRAY_COMMANDS.resume),
    'clicked',
    '<0>',
    '0',
  );
  await until(
    'resumed',
    async () => JSON.stringify((await d.api('GET', '/api/suspend')).json),
    /"suspended":false/,
  );
  await until('the tooltip after Resume', tooltip, /profile: default/);

  // another profile activated: the tooltip names it
  await d.api('POST', '/api/profiles', { name: 'work', template: 'blank' });
  await d.api('POST', '/api/profiles/work/activate');
  await until('the new profile in the tooltip', tooltip, /profile: work/);

  // Exit stops the daemon cleanly
  await gdbus(
    bus.address,
    name,
    '/MenuBar',
    'com.canonical.dbusmenu.Event',
    String(TRAY_COMMANDS.exit),
    'clicked',
    '<0>',
    '0',
  );
  const exit = await d.exited;
  assert.equal(exit.code, 0);
  await until('the name released', names, /^(?![\s\S]*StatusNotifierItem)/);
});

test('no session bus: the daemon runs headless, and says why', async () => {
  const dir = scope.tempDir('keyrx-daemon-notray-');
  const d = await scope.startDaemon(dir, {
    extraArgs: ['--tray'],
    env: cleanEnv({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${dir}/no-bus` }),
  });
  assert.equal((await d.api('GET', '/api/status')).status, 200);
  await until('the log line', async () => d.stderr() + d.stdout(), /no tray icon/);
  await d.stop();
});
