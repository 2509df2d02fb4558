/**
 * The compile worker service: one compile at a time, a deadline per compile from when it is
 * sent, and an overrun or a crash fails only that compile.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { CompilerService } from '../../src/daemon/compiler.ts';

const dir = mkdtempSync(join(tmpdir(), 'keyrx-compiler-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'profiles', 'p.rhai');
const VALID = 'device_start("*"); map("A", "VK_B"); device_end();';
/** With no operation limit this never ends; only the deadline stops it. */
const ENDLESS = 'let i = 0; loop { i += 1; }';

test(
  'an overrunning compile fails with the timeout; the compiles queued behind it succeed',
  { timeout: 120_000 },
  async () => {
    // the deadline is short, but counts only from dispatch: the valid compiles wait out the
    // endless ones in the queue and still get their full time
    const compiler = new CompilerService({
      configDir: dir,
      // generous for a loaded CI machine: a valid compile on a fresh worker takes ~50 ms idle
      timeoutMs: 4000,
      limits: { maxOperations: Number.MAX_SAFE_INTEGER },
    });
    try {
      const [endless, valid, endless2, valid2] = await Promise.all([
        compiler.compile(ENDLESS, file),
        compiler.compile(VALID, file),
        compiler.compile(ENDLESS, file),
        compiler.compile(VALID, file),
      ]);
      for (const r of [endless, endless2]) {
        assert.equal(r.ok, false);
        assert.deepEqual(
          r.diagnostics.map((d) => [d.code, d.message]),
          [['E_INTERNAL', 'compiling took longer than 4 s and was stopped']],
        );
      }
      for (const r of [valid, valid2]) {
        assert.ok(r.ok, JSON.stringify(r.diagnostics));
        assert.equal(r.config?.devices[0].mappings.length, 1);
      }
      assert.ok((await compiler.compile(VALID, file)).ok);
    } finally {
      await compiler.close();
    }
  },
);

test('a crashed worker fails only the compile it was running', { timeout: 120_000 }, async () => {
  const compiler = new CompilerService({
    configDir: dir,
    limits: { maxOperations: Number.MAX_SAFE_INTEGER },
  });
  try {
    assert.ok((await compiler.compile(VALID, file)).ok); // the worker is up
    const running = compiler.compile(ENDLESS, file);
    const queued = compiler.compile(VALID, file);
    // the worker dies under the endless compile (as on a crash): exit code 1
    const worker = (compiler as unknown as { worker: Worker }).worker;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await worker.terminate();
    const failed = await running;
    assert.equal(failed.ok, false);
    assert.match(failed.diagnostics[0].message, /the compiler (stopped|crashed)/);
    assert.ok((await queued).ok);
  } finally {
    await compiler.close();
  }
});

test(
  'load() in the worker: confined to the profile folder and <configDir>/stdlib',
  { timeout: 120_000 },
  async () => {
    const cfg = mkdtempSync(join(tmpdir(), 'keyrx-compiler-cfg-'));
    after(() => rmSync(cfg, { recursive: true, force: true }));
    mkdirSync(join(cfg, 'profiles'));
    mkdirSync(join(cfg, 'stdlib'));
    writeFileSync(join(cfg, 'stdlib', 'mine.rhai'), 'map("A", "VK_B");');
    writeFileSync(join(cfg, 'token'), 'ghp_FAKEWORKERTOKEN');
    const compiler = new CompilerService({ configDir: cfg });
    try {
      const main = join(cfg, 'profiles', 'x.rhai');
      assert.ok((await compiler.compile('device_start("*"); load("mine.rhai"); device_end();', main)).ok);
      const r = await compiler.compile('load("../token");', main);
      assert.equal(r.diagnostics[0].code, 'E_LOAD_REFUSED');
      assert.ok(!JSON.stringify(r).includes('ghp_'));
    } finally {
      await compiler.close();
    }
  },
);

test('close() fails what waits and later compiles, promptly', { timeout: 60_000 }, async () => {
  const compiler = new CompilerService({
    configDir: dir,
    limits: { maxOperations: Number.MAX_SAFE_INTEGER },
  });
  const running = compiler.compile(ENDLESS, file);
  const queued = compiler.compile(VALID, file);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await compiler.close();
  for (const r of await Promise.all([running, queued, compiler.compile(VALID, file)])) {
    assert.equal(r.ok, false);
    assert.equal(r.diagnostics[0].code, 'E_INTERNAL');
  }
});
