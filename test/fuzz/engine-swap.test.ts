/**
 * The engine under the daemon's life cycle — profile swaps, releaseAll(), devices disabled and
 * enabled — short variant (the full run: `npm run test:fuzz`): the model of engine-cases.ts, then
 * the real EngineHost through a daemon (host-cases.ts), then the stuck key they found.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestDaemon } from '../server/helpers.ts';
import { failureReport, fuzzSeed, onlyCase, runInWorker } from './harness.ts';
import { runHostFuzz } from './host-cases.ts';

test('fuzz: 500 runs with swaps and releaseAll leave no output key down, deterministically', async () => {
  const r = await runInWorker('engine', { count: 500, seed: fuzzSeed(), full: false, only: onlyCase() });
  assert.equal(r.failures.length, 0, failureReport(r));
});

test('fuzz: 10 runs through a daemon (inject, activate, device toggles) leave no output key down', async () => {
  const r = await runHostFuzz({ count: 10, seed: fuzzSeed() });
  assert.equal(r.failures.length, 0, failureReport(r));
});

test('a key pressed before its device is disabled (or enabled) is released the way it was pressed', async () => {
  const t = await startTestDaemon();
  try {
    const api = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
      const r = await t.app.inject({ method, url, headers: t.auth, ...(payload ? { payload } : {}) });
      assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
      return r.json();
    };
    await api('POST', '/api/profiles', {
      name: 'ab',
      source: 'device_start("*"); map("A", "VK_B"); device_end();',
    });
    await api('POST', '/api/profiles/ab/activate');
    // mapped press, then the device is disabled: the release still undoes B (it used to send u:A and leave B down)
    await api('POST', '/api/inject?instant=true', { events: 'd:A' });
    await api('PATCH', '/api/devices/virtual', { enabled: false });
    await api('POST', '/api/inject?instant=true', { events: 'u:A' });
    assert.deepEqual((await api('GET', '/api/state')).outputDown, []);
    // unmapped press while disabled, then enabled: the release goes out unmapped too (C used to stay down)
    await api('POST', '/api/inject?instant=true', { events: 'd:C' });
    await api('PATCH', '/api/devices/virtual', { enabled: true });
    await api('POST', '/api/inject?instant=true', { events: 'u:C' });
    // a second press without a release (a lost event) while disabled: still the engine's key
    await api('POST', '/api/inject?instant=true', { events: 'd:A' });
    await api('PATCH', '/api/devices/virtual', { enabled: false });
    await api('POST', '/api/inject?instant=true', { events: 'd:A u:A' });
    await api('PATCH', '/api/devices/virtual', { enabled: true });
    assert.deepEqual((await api('GET', '/api/state')).outputDown, []);
    const events = (await api('GET', '/api/output')).events as { key: string; action: string }[];
    assert.deepEqual(
      events.map((e) => `${e.action === 'press' ? 'd' : 'u'}:${e.key}`),
      ['d:B', 'u:B', 'd:C', 'u:C', 'd:B', 'u:B', 'd:B', 'u:B'],
    );
  } finally {
    await t.close();
  }
});
