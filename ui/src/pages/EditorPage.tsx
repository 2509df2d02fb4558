/**
 * `/profiles/:name`: loads the profile, then hands it to the editor. A lazy chunk of its own, so
 * CodeMirror and the compiler load only when a profile is opened.
 */
import { useEffect, useMemo, useState } from 'react';
import type { ProfileDetail } from '../api.ts';
import { api, ApiError } from '../api.ts';
import { ProfileEditor } from '../editor/ProfileEditor.tsx';
import { Link, useLocation } from '../router.tsx';

type Load =
  | { kind: 'loading' }
  | { kind: 'ready'; profile: ProfileDetail }
  | { kind: 'missing' }
  | { kind: 'failed'; message: string };

export default function EditorPage({ name }: { name: string }) {
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const { query } = useLocation();
  const line = Number(query.get('line'));
  const column = Number(query.get('column') ?? 1);
  const startAt = useMemo(
    () =>
      Number.isInteger(line) && line > 0
        ? { line, column: Number.isInteger(column) && column > 0 ? column : 1 }
        : undefined,
    [line, column],
  );

  useEffect(() => {
    let cancelled = false;
    api.profile(name).then(
      (profile) => {
        if (!cancelled) setLoad({ kind: 'ready', profile });
      },
      (e: unknown) => {
        if (cancelled) return;
        if (e instanceof ApiError && e.code === 'PROFILE_NOT_FOUND') setLoad({ kind: 'missing' });
        else setLoad({ kind: 'failed', message: e instanceof Error ? e.message : String(e) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [name, attempt]);

  if (load.kind === 'ready') return <ProfileEditor name={name} initial={load.profile} startAt={startAt} />;
  return (
    <section className="page">
      <h1>{name}</h1>
      {load.kind === 'loading' && (
        <p className="loading" role="status">
          Loading profile…
        </p>
      )}
      {load.kind === 'missing' && (
        <p role="alert">
          There is no profile named “{name}”. <Link href="/">Back to the profiles</Link>
        </p>
      )}
      {load.kind === 'failed' && (
        <div role="alert">
          <p className="error-text">
            Could not load “{name}”: {load.message}
          </p>
          <button
            type="button"
            onClick={() => {
              setLoad({ kind: 'loading' });
              setAttempt((a) => a + 1);
            }}
          >
            Try again
          </button>
        </div>
      )}
    </section>
  );
}
