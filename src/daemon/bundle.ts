/**
 * Profile bundles: a profile's source with the files it load()s, as one JSON document, for export
 * and import (`GET /api/profiles/:name/export`, `POST /api/profiles/import`, `keyrx profiles
 * export|import`). The paths inside are relative to the config directory and limited to
 * `profiles/…` and `stdlib/…` `.rhai` files: an imported bundle can never name a file elsewhere.
 */
import { DaemonError } from './errors.ts';

export const BUNDLE_KIND = 'keyrx-profile-bundle';
export const BUNDLE_VERSION = 1;
/** at most this many loaded files in a bundle */
export const BUNDLE_MAX_FILES = 64;
/** each file (and the source) at most this many characters, as load() reads at most 1 MiB */
export const BUNDLE_MAX_FILE_CHARS = 1024 * 1024;

export interface BundleFile {
  /** relative to the config directory, `/`-separated: `profiles/lib/nav.rhai`, `stdlib/home-row.rhai` */
  path: string;
  source: string;
}

export interface ProfileBundle {
  kind: typeof BUNDLE_KIND;
  version: number;
  name: string;
  keyrxVersion: string;
  exportedAt: string;
  source: string;
  files: BundleFile[];
  /** files the profile loads that come with keyrx or the system (not in the bundle) */
  notIncluded: string[];
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Checks a bundle file's path: `profiles/` or `stdlib/`, then plain segments (letters, digits,
 * `_`, `-`, `.`; not starting with a dot), ending in `.rhai`; at most 8 levels. Returns the
 * segments, or why not.
 */
export function checkBundlePath(
  path: unknown,
): { ok: true; segments: string[] } | { ok: false; why: string } {
  if (typeof path !== 'string' || path.length === 0 || path.length > 512)
    return { ok: false, why: 'a path must be a string of 1–512 characters' };
  const segments = path.split('/');
  if (segments[0] !== 'profiles' && segments[0] !== 'stdlib')
    return { ok: false, why: `'${path}' must be under profiles/ or stdlib/` };
  if (segments.length < 2 || segments.length > 8)
    return { ok: false, why: `'${path}' must name a file at most 7 folders deep` };
  for (const s of segments.slice(1))
    if (!SEGMENT.test(s) || s === '..' || s === '.')
      return { ok: false, why: `'${path}' has a part that is not a plain name: '${s}'` };
  if (!path.endsWith('.rhai')) return { ok: false, why: `'${path}' is not a .rhai file` };
  return { ok: true, segments };
}

/** A bundle from untrusted JSON: every field checked, every problem named. */
export function parseBundle(value: unknown): ProfileBundle {
  const problems: string[] = [];
  const b = value as Partial<ProfileBundle> | null;
  if (!b || typeof b !== 'object' || Array.isArray(b))
    throw new DaemonError('IMPORT_INVALID', 'the bundle must be a JSON object');
  if (b.kind !== BUNDLE_KIND) problems.push(`kind must be "${BUNDLE_KIND}"`);
  if (b.version !== BUNDLE_VERSION)
    problems.push(
      `version ${String(b.version)} is not supported (this keyrx reads version ${BUNDLE_VERSION})`,
    );
  if (typeof b.source !== 'string') problems.push('source must be a string');
  else if (b.source.length > BUNDLE_MAX_FILE_CHARS) problems.push('source is larger than 1 MiB');
  const files = Array.isArray(b.files) ? b.files : [];
  if (!Array.isArray(b.files)) problems.push('files must be an array');
  if (files.length > BUNDLE_MAX_FILES) problems.push(`at most ${BUNDLE_MAX_FILES} files`);
  const seen = new Set<string>();
  files.slice(0, BUNDLE_MAX_FILES).forEach((f, i) => {
    const at = `files[${i}]`;
    if (!f || typeof f !== 'object') return problems.push(`${at} must be an object`);
    const path = checkBundlePath(f.path);
    if (!path.ok) problems.push(`${at}: ${path.why}`);
    else if (seen.has(f.path)) problems.push(`${at}: '${f.path}' appears twice`);
    else seen.add(f.path);
    if (typeof f.source !== 'string') problems.push(`${at}.source must be a string`);
    else if (f.source.length > BUNDLE_MAX_FILE_CHARS) problems.push(`${at}: larger than 1 MiB`);
  });
  if (problems.length > 0)
    throw new DaemonError('IMPORT_INVALID', `invalid bundle: ${problems.slice(0, 10).join('; ')}`, {
      problems,
    });
  return {
    kind: BUNDLE_KIND,
    version: BUNDLE_VERSION,
    name: typeof b.name === 'string' ? b.name : '',
    keyrxVersion: typeof b.keyrxVersion === 'string' ? b.keyrxVersion : '',
    exportedAt: typeof b.exportedAt === 'string' ? b.exportedAt : '',
    source: b.source as string,
    files: files.map((f) => ({ path: f.path, source: f.source })),
    notIncluded: Array.isArray(b.notIncluded) ? b.notIncluded.filter((x) => typeof x === 'string') : [],
  };
}
