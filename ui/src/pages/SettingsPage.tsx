import { useCallback, useEffect, useMemo, useState } from 'react';
import type { JsonSchema, Settings } from '../api.ts';
import { api, ApiError } from '../api.ts';
import { AutoSaveSetting } from '../edit/auto-save.tsx';
import type { FormField } from '../lib/schema-form.ts';
import { fieldsOf, groupFields, parseField, problemsByField, toText } from '../lib/schema-form.ts';
import { useToasts } from '../toasts.tsx';

export function SettingsPage() {
  const [schema, setSchema] = useState<JsonSchema | null>(null);
  const [saved, setSaved] = useState<Settings | null>(null);
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [serverProblems, setServerProblems] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const toasts = useToasts();

  const fields = useMemo(() => (schema ? fieldsOf(schema) : []), [schema]);
  const groups = useMemo(() => groupFields(fields), [fields]);

  const load = useCallback(() => {
    Promise.all([api.settingsSchema(), api.settings()])
      .then(([sc, st]) => {
        const fs = fieldsOf(sc);
        setSchema(sc);
        setSaved(st);
        setTexts(Object.fromEntries(fs.map((f) => [f.key, toText(f, st[f.key])])));
        setFormError(null);
      })
      .catch((e: Error) => setFormError(e.message));
  }, []);
  useEffect(load, [load]);

  const parsed = useMemo(
    () => Object.fromEntries(fields.map((f) => [f.key, parseField(f, texts[f.key] ?? '')])),
    [fields, texts],
  );
  const changed = useMemo(() => {
    const patch: Settings = {};
    if (!saved) return patch;
    for (const f of fields) {
      const p = parsed[f.key];
      if (p?.ok && JSON.stringify(p.value) !== JSON.stringify(saved[f.key])) patch[f.key] = p.value;
    }
    return patch;
  }, [fields, parsed, saved]);
  const invalid = fields.some((f) => !parsed[f.key]?.ok);
  const dirty = fields.some((f) => (texts[f.key] ?? '') !== toText(f, saved?.[f.key]));

  const save = async () => {
    if (invalid || Object.keys(changed).length === 0) return;
    setSaving(true);
    setServerProblems({});
    setFormError(null);
    try {
      const next = await api.patchSettings(changed);
      setSaved(next);
      setTexts(Object.fromEntries(fields.map((f) => [f.key, toText(f, next[f.key])])));
      toasts.show('success', `Saved ${Object.keys(changed).join(', ')}`, { action: 'settings' });
    } catch (e) {
      const problems = e instanceof ApiError ? ((e.details as { problems?: string[] })?.problems ?? []) : [];
      const byField = problemsByField(
        problems,
        fields.map((f) => f.key),
      );
      setServerProblems(byField);
      // a refused advanced setting must be seen
      if (groups.advanced.some((f) => f.key in byField)) setAdvancedOpen(true);
      if (Object.keys(byField).length === 0) setFormError((e as Error).message);
    } finally {
      setSaving(false);
    }
  };

  const setText = (key: string, text: string) => {
    setTexts((t) => ({ ...t, [key]: text }));
    setServerProblems((p) => {
      if (!(key in p)) return p;
      const rest = { ...p };
      delete rest[key];
      return rest;
    });
  };

  const field = (f: FormField) => (
    <SettingField
      key={f.key}
      field={f}
      text={texts[f.key] ?? ''}
      problem={(() => {
        const p = parsed[f.key];
        return p && !p.ok ? p.problem : serverProblems[f.key];
      })()}
      onChange={(t) => setText(f.key, t)}
    />
  );

  const resetDefaults = () =>
    setTexts(Object.fromEntries(fields.map((f) => [f.key, toText(f, f.schema.default ?? saved?.[f.key])])));

  return (
    <section className="page settings" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      {!schema && !formError && <p className="loading">Loading settings…</p>}
      {formError && (
        <p className="error-text" role="alert">
          {formError}
        </p>
      )}
      {schema && (
        <form
          className="card settings-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          {groups.common.map(field)}
          {groups.advanced.length > 0 && (
            <details
              className="settings-advanced"
              open={advancedOpen}
              onToggle={(e) => setAdvancedOpen(e.currentTarget.open)}
              data-testid="settings-advanced"
            >
              <summary>
                Advanced <span className="muted">— daemon internals; the defaults suit almost everyone</span>
              </summary>
              {groups.advanced.map(field)}
            </details>
          )}
          <div className="toolbar">
            <button type="submit" className="primary" disabled={saving || invalid || !dirty}>
              {saving ? 'Saving…' : 'Save settings'}
            </button>
            <button
              type="button"
              disabled={!dirty}
              onClick={() =>
                setTexts(Object.fromEntries(fields.map((f) => [f.key, toText(f, saved?.[f.key])])))
              }
            >
              Discard changes
            </button>
            <button type="button" onClick={resetDefaults}>
              Fill in defaults
            </button>
            {invalid && (
              <span className="error-text">
                {!advancedOpen && groups.advanced.some((f) => !parsed[f.key]?.ok)
                  ? 'Fix the marked fields (under Advanced) to save.'
                  : 'Fix the marked fields to save.'}
              </span>
            )}
          </div>
        </form>
      )}
      <AutoSaveSetting />
    </section>
  );
}

function SettingField({
  field,
  text,
  problem,
  onChange,
}: {
  field: FormField;
  text: string;
  problem: string | undefined;
  onChange(text: string): void;
}) {
  const id = `setting-${field.key}`;
  const describedBy = `${id}-hint${problem ? ` ${id}-problem` : ''}`;
  const s = field.schema;
  let input;
  if (field.kind === 'boolean')
    input = (
      <input
        id={id}
        type="checkbox"
        checked={text === 'true'}
        onChange={(e) => onChange(String(e.target.checked))}
        aria-describedby={describedBy}
      />
    );
  else if (field.kind === 'choice')
    input = (
      <select id={id} value={text} onChange={(e) => onChange(e.target.value)} aria-describedby={describedBy}>
        {field.choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  else
    input = (
      <input
        id={id}
        name={field.key}
        inputMode={field.kind === 'integer' || field.kind === 'number' ? 'numeric' : undefined}
        value={text}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={problem !== undefined}
        aria-describedby={describedBy}
      />
    );
  const range =
    s.minimum !== undefined && s.maximum !== undefined
      ? ` (${s.minimum.toLocaleString()}–${s.maximum.toLocaleString()})`
      : field.kind === 'list'
        ? ' (key names separated by spaces)'
        : '';
  return (
    <div className="field">
      <label htmlFor={id} className="label">
        {field.label}
      </label>
      {input}
      <span className="hint" id={`${id}-hint`}>
        {field.description}
        {range}
        {s.default !== undefined &&
          `; default ${Array.isArray(s.default) ? s.default.join(' ') : String(s.default)}`}
      </span>
      {problem && (
        <span className="problem" id={`${id}-problem`} role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}
