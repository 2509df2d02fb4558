/**
 * Autostart on a Linux desktop: the XDG autostart entry keyrx.desktop in $XDG_CONFIG_HOME/autostart
 * (default ~/.config/autostart), which the desktop session (GNOME, KDE Plasma, Xfce, …, or
 * systemd-xdg-autostart-generator) runs at every login of this user. No root rights needed.
 *
 * Who calls what: the CLI builds the entry with desktopEntry(command) and writes it with
 * writeAutostartEntry(autostartPath(), …); readAutostartEntry and parseDesktopEntry/parseExec tell
 * whether an entry exists and what it runs; removeAutostartEntry undoes it. Everything but the three
 * file functions is pure.
 *
 * Exec follows the Desktop Entry Specification (1.5, "The Exec key"): an argument with a reserved
 * character is double-quoted, with `"`, `` ` ``, `$` and `\` escaped by a backslash; a literal `%`
 * is `%%`; and then the value's own string escaping doubles every backslash, so a backslash in a
 * quoted argument is written as four. Control characters cannot be written.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

export const AUTOSTART_FILE = 'keyrx.desktop';

/** The characters that make an Exec argument need quotes (the spec's "reserved characters"). */
const RESERVED = /[ \t\n"'\\><~|&;$*?#()`]/;
/** Characters escaped by a backslash inside a quoted Exec argument. */
const QUOTE_ESCAPED = /["`$\\]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** One Exec argument, quoted and escaped for the file. */
export function quoteExecArgument(arg: string): string {
  if (CONTROL.test(arg))
    throw new Error(`an autostart command cannot hold a control character: ${JSON.stringify(arg)}`);
  const percent = arg.replaceAll('%', '%%');
  const quoted = arg === '' || RESERVED.test(arg) ? `"${percent.replace(QUOTE_ESCAPED, '\\$&')}"` : percent;
  // the string type's escaping, applied on top of the quoting
  return quoted.replaceAll('\\', '\\\\');
}

/** The Exec value that runs `command` (program, then arguments). */
export function execValue(command: readonly string[]): string {
  if (command.length === 0 || command[0] === '') throw new Error('an autostart command needs a program');
  return command.map(quoteExecArgument).join(' ');
}

/** The keyrx.desktop file that runs `command` at login. */
export function desktopEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.5',
    'Name=keyrx',
    'Comment=Keyboard remapper: the keyrx daemon and its tray icon',
    `Exec=${execValue(command)}`,
    'Icon=input-keyboard',
    'Terminal=false',
    'StartupNotify=false',
    'NoDisplay=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** A string value's escapes undone (\s \n \t \r \\). */
function unescapeValue(value: string): string {
  const map: Record<string, string> = { s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' };
  return value.replace(/\\([sntr\\])/g, (_, c: string) => map[c]);
}

/**
 * The keys of the [Desktop Entry] group (values unescaped; the last of duplicate keys). Comments,
 * blank lines, other groups and localized keys (Name[de]) are skipped.
 */
export function parseDesktopEntry(content: string): Record<string, string> {
  const out: Record<string, string> = {};
  let inEntry = false;
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      inEntry = line === '[Desktop Entry]';
      continue;
    }
    const eq = line.indexOf('=');
    if (!inEntry || eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!/^[A-Za-z0-9-]+$/.test(key)) continue;
    out[key] = unescapeValue(line.slice(eq + 1).trim());
  }
  return out;
}

/**
 * The program and arguments of an Exec value as parseDesktopEntry returns it (string escapes
 * already undone): quotes removed, escapes inside quotes undone, `%%` → `%`. Throws on an
 * unterminated quote.
 */
export function parseExec(exec: string): string[] {
  const args: string[] = [];
  let current: string | null = null;
  for (let i = 0; i < exec.length; i++) {
    const c = exec[i];
    if (c === ' ') {
      if (current !== null) args.push(current);
      current = null;
    } else if (c === '"') {
      current ??= '';
      for (i++; i < exec.length && exec[i] !== '"'; i++) {
        if (exec[i] === '\\' && i + 1 < exec.length) i++;
        current += exec[i];
      }
      if (i >= exec.length) throw new Error(`unterminated quote in Exec: ${exec}`);
    } else {
      current = (current ?? '') + c;
    }
  }
  if (current !== null) args.push(current);
  return args.map((a) => a.replaceAll('%%', '%'));
}

/** $XDG_CONFIG_HOME/autostart/keyrx.desktop (an absolute XDG_CONFIG_HOME), else ~/.config/autostart/…. */
export function autostartPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const config = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.config');
  return join(config, 'autostart', AUTOSTART_FILE);
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

/** The entry's content, or null when there is none. */
export async function readAutostartEntry(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

/**
 * Writes the entry atomically (a temporary file in the same directory, flushed, then renamed over
 * it), mode 0644, creating the autostart directory.
 */
export async function writeAutostartEntry(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const file = await open(temp, 'wx', 0o644);
    try {
      await file.writeFile(content, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await chmod(temp, 0o644); // whatever the umask
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => {});
    throw e;
  }
}

/** Removes the entry; true if there was one. */
export async function removeAutostartEntry(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (e) {
    if (isMissing(e)) return false;
    throw e;
  }
}
