/**
 * Host-side tests of the Linux backend's pure parts: they need no /dev/input, no uinput and
 * no FFI module.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KEYS } from '../../src/core/index.ts';
import {
  bitList,
  classify,
  cString,
  decodeEvent,
  decodeEvents,
  deviceId,
  encodeEvent,
  encodeReport,
  EventBuffer,
  eventTimeUs,
  isOwnDevice,
  parseKernelBitmap,
  parseProcInputDevices,
  reportSize,
  setBit,
  testBit,
} from '../../src/platform/linux/codec.ts';
import type { Capabilities } from '../../src/platform/linux/codec.ts';
import * as C from '../../src/platform/linux/constants.ts';
import { isButtonCode, outputKeyboardKeys, POINTER_BUTTONS } from '../../src/platform/linux/uinput.ts';

/** /proc/bus/input/devices captured inside the qemu VM of test/vm (kernel 6.1.0-56-amd64). */
const PROC_DEVICES_QEMU = `I: Bus=0011 Vendor=0001 Product=0001 Version=ab41
N: Name="AT Translated Set 2 keyboard"
P: Phys=isa0060/serio0/input0
S: Sysfs=/devices/platform/i8042/serio0/input/input0
U: Uniq=
H: Handlers=sysrq kbd leds event0 
B: PROP=0
B: EV=120013
B: KEY=402000002 3803078f800d001 feffffdfffefffff fffffffffffffffe
B: MSC=10
B: LED=7

I: Bus=0003 Vendor=feed Product=0002 Version=0001
N: Name="keyrx-vm mouse"
P: Phys=keyrx-vm/mouse0
S: Sysfs=/devices/virtual/input/input3
U: Uniq=
H: Handlers=mouse0 event2 
B: PROP=0
B: EV=7
B: KEY=70000 0 0 0 0
B: REL=103

I: Bus=0003 Vendor=1d50 Product=6b72 Version=0001
N: Name="keyrx virtual keyboard"
P: Phys=
S: Sysfs=/devices/virtual/input/input5
U: Uniq=
H: Handlers=sysrq kbd event4 
B: PROP=0
B: EV=100003
B: KEY=ffffff0000000000 ffffffffffffffff ffffffffffffffff fffffff0ffffffff ffffffffffffffff ffffffffffffffff ffffffff00000000 0 ffffffffffffffff ffffffffffffffff ffffffffffffffff fffffffffffffffe
`;

test('ioctl numbers match <linux/input.h> and <linux/uinput.h> on x86_64', () => {
  // Printed by a C program compiled against the kernel headers (values also in stack.md §1.4).
  const expected: [string, number, number][] = [
    ['EVIOCGVERSION', C.EVIOCGVERSION, 0x80044501],
    ['EVIOCGID', C.EVIOCGID, 0x80084502],
    ['EVIOCGNAME(256)', C.EVIOCGNAME(256), 0x81004506],
    ['EVIOCGNAME(64)', C.EVIOCGNAME(64), 0x80404506],
    ['EVIOCGPHYS(256)', C.EVIOCGPHYS(256), 0x81004507],
    ['EVIOCGUNIQ(256)', C.EVIOCGUNIQ(256), 0x81004508],
    ['EVIOCGKEY(96)', C.EVIOCGKEY(96), 0x80604518],
    ['EVIOCGBIT(0, 4)', C.EVIOCGBIT(0, 4), 0x80044520],
    ['EVIOCGBIT(0, 32)', C.EVIOCGBIT(0, 32), 0x80204520],
    ['EVIOCGBIT(EV_KEY, 96)', C.EVIOCGBIT(C.EV_KEY, 96), 0x80604521],
    ['EVIOCGBIT(EV_REL, 2)', C.EVIOCGBIT(C.EV_REL, 2), 0x80024522],
    ['EVIOCGBIT(EV_ABS, 8)', C.EVIOCGBIT(C.EV_ABS, 8), 0x80084523],
    ['EVIOCGRAB', C.EVIOCGRAB, 0x40044590],
    ['EVIOCREVOKE', C.EVIOCREVOKE, 0x40044591],
    ['EVIOCSCLOCKID', C.EVIOCSCLOCKID, 0x400445a0],
    ['UI_SET_EVBIT', C.UI_SET_EVBIT, 0x40045564],
    ['UI_SET_KEYBIT', C.UI_SET_KEYBIT, 0x40045565],
    ['UI_SET_RELBIT', C.UI_SET_RELBIT, 0x40045566],
    ['UI_SET_PHYS', C.UI_SET_PHYS, 0x4008556c],
    ['UI_DEV_SETUP', C.UI_DEV_SETUP, 0x405c5503],
    ['UI_DEV_CREATE', C.UI_DEV_CREATE, 0x00005501],
    ['UI_DEV_DESTROY', C.UI_DEV_DESTROY, 0x00005502],
    ['UI_GET_SYSNAME(64)', C.UI_GET_SYSNAME(64), 0x8040552c],
    ['UI_GET_VERSION', C.UI_GET_VERSION, 0x8004552d],
  ];
  for (const [name, actual, want] of expected)
    assert.equal(actual, want, `${name}: 0x${actual.toString(16)} != 0x${want.toString(16)}`);
  assert.equal(C.KEY_BITS_BYTES, 96);
  assert.equal(C.INPUT_EVENT_SIZE, 24);
  assert.equal(C.UINPUT_SETUP_SIZE, 92);
});

test('input_event encode/decode round-trips, including large and negative values', () => {
  const buf = Buffer.alloc(C.INPUT_EVENT_SIZE * 3);
  let off = encodeEvent(buf, 0, C.EV_KEY, 30, 1, 12_345_678_901);
  off = encodeEvent(buf, off, C.EV_REL, C.REL_X, -7, 1_795_739_549_354_138);
  off = encodeEvent(buf, off, C.EV_SYN, C.SYN_REPORT, 0);
  assert.equal(off, 72);
  assert.deepEqual(decodeEvents(buf), [
    { timeUs: 12_345_678_901, type: C.EV_KEY, code: 30, value: 1 },
    { timeUs: 1_795_739_549_354_138, type: C.EV_REL, code: C.REL_X, value: -7 },
    { timeUs: 0, type: C.EV_SYN, code: C.SYN_REPORT, value: 0 },
  ]);
});

test('decoding follows the kernel layout: timeval, then u16 type, u16 code, s32 value', () => {
  const buf = Buffer.alloc(24);
  buf.writeBigInt64LE(1_700_000_000n, 0); // tv_sec
  buf.writeBigInt64LE(123_456n, 8); // tv_usec
  buf.writeUInt16LE(1, 16);
  buf.writeUInt16LE(0x2ff, 18);
  buf.writeInt32LE(2, 20);
  assert.deepEqual(decodeEvent(buf), { timeUs: 1_700_000_000_123_456, type: 1, code: 0x2ff, value: 2 });
  assert.equal(eventTimeUs(buf, 0), 1_700_000_000_123_456);
});

test('an output report is every event plus one SYN_REPORT, in a single buffer', () => {
  const events = [
    { key: 42, action: 'press' as const, timeUs: 5 },
    { key: 30, action: 'press' as const, timeUs: 5 },
    { key: 30, action: 'repeat' as const, timeUs: 6 },
    { key: 30, action: 'release' as const, timeUs: 7 },
  ];
  const buf = new EventBuffer(events.length + 1);
  assert.equal(buf.bytes.length, reportSize(events.length));
  const len = encodeReport(buf, events, false);
  assert.equal(len, 5 * 24);
  assert.deepEqual(
    decodeEvents(buf.bytes, len).map((e) => [e.type, e.code, e.value, e.timeUs]),
    [
      [C.EV_KEY, 42, 1, 0],
      [C.EV_KEY, 30, 1, 0],
      [C.EV_KEY, 30, 2, 0],
      [C.EV_KEY, 30, 0, 0],
      [C.EV_SYN, C.SYN_REPORT, 0, 0],
    ],
  );
  // With kernel auto-repeat on the output device the engine's repeats are not written.
  const skipped = encodeReport(buf, events, true);
  assert.deepEqual(
    decodeEvents(buf.bytes, skipped).map((e) => e.value),
    [1, 1, 0, 0],
  );
  assert.equal(encodeReport(buf, [{ key: 30, action: 'repeat', timeUs: 0 }], true), 0, 'nothing to write');
  assert.equal(encodeReport(buf, [], false), 0);
});

test('an EventBuffer reads and writes the kernel layout that the Buffer accessors do', () => {
  const bytes = Buffer.alloc(C.INPUT_EVENT_SIZE * 2);
  const off = encodeEvent(bytes, 0, C.EV_KEY, 0x2ff, 2, 1_795_739_549_354_138);
  encodeEvent(bytes, off, C.EV_REL, C.REL_X, -70_000, 4_294_967_296_000_001); // tv_sec above 2^32
  const buf = EventBuffer.copyOf(Buffer.concat([Buffer.alloc(3), bytes]).subarray(3)); // unaligned source
  assert.equal(buf.capacity, 2);
  assert.deepEqual(
    [0, 1].map((i) => [buf.timeUs(i), buf.type(i), buf.code(i), buf.value(i)]),
    [
      [1_795_739_549_354_138, C.EV_KEY, 0x2ff, 2],
      [4_294_967_296_000_001, C.EV_REL, C.REL_X, -70_000],
    ],
  );
  // set() writes what encodeEvent() writes for a uinput event (time zero), over what was there
  buf.set(1, C.EV_KEY, 30, 1);
  encodeEvent(bytes, C.INPUT_EVENT_SIZE, C.EV_KEY, 30, 1);
  assert.deepEqual(buf.bytes, bytes);
  assert.equal(EventBuffer.copyOf(Buffer.alloc(30)).capacity, 1, 'a partial event is not one');
});

test('device id: vendor:product plus 8 hex of sha256(name + phys), stable and distinct', () => {
  const id = deviceId(0x046d, 0xc31c, 'Logitech USB Keyboard', 'usb-0000:00:14.0-2/input0');
  assert.match(id, /^046d:c31c-[0-9a-f]{8}$/);
  assert.equal(id, deviceId(0x046d, 0xc31c, 'Logitech USB Keyboard', 'usb-0000:00:14.0-2/input0'));
  assert.notEqual(id, deviceId(0x046d, 0xc31c, 'Logitech USB Keyboard', 'usb-0000:00:14.0-3/input0'));
  assert.notEqual(
    id,
    deviceId(0x046d, 0xc31c, 'Logitech USB Keyboard Consumer Control', 'usb-0000:00:14.0-2/input0'),
  );
  // sha256("ab") = fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603
  assert.equal(deviceId(0x1, 0xabcd, 'a', 'b'), '0001:abcd-fb8e20fc');
  assert.equal(deviceId(0x1, 0xabcd, 'ab', ''), '0001:abcd-fb8e20fc', 'the formula is literally name + phys');
});

test('C strings from ioctl buffers stop at NUL and decode UTF-8', () => {
  const buf = Buffer.alloc(32);
  buf.write('Clavier français', 0, 'utf8');
  assert.equal(cString(buf), 'Clavier français');
  assert.equal(cString(Buffer.from('abc')), 'abc');
});

test('bit helpers agree with the kernel bitmap layout', () => {
  const bits = new Uint8Array(96);
  for (const b of [0, 7, 8, 30, 0x110, 0x2ff]) setBit(bits, b);
  assert.deepEqual(bitList(bits), [0, 7, 8, 30, 0x110, 0x2ff]);
  assert.ok(testBit(bits, 30) && !testBit(bits, 31) && !testBit(bits, 10_000));
  // /proc and sysfs print unsigned longs, most significant word first.
  const parsed = parseKernelBitmap('1 0 0 8000000000000001', 96);
  assert.deepEqual(bitList(parsed), [0, 63, 192]);
  assert.deepEqual(bitList(parseKernelBitmap('120013', 4)), [0, 1, 4, 17, 20]);
  assert.deepEqual(bitList(parseKernelBitmap('0', 4)), []);
});

function caps(spec: { ev?: number[]; key?: number[]; rel?: number[]; abs?: number[] }): Capabilities {
  const c: Capabilities = {
    ev: new Uint8Array(4),
    key: new Uint8Array(96),
    rel: new Uint8Array(2),
    abs: new Uint8Array(8),
  };
  for (const b of spec.ev ?? []) setBit(c.ev, b);
  for (const b of spec.key ?? []) setBit(c.key, b);
  for (const b of spec.rel ?? []) setBit(c.rel, b);
  for (const b of spec.abs ?? []) setBit(c.abs, b);
  return c;
}
const LETTERS = KEYS.filter((k) => k.group === 'letter').map((k) => k.code);

test('classification: keyboards need (most) letters and EV_REP; pointers have REL_X or buttons', () => {
  const kb = classify(caps({ ev: [C.EV_SYN, C.EV_KEY, C.EV_REP], key: [...LETTERS, C.KEY_SPACE] }));
  assert.deepEqual(kb, { isKeyboard: true, isPointer: false, letters: 26 });
  // A compact board missing a few letter codes is still a keyboard; a numpad is not.
  assert.equal(classify(caps({ ev: [C.EV_KEY, C.EV_REP], key: LETTERS.slice(0, 20) })).isKeyboard, true);
  assert.equal(classify(caps({ ev: [C.EV_KEY, C.EV_REP], key: LETTERS.slice(0, 19) })).isKeyboard, false);
  // Without EV_REP (e.g. a barcode scanner node or a bare uinput device) it is not a keyboard.
  assert.equal(classify(caps({ ev: [C.EV_KEY], key: LETTERS })).isKeyboard, false);
  // Media-key side node of a USB keyboard.
  assert.deepEqual(classify(caps({ ev: [C.EV_KEY, C.EV_REP], key: [113, 114, 115, 163, 164, 165] })), {
    isKeyboard: false,
    isPointer: false,
    letters: 0,
  });
  const mouse = classify(caps({ ev: [C.EV_KEY, C.EV_REL], key: [0x110, 0x111, 0x112], rel: [0, 1, 8] }));
  assert.deepEqual(mouse, { isKeyboard: false, isPointer: true, letters: 0 });
  // A gaming mouse with a keyboard interface in the same node is both: never grabbed by default.
  const combo = classify(caps({ ev: [C.EV_KEY, C.EV_REL, C.EV_REP], key: [...LETTERS, 0x110], rel: [0, 1] }));
  assert.deepEqual([combo.isKeyboard, combo.isPointer], [true, true]);
  const touchpad = classify(caps({ ev: [C.EV_KEY, C.EV_ABS], key: [0x110, 0x145, 0x14a], abs: [0, 1] }));
  assert.equal(touchpad.isPointer, true);
  assert.equal(
    classify(caps({ ev: [C.EV_REL], rel: [C.REL_WHEEL] })).isPointer,
    false,
    'a wheel alone is no pointer',
  );
});

test("keyrx's own devices are recognised by vendor/product, never by name", () => {
  assert.ok(isOwnDevice(C.OWN_VENDOR, C.OWN_KEYBOARD_PRODUCT));
  assert.ok(isOwnDevice(C.OWN_VENDOR, C.OWN_POINTER_PRODUCT));
  assert.ok(!isOwnDevice(C.OWN_VENDOR, 0x6000));
  assert.ok(!isOwnDevice(0x0fac, C.OWN_KEYBOARD_PRODUCT));
});

test('the output keyboard declares every key of the table and no BTN_* code; the pointer has the mouse buttons', () => {
  const keys = outputKeyboardKeys();
  const set = new Set(keys);
  for (const k of KEYS)
    if (k.group === 'mouse')
      assert.ok(POINTER_BUTTONS.includes(k.code), `${k.name} (${k.code}) not on the pointer`);
    else assert.ok(set.has(k.code), `${k.name} (${k.code}) missing`);
  for (const code of keys) assert.ok(!isButtonCode(code), `button code 0x${code.toString(16)} declared`);
  assert.ok(!set.has(0), 'KEY_RESERVED');
  assert.ok(keys.every((c) => c <= C.KEY_MAX));
  assert.ok(isButtonCode(C.BTN_LEFT) && isButtonCode(0x2c0) && !isButtonCode(0x160) && !isButtonCode(30));
});

test('/proc/bus/input/devices parsing and classification (captured in the qemu VM)', () => {
  const devs = parseProcInputDevices(PROC_DEVICES_QEMU);
  assert.equal(devs.length, 3);
  const [at, mouse, own] = devs;
  assert.deepEqual(
    [at.bus, at.vendor, at.product, at.version, at.name, at.phys, at.uniq, at.event],
    [0x11, 1, 1, 0xab41, 'AT Translated Set 2 keyboard', 'isa0060/serio0/input0', '', 'event0'],
  );
  assert.deepEqual(at.handlers, ['sysrq', 'kbd', 'leds', 'event0']);
  assert.deepEqual(classify(at.caps), { isKeyboard: true, isPointer: false, letters: 26 });
  assert.deepEqual(bitList(at.caps.ev), [C.EV_SYN, C.EV_KEY, C.EV_MSC, C.EV_LED, C.EV_REP]);
  assert.deepEqual(bitList(mouse.caps.rel), [C.REL_X, C.REL_Y, C.REL_WHEEL]);
  assert.deepEqual(bitList(mouse.caps.key), [0x110, 0x111, 0x112]);
  assert.deepEqual(classify(mouse.caps), { isKeyboard: false, isPointer: true, letters: 0 });
  // Our own output looks like a keyboard; only its vendor/product keeps it from being grabbed.
  assert.ok(classify(own.caps).isKeyboard);
  assert.ok(isOwnDevice(own.vendor, own.product));
  assert.ok(!isOwnDevice(at.vendor, at.product));
  // The output declares no BTN_* code (udev would call it a mouse or joystick).
  assert.ok(bitList(own.caps.key).every((code) => !isButtonCode(code)));
  assert.equal(
    deviceId(at.vendor, at.product, at.name, at.phys),
    deviceId(1, 1, 'AT Translated Set 2 keyboard', 'isa0060/serio0/input0'),
  );
});
