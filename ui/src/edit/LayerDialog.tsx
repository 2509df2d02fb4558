/**
 * Adding, renaming and deleting a layer from the keyboard view's layer selector, on the editor's
 * text as it is now, through the layer edit model (src/dsl/edit-layers.ts): a new layer is an id
 * (`MD_xx` held, `LK_xx` locked; the next free one to start with) and a name, written as
 * `layer_name(…)`; its mappings come with the first key given one in it.
 */
import { useId, useMemo, useState } from 'react';
import type { EditResult } from '../../../src/dsl/edit.ts';
import { createLayer, deleteLayer, renameLayer } from '../../../src/dsl/edit-layers.ts';
import { compileProfile } from '../../../src/dsl/compile.ts';
import { layerNameProblem } from '../../../src/core/index.ts';
import { profileLayers } from './edit-session.ts';
import { EditDialog } from './EditDialog.tsx';
import { nextFreeLayer, parseLayerText } from './palette.ts';

export type LayerDialogMode = { kind: 'add' } | { kind: 'rename'; layer: string };

export interface LayerDialogProps {
  mode: LayerDialogMode;
  file: string;
  getSource(): string;
  /** the edited text, what the edit did, and the layer to show (the new or renamed one; none after a delete) */
  onApply(next: string, what: string, show: string | null): void;
  onClose(): void;
}

export function LayerDialog({ mode, file, getSource, onApply, onClose }: LayerDialogProps) {
  const ids = useId();
  const [layers] = useState(() => {
    const r = compileProfile(getSource(), { file });
    return r.ok && r.config ? profileLayers(r.config) : null;
  });
  const current = mode.kind === 'rename' ? layers?.find((l) => l.ref === mode.layer) : undefined;
  const [prefix, setPrefix] = useState<'MD' | 'LK'>(
    mode.kind === 'rename' && mode.layer.startsWith('LK_') ? 'LK' : 'MD',
  );
  const suggested = useMemo(
    () =>
      nextFreeLayer(
        prefix,
        (layers ?? []).map((l) => l.ref),
      ) ?? '',
    [prefix, layers],
  );
  const [idText, setIdText] = useState<string | null>(null);
  const id = idText ?? suggested;
  const [name, setName] = useState(current?.name ?? '');
  const [refusal, setRefusal] = useState<string | null>(null);

  const ref = mode.kind === 'rename' ? mode.layer : parseLayerText(id);
  const idProblem =
    mode.kind === 'add' && !ref?.startsWith(`${prefix}_`)
      ? `an id is ${prefix}_00 to ${prefix}_FE`
      : mode.kind === 'add' && layers?.some((l) => l.ref === ref)
        ? `${ref} is in the profile already: pick it in the layer list, or rename it`
        : null;
  const nameProblem = name === '' ? null : layerNameProblem(name);

  const finish = (r: EditResult, what: string, show: string | null) => {
    if (!r.ok) {
      setRefusal(r.message);
      return;
    }
    onApply(r.source, r.notes?.length ? `${what} (${r.notes.join('; ')})` : what, show);
    onClose();
  };

  const save = () => {
    if (!layers || idProblem || nameProblem || !ref) return;
    if (name.trim() === '') {
      setRefusal('Give the layer a name.');
      return;
    }
    if (mode.kind === 'add')
      finish(createLayer(getSource(), { layer: ref, name }, { file }), `Layer ${ref} “${name}” added`, ref);
    else
      finish(renameLayer(getSource(), { layer: ref, name }, { file }), `Layer ${ref} renamed “${name}”`, ref);
  };

  const remove = () => {
    if (mode.kind !== 'rename') return;
    if (
      !window.confirm(
        `Delete ${mode.layer}${current?.name ? ` (“${current.name}”)` : ''}: its name and the mappings of its own when-blocks?`,
      )
    )
      return;
    finish(deleteLayer(getSource(), { layer: mode.layer }, { file }), `Layer ${mode.layer} deleted`, null);
  };

  const title = mode.kind === 'add' ? 'Add a layer' : `Layer ${mode.layer}`;
  return (
    <EditDialog
      title={title}
      subtitle={
        mode.kind === 'add'
          ? 'A name for a layer id; give keys mappings in it from the keyboard view, and a key that turns it on.'
          : current?.name
            ? `Named “${current.name}”.`
            : 'Not named yet.'
      }
      onCancel={onClose}
      onSubmit={save}
      className="layer-dialog"
      testId="layer-dialog"
      actions={
        <>
          {mode.kind === 'rename' && (
            <button type="button" className="danger" onClick={remove} disabled={!layers}>
              Delete layer
            </button>
          )}
          <span className="edit-dialog-spacer" />
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className="primary"
            disabled={!layers || idProblem !== null || nameProblem !== null}
          >
            {mode.kind === 'add' ? 'Add layer' : 'Rename'}
          </button>
        </>
      }
    >
      {!layers && (
        <p className="edit-callout edit-callout-error" role="alert">
          The text has errors: fix them, then edit its layers.
        </p>
      )}
      {mode.kind === 'add' && (
        <>
          <fieldset className="edit-choice">
            <legend>Kind</legend>
            <label>
              <input
                type="radio"
                checked={prefix === 'MD'}
                onChange={() => {
                  setPrefix('MD');
                  setIdText(null);
                }}
              />{' '}
              a layer, on while a key holds it (MD_xx)
            </label>
            <label>
              <input
                type="radio"
                checked={prefix === 'LK'}
                onChange={() => {
                  setPrefix('LK');
                  setIdText(null);
                }}
              />{' '}
              a lock, toggled by a key (LK_xx)
            </label>
          </fieldset>
          <div className="field">
            <label className="label" htmlFor={`${ids}-id`}>
              Layer id
            </label>
            <input
              id={`${ids}-id`}
              value={id}
              onChange={(e) => setIdText(e.target.value)}
              aria-invalid={idProblem ? true : undefined}
              spellCheck={false}
            />
            {idProblem && <span className="problem">{idProblem}</span>}
          </div>
        </>
      )}
      <div className="field">
        <label className="label" htmlFor={`${ids}-name`}>
          Layer name
        </label>
        <input
          id={`${ids}-name`}
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setRefusal(null);
          }}
          placeholder="e.g. Nav"
          aria-invalid={nameProblem ? true : undefined}
          autoFocus
        />
        <span className={nameProblem ? 'problem' : 'hint'}>
          {nameProblem ?? 'up to 32 characters; no two layers share a name'}
        </span>
      </div>
      {refusal && (
        <p className="edit-callout edit-callout-error" role="alert" data-testid="layer-problem">
          {refusal}
        </p>
      )}
    </EditDialog>
  );
}
