/**
 * The Windows input backend: a WH_KEYBOARD_LL hook on the input thread (a worker), the engine run
 * inside the hook call, its output sent with SendInput at once.
 *
 * The hook runs inside the thread's message retrieval, so runLoop() waits in
 * MsgWaitForMultipleObjectsEx (until input, a posted message, the engine's next deadline or a
 * short poll for the main thread's messages) and then dispatches every queued message: each key
 * reaches the hook there. The hook decides (hook-logic.ts) before anything else: our own output is
 * recognised by its dwExtraInfo tag only — under Wine SendInput re-enters the hook from inside the
 * call, on Windows it arrives later; both orders are the same to us. The engine is synchronous and
 * bounded, so the hook returns well inside Windows' LowLevelHooksTimeout whatever it decides.
 *
 * A key the engine holds back (a tap-hold not decided yet) is swallowed; its outputs come later,
 * in order, from the next key or from a deadline tick.
 */
import type { OutputEvent } from '../../core/index.ts';
import type { DeviceDescriptor, InputBackend, KeyProcessor } from '../types.ts';
import { monotonicUs } from '../types.ts';
import {
  HookLogic,
  hookEvent,
  LLKHF_EXTENDED,
  LLKHF_INJECTED,
  LLKHF_UP,
  WM_KEYUP,
  WM_SYSKEYUP,
} from './hook-logic.ts';
import type { HookEvent } from './hook-logic.ts';
import {
  describeRawKeyboard,
  fallbackDevice,
  RawInputAttribution,
  UNATTRIBUTED_KEYBOARD,
  type RawKey,
} from './raw-input.ts';
import { watchRawInput, type RawInputWatcher } from './raw-input-win32.ts';
import { toSendInputs } from './send-input.ts';
import { ContextWatcher, type WindowsContextPatch } from './context.ts';
import type { Win32 } from './win32.ts';
import { win32, win32Context } from './win32.ts';

export interface WindowsBackendOptions {
  /** diagnostics that are not errors */
  log?: (message: string, context?: Record<string, unknown>) => void;
  /** running under Wine (SendInput quirks, see send-input.ts); default: detected */
  wine?: boolean;
  /** longest wait between looks at the main thread's messages, ms (default 20) */
  pollMs?: number;
  /**
   * the input context Windows reports (foreground app and title, language, IME: context.ts),
   * called on this thread with the fields that changed; none given: not watched
   */
  onContext?: (patch: WindowsContextPatch) => void;
}

export type WindowsLoopExit = 'stopped' | 'interrupted';

export interface WindowsLoopHooks {
  /** every iteration: drain the MessagePort here */
  onWake?: () => void;
  /** after every iteration, once its outputs are sent (flush monitoring here) */
  afterIteration?: () => void;
}

/** Raw Input's view of the keyboards and of which one typed (raw-input.ts). */
export interface WindowsDeviceStats {
  /** Raw Input is registered (false: every key goes to the aggregate device) */
  rawInput: boolean;
  /** hook events matched with their Raw Input record before the decision */
  attributed: number;
  /** hook events without one (the fallback device took them) */
  unattributed: number;
  /** records that arrived after their key's hook call */
  late: number;
}

export class WindowsBackend implements InputBackend {
  readonly kind = 'windows' as const;
  private readonly opts: WindowsBackendOptions;
  private processor: KeyProcessor | null = null;
  private w: Win32 | null = null;
  private logic: HookLogic | null = null;
  private unhook: (() => void) | null = null;
  private context: ContextWatcher | null = null;
  private stopRequested = false;
  private breakRequested = false;
  private looping = false;
  private suspended = false;
  private wine = false;
  private raw: RawInputWatcher | null = null;
  private readonly attribution = new RawInputAttribution();
  /** the keyboards Raw Input lists, by device handle */
  private keyboards = new Map<bigint, DeviceDescriptor>();
  private fallback = UNATTRIBUTED_KEYBOARD.id;
  /** the device of the hook event being decided */
  private currentDevice = UNATTRIBUTED_KEYBOARD.id;
  private late = 0;
  private toldLate = false;

  constructor(opts: WindowsBackendOptions = {}) {
    this.opts = opts;
  }

  async start(processor: KeyProcessor): Promise<void> {
    this.w = win32();
    this.processor = processor;
    this.wine = this.opts.wine ?? this.w.wine;
    this.logic = new HookLogic({
      device: () => this.currentDevice,
      isDeviceEnabled: (id) => processor.isDeviceEnabled(id),
      isSuspended: () => this.suspended,
    });
    processor.deviceAdded(UNATTRIBUTED_KEYBOARD);
    try {
      this.raw = watchRawInput({
        now: monotonicUs,
        onLate: (key) => this.lateRecord(key),
        onDeviceChange: () => this.refreshKeyboards(),
      });
      this.refreshKeyboards();
    } catch (err) {
      // the hook works without it: every key is the aggregate device's
      processor.error(
        'raw-input-failed',
        `Raw Input is not available (${(err as Error).message}): keys are not told apart by keyboard`,
      );
    }
    this.unhook = this.w.hookKeyboard((nCode, wParam, lParam) => this.hook(nCode, wParam, lParam));
    if (this.opts.onContext) {
      this.context = new ContextWatcher(win32Context(), this.opts.onContext, {
        error: (message) => processor.error('context-failed', message),
        log: (message) => this.opts.log?.(message),
      });
      this.context.start(monotonicUs());
    }
    this.opts.log?.('keyboard hook installed', { wine: this.wine, koffi: this.w.koffiVersion });
  }

  /** The hook procedure: decide, run the engine, send its output; never throws into Windows. */
  private hook(nCode: number, wParam: number, lParam: unknown): number {
    const w = this.w!;
    if (nCode < 0 || !this.logic || this.stopRequested) return w.callNextHook(nCode, wParam, lParam);
    let decision;
    try {
      const event = hookEvent(wParam, w.decodeHook(lParam));
      this.attribute(event);
      decision = this.logic.decide(event, monotonicUs());
    } catch (err) {
      this.processor?.error('hook-error', `the keyboard hook failed: ${(err as Error).message}`);
      return w.callNextHook(nCode, wParam, lParam);
    }
    if (decision.action === 'pass') return w.callNextHook(nCode, wParam, lParam);
    if (decision.action === 'drop') return 1;
    const processor = this.processor!;
    // a press is matched against the window it goes to (APP:/TITLE: conditions)
    if (decision.input.action === 'press') this.context?.beforeKey(monotonicUs());
    let outputs: OutputEvent[];
    try {
      outputs = processor.process(decision.input);
    } catch (err) {
      processor.error('engine-error', `process failed: ${(err as Error).message}`, {
        key: decision.input.key,
      });
      return 1;
    }
    if (outputs.length > 0) this.write(outputs);
    processor.processed(decision.input, outputs, monotonicUs());
    return 1;
  }

  write(events: OutputEvent[]): void {
    const w = this.w;
    if (!w || events.length === 0) return;
    const batch = toSendInputs(events, { wine: this.wine });
    if (batch.inputs.length > 0) {
      const sent = w.sendInput(batch.inputs);
      if (sent !== batch.inputs.length)
        this.processor?.error(
          'send-input-failed',
          `SendInput inserted ${sent} of ${batch.inputs.length} events (error ${w.lastError()}): a window of a program running as administrator has the focus?`,
        );
    }
    if (batch.skipped.length > 0)
      this.opts.log?.('outputs with no Windows form were not sent', { count: batch.skipped.length });
  }

  /**
   * Names the keyboard of a physical key before it is decided (raw-input.ts): the Raw Input
   * record queued for it, or the fallback. Our own and injected events have no device.
   */
  private attribute(event: HookEvent): void {
    this.currentDevice = this.fallback;
    const raw = this.raw;
    if (!raw || this.logic!.isOwn(event.extraInfo) || (event.flags & LLKHF_INJECTED) !== 0) return;
    const now = monotonicUs();
    this.attribution.add(raw.drain());
    const handle = this.attribution.match(
      {
        scan: event.scan,
        extended: (event.flags & LLKHF_EXTENDED) !== 0,
        up: event.wParam === WM_KEYUP || event.wParam === WM_SYSKEYUP || (event.flags & LLKHF_UP) !== 0,
        vk: event.vk,
      },
      now,
    );
    if (handle === null) return;
    let device = this.keyboards.get(handle);
    if (!device) {
      // a keyboard whose arrival message has not been handled yet
      this.refreshKeyboards();
      device = this.keyboards.get(handle);
    }
    if (!device) return;
    this.currentDevice = device.id;
    if (this.attribution.matched === 1)
      this.opts.log?.('Raw Input names the keyboard of each key before the hook decides it', {
        device: device.name,
        id: device.id,
      });
  }

  /** A record no hook call read first: Windows' order (raw-input.ts). Said once in the log. */
  private lateRecord(key: RawKey): void {
    if (key.handle === 0n) return;
    this.late++;
    if (this.toldLate || this.attribution.matched > 0) return;
    this.toldLate = true;
    this.opts.log?.(
      'Raw Input arrives after the keyboard hook here: keys are attributed to the fallback device',
      { fallback: this.fallback },
    );
  }

  /** Lists the keyboards again; reports the ones that came and went. */
  private refreshKeyboards(): void {
    const raw = this.raw;
    const processor = this.processor;
    if (!raw || !processor) return;
    let infos;
    try {
      infos = raw.keyboards();
    } catch (err) {
      processor.error('raw-input-failed', `listing keyboards failed: ${(err as Error).message}`);
      return;
    }
    const next = new Map<bigint, DeviceDescriptor>();
    for (const info of infos) next.set(info.handle, describeRawKeyboard(info));
    const before = new Set([...this.keyboards.values()].map((d) => d.id));
    const after = new Set([...next.values()].map((d) => d.id));
    for (const d of this.keyboards.values()) if (!after.has(d.id)) processor.deviceRemoved(d.id);
    for (const d of next.values()) if (!before.has(d.id)) processor.deviceAdded(d);
    this.keyboards = next;
    this.fallback = fallbackDevice([...next.values()]);
  }

  devices(): DeviceDescriptor[] {
    return [...this.keyboards.values(), UNATTRIBUTED_KEYBOARD];
  }

  deviceStats(): WindowsDeviceStats {
    return {
      rawInput: this.raw !== null,
      attributed: this.attribution.matched,
      unattributed: this.attribution.unmatched,
      late: this.late,
    };
  }

  /** Pass every key through untouched (true) or remap again (false). */
  setSuspended(suspended: boolean): void {
    this.suspended = suspended;
  }

  /**
   * Runs the message loop on the calling thread until stop() or breakLoop(). Keys are handled
   * inside it (the hook); deadlines fire between waits.
   */
  runLoop(hooks: WindowsLoopHooks = {}): WindowsLoopExit {
    const w = this.w;
    if (!w || !this.processor) throw new Error('WindowsBackend.runLoop() before start()');
    if (this.looping) throw new Error('WindowsBackend.runLoop() is already running');
    this.looping = true;
    this.breakRequested = false;
    const pollMs = this.opts.pollMs ?? 20;
    try {
      while (!this.stopRequested && !this.breakRequested) {
        const deadline = this.processor.nextDeadline();
        const now = monotonicUs();
        const waitMs = deadline === null ? pollMs : Math.min(pollMs, Math.max(0, (deadline - now) / 1000));
        w.pump(waitMs);
        this.context?.poll(monotonicUs());
        this.tick();
        hooks.afterIteration?.();
        hooks.onWake?.();
      }
    } finally {
      this.looping = false;
      if (this.stopRequested) this.cleanup();
    }
    return this.stopRequested ? 'stopped' : 'interrupted';
  }

  /** One look at the message queue without waiting (while the loop is left for a script). */
  pumpOnce(): void {
    if (!this.w || this.stopRequested) return;
    this.w.pump(0);
    this.context?.poll(monotonicUs());
    this.tick();
  }

  private tick(): void {
    const processor = this.processor!;
    const deadline = processor.nextDeadline();
    const now = monotonicUs();
    if (deadline === null || deadline > now) return;
    let outputs: OutputEvent[];
    try {
      outputs = processor.tick(now);
    } catch (err) {
      processor.error('engine-error', `tick failed: ${(err as Error).message}`);
      return;
    }
    if (outputs.length > 0) this.write(outputs);
  }

  breakLoop(): void {
    this.breakRequested = true;
  }

  /** Unhooks (at once, or after the current loop iteration); never blocks. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (!this.looping) this.cleanup();
  }

  private cleanup(): void {
    const unhook = this.unhook;
    this.unhook = null;
    unhook?.();
    this.raw?.close();
    this.raw = null;
    this.context?.stop();
    this.context = null;
  }
}
