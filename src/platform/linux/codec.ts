/**
 * Pure helpers of the Linux backend: input_event encoding, capability bitmaps, device
 * classification, stable device ids, /proc/bus/input/devices parsing. No syscalls here, so
 * all of it is unit-tested on machines without /dev/input.
 */
import type { OutputEvent } from '../../core/index.ts';
import {
  BTN_LEFT,
  BTN_TASK,
  BTN_TOOL_FINGER,
  BTN_TOOL_PEN,
  BTN_TOUCH,
  EV_ABS,
  EV_KEY,
  EV_REL,
  EV_REP,
  EV_SYN,
  INPUT_EVENT_SIZE,
  OWN_VENDOR,
  OWN_KEYBOARD_PRODUCT,
  OWN_POINTER_PRODUCT,
  REL_X,
  SYN_REPORT,
} from './constants.ts';

// ---------------------------------------------------------------- input_event

export interface RawEvent {
  /** event time in µs (CLOCK_MONOTONIC after EVIOCSCLOCKID) */
  timeUs: number;
  type: number;
  code: number;
  value: number;
}

/** Time of the event at `offset` in µs. tv_sec/tv_usec are int64; read as two halves (no BigInt). */
export function eventTimeUs(buf: Uint8Array | Buffer, offset: number): number {
  const b = buf as Buffer;
  const sec = b.readInt32LE(offset + 4) * 0x1_0000_0000 + b.readUInt32LE(offset);
  const usec = b.readInt32LE(offset + 12) * 0x1_0000_0000 + b.readUInt32LE(offset + 8);
  return sec * 1_000_000 + usec;
}

export function decodeEvent(buf: Buffer, offset = 0): RawEvent {
  return {
    timeUs: eventTimeUs(buf, offset),
    type: buf.readUInt16LE(offset + 16),
    code: buf.readUInt16LE(offset + 18),
    value: buf.readInt32LE(offset + 20),
  };
}

/** Decodes every whole event in the first `length` bytes. */
export function decodeEvents(buf: Buffer, length = buf.length): RawEvent[] {
  const out: RawEvent[] = [];
  for (let off = 0; off + INPUT_EVENT_SIZE <= length; off += INPUT_EVENT_SIZE)
    out.push(decodeEvent(buf, off));
  return out;
}

/**
 * Writes one input_event at `offset` and returns the offset after it. The time is written
 * as given (0 for uinput writes: the kernel stamps events itself).
 */
export function encodeEvent(
  buf: Buffer,
  offset: number,
  type: number,
  code: number,
  value: number,
  timeUs = 0,
): number {
  const sec = Math.floor(timeUs / 1_000_000);
  const usec = timeUs - sec * 1_000_000;
  buf.writeUInt32LE(sec >>> 0, offset);
  buf.writeInt32LE(Math.floor(sec / 0x1_0000_0000), offset + 4);
  buf.writeUInt32LE(usec >>> 0, offset + 8);
  buf.writeInt32LE(0, offset + 12);
  buf.writeUInt16LE(type, offset + 16);
  buf.writeUInt16LE(code, offset + 18);
  buf.writeInt32LE(value, offset + 20);
  return offset + INPUT_EVENT_SIZE;
}

/** evdev key values */
export const KEY_RELEASE = 0;
export const KEY_PRESS = 1;
export const KEY_REPEAT = 2;

export function keyValue(action: OutputEvent['action']): number {
  return action === 'press' ? KEY_PRESS : action === 'release' ? KEY_RELEASE : KEY_REPEAT;
}

/** Bytes one output report takes: every event plus the closing SYN_REPORT. */
export function reportSize(eventCount: number): number {
  return (eventCount + 1) * INPUT_EVENT_SIZE;
}

/**
 * input_events in one buffer, read and written by index through fixed typed views. The key path
 * uses it instead of Buffer's accessors: those are a checked call per field (seven to encode one
 * event), and a call is what costs most on a cache that went cold while the thread slept (under
 * emulation, tens of µs per key). input_event is in the machine's byte order, as typed arrays are.
 */
export class EventBuffer {
  /** what read() fills and write() sends */
  readonly bytes: Buffer;
  /** how many events it holds */
  readonly capacity: number;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly u16: Uint16Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.bytes = Buffer.alloc(capacity * INPUT_EVENT_SIZE); // its own ArrayBuffer, offset 0
    this.i32 = new Int32Array(this.bytes.buffer, this.bytes.byteOffset, capacity * 6);
    this.u32 = new Uint32Array(this.bytes.buffer, this.bytes.byteOffset, capacity * 6);
    this.u16 = new Uint16Array(this.bytes.buffer, this.bytes.byteOffset, capacity * 12);
  }

  /** The whole input_events in `bytes`, copied (a Buffer's offset need not suit the views). */
  static copyOf(bytes: Uint8Array): EventBuffer {
    const buf = new EventBuffer(Math.floor(bytes.length / INPUT_EVENT_SIZE));
    buf.bytes.set(bytes.subarray(0, buf.bytes.length));
    return buf;
  }

  /** Event i's time in µs (tv_sec and tv_usec are int64, read as two halves: no BigInt). */
  timeUs(i: number): number {
    const w = i * 6;
    const sec = this.i32[w + 1] * 0x1_0000_0000 + this.u32[w];
    return sec * 1_000_000 + this.i32[w + 3] * 0x1_0000_0000 + this.u32[w + 2];
  }

  type(i: number): number {
    return this.u16[i * 12 + 8];
  }

  code(i: number): number {
    return this.u16[i * 12 + 9];
  }

  value(i: number): number {
    return this.i32[i * 6 + 5];
  }

  /** Sets event i, its time zero (uinput stamps what is written). */
  set(i: number, type: number, code: number, value: number): void {
    const w = i * 6;
    this.i32[w] = 0;
    this.i32[w + 1] = 0;
    this.i32[w + 2] = 0;
    this.i32[w + 3] = 0;
    this.u16[i * 12 + 8] = type;
    this.u16[i * 12 + 9] = code;
    this.i32[w + 5] = value;
  }
}

/**
 * One report for a device into `buf`: its events, then a SYN_REPORT; the keyboard gets the keys,
 * the pointer the mouse buttons and the motion (EV_REL). `buf` must hold events.length + 1 events.
 * `skipRepeats`: drop repeat events (the output device auto-repeats in the kernel). Returns the
 * byte length, 0 when nothing is for this device.
 */
export function encodeReport(
  buf: EventBuffer,
  events: readonly OutputEvent[],
  skipRepeats: boolean,
  device: 'keyboard' | 'pointer' = 'keyboard',
): number {
  const pointer = device === 'pointer';
  let n = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (skipRepeats && e.action === 'repeat') continue;
    if (isPointerOutput(e) !== pointer) continue;
    if (e.action === 'move') buf.set(n++, EV_REL, e.key, e.value ?? 0);
    else buf.set(n++, EV_KEY, e.key, keyValue(e.action));
  }
  if (n === 0) return 0;
  buf.set(n++, EV_SYN, SYN_REPORT, 0);
  return n * INPUT_EVENT_SIZE;
}

/** Mouse-key output (a mouse button or motion) goes to keyrx's pointer device. */
export function isPointerOutput(e: OutputEvent): boolean {
  return e.action === 'move' || (e.key >= BTN_LEFT && e.key <= BTN_TASK);
}

// ---------------------------------------------------------------- bitmaps

export function testBit(bits: Uint8Array, bit: number): boolean {
  const byte = bit >> 3;
  return byte < bits.length && (bits[byte] & (1 << (bit & 7))) !== 0;
}

export function setBit(bits: Uint8Array, bit: number): void {
  bits[bit >> 3] |= 1 << (bit & 7);
}

export function bitList(bits: Uint8Array): number[] {
  const out: number[] = [];
  for (let byte = 0; byte < bits.length; byte++) {
    const v = bits[byte];
    if (v === 0) continue;
    for (let b = 0; b < 8; b++) if (v & (1 << b)) out.push(byte * 8 + b);
  }
  return out;
}

export function anyBit(bits: Uint8Array): boolean {
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) return true;
  return false;
}

/**
 * Parses a bitmap as the kernel prints it in /proc/bus/input/devices and sysfs
 * `capabilities/*`: `unsigned long` words in hex, most significant word first. `wordBits`
 * is the kernel's BITS_PER_LONG (64 on the LP64 platforms keyrx supports).
 */
export function parseKernelBitmap(text: string, bytes: number, wordBits = 64): Uint8Array {
  const out = new Uint8Array(bytes);
  const words = text.trim().split(/\s+/).filter(Boolean).reverse();
  const wordBytes = wordBits / 8;
  for (let w = 0; w < words.length; w++) {
    let value = BigInt('0x' + words[w]);
    for (let b = 0; b < wordBytes && value !== 0n; b++) {
      const index = w * wordBytes + b;
      if (index < bytes) out[index] = Number(value & 0xffn);
      value >>= 8n;
    }
  }
  return out;
}

// ---------------------------------------------------------------- classification

export interface Capabilities {
  /** EVIOCGBIT(0): event types */
  ev: Uint8Array;
  /** EVIOCGBIT(EV_KEY) */
  key: Uint8Array;
  /** EVIOCGBIT(EV_REL) */
  rel: Uint8Array;
  /** EVIOCGBIT(EV_ABS) */
  abs: Uint8Array;
}

/** KEY_A … KEY_Z: letters are not contiguous in the evdev code space. */
export const LETTER_KEY_CODES: readonly number[] = [
  30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38, 50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17, 45, 21, 44,
];
/** "has KEY_A..KEY_Z or most of them": some compact/ortholinear keyboards drop a few codes */
export const MIN_LETTER_KEYS = 20;

export interface Classification {
  isKeyboard: boolean;
  isPointer: boolean;
  /** number of KEY_A…KEY_Z present */
  letters: number;
}

/**
 * A keyboard has EV_KEY with (most of) the letter keys and EV_REP (the kernel sets EV_REP for
 * real keyboards; media-key side nodes and power buttons have neither). A pointer has relative
 * motion, mouse buttons or touch: those are never grabbed by default, since their motion
 * would be lost and gaming mice often expose key codes too.
 */
export function classify(caps: Capabilities): Classification {
  const hasKey = testBit(caps.ev, EV_KEY);
  let letters = 0;
  if (hasKey) for (const code of LETTER_KEY_CODES) if (testBit(caps.key, code)) letters++;
  const isKeyboard = hasKey && testBit(caps.ev, EV_REP) && letters >= MIN_LETTER_KEYS;
  const isPointer =
    (testBit(caps.ev, EV_REL) && testBit(caps.rel, REL_X)) ||
    (hasKey &&
      (testBit(caps.key, BTN_LEFT) ||
        testBit(caps.key, BTN_TOUCH) ||
        testBit(caps.key, BTN_TOOL_PEN) ||
        testBit(caps.key, BTN_TOOL_FINGER)));
  return { isKeyboard, isPointer, letters };
}

/** Has absolute axes (touchpads, tablets, joysticks): informational only. */
export function hasAbsoluteAxes(caps: Capabilities): boolean {
  return testBit(caps.ev, EV_ABS) && anyBit(caps.abs);
}

/** keyrx's own output devices, recognised by vendor/product only (never by name). */
export function isOwnDevice(vendor: number, product: number): boolean {
  return vendor === OWN_VENDOR && (product === OWN_KEYBOARD_PRODUCT || product === OWN_POINTER_PRODUCT);
}

// ---------------------------------------------------------------- ids

/** The stable id (shared with the Windows backend). */
export { deviceId } from '../device-id.ts';

/** A C string from an ioctl buffer: up to the first NUL, UTF-8 (names may hold non-ASCII). */
export function cString(buf: Buffer, length = buf.length): string {
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end >= 0 && end < length ? end : length);
}

// ---------------------------------------------------------------- /proc/bus/input/devices

export interface ProcInputDevice {
  bus: number;
  vendor: number;
  product: number;
  version: number;
  name: string;
  phys: string;
  uniq: string;
  sysfs: string;
  handlers: string[];
  /** eventN handler, if any */
  event?: string;
  caps: Capabilities;
}

/**
 * Parses /proc/bus/input/devices. The doctor uses it because it lists every device with its
 * capabilities without opening (or having permission to open) the event nodes.
 */
export function parseProcInputDevices(text: string, wordBits = 64): ProcInputDevice[] {
  const out: ProcInputDevice[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    if (!block.trim()) continue;
    const dev: ProcInputDevice = {
      bus: 0,
      vendor: 0,
      product: 0,
      version: 0,
      name: '',
      phys: '',
      uniq: '',
      sysfs: '',
      handlers: [],
      caps: {
        ev: new Uint8Array(4),
        key: new Uint8Array(96),
        rel: new Uint8Array(2),
        abs: new Uint8Array(8),
      },
    };
    for (const line of block.split('\n')) {
      const m = /^([A-Z]): (.*)$/.exec(line.trimEnd());
      if (!m) continue;
      const [, tag, rest] = m;
      if (tag === 'I') {
        for (const [, k, v] of rest.matchAll(/(\w+)=([0-9a-fA-F]+)/g)) {
          const n = parseInt(v, 16);
          if (k === 'Bus') dev.bus = n;
          else if (k === 'Vendor') dev.vendor = n;
          else if (k === 'Product') dev.product = n;
          else if (k === 'Version') dev.version = n;
        }
      } else if (tag === 'N') dev.name = /^Name="(.*)"$/.exec(rest)?.[1] ?? '';
      else if (tag === 'P') dev.phys = rest.replace(/^Phys=/, '');
      else if (tag === 'U') dev.uniq = rest.replace(/^Uniq=/, '');
      else if (tag === 'S') dev.sysfs = rest.replace(/^Sysfs=/, '');
      else if (tag === 'H') {
        dev.handlers = rest
          .replace(/^Handlers=/, '')
          .trim()
          .split(/\s+/)
          .filter(Boolean);
        dev.event = dev.handlers.find((h) => /^event\d+$/.test(h));
      } else if (tag === 'B') {
        const b = /^(\w+)=(.*)$/.exec(rest);
        if (!b) continue;
        if (b[1] === 'EV') dev.caps.ev = parseKernelBitmap(b[2], 4, wordBits);
        else if (b[1] === 'KEY') dev.caps.key = parseKernelBitmap(b[2], 96, wordBits);
        else if (b[1] === 'REL') dev.caps.rel = parseKernelBitmap(b[2], 2, wordBits);
        else if (b[1] === 'ABS') dev.caps.abs = parseKernelBitmap(b[2], 8, wordBits);
      }
    }
    out.push(dev);
  }
  return out;
}
