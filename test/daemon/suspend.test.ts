/**
 * The daemon's Suspend switch on a backend without a tray of its own (virtual): asking for the
 * tray changes nothing, suspending works on every backend (the keys go out as they came), and a
 * config directory opened offline (no input thread) refuses it. Over REST, the CLI and the
 * stream: test/server/suspend.test.ts, test/cli-client.test.ts; the Windows tray under Wine.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { Daemon } from '../../src/daemon/daemon.ts';

test('tray asked for on the virtual backend: the daemon runs, Suspend lets keys through, Resume remaps', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyrx-suspend-'));
  const daemon = new Daemon({ configDir: dir, logger: pino({ level: 'silent' }), tray: true });
  try {
    await daemon.start('virtual');
    assert.equal(daemon.backend, 'virtual');
    await daemon.updateProfile('default', 'device_start("*");\n  map("A", "VK_B");\ndevice_end();\n');
    assert.deepEqual(await daemon.setSuspended(true), { suspended: true });
    assert.equal(daemon.status().suspended, true);
    await daemon.inject('d:A u:A', { instant: true });
    assert.deepEqual(
      daemon.recentOutput(2).map((e) => e.key),
      ['A', 'A'],
    );
    assert.deepEqual(await daemon.setSuspended(false), { suspended: false });
    await daemon.inject('d:A u:A', { instant: true });
    assert.deepEqual(
      daemon.recentOutput(2).map((e) => e.key),
      ['B', 'B'],
    );
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('offline (the CLI on the config directory, no input thread): suspending is refused, nothing changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyrx-suspend-offline-'));
  const daemon = new Daemon({ configDir: dir, logger: pino({ level: 'silent' }) });
  try {
    await daemon.openOffline();
    await assert.rejects(daemon.setSuspended(true), /no keyrx daemon is running/);
    assert.equal(daemon.suspended, false);
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
