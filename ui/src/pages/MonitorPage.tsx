/**
 * The monitor (`/monitor`): what the daemon does, live. The page opens its own stream with the
 * `key` topic (the app-wide stream leaves keystrokes out) and closes it when you leave.
 */
import type { ChangeEvent } from 'react';
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { Metrics } from '../api.ts';
import { api } from '../api.ts';
import { VocabularyHelp } from '../components/VocabularyHelp.tsx';
import { EventTable } from '../monitor/EventTable.tsx';
import type { ExportFormat } from '../monitor/export.ts';
import { downloadFile } from '../monitor/export.ts';
import { plural } from '../lib/format.ts';
import { formatCount } from '../monitor/format.ts';
import { LatencyChart } from '../monitor/LatencyChart.tsx';
import { MacroRecorder } from '../monitor/MacroRecorder.tsx';
import {
  ConnectionIndicator,
  LogList,
  NoticeBanner,
  StatCards,
  StatePanel,
} from '../monitor/MonitorPanels.tsx';
import type { TableView } from '../monitor/monitor-store.ts';
import { MonitorStore } from '../monitor/monitor-store.ts';
import '../monitor/monitor.css';

export interface MonitorPageProps {
  /** the stream's WebSocket URL; default `/ws` on the page's host */
  streamUrl?: string;
  /** another WebSocket implementation (tests use the `ws` package's client) */
  WebSocketImpl?: typeof WebSocket;
  /** GET /api/metrics (tests pass their own) */
  loadMetrics?: () => Promise<Pick<Metrics, 'latencyUs'>>;
}

function tableSummary(t: TableView): string {
  const shown = t.rows.length;
  const prefix = t.paused ? 'Paused. ' : '';
  if (t.buffered === 0 && !t.paused)
    return `No events buffered (the page keeps the last ${formatCount(t.capacity)}).`;
  const keeps = `(the page keeps the last ${formatCount(t.capacity)})`;
  if (t.filter.trim() !== '') {
    const matching = `${plural(t.matching, 'matching event')}`;
    return shown === t.matching
      ? `${prefix}${matching}.`
      : `${prefix}${matching}; showing the newest ${formatCount(shown)}.`;
  }
  return shown === t.matching
    ? `${prefix}Showing ${plural(shown, 'event')} ${keeps}.`
    : `${prefix}Showing the newest ${formatCount(shown)} of ${plural(t.matching, 'event')} ${keeps}.`;
}

function emptyText(t: TableView): string {
  if (t.filter.trim() !== '' && (t.paused || t.buffered > 0)) return `No event matches “${t.filter.trim()}”.`;
  if (t.paused) return 'No events were buffered when you paused.';
  return 'No key events yet: press a key on a keyboard keyrx handles.';
}

export default function MonitorPage({
  streamUrl,
  WebSocketImpl,
  loadMetrics = api.metrics,
}: MonitorPageProps) {
  const [store] = useState(() => new MonitorStore());
  const [filter, setFilter] = useState('');
  // The stream sends latency windows only while keys flow: the since-start figures fill the cards
  // of a page opened after typing stopped.
  useEffect(() => {
    let cancelled = false;
    loadMetrics()
      .then((m) => {
        if (!cancelled) store.setLatencyTotals(m.latencyUs);
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [store, loadMetrics]);
  useEffect(() => {
    // Opened on the next task: StrictMode's first, discarded run of this effect then never
    // creates a socket (closing one that is still connecting logs an error in Chrome).
    let stop: (() => void) | null = null;
    const timer = window.setTimeout(() => (stop = store.start({ url: streamUrl, WebSocketImpl })), 0);
    return () => {
      window.clearTimeout(timer);
      stop?.();
    };
  }, [store, streamUrl, WebSocketImpl]);
  const view = useSyncExternalStore(store.subscribe, store.getView);
  const { table } = view;

  const onFilterChange = (e: ChangeEvent<HTMLInputElement>) => {
    setFilter(e.target.value);
    store.setFilter(e.target.value);
  };
  const exportAs = (format: ExportFormat) => downloadFile(store.exportEvents(format));

  return (
    <section className="page monitor" aria-labelledby="monitor-title">
      <div className="monitor-head">
        <h1 id="monitor-title">Monitor</h1>
        <ConnectionIndicator connection={view.connection} />
      </div>
      {view.notice && <NoticeBanner notice={view.notice} onDismiss={() => store.dismissNotice()} />}

      <StatCards stats={view.stats} />

      <div className="monitor-grid">
        <section className="card monitor-card" aria-labelledby="monitor-latency-title">
          <h2 id="monitor-latency-title">Latency</h2>
          <p className="monitor-chart-caption muted">
            p50 and p99 of the key path (µs, left axis) and events/s (right axis), last 2 minutes.
          </p>
          <LatencyChart series={view.latency} clockOffsetMs={view.clockOffsetMs} />
        </section>
        <section className="card monitor-card" aria-labelledby="monitor-state-title">
          <h2 id="monitor-state-title">Current state</h2>
          <StatePanel state={view.state} />
        </section>
      </div>

      <section className="monitor-events" aria-labelledby="monitor-events-title">
        <h2 id="monitor-events-title">Key events</h2>
        <div className="toolbar monitor-toolbar">
          <label className="monitor-filter">
            <span>Filter</span>
            <input
              type="search"
              value={filter}
              onChange={onFilterChange}
              placeholder="key, device, decision, mapping, output"
              aria-describedby="monitor-filter-hint"
              autoComplete="off"
              spellCheck={false}
            />
          </label>
          <span id="monitor-filter-hint" className="monitor-sr-only">
            Shows events whose key, device, action, mapping, decision or outputs contain every word typed.
          </span>
          {table.paused ? (
            <button type="button" className="primary" onClick={() => store.resume()}>
              Resume
            </button>
          ) : (
            <button type="button" onClick={() => store.pause()}>
              Pause
            </button>
          )}
          {table.paused && (
            <span className="badge monitor-new" data-testid="monitor-new">
              {formatCount(table.newWhilePaused)} new
            </span>
          )}
          <button
            type="button"
            onClick={() => store.clear()}
            disabled={table.buffered === 0 && table.rows.length === 0}
          >
            Clear
          </button>
          <span className="monitor-export">
            <span id="monitor-export-hint" className="monitor-sr-only">
              Saves every buffered event that matches the filter, oldest first.
            </span>
            <button
              type="button"
              onClick={() => exportAs('csv')}
              disabled={table.buffered === 0}
              aria-describedby="monitor-export-hint"
            >
              Export CSV
            </button>
            <button
              type="button"
              onClick={() => exportAs('json')}
              disabled={table.buffered === 0}
              aria-describedby="monitor-export-hint"
            >
              Export JSON
            </button>
          </span>
        </div>
        <p className="monitor-summary muted" data-testid="monitor-summary">
          {tableSummary(table)}
        </p>
        <EventTable rows={table.rows} emptyText={emptyText(table)} caption="Key events, newest first" />
        <VocabularyHelp daemon />
      </section>

      <div className="monitor-grid">
        <section className="card monitor-card" aria-labelledby="monitor-errors-title">
          <h2 id="monitor-errors-title">Recent errors</h2>
          <LogList
            entries={view.errors}
            label="Recent daemon errors"
            emptyText="No errors since this page opened."
          />
        </section>
        <section className="card monitor-card" aria-labelledby="monitor-activity-title">
          <h2 id="monitor-activity-title">Activity</h2>
          <LogList
            entries={view.activity}
            label="Profile and device activity"
            emptyText="No profile or device changes since this page opened."
          />
        </section>
        <MacroRecorder />
      </div>
    </section>
  );
}
