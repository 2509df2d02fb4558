/** Profile names: safe as file names on every OS, never a path. */
import { DaemonError } from './errors.ts';

export const PROFILE_NAME_RULE =
  'a profile name is 1–64 characters: letters, digits, "_" and "-", starting with a letter or digit, and not a reserved device name (CON, PRN, AUX, NUL, COM1–9, LPT1–9)';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;

export function isValidProfileName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name) && !RESERVED.test(name);
}

export function checkProfileName(name: unknown): string {
  if (!isValidProfileName(name)) {
    const shown =
      typeof name === 'string'
        ? JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)
        : typeof name;
    throw new DaemonError('INVALID_NAME', `invalid profile name ${shown}: ${PROFILE_NAME_RULE}`);
  }
  return name;
}
