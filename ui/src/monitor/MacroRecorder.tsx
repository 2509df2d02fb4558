import { useCallback, useEffect, useState } from 'react';
import type { RecordingSummary } from '../api.ts';
import { api } from '../api.ts';
import { useApp, useStreamEvents } from '../app-context.ts';
import { useToasts } from '../toasts.tsx';

/**
 * The daemon's macro recorder (GET/POST /api/recording…): record what is typed, see it as a
 * macro's steps, save it as a key's macro. The daemon keeps the keys in memory only; the stream's
 * `recording` events keep this card current when the CLI starts or stops it.
 */
export function MacroRecorder() {
  const [state, setState] = useState<RecordingSummary | null>(null);
  const [steps, setSteps] = useState<string>('');
  // the active profile until the user names another
  const [chosen, setProfile] = useState<string | null>(null);
  const [key, setKey] = useState('F5');
  const [busy, setBusy] = useState(false);
  const toasts = useToasts();
  const { status } = useApp();

  const load = useCallback(() => {
    api
      .recording()
      .then((s) => {
        setState(s);
        if (!s.recording && s.count > 0)
          return api.recordedMacro().then(
            (m) => setSteps(m.text),
            () => setSteps(''),
          );
        setSteps('');
      })
      .catch(() => undefined);
  }, []);
  useEffect(load, [load]);
  useStreamEvents(['recording'], load);

  const profile = chosen ?? status?.activeProfile ?? '';
  const act = async (what: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await what();
      load();
    } catch (e) {
      toasts.show('error', (e as Error).message, { action: 'recording' });
    } finally {
      setBusy(false);
    }
  };
  const save = () =>
    act(async () => {
      const m = await api.recordedMacro();
      const p = await api.setKeyMapping(profile, key.trim(), {
        kind: 'macro',
        from: key.trim(),
        steps: m.steps,
      });
      toasts.show('success', `Saved: ${key.trim()} types the recording in ${p.name}`, {
        action: 'recording',
      });
    });

  const recording = state?.recording ?? false;
  return (
    <section
      className="card monitor-card"
      aria-labelledby="monitor-recorder-title"
      data-testid="macro-recorder"
    >
      <h2 id="monitor-recorder-title">Macro recorder</h2>
      <p className="muted">
        {recording
          ? `Recording: ${state?.count ?? 0} key events so far. Everything typed is recorded, passwords too.`
          : state && state.count > 0
            ? `${state.count} key events recorded${state.stoppedBy === 'limit' || state.stoppedBy === 'time' ? ' (it stopped by itself at its limit)' : ''}.`
            : 'Record what you type, then save it as a key’s macro. Kept in the daemon’s memory only.'}
      </p>
      <div className="toolbar">
        {recording ? (
          <button
            type="button"
            className="primary"
            aria-label="Stop recording"
            disabled={busy}
            onClick={() => void act(api.stopRecording)}
          >
            Stop
          </button>
        ) : (
          <button
            type="button"
            aria-label="Record a macro"
            disabled={busy}
            onClick={() => void act(api.startRecording)}
          >
            Record
          </button>
        )}
        <button
          type="button"
          aria-label="Clear the recording"
          disabled={busy || recording || !state || state.count === 0}
          onClick={() => void act(api.clearRecording)}
        >
          Clear
        </button>
      </div>
      {steps && (
        <>
          <label className="field">
            <span className="label">Steps</span>
            <code data-testid="recorded-steps">{steps}</code>
          </label>
          <div className="toolbar">
            <label>
              Profile{' '}
              <input
                value={profile}
                onChange={(e) => setProfile(e.target.value)}
                aria-label="Profile to save into"
              />
            </label>
            <label>
              Key{' '}
              <input
                value={key}
                onChange={(e) => setKey(e.target.value)}
                aria-label="Key that types it"
                size={8}
              />
            </label>
            <button type="button" disabled={busy || !profile || !key.trim()} onClick={() => void save()}>
              Save as macro
            </button>
          </div>
        </>
      )}
    </section>
  );
}
