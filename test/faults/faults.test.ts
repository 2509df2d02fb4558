/**
 * Faults (issue #9 §5), against the real daemon process: a full and a read-only config dir (a real
 * tiny tmpfs: root ignores file permissions, so nothing else would really fail), the config dir
 * deleted while the daemon runs, and profile files edited on disk by another program.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import type { DaemonEntry, Instance, Reply } from '../crash/harness.ts';
import { abortAll, call, prepareEntry, startInstance } from '../crash/harness.ts';
import { HANG_MS } from '../support/wait.ts';

const TIMEOUT = { timeout: 120_000 };

// the daemon compiled once (about 1 s a start instead of 3–6 s through tsx on a busy machine)
let entry: DaemonEntry;
before(async () => {
  entry = await prepareEntry();
});
after(async () => {
  abortAll();
  await entry?.dispose();
});

interface DaemonProcess extends Instance {
  api(method: string, path: string, body?: unknown): Promise<Reply>;
}

async function startDaemon(dir: string): Promise<DaemonProcess> {
  const inst = await startInstance(dir, entry);
  assert.ok(inst);
  return { ...inst, api: (method, path, body) => call(inst, method, path, body) };
}

async function crash(d: DaemonProcess): Promise<void> {
  d.child.kill('SIGKILL');
  await d.exited;
  d.agent.destroy();
}

const source = (key: string, extra = ''): string =>
  `device_start("*");\n    map("A", "VK_${key}");\n${extra}device_end();\n`;

/** What the active profile makes of a tap on A, typed through the virtual backend. */
async function typeA(d: DaemonProcess): Promise<string> {
  const injected = await d.api('POST', '/api/inject?instant=true', { events: 'd:A u:A' });
  assert.equal(injected.status, 200);
  return (await d.api('GET', '/api/output?limit=2')).json.script;
}

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = HANG_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tempFiles(dir: string): string[] {
  return ['', 'profiles', 'cache'].flatMap((sub) =>
    (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)) : [])
      .filter((n) => n.startsWith('.keyrx-tmp-'))
      .map((n) => join(sub, n)),
  );
}

/** Everything a failed write must leave alone. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of ['state.json', 'settings.json']) out[f] = readFileSync(join(dir, f), 'utf8');
  for (const f of readdirSync(join(dir, 'profiles')))
    out[`profiles/${f}`] = readFileSync(join(dir, 'profiles', f), 'utf8');
  return out;
}

/**
 * A tiny tmpfs to hold a config dir, or the reason there is none (then the test is skipped: a
 * fault that is not really there proves nothing).
 */
function mountTmpfs(t: TestContext, prefix: string): string | null {
  if (process.getuid?.() !== 0) {
    t.skip(
      'needs root to mount a small tmpfs (file permissions do not stop root, so only a real filesystem can fail)',
    );
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return dir;
  } catch (e) {
    rmdirSync(dir);
    t.skip(
      `mounting a tmpfs is not permitted here: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`,
    );
    return null;
  }
}

function unmount(dir: string): void {
  execFileSync('umount', [dir], { stdio: 'pipe' });
  rmdirSync(dir);
}

/** Fills the filesystem holding `dir` with one dummy file; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 16, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x78);
      try {
        while (true) writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

/** A config dir with two profiles ('work' active, 'other') and a changed setting. */
async function setUp(d: DaemonProcess): Promise<void> {
  assert.equal((await d.api('POST', '/api/profiles', { name: 'work', source: source('B') })).status, 201);
  assert.equal((await d.api('POST', '/api/profiles', { name: 'other', source: source('C') })).status, 201);
  assert.equal((await d.api('POST', '/api/profiles/work/activate')).status, 200);
  assert.equal((await d.api('PATCH', '/api/settings', { defaultTapHoldMs: 321 })).status, 200);
  assert.equal(await typeA(d), 'd:B u:B');
}

/**
 * Every mutation on a config dir that cannot be written: the error envelope with `code` and
 * `status`, nothing changed on disk, in memory or in the engine, no temp file left.
 */
async function assertNothingChanges(
  d: DaemonProcess,
  dir: string,
  code: string,
  status: number,
  why: RegExp,
) {
  const before = snapshot(dir);
  const attempts: [string, string, unknown?][] = [
    ['PUT', '/api/profiles/work', { source: source('D') }],
    ['POST', '/api/profiles', { name: 'fresh', source: source('E') }],
    ['POST', '/api/profiles', { name: 'fresh', template: 'blank' }],
    ['PATCH', '/api/settings', { defaultTapHoldMs: 999 }],
    ['POST', '/api/profiles/other/activate'],
    ['POST', '/api/profiles/other/duplicate', { name: 'copy' }],
    // the active profile's name is in state.json too: nothing may be renamed if that cannot be saved
    ['POST', '/api/profiles/work/rename', { name: 'renamed' }],
    ['DELETE', '/api/profiles/work?force=true'],
  ];
  for (const [method, path, body] of attempts) {
    const res = await d.api(method, path, body);
    const what = `${method} ${path}`;
    assert.equal(res.status, status, `${what}: ${JSON.stringify(res.json)}`);
    assert.equal(res.json.error?.code, code, what);
    assert.match(res.json.error.message, why, what);
    assert.match(res.json.error.message, /nothing was changed/, what);
  }
  assert.deepEqual(snapshot(dir), before, 'the files are unchanged');
  assert.deepEqual(tempFiles(dir), []);
  const status200 = await d.api('GET', '/api/status');
  assert.equal(status200.status, 200);
  assert.equal(status200.json.activeProfile, 'work', 'the previous profile is still active');
  assert.equal(await typeA(d), 'd:B u:B', 'and still applies');
  assert.equal((await d.api('GET', '/api/settings')).json.defaultTapHoldMs, 321);
  assert.equal((await d.api('GET', '/api/profiles/work')).json.source, source('B'));
  assert.deepEqual(
    (await d.api('GET', '/api/profiles')).json.profiles.map((p: { name: string }) => p.name),
    ['default', 'other', 'work'],
  );
  return before;
}

test(
  'a full config dir: saves and activation fail with 507 STORAGE_FULL, nothing changes, and a restart finds the previous state',
  TIMEOUT,
  async (t) => {
    const dir = mountTmpfs(t, 'keyrx-full-');
    if (!dir) return;
    let d: DaemonProcess | undefined;
    try {
      d = await startDaemon(dir);
      await setUp(d);
      const filler = fill(dir);
      const before = await assertNothingChanges(d, dir, 'STORAGE_FULL', 507, /disk is full/);

      // a crash while the disk is full, and a start on it: the acknowledged state is all there
      await crash(d);
      d = await startDaemon(dir);
      assert.equal((await d.api('GET', '/api/status')).json.activeProfile, 'work');
      assert.equal(await typeA(d), 'd:B u:B');
      assert.equal((await d.api('GET', '/api/settings')).json.defaultTapHoldMs, 321);
      assert.deepEqual(snapshot(dir), before);

      // space again: saving works again
      unlinkSync(filler);
      assert.equal((await d.api('PUT', '/api/profiles/work', { source: source('D') })).status, 200);
      assert.equal(await typeA(d), 'd:D u:D');
    } finally {
      if (d) await crash(d);
      unmount(dir);
    }
  },
);

test(
  'a read-only config dir: saves and activation fail with 500 STORAGE_ERROR "read-only", nothing changes, and the daemon starts on it',
  TIMEOUT,
  async (t) => {
    const dir = mountTmpfs(t, 'keyrx-ro-');
    if (!dir) return;
    let d: DaemonProcess | undefined;
    try {
      d = await startDaemon(dir);
      await setUp(d);
      execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
      const before = await assertNothingChanges(d, dir, 'STORAGE_ERROR', 500, /read-only/);
      // deleting an inactive profile needs the directory written too
      const del = await d.api('DELETE', '/api/profiles/other');
      assert.equal(del.status, 500);
      assert.equal(del.json.error.code, 'STORAGE_ERROR');
      assert.ok(existsSync(join(dir, 'profiles', 'other.rhai')));

      await crash(d);
      d = await startDaemon(dir);
      assert.equal((await d.api('GET', '/api/status')).json.activeProfile, 'work');
      assert.equal(await typeA(d), 'd:B u:B');
      assert.equal((await d.api('GET', '/api/settings')).json.defaultTapHoldMs, 321);
      assert.deepEqual(snapshot(dir), before);

      execFileSync('mount', ['-o', 'remount,rw', dir], { stdio: 'pipe' });
      assert.equal((await d.api('POST', '/api/profiles/other/activate')).status, 200);
      assert.equal(await typeA(d), 'd:C u:C');
    } finally {
      if (d) await crash(d);
      unmount(dir);
    }
  },
);

test(
  'the config dir deleted while the daemon runs: it keeps serving and recreates what it writes',
  TIMEOUT,
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyrx-deleted-'));
    let d: DaemonProcess | undefined;
    try {
      d = await startDaemon(dir);
      assert.equal((await d.api('POST', '/api/profiles', { name: 'keep', source: source('B') })).status, 201);

      // the profiles directory: the listing follows the disk, a new profile recreates it
      rmSync(join(dir, 'profiles'), { recursive: true });
      await until(
        'the listing to follow the disk',
        async () => (await d!.api('GET', '/api/profiles')).json.total === 0,
      );
      assert.equal((await d.api('GET', '/api/profiles/keep')).status, 404);
      const created = await d.api('POST', '/api/profiles', { name: 'fresh', source: source('C') });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      assert.equal(readFileSync(join(dir, 'profiles', 'fresh.rhai'), 'utf8'), source('C'));
      assert.equal((await d.api('POST', '/api/profiles/fresh/activate')).status, 200);
      assert.equal(await typeA(d), 'd:C u:C');

      // the whole config directory
      rmSync(dir, { recursive: true });
      assert.equal((await d.api('GET', '/api/status')).status, 200);
      const patched = await d.api('PATCH', '/api/settings', { defaultTapHoldMs: 222 });
      assert.equal(patched.status, 200, JSON.stringify(patched.json));
      const again = await d.api('POST', '/api/profiles', { name: 'again', source: source('D') });
      assert.equal(again.status, 201, JSON.stringify(again.json));
      assert.equal((await d.api('POST', '/api/profiles/again/activate')).status, 200);
      assert.equal(await typeA(d), 'd:D u:D');
      assert.equal(statSync(dir).mode & 0o777, 0o700, 'recreated private');
      assert.equal(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).activeProfile, 'again');
      assert.equal(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')).defaultTapHoldMs, 222);

      // what it wrote is what a restart finds
      await crash(d);
      d = await startDaemon(dir);
      assert.equal((await d.api('GET', '/api/status')).json.activeProfile, 'again');
      assert.equal(await typeA(d), 'd:D u:D');
      assert.equal((await d.api('GET', '/api/settings')).json.defaultTapHoldMs, 222);
    } finally {
      if (d) await crash(d);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'a profile edited on disk by another program is picked up (SIGHUP for the active one) and never overwritten from memory',
  TIMEOUT,
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyrx-edited-'));
    const file = (name: string): string => join(dir, 'profiles', `${name}.rhai`);
    let d: DaemonProcess | undefined;
    try {
      d = await startDaemon(dir);
      assert.equal((await d.api('POST', '/api/profiles', { name: 'ext', source: source('B') })).status, 201);
      assert.equal((await d.api('POST', '/api/profiles/ext/activate')).status, 200);
      assert.equal(await typeA(d), 'd:B u:B');
      const mappings = async (name: string): Promise<number | null> =>
        (await d!.api('GET', '/api/profiles')).json.profiles.find((p: { name: string }) => p.name === name)
          ?.mappings ?? null;

      // edited in place, as an editor without atomic saves would
      const v2 = source('C', '    map("Q", "VK_W");\n');
      writeFileSync(file('ext'), v2);
      assert.equal((await d.api('GET', '/api/profiles/ext')).json.source, v2);
      await until('the watcher to refresh the metadata', async () => (await mappings('ext')) === 2);
      // the watcher refreshes the listing; the engine keeps the loaded version until SIGHUP
      assert.equal(await typeA(d), 'd:B u:B');
      d.child.kill('SIGHUP');
      await until('SIGHUP to apply the edit', async () => (await typeA(d!)) === 'd:C u:C');

      // edited again; then every operation that touches the profile without a new source
      const v3 = source('D', '    map("Q", "VK_W");\n    map("W", "VK_Q");\n');
      writeFileSync(file('ext'), v3);
      await until('the watcher to see the second edit', async () => (await mappings('ext')) === 3);
      const edited = statSync(file('ext'));
      const untouched = (name: string): void => {
        assert.equal(readFileSync(file(name), 'utf8'), v3, `${name} has the edited source`);
        const now = statSync(file(name));
        assert.deepEqual([now.ino, now.mtimeMs], [edited.ino, edited.mtimeMs], `${name} was not rewritten`);
      };
      assert.equal((await d.api('POST', '/api/profiles/ext/rename', { name: 'ext2' })).status, 200);
      untouched('ext2');
      assert.equal((await d.api('POST', '/api/profiles/ext2/duplicate', { name: 'ext3' })).status, 201);
      assert.equal(readFileSync(file('ext3'), 'utf8'), v3, 'the copy is of the file, not of memory');
      untouched('ext2');
      assert.equal((await d.api('POST', '/api/profiles/default/activate')).status, 200);
      assert.equal((await d.api('POST', '/api/profiles/ext2/activate')).status, 200);
      assert.equal(await typeA(d), 'd:D u:D', 'activation reads the disk');
      assert.equal((await d.api('POST', '/api/profiles/ext2/validate')).json.stats.mappings, 3);
      assert.equal((await d.api('PATCH', '/api/settings', { outputHistory: 500 })).status, 200);
      assert.equal((await d.api('PUT', '/api/profiles/default', { source: source('E') })).status, 200);
      const reloads = (): number => d!.stderr().split('"profile":"ext2"').length;
      const before = reloads();
      d.child.kill('SIGHUP');
      await until('SIGHUP to reload ext2', () => reloads() > before);
      untouched('ext2');

      // an edit that does not compile: SIGHUP keeps the loaded version, the file is left as written
      const broken = source('Nope');
      writeFileSync(file('ext2'), broken);
      d.child.kill('SIGHUP');
      await until('the failed reload to be reported', () => /activating 'ext2' failed/.test(d!.stderr()));
      assert.equal(await typeA(d), 'd:D u:D');
      assert.equal((await d.api('GET', '/api/status')).json.activeProfile, 'ext2');
      assert.equal(readFileSync(file('ext2'), 'utf8'), broken);
      const detail = (await d.api('GET', '/api/profiles/ext2')).json;
      assert.equal(detail.source, broken);
      assert.equal(detail.lastCompileError?.count, 1);

      // a save through the API writes exactly the source it carries
      assert.equal((await d.api('PUT', '/api/profiles/ext2', { source: source('F') })).status, 200);
      assert.equal(readFileSync(file('ext2'), 'utf8'), source('F'));
      assert.equal(await typeA(d), 'd:F u:F');
    } finally {
      if (d) await crash(d);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
