/**
 * The monitor page's own stream and what it renders. Events are folded into a `MonitorModel`
 * as they arrive (no React work), and an immutable `MonitorView` is rebuilt at most once per
 * `flushIntervalMs` (100 ms: ten renders a second however fast keys come). Parts of the view
 * that did not change keep their identity, so memoised components skip them.
 */
import type { DeviceInfo } from '../api.ts';
import type { ConnectionState, Envelope, Topic } from '../stream/event-stream.ts';
import { EventStream } from '../stream/event-stream.ts';
import type { ExportFile, ExportFormat } from './export.ts';
import { buildExport } from './export.ts';
import type {
  HeldKey,
  LatencyTotals,
  LogEntry,
  ModelVersions,
  MonitorKeyEvent,
  Notice,
} from './monitor-model.ts';
import { DEFAULT_EVENT_CAPACITY, filterTerms, matchesFilter, MonitorModel } from './monitor-model.ts';

export const MONITOR_TOPICS: Topic[] = ['key', 'state', 'latency', 'error', 'profile', 'device'];
export const DEFAULT_MAX_ROWS = 300;
export const DEFAULT_FLUSH_INTERVAL_MS = 100;

export interface ConnectionView {
  state: ConnectionState;
  /** why the last connection ended ('' before any) */
  reason: string;
  /** the seq a reconnection resumes after */
  resumeSeq: number | null;
}

export interface StateView {
  activeProfile: string | null | undefined;
  modifiers: readonly string[];
  locks: readonly string[];
  held: readonly HeldKey[];
  devices: readonly DeviceInfo[];
}

/**
 * Which figures the p50/p99 cards show: the last window while keys flow; once a window is empty,
 * the last window that had keys; before this page saw any, the totals since the daemon started.
 */
export type LatencySource = 'window' | 'recent' | 'total';

export interface StatsView {
  eventsPerSecond: number | null;
  p50: number | null;
  p99: number | null;
  /** null: no figures yet */
  latencySource: LatencySource | null;
  /** for 'recent': when that window was reported, µs since the epoch */
  latencyAtUs: number | null;
  keyEventsSeen: number;
}

/** Columns for uPlot: x in seconds, then p50, p99 (µs) and events/s. */
export interface LatencySeries {
  t: number[];
  p50: number[];
  p99: number[];
  eventsPerSecond: number[];
}

export interface TableView {
  /** newest first, at most `maxRows` */
  rows: readonly MonitorKeyEvent[];
  /** events that match the filter (in the frozen set when paused) */
  matching: number;
  /** events in the ring buffer */
  buffered: number;
  capacity: number;
  filter: string;
  paused: boolean;
  /** key events that arrived since Pause */
  newWhilePaused: number;
}

export interface MonitorView {
  connection: ConnectionView;
  notice: Notice | null;
  state: StateView;
  stats: StatsView;
  latency: LatencySeries;
  /** daemon clock minus local clock, ms */
  clockOffsetMs: number;
  table: TableView;
  errors: readonly LogEntry[];
  activity: readonly LogEntry[];
}

export interface StreamTarget {
  /** the WebSocket URL; default `/ws` on the page's host */
  url?: string;
  WebSocketImpl?: typeof WebSocket;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface MonitorStoreOptions {
  capacity?: number;
  maxRows?: number;
  flushIntervalMs?: number;
}

interface RowSelection {
  rows: MonitorKeyEvent[];
  matching: number;
}

type BuiltVersions = ModelVersions & { table: number };

export class MonitorStore {
  readonly model: MonitorModel;
  /** views published (each one is at most one React render) */
  flushCount = 0;

  private readonly maxRows: number;
  private readonly flushIntervalMs: number;
  private view: MonitorView;
  private built: BuiltVersions;
  private readonly listeners = new Set<() => void>();
  private filter = '';
  private terms: string[] = [];
  /** bumps when the filter, pause or clear change what the table shows */
  private tableVersion = 0;
  /** the buffer's events (oldest first) when Pause was pressed */
  private frozen: MonitorKeyEvent[] | null = null;
  private frozenSelection: { version: number; selection: RowSelection } | null = null;
  private seenAtPause = 0;
  private connection: ConnectionView = { state: 'connecting', reason: '', resumeSeq: null };
  private stream: EventStream | null = null;
  private detachStream: (() => void) | null = null;
  private target: StreamTarget = {};
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFlushAt = -Infinity;

  constructor(options: MonitorStoreOptions = {}) {
    this.model = new MonitorModel(options.capacity ?? DEFAULT_EVENT_CAPACITY);
    this.maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.built = { ...this.model.versions, table: this.tableVersion };
    this.view = {
      connection: this.connection,
      notice: null,
      state: buildState(this.model),
      stats: buildStats(this.model),
      latency: { t: [], p50: [], p99: [], eventsPerSecond: [] },
      clockOffsetMs: 0,
      table: this.buildTable(),
      errors: [],
      activity: [],
    };
  }

  /** Opens the stream; returns the function that closes it (for a React effect). */
  start(target: StreamTarget = {}): () => void {
    this.target = target;
    this.openStream();
    return () => {
      this.closeStream();
      if (this.flushTimer !== null) clearTimeout(this.flushTimer);
      this.flushTimer = null;
    };
  }

  /** Feeds envelopes in directly (what the stream does); exposed for tests and replays. */
  ingest(envelopes: readonly Envelope[]): void {
    // A restarted daemon: EventStream has already reconnected without `since` (a snapshot
    // follows); show the notice now.
    const { daemonRestarted } = this.model.ingest(envelopes);
    if (daemonRestarted) this.flushNow();
    else this.scheduleFlush();
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getView = (): MonitorView => this.view;

  setFilter(filter: string): void {
    if (filter === this.filter) return;
    this.filter = filter;
    this.terms = filterTerms(filter);
    this.tableVersion++;
    this.flushNow();
  }

  pause(): void {
    if (this.frozen) return;
    this.frozen = this.model.events.toArray();
    this.seenAtPause = this.model.keyEventsSeen;
    this.tableVersion++;
    this.flushNow();
  }

  resume(): void {
    if (!this.frozen) return;
    this.frozen = null;
    this.frozenSelection = null;
    this.tableVersion++;
    this.flushNow();
  }

  clear(): void {
    this.model.clearEvents();
    if (this.frozen) {
      this.frozen = [];
      this.seenAtPause = this.model.keyEventsSeen;
    }
    this.tableVersion++;
    this.flushNow();
  }

  /** The since-start latency of GET /api/metrics, for the cards until a window with keys arrives. */
  setLatencyTotals(totals: LatencyTotals): void {
    this.model.setLatencyTotals(totals);
    this.flushNow();
  }

  dismissNotice(): void {
    this.model.dismissNotice();
    this.flushNow();
  }

  /** The buffered events that match the filter, oldest first. */
  filteredEvents(): MonitorKeyEvent[] {
    const all = this.model.events.toArray();
    return this.terms.length === 0 ? all : all.filter((e) => matchesFilter(e, this.terms));
  }

  exportEvents(format: ExportFormat, at = new Date()): ExportFile {
    return buildExport(format, this.filteredEvents(), at);
  }

  private openStream(): void {
    const stream = new EventStream({ topics: MONITOR_TOPICS, ...this.target });
    const offEvents = stream.onEvents((envelopes) => {
      if (stream === this.stream) this.ingest(envelopes);
    });
    const offState = stream.onState(() => {
      if (stream !== this.stream) return;
      this.connection = { state: stream.state, reason: stream.lastCloseReason, resumeSeq: stream.lastSeq };
      this.flushNow();
    });
    this.stream = stream;
    this.detachStream = () => {
      offEvents();
      offState();
    };
    stream.start();
  }

  private closeStream(): void {
    this.detachStream?.();
    this.detachStream = null;
    this.stream?.stop();
    this.stream = null;
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null) return;
    const wait = Math.max(0, this.lastFlushAt + this.flushIntervalMs - performance.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flushNow();
    }, wait);
  }

  private flushNow(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.lastFlushAt = performance.now();
    const m = this.model;
    const v = m.versions;
    const prev = this.view;
    m.trimLatency((Date.now() + m.clockOffsetMs) / 1000);
    const tableChanged = v.events !== this.built.events || this.tableVersion !== this.built.table;
    const stats =
      m.keyEventsSeen !== prev.stats.keyEventsSeen || v.latency !== this.built.latency
        ? buildStats(m)
        : prev.stats;
    const next: MonitorView = {
      connection: this.connection,
      notice: m.notice,
      state: v.state !== this.built.state ? buildState(m) : prev.state,
      stats,
      latency: v.latency !== this.built.latency ? buildSeries(m) : prev.latency,
      clockOffsetMs: m.clockOffsetMs,
      table: tableChanged ? this.buildTable() : prev.table,
      errors: m.errors,
      activity: m.activity,
    };
    this.built = { ...v, table: this.tableVersion };
    if ((Object.keys(next) as (keyof MonitorView)[]).every((k) => next[k] === prev[k])) return;
    this.view = next;
    this.flushCount++;
    for (const l of this.listeners) l();
  }

  private buildTable(): TableView {
    const m = this.model;
    let selection: RowSelection;
    if (this.frozen) {
      if (this.frozenSelection?.version !== this.tableVersion) {
        this.frozenSelection = { version: this.tableVersion, selection: this.selectFrozen(this.frozen) };
      }
      selection = this.frozenSelection.selection;
    } else selection = this.selectLive();
    return {
      rows: selection.rows,
      matching: selection.matching,
      buffered: m.events.size,
      capacity: m.events.capacity,
      filter: this.filter,
      paused: this.frozen !== null,
      newWhilePaused: this.frozen ? m.keyEventsSeen - this.seenAtPause : 0,
    };
  }

  private selectLive(): RowSelection {
    const ring = this.model.events;
    const rows: MonitorKeyEvent[] = [];
    if (this.terms.length === 0) {
      for (let i = 0; i < ring.size && rows.length < this.maxRows; i++) rows.push(ring.newest(i));
      return { rows, matching: ring.size };
    }
    let matching = 0;
    for (let i = 0; i < ring.size; i++) {
      const e = ring.newest(i);
      if (!matchesFilter(e, this.terms)) continue;
      matching++;
      if (rows.length < this.maxRows) rows.push(e);
    }
    return { rows, matching };
  }

  private selectFrozen(events: readonly MonitorKeyEvent[]): RowSelection {
    const rows: MonitorKeyEvent[] = [];
    let matching = 0;
    for (let i = events.length - 1; i >= 0; i--) {
      if (!matchesFilter(events[i], this.terms)) continue;
      matching++;
      if (rows.length < this.maxRows) rows.push(events[i]);
    }
    return { rows, matching };
  }
}

function buildState(m: MonitorModel): StateView {
  return {
    activeProfile: m.activeProfile,
    modifiers: [...m.modifiers],
    locks: [...m.locks],
    held: [...m.held.values()],
    devices: [...m.devices.values()],
  };
}

function buildStats(m: MonitorModel): StatsView {
  const l = m.lastLatency;
  const busy = m.lastBusyLatency;
  const total = m.totalLatency;
  const base = { eventsPerSecond: l ? l.eventsPerSecond : null, keyEventsSeen: m.keyEventsSeen };
  if (l && l.count > 0)
    return { ...base, p50: l.p50, p99: l.p99, latencySource: 'window', latencyAtUs: null };
  if (busy)
    return { ...base, p50: busy.p50, p99: busy.p99, latencySource: 'recent', latencyAtUs: busy.timeUs };
  if (total && total.count > 0)
    return { ...base, p50: total.p50, p99: total.p99, latencySource: 'total', latencyAtUs: null };
  return { ...base, p50: null, p99: null, latencySource: null, latencyAtUs: null };
}

function buildSeries(m: MonitorModel): LatencySeries {
  const s = m.latency;
  return {
    t: s.map((x) => x.t),
    p50: s.map((x) => x.p50),
    p99: s.map((x) => x.p99),
    eventsPerSecond: s.map((x) => x.eventsPerSecond),
  };
}
