/**
 * The auto-save choice of dialog edits: this browser's (localStorage), shared by every editor tab
 * through the `storage` event, off unless turned on. Set in the editor's toolbar or on the
 * settings page (AutoSaveSetting); light, so the settings page does not load the editor.
 */
import { useSyncExternalStore } from 'react';

export const AUTO_SAVE_KEY = 'keyrx.editor.autoSave';

const listeners = new Set<() => void>();

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** Whether dialog edits save the profile at once (this browser's choice; off unless turned on). */
export function autoSaveEnabled(): boolean {
  return storage()?.getItem(AUTO_SAVE_KEY) === 'true';
}

export function setAutoSave(on: boolean): void {
  try {
    storage()?.setItem(AUTO_SAVE_KEY, String(on));
  } catch {
    // storage refused: the choice is not remembered
  }
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (e: StorageEvent) => {
    if (e.key === AUTO_SAVE_KEY || e.key === null) listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

/** The auto-save choice, kept current across components and tabs. */
export function useAutoSave(): [boolean, (on: boolean) => void] {
  const on = useSyncExternalStore(subscribe, autoSaveEnabled, () => false);
  return [on, setAutoSave];
}

/** The settings page's switch (the same choice as the editor toolbar's). */
export function AutoSaveSetting() {
  const [on, set] = useAutoSave();
  return (
    <section className="card settings-form settings-browser" aria-labelledby="autosave-title">
      <h2 id="autosave-title">Editor (this browser)</h2>
      <div className="field">
        <label>
          <input type="checkbox" checked={on} onChange={(e) => set(e.target.checked)} /> Auto-save edits
        </label>
        <span className="hint">
          A change made by clicking a key in the editor's keyboard view (the mapping and layer dialogs) saves
          the profile at once, with Undo in its notice; off: the editor keeps it unsaved until you save. Kept
          in this browser.
        </span>
      </div>
    </section>
  );
}
