/**
 * The tray icon on Linux: a StatusNotifierItem (the protocol of KDE Plasma, GNOME's AppIndicator
 * extension, waybar, …) with its menu over com.canonical.dbusmenu, on the session bus, through
 * @homebridge/dbus-native (pure JS; loaded on the first start, not on import).
 *
 * Who calls what: the daemon's main thread calls startLinuxTray (the Linux input thread blocks in
 * ppoll, so the tray lives where the event loop runs) and keeps the LinuxTray. A click in the menu
 * (dbusmenu Event 'clicked') or on the icon (Activate → 'open-ui') calls `onChoice` from the
 * connection's message handler; the daemon carries the action out and shows the outcome with
 * setState, which emits NewToolTip / NewStatus and, when Suspend flips to Resume, LayoutUpdated.
 * No session bus (no address, connection refused, no answer within CONNECT_TIMEOUT_MS) resolves
 * {ok:false}: the daemon runs headless. No StatusNotifierWatcher yet (a desktop without a tray, or
 * one still starting) leaves the item exported and unregistered; it registers when a watcher takes
 * the name (NameOwnerChanged), again after a watcher restarts. A lost bus ends the tray (logged).
 *
 * The item (org.kde.StatusNotifierItem-<pid>-<n>, n counting the trays of this process) serves
 * /StatusNotifierItem (org.kde.StatusNotifierItem) and /MenuBar (com.canonical.dbusmenu, Version 3).
 * The menu is the Windows tray's (trayMenu), with its command ids as dbusmenu item ids.
 *
 * What this module does instead of the library: it answers every method call on its two objects,
 * and every org.freedesktop.DBus.Properties call, itself, after checking the member and the
 * signature; the library's own dispatch trusts both (a call without arguments, or with a member such
 * as `toString`, throws out of its message handler and would end the process). The library still
 * does the wire protocol, Hello, introspection and Peer. A message it cannot parse (a unix fd, type
 * `h`, which the bus forwards) throws out of the socket's 'readable' handler: this module catches
 * that, logs it and reads on (the parser had consumed the message), so it never ends the daemon.
 */
import { createRequire } from 'node:module';
import { createConnection, type Socket } from 'node:net';
import type { TrayAction } from '../../daemon/input-protocol.ts';
import { trayActionOf, trayMenu } from '../windows/tray.ts';
import type {
  DBusMessage,
  DBusNative,
  DBusReplyError,
  InterfaceDescription,
  MessageBus,
} from './dbus-native.d.ts';

export interface LinuxTrayState {
  suspended: boolean;
  /** the active profile's name */
  profile: string | null;
  /** the active layers' names, shown in the tooltip */
  layers: string[];
}

export interface LinuxTrayOptions {
  /** a click in the menu or on the icon (called on the main thread, from the bus connection) */
  onChoice(action: TrayAction): void;
  log?(message: string, context?: Record<string, unknown>): void;
  /** default: $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus */
  busAddress?: string;
  /** the state shown first (default: remapping, no profile, no layers) */
  state?: LinuxTrayState;
}

export interface LinuxTray {
  /** the item's well-known name, org.kde.StatusNotifierItem-<pid>-<n> */
  readonly busName: string;
  /** whether a StatusNotifierWatcher has taken the item (it is shown) */
  readonly registered: boolean;
  setState(state: LinuxTrayState): void;
  /** releases the name and ends the connection; idempotent */
  close(): Promise<void>;
}

export type LinuxTrayStart = { ok: true; tray: LinuxTray } | { ok: false; reason: string };

export const ITEM_PATH = '/StatusNotifierItem';
export const MENU_PATH = '/MenuBar';
export const ITEM_INTERFACE = 'org.kde.StatusNotifierItem';
export const MENU_INTERFACE = 'com.canonical.dbusmenu';
export const WATCHER_NAME = 'org.kde.StatusNotifierWatcher';
export const WATCHER_PATH = '/StatusNotifierWatcher';
export const ICON_NAME = 'input-keyboard';

/** How long connecting (socket, authentication, Hello) may take before the tray gives up. */
const CONNECT_TIMEOUT_MS = 5000;
/** How long start and close wait for an answer of the bus or the watcher. */
const CALL_TIMEOUT_MS = 5000;

const DBUS_NAME = 'org.freedesktop.DBus';
const DBUS_PATH = '/org/freedesktop/DBus';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const METHOD_CALL = 1;
const NO_REPLY_EXPECTED = 1;
const DO_NOT_QUEUE = 4;
const PRIMARY_OWNER = 1;
const ERR_INVALID_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs';
const ERR_UNKNOWN_METHOD = 'org.freedesktop.DBus.Error.UnknownMethod';
const ERR_UNKNOWN_INTERFACE = 'org.freedesktop.DBus.Error.UnknownInterface';
const ERR_UNKNOWN_OBJECT = 'org.freedesktop.DBus.Error.UnknownObject';
const ERR_UNKNOWN_PROPERTY = 'org.freedesktop.DBus.Error.UnknownProperty';
const ERR_READ_ONLY = 'org.freedesktop.DBus.Error.PropertyReadOnly';
const ERR_FAILED = 'org.freedesktop.DBus.Error.Failed';
const ERR_SERVICE_UNKNOWN = 'org.freedesktop.DBus.Error.ServiceUnknown';

/** A D-Bus value for the library: [signature, value] (a variant). */
type Typed = [string, unknown];
type Properties = Record<string, Typed>;

/** The trays started by this process, for the name's <n>. */
let traysStarted = 0;

// ------------------------------------------------------------------------------- the connection

/** A place to connect to: a socket path (abstract: starting with NUL) or a TCP port. */
export type BusEndpoint = { path: string } | { host: string; port: number };

/**
 * The endpoints of a D-Bus address (`unix:path=…;unix:abstract=…,guid=…;tcp:host=…,port=…`), in
 * order, with %-escapes decoded. Transports that only listen or need a helper (tmpdir, launchd,
 * unixexec, nonce-tcp) are skipped.
 */
export function parseBusAddress(address: string): BusEndpoint[] {
  const out: BusEndpoint[] = [];
  for (const entry of address.split(';')) {
    const colon = entry.indexOf(':');
    if (colon < 0) continue;
    const params = new Map<string, string>();
    for (const pair of entry.slice(colon + 1).split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      try {
        params.set(pair.slice(0, eq), decodeURIComponent(pair.slice(eq + 1)));
      } catch {
        // a malformed escape: the entry is unusable without this value
      }
    }
    const transport = entry.slice(0, colon);
    const path = params.get('path');
    const abstract = params.get('abstract');
    const port = Number(params.get('port'));
    if (transport === 'unix' && path) out.push({ path });
    else if (transport === 'unix' && abstract) out.push({ path: `\0${abstract}` });
    else if (transport === 'tcp' && Number.isInteger(port) && port > 0 && port < 65536)
      out.push({ host: params.get('host') ?? 'localhost', port });
  }
  return out;
}

/**
 * The session bus's address: $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus (where systemd's
 * user bus listens; libdbus and GDBus fall back to it too), else undefined.
 */
export function sessionBusAddress(env: NodeJS.ProcessEnv): string | undefined {
  if (env.DBUS_SESSION_BUS_ADDRESS) return env.DBUS_SESSION_BUS_ADDRESS;
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime) return `unix:path=${runtime.replace(/[^\w/.-]/g, (c) => encodeURIComponent(c))}/bus`;
  return undefined;
}

function describeEndpoint(e: BusEndpoint): string {
  return 'path' in e ? e.path.replace('\0', '@') : `${e.host}:${e.port}`;
}

function openSocket(endpoint: BusEndpoint, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = 'path' in endpoint ? createConnection(endpoint.path) : createConnection(endpoint);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    });
  });
}

function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'name' in e) {
    const { name, message } = e as DBusReplyError;
    return message ? `${name}: ${message}` : name;
  }
  return String(e);
}

export interface BusConnected {
  bus: MessageBus;
  socket: Socket;
}

/**
 * A connection to the bus at `address`, authenticated and named (Hello answered), or why not —
 * within `timeoutMs`, never a throw. The connection has an 'error' listener that ignores errors:
 * add your own to act on a lost bus.
 */
export async function connectBus(
  address: string | undefined,
  timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<{ ok: true; value: BusConnected } | { ok: false; reason: string }> {
  if (!address) return { ok: false, reason: 'no session bus (DBUS_SESSION_BUS_ADDRESS is not set)' };
  const endpoints = parseBusAddress(address);
  if (endpoints.length === 0)
    return { ok: false, reason: `no usable endpoint in the bus address ${address}` };
  const deadline = Date.now() + timeoutMs;
  const failures: string[] = [];
  for (const endpoint of endpoints) {
    let socket: Socket;
    try {
      socket = await openSocket(endpoint, Math.max(1, deadline - Date.now()));
    } catch (e) {
      failures.push(`${describeEndpoint(endpoint)}: ${describeError(e)}`);
      continue;
    }
    const dbus = createRequire(import.meta.url)('@homebridge/dbus-native') as DBusNative;
    const bus = dbus.createClient({ stream: socket });
    let fail = (_e: unknown): void => {};
    const ended = (): void => fail(new Error('the bus closed the connection'));
    const errored = (e: unknown): void => fail(e);
    bus.connection.on('error', errored);
    bus.connection.on('end', ended);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the bus did not answer within ${timeoutMs} ms`)),
          Math.max(1, deadline - Date.now()),
        );
        fail = (e) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(describeError(e)));
        };
        // the library sends Hello first: GetId's answer comes after Hello's
        bus.invoke(
          { destination: DBUS_NAME, path: DBUS_PATH, interface: DBUS_NAME, member: 'GetId' },
          (err) => {
            if (err) fail(err);
            clearTimeout(timer);
            resolve();
          },
        );
      });
    } catch (e) {
      socket.destroy();
      failures.push(`${describeEndpoint(endpoint)}: ${describeError(e)}`);
      continue;
    } finally {
      bus.connection.off('error', errored);
      bus.connection.off('end', ended);
      // an error after this point is the owner's to handle; never an unhandled 'error' event
      bus.connection.on('error', () => {});
    }
    return { ok: true, value: { bus, socket } };
  }
  return { ok: false, reason: `no session bus: ${failures.join('; ')}` };
}

/** A method call on `bus`, as a promise of the reply's body; rejects after `timeoutMs`. */
export function callBus(
  bus: MessageBus,
  message: Omit<DBusMessage, 'type' | 'serial'>,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${message.member}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    bus.invoke(message, (err, ...body) => {
      clearTimeout(timer);
      if (err) reject(Object.assign(new Error(describeError(err)), { dbusName: err.name }));
      else resolve(body);
    });
  });
}

// ------------------------------------------------------------------------------- what is shown

/** The tooltip's text. */
export function linuxTrayTip(state: LinuxTrayState): string {
  if (state.suspended) return 'suspended: keys pass through';
  const layers = state.layers.length > 0 ? state.layers.join(', ') : 'none';
  return `profile: ${state.profile ?? 'none'}\nlayers: ${layers}`;
}

function itemProperties(state: LinuxTrayState): Properties {
  return {
    Category: ['s', 'ApplicationStatus'],
    Id: ['s', 'keyrx'],
    Title: ['s', 'keyrx'],
    Status: ['s', state.suspended ? 'NeedsAttention' : 'Active'],
    WindowId: ['i', 0],
    IconThemePath: ['s', ''],
    IconName: ['s', ICON_NAME],
    IconPixmap: ['a(iiay)', []],
    OverlayIconName: ['s', ''],
    OverlayIconPixmap: ['a(iiay)', []],
    AttentionIconName: ['s', ICON_NAME],
    AttentionIconPixmap: ['a(iiay)', []],
    AttentionMovieName: ['s', ''],
    ToolTip: ['(sa(iiay)ss)', [ICON_NAME, [], 'keyrx', linuxTrayTip(state)]],
    ItemIsMenu: ['b', false],
    Menu: ['o', MENU_PATH],
  };
}

/** The item's properties whose change a signal announces (NewStatus carries the new value). */
const ITEM_SIGNALS: ReadonlyArray<[property: string, signal: string]> = [
  ['Title', 'NewTitle'],
  ['IconName', 'NewIcon'],
  ['AttentionIconName', 'NewAttentionIcon'],
  ['OverlayIconName', 'NewOverlayIcon'],
  ['ToolTip', 'NewToolTip'],
  ['Status', 'NewStatus'],
];

const MENU_PROPERTIES: Properties = {
  Version: ['u', 3],
  TextDirection: ['s', 'ltr'],
  Status: ['s', 'normal'],
  IconThemePath: ['as', []],
};

const ROOT_ID = 0;
/** A separator's id: this plus its position (trayMenu gives separators the id 0, the root's). */
const SEPARATOR_IDS = 1000;

interface MenuItem {
  id: number;
  props: Properties;
}

function menuItems(suspended: boolean): MenuItem[] {
  return trayMenu(suspended).map(([id, label], i): MenuItem => {
    if (id === 0) return { id: SEPARATOR_IDS + i, props: { type: ['s', 'separator'], visible: ['b', true] } };
    // an underscore marks an access key in dbusmenu labels; a literal one is doubled
    const text = label.replaceAll('_', '__');
    return { id, props: { label: ['s', text], enabled: ['b', true], visible: ['b', true] } };
  });
}

const ROOT_PROPS: Properties = { 'children-display': ['s', 'submenu'] };

function pick(props: Properties, names: readonly string[]): Array<[string, Typed]> {
  return Object.entries(props).filter(([name]) => names.length === 0 || names.includes(name));
}

// ------------------------------------------------------------------------------- the interfaces

type Handler = (args: unknown[]) => unknown[];

interface Served {
  description: InterfaceDescription;
  handlers: Record<string, Handler>;
  properties(): Properties;
}

const ITEM_DESCRIPTION: InterfaceDescription = {
  name: ITEM_INTERFACE,
  methods: {
    ContextMenu: ['ii', '', ['x', 'y']],
    Activate: ['ii', '', ['x', 'y']],
    SecondaryActivate: ['ii', '', ['x', 'y']],
    Scroll: ['is', '', ['delta', 'orientation']],
    ProvideXdgActivationToken: ['s', '', ['token']],
  },
  properties: Object.fromEntries(
    Object.entries(itemProperties({ suspended: false, profile: null, layers: [] })).map(([k, [sig]]) => [
      k,
      sig,
    ]),
  ),
  signals: {
    NewTitle: [''],
    NewIcon: [''],
    NewAttentionIcon: [''],
    NewOverlayIcon: [''],
    NewToolTip: [''],
    NewStatus: ['s', 'status'],
  },
};

const MENU_DESCRIPTION: InterfaceDescription = {
  name: MENU_INTERFACE,
  methods: {
    GetLayout: [
      'iias',
      'u(ia{sv}av)',
      ['parentId', 'recursionDepth', 'propertyNames'],
      ['revision', 'layout'],
    ],
    GetGroupProperties: ['aias', 'a(ia{sv})', ['ids', 'propertyNames'], ['properties']],
    GetProperty: ['is', 'v', ['id', 'name'], ['value']],
    Event: ['isvu', '', ['id', 'eventId', 'data', 'timestamp']],
    EventGroup: ['a(isvu)', 'ai', ['events'], ['idErrors']],
    AboutToShow: ['i', 'b', ['id'], ['needUpdate']],
    AboutToShowGroup: ['ai', 'aiai', ['ids'], ['updatesNeeded', 'idErrors']],
  },
  properties: Object.fromEntries(Object.entries(MENU_PROPERTIES).map(([k, [sig]]) => [k, sig])),
  signals: {
    ItemsPropertiesUpdated: ['a(ia{sv})a(ias)', 'updatedProps', 'removedProps'],
    LayoutUpdated: ['ui', 'revision', 'parent'],
    ItemActivationRequested: ['iu', 'id', 'timestamp'],
  },
};

/** A failure that becomes this D-Bus error reply. */
class DBusFailure extends Error {
  constructor(
    readonly dbusName: string,
    message: string,
  ) {
    super(message);
  }
}

// ------------------------------------------------------------------------------- the tray

class SniTray implements LinuxTray {
  readonly busName: string;
  registered = false;
  private state: LinuxTrayState;
  private items: MenuItem[];
  private revision = 1;
  private alive = true;
  private closing: Promise<void> | null = null;
  private readonly served: Map<string, Served>;

  constructor(
    private readonly bus: MessageBus,
    private readonly socket: Socket,
    busName: string,
    private readonly opts: LinuxTrayOptions,
  ) {
    this.busName = busName;
    this.state = copyState(opts.state ?? { suspended: false, profile: null, layers: [] });
    this.items = menuItems(this.state.suspended);
    this.served = new Map([
      [ITEM_PATH, this.item()],
      [MENU_PATH, this.menu()],
    ]);
  }

  /** Takes over incoming messages, exports the objects and watches the connection. */
  attach(): void {
    const conn = this.bus.connection;
    const library = conn.listeners('message') as Array<(m: DBusMessage) => void>;
    conn.removeAllListeners('message');
    conn.on('message', (m: DBusMessage) => {
      try {
        if (this.dispatch(m)) return;
        for (const listener of library) listener.call(conn, m);
      } catch (e) {
        this.log('tray: a D-Bus message failed', { error: describeError(e), member: m.member, path: m.path });
      }
    });
    const emit = this.socket.emit;
    const guarded = (event: string | symbol, ...args: unknown[]): boolean => {
      try {
        return Reflect.apply(emit, this.socket, [event, ...args]) as boolean;
      } catch (e) {
        if (event !== 'readable') {
          this.lost(`the connection failed (${describeError(e)})`);
          return true;
        }
        // the parser had taken the whole message before it threw: read on after it
        this.log('tray: a message from the bus could not be read: skipped', { error: describeError(e) });
        setImmediate(() => {
          if (this.alive) this.socket.emit('readable');
        });
        return true;
      }
    };
    this.socket.emit = guarded as Socket['emit'];
    conn.on('error', (e: unknown) => this.lost(describeError(e)));
    conn.on('end', () => this.lost('the bus closed the connection'));
    // for introspection; calls are answered by dispatch()
    for (const [path, served] of this.served)
      this.bus.exportInterface(served.handlers, path, served.description);
  }

  /** Registers now, and again each time a watcher takes its name. */
  async watchWatcher(): Promise<void> {
    const member = 'NameOwnerChanged';
    this.bus.signals.on(this.bus.mangle(DBUS_PATH, DBUS_NAME, member), (body: unknown) => {
      const [name, , owner] = Array.isArray(body) ? body : [];
      if (name !== WATCHER_NAME || !this.alive) return;
      if (typeof owner === 'string' && owner !== '') {
        this.log('tray: a StatusNotifierWatcher appeared', { owner });
        void this.register();
      } else {
        this.registered = false;
        this.log('tray: the StatusNotifierWatcher is gone: the icon shows when one starts');
      }
    });
    const rule = `type='signal',sender='${DBUS_NAME}',path='${DBUS_PATH}',interface='${DBUS_NAME}',member='${member}',arg0='${WATCHER_NAME}'`;
    await callBus(this.bus, {
      destination: DBUS_NAME,
      path: DBUS_PATH,
      interface: DBUS_NAME,
      member: 'AddMatch',
      signature: 's',
      body: [rule],
    });
    await within(this.register(), CALL_TIMEOUT_MS);
  }

  private register(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.alive) return resolve();
      this.bus.invoke(
        {
          destination: WATCHER_NAME,
          path: WATCHER_PATH,
          interface: WATCHER_NAME,
          member: 'RegisterStatusNotifierItem',
          signature: 's',
          body: [this.busName],
        },
        (err) => {
          resolve();
          if (!this.alive) return;
          if (!err) {
            this.registered = true;
            this.log('tray: registered with the StatusNotifierWatcher', { name: this.busName });
          } else if (
            err.name === ERR_SERVICE_UNKNOWN ||
            err.name === 'org.freedesktop.DBus.Error.NameHasNoOwner'
          ) {
            this.log('tray: no StatusNotifierWatcher on the bus yet: the icon shows when one starts');
          } else {
            this.log('tray: the StatusNotifierWatcher refused the item', { error: describeError(err) });
          }
        },
      );
    });
  }

  setState(next: LinuxTrayState): void {
    if (!this.alive) return;
    const before = itemProperties(this.state);
    const wasSuspended = this.state.suspended;
    this.state = copyState(next);
    const after = itemProperties(this.state);
    try {
      for (const [property, signal] of ITEM_SIGNALS) {
        if (JSON.stringify(before[property]) === JSON.stringify(after[property])) continue;
        if (signal === 'NewStatus')
          this.bus.sendSignal(ITEM_PATH, ITEM_INTERFACE, signal, 's', [after.Status[1]]);
        else this.bus.sendSignal(ITEM_PATH, ITEM_INTERFACE, signal, '', []);
      }
      if (wasSuspended !== this.state.suspended) {
        this.items = menuItems(this.state.suspended);
        this.revision++;
        this.bus.sendSignal(MENU_PATH, MENU_INTERFACE, 'LayoutUpdated', 'ui', [this.revision, ROOT_ID]);
      }
    } catch (e) {
      this.log('tray: a signal could not be sent', { error: describeError(e) });
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const wasAlive = this.alive;
      this.alive = false;
      this.registered = false;
      if (wasAlive) {
        try {
          await callBus(this.bus, {
            destination: DBUS_NAME,
            path: DBUS_PATH,
            interface: DBUS_NAME,
            member: 'ReleaseName',
            signature: 's',
            body: [this.busName],
          });
        } catch (e) {
          this.log('tray: releasing the name failed', { error: describeError(e) });
        }
      }
      await endSocket(this.socket);
    })();
    return this.closing;
  }

  private lost(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    this.registered = false;
    this.log('tray: the session bus connection is lost: no tray icon', { reason });
    this.socket.destroy();
  }

  private log(message: string, context?: Record<string, unknown>): void {
    this.opts.log?.(message, context);
  }

  private choose(action: TrayAction): void {
    if (!this.alive) return; // a click that arrives while closing
    try {
      this.opts.onChoice(action);
    } catch (e) {
      this.log('tray: the menu choice failed', { action, error: describeError(e) });
    }
  }

  // ---------------------------------------------------------------- incoming calls

  /** Answers a method call on one of our objects, or any Properties call; false: not ours. */
  private dispatch(m: DBusMessage): boolean {
    if (m.type !== METHOD_CALL) return false;
    if (m.interface === PROPERTIES) {
      this.answer(m, () => this.properties(m));
      return true;
    }
    const served = m.path === undefined ? undefined : this.served.get(m.path);
    if (!served || m.interface !== served.description.name) return false;
    const member = m.member ?? '';
    const spec = Object.hasOwn(served.description.methods, member)
      ? served.description.methods[member]
      : null;
    this.answer(m, () => {
      if (!spec)
        throw new DBusFailure(ERR_UNKNOWN_METHOD, `${served.description.name} has no method ${member}`);
      expectSignature(m, spec[0]);
      return [spec[1], served.handlers[member](m.body ?? [])];
    });
    return true;
  }

  /** Replies with what `run` returns ([signature, body]), or with the error it throws. */
  private answer(m: DBusMessage, run: () => [string, unknown[]]): void {
    const wantsReply = ((m.flags ?? 0) & NO_REPLY_EXPECTED) === 0;
    try {
      const [signature, body] = run();
      if (wantsReply) this.bus.sendReply(m, signature, body);
    } catch (e) {
      if (!wantsReply) return;
      const name = e instanceof DBusFailure ? e.dbusName : ERR_FAILED;
      this.bus.sendError(m, name, describeError(e));
    }
  }

  private properties(m: DBusMessage): [string, unknown[]] {
    const member = m.member ?? '';
    const body = m.body ?? [];
    const served = m.path === undefined ? undefined : this.served.get(m.path);
    if (!served) throw new DBusFailure(ERR_UNKNOWN_OBJECT, `no object at ${m.path ?? '(no path)'}`);
    const signatures: Record<string, string> = { Get: 'ss', GetAll: 's', Set: 'ssv' };
    if (!Object.hasOwn(signatures, member))
      throw new DBusFailure(ERR_UNKNOWN_METHOD, `${PROPERTIES} has no ${member}`);
    expectSignature(m, signatures[member]);
    const iface = body[0] as string;
    if (iface !== served.description.name && !(iface === '' && member === 'GetAll'))
      throw new DBusFailure(ERR_UNKNOWN_INTERFACE, `${m.path} has no interface ${iface}`);
    const props = served.properties();
    if (member === 'GetAll') return ['a{sv}', [Object.entries(props)]];
    const name = body[1] as string;
    if (!Object.hasOwn(props, name))
      throw new DBusFailure(ERR_UNKNOWN_PROPERTY, `${iface} has no property ${name}`);
    if (member === 'Set') throw new DBusFailure(ERR_READ_ONLY, `${name} is read-only`);
    return ['v', [props[name]]];
  }

  private item(): Served {
    const none = (): unknown[] => [];
    return {
      description: ITEM_DESCRIPTION,
      properties: () => itemProperties(this.state),
      handlers: {
        Activate: () => {
          this.choose('open-ui');
          return [];
        },
        SecondaryActivate: none,
        // the host shows the menu (Menu); there is no menu of our own to pop up
        ContextMenu: none,
        Scroll: none,
        ProvideXdgActivationToken: none,
      },
    };
  }

  private menu(): Served {
    const byId = (id: number): MenuItem | null => this.items.find((i) => i.id === id) ?? null;
    const known = (id: number): boolean => id === ROOT_ID || byId(id) !== null;
    const layoutOf = (item: MenuItem | null, depth: number, names: string[]): unknown[] => {
      if (item) return [item.id, pick(item.props, names), []];
      const children =
        depth === 0 ? [] : this.items.map((i) => ['(ia{sv}av)', layoutOf(i, depth - 1, names)]);
      return [ROOT_ID, pick(ROOT_PROPS, names), children];
    };
    const propsOf = (id: number): Properties | null =>
      id === ROOT_ID ? ROOT_PROPS : (byId(id)?.props ?? null);
    /** an event on an item; false: no such item */
    const event = (id: number, eventId: string): boolean => {
      if (!known(id)) return false;
      if (eventId !== 'clicked') return true;
      const action = trayActionOf(id);
      if (action) this.choose(action);
      return true;
    };
    return {
      description: MENU_DESCRIPTION,
      properties: () => MENU_PROPERTIES,
      handlers: {
        GetLayout: ([parentId, depth, names]) => {
          const id = parentId as number;
          if (!known(id)) throw new DBusFailure(ERR_INVALID_ARGS, `no menu item ${id}`);
          return [
            this.revision,
            layoutOf(id === ROOT_ID ? null : byId(id), depth as number, names as string[]),
          ];
        },
        GetGroupProperties: ([ids, names]) => {
          const wanted =
            (ids as number[]).length > 0 ? (ids as number[]) : [ROOT_ID, ...this.items.map((i) => i.id)];
          const out: unknown[] = [];
          for (const id of wanted) {
            const props = propsOf(id);
            if (props) out.push([id, pick(props, names as string[])]);
          }
          return [out];
        },
        GetProperty: ([id, name]) => {
          const props = propsOf(id as number);
          if (!props) throw new DBusFailure(ERR_INVALID_ARGS, `no menu item ${String(id)}`);
          if (!Object.hasOwn(props, name as string))
            throw new DBusFailure(ERR_UNKNOWN_PROPERTY, `menu item ${String(id)} has no ${String(name)}`);
          return [props[name as string]];
        },
        Event: ([id, eventId]) => {
          if (!event(id as number, eventId as string))
            throw new DBusFailure(ERR_INVALID_ARGS, `no menu item ${String(id)}`);
          return [];
        },
        EventGroup: ([events]) => {
          const errors = (events as unknown[][]).filter(
            ([id, eventId]) => !event(id as number, eventId as string),
          );
          return [errors.map(([id]) => id)];
        },
        AboutToShow: () => [false],
        AboutToShowGroup: ([ids]) => [[], (ids as number[]).filter((id) => !known(id))],
      },
    };
  }
}

function copyState(s: LinuxTrayState): LinuxTrayState {
  return { suspended: s.suspended, profile: s.profile, layers: [...s.layers] };
}

function expectSignature(m: DBusMessage, signature: string): void {
  if ((m.signature ?? '') !== signature)
    throw new DBusFailure(
      ERR_INVALID_ARGS,
      `${m.member ?? ''} takes (${signature}), got (${m.signature ?? ''})`,
    );
}

/** Waits for `promise`, at most `ms` (what it settles to does not matter). */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function endSocket(socket: Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.destroy(), CALL_TIMEOUT_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.end();
  });
}

/**
 * Connects to the session bus, takes the item's name, exports the item and its menu and registers
 * with the StatusNotifierWatcher (if one runs; else when one appears). Never throws.
 */
export async function startLinuxTray(opts: LinuxTrayOptions): Promise<LinuxTrayStart> {
  const connected = await connectBus(opts.busAddress ?? sessionBusAddress(process.env));
  if (!connected.ok) return connected;
  const { bus, socket } = connected.value;
  const busName = `org.kde.StatusNotifierItem-${process.pid}-${++traysStarted}`;
  const tray = new SniTray(bus, socket, busName, opts);
  try {
    tray.attach();
    const [reply] = await callBus(bus, {
      destination: DBUS_NAME,
      path: DBUS_PATH,
      interface: DBUS_NAME,
      member: 'RequestName',
      signature: 'su',
      body: [busName, DO_NOT_QUEUE],
    });
    if (reply !== PRIMARY_OWNER)
      throw new Error(`the name ${busName} is taken (RequestName: ${String(reply)})`);
    await tray.watchWatcher();
  } catch (e) {
    await tray.close();
    return { ok: false, reason: `tray: ${describeError(e)}` };
  }
  return { ok: true, tray };
}
