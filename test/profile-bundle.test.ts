/**
 * Profiles moved between machines and reloaded: export (a bundle with the files a profile loads,
 * or the source alone), import (into another config directory), `reload` of the active profile —
 * through real daemons, their REST API and the CLI — and the bundles an attacker would send.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { daemonScope, runCli } from './support/daemon-process.ts';

const scope = daemonScope();

const MAIN = `// work
device_start("*");
  load("lib/nav.rhai");
  map("A", "VK_B");
device_end();
`;
const NAV = `map("CapsLock", "VK_Escape");\n`;

/** A config dir with the profile `work` loading profiles/lib/nav.rhai, made through a daemon. */
async function seeded(prefix: string) {
  const dir = scope.tempDir(prefix);
  mkdirSync(join(dir, 'profiles', 'lib'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'profiles', 'lib', 'nav.rhai'), NAV);
  const d = await scope.startDaemon(dir);
  const created = await d.api('POST', '/api/profiles', { name: 'work', source: MAIN });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  return { dir, d };
}

test('export a bundle, import it into another config directory: the profile and its loaded file arrive', async () => {
  const a = await seeded('keyrx-export-');
  const keyrxA = (...args: string[]) =>
    runCli([...args, '--url', a.d.url, '--config-dir', a.dir], { env: { NO_COLOR: '1' } });
  const out = join(a.dir, 'work.json');
  let r = await keyrxA('profiles', 'export', 'work', out);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `exported 'work' to ${out} with 1 loaded file: profiles/lib/nav.rhai\n`);
  const bundle = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(bundle.kind, 'keyrx-profile-bundle');
  assert.equal(bundle.source, MAIN);
  assert.deepEqual(bundle.files, [{ path: 'profiles/lib/nav.rhai', source: NAV }]);
  // the source alone, to a .rhai file, says what it leaves behind
  r = await keyrxA('profiles', 'export', 'work', join(a.dir, 'work-copy.rhai'));
  assert.match(r.stdout, /the source alone: it loads 1 file; export to a \.json file to take them along/);
  assert.equal(readFileSync(join(a.dir, 'work-copy.rhai'), 'utf8'), MAIN);
  const rest = await fetch(`${a.d.url}/api/profiles/work/export?format=rhai`, {
    headers: { authorization: `Bearer ${a.d.token}` },
  });
  assert.equal(rest.status, 200);
  assert.match(rest.headers.get('content-type') ?? '', /^text\/plain/);
  assert.equal(await rest.text(), MAIN);

  const b = scope.tempDir('keyrx-import-');
  const db = await scope.startDaemon(b);
  const keyrxB = (...args: string[]) =>
    runCli([...args, '--url', db.url, '--config-dir', b], { env: { NO_COLOR: '1' } });
  r = await keyrxB('profiles', 'import', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^imported 'work' from .*work\.json: .*; wrote profiles\/lib\/nav\.rhai\n$/);
  assert.equal(readFileSync(join(b, 'profiles', 'lib', 'nav.rhai'), 'utf8'), NAV);
  assert.equal(readFileSync(join(b, 'profiles', 'work.rhai'), 'utf8'), MAIN);
  // it works there: CapsLock (from the loaded file) and A
  await db.api('POST', '/api/profiles/work/activate');
  await db.api('POST', '/api/inject?instant=true', { events: 'd:CapsLock u:CapsLock d:A u:A' });
  const keys = (await db.api('GET', '/api/output?limit=4')).json.events.map((e: { key: string }) => e.key);
  assert.deepEqual(keys, ['Escape', 'Escape', 'B', 'B']);

  // again: the profile exists; under another name the same loaded file is no conflict
  r = await keyrxB('profiles', 'import', out);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /a profile named 'work' already exists \(import with overwrite to replace it\)/);
  r = await keyrxB('profiles', 'import', out, 'work2');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^imported 'work2' from .*: [^;]*\n$/, 'nothing written: the file was the same');
  // a loaded file changed here: a conflict, named; --overwrite replaces it
  writeFileSync(join(b, 'profiles', 'lib', 'nav.rhai'), 'map("CapsLock", "VK_LCtrl");\n');
  r = await keyrxB('profiles', 'import', out, 'work3');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /these files exist with other content: profiles\/lib\/nav\.rhai/);
  assert.ok(!existsSync(join(b, 'profiles', 'work3.rhai')));
  r = await keyrxB('profiles', 'import', out, 'work', '--overwrite');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(b, 'profiles', 'lib', 'nav.rhai'), 'utf8'), NAV);

  // a .rhai source alone, named after the file
  const plain = join(b, 'plain.rhai');
  writeFileSync(plain, 'device_start("*"); map("Q", "VK_W"); device_end();\n');
  r = await keyrxB('profiles', 'import', plain);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^imported 'plain' from /);
  // an import that does not compile is refused with file:line:col, and leaves nothing behind
  const broken = join(b, 'broken.json');
  writeFileSync(
    broken,
    JSON.stringify({
      ...bundle,
      source: 'load("lib/extra.rhai");\nmap("A", VK_B);\n',
      files: [{ path: 'profiles/lib/extra.rhai', source: '// extra\n' }],
    }),
  );
  r = await keyrxB('profiles', 'import', broken, 'broken');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /broken\.rhai:2:\d+/);
  assert.ok(
    !existsSync(join(b, 'profiles', 'lib', 'extra.rhai')),
    'the file the failed import created is gone',
  );
  assert.ok(!existsSync(join(b, 'profiles', 'broken.rhai')));
});

test('reload: the active profile re-read from disk; an invalid one is refused and the running one stays', async () => {
  const { dir, d } = await seeded('keyrx-reload-');
  const keyrx = (...args: string[]) =>
    runCli([...args, '--url', d.url, '--config-dir', dir], { env: { NO_COLOR: '1' } });
  // a first start activates a default profile: without it, nothing is active
  assert.equal((await d.api('DELETE', '/api/profiles/default?force=true')).status, 200);
  let r = await keyrx('reload');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no profile is active \(keys pass through\): activate one first/);
  await d.api('POST', '/api/profiles/work/activate');
  r = await keyrx('reload');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^reloaded 'work' in [\d.]+ ms \(/);
  // a loaded file changed behind the daemon's back: reload takes it
  writeFileSync(join(dir, 'profiles', 'lib', 'nav.rhai'), 'map("CapsLock", "VK_Tab");\n');
  const reloaded = await d.api('POST', '/api/profiles/active/reload');
  assert.equal(reloaded.status, 200, JSON.stringify(reloaded.json));
  // (the daemon's file watcher may have compiled it first: then reload finds a valid cache)
  await d.api('POST', '/api/inject?instant=true', { events: 'd:CapsLock u:CapsLock' });
  assert.deepEqual(
    (await d.api('GET', '/api/output?limit=2')).json.events.map((e: { key: string }) => e.key),
    ['Tab', 'Tab'],
  );
  writeFileSync(join(dir, 'profiles', 'lib', 'nav.rhai'), 'map("CapsLock", VK_Tab);\n');
  r = await keyrx('reload');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nav\.rhai:1:\d+/);
  await d.api('POST', '/api/inject?instant=true', { events: 'd:CapsLock u:CapsLock' });
  assert.deepEqual(
    (await d.api('GET', '/api/output?limit=2')).json.events.map((e: { key: string }) => e.key),
    ['Tab', 'Tab'],
    'the running version stays',
  );
});

test('hostile bundles: paths out of the directory, through a symlink, odd names, too many files — refused, nothing written', async () => {
  const { dir, d } = await seeded('keyrx-import-hostile-');
  const outside = scope.tempDir('keyrx-outside-');
  symlinkSync(outside, join(dir, 'profiles', 'escape'));
  const base = (await d.api('GET', '/api/profiles/work/export')).json;
  const listing = () =>
    JSON.stringify([readdirSync(join(dir, 'profiles'), { recursive: true }).sort(), readdirSync(outside)]);
  const before = listing();
  const hostile: Array<[string, unknown, string]> = [
    ['parent', { ...base, files: [{ path: '../token.rhai', source: 'x' }] }, 'IMPORT_INVALID'],
    ['dotdot inside', { ...base, files: [{ path: 'profiles/../../x.rhai', source: 'x' }] }, 'IMPORT_INVALID'],
    ['absolute', { ...base, files: [{ path: '/etc/cron.d/x.rhai', source: 'x' }] }, 'IMPORT_INVALID'],
    [
      'backslashes',
      { ...base, files: [{ path: 'profiles\\..\\..\\x.rhai', source: 'x' }] },
      'IMPORT_INVALID',
    ],
    ['hidden', { ...base, files: [{ path: 'profiles/.x.rhai', source: 'x' }] }, 'IMPORT_INVALID'],
    ['not rhai', { ...base, files: [{ path: 'profiles/lib/x.sh', source: 'x' }] }, 'IMPORT_INVALID'],
    ['token', { ...base, files: [{ path: 'token', source: 'x' }] }, 'IMPORT_INVALID'],
    [
      'through a symlink',
      { ...base, files: [{ path: 'profiles/escape/x.rhai', source: 'x' }] },
      'IMPORT_INVALID',
    ],
    ['its own file', { ...base, files: [{ path: 'profiles/evil.rhai', source: 'x' }] }, 'IMPORT_INVALID'],
    ['twice', { ...base, files: [base.files[0], base.files[0]] }, 'IMPORT_INVALID'],
    [
      '65 files',
      {
        ...base,
        files: Array.from({ length: 65 }, (_, i) => ({ path: `profiles/lib/f${i}.rhai`, source: '' })),
      },
      'IMPORT_INVALID',
    ],
    ['version 2', { ...base, version: 2 }, 'IMPORT_INVALID'],
    ['not a bundle', { kind: 'something' }, 'IMPORT_INVALID'],
    ['source not a string', { ...base, source: 42 }, 'IMPORT_INVALID'],
  ];
  for (const [what, bundle, code] of hostile) {
    const r = await d.api('POST', '/api/profiles/import', { name: 'evil', bundle });
    assert.equal(r.json.error?.code, code, `${what}: ${JSON.stringify(r.json)}`);
    assert.equal(r.status, 400, what);
  }
  for (const [what, body] of [
    ['both', { name: 'evil', source: '', bundle: base }],
    ['neither', { name: 'evil' }],
    ['bad name', { name: '../evil', source: '' }],
    ['extra field', { name: 'evil', source: '', path: '/tmp' }],
  ] as const) {
    const r = await d.api('POST', '/api/profiles/import', body);
    assert.equal(r.status, 400, `${what}: ${JSON.stringify(r.json)}`);
  }
  assert.equal(listing(), before, 'nothing was written anywhere');
  const anonymous = await fetch(`${d.url}/api/profiles/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'evil', source: '' }),
  });
  assert.equal(anonymous.status, 401);
  const foreign = await fetch(`${d.url}/api/profiles/import`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${d.token}`,
      origin: 'https://evil.example',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ name: 'evil', source: '' }),
  });
  assert.equal(foreign.status, 403);
  assert.equal((await d.api('GET', '/api/profiles/nope/export')).status, 404);
});
