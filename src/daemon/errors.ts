/**
 * Errors the daemon reports to API clients: a stable code, an HTTP status and details.
 * The server turns them into `{"error": {"code", "message", "details"}}`.
 */
export type DaemonErrorCode =
  | 'INVALID_NAME'
  | 'PROFILE_NOT_FOUND'
  | 'PROFILE_EXISTS'
  | 'PROFILE_INVALID'
  | 'PROFILE_ACTIVE'
  | 'TEMPLATE_NOT_FOUND'
  | 'SETTINGS_INVALID'
  | 'DEVICE_NOT_FOUND'
  | 'SCRIPT_INVALID'
  | 'SIMULATION_INVALID'
  | 'BACKEND_UNAVAILABLE'
  | 'STORAGE_FULL'
  | 'STORAGE_ERROR'
  | 'SHUTTING_DOWN'
  | 'ALREADY_RUNNING'
  | 'CONFIG_DIR_INSECURE'
  | 'KEY_EDIT_INVALID'
  | 'KEY_FROM_CODE'
  | 'KEY_EDIT_REFUSED'
  | 'LAYER_NOT_FOUND'
  | 'LAYER_EXISTS'
  | 'LAYER_EDIT_INVALID'
  | 'LAYER_FROM_CODE'
  | 'LAYER_EDIT_REFUSED'
  | 'LAYOUT_NOT_FOUND'
  | 'LAYOUT_INVALID'
  | 'LAYOUT_BUILTIN'
  | 'LAYOUT_IN_USE'
  | 'LAYOUT_UNKNOWN'
  | 'LAYOUT_CORRUPT'
  | 'NO_ACTIVE_PROFILE'
  | 'IMPORT_INVALID'
  | 'IMPORT_CONFLICT';

const STATUS: Record<DaemonErrorCode, number> = {
  INVALID_NAME: 400,
  PROFILE_NOT_FOUND: 404,
  PROFILE_EXISTS: 409,
  PROFILE_INVALID: 400,
  PROFILE_ACTIVE: 409,
  TEMPLATE_NOT_FOUND: 400,
  SETTINGS_INVALID: 400,
  DEVICE_NOT_FOUND: 404,
  SCRIPT_INVALID: 400,
  SIMULATION_INVALID: 400,
  BACKEND_UNAVAILABLE: 409,
  STORAGE_FULL: 507,
  STORAGE_ERROR: 500,
  SHUTTING_DOWN: 503,
  // start-up failures (the CLI prints them; no request can meet them)
  ALREADY_RUNNING: 409,
  CONFIG_DIR_INSECURE: 500,
  // edits of one key's mapping (PUT/DELETE /api/profiles/:name/keys/:key)
  KEY_EDIT_INVALID: 400,
  KEY_FROM_CODE: 409,
  KEY_EDIT_REFUSED: 409,
  // layers (/api/profiles/:name/layers)
  LAYER_NOT_FOUND: 404,
  LAYER_EXISTS: 409,
  LAYER_EDIT_INVALID: 400,
  LAYER_FROM_CODE: 409,
  LAYER_EDIT_REFUSED: 409,
  // keyboard layouts (/api/layouts; a device's layout)
  LAYOUT_NOT_FOUND: 404,
  LAYOUT_INVALID: 400,
  LAYOUT_BUILTIN: 409,
  LAYOUT_IN_USE: 409,
  LAYOUT_UNKNOWN: 400,
  LAYOUT_CORRUPT: 409,
  NO_ACTIVE_PROFILE: 409,
  IMPORT_INVALID: 400,
  IMPORT_CONFLICT: 409,
};

export class DaemonError extends Error {
  readonly code: DaemonErrorCode;
  readonly status: number;
  readonly details?: unknown;
  constructor(code: DaemonErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'DaemonError';
    this.code = code;
    this.status = STATUS[code];
    this.details = details;
  }
}

/** Wraps a failed file operation so the client learns what happened without a stack trace. */
export function storageError(action: string, e: unknown): DaemonError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new DaemonError('STORAGE_FULL', `${action}: the disk is full; nothing was changed`);
  if (code === 'EROFS')
    return new DaemonError(
      'STORAGE_ERROR',
      `${action}: the config directory is read-only; nothing was changed`,
    );
  if (code === 'EACCES' || code === 'EPERM')
    return new DaemonError(
      'STORAGE_ERROR',
      `${action}: permission denied in the config directory; nothing was changed`,
    );
  return new DaemonError(
    'STORAGE_ERROR',
    `${action}: ${code ?? (e instanceof Error ? e.message : String(e))}`,
  );
}
