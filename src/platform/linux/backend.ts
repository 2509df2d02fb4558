/**
 * The Linux input backend: evdev keyboards in, one uinput keyboard out.
 *
 * It runs on the input thread (a worker). After start(), the thread calls runLoop(), which
 * blocks in ppoll() on every grabbed device fd, a hotplug inotify fd and a wake fd, with a
 * timeout equal to the engine's next deadline. Key events are read non-blocking until EAGAIN,
 * each one goes through processor.process() and its complete output report (events +
 * SYN_REPORT) is written to uinput in one write() on the same thread — no thread hop, no libuv
 * threadpool read that could starve the pool or keep the process alive. After a read's last
 * write the thread waits in ppoll before that key's bookkeeping (SETTLE_AFTER_WRITE_US).
 *
 * Control from other threads: the main thread posts a message and then writes the wake fd
 * (signalWake). The loop wakes, calls hooks.onWake(), where the worker drains its port with
 * receiveMessageOnPort() and may call write() (releaseAll output), refreshDevices(),
 * breakLoop() or stop(). Everything here is synchronous; stop() never blocks on a read.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { OutputEvent } from '../../core/index.ts';
import type { DeviceDescriptor, InputBackend, KeyInput, KeyProcessor } from '../types.ts';
import { monotonicUs } from '../types.ts';
import {
  anyBit,
  classify,
  deviceId,
  encodeEvent,
  encodeReport,
  EventBuffer,
  isPointerOutput,
  hasAbsoluteAxes,
  reportSize,
  testBit,
} from './codec.ts';
import {
  BTN_LEFT,
  BTN_TASK,
  BUS_USB,
  EV_KEY,
  EV_LED,
  LED_CAPSL,
  LED_COMPOSE,
  LED_KANA,
  LED_NUML,
  LED_SCROLLL,
  EV_MAX,
  EV_REL,
  EV_REP,
  EV_SYN,
  INPUT_EVENT_SIZE,
  KEY_BITS_BYTES,
  OUTPUT_KEYBOARD_NAME,
  OUTPUT_POINTER_NAME,
  OWN_KEYBOARD_PRODUCT,
  OWN_POINTER_PRODUCT,
  OWN_VENDOR,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  SYN_DROPPED,
  SYN_REPORT,
} from './constants.ts';
import {
  errorCode,
  LinuxBackendUnavailable,
  SyscallError,
  UINPUT_GROUP_FIX,
  UINPUT_MODULE_FIX,
} from './errors.ts';
import type { ProbedDevice } from './evdev.ts';
import {
  describe,
  EVENT_NODE_RE,
  isAlive,
  keysDown,
  openEventNode,
  probeFd,
  setGrab,
  useMonotonicClock,
} from './evdev.ts';
import { InputDirWatch } from './hotplug.ts';
import { libc } from './libc.ts';
import { StageProfile } from './stages.ts';
import { createWakeFd } from './wake.ts';
import { outputKeyboardKeys, POINTER_AXES, POINTER_BUTTONS, UinputDevice } from './uinput.ts';

export interface LinuxBackendOptions {
  /**
   * Which devices may be grabbed (before processor.isDeviceEnabled). Default: keyboards that
   * are not pointers. A pointer selected here is grabbed and its motion and buttons are
   * forwarded through a second uinput device; absolute devices (touchpads, tablets) never are.
   * keyrx's own output devices are excluded whatever this returns.
   */
  select?: (device: DeviceDescriptor) => boolean;
  /** eventfd another thread writes (signalWake) to interrupt the wait; created and owned here when absent */
  wakeFd?: number;
  /** name of the output keyboard (it is recognised by vendor/product, never by name) */
  outputName?: string;
  /** bus type of the output keyboard: BUS_USB (default, "external"), BUS_I8042 makes libinput treat it as built-in */
  outputBus?: number;
  /**
   * 'kernel' (default): the output device has EV_REP and the kernel auto-repeats held outputs;
   * the engine's repeat outputs are reported but not written (they would double the rate).
   * 'forward': no EV_REP on the output; hardware repeats mapped by the engine are written.
   */
  repeat?: 'kernel' | 'forward';
  /** how long to wait for all keys of a device to be up before grabbing it anyway (default 2000 ms) */
  grabWaitMs?: number;
  /** settle time after an inotify event before rescanning (default 50 ms) */
  hotplugDebounceMs?: number;
  /** default /dev/input */
  inputDir?: string;
  /** default /dev/uinput */
  uinputPath?: string;
  /**
   * Runs for every key event of a grabbed device before the engine (the daemon's emergency-exit
   * chord lives here). Return true to consume the event. It may call stop().
   */
  keyHook?: (input: KeyInput) => boolean;
  /** diagnostics that are not errors (device grabbed, rescans); errors go to processor.error */
  log?: (message: string, context?: Record<string, unknown>) => void;
  /**
   * Test and benchmark seam (hosts without uinput): pipes instead of devices. See PipeBackend.
   * When set, start() creates no device, issues no ioctl and does no discovery or hotplug; the
   * loop itself (ppoll → read → processor → one write per report) is the one real devices use.
   */
  pipes?: PipeBackend;
  /** time each key stage by stage (stages.ts); the summary is logged when the backend stops */
  profileStages?: boolean;
}

/**
 * Pre-opened, non-blocking pipe (or socketpair) fds standing in for evdev devices and the uinput
 * output. Each device fd carries 24-byte `input_event` records (stamp them with monotonicUs():
 * the event time is the latency origin, as the kernel's is) and is a grabbed keyboard from the
 * start; the output fd receives exactly the reports uinput would (events + SYN_REPORT, one
 * write each). The backend owns the fds once start() ran and closes them in stop(). A device
 * whose writer closes (POLLHUP) is removed like an unplugged keyboard.
 */
export interface PipeBackend {
  devices: PipeDevice[];
  output: number;
}

export interface PipeDevice {
  fd: number;
  name: string;
  vendor?: number;
  product?: number;
}

export interface RunLoopHooks {
  /** called after the wake fd fired (drain the MessagePort here) */
  onWake?: () => void;
  /** called after every poll iteration, once its outputs are written (flush monitoring here) */
  afterIteration?: () => void;
}

export type LoopExit = 'stopped' | 'interrupted';

export interface OutputDeviceInfo {
  name: string;
  sysname: string;
  devnode: string;
  vendor: number;
  product: number;
}

type DeviceState = 'listed' | 'waiting' | 'grabbed';

interface Device {
  probe: ProbedDevice;
  desc: DeviceDescriptor;
  state: DeviceState;
  /** open while waiting or grabbed, else -1 */
  fd: number;
  waitSinceUs: number;
  nextCheckUs: number;
  /** events stamped before the grab also reached other readers: ignore them */
  grabbedAtUs: number;
  /** keys this backend has seen down (synthetic releases on removal, SYN_DROPPED resync) */
  down: Uint8Array;
  /** after SYN_DROPPED: skip events until the next SYN_REPORT, then resync from EVIOCGKEY */
  dropping: boolean;
  /** a write of its LEDs failed once (reported once) */
  ledWriteFailed?: boolean;
  /** a selected pointer: its motion and buttons are forwarded, not remapped */
  forwardPointer: boolean;
  /** a PipeDevice (options.pipes): no ioctl is ever issued on its fd */
  pipe: boolean;
  /** this pointer's pending report (one per device: reads of two devices never interleave in it) */
  pointerBuf: Buffer | null;
  pointerEvents: number;
  announced: boolean;
}

const DEFAULT_GRAB_WAIT_MS = 2000;
const GRAB_CHECK_INTERVAL_US = 10_000;
const DEFAULT_DEBOUNCE_MS = 50;
/** retries for nodes that are not usable yet (udev still applying permissions), about 3 s in total */
const RESCAN_BACKOFF_MS = [50, 100, 200, 400, 800, 1600];
const READ_EVENTS = 64;
/**
 * After a read's last key report is written the thread waits in ppoll for at most this long
 * (less when input comes, or a deadline known before the key) before that key's bookkeeping
 * (processor.processed: latency, monitoring, the layer check) and the rest of the loop. On one
 * CPU, with the input thread at real-time priority, anything it did right after the write would
 * run before the program reading the output got the CPU. A deadline the key itself set comes due
 * at most this late.
 */
const SETTLE_AFTER_WRITE_US = 1_000;
/** LED_NUML … LED_KANA: the lights mirrored (what keyboards have) */
const LED_COUNT = LED_KANA + 1;
const OUTPUT_LEDS: readonly number[] = [LED_NUML, LED_CAPSL, LED_SCROLLL, LED_COMPOSE, LED_KANA];
/** poll slots: the wake fd, the hotplug watch, the output keyboard's LED fd, then the devices */
const POLL_FIRST_DEVICE = 3;
const EAGAIN = 11;
const EINTR = 4;
const ENODEV = 19;
const EBUSY = 16;
const TRANSIENT_OPEN_ERRORS = new Set(['EACCES', 'EPERM', 'ENOENT', 'ENODEV', 'ENXIO', 'EBUSY']);

export const defaultSelect = (d: DeviceDescriptor): boolean => d.isKeyboard && !d.isPointer;

export class LinuxBackend implements InputBackend {
  readonly kind = 'linux' as const;
  private readonly opts: LinuxBackendOptions;
  private processor: KeyProcessor | null = null;
  private output: UinputDevice | null = null;
  private pointerOutput: UinputDevice | null = null;
  private watch: InputDirWatch | null = null;
  private wake = -1;
  private ownsWake = false;
  private readonly byPath = new Map<string, Device>();
  private started = false;
  private looping = false;
  private breakRequested = false;
  private stopRequested = false;
  private stopWaiters: (() => void)[] = [];
  private pollDirty = true;
  private pollBuf = Buffer.alloc(0);
  /** pollBuf as shorts: entry i's revents is [i * 4 + 3] (a read without Buffer's checked call) */
  private pollShorts = new Int16Array(0);
  private pollDevices: Device[] = [];
  private readonly timeoutBuf = Buffer.alloc(16);
  private readonly readBuf = new EventBuffer(READ_EVENTS);
  private writeBuf = new EventBuffer(16);
  /** KEYRX_STAGE_PROFILE: the wake-up and read times of the key being handled */
  private readonly stages: StageProfile | null;
  private wokeUs = 0;
  private readUs = 0;
  /** the last key written, its bookkeeping not done yet (see SETTLE_AFTER_WRITE_US) */
  private settlingInput: KeyInput | null = null;
  private settlingOutputs: OutputEvent[] = [];
  private settlingWrittenUs = 0;
  /** when the loop's current ppoll timeout was due (computeTimeout), µs; Infinity: none */
  private dueUs = Infinity;
  private readonly settleBuf = Buffer.alloc(16);
  private readonly wakeBuf = Buffer.alloc(8);
  private readonly keyBuf = Buffer.alloc(KEY_BITS_BYTES);
  private readonly outputDown = new Uint8Array(KEY_BITS_BYTES);
  /** LEDs the desktop set on our output keyboard (LED_NUML … LED_KANA), mirrored to the keyboards */
  private readonly ledState = new Uint8Array(LED_COUNT);
  /** LEDs a layer indicator forces on or off (1, 0), else -1: the desktop's state shows */
  private readonly ledOverride = new Int8Array(LED_COUNT).fill(-1);
  private readonly ledBuf = Buffer.alloc(reportSize(LED_COUNT));
  /** the desktop has set our keyboard's LEDs at least once (until then a new grab keeps its own) */
  private ledKnown = false;
  private rescanDueUs = Infinity;
  private watchTriggered = false;
  private readonly retries = new Map<string, number>();
  /** event nodes of our own output devices: never opened by discovery */
  private readonly ownNodes = new Set<string>();
  private readonly skipRepeats: boolean;

  constructor(options: LinuxBackendOptions = {}) {
    this.opts = options;
    this.skipRepeats = (options.repeat ?? 'kernel') === 'kernel';
    this.stages = options.profileStages ? new StageProfile() : null;
  }

  /** The wake fd (eventfd) to pass to signalWake() from another thread; -1 before start(). */
  get wakeFd(): number {
    return this.wake;
  }

  get outputDevice(): OutputDeviceInfo | null {
    const o = this.output;
    return o
      ? {
          name: o.name,
          sysname: o.sysname,
          devnode: o.devnode,
          vendor: OWN_VENDOR,
          product: OWN_KEYBOARD_PRODUCT,
        }
      : null;
  }

  get running(): boolean {
    return this.looping;
  }

  /**
   * Creates the output keyboard, discovers devices and grabs the selected ones (each once no
   * key is down on it, or after grabWaitMs). Events are delivered while runLoop() runs.
   * Throws LinuxBackendUnavailable when uinput or the input devices cannot be used.
   */
  async start(processor: KeyProcessor): Promise<void> {
    if (this.started) throw new Error('LinuxBackend already started');
    libc(); // throws LinuxBackendUnavailable without koffi
    this.processor = processor;
    this.stopRequested = false;
    if (this.opts.pipes) {
      this.startPipes(this.opts.pipes);
      return;
    }
    try {
      this.output = UinputDevice.create({
        name: this.opts.outputName ?? OUTPUT_KEYBOARD_NAME,
        vendor: OWN_VENDOR,
        product: OWN_KEYBOARD_PRODUCT,
        bus: this.opts.outputBus ?? BUS_USB,
        keys: outputKeyboardKeys(),
        leds: OUTPUT_LEDS,
        repeat: this.skipRepeats,
        uinputPath: this.opts.uinputPath,
      });
    } catch (err) {
      this.processor = null;
      throw uinputUnavailable(err, this.opts.uinputPath ?? '/dev/uinput');
    }
    this.started = true;
    if (this.output.devnode) this.ownNodes.add(this.output.devnode);
    // the pointer for mouse keys (and forwarded pointer motion) exists from the start, so the
    // first click is not lost while the desktop discovers a new device
    this.ensurePointerOutput();
    try {
      this.openWake();
      try {
        this.watch = new InputDirWatch(this.inputDir);
      } catch (err) {
        processor.error('hotplug-unavailable', `cannot watch ${this.inputDir}: ${(err as Error).message}`);
      }
      this.rescan(true);
      // Wait (asynchronously: nothing else runs on this thread yet) until every initial grab settled.
      while (this.waitingCount() > 0) {
        this.serviceGrabs(monotonicUs());
        if (this.waitingCount() > 0) await new Promise((r) => setTimeout(r, GRAB_CHECK_INTERVAL_US / 1000));
      }
    } catch (err) {
      this.cleanup();
      throw err;
    }
  }

  private openWake(): void {
    if (this.opts.wakeFd !== undefined) this.wake = this.opts.wakeFd;
    else {
      this.wake = createWakeFd();
      this.ownsWake = true;
    }
  }

  /** options.pipes: the output and the devices are the given fds; no ioctl, no discovery. */
  private startPipes(pipes: PipeBackend): void {
    const probes = pipes.devices.map((p, i) => pipeProbe(p, i)); // throws EBADF first, if it must
    this.output = UinputDevice.adopt(pipes.output, this.opts.outputName ?? OUTPUT_KEYBOARD_NAME);
    this.started = true;
    this.openWake();
    pipes.devices.forEach((p, i) => {
      const probe = probes[i];
      const d = this.newDevice(probe, this.uniqueId(probe.baseId), p.fd);
      d.pipe = true;
      d.state = 'grabbed';
      d.grabbedAtUs = 0;
      d.desc.grabbed = true;
      this.byPath.set(probe.path, d);
      this.announce(d);
    });
    this.pollDirty = true;
  }

  /**
   * Runs the input loop on the calling thread until stop() or breakLoop() is called (from a
   * processor callback, the key hook or onWake). Returns why it ended. On an unexpected error
   * it releases every grab before rethrowing, so a crash never leaves the keyboard dead.
   */
  runLoop(hooks: RunLoopHooks = {}): LoopExit {
    if (!this.started) throw new Error('LinuxBackend.runLoop() before start()');
    if (this.looping) throw new Error('LinuxBackend.runLoop() is already running');
    this.looping = true;
    this.breakRequested = false;
    const c = libc();
    let failed = false;
    try {
      while (!this.stopRequested && !this.breakRequested) {
        if (this.pollDirty) this.rebuildPoll();
        const timeout = this.computeTimeout(monotonicUs());
        const n = c.ppoll(this.pollBuf, this.pollDevices.length + POLL_FIRST_DEVICE, timeout);
        if (this.stages) this.wokeUs = monotonicUs();
        if (n < 0) {
          const errno = c.errno();
          if (errno === EINTR) continue;
          throw new SyscallError('ppoll', errno);
        }
        this.iteration();
        hooks.afterIteration?.();
        if (this.revents(0) & POLLIN) {
          while (c.read(this.wake, this.wakeBuf, 8) > 0);
          hooks.onWake?.();
        }
      }
    } catch (err) {
      failed = true;
      this.cleanup();
      throw err;
    } finally {
      this.looping = false;
      if (this.stopRequested && !failed) this.cleanup();
      if (!this.started) for (const resolve of this.stopWaiters.splice(0)) resolve();
    }
    return this.stopRequested ? 'stopped' : 'interrupted';
  }

  /** Makes runLoop() return 'interrupted' after the current iteration (the thread can then await). */
  breakLoop(): void {
    this.breakRequested = true;
  }

  /** Writes output produced outside process()/tick(), e.g. releaseAll() before a profile swap. */
  write(events: OutputEvent[]): void {
    if (!this.output || events.length === 0) return;
    this.writeOutputs(events);
  }

  devices(): DeviceDescriptor[] {
    const out: DeviceDescriptor[] = [];
    for (const d of this.byPath.values()) if (!d.probe.own && d.announced) out.push({ ...d.desc });
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Re-applies selection and processor.isDeviceEnabled() to every present device (after the
   * user enabled or disabled one): grabs newly enabled ones, releases disabled ones (their held
   * keys are released through the engine first, so no output stays down).
   */
  refreshDevices(): DeviceDescriptor[] {
    const now = monotonicUs();
    for (const d of [...this.byPath.values()]) {
      if (d.probe.own) continue;
      const want = this.wants(d);
      if (want && d.state === 'listed') this.beginGrab(d, now);
      else if (!want && d.state !== 'listed') this.release(d, 'disabled');
    }
    return this.devices();
  }

  /**
   * Releases grabs, releases every output key still down, destroys the output devices and
   * closes every fd. Called during runLoop() (from a callback), the loop ends after the current
   * iteration and the promise resolves then. Only non-blocking syscalls: it cannot hang.
   */
  stop(): Promise<void> {
    if (!this.started) return Promise.resolve();
    this.stopRequested = true;
    if (this.looping) return new Promise((resolve) => this.stopWaiters.push(resolve));
    this.cleanup();
    return Promise.resolve();
  }

  // ---------------------------------------------------------------- loop internals

  private get inputDir(): string {
    return this.opts.inputDir ?? '/dev/input';
  }

  private rebuildPoll(): void {
    this.pollDevices = [...this.byPath.values()].filter((d) => d.state === 'grabbed' && d.fd >= 0);
    const count = this.pollDevices.length + POLL_FIRST_DEVICE;
    if (this.pollBuf.length !== count * 8) {
      this.pollBuf = Buffer.alloc(count * 8); // its own ArrayBuffer, offset 0
      this.pollShorts = new Int16Array(this.pollBuf.buffer, this.pollBuf.byteOffset, count * 4);
    }
    // struct pollfd { int fd; short events; short revents; }; a negative fd is ignored by poll.
    const set = (i: number, fd: number): void => {
      this.pollBuf.writeInt32LE(fd, i * 8);
      this.pollBuf.writeInt16LE(POLLIN, i * 8 + 4);
      this.pollBuf.writeInt16LE(0, i * 8 + 6);
    };
    set(0, this.wake);
    set(1, this.watch ? this.watch.fd : -1);
    // the output keyboard: LED changes from the desktop (a pipe stand-in is not read)
    set(2, this.output && this.output.readable ? this.output.fd : -1);
    for (let i = 0; i < this.pollDevices.length; i++) set(i + POLL_FIRST_DEVICE, this.pollDevices[i].fd);
    this.pollDirty = false;
  }

  /** What ppoll returned for poll entry i (0 the wake fd, 1 hotplug, 2 the output, then devices). */
  private revents(i: number): number {
    return this.pollShorts[i * 4 + 3];
  }

  /** Timespec for ppoll: the earliest of the engine deadline, a rescan and a pending grab check. */
  private computeTimeout(now: number): Buffer | null {
    let due = this.rescanDueUs;
    const deadline = this.processor?.nextDeadline() ?? null;
    if (deadline !== null && deadline < due) due = deadline;
    for (const d of this.byPath.values())
      if (d.state === 'waiting' && d.nextCheckUs < due) due = d.nextCheckUs;
    this.dueUs = due;
    if (due === Infinity) return null;
    return timespec(this.timeoutBuf, Math.max(0, Math.ceil(due - now)));
  }

  private iteration(): void {
    const processor = this.processor;
    if (!processor) return;
    // Devices first: an event stamped before a deadline must reach the engine before tick().
    for (let i = 0; i < this.pollDevices.length; i++) {
      const revents = this.revents(i + POLL_FIRST_DEVICE);
      if (revents === 0) continue;
      const d = this.pollDevices[i];
      if (d.fd < 0) continue; // removed earlier in this iteration
      if (revents & POLLIN) this.readDevice(d);
      else if (revents & (POLLERR | POLLHUP | POLLNVAL)) this.remove(d, 'unplugged');
    }
    let now = monotonicUs();
    const deadline = processor.nextDeadline();
    if (deadline !== null && deadline <= now) {
      // Read whatever arrived since ppoll returned, then fire the deadlines.
      for (const d of this.pollDevices) if (d.fd >= 0) this.readDevice(d);
      now = monotonicUs();
      const again = processor.nextDeadline();
      if (again !== null && again <= now) {
        let outputs: OutputEvent[];
        try {
          outputs = processor.tick(now);
        } catch (err) {
          processor.error('engine-error', `tick failed: ${(err as Error).message}`);
          outputs = [];
        }
        if (outputs.length > 0) this.writeOutputs(outputs);
      }
    }
    if (this.revents(2) & POLLIN) this.readLeds();
    if (this.watch && this.revents(1) & POLLIN && this.watch.drain()) {
      // Debounce: a plug produces several records (create, attrib) within a few ms.
      this.rescanDueUs = now + (this.opts.hotplugDebounceMs ?? DEFAULT_DEBOUNCE_MS) * 1000;
      this.watchTriggered = true;
    }
    if (this.rescanDueUs <= now) {
      this.rescan(false, this.watchTriggered);
      this.watchTriggered = false;
    }
    this.serviceGrabs(now);
  }

  private readDevice(d: Device): void {
    this.readEvents(d);
    this.settle();
  }

  /** After the write of a read's last key: ppoll first (SETTLE_AFTER_WRITE_US), then its bookkeeping. */
  private settle(): void {
    if (!this.settlingInput) return;
    if (this.settlingOutputs.length === 0) return this.finishKey(); // nothing written: nobody waits
    const waitUs = Math.min(SETTLE_AFTER_WRITE_US, Math.max(0, this.dueUs - this.settlingWrittenUs));
    libc().ppoll(this.pollBuf, this.pollDevices.length + POLL_FIRST_DEVICE, timespec(this.settleBuf, waitUs));
    if (this.stages) this.wokeUs = monotonicUs();
    this.finishKey();
  }

  private readEvents(d: Device): void {
    const c = libc();
    const buf = this.readBuf.bytes;
    while (d.fd >= 0) {
      const n = c.read(d.fd, buf, buf.length);
      if (n < 0) {
        const errno = c.errno();
        if (errno === EAGAIN) return;
        if (errno === EINTR) continue;
        if (errno !== ENODEV)
          this.processor?.error('device-read-failed', `${d.desc.name}: read failed (errno ${errno})`, {
            id: d.desc.id,
          });
        this.remove(d, 'unplugged');
        return;
      }
      if (n === 0) return;
      if (this.stages) this.readUs = monotonicUs();
      const count = Math.floor(n / INPUT_EVENT_SIZE);
      for (let i = 0; i < count && d.fd >= 0; i++) this.handleEvent(d, this.readBuf, i);
      if (n < buf.length) return;
    }
  }

  /** Event i of `buf` (what readEvents() just read, or a grab's queue). */
  private handleEvent(d: Device, buf: EventBuffer, i: number): void {
    // Queued before the grab (including a SYN_DROPPED of the wait): the desktop got those.
    const timeUs = buf.timeUs(i);
    if (timeUs < d.grabbedAtUs) return;
    const type = buf.type(i);
    const code = buf.code(i);
    if (type === EV_SYN) {
      if (code === SYN_DROPPED) {
        d.dropping = true;
        this.processor?.error('events-dropped', `${d.desc.name}: kernel buffer overrun, resynchronising`, {
          id: d.desc.id,
        });
      } else if (code === SYN_REPORT) {
        if (d.dropping) {
          d.dropping = false;
          this.resync(d);
        } else this.flushPointer(d);
      }
      return;
    }
    if (d.dropping) return;
    const value = buf.value(i);
    if (d.forwardPointer && (type === EV_REL || (type === EV_KEY && isMouseButton(code)))) {
      if (type === EV_KEY) trackKey(d.down, code, value);
      this.queuePointer(d, type, code, value);
      return;
    }
    if (type === EV_KEY && value >= 0 && value <= 2) this.key(d, code, value, timeUs);
  }

  /** One key event through the hook and the engine, its output written at once. */
  private key(d: Device, code: number, value: number, timeUs: number): void {
    const processor = this.processor;
    if (!processor) return;
    this.finishKey(); // an earlier key of the same read: its bookkeeping first, as it came
    trackKey(d.down, code, value);
    const input: KeyInput = {
      key: code,
      action: value === 1 ? 'press' : value === 0 ? 'release' : 'repeat',
      timeUs,
      device: d.desc.id,
    };
    if (this.opts.keyHook?.(input)) return;
    let outputs: OutputEvent[];
    try {
      outputs = processor.process(input);
    } catch (err) {
      processor.error('engine-error', `process failed: ${(err as Error).message}`, { key: code });
      return;
    }
    const decidedUs = this.stages ? monotonicUs() : 0;
    if (outputs.length > 0) this.writeOutputs(outputs);
    const writtenUs = monotonicUs();
    this.stages?.record(timeUs, this.wokeUs, this.readUs, decidedUs, writtenUs);
    this.settlingInput = input;
    this.settlingOutputs = outputs;
    this.settlingWrittenUs = writtenUs;
  }

  /** The bookkeeping of the key last written (processor.processed), once the loop settled. */
  private finishKey(): void {
    const input = this.settlingInput;
    if (!input) return;
    this.settlingInput = null;
    this.processor?.processed(input, this.settlingOutputs, this.settlingWrittenUs);
  }

  private writeOutputs(events: readonly OutputEvent[]): void {
    const output = this.output;
    if (!output) return;
    if (this.writeBuf.capacity < events.length + 1) this.writeBuf = new EventBuffer((events.length + 1) * 2);
    let pointer = false;
    for (let i = 0; i < events.length; i++) if (isPointerOutput(events[i])) pointer = true;
    // mouse keys: buttons and motion on keyrx's pointer device, in their own report
    if (pointer) this.writePointer(events);
    const length = encodeReport(this.writeBuf, events, this.skipRepeats);
    if (length > 0)
      try {
        output.write(this.writeBuf.bytes, length);
      } catch (err) {
        this.processor?.error('output-write-failed', (err as Error).message);
        return;
      }
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.action === 'press') this.outputDown[e.key >> 3] |= 1 << (e.key & 7);
      else if (e.action === 'release') this.outputDown[e.key >> 3] &= ~(1 << (e.key & 7));
    }
  }

  private writePointer(events: readonly OutputEvent[]): void {
    this.ensurePointerOutput();
    const out = this.pointerOutput;
    if (!out) return;
    const length = encodeReport(this.writeBuf, events, this.skipRepeats, 'pointer');
    if (length === 0) return;
    try {
      out.write(this.writeBuf.bytes, length);
    } catch (err) {
      this.processor?.error('output-write-failed', `pointer: ${(err as Error).message}`);
    }
  }

  // ---------------------------------------------------------------- LEDs

  /**
   * The desktop set LEDs on our output keyboard (Caps Lock pressed, say): the kernel hands them
   * back on the uinput fd; every grabbed keyboard shows them (its own LED state is the desktop's
   * no more, since its keys go through us).
   */
  private readLeds(): void {
    const out = this.output;
    if (!out) return;
    const c = libc();
    const buf = this.readBuf;
    let changed = false;
    for (;;) {
      const n = c.read(out.fd, buf.bytes, buf.bytes.length);
      if (n <= 0) break;
      const count = Math.floor(n / INPUT_EVENT_SIZE);
      for (let i = 0; i < count; i++) {
        if (buf.type(i) !== EV_LED) continue;
        this.ledKnown = true;
        const code = buf.code(i);
        const value = buf.value(i) ? 1 : 0;
        if (code < LED_COUNT && this.ledState[code] !== value) {
          this.ledState[code] = value;
          changed = true;
        }
      }
      if (n < buf.bytes.length) break;
    }
    if (changed) this.mirrorLeds();
  }

  /**
   * Forces LEDs on or off while a layer is active (a layer indicator), or back to the desktop's
   * state (-1). `leds[i]` is LED i (LED_NUML …).
   */
  setLedOverrides(leds: readonly number[]): void {
    let changed = false;
    for (let i = 0; i < LED_COUNT; i++) {
      const v = leds[i] ?? -1;
      if (this.ledOverride[i] !== v) {
        this.ledOverride[i] = v;
        changed = true;
      }
    }
    if (changed && this.started) this.mirrorLeds();
  }

  /** The LEDs every grabbed keyboard should show now. */
  ledsNow(): number[] {
    return Array.from(this.ledState, (v, i) => (this.ledOverride[i] >= 0 ? this.ledOverride[i] : v));
  }

  private mirrorLeds(): void {
    for (const d of this.byPath.values())
      if (d.state === 'grabbed' && this.hasLeds(d)) this.writeLeds(d, false);
  }

  private hasLeds(d: Device): boolean {
    return d.fd >= 0 && !d.pipe && testBit(d.probe.caps.ev, EV_LED);
  }

  /** Writes the LED state to a keyboard; a read-only one (no write permission) is skipped quietly. */
  private writeLeds(d: Device, initial: boolean): void {
    const leds = this.ledsNow();
    let off = 0;
    for (let i = 0; i < LED_COUNT; i++) off = encodeEvent(this.ledBuf, off, EV_LED, i, leds[i]);
    off = encodeEvent(this.ledBuf, off, EV_SYN, SYN_REPORT, 0);
    const n = libc().write(d.fd, this.ledBuf, off);
    if (n < 0 && !initial && !d.ledWriteFailed) {
      d.ledWriteFailed = true;
      this.opts.log?.(`${d.desc.name}: cannot set its LEDs (errno ${libc().errno()})`, { id: d.desc.id });
    }
  }

  // ---------------------------------------------------------------- pointer forwarding

  private queuePointer(d: Device, type: number, code: number, value: number): void {
    d.pointerBuf ??= Buffer.alloc(reportSize(READ_EVENTS));
    if (d.pointerEvents >= READ_EVENTS) this.flushPointer(d);
    encodeEvent(d.pointerBuf, d.pointerEvents * INPUT_EVENT_SIZE, type, code, value);
    d.pointerEvents++;
  }

  /** Motion and buttons of one input report go out as one report (events + SYN_REPORT). */
  private flushPointer(d: Device): void {
    const out = this.pointerOutput;
    const buf = d.pointerBuf;
    if (!buf || d.pointerEvents === 0) return;
    const length = encodeEvent(buf, d.pointerEvents * INPUT_EVENT_SIZE, EV_SYN, SYN_REPORT, 0);
    d.pointerEvents = 0;
    if (!out) return;
    try {
      out.write(buf, length);
    } catch (err) {
      this.processor?.error('output-write-failed', `pointer: ${(err as Error).message}`);
    }
  }

  // ---------------------------------------------------------------- discovery and grabs

  private wants(d: Device): boolean {
    if (d.probe.own || !this.processor) return false;
    if (d.probe.isPointer && hasAbsoluteAxes(d.probe.caps)) return false;
    return (this.opts.select ?? defaultSelect)(d.desc) && this.processor.isDeviceEnabled(d.desc.id);
  }

  private waitingCount(): number {
    let n = 0;
    for (const d of this.byPath.values()) if (d.state === 'waiting') n++;
    return n;
  }

  /**
   * Brings the device table in line with the event nodes: drops devices whose node is gone or
   * was recreated (replug: new inode, maybe the same eventN), and probes new nodes. Nodes not
   * usable yet are retried with backoff, since udev applies permissions after creation.
   */
  private rescan(initial: boolean, fromWatch = false): void {
    const processor = this.processor;
    if (!processor) return;
    this.rescanDueUs = Infinity;
    if (fromWatch) for (const [p, n] of this.retries) if (n < 0) this.retries.delete(p);
    let names: string[];
    try {
      names = fs.readdirSync(this.inputDir).filter((n) => EVENT_NODE_RE.test(n));
    } catch {
      names = [];
    }
    names.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
    const present = new Set(names.map((n) => path.join(this.inputDir, n)));
    // Pass 1: forget devices that disappeared, so that a replugged one gets its id back.
    for (const d of [...this.byPath.values()]) {
      let gone = !present.has(d.probe.path);
      if (!gone) {
        try {
          gone = fs.statSync(d.probe.path).ino !== d.probe.ino;
        } catch {
          gone = true;
        }
      }
      if (!gone && d.fd >= 0 && !isAlive(d.fd)) gone = true;
      if (gone) this.remove(d, 'unplugged');
    }
    // Pass 2: new nodes.
    for (const p of this.retries.keys()) if (!present.has(p)) this.retries.delete(p);
    let denied = 0;
    const now = monotonicUs();
    const candidates = [...present].filter((p) => !this.ownNodes.has(p));
    for (const p of present) {
      if (this.byPath.has(p) || this.ownNodes.has(p)) continue;
      let fd = -1;
      let probe: ProbedDevice;
      try {
        // read-write where allowed: a keyboard's LEDs are set through it
        fd = openEventNode(p, true);
        probe = probeFd(fd, p);
      } catch (err) {
        if (fd >= 0) fs.closeSync(fd);
        const code = errorCode(err) ?? '';
        if (code === 'EACCES' || code === 'EPERM') denied++;
        const attempts = this.retries.get(p) ?? 0;
        if (attempts < 0) continue; // given up and reported; a new inotify event retries it
        if (TRANSIENT_OPEN_ERRORS.has(code) && attempts < RESCAN_BACKOFF_MS.length) {
          this.retries.set(p, attempts + 1);
          this.rescanDueUs = Math.min(this.rescanDueUs, now + RESCAN_BACKOFF_MS[attempts] * 1000);
        } else {
          this.retries.set(p, -1);
          processor.error('device-open-failed', `${p}: ${(err as Error).message}`, { path: p, code });
        }
        continue;
      }
      this.retries.delete(p);
      this.add(probe, fd, now);
    }
    // At start, event nodes that all refuse us mean a missing group membership, not a race.
    if (initial && candidates.length > 0 && denied === candidates.length) {
      throw new LinuxBackendUnavailable(`no permission to read ${this.inputDir}/event*`, UINPUT_GROUP_FIX);
    }
  }

  private add(probe: ProbedDevice, fd: number, now: number): void {
    if (probe.own) {
      // Remember it (so rescans skip it) but never grab, list or announce it.
      fs.closeSync(fd);
      this.byPath.set(probe.path, this.newDevice(probe, probe.baseId, -1));
      return;
    }
    const d = this.newDevice(probe, this.uniqueId(probe.baseId), fd);
    this.byPath.set(probe.path, d);
    if (this.wants(d)) {
      this.beginGrab(d, now);
    } else {
      d.fd = -1;
      fs.closeSync(fd);
      this.announce(d);
    }
  }

  private newDevice(probe: ProbedDevice, id: string, fd: number): Device {
    return {
      probe,
      desc: describe(probe, id, false),
      state: 'listed',
      fd,
      waitSinceUs: 0,
      nextCheckUs: 0,
      grabbedAtUs: Infinity,
      down: new Uint8Array(KEY_BITS_BYTES),
      dropping: false,
      forwardPointer: false,
      pipe: false,
      pointerBuf: null,
      pointerEvents: 0,
      announced: false,
    };
  }

  /** Identical devices with no phys (two uinput keyboards of the same name) get -2, -3… */
  private uniqueId(base: string): string {
    const taken = new Set<string>();
    for (const d of this.byPath.values()) taken.add(d.desc.id);
    if (!taken.has(base)) return base;
    for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
  }

  private announce(d: Device): void {
    d.announced = true;
    this.processor?.deviceAdded({ ...d.desc });
  }

  /** Grabbing waits until no key is down on the device, so no key-up is lost to the desktop. */
  private beginGrab(d: Device, now: number): void {
    if (d.fd < 0) {
      try {
        d.fd = openEventNode(d.probe.path, true);
      } catch (err) {
        this.processor?.error('device-open-failed', `${d.probe.path}: ${(err as Error).message}`, {
          id: d.desc.id,
        });
        return;
      }
    }
    // Set the clock right away: switching it later flushes the queue and queues SYN_DROPPED.
    try {
      useMonotonicClock(d.fd);
    } catch (err) {
      this.processor?.error('device-clock', `${d.desc.name}: ${(err as Error).message}`, { id: d.desc.id });
    }
    d.state = 'waiting';
    d.waitSinceUs = now;
    d.nextCheckUs = now;
  }

  private serviceGrabs(now: number): void {
    for (const d of [...this.byPath.values()])
      if (d.state === 'waiting' && d.nextCheckUs <= now) this.tryGrab(d, now);
  }

  private tryGrab(d: Device, now: number): void {
    const processor = this.processor;
    if (!processor) return;
    const checkedAt = monotonicUs();
    const held = keysDown(d.fd, this.keyBuf);
    if (typeof held === 'number') {
      this.remove(d, held === -ENODEV ? 'unplugged' : 'error');
      return;
    }
    const waitMs = this.opts.grabWaitMs ?? DEFAULT_GRAB_WAIT_MS;
    if (held && now - d.waitSinceUs < waitMs * 1000) {
      d.nextCheckUs = now + GRAB_CHECK_INTERVAL_US;
      return;
    }
    if (held)
      processor.error(
        'grab-keys-held',
        `${d.desc.name}: keys still down after ${waitMs} ms; grabbing anyway`,
        {
          id: d.desc.id,
        },
      );
    const grabbedAt = monotonicUs();
    const r = setGrab(d.fd, true);
    if (r < 0) {
      const errno = -r;
      if (errno === ENODEV) {
        this.remove(d, 'unplugged');
        return;
      }
      processor.error(
        errno === EBUSY ? 'grab-busy' : 'grab-failed',
        errno === EBUSY
          ? `${d.desc.name}: another program has grabbed this device`
          : `${d.desc.name}: EVIOCGRAB failed (errno ${errno})`,
        { id: d.desc.id },
      );
      fs.closeSync(d.fd);
      d.fd = -1;
      d.state = 'listed';
      if (!d.announced) this.announce(d);
      return;
    }
    // Everything queued since the node was opened. Events stamped before the grab reached the
    // desktop too; the ones after reach only us.
    const queued = this.drainQueue(d.fd);
    if (queued === null) {
      this.remove(d, 'unplugged');
      return;
    }
    if (!held && this.pressedBetween(queued, checkedAt, grabbedAt)) {
      // A key went down between the check and the grab: the desktop saw its press and would
      // never see its release. Let go and wait for it to be released (a few µs window, but a
      // preempted thread widens it).
      setGrab(d.fd, false);
      d.nextCheckUs = now + GRAB_CHECK_INTERVAL_US;
      this.opts.log?.(`key pressed while grabbing ${d.desc.name}; waiting again`, { id: d.desc.id });
      return;
    }
    d.state = 'grabbed';
    d.grabbedAtUs = grabbedAt;
    d.desc.grabbed = true;
    d.down.fill(0);
    d.dropping = false;
    d.forwardPointer = d.probe.isPointer;
    if (d.forwardPointer) this.ensurePointerOutput();
    // a keyboard grabbed now shows the lights the others do (once there is a state to show)
    if (this.hasLeds(d) && (this.ledKnown || this.ledOverride.some((v) => v >= 0))) this.writeLeds(d, true);
    this.pollDirty = true;
    this.opts.log?.(`grabbed ${d.desc.name}`, { id: d.desc.id, path: d.probe.path });
    this.announce(d);
    // Events after the grab go to the engine (handleEvent skips the ones stamped before it).
    for (let i = 0; i < queued.capacity && d.fd >= 0; i++) this.handleEvent(d, queued, i);
    if (d.fd >= 0) this.readDevice(d);
  }

  /** Reads an fd's queue until EAGAIN; null when the device is gone. */
  private drainQueue(fd: number): EventBuffer | null {
    const c = libc();
    const chunks: Buffer[] = [];
    for (;;) {
      const buf = Buffer.alloc(READ_EVENTS * INPUT_EVENT_SIZE);
      const n = c.read(fd, buf, buf.length);
      if (n < 0) {
        const errno = c.errno();
        if (errno === EINTR) continue;
        if (errno === EAGAIN) break;
        return null;
      }
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      if (n < buf.length) break;
    }
    return EventBuffer.copyOf(Buffer.concat(chunks));
  }

  /** Is some key down at `untilUs` after replaying the key events stamped in [fromUs, untilUs)? */
  private pressedBetween(queued: EventBuffer, fromUs: number, untilUs: number): boolean {
    // Every key was up at fromUs (EVIOCGKEY said so); replaying events from then is exact.
    const down = new Uint8Array(KEY_BITS_BYTES);
    for (let i = 0; i < queued.capacity; i++) {
      const t = queued.timeUs(i);
      if (t < fromUs || t >= untilUs || queued.type(i) !== EV_KEY) continue;
      trackKey(down, queued.code(i), queued.value(i));
    }
    return anyBit(down);
  }

  private ensurePointerOutput(): void {
    if (this.pointerOutput) return;
    try {
      this.pointerOutput = UinputDevice.create({
        name: OUTPUT_POINTER_NAME,
        vendor: OWN_VENDOR,
        product: OWN_POINTER_PRODUCT,
        bus: BUS_USB,
        keys: POINTER_BUTTONS,
        rel: POINTER_AXES,
        repeat: false,
        uinputPath: this.opts.uinputPath,
      });
      if (this.pointerOutput.devnode) this.ownNodes.add(this.pointerOutput.devnode);
    } catch (err) {
      this.processor?.error('output-create-failed', `pointer: ${(err as Error).message}`);
    }
  }

  /** After SYN_DROPPED: bring the engine in line with the kernel's key state. */
  private resync(d: Device): void {
    if (d.pipe) return; // a pipe has no kernel key state to resync from
    const held = keysDown(d.fd, this.keyBuf);
    if (typeof held === 'number') return;
    const now = monotonicUs();
    for (let code = 0; code < KEY_BITS_BYTES * 8; code++) {
      const ours = testBit(d.down, code);
      const kernel = testBit(this.keyBuf, code);
      if (ours === kernel) continue;
      if (d.forwardPointer && isMouseButton(code)) {
        trackKey(d.down, code, kernel ? 1 : 0);
        this.queuePointer(d, EV_KEY, code, kernel ? 1 : 0);
      } else this.key(d, code, kernel ? 1 : 0, now);
    }
    this.flushPointer(d);
  }

  /** Ungrabs and closes a device; keys it still held are released through the engine first. */
  private release(d: Device, why: string): void {
    if (d.state === 'grabbed') {
      const now = monotonicUs();
      // A partial pointer report is dropped; buttons still down are released on our pointer.
      d.pointerEvents = 0;
      for (let code = 0; code < KEY_BITS_BYTES * 8; code++) {
        if (!testBit(d.down, code)) continue;
        if (d.forwardPointer && isMouseButton(code)) {
          trackKey(d.down, code, 0);
          this.queuePointer(d, EV_KEY, code, 0);
        } else this.key(d, code, 0, now);
      }
      this.flushPointer(d);
      if (!d.pipe) setGrab(d.fd, false);
      this.pollDirty = true;
    }
    if (d.fd >= 0) {
      try {
        fs.closeSync(d.fd);
      } catch {
        // the fd is gone either way
      }
    }
    d.fd = -1;
    d.state = 'listed';
    d.desc.grabbed = false;
    d.grabbedAtUs = Infinity;
    this.opts.log?.(`released ${d.desc.name} (${why})`, { id: d.desc.id });
  }

  private remove(d: Device, why: string): void {
    if (this.byPath.get(d.probe.path) !== d) return;
    this.release(d, why);
    this.byPath.delete(d.probe.path);
    if (d.announced) this.processor?.deviceRemoved(d.desc.id);
  }

  private cleanup(): void {
    if (!this.started) return;
    this.started = false;
    if (this.stages && this.stages.count > 0) this.opts.log?.(this.stages.summary());
    for (const d of this.byPath.values()) {
      if (d.state === 'grabbed' && !d.pipe) setGrab(d.fd, false);
      if (d.fd >= 0) {
        try {
          fs.closeSync(d.fd);
        } catch {
          // already closed
        }
      }
      d.fd = -1;
      d.state = 'listed';
      d.desc.grabbed = false;
    }
    this.byPath.clear();
    this.ownNodes.clear();
    this.retries.clear();
    this.rescanDueUs = Infinity;
    this.pollDirty = true;
    if (this.output) {
      // Release whatever is still down on our keyboard before it disappears.
      const releases: OutputEvent[] = [];
      for (let code = 0; code < KEY_BITS_BYTES * 8; code++)
        if (testBit(this.outputDown, code)) releases.push({ key: code, action: 'release', timeUs: 0 });
      if (releases.length > 0) this.writeOutputs(releases);
      this.output.destroy();
      this.output = null;
    }
    this.pointerOutput?.destroy();
    this.pointerOutput = null;
    this.watch?.close();
    this.watch = null;
    if (this.ownsWake && this.wake >= 0) libc().close(this.wake);
    this.wake = -1;
    this.ownsWake = false;
    this.processor = null;
  }
}

const BUS_VIRTUAL = 0x06;

/** What discovery would have learnt about a keyboard, for a PipeDevice. */
function pipeProbe(p: PipeDevice, index: number): ProbedDevice {
  const ev = new Uint8Array(Math.ceil((EV_MAX + 1) / 8));
  for (const type of [EV_SYN, EV_KEY, EV_REP]) ev[type >> 3] |= 1 << (type & 7);
  const key = new Uint8Array(KEY_BITS_BYTES);
  for (let code = 1; code < 256; code++) key[code >> 3] |= 1 << (code & 7);
  const caps = { ev, key, rel: new Uint8Array(2), abs: new Uint8Array(8) };
  const vendor = p.vendor ?? 0;
  const product = p.product ?? 0;
  const phys = `pipe/${index}`;
  return {
    path: `pipe:${p.fd}`,
    ino: fs.fstatSync(p.fd).ino,
    bus: BUS_VIRTUAL,
    vendor,
    product,
    version: 1,
    name: p.name,
    phys,
    uniq: '',
    caps,
    own: false,
    baseId: deviceId(vendor, product, p.name, phys),
    ...classify(caps),
  };
}

const isMouseButton = (code: number): boolean => code >= BTN_LEFT && code <= BTN_TASK;

/** Keeps a down-keys bitmap in step with evdev values (1 press, 0 release, 2 repeat: no change). */
function trackKey(bits: Uint8Array, code: number, value: number): void {
  if (value === 1) bits[code >> 3] |= 1 << (code & 7);
  else if (value === 0) bits[code >> 3] &= ~(1 << (code & 7));
}

function uinputUnavailable(err: unknown, uinputPath: string): Error {
  if (err instanceof LinuxBackendUnavailable) return err;
  const code = errorCode(err);
  if (code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO')
    return new LinuxBackendUnavailable(
      `${uinputPath} does not exist (uinput module not loaded)`,
      UINPUT_MODULE_FIX,
      {
        cause: err,
      },
    );
  if (code === 'EACCES' || code === 'EPERM')
    return new LinuxBackendUnavailable(`no permission to open ${uinputPath}`, UINPUT_GROUP_FIX, {
      cause: err,
    });
  return err instanceof Error ? err : new Error(String(err));
}

/** Writes `us` as a struct timespec into `buf` (16 bytes) and returns it. */
function timespec(buf: Buffer, us: number): Buffer {
  const sec = Math.floor(us / 1_000_000);
  buf.writeUInt32LE(sec >>> 0, 0);
  buf.writeUInt32LE(0, 4);
  buf.writeUInt32LE((us - sec * 1_000_000) * 1000, 8);
  buf.writeUInt32LE(0, 12);
  return buf;
}
