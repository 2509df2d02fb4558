/** The monitor's smaller pieces: connection indicator, notices, stat cards, state chips and logs. */
import { memo } from 'react';
import { formatClock, formatCount } from './format.ts';
import type { LogEntry, Notice } from './monitor-model.ts';
import type { ConnectionView, StateView, StatsView } from './monitor-store.ts';

const CONNECTION_LABEL: Record<ConnectionView['state'], string> = {
  connecting: 'connecting…',
  open: 'live',
  reconnecting: 'reconnecting…',
  closed: 'stopped',
};

/** The only live region on the page: connection changes are announced, events are not. */
export function ConnectionIndicator({ connection }: { connection: ConnectionView }) {
  const { state, reason, resumeSeq } = connection;
  const detail =
    state === 'reconnecting'
      ? [reason && `last close: ${reason}`, resumeSeq !== null && `resuming after seq ${resumeSeq}`]
          .filter(Boolean)
          .join('; ')
      : '';
  return (
    <div className="monitor-connection" role="status" aria-live="polite">
      <span className="monitor-sr-only">Event stream: </span>
      <span className={`conn conn-${state}`} data-testid="monitor-connection">
        <span className="conn-dot" aria-hidden="true" />
        <span>{CONNECTION_LABEL[state]}</span>
      </span>
      {detail && <span className="monitor-connection-detail">({detail})</span>}
    </div>
  );
}

export function NoticeBanner({ notice, onDismiss }: { notice: Notice; onDismiss: () => void }) {
  return (
    <div className={`monitor-notice monitor-notice-${notice.kind}`}>
      <p role="status">
        <time className="monitor-notice-time">{formatClock(notice.timeUs)}</time> {notice.text}
      </p>
      <button type="button" className="icon-button" onClick={onDismiss} aria-label="Dismiss this notice">
        ×
      </button>
    </div>
  );
}

const micros = (v: number | null) => (v === null ? '—' : `${formatCount(v)} µs`);

/** What the latency cards' figures are, in words (the hint under each figure) and at length (its tooltip). */
export function latencyHint(stats: StatsView): { hint: string; title: string } {
  switch (stats.latencySource) {
    case 'window':
      return {
        hint: 'last window',
        title: 'keys in the last statistics window (latencyIntervalMs, 1 s by default)',
      };
    case 'recent': {
      const at = stats.latencyAtUs === null ? '' : `, ${formatClock(stats.latencyAtUs).slice(0, 8)}`;
      return {
        hint: `last window with keys${at}`,
        title: 'no keys in the last window: these are the figures of the last window that had keys',
      };
    }
    case 'total':
      return {
        hint: 'since the daemon started',
        title: 'every key since the daemon started (GET /api/metrics); a window appears once keys flow',
      };
    default:
      return { hint: 'no keys yet', title: 'no key has been processed yet' };
  }
}

export const StatCards = memo(function StatCards({ stats }: { stats: StatsView }) {
  const latency = latencyHint(stats);
  const cards: { id: string; label: string; value: string; hint: string; title?: string }[] = [
    {
      id: 'events-per-second',
      label: 'Events/s',
      value: stats.eventsPerSecond === null ? '—' : formatCount(stats.eventsPerSecond),
      hint: 'in the last report',
    },
    { id: 'p50', label: 'p50 latency', value: micros(stats.p50), ...latency },
    { id: 'p99', label: 'p99 latency', value: micros(stats.p99), ...latency },
    {
      id: 'seen',
      label: 'Key events seen',
      value: formatCount(stats.keyEventsSeen),
      hint: 'since this page opened',
    },
  ];
  return (
    <dl className="monitor-stats">
      {cards.map((c) => (
        <div className="card monitor-stat" key={c.id} data-testid={`monitor-stat-${c.id}`} title={c.title}>
          <dt>{c.label}</dt>
          <dd>
            <span className="monitor-stat-value">{c.value}</span>
            <span className="monitor-stat-hint">{c.hint}</span>
          </dd>
        </div>
      ))}
    </dl>
  );
});

function Chips({ items, kind, label }: { items: readonly string[]; kind: string; label: string }) {
  if (items.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="monitor-chips" aria-label={label}>
      {items.map((item, i) => (
        <li key={`${i}:${item}`} className={`monitor-chip monitor-chip-${kind}`}>
          {item}
        </li>
      ))}
    </ul>
  );
}

export const StatePanel = memo(function StatePanel({ state }: { state: StateView }) {
  const multipleDevices = new Set(state.held.map((h) => h.device)).size > 1;
  const names = new Map(state.devices.map((d) => [d.id, d.name || d.id]));
  const held = state.held.map((h) =>
    multipleDevices ? `${h.key} (${names.get(h.device) ?? h.device})` : h.key,
  );
  const connected = state.devices.filter((d) => d.connected);
  return (
    <dl className="monitor-state" data-testid="monitor-state">
      <div>
        <dt>Active profile</dt>
        <dd>
          {state.activeProfile === undefined ? (
            <span className="muted">unknown</span>
          ) : state.activeProfile === null ? (
            <span className="muted">none (pass-through)</span>
          ) : (
            <strong>{state.activeProfile}</strong>
          )}
        </dd>
      </div>
      <div>
        <dt>Modifiers</dt>
        <dd>
          <Chips items={state.modifiers} kind="modifier" label="Active modifiers" />
        </dd>
      </div>
      <div>
        <dt>Locks</dt>
        <dd>
          <Chips items={state.locks} kind="lock" label="Active locks" />
        </dd>
      </div>
      <div>
        <dt>Keys held</dt>
        <dd>
          <Chips items={held} kind="held" label="Physical keys held" />
        </dd>
      </div>
      <div>
        <dt>Devices</dt>
        <dd>
          {state.devices.length === 0 ? (
            <span className="muted">none seen yet</span>
          ) : (
            <Chips
              items={state.devices.map(
                (d) =>
                  `${d.name || d.id}${d.connected ? '' : ' (disconnected)'}${d.enabled ? '' : ' (disabled)'}`,
              )}
              kind="device"
              label={`Devices: ${connected.length} connected`}
            />
          )}
        </dd>
      </div>
    </dl>
  );
});

export const LogList = memo(function LogList({
  entries,
  emptyText,
  label,
}: {
  entries: readonly LogEntry[];
  emptyText: string;
  label: string;
}) {
  if (entries.length === 0) return <p className="muted">{emptyText}</p>;
  return (
    <ol className="monitor-log" aria-label={label} tabIndex={0}>
      {entries.map((e) => (
        <li key={e.id}>
          <time className="monitor-log-time">{formatClock(e.timeUs)}</time>
          {e.code && <code className="monitor-log-code">{e.code}</code>}
          <span className="monitor-log-text">{e.text}</span>
        </li>
      ))}
    </ol>
  );
});
