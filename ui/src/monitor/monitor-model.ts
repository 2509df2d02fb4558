/**
 * What the monitor knows, folded from the daemon's stream: the last key events (a ring), the
 * current state (profile, layers, held keys, devices), latency samples, errors and activity.
 * Plain data and no DOM, so it is cheap to feed at thousands of events per second and easy to test;
 * `MonitorStore` turns it into what React renders, at most ten times a second.
 */
import type { DeviceInfo } from '../api.ts';
import type { Envelope, KeyEventData, SnapshotData } from '../stream/event-stream.ts';
import { isEvent } from '../stream/event-stream.ts';
import { plural } from '../lib/format.ts';
import { formatOutputs, outputsAsScript } from './format.ts';
import { RingBuffer } from './ring-buffer.ts';

export const DEFAULT_EVENT_CAPACITY = 5000;
/** how much latency history the chart shows */
export const LATENCY_WINDOW_SECONDS = 120;
const MAX_LATENCY_SAMPLES = 2000;
const MAX_LOG_ENTRIES = 25;

export interface MonitorKeyEvent extends KeyEventData {
  /** unique for the page's lifetime (seqs start again when the daemon restarts) */
  id: number;
  seq: number;
  /** µs since the epoch, when the daemon processed the key */
  timeUs: number;
  /** the device's name when the event arrived, or '' when unknown */
  deviceName: string;
  /** `↓Left ↑Left` */
  outputsText: string;
  /** lower-case text the filter searches */
  searchText: string;
}

export interface HeldKey {
  device: string;
  key: string;
}

export interface LatencyData {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  eventsPerSecond: number;
}

/** `latencyUs` of GET /api/metrics: every key since the daemon started. */
export interface LatencyTotals {
  count: number;
  p50: number;
  p99: number;
}

export interface LatencySample {
  /** seconds since the epoch (uPlot's time unit) */
  t: number;
  p50: number;
  p99: number;
  eventsPerSecond: number;
}

export interface LogEntry {
  id: number;
  timeUs: number;
  text: string;
  /** an error's code */
  code?: string;
}

export type NoticeKind = 'resync' | 'lagged' | 'restart';

export interface Notice {
  kind: NoticeKind;
  text: string;
  timeUs: number;
}

export interface IngestResult {
  /** the daemon behind the stream is a new one (its seqs started again): reconnect without `since` */
  daemonRestarted: boolean;
}

interface HelloData {
  instance?: string;
}
interface ProfileEventData {
  action: string;
  name: string;
  from?: string;
  wasActive?: boolean;
  reloaded?: boolean;
}
interface DeviceEventData {
  action: 'added' | 'removed' | 'updated';
  device: DeviceInfo;
}
interface ErrorEventData {
  code: string;
  message: string;
}
interface LaggedData {
  from: number;
  to: number;
  dropped: number;
}

/** Each part of the model counts its changes, so the view rebuilds only what changed. */
export interface ModelVersions {
  events: number;
  state: number;
  latency: number;
  errors: number;
  activity: number;
  notice: number;
}

export class MonitorModel {
  readonly events: RingBuffer<MonitorKeyEvent>;
  /** key events received since the page opened (Clear does not reset it) */
  keyEventsSeen = 0;
  /** the active profile; undefined until the first snapshot says */
  activeProfile: string | null | undefined = undefined;
  modifiers: string[] = [];
  locks: string[] = [];
  readonly held = new Map<string, HeldKey>();
  readonly devices = new Map<string, DeviceInfo>();
  latency: LatencySample[] = [];
  /** the last report, empty (count 0) once keys stop */
  lastLatency: LatencyData | null = null;
  /** the last report that had keys, and when it came (µs since the epoch) */
  lastBusyLatency: (LatencyData & { timeUs: number }) | null = null;
  /** since the daemon started, from GET /api/metrics when the page opened */
  totalLatency: LatencyTotals | null = null;
  errors: LogEntry[] = [];
  activity: LogEntry[] = [];
  notice: Notice | null = null;
  /** daemon time minus local time, ms (from the last hello), to slide the chart's window */
  clockOffsetMs = 0;
  readonly versions: ModelVersions = { events: 0, state: 0, latency: 0, errors: 0, activity: 0, notice: 0 };

  private nextId = 1;
  private highestSeq = -1;
  private instance: string | null = null;

  constructor(capacity = DEFAULT_EVENT_CAPACITY) {
    this.events = new RingBuffer(capacity);
  }

  /** Folds one frame's envelopes in; stops at a daemon restart (the rest belongs to a stale resume). */
  ingest(envelopes: readonly Envelope[], receivedAtMs = Date.now()): IngestResult {
    for (const env of envelopes) {
      if (!env || typeof env !== 'object' || typeof env.type !== 'string') continue;
      if (env.type === 'hello') {
        if (this.hello(env as Envelope<HelloData>, receivedAtMs)) return { daemonRestarted: true };
        continue;
      }
      if (env.type === 'snapshot') {
        this.snapshot(env as Envelope<SnapshotData>);
        continue;
      }
      if (env.type === 'lagged') {
        this.lagged(env as Envelope<LaggedData>);
        continue;
      }
      if (!isEvent(env)) continue;
      // Resumed streams never repeat an event, but a replay after a lag can: skip what we have.
      if (env.seq <= this.highestSeq) continue;
      this.highestSeq = env.seq;
      switch (env.type) {
        case 'key':
          this.key(env as Envelope<KeyEventData>);
          break;
        case 'state': {
          const data = env.data as { modifiers: string[]; locks: string[] };
          this.modifiers = [...data.modifiers];
          this.locks = [...data.locks];
          this.versions.state++;
          break;
        }
        case 'latency':
          this.latencyReport(env as Envelope<LatencyData>);
          break;
        case 'profile':
          this.profile(env as Envelope<ProfileEventData>);
          break;
        case 'device':
          this.device(env as Envelope<DeviceEventData>);
          break;
        case 'error': {
          const data = env.data as ErrorEventData;
          this.errors = [
            { id: this.nextId++, timeUs: env.time, code: data.code, text: data.message },
            ...this.errors,
          ].slice(0, MAX_LOG_ENTRIES);
          this.versions.errors++;
          break;
        }
      }
    }
    return { daemonRestarted: false };
  }

  /** Empties the event table's buffer (state, chart and counters stay). */
  clearEvents(): void {
    this.events.clear();
    this.versions.events++;
  }

  dismissNotice(): void {
    this.notice = null;
    this.versions.notice++;
  }

  /** Latency samples within the chart's window ending at `nowSeconds` (daemon time). */
  trimLatency(nowSeconds: number): void {
    const from = nowSeconds - LATENCY_WINDOW_SECONDS - 5;
    let drop = 0;
    while (drop < this.latency.length && this.latency[drop].t < from) drop++;
    if (drop > 0) {
      this.latency = this.latency.slice(drop);
      this.versions.latency++;
    }
  }

  private hello(env: Envelope<HelloData>, receivedAtMs: number): boolean {
    this.clockOffsetMs = env.time / 1000 - receivedAtMs;
    const instance = typeof env.data?.instance === 'string' ? env.data.instance : null;
    const restarted = instance !== null && this.instance !== null && instance !== this.instance;
    if (instance !== null) this.instance = instance;
    if (!restarted) return false;
    this.highestSeq = -1;
    this.notice = { kind: 'restart', text: 'The daemon restarted — state reloaded.', timeUs: env.time };
    this.versions.notice++;
    this.log('the daemon restarted', env.time);
    return true;
  }

  private snapshot(env: Envelope<SnapshotData>): void {
    const data = env.data;
    this.highestSeq = env.seq;
    this.activeProfile = data.activeProfile;
    this.modifiers = [...data.modifiers];
    this.locks = [...data.locks];
    this.held.clear();
    for (const h of data.held) this.held.set(heldId(h.device, h.key), { device: h.device, key: h.key });
    this.devices.clear();
    for (const d of data.devices as DeviceInfo[]) this.devices.set(d.id, d);
    this.versions.state++;
    if (data.resync) {
      this.notice = {
        kind: 'resync',
        text: 'Missed events while disconnected — state reloaded.',
        timeUs: env.time,
      };
      this.versions.notice++;
      this.log('missed events while disconnected; state reloaded', env.time);
    }
  }

  private lagged(env: Envelope<LaggedData>): void {
    const { from, to, dropped } = env.data;
    const text = `This page fell behind: the daemon dropped ${plural(dropped, 'event')} for it (seq ${from}–${to}).`;
    this.notice = { kind: 'lagged', text, timeUs: env.time };
    this.versions.notice++;
    this.log(`lost ${plural(dropped, 'event')} (seq ${from}–${to})`, env.time);
  }

  private key(env: Envelope<KeyEventData>): void {
    const d = env.data;
    const outputs = Array.isArray(d.outputs) ? d.outputs : [];
    const outputsText = formatOutputs(outputs);
    const deviceName = this.devices.get(d.device)?.name ?? '';
    const event: MonitorKeyEvent = {
      id: this.nextId++,
      seq: env.seq,
      timeUs: env.time,
      device: d.device,
      deviceName,
      key: d.key,
      action: d.action,
      outputs,
      mapping: d.mapping,
      decision: d.decision,
      latencyUs: d.latencyUs,
      outputsText,
      searchText: [
        d.key,
        d.device,
        deviceName,
        d.action,
        d.mapping,
        d.decision,
        outputsText,
        outputsAsScript(outputs),
      ]
        .join('\n')
        .toLowerCase(),
    };
    this.events.push(event);
    this.keyEventsSeen++;
    this.versions.events++;
    if (d.action === 'press') {
      this.held.set(heldId(d.device, d.key), { device: d.device, key: d.key });
      this.versions.state++;
    } else if (d.action === 'release') {
      if (this.held.delete(heldId(d.device, d.key))) this.versions.state++;
    } else if (d.action === 'release-all') {
      this.held.clear();
      this.versions.state++;
    }
  }

  /** The since-start figures of GET /api/metrics (shown until this page sees a window with keys). */
  setLatencyTotals(totals: LatencyTotals): void {
    this.totalLatency = { count: totals.count, p50: totals.p50, p99: totals.p99 };
    this.versions.latency++;
  }

  private latencyReport(env: Envelope<LatencyData>): void {
    const d = env.data;
    this.lastLatency = { ...d };
    if (d.count > 0) this.lastBusyLatency = { ...d, timeUs: env.time };
    const sample = { t: env.time / 1e6, p50: d.p50, p99: d.p99, eventsPerSecond: d.eventsPerSecond };
    this.latency = [...this.latency, sample].slice(-MAX_LATENCY_SAMPLES);
    this.trimLatency(sample.t);
    this.versions.latency++;
  }

  private profile(env: Envelope<ProfileEventData>): void {
    const d = env.data;
    switch (d.action) {
      case 'activated':
        this.activeProfile = d.name;
        this.versions.state++;
        this.log(`activated ${d.name}`, env.time);
        break;
      case 'updated':
        this.log(d.reloaded ? `updated ${d.name} (reloaded)` : `updated ${d.name}`, env.time);
        break;
      case 'created':
        this.log(d.from ? `created ${d.name} (from ${d.from})` : `created ${d.name}`, env.time);
        break;
      case 'renamed':
        if (d.from !== undefined && this.activeProfile === d.from) {
          this.activeProfile = d.name;
          this.versions.state++;
        }
        this.log(`renamed ${d.from ?? '?'} to ${d.name}`, env.time);
        break;
      case 'deleted':
        if (d.wasActive || this.activeProfile === d.name) {
          this.activeProfile = null;
          this.versions.state++;
        }
        this.log(`deleted ${d.name}`, env.time);
        break;
      default:
        this.log(`profile ${d.name}: ${d.action}`, env.time);
    }
  }

  private device(env: Envelope<DeviceEventData>): void {
    const { action, device } = env.data;
    if (!device || typeof device.id !== 'string') return;
    if (action === 'removed') this.devices.delete(device.id);
    else this.devices.set(device.id, device);
    this.versions.state++;
    this.log(`device ${device.name || device.id} ${action}`, env.time);
  }

  private log(text: string, timeUs: number): void {
    this.activity = [{ id: this.nextId++, timeUs, text }, ...this.activity].slice(0, MAX_LOG_ENTRIES);
    this.versions.activity++;
  }
}

function heldId(device: string, key: string): string {
  return `${device}\u0000${key}`;
}

/** Lower-case terms of a filter; an event matches when its text contains every term. */
export function filterTerms(filter: string): string[] {
  return filter.toLowerCase().split(/\s+/).filter(Boolean);
}

export function matchesFilter(event: MonitorKeyEvent, terms: readonly string[]): boolean {
  for (const t of terms) if (!event.searchText.includes(t)) return false;
  return true;
}
