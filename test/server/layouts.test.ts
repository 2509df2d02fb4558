/**
 * /api/layouts and a device's layout, through a real Daemon and server (app.inject): the built-in
 * layouts and their old ids, custom layouts saved as our JSON or imported from KLE raw data, the
 * files they make, and every way a request can be wrong — bad ids (traversal, encoded, reserved,
 * built in), bad bodies, huge bodies, no credentials, a foreign Host or Origin — and broken files.
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUILTIN_LAYOUTS, layoutById } from '../../src/core/index.ts';
import type { TestDaemon } from './helpers.ts';
import { assertError, startTestDaemon } from './helpers.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const FIXTURES = join(import.meta.dirname, '../fixtures/kle');
const fixture = (name: string): Json => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));

let parent = '';
let t: TestDaemon;
before(async () => {
  parent = mkdtempSync(join(tmpdir(), 'keyrx-layouts-'));
  writeFileSync(join(parent, 'canary.json'), '{"outside": true}\n');
  t = await startTestDaemon({ dir: join(parent, 'config') });
  // a virtual device to give layouts to
  assert.equal((await call('POST', '/api/inject?instant=true', { events: 'dev:kb-1 d:A u:A' })).status, 200);
});
after(async () => {
  await t.close();
  rmSync(parent, { recursive: true, force: true });
});

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: { ...t.auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  let json: Json = {};
  try {
    json = res.json();
  } catch {
    // not JSON
  }
  return { status: res.statusCode, json, text: res.body };
}

const layoutsDir = () => join(t.dir, 'layouts');
const stored = () => (existsSync(layoutsDir()) ? readdirSync(layoutsDir()).sort() : []);
const BOARD = {
  name: 'Test board',
  description: 'two rows',
  keys: [
    { key: 'Escape', x: 0, y: 0 },
    { key: 'Q', x: 1.25, y: 0 },
    { key: 'Space', x: 0, y: 1, w: 2.25 },
    { key: 'NumpadEnter', x: 2.5, y: 0, h: 2 },
  ],
};

describe('built-in layouts', () => {
  test('GET /api/layouts lists the eleven built-in layouts, their old ids, key counts and sizes', async () => {
    const r = await call('GET', '/api/layouts');
    assert.equal(r.status, 200);
    const builtIn = r.json.layouts.filter((l: Json) => l.builtIn);
    assert.deepEqual(
      builtIn.map((l: Json) => l.id),
      [
        'ansi-104',
        'ansi-87',
        'iso-105',
        'iso-88',
        'jis-109',
        'compact-60',
        'compact-65',
        'compact-75',
        'compact-96',
        'hhkb',
        'numpad',
      ],
    );
    const byId = new Map(builtIn.map((l: Json) => [l.id, l]));
    assert.deepEqual(
      ['ansi-104', 'ansi-87', 'iso-105', 'iso-88', 'jis-109', 'numpad'].map(
        (id) => (byId.get(id) as Json).keyCount,
      ),
      [104, 87, 105, 88, 109, 17],
    );
    assert.deepEqual((byId.get('ansi-104') as Json).aliases, ['ansi']);
    assert.deepEqual((byId.get('jis-109') as Json).aliases, ['jis']);
    assert.deepEqual(
      [(byId.get('ansi-104') as Json).width, (byId.get('ansi-104') as Json).height],
      [22.5, 6.5],
    );
    assert.equal(r.json.truncated, false);
  });

  test('GET /api/layouts/:id gives every key; the old ids ansi, iso and jis give the new layouts', async () => {
    for (const layout of BUILTIN_LAYOUTS) {
      const r = await call('GET', `/api/layouts/${layout.id}`);
      assert.equal(r.status, 200, layout.id);
      assert.deepEqual(r.json.keys, layout.keys);
      assert.equal(r.json.builtIn, true);
    }
    for (const [old, id] of [
      ['ansi', 'ansi-104'],
      ['iso', 'iso-105'],
      ['jis', 'jis-109'],
    ]) {
      const r = await call('GET', `/api/layouts/${old}`);
      assert.equal(r.json.id, id);
    }
    assertError(await call('GET', '/api/layouts/dvorak'), 404, 'LAYOUT_NOT_FOUND', /ansi-104.*numpad/);
  });
});

describe('custom layouts', () => {
  test('PUT saves a layout as <config dir>/layouts/<id>.json: 201 when new, 200 when replaced', async () => {
    const created = await call('PUT', '/api/layouts/test-board', BOARD);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.id, 'test-board');
    assert.equal(created.json.builtIn, false);
    assert.deepEqual(created.json.skipped, []);
    assert.deepEqual([created.json.width, created.json.height], [3.5, 2]);
    const file = JSON.parse(readFileSync(join(layoutsDir(), 'test-board.json'), 'utf8'));
    assert.equal(file.name, 'Test board');
    assert.deepEqual(
      file.keys.map((k: Json) => [k.key, k.x, k.y, k.w, k.h]),
      [
        ['Escape', 0, 0, 1, 1],
        ['Q', 1.25, 0, 1, 1],
        ['NumpadEnter', 2.5, 0, 1, 2],
        ['Space', 0, 1, 2.25, 1],
      ],
    );
    const replaced = await call('PUT', '/api/layouts/test-board', { ...BOARD, name: 'Renamed' });
    assert.equal(replaced.status, 200);
    assert.equal((await call('GET', '/api/layouts/test-board')).json.name, 'Renamed');
    const list = (await call('GET', '/api/layouts')).json.layouts;
    assert.deepEqual(list[list.length - 1], {
      id: 'test-board',
      name: 'Renamed',
      description: 'two rows',
      builtIn: false,
      aliases: [],
      keyCount: 4,
      width: 3.5,
      height: 2,
    });
    assert.deepEqual(
      readdirSync(layoutsDir()).filter((f) => f.startsWith('.keyrx-tmp-')),
      [],
      'no temp file left',
    );
  });

  test('key names in any spelling of the key table are stored canonical', async () => {
    const r = await call('PUT', '/api/layouts/aliases', {
      name: 'Aliases',
      keys: [
        { key: 'Esc', x: 0, y: 0 },
        { key: 'VK_A', x: 1, y: 0 },
        { key: 'LSFT', x: 2, y: 0 },
      ],
    });
    assert.equal(r.status, 400, 'VK_ is a profile target, not a key name');
    const ok = await call('PUT', '/api/layouts/aliases', {
      name: 'Aliases',
      keys: [
        { key: 'Esc', x: 0, y: 0 },
        { key: 'LSFT', x: 1, y: 0 },
        { key: '1', x: 2, y: 0 },
      ],
    });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(
      ok.json.keys.map((k: Json) => k.key),
      ['Escape', 'LShift', 'Num1'],
    );
    await call('DELETE', '/api/layouts/aliases');
  });

  test('KLE raw data imports: an ANSI 104, a UK ISO 105 and an HHKB give the built-in layouts', async () => {
    for (const [file, id, builtIn, extra] of [
      ['ansi-104', 'kle-ansi', 'ansi-104', {}],
      ['iso-105-uk', 'kle-iso', 'iso-105', {}],
      ['hhkb-html', 'kle-hhkb', 'hhkb', { skipUnknown: true }],
    ] as const) {
      const r = await call('PUT', `/api/layouts/${id}`, {
        name: `From ${file}`,
        kle: fixture(file),
        ...extra,
      });
      assert.equal(r.status, 201, `${file}: ${r.text}`);
      const sort = (keys: Json[]) => [...keys].sort((a, b) => a.key.localeCompare(b.key));
      assert.deepEqual(sort(r.json.keys), sort(layoutById(builtIn)!.keys), file);
    }
    const hhkb = await call('GET', '/api/layouts/kle-hhkb');
    assert.equal(hhkb.json.keys.length, 59);
  });

  test('KLE keys whose legend names no key: refused with their row and key, or skipped and listed', async () => {
    const refused = await call('PUT', '/api/layouts/sixty', { name: '60', kle: fixture('sixty') });
    assertError(refused, 400, 'LAYOUT_INVALID', /row 5, key 7 \("Fn"\): Fn is handled by the keyboard/);
    assert.ok(refused.json.error.details.problems.length >= 1);
    assert.equal(existsSync(join(layoutsDir(), 'sixty.json')), false, 'nothing saved');
    const skipped = await call('PUT', '/api/layouts/sixty', {
      name: '60',
      kle: fixture('sixty'),
      skipUnknown: true,
    });
    assert.equal(skipped.status, 201, skipped.text);
    assert.deepEqual(skipped.json.skipped, [
      {
        row: 5,
        col: 7,
        legend: 'Fn',
        reason: 'Fn is handled by the keyboard itself: keyrx never sees it',
      },
    ]);
    assert.equal(skipped.json.keys.length, 60);
  });

  test('GET /api/layouts/:id/kle exports KLE raw data that imports as the same layout', async () => {
    for (const id of ['iso-105', 'jis-109', 'numpad', 'test-board']) {
      const exported = await call('GET', `/api/layouts/${id}/kle`);
      assert.equal(exported.status, 200);
      assert.ok(Array.isArray(exported.json));
      const again = await call('PUT', '/api/layouts/round-trip', { name: 'Round trip', kle: exported.json });
      assert.ok(again.status === 200 || again.status === 201, again.text);
      const original = (await call('GET', `/api/layouts/${id}`)).json;
      const sort = (keys: Json[]) => [...keys].sort((a, b) => a.key.localeCompare(b.key));
      assert.deepEqual(sort(again.json.keys), sort(original.keys), id);
    }
    assertError(await call('GET', '/api/layouts/nope/kle'), 404, 'LAYOUT_NOT_FOUND');
  });

  test('bad layouts are refused with every problem and where it is; nothing is saved', async () => {
    const before = stored();
    const cases: [unknown, RegExp][] = [
      [{ name: 'x', keys: [{ key: 'Foo', x: 0, y: 0 }] }, /keys\[0\]\.key: unknown key name "Foo"/],
      [{ name: 'x', keys: [{ key: 'Escpe', x: 0, y: 0 }] }, /did you mean Escape/],
      [
        {
          name: 'x',
          keys: [
            { key: 'A', x: 0, y: 0 },
            { key: 'A', x: 1, y: 0 },
          ],
        },
        /keys\[1\]\.key: A is listed twice \(also keys\[0\]\)/,
      ],
      [
        {
          name: 'x',
          keys: [
            { key: 'A', x: 0, y: 0, w: 2 },
            { key: 'B', x: 1.5, y: 0 },
          ],
        },
        /keys\[1\]: B overlaps keys\[0\] \(A\)/,
      ],
      [{ name: 'x', keys: [{ key: 'A', x: -1, y: 0 }] }, /keys\[0\]\.x: must be 0 or more, got -1/],
      [{ name: 'x', keys: [{ key: 'A', x: 0, y: 0, w: 0 }] }, /keys\[0\]\.w: must be greater than 0/],
      [{ name: 'x', keys: [{ key: 'A', x: 1e9, y: 0 }] }, /keys\[0\]\.x: at most 64 units/],
      [{ name: '   ', keys: [{ key: 'A', x: 0, y: 0 }] }, /name: must not be empty/],
      [{ name: 'a\u0007b', keys: [{ key: 'A', x: 0, y: 0 }] }, /name: must not contain control characters/],
      [{ name: 'x', keys: [{ key: 'A', x: 0, y: 0 }], kle: [['A']] }, /either "keys".*or "kle"/],
      [{ name: 'x' }, /either "keys".*or "kle"/],
      [{ name: 'x', keys: [{ key: 'A', x: 0, y: 0 }], skipUnknown: true }, /"skipUnknown" is for "kle"/],
      [
        { name: 'x', kle: [[{ r: 15 }, 'A']] },
        /row 1, before key 1: rotated keys \("r": 15\) are not supported/,
      ],
      [{ name: 'x', kle: [['A', 'A']] }, /row 1, key 2 \("A"\) and row 1, key 1 \("A"\) are both read as A/],
      [{ name: 'x', kle: [['A'], 5] }, /element 2: a row must be an array/],
      [{ name: 'x', kle: [Array.from({ length: 257 }, (_, i) => `F${(i % 24) + 1}`)] }, /more than 256 keys/],
    ];
    for (const [body, message] of cases) {
      const r = await call('PUT', '/api/layouts/bad', body);
      assertError(r, 400, 'LAYOUT_INVALID', message);
      assert.ok(
        Array.isArray(r.json.error.details?.problems) || /either|skipUnknown/.test(r.json.error.message),
      );
    }
    // the schema: wrong types, unknown fields, too many keys, too long names
    const schemaCases: unknown[] = [
      { name: 5, keys: [{ key: 'A', x: 0, y: 0 }] },
      { name: 'x', keys: 'A' },
      { name: 'x', keys: [{ key: 'A', x: '0', y: 0 }] },
      { name: 'x', keys: [{ key: 'A', x: 0, y: 0, colour: 'red' }] },
      { name: 'x', keys: [] },
      { name: 'x', kle: {} },
      { name: 'x', kle: [] },
      { name: 'x'.repeat(65), keys: [{ key: 'A', x: 0, y: 0 }] },
      { name: 'x', description: 'd'.repeat(501), keys: [{ key: 'A', x: 0, y: 0 }] },
      { name: 'x', keys: Array.from({ length: 257 }, (_, i) => ({ key: 'A', x: i, y: 0 })) },
      { name: 'x', keys: [{ key: 'A', x: 0, y: 0 }], builtIn: true },
      [{ key: 'A' }],
      '"text"',
    ];
    for (const body of schemaCases)
      assertError(await call('PUT', '/api/layouts/bad', body), 400, 'VALIDATION_FAILED');
    assertError(await call('PUT', '/api/layouts/bad', '{"name":'), 400, 'INVALID_JSON');
    assert.deepEqual(stored(), before, 'nothing was written');
  });

  test('a body over 1 MiB is refused before it is read', async () => {
    const huge = JSON.stringify({ name: 'x', kle: [['A'.repeat(1_100_000)]] });
    assertError(await call('PUT', '/api/layouts/huge', huge), 413, 'BODY_TOO_LARGE');
    assert.equal(existsSync(join(layoutsDir(), 'huge.json')), false);
  });
});

describe('ids', () => {
  test('traversal, encoded, reserved, upper-case and overlong ids are refused on every route; nothing leaves the folder', async () => {
    const before = stored();
    const ids = [
      '..%2fx',
      '%2e%2e',
      '%2E%2E%2Fcanary',
      '..%5Ccanary',
      '.',
      '...',
      'x.json',
      '-x',
      'A-Upper',
      'con',
      'nul',
      'lpt1',
      'a_b',
      'a%20b',
      '%00',
      'x%0a',
      '%C3%A9',
      'x'.repeat(49),
      encodeURIComponent(join(parent, 'canary')),
    ];
    for (const id of ids) {
      for (const [method, path, body] of [
        ['PUT', `/api/layouts/${id}`, BOARD],
        ['GET', `/api/layouts/${id}`, undefined],
        ['DELETE', `/api/layouts/${id}?force=true`, undefined],
        ['GET', `/api/layouts/${id}/kle`, undefined],
      ] as const) {
        const r = await call(method, path, body);
        assert.ok(r.status === 400 || r.status === 404, `${method} ${path}: ${r.status} ${r.text}`);
        if (r.status === 400)
          assert.ok(['INVALID_NAME', 'VALIDATION_FAILED'].includes(r.json.error.code), r.text);
        // a dot segment is resolved before routing (/api/layouts/./kle is /api/layouts/kle)
        else
          assert.ok(
            ['NOT_FOUND', 'LAYOUT_NOT_FOUND'].includes(r.json.error.code),
            `${method} ${path}: ${r.text}`,
          );
      }
    }
    const r = await call('PUT', '/api/layouts/..%2fx', BOARD);
    assertError(r, 400, 'INVALID_NAME', /invalid layout id "\.\.\/x": a layout id is 1–48 characters/);
    assert.deepEqual(stored(), before);
    assert.deepEqual(readdirSync(parent).sort(), ['canary.json', 'config']);
    assert.equal(readFileSync(join(parent, 'canary.json'), 'utf8'), '{"outside": true}\n');
  });

  test('built-in ids and their old aliases cannot be replaced or deleted', async () => {
    for (const id of ['ansi-104', 'numpad', 'ansi', 'iso', 'jis']) {
      assertError(await call('PUT', `/api/layouts/${id}`, BOARD), 409, 'LAYOUT_BUILTIN', /built-in layout/);
      assertError(await call('DELETE', `/api/layouts/${id}?force=true`), 409, 'LAYOUT_BUILTIN');
    }
    assert.ok(!stored().some((f) => /^(ansi|iso|jis|numpad)/.test(f)));
  });
});

describe('security', () => {
  test('every layout route needs credentials, the daemon’s Host, and for changes the daemon’s Origin', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/layouts'],
      ['GET', '/api/layouts/test-board'],
      ['GET', '/api/layouts/test-board/kle'],
      ['PUT', '/api/layouts/intruder', BOARD],
      ['DELETE', '/api/layouts/test-board?force=true'],
    ];
    for (const [method, url, body] of routes) {
      const anonymous = await t.app.inject({
        method: method as 'GET',
        url,
        headers: body ? { 'content-type': 'application/json' } : {},
        payload: body ? JSON.stringify(body) : undefined,
      });
      assert.equal(anonymous.statusCode, 401, `${method} ${url} without a token`);
      assert.equal(anonymous.json().error.code, 'UNAUTHORIZED');
      const wrong = await call(method, url, body, { authorization: 'Bearer wrong' });
      assertError(wrong, 401, 'UNAUTHORIZED');
      assertError(await call(method, url, body, { host: 'evil.example' }), 421, 'HOST_NOT_ALLOWED');
      if (method !== 'GET')
        assertError(
          await call(method, url, body, { origin: 'https://evil.example' }),
          403,
          'FORBIDDEN_ORIGIN',
        );
    }
    assert.equal(existsSync(join(layoutsDir(), 'intruder.json')), false);
    assert.equal((await call('GET', '/api/layouts/test-board')).status, 200, 'still there');
  });

  test('the routes are in the OpenAPI document', async () => {
    const doc = (await call('GET', '/api/openapi.json')).json;
    assert.ok(doc.paths['/api/layouts'].get);
    assert.ok(doc.paths['/api/layouts/{id}'].put.requestBody);
    assert.ok(doc.paths['/api/layouts/{id}'].delete);
    assert.ok(doc.paths['/api/layouts/{id}/kle'].get);
  });
});

describe('devices and layouts', () => {
  test('a device takes any built-in or custom layout id (old ids stored as the new ones); an unknown id is refused', async () => {
    const custom = await call('PATCH', '/api/devices/kb-1', { layout: 'test-board' });
    assert.equal(custom.status, 200, custom.text);
    assert.equal(custom.json.layout, 'test-board');
    const old = await call('PATCH', '/api/devices/kb-1', { layout: 'jis' });
    assert.equal(old.json.layout, 'jis-109');
    assert.equal(
      JSON.parse(readFileSync(join(t.dir, 'devices.json'), 'utf8')).devices['kb-1'].layout,
      'jis-109',
    );
    for (const bad of ['dvorak', '../x', 'CON', 'ansi-105', ' ', 'x'.repeat(64)]) {
      const r = await call('PATCH', '/api/devices/kb-1', { layout: bad });
      assertError(r, 400, 'LAYOUT_UNKNOWN', /known layouts are ansi-104, ansi-87, .*test-board/);
      assert.ok(r.json.error.details.known.includes('hhkb'));
    }
    assertError(
      await call('PATCH', '/api/devices/kb-1', { layout: 'x'.repeat(65) }),
      400,
      'VALIDATION_FAILED',
    );
    assertError(await call('PATCH', '/api/devices/kb-1', { layout: 5 }), 400, 'VALIDATION_FAILED');
    assert.equal(
      (await call('GET', '/api/devices')).json.devices.find((d: Json) => d.id === 'kb-1').layout,
      'jis-109',
    );
    const cleared = await call('PATCH', '/api/devices/kb-1', { layout: null });
    assert.equal(cleared.json.layout, null);
  });

  test('DELETE refuses a layout a device uses (listing the devices) unless ?force=true', async () => {
    await call('PUT', '/api/layouts/in-use', BOARD);
    await call('PATCH', '/api/devices/kb-1', { layout: 'in-use' });
    const refused = await call('DELETE', '/api/layouts/in-use');
    assertError(refused, 409, 'LAYOUT_IN_USE', /device kb-1/);
    assert.deepEqual(refused.json.error.details, { devices: ['kb-1'] });
    assert.ok(existsSync(join(layoutsDir(), 'in-use.json')));
    const forced = await call('DELETE', '/api/layouts/in-use?force=true');
    assert.deepEqual(forced.json, { deleted: 'in-use', usedBy: ['kb-1'] });
    assert.equal(existsSync(join(layoutsDir(), 'in-use.json')), false);
    assertError(await call('GET', '/api/layouts/in-use'), 404, 'LAYOUT_NOT_FOUND');
    assertError(await call('DELETE', '/api/layouts/in-use'), 404, 'LAYOUT_NOT_FOUND');
    assertError(await call('DELETE', '/api/layouts/in-use?force=yes'), 400, 'VALIDATION_FAILED');
    assertError(await call('DELETE', '/api/layouts/in-use?other=1'), 400, 'VALIDATION_FAILED');
    // the device keeps the id (its views show the default layout until it is imported again)
    assert.equal(
      (await call('GET', '/api/devices')).json.devices.find((d: Json) => d.id === 'kb-1').layout,
      'in-use',
    );
    await call('PATCH', '/api/devices/kb-1', { layout: null });
  });

  test('stored device settings with the old ids load as the new ones; invalid ids are dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyrx-layouts-devices-'));
    try {
      writeFileSync(
        join(dir, 'devices.json'),
        JSON.stringify({
          devices: {
            a: { enabled: true, layout: 'ansi' },
            b: { enabled: true, layout: 'iso' },
            c: { enabled: false, layout: 'jis' },
            d: { enabled: true, layout: 'my-own' },
            e: { enabled: true, layout: '../../etc/passwd' },
            f: { enabled: true, layout: 5 },
          },
        }),
      );
      const other = await startTestDaemon({ dir });
      try {
        const devices = (await other.app.inject({ url: '/api/devices', headers: other.auth })).json().devices;
        assert.deepEqual(
          devices.map((d: Json) => [d.id, d.layout]),
          [
            ['a', 'ansi-104'],
            ['b', 'iso-105'],
            ['c', 'jis-109'],
            ['d', 'my-own'],
            ['e', null],
            ['f', null],
          ],
        );
      } finally {
        await other.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('files on disk', () => {
  test('broken, odd and foreign files: listed with their error or ignored, never a crash or a hang', async () => {
    mkdirSync(layoutsDir(), { recursive: true });
    writeFileSync(join(layoutsDir(), 'not-json.json'), '{"name": ');
    writeFileSync(
      join(layoutsDir(), 'bad-key.json'),
      JSON.stringify({ name: 'B', keys: [{ key: 'Nope', x: 0, y: 0 }] }),
    );
    writeFileSync(join(layoutsDir(), 'README.txt'), 'not a layout');
    writeFileSync(join(layoutsDir(), 'Upper.json'), JSON.stringify(BOARD));
    writeFileSync(join(layoutsDir(), 'huge.json'), `{"name":"h","keys":[],"pad":"${'x'.repeat(1_100_000)}"}`);
    symlinkSync(join(parent, 'canary.json'), join(layoutsDir(), 'outside.json'));
    execFileSync('mkfifo', [join(layoutsDir(), 'fifo.json')]);

    const list = await call('GET', '/api/layouts');
    assert.equal(list.status, 200);
    const errors = Object.fromEntries(
      list.json.layouts.filter((l: Json) => l.error !== undefined).map((l: Json) => [l.id, l.error]),
    );
    assert.deepEqual(Object.keys(errors).sort(), ['bad-key', 'fifo', 'huge', 'not-json', 'outside']);
    assert.match(errors['not-json'], /not valid JSON/);
    assert.match(errors['bad-key'], /keys\[0\]\.key: unknown key name "Nope"/);
    assert.match(errors.fifo, /not a regular file/);
    assert.match(errors.huge, /larger than/);
    assert.match(errors.outside, /outside the allowed folders/);
    assert.ok(!list.json.layouts.some((l: Json) => l.id === 'Upper' || l.id === 'README'));

    for (const id of ['not-json', 'bad-key', 'fifo', 'outside'])
      assertError(
        await call('GET', `/api/layouts/${id}`),
        409,
        'LAYOUT_CORRUPT',
        /replace it \(PUT\) or delete it/,
      );
    // a broken layout is not a layout a device can take
    assertError(await call('PATCH', '/api/devices/kb-1', { layout: 'bad-key' }), 400, 'LAYOUT_UNKNOWN');
    // replacing or deleting one works
    assert.equal((await call('PUT', '/api/layouts/not-json', BOARD)).status, 200);
    assert.equal((await call('GET', '/api/layouts/not-json')).status, 200);
    assert.equal((await call('DELETE', '/api/layouts/bad-key')).status, 200);
    assert.equal((await call('DELETE', '/api/layouts/outside')).status, 200);
    assert.equal(
      readFileSync(join(parent, 'canary.json'), 'utf8'),
      '{"outside": true}\n',
      'the link’s target stays',
    );
    // the daemon still serves
    assert.equal((await call('GET', '/api/status')).status, 200);
  });
});
