/**
 * The legend of the Mapping and Decision columns (simulator timeline, monitor table): every name
 * the API uses, with what it means. Collapsed until opened; the same lines are the cells' tooltips.
 */
import { DECISION_HELP, decisionHelp, MAPPING_HELP, mappingHelp } from '../lib/decisions.ts';

export function VocabularyHelp({
  daemon = false,
}: {
  /** add what only the daemon reports (release-all) */ daemon?: boolean;
}) {
  const mappings = Object.keys(MAPPING_HELP);
  const decisions = Object.keys(DECISION_HELP);
  if (daemon) {
    mappings.push('none');
    decisions.push('release-all');
  }
  return (
    <details className="vocab-help" data-testid="vocab-help">
      <summary>What the Mapping and Decision names mean</summary>
      <p className="muted">
        The names are the API&apos;s own, as <code>/api/simulate</code>, the WebSocket <code>key</code> events
        and <code>keyrx simulate --json</code> report them.
      </p>
      <div className="vocab-help-lists">
        <section>
          <h4>Mapping</h4>
          <dl aria-label="Mapping kinds">
            {mappings.map((k) => (
              <div key={k}>
                <dt>
                  <code>{k}</code>
                </dt>
                <dd>{mappingHelp(k)}</dd>
              </div>
            ))}
          </dl>
        </section>
        <section>
          <h4>Decision</h4>
          <dl aria-label="Decisions">
            {decisions.map((d) => (
              <div key={d}>
                <dt>
                  <code>{d}</code>
                </dt>
                <dd>{decisionHelp(d)}</dd>
              </div>
            ))}
          </dl>
        </section>
      </div>
    </details>
  );
}
