/**
 * The API's error envelope, and the reply while the daemon starts: light (no server imports), so
 * the CLI's port holder answers exactly what the server does before the server is loaded.
 */
export function envelope(
  code: string,
  message: string,
  details?: unknown,
): { error: { code: string; message: string; details?: unknown } } {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** 503 while the daemon starts (with `retry-after: 1`). */
export const STARTING = envelope('STARTING', 'the daemon is starting; try again in a moment');
