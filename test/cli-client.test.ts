/**
 * The daemon clients (`keyrx status`, `profiles …`, `devices list`, `login-url`) run as real
 * processes against a real daemon started on a temp config dir and a free port.
 */
import type { DaemonProcess } from './support/daemon-process.ts';
import { cliEntry, freePort, spawnDaemon } from './support/daemon-process.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_PORT as CLIENT_DEFAULT_PORT, resolveBaseUrl } from '../src/cli/client.ts';
import { DEFAULT_PORT } from '../src/cli/daemon-command.ts';
import { TEMPLATE_DESCRIPTIONS, TEMPLATE_NAMES } from '../src/daemon/templates.ts';
import { hasScript, onTerminal } from './support/terminal.ts';

const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'keyrx-client-'));
const dir = join(work, 'config');
/** the CLI's temp files (the editor's copies) go here, so nothing is left behind */
const cliTmp = join(work, 'tmp');
mkdirSync(cliTmp);
let daemon: DaemonProcess;
let url = '';
let token = '';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without the caller's KEYRX_* settings, so only what a test passes counts. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KEYRX_')) env[k] = v;
  delete env.VISUAL;
  delete env.EDITOR;
  return { ...env, NO_COLOR: '1', TMPDIR: cliTmp, ...extra };
}

function run(
  args: string[],
  opts: { env?: Record<string, string>; input?: string; tty?: boolean } = {},
): Promise<Run> {
  const argv = [process.execPath, ...cliEntry(), ...args];
  // `script` gives the CLI a terminal on stdin, for the confirmation and re-edit prompts
  const [cmd, cmdArgs] = opts.tty ? onTerminal(argv) : [argv[0], argv.slice(1)];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, cmdArgs as string[], { cwd: root, env: cleanEnv(opts.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** The CLI against the test daemon, through --config-dir and --url. */
function keyrx(...args: string[]): Promise<Run> {
  return run([...args, '--config-dir', dir, '--url', url]);
}

async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json()) as T;
  assert.ok(res.ok, `${method} ${path}: ${JSON.stringify(data)}`);
  return data;
}

before(async () => {
  daemon = await spawnDaemon({ dir, env: cleanEnv() });
  url = daemon.url;
  token = daemon.token;
});

after(async () => {
  await daemon.stop();
  rmSync(work, { recursive: true, force: true });
});

const VALID = 'device_start("*");\n    map("A", "VK_B");\ndevice_end();\n';
const BROKEN = 'device_start("*");\n    map("A", "VK_Escap");\n    map("B", "VK_Foo");\ndevice_end();\n';

test('the client finds the daemon where the daemon listens by default', () => {
  assert.equal(CLIENT_DEFAULT_PORT, DEFAULT_PORT);
  assert.equal(resolveBaseUrl(undefined, {}), `http://127.0.0.1:${DEFAULT_PORT}`);
  assert.equal(resolveBaseUrl(undefined, { KEYRX_PORT: '1234' }), 'http://127.0.0.1:1234');
  assert.equal(
    resolveBaseUrl(undefined, { KEYRX_URL: 'http://[::1]:9/', KEYRX_PORT: '1' }),
    'http://[::1]:9',
  );
  assert.equal(resolveBaseUrl('http://localhost:5/', { KEYRX_URL: 'http://x' }), 'http://localhost:5');
});

test('status: human summary and the API JSON, found through flags or environment', async () => {
  const r = await keyrx('status');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^daemon: +keyrx \\d+\\.\\d+\\.\\d+ at ${url} \\(pid \\d+\\)$`, 'm'));
  assert.match(r.stdout, /^active profile: +default \(since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)$/m);
  assert.match(r.stdout, /^profiles: +1$/m);
  // every value starts in the same column
  const columns = new Set(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => /^[^:]+: +/.exec(l)![0].length),
  );
  assert.equal(columns.size, 1);

  const json = await keyrx('status', '--json');
  assert.equal(json.code, 0, json.stderr);
  const s = JSON.parse(json.stdout);
  assert.equal(s.activeProfile, 'default');
  assert.equal(s.backend, 'virtual');
  assert.equal(typeof s.pid, 'number');

  const viaEnv = await run(['status', '--json'], { env: { KEYRX_URL: url, KEYRX_CONFIG_DIR: dir } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(JSON.parse(viaEnv.stdout).pid, s.pid);
  const port = new URL(url).port;
  const viaPort = await run(['status', '--json', '--config-dir', dir], { env: { KEYRX_PORT: port } });
  assert.equal(viaPort.code, 0, viaPort.stderr);
  assert.equal(JSON.parse(viaPort.stdout).pid, s.pid);
});

test('profiles create: from a template, from a --file; refused sources show file:line:col and a caret', async () => {
  const r = await keyrx('profiles', 'create', 'work', '--template', 'vim_navigation');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    "created profile 'work' from template vim_navigation: 1 device block, 7 mappings, 1 layer\n",
  );

  const file = join(work, 'simple.rhai');
  writeFileSync(file, VALID);
  const fromFile = await keyrx('profiles', 'create', 'simple', '--file', file, '--json');
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.equal(fromFile.stderr, '');
  const created = JSON.parse(fromFile.stdout);
  assert.equal(created.source, VALID);
  assert.equal(created.mappings, 1);

  // --from-file, the old name, still works (hidden from the help, with a note on stderr)
  const legacy = await keyrx('profiles', 'create', 'legacy', '--from-file', file);
  assert.equal(legacy.code, 0, legacy.stderr);
  assert.equal(legacy.stdout, `created profile 'legacy' from ${file}: 1 device block, 1 mapping, 0 layers\n`);
  assert.equal(legacy.stderr, 'keyrx: --from-file is deprecated; use --file\n');
  await api('DELETE', '/api/profiles/legacy');

  const blank = await keyrx('profiles', 'create', 'empty');
  assert.equal(blank.code, 0, blank.stderr);
  assert.match(blank.stdout, /from template blank: 1 device block, 0 mappings, 0 layers/);

  const broken = join(work, 'broken.rhai');
  writeFileSync(broken, BROKEN);
  const bad = await keyrx('profiles', 'create', 'bad', '--file', broken);
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, '');
  assert.ok(
    bad.stderr.includes(
      `${broken}:2:14: error: Unknown key name: 'Escap'\n 2 |     map("A", "VK_Escap");\n   |              ^^^^^^^^^^\n  = did you mean: Escape, Esc, ESC?`,
    ),
    bad.stderr,
  );
  assert.match(bad.stderr, new RegExp(`${broken}:3:14: error: Unknown key name: 'Foo'`));
  assert.match(bad.stderr, /\n2 errors\nkeyrx: the profile has 2 errors; nothing was saved\n$/);
  assert.equal((await keyrx('profiles', 'show', 'bad')).code, 1);
  // one error: singular, in the daemon's message too
  writeFileSync(broken, VALID.replace('VK_B', 'VK_Bogus'));
  const one = await keyrx('profiles', 'create', 'bad', '--file', broken);
  assert.equal(one.code, 1);
  assert.match(one.stderr, /\n1 error\nkeyrx: the profile has 1 error; nothing was saved\n$/);

  // independent refusals, run side by side
  const [exists, template, name, both, twice, missing, noName] = await Promise.all([
    keyrx('profiles', 'create', 'work'),
    keyrx('profiles', 'create', 'x', '--template', 'nope'),
    keyrx('profiles', 'create', 'has space'),
    keyrx('profiles', 'create', 'x', '--template', 'blank', '--file', file),
    keyrx('profiles', 'create', 'x', '--file', file, '--from-file', file),
    keyrx('profiles', 'create', 'x', '--file', join(work, 'nope.rhai')),
    keyrx('profiles', 'create'),
  ]);
  assert.equal(exists.code, 1);
  assert.equal(exists.stderr, "keyrx: a profile named 'work' already exists\n");
  assert.equal(template.code, 1);
  assert.match(
    template.stderr,
    /^keyrx: unknown template 'nope' \(available: default, blank, .*gaming.*\)\n$/,
  );
  assert.equal(name.code, 1);
  assert.match(name.stderr, /^keyrx: invalid profile name "has space": a profile name is 1–64 characters/);
  assert.equal(both.code, 2);
  assert.equal(both.stderr, 'keyrx: give either --template or --file, not both\n');
  assert.equal(twice.code, 2);
  assert.equal(twice.stderr, 'keyrx: give --file once (--from-file is its old name)\n');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read profile '.*nope\.rhai': no such file or directory/);
  assert.equal(noName.code, 2);
});

test('profiles create --help lists every template with its description; create and edit both take --file', async () => {
  const [create, edit] = await Promise.all([
    run(['profiles', 'create', '--help']),
    run(['profiles', 'edit', '--help']),
  ]);
  assert.equal(create.code, 0, create.stderr);
  const templates = create.stdout.slice(create.stdout.indexOf('\nTemplates:\n'));
  assert.ok(templates.length > 0, create.stdout);
  for (const name of TEMPLATE_NAMES)
    assert.match(
      templates,
      new RegExp(`^  ${name} +${TEMPLATE_DESCRIPTIONS[name].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
      name,
    );
  assert.match(create.stdout, /^ {2}--file <path> /m);
  assert.doesNotMatch(create.stdout, /from-file/);
  assert.equal(edit.code, 0, edit.stderr);
  assert.match(edit.stdout, /^ {2}--file <path> /m);
});

test('profiles list: aligned table, * on the active profile, last compile error as file:line:col', async () => {
  // a broken source written behind the daemon's back: the watcher indexes it with its error
  writeFileSync(join(dir, 'profiles', 'outside.rhai'), BROKEN);
  for (let i = 0; i < 100; i++) {
    const list = await api<{ profiles: { name: string }[] }>('GET', '/api/profiles');
    if (list.profiles.some((p) => p.name === 'outside')) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const r = await keyrx('profiles', 'list');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /^ {3}NAME +MAPPINGS +LAYERS +DEVICES +SIZE +MODIFIED +STATUS$/);
  const row = (name: string): string => lines.find((l) => l.slice(3).startsWith(`${name} `))!;
  assert.match(row('default'), /^\* +default +9 +1 +1 +\d+ B +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +ok$/);
  assert.match(row('work'), /^ {3}work +7 +1 +1 /);
  assert.match(
    row('outside'),
    /^ {3}outside +- +- +- +\d+ B +\S+ \S+ +outside\.rhai:2:14 Unknown key name: 'Escap' \(\+1 more\)$/,
  );
  // aligned: every row's STATUS starts where the header's does
  const at = lines[0].indexOf('STATUS');
  for (const name of ['default', 'work', 'simple', 'empty', 'outside'])
    assert.match(row(name).slice(at), /^(ok|outside\.rhai)/, name);
  assert.match(r.stdout, /\n\n5 profiles; \* = active \(default\)\n$/);

  const json = await keyrx('profiles', 'list', '--json');
  assert.equal(json.code, 0, json.stderr);
  const data = JSON.parse(json.stdout);
  assert.deepEqual(
    data.profiles.map((p: { name: string }) => p.name),
    ['default', 'empty', 'outside', 'simple', 'work'],
  );
  assert.equal(data.total, 5);
  assert.deepEqual(data.profiles.find((p: { name: string }) => p.name === 'outside').lastCompileError, {
    message: "Unknown key name: 'Escap'",
    line: 2,
    column: 14,
    count: 2,
  });
});

test('profiles show: metadata, source and diagnostics; --source; --json; unknown profile', async () => {
  const r = await keyrx('profiles', 'show', 'simple');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^name: +simple\nactive: +no\ncontents: +1 device block, 1 mapping, 0 layers\n/);
  assert.match(r.stdout, /^compile: +ok$/m);
  assert.ok(r.stdout.endsWith(`\n\n${VALID}`), r.stdout);

  const src = await keyrx('profiles', 'show', 'simple', '--source');
  assert.equal(src.stdout, VALID);
  const json = JSON.parse((await keyrx('profiles', 'show', 'simple', '--json')).stdout);
  assert.equal(json.name, 'simple');
  assert.equal(json.source, VALID);
  assert.deepEqual(json.diagnostics, []);

  const broken = await keyrx('profiles', 'show', 'outside');
  assert.equal(broken.code, 0, broken.stderr);
  assert.match(broken.stdout, /^compile: +outside\.rhai:2:14 Unknown key name: 'Escap' \(\+1 more\)$/m);
  assert.ok(
    broken.stdout.includes(
      `\n\n${join(dir, 'profiles', 'outside.rhai')}:2:14: error: Unknown key name: 'Escap'\n 2 |     map("A", "VK_Escap");\n   |              ^^^^^^^^^^\n`,
    ),
    broken.stdout,
  );
  assert.match(broken.stdout, /\n2 errors\n$/);

  const missing = await keyrx('profiles', 'show', 'nope');
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, '');
  assert.equal(missing.stderr, "keyrx: no profile named 'nope'\n");
});

test('profiles edit --file: saves valid sources (reloading the active one), refuses invalid ones', async () => {
  const file = join(work, 'edit.rhai');
  writeFileSync(file, VALID.replace('VK_B', 'VK_C'));
  const r = await keyrx('profiles', 'edit', 'simple', '--file', file);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "saved 'simple': 1 device block, 1 mapping, 0 layers\n");
  assert.equal((await keyrx('profiles', 'show', 'simple', '--source')).stdout, VALID.replace('VK_B', 'VK_C'));

  const active = await keyrx('profiles', 'edit', 'default', '--file', file, '--json');
  assert.equal(active.code, 0, active.stderr);
  assert.equal(JSON.parse(active.stdout).reloaded, true);

  writeFileSync(file, BROKEN);
  const bad = await keyrx('profiles', 'edit', 'simple', '--file', file);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, new RegExp(`^${file}:2:14: error: Unknown key name: 'Escap'\n 2 \\|`));
  assert.match(bad.stderr, /keyrx: the profile has 2 errors; nothing was saved\n$/);
  assert.equal((await keyrx('profiles', 'show', 'simple', '--source')).stdout, VALID.replace('VK_B', 'VK_C'));

  const missing = await keyrx('profiles', 'edit', 'nope', '--file', join(work, 'edit.rhai'));
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "keyrx: no profile named 'nope'\n");
});

/** An editor: a node script run as `$EDITOR <file>` that rewrites the file with `code`. */
function editor(name: string, code: string): string {
  const path = join(work, `${name}.mjs`);
  writeFileSync(
    path,
    `import { readFileSync, writeFileSync, existsSync } from 'node:fs';\nconst file = process.argv[2];\nconst src = readFileSync(file, 'utf8');\n${code}\n`,
  );
  return `${process.execPath} ${path}`;
}

test('profiles edit: opens $VISUAL/$EDITOR on a temp copy and saves the result', async () => {
  const add = editor(
    'add',
    `writeFileSync(file, src.replace('device_end();', '    map("Q", "VK_W");\\ndevice_end();'));`,
  );
  const r = await run(['profiles', 'edit', 'work', '--config-dir', dir, '--url', url], {
    env: { EDITOR: add },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "saved 'work': 1 device block, 8 mappings, 1 layer\n");
  assert.match(
    (await keyrx('profiles', 'show', 'work', '--source')).stdout,
    /map\("Q", "VK_W"\);\ndevice_end\(\);\n$/,
  );

  // $VISUAL wins over $EDITOR; an unchanged file saves nothing
  const same = await run(['profiles', 'edit', 'work', '--config-dir', dir, '--url', url], {
    env: { VISUAL: 'true', EDITOR: add },
  });
  assert.equal(same.code, 0, same.stderr);
  assert.equal(same.stdout, "no changes to 'work'; nothing saved\n");

  const failing = await run(['profiles', 'edit', 'work', '--config-dir', dir, '--url', url], {
    env: { EDITOR: 'false' },
  });
  assert.equal(failing.code, 1);
  assert.match(failing.stderr, /^keyrx: the editor 'false' exited with status 1; nothing was saved/);
});

test('profiles edit: invalid edits print diagnostics and keep the edit (no terminal: no re-edit)', async () => {
  const breakIt = editor('break', `writeFileSync(file, src.replace('VK_W', 'VK_Escap'));`);
  const r = await run(['profiles', 'edit', 'work', '--config-dir', dir, '--url', url], {
    env: { EDITOR: breakIt },
  });
  assert.equal(r.code, 1);
  const m =
    /^(\/\S+\/work\.rhai):12:14: error: Unknown key name: 'Escap'\n 12 \| {5}map\("Q", "VK_Escap"\);\n {4}\| {14}\^{10}\n/.exec(
      r.stderr,
    );
  assert.ok(m, r.stderr);
  assert.ok(
    r.stderr.endsWith(`keyrx: the profile has 1 error; nothing was saved (your edit is in ${m[1]})\n`),
  );
  assert.match(readFileSync(m[1], 'utf8'), /VK_Escap/);
  rmSync(join(m[1], '..'), { recursive: true });
  assert.match((await keyrx('profiles', 'show', 'work', '--source')).stdout, /"VK_W"/);
});

test(
  'profiles edit on a terminal: offers to edit again after diagnostics',
  { skip: !hasScript },
  async () => {
    // first run breaks the profile, the second fixes it
    const counter = join(work, 'edits');
    const twice = editor(
      'twice',
      `const n = existsSync('${counter}') ? 1 : 0;\nwriteFileSync('${counter}', 'x');\nwriteFileSync(file, n === 0 ? src.replace('VK_W', 'VK_Escap') : src.replace('VK_Escap', 'VK_Escape'));`,
    );
    const r = await run(['profiles', 'edit', 'work', '--config-dir', dir, '--url', url], {
      env: { EDITOR: twice },
      tty: true,
      input: '\n',
    });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /work\.rhai:12:14: error: Unknown key name: 'Escap'/);
    assert.match(r.stdout, /keyrx: edit again\? \[Y\/n\]/);
    assert.match(r.stdout, /saved 'work': 1 device block, 8 mappings, 1 layer/);
    assert.match((await keyrx('profiles', 'show', 'work', '--source')).stdout, /map\("Q", "VK_Escape"\);/);
  },
);

test('profiles edit: refuses to overwrite a profile changed during the edit', async () => {
  // this "editor" edits the file and meanwhile someone else saves the profile through the API
  const racing = editor(
    'racing',
    `writeFileSync(file, src + '// mine\\n');\nawait fetch('${url}/api/profiles/empty', { method: 'PUT', headers: { authorization: 'Bearer ${token}', 'content-type': 'application/json' }, body: JSON.stringify({ source: src + '// theirs\\n' }) });`,
  );
  const r = await run(['profiles', 'edit', 'empty', '--config-dir', dir, '--url', url], {
    env: { EDITOR: racing },
  });
  assert.equal(r.code, 1);
  const m =
    /^keyrx: 'empty' was changed by someone else while you were editing; nothing was saved \(your edit is in (\S+empty\.rhai)\)\n$/.exec(
      r.stderr,
    );
  assert.ok(m, r.stderr);
  assert.ok(m[1].startsWith(cliTmp));
  assert.match(readFileSync(m[1], 'utf8'), /\/\/ mine\n$/);
  assert.match((await keyrx('profiles', 'show', 'empty', '--source')).stdout, /\/\/ theirs\n$/);
});

test('profiles activate: compile time and cache use', async () => {
  const r = await keyrx('profiles', 'activate', 'work');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^activated 'work' in \d+(\.\d+)? ms \(from the \.krx cache\)\n$/);
  assert.equal(JSON.parse((await keyrx('status', '--json')).stdout).activeProfile, 'work');

  unlinkSync(join(dir, 'cache', 'simple.krx'));
  const cold = await keyrx('profiles', 'activate', 'simple', '--json');
  assert.equal(cold.code, 0, cold.stderr);
  const a = JSON.parse(cold.stdout);
  assert.equal(a.profile, 'simple');
  assert.equal(a.cached, false);
  assert.equal(typeof a.compileMs, 'number');
  assert.ok(existsSync(join(dir, 'cache', 'simple.krx')));
  unlinkSync(join(dir, 'cache', 'simple.krx'));
  assert.match((await keyrx('profiles', 'activate', 'simple')).stdout, /\(compiled; cache written\)\n$/);

  const broken = await keyrx('profiles', 'activate', 'outside');
  assert.equal(broken.code, 1);
  // the daemon's file, with the line and a caret
  assert.ok(
    broken.stderr.startsWith(
      `${join(dir, 'profiles', 'outside.rhai')}:2:14: error: Unknown key name: 'Escap'\n 2 |     map("A", "VK_Escap");\n   |              ^^^^^^^^^^\n`,
    ),
    broken.stderr,
  );
  assert.match(broken.stderr, /keyrx: profile 'outside' has errors: Unknown key name: 'Escap'\n$/);

  const missing = await keyrx('profiles', 'activate', 'nope');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "keyrx: no profile named 'nope'\n");
  await keyrx('profiles', 'activate', 'work');
});

test('profiles duplicate and rename (the active profile stays active)', async () => {
  const dup = await keyrx('profiles', 'duplicate', 'work', 'work-copy');
  assert.equal(dup.code, 0, dup.stderr);
  assert.equal(dup.stdout, "duplicated 'work' as 'work-copy': 1 device block, 8 mappings, 1 layer\n");
  const exists = await keyrx('profiles', 'duplicate', 'work', 'simple');
  assert.equal(exists.code, 1);
  assert.equal(exists.stderr, "keyrx: a profile named 'simple' already exists\n");
  const missing = await keyrx('profiles', 'duplicate', 'nope', 'x');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "keyrx: no profile named 'nope'\n");

  const ren = await keyrx('profiles', 'rename', 'work', 'main');
  assert.equal(ren.code, 0, ren.stderr);
  assert.equal(ren.stdout, "renamed 'work' to 'main' (still the active profile)\n");
  assert.equal(JSON.parse((await keyrx('status', '--json')).stdout).activeProfile, 'main');
  const plain = await keyrx('profiles', 'rename', 'work-copy', 'spare', '--json');
  assert.equal(JSON.parse(plain.stdout).name, 'spare');
  const taken = await keyrx('profiles', 'rename', 'spare', 'main');
  assert.equal(taken.code, 1);
  assert.equal(taken.stderr, "keyrx: a profile named 'main' already exists\n");
  assert.equal((await keyrx('profiles', 'rename', 'spare')).code, 2);
});

test('profiles delete: --yes and --force; the active profile needs --force', async () => {
  const r = await keyrx('profiles', 'delete', 'spare');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "deleted 'spare'\n");
  const active = await keyrx('profiles', 'delete', 'main', '--yes');
  assert.equal(active.code, 1);
  assert.equal(
    active.stderr,
    "keyrx: 'main' is the active profile; activate another one first, or use --force (keys then pass through unchanged)\n",
  );
  await keyrx('profiles', 'duplicate', 'main', 'doomed');
  await keyrx('profiles', 'activate', 'doomed');
  const forced = await keyrx('profiles', 'delete', 'doomed', '--force', '--yes', '--json');
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(JSON.parse(forced.stdout), { deleted: 'doomed', wasActive: true });
  assert.equal(JSON.parse((await keyrx('status', '--json')).stdout).activeProfile, null);
  const missing = await keyrx('profiles', 'delete', 'nope', '--yes');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "keyrx: no profile named 'nope'\n");
  await keyrx('profiles', 'activate', 'main');
});

test('profiles delete on a terminal asks first', { skip: !hasScript }, async () => {
  const args = ['profiles', 'delete', 'empty', '--config-dir', dir, '--url', url];
  const no = await run(args, { tty: true, input: 'n\n' });
  assert.equal(no.code, 1);
  assert.match(no.stdout, /Delete profile 'empty'\? \[y\/N\]/);
  assert.match(no.stdout, /keyrx: not deleted/);
  assert.equal((await keyrx('profiles', 'show', 'empty')).code, 0);
  const yes = await run(args, { tty: true, input: 'y\n' });
  assert.equal(yes.code, 0, yes.stdout);
  assert.match(yes.stdout, /deleted 'empty'/);
  assert.equal((await keyrx('profiles', 'show', 'empty')).code, 1);
});

test('devices list', async () => {
  // the virtual backend's device appears once something was typed on it
  await api('POST', '/api/inject?instant=true', { events: 'd:A u:A' });
  const r = await keyrx('devices', 'list');
  assert.equal(r.code, 0, r.stderr);
  const [header, row] = r.stdout.trimEnd().split('\n');
  assert.match(header, /^ID +NAME +ENABLED +CONNECTED +GRABBED +LAYOUT +PROFILE BLOCK$/);
  assert.match(row, /^virtual +virtual +yes +yes +yes +- +1: "\*"$/);
  assert.equal(header.indexOf('PROFILE BLOCK'), row.indexOf('1: "*"'));
  const json = JSON.parse((await keyrx('devices', 'list', '--json')).stdout);
  assert.equal(json.devices[0].id, 'virtual');
});

test('login-url prints a one-time URL that logs in', async () => {
  const r = await keyrx('login-url');
  assert.equal(r.code, 0, r.stderr);
  const link = r.stdout.trim();
  assert.match(link, new RegExp(`^${url}/login\\?code=[\\w-]+$`));
  const res = await fetch(link, { redirect: 'manual' });
  assert.equal(res.status, 302);
  assert.match(res.headers.get('set-cookie') ?? '', new RegExp(`^keyrx_session_${new URL(url).port}=`));
  assert.equal((await fetch(link, { redirect: 'manual' })).status, 401);
  const json = JSON.parse((await keyrx('login-url', '--json')).stdout);
  assert.equal(json.expiresInSec, 600);
});

test('suspend, resume, suspend --toggle: the daemon passes keys through while suspended; status says so', async () => {
  const suspended = await keyrx('suspend');
  assert.equal(suspended.code, 0, suspended.stderr);
  assert.equal(
    suspended.stdout,
    'suspended: every key passes through untouched (keyrx resume to remap again)\n',
  );
  assert.match(
    (await keyrx('status')).stdout,
    /^remapping: +suspended: every key passes through \(keyrx resume\)$/m,
  );
  assert.equal(JSON.parse((await keyrx('status', '--json')).stdout).suspended, true);
  // the daemon itself says so
  const state = await fetch(`${url}/api/suspend`, { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual(await state.json(), { suspended: true });

  const toggled = await keyrx('suspend', '--toggle', '--json');
  assert.equal(toggled.code, 0, toggled.stderr);
  assert.deepEqual(JSON.parse(toggled.stdout), { suspended: false });
  assert.match((await keyrx('status')).stdout, /^remapping: +on$/m);
  assert.equal(
    (await keyrx('suspend', '--toggle')).stdout,
    'suspended: every key passes through untouched (keyrx resume to remap again)\n',
  );
  const resumed = await keyrx('resume');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(resumed.stdout, 'remapping again\n');
  assert.equal(JSON.parse((await keyrx('status', '--json')).stdout).suspended, false);
});

test('context get, set and clear; the daemon uses what was set; usage errors', async () => {
  const empty = await keyrx('context', 'get');
  assert.equal(empty.code, 0, empty.stderr);
  assert.equal(
    empty.stdout,
    'app:       -\ntitle:     -\nime:       off\nlanguage:  -\nupdated:   never (since the daemon started)\n',
  );

  const set = await keyrx('context', 'set', '--app', 'Firefox', '--title', 'Inbox — Mail', '--ime', 'on');
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout, 'context set: app Firefox, title "Inbox — Mail", ime on, language -\n');
  const got = await keyrx('context', 'get');
  assert.match(
    got.stdout,
    /^app: +Firefox\ntitle: +"Inbox — Mail"\nime: +on\nlanguage: +-\nupdated: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/,
  );
  const json = JSON.parse((await keyrx('context', 'get', '--json')).stdout);
  assert.deepEqual(
    { ...json, updatedAt: typeof json.updatedAt },
    {
      app: 'Firefox',
      title: 'Inbox — Mail',
      ime: true,
      language: '',
      updatedAt: 'string',
    },
  );
  // only the given fields change; "" clears one
  const lang = await keyrx('context', 'set', '--language', 'ja', '--title', '', '--json');
  assert.equal(lang.code, 0, lang.stderr);
  assert.deepEqual(
    (({ app, title, ime, language }) => ({ app, title, ime, language }))(JSON.parse(lang.stdout)),
    { app: 'Firefox', title: '', ime: true, language: 'ja' },
  );

  // the live engine matches APP: against it
  await api('POST', '/api/profiles', {
    name: 'ctx',
    source:
      'device_start("*");\n  when_start("APP:firefox");\n    map("A", "VK_B");\n  when_end();\ndevice_end();\n',
  });
  await api('POST', '/api/profiles/ctx/activate');
  await api('POST', '/api/inject?instant=true', { events: 'd:A u:A' });
  assert.equal((await api<{ script: string }>('GET', '/api/output?limit=2')).script, 'd:B u:B');

  const cleared = await keyrx('context', 'clear');
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.equal(cleared.stdout, 'context cleared: app -, title -, ime off, language -\n');
  await api('POST', '/api/inject?instant=true', { events: 'd:A u:A' });
  assert.equal((await api<{ script: string }>('GET', '/api/output?limit=2')).script, 'd:A u:A');

  const [none, badIme, control, tooLong] = await Promise.all([
    keyrx('context', 'set'),
    keyrx('context', 'set', '--ime', 'maybe'),
    keyrx('context', 'set', '--title', 'a\tb'),
    keyrx('context', 'set', '--app', 'x'.repeat(1025)),
  ]);
  assert.equal(none.code, 2);
  assert.equal(none.stderr, 'keyrx: context set: give at least one of --app, --title, --ime, --language\n');
  assert.equal(badIme.code, 2);
  assert.equal(badIme.stderr, "keyrx: --ime: expected on or off, not 'maybe'\n");
  assert.equal(control.code, 2);
  assert.equal(control.stderr, 'keyrx: --title: control characters are not allowed\n');
  assert.equal(tooLong.code, 2);
  assert.equal(tooLong.stderr, 'keyrx: --app: at most 1024 characters\n');
  assert.equal((await api<{ app: string }>('GET', '/api/context')).app, '', 'refused sets changed nothing');
  await api('POST', '/api/profiles/default/activate');
});

test('the daemon is not running: a clear message with the command that starts it', async () => {
  const port = await freePort();
  const down = `http://127.0.0.1:${port}`;
  const r = await run(['status', '--url', down, '--config-dir', dir]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `keyrx: cannot reach the keyrx daemon at ${down}: is it running? start it with: keyrx daemon --config-dir ${dir} --port ${port}\n`,
  );
  const byPort = await run(['profiles', 'list'], {
    env: { KEYRX_PORT: String(port), KEYRX_CONFIG_DIR: dir },
  });
  assert.equal(byPort.code, 1);
  assert.match(
    byPort.stderr,
    new RegExp(
      `^keyrx: cannot reach the keyrx daemon at ${down}: is it running\\? start it with: keyrx daemon --port ${port}\\n$`,
    ),
  );
});

test('missing or wrong token, bad URL, usage errors', async () => {
  const empty = join(work, 'no-token');
  const other = join(work, 'other');
  mkdirSync(other, { recursive: true });
  writeFileSync(join(other, 'token'), `${'0'.repeat(64)}\n`);
  const [noToken, wrong, badUrl, ftp, unknown, noArg, noSub] = await Promise.all([
    run(['status', '--url', url, '--config-dir', empty]),
    run(['profiles', 'list', '--url', url, '--config-dir', other]),
    run(['status', '--url', 'not a url', '--config-dir', dir]),
    run(['status', '--config-dir', dir], { env: { KEYRX_URL: 'ftp://127.0.0.1' } }),
    keyrx('profiles', 'frobnicate'),
    keyrx('profiles', 'show'),
    keyrx('devices'),
  ]);
  assert.equal(noToken.code, 1);
  assert.equal(
    noToken.stderr,
    `keyrx: no API token: ${join(empty, 'token')} does not exist (pass the daemon's --config-dir, or KEYRX_CONFIG_DIR)\n`,
  );
  assert.equal(wrong.code, 1);
  assert.equal(
    wrong.stderr,
    `keyrx: the server at ${url} could not prove it knows the API token in ${join(other, 'token')} (HTTP 200), so the token was not sent: it is a keyrx daemon of another config directory (pass its --config-dir, or KEYRX_CONFIG_DIR), or another program is using the port (check with: ss -ltnp 'sport = :${new URL(url).port}')\n`,
  );
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /^keyrx: --url: 'not a url' is not a URL/);
  assert.equal(ftp.code, 2);
  assert.match(ftp.stderr, /^keyrx: KEYRX_URL: 'ftp:\/\/127\.0\.0\.1' is not an http:\/\/ or https:\/\/ URL/);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  assert.equal(noArg.code, 2);
  assert.match(noArg.stderr, /missing required argument 'name'/);
  assert.equal(noSub.code, 2);
});

test('config set-key, set-tap-hold, get-key, delete-key: one key changed, the rest of the source kept', async () => {
  const source =
    '// cli config test\ndevice_start("*");\n  map("A", "VK_B"); // kept comment\ndevice_end();\n';
  await api('POST', '/api/profiles', { name: 'cfg', source });
  let r = await keyrx('config', 'set-key', 'cfg', 'A', 'VK_C');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "saved 'cfg': A → C");
  r = await keyrx('config', 'set-tap-hold', 'cfg', 'CapsLock', 'VK_Escape', 'MD_01', '--threshold', '180');
  assert.equal(r.stdout.trim(), "saved 'cfg': CapsLock → tap Escape, hold MD_01 (180 ms)");
  r = await keyrx('config', 'set-key', 'cfg', 'H', 'VK_Left', '--layer', 'MD_01');
  assert.equal(r.code, 0, r.stderr);
  const stored = (await api<{ source: string }>('GET', '/api/profiles/cfg')).source;
  assert.equal(
    stored,
    '// cli config test\ndevice_start("*");\n  map("A", "VK_C"); // kept comment\n' +
      '  tap_hold("CapsLock", "VK_Escape", "MD_01", 180);\n  when_start("MD_01");\n    map("H", "VK_Left");\n  when_end();\ndevice_end();\n',
  );
  r = await keyrx('config', 'get-key', 'cfg', 'H', '--layer', 'MD_01');
  assert.equal(r.stdout.trim(), 'H: H → Left');
  r = await keyrx('config', 'get-key', 'cfg', 'Z');
  assert.equal(r.stdout.trim(), 'Z: not mapped (passes through)');
  r = await keyrx('config', 'delete-key', 'cfg', 'A');
  assert.equal(r.stdout.trim(), "saved 'cfg': A removed");
  // mistakes: the DSL's own message, exit 2; refusals from the daemon, exit 1; nothing saved
  const before = (await api<{ source: string }>('GET', '/api/profiles/cfg')).source;
  r = await keyrx('config', 'set-key', 'cfg', 'A', 'VK_Escap');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Escap/);
  r = await keyrx('config', 'set-key', 'cfg', 'A', 'Escape');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /missing required prefix|VK_Escape/);
  r = await keyrx('config', 'delete-key', 'cfg', 'Q');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Q has no mapping there to remove/);
  r = await keyrx('config', 'set-key', 'cfg', 'A', 'VK_C', '--layer', 'XX');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /layer must be MD_00/);
  assert.equal((await api<{ source: string }>('GET', '/api/profiles/cfg')).source, before);
});
