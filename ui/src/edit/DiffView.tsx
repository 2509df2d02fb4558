/**
 * What changed, read-only, with @codemirror/merge: **Unsaved changes** compares the saved profile
 * with the editor's text; **Another profile** compares a profile picked from the daemon's list
 * (its saved source, `GET /api/profiles/:name`) with the editor's text. Unified (one column, the
 * old lines above the new) or side by side; long unchanged stretches are folded.
 */
import { MergeView, unifiedMergeView } from '@codemirror/merge';
import { EditorState } from '@codemirror/state';
import type { Extension } from '@codemirror/state';
import { EditorView, lineNumbers } from '@codemirror/view';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { api } from '../api.ts';
import { editorTheme } from '../editor/editor-theme.ts';
import { rhai } from '../editor/rhai-language.ts';
import { EditDialog } from './EditDialog.tsx';

export type DiffLayout = 'unified' | 'split';

const COLLAPSE = { margin: 3, minSize: 4 } as const;

function readOnly(label: string): Extension[] {
  return [
    lineNumbers(),
    rhai(),
    editorTheme,
    EditorState.readOnly.of(true),
    EditorView.editable.of(false),
    EditorView.contentAttributes.of({ 'aria-label': label }),
  ];
}

/** Lines only in `before`, lines only in `after` (a multiset count: moved lines count as equal). */
export function lineCounts(before: string, after: string): { removed: number; added: number } {
  const count = new Map<string, number>();
  for (const line of before.split('\n')) count.set(line, (count.get(line) ?? 0) + 1);
  let added = 0;
  for (const line of after.split('\n')) {
    const n = count.get(line) ?? 0;
    if (n > 0) count.set(line, n - 1);
    else added++;
  }
  let removed = 0;
  for (const n of count.values()) removed += n;
  return { removed, added };
}

/** The two texts, compared. */
export function DiffView({
  before,
  after,
  labels,
  layout,
}: {
  before: string;
  after: string;
  /** what each side is: `saved`, `editor`, `profile work` */
  labels: [string, string];
  layout: DiffLayout;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const parent = host.current;
    if (!parent) return;
    if (layout === 'split') {
      const view = new MergeView({
        a: { doc: before, extensions: readOnly(labels[0]) },
        b: { doc: after, extensions: readOnly(labels[1]) },
        parent,
        gutter: true,
        collapseUnchanged: COLLAPSE,
      });
      return () => view.destroy();
    }
    const view = new EditorView({
      state: EditorState.create({
        doc: after,
        extensions: [
          ...readOnly(`${labels[0]} → ${labels[1]}`),
          unifiedMergeView({
            original: before,
            mergeControls: false,
            gutter: true,
            collapseUnchanged: COLLAPSE,
          }),
        ],
      }),
      parent,
    });
    return () => view.destroy();
  }, [before, after, labels, layout]);
  return <div className={`diff-view diff-${layout}`} ref={host} data-testid="diff-view" />;
}

type Compare = { kind: 'saved' } | { kind: 'profile'; name: string };
type Other = { name: string; source: string } | { name: string; error: string } | null;

/** The Changes dialog of the profile editor. */
export function ChangesDialog({
  name,
  saved,
  current,
  onClose,
}: {
  /** the profile being edited */
  name: string;
  /** its saved text */
  saved: string;
  /** the editor's text */
  current: string;
  onClose(): void;
}) {
  const ids = useId();
  const [compare, setCompare] = useState<Compare>({ kind: 'saved' });
  const [layout, setLayout] = useState<DiffLayout>('unified');
  const [profiles, setProfiles] = useState<string[] | null>(null);
  const [other, setOther] = useState<Other>(null);

  useEffect(() => {
    let cancelled = false;
    api.profiles().then(
      (list) => {
        if (!cancelled) setProfiles(list.map((p) => p.name).filter((n) => n !== name));
      },
      () => {
        if (!cancelled) setProfiles([]);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [name]);

  const otherName = compare.kind === 'profile' ? compare.name : null;
  useEffect(() => {
    if (otherName === null) return;
    let cancelled = false;
    api.profile(otherName).then(
      (p) => {
        if (!cancelled) setOther({ name: otherName, source: p.source });
      },
      (e: unknown) => {
        if (!cancelled) setOther({ name: otherName, error: e instanceof Error ? e.message : String(e) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [otherName]);

  const pair = useMemo((): { before: string; after: string; labels: [string, string] } | null => {
    if (compare.kind === 'saved')
      return { before: saved, after: current, labels: [`${name} (saved)`, `${name} (editor)`] };
    if (other && other.name === compare.name && 'source' in other)
      return { before: other.source, after: current, labels: [`profile ${other.name}`, `${name} (editor)`] };
    return null;
  }, [compare, saved, current, name, other]);

  const counts = pair ? lineCounts(pair.before, pair.after) : null;
  const same = pair !== null && pair.before === pair.after;

  return (
    <EditDialog
      title="Changes"
      subtitle="Read-only. Red: only on the left / in the old text; green: only in the editor's text."
      onCancel={onClose}
      className="changes-dialog"
      testId="changes-dialog"
      actions={
        <button type="button" onClick={onClose}>
          Close
        </button>
      }
    >
      <div className="toolbar diff-controls">
        <label>
          Compare
          <select
            value={compare.kind === 'saved' ? '' : compare.name}
            onChange={(e) =>
              setCompare(
                e.target.value === '' ? { kind: 'saved' } : { kind: 'profile', name: e.target.value },
              )
            }
          >
            <option value="">unsaved changes (saved → editor)</option>
            {(profiles ?? []).map((p) => (
              <option key={p} value={p}>
                profile {p} → this editor
              </option>
            ))}
          </select>
        </label>
        <fieldset className="edit-choice diff-layout">
          <legend className="visually-hidden">Layout</legend>
          <label>
            <input
              type="radio"
              name={`${ids}-layout`}
              checked={layout === 'unified'}
              onChange={() => setLayout('unified')}
            />{' '}
            unified
          </label>
          <label>
            <input
              type="radio"
              name={`${ids}-layout`}
              checked={layout === 'split'}
              onChange={() => setLayout('split')}
            />{' '}
            side by side
          </label>
        </fieldset>
        {counts && !same && (
          <span className="diff-counts" data-testid="diff-counts">
            <span className="diff-removed">−{counts.removed}</span>{' '}
            <span className="diff-added">+{counts.added}</span> lines
          </span>
        )}
      </div>
      {compare.kind === 'profile' && !pair && other && 'error' in other && other.name === compare.name && (
        <p className="error-text" role="alert">
          Could not load “{compare.name}”: {other.error}
        </p>
      )}
      {compare.kind === 'profile' && !pair && !(other && 'error' in other) && (
        <p className="loading" role="status">
          Loading “{compare.name}”…
        </p>
      )}
      {same && (
        <p className="muted" data-testid="diff-same">
          {compare.kind === 'saved'
            ? 'No unsaved changes: the editor holds the saved text.'
            : 'The two texts are the same.'}
        </p>
      )}
      {pair && !same && (
        <DiffView before={pair.before} after={pair.after} labels={pair.labels} layout={layout} />
      )}
    </EditDialog>
  );
}
