/**
 * Editing without code in the profile editor: the glue between the keyboard view, the dialogs and
 * CodeMirror. `useDialogEditing` gives the editor page
 *
 * - `keyboard`: what the keyboard view needs to open the mapping dialog on a click and to add or
 *   rename layers from its layer selector;
 * - `toolbar`: the **Changes** button (the diff view) and the **Auto-save edits** switch;
 * - `overlays`: the open dialog, and the notice that reports the last edit with its **Undo**.
 *
 * Every dialog reads the editor's text when it opens and when it saves, and its result goes into
 * CodeMirror as one transaction (edit-session.ts), so the keyboard view follows through the live
 * compile like after typing, and Ctrl+Z undoes the edit in one step. With auto-save on, the
 * editor's save path (`PUT /api/profiles/:name`) runs after each edit; the notice's Undo then puts
 * the text from before back and saves that.
 */
import type { EditorView } from '@codemirror/view';
import type { ReactNode } from 'react';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Config, LayerView, MappingSource } from '../../../src/core/index.ts';
import type { KeyboardEditing } from '../keyboard/KeyboardView.tsx';
import type { DialogEdit } from './edit-session.ts';
import { autoSaveEnabled, useAutoSave } from './auto-save.tsx';
import { canUndo, layerNamesOf, replaceDocument } from './edit-session.ts';
import type { LayerDialogMode } from './LayerDialog.tsx';
import { LayerDialog } from './LayerDialog.tsx';
import type { KeyTarget } from './MappingDialog.tsx';
import { MappingDialog } from './MappingDialog.tsx';
import './edit.css';

export interface DialogEditingOptions {
  /** the profile's name and file name */
  name: string;
  file: string;
  /** the editor (null before it exists) */
  view(): EditorView | null;
  /** the profile's saved text */
  saved(): string;
  /** saves the editor's text through the editor's save path, without its own success toast */
  save(): Promise<boolean>;
  /** puts the cursor on a mapping's line (or says which file it is in) */
  goTo(source: MappingSource): void;
  /** the config the keyboard view shows (layer names for its selector) */
  config: Config | null;
  /** the editor's text as of the last change (the notice offers Undo while it is the edit's) */
  text: string;
}

type Open =
  | null
  | { kind: 'mapping'; target: KeyTarget }
  | { kind: 'layer'; mode: LayerDialogMode; select: (layer: string) => void }
  | { kind: 'changes'; saved: string; current: string };

interface Notice extends DialogEdit {
  /** auto-save running */
  saving: boolean;
}

// the diff view (@codemirror/merge) loads when Changes is first opened
const ChangesDialog = lazy(() => import('./DiffView.tsx').then((m) => ({ default: m.ChangesDialog })));

/** How long the notice of an edit stays (its Undo with it). */
const NOTICE_MS = 15_000;

export function useDialogEditing(options: DialogEditingOptions): {
  keyboard: KeyboardEditing;
  toolbar: ReactNode;
  overlays: ReactNode;
} {
  const { name, file, config } = options;
  const latest = useRef(options);
  useEffect(() => {
    latest.current = options;
  });
  const [open, setOpen] = useState<Open>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [autoSave, setAutoSave] = useAutoSave();
  const seq = useRef(0);
  // saves never overlap (an undo right after an edit waits for its save)
  const saving = useRef<Promise<unknown>>(Promise.resolve());

  const getSource = useCallback(() => latest.current.view()?.state.doc.toString() ?? '', []);

  const saveQueued = useCallback((): Promise<boolean> => {
    const run = saving.current.then(() => latest.current.save());
    saving.current = run.catch(() => {});
    return run;
  }, []);

  const report = useCallback(
    (edit: Omit<Notice, 'id' | 'saving' | 'saved'>, autoSave: boolean) => {
      const id = ++seq.current;
      setNotice({ ...edit, id, saving: autoSave, saved: false });
      if (!autoSave) return;
      void saveQueued().then(
        (ok) =>
          setNotice((n) =>
            n?.id === id ? { ...n, saving: false, saved: ok, error: ok ? undefined : 'not saved' } : n,
          ),
        () => setNotice((n) => (n?.id === id ? { ...n, saving: false, error: 'not saved' } : n)),
      );
    },
    [saveQueued],
  );

  /** A dialog's result into the editor (one undoable change), then saved when auto-save is on. */
  const apply = useCallback(
    (next: string, what: string) => {
      const view = latest.current.view();
      if (!view) return;
      const before = view.state.doc.toString();
      if (!replaceDocument(view, next)) return;
      report({ what, before, after: next }, autoSaveEnabled());
    },
    [report],
  );

  const undo = (edit: Notice) => {
    const view = latest.current.view();
    if (!view || !canUndo(edit, view.state.doc.toString())) return;
    replaceDocument(view, edit.before);
    report({ what: edit.what, before: edit.after, after: edit.before, undone: true }, edit.saved);
  };

  // the notice goes after a while; a newer one replaces it
  const noticeId = notice?.id;
  const noticeBusy = notice?.saving === true;
  useEffect(() => {
    if (noticeId === undefined || noticeBusy) return;
    const timer = setTimeout(() => setNotice((n) => (n?.id === noticeId ? null : n)), NOTICE_MS);
    return () => clearTimeout(timer);
  }, [noticeId, noticeBusy]);

  const layerNames = useMemo(() => layerNamesOf(config), [config]);
  const keyboard = useMemo(
    (): KeyboardEditing => ({
      onEditKey: (key, at) =>
        setOpen({ kind: 'mapping', target: { key, block: at.block, layer: at.layer.condition } }),
      layerNames,
      layerTools: (at, select) => (
        <LayerTools
          layer={at.layer}
          names={layerNames}
          onOpen={(mode) => setOpen({ kind: 'layer', mode, select })}
        />
      ),
    }),
    [layerNames],
  );

  const close = useCallback(() => setOpen(null), []);

  const toolbar = (
    <>
      <button
        type="button"
        onClick={() => setOpen({ kind: 'changes', saved: latest.current.saved(), current: getSource() })}
      >
        Changes
      </button>
      <label
        className="edit-autosave"
        title="Each edit made in a dialog saves the profile at once (this browser's choice)"
      >
        <input type="checkbox" checked={autoSave} onChange={(e) => setAutoSave(e.target.checked)} /> Auto-save
        edits
      </label>
    </>
  );

  let dialog: ReactNode = null;
  if (open?.kind === 'mapping')
    dialog = (
      <MappingDialog
        key={`${open.target.key}/${open.target.block}`}
        target={open.target}
        file={file}
        getSource={getSource}
        onApply={apply}
        onGoTo={(at) => latest.current.goTo(at)}
        onClose={close}
      />
    );
  else if (open?.kind === 'layer')
    dialog = (
      <LayerDialog
        mode={open.mode}
        file={file}
        getSource={getSource}
        onApply={(next, what, show) => {
          apply(next, what);
          if (show) open.select(show);
        }}
        onClose={close}
      />
    );
  else if (open?.kind === 'changes')
    dialog = (
      <Suspense fallback={null}>
        <ChangesDialog name={name} saved={open.saved} current={open.current} onClose={close} />
      </Suspense>
    );

  const overlays = (
    <>
      {dialog}
      {notice && (
        <EditNotice
          notice={notice}
          stale={!notice.undone && options.text !== notice.after}
          onUndo={() => undo(notice)}
          onDismiss={() => setNotice(null)}
        />
      )}
    </>
  );
  return { keyboard, toolbar, overlays };
}

/** Add a layer, and rename (or delete) the one shown when it is an MD_xx / LK_xx layer. */
function LayerTools({
  layer,
  names,
  onOpen,
}: {
  layer: LayerView;
  names: Readonly<Record<string, string>>;
  onOpen(mode: LayerDialogMode): void;
}) {
  const c = layer.condition;
  const own = c && (c.kind === 'modifier' || c.kind === 'lock') ? layer.name : null;
  return (
    <span className="edit-layer-tools">
      <button type="button" className="icon-button" onClick={() => onOpen({ kind: 'add' })}>
        Add layer…
      </button>
      {own && (
        <button
          type="button"
          className="icon-button"
          onClick={() => onOpen({ kind: 'rename', layer: own })}
          aria-label={`Rename layer ${own}${names[own] ? ` (${names[own]})` : ''}`}
        >
          Rename…
        </button>
      )}
    </span>
  );
}

function EditNotice({
  notice,
  stale,
  onUndo,
  onDismiss,
}: {
  notice: Notice;
  /** the text changed since the edit (typing, Ctrl+Z): the notice's Undo is no more */
  stale: boolean;
  onUndo(): void;
  onDismiss(): void;
}) {
  const what = notice.undone ? `Undone: ${notice.what}` : notice.what;
  let state: string;
  if (notice.saving) state = 'Saving…';
  else if (stale) state = 'The text changed since: Ctrl+Z in the editor undoes step by step.';
  else if (notice.error) state = 'Not saved (see the message).';
  else if (notice.saved) state = 'Saved.';
  else state = 'In the editor, not saved yet (Ctrl+Z undoes it too).';
  return (
    <div
      className={`edit-notice${notice.error ? ' is-error' : ''}`}
      role="status"
      aria-live="polite"
      data-testid="edit-notice"
    >
      <span>
        <strong>{what}</strong> <span className="muted">{state}</span>
      </span>
      {!notice.undone && !stale && !notice.saving && (
        <button type="button" onClick={onUndo}>
          Undo
        </button>
      )}
      <button type="button" className="icon-button" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
