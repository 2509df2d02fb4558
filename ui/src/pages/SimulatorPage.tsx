/**
 * `/simulator`: try a saved profile in the browser's engine without activating it. The
 * profile comes from `?profile=`, else the active one, else the first saved one.
 */
import { useEffect, useId, useMemo, useState } from 'react';
import type { ProfileDetail, ProfileMeta } from '../api.ts';
import { api } from '../api.ts';
import { useApp } from '../app-context.ts';
import { compileInBrowser, profileFile } from '../lib/compile.ts';
import { plural } from '../lib/format.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { SimulatorPanel } from '../simulator/SimulatorPanel.tsx';

type Loaded<T> = { key: string; value: T } | { key: string; error: string };

export default function SimulatorPage() {
  const ids = useId();
  const { query } = useLocation();
  const { status } = useApp();
  const [profiles, setProfiles] = useState<Loaded<ProfileMeta[]> | null>(null);
  const [detail, setDetail] = useState<Loaded<ProfileDetail> | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    api
      .profiles()
      .then((list) => current && setProfiles({ key: String(attempt), value: list }))
      .catch((e: Error) => current && setProfiles({ key: String(attempt), error: e.message }));
    return () => {
      current = false;
    };
  }, [attempt]);

  const list = profiles && 'value' in profiles ? profiles.value : null;
  const requested = query.get('profile');
  const name = requested ?? status?.activeProfile ?? list?.[0]?.name ?? null;

  useEffect(() => {
    if (name === null) return;
    let current = true;
    const key = `${name}#${attempt}`;
    api
      .profile(name)
      .then((d) => current && setDetail({ key, value: d }))
      .catch((e: Error) => current && setDetail({ key, error: e.message }));
    return () => {
      current = false;
    };
  }, [name, attempt]);

  const loaded = detail && name !== null && detail.key === `${name}#${attempt}` ? detail : null;
  const source = loaded && 'value' in loaded ? loaded.value.source : null;
  const compiled = useMemo(
    () => (source !== null && name !== null ? compileInBrowser(source, profileFile(name)) : null),
    [source, name],
  );
  const errors = compiled?.diagnostics.filter((d) => d.severity === 'error') ?? [];
  const choices = list ? list.map((p) => p.name) : [];
  if (name !== null && !choices.includes(name)) choices.unshift(name);

  const choose = (next: string) =>
    navigate(`/simulator?profile=${encodeURIComponent(next)}`, { replace: true });

  return (
    <section className="page sim-page">
      <h1>Simulator</h1>
      <div className="toolbar">
        <label htmlFor={`${ids}-profile`}>Profile</label>
        <select
          id={`${ids}-profile`}
          value={name ?? ''}
          onChange={(e) => choose(e.target.value)}
          disabled={choices.length === 0}
        >
          {choices.length === 0 && <option value="">no profiles</option>}
          {choices.map((n) => (
            <option key={n} value={n}>
              {n === status?.activeProfile ? `${n} (active)` : n}
            </option>
          ))}
        </select>
        {name !== null && <Link href={`/profiles/${encodeURIComponent(name)}`}>Edit</Link>}
        {compiled && (
          <span className="muted" data-testid="sim-compile-time">
            compiled in the browser in {Math.max(1, Math.round(compiled.ms))} ms
          </span>
        )}
      </div>

      {profiles && 'error' in profiles && (
        <p className="error-text" role="alert">
          Cannot list the profiles: {profiles.error}{' '}
          <button type="button" onClick={() => setAttempt((a) => a + 1)}>
            Try again
          </button>
        </p>
      )}
      {list && list.length === 0 && name === null && (
        <p>
          There are no saved profiles yet. <Link href="/">Create one on the profiles page</Link>, then
          simulate it here.
        </p>
      )}
      {name !== null && !loaded && !(profiles && 'error' in profiles) && (
        <p className="loading">Loading {name}…</p>
      )}
      {loaded && 'error' in loaded && (
        <p className="error-text" role="alert">
          Cannot load profile “{name}”: {loaded.error}{' '}
          <button type="button" onClick={() => setAttempt((a) => a + 1)}>
            Try again
          </button>
        </p>
      )}

      {compiled && errors.length > 0 && (
        <div className="card sim-page-errors" role="alert" data-testid="sim-compile-errors">
          <p>
            <strong>{plural(errors.length, 'error')}</strong> compiling “{name}” in the browser. First: line{' '}
            {errors[0].span.line}:{errors[0].span.column} {errors[0].message}
          </p>
          {compiled.unresolvedLoads && (
            <p className="muted">
              This profile <code>load()</code>s files from the daemon&apos;s disk. The browser can only read
              the bundled standard library, so it cannot compile such a profile here, even if the daemon can.
            </p>
          )}
          {name !== null && (
            <p>
              <Link href={`/profiles/${encodeURIComponent(name)}`}>Open it in the editor</Link>
            </p>
          )}
        </div>
      )}

      {compiled && name !== null && (
        <SimulatorPanel
          config={compiled.config}
          views={compiled.views}
          onKeySource={(s) =>
            navigate(`/profiles/${encodeURIComponent(name)}?line=${s.line}&column=${s.column}`)
          }
        />
      )}
    </section>
  );
}
