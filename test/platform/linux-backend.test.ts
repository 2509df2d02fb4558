/**
 * Host-side tests of the Linux backend's behaviour without input devices: lazy FFI loading,
 * the "unavailable" path the daemon's auto mode relies on, the wake fd and the hotplug watch.
 * The real device paths are tested in a kernel by test/vm/run.sh.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { KeyProcessor } from '../../src/platform/types.ts';
import {
  canUseLinuxBackend,
  closeWakeFd,
  createWakeFd,
  LinuxBackend,
  LinuxBackendUnavailable,
  signalWake,
} from '../../src/platform/linux/index.ts';
import { errnoName, SyscallError } from '../../src/platform/linux/errors.ts';

const require = createRequire(import.meta.url);
const koffiLoaded = (): boolean =>
  Object.keys(require.cache).some((p) => p.includes(`${path.sep}koffi${path.sep}`));
let koffiInstalled = true;
try {
  require.resolve('koffi');
} catch {
  koffiInstalled = false;
}
const needsKoffi = { skip: koffiInstalled ? false : 'koffi is not installed' };

function nullProcessor(errors: string[] = []): KeyProcessor {
  return {
    process: () => [],
    tick: () => [],
    nextDeadline: () => null,
    processed: () => {},
    deviceAdded: () => {},
    deviceRemoved: () => {},
    error: (code) => void errors.push(code),
    isDeviceEnabled: () => true,
  };
}

// Must run first: importing the backend must not load the native module.
test('importing the backend loads no native code', () => {
  assert.equal(koffiLoaded(), false);
  const backend = new LinuxBackend();
  assert.equal(backend.kind, 'linux');
  assert.deepEqual(backend.devices(), []);
  assert.equal(backend.wakeFd, -1);
  assert.equal(backend.outputDevice, null);
  assert.equal(koffiLoaded(), false);
});

test('stop() before start() resolves at once; runLoop() before start() throws', async () => {
  const backend = new LinuxBackend();
  await backend.stop();
  assert.throws(() => backend.runLoop(), /before start/);
});

test('without uinput, start() fails with one LinuxBackendUnavailable carrying a fix', async () => {
  const backend = new LinuxBackend({ uinputPath: '/nonexistent/uinput' });
  await assert.rejects(backend.start(nullProcessor()), (err: unknown) => {
    assert.ok(err instanceof LinuxBackendUnavailable, String(err));
    assert.ok(err.fix.length > 20);
    if (koffiInstalled) {
      assert.match(err.reason, /does not exist/);
      assert.match(err.fix, /modprobe uinput/);
    } else assert.match(err.fix, /koffi/);
    return true;
  });
  // Nothing was left half-started.
  await backend.stop();
  assert.deepEqual(backend.devices(), []);
});

test('canUseLinuxBackend() reports reason and fix', async () => {
  const r = await canUseLinuxBackend({ uinput: '/nonexistent/uinput' });
  assert.equal(r.ok, false);
  assert.ok(r.reason && r.fix, JSON.stringify(r));
  if (koffiInstalled) assert.match(r.fix ?? '', /modprobe uinput/);
});

test('wake fd: an eventfd another thread writes to; the counter adds up', needsKoffi, async () => {
  const fd = createWakeFd();
  try {
    signalWake(fd);
    signalWake(fd);
    const buf = Buffer.alloc(8);
    assert.equal(fs.readSync(fd, buf, 0, 8, null), 8);
    assert.equal(buf.readBigUInt64LE(), 2n);
    // Non-blocking: an empty eventfd answers EAGAIN instead of parking the thread.
    assert.throws(() => fs.readSync(fd, buf, 0, 8, null), { code: 'EAGAIN' });
  } finally {
    closeWakeFd(fd);
  }
});

test('hotplug watch: inotify reports eventN nodes only', needsKoffi, async () => {
  const { InputDirWatch } = await import('../../src/platform/linux/hotplug.ts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyrx-input-'));
  const watch = new InputDirWatch(dir);
  try {
    assert.equal(watch.drain(), false, 'nothing yet');
    fs.writeFileSync(path.join(dir, 'js0'), '');
    fs.mkdirSync(path.join(dir, 'by-id'));
    assert.equal(watch.drain(), false, 'other names are ignored');
    fs.writeFileSync(path.join(dir, 'event12'), '');
    assert.equal(watch.drain(), true, 'a new eventN');
    assert.equal(watch.drain(), false, 'drained');
    fs.chmodSync(path.join(dir, 'event12'), 0o660);
    assert.equal(watch.drain(), true, 'permission change (udev applying the group)');
    fs.unlinkSync(path.join(dir, 'event12'));
    assert.equal(watch.drain(), true, 'removal');
  } finally {
    watch.close();
    fs.rmSync(dir, { recursive: true });
  }
});

test('ioctl failures surface as SyscallError with the errno name', needsKoffi, async () => {
  const { ioctl } = await import('../../src/platform/linux/libc.ts');
  const { EVIOCGRAB } = await import('../../src/platform/linux/constants.ts');
  const fd = fs.openSync('/dev/null', 'r');
  try {
    assert.throws(
      () => ioctl(fd, EVIOCGRAB, 1, 'EVIOCGRAB'),
      (err: unknown) => err instanceof SyscallError && err.code === 'ENOTTY' && /EVIOCGRAB/.test(err.message),
    );
  } finally {
    fs.closeSync(fd);
  }
  assert.equal(errnoName(11), 'EAGAIN');
  assert.equal(errnoName(19), 'ENODEV');
  assert.equal(errnoName(16), 'EBUSY');
});
