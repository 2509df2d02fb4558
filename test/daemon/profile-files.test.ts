/**
 * load() on the real file system (src/daemon/bounded-read.ts + profile-files.ts): what is read
 * inside the allowed folders, what is refused, and that a refusal never carries the file's
 * content nor tells whether something outside exists.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs, { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import type { CompileResult } from '../../src/dsl/compile.ts';
import { isWithin } from '../../src/dsl/load-policy.ts';
import { MAX_LOAD_BYTES, readConfined, readConfinedSync } from '../../src/daemon/bounded-read.ts';
import { loadRootsOf, readLoadedInput, SYSTEM_STDLIB_DIR } from '../../src/daemon/profile-cache.ts';
import { compileSource, defaultStdlibDirs } from '../../src/daemon/profile-files.ts';

const SECRET = 'ghp_FAKE0123456789abcdefTOKEN';
const base = mkdtempSync(join(tmpdir(), 'keyrx-load-'));
const cfg = join(base, 'cfg');
const profiles = join(cfg, 'profiles');
const outside = join(base, 'outside');
const main = join(profiles, 'main.rhai');
let socket: Server;

before(async () => {
  mkdirSync(join(profiles, 'sub'), { recursive: true });
  mkdirSync(join(profiles, 'stdlib'), { recursive: true });
  mkdirSync(join(cfg, 'stdlib'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(cfg, 'token'), `${SECRET}\n`);
  writeFileSync(join(outside, 'secret.rhai'), `let x = ${SECRET};\n`);
  writeFileSync(join(profiles, 'lib.rhai'), 'map("A", "VK_B");\n');
  writeFileSync(join(profiles, 'sub', 'nav.rhai'), 'map("H", "VK_Left"); load("../lib2.rhai");\n');
  writeFileSync(join(profiles, 'lib2.rhai'), 'map("L", "VK_Right");\n');
  writeFileSync(join(profiles, 'stdlib', 'local.rhai'), 'map("Q", "VK_Escape");\n');
  writeFileSync(join(cfg, 'stdlib', 'user.rhai'), 'map("W", "VK_Up");\n');
  symlinkSync('lib.rhai', join(profiles, 'alias.rhai'));
  symlinkSync('sub', join(profiles, 'subdir-link'));
  symlinkSync(join(outside, 'secret.rhai'), join(profiles, 'out.rhai'));
  symlinkSync(join(outside, 'gone.rhai'), join(profiles, 'dangling.rhai'));
  symlinkSync('../token', join(profiles, 'token.rhai'));
  symlinkSync('/dev/zero', join(profiles, 'zero.rhai'));
  symlinkSync(outside, join(profiles, 'ext'));
  symlinkSync('../stdlib/user.rhai', join(profiles, 'to-stdlib.rhai'));
  execFileSync('mkfifo', [join(profiles, 'pipe.rhai')]);
  writeFileSync(join(profiles, 'big.rhai'), ' '.repeat(MAX_LOAD_BYTES + 1));
  writeFileSync(join(profiles, 'max.rhai'), ' '.repeat(MAX_LOAD_BYTES - 17) + 'map("A", "VK_B");');
  socket = createServer();
  await new Promise<void>((resolve) => socket.listen(join(profiles, 'sock.rhai'), resolve));
});

after(async () => {
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  rmSync(base, { recursive: true, force: true });
});

function compile(body: string): CompileResult {
  return compileSource(`device_start("*");\n${body}\ndevice_end();\n`, main, { configDir: cfg });
}

/** The compile fails with exactly one E_LOAD_REFUSED; nothing of any secret is in any diagnostic. */
function refused(path: string): string {
  const r = compile(`load("${path}");`);
  assert.equal(r.ok, false, path);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors.map((d) => d.code),
    ['E_LOAD_REFUSED'],
    `${path}: ${errors.map((d) => d.message).join('; ')}`,
  );
  const text = JSON.stringify(r.diagnostics);
  assert.ok(!text.includes(SECRET) && !text.includes('ghp_'), `${path}: ${text}`);
  assert.equal(r.loaded.length, 0);
  return errors[0].message;
}

describe('load() inside the allowed folders', () => {
  test('relative, subfolder, stdlib folders, links within a root, absolute inside, bundled', () => {
    const r = compile(
      [
        'load("lib.rhai");',
        'load("sub/nav.rhai");',
        'load("local.rhai");',
        'load("user.rhai");',
        'load("alias.rhai");',
        'load("subdir-link/nav.rhai");',
        'load("to-stdlib.rhai");',
        `load("${join(profiles, 'lib.rhai')}");`,
        'when_start("MD_00"); load("shift.rhai"); when_end();',
      ].join('\n'),
    );
    assert.ok(r.ok, JSON.stringify(r.diagnostics));
    assert.deepEqual(
      r.loaded.map((l) => l.path),
      [
        join(profiles, 'lib.rhai'),
        join(profiles, 'sub', 'nav.rhai'),
        join(profiles, 'lib2.rhai'),
        join(profiles, 'stdlib', 'local.rhai'),
        join(cfg, 'stdlib', 'user.rhai'),
        join(profiles, 'alias.rhai'),
        join(profiles, 'subdir-link', 'nav.rhai'),
        join(profiles, 'to-stdlib.rhai'),
        '<stdlib>/shift.rhai',
      ],
    );
  });

  test('a file of exactly 1 MiB is read; the stdlib folders are those of the config dir in use', async () => {
    const roots = loadRootsOf(main, cfg);
    assert.deepEqual(roots, [profiles, join(cfg, 'stdlib'), SYSTEM_STDLIB_DIR]);
    const sync = readConfinedSync(join(profiles, 'max.rhai'), roots);
    assert.equal(sync.kind, 'ok');
    assert.equal(sync.kind === 'ok' && Buffer.byteLength(sync.text), MAX_LOAD_BYTES);
    assert.equal((await readConfined(join(profiles, 'max.rhai'), roots)).kind, 'ok');
    assert.ok(compile('load("max.rhai");').ok);
    assert.deepEqual(defaultStdlibDirs({ KEYRX_CONFIG_DIR: '/srv/kx' }), [
      '/srv/kx/stdlib',
      SYSTEM_STDLIB_DIR,
    ]);
    assert.deepEqual(defaultStdlibDirs({ XDG_CONFIG_HOME: '/x' }), ['/x/keyrx/stdlib', SYSTEM_STDLIB_DIR]);
  });

  test('a root that is itself a symbolic link counts as where it points', () => {
    const dotfiles = join(base, 'dotfiles');
    mkdirSync(join(dotfiles, 'keyrx'), { recursive: true });
    writeFileSync(join(dotfiles, 'keyrx', 'lib.rhai'), 'map("A", "VK_B");\n');
    writeFileSync(join(dotfiles, 'private.rhai'), `let x = ${SECRET};\n`);
    symlinkSync('../private.rhai', join(dotfiles, 'keyrx', 'up.rhai'));
    const cfg2 = join(base, 'cfg2');
    mkdirSync(cfg2);
    symlinkSync(join(dotfiles, 'keyrx'), join(cfg2, 'profiles'));
    const run = (body: string): CompileResult =>
      compileSource(`device_start("*"); ${body} device_end();`, join(cfg2, 'profiles', 'm.rhai'), {
        configDir: cfg2,
      });
    assert.ok(run('load("lib.rhai");').ok);
    for (const path of ['up.rhai', '../private.rhai', join(dotfiles, 'private.rhai')]) {
      const r = run(`load("${path}");`);
      assert.equal(r.diagnostics[0]?.code, 'E_LOAD_REFUSED', path);
      assert.ok(!JSON.stringify(r.diagnostics).includes(SECRET));
    }
  });
});

describe('load() refusals', () => {
  test('escapes, absolute paths elsewhere, devices: refused, without the content', () => {
    assert.match(refused('../token'), /'.*\/cfg\/token' is outside the allowed folders/);
    assert.match(refused(join(outside, 'secret.rhai')), /is outside the allowed folders/);
    assert.match(refused('/dev/zero'), /'\/dev\/zero' is outside the allowed folders/);
    assert.match(refused('../../outside/secret.rhai'), /is outside the allowed folders/);
    assert.match(refused('sub/../../token'), /is outside the allowed folders/);
  });

  test('symbolic links out of the root, dangling or not, at any component: the same refusal', () => {
    const link = join(profiles, 'out.rhai');
    const message = refused('out.rhai');
    assert.equal(
      message,
      `load('out.rhai') refused: '${link}' leads outside the allowed folders through a symbolic link`,
    );
    assert.equal(refused('dangling.rhai').replaceAll('dangling', 'out'), message);
    assert.equal(refused('token.rhai').replaceAll('token', 'out'), message);
    assert.match(refused('zero.rhai'), /leads outside the allowed folders through a symbolic link/);
    assert.match(refused('ext/secret.rhai'), /leads outside the allowed folders through a symbolic link/);
    assert.match(refused('ext/none.rhai'), /leads outside the allowed folders through a symbolic link/);
    // the same link, once to an existing file and once to nothing: identical refusals
    const probe = join(profiles, 'probe.rhai');
    symlinkSync(join(outside, 'secret.rhai'), probe);
    const existing = compile('load("probe.rhai");').diagnostics;
    unlinkSync(probe);
    symlinkSync(join(outside, 'does-not-exist.rhai'), probe);
    const missing = compile('load("probe.rhai");').diagnostics;
    unlinkSync(probe);
    assert.deepEqual(missing, existing);
    // and an absolute path outside: the same message whether or not it exists
    const a = refused(join(outside, 'secret.rhai'));
    const b = refused(join(outside, 'absent.rhai'));
    assert.equal(b.replaceAll('absent', 'secret'), a);
  });

  test('FIFOs, sockets, folders and files over 1 MiB are refused, saying what they are', () => {
    assert.match(refused('pipe.rhai'), /is a FIFO \(named pipe\), not a regular file/);
    assert.match(refused('sock.rhai'), /is a socket, not a regular file/);
    assert.match(refused('sub'), /is a folder, not a regular file/);
    assert.match(refused('big.rhai'), /is larger than 1 MiB/);
    const hint = compile('load("pipe.rhai");').diagnostics[0].hint ?? '';
    assert.match(
      hint,
      new RegExp(
        `load\\(\\) reads only from: ${profiles}, ${cfg}/stdlib, ${SYSTEM_STDLIB_DIR}, the bundled stdlib`,
      ),
    );
  });

  test('the token: a profile cannot get it into any message, by any route', () => {
    const routes = [
      '../token',
      join(cfg, 'token'),
      'token.rhai',
      'stdlib/../../token',
      `${profiles}/../token`,
      `${cfg}/stdlib/../token`,
    ];
    for (const path of routes) {
      const r = compile(`load("${path}");`);
      assert.equal(r.ok, false, path);
      assert.ok(!JSON.stringify(r.diagnostics).includes(SECRET), path);
    }
    // caught by the script and printed: still no content
    const caught = compile('try { load("../token"); } catch (e) { print(e); }');
    assert.ok(!JSON.stringify([caught.output, caught.diagnostics]).includes(SECRET));
  });

  test('nothing outside the roots is looked at: not the secret, not /dev/zero, not where links point', () => {
    const touched: string[] = [];
    const names = [
      'lstatSync',
      'statSync',
      'openSync',
      'readlinkSync',
      'realpathSync',
      'readFileSync',
    ] as const;
    for (const name of names) {
      const original = fs[name] as (...args: unknown[]) => unknown;
      mock.method(fs, name, (...args: unknown[]) => {
        touched.push(String(args[0]));
        return original(...args);
      });
    }
    syncBuiltinESMExports();
    try {
      for (const path of [
        '../token',
        join(outside, 'secret.rhai'),
        '/dev/zero',
        'out.rhai',
        'dangling.rhai',
        'zero.rhai',
        'ext/secret.rhai',
        'token.rhai',
      ])
        refused(path);
    } finally {
      mock.restoreAll();
      syncBuiltinESMExports();
    }
    assert.ok(touched.length > 0, 'the mock saw the reads');
    const roots = loadRootsOf(main, cfg);
    for (const p of touched) {
      if (/^\d+$/.test(p) || p.startsWith('/proc/self/fd/')) continue;
      const ok = roots.some((r) => isWithin(p, r) || isWithin(r, p));
      assert.ok(ok, `looked at ${p}`);
    }
    assert.ok(
      !touched.some((p) => p.startsWith(outside) || p === join(cfg, 'token') || p.startsWith('/dev')),
    );
  });
});

describe('the asynchronous reader (cache checks)', () => {
  test(
    'same policy, and readLoadedInput only ever returns in-root regular files',
    { timeout: 120_000 },
    async () => {
      const roots = loadRootsOf(main, cfg);
      const ok = await readConfined(join(profiles, 'lib.rhai'), roots);
      assert.deepEqual(ok.kind === 'ok' && ok.text, 'map("A", "VK_B");\n');
      const kinds = await Promise.all(
        ['pipe.rhai', 'sock.rhai', 'out.rhai', 'dangling.rhai', 'zero.rhai', 'big.rhai', 'sub'].map(
          async (f) => {
            const r = await readConfined(join(profiles, f), roots);
            return r.kind === 'refused' ? r.reason : r.kind;
          },
        ),
      );
      for (const k of kinds) assert.match(k, /refused|not a regular file|leads outside|larger than/);
      assert.deepEqual((await readConfined(join(profiles, 'none.rhai'), roots)).kind, 'missing');
      assert.equal((await readConfined(join(cfg, 'token'), roots)).kind, 'refused');
      assert.equal(await readLoadedInput(join(profiles, 'lib.rhai'), main, cfg), 'map("A", "VK_B");\n');
      for (const p of [
        join(cfg, 'token'),
        '/dev/zero',
        join(profiles, 'pipe.rhai'),
        join(profiles, 'out.rhai'),
      ])
        assert.equal(await readLoadedInput(p, main, cfg), undefined, p);
    },
  );
});
