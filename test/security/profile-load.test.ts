/**
 * The load() findings of the security review, against a real daemon process: a profile cannot
 * read the API token or any other file outside the allowed folders into a reply, cannot make the
 * daemon read /dev/zero or block on a FIFO, and afterwards valid compiles work and SIGTERM still
 * stops the daemon. Test timeouts only catch hangs; nothing here measures time.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeKrx } from '../../src/dsl/krx.ts';
import type { DaemonProcess } from '../support/daemon-process.ts';
import { daemonScope } from '../support/daemon-process.ts';

const SECRET = 'ghp_FAKEsecret0123456789abcdefXYZ';
const VALID = 'device_start("*");\nmap("A", "VK_B");\ndevice_end();\n';
/** SIGTERM first; SIGKILL only after this long (an exit by SIGKILL fails the test). */
const GRACE_MS = 30_000;

const { tempDir, startDaemon } = daemonScope({ timeoutMs: 90_000 });

function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS in /proc/<pid>/status');
  return Number(m[1]);
}

async function stopBySigterm(d: DaemonProcess): Promise<void> {
  await d.stop(GRACE_MS);
  assert.deepEqual(await d.exited, { code: 0, signal: null }, 'exited by its SIGTERM handling');
}

const loading = (path: string): string => `device_start("*");\nload("${path}");\ndevice_end();\n`;

test(
  'load() of the token, a secret elsewhere, /dev/zero and a FIFO: refused, nothing leaks, nothing hangs',
  { timeout: 300_000 },
  async () => {
    const base = tempDir('keyrx-sec-');
    const dir = join(base, 'config');
    const secretFile = join(base, 'secret.txt');
    writeFileSync(secretFile, `${SECRET}\n`);
    const d = await startDaemon(dir);
    const pid = d.child.pid!;
    const profiles = join(dir, 'profiles');
    execFileSync('mkfifo', [join(profiles, 'pipe.rhai')]);
    symlinkSync('/dev/zero', join(profiles, 'zero.rhai'));
    symlinkSync(secretFile, join(profiles, 'secret-link.rhai'));
    assert.equal((await d.api('POST', '/api/profiles', { name: 'target', source: VALID })).status, 201);
    const rssBefore = rssKb(pid);

    const attacks = [
      '../token',
      join(dir, 'token'),
      secretFile,
      '../../secret.txt',
      '/dev/zero',
      'pipe.rhai',
      'zero.rhai',
      'secret-link.rhai',
    ];
    const leaks = (body: unknown): boolean => {
      const text = JSON.stringify(body);
      return text.includes(d.token) || text.includes(SECRET) || text.includes('ghp_');
    };
    for (const path of attacks) {
      for (const name of [undefined, 'draft']) {
        const c = await d.api('POST', '/api/compile', { source: loading(path), ...(name ? { name } : {}) });
        assert.equal(c.status, 200, path);
        assert.equal(c.json.ok, false, path);
        assert.deepEqual(
          c.json.diagnostics.map((x: { code: string }) => x.code),
          ['E_LOAD_REFUSED'],
          `${path}: ${JSON.stringify(c.json.diagnostics)}`,
        );
        assert.ok(!leaks(c.json), `${path}: ${JSON.stringify(c.json)}`);
      }
      const put = await d.api('PUT', '/api/profiles/target', { source: loading(path) });
      assert.equal(put.status, 400, path);
      assert.equal(put.json.error.code, 'PROFILE_INVALID');
      assert.equal(put.json.error.details.diagnostics[0].code, 'E_LOAD_REFUSED');
      assert.match(put.json.error.details.diagnostics[0].message, /refused/);
      assert.ok(!leaks(put.json), `${path}: ${JSON.stringify(put.json)}`);
    }
    // the refusal for an outside path is the same whether it exists or not
    const exists = await d.api('POST', '/api/compile', { source: loading(secretFile) });
    const absent = await d.api('POST', '/api/compile', { source: loading(join(base, 'absent.txt')) });
    assert.equal(
      JSON.stringify(absent.json.diagnostics).replaceAll('absent.txt', 'secret.txt'),
      JSON.stringify(exists.json.diagnostics),
    );

    // nothing ballooned (the finding: gigabytes after /dev/zero), and compiling still works
    const rssAfter = rssKb(pid);
    assert.ok(rssAfter - rssBefore < 256 * 1024, `RSS ${rssBefore} kB → ${rssAfter} kB`);
    const valid = await d.api('POST', '/api/compile', { source: VALID });
    assert.deepEqual([valid.status, valid.json.ok], [200, true]);
    const saved = await d.api('PUT', '/api/profiles/target', { source: VALID.replace('VK_B', 'VK_C') });
    assert.equal(saved.status, 200);
    assert.equal((await d.api('POST', '/api/profiles/target/activate')).status, 200);

    await stopBySigterm(d);
  },
);

test(
  'a FIFO swapped in under a cached profile’s loaded file: the daemon starts, activation fails cleanly',
  { timeout: 300_000 },
  async () => {
    const dir = tempDir('keyrx-sec-cache-');
    const first = await startDaemon(dir);
    const lib = join(dir, 'profiles', 'lib.rhai');
    writeFileSync(lib, 'map("A", "VK_B");\n');
    const source = 'device_start("*");\nload("lib.rhai");\ndevice_end();\n';
    assert.equal((await first.api('POST', '/api/profiles', { name: 'cached', source })).status, 201);
    const activated = await first.api('POST', '/api/profiles/cached/activate');
    assert.equal(activated.status, 200);
    await stopBySigterm(first);
    // the cache records the loaded file, so the next start re-reads it
    const cache = join(dir, 'cache', 'cached.krx');
    assert.ok(existsSync(cache));
    const { config } = decodeKrx(readFileSync(cache));
    assert.deepEqual(
      config.metadata?.inputs?.map((i) => i.path),
      [lib],
    );

    unlinkSync(lib);
    execFileSync('mkfifo', [lib]);

    // the start restores 'cached' from state.json: the cache is stale, the recompile refuses
    const second = await startDaemon(dir);
    const status = (await second.api('GET', '/api/status')).json;
    assert.equal(status.activeProfile, null, 'left in pass-through');
    const again = await second.api('POST', '/api/profiles/cached/activate');
    assert.equal(again.status, 400);
    assert.equal(again.json.error.code, 'PROFILE_INVALID');
    assert.equal(again.json.error.details.diagnostics[0].code, 'E_LOAD_REFUSED');
    assert.match(again.json.error.details.diagnostics[0].message, /FIFO/);
    const meta = (await second.api('GET', '/api/profiles/cached')).json;
    assert.match(meta.lastCompileError.message, /refused/);
    // other work goes on
    const valid = await second.api('POST', '/api/compile', { source: VALID });
    assert.equal(valid.json.ok, true);
    await stopBySigterm(second);
  },
);
