/**
 * Editing one profile: CodeMirror with live diagnostics from the in-browser compiler, save and
 * activate through the daemon, and the keyboard map and simulator of the text as it is now.
 *
 * Who checks the text: the browser compiler, on every change. A profile that load()s files the
 * browser cannot read is checked by the daemon instead (debounced), and a save the daemon refuses
 * shows the daemon's diagnostics until the text changes again.
 */
import CodeMirror from '@uiw/react-codemirror';
import type { KeyboardEvent as ReactKeyboardEvent } from 'react';
import { memo, useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import type { Extension } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';
import { EditorView as View } from '@codemirror/view';
import type { MappingSource } from '../../../src/core/index.ts';
import { configStats } from '../../../src/core/index.ts';
import type { CompileReport, Diagnostic, ProfileDetail } from '../api.ts';
import { api, ApiError } from '../api.ts';
import { useApp, useStreamEvents } from '../app-context.ts';
import { useDialogEditing } from '../edit/editing.tsx';
import { withNamedLayers } from '../edit/edit-session.ts';
import type { BrowserCompile } from '../lib/compile.ts';
import { compileInBrowser, profileFile } from '../lib/compile.ts';
import { plural } from '../lib/format.ts';
import { addNavigationGuard, Link } from '../router.tsx';
import { useToasts } from '../toasts.tsx';
import { DiagnosticsList } from './DiagnosticsList.tsx';
import type { EditorHandlers } from './extensions.ts';
import { connectHandlers, profileEditorExtensions } from './extensions.ts';
import { baseName, positionOf, showDiagnostics } from './live-compile.ts';
import { SidePanel } from './SidePanel.tsx';
import './editor.css';

/** Pause after typing before a profile with unreadable load()s is sent to the daemon. */
const DAEMON_CHECK_DELAY_MS = 300;
/** Stable (a new object would make the wrapper reconfigure the editor on every render). */
const BASIC_SETUP = { foldGutter: false, highlightActiveLineGutter: true } as const;

interface Live {
  /** the text this result is for: the editor's text as of the last compile */
  text: string;
  result: BrowserCompile;
  /** the latest result without errors: the side panel keeps showing it while the text is broken */
  lastGood: BrowserCompile | null;
}

type DaemonCheck = { text: string; report: CompileReport } | { text: string; error: string };

interface Refusal {
  text: string;
  message: string;
  diagnostics: Diagnostic[];
}

type External = { kind: 'changed'; source: string } | { kind: 'deleted' } | { kind: 'renamed'; to: string };

type Busy = null | 'save' | 'activate';

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The errors among a refusal's diagnostics, in words (`2 errors`), or null when it has none. */
function errorCount(diagnostics: readonly Diagnostic[]): string | null {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return errors > 0 ? plural(errors, 'error') : null;
}

export function ProfileEditor({
  name,
  initial,
  startAt,
}: {
  name: string;
  initial: ProfileDetail;
  /** put the cursor here when the editor opens (links like /profiles/work?line=12&column=5) */
  startAt?: { line: number; column: number };
}) {
  const file = profileFile(name);
  const { status, refreshStatus } = useApp();
  const toasts = useToasts();

  const viewRef = useRef<EditorView | null>(null);
  const savedRef = useRef(initial.source);
  const inFlightRef = useRef<string | null>(null);
  const busyRef = useRef<Busy>(null);
  // CodeMirror's extensions are built once; they reach the current handlers through this ref.
  const handlers = useRef<EditorHandlers>({ changed: () => {}, save: () => {} });

  const [saved, setSaved] = useState(initial.source);
  const [initialCompile] = useState(() => compileInBrowser(initial.source, file));
  const [live, setLive] = useState<Live>(() => ({
    text: initial.source,
    result: initialCompile,
    lastGood: initialCompile.ok ? initialCompile : null,
  }));
  const [daemonCheck, setDaemonCheck] = useState<DaemonCheck | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [busy, setBusy] = useState<Busy>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [external, setExternal] = useState<External | null>(null);

  const dirty = live.text !== saved;
  const isActive = status?.activeProfile === name;

  // ------------------------------------------------------------------ cursor

  const goTo = useCallback((line: number, column: number) => {
    const view = viewRef.current;
    if (!view) return;
    const pos = positionOf(view.state.doc, line, column);
    view.dispatch({ selection: { anchor: pos }, effects: View.scrollIntoView(pos, { y: 'center' }) });
    view.focus();
  }, []);

  const onKeySource = useCallback(
    (source: MappingSource) => {
      if (baseName(source.file) === file) goTo(source.line, source.column);
      else toasts.show('info', `That key is declared in ${source.file}, line ${source.line}.`);
    },
    [file, goTo, toasts],
  );

  // ------------------------------------------------------------------ compile

  const onChanged = (text: string, view: EditorView) => {
    const result = compileInBrowser(text, file);
    // With unreadable load()s the daemon's answer replaces these (the old marks move with the text).
    if (!result.unresolvedLoads) showDiagnostics(view, result.diagnostics, file);
    // Rendered at once, so the list changes in the same frame as the underlines; the side panel
    // follows in a deferred render.
    flushSync(() => setLive((prev) => ({ text, result, lastGood: result.ok ? result : prev.lastGood })));
  };

  const onCreateEditor = useCallback(
    (view: EditorView) => {
      viewRef.current = view;
      connectHandlers(view, () => handlers.current);
      if (!initialCompile.unresolvedLoads) showDiagnostics(view, initialCompile.diagnostics, file);
      // after the first layout, so scrolling to the line works
      if (startAt) setTimeout(() => goTo(startAt.line, startAt.column), 0);
    },
    [initialCompile, file, startAt, goTo],
  );

  // A profile that load()s files from the daemon's disk: the daemon checks it.
  const needsDaemon = live.result.unresolvedLoads;
  const checkedText = daemonCheck?.text;
  useEffect(() => {
    if (!needsDaemon) return;
    const text = live.text;
    if (checkedText === text) return;
    let cancelled = false;
    const timer = setTimeout(
      () => {
        api.compile(text, name).then(
          (report) => {
            if (cancelled) return;
            setDaemonCheck({ text, report });
            const view = viewRef.current;
            if (view && view.state.doc.toString() === text) showDiagnostics(view, report.diagnostics, file);
          },
          (e: unknown) => {
            if (cancelled) return;
            setDaemonCheck({ text, error: messageOf(e) });
            // without the daemon, the browser's own (partial) diagnostics are all there is
            const view = viewRef.current;
            if (view && view.state.doc.toString() === text)
              showDiagnostics(view, compileInBrowser(text, file).diagnostics, file);
          },
        );
      },
      checkedText === undefined ? 0 : DAEMON_CHECK_DELAY_MS,
    );
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [needsDaemon, live.text, checkedText, file, name]);

  // ------------------------------------------------------------------ save, activate

  /** Saves (and activates); `quiet`: no success toast (a dialog edit's auto-save reports itself). */
  const save = async (activate: boolean, quiet = false): Promise<boolean> => {
    const view = viewRef.current;
    if (!view || busyRef.current) return false;
    const text = view.state.doc.toString();
    if (!activate && text === savedRef.current) {
      if (!quiet) toasts.show('info', 'No changes to save.');
      return true;
    }
    // Save and activate report as one action: a success replaces the error toast of an earlier try.
    const action = { action: `profile:${name}` };
    busyRef.current = activate ? 'activate' : 'save';
    setBusy(busyRef.current);
    setActionError(null);
    let step = 'save';
    try {
      if (text !== savedRef.current) {
        inFlightRef.current = text;
        const result = await api.saveProfile(name, text);
        savedRef.current = text;
        setSaved(text);
        setRefusal(null);
        setExternal(null);
        const reloaded = (result as { reloaded?: boolean }).reloaded === true;
        if (!activate && !quiet)
          toasts.show('success', reloaded ? `Saved “${name}” and reloaded it.` : `Saved “${name}”.`, action);
        if (reloaded) refreshStatus();
      }
      if (activate) {
        step = 'activate';
        const activation = await api.activate(name);
        const how = activation.cached ? 'from the compiled cache' : 'compiled';
        toasts.show(
          'success',
          `Activated “${name}” (${how} in ${activation.compileMs.toFixed(1)} ms).`,
          action,
        );
        refreshStatus();
      }
      return true;
    } catch (e) {
      const message = messageOf(e);
      if (e instanceof ApiError && e.code === 'PROFILE_INVALID') {
        // the UI's own words: the daemon's message may say "1 error(s)"
        const errors = errorCount(e.diagnostics);
        setRefusal({ text, message: errors ? `it has ${errors}` : message, diagnostics: e.diagnostics });
        if (view.state.doc.toString() === text) showDiagnostics(view, e.diagnostics, file);
        const what = step === 'save' ? 'Not saved' : 'Not activated';
        toasts.show('error', errors ? `${what}: “${name}” has ${errors}.` : `${what}: ${message}`, action);
      } else {
        setActionError(
          step === 'save' ? `Could not save: ${message}` : `Saved, but could not activate: ${message}`,
        );
        toasts.show(
          'error',
          step === 'save' ? `Could not save “${name}”: ${message}` : `Could not activate: ${message}`,
          action,
        );
      }
      return false;
    } finally {
      inFlightRef.current = null;
      busyRef.current = null;
      setBusy(null);
    }
  };

  useEffect(() => {
    handlers.current = { changed: onChanged, save: () => void save(false) };
  });
  const [extensions] = useState(() => profileEditorExtensions(`Source of profile ${name}`));

  // Ctrl+S outside the editor too (the editor's own key binding marks the event handled).
  const onPageKeyDown = (e: ReactKeyboardEvent) => {
    if (
      e.nativeEvent.defaultPrevented ||
      e.altKey ||
      !(e.ctrlKey || e.metaKey) ||
      e.key.toLowerCase() !== 's'
    )
      return;
    e.preventDefault();
    void save(false);
  };

  // ------------------------------------------------------------------ leaving with unsaved text

  useEffect(() => {
    const isDirty = () => {
      const view = viewRef.current;
      return view !== null && view.state.doc.toString() !== savedRef.current;
    };
    const removeGuard = addNavigationGuard(
      () => !isDirty() || window.confirm(`“${name}” has unsaved changes. Leave and lose them?`),
    );
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (!isDirty()) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      removeGuard();
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, [name]);

  // ------------------------------------------------------------------ changes made elsewhere

  useStreamEvents(['profile'], (e) => {
    const data = e.data as { action?: string; name?: string; from?: string };
    if (data.action === 'renamed' && data.from === name && data.name)
      setExternal({ kind: 'renamed', to: data.name });
    else if (data.name !== name) return;
    else if (data.action === 'deleted') setExternal({ kind: 'deleted' });
    else if (data.action === 'updated')
      api.profile(name).then(
        (detail) => {
          // our own save announces itself too
          if (detail.source !== savedRef.current && detail.source !== inFlightRef.current)
            setExternal({ kind: 'changed', source: detail.source });
        },
        () => {},
      );
  });

  const loadExternal = (source: string) => {
    const view = viewRef.current;
    if (!view) return;
    const current = view.state.doc.toString();
    if (current !== savedRef.current && !window.confirm('Replace your unsaved changes with the new version?'))
      return;
    savedRef.current = source;
    setSaved(source);
    setExternal(null);
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: source } });
  };

  // ------------------------------------------------------------------ what to show

  const daemonCurrent = daemonCheck && daemonCheck.text === live.text ? daemonCheck : null;
  let shown: { diagnostics: readonly Diagnostic[]; mainBase: string; busy: boolean };
  if (refusal && refusal.text === live.text)
    shown = { diagnostics: refusal.diagnostics, mainBase: file, busy: false };
  else if (!needsDaemon) shown = { diagnostics: live.result.diagnostics, mainBase: file, busy: false };
  else if (daemonCurrent && 'report' in daemonCurrent)
    shown = { diagnostics: daemonCurrent.report.diagnostics, mainBase: file, busy: false };
  else if (daemonCurrent) shown = { diagnostics: live.result.diagnostics, mainBase: file, busy: false };
  else
    shown = {
      // the previous answer stays up (its marks moved with the text) until the next arrives
      diagnostics: daemonCheck && 'report' in daemonCheck ? daemonCheck.report.diagnostics : [],
      mainBase: file,
      busy: true,
    };

  const stats = live.lastGood?.config
    ? configStats(live.lastGood.config)
    : daemonCurrent && 'report' in daemonCurrent
      ? daemonCurrent.report.stats
      : null;
  const compileMs =
    daemonCurrent && 'report' in daemonCurrent ? daemonCurrent.report.compileMs : live.result.ms;

  // The preview follows the text, but never holds up typing: it renders after the urgent update.
  const panelSource = useDeferredValue(live.lastGood);
  // editing without code: a click on a key opens its dialog; edits go into this editor's text
  const editing = useDialogEditing({
    name,
    file,
    view: () => viewRef.current,
    saved: () => savedRef.current,
    save: () => save(false, true),
    goTo: onKeySource,
    config: panelSource?.config ?? null,
    text: live.text,
  });
  const keyboardViews = useMemo(
    () => withNamedLayers(panelSource?.views ?? EMPTY_VIEWS, panelSource?.config ?? null),
    [panelSource],
  );
  const staleNote = needsDaemon
    ? live.lastGood
      ? 'This text load()s files only the daemon can read: showing the last version the browser could compile.'
      : 'This profile load()s files only the daemon can read, so the browser cannot preview it.'
    : !live.result.ok && live.lastGood
      ? 'The text has errors: showing the last version that compiled.'
      : !live.result.ok
        ? 'Fix the errors to see the keyboard and simulate.'
        : null;

  const stateLabel =
    busy === 'save' ? 'Saving…' : busy === 'activate' ? 'Activating…' : dirty ? 'Unsaved changes' : 'Saved';

  return (
    <section className="page editor-page" onKeyDown={onPageKeyDown}>
      <header className="editor-header">
        <div className="editor-title">
          <h1>{name}</h1>
          {isActive && <span className="badge badge-active">active</span>}
          <span
            className={`editor-save-state${dirty ? ' is-dirty' : ''}`}
            role="status"
            data-testid="save-state"
          >
            {stateLabel}
          </span>
        </div>
        <p className="editor-stats muted" data-testid="editor-stats">
          {stats ? (
            <>
              {plural(stats.mappings, 'mapping')} · {plural(stats.layers, 'layer')} ·{' '}
              {plural(stats.devices, 'device block')}
            </>
          ) : (
            'no valid version yet'
          )}{' '}
          · compiled in {compileMs.toFixed(1)} ms
        </p>
        <div className="toolbar editor-actions">
          <button
            type="button"
            onClick={() => void save(false)}
            disabled={!dirty || busy !== null}
            aria-keyshortcuts="Control+S Meta+S"
          >
            Save
          </button>
          <button type="button" className="primary" onClick={() => void save(true)} disabled={busy !== null}>
            Save &amp; activate
          </button>
          <Link href={`/simulator?profile=${encodeURIComponent(name)}`} className="button">
            Simulator
          </Link>
          {editing.toolbar}
        </div>
      </header>

      {external && (
        <div className="editor-banner" role="alert">
          {external.kind === 'changed' && (
            <>
              <span>“{name}” was changed outside this editor.</span>
              <button type="button" onClick={() => loadExternal(external.source)}>
                Load that version
              </button>
              <button type="button" onClick={() => setExternal(null)}>
                Keep mine
              </button>
            </>
          )}
          {external.kind === 'deleted' && (
            <span>
              “{name}” was deleted elsewhere: saving will fail. Copy your text to keep it, or{' '}
              <Link href="/">go to the profiles</Link>.
            </span>
          )}
          {external.kind === 'renamed' && (
            <span>
              “{name}” was renamed to{' '}
              <Link href={`/profiles/${encodeURIComponent(external.to)}`}>{external.to}</Link>: saving here
              will fail.
            </span>
          )}
        </div>
      )}

      {refusal && refusal.text === live.text && (
        <p className="editor-banner editor-banner-error" role="alert">
          The daemon refused this text: {refusal.message}. Its diagnostics are listed under the editor.
        </p>
      )}
      {actionError && (
        <p className="editor-banner editor-banner-error" role="alert">
          {actionError}
        </p>
      )}

      <div className="editor-layout">
        <div className="editor-main">
          <div className="editor-frame">
            <EditorSurface
              initialText={initial.source}
              extensions={extensions}
              onCreateEditor={onCreateEditor}
            />
          </div>
          <p className="editor-help muted">
            <kbd>Ctrl</kbd>+<kbd>Space</kbd> completes · <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>S</kbd> saves ·{' '}
            <kbd>F8</kbd> next problem · <kbd>Tab</kbd> indents: press <kbd>Esc</kbd> then <kbd>Tab</kbd> to
            leave the editor
          </p>
          {needsDaemon && (
            <p className="editor-note" role="note">
              This profile load()s files the browser cannot read, so the daemon checks it instead
              {daemonCurrent && 'error' in daemonCurrent
                ? ` — but it could not be reached (${daemonCurrent.error}); showing the browser's partial check.`
                : shown.busy
                  ? ' (checking…).'
                  : '.'}
            </p>
          )}
          <DiagnosticsList
            diagnostics={shown.diagnostics}
            mainBase={shown.mainBase}
            onSelect={goTo}
            busy={shown.busy}
          />
        </div>
        <SidePanel
          config={panelSource?.config ?? null}
          views={keyboardViews}
          onKeySource={onKeySource}
          staleNote={staleNote}
          edit={editing.keyboard}
        />
      </div>
      {editing.overlays}
    </section>
  );
}

const EMPTY_VIEWS: never[] = [];

/** CodeMirror, kept out of the page's re-renders (its props never change). */
const EditorSurface = memo(function EditorSurface(props: {
  initialText: string;
  extensions: Extension[];
  onCreateEditor: (view: EditorView) => void;
}) {
  return (
    <CodeMirror
      value={props.initialText}
      theme="none"
      extensions={props.extensions}
      onCreateEditor={props.onCreateEditor}
      basicSetup={BASIC_SETUP}
      className="editor-cm"
    />
  );
});
