/**
 * The key path first: before the daemon loads its HTTP server, compiler and schemas (hundreds of
 * milliseconds of module loading, many seconds on a slow machine), the input thread starts with
 * the active profile from its verified cache, so keyboards are remapped from the first key on.
 * Everything here has light imports only; the Daemon takes over what this started
 * (DaemonOptions.early) and checks the rest of the config directory as before.
 *
 * The input thread is started here only when the profile it must run is known without compiling:
 * the saved active profile with a current cache (or no active profile: keys pass through). In
 * every other case (first start, a cache to rebuild, a rename to settle, `run -c FILE`) the
 * Daemon starts it once the profile is compiled — never with a placeholder that would let keys
 * through unmapped.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../core/index.ts';
import type { PipeBackend } from '../platform/linux/index.ts';
import type { BackendKind, DeviceDescriptor } from '../platform/types.ts';
import type { ConfigDirCheck } from './config-dir.ts';
import { secureConfigDir } from './config-dir.ts';
import { DaemonError } from './errors.ts';
import { InputThread } from './input-host.ts';
import type { DeviceSetting, FromInput, InputContext } from './input-protocol.ts';
import type { InputSettings } from './input-settings.ts';
import { inputSettingsOf } from './input-settings.ts';
import type { InstanceLock } from './instance-lock.ts';
import { acquireInstanceLock } from './instance-lock.ts';
import { isValidProfileName } from './names.ts';
import { configPaths } from './paths.ts';
import { currentCachedConfig, nodeSha256Hex } from './profile-cache.ts';
import { ProfileStore } from './profile-store.ts';

export type BackendChoice = BackendKind | 'auto';

/** The config that lets every key through: no profile active. */
export const PASS_THROUGH: Config = { version: 1, devices: [] };

/** The context every engine starts with (the daemon keeps it; it is never saved). */
export const EMPTY_CONTEXT: InputContext = { app: '', title: '', ime: false, language: '' };

type Warn = (context: Record<string, unknown>, message: string) => void;

/**
 * The backend to run: the one asked for, or with `auto` the platform's when it can be used (else
 * the virtual one, with a warning saying why). BACKEND_UNAVAILABLE when the one asked for cannot.
 */
export async function chooseBackend(
  choice: BackendChoice,
  opts: { pipes: boolean; warn: Warn },
): Promise<BackendKind> {
  if (choice === 'virtual') return 'virtual';
  if (opts.pipes) return 'linux';
  if (choice === 'windows' || (choice === 'auto' && process.platform === 'win32')) {
    const { canUseWindowsBackend } = await import('../platform/windows/availability.ts');
    const available = canUseWindowsBackend();
    if (available.ok) return 'windows';
    if (choice === 'windows')
      throw new DaemonError('BACKEND_UNAVAILABLE', `--backend windows: ${available.reason}`);
    opts.warn(
      { reason: available.reason },
      'backend auto: the keyboard hook cannot be used, using the virtual backend',
    );
    return 'virtual';
  }
  const { canUseLinuxBackend } = await import('../platform/linux/availability.ts');
  const available = await canUseLinuxBackend();
  if (available.ok) return 'linux';
  const why = `${available.reason}${available.fix ? `\nfix: ${available.fix}` : ''}`;
  if (choice === 'linux') throw new DaemonError('BACKEND_UNAVAILABLE', `--backend linux: ${why}`);
  opts.warn(
    { reason: available.reason, fix: available.fix },
    'backend auto: keyboards cannot be grabbed, using the virtual backend',
  );
  return 'virtual';
}

/** A running input thread, for the Daemon to take over. */
export class StartedInput {
  constructor(
    readonly thread: InputThread,
    readonly backend: BackendKind,
    readonly wakeFd: number,
    readonly devices: DeviceDescriptor[],
    /** the thread's scheduling, as its start reported it */
    readonly scheduling: string | undefined,
    /** the profile it runs; null: none is active (keys pass through) */
    readonly profile: { name: string; config: Config } | null,
    readonly settings: InputSettings,
    /** the remapping switches it started with (devices.json) */
    readonly switches: Record<string, DeviceSetting>,
    /** what the thread said before the daemon listened (from before its start on) */
    private readonly backlog: Backlog,
  ) {}

  /** Hands the thread's messages to `listener` from now on, after those it sent meanwhile. */
  takeOver(listener: (m: FromInput) => void): void {
    this.thread.off('message', this.backlog.collect);
    this.thread.on('message', listener);
    for (const m of this.backlog.messages.splice(0)) listener(m);
  }
}

class Backlog {
  readonly messages: FromInput[] = [];
  readonly collect = (m: FromInput): void => {
    if (m.t !== 'ready') this.messages.push(m); // the start's own reply
  };
}

export interface EarlyStart {
  /** the config directory checked (and tightened) */
  dirCheck: ConfigDirCheck;
  lock: InstanceLock & { unlocked?: string };
  /** null: the Daemon starts the input thread itself, once it knows the profile */
  input: StartedInput | null;
  /** why there is no input thread yet (for the log) */
  deferred?: string;
}

async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined; // missing or broken: the daemon reads it again and reports what is wrong
  }
}

/** The profile the saved state names, from its current cache; or why it cannot be had so. */
async function savedProfile(
  root: string,
): Promise<{ profile: { name: string; config: Config } | null } | { deferred: string }> {
  const paths = configPaths(root);
  const state = (await readJsonFile(paths.state)) as
    { activeProfile?: unknown; renamedFrom?: unknown } | undefined;
  if (state === undefined) return { deferred: 'no saved active profile' };
  if (state.renamedFrom !== undefined) return { deferred: 'a profile rename to settle' };
  const name = state.activeProfile;
  if (name === null) return { profile: null };
  if (!isValidProfileName(name)) return { deferred: 'state.json names no valid profile' };
  const store = new ProfileStore(paths);
  try {
    const [source, bytes] = await Promise.all([store.read(name), store.readCache(name)]);
    if (!bytes) return { deferred: `no cache of '${name}'` };
    const config = await currentCachedConfig(bytes, nodeSha256Hex(source), store.sourcePath(name), root);
    return config ? { profile: { name, config } } : { deferred: `the cache of '${name}' is out of date` };
  } catch (e) {
    return { deferred: `the cache of '${name}' cannot be used (${(e as Error).message})` };
  }
}

/** devices.json's remapping switches (the rest of each device's settings is the Daemon's). */
function deviceSwitchesOf(data: unknown): Record<string, DeviceSetting> {
  const devices = (data as { devices?: unknown } | undefined)?.devices;
  const out: Record<string, DeviceSetting> = {};
  if (typeof devices !== 'object' || devices === null || Array.isArray(devices)) return out;
  for (const [id, d] of Object.entries(devices as Record<string, unknown>)) {
    const enabled = (d as { enabled?: unknown } | null)?.enabled;
    if (typeof enabled === 'boolean') out[id] = { enabled };
  }
  return out;
}

/**
 * Checks and locks the config directory, then starts the input thread with the saved active
 * profile when its cache is current (see the module comment). `deferInput`: leave the input
 * thread to the Daemon (`run -c FILE` changes the profile first).
 */
export async function startInputFirst(opts: {
  configDir: string;
  backend: BackendChoice;
  tray: boolean;
  pipes?: PipeBackend;
  deferInput?: string;
  warn: Warn;
}): Promise<EarlyStart> {
  const root = opts.configDir;
  const dirCheck = await secureConfigDir(root);
  const lock = await acquireInstanceLock(root);
  if (opts.deferInput) return { dirCheck, lock, input: null, deferred: opts.deferInput };
  try {
    const saved = await savedProfile(root);
    if ('deferred' in saved) return { dirCheck, lock, input: null, deferred: saved.deferred };
    const paths = configPaths(root);
    const [settingsData, devicesData] = await Promise.all([
      readJsonFile(paths.settings),
      readJsonFile(paths.devices),
    ]);
    const settings = inputSettingsOf(settingsData);
    const backend = await chooseBackend(opts.backend, { pipes: opts.pipes !== undefined, warn: opts.warn });
    const thread = new InputThread();
    const backlog = new Backlog();
    thread.on('message', backlog.collect);
    let wakeFd = -1;
    if (backend === 'linux') {
      const { createWakeFd, signalWake } = await import('../platform/linux/wake.ts');
      wakeFd = createWakeFd();
      thread.setWake(wakeFd, signalWake);
    }
    const config = saved.profile?.config ?? PASS_THROUGH;
    const switches = deviceSwitchesOf(devicesData);
    try {
      const ready = await thread.init({
        t: 'init',
        backend,
        config,
        devices: switches,
        emergencyChord: settings.emergencyExitChord,
        latencyIntervalMs: settings.latencyIntervalMs,
        context: { ...EMPTY_CONTEXT },
        wakeFd,
        pipes: opts.pipes,
        tray: opts.tray,
      });
      const input = new StartedInput(
        thread,
        backend,
        wakeFd,
        ready.devices,
        ready.scheduling,
        saved.profile,
        settings,
        switches,
        backlog,
      );
      return { dirCheck, lock, input };
    } catch (e) {
      await stopThread(thread, wakeFd);
      throw e;
    }
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** Stops what startInputFirst() started, when the Daemon never took it over (a signal, a failure). */
export async function stopEarlyStart(early: EarlyStart): Promise<void> {
  if (early.input) await stopThread(early.input.thread, early.input.wakeFd);
  early.lock.release();
}

/** Ends the thread (whatever its state), then closes its wake fd: it may be signalled until then. */
async function stopThread(thread: InputThread, wakeFd: number): Promise<void> {
  await thread.shutdown().catch(() => undefined);
  if (wakeFd < 0) return;
  const { closeWakeFd } = await import('../platform/linux/wake.ts');
  closeWakeFd(wakeFd);
}
