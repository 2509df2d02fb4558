/**
 * The simulation script parser and the WebSocket request handler on random input, short variant
 * (the full run: `npm run test:fuzz`; see parser-cases.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureReport, fuzzSeed, onlyCase, runInWorker } from './harness.ts';
import { runWsFuzz } from './parser-cases.ts';

test('fuzz: 2,000 simulation scripts give steps that run, or a ScriptSyntaxError', async () => {
  const r = await runInWorker('script', { count: 2000, seed: fuzzSeed(), full: false, only: onlyCase() });
  assert.equal(r.failures.length, 0, failureReport(r));
});

test('fuzz: 400 WebSocket frames each get one ack or error reply, and the connection stays open', async () => {
  const r = await runWsFuzz({ count: 400, seed: fuzzSeed() });
  assert.equal(r.failures.length, 0, failureReport(r));
});
