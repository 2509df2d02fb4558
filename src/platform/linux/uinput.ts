/** keyrx's output devices: uinput keyboards (and an optional pointer) it writes remapped events to. */
import fs from 'node:fs';
import path from 'node:path';
import { KEYS } from '../../core/keys.ts'; // not the core's index: this loads on the input thread
import {
  BTN_LEFT,
  BTN_RANGES,
  BTN_TASK,
  BUS_USB,
  EV_KEY,
  EV_REL,
  EV_REP,
  EV_SYN,
  KEY_MAX,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  O_WRONLY,
  EV_LED,
  UI_SET_LEDBIT,
  REL_HWHEEL,
  REL_HWHEEL_HI_RES,
  REL_WHEEL,
  REL_WHEEL_HI_RES,
  REL_X,
  REL_Y,
  UI_DEV_CREATE,
  UI_DEV_DESTROY,
  UI_DEV_SETUP,
  UI_GET_SYSNAME,
  UI_SET_EVBIT,
  UI_SET_KEYBIT,
  UI_SET_RELBIT,
  UINPUT_MAX_NAME_SIZE,
  UINPUT_SETUP_SIZE,
} from './constants.ts';
import { cString } from './codec.ts';
import { SyscallError } from './errors.ts';
import { ioctl, libc, tryIoctl } from './libc.ts';

export interface UinputOptions {
  name: string;
  vendor: number;
  product: number;
  version?: number;
  bus?: number;
  keys: Iterable<number>;
  rel?: Iterable<number>;
  /** EV_REP: the kernel auto-repeats held keys */
  repeat: boolean;
  /** EV_LED: the lights it has (LED_NUML …); the device is then opened for reading too */
  leds?: Iterable<number>;
  /** default /dev/uinput */
  uinputPath?: string;
}

export function isButtonCode(code: number): boolean {
  for (const [lo, hi] of BTN_RANGES) if (code >= lo && code <= hi) return true;
  return false;
}

/**
 * Key codes of the output keyboard: every key of the key table, plus every other keyboard-style
 * KEY_* code so that keys the profile passes through unmapped (media keys, vendor keys outside
 * the table) still reach applications — a uinput device silently drops codes it did not declare.
 * BTN_* codes are left out on purpose: udev would classify the device as a mouse or joystick.
 */
export function outputKeyboardKeys(): number[] {
  const set = new Set<number>(KEYS.map((k) => k.code));
  for (let code = 1; code <= KEY_MAX; code++) set.add(code);
  return [...set].filter((code) => code > 0 && code <= KEY_MAX && !isButtonCode(code)).sort((a, b) => a - b);
}

export const POINTER_BUTTONS: readonly number[] = Array.from(
  { length: BTN_TASK - BTN_LEFT + 1 },
  (_, i) => BTN_LEFT + i,
);
export const POINTER_AXES: readonly number[] = [
  REL_X,
  REL_Y,
  REL_HWHEEL,
  REL_WHEEL,
  REL_WHEEL_HI_RES,
  REL_HWHEEL_HI_RES,
];

/** Synchronous short sleep for setup paths (Atomics.wait works on every Node thread). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class UinputDevice {
  readonly fd: number;
  readonly name: string;
  /** inputN under /sys/devices/virtual/input */
  readonly sysname: string;
  /** /dev/input/eventN of the created device, '' if evdev is not loaded */
  readonly devnode: string;
  private destroyed = false;
  /** adopt(): not a uinput fd, so destroy() only closes it */
  private adopted = false;
  /** opened for reading too (it has LEDs): the kernel's LED changes can be read from fd */
  readable = false;

  private constructor(fd: number, name: string, sysname: string, devnode: string) {
    this.fd = fd;
    this.name = name;
    this.sysname = sysname;
    this.devnode = devnode;
  }

  /** A pipe standing in for the output device (LinuxBackendOptions.pipes): writes, then a close. */
  static adopt(fd: number, name: string): UinputDevice {
    const device = new UinputDevice(fd, name, '', '');
    device.adopted = true;
    return device;
  }

  /** Opens /dev/uinput and creates the device; errors from open() keep Node's `code` (ENOENT, EACCES). */
  static create(opts: UinputOptions): UinputDevice {
    const leds = opts.leds ? [...opts.leds] : [];
    // with LEDs it is read too: the desktop's LED changes come back on this fd as EV_LED events
    const mode = leds.length > 0 ? O_RDWR : O_WRONLY;
    const fd = fs.openSync(opts.uinputPath ?? '/dev/uinput', mode | O_NONBLOCK | O_CLOEXEC);
    try {
      ioctl(fd, UI_SET_EVBIT, EV_SYN, 'UI_SET_EVBIT(EV_SYN)');
      ioctl(fd, UI_SET_EVBIT, EV_KEY, 'UI_SET_EVBIT(EV_KEY)');
      if (opts.repeat) ioctl(fd, UI_SET_EVBIT, EV_REP, 'UI_SET_EVBIT(EV_REP)');
      if (leds.length > 0) {
        ioctl(fd, UI_SET_EVBIT, EV_LED, 'UI_SET_EVBIT(EV_LED)');
        for (const led of leds) ioctl(fd, UI_SET_LEDBIT, led, `UI_SET_LEDBIT(${led})`);
      }
      for (const code of opts.keys) ioctl(fd, UI_SET_KEYBIT, code, `UI_SET_KEYBIT(${code})`);
      const rel = opts.rel ? [...opts.rel] : [];
      if (rel.length > 0) {
        ioctl(fd, UI_SET_EVBIT, EV_REL, 'UI_SET_EVBIT(EV_REL)');
        for (const axis of rel) ioctl(fd, UI_SET_RELBIT, axis, `UI_SET_RELBIT(${axis})`);
      }
      // struct uinput_setup { struct input_id id; char name[80]; __u32 ff_effects_max; }
      const setup = Buffer.alloc(UINPUT_SETUP_SIZE);
      setup.writeUInt16LE(opts.bus ?? BUS_USB, 0);
      setup.writeUInt16LE(opts.vendor, 2);
      setup.writeUInt16LE(opts.product, 4);
      setup.writeUInt16LE(opts.version ?? 1, 6);
      const name = Buffer.from(opts.name, 'utf8').subarray(0, UINPUT_MAX_NAME_SIZE - 1);
      name.copy(setup, 8);
      ioctl(fd, UI_DEV_SETUP, setup, 'UI_DEV_SETUP');
      ioctl(fd, UI_DEV_CREATE, 0, 'UI_DEV_CREATE');
      const sys = Buffer.alloc(64);
      const sysname = tryIoctl(fd, UI_GET_SYSNAME(sys.length), sys) >= 0 ? cString(sys) : '';
      const device = new UinputDevice(fd, opts.name, sysname, sysname ? findEventNode(sysname) : '');
      device.readable = leds.length > 0;
      return device;
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Writes `length` bytes of encoded events; throws SyscallError when the kernel refuses. */
  write(buf: Buffer, length: number): void {
    const c = libc();
    const n = c.write(this.fd, buf, length);
    if (n !== length) throw new SyscallError('write', n < 0 ? c.errno() : 5 /* EIO: short write */, 'uinput');
  }

  /** UI_DEV_DESTROY and close; the kernel releases whatever was still down on removal. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (!this.adopted) tryIoctl(this.fd, UI_DEV_DESTROY, 0);
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed: nothing left to release
    }
  }
}

/**
 * /dev/input/eventN of a uinput device, from sysfs (never assume an eventN number). evdev
 * registers the handler during UI_DEV_CREATE, so a few short retries cover slow sysfs/devtmpfs.
 */
export function findEventNode(sysname: string): string {
  const dir = path.join('/sys/devices/virtual/input', sysname);
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const ev = fs.readdirSync(dir).find((n) => /^event\d+$/.test(n));
      if (ev) return path.join('/dev/input', ev);
    } catch {
      // sysfs directory not there yet
    }
    sleepSync(2);
  }
  return '';
}
