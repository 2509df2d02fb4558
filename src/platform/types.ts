/**
 * The contract between the input thread and an input backend (virtual, linux).
 *
 * A backend owns its devices and its output device. The input thread owns the engine and
 * hands the backend a KeyProcessor: for every key event the backend calls process(), writes
 * the returned events to its output device at once (no thread hop on the key path), then
 * reports the processed event for monitoring.
 */
import type { KeyAction, OutputEvent } from '../core/index.ts';

export interface KeyInput {
  /** Linux key code */
  key: number;
  action: KeyAction;
  /** CLOCK_MONOTONIC microseconds (the kernel's event time when it has one) */
  timeUs: number;
  /** device handle, the DeviceDescriptor id */
  device: string;
}

export interface DeviceDescriptor {
  /** stable id: vendor:product plus a hash of name and phys, so a replug gets the same id */
  id: string;
  name: string;
  /** /dev/input/eventN (linux) */
  path?: string;
  vendor?: number;
  product?: number;
  phys?: string;
  uniq?: string;
  isKeyboard: boolean;
  isPointer: boolean;
  grabbed: boolean;
}

/** What device patterns (`device_start`, `when_device_start`) match for a device. */
export function deviceIdentity(d: DeviceDescriptor): {
  name: string;
  id: string;
  serial?: string;
  phys?: string;
} {
  return { name: d.name, id: d.id, serial: d.uniq, phys: d.phys };
}

/** What the input thread gives a backend: the engine plus reporting, all synchronous. */
export interface KeyProcessor {
  /** Runs the engine for one input; the backend writes the returned events immediately. */
  process(input: KeyInput): OutputEvent[];
  /** Deadlines due at `nowUs` (tap-hold timeouts); write the returned events. */
  tick(nowUs: number): OutputEvent[];
  /** When tick() must run next (µs, same clock), or null. */
  nextDeadline(): number | null;
  /** Called after the output of `input` was written: latency and monitoring. */
  processed(input: KeyInput, outputs: OutputEvent[], writtenAtUs: number): void;
  deviceAdded(device: DeviceDescriptor): void;
  deviceRemoved(id: string): void;
  error(code: string, message: string, context?: Record<string, unknown>): void;
  /** Should events of this device be remapped (false: pass through / not grabbed)? */
  isDeviceEnabled(id: string): boolean;
}

/** The input backends: virtual (scripts only), linux (evdev + uinput), windows (LL hook + SendInput). */
export type BackendKind = 'virtual' | 'linux' | 'windows';

export interface InputBackend {
  readonly kind: BackendKind;
  /** Starts delivering events to the processor. */
  start(processor: KeyProcessor): Promise<void>;
  /** Writes output events produced outside process()/tick() (releaseAll on a profile swap). */
  write(events: OutputEvent[]): void;
  devices(): DeviceDescriptor[];
  /** Releases grabs and closes everything; must never hang. */
  stop(): Promise<void>;
}

/** Monotonic clock in µs, the clock of evdev events after EVIOCSCLOCKID(CLOCK_MONOTONIC). */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
