/**
 * The Windows backend's key path without Windows: the WH_KEYBOARD_LL hook's decisions
 * (src/platform/windows/hook-logic.ts) over event sequences as Windows and Wine deliver them,
 * and the SendInput records built from engine output (src/platform/windows/send-input.ts),
 * including the loop between them: our own records come back to the hook and pass.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OutputEvent } from '../../../src/core/index.ts';
import { keyByName, MOUSE_AXES } from '../../../src/core/index.ts';
import type { HookDecision, HookEvent, HookLogicOptions } from '../../../src/platform/windows/hook-logic.ts';
import {
  HookLogic,
  hookEvent,
  LLKHF_EXTENDED,
  LLKHF_INJECTED,
  LLKHF_LOWER_IL_INJECTED,
  LLKHF_UP,
  WINDOWS_KEYBOARD_DEVICE,
  WM_KEYDOWN,
  WM_KEYUP,
  WM_SYSKEYDOWN,
  WM_SYSKEYUP,
} from '../../../src/platform/windows/hook-logic.ts';
import { VK } from '../../../src/platform/windows/keycodes.ts';
import type { KeybdInput, SendInputRecord } from '../../../src/platform/windows/send-input.ts';
import {
  INPUT_KEYBOARD,
  INPUT_MOUSE,
  KEYEVENTF_EXTENDEDKEY as EXT,
  KEYEVENTF_KEYUP as UP,
  KEYEVENTF_SCANCODE as SC,
  KEYRX_EXTRA_INFO as TAG,
  keyboardInput,
  MOUSEEVENTF_HWHEEL,
  MOUSEEVENTF_LEFTDOWN,
  MOUSEEVENTF_LEFTUP,
  MOUSEEVENTF_MOVE,
  MOUSEEVENTF_RIGHTDOWN,
  MOUSEEVENTF_WHEEL,
  MOUSEEVENTF_XDOWN,
  MOUSEEVENTF_XUP,
  toSendInputs,
  XBUTTON1,
  XBUTTON2,
} from '../../../src/platform/windows/send-input.ts';

const code = (name: string): number => {
  const key = keyByName(name);
  assert.ok(key, `no key named ${name}`);
  return key.code;
};

/** A physical key as a hook sees it (Windows reports LLKHF_UP with every key-up). */
function down(vk: number, scan: number, flags = 0, extraInfo: bigint | number = 0n): HookEvent {
  return { wParam: WM_KEYDOWN, vk, scan, flags, time: 1000, extraInfo };
}
function up(vk: number, scan: number, flags = 0, extraInfo: bigint | number = 0n): HookEvent {
  return { wParam: WM_KEYUP, vk, scan, flags: flags | LLKHF_UP, time: 1000, extraInfo };
}
const A = [0x41, 0x1e] as const;
const B = [0x42, 0x30] as const;

const swallow = (
  name: string,
  action: 'press' | 'repeat' | 'release',
  timeUs: number,
  device = WINDOWS_KEYBOARD_DEVICE,
) => ({
  action: 'swallow',
  input: { key: code(name), action, timeUs, device },
});
const pass = (reason: string) => ({ action: 'pass', reason });

/** Runs events through one HookLogic, time 100 µs apart. */
function run(events: HookEvent[], options?: HookLogicOptions): HookDecision[] {
  const logic = new HookLogic(options);
  return events.map((e, i) => logic.decide(e, (i + 1) * 100));
}

// ---------------------------------------------------------------- hook decisions

test('press, auto-repeat (a second key-down without a key-up) and release go to the engine', () => {
  assert.deepEqual(run([down(...A), down(...A), down(...A), up(...A)]), [
    swallow('A', 'press', 100),
    swallow('A', 'repeat', 200),
    swallow('A', 'repeat', 300),
    swallow('A', 'release', 400),
  ]);
  // Alt held: the same keys arrive as WM_SYSKEYDOWN / WM_SYSKEYUP
  const sys = (wParam: number, flags: number): HookEvent => ({
    wParam,
    vk: A[0],
    scan: A[1],
    flags,
    time: 0,
    extraInfo: 0n,
  });
  assert.deepEqual(run([sys(WM_SYSKEYDOWN, 0x20), sys(WM_SYSKEYDOWN, 0x20), sys(WM_SYSKEYUP, 0xa0)]), [
    swallow('A', 'press', 100),
    swallow('A', 'repeat', 200),
    swallow('A', 'release', 300),
  ]);
});

test('KeyInput.timeUs is the time the backend passes, not KBDLLHOOKSTRUCT.time', () => {
  const logic = new HookLogic();
  const d = logic.decide({ ...down(...A), time: 4_294_967_000 }, 123_456_789);
  assert.deepEqual(d, swallow('A', 'press', 123_456_789));
});

test('our own tagged output passes and never reaches the engine or the held-key state', () => {
  const logic = new HookLogic();
  // physical A held; the engine made it B: our B (tagged, injected) comes back to the hook
  assert.deepEqual(logic.decide(down(...A), 1), swallow('A', 'press', 1));
  assert.deepEqual(logic.decide(down(...B, LLKHF_INJECTED, TAG), 2), pass('own-output'));
  // a passthrough of A itself: our injected A must not count as a second press of A
  assert.deepEqual(logic.decide(down(...A, LLKHF_INJECTED, TAG), 3), pass('own-output'));
  assert.deepEqual(logic.decide(up(...A, LLKHF_INJECTED, TAG), 4), pass('own-output'));
  assert.deepEqual(logic.heldKeys(), [{ key: code('A'), route: 'engine', device: WINDOWS_KEYBOARD_DEVICE }]);
  assert.deepEqual(logic.decide(down(...A), 5), swallow('A', 'repeat', 5));
  assert.deepEqual(logic.decide(up(...A), 6), swallow('A', 'release', 6));
  assert.deepEqual(logic.decide(up(...B, LLKHF_INJECTED, TAG), 7), pass('own-output'));
  assert.deepEqual(logic.heldKeys(), []);
  // the tag alone decides: as a number (a uintptr_t decoded as number), without LLKHF_INJECTED
  assert.deepEqual(logic.decide(down(...B, LLKHF_INJECTED, Number(TAG)), 8), pass('own-output'));
  assert.deepEqual(logic.decide(down(...B, 0, TAG), 9), pass('own-output'));
  assert.deepEqual(logic.heldKeys(), []);
});

test('Wine (SendInput re-enters the hook) and Windows (it runs later) give the same decisions', () => {
  // Wine: the injected B is decided while the A key-down is being handled, before its key-up
  const wine = [down(...A), down(...B, LLKHF_INJECTED, TAG), up(...A), up(...B, LLKHF_INJECTED, TAG)];
  // Windows: the injected events come after the physical ones
  const windows = [down(...A), up(...A), down(...B, LLKHF_INJECTED, TAG), up(...B, LLKHF_INJECTED, TAG)];
  const physical = (ds: HookDecision[]): HookDecision[] => ds.filter((d) => d.action !== 'pass');
  const w = run(wine);
  const x = run(windows);
  assert.deepEqual(
    physical(w).map((d) => (d.action === 'swallow' ? [d.input.key, d.input.action] : d)),
    physical(x).map((d) => (d.action === 'swallow' ? [d.input.key, d.input.action] : d)),
  );
  assert.equal(w.filter((d) => d.action === 'pass' && d.reason === 'own-output').length, 2);
  assert.equal(x.filter((d) => d.action === 'pass' && d.reason === 'own-output').length, 2);
});

test("other programs' injected keys pass untouched unless foreignInjected is 'remap'", () => {
  const foreign = [
    down(...A, LLKHF_INJECTED),
    down(...A, LLKHF_INJECTED, 0xffc3d44fn), // another tool's tag (AutoHotkey's)
    down(...A, LLKHF_INJECTED | LLKHF_LOWER_IL_INJECTED),
    up(...A, LLKHF_INJECTED),
  ];
  assert.deepEqual(run(foreign), [
    pass('foreign-injected'),
    pass('foreign-injected'),
    pass('foreign-injected'),
    pass('foreign-injected'),
  ]);
  assert.deepEqual(run(foreign, { foreignInjected: 'remap' }), [
    swallow('A', 'press', 100),
    swallow('A', 'repeat', 200),
    swallow('A', 'repeat', 300),
    swallow('A', 'release', 400),
  ]);
  // VK_PACKET (a character typed by a program; scanCode is a UTF-16 unit) is never a key
  const packet: HookEvent = {
    wParam: WM_KEYDOWN,
    vk: VK.PACKET,
    scan: 0x1e,
    flags: LLKHF_INJECTED,
    time: 0,
    extraInfo: 0n,
  };
  assert.deepEqual(run([packet], { foreignInjected: 'remap' }), [pass('unicode-packet')]);
  // our own output passes whatever the option
  assert.deepEqual(run([down(...A, LLKHF_INJECTED, TAG)], { foreignInjected: 'remap' }), [
    pass('own-output'),
  ]);
});

test('a key-up of a key never seen down (pressed before the hook) passes to Windows', () => {
  assert.deepEqual(run([up(...A), down(...A), up(...A), up(...A)]), [
    pass('release-without-press'),
    swallow('A', 'press', 200),
    swallow('A', 'release', 300),
    pass('release-without-press'),
  ]);
});

test('keys without a Linux code, and non-key messages, pass', () => {
  assert.deepEqual(
    run([
      down(0xe6, 0x5a), // an OEM scan code
      up(0xe6, 0x5a),
      down(0xff, 0x7f),
      { wParam: 0x0200, vk: A[0], scan: A[1], flags: 0, time: 0, extraInfo: 0n },
      down(0, 0),
    ]),
    [
      pass('no-linux-key'),
      pass('no-linux-key'),
      pass('no-linux-key'),
      pass('not-a-key-message'),
      pass('no-linux-key'),
    ],
  );
});

test('extended flag tells the navigation cluster from the numpad, Enter from NumpadEnter', () => {
  const ds = run([
    down(VK.HOME, 0x47, LLKHF_EXTENDED),
    down(VK.NUMPAD0 + 7, 0x47),
    down(VK.HOME, 0x47), // numpad 7 with NumLock off
    up(VK.HOME, 0x47, LLKHF_EXTENDED),
    up(VK.NUMPAD0 + 7, 0x47),
    down(VK.RETURN, 0x1c, LLKHF_EXTENDED),
    down(VK.RETURN, 0x1c),
    down(VK.RCONTROL, 0x1d, LLKHF_EXTENDED),
    down(VK.LCONTROL, 0x1d),
  ]);
  assert.deepEqual(ds, [
    swallow('Home', 'press', 100),
    swallow('Numpad7', 'press', 200),
    swallow('Numpad7', 'repeat', 300),
    swallow('Home', 'release', 400),
    swallow('Numpad7', 'release', 500),
    swallow('NumpadEnter', 'press', 600),
    swallow('Enter', 'press', 700),
    swallow('RCtrl', 'press', 800),
    swallow('LCtrl', 'press', 900),
  ]);
});

test('Pause, Break, NumLock, PrintScreen and SysRq', () => {
  assert.deepEqual(
    run([
      down(VK.PAUSE, 0x45), // E1 1D 45
      up(VK.PAUSE, 0x45),
      down(VK.NUMLOCK, 0x45, LLKHF_EXTENDED),
      up(VK.NUMLOCK, 0x45, LLKHF_EXTENDED),
      down(VK.CANCEL, 0x46, LLKHF_EXTENDED), // Ctrl+Pause
      up(VK.CANCEL, 0x46, LLKHF_EXTENDED),
      down(VK.SNAPSHOT, 0x37, LLKHF_EXTENDED),
      up(VK.SNAPSHOT, 0x54), // Alt went down meanwhile: the key-up is SysRq
      down(VK.SNAPSHOT, 0x54),
      up(VK.SNAPSHOT, 0x54),
      down(VK.MULTIPLY, 0x37),
    ]),
    [
      swallow('Pause', 'press', 100),
      swallow('Pause', 'release', 200),
      swallow('NumLock', 'press', 300),
      swallow('NumLock', 'release', 400),
      swallow('Pause', 'press', 500),
      swallow('Pause', 'release', 600),
      swallow('PrintScreen', 'press', 700),
      swallow('PrintScreen', 'release', 800),
      swallow('PrintScreen', 'press', 900),
      swallow('PrintScreen', 'release', 1000),
      swallow('NumpadMultiply', 'press', 1100),
    ],
  );
});

test("Windows' synthesized events (AltGr's Left Ctrl, fake shifts) are dropped while remapping", () => {
  const altGr = [
    down(VK.LCONTROL, 0x21d), // synthesized ahead of Right Alt on an AltGr layout
    down(VK.RMENU, 0x38, LLKHF_EXTENDED),
    up(VK.LCONTROL, 0x21d),
    up(VK.RMENU, 0x38, LLKHF_EXTENDED),
    up(VK.LSHIFT, 0x22a), // fake shift up before a numpad key (NumLock on, Shift held)
    down(VK.RSHIFT, 0x236),
  ];
  assert.deepEqual(run(altGr), [
    { action: 'drop', reason: 'synthesized' },
    swallow('RAlt', 'press', 200),
    { action: 'drop', reason: 'synthesized' },
    swallow('RAlt', 'release', 400),
    { action: 'drop', reason: 'synthesized' },
    { action: 'drop', reason: 'synthesized' },
  ]);
  // the Left Ctrl our injected Right Alt makes Windows synthesize is injected: it passes
  assert.deepEqual(run([down(VK.LCONTROL, 0x21d, LLKHF_INJECTED)]), [pass('foreign-injected')]);
  assert.deepEqual(run([down(VK.LCONTROL, 0x21d, LLKHF_INJECTED, TAG)]), [pass('own-output')]);
  // while keys pass through, so do they
  assert.deepEqual(run([down(VK.LCONTROL, 0x21d)], { isSuspended: () => true }), [pass('suspended')]);
  assert.deepEqual(run([down(VK.LCONTROL, 0x21d)], { isDeviceEnabled: () => false }), [
    pass('device-disabled'),
  ]);
  // AltGr pressed while suspended, released after resuming: Windows got both Ctrl and Alt down,
  // it gets both key-ups (else its Left Ctrl would stay down)
  let suspended = true;
  const logic = new HookLogic({ isSuspended: () => suspended });
  assert.deepEqual(logic.decide(down(VK.LCONTROL, 0x21d), 1), pass('suspended'));
  assert.deepEqual(logic.decide(down(VK.RMENU, 0x38, LLKHF_EXTENDED), 2), pass('suspended'));
  suspended = false;
  assert.deepEqual(logic.decide(up(VK.LCONTROL, 0x21d), 3), pass('press-passed'));
  assert.deepEqual(logic.decide(up(VK.RMENU, 0x38, LLKHF_EXTENDED), 4), pass('press-passed'));
  // the next AltGr is remapped again
  assert.deepEqual(logic.decide(down(VK.LCONTROL, 0x21d), 5), { action: 'drop', reason: 'synthesized' });
  assert.deepEqual(logic.decide(up(VK.LCONTROL, 0x21d), 6), { action: 'drop', reason: 'synthesized' });
});

test('suspended: new presses pass; a key follows the way its press went until released', () => {
  let suspended = true;
  const logic = new HookLogic({ isSuspended: () => suspended });
  // pressed while suspended: its repeats and release pass even after resuming
  assert.deepEqual(logic.decide(down(...A), 1), pass('suspended'));
  suspended = false;
  assert.deepEqual(logic.decide(down(...A), 2), pass('press-passed'));
  assert.deepEqual(logic.decide(up(...A), 3), pass('press-passed'));
  // pressed while remapping: its release still goes to the engine after suspending
  assert.deepEqual(logic.decide(down(...B), 4), swallow('B', 'press', 4));
  suspended = true;
  assert.deepEqual(logic.decide(down(...B), 5), swallow('B', 'repeat', 5));
  assert.deepEqual(logic.decide(up(...B), 6), swallow('B', 'release', 6));
  assert.deepEqual(logic.decide(down(...B), 7), pass('suspended'));
});

test('disabled devices pass; the device attribution of a press is kept for its release', () => {
  let attributed = 'kbd-1';
  const enabled = new Set(['kbd-1']);
  const logic = new HookLogic({ device: () => attributed, isDeviceEnabled: (id) => enabled.has(id) });
  assert.deepEqual(logic.decide(down(...A), 1), swallow('A', 'press', 1, 'kbd-1'));
  attributed = 'kbd-2'; // Raw Input now says another keyboard
  assert.deepEqual(logic.decide(down(...B), 2), pass('device-disabled'));
  assert.deepEqual(logic.decide(down(...A), 3), swallow('A', 'repeat', 3, 'kbd-1'));
  assert.deepEqual(logic.decide(up(...A), 4), swallow('A', 'release', 4, 'kbd-1'));
  enabled.add('kbd-2');
  assert.deepEqual(logic.decide(down(...B), 5), pass('press-passed'));
  assert.deepEqual(logic.decide(up(...B), 6), pass('press-passed'));
  assert.deepEqual(logic.decide(down(...B), 7), swallow('B', 'press', 7, 'kbd-2'));
  assert.deepEqual(
    new HookLogic({ device: 'fixed' }).decide(down(...A), 8),
    swallow('A', 'press', 8, 'fixed'),
  );
});

test('releaseAll: the engine releases what it pressed, latest first; the state starts over', () => {
  let suspended = false;
  const logic = new HookLogic({ isSuspended: () => suspended });
  logic.decide(down(VK.LSHIFT, 0x2a), 1);
  logic.decide(down(...A), 2);
  suspended = true;
  logic.decide(down(...B), 3); // passed: Windows has it, Windows gets its key-up
  suspended = false;
  assert.deepEqual(
    logic.heldKeys().map((h) => [h.key, h.route]),
    [
      [code('LShift'), 'engine'],
      [code('A'), 'engine'],
      [code('B'), 'pass'],
    ],
  );
  assert.deepEqual(logic.releaseAll(50), [
    { key: code('A'), action: 'release', timeUs: 50, device: WINDOWS_KEYBOARD_DEVICE },
    { key: code('LShift'), action: 'release', timeUs: 50, device: WINDOWS_KEYBOARD_DEVICE },
  ]);
  assert.deepEqual(logic.heldKeys(), []);
  assert.deepEqual(logic.decide(up(...A), 60), pass('release-without-press'));
  assert.deepEqual(logic.decide(up(...B), 61), pass('release-without-press'));
  assert.deepEqual(logic.decide(down(...A), 62), swallow('A', 'press', 62));
});

test('hookEvent() reads a decoded KBDLLHOOKSTRUCT', () => {
  assert.deepEqual(
    hookEvent(0x101n, { vkCode: 0x41, scanCode: 0x1e, flags: 0x80, time: 77, dwExtraInfo: 0n }),
    { wParam: WM_KEYUP, vk: 0x41, scan: 0x1e, flags: 0x80, time: 77, extraInfo: 0n },
  );
});

// ---------------------------------------------------------------- SendInput records

const ev = (name: string, action: OutputEvent['action'], value?: number): OutputEvent =>
  value === undefined
    ? { key: code(name), action, timeUs: 0 }
    : { key: code(name), action, timeUs: 0, value };
const move = (axis: keyof typeof MOUSE_AXES, value: number): OutputEvent => ({
  key: MOUSE_AXES[axis],
  action: 'move',
  timeUs: 0,
  value,
});
const ki = (wVk: number, wScan: number, dwFlags: number): KeybdInput => ({
  wVk,
  wScan,
  dwFlags,
  time: 0,
  dwExtraInfo: TAG,
});
const key = (wVk: number, wScan: number, dwFlags: number): SendInputRecord => ({
  type: INPUT_KEYBOARD,
  ki: ki(wVk, wScan, dwFlags),
});
const mouse = (dwFlags: number, mouseData = 0, dx = 0, dy = 0): SendInputRecord => ({
  type: INPUT_MOUSE,
  mi: { dx, dy, mouseData, dwFlags, time: 0, dwExtraInfo: TAG },
});

test('keys are sent by scan code (wVk filled for Wine), extended keys flagged, a repeat is a key-down', () => {
  const out = toSendInputs([
    ev('LShift', 'press'),
    ev('A', 'press'),
    ev('A', 'repeat'),
    ev('A', 'repeat'),
    ev('A', 'release'),
    ev('LShift', 'release'),
    ev('RCtrl', 'press'),
    ev('Left', 'press'),
    ev('Left', 'repeat'),
    ev('Left', 'release'),
    ev('RCtrl', 'release'),
    ev('Numpad4', 'press'),
    ev('Numpad4', 'release'),
    ev('NumpadEnter', 'press'),
    ev('NumpadEnter', 'release'),
    ev('RShift', 'press'),
    ev('RShift', 'release'),
    ev('Mute', 'press'),
    ev('PrintScreen', 'press'),
  ]);
  assert.deepEqual(out.skipped, []);
  assert.deepEqual(out.inputs, [
    key(VK.LSHIFT, 0x2a, SC),
    key(0x41, 0x1e, SC),
    key(0x41, 0x1e, SC),
    key(0x41, 0x1e, SC),
    key(0x41, 0x1e, SC | UP),
    key(VK.LSHIFT, 0x2a, SC | UP),
    key(VK.RCONTROL, 0x1d, SC | EXT),
    key(VK.LEFT, 0x4b, SC | EXT),
    key(VK.LEFT, 0x4b, SC | EXT),
    key(VK.LEFT, 0x4b, SC | EXT | UP),
    key(VK.RCONTROL, 0x1d, SC | EXT | UP),
    key(VK.NUMPAD0 + 4, 0x4b, SC),
    key(VK.NUMPAD0 + 4, 0x4b, SC | UP),
    key(VK.RETURN, 0x1c, SC | EXT),
    key(VK.RETURN, 0x1c, SC | EXT | UP),
    key(VK.RSHIFT, 0x36, SC),
    key(VK.RSHIFT, 0x36, SC | UP),
    key(VK.VOLUME_MUTE, 0x20, SC | EXT),
    key(VK.SNAPSHOT, 0x37, SC | EXT),
  ]);
});

test('Pause and NumLock go by virtual key; Right Shift is extended only for Wine', () => {
  assert.deepEqual(
    toSendInputs([
      ev('Pause', 'press'),
      ev('Pause', 'release'),
      ev('NumLock', 'press'),
      ev('NumLock', 'release'),
    ]).inputs,
    [
      key(VK.PAUSE, 0x45, 0),
      key(VK.PAUSE, 0x45, UP),
      key(VK.NUMLOCK, 0x45, EXT),
      key(VK.NUMLOCK, 0x45, EXT | UP),
    ],
  );
  assert.deepEqual(keyboardInput(code('RShift'), false, { wine: true }), ki(VK.RSHIFT, 0x36, SC | EXT));
  assert.deepEqual(keyboardInput(code('LShift'), false, { wine: true }), ki(VK.LSHIFT, 0x2a, SC));
  assert.deepEqual(keyboardInput(code('Copy'), true), ki(0, 0x18, SC | EXT | UP), 'a key with no VK');
  assert.equal(keyboardInput(0x2ff, false), null);
  assert.deepEqual(keyboardInput(code('A'), false, { tag: 7n })?.dwExtraInfo, 7n);
});

test('mouse keys: buttons, merged relative motion, wheels in WHEEL_DELTA units', () => {
  const out = toSendInputs([
    ev('MouseLeft', 'press'),
    move('X', 5),
    move('Y', -3),
    move('X', 2), // X again: a new record
    ev('MouseLeft', 'repeat'), // buttons do not repeat: dropped
    ev('MouseLeft', 'release'),
    move('WheelHiRes', 60),
    move('WheelHiRes', 60),
    move('Wheel', 1), // the same turn in notches: not sent twice
    move('HWheelHiRes', -120),
    move('HWheel', -1),
    ev('MouseRight', 'press'),
    ev('MouseBack', 'press'),
    ev('MouseBack', 'release'),
    ev('MouseForward', 'press'),
    ev('MouseForward', 'release'),
  ]);
  assert.deepEqual(out.skipped, []);
  assert.deepEqual(out.inputs, [
    mouse(MOUSEEVENTF_LEFTDOWN),
    mouse(MOUSEEVENTF_MOVE, 0, 5, -3),
    mouse(MOUSEEVENTF_MOVE, 0, 2, 0),
    mouse(MOUSEEVENTF_LEFTUP),
    mouse(MOUSEEVENTF_WHEEL, 60),
    mouse(MOUSEEVENTF_WHEEL, 60),
    mouse(MOUSEEVENTF_HWHEEL, 0xffffff88), // -120 as a DWORD
    mouse(MOUSEEVENTF_RIGHTDOWN),
    mouse(MOUSEEVENTF_XDOWN, XBUTTON1),
    mouse(MOUSEEVENTF_XUP, XBUTTON1),
    mouse(MOUSEEVENTF_XDOWN, XBUTTON2),
    mouse(MOUSEEVENTF_XUP, XBUTTON2),
  ]);
  // notches alone (no hi-res in the batch) are sent as WHEEL_DELTA multiples
  assert.deepEqual(toSendInputs([move('Wheel', -2), move('HWheel', 1)]).inputs, [
    mouse(MOUSEEVENTF_WHEEL, -240 >>> 0),
    mouse(MOUSEEVENTF_HWHEEL, 120),
  ]);
});

test('outputs with no Windows form are reported, the rest of the batch still goes out in order', () => {
  const linuxOnly: OutputEvent = { key: 0x2ff, action: 'press', timeUs: 0 };
  const task: OutputEvent = { key: 279, action: 'press', timeUs: 0 }; // BTN_TASK
  const axis: OutputEvent = { key: 0x09, action: 'move', timeUs: 0, value: 1 }; // REL_MISC
  const out = toSendInputs([ev('A', 'press'), linuxOnly, task, axis, ev('A', 'release')]);
  assert.deepEqual(out.inputs, [key(0x41, 0x1e, SC), key(0x41, 0x1e, SC | UP)]);
  assert.deepEqual(out.skipped, [linuxOnly, task, axis]);
});

test('the loop: records we send come back to the hook as our own output and pass', () => {
  const logic = new HookLogic();
  // physical CapsLock → the engine (say) makes it Escape
  assert.deepEqual(logic.decide(down(VK.CAPITAL, 0x3a), 1), swallow('CapsLock', 'press', 1));
  const { inputs } = toSendInputs([ev('Escape', 'press'), ev('RAlt', 'press'), ev('Escape', 'release')]);
  for (const record of inputs) {
    assert.equal(record.type, INPUT_KEYBOARD);
    if (record.type !== INPUT_KEYBOARD) continue;
    const { ki } = record;
    // what Windows (and Wine) report for an injected record: its scan, flags, and dwExtraInfo
    const back: HookEvent = {
      wParam: ki.dwFlags & UP ? WM_KEYUP : WM_KEYDOWN,
      vk: ki.wVk,
      scan: ki.wScan,
      flags: LLKHF_INJECTED | (ki.dwFlags & EXT ? LLKHF_EXTENDED : 0) | (ki.dwFlags & UP ? LLKHF_UP : 0),
      time: 0,
      extraInfo: ki.dwExtraInfo,
    };
    assert.deepEqual(logic.decide(back, 2), pass('own-output'));
  }
  assert.deepEqual(logic.decide(up(VK.CAPITAL, 0x3a), 3), swallow('CapsLock', 'release', 3));
  assert.deepEqual(logic.heldKeys(), []);
});
