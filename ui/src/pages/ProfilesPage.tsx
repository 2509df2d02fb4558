import type { ReactNode } from 'react';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { ProfileMeta } from '../api.ts';
import { api, ApiError } from '../api.ts';
import { useApp, useStreamEvents } from '../app-context.ts';
import { Dialog } from '../components/Dialog.tsx';
import { bytes, plural, relativeTime } from '../lib/format.ts';
import { profileNameProblem } from '../lib/profile-name.ts';
import { Link, navigate } from '../router.tsx';
import { useToasts } from '../toasts.tsx';

type Pending =
  | { kind: 'create' }
  | { kind: 'import'; file: ImportFile }
  | { kind: 'duplicate'; from: string }
  | { kind: 'rename'; from: string }
  | { kind: 'delete'; profile: ProfileMeta };

export function ProfilesPage() {
  const [profiles, setProfiles] = useState<ProfileMeta[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const { refreshStatus } = useApp();
  const toasts = useToasts();

  const load = useCallback(() => {
    api
      .profiles()
      .then((p) => {
        setProfiles(p);
        setLoadError(null);
      })
      .catch((e: Error) => setLoadError(e.message));
  }, []);
  useEffect(load, [load]);
  // Changes made elsewhere (another tab, the CLI) show up without a reload.
  useStreamEvents(['profile'], load);

  const activate = async (name: string) => {
    setBusy(name);
    // the editor's save and activate report as the same action: a success replaces a stale error
    const about = { action: `profile:${name}` };
    try {
      const r = await api.activate(name);
      toasts.show(
        'success',
        `Activated ${name} (${r.compileMs.toFixed(1)} ms${r.cached ? ', cached' : ''})`,
        about,
      );
      refreshStatus();
      load();
    } catch (e) {
      toasts.show('error', (e as Error).message, about);
    } finally {
      setBusy(null);
    }
  };

  // Export: the bundle (the profile and the files it loads) downloaded as <name>.keyrx.json
  const exportProfile = async (name: string) => {
    try {
      const bundle = await api.exportProfile(name);
      const url = URL.createObjectURL(
        new Blob([`${JSON.stringify(bundle, null, 2)}\n`], { type: 'application/json' }),
      );
      const a = document.createElement('a');
      a.href = url;
      a.download = `${name}.keyrx.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      toasts.show(
        'success',
        `Exported ${name}${bundle.files.length > 0 ? ` with ${plural(bundle.files.length, 'loaded file')}` : ''}`,
      );
    } catch (e) {
      toasts.show('error', (e as Error).message);
    }
  };
  const fileInput = useRef<HTMLInputElement>(null);
  const chooseImport = async (file: File | undefined) => {
    if (!file) return;
    try {
      setPending({ kind: 'import', file: readImportFile(file.name, await file.text()) });
    } catch (e) {
      toasts.show('error', (e as Error).message);
    }
  };

  return (
    <section className="page" aria-labelledby="profiles-title">
      <div className="toolbar">
        <h1 id="profiles-title" style={{ margin: 0 }}>
          Profiles
        </h1>
        <button type="button" className="primary" onClick={() => setPending({ kind: 'create' })}>
          New profile
        </button>
        <button type="button" onClick={() => fileInput.current?.click()}>
          Import…
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".json,.rhai,application/json"
          hidden
          data-testid="import-file"
          onChange={(e) => {
            void chooseImport(e.target.files?.[0]);
            e.target.value = '';
          }}
        />
      </div>
      {loadError && (
        <p className="error-text" role="alert">
          Could not load the profiles: {loadError}{' '}
          <button type="button" onClick={load}>
            Retry
          </button>
        </p>
      )}
      {profiles === null && !loadError && <p className="loading">Loading profiles…</p>}
      {profiles && profiles.length === 0 && (
        <p className="card">No profiles yet. Create one from a template to start.</p>
      )}
      {profiles && profiles.length > 0 && (
        <div className="table-wrap">
          <table data-testid="profiles-table">
            <caption className="visually-hidden">Profiles, {profiles.length} in total</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="hide-narrow">
                  Contents
                </th>
                <th scope="col" className="hide-narrow">
                  Modified
                </th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {profiles.map((p) => (
                <tr key={p.name} data-testid="profile-row" data-profile={p.name}>
                  <td>
                    <Link href={`/profiles/${encodeURIComponent(p.name)}`} className="profile-name">
                      {p.name}
                    </Link>{' '}
                    {p.active && <span className="badge badge-active">active</span>}
                    {p.lastCompileError && (
                      <div className="error-text" data-testid="profile-error">
                        <span className="badge badge-error">error</span> line {p.lastCompileError.line}:
                        {p.lastCompileError.column} {p.lastCompileError.message}
                        {p.lastCompileError.count > 1 && ` (+${p.lastCompileError.count - 1} more)`}
                      </div>
                    )}
                  </td>
                  <td className="hide-narrow muted">
                    {p.mappings === null
                      ? '—'
                      : `${plural(p.mappings, 'mapping')}, ${plural(p.layers ?? 0, 'layer')}`}
                    <br />
                    <small>{bytes(p.size)}</small>
                  </td>
                  <td className="hide-narrow muted" title={new Date(p.modifiedAt).toLocaleString()}>
                    {relativeTime(p.modifiedAt)}
                  </td>
                  <td>
                    <div className="row-actions">
                      <button
                        type="button"
                        onClick={() => void activate(p.name)}
                        disabled={p.active || busy !== null}
                        aria-label={`Activate ${p.name}`}
                      >
                        {busy === p.name ? 'Activating…' : 'Activate'}
                      </button>
                      <button
                        type="button"
                        onClick={() => navigate(`/profiles/${encodeURIComponent(p.name)}`)}
                        aria-label={`Edit ${p.name}`}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        onClick={() => setPending({ kind: 'duplicate', from: p.name })}
                        aria-label={`Duplicate ${p.name}`}
                      >
                        Duplicate
                      </button>
                      <button
                        type="button"
                        onClick={() => void exportProfile(p.name)}
                        aria-label={`Export ${p.name}`}
                      >
                        Export
                      </button>
                      <button
                        type="button"
                        onClick={() => setPending({ kind: 'rename', from: p.name })}
                        aria-label={`Rename ${p.name}`}
                      >
                        Rename
                      </button>
                      <button
                        type="button"
                        className="danger"
                        onClick={() => setPending({ kind: 'delete', profile: p })}
                        aria-label={`Delete ${p.name}`}
                      >
                        Delete
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pending?.kind === 'create' && (
        <CreateDialog
          onDone={(name) => {
            setPending(null);
            if (name) navigate(`/profiles/${encodeURIComponent(name)}`);
          }}
        />
      )}
      {pending?.kind === 'import' && (
        <ImportDialog
          file={pending.file}
          onDone={(name) => {
            setPending(null);
            if (name) load();
          }}
        />
      )}
      {(pending?.kind === 'duplicate' || pending?.kind === 'rename') && (
        <NameDialog
          mode={pending.kind}
          from={pending.from}
          onDone={(changed) => {
            setPending(null);
            if (changed) {
              load();
              refreshStatus();
            }
          }}
        />
      )}
      {pending?.kind === 'delete' && (
        <DeleteDialog
          profile={pending.profile}
          onDone={(deleted) => {
            setPending(null);
            if (deleted) {
              toasts.show('success', `Deleted ${pending.profile.name}`);
              load();
              refreshStatus();
            }
          }}
        />
      )}
    </section>
  );
}

/**
 * The name field of the create, duplicate and rename dialogs: checked with the daemon's rule as
 * the user types, the problem shown under it. `problem` is null when the name can be sent.
 */
function NameField({
  label,
  name,
  problem,
  serverError,
  hint,
  onChange,
}: {
  label: string;
  name: string;
  problem: string | null;
  serverError: boolean;
  hint?: ReactNode;
  onChange(name: string): void;
}) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : '', problem ? `${id}-problem` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label className="label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        value={name}
        onChange={(e) => onChange(e.target.value)}
        autoFocus
        required
        autoComplete="off"
        spellCheck={false}
        aria-invalid={problem !== null || serverError}
        aria-describedby={describedBy || undefined}
      />
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {problem && (
        <span className="problem" id={`${id}-problem`} aria-live="polite" data-testid="name-problem">
          {problem}
        </span>
      )}
    </div>
  );
}

function CreateDialog({ onDone }: { onDone(name: string | null): void }) {
  const [name, setName] = useState('');
  // nothing to complain about before the first keystroke (Create is disabled all the same)
  const [edited, setEdited] = useState(false);
  const [template, setTemplate] = useState('default');
  const [templates, setTemplates] = useState<{ name: string; description: string }[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    api
      .templates()
      .then(setTemplates)
      .catch((e: Error) => setError(e.message));
  }, []);
  const cancel = useCallback(() => onDone(null), [onDone]);
  const problem = profileNameProblem(name.trim());
  const submit = async () => {
    if (problem) return;
    setSaving(true);
    setError(null);
    try {
      const p = await api.createProfile({ name: name.trim(), template });
      onDone(p.name);
    } catch (e) {
      setError((e as Error).message);
      setSaving(false);
    }
  };
  const description = templates.find((t) => t.name === template)?.description;
  return (
    <Dialog
      title="New profile"
      onCancel={cancel}
      onSubmit={() => void submit()}
      actions={
        <>
          <button type="button" onClick={cancel}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={saving || problem !== null}>
            {saving ? 'Creating…' : 'Create'}
          </button>
        </>
      }
    >
      <NameField
        label="Name"
        name={name}
        problem={edited ? problem : null}
        serverError={error !== null}
        hint={
          <>
            Up to 64 letters, digits, <code>-</code> and <code>_</code>, starting with a letter or digit; it
            becomes the file name.
          </>
        }
        onChange={(n) => {
          setName(n);
          setEdited(true);
          setError(null);
        }}
      />
      <label className="field">
        <span className="label">Start from</span>
        <select value={template} onChange={(e) => setTemplate(e.target.value)}>
          {templates.length === 0 && <option value="default">default</option>}
          {templates.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
        {description && <span className="hint">{description}</span>}
      </label>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}

/** A file chosen for import: a bundle (JSON from Export) or a .rhai source. */
interface ImportFile {
  fileName: string;
  name: string;
  body: { source: string } | { bundle: unknown };
  /** the loaded files a bundle brings */
  files: string[];
}

function readImportFile(fileName: string, text: string): ImportFile {
  if (/^\s*\{/.test(text)) {
    let bundle: { name?: unknown; files?: unknown };
    try {
      bundle = JSON.parse(text) as { name?: unknown; files?: unknown };
    } catch {
      throw new Error(`${fileName} is not valid JSON (export a profile here, or pick a .rhai file)`);
    }
    const files = Array.isArray(bundle.files)
      ? bundle.files.map((f) => String((f as { path?: unknown }).path))
      : [];
    const name = typeof bundle.name === 'string' ? bundle.name : fileName.replace(/(\.keyrx)?\.json$/, '');
    return { fileName, name, body: { bundle }, files };
  }
  return { fileName, name: fileName.replace(/\.rhai$/, ''), body: { source: text }, files: [] };
}

function ImportDialog({ file, onDone }: { file: ImportFile; onDone(name: string | null): void }) {
  const [name, setName] = useState(file.name);
  const [overwrite, setOverwrite] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const toasts = useToasts();
  const cancel = useCallback(() => onDone(null), [onDone]);
  const target = name.trim();
  const problem = profileNameProblem(target);
  const submit = async () => {
    if (problem) return;
    setSaving(true);
    setError(null);
    try {
      const p = await api.importProfile({ name: target, ...file.body, ...(overwrite ? { overwrite } : {}) });
      toasts.show(
        'success',
        `Imported ${p.name}${p.files.length > 0 ? ` and wrote ${p.files.join(', ')}` : ''}`,
      );
      onDone(p.name);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
      setSaving(false);
    }
  };
  return (
    <Dialog
      title={`Import ${file.fileName}`}
      onCancel={cancel}
      onSubmit={() => void submit()}
      actions={
        <>
          <button type="button" onClick={cancel}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={saving || problem !== null}>
            {saving ? 'Importing…' : 'Import'}
          </button>
        </>
      }
    >
      <NameField
        label="Profile name"
        name={name}
        problem={problem}
        serverError={error !== null}
        onChange={(n) => {
          setName(n);
          setError(null);
        }}
      />
      {file.files.length > 0 && (
        <p className="hint">
          It brings the files it loads: {file.files.join(', ')} (written into the config directory).
        </p>
      )}
      <label>
        <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} /> Replace
        a profile of this name and files with other content
      </label>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}

function NameDialog({
  mode,
  from,
  onDone,
}: {
  mode: 'duplicate' | 'rename';
  from: string;
  onDone(changed: boolean): void;
}) {
  const [name, setName] = useState(mode === 'duplicate' ? `${from}-copy` : from);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const toasts = useToasts();
  const cancel = useCallback(() => onDone(false), [onDone]);
  const target = name.trim();
  // renaming to the current name does nothing (the dialog opens with it): not a problem, just not sendable
  const unchanged = mode === 'rename' && target === from;
  const problem =
    profileNameProblem(target) ??
    (mode === 'duplicate' && target === from ? 'The copy needs a name of its own.' : null);
  const submit = async () => {
    if (problem || unchanged) return;
    setSaving(true);
    setError(null);
    try {
      if (mode === 'duplicate') await api.duplicate(from, target);
      else await api.rename(from, target);
      toasts.show(
        'success',
        mode === 'duplicate' ? `Copied ${from} to ${target}` : `Renamed ${from} to ${target}`,
      );
      onDone(true);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
      setSaving(false);
    }
  };
  const verb = mode === 'duplicate' ? 'Duplicate' : 'Rename';
  return (
    <Dialog
      title={`${verb} ${from}`}
      onCancel={cancel}
      onSubmit={() => void submit()}
      actions={
        <>
          <button type="button" onClick={cancel}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={saving || problem !== null || unchanged}>
            {verb}
          </button>
        </>
      }
    >
      <NameField
        label={mode === 'duplicate' ? 'Name of the copy' : 'New name'}
        name={name}
        problem={problem}
        serverError={error !== null}
        onChange={(n) => {
          setName(n);
          setError(null);
        }}
      />
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}

function DeleteDialog({ profile, onDone }: { profile: ProfileMeta; onDone(deleted: boolean): void }) {
  const [error, setError] = useState<string | null>(null);
  const cancel = useCallback(() => onDone(false), [onDone]);
  const submit = async () => {
    try {
      await api.deleteProfile(profile.name, profile.active);
      onDone(true);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Dialog
      title={`Delete ${profile.name}?`}
      onCancel={cancel}
      onSubmit={() => void submit()}
      actions={
        <>
          <button type="button" onClick={cancel} autoFocus>
            Cancel
          </button>
          <button type="submit" className="danger">
            Delete
          </button>
        </>
      }
    >
      <p>
        The file <code>{profile.name}.rhai</code> is removed. This cannot be undone.
      </p>
      {profile.active && (
        <p className="error-text">
          It is the active profile: keys pass through unchanged until you activate another one.
        </p>
      )}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
