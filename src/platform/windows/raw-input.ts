/**
 * Which keyboard a key came from, on Windows: Raw Input names the device of every key
 * (RAWINPUTHEADER.hDevice), the low-level hook names none. This module is the pure part — the
 * RAWINPUT records, the keyboards' identities, and the matching of a hook event with the Raw
 * Input record of the same key — so it runs and is tested on Linux; raw-input-win32.ts makes the
 * calls.
 *
 * The order of the two differs between systems, and the matching is built for both:
 *   - Wine queues the Raw Input record *before* it calls the hook (proven by test:wine): the hook
 *     drains the thread's raw input buffer (GetRawInputBuffer, which dispatches nothing, so the
 *     hook is never re-entered) and finds the record of its own key there — the device is known
 *     before the key is decided, so `device_start` blocks and per-device settings apply.
 *   - Windows is documented by those who tried to call the hook first and to generate no Raw
 *     Input for a key the hook swallows. Then no record precedes the hook: the key is attributed
 *     by the fallback (FALLBACK below), and records that arrive later (keys that passed) are only
 *     counted. This has not been confirmed on a real Windows here (docs/windows.md).
 *
 * FALLBACK: one physical keyboard attached (by vendor:product; a keyboard's several HID
 * collections count once) → that keyboard; otherwise the aggregate device `windows-keyboard`.
 */
import type { DeviceDescriptor } from '../types.ts';
import { deviceId } from '../device-id.ts';
import { WINDOWS_KEYBOARD_DEVICE } from './hook-logic.ts';

export const RIM_TYPEKEYBOARD = 1;
/** RAWKEYBOARD.Flags */
export const RI_KEY_BREAK = 0x01;
export const RI_KEY_E0 = 0x02;
export const RI_KEY_E1 = 0x04;

/** sizeof(RAWINPUTHEADER) on x64 */
export const RAWINPUTHEADER_SIZE = 24;
/** sizeof(RAWINPUT) for a keyboard on x64: the header and RAWKEYBOARD (16 bytes) */
export const RAWINPUT_KEYBOARD_SIZE = 40;

const VK_PAUSE = 0x13;
const VK_NUMLOCK = 0x90;
const VK_RSHIFT = 0xa1;

/** One keyboard record of Raw Input. */
export interface RawKey {
  /** RAWINPUTHEADER.hDevice: 0 for injected input (SendInput), which no device made */
  handle: bigint;
  /** RAWKEYBOARD.MakeCode */
  make: number;
  /** RAWKEYBOARD.Flags (RI_KEY_*) */
  flags: number;
  /** RAWKEYBOARD.VKey */
  vk: number;
  /** when this process read it (the backend's µs clock) */
  atUs: number;
}

/** The fields of a hook event the matching compares. */
export interface HookKey {
  scan: number;
  extended: boolean;
  up: boolean;
  vk: number;
}

/** The record at `offset` of a RAWINPUT buffer (GetRawInputData, GetRawInputBuffer), or null. */
export function readRawKey(buf: Buffer, offset: number, atUs: number): RawKey | null {
  if (offset + RAWINPUT_KEYBOARD_SIZE > buf.length) return null;
  if (buf.readUInt32LE(offset) !== RIM_TYPEKEYBOARD) return null;
  return {
    handle: buf.readBigUInt64LE(offset + 8),
    make: buf.readUInt16LE(offset + 24),
    flags: buf.readUInt16LE(offset + 26),
    vk: buf.readUInt16LE(offset + 30),
    atUs,
  };
}

/**
 * The keyboard records of GetRawInputBuffer's `count` RAWINPUT blocks. Each block is
 * RAWINPUTHEADER.dwSize long, rounded up to 8 bytes (NEXTRAWINPUTBLOCK on x64); mouse and HID
 * blocks are skipped.
 */
export function parseRawInputBuffer(buf: Buffer, count: number, atUs: number): RawKey[] {
  const keys: RawKey[] = [];
  let offset = 0;
  for (let i = 0; i < count && offset + RAWINPUTHEADER_SIZE <= buf.length; i++) {
    const size = buf.readUInt32LE(offset + 4);
    if (size < RAWINPUTHEADER_SIZE) break; // a corrupt block: the rest cannot be walked
    const key = readRawKey(buf, offset, atUs);
    if (key) keys.push(key);
    offset += (size + 7) & ~7;
  }
  return keys;
}

/** Does this Raw Input record describe the same key and direction as the hook event? */
export function sameKey(raw: RawKey, hook: HookKey): boolean {
  if (((raw.flags & RI_KEY_BREAK) !== 0) !== hook.up) return false;
  // Pause is E1 1D 45 on the wire: Raw Input reports MakeCode 0x1D with E1, the hook scan 0x45
  if (hook.vk === VK_PAUSE) return (raw.flags & RI_KEY_E1) !== 0 || raw.make === 0x45;
  if ((raw.flags & RI_KEY_E1) !== 0) return false;
  if (raw.make !== (hook.scan & 0xff)) return false;
  // the hook and Raw Input disagree on the extended bit of NumLock and right Shift
  if (hook.vk === VK_NUMLOCK || hook.vk === VK_RSHIFT) return true;
  return ((raw.flags & RI_KEY_E0) !== 0) === hook.extended;
}

export interface AttributionOptions {
  /** records older than this are dropped unmatched (µs; default 1 s) */
  maxAgeUs?: number;
  /** at most this many records wait (default 64) */
  maxQueued?: number;
}

/**
 * The records read before hook calls, waiting for theirs. match() takes the first record of the
 * same key and direction, and drops the ones before it: their hook events are past (a key the
 * hook never saw, an injected one) and must not be matched by a later press of the same key.
 */
export class RawInputAttribution {
  private queue: RawKey[] = [];
  private readonly maxAgeUs: number;
  private readonly maxQueued: number;
  /** hook events matched with a record / not */
  matched = 0;
  unmatched = 0;

  constructor(opts: AttributionOptions = {}) {
    this.maxAgeUs = opts.maxAgeUs ?? 1_000_000;
    this.maxQueued = opts.maxQueued ?? 64;
  }

  /** Records read before a hook call (injected ones, hDevice 0, are not kept). */
  add(records: readonly RawKey[]): void {
    for (const r of records) if (r.handle !== 0n) this.queue.push(r);
    if (this.queue.length > this.maxQueued) this.queue.splice(0, this.queue.length - this.maxQueued);
  }

  /** The device handle of this hook event's record, consumed; null when none waits. */
  match(hook: HookKey, nowUs: number): bigint | null {
    const fresh = this.queue.filter((r) => nowUs - r.atUs <= this.maxAgeUs);
    const i = fresh.findIndex((r) => sameKey(r, hook));
    if (i < 0) {
      this.queue = fresh;
      this.unmatched++;
      return null;
    }
    this.queue = fresh.slice(i + 1);
    this.matched++;
    return fresh[i].handle;
  }

  get pending(): number {
    return this.queue.length;
  }

  clear(): void {
    this.queue = [];
  }
}

// ---------------------------------------------------------------------------------------------
// the keyboards

/** What the system tells about one Raw Input keyboard. */
export interface RawKeyboardInfo {
  handle: bigint;
  /** the device interface path (RIDI_DEVICENAME), `\\?\HID#VID_046D&PID_C31C&MI_00#7&…#{guid}` */
  path: string;
  /** the HID product string, when the device has one */
  product?: string;
  manufacturer?: string;
  serial?: string;
}

export interface InterfacePath {
  /** the device instance id, `HID\VID_046D&PID_C31C&MI_00\7&…` (upper case): stable per port */
  instance: string;
  vendor?: number;
  product?: number;
  /** a keyboard no hand types on (Remote Desktop's) */
  virtual: boolean;
  /** ACPI PNP03xx: a PS/2 (laptop) keyboard */
  ps2: boolean;
}

/** Parses a device interface path into its instance id and USB/Bluetooth ids. */
export function parseInterfacePath(path: string): InterfacePath {
  let p = path.replace(/^\\\\[?.]\\/, '');
  p = p.replace(/#\{[0-9a-fA-F-]+\}(\\.*)?$/, '');
  const instance = p.replace(/#/g, '\\').toUpperCase();
  const usb = /VID_([0-9A-F]{4})&PID_([0-9A-F]{4})/i.exec(p);
  // Bluetooth LE HID: VID&02046d_PID&b35b (two hex digits of id source, then the vendor)
  const ble = usb ? null : /VID&[0-9A-F]{2}([0-9A-F]{4})_PID&([0-9A-F]{4})/i.exec(p);
  const ids = usb ?? ble;
  return {
    instance,
    ...(ids ? { vendor: parseInt(ids[1], 16), product: parseInt(ids[2], 16) } : {}),
    virtual: /^ROOT\\RDP_KBD/.test(instance) || /^ROOT\\/.test(instance),
    ps2: /^ACPI\\(PNP03|\*PNP03)/.test(instance),
  };
}

const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');

/** A keyboard's DeviceDescriptor: its product name (or what its path tells), a stable id. */
export function describeRawKeyboard(info: RawKeyboardInfo): DeviceDescriptor {
  const parsed = parseInterfacePath(info.path);
  const product = info.product?.replace(/\0+$/, '').trim();
  const name =
    product ||
    (parsed.ps2
      ? 'PS/2 keyboard'
      : parsed.virtual
        ? 'Remote Desktop keyboard'
        : parsed.vendor !== undefined
          ? `Keyboard ${hex4(parsed.vendor)}:${hex4(parsed.product ?? 0)}`
          : 'Keyboard');
  const serial = info.serial?.replace(/\0+$/, '').trim();
  return {
    id: deviceId(parsed.vendor ?? 0, parsed.product ?? 0, name, parsed.instance),
    name,
    path: info.path,
    ...(parsed.vendor !== undefined ? { vendor: parsed.vendor, product: parsed.product } : {}),
    phys: parsed.instance,
    ...(serial ? { uniq: serial } : {}),
    isKeyboard: true,
    isPointer: false,
    grabbed: true,
  };
}

/** The aggregate device: keys no keyboard could be named for. */
export const UNATTRIBUTED_KEYBOARD: DeviceDescriptor = {
  id: WINDOWS_KEYBOARD_DEVICE,
  name: 'Windows keyboard (keys Raw Input did not attribute)',
  isKeyboard: true,
  isPointer: false,
  grabbed: true,
};

/**
 * The device of a key no Raw Input record named: the one physical keyboard when there is one
 * (its first HID collection by path), else the aggregate device.
 */
export function fallbackDevice(keyboards: readonly DeviceDescriptor[]): string {
  const physical = keyboards
    .filter(
      (d) => d.id !== WINDOWS_KEYBOARD_DEVICE && d.phys !== undefined && !parseInterfacePath(d.phys).virtual,
    )
    .sort((a, b) => (a.phys! < b.phys! ? -1 : a.phys! > b.phys! ? 1 : 0));
  const models = new Set(physical.map((d) => `${d.vendor ?? '?'}:${d.product ?? '?'}:${d.name}`));
  return models.size === 1 ? physical[0].id : WINDOWS_KEYBOARD_DEVICE;
}
