/** Transient notifications (saved, activated, daemon errors), announced to screen readers. */
import type { ReactNode } from 'react';
import { createContext, useCallback, useContext, useMemo, useRef, useState } from 'react';

export type ToastKind = 'info' | 'success' | 'error';
interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
  action?: string;
}

export interface ToastOptions {
  /**
   * What the toast reports on (`profile:work`, `settings`): a new toast of the same action
   * replaces the earlier one, so a success takes a stale error of that action away.
   */
  action?: string;
}

interface ToastApi {
  show(kind: ToastKind, text: string, options?: ToastOptions): void;
}

const ToastContext = createContext<ToastApi>({ show: () => {} });

export function useToasts(): ToastApi {
  return useContext(ToastContext);
}

const MAX_VISIBLE = 4;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);
  const show = useCallback(
    (kind: ToastKind, text: string, options: ToastOptions = {}) => {
      const id = next.current++;
      const { action } = options;
      setToasts((ts) =>
        [...ts.filter((t) => action === undefined || t.action !== action), { id, kind, text, action }].slice(
          -MAX_VISIBLE,
        ),
      );
      window.setTimeout(() => dismiss(id), kind === 'error' ? 8000 : 3500);
    },
    [dismiss],
  );
  const value = useMemo(() => ({ show }), [show]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} data-testid="toast">
            <span>{t.text}</span>
            <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
