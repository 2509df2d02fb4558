/**
 * The 10-second soak in `npm test` (issue #9 §4; the 60-second run is `npm run test:soak`):
 * 1,000 WebSocket clients, 100 of them stalled, REST at 500 req/s and injected keys against a real
 * daemon process. No server errors, no crash, every stalled client dropped by the lag rule, RSS
 * at the end within 20 % of RSS after the warm-up (at least 3 s, until the stalled clients are
 * gone; then 7 s of steady load).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSummary, runSoak, violations } from './soak.ts';

test(
  '10 s soak: 0 server errors, 0 crashes, stalled clients dropped, RSS bounded',
  { timeout: 180_000 },
  async (t) => {
    const result = await runSoak({ durationSec: 10, warmupSec: 3, progress: (line) => t.diagnostic(line) });
    for (const line of formatSummary(result).split('\n')) t.diagnostic(line);
    assert.deepEqual(violations(result), []);
  },
);
