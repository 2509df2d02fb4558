/**
 * `keyrx layouts list | show | import | export | delete` as real processes against a real daemon
 * started on a temp config dir and a free port; then the same commands on a config directory no
 * daemon runs on (offline), and `keyrx view --layout` with built-in and custom layouts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUILTIN_LAYOUTS, layoutById } from '../src/core/index.ts';
import type { DaemonProcess } from './support/daemon-process.ts';
import { cliEntry, spawnDaemon } from './support/daemon-process.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = join(import.meta.dirname, '..');
const fixtures = join(import.meta.dirname, 'fixtures', 'kle');
const work = mkdtempSync(join(tmpdir(), 'keyrx-cli-layouts-'));
const dir = join(work, 'config');
let daemon: DaemonProcess;
let url = '';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without the caller's KEYRX_* settings, so only what a test passes counts. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KEYRX_')) env[k] = v;
  return { ...env, NO_COLOR: '1' };
}

function run(args: string[], cwd = root): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliEntry(), ...args], { cwd, env: cleanEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

/** The CLI against the test daemon. */
const keyrx = (...args: string[]): Promise<Run> => run([...args, '--config-dir', dir, '--url', url]);

before(async () => {
  daemon = await spawnDaemon({ dir, env: cleanEnv() });
  url = daemon.url;
});

after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('through the daemon', () => {
  test('list: every built-in layout with its keys and size; --json is the API reply', async () => {
    const r = await keyrx('layouts', 'list');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^ID +NAME +KEYS +SIZE$/);
    assert.match(
      lines[1],
      /^ansi-104 +ANSI 104 \(US, full size\) +104 +22\.5 × 6\.5 +built in \(also: ansi\)$/,
    );
    assert.equal(lines.length, 1 + BUILTIN_LAYOUTS.length);
    const json = await keyrx('layouts', 'list', '--json');
    assert.deepEqual(
      JSON.parse(json.stdout).layouts.map((l: Json) => l.id),
      BUILTIN_LAYOUTS.map((l) => l.id),
    );
  });

  test('show: a drawing of the layout with its key names; the old ids work; --json has every key', async () => {
    const r = await keyrx('layouts', 'show', 'iso');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^iso-105: ISO 105 \(EU, full size\) \(built in; 105 keys, 22\.5 × 6\.5 key units\)$/m,
    );
    assert.match(r.stdout, /│Esc │ +│ F1 │ F2 │/);
    assert.match(r.stdout, /│CapsLock│ A {2}│ S {2}│/);
    assert.match(r.stdout, /┤Enter│/, 'the tall ISO Enter');
    assert.match(r.stdout, /^abbreviated: .*ISO=Iso102nd/m);
    const ascii = await keyrx('layouts', 'show', 'numpad', '--ascii');
    assert.match(ascii.stdout, /\+----\+----\+----\+----\+\n\|NLCK\| P\/ \| P\* \| P- \|/);
    assert.doesNotMatch(ascii.stdout, /[─│┌┐└┘├┤┬┴┼]/);
    const json = JSON.parse((await keyrx('layouts', 'show', 'hhkb', '--json')).stdout);
    assert.deepEqual(json.keys, layoutById('hhkb')!.keys);
    const missing = await keyrx('layouts', 'show', 'dvorak');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^keyrx: no layout 'dvorak' \(built in: ansi-104, .*; custom: none\)\n$/);
    // KeyRx's CLI spelled the built-ins ANSI_104 …; other ids that are none of ours are usage errors
    const keyrxName = JSON.parse((await keyrx('layouts', 'show', 'HHKB', '--json')).stdout);
    assert.equal(keyrxName.id, 'hhkb');
    const invalid = await keyrx('layouts', 'show', 'My_Board');
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /invalid layout id "My_Board": a layout id is 1–48 characters/);
  });

  test('import: KLE raw data (detected), --skip-unknown, --force; the file is in the config dir', async () => {
    const r = await keyrx('layouts', 'import', join(fixtures, 'iso-105-uk.json'), '--id', 'my-iso');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "saved layout 'my-iso' (ISO 105 (UK)): 105 keys, 22.5 × 6.5 key units, from keyboard-layout-editor data\n",
    );
    assert.ok(existsSync(join(dir, 'layouts', 'my-iso.json')));

    const again = await keyrx('layouts', 'import', join(fixtures, 'iso-105-uk.json'), '--id', 'my-iso');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a custom layout 'my-iso' exists \(ISO 105 \(UK\)\); --force replaces it/);
    const forced = await keyrx(
      'layouts',
      'import',
      join(fixtures, 'iso-105-uk.json'),
      '--id',
      'my-iso',
      '--name',
      'UK board',
      '--force',
    );
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^saved layout 'my-iso' \(UK board\)/);

    const fn = await keyrx('layouts', 'import', join(fixtures, 'sixty.json'), '--id', 'my-60');
    assert.equal(fn.code, 1);
    assert.match(fn.stderr, /row 5, key 7 \("Fn"\): Fn is handled by the keyboard itself/);
    assert.match(fn.stderr, /--skip-unknown/);
    assert.equal(existsSync(join(dir, 'layouts', 'my-60.json')), false);
    const skipped = await keyrx(
      'layouts',
      'import',
      join(fixtures, 'sixty.json'),
      '--id',
      'my-60',
      '--skip-unknown',
    );
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.equal(
      skipped.stderr,
      'keyrx: skipped row 5, key 7 (Fn): Fn is handled by the keyboard itself: keyrx never sees it\n',
    );
    assert.match(skipped.stdout, /^saved layout 'my-60' \(my-60\): 60 keys/);
  });

  test('export then import: our JSON and KLE (--kle, -o) round-trip', async () => {
    const ours = join(work, 'my-iso.json');
    const e = await keyrx('layouts', 'export', 'my-iso', '-o', ours);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(e.stderr, `keyrx: wrote ${ours}\n`);
    const exported = JSON.parse(readFileSync(ours, 'utf8'));
    assert.deepEqual(Object.keys(exported), ['id', 'name', 'description', 'keys']);
    const kle = await keyrx('layouts', 'export', 'jis', '--kle');
    assert.equal(kle.code, 0, kle.stderr);
    const kleData = JSON.parse(kle.stdout);
    assert.deepEqual(kleData[0], { name: 'JIS 109 (Japanese)', notes: layoutById('jis-109')!.description });
    const kleFile = join(work, 'jis.kle.json');
    writeFileSync(kleFile, kle.stdout);

    const fromOurs = await keyrx('layouts', 'import', ours, '--id', 'iso-copy', '--json');
    assert.equal(fromOurs.code, 0, fromOurs.stderr);
    const fromKle = await keyrx('layouts', 'import', kleFile, '--id', 'jis-copy', '--json');
    assert.equal(fromKle.code, 0, fromKle.stderr);
    const sort = (keys: Json[]) => [...keys].sort((a, b) => a.key.localeCompare(b.key));
    assert.deepEqual(sort(JSON.parse(fromOurs.stdout).keys), sort(layoutById('iso-105')!.keys));
    assert.deepEqual(sort(JSON.parse(fromKle.stdout).keys), sort(layoutById('jis-109')!.keys));
    assert.equal(JSON.parse(fromOurs.stdout).name, 'UK board');

    const list = await keyrx('layouts', 'list');
    assert.match(list.stdout, /^my-iso +UK board +105 +22\.5 × 6\.5 +custom$/m);
  });

  test('import refuses what is not a layout, with the file and the reason; nothing is saved', async () => {
    const before = readdirSync(join(dir, 'layouts')).sort();
    const cases: [string, string, RegExp, number][] = [
      [
        'not-json.json',
        '{"name": ',
        /is not JSON .*expected a keyrx layout or keyboard-layout-editor raw data/,
        2,
      ],
      ['no-keys.json', '{"name": "x"}', /has no "keys" array/, 2],
      ['scalar.json', '5', /is neither a keyrx layout .* nor keyboard-layout-editor raw data/, 2],
      [
        'bad-key.json',
        JSON.stringify({ name: 'x', keys: [{ key: 'Nope', x: 0, y: 0 }] }),
        /^keyrx: layout: keys\[0\]\.key: unknown key name "Nope"/,
        1,
      ],
      ['rotated.json', JSON.stringify([[{ r: 30 }, 'A']]), /rotated keys \("r": 30\) are not supported/, 1],
    ];
    for (const [name, text, message, code] of cases) {
      const file = join(work, name);
      writeFileSync(file, text);
      const r = await keyrx('layouts', 'import', file, '--id', 'refused');
      assert.equal(r.code, code, `${name}: ${r.stderr}`);
      assert.match(r.stderr, message, name);
    }
    const noFile = await keyrx('layouts', 'import', join(work, 'absent.json'), '--id', 'refused');
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /cannot read '.*absent\.json': no such file or directory/);
    const noId = await keyrx('layouts', 'import', join(fixtures, 'ansi-104.json'));
    assert.equal(noId.code, 2);
    assert.match(noId.stderr, /required option '--id <id>' not specified/);
    for (const id of ['../x', 'My-Board', 'con']) {
      const r = await keyrx('layouts', 'import', join(fixtures, 'ansi-104.json'), '--id', id);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--id: invalid layout id .*a layout id is 1–48 characters/);
    }
    const builtIn = await keyrx('layouts', 'import', join(fixtures, 'ansi-104.json'), '--id', 'ansi');
    assert.equal(builtIn.code, 1);
    assert.match(builtIn.stderr, /'ansi' is a built-in layout, which cannot be changed or deleted/);
    assert.deepEqual(readdirSync(join(dir, 'layouts')).sort(), before);
  });

  test('delete: refused while a device uses the layout (named), --force deletes it', async () => {
    assert.equal(
      (await daemon.api('POST', '/api/inject?instant=true', { events: 'dev:kb-1 d:A u:A' })).status,
      200,
    );
    const patched = await daemon.api('PATCH', '/api/devices/kb-1', { layout: 'my-60' });
    assert.equal(patched.status, 200);
    const refused = await keyrx('layouts', 'delete', 'my-60');
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      "keyrx: layout 'my-60' is the layout of 1 device (kb-1): choose another layout for it (web UI: Devices; API: PATCH /api/devices/:id), or delete with --force\n",
    );
    const forced = await keyrx('layouts', 'delete', 'my-60', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(
      forced.stdout,
      "deleted layout 'my-60'; 1 device still name it and show the default layout: kb-1\n",
    );
    const plain = await keyrx('layouts', 'delete', 'jis-copy');
    assert.equal(plain.stdout, "deleted layout 'jis-copy'\n");
    const gone = await keyrx('layouts', 'delete', 'jis-copy');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no custom layout 'jis-copy'/);
    const builtIn = await keyrx('layouts', 'delete', 'hhkb');
    assert.equal(builtIn.code, 1);
    assert.match(builtIn.stderr, /built-in layout/);
    assert.equal(existsSync(join(dir, 'layouts', 'my-60.json')), false);
  });
});

describe('without a daemon', () => {
  test('the commands work on the config directory directly', async () => {
    const offline = join(work, 'offline');
    const local = (...args: string[]) => run([...args, '--config-dir', offline]);
    const imported = await local('layouts', 'import', join(fixtures, 'ansi-104.json'), '--id', 'desk');
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stderr, /no daemon is running: working on .*offline directly/);
    assert.ok(existsSync(join(offline, 'layouts', 'desk.json')));
    const list = await local('layouts', 'list');
    assert.match(list.stdout, /^desk +ANSI 104 from KLE +104 +22\.5 × 6\.5 +custom$/m);
    const show = await local('layouts', 'show', 'desk');
    assert.match(show.stdout, /^desk: ANSI 104 from KLE \(custom; 104 keys/);
    const deleted = await local('layouts', 'delete', 'desk');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(existsSync(join(offline, 'layouts', 'desk.json')), false);
  });
});

describe('keyrx view --layout', () => {
  test('built-in layouts by id or old id, custom ones from the config directory; an unknown one is a usage error', async () => {
    const profiles = join(work, 'view-config', 'profiles');
    mkdirSync(profiles, { recursive: true });
    writeFileSync(
      join(profiles, 'nav.rhai'),
      'device_start("*");\nmap("Numpad1", "VK_End");\ndevice_end();\n',
    );
    writeFileSync(
      join(work, 'view-config', 'layouts-src.json'),
      JSON.stringify({ name: 'Pad', keys: [{ key: 'Numpad1', x: 0, y: 0, w: 2 }] }),
    );
    const viewDir = join(work, 'view-config');
    const local = (...args: string[]) => run([...args, '--config-dir', viewDir], work);
    assert.equal(
      (await local('layouts', 'import', join(viewDir, 'layouts-src.json'), '--id', 'pad')).code,
      0,
    );
    for (const layout of ['ansi-104', 'iso', 'compact-96', 'pad']) {
      const r = await local('view', 'nav', '--layout', layout, '-o', join(work, `${layout}.html`));
      assert.equal(r.code, 0, r.stderr);
      const page = readFileSync(join(work, `${layout}.html`), 'utf8');
      assert.match(page, /<div class="board" style="width:\d+px;height:\d+px">/);
      assert.match(
        page,
        /style="left:\d+px;top:\d+px;width:\d+px;height:\d+px" title="Numpad1: Numpad1 → End"/,
      );
    }
    const pad = readFileSync(join(work, 'pad.html'), 'utf8');
    assert.match(pad, /left:0px;top:0px;width:104px;height:50px/);
    assert.match(pad, /layout: Pad;/);
    const unknown = await local('view', 'nav', '--layout', 'dvorak');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--layout: no layout 'dvorak' \(built in: ansi-104, .*; custom: pad\)/);
  });
});
