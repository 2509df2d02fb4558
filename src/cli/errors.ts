/** An error the CLI reports as one line on stderr, exiting with `exitCode` (1 profile/input error, 2 usage). */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

const FS_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
};

/** A short human reason for a failed file operation. */
export function describeFsError(e: unknown): string {
  const code = (e as { code?: string }).code;
  return (code && FS_ERRORS[code]) ?? (e instanceof Error ? e.message : String(e));
}
