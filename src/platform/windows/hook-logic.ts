/**
 * What the WH_KEYBOARD_LL hook does with one key event, as a pure class: no koffi, no clock,
 * no Node API, so every rule is unit-tested on Linux. The backend's hook callback decodes
 * KBDLLHOOKSTRUCT, calls decide(), and then:
 *
 *   'pass'    → return CallNextHookEx(…): the event goes on to Windows untouched;
 *   'swallow' → hand `input` to processor.process(), SendInput the outputs (send-input.ts),
 *               return 1: Windows never sees the original event;
 *   'drop'    → return 1 without the engine: an event Windows synthesized itself that the
 *               engine's own output will synthesize again (see "system-synthesized" below).
 *
 * The rules, in the order decide() applies them:
 *
 * 1. Our own output is recognised ONLY by its dwExtraInfo tag (KEYRX_EXTRA_INFO, set by
 *    send-input.ts on every record) and always passes, touching no state. Never by "am I
 *    inside the callback": under Wine, SendInput runs the hook for the injected event
 *    synchronously, nested inside the call that sent it; on Windows it runs after the callback
 *    returns (shared/windows-wine/NOTES.md, gotcha 4). The tag is right in both orders. This is
 *    the counterpart of Linux recognising its own uinput devices by vendor/product.
 * 2. Other programs' injected events (LLKHF_INJECTED or LLKHF_LOWER_IL_INJECTED, any other tag)
 *    pass untouched by default: they are not a keyboard we grabbed. On Linux keyrx remaps the
 *    devices it grabs, never what other programs write; here those are password managers'
 *    auto-type, on-screen and touch keyboards, remote-desktop clients, AutoHotkey, another
 *    remapper's output — remapping them would scramble text a program typed on purpose, and two
 *    remappers remapping each other's output can ping-pong. `foreignInjected: 'remap'` feeds
 *    them to the engine like physical keys. VK_PACKET events (KEYEVENTF_UNICODE: a character,
 *    not a key; scanCode holds the UTF-16 unit) always pass.
 * 3. Anything but WM_KEYDOWN/WM_KEYUP/WM_SYSKEYDOWN/WM_SYSKEYUP passes.
 * 4. System-synthesized events — scanCode with bit 0x200 (SCANCODE_SIMULATED in kbd.h): the
 *    Left Ctrl that AltGr layouts send ahead of Right Alt (0x21D), the "fake shifts" around
 *    numpad keys with NumLock on and Shift held (0x22A, 0x236) — are dropped while keys are
 *    being remapped: the key they belong to reaches the engine, and when the engine sends it
 *    (or anything else) Windows synthesizes them again for the injected key. Passing them would
 *    leave e.g. Left Ctrl down in Windows while Right Alt is held as a layer key. While keys
 *    pass through (suspended, device disabled) they pass too, and so does the key-up of one
 *    whose key-down passed.
 * 5. A key with no Linux equivalent (keycodes.ts) passes.
 * 6. Held keys are tracked, as Linux tracks each device's down keys:
 *    - Windows repeats WM_KEYDOWN while a key is held, without a key-up: a down of a held key
 *      is a `repeat`;
 *    - a key-up of a key never seen down (pressed before the hook was installed, or before
 *      reset()) passes, so Windows does not keep it stuck;
 *    - a new press passes when the backend is suspended or the device is disabled (predicates),
 *      else it goes to the engine; its repeats and its release follow the way its press went,
 *      whatever changed in between — the rule EngineHost.process applies to devices enabled or
 *      disabled mid-press (src/daemon/input-thread.ts). The other way, an engine output or a
 *      Windows key would stay down.
 *
 * Not here: the emergency chord. On Linux too it is not in the backend: EngineHost.process
 * (input-thread.ts) watches the engine's inputs and stops the backend, so it works the same
 * for every backend that hands keys to process().
 *
 * KeyInput.timeUs is the `timeUs` the backend passes (its monotonic clock, the engine's), not
 * KBDLLHOOKSTRUCT.time: that is GetTickCount milliseconds (10–16 ms steps, wraps after 49.7
 * days) on another clock than nextDeadline() and tick().
 */
import type { KeyInput } from '../types.ts';
import { linuxCodeFromHook, VK } from './keycodes.ts';
import { KEYRX_EXTRA_INFO } from './send-input.ts';

export const WM_KEYDOWN = 0x0100;
export const WM_KEYUP = 0x0101;
export const WM_SYSKEYDOWN = 0x0104;
export const WM_SYSKEYUP = 0x0105;

export const LLKHF_EXTENDED = 0x01;
export const LLKHF_LOWER_IL_INJECTED = 0x02;
export const LLKHF_INJECTED = 0x10;
export const LLKHF_ALTDOWN = 0x20;
export const LLKHF_UP = 0x80;

/** scanCode bit of events Windows synthesizes (kbd.h SCANCODE_SIMULATED): AltGr's Ctrl, fake shifts */
export const SCANCODE_SIMULATED = 0x200;

/** The device id of hook events when the backend cannot attribute them (the LL hook has no device). */
export const WINDOWS_KEYBOARD_DEVICE = 'windows-keyboard';

/** One hook call: its wParam and the fields of KBDLLHOOKSTRUCT. */
export interface HookEvent {
  wParam: number;
  vk: number;
  scan: number;
  flags: number;
  /** KBDLLHOOKSTRUCT.time (GetTickCount ms); informational, see the top of the file */
  time: number;
  /** KBDLLHOOKSTRUCT.dwExtraInfo (koffi 3 decodes uintptr_t as a BigInt) */
  extraInfo: bigint | number;
}

export type PassReason =
  /** dwExtraInfo is our tag: keyrx's own output */
  | 'own-output'
  /** injected by another program (option foreignInjected) */
  | 'foreign-injected'
  /** VK_PACKET: a character typed by a program, not a key */
  | 'unicode-packet'
  /** wParam is not a key message */
  | 'not-a-key-message'
  /** the key has no Linux key code */
  | 'no-linux-key'
  /** a key-up of a key never seen down */
  | 'release-without-press'
  | 'suspended'
  | 'device-disabled'
  /** a repeat or release of a key whose press passed */
  | 'press-passed';

export type HookDecision =
  | { action: 'pass'; reason: PassReason }
  | { action: 'swallow'; input: KeyInput }
  | { action: 'drop'; reason: 'synthesized' };

export interface HookLogicOptions {
  /** the device id of an event (Raw Input attribution); default WINDOWS_KEYBOARD_DEVICE */
  device?: string | ((event: HookEvent) => string);
  /** processor.isDeviceEnabled: a disabled device's new presses pass */
  isDeviceEnabled?: (device: string) => boolean;
  /** the backend is suspended (tray): new presses pass */
  isSuspended?: () => boolean;
  /** other programs' injected keys: 'pass' (default) or 'remap' like physical keys */
  foreignInjected?: 'pass' | 'remap';
  /** our dwExtraInfo tag (default KEYRX_EXTRA_INFO) */
  tag?: bigint;
}

/** A key held down, as decide() saw it. */
export interface HeldKey {
  /** Linux key code */
  key: number;
  /** 'engine': its press was swallowed and processed; 'pass': its press went to Windows */
  route: 'engine' | 'pass';
  device: string;
}

/** The fields of KBDLLHOOKSTRUCT as koffi decodes them (win32.ts HookStruct). */
export interface KbdLlHookStruct {
  vkCode: number;
  scanCode: number;
  flags: number;
  time: number;
  dwExtraInfo: bigint | number;
}

/** A HookEvent from a hook call's wParam and its decoded KBDLLHOOKSTRUCT. */
export function hookEvent(wParam: number | bigint, s: KbdLlHookStruct): HookEvent {
  return {
    wParam: Number(wParam),
    vk: s.vkCode,
    scan: s.scanCode,
    flags: s.flags,
    time: s.time,
    extraInfo: s.dwExtraInfo,
  };
}

const DROP: HookDecision = Object.freeze({ action: 'drop', reason: 'synthesized' });
const PASS: Readonly<Record<PassReason, HookDecision>> = Object.freeze(
  Object.fromEntries(
    (
      [
        'own-output',
        'foreign-injected',
        'unicode-packet',
        'not-a-key-message',
        'no-linux-key',
        'release-without-press',
        'suspended',
        'device-disabled',
        'press-passed',
      ] as const
    ).map((reason) => [reason, Object.freeze({ action: 'pass', reason })]),
  ) as Record<PassReason, HookDecision>,
);

export class HookLogic {
  private readonly opts: HookLogicOptions;
  private readonly tag: bigint;
  private readonly tagNumber: number;
  /** held keys by Linux code, in press order */
  private readonly held = new Map<number, HeldKey>();
  /** synthesized key-downs that passed: their key-ups pass too */
  private readonly passedSynthesized = new Set<number>();

  constructor(options: HookLogicOptions = {}) {
    this.opts = options;
    this.tag = options.tag ?? KEYRX_EXTRA_INFO;
    this.tagNumber = Number(this.tag);
  }

  /** Is dwExtraInfo our tag? */
  isOwn(extraInfo: bigint | number): boolean {
    return typeof extraInfo === 'bigint' ? extraInfo === this.tag : extraInfo === this.tagNumber;
  }

  /** What to do with one hook event; `timeUs` stamps the KeyInput (the backend's clock). */
  decide(event: HookEvent, timeUs: number): HookDecision {
    // 1. our own output: before anything else, and without touching state (Wine re-enters here)
    if (this.isOwn(event.extraInfo)) return PASS['own-output'];
    // 2. other programs' injected events
    const injected = (event.flags & (LLKHF_INJECTED | LLKHF_LOWER_IL_INJECTED)) !== 0;
    if (injected && this.opts.foreignInjected !== 'remap') return PASS['foreign-injected'];
    if (event.vk === VK.PACKET) return PASS['unicode-packet'];
    // 3. key messages only
    const w = event.wParam;
    if (w !== WM_KEYDOWN && w !== WM_KEYUP && w !== WM_SYSKEYDOWN && w !== WM_SYSKEYUP)
      return PASS['not-a-key-message'];
    const up = w === WM_KEYUP || w === WM_SYSKEYUP || (event.flags & LLKHF_UP) !== 0;
    // 4. synthesized by Windows: dropped while remapping (the engine's output brings them back)
    if ((event.scan & SCANCODE_SIMULATED) !== 0) {
      const id = event.scan | ((event.flags & LLKHF_EXTENDED) << 16);
      // the key-up of one that passed passes too (AltGr's Ctrl when suspended mid-press)
      if (up && this.passedSynthesized.delete(id)) return PASS['press-passed'];
      const reason: PassReason | null =
        this.opts.isSuspended?.() === true
          ? 'suspended'
          : !this.enabled(this.deviceOf(event))
            ? 'device-disabled'
            : null;
      if (reason === null) return DROP;
      if (!up) this.passedSynthesized.add(id);
      return PASS[reason];
    }
    // 5. keys with a Linux code only
    const key = linuxCodeFromHook({
      vk: event.vk,
      scan: event.scan,
      extended: (event.flags & LLKHF_EXTENDED) !== 0,
    });
    if (key === null) return PASS['no-linux-key'];
    // 6. held keys: repeats, releases, new presses
    const held = this.held.get(key);
    if (up) {
      if (held === undefined) return PASS['release-without-press'];
      this.held.delete(key);
      if (held.route === 'pass') return PASS['press-passed'];
      return { action: 'swallow', input: { key, action: 'release', timeUs, device: held.device } };
    }
    if (held !== undefined) {
      if (held.route === 'pass') return PASS['press-passed'];
      return { action: 'swallow', input: { key, action: 'repeat', timeUs, device: held.device } };
    }
    const device = this.deviceOf(event);
    if (this.opts.isSuspended?.() === true) {
      this.held.set(key, { key, route: 'pass', device });
      return PASS.suspended;
    }
    if (!this.enabled(device)) {
      this.held.set(key, { key, route: 'pass', device });
      return PASS['device-disabled'];
    }
    this.held.set(key, { key, route: 'engine', device });
    return { action: 'swallow', input: { key, action: 'press', timeUs, device } };
  }

  /** The keys held now, in press order. */
  heldKeys(): HeldKey[] {
    return [...this.held.values()].map((h) => ({ ...h }));
  }

  /**
   * Forgets every held key and returns the releases the engine must process for those whose
   * press it processed, latest press first (the hook is being removed or reinstalled, the
   * backend stops: no engine output may stay down). Keys that passed need nothing: their
   * key-up goes to Windows as a release-without-press.
   */
  releaseAll(timeUs: number): KeyInput[] {
    const releases: KeyInput[] = [];
    for (const h of [...this.held.values()].reverse())
      if (h.route === 'engine') releases.push({ key: h.key, action: 'release', timeUs, device: h.device });
    this.held.clear();
    this.passedSynthesized.clear();
    return releases;
  }

  private deviceOf(event: HookEvent): string {
    const d = this.opts.device;
    return d === undefined ? WINDOWS_KEYBOARD_DEVICE : typeof d === 'string' ? d : d(event);
  }

  private enabled(device: string): boolean {
    return this.opts.isDeviceEnabled?.(device) ?? true;
  }
}
