import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestDaemon } from './helpers.ts';
import { startTestDaemon } from './helpers.ts';

describe('web UI serving', () => {
  let t: TestDaemon;
  const uiDir = mkdtempSync(join(tmpdir(), 'keyrx-ui-'));
  const INDEX = '<!doctype html><title>keyrx ui</title><div id="root"></div>';
  before(async () => {
    mkdirSync(join(uiDir, 'assets'));
    writeFileSync(join(uiDir, 'index.html'), INDEX);
    writeFileSync(join(uiDir, 'assets', 'index-abc123.js'), 'console.log(1)');
    t = await startTestDaemon({ uiDir });
  });
  after(async () => {
    await t.close();
    rmSync(uiDir, { recursive: true, force: true });
  });

  test('/ serves index.html without credentials, with a CSP and no caching', async () => {
    const r = await t.app.inject({ url: '/' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.body, INDEX);
    assert.match(String(r.headers['content-type']), /text\/html/);
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
    assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(r.headers['x-frame-options'], 'DENY');
  });

  test('client-side routes get index.html (reload of /profiles/work works)', async () => {
    for (const url of ['/profiles/work', '/monitor', '/settings?x=1', '/profiles/a%20b']) {
      const r = await t.app.inject({ url });
      assert.equal(r.statusCode, 200, url);
      assert.equal(r.body, INDEX, url);
      assert.match(String(r.headers['content-security-policy']), /script-src 'self'/, url);
    }
  });

  test('hashed assets are cached for good; missing assets and API paths are JSON 404s, not the page', async () => {
    const asset = await t.app.inject({ url: '/assets/index-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    const missing = await t.app.inject({ url: '/assets/index-gone.js' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'NOT_FOUND');
    const api = await t.app.inject({ url: '/api/nope', headers: t.auth });
    assert.equal(api.statusCode, 404);
    assert.equal(api.json().error.code, 'NOT_FOUND');
    const post = await t.app.inject({ method: 'POST', url: '/profiles/work' });
    assert.equal(post.statusCode, 404);
    assert.equal(post.json().error.code, 'NOT_FOUND');
  });

  test('nothing outside the UI directory is served', async () => {
    for (const url of [
      '/../token',
      '/..%2ftoken',
      '/%2e%2e/token',
      '/assets/../../token',
      '/assets/..%2f..%2ftoken',
    ]) {
      const r = await t.app.inject({ url });
      assert.ok(!r.body.includes(t.token), url);
      assert.ok(r.statusCode === 404 || r.statusCode === 403 || r.body === INDEX, `${url}: ${r.statusCode}`);
    }
  });

  test('templates are listed with descriptions', async () => {
    const r = await t.app.inject({ url: '/api/templates', headers: t.auth });
    assert.equal(r.statusCode, 200);
    const names = (r.json().templates as { name: string; description: string }[]).map((x) => x.name);
    assert.deepEqual(names, [
      'default',
      'blank',
      'simple_remap',
      'capslock_escape',
      'vim_navigation',
      'gaming',
      'home_row_mods',
    ]);
    for (const x of r.json().templates) assert.ok(x.description.length > 10);
  });
});

test('without a built UI, / explains how to build it', async () => {
  const t = await startTestDaemon({ uiDir: null });
  try {
    const r = await t.app.inject({ url: '/' });
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /npm run build/);
    const deep = await t.app.inject({ url: '/profiles/x' });
    assert.equal(deep.statusCode, 404);
  } finally {
    await t.close();
  }
});
