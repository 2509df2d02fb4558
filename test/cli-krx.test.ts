/** `keyrx verify` and `keyrx hash` on .krx files made by `keyrx compile`, intact and damaged. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from './support/daemon-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'keyrx-krx-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const keyrx = (...args: string[]) => runCli(args, { env: { NO_COLOR: '1' } });

test('verify and hash: an intact .krx, its source, a changed source, a damaged payload, a KeyRx file', async () => {
  const source = join(dir, 'work.rhai');
  writeFileSync(
    source,
    'device_start("*");\n  map("A", "VK_B");\n  map("CapsLock", "MD_00");\ndevice_end();\n',
  );
  const krx = join(dir, 'work.krx');
  let r = await keyrx('compile', source, '-o', krx);
  assert.equal(r.code, 0, r.stderr);

  r = await keyrx('verify', krx, '--source', source);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^✓ KRXT format 1, \d+ bytes$/);
  assert.match(lines[1], /^✓ payload SHA-256 [0-9a-f]{64}$/);
  assert.equal(lines[2], '✓ a valid config: 1 device block, 2 mappings, 0 layers');
  assert.match(lines[3], /^✓ compiled by keyrx \d+\.\d+\.\d+$/);
  assert.match(lines[4], /^ {2}source SHA-256 [0-9a-f]{64}$/);
  assert.equal(lines[5], `✓ compiled from ${source} as it is now`);

  r = await keyrx('hash', krx, '--verify');
  assert.equal(r.code, 0, r.stderr);
  const embedded = r.stdout.trim();
  assert.match(embedded, /^[0-9a-f]{64}$/);
  assert.equal(embedded, /payload SHA-256 ([0-9a-f]{64})/.exec(lines[1])![1]);
  assert.equal(r.stderr, 'verified: the payload matches\n');

  // the source changed since: stale
  writeFileSync(source, `${readFileSync(source, 'utf8')}// changed\n`);
  r = await keyrx('verify', krx, '--source', source);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /✗ compiled from another version of .*work\.rhai/);
  assert.match(r.stderr, /work\.krx is stale: recompile/);

  // one payload byte changed: the hash no longer matches, and hash --verify says so
  const bytes = readFileSync(krx);
  bytes[bytes.length - 3] ^= 0x20;
  const damaged = join(dir, 'damaged.krx');
  writeFileSync(damaged, bytes);
  r = await keyrx('verify', damaged);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '✗ .krx payload is corrupted (SHA-256 mismatch)\n');
  assert.match(r.stderr, /damaged\.krx: not a valid \.krx \(hash\)/);
  r = await keyrx('hash', damaged, '--verify');
  assert.equal(r.code, 1);
  assert.equal(r.stdout.trim(), embedded, 'the embedded hash is printed as it is');
  assert.match(r.stderr, /mismatch: the payload's SHA-256 is [0-9a-f]{64}/);
  // a truncated file, and a file of KeyRx (Rust)
  writeFileSync(join(dir, 'short.krx'), bytes.subarray(0, 40));
  r = await keyrx('verify', join(dir, 'short.krx'));
  assert.match(r.stdout, /✗ truncated \.krx file: 40 bytes, the header alone is 92/);
  r = await keyrx('hash', join(dir, 'short.krx'));
  assert.equal(r.code, 1);
  writeFileSync(join(dir, 'rust.krx'), Buffer.concat([Buffer.from('KRX\n'), Buffer.alloc(60)]));
  r = await keyrx('verify', join(dir, 'rust.krx'));
  assert.match(
    r.stdout,
    /✗ this is a KeyRx \(Rust\) \.krx file, not a keyrx cache: compile the \.rhai source instead/,
  );
  r = await keyrx('verify', join(dir, 'missing.krx'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot read '.*missing\.krx'/);
});
