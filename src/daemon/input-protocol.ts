/** Messages between the daemon's main thread and the input thread. Plain data only. */
import type {
  Config,
  Decision,
  EngineState,
  KeyAction,
  MappingKind,
  OutputAction,
  ScriptStep,
} from '../core/index.ts';

/** One output event as the daemon reports it: a key by name, or pointer motion on an axis (`X`, `Wheel` …). */
export interface OutputRecordEvent {
  key: string;
  action: OutputAction;
  timeUs: number;
  /** `move` only: the signed distance */
  value?: number;
}
import type { PipeBackend } from '../platform/linux/index.ts';
import type { BackendKind, DeviceDescriptor } from '../platform/types.ts';

export interface LatencyStats {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** the mean (KeyRx's avg_us, GET /api/metrics/latency) */
  mean?: number;
}

/** One processed input (or a deadline decision, or the releases of a profile swap). */
export interface KeyRecord {
  k: 'key';
  /** µs since the epoch */
  wallUs: number;
  device: string;
  key: string;
  action: KeyAction | 'timeout' | 'release-all';
  /** `timeUs`: when the engine emitted it, µs since the epoch */
  outputs: OutputRecordEvent[];
  mapping: MappingKind | 'none';
  decision: Decision | 'release-all';
  latencyUs: number;
}

export interface StateRecord {
  k: 'state';
  wallUs: number;
  modifiers: string[];
  locks: string[];
}

export type MonitorRecord = KeyRecord | StateRecord;

export interface DeviceSetting {
  enabled: boolean;
}

/**
 * The input context the daemon keeps (focused application, window title, input method,
 * language): runtime state, set through the API and applied to every engine.
 */
export interface InputContext {
  app: string;
  title: string;
  ime: boolean;
  language: string;
}

export type ToInput =
  | {
      t: 'init';
      backend: BackendKind;
      config: Config;
      devices: Record<string, DeviceSetting>;
      emergencyChord: string[];
      latencyIntervalMs: number;
      /** applied to the first engine and, by the input thread, to every engine a swap builds */
      context: InputContext;
      /** linux: the eventfd the main thread signals after posting a message (the loop blocks in ppoll) */
      wakeFd?: number;
      /** linux, benchmarks and host tests only: pipes instead of devices (LinuxBackendOptions.pipes) */
      pipes?: PipeBackend;
      /** windows: show the tray icon (its window lives on the input thread, pumped by the hook's loop) */
      tray?: boolean;
    }
  | { t: 'swap'; id: number; config: Config }
  | { t: 'inject'; id: number; steps: ScriptStep[]; instant: boolean }
  | { t: 'state'; id: number }
  /** the fields to replace (PUT /api/context); the ack's result is the whole context after it */
  | { t: 'context'; id: number; context: Partial<InputContext> }
  | { t: 'devices'; devices: Record<string, DeviceSetting> }
  | { t: 'settings'; emergencyChord: string[]; latencyIntervalMs: number }
  /** windows: every key passes through untouched while `on` (the tray's Suspend/Resume) */
  | { t: 'suspend'; id: number; on: boolean }
  | { t: 'shutdown'; id: number };

export type FromInput =
  | {
      t: 'ready';
      backend: BackendKind;
      devices: DeviceDescriptor[];
      /** how the input thread is scheduled (linux: SCHED_FIFO where permitted, else why not) */
      scheduling?: string;
    }
  | { t: 'ack'; id: number; result?: unknown; error?: string }
  | { t: 'batch'; records: MonitorRecord[] }
  | { t: 'device'; change: 'added' | 'removed'; device: DeviceDescriptor }
  | { t: 'error'; code: string; message: string; context?: Record<string, unknown> }
  | { t: 'latency'; window: LatencyStats; total: LatencyStats; eventsProcessed: number; intervalMs: number }
  | { t: 'emergency'; keys: string[] }
  /**
   * the backend saw the context change (windows: the foreground window, its language or IME):
   * the input thread's whole context after the change, already applied to the engine
   */
  | { t: 'context'; context: InputContext }
  | { t: 'log'; message: string; context?: Record<string, unknown> }
  /** windows: a choice in the tray icon's menu, for the daemon to carry out */
  | { t: 'tray'; action: TrayAction };

/** The tray menu's items (src/platform/windows/tray.ts). */
export type TrayAction = 'open-ui' | 'reload' | 'suspend' | 'resume' | 'exit';

export interface InjectResult {
  events: number;
  durationMs: number;
}

export type EngineStateResult = EngineState;
