/**
 * Device identity on Windows without Windows (src/platform/windows/raw-input.ts): RAWINPUT
 * records as GetRawInputBuffer lays them out, the matching of hook events with them in both
 * orders (Wine's record-first, Windows' hook-first), keyboards' names and ids from their
 * interface paths, the fallback device; and, through the engine, that an attributed keyboard
 * gets its `device_start` block.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, keyByCode, keyByName } from '../../../src/core/index.ts';
import { compileSource } from '../../../src/daemon/profile-files.ts';
import { WINDOWS_KEYBOARD_DEVICE } from '../../../src/platform/windows/hook-logic.ts';
import {
  describeRawKeyboard,
  fallbackDevice,
  parseInterfacePath,
  parseRawInputBuffer,
  RAWINPUT_KEYBOARD_SIZE,
  RawInputAttribution,
  RI_KEY_BREAK,
  RI_KEY_E0,
  RI_KEY_E1,
  RIM_TYPEKEYBOARD,
  sameKey,
  type RawKey,
} from '../../../src/platform/windows/raw-input.ts';
import { deviceIdentity } from '../../../src/platform/types.ts';

const KBD_A = 0x1001n;
const KBD_B = 0x2002n;

/** One RAWINPUT block as Windows writes it (x64): header, then RAWKEYBOARD. */
function block(type: number, handle: bigint, make: number, flags: number, vk: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(size, 4);
  b.writeBigUInt64LE(handle, 8);
  if (type === RIM_TYPEKEYBOARD) {
    b.writeUInt16LE(make, 24);
    b.writeUInt16LE(flags, 26);
    b.writeUInt16LE(vk, 30);
    b.writeUInt32LE(0x100, 32);
  }
  return b;
}

const raw = (handle: bigint, make: number, flags = 0, atUs = 0): RawKey => ({
  handle,
  make,
  flags,
  vk: 0,
  atUs,
});

test('GetRawInputBuffer blocks: keyboard records read, a mouse block (48 bytes) skipped by its size', () => {
  const buf = Buffer.concat([
    block(RIM_TYPEKEYBOARD, KBD_A, 0x1e, 0, 0x41, RAWINPUT_KEYBOARD_SIZE),
    block(0 /* mouse */, 0x3003n, 0, 0, 0, 48),
    block(RIM_TYPEKEYBOARD, KBD_B, 0x4b, RI_KEY_E0 | RI_KEY_BREAK, 0x25, RAWINPUT_KEYBOARD_SIZE),
  ]);
  assert.deepEqual(parseRawInputBuffer(buf, 3, 7), [
    { handle: KBD_A, make: 0x1e, flags: 0, vk: 0x41, atUs: 7 },
    { handle: KBD_B, make: 0x4b, flags: RI_KEY_E0 | RI_KEY_BREAK, vk: 0x25, atUs: 7 },
  ]);
  // a count larger than the buffer holds, or a corrupt size, stops the walk instead of overrunning
  assert.equal(parseRawInputBuffer(buf, 10, 0).length, 2);
  const corrupt = block(RIM_TYPEKEYBOARD, KBD_A, 0x1e, 0, 0x41, RAWINPUT_KEYBOARD_SIZE);
  corrupt.writeUInt32LE(3, 4);
  assert.deepEqual(parseRawInputBuffer(Buffer.concat([corrupt, corrupt]), 2, 0), []);
});

test('same key: make code, direction, E0; Pause by E1; NumLock and right Shift whatever their E0', () => {
  const a = { scan: 0x1e, extended: false, up: false, vk: 0x41 };
  assert.ok(sameKey(raw(KBD_A, 0x1e), a));
  assert.ok(!sameKey(raw(KBD_A, 0x1e, RI_KEY_BREAK), a), 'a release is not the press');
  assert.ok(!sameKey(raw(KBD_A, 0x1f), a));
  const left = { scan: 0x4b, extended: true, up: true, vk: 0x25 };
  assert.ok(sameKey(raw(KBD_A, 0x4b, RI_KEY_E0 | RI_KEY_BREAK), left));
  assert.ok(!sameKey(raw(KBD_A, 0x4b, RI_KEY_BREAK), left), 'numpad 4 is not Left');
  assert.ok(sameKey(raw(KBD_A, 0x1d, RI_KEY_E1), { scan: 0x45, extended: false, up: false, vk: 0x13 }));
  assert.ok(!sameKey(raw(KBD_A, 0x1d, RI_KEY_E1), { scan: 0x1d, extended: false, up: false, vk: 0xa2 }));
  assert.ok(sameKey(raw(KBD_A, 0x45), { scan: 0x45, extended: true, up: false, vk: 0x90 }));
  assert.ok(sameKey(raw(KBD_A, 0x36), { scan: 0x36, extended: true, up: false, vk: 0xa1 }));
});

test("Wine's order: records queued before their hook calls attribute each key to its keyboard", () => {
  const at = new RawInputAttribution();
  // a fast burst: both keyboards' records arrive before the first hook call
  at.add([raw(KBD_A, 0x1e, 0, 10), raw(KBD_B, 0x30, 0, 11), raw(KBD_A, 0x1e, RI_KEY_BREAK, 12)]);
  assert.equal(at.match({ scan: 0x1e, extended: false, up: false, vk: 0x41 }, 20), KBD_A);
  assert.equal(at.match({ scan: 0x30, extended: false, up: false, vk: 0x42 }, 21), KBD_B);
  assert.equal(at.match({ scan: 0x1e, extended: false, up: true, vk: 0x41 }, 22), KBD_A);
  assert.equal(at.pending, 0);
  assert.deepEqual([at.matched, at.unmatched], [3, 0]);
});

test("injected records (hDevice 0) are never kept; a press's record is taken once", () => {
  const at = new RawInputAttribution();
  at.add([raw(0n, 0x1e), raw(KBD_B, 0x1e)]);
  assert.equal(at.pending, 1);
  assert.equal(at.match({ scan: 0x1e, extended: false, up: false, vk: 0x41 }, 0), KBD_B);
  assert.equal(at.match({ scan: 0x1e, extended: false, up: false, vk: 0x41 }, 0), null);
});

test("records before the matched one are dropped: a later press of the same key can't take a stale one", () => {
  const at = new RawInputAttribution();
  // keyboard B's A went by without a hook call of its own (say, another hook swallowed it)
  at.add([raw(KBD_B, 0x1e), raw(KBD_B, 0x1e, RI_KEY_BREAK), raw(KBD_A, 0x2e)]);
  assert.equal(at.match({ scan: 0x2e, extended: false, up: false, vk: 0x43 }, 0), KBD_A);
  at.add([raw(KBD_A, 0x1e)]);
  assert.equal(at.match({ scan: 0x1e, extended: false, up: false, vk: 0x41 }, 0), KBD_A);
});

test("Windows' order: nothing queued at the hook call → null (the fallback decides); old records expire", () => {
  const at = new RawInputAttribution({ maxAgeUs: 1000 });
  assert.equal(at.match({ scan: 0x1e, extended: false, up: false, vk: 0x41 }, 0), null);
  at.add([raw(KBD_A, 0x1e, 0, 0)]);
  assert.equal(at.match({ scan: 0x1e, extended: false, up: false, vk: 0x41 }, 5000), null, 'expired');
  assert.equal(at.pending, 0);
  assert.deepEqual([at.matched, at.unmatched], [0, 2]);
  // a flood without hook calls is bounded
  const flood = new RawInputAttribution({ maxQueued: 8 });
  flood.add(Array.from({ length: 100 }, (_, i) => raw(KBD_A, 0x10 + (i % 20))));
  assert.equal(flood.pending, 8);
});

test('interface paths: instance id, USB and Bluetooth LE ids, virtual and PS/2 keyboards', () => {
  const usb = parseInterfacePath(
    '\\\\?\\HID#VID_046D&PID_C31C&MI_00#7&2f3a1b2c&0&0000#{884b96c3-56ef-11d1-bc8c-00a0c91405dd}',
  );
  assert.deepEqual(usb, {
    instance: 'HID\\VID_046D&PID_C31C&MI_00\\7&2F3A1B2C&0&0000',
    vendor: 0x046d,
    product: 0xc31c,
    virtual: false,
    ps2: false,
  });
  const ble = parseInterfacePath(
    '\\\\?\\HID#{00001812-0000-1000-8000-00805f9b34fb}_Dev_VID&02046d_PID&b35b_REV&0012_d8f2ca7a1b2c&Col01#a&1b2c3d4e&0&0000#{884b96c3-56ef-11d1-bc8c-00a0c91405dd}',
  );
  assert.deepEqual([ble.vendor, ble.product], [0x046d, 0xb35b]);
  assert.equal(
    parseInterfacePath('\\\\?\\Root#RDP_KBD#0000#{884b96c3-56ef-11d1-bc8c-00a0c91405dd}').virtual,
    true,
  );
  const ps2 = parseInterfacePath('\\\\?\\ACPI#PNP0303#4&1d401fb5&0#{884b96c3-56ef-11d1-bc8c-00a0c91405dd}');
  assert.deepEqual([ps2.ps2, ps2.vendor, ps2.instance], [true, undefined, 'ACPI\\PNP0303\\4&1D401FB5&0']);
});

test('a keyboard is named by its HID product string, else by what its path tells; its id is stable', () => {
  const path = '\\\\?\\HID#VID_046D&PID_C31C&MI_00#7&2f3a1b2c&0&0000#{884b96c3-56ef-11d1-bc8c-00a0c91405dd}';
  const named = describeRawKeyboard({ handle: KBD_A, path, product: 'USB Keyboard\0', serial: ' 12AB ' });
  assert.equal(named.name, 'USB Keyboard');
  assert.equal(named.uniq, '12AB');
  assert.equal(named.phys, 'HID\\VID_046D&PID_C31C&MI_00\\7&2F3A1B2C&0&0000');
  assert.match(named.id, /^046d:c31c-[0-9a-f]{8}$/);
  // the handle changes between boots and replugs, the id does not
  assert.equal(describeRawKeyboard({ handle: 0x9999n, path, product: 'USB Keyboard' }).id, named.id);
  // the same model in another port is another keyboard
  const other = path.replace('7&2f3a1b2c', '7&99999999');
  assert.notEqual(describeRawKeyboard({ handle: KBD_B, path: other, product: 'USB Keyboard' }).id, named.id);
  assert.equal(describeRawKeyboard({ handle: KBD_B, path }).name, 'Keyboard 046D:C31C');
  assert.equal(
    describeRawKeyboard({
      handle: KBD_B,
      path: '\\\\?\\ACPI#PNP0303#4&1d401fb5&0#{884b96c3-56ef-11d1-bc8c-00a0c91405dd}',
    }).name,
    'PS/2 keyboard',
  );
});

test('fallback: the one physical keyboard (its collections and Remote Desktop do not count), else the aggregate', () => {
  const kbd = (path: string, product = 'K') => describeRawKeyboard({ handle: 1n, path, product });
  const g = '#{884b96c3-56ef-11d1-bc8c-00a0c91405dd}';
  const k0 = kbd(`\\\\?\\HID#VID_046D&PID_C31C&MI_00#7&1&0&0000${g}`);
  const k1 = kbd(`\\\\?\\HID#VID_046D&PID_C31C&MI_01&Col01#7&2&0&0000${g}`);
  const rdp = kbd(`\\\\?\\Root#RDP_KBD#0000${g}`, '');
  assert.equal(fallbackDevice([k1, rdp, k0]), k0.id);
  const laptop = kbd(`\\\\?\\ACPI#PNP0303#4&1d401fb5&0${g}`, '');
  assert.equal(fallbackDevice([k0, k1, laptop]), WINDOWS_KEYBOARD_DEVICE);
  assert.equal(fallbackDevice([]), WINDOWS_KEYBOARD_DEVICE);
});

test('an attributed keyboard gets its device_start block: by name, by serial, by instance path', () => {
  const { config, diagnostics } = compileSource(
    [
      'device_start("*Keychron*"); map("VK_A", "VK_B"); device_end();',
      'device_start("SN-42"); map("VK_A", "VK_C"); device_end();',
      'device_start("HID\\\\VID_1234*"); map("VK_A", "VK_D"); device_end();',
      'device_start("*"); map("VK_A", "VK_E"); device_end();',
    ].join('\n'),
    'devices.rhai',
  );
  assert.ok(config, JSON.stringify(diagnostics));
  const g = '#{884b96c3-56ef-11d1-bc8c-00a0c91405dd}';
  const keychron = describeRawKeyboard({
    handle: 1n,
    path: `\\\\?\\HID#VID_05AC&PID_024F#1${g}`,
    product: 'Keychron K2',
  });
  const serial = describeRawKeyboard({
    handle: 2n,
    path: `\\\\?\\HID#VID_0001&PID_0002#2${g}`,
    product: 'X',
    serial: 'SN-42',
  });
  const byPath = describeRawKeyboard({
    handle: 3n,
    path: `\\\\?\\HID#VID_1234&PID_0002#3${g}`,
    product: 'Y',
  });
  const engine = new Engine(config);
  for (const d of [keychron, serial, byPath]) engine.describeDevice(d.id, deviceIdentity(d));
  const typed = (device: string): string[] =>
    engine
      .process({ key: keyByName('A')!.code, action: 'press', timeUs: 0, device })
      .concat(engine.process({ key: keyByName('A')!.code, action: 'release', timeUs: 1, device }))
      .filter((o) => o.action === 'press')
      .map((o) => keyByCode(o.key)?.name ?? String(o.key));
  assert.deepEqual(typed(keychron.id), ['B']);
  assert.deepEqual(typed(serial.id), ['C']);
  assert.deepEqual(typed(byPath.id), ['D']);
  assert.deepEqual(typed(WINDOWS_KEYBOARD_DEVICE), ['E']);
});
