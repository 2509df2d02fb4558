/** What every page can read: the daemon's status and the app-wide event stream. */
import { createContext, useCallback, useContext, useEffect, useRef, useSyncExternalStore } from 'react';
import type { Status } from './api.ts';
import type { ConnectionState, Envelope, EventStream } from './stream/event-stream.ts';

export interface AppContextValue {
  status: Status | null;
  refreshStatus(): void;
  /** topics state, latency, profile, device, error (no keystrokes) */
  stream: EventStream | null;
}

export const AppContext = createContext<AppContextValue>({
  status: null,
  refreshStatus: () => {},
  stream: null,
});

export function useApp(): AppContextValue {
  return useContext(AppContext);
}

/** Calls `listener` with each event of the app-wide stream whose type is in `types`. */
export function useStreamEvents(types: readonly string[], listener: (e: Envelope) => void): void {
  const { stream } = useApp();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  const key = types.join(',');
  useEffect(() => {
    if (!stream) return;
    const wanted = new Set(key.split(','));
    return stream.onEvents((events) => {
      for (const e of events) if (wanted.has(e.type)) latest.current(e);
    });
  }, [stream, key]);
}

export function useConnectionState(): ConnectionState {
  const { stream } = useApp();
  const subscribe = useCallback(
    (notify: () => void) => (stream ? stream.onState(notify) : () => {}),
    [stream],
  );
  return useSyncExternalStore(subscribe, () => stream?.state ?? 'closed');
}
