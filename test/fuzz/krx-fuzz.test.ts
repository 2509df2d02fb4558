/**
 * `.krx` decoding, short variant (the full run: `npm run test:fuzz`). test/dsl/krx.test.ts covers
 * random files, every bit flip and every truncation; these cases carry a correct length and hash,
 * so they reach the JSON parser and the config validation (see krx-cases.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureReport, fuzzSeed, onlyCase, runInWorker } from './harness.ts';

test('fuzz: 600 sealed .krx payloads give a config the engine runs, or a KrxError', async () => {
  const r = await runInWorker('krx', { count: 600, seed: fuzzSeed(), full: false, only: onlyCase() });
  assert.equal(r.failures.length, 0, failureReport(r));
});
