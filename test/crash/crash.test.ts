/**
 * Crash consistency, the short variant for `npm test` (issue #9 §1): 20 SIGKILLs of the real daemon
 * (`npm run test:crash` runs 200). KEYRX_CRASH_SEED repeats a run.
 */
import assert from 'node:assert/strict';
import { watch } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DaemonEntry } from './harness.ts';
import { abortAll, call, formatReport, prepareEntry, runCrashTest, startInstance } from './harness.ts';

let entry: DaemonEntry;
before(async () => {
  entry = await prepareEntry();
});
after(async () => {
  abortAll();
  await entry?.dispose();
});

test(
  'crash consistency: 20 SIGKILLs during random profile and settings changes lose nothing acknowledged and tear nothing',
  {
    timeout: 240_000,
  },
  async (t) => {
    const seed = Number(process.env.KEYRX_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    t.diagnostic(`seed ${seed} (repeat with KEYRX_CRASH_SEED=${seed})`);
    const report = await runCrashTest({ kills: 20, seed, opsPerCycle: [2, 5], maxInFlight: 3, entry });
    for (const line of formatReport(report).split('\n')) t.diagnostic(line);
    assert.equal(report.kills, 20);
    assert.deepEqual(report.violations, []);
  },
);

test(
  'renaming the active profile, killed around the rename: the restart keeps it active under one of its names',
  {
    timeout: 120_000,
  },
  async () => {
    const source = 'device_start("*");\n    map("A", "VK_B");\ndevice_end();\n';
    // kill when the new name appears (the rename is done, state.json maybe not yet), and when
    // state.json is being written
    for (const killOn of ['b.rhai', '.keyrx-tmp-state.json']) {
      const dir = await mkdtemp(join(tmpdir(), 'keyrx-crash-rename-'));
      try {
        const first = await startInstance(dir, entry);
        assert.ok(first);
        assert.equal((await call(first, 'POST', '/api/profiles', { name: 'a', source })).status, 201);
        assert.equal((await call(first, 'POST', '/api/profiles/a/activate')).status, 200);
        const watched = killOn.endsWith('.rhai') ? join(dir, 'profiles') : dir;
        const watcher = watch(watched, (_e, f) => {
          if (typeof f === 'string' && f.startsWith(killOn)) first.child.kill('SIGKILL');
        });
        const renamed = call(first, 'POST', '/api/profiles/a/rename', { name: 'b' }).catch(() => null);
        await first.exited;
        watcher.close();
        first.agent.destroy();
        const reply = await renamed;

        const second = await startInstance(dir, entry);
        assert.ok(second);
        try {
          const active = (await call(second, 'GET', '/api/status')).json.activeProfile;
          if (reply?.status === 200) assert.equal(active, 'b', `killed on ${killOn} after the reply`);
          else assert.ok(active === 'a' || active === 'b', `killed on ${killOn}: active is ${active}`);
          assert.equal(await readFile(join(dir, 'profiles', `${active}.rhai`), 'utf8'), source);
        } finally {
          second.child.kill('SIGKILL');
          second.agent.destroy();
          await second.exited;
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  },
);
