import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Config } from '../../src/core/index.ts';
import { decodeKrx, encodeKrx, KRX_HEADER_SIZE, KrxError } from '../../src/dsl/krx.ts';
import { sha256, sha256Hex, toHex } from '../../src/dsl/sha256.ts';
import { COMPILER_VERSION } from '../../src/dsl/version.ts';

const config: Config = {
  version: 1,
  devices: [
    {
      pattern: '*',
      mappings: [
        { kind: 'tapHold', from: 'CapsLock', tap: 'Escape', hold: 0, thresholdMs: 200 },
        {
          kind: 'conditional',
          condition: { kind: 'modifier', id: 0 },
          mappings: [{ kind: 'simple', from: 'H', to: 'Left' }],
        },
      ],
    },
  ],
  metadata: { compilerVersion: COMPILER_VERSION, sourceHash: sha256Hex('src') },
};
const sourceHash = sha256Hex('device_start("*"); device_end();');
const good = encodeKrx(config, sourceHash);

test('sha256 matches node:crypto', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_000]) {
    const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
    assert.equal(toHex(sha256(data)), createHash('sha256').update(data).digest('hex'), `length ${n}`);
  }
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('round trip, deterministic bytes, header fields', () => {
  const decoded = decodeKrx(good, { expectSourceHash: sourceHash });
  assert.deepEqual(decoded.config, config);
  assert.equal(decoded.sourceHash, sourceHash);
  assert.equal(decoded.compilerVersion, COMPILER_VERSION);
  assert.deepEqual(encodeKrx(structuredClone(config), sourceHash), good);
  assert.equal(new TextDecoder().decode(good.subarray(0, 4)), 'KRXT');
  // an injected hasher (the daemon uses node:crypto) gives the same bytes
  const nodeHash = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest();
  assert.deepEqual(encodeKrx(config, sourceHash, { hash: nodeHash }), good);
});

test('the compiler version constant follows package.json', () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
    version: string;
  };
  assert.equal(COMPILER_VERSION, pkg.version);
});

function rejects(bytes: Uint8Array, reason: KrxError['reason'], message: RegExp, opts = {}): void {
  assert.throws(
    () => decodeKrx(bytes, opts),
    (e: unknown) => e instanceof KrxError && e.reason === reason && message.test(e.message),
  );
}

test('every kind of damage gets a clear error', () => {
  rejects(good.subarray(0, 10), 'truncated', /truncated \.krx file: 10 bytes/);
  rejects(good.subarray(0, good.length - 1), 'truncated', /size mismatch/);
  rejects(new Uint8Array([...good, 0]), 'length', /size mismatch/);
  const badMagic = good.slice();
  badMagic[0] = 0x41;
  rejects(badMagic, 'magic', /not a \.krx file/);
  const keyrxRust = new Uint8Array(200);
  keyrxRust.set([0x4b, 0x52, 0x58, 0x0a, 1, 0, 0, 0]);
  rejects(keyrxRust, 'foreign', /KeyRx \(Rust\) \.krx file/);
  const version = good.slice();
  version[4] = 9;
  rejects(version, 'version', /format version 9/);
  const compiler = good.slice();
  compiler[8] = '9'.charCodeAt(0);
  rejects(compiler, 'compiler', /compiled by keyrx 9/);
  assert.equal(decodeKrx(compiler, { allowOtherCompiler: true }).config.devices.length, 1);
  const payload = good.slice();
  payload[KRX_HEADER_SIZE + 5] ^= 0x20;
  rejects(payload, 'hash', /corrupted/);
  rejects(good, 'stale', /stale/, { expectSourceHash: sha256Hex('other source') });
  // a payload with a correct hash but an invalid config
  const invalid = encodeKrx({ version: 1, devices: [] }, sourceHash);
  const text = new TextEncoder().encode('{"devices":5}');
  const forged = new Uint8Array(KRX_HEADER_SIZE + text.length);
  forged.set(invalid.subarray(0, KRX_HEADER_SIZE));
  forged.set(text, KRX_HEADER_SIZE);
  new DataView(forged.buffer).setUint32(88, text.length, true);
  forged.set(sha256(text), 56);
  rejects(forged, 'payload', /not a valid config: config\.devices: must be an array/);
});

function valueOrCleanError(bytes: Uint8Array, opts = {}): void {
  try {
    const r = decodeKrx(bytes, opts);
    assert.ok(Array.isArray(r.config.devices));
  } catch (e) {
    assert.ok(e instanceof KrxError, `unclean error: ${String(e)}`);
  }
}

test('fuzz: random bytes only ever give a value or a KrxError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => valueOrCleanError(bytes)),
    { numRuns: 3000 },
  );
  // random bytes behind a valid-looking header reach the JSON and config checks
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
      const bytes = new Uint8Array(KRX_HEADER_SIZE + tail.length);
      bytes.set(good.subarray(0, KRX_HEADER_SIZE));
      bytes.set(tail, KRX_HEADER_SIZE);
      new DataView(bytes.buffer).setUint32(88, tail.length, true);
      bytes.set(sha256(tail), 56);
      valueOrCleanError(bytes);
    }),
    { numRuns: 2000 },
  );
});

test('fuzz: every single bit flip and truncation of a valid file is caught or harmless', () => {
  for (let i = 0; i < good.length; i++)
    for (let bit = 0; bit < 8; bit++) {
      const bytes = good.slice();
      bytes[i] ^= 1 << bit;
      if (i >= 24 && i < 56) {
        // the source hash: harmless alone, stale when the caller checks it
        rejects(bytes, 'stale', /stale/, { expectSourceHash: sourceHash });
      } else if (i >= 6 && i < 8) {
        valueOrCleanError(bytes); // flags are reserved
      } else assert.throws(() => decodeKrx(bytes), KrxError, `flip at byte ${i} bit ${bit} was not detected`);
    }
  for (let n = 0; n < good.length; n++) assert.throws(() => decodeKrx(good.subarray(0, n)), KrxError);
});
