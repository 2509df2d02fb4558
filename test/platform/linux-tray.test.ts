/**
 * The Linux tray (src/platform/linux/tray.ts) on a private D-Bus: a dbus-daemon of our own, with a
 * minimal session config (no service activation, nothing of the user's bus), killed at the end.
 * A fake org.kde.StatusNotifierWatcher (the same library, in this process) records registrations;
 * what the item and its menu say is read by an independent client, gdbus; signals are received
 * with the library. Needs dbus-daemon (package dbus) and gdbus (libglib2.0-bin).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { TrayAction } from '../../src/daemon/input-protocol.ts';
import type { MessageBus } from '../../src/platform/linux/dbus-native.d.ts';
import {
  callBus,
  connectBus,
  ITEM_INTERFACE,
  ITEM_PATH,
  type LinuxTray,
  MENU_INTERFACE,
  MENU_PATH,
  parseBusAddress,
  sessionBusAddress,
  startLinuxTray,
  WATCHER_NAME,
  WATCHER_PATH,
} from '../../src/platform/linux/tray.ts';
import { TRAY_COMMANDS } from '../../src/platform/windows/tray.ts';
import { HANG_MS } from '../support/wait.ts';
import { gdbus, type PrivateBus, startPrivateBus } from '../support/dbus.ts';

const run = promisify(execFile);

const DBUS = 'org.freedesktop.DBus';
const TO_BUS = { destination: DBUS, path: '/org/freedesktop/DBus', interface: DBUS };
const PROPERTIES = 'org.freedesktop.DBus.Properties';

/** An independent client of one tray: gdbus for calls, dbus-send for malformed ones. */
function outsider(address: string, name: string) {
  return {
    call: (path: string, method: string, ...args: string[]): Promise<string> =>
      gdbus(address, name, path, method, ...args),
    /** the error gdbus prints, or '' */
    callError: (path: string, method: string, ...args: string[]): Promise<string> =>
      gdbus(address, name, path, method, ...args).then(
        () => '',
        (e: { stderr?: string }) => String(e.stderr),
      ),
    property: (path: string, iface: string, property: string): Promise<string> =>
      gdbus(address, name, path, `${PROPERTIES}.Get`, iface, property),
    layout: (): Promise<string> =>
      gdbus(address, name, MENU_PATH, `${MENU_INTERFACE}.GetLayout`, '0', '-1', '@as []'),
    /** `dbus-send` sends what it is told, without introspection: the error it prints, or '' */
    async sendError(path: string, method: string): Promise<string> {
      try {
        await run('dbus-send', [`--bus=${address}`, '--print-reply', `--dest=${name}`, path, method], {
          timeout: HANG_MS,
        });
        return '';
      } catch (e) {
        return String((e as { stderr?: string }).stderr);
      }
    },
  };
}

/** Whether `name` has an owner on the bus (gdbus). */
async function hasOwner(address: string, name: string): Promise<boolean> {
  const out = await gdbus(address, DBUS, '/org/freedesktop/DBus', `${DBUS}.NameHasOwner`, name);
  return /true/.test(out);
}

/** The menu's items in a GetLayout reply: [id, label or 'separator']. */
function layoutItems(reply: string): Array<[number, string]> {
  const items: Array<[number, string]> = [];
  for (const m of reply.matchAll(/<\((\d+), \{([^}]*)\}/g)) {
    const label = /'label': <'([^']*)'>/.exec(m[2]);
    const separator = /'type': <'separator'>/.test(m[2]);
    items.push([Number(m[1]), label ? label[1] : separator ? 'separator' : '?']);
  }
  return items;
}

interface FakeWatcher {
  registrations: string[];
  bus: MessageBus;
  stop(): Promise<void>;
}

/** An org.kde.StatusNotifierWatcher that records RegisterStatusNotifierItem's argument. */
async function startFakeWatcher(address: string): Promise<FakeWatcher> {
  const connected = await connectBus(address);
  assert.ok(connected.ok, connected.ok ? '' : connected.reason);
  const { bus, socket } = connected.value;
  const registrations: string[] = [];
  bus.exportInterface(
    {
      RegisterStatusNotifierItem(service: string): void {
        registrations.push(service);
      },
      RegisterStatusNotifierHost(): void {},
      IsStatusNotifierHostRegistered: true,
      ProtocolVersion: 0,
      get RegisteredStatusNotifierItems(): string[] {
        return registrations;
      },
    },
    WATCHER_PATH,
    {
      name: WATCHER_NAME,
      methods: { RegisterStatusNotifierItem: ['s', ''], RegisterStatusNotifierHost: ['s', ''] },
      properties: {
        IsStatusNotifierHostRegistered: 'b',
        ProtocolVersion: 'i',
        RegisteredStatusNotifierItems: 'as',
      },
      signals: {},
    },
  );
  const [reply] = await callBus(bus, {
    ...TO_BUS,
    member: 'RequestName',
    signature: 'su',
    body: [WATCHER_NAME, 4],
  });
  assert.equal(reply, 1, 'the fake watcher owns its name');
  return {
    registrations,
    bus,
    async stop() {
      socket.destroy();
    },
  };
}

/** Resolves when `cond()` holds; fails after HANG_MS (a hang, not a slow machine). */
async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + HANG_MS;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the tray on a private session bus, with a watcher', { timeout: 4 * HANG_MS }, () => {
  let bus: PrivateBus;
  let watcher: FakeWatcher;
  let tray: LinuxTray;
  const choices: TrayAction[] = [];
  const logs: string[] = [];

  before(async () => {
    bus = await startPrivateBus();
    watcher = await startFakeWatcher(bus.address);
    const started = await startLinuxTray({
      busAddress: bus.address,
      onChoice: (a) => choices.push(a),
      log: (m) => logs.push(m),
      state: { suspended: false, profile: 'default', layers: ['nav'] },
    });
    assert.ok(started.ok, started.ok ? '' : started.reason);
    tray = started.tray;
  });
  const them = (): ReturnType<typeof outsider> => outsider(bus.address, tray.busName);

  after(async () => {
    await tray?.close();
    await watcher?.stop();
    await bus?.stop();
  });

  test('takes org.kde.StatusNotifierItem-<pid>-<n> and registers it with the watcher', () => {
    assert.match(tray.busName, new RegExp(`^org\\.kde\\.StatusNotifierItem-${process.pid}-\\d+$`));
    assert.deepEqual(watcher.registrations, [tray.busName]);
    assert.equal(tray.registered, true);
  });

  test('its properties, read with gdbus: Id, icon, menu path, tooltip with the profile and layers', async () => {
    const all = await them().call(ITEM_PATH, `${PROPERTIES}.GetAll`, ITEM_INTERFACE);
    assert.match(all, /'Id': <'keyrx'>/);
    assert.match(all, /'Title': <'keyrx'>/);
    assert.match(all, /'Category': <'ApplicationStatus'>/);
    assert.match(all, /'Status': <'Active'>/);
    assert.match(all, /'IconName': <'input-keyboard'>/);
    assert.match(all, /'ItemIsMenu': <false>/);
    assert.match(all, /'Menu': <objectpath '\/MenuBar'>/);
    assert.match(
      all,
      /'ToolTip': <\('input-keyboard', @a\(iiay\) \[\], 'keyrx', 'profile: default\\nlayers: nav'\)>/,
    );
    assert.match(await them().property(ITEM_PATH, ITEM_INTERFACE, 'Menu'), /<objectpath '\/MenuBar'>/);
  });

  test('the menu (GetLayout): Open UI, Reload profile, Suspend, a separator, Exit', async () => {
    const items = layoutItems(await them().layout());
    assert.deepEqual(
      items.map(([, label]) => label),
      ['Open UI', 'Reload profile', 'Suspend', 'separator', 'Exit'],
    );
    assert.deepEqual(
      items.filter(([, label]) => label !== 'separator').map(([id]) => id),
      [TRAY_COMMANDS['open-ui'], TRAY_COMMANDS.reload, TRAY_COMMANDS.suspend, TRAY_COMMANDS.exit],
    );
    assert.match(await them().property(MENU_PATH, MENU_INTERFACE, 'Version'), /<uint32 3>/);
  });

  test("clicking Suspend (Event 'clicked') and the icon (Activate) reach onChoice", async () => {
    choices.length = 0;
    await them().call(
      MENU_PATH,
      `${MENU_INTERFACE}.Event`,
      String(TRAY_COMMANDS.suspend),
      'clicked',
      '<0>',
      '0',
    );
    assert.deepEqual(choices, ['suspend']);
    // events other than a click choose nothing
    await them().call(
      MENU_PATH,
      `${MENU_INTERFACE}.Event`,
      String(TRAY_COMMANDS.exit),
      'hovered',
      '<0>',
      '0',
    );
    assert.deepEqual(choices, ['suspend']);
    await them().call(ITEM_PATH, `${ITEM_INTERFACE}.Activate`, '10', '20');
    assert.deepEqual(choices, ['suspend', 'open-ui']);
  });

  test('setState(suspended): NewToolTip and NewStatus signals, the tooltip says so, the menu says Resume', async () => {
    const listener = await connectBus(bus.address);
    assert.ok(listener.ok);
    const client = listener.value.bus;
    const seen: string[] = [];
    for (const member of ['NewToolTip', 'NewStatus'])
      client.signals.on(client.mangle(ITEM_PATH, ITEM_INTERFACE, member), (body: unknown) =>
        seen.push(`${member}${JSON.stringify(body ?? [])}`),
      );
    client.signals.on(client.mangle(MENU_PATH, MENU_INTERFACE, 'LayoutUpdated'), () =>
      seen.push('LayoutUpdated'),
    );
    const match = `type='signal',sender='${tray.busName}'`;
    await callBus(client, { ...TO_BUS, member: 'AddMatch', signature: 's', body: [match] });
    // a call to the tray on the listening connection returns after every signal the tray sent before it
    const barrier = (): Promise<unknown[]> =>
      callBus(client, {
        destination: tray.busName,
        path: ITEM_PATH,
        interface: PROPERTIES,
        member: 'Get',
        signature: 'ss',
        body: [ITEM_INTERFACE, 'Id'],
      });
    try {
      tray.setState({ suspended: true, profile: 'default', layers: ['nav'] });
      await barrier();
      assert.deepEqual(seen.sort(), ['LayoutUpdated', 'NewStatus["NeedsAttention"]', 'NewToolTip[]']);
      assert.match(
        await them().property(ITEM_PATH, ITEM_INTERFACE, 'ToolTip'),
        /'suspended: keys pass through'/,
      );
      assert.deepEqual(
        layoutItems(await them().layout()).filter(([, label]) => label !== 'separator'),
        [
          [TRAY_COMMANDS['open-ui'], 'Open UI'],
          [TRAY_COMMANDS.reload, 'Reload profile'],
          [TRAY_COMMANDS.resume, 'Resume'],
          [TRAY_COMMANDS.exit, 'Exit'],
        ],
      );

      // the same state again: nothing to announce
      seen.length = 0;
      tray.setState({ suspended: true, profile: 'default', layers: ['nav'] });
      await barrier();
      assert.deepEqual(seen, []);
      // resumed: tooltip, status and menu; then a layer change: the tooltip only
      tray.setState({ suspended: false, profile: 'default', layers: ['nav', 'num'] });
      tray.setState({ suspended: false, profile: 'default', layers: ['num'] });
      await barrier();
      assert.deepEqual(seen.sort(), ['LayoutUpdated', 'NewStatus["Active"]', 'NewToolTip[]', 'NewToolTip[]']);
      assert.match(
        await them().property(ITEM_PATH, ITEM_INTERFACE, 'ToolTip'),
        /'profile: default\\nlayers: num'/,
      );
    } finally {
      listener.value.socket.destroy();
    }
  });

  test('malformed calls get D-Bus errors and the tray lives on', async () => {
    assert.match(await them().sendError(ITEM_PATH, `${PROPERTIES}.Get`), /InvalidArgs/);
    assert.match(await them().sendError(ITEM_PATH, `${ITEM_INTERFACE}.toString`), /UnknownMethod/);
    assert.match(await them().sendError('/', `${PROPERTIES}.GetAll`), /InvalidArgs|UnknownObject/);
    assert.match(await them().sendError(MENU_PATH, `${MENU_INTERFACE}.Event`), /InvalidArgs/);
    assert.match(
      await them().callError(MENU_PATH, `${MENU_INTERFACE}.Event`, '77', 'clicked', '<0>', '0'),
      /InvalidArgs/,
    );
    assert.match(
      await them().callError(ITEM_PATH, `${PROPERTIES}.Set`, ITEM_INTERFACE, 'Id', '<"x">'),
      /PropertyReadOnly/,
    );
    assert.match(await them().property(ITEM_PATH, ITEM_INTERFACE, 'Id'), /<'keyrx'>/);
  });

  test('a message the library cannot parse (a unix fd) is skipped and the tray answers on', async () => {
    const connected = await connectBus(bus.address);
    assert.ok(connected.ok);
    const { bus: client, socket } = connected.value;
    try {
      // Scroll(u) marshalled, then its signature turned into (h): the bus forwards it, the library
      // cannot read the type, and its parser throws out of the socket's 'readable' handler
      const { marshall } = createRequire(import.meta.url)('@homebridge/dbus-native/lib/message') as {
        marshall(m: object): Buffer;
      };
      const raw = marshall({
        type: 1,
        serial: 0x7fffffff,
        flags: 1, // no reply expected
        destination: tray.busName,
        path: ITEM_PATH,
        interface: ITEM_INTERFACE,
        member: 'Scroll',
        signature: 'u',
        body: [0],
      });
      const field = raw.indexOf(Buffer.from([8, 1, 0x67, 0, 1, 0x75, 0])); // SIGNATURE, 'g', "u"
      assert.ok(field > 0);
      raw[field + 5] = 0x68; // "h"
      socket.write(raw);
      const [id] = await callBus(client, {
        destination: tray.busName,
        path: ITEM_PATH,
        interface: PROPERTIES,
        member: 'Get',
        signature: 'ss',
        body: [ITEM_INTERFACE, 'Id'],
      });
      assert.deepEqual((id as [unknown, unknown[]])[1], ['keyrx']);
      assert.ok(
        logs.some((l) => /could not be read: skipped/.test(l)),
        logs.join('\n'),
      );
      assert.match(await them().property(ITEM_PATH, ITEM_INTERFACE, 'Title'), /<'keyrx'>/);
    } finally {
      socket.destroy();
    }
  });

  test('close() releases the name and is idempotent', async () => {
    const second = await startLinuxTray({ busAddress: bus.address, onChoice: () => {} });
    assert.ok(second.ok);
    assert.notEqual(second.tray.busName, tray.busName);
    assert.equal(await hasOwner(bus.address, second.tray.busName), true);
    await Promise.all([second.tray.close(), second.tray.close()]);
    await second.tray.close();
    assert.equal(second.tray.registered, false);
    assert.equal(await hasOwner(bus.address, second.tray.busName), false);
    second.tray.setState({ suspended: true, profile: null, layers: [] }); // a no-op, no throw
  });
});

describe('the tray without a watcher', { timeout: 4 * HANG_MS }, () => {
  let bus: PrivateBus;
  before(async () => {
    bus = await startPrivateBus();
  });
  after(async () => {
    await bus?.stop();
  });

  test('stays exported, and registers once a watcher appears (and again after it restarts)', async () => {
    const logs: string[] = [];
    const started = await startLinuxTray({
      busAddress: bus.address,
      onChoice: () => {},
      log: (m) => logs.push(m),
    });
    assert.ok(started.ok, started.ok ? '' : started.reason);
    const { tray } = started;
    try {
      assert.equal(tray.registered, false);
      assert.ok(
        logs.some((l) => /no StatusNotifierWatcher/.test(l)),
        logs.join('\n'),
      );
      const id = await outsider(bus.address, tray.busName).property(ITEM_PATH, ITEM_INTERFACE, 'Id');
      assert.match(id, /<'keyrx'>/);

      const watcher = await startFakeWatcher(bus.address);
      await until('the registration', () => watcher.registrations.includes(tray.busName) && tray.registered);
      await watcher.stop();
      await until('the watcher to be gone', () => !tray.registered);

      const again = await startFakeWatcher(bus.address);
      await until(
        'the new registration',
        () => again.registrations.includes(tray.busName) && tray.registered,
      );
      await again.stop();
    } finally {
      await tray.close();
    }
  });
});

describe('no session bus', { timeout: 4 * HANG_MS }, () => {
  let dir = '';
  let silent: Server | null = null;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyrx-nobus-'));
  });
  after(async () => {
    silent?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a bogus address, a missing socket or no address resolve {ok:false}, never a throw', async () => {
    for (const busAddress of [
      `unix:path=${join(dir, 'no-such-socket')}`,
      'bogus',
      'tcp:host=127.0.0.1,port=1',
      '',
    ]) {
      const r = await startLinuxTray({ busAddress, onChoice: () => {} });
      assert.equal(r.ok, false, busAddress);
      assert.ok(!r.ok && r.reason.length > 0);
    }
  });

  test('a socket that never answers gives up (bounded by a timeout), never hangs', async () => {
    const path = join(dir, 'silent');
    silent = createServer(() => {}).listen(path);
    await once(silent, 'listening');
    const r = await connectBus(`unix:path=${path}`, 200);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /did not answer/);
  });

  test('bus addresses: unix paths, abstract sockets, tcp, escapes; unusable entries skipped', () => {
    assert.equal(
      sessionBusAddress({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x', XDG_RUNTIME_DIR: '/r' }),
      'unix:path=/x',
    );
    assert.equal(sessionBusAddress({ XDG_RUNTIME_DIR: '/run/user/1000' }), 'unix:path=/run/user/1000/bus');
    assert.deepEqual(parseBusAddress(sessionBusAddress({ XDG_RUNTIME_DIR: '/r,u n;x' }) ?? ''), [
      { path: '/r,u n;x/bus' },
    ]);
    assert.equal(sessionBusAddress({}), undefined);
    assert.deepEqual(parseBusAddress('unix:path=/run/user/1000/bus'), [{ path: '/run/user/1000/bus' }]);
    assert.deepEqual(parseBusAddress('unix:abstract=/tmp/dbus-x,guid=ab;unix:path=/a%20b'), [
      { path: '\0/tmp/dbus-x' },
      { path: '/a b' },
    ]);
    assert.deepEqual(parseBusAddress('tcp:host=h,port=7;unix:tmpdir=/tmp;launchd:env=X;nonsense'), [
      { host: 'h', port: 7 },
    ]);
  });
});
