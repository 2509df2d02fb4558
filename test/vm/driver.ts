/**
 * The VM tests' own uinput and evdev code (test/vm/vm-test.ts, test/vm/daemon-test.ts): "physical"
 * test devices created through /dev/uinput, evdev readers of any event node, EVIOCGRAB and
 * EVIOCGKEY probes, and the small timing and logging helpers. Independent of src/platform/linux on
 * purpose: the ioctl numbers are written out here, so the backend is checked, not reused.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { monotonicUs } from '../../src/platform/types.ts';

/** Test devices: a vendor id no real device in the VM has. */
export const TEST_VENDOR = 0xfeed;

// Numbers written out here on purpose (not imported from the backend): an independent check.
const UI_SET_EVBIT = 0x40045564;
const UI_SET_KEYBIT = 0x40045565;
const UI_SET_RELBIT = 0x40045566;
const UI_SET_LEDBIT = 0x40045569;
const UI_SET_PHYS = 0x4008556c;
const UI_DEV_SETUP = 0x405c5503;
const UI_DEV_CREATE = 0x5501;
const UI_DEV_DESTROY = 0x5502;
const UI_GET_SYSNAME_64 = 0x8040552c;
const EVIOCGKEY_96 = 0x80604518;
const EVIOCSCLOCKID = 0x400445a0;
const EVIOCGRAB = 0x40044590;
export const EV_SYN = 0;
export const EV_KEY = 1;
export const EV_REL = 2;
const EV_REP = 0x14;
export const EV_LED = 0x11;

interface Ffi {
  ioctlInt: (fd: number, req: number, arg: number) => number;
  ioctlBuf: (fd: number, req: number, buf: Buffer) => number;
  ioctlStr: (fd: number, req: number, s: string) => number;
  errno: () => number;
}
let ffiCache: Ffi | null = null;
function ffi(): Ffi {
  if (ffiCache) return ffiCache;
  type Fn = (...a: unknown[]) => number;
  const koffi = createRequire(import.meta.url)('koffi') as {
    load: (p: string | null) => { func: (n: string, r: string, a: string[]) => Fn };
    errno: () => number;
  };
  const lib = koffi.load(null);
  const i = lib.func('ioctl', 'int', ['int', 'unsigned long', 'int']);
  const b = lib.func('ioctl', 'int', ['int', 'unsigned long', 'void *']);
  const s = lib.func('ioctl', 'int', ['int', 'unsigned long', 'const char *']);
  ffiCache = { ioctlInt: i, ioctlBuf: b, ioctlStr: s, errno: koffi.errno };
  return ffiCache;
}
function check(r: number, what: string): number {
  if (r < 0) throw new Error(`${what} failed, errno ${ffi().errno()}`);
  return r;
}

export interface TestDevice {
  fd: number;
  node: string;
  name: string;
  destroyed?: boolean;
}

export function createTestDevice(
  spec: { name: string; product: number; phys: string },
  kind: 'keyboard' | 'mouse',
): TestDevice {
  const f = ffi();
  // read-write: a keyboard's LED changes come back on its uinput fd (ledEvents())
  const fd = fs.openSync('/dev/uinput', fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  check(f.ioctlInt(fd, UI_SET_EVBIT, EV_KEY), 'UI_SET_EVBIT');
  if (kind === 'keyboard') {
    check(f.ioctlInt(fd, UI_SET_EVBIT, EV_REP), 'UI_SET_EVBIT(EV_REP)');
    for (let code = 1; code < 256; code++) check(f.ioctlInt(fd, UI_SET_KEYBIT, code), 'UI_SET_KEYBIT');
    // Num, Caps and Scroll Lock lights, as a real keyboard has
    check(f.ioctlInt(fd, UI_SET_EVBIT, EV_LED), 'UI_SET_EVBIT(EV_LED)');
    for (const led of [0, 1, 2]) check(f.ioctlInt(fd, UI_SET_LEDBIT, led), 'UI_SET_LEDBIT');
  } else {
    for (const code of [0x110, 0x111, 0x112]) check(f.ioctlInt(fd, UI_SET_KEYBIT, code), 'UI_SET_KEYBIT');
    check(f.ioctlInt(fd, UI_SET_EVBIT, EV_REL), 'UI_SET_EVBIT(EV_REL)');
    for (const axis of [0, 1, 8]) check(f.ioctlInt(fd, UI_SET_RELBIT, axis), 'UI_SET_RELBIT');
  }
  check(f.ioctlStr(fd, UI_SET_PHYS, spec.phys), 'UI_SET_PHYS');
  const setup = Buffer.alloc(92);
  setup.writeUInt16LE(0x03, 0);
  setup.writeUInt16LE(TEST_VENDOR, 2);
  setup.writeUInt16LE(spec.product, 4);
  setup.writeUInt16LE(1, 6);
  setup.write(spec.name, 8, 'utf8');
  check(f.ioctlBuf(fd, UI_DEV_SETUP, setup), 'UI_DEV_SETUP');
  check(f.ioctlInt(fd, UI_DEV_CREATE, 0), 'UI_DEV_CREATE');
  const sys = Buffer.alloc(64);
  check(f.ioctlBuf(fd, UI_GET_SYSNAME_64, sys), 'UI_GET_SYSNAME');
  const sysname = sys.toString('latin1').replace(/\0.*$/s, '');
  const ev = fs.readdirSync(`/sys/devices/virtual/input/${sysname}`).find((n) => /^event\d+$/.test(n));
  if (!ev) throw new Error(`no event node for ${sysname}`);
  return { fd, node: `/dev/input/${ev}`, name: spec.name };
}

export function destroyTestDevice(d: TestDevice): void {
  if (d.destroyed) return;
  d.destroyed = true;
  ffi().ioctlInt(d.fd, UI_DEV_DESTROY, 0);
  fs.closeSync(d.fd);
}

export function emit(d: TestDevice, events: [type: number, code: number, value: number][]): number {
  const buf = Buffer.alloc((events.length + 1) * 24);
  events.forEach(([type, code, value], i) => {
    buf.writeUInt16LE(type, i * 24 + 16);
    buf.writeUInt16LE(code, i * 24 + 18);
    buf.writeInt32LE(value, i * 24 + 20);
  });
  buf.writeUInt16LE(EV_SYN, events.length * 24 + 16);
  const t = monotonicUs();
  fs.writeSync(d.fd, buf);
  return t;
}

/** A non-blocking evdev reader polled by a timer (test side only; the kernel stamps the events). */
export class Reader {
  readonly fd: number;
  readonly events: { timeUs: number; type: number; code: number; value: number }[] = [];
  /** the device went away (ENODEV): everything it sent is in `events` */
  gone = false;
  private readonly buf = Buffer.alloc(24 * 256);
  private readonly timer: NodeJS.Timeout;
  constructor(readonly node: string) {
    this.fd = fs.openSync(node, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const clock = Buffer.alloc(4);
    clock.writeInt32LE(1); // CLOCK_MONOTONIC, passed by pointer
    check(ffi().ioctlBuf(this.fd, EVIOCSCLOCKID, clock), 'EVIOCSCLOCKID');
    this.timer = setInterval(() => this.poll(), 2);
  }
  poll(): void {
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (err) {
        // EAGAIN: nothing queued; ENODEV: the device is gone (after its last events)
        if ((err as NodeJS.ErrnoException).code === 'ENODEV') this.gone = true;
        return;
      }
      for (let off = 0; off + 24 <= n; off += 24)
        this.events.push({
          timeUs: this.buf.readUInt32LE(off) * 1e6 + this.buf.readUInt32LE(off + 8),
          type: this.buf.readUInt16LE(off + 16),
          code: this.buf.readUInt16LE(off + 18),
          value: this.buf.readInt32LE(off + 20),
        });
      if (n < this.buf.length) return;
    }
  }
  keysDown(): number[] {
    const bits = Buffer.alloc(96);
    check(ffi().ioctlBuf(this.fd, EVIOCGKEY_96, bits), 'EVIOCGKEY');
    const out: number[] = [];
    for (let i = 0; i < 768; i++) if (bits[i >> 3] & (1 << (i & 7))) out.push(i);
    return out;
  }
  close(): void {
    clearInterval(this.timer);
    fs.closeSync(this.fd);
  }
}

// ---------------------------------------------------------------- names, timing, logging

/**
 * The LED events written to a test keyboard since the last call (by whoever owns its evdev
 * node: keyrx mirroring the desktop's lights), read from its uinput fd: `[code, value]` pairs.
 */
export function ledEvents(device: TestDevice): [number, number][] {
  const out: [number, number][] = [];
  const buf = Buffer.alloc(24 * 64);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(device.fd, buf, 0, buf.length, null);
    } catch {
      return out; // EAGAIN: nothing more
    }
    for (let off = 0; off + 24 <= n; off += 24)
      if (buf.readUInt16LE(off + 16) === EV_LED)
        out.push([buf.readUInt16LE(off + 18), buf.readInt32LE(off + 20)]);
    if (n < buf.length) return out;
  }
}

/** Writes LED states to an evdev node (as the desktop does to a keyboard): `[code, value]` pairs and a SYN. */
export function writeLeds(node: string, leds: [number, number][]): void {
  const fd = fs.openSync(node, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(24 * (leds.length + 1));
    leds.forEach(([code, value], i) => {
      buf.writeUInt16LE(EV_LED, i * 24 + 16);
      buf.writeUInt16LE(code, i * 24 + 18);
      buf.writeInt32LE(value, i * 24 + 20);
    });
    fs.writeSync(fd, buf);
  } finally {
    fs.closeSync(fd);
  }
}

export const KEY = {
  A: 30,
  B: 48,
  C: 46,
  H: 35,
  Q: 16,
  CAPS: 58,
  ESC: 1,
  LEFT: 105,
  LSHIFT: 42,
  NUM1: 2,
  LCTRL: 29,
  SPACE: 57,
  F1: 59,
  F2: 60,
  F3: 61,
} as const;
export const NAMES: Record<number, string> = Object.fromEntries(Object.entries(KEY).map(([k, v]) => [v, k]));
export const fmt = (e: { code: number; value: number }): string => `${NAMES[e.code] ?? e.code}:${e.value}`;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const uptime = (): string => fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0];
export const DEBUG = process.env.KEYRX_VM_DEBUG === '1';
export const log = (...a: unknown[]): void => console.log(`[vm ${uptime()}s]`, ...a);

export async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await sleep(3);
  }
  return pred();
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function stats(label: string, values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  return `${label}: n=${s.length} p50=${percentile(s, 50)}µs p99=${percentile(s, 99)}µs max=${s[s.length - 1]}µs`;
}

export function findEventNodeByName(name: string): string {
  for (const input of fs.readdirSync('/sys/class/input')) {
    if (!input.startsWith('input')) continue;
    let n: string;
    try {
      n = fs.readFileSync(`/sys/class/input/${input}/name`, 'utf8').trim();
    } catch {
      continue; // the device went away while listing
    }
    if (n !== name) continue;
    const ev = fs.readdirSync(`/sys/class/input/${input}`).find((e) => /^event\d+$/.test(e));
    if (ev) return `/dev/input/${ev}`;
  }
  return '';
}

/**
 * EVIOCGRAB probe on an event node: 'free' when this reader could grab it (and let go at once),
 * 'busy' when another reader holds the grab (EBUSY), else the errno.
 */
export function grabState(node: string): 'free' | 'busy' | number {
  const fd = fs.openSync(node, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const r = ffi().ioctlInt(fd, EVIOCGRAB, 1);
    if (r === 0) {
      ffi().ioctlInt(fd, EVIOCGRAB, 0);
      return 'free';
    }
    const errno = ffi().errno();
    return errno === 16 ? 'busy' : errno;
  } finally {
    fs.closeSync(fd);
  }
}
