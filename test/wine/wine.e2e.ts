/**
 * End-to-end test of keyrx on Windows, under Wine: Windows Node (node.exe) runs the built daemon
 * on an Xvfb display, xdotool types, and a Wine window (target.cjs) reports what an application
 * receives. `npm run test:wine` (builds dist/ when stale first); the environment comes from
 * env.ts (Debian packages, node.exe and koffi's Windows build from npm, a Wine prefix, all cached).
 *
 * One target window serves every scenario: a scenario focuses it, writes a marker into its log,
 * types, then types F9 (mapped by no profile) and waits for it — X delivers keys in order, so
 * every key before F9 has arrived — and asserts on the events after its marker, and that no key
 * is left down.
 *
 *   1. the environment: a probe hook (probe-hook.cjs) remaps A to B through SendInput; the window
 *      gets B, never A; the hook saw its injected events with their dwExtraInfo tag; without it,
 *      A arrives again. This scenario runs always.
 *   2. the daemon under Windows Node with the virtual backend: REST answers from Wine.
 *   3. the daemon with the Windows backend (one process for all of it), profiles in
 *      test/wine/profiles: REST, Raw Input's keyboard (listed, attributed, its when_device_start
 *      mapping, disabled and enabled over REST), a remap, the tray's Suspend/Resume and Reload (WM_COMMAND posted
 *      to its window by the target), tap vs hold by timing, a layer, a profile switch with a key
 *      held, the emergency chord (the daemon exits; keys arrive unmapped); then a second daemon
 *      ended by the tray's Exit.
 *   4. `keyrx install --autostart` writes the HKCU Run value (`wine reg query`), `keyrx doctor
 *      --json` finds the hook usable, Wine's keyboard through Raw Input and the daemon's token
 *      file readable by its owner only and autostart set, `keyrx uninstall` removes the value.
 * 2 and 3 are skipped while dist/src/platform/windows/backend.js does not exist
 * (KEYRX_WINE_DAEMON=1 runs them anyway).
 *
 * Timeouts only catch hangs; nothing asserts on how long anything took.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  appMain,
  focusWindow,
  helperCommand,
  koffiDir,
  prepare,
  ROOT,
  RUN_DIR,
  setupTimings,
  stageApp,
  startX,
  stopAll,
  tail,
  waitForLog,
  wineEnv,
  wineNode,
  winPath,
  xdotool,
  type WineProcess,
} from './env.ts';

const HERE = import.meta.dirname;
const OUT = RUN_DIR;
const TITLE = 'keyrx-wine-target';
/** How long a wait may take before it counts as a hang (a cold Wine start of the daemon included). */
const HANG_MS = 120_000;
/** The key every scenario types last: mapped by no profile. */
const SENTINEL = 'F9';
const VK_SENTINEL = 0x78;

const BACKEND_BUILT = existsSync(join(ROOT, 'dist/src/platform/windows/backend.js'));
const DAEMON_SKIP =
  BACKEND_BUILT || process.env.KEYRX_WINE_DAEMON === '1'
    ? false
    : 'windows backend not built yet (dist/src/platform/windows/backend.js)';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `promise`, or a failure saying `what()` after HANG_MS. */
async function withinHang<T>(promise: Promise<T>, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what())), HANG_MS);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// the target window

interface KeyEvent {
  ev: 'key';
  type: 'down' | 'up';
  sys: boolean;
  vk: number;
  scan: number;
  ext: boolean;
  repeat: number;
  prev: boolean;
}
interface CharEvent {
  ev: 'char';
  ch: string;
}
type TargetEvent = KeyEvent | CharEvent | { ev: 'mark'; name: string } | { ev: 'focus' | 'ready' };

const VK_NAMES: Record<number, string> = {
  0x08: 'Backspace',
  0x09: 'Tab',
  0x0d: 'Enter',
  // messages carry the generic VK_SHIFT/CONTROL/MENU; the sided ones, should they appear, read the same
  0x10: 'Shift',
  0x11: 'Ctrl',
  0x12: 'Alt',
  0xa0: 'Shift',
  0xa1: 'Shift',
  0xa2: 'Ctrl',
  0xa3: 'Ctrl',
  0xa4: 'Alt',
  0xa5: 'Alt',
  0x1b: 'Escape',
  0x20: 'Space',
  0x25: 'Left',
  0x26: 'Up',
  0x27: 'Right',
  0x28: 'Down',
  0x78: 'F9',
};
function vkName(vk: number): string {
  if ((vk >= 0x30 && vk <= 0x39) || (vk >= 0x41 && vk <= 0x5a)) return String.fromCharCode(vk);
  return VK_NAMES[vk] ?? `vk0x${vk.toString(16)}`;
}

/** The key messages as `+B` (down), `-B` (up), `+B*` (an auto-repeat down). */
function strokes(events: TargetEvent[]): string[] {
  return events
    .filter((e): e is KeyEvent => e.ev === 'key')
    .map((e) => `${e.type === 'down' ? '+' : '-'}${vkName(e.vk)}${e.type === 'down' && e.prev ? '*' : ''}`);
}

/** The text typed (WM_CHAR). */
function typed(events: TargetEvent[]): string {
  return events
    .filter((e): e is CharEvent => e.ev === 'char')
    .map((e) => e.ch)
    .join('');
}

class Target {
  private constructor(
    readonly proc: WineProcess,
    readonly log: string,
    readonly port: number,
  ) {}

  static async start(): Promise<Target> {
    const log = join(OUT, 'target.log');
    const proc = wineNode(join(HERE, 'target.cjs'), [winPath(log), TITLE], join(OUT, 'target.out'), {
      KEYRX_KOFFI: winPath(koffiDir()),
    });
    const ready = await waitForLog(log, /"ev":"ready","port":(\d+)/, HANG_MS, proc);
    return new Target(proc, log, Number(ready[1]));
  }

  command(line: string): Promise<Record<string, unknown>> {
    return helperCommand(this.port, line);
  }

  /** The X focus (xdotool) and the Win32 foreground and focus (inside Wine) on the window. */
  async focus(): Promise<void> {
    focusWindow(TITLE);
    const reply = await this.command('focus');
    assert.deepEqual(
      { foreground: reply.foreground, focus: reply.focus },
      { foreground: true, focus: true },
      'the target window could not take the focus',
    );
  }

  /** The events after the marker `name` (to the next marker). */
  events(name: string): TargetEvent[] {
    const all = readFileSync(this.log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as TargetEvent);
    const start = all.findLastIndex((e) => e.ev === 'mark' && e.name === name);
    assert.ok(start >= 0, `no marker ${name} in ${this.log}`);
    const end = all.findIndex((e, i) => i > start && e.ev === 'mark');
    return all.slice(start + 1, end < 0 ? undefined : end).filter((e) => e.ev === 'key' || e.ev === 'char');
  }

  /** Waits until the events after `name` satisfy `done` (a hang fails after HANG_MS). */
  async waitFor(name: string, what: string, done: (events: TargetEvent[]) => boolean): Promise<void> {
    const deadline = Date.now() + HANG_MS;
    while (!done(this.events(name))) {
      if (!this.proc.running()) throw new Error(`the target window exited:\n${tail(this.proc.output)}`);
      if (Date.now() > deadline)
        throw new Error(
          `the target never saw ${what}; after '${name}': ${strokes(this.events(name)).join(' ')}`,
        );
      await sleep(20);
    }
  }

  /**
   * Runs a scenario: focus, marker, `act` (the typing), then the sentinel key and a wait for it.
   * Returns the events before the sentinel; asserts that no key is left down afterwards.
   */
  async scenario(name: string, act: () => unknown): Promise<TargetEvent[]> {
    await this.focus();
    await this.command(`mark ${name}`);
    await act();
    xdotool('key', SENTINEL);
    await this.waitFor(name, `the sentinel ${SENTINEL}`, (events) =>
      events.some((e) => e.ev === 'key' && e.type === 'up' && e.vk === VK_SENTINEL),
    );
    const events = this.events(name);
    const sentinel = events.findIndex((e) => e.ev === 'key' && e.vk === VK_SENTINEL);
    const keys = await this.command('keys');
    assert.deepEqual(keys.down, [], `keys left down after '${name}': ${strokes(events).join(' ')}`);
    return events.slice(0, sentinel);
  }
}

let target: Target;

before(async () => {
  await prepare();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  stageApp();
  await startX();
  target = await Target.start();
  for (const t of setupTimings()) process.stdout.write(`setup: ${t.step} ${(t.ms / 1000).toFixed(1)} s\n`);
});

after(async () => {
  await stopAll();
  process.stdout.write(`logs of this run: ${OUT}\n`);
});

// ---------------------------------------------------------------------------------------------
// 1. the environment

test('environment: a low-level hook under Wine replaces A by a tagged B, and the window gets B', async () => {
  const log = join(OUT, 'probe.log');
  const probe = wineNode(join(HERE, 'probe-hook.cjs'), [winPath(log)], join(OUT, 'probe.out'), {
    KEYRX_KOFFI: winPath(koffiDir()),
  });
  const ready = await waitForLog(log, /"ev":"ready","port":(\d+)/, HANG_MS, probe);
  const port = Number(ready[1]);

  const events = await target.scenario('probe', () => {
    for (const key of ['a', 'c', 'shift+a', 'x']) xdotool('key', key);
  });
  assert.equal(typed(events), 'bcBx');
  assert.ok(!strokes(events).includes('+A'), `A reached the window: ${strokes(events).join(' ')}`);
  // both A presses and releases swallowed, each replaced by an injected B carrying our tag (under
  // Wine the injected B runs the hook inside SendInput: the flag, not the nesting, tells it apart)
  assert.deepEqual(await helperCommand(port, 'stats'), {
    ok: true,
    physicalA: 4,
    injectedTagged: 4,
    injectedOther: 0,
    sendFailures: 0,
    other: 8, // c, Shift, x, F9: down and up
  });

  await helperCommand(port, 'quit');
  const exit = await withinHang(probe.exited, () => `the probe did not quit:\n${tail(probe.output)}`);
  assert.deepEqual(exit, { code: 0, signal: null });
  const after = await target.scenario('probe-gone', () => xdotool('key', 'a'));
  assert.deepEqual(strokes(after), ['+A', '-A']);
  assert.equal(typed(after), 'a');
});

// ---------------------------------------------------------------------------------------------
// the daemon under Windows Node

interface WineDaemon {
  proc: WineProcess;
  url: string;
  token: string;
  api(method: string, path: string): Promise<{ status: number; json: Record<string, unknown> }>;
}

/**
 * `keyrx daemon` (the build in the cache) under Wine on a fresh config dir with our profiles.
 * `openToken`: a token file readable by everyone is there already (Wine shows mode 0644 as an
 * Everyone entry in its access list): the daemon must make it private.
 */
async function startDaemon(name: string, backend: string, openToken = false): Promise<WineDaemon> {
  const dir = join(OUT, `${name}-config`);
  mkdirSync(join(dir, 'profiles'), { recursive: true });
  for (const profile of ['main', 'other'])
    copyFileSync(join(HERE, 'profiles', `${profile}.rhai`), join(dir, 'profiles', `${profile}.rhai`));
  if (openToken) writeFileSync(join(dir, 'token'), `${'5e'.repeat(32)}\n`, { mode: 0o644 });
  const output = join(OUT, `${name}.out`);
  const proc = wineNode(
    appMain(),
    ['daemon', '--backend', backend, '--config-dir', winPath(dir), '--host', '127.0.0.1', '--port', '0'],
    output,
  );
  const listening = await waitForLog(output, /listening on (http:\/\/\S+)/, HANG_MS, proc);
  const url = listening[1];
  const token = readFileSync(join(dir, 'token'), 'utf8').trim();
  return {
    proc,
    url,
    token,
    async api(method, path) {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(30_000),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    },
  };
}

/** The context fields of a GET /api/context reply. */
function pick(c: Record<string, unknown>): Record<string, unknown> {
  return { app: c.app, title: c.title, ime: c.ime, language: c.language };
}

/** A request with a JSON body. */
async function fetchJson(
  daemon: WineDaemon,
  method: string,
  path: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(daemon.url + path, {
    method,
    headers: { authorization: `Bearer ${daemon.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test(
  'daemon under Windows Node (virtual backend): the REST API answers from Wine',
  { skip: DAEMON_SKIP },
  async () => {
    const daemon = await startDaemon('daemon-virtual', 'virtual');
    try {
      const status = await daemon.api('GET', '/api/status');
      assert.equal(status.status, 200);
      assert.equal(status.json.backend, 'virtual');
      const activated = await daemon.api('POST', '/api/profiles/main/activate');
      assert.equal(activated.status, 200, JSON.stringify(activated.json));
      assert.equal((await daemon.api('GET', '/api/status')).json.activeProfile, 'main');
    } finally {
      await daemon.proc.kill();
    }
  },
);

describe('daemon with the Windows backend', { skip: DAEMON_SKIP }, () => {
  let daemon: WineDaemon;

  before(async () => {
    daemon = await startDaemon('daemon-windows', 'windows', true);
  });

  after(async () => {
    await daemon?.proc.kill();
  });

  test('the token file that everyone could read is private to its owner now (the same token)', () => {
    assert.equal(daemon.token, '5e'.repeat(32));
    assert.match(
      readFileSync(daemon.proc.output, 'utf8'),
      /the token file was readable by others; now by its owner only/,
    );
    // Wine keeps a file's access list as its Unix mode: nothing for others any more
    assert.equal(statSync(join(OUT, 'daemon-windows-config', 'token')).mode & 0o007, 0);
  });

  test('REST from Linux: status, and the main profile activated', async () => {
    const status = await daemon.api('GET', '/api/status');
    assert.equal(status.status, 200);
    assert.equal(status.json.backend, 'windows');
    const activated = await daemon.api('POST', '/api/profiles/main/activate');
    assert.equal(activated.status, 200, JSON.stringify(activated.json));
    assert.equal((await daemon.api('GET', '/api/status')).json.activeProfile, 'main');
  });

  test("devices: Raw Input names Wine's keyboard; its when_device_start mapping and its enabled switch apply", async () => {
    const list = (await daemon.api('GET', '/api/devices')).json.devices as Array<Record<string, unknown>>;
    const keyboard = list.find((d) => d.vendor === 0x845e);
    assert.ok(keyboard, `no Raw Input keyboard in GET /api/devices: ${JSON.stringify(list)}`);
    assert.match(String(keyboard.phys), /^HID\\VID_845E&PID_[0-9A-F]{4}\\/);
    assert.match(String(keyboard.path), /^\\\\\?\\HID#VID_845E/i);
    assert.equal(keyboard.connected, true);
    assert.ok(
      list.some((d) => d.id === 'windows-keyboard'),
      'the aggregate device (keys Raw Input did not attribute) is listed',
    );

    const typedV = await target.scenario('device-mapping', () => xdotool('key', 'v'));
    assert.equal(typed(typedV), 'm');
    // the record came before the hook call: the key was attributed, not given to the fallback
    await waitForLog(daemon.proc.output, /Raw Input names the keyboard of each key/, HANG_MS, daemon.proc);

    const id = encodeURIComponent(String(keyboard.id));
    const off = await fetchJson(daemon, 'PATCH', `/api/devices/${id}`, { enabled: false });
    assert.equal(off.status, 200, JSON.stringify(off.json));
    try {
      const passed = await target.scenario('device-disabled', () => xdotool('key', 'a'));
      assert.equal(typed(passed), 'a', 'a disabled keyboard is not remapped');
    } finally {
      const on = await fetchJson(daemon, 'PATCH', `/api/devices/${id}`, { enabled: true });
      assert.equal(on.status, 200, JSON.stringify(on.json));
    }
    const remapped = await target.scenario('device-enabled', () => xdotool('key', 'a'));
    assert.equal(typed(remapped), 'b');
  });

  test('remap: A types b (Shift+A types B), A never reaches the window', async () => {
    const events = await target.scenario('remap', () => {
      for (const key of ['a', 'x', 'a', 'shift+a']) xdotool('key', key);
    });
    assert.equal(typed(events), 'bxbB');
    assert.ok(!strokes(events).includes('+A'), strokes(events).join(' '));
  });

  test('tray: Suspend lets keys through unmapped, Resume remaps again, REST flips the same switch, Reload re-activates', async () => {
    const tray = (arg = ''): Promise<Record<string, unknown>> => target.command(`tray ${arg}`);
    const titled = async (title: string): Promise<void> => {
      for (let seen = await tray(); seen.title !== title; seen = await tray()) {
        if (!daemon.proc.running()) throw new Error(`the daemon exited:\n${tail(daemon.proc.output)}`);
        await sleep(20);
      }
    };
    const start = await tray();
    assert.equal(start.found, true, 'no tray window (class KeyrxTrayWindow)');
    assert.equal(start.title, 'keyrx: remapping');

    // Suspend, as the popup menu sends it; the title changes once the hook lets keys through
    assert.equal((await tray('3')).posted, true);
    try {
      await withinHang(titled('keyrx: suspended (keys pass through)'), () => tail(daemon.proc.output));
      const suspended = await target.scenario('suspended', () => {
        for (const key of ['a', 'shift+a', 'd']) xdotool('key', key);
      });
      assert.equal(typed(suspended), 'aAd');
      // the keys themselves, not B; D is not held back as a tap-hold key (X orders Shift's release either way)
      assert.deepEqual(
        strokes(suspended).filter((s) => !s.endsWith('Shift')),
        ['+A', '-A', '+A', '-A', '+D', '-D'],
      );
    } finally {
      // resumed whatever happened: the scenarios after this one need the remapping
      assert.equal((await tray('4')).posted, true);
    }
    await withinHang(titled('keyrx: remapping'), () => tail(daemon.proc.output));
    const resumed = await target.scenario('resumed', () => xdotool('key', 'a'));
    assert.equal(typed(resumed), 'b');

    // the same switch over REST: the status says so, and the tray follows
    assert.deepEqual((await daemon.api('POST', '/api/suspend')).json, { suspended: true });
    try {
      assert.equal((await daemon.api('GET', '/api/status')).json.suspended, true);
      await withinHang(titled('keyrx: suspended (keys pass through)'), () => tail(daemon.proc.output));
      const viaRest = await target.scenario('suspended-rest', () => xdotool('key', 'a'));
      assert.equal(typed(viaRest), 'a');
    } finally {
      assert.deepEqual((await daemon.api('POST', '/api/resume')).json, { suspended: false });
    }
    await withinHang(titled('keyrx: remapping'), () => tail(daemon.proc.output));

    // Reload: the active profile is activated again (the daemon logs each activation)
    const activations = (): number =>
      readFileSync(daemon.proc.output, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"msg":"profile activated"')).length;
    const before = activations();
    await tray('2');
    await withinHang(
      (async () => {
        while (activations() === before) await sleep(20);
      })(),
      () => `the tray's Reload activated nothing:\n${tail(daemon.proc.output)}`,
    );
    assert.equal((await daemon.api('GET', '/api/status')).json.activeProfile, 'main');
    const reloaded = await target.scenario('reloaded', () => xdotool('key', 'a'));
    assert.equal(typed(reloaded), 'b');
  });

  test('tap vs hold: D tapped types d; held alone past its 300 ms it is Shift, and no d', async () => {
    const tap = await target.scenario('tap', () => xdotool('key', 'd'));
    assert.equal(typed(tap), 'd');

    const hold = await target.scenario('hold', async () => {
      xdotool('keydown', 'd');
      // the threshold passes while D is held alone: the daemon must wake for its deadline
      await target.waitFor('hold', 'Shift pressed at the threshold', (e) => strokes(e).includes('+Shift'));
      xdotool('keyup', 'd');
    });
    assert.equal(typed(hold), '');
    assert.equal(strokes(hold).at(-1), '-Shift', strokes(hold).join(' '));

    // held and another key pressed before the threshold: permissive hold, Shift at once
    const shifted = await target.scenario('hold-with-key', () => {
      xdotool('keydown', 'd');
      xdotool('key', 'k');
      xdotool('keyup', 'd');
    });
    assert.equal(typed(shifted), 'K');
  });

  test('a layer: with G held, H is Left (extended) and J types 1; G types nothing', async () => {
    const events = await target.scenario('layer', () => {
      xdotool('keydown', 'g');
      xdotool('key', 'h');
      xdotool('key', 'j');
      xdotool('keyup', 'g');
      xdotool('key', 'h');
    });
    assert.equal(typed(events), '1h');
    assert.deepEqual(strokes(events), ['+Left', '-Left', '+1', '-1', '+H', '-H']);
    const left = events.find((e): e is KeyEvent => e.ev === 'key' && e.vk === 0x25);
    assert.equal(left?.ext, true, 'Left arrived without the extended flag');
  });

  test('context from Windows: APP:node.exe and TITLE: of the target map keys; GET /api/context shows it', async () => {
    // the daemon reads the foreground window itself (no PUT): the target's process and title
    const expected = { app: 'node.exe', title: TITLE, ime: false, language: 'en' };
    const context = async (): Promise<Record<string, unknown>> => {
      const r = await daemon.api('GET', '/api/context');
      assert.equal(r.status, 200);
      return r.json;
    };
    const events = await target.scenario('context', () => {
      for (const key of ['q', 'z', 'e']) xdotool('key', key);
    });
    // Q: APP:node.exe, Z: TITLE:keyrx-wine-*, E: APP:notepad.exe does not match
    assert.equal(typed(events), 'wye', strokes(events).join(' '));
    // the input thread told the main thread before the keys went out; wait for it, in case
    // the request overtook that message
    await withinHang(
      (async () => {
        while (JSON.stringify(pick(await context())) !== JSON.stringify(expected)) await sleep(50);
      })(),
      () => 'GET /api/context never showed the target window',
    );
    assert.notEqual((await context()).updatedAt, null);

    // an explicit PUT holds while the foreground window stays (the next foreground change
    // overwrites app and title): Q is no longer node.exe's
    const put = await fetchJson(daemon, 'PUT', '/api/context', { app: 'other.exe' });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    const overridden = await target.scenario('context-put', () => xdotool('key', 'q'));
    assert.equal(typed(overridden), 'q');
    assert.deepEqual(pick(await context()), { ...expected, app: 'other.exe' });
    assert.equal((await fetchJson(daemon, 'PUT', '/api/context', { app: 'node.exe' })).status, 200);
    const restored = await target.scenario('context-restored', () => xdotool('key', 'q'));
    assert.equal(typed(restored), 'w');
  });

  test('auto-repeat: A held repeats B, released once', async () => {
    const events = await target.scenario('repeat', async () => {
      xdotool('keydown', 'a');
      // X repeats after 3 s here (env.ts): waits for two repeats, however long they take
      await target.waitFor('repeat', 'B repeated', (e) => strokes(e).filter((s) => s === '+B*').length >= 2);
      xdotool('keyup', 'a');
    });
    const seen = strokes(events);
    assert.equal(seen[0], '+B', seen.join(' '));
    assert.equal(seen.at(-1), '-B', seen.join(' '));
    assert.ok(
      seen.slice(1, -1).every((s) => s === '+B*'),
      seen.join(' '),
    );
    assert.match(typed(events), /^bbb+$/);
  });

  test('profile switch over REST with A held: its B is released, then A types c', async () => {
    const events = await target.scenario('switch', async () => {
      xdotool('keydown', 'a');
      await target.waitFor('switch', 'B pressed', (e) => strokes(e).includes('+B'));
      const activated = await daemon.api('POST', '/api/profiles/other/activate');
      assert.equal(activated.status, 200, JSON.stringify(activated.json));
      // released by the swap, while A is still physically down
      await target.waitFor('switch', 'B released by the swap', (e) => strokes(e).includes('-B'));
      xdotool('keyup', 'a');
      xdotool('key', 'a');
    });
    assert.match(typed(events), /^b+c$/, strokes(events).join(' '));
    assert.ok(!strokes(events).includes('+A'), strokes(events).join(' '));
    assert.equal((await daemon.api('GET', '/api/status')).json.activeProfile, 'other');
  });

  test('emergency chord LCtrl+Space+Escape: the daemon exits, keys then reach the window unmapped', async () => {
    await target.focus();
    await target.command('mark chord');
    xdotool('keydown', 'Control_L', 'space', 'Escape');
    const exit = await withinHang(
      daemon.proc.exited,
      () => `the daemon did not exit on the chord:\n${tail(daemon.proc.output)}`,
    );
    xdotool('keyup', 'Escape', 'space', 'Control_L');
    assert.deepEqual(exit, { code: 0, signal: null }, tail(daemon.proc.output));

    const events = await target.scenario('after-chord', () => xdotool('key', 'a'));
    assert.deepEqual(strokes(events), ['+A', '-A']);
    assert.equal(typed(events), 'a');
  });
});

test(
  "tray's Exit: the daemon stops cleanly (status 0) and its tray window is gone",
  { skip: DAEMON_SKIP },
  async () => {
    const daemon = await startDaemon('daemon-tray-exit', 'windows');
    try {
      const tray = await target.command('tray 5');
      assert.equal(tray.found, true, 'no tray window (class KeyrxTrayWindow)');
      const exit = await withinHang(
        daemon.proc.exited,
        () => `the daemon did not exit on the tray's Exit:\n${tail(daemon.proc.output)}`,
      );
      assert.deepEqual(exit, { code: 0, signal: null }, tail(daemon.proc.output));
      assert.match(readFileSync(daemon.proc.output, 'utf8'), /exit from the tray/);
      assert.equal((await target.command('tray')).found, false);
      // the hook went with it
      const events = await target.scenario('after-tray-exit', () => xdotool('key', 'a'));
      assert.equal(typed(events), 'a');
    } finally {
      await daemon.proc.kill();
    }
  },
);

// ---------------------------------------------------------------------------------------------
// 4. install, doctor, uninstall

/** `keyrx <args>` under Wine to its end: its exit and output. */
async function keyrx(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; output: string }> {
  const file = join(OUT, `${name}.out`);
  const proc = wineNode(appMain(), args, file, env);
  const exit = await withinHang(proc.exited, () => `keyrx ${args.join(' ')} hangs:\n${tail(file)}`);
  return { code: exit.code, output: readFileSync(file, 'utf8') };
}

/** `wine reg query` of keyrx's Run value: its data, or null when there is none. */
function runValue(): string | null {
  const r = spawnSync(
    'wine',
    ['reg', 'query', 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run', '/v', 'keyrx'],
    { env: wineEnv(), encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) return null;
  const line = r.stdout.split(/\r?\n/).find((l) => /^\s+keyrx\s+REG_SZ\s/.test(l));
  return line ? line.replace(/^\s+keyrx\s+REG_SZ\s+/, '').trim() : null;
}

test(
  'install --autostart writes the HKCU Run value, doctor --json finds the hook usable, uninstall removes it',
  { skip: DAEMON_SKIP },
  async () => {
    assert.equal(runValue(), null, 'a Run value keyrx before the test');
    const installed = await keyrx('install', ['install', '--autostart']);
    assert.equal(installed.code, 0, installed.output);
    const value = runValue();
    const main = winPath(appMain());
    assert.match(value ?? '', /^"[^"]*node\.exe" "([^"]*)" daemon$/, `Run value: ${value}`);
    assert.equal(/^"[^"]*" "([^"]*)"/.exec(value!)![1].toLowerCase(), main.toLowerCase());
    // a second run changes nothing
    const again = await keyrx('install-again', ['install', '--autostart']);
    assert.equal(again.code, 0, again.output);
    assert.match(again.output, /already done/);

    // the config dir of the Windows daemon above: its token file was written there under Wine
    const doctor = await keyrx('doctor', ['doctor', '--json'], {
      KEYRX_CONFIG_DIR: winPath(join(OUT, 'daemon-windows-config')),
    });
    assert.equal(doctor.code, 0, doctor.output);
    const report = JSON.parse(doctor.output.slice(doctor.output.indexOf('{'))) as {
      ok: boolean;
      platform: string;
      wine: boolean;
      checks: Array<{ id: string; status: string; detail: string }>;
    };
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    assert.equal(report.platform, 'windows');
    assert.equal(report.wine, true);
    assert.equal(status.ffi, 'ok', doctor.output);
    assert.equal(status.hook, 'ok', doctor.output);
    assert.equal(status.autostart, 'ok', doctor.output);
    assert.ok(['ok', 'warn'].includes(status.elevation), doctor.output);
    const detail = (id: string): string => report.checks.find((c) => c.id === id)?.detail ?? '';
    // Raw Input lists Wine's keyboard; the daemon gave its token file an owner-only access list
    assert.equal(status.keyboards, 'ok', doctor.output);
    assert.match(detail('keyboards'), /Wine HID keyboard \(HID\\VID_845E/);
    assert.equal(status.token, 'ok', doctor.output);
    assert.match(detail('token'), /readable by its owner only/);

    const removed = await keyrx('uninstall', ['uninstall']);
    assert.equal(removed.code, 0, removed.output);
    assert.equal(runValue(), null);
  },
);
