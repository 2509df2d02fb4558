/**
 * The daemon's rule for profile names (src/daemon/names.ts, which the UI may not import), so the
 * dialogs can say what is wrong while the user types. ui/test/profile-name.test.ts checks this
 * copy against the daemon's `isValidProfileName` over many names, so the two cannot drift.
 *
 * The rule: 1–64 characters, letters, digits, `_` and `-`, starting with a letter or digit, and
 * not a reserved device name (CON, PRN, AUX, NUL, COM1–9, LPT1–9, in any case).
 */

export const PROFILE_NAME_MAX = 64;

const ALLOWED = /^[A-Za-z0-9_-]$/;
const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;

/** What is wrong with `name` as a profile name, in a few words; null when it is valid. */
export function profileNameProblem(name: string): string | null {
  if (name === '') return 'Enter a name.';
  const chars = [...name];
  const bad = chars.find((c) => !ALLOWED.test(c));
  if (bad !== undefined)
    return bad.trim() === ''
      ? 'No spaces: use letters, digits, - and _.'
      : `“${bad}” is not allowed: use letters, digits, - and _.`;
  if (name.length > PROFILE_NAME_MAX)
    return `At most ${PROFILE_NAME_MAX} characters (this is ${name.length}).`;
  if (!/^[A-Za-z0-9]/.test(name)) return 'Start with a letter or digit.';
  if (RESERVED.test(name)) return `${name.toUpperCase()} is a reserved device name on Windows.`;
  return null;
}

export function isValidProfileName(name: string): boolean {
  return profileNameProblem(name) === null;
}
