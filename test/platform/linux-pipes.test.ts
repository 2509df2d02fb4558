/**
 * The LinuxBackend pipe seam (options.pipes): the real input loop — ppoll, non-blocking reads
 * until EAGAIN, the processor, one write per report — on a host without /dev/uinput, with pipes
 * for the keyboard and the output device. bench/pipeline.bench.ts measures latency through it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import type { OutputEvent } from '../../src/core/index.ts';
import type { DeviceDescriptor, KeyInput, KeyProcessor } from '../../src/platform/types.ts';
import { monotonicUs } from '../../src/platform/types.ts';
import { LinuxBackend } from '../../src/platform/linux/index.ts';

const require = createRequire(import.meta.url);
let koffiInstalled = true;
try {
  require.resolve('koffi');
} catch {
  koffiInstalled = false;
}
const needsKoffi = { skip: koffiInstalled ? false : 'koffi is not installed' };

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const EV_SYN = 0;
const EV_KEY = 1;
const KEY_A = 30;
const KEY_B = 48;

/** pipe2(O_NONBLOCK | O_CLOEXEC) through koffi: [read end, write end] */
function pipe(): [number, number] {
  type Koffi = {
    load: (p: null) => { func: (n: string, r: string, a: string[]) => (...x: unknown[]) => number };
  };
  const koffi = require('koffi') as Koffi;
  const fds = Buffer.alloc(8);
  const r = koffi.load(null).func('pipe2', 'int', ['void *', 'int'])(fds, O_NONBLOCK | O_CLOEXEC);
  assert.equal(r, 0, 'pipe2');
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}

function record(type: number, code: number, value: number, timeUs: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigInt64LE(BigInt(Math.floor(timeUs / 1e6)), 0);
  b.writeBigInt64LE(BigInt(timeUs % 1e6), 8);
  b.writeUInt16LE(type, 16);
  b.writeUInt16LE(code, 18);
  b.writeInt32LE(value, 20);
  return b;
}

function readAll(fd: number): { type: number; code: number; value: number }[] {
  const out: { type: number; code: number; value: number }[] = [];
  const buf = Buffer.alloc(24 * 64);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return out;
      throw err;
    }
    if (n === 0) return out;
    for (let off = 0; off + 24 <= n; off += 24)
      out.push({
        type: buf.readUInt16LE(off + 16),
        code: buf.readUInt16LE(off + 18),
        value: buf.readInt32LE(off + 20),
      });
  }
}

/** A → B, everything else passes through; stops the backend when `stopWhen` says so. */
function remapper(
  backend: () => LinuxBackend,
  seen: { inputs: KeyInput[]; latencies: number[]; added: DeviceDescriptor[]; removed: string[] },
  stopWhen: (inputs: KeyInput[], removed: string[]) => boolean,
): KeyProcessor {
  const maybeStop = (): void => {
    if (stopWhen(seen.inputs, seen.removed)) void backend().stop();
  };
  return {
    process: (input): OutputEvent[] => {
      seen.inputs.push(input);
      return [{ key: input.key === KEY_A ? KEY_B : input.key, action: input.action, timeUs: input.timeUs }];
    },
    tick: () => [],
    nextDeadline: () => null,
    processed: (input, _outputs, writtenAtUs) => {
      seen.latencies.push(writtenAtUs - input.timeUs);
      maybeStop();
    },
    deviceAdded: (d) => void seen.added.push(d),
    deviceRemoved: (id) => {
      seen.removed.push(id);
      maybeStop();
    },
    error: (code, message) => assert.fail(`unexpected backend error ${code}: ${message}`),
    isDeviceEnabled: () => true,
  };
}

test('pipes: events go through ppoll, the processor and one output report each', needsKoffi, async () => {
  const [inRead, inWrite] = pipe();
  const [outRead, outWrite] = pipe();
  const seen = {
    inputs: [] as KeyInput[],
    latencies: [] as number[],
    added: [] as DeviceDescriptor[],
    removed: [] as string[],
  };
  const backend = new LinuxBackend({
    pipes: { devices: [{ fd: inRead, name: 'pipe keyboard', vendor: 0xfeed, product: 2 }], output: outWrite },
  });
  await backend.start(
    remapper(
      () => backend,
      seen,
      (inputs) => inputs.length === 3,
    ),
  );
  try {
    assert.equal(seen.added.length, 1);
    const d = seen.added[0];
    assert.equal(d.name, 'pipe keyboard');
    assert.match(d.id, /^feed:0002-[0-9a-f]{8}$/);
    assert.ok(d.grabbed && d.isKeyboard && !d.isPointer, JSON.stringify(d));
    assert.deepEqual(
      backend.devices().map((x) => x.id),
      [d.id],
    );
    const t = monotonicUs();
    fs.writeSync(
      inWrite,
      Buffer.concat([
        record(EV_KEY, KEY_A, 1, t),
        record(EV_SYN, 0, 0, t),
        record(EV_KEY, KEY_A, 2, t + 1), // a repeat: processed, not written (the output repeats by itself)
        record(EV_SYN, 0, 0, t + 1),
        record(EV_KEY, KEY_A, 0, t + 2),
        record(EV_SYN, 0, 0, t + 2),
      ]),
    );
    assert.equal(backend.runLoop(), 'stopped');
    assert.deepEqual(
      seen.inputs.map((i) => `${i.key}:${i.action}`),
      [`${KEY_A}:press`, `${KEY_A}:repeat`, `${KEY_A}:release`],
    );
    assert.equal(seen.inputs[0].timeUs, t, 'the record time is the event time');
    assert.equal(seen.inputs[0].device, d.id);
    for (const l of seen.latencies) assert.ok(l >= 0 && l < 5_000_000, `latency ${l}`);
    assert.deepEqual(readAll(outRead), [
      { type: EV_KEY, code: KEY_B, value: 1 },
      { type: EV_SYN, code: 0, value: 0 },
      { type: EV_KEY, code: KEY_B, value: 0 },
      { type: EV_SYN, code: 0, value: 0 },
    ]);
    // stop() closed the backend's ends: the output reader sees EOF, the input writer EPIPE.
    assert.deepEqual(readAll(outRead), []);
    assert.equal(fs.readSync(outRead, Buffer.alloc(24), 0, 24, null), 0);
    assert.throws(() => fs.writeSync(inWrite, record(EV_KEY, KEY_A, 1, t)), { code: 'EPIPE' });
  } finally {
    await backend.stop();
    fs.closeSync(inWrite);
    fs.closeSync(outRead);
  }
});

test(
  'pipes: a writer that closes is an unplug; keys it held are released on the output',
  needsKoffi,
  async () => {
    const [inRead, inWrite] = pipe();
    const [outRead, outWrite] = pipe();
    const seen = {
      inputs: [] as KeyInput[],
      latencies: [] as number[],
      added: [] as DeviceDescriptor[],
      removed: [] as string[],
    };
    const backend = new LinuxBackend({
      pipes: { devices: [{ fd: inRead, name: 'unplugged' }], output: outWrite },
    });
    await backend.start(
      remapper(
        () => backend,
        seen,
        (_inputs, removed) => removed.length === 1,
      ),
    );
    try {
      const t = monotonicUs();
      fs.writeSync(inWrite, Buffer.concat([record(EV_KEY, KEY_A, 1, t), record(EV_SYN, 0, 0, t)]));
      fs.closeSync(inWrite);
      assert.equal(backend.runLoop(), 'stopped');
      assert.deepEqual(seen.removed, [seen.added[0].id]);
      assert.deepEqual(
        readAll(outRead).filter((e) => e.type === EV_KEY),
        [
          { type: EV_KEY, code: KEY_B, value: 1 },
          { type: EV_KEY, code: KEY_B, value: 0 },
        ],
      );
      assert.deepEqual(backend.devices(), []);
    } finally {
      await backend.stop();
      fs.closeSync(outRead);
    }
  },
);
