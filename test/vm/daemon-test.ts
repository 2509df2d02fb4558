/**
 * Part 2 of the real-kernel test (after vm-test.ts, in the same VM boot): the real daemon.
 *
 * This harness (its own uinput code, driver.ts) creates a "physical" keyboard and a mouse, then
 * starts `node dist/src/cli/main.js daemon --backend linux --config-dir /tmp/cfg --port 0` as a
 * child process — the built CLI, exactly as `keyrx daemon` runs — reads the URL it prints and the
 * token file, and drives it only from outside: REST calls, the physical keyboard, readers of the
 * daemon's uinput output device, `keyrx doctor` and `keyrx devices list`, and the emergency chord.
 *
 * Prints `KEYRX-VM PART daemon: PASS` or `… FAIL` as its last line; exit code 0 on PASS.
 * Steps run in order and share state (the daemon, the devices); a step that throws counts as a
 * failure and the next one still runs, except after a failed start.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestDevice } from './driver.ts';
import {
  createTestDevice,
  ledEvents,
  DEBUG,
  destroyTestDevice,
  emit,
  EV_KEY,
  EV_REL,
  findEventNodeByName,
  fmt,
  grabState,
  KEY,
  log,
  Reader,
  sleep,
  stats,
  waitFor,
} from './driver.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const CONFIG_DIR = '/tmp/cfg';
/** the daemon's output device name (src/platform/linux/constants.ts; matched by name here only) */
const OUTPUT_NAME = 'keyrx virtual keyboard';
const KBD = { name: 'keyrx-vm daemon keyboard', product: 0x0011, phys: 'keyrx-vm/dkbd0' };
const MOUSE = { name: 'keyrx-vm daemon mouse', product: 0x0012, phys: 'keyrx-vm/dmouse0' };
/** latency statistics every 200 ms instead of 1 s: GET /api/metrics is current sooner */
const LATENCY_INTERVAL_MS = 200;

// The test keyboard gets its own device block (by name), so GET /api/devices shows the match;
// the VM's i8042 keyboard matches no block and passes through.
const PROFILE_ONE = `
device_start("keyrx-vm daemon*");
map("A", "VK_B");                                  // remap
tap_hold("CapsLock", "VK_Escape", "MD_00", 200);   // tap-hold with a layer
when_start("MD_00");
map("H", "VK_Left");
when_end();
map("Q", with_shift("VK_Num1"));                   // modified output
device_end();
led_indicator("MD_00", "ScrollLock");              // Scroll Lock lit while MD_00 is
`;
const PROFILE_TWO = PROFILE_ONE.replace('map("A", "VK_B");', 'map("A", "VK_C");');
const BLOCK = { index: 0, pattern: 'keyrx-vm daemon*' };

// ---------------------------------------------------------------- the daemon process

interface DaemonProcess {
  child: ChildProcess;
  baseUrl: string;
  token: string;
  exit: Promise<{ code: number | null; signal: string | null }>;
  exited: boolean;
  /** stderr (pino JSON lines) */
  logLines: string[];
}

async function startDaemon(): Promise<DaemonProcess> {
  const child = spawn(
    process.execPath,
    [MAIN, 'daemon', '--backend', 'linux', '--config-dir', CONFIG_DIR, '--port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logLines: string[] = [];
  const d: DaemonProcess = {
    child,
    baseUrl: '',
    token: '',
    exited: false,
    logLines,
    exit: new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        d.exited = true;
        resolve({ code, signal });
      }),
    ),
  };
  let errBuf = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    errBuf += chunk;
    const lines = errBuf.split('\n');
    errBuf = lines.pop() ?? '';
    for (const line of lines) {
      logLines.push(line);
      let level: number;
      let msg = line;
      try {
        const j = JSON.parse(line) as { level?: number; msg?: string; code?: string };
        level = j.level ?? 0;
        msg = `${j.msg ?? ''}${j.code ? ` (${j.code})` : ''}`;
      } catch {
        level = 50; // not JSON: a crash trace
      }
      if (level >= 40 || DEBUG)
        log(`  daemon ${level >= 50 ? 'error' : level >= 40 ? 'warn' : 'log'}: ${msg}`);
    }
  });
  const stdout: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    let outBuf = '';
    const timer = setTimeout(() => reject(new Error('no URL from the daemon within 90 s')), 90_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      outBuf += chunk;
      const lines = outBuf.split('\n');
      outBuf = lines.pop() ?? '';
      for (const line of lines) {
        stdout.push(line);
        log(`  daemon stdout: ${line}`);
        const m = /listening on (http:\/\/\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      }
    });
    void d.exit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the daemon exited during start (code ${code}, signal ${signal})`));
    });
  });
  d.baseUrl = url;
  d.token = fs.readFileSync(`${CONFIG_DIR}/token`, 'utf8').trim();
  return d;
}

async function api<T = unknown>(
  d: DaemonProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${d.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${d.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T };
}

function runCli(
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

interface DeviceInfo {
  id: string;
  name: string;
  deviceName: string;
  connected: boolean;
  grabbed: boolean;
  backend: string;
  path: string | null;
  matchedBlock: { index: number; pattern: string } | null;
}

interface DoctorJson {
  ok: boolean;
  checks: { id: string; status: string }[];
  keyboards: { id: string; name: string }[];
  devices: { own: boolean; name: string }[];
}

interface LatencyStats {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

// ---------------------------------------------------------------- the test

interface Ctx {
  daemon: DaemonProcess;
  kbd: TestDevice;
  mouse: TestDevice;
  kbdId: string;
  output: Reader;
  outputNode: string;
  e2e: number[];
  ok(cond: boolean, label: string): void;
  keys(from: number): string[];
  mark(): number;
  expectKeys(label: string, from: number, want: string[], ms?: number): Promise<boolean>;
  tap(code: number, holdMs?: number): Promise<void>;
  devices(): Promise<DeviceInfo[]>;
  /** polls GET /api/devices (3 s) until a device matches */
  device(pred: (d: DeviceInfo) => boolean): Promise<DeviceInfo | undefined>;
}

type Step = [name: string, run: (c: Ctx) => Promise<void>];

const STEPS: Step[] = [
  [
    'profiles through the REST API: create, PUT the source, activate; a second one for the swap',
    async (c) => {
      const d = c.daemon;
      const status = await api<{ backend: string }>(d, 'GET', '/api/status');
      c.ok(
        status.status === 200 && status.body.backend === 'linux',
        `status: backend ${status.body.backend}`,
      );
      const settings = await api(d, 'PATCH', '/api/settings', { latencyIntervalMs: LATENCY_INTERVAL_MS });
      c.ok(settings.status === 200, `PATCH /api/settings latencyIntervalMs: ${settings.status}`);
      const created = await api(d, 'POST', '/api/profiles', { name: 'vm-one', template: 'blank' });
      c.ok(created.status === 201, `POST /api/profiles vm-one: ${created.status}`);
      const put = await api(d, 'PUT', '/api/profiles/vm-one', { source: PROFILE_ONE });
      c.ok(
        put.status === 200,
        `PUT /api/profiles/vm-one: ${put.status} ${put.status === 200 ? '' : JSON.stringify(put.body)}`,
      );
      const two = await api(d, 'POST', '/api/profiles', { name: 'vm-two', source: PROFILE_TWO });
      c.ok(two.status === 201, `POST /api/profiles vm-two (with a source): ${two.status}`);
      const act = await api<{ profile: string; compileMs: number }>(
        d,
        'POST',
        '/api/profiles/vm-one/activate',
      );
      c.ok(
        act.status === 200 && act.body.profile === 'vm-one',
        `activate vm-one: ${JSON.stringify(act.body)}`,
      );
    },
  ],
  [
    'grabs: the physical keyboard grabbed by the daemon, its output device and the mouse not',
    async (c) => {
      const list = await c.devices();
      const kbd = list.find((x) => x.deviceName === KBD.name);
      const mouse = list.find((x) => x.deviceName === MOUSE.name);
      c.kbdId = kbd?.id ?? '';
      c.ok(
        !!kbd && kbd.connected && kbd.grabbed && kbd.backend === 'linux' && kbd.path === c.kbd.node,
        `GET /api/devices: keyboard connected and grabbed (${JSON.stringify(kbd)})`,
      );
      c.ok(
        !!kbd && kbd.matchedBlock?.index === BLOCK.index && kbd.matchedBlock.pattern === BLOCK.pattern,
        `matched device block ${JSON.stringify(kbd?.matchedBlock)}`,
      );
      c.ok(
        !!mouse && mouse.connected && !mouse.grabbed,
        `mouse listed, not grabbed (${JSON.stringify(mouse)})`,
      );
      c.ok(!list.some((x) => x.deviceName === OUTPUT_NAME), 'own output device not listed');
      c.ok(
        grabState(c.kbd.node) === 'busy',
        `EVIOCGRAB on the keyboard: ${grabState(c.kbd.node)} (held by the daemon)`,
      );
      c.ok(
        grabState(c.outputNode) === 'free',
        `EVIOCGRAB on the output: ${grabState(c.outputNode)} (nobody holds it: no loop)`,
      );
      c.ok(grabState(c.mouse.node) === 'free', `EVIOCGRAB on the mouse: ${grabState(c.mouse.node)}`);
      const spy = new Reader(c.kbd.node);
      const from = c.mark();
      await c.tap(KEY.A, 30);
      await c.expectKeys('A tap', from, ['B:1', 'B:0']);
      await sleep(20);
      spy.poll();
      c.ok(spy.events.length === 0, `a second reader of the keyboard saw ${spy.events.length} events`);
      spy.close();
      const mouseReader = new Reader(c.mouse.node);
      emit(c.mouse, [[EV_REL, 0, 4]]);
      c.ok(
        await waitFor(() => mouseReader.events.some((e) => e.type === EV_REL && e.value === 4), 1000),
        'the mouse still reaches other readers',
      );
      mouseReader.close();
    },
  ],
  [
    'typing: remap, modified output, tap-hold tap and hold (by timing), nothing left down',
    async (c) => {
      let from = c.mark();
      await c.tap(KEY.Q, 20);
      await c.expectKeys('Q -> Shift+1', from, ['LSHIFT:1', 'NUM1:1', 'NUM1:0', 'LSHIFT:0']);
      from = c.mark();
      await c.tap(KEY.CAPS, 50);
      await c.expectKeys('CapsLock tapped 50 ms -> Escape', from, ['ESC:1', 'ESC:0']);
      from = c.mark();
      ledEvents(c.kbd);
      emit(c.kbd, [[EV_KEY, KEY.CAPS, 1]]);
      await sleep(400);
      c.ok(c.keys(from).length === 0, `nothing while CapsLock is held (${c.keys(from).join(' ')})`);
      // the layer indicator: Scroll Lock (LED 2) lit on the keyboard while MD_00 is held
      const leds: [number, number][] = [];
      const lit = (value: number): boolean => {
        leds.push(...ledEvents(c.kbd));
        return leds.some(([code, v]) => code === 2 && v === value);
      };
      c.ok(
        await waitFor(() => lit(1), 2000),
        `Scroll Lock lit while MD_00 is held (${JSON.stringify(leds)})`,
      );
      await c.tap(KEY.H, 20);
      emit(c.kbd, [[EV_KEY, KEY.CAPS, 0]]);
      await c.expectKeys('CapsLock held 400 ms + H -> Left', from, ['LEFT:1', 'LEFT:0']);
      leds.length = 0;
      c.ok(await waitFor(() => lit(0), 2000), `Scroll Lock off after (${JSON.stringify(leds)})`);
      await sleep(30);
      c.ok(!c.keys(from).includes('ESC:1'), 'no Escape after a hold');
      from = c.mark();
      await c.tap(KEY.A, 20);
      await c.expectKeys('A -> B', from, ['B:1', 'B:0']);
      await sleep(30);
      c.ok(
        c.output.keysDown().length === 0,
        `EVIOCGKEY on the output: ${JSON.stringify(c.output.keysDown())}`,
      );
    },
  ],
  [
    'profile switch through the API with A held: B released at once, then A -> C',
    async (c) => {
      const from = c.mark();
      emit(c.kbd, [[EV_KEY, KEY.A, 1]]);
      await c.expectKeys('A down', from, ['B:1']);
      const act = await api<{ profile: string }>(c.daemon, 'POST', '/api/profiles/vm-two/activate');
      c.ok(act.status === 200 && act.body.profile === 'vm-two', `activate vm-two: ${act.status}`);
      await c.expectKeys('the switch', from, ['B:1', 'B:0']);
      c.ok(
        c.output.keysDown().length === 0,
        `nothing down after the switch: ${JSON.stringify(c.output.keysDown())}`,
      );
      emit(c.kbd, [[EV_KEY, KEY.A, 0]]);
      await sleep(50);
      c.ok(c.keys(from).length === 2, `the old press's release emits nothing (${c.keys(from).join(' ')})`);
      const from2 = c.mark();
      await c.tap(KEY.A, 20);
      await c.expectKeys('A after the switch', from2, ['C:1', 'C:0']);
    },
  ],
  [
    'unplug with A held (C released), replug: same id, grabbed, matched block, remapping resumes',
    async (c) => {
      const from = c.mark();
      emit(c.kbd, [[EV_KEY, KEY.A, 1]]);
      await c.expectKeys('A down', from, ['C:1']);
      destroyTestDevice(c.kbd);
      await c.expectKeys('unplug', from, ['C:1', 'C:0']);
      // A device never configured through the API is listed only while connected.
      let listed = await c.devices();
      for (let i = 0; i < 100 && listed.some((x) => x.id === c.kbdId && x.connected); i++) {
        await sleep(30);
        listed = await c.devices();
      }
      c.ok(
        !listed.some((x) => x.id === c.kbdId && x.connected),
        'GET /api/devices: the keyboard is no longer connected',
      );
      const t0 = Date.now();
      c.kbd = createTestDevice(KBD, 'keyboard');
      const info = await c.device((x) => x.deviceName === KBD.name && x.connected && x.grabbed);
      log(`  re-grabbed ${Date.now() - t0} ms after the replug (as seen through GET /api/devices)`);
      c.ok(
        !!info && info.id === c.kbdId && info.connected && info.grabbed && info.path === c.kbd.node,
        `replugged: same id, connected, grabbed (${JSON.stringify(info)})`,
      );
      c.ok(
        info?.matchedBlock?.index === BLOCK.index && info.matchedBlock.pattern === BLOCK.pattern,
        `matched block after the replug ${JSON.stringify(info?.matchedBlock)}`,
      );
      const from2 = c.mark();
      await c.tap(KEY.A, 20);
      await c.expectKeys('A after the replug', from2, ['C:1', 'C:0']);
    },
  ],
  [
    'keyrx doctor and keyrx devices list inside the VM',
    async (c) => {
      // Both at once: two node processes, two vCPUs.
      const t = Date.now();
      const timed = async (args: string[]): Promise<Awaited<ReturnType<typeof runCli>> & { ms: number }> => ({
        ...(await runCli(args)),
        ms: Date.now() - t,
      });
      const [doctor, list, text] = await Promise.all([
        timed(['doctor', '--json']),
        timed(['devices', 'list', '--config-dir', CONFIG_DIR, '--url', c.daemon.baseUrl]),
        DEBUG ? timed(['doctor']) : null,
      ]);
      log(`  keyrx doctor --json: exit ${doctor.code} in ${doctor.ms} ms`);
      log(`  keyrx devices list: exit ${list.code} in ${list.ms} ms`);
      if (text) for (const line of text.stdout.trimEnd().split('\n')) log(`  doctor| ${line}`);
      let report: DoctorJson | null = null;
      try {
        report = JSON.parse(doctor.stdout) as DoctorJson;
      } catch {
        c.ok(false, `keyrx doctor --json printed no JSON (exit ${doctor.code}): ${doctor.stderr}`);
      }
      if (report) {
        const status = Object.fromEntries(report.checks.map((k) => [k.id, k.status]));
        c.ok(
          doctor.code === 0 && report.ok,
          `keyrx doctor: exit ${doctor.code}, ok ${report.ok} (${JSON.stringify(status)})`,
        );
        for (const id of ['ffi', 'uinput-module', 'uinput-device', 'input-access'])
          c.ok(status[id] === 'ok', `doctor ${id}: ${status[id]}`);
        c.ok(
          report.keyboards.some((k) => k.name === KBD.name && k.id === c.kbdId),
          "doctor lists the keyboard with the daemon's id",
        );
        c.ok(
          report.devices.some((x) => x.own && x.name === OUTPUT_NAME),
          "doctor marks the daemon's output device as keyrx's own",
        );
      }
      for (const line of list.stdout.trimEnd().split('\n')) log(`  | ${line}`);
      const row = list.stdout.split('\n').find((l) => l.startsWith(c.kbdId));
      c.ok(
        list.code === 0 && !!row && /\byes\s+yes\s+yes\b/.test(row) && row.includes(BLOCK.pattern),
        `keyrx devices list: the keyboard enabled, connected, grabbed, with its block (exit ${list.code})`,
      );
    },
  ],
  [
    'latency run: 40 taps of A, 25 ms apart; GET /api/metrics',
    async (c) => {
      c.e2e.length = 0;
      const before = await api<{ eventsProcessed: number }>(c.daemon, 'GET', '/api/metrics');
      const from = c.mark();
      for (let i = 0; i < 40; i++) {
        await c.tap(KEY.A, 10);
        await sleep(15);
      }
      await waitFor(() => c.keys(from).length >= 80, 3000);
      c.ok(c.keys(from).length === 80, `80 output events (${c.keys(from).length})`);
      // Statistics leave the input thread every latencyIntervalMs: wait for the last window.
      await sleep(LATENCY_INTERVAL_MS * 2 + 100);
      const m = await api<{ latencyUs: LatencyStats; eventsProcessed: number }>(
        c.daemon,
        'GET',
        '/api/metrics',
      );
      metrics = m.body.latencyUs;
      log(
        `  GET /api/metrics: eventsProcessed ${m.body.eventsProcessed} (+${m.body.eventsProcessed - before.body.eventsProcessed}), latencyUs ${JSON.stringify(m.body.latencyUs)}`,
      );
      c.ok(
        m.body.latencyUs.count === m.body.eventsProcessed,
        `the latency histogram covers every processed event (${m.body.latencyUs.count} of ${m.body.eventsProcessed})`,
      );
    },
  ],
  [
    'emergency chord LCtrl+Space+Escape: exit 0, keyboard ungrabbed, nothing left down on the output',
    async (c) => {
      const from = c.mark();
      emit(c.kbd, [[EV_KEY, KEY.LCTRL, 1]]);
      await sleep(20);
      emit(c.kbd, [[EV_KEY, KEY.SPACE, 1]]);
      await sleep(20);
      const t = Date.now();
      emit(c.kbd, [[EV_KEY, KEY.ESC, 1]]);
      const exit = await Promise.race([c.daemon.exit, sleep(10_000).then(() => null)]);
      log(`  daemon exit ${JSON.stringify(exit)} ${Date.now() - t} ms after the chord`);
      c.ok(!!exit && exit.code === 0, `the daemon exited with code 0 (${JSON.stringify(exit)})`);
      await waitFor(() => c.output.gone, 2000);
      c.output.poll();
      c.ok(c.output.gone, 'the output device is gone');
      const seen = c.keys(from);
      const down = new Map<string, number>();
      for (const e of c.output.events.slice(from))
        if (e.type === EV_KEY && e.value !== 2) down.set(fmt({ code: e.code, value: 0 }), e.value);
      const stuck = [...down].filter(([, v]) => v === 1).map(([k]) => k);
      c.ok(stuck.length === 0, `every output key pressed was released (${seen.join(' ')})`);
      const after = seen.slice(seen.indexOf('LCTRL:0') + 1);
      c.ok(
        seen.includes('LCTRL:0') && !after.includes('ESC:1'),
        `the chord's last key is not typed after everything was released (${seen.join(' ')})`,
      );
      // Ungrabbed: the chord's releases reach an ordinary reader now.
      c.ok(grabState(c.kbd.node) === 'free', `EVIOCGRAB on the keyboard: ${grabState(c.kbd.node)}`);
      const reader = new Reader(c.kbd.node);
      emit(c.kbd, [[EV_KEY, KEY.ESC, 0]]);
      emit(c.kbd, [[EV_KEY, KEY.SPACE, 0]]);
      emit(c.kbd, [[EV_KEY, KEY.LCTRL, 0]]);
      c.ok(
        await waitFor(() => reader.events.filter((e) => e.type === EV_KEY).length >= 3, 1000),
        `a reader of the keyboard sees its events (${reader.events
          .filter((e) => e.type === EV_KEY)
          .map(fmt)
          .join(' ')})`,
      );
      reader.close();
    },
  ],
  [
    'restart while A is typed: the first key out is remapped (A -> C), none comes out unmapped',
    async (c) => {
      // the daemon above exited (the chord); vm-two (A -> C) is still the saved active profile
      let typing = true;
      let taps = 0;
      const typer = (async () => {
        while (typing) {
          emit(c.kbd, [[EV_KEY, KEY.A, 1]]);
          await sleep(3);
          emit(c.kbd, [[EV_KEY, KEY.A, 0]]);
          await sleep(3);
          taps++;
        }
      })();
      const t0 = Date.now();
      const started = startDaemon();
      started.catch(() => undefined);
      let node: string | null = null;
      // the output device is read from the moment it appears (a key it sent before then is lost)
      while (!node && Date.now() - t0 < 90_000) {
        node = findEventNodeByName(OUTPUT_NAME);
        if (!node) await sleep(1);
      }
      const out = node ? new Reader(node) : null;
      const outputAfter = Date.now() - t0;
      const keys = (): string[] =>
        (out?.events ?? []).filter((e) => e.type === EV_KEY && e.value !== 2).map(fmt);
      const live = out ? await waitFor(() => keys().includes('C:1'), 60_000) : false;
      const liveAfter = Date.now() - t0;
      const tapsAtLive = taps;
      await waitFor(() => taps >= tapsAtLive + 20, 5_000);
      typing = false;
      await typer;
      await sleep(50);
      out?.poll();
      const daemon = await started;
      log(
        `  output device after ${outputAfter} ms, A -> C live after ${liveAfter} ms (${taps} taps typed; ${keys().length} key events out)`,
      );
      c.ok(live, 'A came out as C once the daemon was up');
      const unmapped = keys().filter((k) => k.startsWith('A:'));
      c.ok(unmapped.length === 0, `no A came out unmapped during the start (${unmapped.length})`);
      const first = keys()[0];
      c.ok(first === 'C:1', `the first key out is C:1 (${first})`);
      out?.close();
      daemon.child.kill('SIGTERM');
      const exit = await Promise.race([daemon.exit, sleep(10_000).then(() => null)]);
      if (!exit) daemon.child.kill('SIGKILL');
      c.ok(!!exit && exit.code === 0, `the restarted daemon stopped on SIGTERM (${JSON.stringify(exit)})`);
    },
  ],
];

let metrics: LatencyStats | null = null;

async function main(): Promise<void> {
  const t0 = Date.now();
  const failures: string[] = [];
  const ok = (cond: boolean, label: string): void => {
    log(`  ${cond ? 'ok  ' : 'FAIL'} ${label}`);
    if (!cond) failures.push(label);
  };
  let daemon: DaemonProcess | null = null;
  let kbd: TestDevice | null = null;
  let mouse: TestDevice | null = null;
  const e2e: number[] = [];
  try {
    fs.rmSync(CONFIG_DIR, { recursive: true, force: true });
    kbd = createTestDevice(KBD, 'keyboard');
    mouse = createTestDevice(MOUSE, 'mouse');
    log(`test keyboard ${kbd.node}, mouse ${mouse.node}`);
    const tStart = Date.now();
    daemon = await startDaemon();
    log(`daemon up in ${Date.now() - tStart} ms: ${daemon.baseUrl} (token from ${CONFIG_DIR}/token)`);
    const outputNode = findEventNodeByName(OUTPUT_NAME);
    if (!outputNode) throw new Error(`no '${OUTPUT_NAME}' event node`);
    const output = new Reader(outputNode);
    const d = daemon;
    const c: Ctx = {
      daemon: d,
      kbd,
      mouse,
      kbdId: '',
      output,
      outputNode,
      e2e,
      ok,
      keys: (from) =>
        output.events
          .slice(from)
          .filter((e) => e.type === EV_KEY && e.value !== 2)
          .map(fmt),
      mark: () => {
        output.poll();
        return output.events.length;
      },
      async expectKeys(label, from, want, ms = 3000) {
        await waitFor(() => c.keys(from).length >= want.length, ms);
        await sleep(5);
        const got = c.keys(from);
        const good = got.join(' ') === want.join(' ');
        ok(good, `${label}: expected [${want.join(' ')}] got [${got.join(' ')}]`);
        return good;
      },
      async tap(code, holdMs = 20) {
        const before = output.events.length;
        const t = emit(c.kbd, [[EV_KEY, code, 1]]);
        // end to end: physical write -> first event on the output device (kernel timestamps)
        void waitFor(() => output.events.length > before, 1000).then((seen) => {
          if (seen) e2e.push(output.events[before].timeUs - t);
        });
        await sleep(holdMs);
        emit(c.kbd, [[EV_KEY, code, 0]]);
      },
      devices: async () => {
        const r = await api<{ devices: DeviceInfo[] }>(d, 'GET', '/api/devices');
        if (r.status !== 200) throw new Error(`GET /api/devices: ${r.status}`);
        return r.body.devices;
      },
      async device(pred) {
        for (const end = Date.now() + 3000; ; await sleep(30)) {
          const found = (await c.devices()).find(pred);
          if (found || Date.now() > end) return found;
        }
      },
    };
    for (const [name, run] of STEPS) {
      log(`step: ${name}`);
      try {
        await run(c);
      } catch (err) {
        ok(false, `${name}: ${(err as Error).stack}`);
      }
      kbd = c.kbd;
    }
    output.close();
  } catch (err) {
    failures.push(`harness: ${(err as Error).stack}`);
  }

  if (daemon && !daemon.exited) {
    log('the daemon is still running: SIGTERM');
    daemon.child.kill('SIGTERM');
    const exited = await Promise.race([daemon.exit.then(() => true), sleep(5000).then(() => false)]);
    if (!exited) daemon.child.kill('SIGKILL');
  }
  if (daemon && (failures.length > 0 || DEBUG)) {
    log(`daemon log (last 40 of ${daemon.logLines.length} lines):`);
    for (const line of daemon.logLines.slice(-40)) log(`  ${line}`);
  }
  if (kbd) destroyTestDevice(kbd);
  if (mouse) destroyTestDevice(mouse);

  if (metrics) {
    const m = metrics as LatencyStats;
    log(
      `daemon key-path latency (GET /api/metrics latencyUs, event time -> after the uinput write): n=${m.count} p50=${m.p50}µs p99=${m.p99}µs max=${m.max}µs`,
    );
  }
  if (e2e.length > 0)
    log(stats('end-to-end latency, latency run (physical write -> output event time)', e2e));
  if (DEBUG && e2e.length > 0) log(`  samples (µs, in order): ${e2e.join(' ')}`);
  log(`total ${Date.now() - t0} ms`);
  for (const f of failures) log(`failure: ${f}`);
  const pass = failures.length === 0;
  console.log(
    `KEYRX-VM PART daemon: ${pass ? 'PASS' : 'FAIL'}${pass ? '' : ` (${failures.length} failures)`}`,
  );
  process.exit(pass ? 0 : 1);
}

await main();
