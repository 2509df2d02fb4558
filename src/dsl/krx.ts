/**
 * `.krx`: the compiled-profile cache. Layout (little-endian):
 *
 *   0   magic "KRXT"                      4 bytes
 *   4   format version (1)               u16
 *   6   flags (0)                        u16
 *   8   compiler version, ASCII, NUL-padded 16 bytes
 *   24  SHA-256 of the profile source    32 bytes
 *   56  SHA-256 of the payload           32 bytes
 *   88  payload length                   u32
 *   92  payload: the config model as UTF-8 JSON, keys in a fixed order
 *
 * The same source always gives the same bytes (no timestamps). Loading checks every field
 * and returns a clean error for anything truncated, corrupted, stale or foreign; the
 * daemon then recompiles from source.
 */
import type { Config } from '../core/index.ts';
// the modules, not the core's index: the daemon's early start decodes the cache before anything else loads
import { ConfigError, validateConfig } from '../core/config.ts';
import { plural } from '../core/plural.ts';
import { sha256, toHex } from './sha256.ts';
import { COMPILER_VERSION } from './version.ts';

export const KRX_MAGIC = 'KRXT';
export const KRX_FORMAT_VERSION = 1;
export const KRX_HEADER_SIZE = 92;
/** Largest payload accepted (the source limit is 1 MB; compiled JSON stays well below this). */
export const KRX_MAX_PAYLOAD = 16 * 1024 * 1024;

export type Hasher = (bytes: Uint8Array) => Uint8Array;

export class KrxError extends Error {
  readonly reason:
    'truncated' | 'magic' | 'foreign' | 'version' | 'compiler' | 'length' | 'hash' | 'payload' | 'stale';
  constructor(reason: KrxError['reason'], message: string) {
    super(message);
    this.name = 'KrxError';
    this.reason = reason;
  }
}

export interface KrxContents {
  config: Config;
  /** hex SHA-256 of the source the cache was compiled from */
  sourceHash: string;
  compilerVersion: string;
  payloadHash: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Serialises the config with a fixed key order, so equal configs give equal bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function encodeKrx(config: Config, sourceHashHex: string, opts: { hash?: Hasher } = {}): Uint8Array {
  const hash = opts.hash ?? sha256;
  if (!/^[0-9a-f]{64}$/.test(sourceHashHex)) throw new Error('source hash must be 64 hex digits');
  const payload = encoder.encode(canonicalJson(config));
  const out = new Uint8Array(KRX_HEADER_SIZE + payload.length);
  const view = new DataView(out.buffer);
  out.set(encoder.encode(KRX_MAGIC), 0);
  view.setUint16(4, KRX_FORMAT_VERSION, true);
  view.setUint16(6, 0, true);
  out.set(encoder.encode(COMPILER_VERSION.slice(0, 16)), 8);
  for (let i = 0; i < 32; i++) out[24 + i] = parseInt(sourceHashHex.slice(i * 2, i * 2 + 2), 16);
  out.set(hash(payload), 56);
  view.setUint32(88, payload.length, true);
  out.set(payload, KRX_HEADER_SIZE);
  return out;
}

function ascii(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    if (b === 0) break;
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '?';
  }
  return s;
}

/**
 * Reads and verifies a cache. `expectSourceHash` (hex) rejects a cache of another source
 * version; `allowOtherCompiler` accepts caches written by other compiler versions.
 */
export function decodeKrx(
  bytes: Uint8Array,
  opts: { expectSourceHash?: string; hash?: Hasher; allowOtherCompiler?: boolean } = {},
): KrxContents {
  const hash = opts.hash ?? sha256;
  if (bytes.length >= 4 && bytes[0] === 0x4b && bytes[1] === 0x52 && bytes[2] === 0x58 && bytes[3] === 0x0a)
    throw new KrxError(
      'foreign',
      'this is a KeyRx (Rust) .krx file, not a keyrx cache: compile the .rhai source instead',
    );
  if (bytes.length < KRX_HEADER_SIZE)
    throw new KrxError(
      'truncated',
      `truncated .krx file: ${plural(bytes.length, 'byte')}, the header alone is ${KRX_HEADER_SIZE}`,
    );
  if (ascii(bytes.subarray(0, 4)) !== KRX_MAGIC)
    throw new KrxError(
      'magic',
      `not a .krx file (magic is '${ascii(bytes.subarray(0, 4))}', expected '${KRX_MAGIC}')`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== KRX_FORMAT_VERSION)
    throw new KrxError(
      'version',
      `unsupported .krx format version ${version} (this keyrx reads version ${KRX_FORMAT_VERSION})`,
    );
  const compilerVersion = ascii(bytes.subarray(8, 24));
  for (let i = 8 + compilerVersion.length; i < 24; i++)
    if (bytes[i] !== 0) throw new KrxError('compiler', 'corrupted .krx header (compiler version field)');
  if (compilerVersion !== COMPILER_VERSION && !opts.allowOtherCompiler)
    throw new KrxError(
      'compiler',
      `.krx was compiled by keyrx ${compilerVersion}, this is ${COMPILER_VERSION}: recompile`,
    );
  const length = view.getUint32(88, true);
  if (length > KRX_MAX_PAYLOAD) throw new KrxError('length', `payload length ${length} exceeds the limit`);
  if (bytes.length !== KRX_HEADER_SIZE + length)
    throw new KrxError(
      bytes.length < KRX_HEADER_SIZE + length ? 'truncated' : 'length',
      `size mismatch: header says ${length} payload bytes, file has ${bytes.length - KRX_HEADER_SIZE}`,
    );
  const sourceHash = toHex(bytes.subarray(24, 56));
  if (opts.expectSourceHash !== undefined && opts.expectSourceHash !== sourceHash)
    throw new KrxError('stale', '.krx is stale: it was compiled from a different version of the source');
  const payload = bytes.subarray(KRX_HEADER_SIZE);
  const payloadHash = toHex(hash(payload));
  if (payloadHash !== toHex(bytes.subarray(56, 88)))
    throw new KrxError('hash', '.krx payload is corrupted (SHA-256 mismatch)');
  let config: Config;
  try {
    config = validateConfig(JSON.parse(decoder.decode(payload)));
  } catch (e) {
    const detail =
      e instanceof ConfigError || e instanceof SyntaxError || e instanceof TypeError ? e.message : String(e);
    throw new KrxError('payload', `.krx payload is not a valid config: ${detail}`);
  }
  return { config, sourceHash, compilerVersion, payloadHash };
}
