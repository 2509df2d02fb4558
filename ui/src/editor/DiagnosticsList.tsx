/**
 * The problems under the editor, one per line as `line:col severity message`, with the hint and
 * suggestions. An item in the edited file is a button that puts the cursor there; one in a loaded
 * file names that file instead (the editor cannot show it).
 */
import type { Diagnostic } from '../../../src/dsl/diagnostics.ts';
import { plural } from '../lib/format.ts';
import { baseName, isMainFile } from './live-compile.ts';

export interface DiagnosticsListProps {
  diagnostics: readonly Diagnostic[];
  /** base name of the edited file as these diagnostics spell it */
  mainBase: string;
  onSelect: (line: number, column: number) => void;
  /** true while a check of the current text is still running */
  busy?: boolean;
}

export function DiagnosticsList({ diagnostics, mainBase, onSelect, busy = false }: DiagnosticsListProps) {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const summary =
    diagnostics.length === 0
      ? 'No problems'
      : [errors && plural(errors, 'error'), warnings && plural(warnings, 'warning')]
          .filter(Boolean)
          .join(', ');
  return (
    <section className="editor-problems" aria-labelledby="editor-problems-title" aria-busy={busy}>
      <h2 id="editor-problems-title">
        Problems{' '}
        <span
          className={`badge${errors > 0 ? ' badge-error' : ''}`}
          data-testid="diagnostics-summary"
          aria-live="polite"
        >
          {summary}
        </span>
      </h2>
      <ul data-testid="diagnostics" className="diagnostics-list">
        {diagnostics.map((d, i) => {
          const inMain = isMainFile(d.span.file, mainBase);
          const body = (
            <>
              <span className="diag-loc">
                {d.span.line}:{d.span.column}
              </span>{' '}
              {!inMain && (
                <>
                  <span className="diag-file" title={d.span.file}>
                    {baseName(d.span.file)}
                  </span>{' '}
                </>
              )}
              <span className={`diag-sev diag-sev-${d.severity}`}>{d.severity}</span>{' '}
              <span className="diag-msg">{d.message}</span>
              {d.hint && <span className="diag-hint">{d.hint}</span>}
              {d.suggestions && d.suggestions.length > 0 && (
                <span className="diag-hint">did you mean: {d.suggestions.join(', ')}?</span>
              )}
            </>
          );
          return (
            <li key={`${d.span.file}:${d.span.offset}:${d.code}:${i}`} className={`diag diag-${d.severity}`}>
              {inMain ? (
                <button
                  type="button"
                  className="diag-button"
                  onClick={() => onSelect(d.span.line, d.span.column)}
                >
                  {body}
                </button>
              ) : (
                <div className="diag-button diag-elsewhere">{body}</div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
