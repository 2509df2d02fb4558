/**
 * Editing without code from the CLI, as real processes: `keyrx layers …`, `keyrx config set-macro`
 * and `config diff` against a real daemon, and the same commands on the config directory directly
 * when no daemon runs (offline mode) — with its refusals: a daemon holding the directory on another
 * port, an explicit --url that does not answer.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cleanEnv, cliEntry, daemonScope, freePort, ROOT } from './support/daemon-process.ts';

const scope = daemonScope();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliEntry(), ...args], {
      cwd: ROOT,
      env: cleanEnv({ NO_COLOR: '1', ...env }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}

const SOURCE = `// edited from the CLI
layer_name("MD_00", "Nav");

device_start("*");
  tap_hold("CapsLock", "VK_Escape", "MD_00", 200);
  when_start("MD_00");
    map("H", "VK_Left");
  when_end();
  for k in ["F1", "F2"] { map(k, "VK_Mute"); }
device_end();
`;

test('layers, set-macro and diff through a running daemon; refusals save nothing', async () => {
  const dir = scope.tempDir('keyrx-cli-edit-');
  const d = await scope.startDaemon(dir);
  assert.equal((await d.api('POST', '/api/profiles', { name: 'work', source: SOURCE })).status, 201);
  const keyrx = (...args: string[]) => run([...args, '--config-dir', dir, '--url', d.url]);
  const stored = async (name = 'work'): Promise<string> =>
    (await d.api('GET', `/api/profiles/${name}`)).json.source;

  let r = await keyrx('layers', 'list', 'work');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'LAYER  NAME  MAPPINGS  TURNED ON BY\nMD_00  Nav   1         CapsLock (tap-hold)\n');
  r = await keyrx('layers', 'create', 'work', 'md_1', 'Symbols');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "saved 'work': layer MD_1 named 'Symbols'\n");
  assert.equal(r.stderr, '', 'a daemon answered: no offline notice');
  r = await keyrx('layers', 'rename', 'work', 'symbols', 'Sym');
  assert.equal(r.code, 0, r.stderr);
  r = await keyrx('config', 'set-key', 'work', 'J', 'VK_Down', '--layer', 'MD_01');
  assert.equal(r.code, 0, r.stderr);
  r = await keyrx('layers', 'show', 'work', 'Sym');
  assert.equal(r.stdout, "MD_01 'Sym'\nturned on by: —\n1 mapping:\n  J            J → Down  (block 0)\n");
  r = await keyrx('layers', 'list', 'work', '--json');
  assert.deepEqual(
    JSON.parse(r.stdout).layers.map((l: { layer: string; name: string }) => [l.layer, l.name]),
    [
      ['MD_00', 'Nav'],
      ['MD_01', 'Sym'],
    ],
  );

  r = await keyrx(
    'config',
    'set-macro',
    'work',
    'F5',
    'press:VK_LCtrl,tap:VK_C release:VK_LCtrl,wait:20,text:hi',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.ok(
    (await stored()).includes(
      'macro("F5", [press("VK_LCtrl"), tap("VK_C"), release("VK_LCtrl"), wait(20), text("hi")]);',
    ),
  );
  r = await keyrx('config', 'get-key', 'work', 'F5');
  assert.equal(r.stdout, 'F5: macro: press LCtrl, tap C, release LCtrl, wait 20 ms, text "hi"\n');

  // diff: against another profile, and against a file
  assert.equal((await d.api('POST', '/api/profiles', { name: 'old', source: SOURCE })).status, 201);
  r = await keyrx('config', 'diff', 'old', 'work');
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^2 keys changed from 'old' to 'work':\n {2}block 0 \(\*\), base layer\n {4}\+ F5: macro: press LCtrl, tap C/,
  );
  assert.match(r.stdout, /layer MD_01\n {4}\+ J: J → Down\n/);
  assert.match(r.stdout, /\n@@ .* @@\n/);
  assert.match(r.stdout, /\n\+layer_name\("MD_01", "Sym"\);\n/);
  const file = join(dir, 'copy.rhai');
  writeFileSync(file, await stored());
  r = await keyrx('config', 'diff', 'work', file);
  assert.equal(r.stdout, `'work' and '${file}' are identical\n`);
  r = await keyrx('config', 'diff', 'work', 'old', '--json');
  assert.equal(JSON.parse(r.stdout).changes.length, 2);

  // refusals: a clear message, exit 1 (the daemon's) or 2 (a usage mistake), nothing saved
  const before = await stored();
  const refusals: [string[], number, RegExp][] = [
    [['layers', 'create', 'work', 'MD_05', 'NAV'], 1, /'NAV' names MD_00 already; nothing was saved/],
    [['layers', 'create', 'work', 'MD_00', 'Other'], 1, /MD_00 exists already, named 'Nav'/],
    [
      ['layers', 'rename', 'work', 'Gaming', 'X'],
      1,
      /'work' has no layer 'Gaming'; its layers: MD_00 \(Nav\), MD_01 \(Sym\)/,
    ],
    [['layers', 'delete', 'work', 'MD_44'], 1, /no layer 'MD_44'/],
    [
      ['config', 'set-key', 'work', 'F1', 'VK_Home'],
      1,
      /F1 is mapped by code at .*work\.rhai:10:27 .*override/,
    ],
    [['config', 'set-key', 'work', 'Nope', 'VK_Home'], 2, /Unknown key name: 'Nope'/],
    [['config', 'set-macro', 'work', 'F6', 'press:VK_A,jump:2'], 2, /step 2 'jump:2': unknown step 'jump'/],
    [['config', 'set-macro', 'work', 'F6', 'wait:soon'], 2, /step 1 'wait:soon': wait takes milliseconds/],
    [['config', 'set-macro', 'work', 'F6', 'tap:VK_Nope'], 2, /Nope/],
    [['config', 'diff', 'work', 'missing'], 1, /missing/],
  ];
  for (const [args, code, message] of refusals) {
    const x = await keyrx(...args);
    assert.equal(x.code, code, `${args.join(' ')}: ${x.stderr}`);
    assert.match(x.stderr, message, args.join(' '));
  }
  assert.equal(await stored(), before);
  r = await keyrx('layers', 'delete', 'work', 'Nav');
  assert.equal(
    r.stdout,
    "saved 'work': layer Nav deleted\nnote: CapsLock in device block 0 still turns MD_00 ('Nav') on (tapHold); it now changes nothing\n",
  );
});

test('with no daemon running, config and layers commands work on the config directory directly', async () => {
  const dir = scope.tempDir('keyrx-cli-offline-');
  // the directory a daemon made, then stopped: profiles and token in place
  const d = await scope.startDaemon(dir);
  assert.equal((await d.api('POST', '/api/profiles', { name: 'work', source: SOURCE })).status, 201);
  await d.stop();
  const port = String(await freePort());
  const offline = (...args: string[]) => run([...args, '--config-dir', dir], { KEYRX_PORT: port });
  const file = join(dir, 'profiles', 'work.rhai');

  let r = await offline('config', 'set-key', 'work', 'A', 'VK_B');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "saved 'work': A → B\n");
  assert.equal(r.stderr, `keyrx: no daemon is running: working on ${dir} directly\n`);
  assert.equal(
    readFileSync(file, 'utf8'),
    SOURCE.replace('device_end();', '  map("A", "VK_B");\ndevice_end();'),
  );
  r = await offline('layers', 'create', 'work', 'LK_02', 'Game');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readFileSync(file, 'utf8').includes('layer_name("LK_02", "Game");'));
  r = await offline('layers', 'list', 'work');
  assert.match(r.stdout, /LK_02 {2}Game/);
  // refusals work offline too, and save nothing
  const before = readFileSync(file, 'utf8');
  r = await offline('config', 'set-key', 'work', 'F2', 'VK_Home');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /F2 is mapped by code/);
  r = await offline('layers', 'create', 'work', 'MD_03', 'game');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /'game' names LK_02 already/);
  assert.equal(readFileSync(file, 'utf8'), before);

  // the directory is released after each command: a daemon starts on it and sees the edits
  const again = await scope.startDaemon(dir);
  assert.ok(
    (await again.api('GET', '/api/profiles/work')).json.source.includes('layer_name("LK_02", "Game");'),
  );
  // a daemon that holds the directory but answers elsewhere: told, not opened a second time
  r = await offline('layers', 'list', 'work');
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(
      `a keyrx daemon is using ${dir} but does not answer at http://127\\.0\\.0\\.1:${port}: pass its address with --url`,
    ),
  );
  await again.stop();

  // an address given explicitly must answer: no offline fallback behind the user's back
  r = await run(['layers', 'list', 'work', '--config-dir', dir, '--url', `http://127.0.0.1:${port}`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot reach the keyrx daemon at http:\/\/127\.0\.0\.1:\d+: is it running\?/);
  // commands that need a running daemon do not open the directory
  r = await offline('status');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot reach the keyrx daemon/);
});
