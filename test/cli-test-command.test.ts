/** `keyrx test`: scenario files through the engine, as a real process. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT, runCli } from './support/daemon-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'keyrx-test-command-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const keyrx = (...args: string[]) => runCli(args, { env: { NO_COLOR: '1' } });

const PROFILE = 'device_start("*");\n  map("A", "VK_B");\ndevice_end();\n';

test("KeyRx's built-in scenarios, as an example file, pass", async () => {
  const r = await keyrx('test', join(ROOT, 'examples/scenarios'));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  for (const name of [
    'tap-hold-under-threshold',
    'tap-hold-over-threshold',
    'permissive-hold',
    'cross-device-modifiers',
    'macro-sequence',
  ])
    assert.match(r.stdout, new RegExp(`^ {2}ok {3}${name}$`, 'm'));
  assert.match(r.stdout, /^5 cases passed, 0 failed$/m);
});

test('a failing case: FAIL with file:line and expected/actual, exit 1; --scenario picks cases; --json', async () => {
  const file = join(dir, 'remap.txt');
  writeFileSync(
    file,
    `== profile\n${PROFILE}\n== case: A is B\nin: d:A u:A\nout: d:B u:B\n\n== case: wrong on purpose\nin: d:A u:A\nout: d:C u:C\n`,
  );
  let r = await keyrx('test', file);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^ {2}ok {3}A is B$/m);
  assert.match(
    r.stdout,
    new RegExp(`^ {2}FAIL wrong on purpose \\(${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:10\\)$`, 'm'),
  );
  assert.match(r.stdout, /expected: d:C u:C\n\s+actual: {3}d:B u:B/);
  assert.match(r.stdout, /^1 case passed, 1 failed$/m);
  r = await keyrx('test', file, '--scenario', 'a is');
  assert.equal(r.code, 0, r.stdout);
  r = await keyrx('test', file, '--json');
  const json = JSON.parse(r.stdout);
  assert.deepEqual([json.passed, json.failed], [1, 1]);
  assert.equal(json.files[0].cases[1].line, 10);
});

test('--profile runs the cases against a profile of the config directory; broken profiles are named at file:line:col', async () => {
  const config = join(dir, 'config');
  mkdirSync(join(config, 'profiles'), { recursive: true });
  writeFileSync(
    join(config, 'profiles', 'work.rhai'),
    'device_start("*");\n  map("A", "VK_C");\ndevice_end();\n',
  );
  const file = join(dir, 'cases.txt');
  writeFileSync(file, `== profile\n${PROFILE}\n== case: A\nin: d:A u:A\nout: d:C u:C\n`);
  let r = await keyrx('test', file, '--profile', 'work', '--config-dir', config);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\(profile: work\)/);
  // a profile section with a mistake: its line in the scenario file
  const broken = join(dir, 'broken.txt');
  writeFileSync(
    broken,
    `# broken\n== profile\ndevice_start("*");\n  map("A", VK_B);\ndevice_end();\n== case: A\nin: d:A u:A\nout: d:B u:B\n`,
  );
  r = await keyrx('test', broken);
  assert.equal(r.code, 1);
  assert.match(r.stdout, new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: `));
  assert.match(r.stdout, /1 profile did not compile/);
  // a malformed file is a usage error at its line
  writeFileSync(join(dir, 'bad.txt'), 'hello\n');
  r = await keyrx('test', join(dir, 'bad.txt'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.txt:1: expected "== config"/);
  // no paths: <config dir>/tests
  r = await keyrx('test', '--config-dir', config);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no scenario files given, and .*tests does not exist/);
  mkdirSync(join(config, 'tests'));
  writeFileSync(
    join(config, 'tests', 'work.txt'),
    '== profile-file: ../profiles/work.rhai\n== case: A\nin: d:A u:A\nout: d:C u:C\n',
  );
  r = await keyrx('test', '--config-dir', config);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});
