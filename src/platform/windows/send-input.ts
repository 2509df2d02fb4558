/**
 * The engine's output → the INPUT records SendInput takes. Pure: no Node API, no koffi; the
 * backend (backend.ts / win32.ts) copies the records into koffi INPUT structs and calls
 * SendInput once per batch, so one engine decision reaches Windows in one call, in order.
 *
 * Keys go BY SCAN CODE: KEYEVENTF_SCANCODE with the set-1 scan code and KEYEVENTF_EXTENDEDKEY
 * for E0 keys. Windows then derives the virtual key from the active layout, as it does for a
 * physical key, so a remapped key types what that key types on the user's layout (Linux
 * writes key codes to uinput the same way) and programs that read scan codes or Raw Input
 * (games, remote desktops, terminals) see a real key. With KEYEVENTF_SCANCODE Windows ignores
 * wVk ("wScan identifies the key and wVk is ignored", KEYBDINPUT docs); we still fill it with
 * the US-layout VK because Wine (8 and current) ignores KEYEVENTF_SCANCODE and uses wVk alone
 * (server/queue.c: queue_keyboard_message takes input->kbd.vkey as is).
 *
 * Two keys go BY VIRTUAL KEY (no KEYEVENTF_SCANCODE), because their scan code does not name
 * them alone: Pause (the keyboard sends E1 1D 45; scan 0x45 alone is NumLock, or Pause with
 * Ctrl — the layout marks it KBDMULTIVK) and NumLock (for the same reason: scan 0x45 turns
 * into Pause while Ctrl is down). They are sent as VK_PAUSE (scan 0x45) and VK_NUMLOCK
 * (scan 0x45, KEYEVENTF_EXTENDEDKEY), the form Windows reports for the physical keys.
 *
 * Wine quirk (option `wine`): Wine picks VK_LSHIFT or VK_RSHIFT by KEYEVENTF_EXTENDEDKEY, so a
 * Right Shift sent as scan 0x36 arrives as Left Shift. On Windows the flag would make it E0 36,
 * a "fake shift" that Raw Input readers drop; so only with `wine: true` does Right Shift carry
 * KEYEVENTF_EXTENDEDKEY.
 *
 * A `repeat` output is a key-down again: injected keys do not auto-repeat on Windows (typematic
 * repeat happens below win32k, in the keyboard or its driver), so the engine's repeats are
 * what makes a held remapped key repeat — Linux's `repeat: 'forward'` mode.
 *
 * Every record carries KEYRX_EXTRA_INFO in dwExtraInfo: that tag, and only that tag, is how
 * the hook recognises our own output (hook-logic.ts).
 *
 * Mouse-key outputs become MOUSEINPUT records: buttons (MOUSEEVENTF_LEFTDOWN …, XBUTTON1/2 for
 * back/forward), relative motion (MOUSEEVENTF_MOVE; Windows applies the user's pointer speed
 * and "enhance pointer precision" to relative motion), and the wheels in WHEEL_DELTA (120)
 * units. The engine emits each wheel turn twice — hi-res units (1/120 notch, exactly
 * Windows' unit) and, per whole notch, the classic axis — so the classic one is sent only when
 * no hi-res event of that wheel is in the same batch (never, with today's engine).
 */
import type { OutputEvent } from '../../core/index.ts';
import { VK, windowsKeyFor } from './keycodes.ts';

/**
 * dwExtraInfo of every event keyrx injects: "KRX" and a version byte, 0x4b525801. It fits in
 * 32 bits (ULONG_PTR on 32-bit Windows) and is not a plausible pointer, the value other tools
 * put there. Physical keys carry 0.
 */
export const KEYRX_EXTRA_INFO = 0x4b52_5801n;

export const INPUT_MOUSE = 0;
export const INPUT_KEYBOARD = 1;

export const KEYEVENTF_EXTENDEDKEY = 0x0001;
export const KEYEVENTF_KEYUP = 0x0002;
export const KEYEVENTF_SCANCODE = 0x0008;

export const MOUSEEVENTF_MOVE = 0x0001;
export const MOUSEEVENTF_LEFTDOWN = 0x0002;
export const MOUSEEVENTF_LEFTUP = 0x0004;
export const MOUSEEVENTF_RIGHTDOWN = 0x0008;
export const MOUSEEVENTF_RIGHTUP = 0x0010;
export const MOUSEEVENTF_MIDDLEDOWN = 0x0020;
export const MOUSEEVENTF_MIDDLEUP = 0x0040;
export const MOUSEEVENTF_XDOWN = 0x0080;
export const MOUSEEVENTF_XUP = 0x0100;
export const MOUSEEVENTF_WHEEL = 0x0800;
export const MOUSEEVENTF_HWHEEL = 0x1000;
export const XBUTTON1 = 0x0001;
export const XBUTTON2 = 0x0002;
export const WHEEL_DELTA = 120;

export interface KeybdInput {
  wVk: number;
  wScan: number;
  dwFlags: number;
  time: number;
  dwExtraInfo: bigint;
}

export interface MouseInput {
  /** relative motion (LONG) */
  dx: number;
  dy: number;
  /** a DWORD: a negative wheel delta is its 32-bit two's complement (-120 → 0xFFFFFF88) */
  mouseData: number;
  dwFlags: number;
  time: number;
  dwExtraInfo: bigint;
}

/** One INPUT record, discriminated like the Win32 struct: type 1 keyboard, type 0 mouse. */
export type SendInputRecord =
  { type: typeof INPUT_KEYBOARD; ki: KeybdInput } | { type: typeof INPUT_MOUSE; mi: MouseInput };

export interface SendInputBatch {
  /** in output order; pass them to one SendInput call */
  inputs: SendInputRecord[];
  /** outputs with no Windows form (a Linux-only key code, an unknown axis): report, do not send */
  skipped: OutputEvent[];
}

export interface SendInputOptions {
  /** dwExtraInfo (default KEYRX_EXTRA_INFO) */
  tag?: bigint;
  /** running under Wine: Right Shift carries KEYEVENTF_EXTENDEDKEY (see the top of this file) */
  wine?: boolean;
}

// Linux codes and REL_* axes (src/core/keys.ts MOUSE_AXES)
const BTN_LEFT = 272;
const BTN_RIGHT = 273;
const BTN_MIDDLE = 274;
const BTN_SIDE = 275;
const BTN_EXTRA = 276;
const BTN_FORWARD = 277;
const BTN_BACK = 278;
const BTN_TASK = 279;
const KEY_RIGHTSHIFT = 54;
const REL_X = 0x00;
const REL_Y = 0x01;
const REL_HWHEEL = 0x06;
const REL_WHEEL = 0x08;
const REL_WHEEL_HI_RES = 0x0b;
const REL_HWHEEL_HI_RES = 0x0c;

/** [down flag, up flag, mouseData] per button, BTN_LEFT … BTN_BACK */
const BUTTONS: Readonly<Record<number, readonly [number, number, number]>> = {
  [BTN_LEFT]: [MOUSEEVENTF_LEFTDOWN, MOUSEEVENTF_LEFTUP, 0],
  [BTN_RIGHT]: [MOUSEEVENTF_RIGHTDOWN, MOUSEEVENTF_RIGHTUP, 0],
  [BTN_MIDDLE]: [MOUSEEVENTF_MIDDLEDOWN, MOUSEEVENTF_MIDDLEUP, 0],
  [BTN_SIDE]: [MOUSEEVENTF_XDOWN, MOUSEEVENTF_XUP, XBUTTON1], // back
  [BTN_EXTRA]: [MOUSEEVENTF_XDOWN, MOUSEEVENTF_XUP, XBUTTON2], // forward
  [BTN_FORWARD]: [MOUSEEVENTF_XDOWN, MOUSEEVENTF_XUP, XBUTTON2],
  [BTN_BACK]: [MOUSEEVENTF_XDOWN, MOUSEEVENTF_XUP, XBUTTON1],
};

/** The KEYBDINPUT for one key transition of a Linux key code, or null if it has no Windows form. */
export function keyboardInput(code: number, up: boolean, options: SendInputOptions = {}): KeybdInput | null {
  const key = windowsKeyFor(code);
  if (key === null) return null;
  let dwFlags = up ? KEYEVENTF_KEYUP : 0;
  if (key.vk === VK.PAUSE || key.vk === VK.NUMLOCK) {
    // by virtual key: scan 0x45 alone does not say which of the two
    if (key.extended) dwFlags |= KEYEVENTF_EXTENDEDKEY;
  } else {
    dwFlags |= KEYEVENTF_SCANCODE;
    if (key.extended || (options.wine === true && code === KEY_RIGHTSHIFT)) dwFlags |= KEYEVENTF_EXTENDEDKEY;
  }
  return { wVk: key.vk, wScan: key.scan, dwFlags, time: 0, dwExtraInfo: options.tag ?? KEYRX_EXTRA_INFO };
}

/** Turns one batch of engine output (one process() or tick()) into SendInput records. */
export function toSendInputs(events: readonly OutputEvent[], options: SendInputOptions = {}): SendInputBatch {
  const tag = options.tag ?? KEYRX_EXTRA_INFO;
  const inputs: SendInputRecord[] = [];
  const skipped: OutputEvent[] = [];
  let hiResWheel = false;
  let hiResHWheel = false;
  for (const e of events) {
    if (e.action !== 'move') continue;
    if (e.key === REL_WHEEL_HI_RES) hiResWheel = true;
    else if (e.key === REL_HWHEEL_HI_RES) hiResHWheel = true;
  }
  /** the motion record still open for merging (consecutive X/Y moves become one record) */
  let motion: MouseInput | null = null;
  let motionX = false;
  let motionY = false;
  const mouse = (mi: Omit<MouseInput, 'time' | 'dwExtraInfo'>): MouseInput => {
    const record: MouseInput = { ...mi, time: 0, dwExtraInfo: tag };
    inputs.push({ type: INPUT_MOUSE, mi: record });
    return record;
  };

  for (const e of events) {
    if (e.action === 'move') {
      const value = Math.trunc(e.value ?? 0);
      if (e.key === REL_X || e.key === REL_Y) {
        const isX = e.key === REL_X;
        if (motion === null || (isX ? motionX : motionY)) {
          motion = mouse({ dx: 0, dy: 0, mouseData: 0, dwFlags: MOUSEEVENTF_MOVE });
          motionX = motionY = false;
        }
        if (isX) {
          motion.dx += value;
          motionX = true;
        } else {
          motion.dy += value;
          motionY = true;
        }
        continue;
      }
      motion = null;
      if (e.key === REL_WHEEL_HI_RES || (e.key === REL_WHEEL && !hiResWheel)) {
        const delta = e.key === REL_WHEEL ? value * WHEEL_DELTA : value;
        mouse({ dx: 0, dy: 0, mouseData: delta >>> 0, dwFlags: MOUSEEVENTF_WHEEL });
      } else if (e.key === REL_HWHEEL_HI_RES || (e.key === REL_HWHEEL && !hiResHWheel)) {
        const delta = e.key === REL_HWHEEL ? value * WHEEL_DELTA : value;
        mouse({ dx: 0, dy: 0, mouseData: delta >>> 0, dwFlags: MOUSEEVENTF_HWHEEL });
      } else if (e.key !== REL_WHEEL && e.key !== REL_HWHEEL) skipped.push(e);
      continue;
    }
    motion = null;
    if (e.key >= BTN_LEFT && e.key <= BTN_TASK) {
      const button = BUTTONS[e.key];
      if (button === undefined) skipped.push(e);
      // a button has no repeat: a held mouse key's repeats are dropped, not reported
      else if (e.action !== 'repeat')
        mouse({ dx: 0, dy: 0, mouseData: button[2], dwFlags: e.action === 'press' ? button[0] : button[1] });
      continue;
    }
    const ki = keyboardInput(e.key, e.action === 'release', options);
    if (ki === null) skipped.push(e);
    else inputs.push({ type: INPUT_KEYBOARD, ki });
  }
  return { inputs, skipped };
}
