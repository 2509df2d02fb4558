/**
 * The daemon runtime: profile store and activation, settings, devices, persistence, the
 * input thread and the event hub. The server talks to this class only.
 */
import { randomBytes } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import { watch, type FSWatcher } from 'node:fs';
import { chmod, lstat, mkdir, readFile, realpath, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type {
  BaseMapping,
  Condition,
  Config,
  EngineState,
  KeyDescription,
  MappingChange,
  SimulationResult,
} from '../core/index.ts';
import {
  canonicalLayoutId,
  configStats,
  describeMapping,
  diffConfigs,
  isBuiltInLayoutId,
  isValidCustomLayoutId,
  keyName,
  layerName,
  matchDeviceBlock,
  parseScript,
  plural,
  ScriptSyntaxError,
  simulate,
} from '../core/index.ts';
import { BUNDLED_PREFIX } from '../dsl/bundled-stdlib.ts';
import type { Diagnostic } from '../dsl/diagnostics.ts';
import type { EditErrorCode, KeyEdit } from '../dsl/edit.ts';
import { keyMapping } from '../dsl/edit.ts';
import type { LayerInfo } from '../dsl/edit-layers.ts';
import { findLayer, isLayerCondition, knownLayersText, listLayers } from '../dsl/edit-layers.ts';
import type { ProfileEdit } from '../dsl/profile-edit.ts';
import { encodeKrx, KrxError } from '../dsl/krx.ts';
import type { PipeBackend } from '../platform/linux/index.ts';
import type { BackendKind, DeviceDescriptor } from '../platform/types.ts';
import { removeStaleTemps, writeFileAtomic } from './atomic.ts';
import type { CompileOutcome } from './compiler.ts';
import { CompilerService } from './compiler.ts';
import { secureConfigDir } from './config-dir.ts';
import type { DaemonErrorCode } from './errors.ts';
import { DaemonError, storageError } from './errors.ts';
import type { DiagnosticsError, DiagnosticsReport } from './diagnostics.ts';
import type { ProfileBundle } from './bundle.ts';
import type { KeyRecordLike, MacroOptions, RecordingState } from './macro-recorder.ts';
import { MacroRecorder, macroSteps, stepsText } from './macro-recorder.ts';
import { BUNDLE_KIND, BUNDLE_VERSION, checkBundlePath, parseBundle } from './bundle.ts';
import { redact, REDACTIONS, runtimeInfo } from './diagnostics.ts';
import { EventHub } from './event-hub.ts';
import type { BackendChoice, EarlyStart, StartedInput } from './input-first.ts';
import { chooseBackend, EMPTY_CONTEXT, PASS_THROUGH } from './input-first.ts';
import { InputThread } from './input-host.ts';
import { LayoutStore } from './layout-store.ts';
import type { InstanceLock } from './instance-lock.ts';
import { acquireInstanceLock } from './instance-lock.ts';
import type {
  DeviceSetting,
  FromInput,
  InjectResult,
  InputContext,
  KeyRecord,
  LatencyStats,
  TrayAction,
} from './input-protocol.ts';
import { Mutex } from './mutex.ts';
import { checkProfileName, isValidProfileName } from './names.ts';
import type { ConfigPaths } from './paths.ts';
import { configPaths } from './paths.ts';
import { currentCachedConfig, nodeSha256, nodeSha256Hex } from './profile-cache.ts';
import { ProfileStore } from './profile-store.ts';
import type { Settings } from './settings.ts';
import { defaultSettings, mergeSettings, validateSettings } from './settings.ts';
import type { TemplateName } from './templates.ts';
import { isTemplateName, renderTemplate, TEMPLATE_DESCRIPTIONS, TEMPLATE_NAMES } from './templates.ts';
import { VERSION } from './version.ts';

/** A profile after an edit without code: saved, reloaded when active, and what the edit left alone. */
export type EditedProfile = ProfileDetail & { reloaded: boolean; notes: string[] };

/** Two profiles compared (diffProfiles). */
export interface ProfileDiff {
  from: string;
  to: string;
  identical: boolean;
  /** unified diff of the sources, from the first hunk (empty when identical) */
  patch: string;
  /** keys whose mapping differs, or null when one side does not compile (`uncompiled` says which) */
  changes: MappingChange[] | null;
  uncompiled?: string;
}

/** One layer with the mappings of its own when-blocks. */
export interface LayerDetail extends LayerInfo {
  mappings: { block: number; key: string; mapping: BaseMapping; description: KeyDescription | null }[];
}

const KEY_EDIT_ERRORS: Record<EditErrorCode, DaemonErrorCode> = {
  E_EDIT_PROFILE: 'PROFILE_INVALID',
  E_EDIT_TARGET: 'KEY_EDIT_INVALID',
  E_EDIT_FROM_CODE: 'KEY_FROM_CODE',
  E_EDIT_REFUSED: 'KEY_EDIT_REFUSED',
  E_EDIT_CLASH: 'KEY_EDIT_REFUSED',
};

const LAYER_EDIT_ERRORS: Record<EditErrorCode, DaemonErrorCode> = {
  E_EDIT_PROFILE: 'PROFILE_INVALID',
  E_EDIT_TARGET: 'LAYER_EDIT_INVALID',
  E_EDIT_FROM_CODE: 'LAYER_FROM_CODE',
  E_EDIT_REFUSED: 'LAYER_EDIT_REFUSED',
  E_EDIT_CLASH: 'LAYER_EXISTS',
};

function layerNotFound(profile: string, wanted: string, layers: readonly LayerInfo[]): DaemonError {
  return new DaemonError(
    'LAYER_NOT_FOUND',
    `'${profile}' has no layer '${wanted}'${knownLayersText(layers)}`,
  );
}

export type { BackendChoice } from './input-first.ts';

export interface DaemonOptions {
  configDir: string;
  backend?: BackendChoice;
  logger: Logger;
  /**
   * Benchmarks and host tests only: the linux backend on pipes instead of devices
   * (LinuxBackendOptions.pipes; bench/pipeline.bench.ts). Implies the linux backend.
   */
  linuxPipes?: PipeBackend;
  /**
   * windows backend: show the tray icon (Open UI, Reload, Suspend/Resume, Exit); the Linux one is
   * started by the CLI (src/cli/daemon-command.ts) on the main thread. Off unless asked
   * (`keyrx daemon` asks on Windows; tests do not).
   */
  tray?: boolean;
  /** what the CLI's start did before the Daemon was loaded (input-first.ts): adopted, not redone */
  early?: EarlyStart;
}

export interface CompileErrorSummary {
  message: string;
  line: number;
  column: number;
  count: number;
}

export interface ProfileMeta {
  name: string;
  active: boolean;
  size: number;
  modifiedAt: string;
  devices: number | null;
  mappings: number | null;
  layers: number | null;
  lastCompileError: CompileErrorSummary | null;
}

export interface ProfileDetail extends ProfileMeta {
  source: string;
  diagnostics: Diagnostic[];
}

export interface ActivationResult {
  profile: string;
  compileMs: number;
  cached: boolean;
  activatedAt: string;
}

export interface CompileReport {
  ok: boolean;
  diagnostics: Diagnostic[];
  stats: { devices: number; mappings: number; layers: number } | null;
  compileMs: number;
}

export interface DeviceInfo {
  id: string;
  /** the user's name for it, else the device's own */
  name: string;
  deviceName: string;
  enabled: boolean;
  connected: boolean;
  grabbed: boolean;
  backend: BackendKind;
  path: string | null;
  /** USB/Bluetooth vendor and product ids, serial number, physical path (Linux phys, Windows instance id) */
  vendor: number | null;
  product: number | null;
  serial: string | null;
  phys: string | null;
  layout: string | null;
  /** index and pattern of the active profile's device block this device uses */
  matchedBlock: { index: number; pattern: string } | null;
}

export interface DevicePatch {
  name?: string;
  enabled?: boolean;
  /** a built-in layout id (or old alias: stored as the new id) or a custom layout's id */
  layout?: string | null;
}

export type { InputContext };

/** The input context as the API shows it. */
export interface ContextInfo extends InputContext {
  /** when the context last changed; null: not since the daemon started */
  updatedAt: string | null;
}

export type ContextPatch = Partial<InputContext>;

const CONTEXT_FIELDS = ['app', 'title', 'ime', 'language'] as const;

/** The engine's state with names for key codes and layer ids (the rest as the engine has it). */
export type NamedEngineState = Omit<
  EngineState,
  'modifiers' | 'locks' | 'held' | 'pending' | 'outputDown'
> & {
  modifiers: string[];
  locks: string[];
  held: { device: string; key: string }[];
  pending: { device: string; key: string; sinceUs: number; deadlineUs: number }[];
  outputDown: string[];
};

export type EngineStateInfo = NamedEngineState & { activeProfile: string | null };

/** Names for the codes and ids of an engine state (`GET /api/state`, a simulation's final state). */
export function namedState(s: EngineState): NamedEngineState {
  const { modifiers, locks, held, pending, outputDown, ...rest } = s;
  return {
    modifiers: modifiers.map((id) => layerName('MD', id)),
    locks: locks.map((id) => layerName('LK', id)),
    held: held.map((h) => ({ device: h.device, key: keyName(h.key) })),
    pending: pending.map((p) => ({ ...p, key: keyName(p.key) })),
    outputDown: outputDown.map(keyName),
    ...rest,
  };
}

export interface OutputRecord {
  time: number;
  device: string;
  /** a key, or for `move` an axis (`X`, `Y`, `Wheel` …) */
  key: string;
  action: string;
  /** `move` only: the signed distance */
  value?: number;
}

interface IndexEntry {
  name: string;
  size: number;
  modifiedAt: Date;
  sourceHash: string;
  stats: { devices: number; mappings: number; layers: number } | null;
  diagnostics: Diagnostic[];
}

interface StoredDevice {
  name?: string;
  enabled: boolean;
  layout?: string;
  deviceName?: string;
  /**
   * settings migrated from KeyRx, waiting for their keyboard: KeyRx named a device by its serial
   * number or its evdev path; the first device connected with that serial (or path) takes them
   */
  keyrxMatch?: { serial?: string; path?: string };
}

/** Real-time injection holds the request open; longer scripts must use ?instant=true. */
export const MAX_INJECT_REALTIME_MS = 120_000;

function summarize(diagnostics: Diagnostic[]): CompileErrorSummary | null {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length === 0) return null;
  return {
    message: errors[0].message,
    line: errors[0].span.line,
    column: errors[0].span.column,
    count: errors.length,
  };
}

function report(outcome: CompileOutcome): CompileReport {
  return {
    ok: outcome.ok,
    diagnostics: outcome.diagnostics,
    stats: outcome.config ? configStats(outcome.config) : null,
    compileMs: Math.round(outcome.compileMs * 1000) / 1000,
  };
}

export class Daemon {
  readonly paths: ConfigPaths;
  readonly hub: EventHub;
  readonly startedAt = new Date();
  /** differs on every start, so a client can tell a restarted daemon (whose seqs start again) */
  readonly instanceId = randomBytes(8).toString('hex');
  readonly log: Logger;
  settings: Settings = defaultSettings();
  token = '';
  backend: BackendKind = 'virtual';
  /** the server reports its WebSocket client count here */
  wsClientCount: () => number = () => 0;
  /** called when the emergency chord is pressed or the input thread dies */
  onFatal: (reason: string) => void = () => undefined;
  /** the tray's Exit: stop the process cleanly (the CLI's shutdown) */
  onExitRequested: (reason: string) => void = () => undefined;
  /** the tray's Open UI: open a one-time login URL in the browser (the CLI knows the server) */
  onOpenUi: () => void = () => undefined;
  /** every new key press passes through untouched (the global Suspend switch: REST, CLI, UI, tray) */
  suspended = false;
  /** custom keyboard layouts (<config dir>/layouts) beside the built-in ones */
  readonly layoutStore: LayoutStore;

  private readonly store: ProfileStore;
  private readonly compiler: CompilerService;
  private input: InputThread | null = null;
  /** while start() picks the profile, before the input thread runs: the config it will start with */
  private configBeforeInput: Config | null = null;
  private readonly lock = new Mutex();
  /** macro recording (macro-recorder.ts): in memory only */
  private readonly recorder: MacroRecorder;
  /** the last errors reported (for the diagnostics report) */
  private readonly recentErrors: DiagnosticsError[] = [];
  /** the main thread's event-loop delay since start (the diagnostics report) */
  private loopDelay: IntervalHistogram | null = null;
  /** suspend/resume in the order asked, apart from the profile lock (a long compile must not hold it) */
  private readonly suspendLock = new Mutex();
  /** bumped by every change the profile list shows (entries, the active one), for reply caches */
  private listVersion = 0;
  private readonly index = new ChangeCountingMap<string, IndexEntry>(() => this.listVersion++);
  private activeProfile: { name: string; activatedAt: Date; config: Config } | null = null;
  private get active(): { name: string; activatedAt: Date; config: Config } | null {
    return this.activeProfile;
  }
  private set active(value: { name: string; activatedAt: Date; config: Config } | null) {
    this.activeProfile = value;
    this.listVersion++;
  }
  private storedDevices: Record<string, StoredDevice> = {};
  private readonly connected = new Map<string, DeviceDescriptor>();
  private outputs: OutputRecord[] = [];
  private latency: { window: LatencyStats; total: LatencyStats; intervalMs: number } | null = null;
  private eventsProcessed = 0;
  private watcher: FSWatcher | null = null;
  private readonly reindexTimers = new Map<string, NodeJS.Timeout>();
  private stopping = false;
  private prepared = false;
  private ready = false;
  private instanceLock: InstanceLock | null = null;
  private wakeFd = -1;
  private lastLatencyCount = 0;
  private readonly linuxPipes: PipeBackend | undefined;
  private readonly tray: boolean;
  /**
   * Focused application, window title, input method and language: runtime state, never saved.
   * Every engine gets it: the first one, and the new one of every profile swap.
   */
  private inputContext: InputContext = { ...EMPTY_CONTEXT };
  private inputScheduling: string | null = null;
  /** the CLI's early start (input-first.ts), until start() has taken it over */
  private early: EarlyStart | undefined;
  private contextUpdatedAt: Date | null = null;

  constructor(opts: DaemonOptions) {
    this.early = opts.early;
    // from now on stop() shuts down an input thread the early start runs
    if (opts.early?.input) {
      this.input = opts.early.input.thread;
      this.wakeFd = opts.early.input.wakeFd;
    }
    this.linuxPipes = opts.linuxPipes;
    this.tray = opts.tray === true;
    this.paths = configPaths(opts.configDir);
    // load() may read <configDir>/stdlib: the config dir in use, not the default one
    this.compiler = new CompilerService({ configDir: this.paths.root });
    this.store = new ProfileStore(this.paths);
    this.layoutStore = new LayoutStore(this.paths.root);
    this.log = opts.logger;
    this.hub = new EventHub(this.settings.wsRingSize);
    this.recorder = new MacroRecorder((by) =>
      this.hub.publish('recording', { ...this.recordingSummary(), stoppedBy: by }),
    );
    this.hub.subscribe((e) => {
      if (e.type === 'key' && this.recorder.recording)
        this.recorder.record({ ...(e.data as KeyRecordLike), wallUs: e.time });
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Everything before the daemon serves or remaps, changing nothing a running daemon uses: the
   * config directory checked and tightened, its lock taken (a second daemon stops here, before it
   * touches anything), the token, settings and devices read. The CLI binds the port after this
   * and calls start() only once the port is its own.
   */
  async prepare(): Promise<void> {
    if (this.prepared) return;
    const check = this.early?.dirCheck ?? (await secureConfigDir(this.paths.root));
    for (const fixed of check.fixed)
      this.log.warn({ fixed }, 'the config directory was writable by others: mode tightened');
    if (check.truncated)
      this.log.warn({ dir: this.paths.root }, 'the config directory has too many entries to check them all');
    const lock = this.early?.lock ?? (await acquireInstanceLock(this.paths.root));
    if (lock.unlocked)
      this.log.warn({ dir: this.paths.root }, `not locking the config directory: ${lock.unlocked}`);
    this.instanceLock = lock;
    await this.store.ensureDirs();
    for (const dir of [this.paths.root, this.paths.profiles, this.paths.cache, this.layoutStore.dir]) {
      const removed = await removeStaleTemps(dir);
      if (removed > 0) this.log.info({ dir, removed }, 'removed temp files left by an interrupted write');
    }
    this.token = await this.loadToken();
    this.settings = await this.loadSettings();
    this.hub.resize(this.settings.wsRingSize);
    this.storedDevices = await this.loadDevices();
    this.prepared = true;
  }

  /**
   * The config directory without input, for the CLI when no daemon runs: profiles, keys, layers
   * and layouts can be read and edited through the same routes (the lock keeps a daemon from
   * starting meanwhile). Nothing is activated; what needs input answers BACKEND_UNAVAILABLE.
   */
  async openOffline(): Promise<void> {
    await this.prepare();
    await this.rebuildIndex();
    this.ready = true;
  }

  /** The input thread, or BACKEND_UNAVAILABLE when the config directory is open offline. */
  private inputThread(what: string): InputThread {
    if (this.input) return this.input;
    throw new DaemonError(
      'BACKEND_UNAVAILABLE',
      `no keyrx daemon is running for ${this.paths.root}: ${what} needs it (start it with: keyrx daemon)`,
    );
  }

  /**
   * Starts remapping. The profile to start with is known (from its verified cache, else compiled)
   * before the input thread grabs anything: the first key typed is remapped by it, never passed
   * through because the profile was not live yet.
   */
  async start(backend: BackendChoice = 'auto'): Promise<void> {
    await this.prepare();
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
    this.loopDelay.enable();
    const early = this.early?.input;
    this.early = undefined;
    if (early) this.adoptInput(early);
    else await this.startInput(backend);
    // the other profiles' metadata (compiling those without a valid cache) once keys are live
    await this.rebuildIndex();
    this.watchProfiles();
    this.ready = true;
  }

  /** The input thread the early start runs: its messages, devices and profile become the daemon's. */
  private adoptInput(early: StartedInput): void {
    this.backend = early.backend;
    this.input!.on('exit', (code) => this.inputExited(code));
    early.takeOver((m) => this.onInputMessage(m));
    // the settings and switches it started with were read without the full checks
    const { emergencyExitChord, latencyIntervalMs } = this.settings;
    if (
      emergencyExitChord.join() !== early.settings.emergencyExitChord.join() ||
      latencyIntervalMs !== early.settings.latencyIntervalMs
    )
      this.input!.post({ t: 'settings', emergencyChord: emergencyExitChord, latencyIntervalMs });
    const switches = this.enabledMap();
    if (JSON.stringify(switches) !== JSON.stringify(early.switches))
      this.input!.post({ t: 'devices', devices: switches });
    for (const d of early.devices) this.deviceConnected(d);
    this.noteScheduling(early.scheduling);
    if (!early.profile) return;
    const { name, config } = early.profile;
    this.active = { name, activatedAt: new Date(), config };
    this.hub.publish('profile', { action: 'activated', name, compileMs: 0, cached: true });
    this.log.info(
      { profile: name, cached: true },
      'restored the active profile (live before the API started)',
    );
  }

  private inputExited(code: number): void {
    if (this.stopping) return;
    this.reportError('INPUT_THREAD_EXITED', `the input thread stopped unexpectedly (exit ${code})`);
    this.onFatal('input thread exited');
  }

  /** Picks the profile (compiling it when its cache is not current), then starts the input thread with it. */
  private async startInput(backend: BackendChoice): Promise<void> {
    this.backend = await chooseBackend(backend, {
      pipes: this.linuxPipes !== undefined,
      warn: (context, message) => this.log.warn(context, message),
    });
    // activations before the input thread runs give the config it starts with (see swap)
    this.configBeforeInput = PASS_THROUGH;
    // First start: no profile and no activation ever saved (a start that failed before this
    // point, e.g. on a port in use, leaves neither, so the next one still counts as the first).
    if ((await this.store.list()).length === 0 && !(await exists(this.paths.state))) {
      await this.store.write('default', renderTemplate('default', this.settings.defaultTapHoldMs));
      await this.reindex('default');
      this.log.info('first start: created and activated the default profile');
      await this.activate('default');
    } else await this.restoreActive();
    const startConfig = this.configBeforeInput;
    this.configBeforeInput = null;

    this.input = new InputThread();
    if (this.backend === 'linux') {
      const { createWakeFd, signalWake } = await import('../platform/linux/index.ts');
      this.wakeFd = createWakeFd();
      this.input.setWake(this.wakeFd, signalWake);
    }
    this.input.on('message', (m) => this.onInputMessage(m));
    this.input.on('exit', (code) => this.inputExited(code));
    const ready = await this.input.init({
      t: 'init',
      backend: this.backend,
      config: startConfig,
      devices: this.enabledMap(),
      emergencyChord: this.settings.emergencyExitChord,
      latencyIntervalMs: this.settings.latencyIntervalMs,
      context: { ...this.inputContext },
      wakeFd: this.wakeFd,
      pipes: this.linuxPipes,
      // backends without a message loop of their own ignore it
      tray: this.tray,
    });
    for (const d of ready.devices) this.deviceConnected(d);
    this.noteScheduling(ready.scheduling);
  }

  /** How the input thread runs (SCHED_FIFO, or why not): logged once, in the diagnostics report. */
  private noteScheduling(scheduling: string | undefined): void {
    this.inputScheduling = scheduling ?? null;
    if (scheduling) this.log.info({ scheduling }, 'input thread scheduling');
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.loopDelay?.disable();
    this.watcher?.close();
    for (const t of this.reindexTimers.values()) clearTimeout(t);
    await this.input?.shutdown();
    await this.compiler.close();
    await this.store.flushCaches();
    if (this.wakeFd >= 0) {
      const { closeWakeFd } = await import('../platform/linux/index.ts');
      closeWakeFd(this.wakeFd);
      this.wakeFd = -1;
    }
    this.instanceLock?.release();
    this.instanceLock = null;
  }

  /** True once start() has finished: profiles indexed, the active one restored. */
  get isReady(): boolean {
    return this.ready;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  private async loadToken(): Promise<string> {
    try {
      const token = (await readFile(this.paths.token, 'utf8')).trim();
      if (/^[0-9a-f]{32,128}$/.test(token)) {
        if (process.platform === 'win32') await this.privateTokenOnWindows(false);
        else {
          const mode = (await stat(this.paths.token)).mode & 0o777;
          if (mode !== 0o600) {
            await chmod(this.paths.token, 0o600);
            this.log.warn({ was: mode.toString(8) }, 'token file permissions were too open; set to 0600');
          }
        }
        return token;
      }
      this.reportError('CONFIG_LOAD_FAILED', 'the token file is malformed; a new token was generated');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError('reading the API token', e);
    }
    const token = randomBytes(32).toString('hex');
    await writeFileAtomic(this.paths.token, `${token}\n`, 0o600);
    if (process.platform === 'win32') await this.privateTokenOnWindows(true);
    return token;
  }

  /**
   * Windows: modes mean nothing, the file's DACL decides (acl.ts). When anyone but its owner,
   * the system and administrators may read the token file — inherited from a shared config dir,
   * or changed since — it gets an owner-only DACL. (In %APPDATA% the inherited list is already
   * private.) A file system without ACLs (FAT) is logged, not fatal.
   */
  private async privateTokenOnWindows(created: boolean): Promise<void> {
    const { fileSddl, othersWithAccess, restrictToOwner } = await import('../platform/windows/acl.ts');
    try {
      const others = othersWithAccess(fileSddl(this.paths.token));
      if (others.length === 0) return;
      restrictToOwner(this.paths.token);
      const fixed = othersWithAccess(fileSddl(this.paths.token));
      if (fixed.length > 0) throw new Error(`still readable by ${fixed.join(', ')}`);
      if (created)
        this.log.info({ others }, 'the new token file inherited access for others; now its owner only');
      else this.log.warn({ others }, 'the token file was readable by others; now by its owner only');
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'the token file could not be made private to its owner');
    }
  }

  private async readJson(path: string, what: string): Promise<unknown | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.reportError('CONFIG_LOAD_FAILED', `cannot read ${what}: ${(e as Error).message}`, { path });
      return undefined;
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      this.reportError(
        'CONFIG_LOAD_FAILED',
        `${what} is not valid JSON (${(e as Error).message}); using defaults, the file is kept`,
        { path },
      );
      return undefined;
    }
  }

  private async loadSettings(): Promise<Settings> {
    const data = await this.readJson(this.paths.settings, 'settings.json');
    if (data === undefined) return defaultSettings();
    try {
      return validateSettings({ ...defaultSettings(), ...(data as object) });
    } catch (e) {
      this.reportError(
        'CONFIG_LOAD_FAILED',
        `settings.json: ${(e as Error).message}; using defaults, the file is kept`,
        {
          path: this.paths.settings,
        },
      );
      return defaultSettings();
    }
  }

  private async loadDevices(): Promise<Record<string, StoredDevice>> {
    const data = await this.readJson(this.paths.devices, 'devices.json');
    if (data === undefined) return {};
    const out: Record<string, StoredDevice> = {};
    const devices = (data as { devices?: unknown }).devices;
    if (typeof devices !== 'object' || devices === null || Array.isArray(devices)) {
      this.reportError(
        'CONFIG_LOAD_FAILED',
        'devices.json has no "devices" object; using defaults, the file is kept',
      );
      return {};
    }
    for (const [id, v] of Object.entries(devices as Record<string, unknown>)) {
      const d = v as Partial<StoredDevice>;
      if (typeof d !== 'object' || d === null || typeof d.enabled !== 'boolean') continue;
      out[id] = {
        enabled: d.enabled,
        ...(typeof d.name === 'string' ? { name: d.name.slice(0, 64) } : {}),
        // old ids (ansi, iso, jis) load as the new ones; a custom id is kept even if its file is gone
        ...(typeof d.layout === 'string' && (isBuiltInLayoutId(d.layout) || isValidCustomLayoutId(d.layout))
          ? { layout: canonicalLayoutId(d.layout) }
          : {}),
        ...(typeof d.deviceName === 'string' ? { deviceName: d.deviceName.slice(0, 256) } : {}),
        ...keyrxMatchOf(d.keyrxMatch),
      };
    }
    return out;
  }

  /** A device the backend has (at start, or plugged in since). */
  private deviceConnected(device: DeviceDescriptor): void {
    this.connected.set(device.id, device);
    this.adoptMigratedSettings(device);
  }

  /**
   * A keyboard connected: settings migrated from KeyRx that name it (by serial or path) become
   * its own, unless it has settings already.
   */
  private adoptMigratedSettings(device: DeviceDescriptor): void {
    if (this.storedDevices[device.id]) return;
    const found = Object.entries(this.storedDevices).find(([, d]) => {
      const m = d.keyrxMatch;
      return (
        m !== undefined &&
        ((m.serial !== undefined && m.serial === device.uniq) ||
          (m.path !== undefined && m.path === device.path))
      );
    });
    if (!found) return;
    const [oldId, stored] = found;
    void this.lock
      .run(async () => {
        if (this.storedDevices[device.id] || !this.storedDevices[oldId]) return;
        const next = { ...this.storedDevices };
        delete next[oldId];
        const { keyrxMatch: _match, ...settings } = stored;
        next[device.id] = { ...settings, deviceName: device.name };
        await this.saveDevices(next);
        this.log.info({ device: device.id, from: oldId }, 'device settings migrated from KeyRx applied');
        this.hub.publish('device', { action: 'updated', device: this.describeDevice(device.id) });
      })
      .catch((e: unknown) =>
        this.reportError('STORAGE_ERROR', `applying migrated device settings: ${String(e)}`),
      );
  }

  /**
   * `keyrx migrate`: KeyRx's device registry entries as settings waiting for their keyboards
   * (adoptMigratedSettings). Entries whose KeyRx id names neither a serial nor a path are skipped.
   */
  async addMigratedDevices(
    entries: { keyrxId: string; name?: string; layout?: string }[],
  ): Promise<{ added: string[]; skipped: string[] }> {
    return this.lock.run(async () => {
      const next = { ...this.storedDevices };
      const added: string[] = [];
      const skipped: string[] = [];
      for (const e of entries) {
        const serial = /^serial-(.+)$/.exec(e.keyrxId)?.[1];
        const path = /^path-(.+)$/.exec(e.keyrxId)?.[1];
        if (!serial && !path) {
          skipped.push(e.keyrxId);
          continue;
        }
        const id = `keyrx:${e.keyrxId}`.slice(0, 256);
        let layout: string | undefined;
        if (e.layout) layout = await this.layoutStore.resolveId(e.layout).catch(() => undefined);
        next[id] = {
          enabled: true,
          ...(e.name ? { name: e.name.slice(0, 64) } : {}),
          ...(layout ? { layout } : {}),
          keyrxMatch: serial ? { serial } : { path },
        };
        added.push(e.keyrxId);
      }
      if (added.length > 0) await this.saveDevices(next);
      return { added, skipped };
    });
  }

  /**
   * `keyrx migrate`: the profile a daemon starts with, when it compiles (it is activated at the
   * next start, as if it had been active).
   */
  async setStartupProfile(name: string): Promise<void> {
    checkProfileName(name);
    // before start() the index is not built yet (keyrx run -c)
    if (!this.index.has(name)) await this.lock.run(() => this.reindex(name));
    const entry = this.entry(name);
    if (entry.diagnostics.some((d) => d.severity === 'error'))
      throw new DaemonError(
        'PROFILE_INVALID',
        `'${name}' does not compile: it cannot be the active profile`,
        {
          diagnostics: entry.diagnostics,
        },
      );
    await this.lock.run(() => this.writeState(name));
  }

  /** `keyrx migrate`: a source saved as it is (one that does not compile is listed with its errors). */
  async writeProfileAsIs(name: string, source: string): Promise<void> {
    checkProfileName(name);
    await this.lock.run(async () => {
      await this.store.write(name, source);
      await this.reindex(name);
    });
  }

  private async restoreActive(): Promise<void> {
    const data = await this.readJson(this.paths.state, 'state.json');
    if (data === undefined) return;
    let name = (data as { activeProfile?: unknown }).activeProfile;
    if (name === null) return;
    // a crash during the rename of the active profile: the rename may not have happened
    const renamedFrom = (data as { renamedFrom?: unknown }).renamedFrom;
    if (
      isValidProfileName(name) &&
      isValidProfileName(renamedFrom) &&
      !(await this.store.stat(name)) &&
      (await this.store.stat(renamedFrom))
    )
      name = renamedFrom;
    if (typeof name !== 'string') {
      this.reportError(
        'CONFIG_LOAD_FAILED',
        'state.json has no valid "activeProfile"; running in pass-through, the file is kept',
      );
      return;
    }
    try {
      const restored = await this.activate(name, { persist: false });
      this.log.info({ profile: name }, 'restored the active profile');
      // settle an interrupted rename, so its other name can never be picked later
      if (renamedFrom !== undefined)
        await this.writeState(name, new Date(restored.activatedAt)).catch(() => undefined);
    } catch (e) {
      const detail = e instanceof DaemonError ? e.message : String(e);
      this.reportError(
        'CONFIG_LOAD_FAILED',
        `could not restore the active profile '${name}': ${detail}; running in pass-through`,
        {
          profile: name,
        },
      );
    }
  }

  // ---------------------------------------------------------------- events from the input thread

  private onInputMessage(m: FromInput): void {
    switch (m.t) {
      case 'batch':
        for (const r of m.records) {
          if (r.k === 'key') this.onKeyRecord(r);
          else this.hub.publish('state', { modifiers: r.modifiers, locks: r.locks }, r.wallUs);
        }
        // the batch is complete: the stream may send it now rather than at the end of the turn
        this.hub.endBatch();
        return;
      case 'device': {
        if (m.change === 'added') this.deviceConnected(m.device);
        else this.connected.delete(m.device.id);
        this.hub.publish('device', {
          action: m.change,
          device: this.describeDevice(m.device.id) ?? m.device,
        });
        return;
      }
      case 'error':
        this.reportError(m.code, m.message, m.context);
        return;
      case 'latency':
        this.lastLatencyCount = this.latency?.window.count ?? 0;
        this.latency = { window: m.window, total: m.total, intervalMs: m.intervalMs };
        this.eventsProcessed = m.eventsProcessed;
        // an idle daemon sends one zero-count report after activity stops, not one every second
        if (this.wsClientCount() > 0 && (m.window.count > 0 || this.lastLatencyCount > 0))
          this.hub.publish('latency', {
            ...m.window,
            eventsPerSecond: Math.round((m.window.count * 1000) / m.intervalMs),
          });
        return;
      case 'log':
        this.log.info(m.context ?? {}, m.message);
        return;
      case 'context':
        this.contextFromInput(m.context);
        return;
      case 'emergency':
        this.log.warn({ keys: m.keys }, 'emergency exit chord pressed: releasing everything and stopping');
        this.onFatal('emergency exit chord');
        return;
      case 'tray':
        this.onTray(m.action);
        return;
      default:
        return;
    }
  }

  private onKeyRecord(r: KeyRecord): void {
    if (r.action !== 'timeout' && r.action !== 'release-all') this.eventsProcessed++;
    if (r.outputs.length > 0) {
      for (const o of r.outputs)
        this.outputs.push(
          o.action === 'move'
            ? { time: o.timeUs, device: r.device, key: o.key, action: o.action, value: o.value ?? 0 }
            : { time: o.timeUs, device: r.device, key: o.key, action: o.action },
        );
      const excess = this.outputs.length - this.settings.outputHistory;
      if (excess > 0) this.outputs.splice(0, excess);
    }
    const { k: _k, wallUs, ...data } = r;
    this.hub.publish('key', data, wallUs);
  }

  reportError(code: string, message: string, context?: Record<string, unknown>): void {
    this.log.error({ code, ...context }, message);
    this.recentErrors.push({
      time: new Date().toISOString(),
      code,
      message,
      contextFields: Object.keys(context ?? {}),
    });
    if (this.recentErrors.length > RECENT_ERRORS) this.recentErrors.shift();
    this.hub.publish('error', { code, message, context: context ?? {}, timestamp: new Date().toISOString() });
  }

  // ---------------------------------------------------------------- profile index

  private async rebuildIndex(): Promise<void> {
    const files = await this.store.list();
    this.index.clear();
    for (const f of files) await this.reindex(f.name);
  }

  /** Refreshes one profile's metadata, compiling only when the source changed. */
  private async reindex(name: string): Promise<IndexEntry | undefined> {
    const file = await this.store.stat(name);
    if (!file) {
      this.index.delete(name);
      return undefined;
    }
    const source = await this.store.read(name);
    const sourceHash = nodeSha256Hex(source);
    const known = this.index.get(name);
    if (known && known.sourceHash === sourceHash) {
      known.size = file.size;
      known.modifiedAt = file.modifiedAt;
      return known;
    }
    const cached = await this.readValidCache(name, sourceHash);
    let entry: IndexEntry;
    if (cached)
      entry = {
        name,
        size: file.size,
        modifiedAt: file.modifiedAt,
        sourceHash,
        stats: configStats(cached),
        diagnostics: [],
      };
    else {
      const outcome = await this.compile(name, source);
      if (outcome.config)
        await this.store.writeCache(
          name,
          encodeKrx(outcome.config, outcome.sourceHash, { hash: nodeSha256 }),
        );
      entry = {
        name,
        size: file.size,
        modifiedAt: file.modifiedAt,
        sourceHash,
        stats: outcome.config ? configStats(outcome.config) : null,
        diagnostics: outcome.diagnostics,
      };
    }
    this.index.set(name, entry);
    return entry;
  }

  private watchProfiles(): void {
    try {
      this.watcher = watch(this.paths.profiles, (_event, file) => {
        const name = typeof file === 'string' && file.endsWith('.rhai') ? file.slice(0, -5) : null;
        if (!name) return;
        clearTimeout(this.reindexTimers.get(name));
        this.reindexTimers.set(
          name,
          setTimeout(() => {
            this.reindexTimers.delete(name);
            if (this.stopping) return;
            try {
              checkProfileName(name);
            } catch {
              return;
            }
            this.lock.run(() => this.reindex(name)).catch(() => undefined);
          }, 100),
        );
      });
      this.watcher.on('error', () => undefined);
    } catch (e) {
      this.log.warn(
        { err: (e as Error).message },
        'cannot watch the profiles directory; external edits show up on SIGHUP',
      );
    }
  }

  private meta(entry: IndexEntry): ProfileMeta {
    return {
      name: entry.name,
      active: this.active?.name === entry.name,
      size: entry.size,
      modifiedAt: entry.modifiedAt.toISOString(),
      devices: entry.stats?.devices ?? null,
      mappings: entry.stats?.mappings ?? null,
      layers: entry.stats?.layers ?? null,
      lastCompileError: summarize(entry.diagnostics),
    };
  }

  private entry(name: string): IndexEntry {
    const e = this.index.get(checkProfileName(name));
    if (!e) throw new DaemonError('PROFILE_NOT_FOUND', `no profile named '${name}'`);
    return e;
  }

  // ---------------------------------------------------------------- compile and cache

  private compile(name: string, source: string): Promise<CompileOutcome> {
    return this.compiler.compile(source, this.store.sourcePath(name));
  }

  /** The cached config when the cache matches this source and every file it loaded. */
  private async readValidCache(name: string, sourceHash: string): Promise<Config | null> {
    const bytes = await this.store.readCache(name);
    if (!bytes) return null;
    try {
      return await currentCachedConfig(bytes, sourceHash, this.store.sourcePath(name), this.paths.root);
    } catch (e) {
      if (e instanceof KrxError) {
        if (e.reason !== 'stale' && e.reason !== 'compiler')
          this.log.warn({ profile: name, reason: e.reason }, `ignoring cache: ${e.message}`);
        return null;
      }
      throw e;
    }
  }

  /** Config for a profile: the verified cache, else a fresh compile (then cached). */
  /**
   * The profile's config: its verified cache, or compiled. `writeCache`: what to do with a fresh
   * compile's cache bytes (default: write them when the disk is free; activation writes them after
   * its own durable write, which would otherwise also have to flush them).
   */
  private async configFor(
    name: string,
    writeCache: (bytes: Uint8Array) => void = (bytes) => this.store.writeCacheLater(name, bytes),
  ): Promise<{ config: Config; compileMs: number; cached: boolean; source: string }> {
    const source = await this.store.read(name);
    const start = performance.now();
    const sourceHash = nodeSha256Hex(source);
    const cached = await this.readValidCache(name, sourceHash);
    if (cached) return { config: cached, compileMs: performance.now() - start, cached: true, source };
    const outcome = await this.compile(name, source);
    const entry = this.index.get(name);
    if (entry && entry.sourceHash === sourceHash) {
      entry.diagnostics = outcome.diagnostics;
      this.listVersion++;
    }
    if (!outcome.config)
      throw new DaemonError(
        'PROFILE_INVALID',
        `profile '${name}' has errors: ${summarize(outcome.diagnostics)?.message}`,
        {
          diagnostics: outcome.diagnostics,
        },
      );
    writeCache(encodeKrx(outcome.config, outcome.sourceHash, { hash: nodeSha256 }));
    return { config: outcome.config, compileMs: performance.now() - start, cached: false, source };
  }

  // ---------------------------------------------------------------- profiles API

  /** Changes whenever listProfiles() would answer differently. */
  get profilesVersion(): number {
    return this.listVersion;
  }

  listProfiles(opts: { limit?: number; offset?: number } = {}): { profiles: ProfileMeta[]; total: number } {
    const all = [...this.index.values()].sort((a, b) => a.name.localeCompare(b.name));
    const offset = opts.offset ?? 0;
    const limit = opts.limit ?? all.length;
    return { profiles: all.slice(offset, offset + limit).map((e) => this.meta(e)), total: all.length };
  }

  async getProfile(name: string): Promise<ProfileDetail> {
    const entry = this.entry(name);
    const source = await this.store.read(name);
    return { ...this.meta(entry), source, diagnostics: entry.diagnostics };
  }

  activeProfileName(): string | null {
    return this.active?.name ?? null;
  }

  templates(): { name: string; description: string }[] {
    return TEMPLATE_NAMES.map((name) => ({ name, description: TEMPLATE_DESCRIPTIONS[name] }));
  }

  async createProfile(input: { name: string; template?: string; source?: string }): Promise<ProfileDetail> {
    const name = checkProfileName(input.name);
    let source: string;
    if (input.source !== undefined) source = input.source;
    else {
      const template = input.template ?? 'blank';
      if (!isTemplateName(template))
        throw new DaemonError(
          'TEMPLATE_NOT_FOUND',
          `unknown template '${template}' (available: ${TEMPLATE_NAMES.join(', ')})`,
        );
      source = renderTemplate(template as TemplateName, this.settings.defaultTapHoldMs);
    }
    return this.lock.run(async () => {
      if (this.index.has(name) || (await this.store.stat(name)))
        throw new DaemonError('PROFILE_EXISTS', `a profile named '${name}' already exists`);
      await this.saveValid(name, source);
      this.hub.publish('profile', { action: 'created', name });
      return this.getProfile(name);
    });
  }

  /**
   * A profile with the files it load()s from the config directory, as a bundle (bundle.ts).
   * Files from the system stdlib or built into keyrx are named in `notIncluded`.
   */
  async exportProfile(name: string): Promise<ProfileBundle> {
    checkProfileName(name);
    this.entry(name);
    const source = await this.store.read(name);
    const outcome = await this.compile(name, source);
    const root = await realpath(this.paths.root).catch(() => this.paths.root);
    const files: ProfileBundle['files'] = [];
    const notIncluded: string[] = [];
    for (const l of outcome.loaded) {
      const rel = relative(root, l.path).split(sep).join('/');
      if (rel.startsWith('..') || !checkBundlePath(rel).ok) {
        notIncluded.push(l.path.startsWith(BUNDLED_PREFIX) ? l.path.slice(BUNDLED_PREFIX.length) : l.path);
        continue;
      }
      try {
        files.push({ path: rel, source: await readFile(l.path, 'utf8') });
      } catch (e) {
        throw storageError(`reading ${rel}`, e);
      }
    }
    return {
      kind: BUNDLE_KIND,
      version: BUNDLE_VERSION,
      name,
      keyrxVersion: VERSION,
      exportedAt: new Date().toISOString(),
      source,
      files,
      notIncluded,
    };
  }

  /**
   * Imports a profile: a source alone, or a bundle with the files it loads. The files go to
   * their places in the config directory (never elsewhere: bundle.ts checks the paths, and no
   * folder on the way may lead out of the directory); a file that exists with other content is
   * a conflict unless `overwrite`. The profile is compiled with them in place; when it does not
   * compile, the files this import created are removed again and nothing else changed.
   */
  async importProfile(input: {
    name: string;
    source?: string;
    bundle?: unknown;
    overwrite?: boolean;
  }): Promise<ProfileDetail & { files: string[] }> {
    const name = checkProfileName(input.name);
    if ((input.source === undefined) === (input.bundle === undefined))
      throw new DaemonError('IMPORT_INVALID', 'give either a source or a bundle');
    const bundle = input.bundle !== undefined ? parseBundle(input.bundle) : null;
    const source = bundle ? bundle.source : (input.source as string);
    const files = bundle?.files ?? [];
    const own = `profiles/${name}.rhai`;
    if (files.some((f) => f.path === own))
      throw new DaemonError(
        'IMPORT_INVALID',
        `the bundle has a file at ${own}, the imported profile's own place`,
      );
    return this.lock.run(async () => {
      const exists = this.index.has(name) || (await this.store.stat(name)) !== undefined;
      if (exists && !input.overwrite)
        throw new DaemonError(
          'PROFILE_EXISTS',
          `a profile named '${name}' already exists (import with overwrite to replace it)`,
        );
      const root = await realpath(this.paths.root);
      const targets = await Promise.all(
        files.map(async (f) => ({ ...f, abs: await this.importTarget(root, f.path) })),
      );
      const conflicts: string[] = [];
      for (const t of targets) {
        const current = await readFile(t.abs, 'utf8').catch(() => undefined);
        if (current !== undefined && current !== t.source) conflicts.push(t.path);
      }
      if (conflicts.length > 0 && !input.overwrite)
        throw new DaemonError(
          'IMPORT_CONFLICT',
          `these files exist with other content: ${conflicts.join(', ')} (import with overwrite to replace them)`,
          { paths: conflicts },
        );
      const created: string[] = [];
      const written: string[] = [];
      try {
        for (const t of targets) {
          const before = await readFile(t.abs, 'utf8').catch(() => undefined);
          if (before === t.source) continue;
          await mkdir(join(t.abs, '..'), { recursive: true, mode: 0o700 });
          // the folders were checked before any was made; once made, check the real place again
          await this.importTarget(root, t.path);
          await writeFileAtomic(t.abs, t.source, 0o600);
          written.push(t.path);
          if (before === undefined) created.push(t.abs);
        }
        if (exists) await this.saveAndReload(name, source);
        else {
          await this.saveValid(name, source);
          this.hub.publish('profile', { action: 'created', name });
        }
      } catch (e) {
        for (const abs of created) await unlink(abs).catch(() => undefined);
        throw e;
      }
      return { ...(await this.getProfile(name)), files: written };
    });
  }

  /**
   * Where a bundle file goes: `<root>/<path>`, refused when a folder on the way or the file
   * itself is a symbolic link, or anything on the way resolves outside the config directory.
   */
  private async importTarget(root: string, path: string): Promise<string> {
    const segments = path.split('/');
    let at = root;
    for (const [i, segment] of segments.entries()) {
      at = join(at, segment);
      const st = await lstat(at).catch(() => null);
      if (!st) break; // the rest does not exist yet: mkdir makes plain folders
      const last = i === segments.length - 1;
      if (st.isSymbolicLink() || (last ? !st.isFile() : !st.isDirectory()))
        throw new DaemonError(
          'IMPORT_INVALID',
          `${path}: '${segments.slice(0, i + 1).join('/')}' is not a plain ${last ? 'file' : 'folder'}`,
        );
      const real = await realpath(at);
      if (real !== root && !real.startsWith(root + sep))
        throw new DaemonError('IMPORT_INVALID', `${path} leads outside the config directory`);
    }
    return join(root, ...segments);
  }

  /** Compiles first; only a source without errors is written. */
  private async saveValid(name: string, source: string): Promise<CompileOutcome> {
    const outcome = await this.compile(name, source);
    if (!outcome.config)
      throw new DaemonError(
        'PROFILE_INVALID',
        `the profile has ${plural(summarize(outcome.diagnostics)?.count ?? 0, 'error')}; nothing was saved`,
        {
          diagnostics: outcome.diagnostics,
        },
      );
    await this.store.write(name, source);
    await this.store.writeCache(name, encodeKrx(outcome.config, outcome.sourceHash, { hash: nodeSha256 }));
    await this.reindex(name);
    return outcome;
  }

  /**
   * Sets or removes one key's mapping in a profile without touching the rest of its source
   * (src/dsl/edit.ts, run in the compile worker); saved and reloaded like a whole new source.
   * Refused edits change nothing.
   */
  async editKey(name: string, edit: KeyEdit): Promise<EditedProfile> {
    return this.edit(name, { op: 'key', ...edit }, KEY_EDIT_ERRORS);
  }

  /** Runs an edit without code in the compile worker, then saves and reloads; a refusal saves nothing. */
  private async edit(
    name: string,
    edit: ProfileEdit,
    errors: Record<EditErrorCode, DaemonErrorCode>,
  ): Promise<EditedProfile> {
    checkProfileName(name);
    return this.lock.run(async () => {
      this.entry(name);
      const source = await this.store.read(name);
      const result = await this.compiler.edit(source, this.store.sourcePath(name), edit);
      if (!result.ok) throw new DaemonError(errors[result.code], `${result.message}; nothing was saved`);
      return { ...(await this.saveAndReload(name, result.source)), notes: result.notes };
    });
  }

  /** The compiled config of a saved profile, or PROFILE_INVALID when it does not compile. */
  private async compiledConfig(name: string): Promise<Config> {
    checkProfileName(name);
    this.entry(name);
    const outcome = await this.compile(name, await this.store.read(name));
    if (!outcome.config)
      throw new DaemonError('PROFILE_INVALID', `'${name}' does not compile; fix it first`, {
        diagnostics: outcome.diagnostics,
      });
    return outcome.config;
  }

  /** A profile's layers: names, when-blocks, the keys that turn each on (src/dsl/edit-layers.ts). */
  async layers(name: string): Promise<LayerInfo[]> {
    return listLayers(await this.compiledConfig(name));
  }

  /** One layer (by id or name) with the mappings of its own when-blocks. */
  async layer(name: string, wanted: string): Promise<LayerDetail> {
    const config = await this.compiledConfig(name);
    const layers = listLayers(config);
    const layer = findLayer(layers, wanted);
    if (!layer) throw layerNotFound(name, wanted, layers);
    const mappings: LayerDetail['mappings'] = [];
    config.devices.forEach((device, block) => {
      for (const m of device.mappings)
        if (m.kind === 'conditional' && isLayerCondition(m.condition, layer.layer))
          for (const inner of m.mappings)
            mappings.push({
              block,
              key: inner.kind === 'combo' ? inner.keys.join('+') : inner.from,
              mapping: inner,
              description: inner.kind === 'combo' ? null : describeMapping(inner),
            });
    });
    return { ...layer, mappings };
  }

  /**
   * What changes from one saved profile to another profile (or to a source given, `to.source`):
   * a unified diff of the sources and, when both compile, the keys whose mapping differs.
   */
  async diffProfiles(
    name: string,
    to: { name: string } | { source: string; label: string },
  ): Promise<ProfileDiff> {
    checkProfileName(name);
    this.entry(name);
    if ('name' in to) {
      checkProfileName(to.name);
      this.entry(to.name);
    }
    const before = await this.store.read(name);
    const after = 'name' in to ? await this.store.read(to.name) : to.source;
    const label = 'name' in to ? to.name : to.label;
    const [x, y] = await Promise.all([
      this.compile(name, before),
      this.compile('name' in to ? to.name : name, after),
    ]);
    const patch = createTwoFilesPatch(`${name}.rhai`, label, before, after, undefined, undefined, {
      context: 3,
    });
    const unchanged = before === after;
    return {
      from: name,
      to: label,
      identical: unchanged,
      // the header lines (=== / --- / +++) are the same for every diff: from the first hunk on
      patch: unchanged ? '' : patch.slice(patch.indexOf('@@')),
      changes: x.config && y.config ? diffConfigs(x.config, y.config) : null,
      ...(x.config && y.config
        ? {}
        : {
            uncompiled: `${!x.config ? `'${name}'` : `'${label}'`} does not compile: mapping changes are not listed`,
          }),
    };
  }

  /** Names a new layer (`layer_name()`); a taken id or name is refused. */
  async createLayer(name: string, input: { layer: string; name: string }): Promise<EditedProfile> {
    return this.edit(name, { op: 'createLayer', ...input }, LAYER_EDIT_ERRORS);
  }

  /** Renames a layer (by id or current name); an existing layer without a name gets one. */
  async renameLayer(name: string, input: { layer: string; name: string }): Promise<EditedProfile> {
    await this.knownLayer(name, input.layer);
    return this.edit(name, { op: 'renameLayer', ...input }, LAYER_EDIT_ERRORS);
  }

  /** Deletes a layer's name and its own when-blocks; the notes say what still refers to it. */
  async deleteLayer(name: string, layer: string): Promise<EditedProfile> {
    await this.knownLayer(name, layer);
    return this.edit(name, { op: 'deleteLayer', layer }, LAYER_EDIT_ERRORS);
  }

  /** LAYER_NOT_FOUND (404) before an edit of a layer the profile does not have. */
  private async knownLayer(name: string, wanted: string): Promise<void> {
    const config = await this.compiledConfig(name);
    const layers = listLayers(config);
    if (!findLayer(layers, wanted)) throw layerNotFound(name, wanted, layers);
  }

  /** What a key does in a block and layer of a profile: its mapping (or null) and its description. */
  async keyInfo(
    name: string,
    block: number,
    layer: Condition | null,
    key: string,
  ): Promise<{
    key: string;
    block: number;
    mapping: BaseMapping | null;
    description: KeyDescription | null;
  }> {
    const config = await this.compiledConfig(name);
    if (block >= config.devices.length)
      throw new DaemonError(
        'KEY_EDIT_INVALID',
        `there is no device block ${block} (the profile has ${config.devices.length})`,
      );
    const mapping = keyMapping(config, block, layer, key) ?? null;
    return {
      key,
      block,
      mapping,
      description: mapping && mapping.kind !== 'combo' ? describeMapping(mapping) : null,
    };
  }

  async updateProfile(name: string, source: string): Promise<ProfileDetail & { reloaded: boolean }> {
    checkProfileName(name);
    return this.lock.run(async () => {
      this.entry(name);
      return this.saveAndReload(name, source);
    });
  }

  /** Saves a valid source, swaps the engine when it is the active profile, tells the stream. */
  private async saveAndReload(name: string, source: string): Promise<ProfileDetail & { reloaded: boolean }> {
    const outcome = await this.saveValid(name, source);
    let reloaded = false;
    if (this.active?.name === name && outcome.config) {
      await this.swap(outcome.config);
      this.active = { ...this.active, config: outcome.config };
      reloaded = true;
    }
    this.hub.publish('profile', { action: 'updated', name, compileMs: outcome.compileMs, reloaded });
    return { ...(await this.getProfile(name)), reloaded };
  }

  async deleteProfile(
    name: string,
    opts: { force?: boolean } = {},
  ): Promise<{ deleted: string; wasActive: boolean }> {
    checkProfileName(name);
    return this.lock.run(async () => {
      this.entry(name);
      const wasActive = this.active?.name === name;
      if (wasActive && !opts.force)
        throw new DaemonError(
          'PROFILE_ACTIVE',
          `'${name}' is the active profile; activate another one first, or delete with ?force=true (keys then pass through unchanged)`,
        );
      if (wasActive) {
        // state first: if it cannot be saved, nothing changes
        await this.writeState(null);
        await this.swap(PASS_THROUGH);
        this.active = null;
      }
      await this.store.remove(name);
      this.index.delete(name);
      this.hub.publish('profile', { action: 'deleted', name, wasActive });
      return { deleted: name, wasActive };
    });
  }

  async duplicateProfile(name: string, newName: string): Promise<ProfileDetail> {
    checkProfileName(name);
    checkProfileName(newName);
    return this.lock.run(async () => {
      this.entry(name);
      if (this.index.has(newName) || (await this.store.stat(newName)))
        throw new DaemonError('PROFILE_EXISTS', `a profile named '${newName}' already exists`);
      const source = await this.store.read(name);
      await this.store.write(newName, source);
      await this.reindex(newName);
      this.hub.publish('profile', { action: 'created', name: newName, from: name });
      return this.getProfile(newName);
    });
  }

  async renameProfile(name: string, newName: string): Promise<ProfileDetail> {
    checkProfileName(name);
    checkProfileName(newName);
    return this.lock.run(async () => {
      const entry = this.entry(name);
      if (name === newName) return this.getProfile(name);
      if (this.index.has(newName) || (await this.store.stat(newName)))
        throw new DaemonError('PROFILE_EXISTS', `a profile named '${newName}' already exists`);
      const active = this.active?.name === name ? this.active : null;
      // The active profile's name is in state.json too. It is saved first, with the old name as a
      // fallback: if it cannot be saved nothing is renamed, and a crash around the rename restores
      // whichever name exists (restoreActive).
      if (active) await this.writeState(newName, active.activatedAt, name);
      try {
        await this.store.rename(name, newName);
      } catch (e) {
        if (active) await this.writeState(name, active.activatedAt).catch(() => undefined);
        throw e;
      }
      this.index.delete(name);
      this.index.set(newName, { ...entry, name: newName });
      if (active) {
        this.active = { ...active, name: newName };
        // without the fallback now; if this fails, the fallback still restores the right one
        await this.writeState(newName, active.activatedAt).catch(() => undefined);
      }
      this.hub.publish('profile', { action: 'renamed', name: newName, from: name });
      return this.getProfile(newName);
    });
  }

  async activate(name: string, opts: { persist?: boolean } = {}): Promise<ActivationResult> {
    checkProfileName(name);
    return this.lock.run(async () => {
      if (!(await this.store.stat(name)))
        throw new DaemonError('PROFILE_NOT_FOUND', `no profile named '${name}'`);
      let loaded;
      let cacheBytes: Uint8Array | null = null;
      try {
        loaded = await this.configFor(name, (bytes) => (cacheBytes = bytes));
      } catch (e) {
        if (e instanceof DaemonError && e.code === 'PROFILE_INVALID') {
          const first = (e.details as { diagnostics: Diagnostic[] }).diagnostics.find(
            (d) => d.severity === 'error',
          );
          this.reportError(
            'PROFILE_COMPILE_FAILED',
            `activating '${name}' failed; the previous profile stays active: ${e.message}`,
            {
              profile: name,
              ...(first ? { line: first.span.line, column: first.span.column, error: first.message } : {}),
            },
          );
        }
        throw e;
      }
      const { config, compileMs, cached } = loaded;
      const activatedAt = new Date();
      if (opts.persist !== false) {
        // Persisted before the reply, so the last acknowledged activation survives a crash. The
        // write (two fsyncs) and the engine swap run side by side; when the write fails (disk full,
        // read-only) the previous profile is swapped back, so it stays the active one.
        const previous = this.active?.config ?? PASS_THROUGH;
        const [written, swapped] = await Promise.allSettled([
          this.writeState(name, activatedAt),
          this.swap(config),
        ]);
        if (written.status === 'rejected') {
          if (swapped.status === 'fulfilled') await this.swap(previous).catch(() => undefined);
          throw written.reason;
        }
        if (swapped.status === 'rejected') throw swapped.reason;
      } else await this.swap(config);
      // after the durable write, not beside it: its fsync would have to flush the cache too
      if (cacheBytes !== null) this.store.writeCacheLater(name, cacheBytes);
      this.active = { name, activatedAt, config };
      const result = {
        profile: name,
        compileMs: Math.round(compileMs * 1000) / 1000,
        cached,
        activatedAt: activatedAt.toISOString(),
      };
      this.hub.publish('profile', { action: 'activated', name, compileMs: result.compileMs, cached });
      this.log.info(result, 'profile activated');
      return result;
    });
  }

  /**
   * A choice in the tray icon's menu (the Windows tray on the input thread, the Linux one on this
   * thread). Failures are reported as error events.
   */
  onTray(action: TrayAction): void {
    this.log.info({ action }, 'tray menu');
    const failed = (e: unknown): void =>
      this.reportError('TRAY_ACTION_FAILED', `tray ${action}: ${e instanceof Error ? e.message : String(e)}`);
    switch (action) {
      case 'open-ui':
        try {
          this.onOpenUi();
        } catch (e) {
          failed(e);
        }
        return;
      case 'reload':
        this.reloadActive().catch(failed);
        return;
      case 'suspend':
      case 'resume':
        this.setSuspended(action === 'suspend', 'tray').catch(failed);
        return;
      case 'exit':
        this.onExitRequested('exit from the tray');
        return;
    }
  }

  /**
   * The global switch: suspends remapping (every new key press passes through untouched, on every
   * device, until resumed) or resumes it; resolves once the input thread applies it, so a key
   * after the reply is decided in the new state. Not saved: a restarted daemon remaps.
   * `from` says who asked (the log and the `suspend` event say it too).
   */
  async setSuspended(on: boolean, from: 'api' | 'tray' = 'api'): Promise<{ suspended: boolean }> {
    if (this.stopping) throw new DaemonError('SHUTTING_DOWN', 'the daemon is shutting down');
    return this.suspendLock.run(async () => {
      if (on === this.suspended) return { suspended: on };
      await this.inputThread('suspending').request({ t: 'suspend', on });
      this.suspended = on;
      this.log.info({ suspended: on, from }, on ? 'suspended: keys pass through' : 'resumed: remapping');
      this.hub.publish('suspend', { suspended: on, from });
      return { suspended: on };
    });
  }

  /**
   * `POST /api/profiles/active/reload`, `keyrx reload`: reloadActive(), refused when no profile
   * is active; a profile that no longer compiles is refused with its diagnostics (the running
   * version stays).
   */
  async reloadActiveOrFail(): Promise<ActivationResult> {
    const r = await this.reloadActive();
    if (!r)
      throw new DaemonError(
        'NO_ACTIVE_PROFILE',
        'no profile is active (keys pass through): activate one first (keyrx profiles activate <name>)',
      );
    return r;
  }

  // ---------------------------------------------------------------- macro recording

  private recordingSummary(): Omit<RecordingState, 'events'> {
    const { events: _events, ...summary } = this.recorder.snapshot();
    return summary;
  }

  /** Starts recording the keys processed from now on (a new recording: the last one is dropped). */
  startRecording(): Omit<RecordingState, 'events'> {
    if (this.stopping) throw new DaemonError('SHUTTING_DOWN', 'the daemon is shutting down');
    this.recorder.start(wallClockUs());
    this.log.info('macro recording started');
    this.hub.publish('recording', this.recordingSummary());
    return this.recordingSummary();
  }

  stopRecording(): Omit<RecordingState, 'events'> {
    const was = this.recorder.recording;
    this.recorder.stop(wallClockUs());
    if (was) {
      this.log.info({ count: this.recorder.snapshot().count }, 'macro recording stopped');
      this.hub.publish('recording', this.recordingSummary());
    }
    return this.recordingSummary();
  }

  recording(): RecordingState {
    return this.recorder.snapshot();
  }

  clearRecording(): Omit<RecordingState, 'events'> {
    this.recorder.clear();
    this.hub.publish('recording', this.recordingSummary());
    return this.recordingSummary();
  }

  /** The recording as `macro(…)` steps (macro-recorder.ts), also as set-macro text. */
  recordedMacro(opts: MacroOptions = {}): {
    steps: ReturnType<typeof macroSteps>;
    text: string;
    count: number;
  } {
    const state = this.recorder.snapshot();
    const steps = macroSteps(state.events, opts);
    return { steps, text: stepsText(steps), count: state.count };
  }

  /** SIGHUP: re-read the active profile from disk and apply it. */
  async reloadActive(): Promise<ActivationResult | null> {
    await this.lock.run(() => this.rebuildIndex());
    const name = this.active?.name;
    if (!name) return null;
    // a failure is reported as an error event by activate(); the previous version stays active
    return this.activate(name, { persist: false });
  }

  private async swap(config: Config): Promise<void> {
    if (this.stopping) throw new DaemonError('SHUTTING_DOWN', 'the daemon is shutting down');
    if (this.configBeforeInput !== null) {
      this.configBeforeInput = config;
      return;
    }
    await this.inputThread('activating a profile').request({ t: 'swap', config });
  }

  /** `renamedFrom`: the active profile is being renamed from that name (see renameProfile). */
  private async writeState(name: string | null, at = new Date(), renamedFrom?: string): Promise<void> {
    const state = {
      activeProfile: name,
      activatedAt: at.toISOString(),
      ...(renamedFrom ? { renamedFrom } : {}),
    };
    try {
      await writeFileAtomic(this.paths.state, `${JSON.stringify(state, null, 2)}\n`, 0o600);
    } catch (e) {
      throw storageError('saving the active profile', e);
    }
  }

  async validateProfile(name: string): Promise<CompileReport> {
    this.entry(name);
    const source = await this.store.read(name);
    return report(await this.compile(name, source));
  }

  /** Compiles a source without saving it: as profile `name`'s file when given (it need not exist). */
  async compileSource(source: string, name?: string): Promise<CompileReport> {
    const file = name === undefined ? 'unsaved' : checkProfileName(name);
    return report(await this.compiler.compile(source, join(this.paths.profiles, `${file}.rhai`)));
  }

  // ---------------------------------------------------------------- settings

  async patchSettings(patch: unknown): Promise<Settings> {
    return this.lock.run(async () => {
      const next = mergeSettings(this.settings, patch);
      try {
        await writeFileAtomic(this.paths.settings, `${JSON.stringify(next, null, 2)}\n`, 0o600);
      } catch (e) {
        throw storageError('saving settings', e);
      }
      this.settings = next;
      this.hub.resize(next.wsRingSize);
      this.log.level = next.logLevel;
      this.input?.post({
        t: 'settings',
        emergencyChord: next.emergencyExitChord,
        latencyIntervalMs: next.latencyIntervalMs,
      });
      return next;
    });
  }

  // ---------------------------------------------------------------- devices

  private enabledMap(): Record<string, DeviceSetting> {
    const out: Record<string, DeviceSetting> = {};
    for (const [id, d] of Object.entries(this.storedDevices)) out[id] = { enabled: d.enabled };
    return out;
  }

  private describeDevice(id: string): DeviceInfo | null {
    const live = this.connected.get(id);
    const stored = this.storedDevices[id];
    if (!live && !stored) return null;
    const deviceName = live?.name ?? stored?.deviceName ?? id;
    const config = this.active?.config ?? PASS_THROUGH;
    const identities = [id, deviceName];
    for (const extra of [live?.uniq, live?.phys]) if (extra) identities.push(extra);
    const index = matchDeviceBlock(config, identities);
    return {
      id,
      name: stored?.name ?? deviceName,
      deviceName,
      enabled: stored?.enabled ?? true,
      connected: live !== undefined,
      grabbed: live?.grabbed ?? false,
      backend: this.backend,
      path: live?.path ?? null,
      vendor: live?.vendor ?? null,
      product: live?.product ?? null,
      serial: live?.uniq || null,
      phys: live?.phys || null,
      layout: stored?.layout ?? null,
      matchedBlock: index >= 0 ? { index, pattern: config.devices[index].pattern } : null,
    };
  }

  listDevices(): DeviceInfo[] {
    const ids = new Set([...this.connected.keys(), ...Object.keys(this.storedDevices)]);
    return [...ids].sort().map((id) => this.describeDevice(id)!);
  }

  async patchDevice(id: string, patch: DevicePatch): Promise<DeviceInfo> {
    return this.lock.run(async () => {
      const current = this.describeDevice(id);
      if (!current) throw new DaemonError('DEVICE_NOT_FOUND', `no device with id '${id}'`);
      const stored: StoredDevice = {
        ...(this.storedDevices[id] ?? { enabled: true }),
        deviceName: current.deviceName,
      };
      if (patch.name !== undefined) stored.name = patch.name;
      if (patch.enabled !== undefined) stored.enabled = patch.enabled;
      if (patch.layout !== undefined) {
        if (patch.layout === null) delete stored.layout;
        else stored.layout = await this.layoutStore.resolveId(patch.layout);
      }
      await this.saveDevices({ ...this.storedDevices, [id]: stored });
      const info = this.describeDevice(id)!;
      this.hub.publish('device', { action: 'updated', device: info });
      return info;
    });
  }

  /** Saves the device settings (devices.json, atomically), then applies them. Under the lock. */
  private async saveDevices(next: Record<string, StoredDevice>): Promise<void> {
    try {
      await writeFileAtomic(this.paths.devices, `${JSON.stringify({ devices: next }, null, 2)}\n`, 0o600);
    } catch (e) {
      throw storageError('saving devices', e);
    }
    this.storedDevices = next;
    this.input?.post({ t: 'devices', devices: this.enabledMap() });
  }

  /**
   * Forgets a device's saved settings (its name, enabled switch and layout). A connected device
   * stays listed with the defaults (remapped, its own name); a disconnected one is gone.
   */
  async forgetDevice(id: string): Promise<{ id: string; forgotten: boolean; device: DeviceInfo | null }> {
    return this.lock.run(async () => {
      if (!this.describeDevice(id)) throw new DaemonError('DEVICE_NOT_FOUND', `no device with id '${id}'`);
      const forgotten = id in this.storedDevices;
      if (forgotten) {
        const next = { ...this.storedDevices };
        delete next[id];
        await this.saveDevices(next);
      }
      const device = this.describeDevice(id);
      if (forgotten) this.hub.publish('device', { action: 'forgotten', id, device });
      return { id, forgotten, device };
    });
  }

  // ---------------------------------------------------------------- engine, simulation, injection

  async engineState(): Promise<EngineStateInfo> {
    const s = await this.inputThread('the engine state').request<EngineState>({ t: 'state' });
    return { activeProfile: this.active?.name ?? null, ...namedState(s) };
  }

  // ---------------------------------------------------------------- input context

  context(): ContextInfo {
    return { ...this.inputContext, updatedAt: this.contextUpdatedAt?.toISOString() ?? null };
  }

  /**
   * Replaces the given fields of the input context and applies it to the engine. A change is
   * announced as a `context` event; setting the values it already has changes nothing.
   */
  async setContext(patch: ContextPatch): Promise<ContextInfo> {
    if (this.stopping) throw new DaemonError('SHUTTING_DOWN', 'the daemon is shutting down');
    const next: InputContext = { ...this.inputContext };
    for (const field of CONTEXT_FIELDS) {
      const value = patch[field];
      if (value !== undefined) (next as unknown as Record<string, unknown>)[field] = value;
    }
    if (CONTEXT_FIELDS.every((f) => next[f] === this.inputContext[f])) return this.context();
    // The input thread keeps the context and gives it to every engine a swap builds. It is sent
    // only the fields this request changes: the backend may change others meanwhile (Windows
    // watches the foreground window), and its answer, the whole context, is the truth.
    const changed: ContextPatch = {};
    for (const field of CONTEXT_FIELDS)
      if (next[field] !== this.inputContext[field]) (changed as Record<string, unknown>)[field] = next[field];
    this.inputContext = next;
    this.contextUpdatedAt = new Date();
    const applied = await this.inputThread('the input context').request<InputContext | undefined>({
      t: 'context',
      context: changed,
    });
    if (applied) this.inputContext = { ...applied };
    const info = this.context();
    this.hub.publish('context', info);
    this.log.debug(info, 'input context changed');
    return info;
  }

  /** The backend saw the context change (Windows): published like a PUT's change. */
  private contextFromInput(context: InputContext): void {
    if (CONTEXT_FIELDS.every((f) => context[f] === this.inputContext[f])) return;
    this.inputContext = { ...context };
    this.contextUpdatedAt = new Date();
    const info = this.context();
    this.hub.publish('context', info);
    this.log.debug(info, 'input context changed (from the input backend)');
  }

  async simulate(input: {
    source?: string;
    profile?: string;
    events: string;
    device?: string;
    settle?: boolean;
  }): Promise<SimulationResult> {
    let steps;
    try {
      steps = parseScript(input.events);
    } catch (e) {
      if (e instanceof ScriptSyntaxError)
        throw new DaemonError('SCRIPT_INVALID', `events: ${e.message}`, { column: e.column, token: e.token });
      throw e;
    }
    let config: Config;
    if (input.source !== undefined) {
      const outcome = await this.compiler.compile(input.source, join(this.paths.profiles, 'unsaved.rhai'));
      if (!outcome.config)
        throw new DaemonError(
          'PROFILE_INVALID',
          `the source has ${plural(summarize(outcome.diagnostics)?.count ?? 0, 'error')}`,
          {
            diagnostics: outcome.diagnostics,
          },
        );
      config = outcome.config;
    } else if (input.profile !== undefined) {
      checkProfileName(input.profile);
      config = (await this.configFor(input.profile)).config;
    } else config = this.active?.config ?? PASS_THROUGH;
    return simulate(config, steps, { device: input.device, settle: input.settle });
  }

  async inject(events: string, opts: { instant?: boolean } = {}): Promise<InjectResult> {
    let steps;
    try {
      steps = parseScript(events);
    } catch (e) {
      if (e instanceof ScriptSyntaxError)
        throw new DaemonError('SCRIPT_INVALID', `events: ${e.message}`, { column: e.column, token: e.token });
      throw e;
    }
    // The context belongs to the daemon (GET/PUT /api/context), not to one injected script.
    const context = steps.find((s) => s.type === 'context');
    if (context)
      throw new DaemonError(
        'SCRIPT_INVALID',
        `events: '${context.token}' sets the input context, which injection does not change: use PUT /api/context (simulations take ${context.token.split(':')[0]}: tokens)`,
        { token: context.token },
      );
    const totalMs = steps.reduce((sum, s) => sum + (s.type === 'wait' ? s.ms : 0), 0);
    if (!opts.instant && totalMs > MAX_INJECT_REALTIME_MS)
      throw new DaemonError(
        'SCRIPT_INVALID',
        `events: the script waits ${totalMs} ms in total; real-time injection is limited to ${MAX_INJECT_REALTIME_MS} ms (use ?instant=true)`,
      );
    if (this.stopping) throw new DaemonError('SHUTTING_DOWN', 'the daemon is shutting down');
    return this.inputThread('injecting input').request<InjectResult>({
      t: 'inject',
      steps,
      instant: opts.instant ?? false,
    });
  }

  recentOutput(limit = 100): OutputRecord[] {
    return this.outputs.slice(-limit);
  }

  // ---------------------------------------------------------------- status and metrics

  status(): {
    version: string;
    pid: number;
    startedAt: string;
    uptimeSec: number;
    backend: string;
    activeProfile: string | null;
    activatedAt: string | null;
    profiles: number;
    devices: number;
    eventsProcessed: number;
    wsClients: number;
    suspended: boolean;
  } {
    return {
      version: VERSION,
      pid: process.pid,
      startedAt: this.startedAt.toISOString(),
      uptimeSec: Math.round((Date.now() - this.startedAt.getTime()) / 1000),
      backend: this.backend,
      activeProfile: this.active?.name ?? null,
      activatedAt: this.active?.activatedAt.toISOString() ?? null,
      profiles: this.index.size,
      devices: this.connected.size,
      eventsProcessed: this.eventsProcessed,
      wsClients: this.wsClientCount(),
      suspended: this.suspended,
    };
  }

  metrics(): {
    latencyUs: LatencyStats;
    latencyWindowUs: LatencyStats;
    eventsPerSecond: number;
    eventsProcessed: number;
    memory: { rssBytes: number; heapUsedBytes: number; externalBytes: number };
    wsClients: number;
    uptimeSec: number;
  } {
    const empty: LatencyStats = { count: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0 };
    const mem = process.memoryUsage();
    return {
      latencyUs: this.latency?.total ?? empty,
      latencyWindowUs: this.latency?.window ?? empty,
      eventsPerSecond: this.latency
        ? Math.round((this.latency.window.count * 1000) / this.latency.intervalMs)
        : 0,
      eventsProcessed: this.eventsProcessed,
      memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, externalBytes: mem.external },
      wsClients: this.wsClientCount(),
      uptimeSec: Math.round((Date.now() - this.startedAt.getTime()) / 1000),
    };
  }

  /**
   * The diagnostics report (diagnostics.ts), redacted. Works offline too (the CLI with no daemon
   * running): then it says so and has no runtime figures. The machine's checks are the doctor's;
   * on Windows with the Windows backend running, the hook and Raw Input probes are not repeated
   * from this thread (Raw Input registration is per process: a probe would take it from the
   * input thread) — the running backend and its devices stand for them.
   */
  async diagnostics(): Promise<DiagnosticsReport> {
    const status = this.status();
    const m = this.metrics();
    const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
    // the histogram holds each sampling interval (LOOP_SAMPLE_MS plus any lag): the lag is the rest
    const ms = (ns: number): number => Math.max(0, Math.round(ns / 1e4) / 100 - LOOP_SAMPLE_MS);
    const lag = this.loopDelay;
    const context = this.context();
    // offline nothing is activated: the profile a daemon would start with
    let activeProfile = status.activeProfile;
    if (!this.input) {
      const state = (await this.readJson(this.paths.state, 'state.json').catch(() => undefined)) as
        { activeProfile?: unknown } | undefined;
      if (isValidProfileName(state?.activeProfile)) activeProfile = state.activeProfile as string;
    }
    const report: DiagnosticsReport = {
      generatedAt: new Date().toISOString(),
      keyrx: { version: VERSION },
      runtime: runtimeInfo(),
      daemon: {
        running: this.input !== null,
        pid: process.pid,
        uptimeSec: status.uptimeSec,
        backend: this.input ? this.backend : 'none',
        inputScheduling: this.inputScheduling,
        configDir: this.paths.root,
        activeProfile,
        profiles: status.profiles,
        suspended: this.suspended,
        wsClients: status.wsClients,
        eventsProcessed: status.eventsProcessed,
        memory: {
          rssMb: mb(m.memory.rssBytes),
          heapUsedMb: mb(m.memory.heapUsedBytes),
          externalMb: mb(m.memory.externalBytes),
        },
        eventLoopLagMs:
          lag && lag.count > 0 ? { mean: ms(lag.mean), p99: ms(lag.percentile(99)), max: ms(lag.max) } : null,
        latencyUs: {
          count: m.latencyUs.count,
          p50: m.latencyUs.p50,
          p99: m.latencyUs.p99,
          max: m.latencyUs.max,
        },
        devices: this.listDevices().map((d) => ({
          id: d.id,
          name: d.name,
          enabled: d.enabled,
          connected: d.connected,
          grabbed: d.grabbed,
          vendor: d.vendor,
          product: d.product,
        })),
        settings: { ...this.settings },
        context: {
          app: context.app !== '',
          title: context.title !== '',
          ime: context.ime,
          language: context.language,
        },
      },
      checks: await this.machineChecks(),
      recentErrors: [...this.recentErrors],
      redacted: REDACTIONS,
    };
    return redact(report, { token: this.token, home: homedir() });
  }

  private async machineChecks(): Promise<DiagnosticsReport['checks']> {
    try {
      if (process.platform === 'win32') {
        const { runWindowsDoctor, realProbes } = await import('../platform/windows/doctor.ts');
        const running = this.input !== null && this.backend === 'windows';
        const devices = [...this.connected.values()];
        const r = await runWindowsDoctor(
          running
            ? {
                ...realProbes,
                tryHook: () => undefined,
                keyboards: () =>
                  devices.map((d) => ({
                    name: d.name,
                    instance: d.phys ?? d.id,
                    virtual: d.phys === undefined,
                  })),
              }
            : realProbes,
        );
        return {
          ok: r.ok,
          items: r.checks.map(({ id, title, status, detail }) => ({ id, title, status, detail })),
        };
      }
      const { runDoctor } = await import('../platform/linux/index.ts');
      const r = await runDoctor();
      return {
        ok: r.ok,
        items: r.checks.map(({ id, title, status, detail }) => ({ id, title, status, detail })),
      };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }
}

/** How often the event-loop delay is sampled, ms. */
const LOOP_SAMPLE_MS = 20;

/** How many reported errors the diagnostics report keeps. */
const RECENT_ERRORS = 20;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A Map that reports every change (the profile index: replies derived from it are cached). */
class ChangeCountingMap<K, V> extends Map<K, V> {
  constructor(private readonly changed: () => void) {
    super();
  }
  override set(key: K, value: V): this {
    super.set(key, value);
    // Map's constructor calls set() before `changed` is assigned
    this.changed?.();
    return this;
  }
  override delete(key: K): boolean {
    const had = super.delete(key);
    if (had) this.changed();
    return had;
  }
  override clear(): void {
    super.clear();
    this.changed();
  }
}

/** µs since the epoch, as the event hub stamps events. */
function wallClockUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** The keyrxMatch of a stored device, when it is well formed. */
function keyrxMatchOf(value: unknown): { keyrxMatch?: { serial?: string; path?: string } } {
  const m = value as { serial?: unknown; path?: unknown } | null | undefined;
  if (!m || typeof m !== 'object') return {};
  if (typeof m.serial === 'string' && m.serial.length <= 256) return { keyrxMatch: { serial: m.serial } };
  if (typeof m.path === 'string' && m.path.length <= 256) return { keyrxMatch: { path: m.path } };
  return {};
}
