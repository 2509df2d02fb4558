/** The key-event table: newest first, one memoised row per event (rows never change once drawn). */
import { memo } from 'react';
import { decisionHelp, mappingHelp } from '../lib/decisions.ts';
import { formatClock, formatCount, isoFromMicros } from './format.ts';
import type { MonitorKeyEvent } from './monitor-model.ts';

/** A decision's colour family (see monitor.css). */
export function decisionClass(decision: string): string {
  switch (decision) {
    case 'remap':
    case 'sequence':
    case 'override':
      return 'decision decision-remap';
    case 'layer-on':
    case 'layer-off':
    case 'layer-switch':
      return 'decision decision-layer';
    case 'lock-toggle':
    case 'layer-toggle':
      return 'decision decision-lock';
    case 'pending':
    case 'tap':
    case 'hold':
    case 'hold-release':
    case 'quick-tap':
    case 'idle-tap':
    case 'same-hand-tap':
    case 'roll-tap':
    case 'listed-tap':
    case 'listed-hold':
    case 'timeout-action':
    case 'retro-tap':
    case 'auto-shift':
    case 'dance-tap':
    case 'dance-hold':
      return 'decision decision-taphold';
    case 'one-shot':
    case 'one-shot-armed':
    case 'one-shot-used':
    case 'one-shot-lock':
    case 'one-shot-unlock':
    case 'caps-word-on':
    case 'caps-word-off':
      return 'decision decision-oneshot';
    case 'macro':
    case 'unicode':
    case 'leader':
    case 'leader-key':
    case 'leader-sequence':
    case 'macro-record':
    case 'macro-record-stop':
    case 'mouse-move':
    case 'mouse-wheel':
      return 'decision decision-macro';
    case 'combo':
      return 'decision decision-combo';
    case 'queued':
    case 'ignored':
    case 'release-all':
    case 'one-shot-timeout':
    case 'one-shot-cancel':
    case 'leader-cancel':
      return 'decision decision-muted';
    default:
      return 'decision';
  }
}

const EventRow = memo(function EventRow({ event }: { event: MonitorKeyEvent }) {
  const allKeys = event.action === 'release-all';
  return (
    <tr data-testid="monitor-row">
      <td className="monitor-time">
        <time dateTime={isoFromMicros(event.timeUs)}>{formatClock(event.timeUs)}</time>
      </td>
      <td
        className="monitor-device"
        title={
          event.deviceName && event.deviceName !== event.device
            ? `${event.deviceName} (id ${event.device})`
            : event.device || undefined
        }
      >
        {event.device === '' ? <span className="muted">—</span> : event.deviceName || event.device}
      </td>
      <td className="monitor-key">
        {allKeys ? <span className="muted">all keys</span> : <kbd>{event.key}</kbd>}
      </td>
      <td>{event.action}</td>
      <td title={mappingHelp(event.mapping)}>{event.mapping}</td>
      <td>
        <span className={decisionClass(event.decision)} title={decisionHelp(event.decision)}>
          {event.decision}
        </span>
      </td>
      <td className="monitor-outputs" title={event.outputsText.length > 20 ? event.outputsText : undefined}>
        {event.outputsText || (
          <span className="muted">{event.decision === 'pending' ? '(pending)' : '(none)'}</span>
        )}
      </td>
      <td className="monitor-num">{formatCount(event.latencyUs)}</td>
    </tr>
  );
});

export interface EventTableProps {
  rows: readonly MonitorKeyEvent[];
  /** what the empty table says */
  emptyText: string;
  caption: string;
}

export const EventTable = memo(function EventTable({ rows, emptyText, caption }: EventTableProps) {
  return (
    // Focusable so the scroll area can be scrolled from the keyboard.
    <div
      className="table-wrap monitor-table-wrap"
      tabIndex={0}
      role="region"
      aria-label="Key events (scrollable)"
    >
      <table className="monitor-table" data-testid="monitor-events">
        <caption>{caption}</caption>
        <colgroup>
          <col className="col-time" />
          <col className="col-device" />
          <col className="col-key" />
          <col className="col-action" />
          <col className="col-mapping" />
          <col className="col-decision" />
          <col className="col-outputs" />
          <col className="col-latency" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Device</th>
            <th scope="col">Key</th>
            <th scope="col">Action</th>
            <th scope="col">Mapping</th>
            <th scope="col">Decision</th>
            <th scope="col">Outputs</th>
            <th scope="col" className="monitor-num">
              Latency (µs)
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={8} className="muted monitor-empty">
                {emptyText}
              </td>
            </tr>
          ) : (
            rows.map((e) => <EventRow key={e.id} event={e} />)
          )}
        </tbody>
      </table>
    </div>
  );
});
