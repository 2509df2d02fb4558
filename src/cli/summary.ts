/** The last line under a list of diagnostics: `2 errors, 1 warning`. */
import { plural } from '../core/plural.ts';
import { painter } from './color.ts';

/** `2 errors, 1 warning` (errors red, warnings yellow when coloured), or '' when there are none. */
export function summarizeDiagnostics(diagnostics: readonly { severity: string }[], color: boolean): string {
  const paint = painter(color);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  return [
    errors > 0 ? paint.red(plural(errors, 'error')) : '',
    warnings > 0 ? paint.yellow(plural(warnings, 'warning')) : '',
  ]
    .filter(Boolean)
    .join(', ');
}
