/** Opening and describing /dev/input/eventN nodes (ioctls through libc.ts). */
import fs from 'node:fs';
import type { DeviceDescriptor } from '../types.ts';
import type { Capabilities, Classification } from './codec.ts';
import { anyBit, classify, cString, deviceId, isOwnDevice } from './codec.ts';
import {
  ABS_MAX,
  CLOCK_MONOTONIC,
  EV_ABS,
  EV_KEY,
  EV_MAX,
  EV_REL,
  EVIOCGBIT,
  EVIOCGID,
  EVIOCGKEY,
  EVIOCGNAME,
  EVIOCGPHYS,
  EVIOCGRAB,
  EVIOCGUNIQ,
  EVIOCGVERSION,
  EVIOCSCLOCKID,
  KEY_BITS_BYTES,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  REL_MAX,
} from './constants.ts';
import { SyscallError } from './errors.ts';
import { ioctl, libc, tryIoctl } from './libc.ts';

export const EVENT_NODE_RE = /^event\d+$/;

/** Everything discovery learns about one event node. */
export interface ProbedDevice extends Classification {
  path: string;
  /** inode of the node: a replug recreates the node (possibly under the same eventN) with a new one */
  ino: number;
  bus: number;
  vendor: number;
  product: number;
  version: number;
  name: string;
  phys: string;
  uniq: string;
  caps: Capabilities;
  /** keyrx's own output device: never grabbed, not listed */
  own: boolean;
  /** vvvv:pppp-hash, before any suffix added to separate identical devices */
  baseId: string;
}

/**
 * Non-blocking, close-on-exec: reads end in EAGAIN instead of parking a thread. `write`: for
 * reading and writing (LED state is written to a keyboard), read-only where writing is not
 * allowed.
 */
export function openEventNode(path: string, write = false): number {
  if (write)
    try {
      return fs.openSync(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw err;
    }
  return fs.openSync(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

function readString(fd: number, request: (len: number) => number, what: string): string {
  const buf = Buffer.alloc(256);
  const r = tryIoctl(fd, request(buf.length), buf);
  // phys and uniq are optional: evdev answers ENOENT when the driver set none (uinput devices).
  if (r === -2) return '';
  if (r < 0) throw new SyscallError('ioctl', -r, what);
  return cString(buf, r);
}

function readBits(fd: number, ev: number, bytes: number): Uint8Array {
  const buf = Buffer.alloc(bytes);
  ioctl(fd, EVIOCGBIT(ev, bytes), buf, `EVIOCGBIT(${ev})`);
  return new Uint8Array(buf.buffer, buf.byteOffset, bytes);
}

/** Reads identity and capabilities of an open event node. */
export function probeFd(fd: number, path: string): ProbedDevice {
  const id = Buffer.alloc(8);
  ioctl(fd, EVIOCGID, id, 'EVIOCGID');
  const bus = id.readUInt16LE(0);
  const vendor = id.readUInt16LE(2);
  const product = id.readUInt16LE(4);
  const version = id.readUInt16LE(6);
  const name = readString(fd, EVIOCGNAME, 'EVIOCGNAME');
  const phys = readString(fd, EVIOCGPHYS, 'EVIOCGPHYS');
  const uniq = readString(fd, EVIOCGUNIQ, 'EVIOCGUNIQ');
  const ev = readBits(fd, 0, Math.ceil((EV_MAX + 1) / 8));
  const empty = (n: number): Uint8Array => new Uint8Array(n);
  const has = (type: number): boolean => (ev[type >> 3] & (1 << (type & 7))) !== 0;
  const caps: Capabilities = {
    ev,
    key: has(EV_KEY) ? readBits(fd, EV_KEY, KEY_BITS_BYTES) : empty(KEY_BITS_BYTES),
    rel: has(EV_REL) ? readBits(fd, EV_REL, Math.ceil((REL_MAX + 1) / 8)) : empty(2),
    abs: has(EV_ABS) ? readBits(fd, EV_ABS, Math.ceil((ABS_MAX + 1) / 8)) : empty(8),
  };
  return {
    path,
    ino: fs.fstatSync(fd).ino,
    bus,
    vendor,
    product,
    version,
    name,
    phys,
    uniq,
    caps,
    own: isOwnDevice(vendor, product),
    baseId: deviceId(vendor, product, name, phys),
    ...classify(caps),
  };
}

/** Opens, probes and closes a node (discovery of devices that will not be grabbed). */
export function probePath(path: string): ProbedDevice {
  const fd = openEventNode(path);
  try {
    return probeFd(fd, path);
  } finally {
    fs.closeSync(fd);
  }
}

export function describe(p: ProbedDevice, id: string, grabbed: boolean): DeviceDescriptor {
  return {
    id,
    name: p.name,
    path: p.path,
    vendor: p.vendor,
    product: p.product,
    phys: p.phys,
    uniq: p.uniq,
    isKeyboard: p.isKeyboard,
    isPointer: p.isPointer,
    grabbed,
  };
}

/** Fills `into` (KEY_BITS_BYTES) with the keys currently down; returns whether any is, or -errno. */
export function keysDown(fd: number, into: Buffer): boolean | number {
  const r = libc().ioctlBuf(fd, EVIOCGKEY(into.length), into);
  if (r < 0) return -libc().errno();
  return anyBit(into);
}

export function setGrab(fd: number, grab: boolean): number {
  return tryIoctl(fd, EVIOCGRAB, grab ? 1 : 0);
}

const CLOCK_ID = Buffer.alloc(4);
CLOCK_ID.writeInt32LE(CLOCK_MONOTONIC);

/**
 * Event times in CLOCK_MONOTONIC, the clock of monotonicUs() (the default is CLOCK_REALTIME).
 * Unlike EVIOCGRAB, EVIOCSCLOCKID takes a pointer to the int (by value it fails with EFAULT).
 */
export function useMonotonicClock(fd: number): void {
  ioctl(fd, EVIOCSCLOCKID, CLOCK_ID, 'EVIOCSCLOCKID');
}

/** true while the device behind an open fd still exists (evdev answers ENODEV once it is gone). */
export function isAlive(fd: number): boolean {
  const buf = Buffer.alloc(4);
  return tryIoctl(fd, EVIOCGVERSION, buf) >= 0;
}
