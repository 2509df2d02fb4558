/**
 * The input thread (a worker): owns the backend and the engine. Key events go
 * device → engine → output inside this thread; monitoring records leave it afterwards,
 * batched, for the main thread's event hub.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import type { Config, OutputEvent } from '../core/index.ts';
import type { LedIndicator } from '../core/index.ts';
// the core's modules this thread uses, not its index: the index loads the rest of the core too
// (scripts, simulation, keyboard layouts …), which the thread would compile before going live
import { layerName, LED_NAMES } from '../core/config.ts';
import { Engine } from '../core/engine.ts';
import { axisName, KEY_CODE_LIMIT, keyName, resolveKey } from '../core/keys.ts';
import type { LinuxBackend, PipeBackend } from '../platform/linux/index.ts';
import type { WindowsBackend } from '../platform/windows/backend.ts';
import type { Tray } from '../platform/windows/tray.ts';
import type { DeviceDescriptor, InputBackend, KeyInput, KeyProcessor } from '../platform/types.ts';
import { deviceIdentity, monotonicUs } from '../platform/types.ts';
import { ScriptPlayer, VirtualBackend } from '../platform/virtual.ts';
import type {
  DeviceSetting,
  FromInput,
  InputContext,
  LatencyStats,
  MonitorRecord,
  OutputRecordEvent,
  ToInput,
} from './input-protocol.ts';

const port = parentPort!;
const send = (msg: FromInput): void => port.postMessage(msg);

/**
 * How long key records may wait on this thread before they leave for the daemon (the stream, the
 * API): long enough that the loop is back in ppoll, the output's reader scheduled, before any
 * monitoring work; short enough that the stream stays live. Bursts leave at FLUSH_MAX_RECORDS.
 */
const FLUSH_DELAY_US = 1_000;
const FLUSH_MAX_RECORDS = 256;

/** Engine times are monotonic µs; monitoring shows wall-clock µs. One fixed offset keeps gaps exact. */
// performance.timeOrigin + now(): the wall clock to the µs (Date.now() is whole milliseconds, which
// put every event's time up to 1 ms early)
const WALL_OFFSET_US = Math.round((performance.timeOrigin + performance.now()) * 1000) - monotonicUs();
const wallUs = (): number => monotonicUs() + WALL_OFFSET_US;

/** EngineHost's routes: how a held key goes */
const ROUTE_ENGINE = 1;
const ROUTE_RAW = 2;

function outputsForRecord(outputs: OutputEvent[]): OutputRecordEvent[] {
  return outputs.map((o) =>
    o.action === 'move'
      ? { key: axisName(o.key), action: o.action, timeUs: o.timeUs + WALL_OFFSET_US, value: o.value ?? 0 }
      : { key: keyName(o.key), action: o.action, timeUs: o.timeUs + WALL_OFFSET_US },
  );
}

/** A key through the engine as processed() saw it; its record is made when the batch leaves. */
interface UnnamedKeyRecord {
  k: 'unnamed-key';
  input: KeyInput;
  outputs: OutputEvent[];
  mapping: Extract<MonitorRecord, { k: 'key' }>['mapping'];
  decision: Extract<MonitorRecord, { k: 'key' }>['decision'];
  latencyUs: number;
  wallUs: number;
}

function named(r: MonitorRecord | UnnamedKeyRecord): MonitorRecord {
  if (r.k !== 'unnamed-key') return r;
  return {
    k: 'key',
    wallUs: r.wallUs,
    device: r.input.device,
    key: keyName(r.input.key),
    action: r.input.action,
    outputs: outputsForRecord(r.outputs),
    mapping: r.mapping,
    decision: r.decision,
    latencyUs: r.latencyUs,
  };
}

function stats(h: RecordableHistogram): LatencyStats {
  if (h.count === 0) return { count: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  return {
    count: h.count,
    min: h.min,
    p50: h.percentile(50),
    p95: h.percentile(95),
    p99: h.percentile(99),
    max: h.max,
    mean: Math.round(h.mean),
  };
}

class EngineHost implements KeyProcessor {
  engine: Engine;
  private records: (MonitorRecord | UnnamedKeyRecord)[] = [];
  /** when the oldest record waiting was pushed (linux and windows loops: see flushIfDue) */
  private oldestRecordUs = 0;
  private flushScheduled = false;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private readonly descriptors = new Map<string, DeviceDescriptor>();
  private deviceSettings: Record<string, DeviceSetting>;
  /** the layers last reported (null: report the next state whatever it is) */
  private shownLayers: { modifiers: number[]; locks: number[] } | null = null;
  /** 1 for each key code physically down (on any device) */
  private readonly physicalDown = new Uint8Array(KEY_CODE_LIMIT);
  /**
   * Per device id, how each held key goes: through the engine, or out unmapped (its device was
   * disabled); 0 when not held. Indexed by key code (evdev codes are below KEY_CODE_LIMIT).
   */
  private readonly routes = new Map<string, Uint8Array>();
  /** the last device's routes: keys come in runs from one keyboard (no map lookup for those) */
  private routesDevice = '';
  private routesOfDevice: Uint8Array | null = null;
  private chord: number[] = [];
  readonly total = createHistogram();
  window = createHistogram();
  eventsProcessed = 0;
  writer: (events: OutputEvent[]) => void = () => undefined;
  /** linux mode: the loop blocks in ppoll, so no timers or setImmediate run; the loop flushes */
  synchronous = false;
  latencyIntervalMs = 1000;
  private lastLatencyReport = monotonicUs();
  /** the emergency chord was pressed: the backend stops right here, even if the main thread is stuck */
  onEmergency: () => void = () => undefined;

  /** the daemon's input context: set on every engine, including the one each swap builds */
  private context: InputContext;
  /** the profile's layer lights (led_indicator), and what they show now: per LED 1, 0, or -1 (the desktop's) */
  private indicators: LedIndicator[] = [];
  private leds = '';
  /** linux mode: drives the keyboards' lights */
  onLeds: (leds: number[]) => void = () => undefined;

  constructor(
    config: Config,
    devices: Record<string, DeviceSetting>,
    chord: string[],
    context: InputContext,
  ) {
    this.context = { ...context };
    this.engine = this.newEngine(config);
    this.indicators = config.ledIndicators ?? [];
    this.deviceSettings = devices;
    this.setChord(chord);
  }

  /** Replaces the given fields (a PUT, or what the backend saw); returns the whole context. */
  setContext(patch: Partial<InputContext>): InputContext {
    this.context = { ...this.context, ...patch };
    this.engine.setContext(this.context);
    return { ...this.context };
  }

  setChord(names: string[]): void {
    this.chord = names.map((n) => resolveKey(n));
  }

  setDeviceSettings(devices: Record<string, DeviceSetting>): void {
    this.deviceSettings = devices;
  }

  isDeviceEnabled(id: string): boolean {
    return this.deviceSettings[id]?.enabled ?? true;
  }

  /**
   * The global switch: while suspended, every new press goes out untouched (its release and
   * repeats follow it), whatever its device; keys held through the engine finish there.
   */
  suspended = false;
  /** the last input went out untouched (suspended, or its device disabled): for its record */
  private lastPassedThrough = false;

  process(input: KeyInput): OutputEvent[] {
    this.lastPassedThrough = false;
    if (input.action === 'press') this.physicalDown[input.key] = 1;
    else if (input.action === 'release') this.physicalDown[input.key] = 0;
    if (input.action === 'press' && this.chordDown()) {
      send({ t: 'emergency', keys: this.chord.map(keyName) });
      this.onEmergency();
      // Everything was just released: the chord's last key must not go out after that.
      return [];
    }
    // A key's release and repeats go the way its press went (a second press without a release,
    // too), even when its device was enabled or disabled in between: the other way would leave
    // an output key down for good. Without a press seen, the engine ignores them.
    let routes = this.routesOfDevice;
    if (routes === null || input.device !== this.routesDevice) {
      routes = this.routes.get(input.device) ?? new Uint8Array(KEY_CODE_LIMIT);
      this.routes.set(input.device, routes);
      this.routesDevice = input.device;
      this.routesOfDevice = routes;
    }
    let route = routes[input.key];
    if (route === 0 && input.action === 'press') {
      route = !this.suspended && this.isDeviceEnabled(input.device) ? ROUTE_ENGINE : ROUTE_RAW;
      routes[input.key] = route;
    } else if (input.action === 'release') routes[input.key] = 0;
    this.lastPassedThrough = route === ROUTE_RAW;
    if (route === ROUTE_RAW) return [{ key: input.key, action: input.action, timeUs: input.timeUs }];
    return this.engine.process(input);
  }

  /** Every key of the emergency chord is physically down. */
  private chordDown(): boolean {
    if (this.chord.length === 0) return false;
    for (let i = 0; i < this.chord.length; i++) if (this.physicalDown[this.chord[i]] !== 1) return false;
    return true;
  }

  tick(nowUs: number): OutputEvent[] {
    this.reportLatencyIfDue(nowUs);
    const outputs = this.engine.tick(nowUs);
    // the tick's outputs go with its first decision: every output is reported once
    const trace = this.engine.trace;
    for (let i = 0; i < trace.length; i++) {
      const t = trace[i];
      this.push({
        k: 'key',
        wallUs: wallUs(),
        device: t.device,
        key: keyName(t.key),
        // a timer's own decision, or a key it held back and has now replayed
        action: t.action,
        outputs: i === 0 ? outputsForRecord(outputs) : [],
        mapping: t.mapping,
        decision: t.decision,
        latencyUs: 0,
      });
    }
    this.noteState();
    return outputs;
  }

  /**
   * The engine's next deadline; in linux mode also the next latency report while samples wait
   * for one, so the loop (blocked in ppoll, no timers) reports the last keys of a burst too.
   */
  nextDeadline(): number | null {
    let deadline = this.engine.nextDeadline();
    if (!this.synchronous) return deadline;
    if (this.window.count > 0) {
      const report = this.lastLatencyReport + this.latencyIntervalMs * 1000;
      if (deadline === null || report < deadline) deadline = report;
    }
    if (this.records.length > 0) {
      const flush = this.oldestRecordUs + FLUSH_DELAY_US;
      if (deadline === null || flush < deadline) deadline = flush;
    }
    return deadline;
  }

  /**
   * The loop's monitoring, after an iteration: records leave once the oldest has waited
   * FLUSH_DELAY_US (or many are waiting), not right after the key's write. On one CPU, and with
   * this thread at real-time priority, anything it does after the write runs before the program
   * reading the output gets the CPU; the loop blocks in ppoll first, and flushes at that timeout.
   */
  flushIfDue(): void {
    // the clock only when records wait and the count alone does not decide
    if (this.records.length === 0) return;
    if (this.records.length >= FLUSH_MAX_RECORDS || monotonicUs() - this.oldestRecordUs >= FLUSH_DELAY_US)
      this.flush();
  }

  processed(input: KeyInput, outputs: OutputEvent[], writtenAtUs: number): void {
    const latency = Math.max(1, Math.round(writtenAtUs - input.timeUs));
    this.total.record(latency);
    this.window.record(latency);
    this.eventsProcessed++;
    const enabled = !this.lastPassedThrough;
    // kept as it is: names and the record are made when it leaves (flush), not right after the write
    this.push(
      {
        k: 'unnamed-key',
        input,
        outputs,
        mapping: enabled ? this.engine.lastKind : 'none',
        decision: enabled ? this.engine.lastDecision : 'passthrough',
        latencyUs: latency,
        wallUs: writtenAtUs + WALL_OFFSET_US,
      },
      writtenAtUs,
    );
    this.noteState();
    this.armDeadline();
    this.reportLatencyIfDue(writtenAtUs);
  }

  /** linux mode: the loop reports latency (after a key, or at the deadline nextDeadline() adds). */
  private reportLatencyIfDue(nowUs: number): void {
    if (!this.synchronous || this.window.count === 0) return;
    if (nowUs - this.lastLatencyReport < this.latencyIntervalMs * 1000) return;
    const intervalMs = (nowUs - this.lastLatencyReport) / 1000;
    this.lastLatencyReport = nowUs;
    this.reportLatency(intervalMs);
  }

  reportLatency(intervalMs: number): void {
    // the key records it counts go first: the daemon counts records between reports, and a
    // report that overtook them would have them counted twice
    this.flush();
    const { window, total, eventsProcessed } = this;
    send({ t: 'latency', window: stats(window), total: stats(total), eventsProcessed, intervalMs });
    this.window = createHistogram();
  }

  /** Releases every held output (profile swap, shutdown) and reports it. */
  releaseAll(): OutputEvent[] {
    const outputs = this.engine.releaseAll(monotonicUs());
    this.push({
      k: 'key',
      wallUs: wallUs(),
      device: '',
      key: '',
      action: 'release-all',
      outputs: outputsForRecord(outputs),
      mapping: 'none',
      decision: 'release-all',
      latencyUs: 0,
    });
    return outputs;
  }

  /** An engine for a profile that knows the devices seen so far and the daemon's context. */
  private newEngine(config: Config): Engine {
    const engine = new Engine(config, { trace: true });
    // the context belongs to the daemon, not to a profile: every new engine starts with it
    engine.setContext(this.context);
    for (const d of this.descriptors.values()) engine.describeDevice(d.id, deviceIdentity(d));
    return engine;
  }

  swap(config: Config): void {
    this.engine = this.newEngine(config);
    this.indicators = config.ledIndicators ?? [];
    this.shownLayers = null;
    this.noteState();
    this.armDeadline();
  }

  deviceAdded(device: DeviceDescriptor): void {
    this.descriptors.set(device.id, device);
    this.engine.describeDevice(device.id, deviceIdentity(device));
    send({ t: 'device', change: 'added', device });
  }

  deviceRemoved(id: string): void {
    const d = this.descriptors.get(id);
    this.descriptors.delete(id);
    if (d) send({ t: 'device', change: 'removed', device: d });
  }

  error(code: string, message: string, context?: Record<string, unknown>): void {
    send({ t: 'error', code, message, context });
  }

  /** Virtual mode: a timer fires tap-hold deadlines (the Linux loop uses its poll timeout). */
  armDeadline(): void {
    if (this.synchronous) return; // the linux loop's ppoll timeout is the deadline
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    const deadline = this.engine.nextDeadline();
    if (deadline === null) return;
    const delayMs = Math.max(0, (deadline - monotonicUs()) / 1000);
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = null;
      const outputs = this.tick(Math.max(deadline, monotonicUs()));
      if (outputs.length > 0) this.writer(outputs);
      this.armDeadline();
    }, delayMs);
  }

  private noteState(): void {
    // after every key: a walk of 256 counters when nothing changed, no allocation
    if (this.shownLayers && this.engine.layersAre(this.shownLayers.modifiers, this.shownLayers.locks)) return;
    const s = this.engine.layers();
    this.shownLayers = s;
    this.showLayers(s.modifiers);
    this.push({
      k: 'state',
      wallUs: wallUs(),
      modifiers: s.modifiers.map((id) => layerName('MD', id)),
      locks: s.locks.map((id) => layerName('LK', id)),
    });
  }

  /** The layer lights: on while their layer is, off when not; LEDs without one show the desktop's. */
  showLayers(active: readonly number[]): void {
    const leds = LED_NAMES.map(() => -1);
    for (const i of this.indicators) leds[LED_NAMES.indexOf(i.led)] = active.includes(i.layer) ? 1 : 0;
    const key = leds.join(',');
    if (key === this.leds) return;
    this.leds = key;
    this.onLeds(leds);
  }

  /** The lights as they should be now (a backend that just started). */
  currentLeds(): void {
    this.leds = '';
    this.showLayers(this.engine.state().modifiers);
  }

  private push(record: MonitorRecord | UnnamedKeyRecord, nowUs?: number): void {
    // a clock read is dear under emulation: the caller's time when it has one
    if (this.records.length === 0) this.oldestRecordUs = nowUs ?? monotonicUs();
    this.records.push(record);
    if (this.synchronous) return; // flushed by the loop after each iteration
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.records.length === 0) return;
    const records = this.records.map(named);
    this.records = [];
    send({ t: 'batch', records });
  }
}

let host: EngineHost | null = null;
let backend: InputBackend | null = null;
let player: ScriptPlayer | null = null;
let linux: LinuxBackend | null = null;
let windows: WindowsBackend | null = null;
/** windows with --tray: the icon's window, on this thread (pumped by the hook's loop) */
let tray: Tray | null = null;
let latencyTimer: NodeJS.Timeout | null = null;
/** resolves when the linux loop has ended (after stop()) */
let loopDone: Promise<void> = Promise.resolve();
/** async work the linux loop waits for after breaking out of ppoll (a real-time script) */
let pendingAsync: Promise<unknown> = Promise.resolve();

function startLatencyReports(intervalMs: number): void {
  if (latencyTimer) clearInterval(latencyTimer);
  if (host) host.latencyIntervalMs = intervalMs;
  latencyTimer = setInterval(() => host?.reportLatency(intervalMs), intervalMs);
  latencyTimer.unref();
}

async function startVirtual(h: EngineHost): Promise<void> {
  const virtual = new VirtualBackend();
  backend = virtual;
  await virtual.start(h);
  h.writer = (events) => virtual.write(events);
  player = virtual.player;
  send({ t: 'ready', backend: 'virtual', devices: virtual.devices() });
}

async function startLinux(h: EngineHost, wakeFd: number, pipes?: PipeBackend): Promise<void> {
  // the backend's module, not the index (which loads doctor and the availability checks too)
  const { LinuxBackend } = await import('../platform/linux/backend.ts');
  const b = new LinuxBackend({
    wakeFd: wakeFd >= 0 ? wakeFd : undefined,
    log: (message, context) => send({ t: 'log', message, context }),
    pipes,
    // finding where a key's time goes (docs/performance.md); off by default
    profileStages: process.env.KEYRX_STAGE_PROFILE === '1',
  });
  await b.start(h);
  // the loop runs on this thread from here on: it gets the CPU the moment a key arrives
  const { makeThreadRealtime } = await import('../platform/linux/realtime.ts');
  const scheduling = makeThreadRealtime();
  linux = b;
  backend = b;
  h.synchronous = true;
  h.writer = (events) => b.write(events);
  h.onLeds = (leds) => b.setLedOverrides(leds);
  h.currentLeds();
  h.onEmergency = () => {
    const released = h.releaseAll();
    if (released.length > 0) b.write(released);
    h.flush();
    void b.stop();
  };
  // scripts injected through the API play into the same engine and output device
  player = new ScriptPlayer(h, (events) => b.write(events));
  send({ t: 'ready', backend: 'linux', devices: b.devices(), scheduling: scheduling.text });
  loopDone = runBackendLoop(h, b, 'Linux');
}

/** The tray icon; a failure is reported and the daemon runs on without it. */
async function startTray(): Promise<void> {
  try {
    const { createTray } = await import('../platform/windows/tray.ts');
    tray = createTray({
      onChoice: (action) => send({ t: 'tray', action }),
      log: (message, context) => send({ t: 'log', message, context }),
    });
  } catch (e) {
    send({ t: 'error', code: 'TRAY_FAILED', message: `no tray icon: ${(e as Error).message}` });
  }
}

function removeTray(): void {
  tray?.remove();
  tray = null;
}

async function startWindows(h: EngineHost, withTray: boolean): Promise<void> {
  const { WindowsBackend } = await import('../platform/windows/backend.ts');
  const b = new WindowsBackend({
    log: (message, context) => send({ t: 'log', message, context }),
    // what Windows sees applies to the next key at once; the daemon learns it afterwards
    onContext: (patch) => send({ t: 'context', context: h.setContext(patch) }),
  });
  await b.start(h);
  if (withTray) await startTray();
  windows = b;
  backend = b;
  h.synchronous = true;
  h.writer = (events) => b.write(events);
  h.onEmergency = () => {
    const released = h.releaseAll();
    if (released.length > 0) b.write(released);
    h.flush();
    removeTray();
    void b.stop();
  };
  player = new ScriptPlayer(h, (events) => b.write(events));
  send({ t: 'ready', backend: 'windows', devices: b.devices() });
  loopDone = runBackendLoop(h, b, 'Windows', () => {
    b.pumpOnce();
    h.flush();
  });
}

/** A backend that runs its own synchronous loop on this thread (linux: ppoll; windows: the hook's messages). */
interface LoopingBackend {
  runLoop(hooks: { onWake?: () => void; afterIteration?: () => void }): 'stopped' | 'interrupted';
}

/**
 * Runs a backend's loop until it stops. Control messages are read when the loop wakes for them
 * (linux: the main thread signals the wake fd; windows: between waits, at most pollMs apart). A
 * real-time script leaves the loop while it plays; `whileAway` keeps what must not wait meanwhile
 * (windows: the hook runs only while this thread pumps messages — unpumped, Windows would skip
 * it, and in the end remove it, for keys typed meanwhile).
 */
async function runBackendLoop(
  h: EngineHost,
  b: LoopingBackend,
  name: string,
  whileAway?: () => void,
): Promise<void> {
  for (;;) {
    let exit;
    try {
      exit = b.runLoop({
        onWake: () => {
          for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port))
            dispatch(m.message as ToInput);
          h.flush();
        },
        afterIteration: () => h.flushIfDue(),
      });
    } catch (e) {
      send({
        t: 'error',
        code: 'INPUT_LOOP_FAILED',
        message: `the ${name} input loop failed: ${(e as Error).message}`,
      });
      return;
    }
    h.flush();
    if (exit === 'stopped') return;
    const away = whileAway ? setInterval(whileAway, 5) : null;
    try {
      await pendingAsync;
    } finally {
      if (away) clearInterval(away);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function handle(msg: ToInput): Promise<void> {
  switch (msg.t) {
    case 'init':
      host = new EngineHost(msg.config, msg.devices, msg.emergencyChord, msg.context);
      startLatencyReports(msg.latencyIntervalMs);
      if (msg.backend === 'linux') await startLinux(host, msg.wakeFd ?? -1, msg.pipes);
      else if (msg.backend === 'windows') await startWindows(host, msg.tray === true);
      else await startVirtual(host);
      return;
    case 'swap': {
      const released = host!.releaseAll();
      if (released.length > 0) backend!.write(released);
      host!.swap(msg.config);
      host!.flush();
      send({ t: 'ack', id: msg.id, result: { released: released.length } });
      return;
    }
    case 'inject': {
      try {
        const result = await player!.play(msg.steps, msg.instant);
        host!.flush();
        send({ t: 'ack', id: msg.id, result });
      } catch (e) {
        send({ t: 'ack', id: msg.id, error: e instanceof Error ? e.message : String(e) });
      }
      return;
    }
    case 'state':
      send({ t: 'ack', id: msg.id, result: host!.engine.state() });
      return;
    case 'context':
      send({ t: 'ack', id: msg.id, result: host!.setContext(msg.context) });
      return;
    case 'devices':
      host!.setDeviceSettings(msg.devices);
      linux?.refreshDevices();
      return;
    case 'settings':
      host!.setChord(msg.emergencyChord);
      startLatencyReports(msg.latencyIntervalMs);
      return;
    case 'suspend':
      // acknowledged once in effect: a key after the reply is decided in the new state. Windows
      // lets suspended keys through in the hook itself (Windows then types them, untouched);
      // elsewhere the host sends them out as they came.
      host!.suspended = msg.on;
      windows?.setSuspended(msg.on);
      tray?.setSuspended(msg.on);
      send({ t: 'ack', id: msg.id, result: { suspended: msg.on } });
      return;
    case 'shutdown': {
      if (host && backend) {
        const released = host.releaseAll();
        if (released.length > 0) backend.write(released);
        host.flush();
        removeTray();
        await backend.stop();
        await loopDone;
      }
      if (latencyTimer) clearInterval(latencyTimer);
      send({ t: 'ack', id: msg.id, result: { stopped: true } });
      port.close();
      return;
    }
  }
}

function dispatch(msg: ToInput): void {
  // A real-time script needs timers, which cannot run while the loop blocks in ppoll: leave the
  // loop while it plays (keyboard events wait in the kernel's queue meanwhile).
  const loop = linux ?? windows;
  if (loop && msg.t === 'inject' && !msg.instant) {
    pendingAsync = handle(msg);
    loop.breakLoop();
    return;
  }
  handle(msg).catch((e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    if ('id' in msg) send({ t: 'ack', id: msg.id, error: message });
    else send({ t: 'error', code: 'INPUT_THREAD_ERROR', message });
  });
}

port.on('message', (msg: ToInput) => dispatch(msg));
