/**
 * Profile and cache files are read so that nothing swapped in for them (a FIFO, a device) can
 * block the daemon: such a file counts as missing, and activation recompiles past a bad cache.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { configPaths } from '../../src/daemon/paths.ts';
import { ProfileStore } from '../../src/daemon/profile-store.ts';
import { startTestDaemon } from '../server/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'keyrx-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SOURCE = 'device_start("*");\n  map("A", "VK_B");\ndevice_end();\n';

test(
  'a FIFO or a device in place of a profile or cache file is missing, never a read that waits',
  { timeout: 60_000 },
  async () => {
    const paths = configPaths(dir);
    const store = new ProfileStore(paths);
    await store.ensureDirs();
    execFileSync('mkfifo', [join(paths.profiles, 'pipe.rhai'), join(paths.cache, 'pipe.krx')]);
    symlinkSync('/dev/zero', join(paths.profiles, 'zero.rhai'));
    for (const name of ['pipe', 'zero']) {
      assert.equal(await store.stat(name), undefined);
      await assert.rejects(store.read(name), { code: 'PROFILE_NOT_FOUND' });
    }
    assert.equal(await store.readCache('pipe'), undefined);
    assert.deepEqual(await store.list(), []);
    // an ordinary file still reads
    await store.write('plain', SOURCE);
    assert.equal(await store.read('plain'), SOURCE);
  },
);

test(
  'activation with a FIFO in place of its cache recompiles and succeeds',
  { timeout: 60_000 },
  async () => {
    const t = await startTestDaemon();
    try {
      await t.daemon.createProfile({ name: 'p', source: SOURCE });
      const cache = join(t.dir, 'cache', 'p.krx');
      await t.daemon.activate('p');
      unlinkSync(cache);
      execFileSync('mkfifo', [cache]);
      const again = await t.daemon.activate('p');
      assert.equal(again.cached, false);
    } finally {
      await t.close();
    }
  },
);
