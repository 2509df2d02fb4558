/**
 * The XDG autostart entry (src/platform/linux/desktop-autostart.ts): the file's keys, Exec quoting
 * by the Desktop Entry Specification's rules (fixed cases written out by hand, and a round trip over
 * arbitrary arguments), and write/read/remove in a temporary XDG_CONFIG_HOME.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  autostartPath,
  desktopEntry,
  execValue,
  parseDesktopEntry,
  parseExec,
  quoteExecArgument,
  readAutostartEntry,
  removeAutostartEntry,
  writeAutostartEntry,
} from '../../src/platform/linux/desktop-autostart.ts';

describe('the desktop entry', () => {
  const command = ['/usr/bin/node', '/usr/lib/node_modules/keyrx/dist/src/cli/main.js', 'daemon'];

  test('is a [Desktop Entry] of key=value lines with the autostart keys', () => {
    const content = desktopEntry(command);
    const lines = content.split('\n');
    assert.equal(lines[0], '[Desktop Entry]');
    assert.ok(content.endsWith('\n'));
    for (const line of lines.slice(1, -1)) assert.match(line, /^[A-Za-z0-9-]+=\S/);
    const keys = parseDesktopEntry(content);
    assert.equal(keys.Type, 'Application');
    assert.equal(keys.Name, 'keyrx');
    assert.ok(keys.Comment);
    assert.equal(keys.Icon, 'input-keyboard');
    assert.equal(keys.Terminal, 'false');
    assert.equal(keys.NoDisplay, 'false');
    assert.equal(keys['X-GNOME-Autostart-enabled'], 'true');
    assert.equal(keys.Exec, command.join(' '));
    assert.deepEqual(parseExec(keys.Exec), command);
  });

  test('parsing skips comments, other groups and keeps the entry group only', () => {
    const keys = parseDesktopEntry(
      '# a comment\n[Desktop Entry]\nName=keyrx\nName[de]=x\n\n[Desktop Action new]\nName=other\nExec=y\n',
    );
    assert.deepEqual(keys, { Name: 'keyrx' });
  });
});

describe('Exec quoting', () => {
  test('plain arguments stay as they are; reserved characters are quoted and escaped', () => {
    assert.equal(quoteExecArgument('/usr/bin/node'), '/usr/bin/node');
    assert.equal(quoteExecArgument('--log-format=json'), '--log-format=json');
    assert.equal(quoteExecArgument(''), '""');
    assert.equal(quoteExecArgument('/home/Ann Lee/bin/keyrx'), '"/home/Ann Lee/bin/keyrx"');
    assert.equal(quoteExecArgument("it's"), `"it's"`);
    assert.equal(quoteExecArgument('a"b'), '"a\\\\"b"');
    assert.equal(quoteExecArgument('$HOME'), '"\\\\$HOME"');
    assert.equal(quoteExecArgument('a`b`'), '"a\\\\`b\\\\`"');
    // a backslash: escaped inside the quotes, then the string escape doubles both: four in the file
    assert.equal(quoteExecArgument('C:\\x'), '"C:\\\\\\\\x"');
    assert.equal(quoteExecArgument('100%'), '100%%');
    assert.equal(quoteExecArgument('50% off'), '"50%% off"');
    for (const c of ['>', '<', '~', '|', '&', ';', '*', '?', '#', '(', ')'])
      assert.equal(quoteExecArgument(`a${c}b`), `"a${c}b"`);
  });

  test('the whole line, and the file line parsed back', () => {
    const command = ['/opt/My Apps/node', '/home/a&b/keyrx (copy)/main.js', 'daemon', '--config', '~/x;$y'];
    const exec = execValue(command);
    assert.equal(exec, '"/opt/My Apps/node" "/home/a&b/keyrx (copy)/main.js" daemon --config "~/x;\\\\$y"');
    const keys = parseDesktopEntry(desktopEntry(command));
    assert.deepEqual(parseExec(keys.Exec), command);
  });

  test('control characters and an empty program are refused', () => {
    assert.throws(() => quoteExecArgument('a\nb'), /control character/);
    assert.throws(() => execValue([]), /program/);
    assert.throws(() => execValue(['', 'x']), /program/);
  });

  test('any arguments survive the file: desktopEntry → parseDesktopEntry → parseExec', () => {
    const printable = fc.string({ unit: fc.constantFrom(...' abz/._-"\'\\$`%~|&;<>*?#()=[]é'.split('')) });
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'ab/ \\"$%'.split('')), minLength: 1 }),
        fc.array(printable, { maxLength: 5 }),
        (program, args) => {
          const command = [program, ...args];
          assert.deepEqual(parseExec(parseDesktopEntry(desktopEntry(command)).Exec), command);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('the autostart file', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyrx-autostart-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('its path: $XDG_CONFIG_HOME/autostart, else ~/.config/autostart', () => {
    assert.equal(
      autostartPath({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/a' }),
      '/x/cfg/autostart/keyrx.desktop',
    );
    assert.equal(autostartPath({ HOME: '/home/a' }), '/home/a/.config/autostart/keyrx.desktop');
    // the basedir spec: a relative XDG_CONFIG_HOME is invalid and ignored
    assert.equal(
      autostartPath({ XDG_CONFIG_HOME: 'cfg', HOME: '/home/a' }),
      '/home/a/.config/autostart/keyrx.desktop',
    );
    assert.equal(
      autostartPath({ XDG_CONFIG_HOME: '', HOME: '/home/a' }),
      '/home/a/.config/autostart/keyrx.desktop',
    );
  });

  test('written (directory created, mode 0644, no temporary left), read, replaced and removed', async () => {
    const path = autostartPath({ XDG_CONFIG_HOME: join(dir, 'config home') });
    assert.equal(await readAutostartEntry(path), null);
    assert.equal(await removeAutostartEntry(path), false);

    const first = desktopEntry(['/usr/bin/keyrx', 'daemon']);
    const old = process.umask(0o077); // the mode does not depend on the umask
    try {
      await writeAutostartEntry(path, first);
    } finally {
      process.umask(old);
    }
    assert.equal(await readAutostartEntry(path), first);
    assert.equal((await stat(path)).mode & 0o777, 0o644);

    const second = desktopEntry(['/opt/key rx/keyrx', 'daemon']);
    await writeAutostartEntry(path, second);
    assert.equal(await readAutostartEntry(path), second);
    assert.deepEqual(await readdir(join(dir, 'config home', 'autostart')), ['keyrx.desktop']);

    assert.equal(await removeAutostartEntry(path), true);
    assert.equal(await readAutostartEntry(path), null);
    assert.equal(await removeAutostartEntry(path), false);
  });

  test('a failed write leaves the old entry and no temporary file', async () => {
    const autostart = join(dir, 'failing', 'autostart');
    const path = join(autostart, 'keyrx.desktop');
    await writeAutostartEntry(path, 'old\n');
    // a directory where the entry should be: rename over it fails
    const blocked = join(autostart, 'blocked.desktop');
    await writeAutostartEntry(join(blocked, 'x'), 'x\n');
    await assert.rejects(writeAutostartEntry(blocked, 'new\n'));
    assert.equal(await readAutostartEntry(path), 'old\n');
    assert.deepEqual((await readdir(autostart)).sort(), ['blocked.desktop', 'keyrx.desktop']);
  });
});
