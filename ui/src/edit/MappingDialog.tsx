/**
 * The mapping dialog: what one key does in one device block and layer, for every kind of mapping
 * the dialog has a form for (DRAFT_KINDS), prefilled from the key's mapping in the editor's text
 * as it is now (not the saved file). Save runs the edit model (`editProfile`) on that text and
 * hands the result to the editor (`onApply`), which puts it into CodeMirror as one undoable change;
 * **Remove mapping** deletes the key's statement. What the edit model refuses — a value out of
 * range, a mapping that would not take effect — is shown in the dialog with its message.
 *
 * A key mapped by code (a loop, a function, a loaded file) is not rewritten: the dialog says where
 * the mapping comes from and offers **Add an override**, an explicit mapping ahead of it. **Go to
 * source** closes the dialog and puts the cursor on the key's line, as a click did before.
 *
 * A layer field can create a layer: **New layer…** takes an id (the next free one to start with)
 * and an optional name, written as `layer_name(…)` with the mapping.
 */
import { useId, useMemo, useState } from 'react';
import type { Condition, Config, KeyMapping, MappingSource } from '../../../src/core/index.ts';
import { conditionName, describeMapping, layerName, TAP_HOLD_MODES } from '../../../src/core/index.ts';
import { canonicalJson } from '../../../src/dsl/krx.ts';
import { compileProfile } from '../../../src/dsl/compile.ts';
import type { EditErrorCode, EditResult } from '../../../src/dsl/edit.ts';
import { editProfile, keyMapping } from '../../../src/dsl/edit.ts';
import { createLayer } from '../../../src/dsl/edit-layers.ts';
import type { DanceDraft, Draft, DraftKind, StepDraft } from './draft.ts';
import {
  DRAFT_KINDS,
  draftFrom,
  emptyDance,
  emptyStep,
  isDraftKind,
  mappingFrom,
  mappingKeys,
  mappingLayers,
  MOUSE_DIRECTIONS,
  OVERRIDE_MODIFIERS,
} from './draft.ts';
import { profileLayers } from './edit-session.ts';
import { EditDialog } from './EditDialog.tsx';
import { KeyField } from './KeyPalette.tsx';
import type { LayerOption } from './palette.ts';
import { keyMemory, nextFreeLayer, parseLayerText } from './palette.ts';

/** The key a dialog edits: its name, device block (index) and layer (null: the block's base). */
export interface KeyTarget {
  key: string;
  block: number;
  layer: Condition | null;
}

export interface MappingDialogProps {
  target: KeyTarget;
  /** the profile's file name (diagnostics and key sources carry it) */
  file: string;
  /** the editor's text now: read when the dialog opens and again when it saves */
  getSource(): string;
  /** the edited text, and what the edit did in words (`A → B`) */
  onApply(next: string, what: string): void;
  /** put the cursor on a mapping's line (the dialog closes first) */
  onGoTo(source: MappingSource): void;
  onClose(): void;
}

const MODE_HINTS: Readonly<Record<string, string>> = {
  '': 'permissive (default): another key pressed and released while held makes it a hold',
  permissive: 'another key pressed and released while held makes it a hold',
  hold_on_press: 'another key pressed while held makes it a hold at once',
  balanced: 'a hold when another key is tapped inside it (like permissive), decided at that release',
  tap_preferred: 'only time decides: held past the threshold is a hold',
};

interface Analysis {
  /** why the text cannot be edited here (it does not compile, no such block) */
  broken: string | null;
  config: Config | null;
  pattern: string;
  blocks: number;
  layerLabel: string;
  current: KeyMapping | undefined;
  /** where the current mapping is declared */
  currentAt: MappingSource | undefined;
  /** the mapping (or its block) comes from code: the edit model's words, and where */
  fromCode: { message: string; at: MappingSource | undefined; overridable: boolean } | null;
  /** its statement can be removed */
  canRemove: boolean;
  /** not mapped in this layer: what base gives it */
  inherited: string | null;
  layers: LayerOption[];
}

const sourceOf = (
  span: { file: string; line: number; column: number } | undefined,
): MappingSource | undefined => span && { file: span.file, line: span.line, column: span.column };

function analyse(source: string, file: string, target: KeyTarget): Analysis {
  const r = compileProfile(source, { file });
  const layerLabel = target.layer ? conditionName(target.layer) : 'base';
  const none: Analysis = {
    broken: null,
    config: null,
    pattern: '',
    blocks: 0,
    layerLabel,
    current: undefined,
    currentAt: undefined,
    fromCode: null,
    canRemove: false,
    inherited: null,
    layers: [],
  };
  if (!r.ok || !r.config) {
    const first = r.diagnostics.find((d) => d.severity === 'error');
    if (first?.code === 'E_LOAD' && first.message.includes('file not found'))
      return {
        ...none,
        broken:
          'This profile load()s files from the daemon’s config directory, which the browser cannot read, so its keys cannot be edited here: edit the source, or use `keyrx config set-key` or the REST API, which read them.',
      };
    return {
      ...none,
      broken: `The text has errors${first ? ` (line ${first.span.line}: ${first.message})` : ''}: fix them, then edit the key.`,
    };
  }
  const config = r.config;
  const block = config.devices[target.block];
  if (!block) return { ...none, config, broken: `The profile has no device block ${target.block + 1}.` };
  const names = Object.fromEntries((config.layerNames ?? []).map((n) => [n.layer, n.name]));
  const label = target.layer ? `${layerLabel}${names[layerLabel] ? ` (${names[layerLabel]})` : ''}` : 'base';
  const current = keyMapping(config, target.block, target.layer, target.key) as KeyMapping | undefined;
  const base = target.layer ? keyMapping(config, target.block, null, target.key) : undefined;
  const probe = editProfile(source, { ...target, mapping: null }, { file });
  let fromCode: Analysis['fromCode'] = null;
  if (!probe.ok && probe.code === 'E_EDIT_FROM_CODE') {
    // an explicit mapping ahead of it is possible unless the block itself is code
    const ahead = current && editProfile(source, { ...target, mapping: current, override: true }, { file });
    fromCode = {
      message: probe.message,
      at: sourceOf(probe.span),
      overridable: ahead !== undefined && (ahead.ok || ahead.code !== 'E_EDIT_FROM_CODE'),
    };
  }
  return {
    broken: null,
    config,
    pattern: block.pattern,
    blocks: config.devices.length,
    layerLabel: label,
    current,
    currentAt: sourceOf(current && r.mappingSpans.get(current)),
    fromCode,
    canRemove: probe.ok,
    inherited: !current && base && base.kind !== 'combo' ? describeMapping(base).detail : null,
    layers: profileLayers(config),
  };
}

/** `A → B` stays; `tap: Escape, …` gets the key in front. */
export function editSummary(key: string, m: KeyMapping): string {
  const detail = describeMapping(m).detail;
  return detail.startsWith(`${key} `) ? detail : `${key}: ${detail}`;
}

interface Problem {
  /** the form field at fault (`to`, `steps.1.key`), or none: the edit model's refusal */
  field?: string;
  message: string;
  code?: EditErrorCode;
}

export function MappingDialog({ target, file, getSource, onApply, onGoTo, onClose }: MappingDialogProps) {
  const { key } = target;
  const [analysis] = useState(() => analyse(getSource(), file, target));
  const defaultLayer = useMemo(() => {
    const md = analysis.layers.find((l) => l.ref.startsWith('MD_'));
    return md ? parseInt(md.ref.slice(3), 16) : 0;
  }, [analysis.layers]);
  const [draft, setDraft] = useState<Draft>(() =>
    draftFrom(
      analysis.current && isDraftKind(analysis.current.kind) ? analysis.current : undefined,
      defaultLayer,
    ),
  );
  /** names typed for layers this dialog creates, by id */
  const [newNames, setNewNames] = useState<Record<string, string>>({});
  const [override, setOverride] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const ids = useId();

  const update = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setProblem(null);
  };
  const fieldProblem = (field: string) => (problem?.field === field ? problem.message : undefined);

  const unsupported = analysis.current && !isDraftKind(analysis.current.kind) ? analysis.current : null;
  const blocked = analysis.broken !== null || (analysis.fromCode !== null && !override);

  /** The edited text: the key's new mapping, and names for the layers it creates. */
  const edited = (mapping: KeyMapping | null): EditResult => {
    const source = getSource();
    const r = editProfile(source, { ...target, mapping, override: override || undefined }, { file });
    if (!r.ok || mapping === null) return r;
    let next: EditResult = r;
    const known = new Set(analysis.layers.map((l) => l.ref));
    for (const ref of mappingLayers(mapping)) {
      const name = newNames[ref]?.trim();
      if (!name || known.has(ref)) continue;
      next = createLayer(next.source, { layer: ref, name }, { file });
      if (!next.ok) return next;
    }
    return next;
  };

  const save = () => {
    if (blocked) return;
    const m = mappingFrom(draft, key);
    if (!m.ok) {
      setProblem({ field: m.field, message: m.message });
      return;
    }
    if (analysis.current && canonicalJson(analysis.current) === canonicalJson(m.mapping) && !override) {
      onClose();
      return;
    }
    const r = edited(m.mapping);
    if (!r.ok) {
      setProblem({ message: r.message, code: r.code });
      return;
    }
    const memory = keyMemory();
    for (const k of mappingKeys(m.mapping)) memory.use(k);
    onApply(r.source, editSummary(key, m.mapping));
    onClose();
  };

  const remove = () => {
    const r = edited(null);
    if (!r.ok) {
      setProblem({ message: r.message, code: r.code });
      return;
    }
    onApply(r.source, `${key}${target.layer ? ` in ${analysis.layerLabel}` : ''}: mapping removed`);
    onClose();
  };

  const goTo = (at: MappingSource) => {
    onClose();
    onGoTo(at);
  };

  const subtitle = (
    <>
      in <strong>{analysis.layerLabel}</strong>
      {analysis.blocks > 1 || analysis.pattern !== '*' ? (
        <>
          {' '}
          · device block {target.block + 1} (<code>{analysis.pattern}</code>)
        </>
      ) : null}
    </>
  );

  const kindHint = DRAFT_KINDS.find((k) => k.kind === draft.kind)?.hint;

  return (
    <EditDialog
      title={
        <>
          Key <kbd>{key}</kbd>
        </>
      }
      subtitle={subtitle}
      onCancel={onClose}
      onSubmit={save}
      className="mapping-dialog"
      testId="mapping-dialog"
      actions={
        <>
          {analysis.currentAt && (
            <button type="button" className="edit-goto" onClick={() => goTo(analysis.currentAt!)}>
              Go to source
            </button>
          )}
          {analysis.current && analysis.canRemove && (
            <button type="button" className="danger" onClick={remove}>
              Remove mapping
            </button>
          )}
          <span className="edit-dialog-spacer" />
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={blocked}>
            {override ? 'Save as an override' : 'Save'}
          </button>
        </>
      }
    >
      {analysis.broken ? (
        <p className="edit-callout edit-callout-error" role="alert">
          {analysis.broken}
        </p>
      ) : (
        <p className="edit-now" data-testid="mapping-now">
          {analysis.current ? (
            <>
              Now: <strong>{editSummary(key, analysis.current)}</strong>
              {analysis.currentAt && (
                <span className="muted">
                  {' '}
                  · {analysis.currentAt.file}:{analysis.currentAt.line}
                </span>
              )}
            </>
          ) : analysis.inherited ? (
            <>
              Not mapped in {analysis.layerLabel}: base gives <strong>{analysis.inherited}</strong>, which
              applies while the layer is on. A mapping here takes its place in this layer.
            </>
          ) : (
            <>Not mapped{target.layer ? ` in ${analysis.layerLabel}` : ''}: the key types itself.</>
          )}
        </p>
      )}

      {analysis.fromCode && (
        <div className="edit-callout" role="note" data-testid="mapping-from-code">
          <p>{analysis.fromCode.message}.</p>
          <div className="toolbar">
            {analysis.fromCode.at && (
              <button type="button" onClick={() => goTo(analysis.fromCode!.at!)}>
                Go to {analysis.fromCode.at.file}:{analysis.fromCode.at.line}
              </button>
            )}
            {analysis.fromCode.overridable && (
              <button type="button" aria-pressed={override} onClick={() => setOverride((o) => !o)}>
                {override ? 'Do not override' : 'Add an override'}
              </button>
            )}
          </div>
          {override && (
            <p className="muted">
              Saving adds an explicit mapping of {key} ahead of the code: the first mapping of a key wins. The
              code stays as it is.
            </p>
          )}
        </div>
      )}

      {unsupported && (
        <p className="edit-callout" role="note">
          {key} is a {unsupported.kind} key here: its form is the source. Saving a mapping below replaces it.
        </p>
      )}

      {!analysis.broken && (
        <fieldset className="edit-form" disabled={blocked}>
          <legend className="visually-hidden">What {key} does</legend>
          <div className="field">
            <label className="label" htmlFor={`${ids}-kind`}>
              What it does
            </label>
            <select
              id={`${ids}-kind`}
              value={draft.kind}
              onChange={(e) => update({ kind: e.target.value as DraftKind })}
              aria-describedby={`${ids}-kind-hint`}
            >
              {DRAFT_KINDS.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label}
                </option>
              ))}
            </select>
            <span className="hint" id={`${ids}-kind-hint`}>
              {kindHint}
            </span>
          </div>
          <KindFields
            draft={draft}
            update={update}
            fieldProblem={fieldProblem}
            layers={analysis.layers}
            newNames={newNames}
            setNewName={(ref, name) => setNewNames((n) => ({ ...n, [ref]: name }))}
          />
        </fieldset>
      )}

      {problem && !problem.field && (
        <div className="edit-callout edit-callout-error" role="alert" data-testid="mapping-problem">
          <p className="edit-problem-text">{problem.message}</p>
        </div>
      )}
    </EditDialog>
  );
}

// ------------------------------------------------------------------ the fields of each kind

interface KindFieldsProps {
  draft: Draft;
  update(patch: Partial<Draft>): void;
  fieldProblem(field: string): string | undefined;
  layers: readonly LayerOption[];
  newNames: Readonly<Record<string, string>>;
  setNewName(ref: string, name: string): void;
}

function NumberField({
  label,
  value,
  onChange,
  problem,
  hint,
  unit,
}: {
  label: string;
  value: string;
  onChange(v: string): void;
  problem?: string;
  hint?: string;
  unit?: string;
}) {
  const id = useId();
  return (
    <div className="field edit-number">
      <label className="label" htmlFor={id}>
        {label}
      </label>
      <span className="edit-number-row">
        <input
          id={id}
          inputMode="numeric"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={hint || problem ? `${id}-hint` : undefined}
        />
        {unit && <span className="muted">{unit}</span>}
      </span>
      {(hint || problem) && (
        <span className={problem ? 'problem' : 'hint'} id={`${id}-hint`}>
          {problem ?? hint}
        </span>
      )}
    </div>
  );
}

function Check({
  label,
  checked,
  onChange,
  hint,
}: {
  label: string;
  checked: boolean;
  onChange(v: boolean): void;
  hint?: string;
}) {
  return (
    <label className="edit-check" title={hint}>
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} /> {label}
    </label>
  );
}

const NEW = '\u0000new';

/** The profile's layers and, as new ones, the next free MD_xx and LK_xx. */
function withFreeLayers(layers: readonly LayerOption[]): LayerOption[] {
  const used = layers.map((l) => l.ref);
  const free = (['MD', 'LK'] as const)
    .map((p) => nextFreeLayer(p, used))
    .filter((r): r is string => r !== null)
    .map((ref) => ({ ref, name: null, isNew: true }));
  return [...layers, ...free];
}

/**
 * An MD_xx layer or LK_xx lock: one of the profile's, or a new one (an id, the next free one to
 * start with, and an optional name written with the mapping).
 */
export function LayerField({
  label,
  prefix,
  value,
  onChange,
  layers,
  newNames,
  setNewName,
  problem,
}: {
  label: string;
  prefix: 'MD' | 'LK';
  value: number;
  onChange(id: number): void;
  layers: readonly LayerOption[];
  newNames: Readonly<Record<string, string>>;
  setNewName(ref: string, name: string): void;
  problem?: string;
}) {
  const id = useId();
  const own = layers.filter((l) => l.ref.startsWith(`${prefix}_`));
  const ref = layerName(prefix, value);
  const known = own.some((l) => l.ref === ref);
  const [idText, setIdText] = useState(ref);
  const idProblem =
    !known && parseLayerText(idText)?.startsWith(`${prefix}_`) !== true
      ? `an id is ${prefix}_00 to ${prefix}_FE`
      : null;
  const choose = (v: string) => {
    if (v === NEW) {
      const free = nextFreeLayer(
        prefix,
        own.map((l) => l.ref),
      );
      if (free) {
        setIdText(free);
        onChange(parseInt(free.slice(3), 16));
      }
    } else onChange(parseInt(v.slice(3), 16));
  };
  return (
    <div className="field edit-layer-field">
      <label className="label" htmlFor={id}>
        {label}
      </label>
      <select id={id} value={known ? ref : NEW} onChange={(e) => choose(e.target.value)}>
        {own.map((l) => (
          <option key={l.ref} value={l.ref}>
            {l.name ? `${l.ref} · ${l.name}` : l.ref}
          </option>
        ))}
        <option value={NEW}>{prefix === 'MD' ? 'New layer…' : 'New lock…'}</option>
      </select>
      {!known && (
        <div className="edit-new-layer">
          <label>
            {prefix === 'MD' ? 'New layer id' : 'New lock id'}
            <input
              value={idText}
              size={6}
              onChange={(e) => {
                setIdText(e.target.value);
                const parsed = parseLayerText(e.target.value);
                if (!parsed?.startsWith(`${prefix}_`)) return;
                // the name typed so far goes with the id
                if (newNames[ref] && !newNames[parsed]) setNewName(parsed, newNames[ref]);
                onChange(parseInt(parsed.slice(3), 16));
              }}
              aria-invalid={idProblem ? true : undefined}
              spellCheck={false}
            />
          </label>
          <label>
            {prefix === 'MD' ? 'New layer name' : 'New lock name'}
            <input
              value={newNames[ref] ?? ''}
              placeholder="optional, e.g. Nav"
              onChange={(e) => setNewName(ref, e.target.value)}
            />
          </label>
          {idProblem && <span className="problem">{idProblem}</span>}
        </div>
      )}
      {problem && <span className="problem">{problem}</span>}
    </div>
  );
}

function KindFields({ draft, update, fieldProblem, layers, newNames, setNewName }: KindFieldsProps) {
  const layerField = (label: string, field: 'layer' | 'lock' = 'layer') => (
    <LayerField
      label={label}
      prefix={field === 'lock' ? 'LK' : 'MD'}
      value={draft[field]}
      onChange={(id) => update({ [field]: id })}
      layers={layers}
      newNames={newNames}
      setNewName={setNewName}
    />
  );
  const ms = (label: string, field: keyof Draft & string, hint?: string) => (
    <NumberField
      label={label}
      unit="ms"
      value={draft[field] as string}
      onChange={(v) => update({ [field]: v })}
      problem={fieldProblem(field)}
      hint={hint}
    />
  );
  const holdChoice = (what: string) => (
    <fieldset className="edit-choice">
      <legend>{what}</legend>
      <label>
        <input type="radio" checked={draft.target === 'layer'} onChange={() => update({ target: 'layer' })} />{' '}
        a layer
      </label>
      <label>
        <input type="radio" checked={draft.target === 'key'} onChange={() => update({ target: 'key' })} /> a
        modifier key
      </label>
    </fieldset>
  );
  const holdTarget = (layerLabel: string, keyLabel: string) =>
    draft.target === 'layer' ? (
      layerField(layerLabel)
    ) : (
      <KeyField
        label={keyLabel}
        value={draft.holdKey}
        onChange={(v) => update({ holdKey: v })}
        prefer={['modifiers']}
        problem={fieldProblem('holdKey')}
        placeholder="e.g. LShift"
      />
    );

  switch (draft.kind) {
    case 'simple':
      return (
        <KeyField
          label="Types"
          value={draft.to}
          onChange={(v) => {
            // a layer named here makes it a layer key, as map("X", "MD_01") does
            const layer = parseLayerText(v);
            const id = layer ? parseInt(layer.slice(3), 16) : 0;
            if (layer?.startsWith('MD_')) update({ kind: 'modifier', layer: id });
            else if (layer) update({ kind: 'lock', lock: id });
            else update({ to: v });
          }}
          layers={withFreeLayers(layers)}
          problem={fieldProblem('to')}
          hint="the key it types instead; a layer (MD_xx) makes it hold that layer"
        />
      );
    case 'modifiedOutput':
      return (
        <>
          <KeyField
            label="Key"
            value={draft.to}
            onChange={(v) => update({ to: v })}
            problem={fieldProblem('to')}
          />
          <fieldset className="edit-choice">
            <legend>With</legend>
            <Check label="Shift" checked={draft.shift} onChange={(v) => update({ shift: v })} />
            <Check label="Ctrl" checked={draft.ctrl} onChange={(v) => update({ ctrl: v })} />
            <Check label="Alt" checked={draft.alt} onChange={(v) => update({ alt: v })} />
            <Check label="Win / Meta" checked={draft.win} onChange={(v) => update({ win: v })} />
          </fieldset>
          {fieldProblem('mods') && <p className="problem">{fieldProblem('mods')}</p>}
        </>
      );
    case 'modifier':
    case 'layerToggle':
    case 'layerSwitch':
    case 'holdOnly':
      return (
        <>
          {layerField('Layer')}
          {draft.kind === 'holdOnly' && ms('Hold at least', 'thresholdMs', 'shorter presses do nothing')}
        </>
      );
    case 'lock':
      return layerField('Lock', 'lock');
    case 'tapHold':
      return (
        <>
          <KeyField
            label="Tap"
            value={draft.to}
            onChange={(v) => update({ to: v })}
            problem={fieldProblem('to')}
            hint="the key a short press types"
          />
          {holdChoice('Held, it holds')}
          {holdTarget('Hold layer', 'Hold key')}
          {ms('Threshold', 'thresholdMs', 'held longer than this (alone) is a hold')}
          <details
            className="edit-options"
            open={
              draft.mode !== '' ||
              draft.quickTapMs !== '' ||
              draft.requirePriorIdleMs !== '' ||
              draft.rollMs !== '' ||
              draft.retroTap ||
              draft.tapHeld
            }
          >
            <summary>Options</summary>
            <div className="field">
              <label className="label">
                Mode
                <select
                  value={draft.mode}
                  onChange={(e) => update({ mode: e.target.value as Draft['mode'] })}
                >
                  <option value="">permissive (default)</option>
                  {TAP_HOLD_MODES.filter((m) => m !== 'permissive').map((m) => (
                    <option key={m} value={m}>
                      {m.replace(/_/g, ' ')}
                    </option>
                  ))}
                </select>
              </label>
              <span className="hint">{MODE_HINTS[draft.mode]}</span>
            </div>
            {ms(
              'Quick tap',
              'quickTapMs',
              'pressed again within this after a tap: the tap key, held (empty: off)',
            )}
            {ms(
              'Prior idle',
              'requirePriorIdleMs',
              'pressed within this after typing: a tap at once (empty: off)',
            )}
            {ms('Roll', 'rollMs', 'another key pressed within this after it: a tap (empty: off)')}
            <Check
              label="Retro tap"
              checked={draft.retroTap}
              onChange={(v) => update({ retroTap: v })}
              hint="held alone past the threshold and released: the tap as well"
            />
            <Check
              label="Early tap held"
              checked={draft.tapHeld}
              onChange={(v) => update({ tapHeld: v })}
              hint="a tap decided while still down holds the tap key until release"
            />
            {draft.base?.kind === 'tapHold' &&
              (draft.base.oppositeHand ||
                draft.base.tapKeys ||
                draft.base.holdKeys ||
                draft.base.timeoutKey ||
                draft.base.timeoutLayer !== undefined) && (
                <p className="hint">
                  Its other options (opposite hand, tap/hold keys, timeout action) are kept as written.
                </p>
              )}
          </details>
        </>
      );
    case 'oneShot':
      return (
        <>
          {holdChoice('The next key gets')}
          {holdTarget('Layer', 'Modifier key')}
          {ms('Armed for', 'timeoutMs', 'after its release, at most this long')}
          <Check
            label="Twice locks it"
            checked={draft.oneShotLock}
            onChange={(v) => update({ oneShotLock: v })}
          />
        </>
      );
    case 'tapDance':
      return (
        <>
          <ol className="edit-rows">
            {draft.actions.map((a, i) => (
              <DanceRow
                key={i}
                index={i}
                action={a}
                layers={layers}
                newNames={newNames}
                setNewName={setNewName}
                fieldProblem={fieldProblem}
                onChange={(next) => update({ actions: draft.actions.map((x, j) => (j === i ? next : x)) })}
                onRemove={
                  draft.actions.length > 1
                    ? () => update({ actions: draft.actions.filter((_, j) => j !== i) })
                    : undefined
                }
              />
            ))}
          </ol>
          <button
            type="button"
            onClick={() => update({ actions: [...draft.actions, emptyDance(draft.layer)] })}
          >
            Add a tap
          </button>
          {ms('Window', 'windowMs', 'the next tap must come within this')}
          <Check
            label="Eager: each press acts at once"
            checked={draft.eager}
            onChange={(v) => update({ eager: v })}
          />
        </>
      );
    case 'macro':
      return (
        <>
          <ol className="edit-rows">
            {draft.steps.map((s, i) => (
              <StepRow
                key={i}
                index={i}
                step={s}
                fieldProblem={fieldProblem}
                onChange={(next) => update({ steps: draft.steps.map((x, j) => (j === i ? next : x)) })}
                onMove={(by) => {
                  const steps = [...draft.steps];
                  const [moved] = steps.splice(i, 1);
                  steps.splice(i + by, 0, moved);
                  update({ steps });
                }}
                first={i === 0}
                last={i === draft.steps.length - 1}
                onRemove={
                  draft.steps.length > 1
                    ? () => update({ steps: draft.steps.filter((_, j) => j !== i) })
                    : undefined
                }
              />
            ))}
          </ol>
          <button type="button" onClick={() => update({ steps: [...draft.steps, emptyStep()] })}>
            Add a step
          </button>
        </>
      );
    case 'sequence':
      return (
        <>
          <ol className="edit-rows">
            {draft.keys.map((k, i) => (
              <li key={i} className="edit-row">
                <KeyField
                  label={`Key ${i + 1}`}
                  value={k}
                  onChange={(v) => update({ keys: draft.keys.map((x, j) => (j === i ? v : x)) })}
                  problem={fieldProblem(`keys.${i}`)}
                />
                <button
                  type="button"
                  className="icon-button"
                  aria-label={`Remove key ${i + 1}`}
                  onClick={() => update({ keys: draft.keys.filter((_, j) => j !== i) })}
                >
                  ×
                </button>
              </li>
            ))}
          </ol>
          <button type="button" onClick={() => update({ keys: [...draft.keys, ''] })}>
            Add a key
          </button>
          {fieldProblem('keys') && <p className="problem">{fieldProblem('keys')}</p>}
        </>
      );
    case 'capsWord':
      return (
        <>
          {ms('Ends after idle', 'timeoutMs')}
          <KeyField
            label="Together with (optional)"
            value={draft.together}
            onChange={(v) => update({ together: v })}
            problem={fieldProblem('together')}
            hint="both keys pressed together turn caps word on, and each still does its own job"
            placeholder="none"
          />
        </>
      );
    case 'autoShift':
      return ms('Shifted when held', 'thresholdMs', 'held at least this long, it types shifted');
    case 'mouseMove':
    case 'mouseWheel':
      return (
        <>
          <div className="field">
            <label className="label">
              Direction
              <select
                value={draft.direction}
                onChange={(e) => update({ direction: e.target.value as Draft['direction'] })}
              >
                {MOUSE_DIRECTIONS.map((d) => (
                  <option key={d} value={d}>
                    {d.replace('_', ' ')}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {draft.kind === 'mouseMove' ? (
            <>
              <NumberField
                label="Speed"
                unit="px/s"
                value={draft.speed}
                onChange={(v) => update({ speed: v })}
                problem={fieldProblem('speed')}
              />
              <NumberField
                label="Top speed"
                unit="px/s"
                value={draft.maxSpeed}
                onChange={(v) => update({ maxSpeed: v })}
                problem={fieldProblem('maxSpeed')}
              />
              {ms('Reaches it after', 'accelMs')}
            </>
          ) : (
            <NumberField
              label="Rate"
              unit="notches/s"
              value={draft.rate}
              onChange={(v) => update({ rate: v })}
              problem={fieldProblem('rate')}
            />
          )}
        </>
      );
    case 'unicode':
      return (
        <TextField
          label="Text"
          value={draft.text}
          onChange={(v) => update({ text: v })}
          problem={fieldProblem('text')}
          hint="typed through the unicode entry (Ctrl+Shift+U on Linux)"
        />
      );
    case 'keyOverride':
      return (
        <>
          <fieldset className="edit-choice edit-mods">
            <legend>While these are held</legend>
            {OVERRIDE_MODIFIERS.map((m) => (
              <Check
                key={m}
                label={m}
                checked={draft.mods.includes(m)}
                onChange={(v) => update({ mods: v ? [...draft.mods, m] : draft.mods.filter((x) => x !== m) })}
              />
            ))}
          </fieldset>
          {fieldProblem('mods') && <p className="problem">{fieldProblem('mods')}</p>}
          <KeyField
            label="It gives"
            value={draft.to}
            onChange={(v) => update({ to: v })}
            problem={fieldProblem('to')}
            hint="those modifiers are lifted meanwhile"
          />
        </>
      );
    case 'dynamicMacroRecord':
    case 'dynamicMacroPlay':
      return (
        <NumberField
          label="Slot"
          value={draft.slot}
          onChange={(v) => update({ slot: v })}
          problem={fieldProblem('slot')}
        />
      );
  }
}

function TextField({
  label,
  value,
  onChange,
  problem,
  hint,
}: {
  label: string;
  value: string;
  onChange(v: string): void;
  problem?: string;
  hint?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label className="label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={problem ? true : undefined}
      />
      {(problem || hint) && <span className={problem ? 'problem' : 'hint'}>{problem ?? hint}</span>}
    </div>
  );
}

function DanceRow({
  index,
  action,
  onChange,
  onRemove,
  layers,
  newNames,
  setNewName,
  fieldProblem,
}: {
  index: number;
  action: DanceDraft;
  onChange(a: DanceDraft): void;
  onRemove?: () => void;
  layers: readonly LayerOption[];
  newNames: Readonly<Record<string, string>>;
  setNewName(ref: string, name: string): void;
  fieldProblem(field: string): string | undefined;
}) {
  const n = index + 1;
  return (
    <li className="edit-row edit-dance">
      <KeyField
        label={`${n}× tap`}
        value={action.tap}
        onChange={(v) => onChange({ ...action, tap: v })}
        problem={fieldProblem(`actions.${index}.tap`)}
        placeholder="nothing"
      />
      <div className="field">
        <label className="label">
          {n}× hold
          <select
            value={action.hold}
            onChange={(e) => onChange({ ...action, hold: e.target.value as DanceDraft['hold'] })}
          >
            <option value="none">nothing</option>
            <option value="key">a key</option>
            <option value="layer">a layer</option>
          </select>
        </label>
      </div>
      {action.hold === 'key' && (
        <KeyField
          label={`${n}× hold key`}
          value={action.holdKey}
          onChange={(v) => onChange({ ...action, holdKey: v })}
          prefer={['modifiers']}
          problem={fieldProblem(`actions.${index}.holdKey`)}
        />
      )}
      {action.hold === 'layer' && (
        <LayerField
          label={`${n}× hold layer`}
          prefix="MD"
          value={action.holdLayer}
          onChange={(id) => onChange({ ...action, holdLayer: id })}
          layers={layers}
          newNames={newNames}
          setNewName={setNewName}
        />
      )}
      {onRemove && (
        <button type="button" className="icon-button" aria-label={`Remove tap ${n}`} onClick={onRemove}>
          ×
        </button>
      )}
    </li>
  );
}

const STEP_OPS: readonly { op: StepDraft['op']; label: string }[] = [
  { op: 'tap', label: 'tap' },
  { op: 'press', label: 'press' },
  { op: 'release', label: 'release' },
  { op: 'wait', label: 'wait' },
  { op: 'text', label: 'type text' },
];

function StepRow({
  index,
  step,
  onChange,
  onMove,
  onRemove,
  first,
  last,
  fieldProblem,
}: {
  index: number;
  step: StepDraft;
  onChange(s: StepDraft): void;
  onMove(by: -1 | 1): void;
  onRemove?: () => void;
  first: boolean;
  last: boolean;
  fieldProblem(field: string): string | undefined;
}) {
  const n = index + 1;
  return (
    <li className="edit-row edit-step">
      <div className="field">
        <label className="label">
          Step {n}
          <select
            value={step.op}
            onChange={(e) => onChange({ ...step, op: e.target.value as StepDraft['op'] })}
          >
            {STEP_OPS.map((o) => (
              <option key={o.op} value={o.op}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {step.op === 'wait' ? (
        <NumberField
          label={`Step ${n} wait`}
          unit="ms"
          value={step.ms}
          onChange={(v) => onChange({ ...step, ms: v })}
          problem={fieldProblem(`steps.${index}.ms`)}
        />
      ) : step.op === 'text' ? (
        <TextField
          label={`Step ${n} text`}
          value={step.text}
          onChange={(v) => onChange({ ...step, text: v })}
          problem={fieldProblem(`steps.${index}.text`)}
        />
      ) : (
        <KeyField
          label={`Step ${n} key`}
          value={step.key}
          onChange={(v) => onChange({ ...step, key: v })}
          problem={fieldProblem(`steps.${index}.key`)}
        />
      )}
      <span className="edit-row-tools">
        <button
          type="button"
          className="icon-button"
          aria-label={`Move step ${n} up`}
          disabled={first}
          onClick={() => onMove(-1)}
        >
          ↑
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={`Move step ${n} down`}
          disabled={last}
          onClick={() => onMove(1)}
        >
          ↓
        </button>
        {onRemove && (
          <button type="button" className="icon-button" aria-label={`Remove step ${n}`} onClick={onRemove}>
            ×
          </button>
        )}
      </span>
    </li>
  );
}
