/**
 * CodeMirror's look in the app's colours: everything reads the page's CSS variables, so the
 * editor follows the light/dark theme without being reconfigured.
 */
import { EditorView } from '@codemirror/view';

const tint = (variable: string, percent: number) =>
  `color-mix(in srgb, var(${variable}) ${percent}%, transparent)`;

export const editorTheme = EditorView.theme({
  '&': {
    color: 'var(--text)',
    backgroundColor: 'var(--surface)',
    height: '100%',
    fontSize: '0.92rem',
  },
  '&.cm-focused': {
    outline: '3px solid var(--focus)',
    outlineOffset: '-3px',
  },
  '.cm-scroller': {
    fontFamily: 'var(--mono)',
    lineHeight: '1.55',
  },
  '.cm-content': {
    caretColor: 'var(--text)',
  },
  '.cm-cursor, .cm-dropCursor': {
    borderLeftColor: 'var(--text)',
  },
  '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection':
    {
      backgroundColor: tint('--accent', 28),
    },
  '.cm-activeLine': {
    backgroundColor: tint('--accent', 7),
  },
  '.cm-gutters': {
    backgroundColor: 'var(--surface-2)',
    color: 'var(--muted)',
    borderRight: '1px solid var(--border)',
  },
  '.cm-activeLineGutter': {
    backgroundColor: tint('--accent', 14),
    color: 'var(--text)',
  },
  '.cm-matchingBracket, &.cm-focused .cm-matchingBracket': {
    backgroundColor: tint('--success', 25),
    outline: '1px solid var(--success)',
  },
  '.cm-nonmatchingBracket, &.cm-focused .cm-nonmatchingBracket': {
    backgroundColor: tint('--danger', 25),
  },
  '.cm-searchMatch': {
    backgroundColor: tint('--warning', 30),
  },
  '.cm-searchMatch.cm-searchMatch-selected': {
    backgroundColor: tint('--warning', 55),
  },
  '.cm-foldPlaceholder': {
    backgroundColor: 'var(--surface-2)',
    border: '1px solid var(--border)',
    color: 'var(--muted)',
  },
  '.cm-panels': {
    backgroundColor: 'var(--surface-2)',
    color: 'var(--text)',
  },
  '.cm-panels.cm-panels-top': { borderBottom: '1px solid var(--border)' },
  '.cm-panels.cm-panels-bottom': { borderTop: '1px solid var(--border)' },
  '.cm-textfield, .cm-button': {
    color: 'var(--text)',
    backgroundColor: 'var(--surface)',
    backgroundImage: 'none',
    border: '1px solid var(--border)',
  },
  '.cm-tooltip': {
    backgroundColor: 'var(--surface)',
    color: 'var(--text)',
    border: '1px solid var(--border)',
    borderRadius: 'var(--radius)',
    boxShadow: '0 4px 14px rgb(0 0 0 / 0.18)',
  },
  '.cm-tooltip-autocomplete > ul > li': {
    padding: '0.15rem 0.5rem',
  },
  '.cm-tooltip-autocomplete > ul > li[aria-selected]': {
    backgroundColor: 'var(--accent)',
    color: 'var(--accent-text)',
  },
  '.cm-completionDetail': {
    color: 'inherit',
    opacity: '0.75',
    fontStyle: 'normal',
    marginLeft: '0.8em',
  },
  '.cm-completionMatchedText': {
    textDecoration: 'none',
    fontWeight: '700',
  },
  '.cm-completionInfo': {
    maxWidth: '28rem',
    padding: '0.4rem 0.6rem',
    fontFamily: 'system-ui, sans-serif',
    whiteSpace: 'pre-line',
  },
  // hover docs of built-ins and tap_hold options
  '.cm-keyrx-doc': {
    maxWidth: '30rem',
    padding: '0.4rem 0.6rem',
    fontFamily: 'system-ui, sans-serif',
  },
  '.cm-keyrx-doc p': { margin: '0.3rem 0 0' },
  '.cm-keyrx-doc ul': { margin: '0.3rem 0 0', paddingLeft: '1.1rem' },
  '.cm-keyrx-doc-signature': { fontFamily: 'var(--mono)', fontWeight: '600' },
  // Lint: a wavy underline in the theme's colours instead of lint's fixed-colour images.
  '.cm-lintRange': {
    backgroundImage: 'none',
    textDecorationLine: 'underline',
    textDecorationStyle: 'wavy',
    textDecorationSkipInk: 'none',
    textUnderlineOffset: '3px',
    paddingBottom: '0',
  },
  '.cm-lintRange-error': { textDecorationColor: 'var(--danger)' },
  '.cm-lintRange-warning': { textDecorationColor: 'var(--warning)' },
  '.cm-diagnostic': {
    whiteSpace: 'pre-wrap',
    fontFamily: 'system-ui, sans-serif',
    padding: '0.3rem 0.6rem',
  },
  '.cm-diagnostic-error': { borderLeft: '4px solid var(--danger)' },
  '.cm-diagnostic-warning': { borderLeft: '4px solid var(--warning)' },
  '.cm-diagnosticSource': { color: 'var(--muted)', opacity: '1' },
});
