/**
 * The daemon's side of the tray on a backend without one (Linux, virtual): asking for the tray
 * changes nothing, and suspending is refused by the input thread (only the Windows hook can let
 * keys through untouched), with the daemon's state left as it was. The tray itself, its Suspend,
 * Resume, Reload and Exit are tested under Wine (test/wine/wine.e2e.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { Daemon } from '../../src/daemon/daemon.ts';

test('tray asked for on the virtual backend: the daemon runs; suspend is refused and nothing changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyrx-suspend-'));
  const daemon = new Daemon({ configDir: dir, logger: pino({ level: 'silent' }), tray: true });
  try {
    await daemon.start('virtual');
    assert.equal(daemon.backend, 'virtual');
    await assert.rejects(daemon.setSuspended(true), /needs the windows backend/);
    assert.equal(daemon.suspended, false);
    // the input thread still works after the refusal
    assert.equal((await daemon.inject('d:A u:A', { instant: true })).events, 2);
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
