/**
 * The modal the edit dialogs (mapping, layer, changes) open in: a <dialog> shown with
 * showModal() (the browser traps focus; Escape cancels), labelled by its title, wider than the
 * app's small confirmation dialogs. With `onSubmit` its body is a form and Enter saves.
 */
import type { FormEvent, ReactNode } from 'react';
import { useEffect, useId, useRef } from 'react';

export interface EditDialogProps {
  title: ReactNode;
  /** one line under the title: what the dialog edits */
  subtitle?: ReactNode;
  onCancel(): void;
  onSubmit?(): void;
  children: ReactNode;
  actions: ReactNode;
  className?: string;
  testId?: string;
}

export function EditDialog({
  title,
  subtitle,
  onCancel,
  onSubmit,
  children,
  actions,
  className,
  testId,
}: EditDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const cancelRef = useRef(onCancel);
  useEffect(() => {
    cancelRef.current = onCancel;
  });
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (typeof d.showModal === 'function' && !d.open) d.showModal();
    else d.setAttribute('open', '');
    const cancel = (e: Event) => {
      e.preventDefault();
      cancelRef.current();
    };
    d.addEventListener('cancel', cancel);
    return () => {
      d.removeEventListener('cancel', cancel);
      if (d.open && typeof d.close === 'function') d.close();
    };
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit?.();
  };
  const body = (
    <>
      <header className="edit-dialog-head">
        <h2 id={titleId}>{title}</h2>
        {subtitle && <p className="edit-dialog-sub muted">{subtitle}</p>}
      </header>
      <div className="edit-dialog-body">{children}</div>
      <div className="dialog-actions edit-dialog-actions">{actions}</div>
    </>
  );
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      className={`edit-dialog${className ? ` ${className}` : ''}`}
      data-testid={testId}
    >
      {onSubmit ? (
        <form method="dialog" onSubmit={submit} noValidate>
          {body}
        </form>
      ) : (
        body
      )}
    </dialog>
  );
}
