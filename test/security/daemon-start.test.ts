/**
 * Issue #15, findings 7 and 9, with real daemon processes:
 *
 * 7. A config dir (or anything in it) that others can write is tightened on start (go-w), and one
 *    owned by another user is refused with the exact command that fixes it.
 * 9. One daemon per config dir: a second one exits with a clear message before it changes
 *    anything; a daemon that cannot bind its port has not created or activated any profile; a
 *    killed daemon's lock is gone with it.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import type { CliRun } from '../support/daemon-process.ts';
import { daemonArgs, runCli, spawnDaemon } from '../support/daemon-process.ts';
import { tempDir } from './support.ts';

const isRoot = process.getuid?.() === 0;

/** A daemon expected to refuse to start (one that starts anyway is killed after a minute). */
function runDaemonToExit(dir: string, port = 0): Promise<CliRun> {
  return runCli(daemonArgs(dir, port));
}

/** Every entry under `dir` with its content and mode (what "changed nothing" compares). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = lstatSync(p);
      out.set(
        relative(dir, p),
        s.isDirectory()
          ? `dir ${s.mode.toString(8)}`
          : `${s.mode.toString(8)} ${s.size} ${s.mtimeMs} ${readFileSync(p, 'utf8')}`,
      );
      if (s.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

test('7. group- and world-writable modes in the config dir are tightened on start', async () => {
  const dir = tempDir('modes');
  mkdirSync(join(dir, 'profiles', 'lib'), { recursive: true });
  writeFileSync(join(dir, 'profiles', 'mine.rhai'), 'device_start("*"); map("A", "VK_B"); device_end();\n');
  writeFileSync(join(dir, 'profiles', 'lib', 'x.rhai'), 'map("C", "VK_D");\n');
  writeFileSync(join(dir, 'settings.json'), '{}\n');
  chmodSync(dir, 0o777);
  chmodSync(join(dir, 'profiles'), 0o777);
  chmodSync(join(dir, 'profiles', 'lib'), 0o775);
  chmodSync(join(dir, 'profiles', 'mine.rhai'), 0o666);
  chmodSync(join(dir, 'profiles', 'lib', 'x.rhai'), 0o664);
  chmodSync(join(dir, 'settings.json'), 0o646);
  const d = await spawnDaemon({ dir });
  try {
    assert.equal(mode(dir), '755');
    assert.equal(mode(join(dir, 'profiles')), '755');
    assert.equal(mode(join(dir, 'profiles', 'lib')), '755');
    assert.equal(mode(join(dir, 'profiles', 'mine.rhai')), '644');
    assert.equal(mode(join(dir, 'profiles', 'lib', 'x.rhai')), '644');
    assert.equal(mode(join(dir, 'settings.json')), '644');
    assert.equal(mode(join(dir, 'token')), '600');
    assert.match(d.stderr(), /writable by others: mode tightened/);
    // nothing else changed: the profile is still there and usable
    assert.equal((await d.api('GET', '/api/profiles/mine')).status, 200);
  } finally {
    await d.stop();
  }
});

test('7. a new config dir is private (0700)', async () => {
  const dir = join(tempDir('fresh'), 'keyrx');
  const d = await spawnDaemon({ dir });
  try {
    assert.equal(mode(dir), '700');
    assert.equal(mode(join(dir, 'token')), '600');
  } finally {
    await d.stop();
  }
});

test(
  '7. a config dir with a file owned by another user is refused with the fix, before anything is written',
  { skip: !isRoot && 'needs root to give a file away' },
  async () => {
    const dir = tempDir('owner');
    mkdirSync(join(dir, 'profiles'));
    writeFileSync(
      join(dir, 'profiles', 'theirs.rhai'),
      'device_start("*"); map("A", "VK_B"); device_end();\n',
    );
    chownSync(join(dir, 'profiles', 'theirs.rhai'), 65534, 65534);
    const before = snapshot(dir);
    const r = await runDaemonToExit(dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /theirs\.rhai belongs to user 65534, not to the user running keyrx \(0\)/);
    assert.match(r.stderr, new RegExp(`sudo chown -R 0 '${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`));
    assert.ok(!r.stdout.includes('listening'));
    assert.deepEqual(snapshot(dir), before, 'nothing in the config dir changed');
  },
);

test('9. a second daemon on the same config dir exits with a clear message and changes nothing', async () => {
  const dir = tempDir('lock');
  const first = await spawnDaemon({ dir });
  try {
    await first.api('POST', '/api/profiles', { name: 'extra', template: 'blank' });
    const before = snapshot(dir);
    const second = await runDaemonToExit(dir);
    assert.equal(second.code, 1, second.stdout + second.stderr);
    assert.match(
      second.stderr,
      new RegExp(
        `another keyrx daemon \\(pid ${first.child.pid}\\) is already using ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
      ),
    );
    assert.ok(!second.stdout.includes('listening'));
    assert.deepEqual(snapshot(dir), before, 'the second daemon changed nothing');
    // the first one is untouched and still serves
    assert.equal((await first.api('GET', '/api/status')).json.activeProfile, 'default');
  } finally {
    await first.stop();
  }
  // once it is gone, the next one starts
  const third = await spawnDaemon({ dir });
  await third.stop();
});

test('9. a SIGKILLed daemon leaves no lock behind', async () => {
  const dir = tempDir('killed');
  const first = await spawnDaemon({ dir });
  first.child.kill('SIGKILL');
  await first.exited;
  const second = await spawnDaemon({ dir });
  try {
    assert.equal((await second.api('GET', '/api/status')).json.activeProfile, 'default');
  } finally {
    await second.stop();
  }
});

test('9. a daemon that cannot bind its port creates and activates nothing; the next start is still the first', async () => {
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as { port: number }).port;
  const dir = join(tempDir('port'), 'keyrx');
  try {
    const r = await runDaemonToExit(dir, port);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
    assert.ok(!existsSync(join(dir, 'profiles', 'default.rhai')), 'no default profile was created');
    assert.ok(!existsSync(join(dir, 'state.json')), 'nothing was activated');
  } finally {
    busy.close();
  }
  const d = await spawnDaemon({ dir });
  try {
    assert.equal((await d.api('GET', '/api/status')).json.activeProfile, 'default');
  } finally {
    await d.stop();
  }
});
