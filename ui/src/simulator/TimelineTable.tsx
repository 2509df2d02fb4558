/** The engine's decisions, one row per input or deadline: live and script mode share it. */
import type { TimelineEntry } from '../../../src/core/index.ts';
import { VocabularyHelp } from '../components/VocabularyHelp.tsx';
import { decisionHelp, mappingHelp } from '../lib/decisions.ts';

function formatTime(ms: number): string {
  return Number.isInteger(ms) ? String(ms) : ms.toFixed(1);
}

/** The key a `timeout` row is about: simulate() names it in `also` (`CapsLock: hold`). */
function inputText(entry: TimelineEntry): string {
  if (entry.input !== 'timeout') return entry.input;
  const key = entry.also[0]?.split(':')[0];
  return key ? `timeout: ${key}` : 'timeout';
}

export function TimelineTable({
  entries,
  labelledBy,
  empty,
  scrolls = false,
}: {
  entries: readonly (TimelineEntry & { id?: number })[];
  labelledBy: string;
  empty: string;
  /** cap the height and scroll (the live timeline grows without end) */
  scrolls?: boolean;
}) {
  return (
    <>
      <div
        className={`table-wrap sim-timeline${scrolls ? ' sim-timeline-scroll' : ''}`}
        tabIndex={scrolls ? 0 : undefined}
        aria-labelledby={scrolls ? labelledBy : undefined}
        role={scrolls ? 'region' : undefined}
      >
        <table data-testid="sim-timeline" aria-labelledby={labelledBy}>
          <thead>
            <tr>
              <th scope="col">ms</th>
              <th scope="col">Input</th>
              <th scope="col">Mapping</th>
              <th scope="col">Decision</th>
              <th scope="col">Output</th>
              <th scope="col">Also</th>
              <th scope="col" className="hide-narrow">
                Layers
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.length === 0 ? (
              <tr>
                <td colSpan={7} className="muted">
                  {empty}
                </td>
              </tr>
            ) : (
              entries.map((e, i) => {
                const timeout = e.input === 'timeout';
                return (
                  <tr
                    key={e.id ?? i}
                    data-decision={e.decision}
                    className={timeout ? 'sim-row-timeout' : undefined}
                  >
                    <td className="sim-num">{formatTime(e.timeMs)}</td>
                    <td>
                      <code>{inputText(e)}</code>
                    </td>
                    <td>
                      <span className="sim-mapping" title={mappingHelp(e.mapping)}>
                        {e.mapping}
                      </span>
                    </td>
                    <td>
                      <span
                        className={`sim-decision sim-decision-${e.decision}`}
                        title={decisionHelp(e.decision)}
                      >
                        {e.decision}
                      </span>
                      {timeout && <span className="muted"> (timer)</span>}
                    </td>
                    <td>
                      <code>{e.outputs.join(' ')}</code>
                    </td>
                    <td>{timeout ? '' : e.also.join(', ')}</td>
                    <td className="hide-narrow">{[...e.modifiers, ...e.locks].join(' ')}</td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>
      </div>
      <VocabularyHelp />
    </>
  );
}
