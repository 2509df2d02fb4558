/**
 * Part 1 of the real-kernel test (test/vm/run.sh boots the VM; test/vm/init runs this, then
 * daemon-test.ts): the Linux backend on its own, as PID 1's child (root, uinput and evdev
 * loaded). One file, two threads:
 *
 *  - main thread: the test driver. It creates its own uinput "physical" keyboard and mice (with
 *    its own ioctl code in driver.ts, not the backend's), types through them, reads the backend's
 *    output device with a second reader, and checks what came out.
 *  - worker thread: a minimal input thread — LinuxBackend + a real Engine with a profile compiled
 *    from Rhai source, control messages through a MessagePort drained in onWake after the main
 *    thread wrote the wake fd. It reaches what the daemon cannot easily be made to do: an
 *    explicitly selected pointer, a short grab wait, breakLoop().
 *
 * Prints `KEYRX-VM PART backend: PASS` or `… FAIL` as its last line; exit code 0 on PASS.
 * To extend: add a scenario to SCENARIOS (main side) and, if it needs a new control message,
 * a case in handleControl (worker side).
 */
import fs from 'node:fs';
import {
  isMainThread,
  MessageChannel,
  parentPort,
  receiveMessageOnPort,
  Worker,
  workerData,
} from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { Config, OutputEvent } from '../../src/core/index.ts';
import { Engine } from '../../src/core/index.ts';
import type { DeviceDescriptor, KeyInput, KeyProcessor } from '../../src/platform/types.ts';
import { monotonicUs } from '../../src/platform/types.ts';
import type { TestDevice } from './driver.ts';
import {
  createTestDevice,
  DEBUG,
  destroyTestDevice,
  emit,
  EV_KEY,
  EV_REL,
  findEventNodeByName,
  fmt,
  KEY,
  ledEvents,
  log,
  Reader,
  sleep,
  stats,
  TEST_VENDOR,
  waitFor,
  writeLeds,
} from './driver.ts';
import {
  closeWakeFd,
  createWakeFd,
  LinuxBackend,
  OUTPUT_POINTER_NAME,
  OWN_KEYBOARD_PRODUCT,
  OWN_VENDOR,
  signalWake,
} from '../../src/platform/linux/index.ts';

// ---------------------------------------------------------------- profiles

const PROFILE_1 = `
device_start("*");
map("A", "VK_B");                                  // remap
tap_hold("CapsLock", "VK_Escape", "MD_00", 200);   // tap-hold with a layer
when_start("MD_00");
map("H", "VK_Left");
when_end();
map("Q", with_shift("VK_Num1"));                   // modified output
map("F1", "VK_MouseLeft");                         // mouse keys: a button,
mouse_move("F2", "right", #{ speed: 500, max_speed: 500 });  // motion (8 px a 16 ms step),
mouse_wheel("F3", "up", #{ rate: 25 });            // the wheel (48 hi-res units a step)
device_end();
`;
const PROFILE_2 = PROFILE_1.replace('map("A", "VK_B");', 'map("A", "VK_C");');

// Test devices use TEST_VENDOR, a vendor id no real device in the VM has, so isDeviceEnabled can pick them.
const KBD = { name: 'keyrx-vm physical keyboard', product: 0x0001, phys: 'keyrx-vm/kbd0' };
const MOUSE = { name: 'keyrx-vm mouse', product: 0x0002, phys: 'keyrx-vm/mouse0' };
const SELECTED_MOUSE = { name: 'keyrx-vm selected mouse', product: 0x0003, phys: 'keyrx-vm/mouse1' };
const KBD2 = { name: 'keyrx-vm second keyboard', product: 0x0004, phys: 'keyrx-vm/kbd1' };
const KBD3 = { name: 'keyrx-vm third keyboard', product: 0x0005, phys: 'keyrx-vm/kbd2' };
/** the backend's grab wait, shortened so the timeout scenario stays quick */
const GRAB_WAIT_MS = 600;

// ---------------------------------------------------------------- messages

type ToWorker =
  | { type: 'swap'; config: Config }
  | { type: 'devices' }
  | { type: 'break' }
  | { type: 'latencyMark' }
  | { type: 'stop' };

type FromWorker =
  | { type: 'ready'; output: { devnode: string; name: string }; devices: DeviceDescriptor[] }
  | { type: 'deviceAdded'; device: DeviceDescriptor }
  | { type: 'deviceRemoved'; id: string }
  | { type: 'error'; code: string; message: string }
  | { type: 'swapped'; released: OutputEvent[] }
  | { type: 'devices'; devices: DeviceDescriptor[] }
  | { type: 'tick'; lateUs: number; layers: number[] }
  | { type: 'resumed'; exit: string }
  | { type: 'fatal'; message: string }
  | { type: 'log'; message: string }
  | {
      type: 'stopped';
      latencies: number[];
      /** process() entry -> after the write: the engine plus the uinput write */
      processing: number[];
      /** inside engine.process() alone */
      engineTimes: number[];
      latencyMark: number;
      hookCalls: number;
      loopExits: string[];
    };

interface WorkerInit {
  wakeFd: number;
  port: MessagePort;
  config: Config;
}

// ---------------------------------------------------------------- worker: the input thread

async function inputThread(): Promise<void> {
  const { wakeFd, port, config } = workerData as WorkerInit;
  const post = (m: FromWorker): void => parentPort!.postMessage(m);
  let engine = new Engine(config);
  const known = new Map<string, DeviceDescriptor>();
  const latencies: number[] = [];
  const processing: number[] = [];
  const engineTimes: number[] = [];
  let processStart = 0;
  const loopExits: string[] = [];
  let hookCalls = 0;
  let latencyMark = 0;

  const processor: KeyProcessor = {
    process: (input) => {
      processStart = monotonicUs();
      const out = engine.process(input);
      engineTimes.push(monotonicUs() - processStart);
      return out;
    },
    tick: (nowUs) => {
      const deadline = engine.nextDeadline();
      const out = engine.tick(nowUs);
      if (deadline !== null)
        post({ type: 'tick', lateUs: nowUs - deadline, layers: engine.state().modifiers });
      return out;
    },
    nextDeadline: () => engine.nextDeadline(),
    processed: (input, _outputs, writtenAtUs) => {
      latencies.push(writtenAtUs - input.timeUs);
      processing.push(writtenAtUs - processStart);
    },
    deviceAdded: (device) => {
      known.set(device.id, device);
      engine.describeDevice(device.id, { name: device.name, id: device.id });
      post({ type: 'deviceAdded', device });
    },
    deviceRemoved: (id) => {
      known.delete(id);
      post({ type: 'deviceRemoved', id });
    },
    error: (code, message) => post({ type: 'error', code, message }),
    // Only the test's devices: the VM's own i8042 keyboard stays with the console.
    isDeviceEnabled: (id) => id.startsWith(TEST_VENDOR.toString(16) + ':'),
  };

  const backend = new LinuxBackend({
    wakeFd,
    grabWaitMs: GRAB_WAIT_MS,
    // Keyboards by default, plus one pointer requested explicitly (its motion is forwarded).
    select: (d) => (d.isKeyboard && !d.isPointer) || d.name === SELECTED_MOUSE.name,
    // The daemon's emergency-exit chord will live here; the test only counts the calls.
    keyHook: (_input: KeyInput) => {
      hookCalls++;
      return false;
    },
  });

  const handleControl = (msg: ToWorker): void => {
    switch (msg.type) {
      case 'swap': {
        // A profile swap between two events: release everything first, then the new engine.
        const released = engine.releaseAll(monotonicUs());
        backend.write(released);
        engine = new Engine(msg.config);
        for (const d of known.values()) engine.describeDevice(d.id, { name: d.name, id: d.id });
        post({ type: 'swapped', released });
        break;
      }
      case 'devices':
        post({ type: 'devices', devices: backend.devices() });
        break;
      case 'break':
        backend.breakLoop();
        break;
      case 'latencyMark':
        latencyMark = latencies.length;
        break;
      case 'stop':
        void backend.stop();
        break;
    }
  };

  try {
    const t = monotonicUs();
    await backend.start(processor);
    post({ type: 'log', message: `backend.start() took ${Math.round((monotonicUs() - t) / 1000)} ms` });
    const out = backend.outputDevice!;
    post({ type: 'ready', output: { devnode: out.devnode, name: out.name }, devices: backend.devices() });
    for (;;) {
      const exit = backend.runLoop({
        onWake: () => {
          for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port))
            handleControl(m.message);
        },
      });
      loopExits.push(exit);
      if (exit === 'stopped') break;
      // Interrupted: the thread is free for async work (here: a timer) before re-entering.
      await new Promise((r) => setTimeout(r, 20));
      post({ type: 'resumed', exit });
    }
  } catch (err) {
    post({ type: 'fatal', message: (err as Error).stack ?? String(err) });
    await backend.stop();
  }
  post({ type: 'stopped', latencies, processing, engineTimes, latencyMark, hookCalls, loopExits });
  port.close();
}

interface Ctx {
  worker: Worker;
  port: MessagePort;
  wakeFd: number;
  inbox: FromWorker[];
  output: Reader;
  kbd: TestDevice;
  kbdId: string;
  mouse: TestDevice;
  selectedMouse: TestDevice;
  e2e: number[];
  failures: string[];
  send(msg: ToWorker): void;
  waitMsg<T extends FromWorker['type']>(
    type: T,
    ms?: number,
    pred?: (m: Extract<FromWorker, { type: T }>) => boolean,
  ): Promise<Extract<FromWorker, { type: T }>>;
  /** output EV_KEY events (repeats excluded) from index `from` */
  keys(from: number): string[];
  mark(): number;
  expectKeys(label: string, from: number, want: string[], ms?: number): Promise<boolean>;
  tap(code: number, holdMs?: number): Promise<void>;
  ok(cond: boolean, label: string): void;
}

type Scenario = [name: string, run: (c: Ctx) => Promise<void>];

const SCENARIOS: Scenario[] = [
  [
    'discovery: test keyboard grabbed; mice, the i8042 keyboard and our output handled right',
    async (c) => {
      const reply = c.waitMsg('devices', 2000);
      c.send({ type: 'devices' });
      const m = await reply;
      const list = m.devices;
      const kbd = list.find((d) => d.name === KBD.name);
      const mouse = list.find((d) => d.name === MOUSE.name);
      const selected = list.find((d) => d.name === SELECTED_MOUSE.name);
      const at = list.find((d) => d.name === 'AT Translated Set 2 keyboard');
      c.ok(
        !!kbd && kbd.grabbed && kbd.isKeyboard && !kbd.isPointer,
        `keyboard grabbed (${JSON.stringify(kbd)})`,
      );
      c.ok(
        !!kbd && /^feed:0001-[0-9a-f]{8}$/.test(kbd.id) && kbd.phys === KBD.phys,
        `stable id form (${kbd?.id})`,
      );
      c.ok(!!mouse && mouse.isPointer && !mouse.grabbed, 'pointer not grabbed by default');
      c.ok(!!selected && selected.isPointer && selected.grabbed, 'explicitly selected pointer grabbed');
      c.ok(
        !at || (at.isKeyboard && !at.grabbed),
        'i8042 keyboard listed, not grabbed (isDeviceEnabled=false)',
      );
      c.ok(
        !list.some((d) => d.vendor === OWN_VENDOR && d.product === OWN_KEYBOARD_PRODUCT),
        'own output never listed',
      );
    },
  ],
  [
    'remap A -> B, physical device grabbed (a second reader sees nothing)',
    async (c) => {
      const spy = new Reader(c.kbd.node);
      const from = c.mark();
      await c.tap(KEY.A, 30);
      await c.expectKeys('A tap', from, ['B:1', 'B:0']);
      await sleep(20);
      spy.poll();
      c.ok(spy.events.length === 0, `grab holds: spy reader saw ${spy.events.length} events`);
      spy.close();
    },
  ],
  [
    'modified output: Q -> Shift+1 (Shift first, released last)',
    async (c) => {
      const from = c.mark();
      await c.tap(KEY.Q, 20);
      await c.expectKeys('Q tap', from, ['LSHIFT:1', 'NUM1:1', 'NUM1:0', 'LSHIFT:0']);
    },
  ],
  [
    'tap-hold: CapsLock tapped (50 ms) is Escape',
    async (c) => {
      const from = c.mark();
      await c.tap(KEY.CAPS, 50);
      await c.expectKeys('CapsLock tap', from, ['ESC:1', 'ESC:0']);
    },
  ],
  [
    'tap-hold: CapsLock held past 200 ms activates the layer by deadline (tick); H is Left',
    async (c) => {
      const from = c.mark();
      const ticks = c.inbox.length;
      emit(c.kbd, [[EV_KEY, KEY.CAPS, 1]]);
      await sleep(400);
      const tick = c.inbox
        .slice(ticks)
        .find((m): m is Extract<FromWorker, { type: 'tick' }> => m.type === 'tick');
      c.ok(!!tick && tick.layers.includes(0), `tick fired with layer MD_00 on (${JSON.stringify(tick)})`);
      if (tick) log(`  tick lateness ${tick.lateUs} µs after the 200 ms deadline`);
      c.ok(c.keys(from).length === 0, `nothing emitted while held (${c.keys(from).join(' ')})`);
      await c.tap(KEY.H, 20);
      emit(c.kbd, [[EV_KEY, KEY.CAPS, 0]]);
      await c.expectKeys('hold + H', from, ['LEFT:1', 'LEFT:0']);
      await sleep(30);
      c.ok(!c.keys(from).includes('ESC:1'), 'no Escape after a hold');
    },
  ],
  [
    'repeat: A held 800 ms repeats B once per kernel period (not doubled)',
    async (c) => {
      const from = c.mark();
      emit(c.kbd, [[EV_KEY, KEY.A, 1]]);
      await sleep(800);
      emit(c.kbd, [[EV_KEY, KEY.A, 0]]);
      await c.expectKeys('A held', from, ['B:1', 'B:0']);
      const reps = c.output.events.slice(from).filter((e) => e.type === EV_KEY && e.value === 2);
      const gaps = reps.slice(1).map((e, i) => e.timeUs - reps[i].timeUs);
      const minGap = gaps.length ? Math.min(...gaps) : NaN;
      log(`  ${reps.length} repeats, min gap ${minGap} µs`);
      // 250 ms delay then every 33 ms: about 16 in 800 ms; two sources would double that.
      c.ok(reps.length >= 3 && reps.length <= 22, `repeat count ${reps.length} in [3, 22]`);
      c.ok(!(minGap < 15_000), `repeats are not interleaved from two sources (min gap ${minGap} µs)`);
    },
  ],
  [
    'profile swap with A held: B released first, then A -> C',
    async (c) => {
      const from = c.mark();
      emit(c.kbd, [[EV_KEY, KEY.A, 1]]);
      await c.expectKeys('A down', from, ['B:1']);
      const swapped = c.waitMsg('swapped', 3000);
      c.send({ type: 'swap', config: await compile(PROFILE_2) });
      const m = await swapped;
      c.ok(
        m.released.some((e) => e.key === KEY.B && e.action === 'release'),
        'releaseAll released B',
      );
      await c.expectKeys('swap', from, ['B:1', 'B:0']);
      emit(c.kbd, [[EV_KEY, KEY.A, 0]]);
      await sleep(30);
      c.ok(c.keys(from).length === 2, `release of the old press emits nothing (${c.keys(from).join(' ')})`);
      const from2 = c.mark();
      await c.tap(KEY.A, 20);
      await c.expectKeys('A after swap', from2, ['C:1', 'C:0']);
    },
  ],
  [
    'loop interrupt: breakLoop(), async work, runLoop() again; keys still flow',
    async (c) => {
      const resumed = c.waitMsg('resumed', 3000);
      c.send({ type: 'break' });
      await resumed;
      const from = c.mark();
      await c.tap(KEY.A, 20);
      await c.expectKeys('A after re-entering the loop', from, ['C:1', 'C:0']);
    },
  ],
  [
    'mouse keys: the keyrx pointer has REL axes, clicks, moves and scrolls; the keyboard gets none of it',
    async (c) => {
      const node = findEventNodeByName(OUTPUT_POINTER_NAME);
      c.ok(node !== '', 'keyrx virtual pointer exists from the start');
      if (!node) return;
      // its capabilities, as the kernel lists them: buttons and REL X, Y, wheels and hi-res wheels
      const entry = fs
        .readFileSync('/proc/bus/input/devices', 'utf8')
        .split('\n\n')
        .find((b) => b.includes(`N: Name="${OUTPUT_POINTER_NAME}"`));
      const rel = /B: REL=([0-9a-f]+)/.exec(entry ?? '')?.[1] ?? '';
      const relBits = parseInt(rel || '0', 16);
      c.ok(
        [0, 1, 6, 8, 11, 12].every((bit) => (relBits & (1 << bit)) !== 0),
        `REL axes X, Y, HWHEEL, WHEEL, WHEEL_HI_RES, HWHEEL_HI_RES (B: REL=${rel})`,
      );
      const ptr = new Reader(node);
      const from = c.mark();
      await c.tap(KEY.F1, 20);
      const clicks = (): string =>
        ptr.events
          .filter((e) => e.type === EV_KEY)
          .map((e) => `${e.code.toString(16)}:${e.value}`)
          .join(' ');
      c.ok(
        await waitFor(() => clicks() === '110:1 110:0', 2000),
        `F1: left click on the pointer (${clicks()})`,
      );
      // held 100 ms: a step at once, then one every 16 ms
      emit(c.kbd, [[EV_KEY, KEY.F2, 1]]);
      await sleep(100);
      emit(c.kbd, [[EV_KEY, KEY.F2, 0]]);
      const motion = (): number[] =>
        ptr.events.filter((e) => e.type === EV_REL && e.code === 0).map((e) => e.value);
      c.ok(
        await waitFor(() => motion().length >= 4, 2000),
        `F2 held 100 ms: REL_X steps of 8 (${motion().join(' ')})`,
      );
      c.ok(
        motion().every((v) => v === 8),
        `every step 8 px right (${motion().join(' ')})`,
      );
      // it stops: once the release is through, the count stays (the wait only bounds the check)
      // (sampled 50 ms apart, three steps' time)
      let settledAt = -1;
      for (let i = 0; i < 60 && motion().length !== settledAt; i++) {
        settledAt = motion().length;
        await sleep(50);
      }
      await sleep(200);
      c.ok(
        motion().length === settledAt,
        `no motion after the release (${motion().length} steps, ${settledAt} settled)`,
      );
      emit(c.kbd, [[EV_KEY, KEY.F3, 1]]);
      await sleep(60);
      emit(c.kbd, [[EV_KEY, KEY.F3, 0]]);
      const wheel = (code: number): number[] =>
        ptr.events.filter((e) => e.type === EV_REL && e.code === code).map((e) => e.value);
      c.ok(
        await waitFor(() => wheel(11).reduce((a, b) => a + b, 0) >= 144 && wheel(8).includes(1), 2000),
        `F3 held: hi-res wheel up (${wheel(11).join(' ')}) and a whole notch (${wheel(8).join(' ')})`,
      );
      ptr.close();
      await c.expectKeys('the keyboard output got no mouse key', from, [], 300);
    },
  ],
  [
    'LED mirroring: a light the desktop sets on the keyrx keyboard reaches the grabbed keyboard',
    async (c) => {
      ledEvents(c.kbd); // what the grab wrote
      const seen: [number, number][] = [];
      const got = (code: number, value: number): boolean => {
        seen.push(...ledEvents(c.kbd));
        return seen.some(([k, v]) => k === code && v === value);
      };
      // the desktop turns Caps Lock's light on on keyrx's keyboard (Caps Lock pressed)
      writeLeds(c.output.node, [[1, 1]]);
      c.ok(await waitFor(() => got(1, 1), 2000), `Caps Lock lit on the keyboard (${JSON.stringify(seen)})`);
      seen.length = 0;
      writeLeds(c.output.node, [
        [1, 0],
        [0, 1],
      ]);
      c.ok(
        await waitFor(() => got(1, 0) && got(0, 1), 2000),
        `Caps Lock off and Num Lock lit (${JSON.stringify(seen)})`,
      );
      writeLeds(c.output.node, [[0, 0]]);
    },
  ],
  [
    'pointer explicitly selected: motion forwarded through the keyrx pointer device',
    async (c) => {
      const node = findEventNodeByName(OUTPUT_POINTER_NAME);
      c.ok(node !== '', 'keyrx virtual pointer exists');
      if (!node) return;
      const ptr = new Reader(node);
      const mouse = c.selectedMouse;
      emit(mouse, [
        [EV_REL, 0, 5],
        [EV_REL, 1, -3],
      ]);
      const ok = await waitFor(
        () => ptr.events.some((e) => e.type === EV_REL && e.code === 1 && e.value === -3),
        2000,
      );
      c.ok(
        ok,
        `pointer motion forwarded (${ptr.events.map((e) => `${e.type}/${e.code}/${e.value}`).join(' ')})`,
      );
      // A button held when the mouse goes away is released on our pointer.
      const mark = ptr.events.length;
      emit(mouse, [[EV_KEY, 0x110, 1]]);
      await waitFor(() => ptr.events.slice(mark).some((e) => e.type === EV_KEY && e.value === 1), 1000);
      const removed = c.waitMsg('deviceRemoved', 3000);
      destroyTestDevice(mouse);
      await removed;
      const buttons = (): string =>
        ptr.events
          .slice(mark)
          .filter((e) => e.type === EV_KEY)
          .map((e) => `${e.code.toString(16)}:${e.value}`)
          .join(' ');
      c.ok(
        await waitFor(() => buttons() === '110:1 110:0', 1000),
        `button released on unplug (${buttons()})`,
      );
      ptr.close();
      // and the unselected mouse is not grabbed: its own reader sees its events
      const plain = new Reader(c.mouse.node);
      emit(c.mouse, [[EV_REL, 0, 7]]);
      c.ok(
        await waitFor(() => plain.events.some((e) => e.type === EV_REL && e.value === 7), 2000),
        'unselected mouse not grabbed',
      );
      plain.close();
    },
  ],
  [
    'unplug with A held (C released), replug: same id, grabbed again, remapping resumes',
    async (c) => {
      const from = c.mark();
      emit(c.kbd, [[EV_KEY, KEY.A, 1]]);
      await c.expectKeys('A down', from, ['C:1']);
      const removed = c.waitMsg('deviceRemoved', 3000, (m) => m.id === c.kbdId);
      destroyTestDevice(c.kbd);
      await removed;
      await c.expectKeys('unplug', from, ['C:1', 'C:0']);
      const added = c.waitMsg('deviceAdded', 5000, (m) => m.device.name === KBD.name && m.device.grabbed);
      const t0 = Date.now();
      c.kbd = createTestDevice(KBD, 'keyboard');
      const m = await added;
      log(`  re-grabbed ${Date.now() - t0} ms after replug: ${m.device.path}`);
      c.ok(m.device.id === c.kbdId, `same id after replug (${m.device.id} vs ${c.kbdId})`);
      const from2 = c.mark();
      await c.tap(KEY.A, 20);
      await c.expectKeys('A after replug', from2, ['C:1', 'C:0']);
    },
  ],
  [
    'hotplug with a key held: the grab waits for the release, so the desktop sees both',
    async (c) => {
      let addedAt = 0;
      const added = c
        .waitMsg('deviceAdded', 5000, (m) => m.device.name === KBD2.name)
        .then((m) => ((addedAt = Date.now()), m));
      const kbd2 = createTestDevice(KBD2, 'keyboard');
      const desktop = new Reader(kbd2.node);
      const from = c.mark();
      emit(kbd2, [[EV_KEY, KEY.A, 1]]);
      await sleep(300);
      const releasedAt = Date.now();
      emit(kbd2, [[EV_KEY, KEY.A, 0]]);
      const m = await added;
      c.ok(
        m.device.grabbed && addedAt >= releasedAt,
        `grabbed after the release (+${addedAt - releasedAt} ms)`,
      );
      await sleep(30);
      desktop.poll();
      const seen = desktop.events.filter((e) => e.type === EV_KEY && e.value !== 2).map(fmt);
      c.ok(seen.join(' ') === 'A:1 A:0', `the desktop got the whole keystroke (${seen.join(' ')})`);
      c.ok(c.keys(from).length === 0, `nothing on the output (${c.keys(from).join(' ')})`);
      const from2 = c.mark();
      emit(kbd2, [[EV_KEY, KEY.A, 1]]);
      await sleep(10);
      emit(kbd2, [[EV_KEY, KEY.A, 0]]);
      await c.expectKeys('second keyboard remapped', from2, ['C:1', 'C:0']);
      desktop.close();
      const removed = c.waitMsg('deviceRemoved', 3000, (r) => r.id === m.device.id);
      destroyTestDevice(kbd2);
      await removed;
    },
  ],
  [
    `a key held longer than grabWaitMs (${GRAB_WAIT_MS} ms): reported, then grabbed anyway`,
    async (c) => {
      const errors = c.inbox.length;
      const added = c.waitMsg('deviceAdded', 5000, (m) => m.device.name === KBD3.name);
      const kbd3 = createTestDevice(KBD3, 'keyboard');
      const from = c.mark();
      emit(kbd3, [[EV_KEY, KEY.Q, 1]]);
      const m = await added;
      const err = c.inbox.slice(errors).find((e) => e.type === 'error' && e.code === 'grab-keys-held');
      c.ok(
        !!err && m.device.grabbed,
        `grab-keys-held reported and the device grabbed (${JSON.stringify(err)})`,
      );
      emit(kbd3, [[EV_KEY, KEY.Q, 0]]);
      await sleep(50);
      c.ok(c.keys(from).length === 0, `the orphan release emits nothing (${c.keys(from).join(' ')})`);
      destroyTestDevice(kbd3);
    },
  ],
  [
    'latency run: 40 taps of A, 25 ms apart (warm JIT)',
    async (c) => {
      c.send({ type: 'latencyMark' });
      await sleep(50); // the mark must reach the worker before the first tap
      c.e2e.length = 0;
      const from = c.mark();
      for (let i = 0; i < 40; i++) {
        await c.tap(KEY.A, 10);
        await sleep(15);
      }
      await waitFor(() => c.keys(from).length >= 80, 3000);
      c.ok(c.keys(from).length === 80, `80 output events (${c.keys(from).length})`);
    },
  ],
  [
    'no key left down on the output device',
    async (c) => {
      await sleep(50);
      const down = c.output.keysDown();
      c.ok(down.length === 0, `EVIOCGKEY on the output: ${JSON.stringify(down)}`);
    },
  ],
];

async function compile(source: string): Promise<Config> {
  // Imported here, not at the top: the worker runs this file too and needs no compiler
  // (module loading is slow under TCG).
  const { compileProfile } = await import('../../src/dsl/compile.ts');
  const r = compileProfile(source);
  if (!r.ok || !r.config) throw new Error(`profile does not compile: ${JSON.stringify(r.diagnostics)}`);
  return r.config;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const failures: string[] = [];
  const inbox: FromWorker[] = [];
  let worker: Worker | null = null;
  let wakeFd = -1;
  let stopped: Extract<FromWorker, { type: 'stopped' }> | null = null;
  const e2e: number[] = [];
  try {
    log(`node ${process.version}, kernel ${fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}`);
    fs.writeFileSync('/tmp/proc-bus-input-devices.before', fs.readFileSync('/proc/bus/input/devices'));
    const config = await compile(PROFILE_1);
    log(`profile compiled (${Date.now() - t0} ms)`);
    const kbd = createTestDevice(KBD, 'keyboard');
    const mouse = createTestDevice(MOUSE, 'mouse');
    const selectedMouse = createTestDevice(SELECTED_MOUSE, 'mouse');
    log(`test keyboard ${kbd.node}, mice ${mouse.node} ${selectedMouse.node}`);

    wakeFd = createWakeFd();
    const channel = new MessageChannel();
    const init: WorkerInit = { wakeFd, port: channel.port2, config };
    const w = new Worker(new URL(import.meta.url), { workerData: init, transferList: [channel.port2] });
    worker = w;
    const waiters: { type: string; pred: (m: FromWorker) => boolean; resolve: (m: FromWorker) => void }[] =
      [];
    w.on('message', (m: FromWorker) => {
      inbox.push(m);
      if (m.type === 'error') log(`  worker error ${m.code}: ${m.message}`);
      if (m.type === 'log') log(`  worker: ${m.message}`);
      if (m.type === 'fatal') failures.push(`worker fatal: ${m.message}`);
      if (m.type === 'stopped') stopped = m;
      for (let i = 0; i < waiters.length; i++)
        if (waiters[i].type === m.type && waiters[i].pred(m)) {
          waiters.splice(i, 1)[0].resolve(m);
          break;
        }
    });
    w.on('error', (err) => failures.push(`worker error event: ${err.stack}`));

    const ctx: Ctx = {
      worker: w,
      port: channel.port1,
      wakeFd,
      inbox,
      output: null as unknown as Reader,
      kbd,
      kbdId: '',
      e2e,
      failures,
      mouse,
      selectedMouse,
      send(msg) {
        channel.port1.postMessage(msg);
        signalWake(wakeFd);
      },
      waitMsg(type, ms = 3000, pred = () => true) {
        return new Promise((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`timeout waiting for worker message '${type}'`)),
            ms,
          );
          waiters.push({
            type,
            pred: pred as (m: FromWorker) => boolean,
            resolve: (m) => {
              clearTimeout(timer);
              resolve(m as never);
            },
          });
        });
      },
      keys(from) {
        return ctx.output.events
          .slice(from)
          .filter((e) => e.type === EV_KEY && e.value !== 2)
          .map(fmt);
      },
      mark() {
        ctx.output.poll();
        return ctx.output.events.length;
      },
      async expectKeys(label, from, want, ms = 2000) {
        await waitFor(() => ctx.keys(from).length >= want.length, ms);
        await sleep(5);
        const got = ctx.keys(from);
        const ok = got.join(' ') === want.join(' ');
        ctx.ok(ok, `${label}: expected [${want.join(' ')}] got [${got.join(' ')}]`);
        return ok;
      },
      async tap(code, holdMs = 20) {
        const before = ctx.output.events.length;
        const t = emit(ctx.kbd, [[EV_KEY, code, 1]]);
        // end-to-end: physical write -> first event on the output device (kernel timestamps)
        void waitFor(() => ctx.output.events.length > before, 1000).then((seen) => {
          if (seen) e2e.push(ctx.output.events[before].timeUs - t);
        });
        await sleep(holdMs);
        emit(ctx.kbd, [[EV_KEY, code, 0]]);
      },
      ok(cond, label) {
        log(`  ${cond ? 'ok  ' : 'FAIL'} ${label}`);
        if (!cond) failures.push(label);
      },
    };

    const ready = (await ctx.waitMsg('ready', 15000)) as Extract<FromWorker, { type: 'ready' }>;
    log(`backend ready in ${Date.now() - t0} ms; output ${ready.output.name} at ${ready.output.devnode}`);
    ctx.output = new Reader(ready.output.devnode);
    const kbdDesc = ready.devices.find((d) => d.name === KBD.name);
    ctx.kbdId = kbdDesc?.id ?? '';
    fs.writeFileSync('/tmp/proc-bus-input-devices', fs.readFileSync('/proc/bus/input/devices'));

    for (const [name, run] of SCENARIOS) {
      log(`scenario: ${name}`);
      try {
        await run(ctx);
      } catch (err) {
        ctx.ok(false, `${name}: ${(err as Error).message}`);
      }
    }

    // Stop: the worker must exit its loop promptly, ungrab, and destroy the output device.
    const t1 = Date.now();
    const stoppedMsg = ctx.waitMsg('stopped', 5000);
    ctx.send({ type: 'stop' });
    await stoppedMsg;
    log(`worker stopped in ${Date.now() - t1} ms`);
    const exited = await Promise.race([
      new Promise<boolean>((r) => w.once('exit', () => r(true))),
      sleep(5000).then(() => false),
    ]);
    ctx.ok(exited, 'worker thread exited by itself after stop (nothing keeps it alive)');
    ctx.ok(findEventNodeByName(ready.output.name) === '', 'output device destroyed on stop');
    const spy = new Reader(ctx.kbd.node);
    emit(ctx.kbd, [[EV_KEY, KEY.A, 1]]);
    emit(ctx.kbd, [[EV_KEY, KEY.A, 0]]);
    const seen = await waitFor(() => spy.events.some((e) => e.type === EV_KEY), 1000);
    ctx.ok(seen, 'physical keyboard ungrabbed after stop');
    spy.close();
    ctx.output.close();
    destroyTestDevice(ctx.kbd);
    destroyTestDevice(mouse);
    destroyTestDevice(selectedMouse);
  } catch (err) {
    failures.push(`harness: ${(err as Error).stack}`);
  }

  const s = stopped as Extract<FromWorker, { type: 'stopped' }> | null;
  if (s) {
    log(`loop exits: ${s.loopExits.join(', ')}; key hook calls: ${s.hookCalls}`);
    if (s.hookCalls === 0) failures.push('key hook never called');
    log(stats('key-path latency, whole run (kernel event time -> after uinput write)', s.latencies));
    log(stats('key-path latency, latency run', s.latencies.slice(s.latencyMark)));
    log(
      stats(
        '  of which engine + uinput write (process() entry -> after write)',
        s.processing.slice(s.latencyMark),
      ),
    );
    log(stats('  of which engine.process() alone', s.engineTimes.slice(s.latencyMark)));
    if (DEBUG) log(`  samples (µs, in order): ${s.latencies.join(' ')}`);
  }
  if (e2e.length > 0) {
    log(stats('end-to-end latency, latency run (test uinput write -> output event time)', e2e));
    if (DEBUG) log(`  samples (µs, in order): ${e2e.join(' ')}`);
  }
  if (wakeFd >= 0) closeWakeFd(wakeFd);
  log(`total ${Date.now() - t0} ms`);
  for (const f of failures) log(`failure: ${f}`);
  const pass = failures.length === 0;
  console.log(
    `KEYRX-VM PART backend: ${pass ? 'PASS' : 'FAIL'}${pass ? '' : ` (${failures.length} failures)`}`,
  );
  if (worker) await worker.terminate();
  process.exit(pass ? 0 : 1);
}

if (isMainThread) await main();
else await inputThread();
