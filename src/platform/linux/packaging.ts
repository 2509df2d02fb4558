/**
 * Where keyrx's own files are on this machine: the package's root folder (the one with keyrx's
 * package.json) and its packaging/ folder (udev rule, systemd user unit, modules-load.d file).
 * Found from this module's location, never from the working directory, so `keyrx doctor` and
 * `keyrx install` name the right files in a checkout (src/ through tsx, or dist/), a global npm
 * install (<prefix>/lib/node_modules/keyrx) and the .deb (/usr/lib/keyrx).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The files in packaging/ that keyrx installs somewhere. */
export type PackagingFile = '99-keyrx.rules' | 'keyrx.service' | 'keyrx-modules-load.conf';

let cachedRoot: string | null | undefined;

/** The folder with keyrx's package.json above this module, or null (a bundled or copied build). */
export function packageRoot(): string | null {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  cachedRoot = null;
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'keyrx') {
        cachedRoot = dir;
        break;
      }
    } catch {
      // no package.json here: look further up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return cachedRoot;
}

/** The absolute path of packaging/<name> in this installation, or null when it is not there. */
export function packagingFile(name: PackagingFile): string | null {
  const root = packageRoot();
  if (!root) return null;
  const file = join(root, 'packaging', name);
  return existsSync(file) ? file : null;
}

/**
 * packaging/<name> as a shell word for a fix to copy and paste: the absolute path in this
 * installation, else the path relative to a checkout.
 */
export function packagingFileForShell(name: PackagingFile): string {
  return shellQuote(packagingFile(name) ?? `packaging/${name}`);
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
