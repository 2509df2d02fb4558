/** `keyrx doctor` against fake system trees (no real /dev/input needed). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { formatDoctorReport, LinuxBackendUnavailable, runDoctor } from '../../src/platform/linux/index.ts';
import { parseGroupFile } from '../../src/platform/linux/doctor.ts';

const PROC_DEVICES = `I: Bus=0011 Vendor=0001 Product=0001 Version=ab41
N: Name="AT Translated Set 2 keyboard"
P: Phys=isa0060/serio0/input0
S: Sysfs=/devices/platform/i8042/serio0/input/input0
U: Uniq=
H: Handlers=sysrq kbd leds event0 
B: PROP=0
B: EV=120013
B: KEY=402000002 3803078f800d001 feffffdfffefffff fffffffffffffffe
B: MSC=10
B: LED=7

I: Bus=0003 Vendor=feed Product=0002 Version=0001
N: Name="USB Mouse"
P: Phys=usb-0000:00:14.0-3/input0
S: Sysfs=/devices/virtual/input/input3
U: Uniq=
H: Handlers=mouse0 event2 
B: PROP=0
B: EV=7
B: KEY=70000 0 0 0 0
B: REL=103

I: Bus=0003 Vendor=1d50 Product=6b72 Version=0001
N: Name="keyrx virtual keyboard"
P: Phys=
S: Sysfs=/devices/virtual/input/input5
U: Uniq=
H: Handlers=sysrq kbd event4 
B: PROP=0
B: EV=100003
B: KEY=ffffff0000000000 ffffffffffffffff ffffffffffffffff fffffff0ffffffff ffffffffffffffff ffffffffffffffff ffffffff00000000 0 ffffffffffffffff ffffffffffffffff ffffffffffffffff fffffffffffffffe
`;

function tree(files: Record<string, string>, dirs: string[] = []): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keyrx-doctor-'));
  for (const d of dirs) fs.mkdirSync(path.join(root, d), { recursive: true });
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  }
  return root;
}

const byId = (checks: { id: string; status: string }[]): Record<string, string> =>
  Object.fromEntries(checks.map((c) => [c.id, c.status]));

test('a correctly set up machine: every check passes and the keyboard is listed', async (t) => {
  const rule = fs.readFileSync(new URL('../../packaging/99-keyrx.rules', import.meta.url), 'utf8');
  const root = tree(
    {
      '/proc/sys/kernel/osrelease': '6.1.0-56-amd64\n',
      '/proc/bus/input/devices': PROC_DEVICES,
      '/dev/uinput': '',
      '/dev/input/event0': '',
      '/dev/input/event2': '',
      '/dev/input/event4': '',
      '/etc/group': 'root:x:0:\ninput:x:104:alice\nuinput:x:990:alice\nalice:x:1000:\n',
      '/etc/udev/rules.d/99-keyrx.rules': rule,
    },
    ['/sys/module/uinput', '/sys/module/evdev'],
  );
  t.after(() => fs.rmSync(root, { recursive: true }));
  const report = await runDoctor({
    root,
    uid: 1000,
    gids: [1000, 104, 990],
    userName: 'alice',
    loadFfi: () => {},
  });
  assert.deepEqual(byId(report.checks), {
    platform: 'ok',
    ffi: 'ok',
    'uinput-module': 'ok',
    'uinput-device': 'ok',
    'input-access': 'ok',
    groups: 'ok',
    'udev-rule': 'ok',
    keyboards: 'ok',
  });
  assert.equal(report.ok, true);
  assert.equal(report.kernel, '6.1.0-56-amd64');
  assert.deepEqual(report.user.groups, ['alice', 'input', 'uinput']);
  assert.deepEqual(
    report.keyboards.map((k) => [k.name, k.path, k.readable, k.grabbable]),
    [['AT Translated Set 2 keyboard', '/dev/input/event0', true, true]],
  );
  assert.match(report.keyboards[0].id, /^0001:0001-[0-9a-f]{8}$/);
  const mouse = report.devices.find((d) => d.name === 'USB Mouse');
  assert.ok(mouse && mouse.isPointer && !mouse.grabbable);
  const own = report.devices.find((d) => d.own);
  assert.ok(own && !own.grabbable, 'our own output device is never grabbable');
  const text = formatDoctorReport(report);
  assert.match(text, /\[ok {2}\] udev rule/);
  assert.match(text, /Everything needed is in place/);
});

test('a fresh machine: every failure comes with its fix', async (t) => {
  const root = tree({
    '/proc/sys/kernel/osrelease': '6.1.0-56-cloud-amd64\n',
    '/boot/config-6.1.0-56-cloud-amd64': 'CONFIG_INPUT_EVDEV=y\n# CONFIG_INPUT_UINPUT is not set\n',
    '/proc/bus/input/devices': PROC_DEVICES,
    '/dev/input/event0': '',
    '/etc/group': 'root:x:0:\ninput:x:104:\nbob:x:1000:\n',
  });
  t.after(() => fs.rmSync(root, { recursive: true }));
  const report = await runDoctor({
    root,
    uid: 1000,
    gids: [1000],
    userName: 'bob',
    loadFfi: () => {
      throw new LinuxBackendUnavailable('the koffi FFI module is not installed', 'npm install koffi');
    },
  });
  const checks = Object.fromEntries(report.checks.map((c) => [c.id, c]));
  assert.equal(report.ok, false);
  assert.equal(checks.ffi.status, 'fail');
  assert.match(checks.ffi.fix ?? '', /koffi/);
  assert.equal(checks['uinput-module'].status, 'fail');
  assert.match(checks['uinput-module'].detail, /built without uinput/);
  assert.match(checks['uinput-module'].fix ?? '', /not -cloud/);
  assert.equal(checks['uinput-device'].status, 'fail');
  assert.equal(checks.groups.status, 'fail');
  assert.match(checks.groups.detail, /not in: input, uinput/);
  assert.match(checks.groups.fix ?? '', /groupadd --system uinput/);
  assert.match(checks.groups.fix ?? '', /usermod -aG input,uinput bob/);
  assert.equal(checks['udev-rule'].status, 'fail');
  assert.match(checks['udev-rule'].fix ?? '', /99-keyrx\.rules/);
  const text = formatDoctorReport(report);
  assert.match(text, /\[FAIL\] uinput kernel module/);
  assert.match(text, /sudo usermod -aG input,uinput bob/);
  assert.match(text, /Fix the FAIL items/);
});

test('a module that is loadable but not loaded gets the modprobe fix; group added but not in this session', async (t) => {
  const root = tree({
    '/proc/sys/kernel/osrelease': '6.1.0-56-amd64\n',
    '/boot/config-6.1.0-56-amd64': 'CONFIG_INPUT_UINPUT=m\n',
    '/etc/group': 'input:x:104:carol\nuinput:x:990:carol\n',
  });
  t.after(() => fs.rmSync(root, { recursive: true }));
  const report = await runDoctor({ root, uid: 1000, gids: [1000], userName: 'carol', loadFfi: () => {} });
  const checks = Object.fromEntries(report.checks.map((c) => [c.id, c]));
  assert.match(checks['uinput-module'].fix ?? '', /modprobe uinput/);
  assert.match(checks['uinput-module'].fix ?? '', /modules-load\.d/);
  assert.match(checks.groups.detail, /this session predates it/);
  assert.match(checks.groups.fix ?? '', /log out and back in/);
  assert.doesNotMatch(checks.groups.fix ?? '', /usermod/);
  assert.equal(checks.keyboards.status, 'skip', 'no /proc/bus/input/devices');
  assert.equal(checks['input-access'].status, 'fail');
  assert.match(checks['input-access'].fix ?? '', /modprobe evdev/);
});

test('root needs no groups; /etc/group parsing', async (t) => {
  const root = tree({ '/dev/uinput': '', '/etc/group': '' }, ['/sys/module/uinput']);
  t.after(() => fs.rmSync(root, { recursive: true }));
  const report = await runDoctor({ root, uid: 0, gids: [0], userName: 'root', loadFfi: () => {} });
  const checks = Object.fromEntries(report.checks.map((c) => [c.id, c]));
  assert.equal(checks.groups.status, 'ok');
  assert.equal(
    checks['udev-rule'].status,
    'warn',
    'root works without the rule, but a user service needs it',
  );
  assert.deepEqual(parseGroupFile('# comment\ninput:x:104:a,b\nbad line\nuinput:x:990:\n'), [
    { name: 'input', gid: 104, members: ['a', 'b'] },
    { name: 'uinput', gid: 990, members: [] },
  ]);
});
