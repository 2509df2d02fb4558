/**
 * The diagnostics report over a real socket: what it carries, and what it must not — the token,
 * the home directory, window titles, keys typed.
 */
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { after, before, test } from 'node:test';
import type { ListeningDaemon } from './helpers.ts';
import { startListeningDaemon } from './helpers.ts';
import { HANG_MS } from '../support/wait.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: ListeningDaemon;
let base = '';
before(async () => {
  t = await startListeningDaemon();
  base = `http://${t.host}`;
});
after(async () => {
  await t.close();
});

const get = async (path: string, headers: Record<string, string> = t.auth) =>
  fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(HANG_MS) });

test('the report: build, runtime, daemon figures, devices, checks, recent errors; JSON and Markdown', async () => {
  await t.daemon.inject('dev:kb-secret d:A u:A', { instant: true });
  t.daemon.reportError('TEST_FAILURE', 'something failed', { key: 'A' });
  const res = await get('/api/diagnostics');
  assert.equal(res.status, 200);
  const r = (await res.json()) as Json;
  assert.equal(r.keyrx.version, t.daemon.status().version);
  assert.equal(r.runtime.node, process.versions.node);
  assert.equal(r.runtime.platform, process.platform);
  assert.equal(r.daemon.running, true);
  assert.equal(r.daemon.backend, 'virtual');
  assert.equal(r.daemon.activeProfile, 'default');
  assert.equal(r.daemon.suspended, false);
  assert.equal(typeof r.daemon.memory.rssMb, 'number');
  // the key path's figures come with the input thread's periodic report: their shape here
  assert.deepEqual(Object.keys(r.daemon.latencyUs), ['count', 'p50', 'p99', 'max']);
  assert.deepEqual(
    r.daemon.devices.map((d: Json) => [d.id, d.connected]),
    [['kb-secret', true]],
  );
  assert.equal(typeof r.daemon.settings.wsRingSize, 'number');
  assert.ok('ok' in r.checks || 'error' in r.checks);
  const last = r.recentErrors.at(-1);
  assert.deepEqual(
    { code: last.code, message: last.message, contextFields: last.contextFields },
    {
      code: 'TEST_FAILURE',
      message: 'something failed',
      contextFields: ['key'],
    },
  );

  const md = await get('/api/diagnostics?format=markdown');
  assert.equal(md.status, 200);
  assert.match(md.headers.get('content-type') ?? '', /^text\/markdown/);
  const text = await md.text();
  assert.match(text, /^## keyrx diagnostics \(/);
  assert.match(text, /- daemon: pid \d+, up \d+ s, backend virtual/);
  for (const section of ['### Devices', '### Checks', '### Recent errors', '### Settings'])
    assert.ok(text.includes(section), section);
  assert.match(text, /TEST_FAILURE: something failed \(context: key\)/);
  assert.match(text, /Redacted: the API token; the home directory/);
});

test('redacted: the token wherever it appears, the home directory, the context app and title, key contents', async () => {
  const title = 'Secret project — Inbox';
  const r = await fetch(`${base}/api/context`, {
    method: 'PUT',
    headers: { ...t.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ app: 'private-app', title }),
  });
  assert.equal(r.status, 200);
  t.daemon.reportError('LEAKY', `failed reading ${homedir()}/notes with token ${t.token}`, {
    key: 'Q',
    title,
  });
  for (const format of ['json', 'markdown']) {
    const text = await (await get(`/api/diagnostics?format=${format}`)).text();
    assert.ok(!text.includes(t.token), `${format}: the token`);
    assert.ok(!text.includes(title), `${format}: the window title`);
    assert.ok(!text.includes('private-app'), `${format}: the application`);
    assert.ok(
      text.includes('failed reading ~/notes with token [redacted]'),
      `${format}: the message, redacted`,
    );
  }
  const json = (await (await get('/api/diagnostics')).json()) as Json;
  assert.deepEqual(json.daemon.context, { app: true, title: true, ime: false, language: '' });
  // no key events anywhere: the injected A of the first test is not in it
  assert.ok(!JSON.stringify(json).includes('"press"'));
});

test('diagnostics needs the token; an unknown format is refused', async () => {
  assert.equal((await get('/api/diagnostics', {})).status, 401);
  const bad = await get('/api/diagnostics?format=html');
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as Json).error.code, 'VALIDATION_FAILED');
});
