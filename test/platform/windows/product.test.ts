/**
 * The Windows product pieces without Windows: the tray's menu and command ids
 * (src/platform/windows/tray.ts), the autostart Run value's reg.exe command lines
 * (autostart.ts, cli/install-windows.ts) and `keyrx doctor`'s verdicts over fake probes
 * (windows/doctor.ts). What these do on Windows itself is tested under Wine (test/wine).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { painter } from '../../../src/cli/color.ts';
import { colorDoctorReport } from '../../../src/cli/doctor.ts';
import { showRegCommand, windowsInstallPlan } from '../../../src/cli/install-windows.ts';
import {
  autostartCommand,
  parseRegQuery,
  regAddArgs,
  regDeleteArgs,
  regQueryArgs,
  RUN_KEY,
} from '../../../src/platform/windows/autostart.ts';
import type { WindowsDoctorProbes } from '../../../src/platform/windows/doctor.ts';
import { formatWindowsDoctorReport, runWindowsDoctor } from '../../../src/platform/windows/doctor.ts';
import { TRAY_COMMANDS, trayActionOf, trayMenu, trayTip } from '../../../src/platform/windows/tray.ts';

describe('tray menu', () => {
  test('every command id maps back to its action; other ids to none', () => {
    for (const [action, id] of Object.entries(TRAY_COMMANDS)) assert.equal(trayActionOf(id), action);
    assert.equal(trayActionOf(0), null);
    assert.equal(trayActionOf(99), null);
    assert.equal(new Set(Object.values(TRAY_COMMANDS)).size, Object.keys(TRAY_COMMANDS).length);
  });

  test('Suspend while remapping, Resume while suspended; the tooltip says which', () => {
    const labels = (s: boolean): string[] => trayMenu(s).map(([, label]) => label);
    assert.deepEqual(labels(false), ['Open UI', 'Reload profile', 'Suspend', '', 'Exit']);
    assert.deepEqual(labels(true), ['Open UI', 'Reload profile', 'Resume', '', 'Exit']);
    assert.equal(trayActionOf(trayMenu(false)[2][0]), 'suspend');
    assert.equal(trayActionOf(trayMenu(true)[2][0]), 'resume');
    assert.notEqual(trayTip(true), trayTip(false));
    assert.match(trayTip(true), /suspended/);
    // NOTIFYICONDATAW.szTip holds 127 characters and a NUL
    for (const s of [true, false]) assert.ok(trayTip(s).length < 128);
  });
});

describe('autostart: the HKCU Run value', () => {
  const node = 'C:\\Program Files\\nodejs\\node.exe';
  const main = 'C:\\Users\\Ann Lee\\AppData\\Roaming\\npm\\node_modules\\keyrx\\dist\\src\\cli\\main.js';
  const command = autostartCommand(node, main);

  test('the command quotes both paths (spaces) and runs the daemon', () => {
    assert.equal(command, `"${node}" "${main}" daemon`);
    assert.throws(() => autostartCommand('C:\\a"b\\node.exe', main), /double quote/);
  });

  test('reg.exe add / query / delete of the value keyrx under Run', () => {
    assert.equal(RUN_KEY, 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run');
    assert.deepEqual(regAddArgs(command), [
      'add',
      RUN_KEY,
      '/v',
      'keyrx',
      '/t',
      'REG_SZ',
      '/d',
      command,
      '/f',
    ]);
    assert.deepEqual(regQueryArgs(), ['query', RUN_KEY, '/v', 'keyrx']);
    assert.deepEqual(regDeleteArgs(), ['delete', RUN_KEY, '/v', 'keyrx', '/f']);
  });

  test('reg query output as Windows and Wine print it', () => {
    const out = `\r\nHKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\r\n    keyrx    REG_SZ    ${command}\r\n\r\n`;
    assert.equal(parseRegQuery(out), command);
    assert.equal(parseRegQuery(out.replace(/\r/g, '')), command);
    assert.equal(parseRegQuery('\nHKEY_CURRENT_USER\\...\\Run\n    other    REG_SZ    x.exe\n'), null);
    assert.equal(parseRegQuery(''), null);
  });

  test('install writes the value when missing or different, and is done when it is there', () => {
    assert.deepEqual(windowsInstallPlan(null, command, false), {
      kind: 'todo',
      detail: `no ${RUN_KEY}\\keyrx`,
      regArgs: regAddArgs(command),
    });
    const stale = windowsInstallPlan('"C:\\old\\node.exe" "C:\\old\\main.js" daemon', command, false);
    assert.equal(stale.kind, 'todo');
    assert.match(stale.detail, /replacing it/);
    assert.equal(windowsInstallPlan(command, command, false).kind, 'done');
  });

  test('uninstall deletes the value when there is one', () => {
    assert.deepEqual(windowsInstallPlan(command, command, true), {
      kind: 'todo',
      detail: `${RUN_KEY}\\keyrx = ${command}`,
      regArgs: regDeleteArgs(),
    });
    assert.equal(windowsInstallPlan(null, command, true).kind, 'done');
  });

  test('the shown command line quotes what cmd.exe needs quoted', () => {
    assert.equal(
      showRegCommand(regAddArgs('"C:\\n.exe" "C:\\m.js" daemon')),
      `reg add ${RUN_KEY} /v keyrx /t REG_SZ /d "\\"C:\\n.exe\\" \\"C:\\m.js\\" daemon" /f`,
    );
  });
});

describe('keyrx doctor on Windows', () => {
  const fake = (over: Partial<WindowsDoctorProbes> = {}): WindowsDoctorProbes => ({
    loadFfi: () => ({ koffiVersion: '3.3.4', wine: false }),
    tryHook: () => undefined,
    elevated: () => false,
    keyboards: () => [
      { name: 'USB Keyboard', instance: 'HID\\VID_046D&PID_C31C&MI_00\\7&1&0&0000', virtual: false },
      { name: 'Remote Desktop keyboard', instance: 'ROOT\\RDP_KBD\\0000', virtual: true },
    ],
    othersWithAccess: () => [],
    configDir: () => 'C:\\Users\\ann\\AppData\\Roaming\\keyrx',
    exists: () => true,
    autostart: async () => '"C:\\n.exe" "C:\\m.js" daemon',
    userName: () => 'ann',
    release: () => '10.0.19045',
    ...over,
  });
  const statuses = (r: { checks: Array<{ id: string; status: string }> }): Record<string, string> =>
    Object.fromEntries(r.checks.map((c) => [c.id, c.status]));

  test('all in place, not elevated: ok, with a warning that explains UIPI', async () => {
    const r = await runWindowsDoctor(fake());
    assert.equal(r.ok, true);
    assert.deepEqual(statuses(r), {
      ffi: 'ok',
      hook: 'ok',
      elevation: 'warn',
      keyboards: 'ok',
      'config-dir': 'ok',
      token: 'ok',
      autostart: 'ok',
    });
    assert.match(r.checks.find((c) => c.id === 'elevation')!.detail, /elevated window/);
    const text = formatWindowsDoctorReport(r);
    assert.match(text, /^keyrx doctor: Windows 10\.0\.19045, user ann/);
    assert.match(text, /\[ok {2}\] keyboard hook/);
    assert.match(text, /Everything needed is in place\./);
    // the physical keyboards are listed, Remote Desktop's is not
    assert.match(
      text,
      /keyboards \(Raw Input\): USB Keyboard \(HID\\VID_046D&PID_C31C&MI_00\\7&1&0&0000\)\n/,
    );
    assert.match(text, /API token file: .*readable by its owner only/);
    // the CLI colours these lines like Linux's
    const colored = colorDoctorReport(text, painter(true));
    assert.ok(colored.includes('[\x1b[32mok\x1b[0m  ] keyboard hook'), colored);
  });

  test('the hook refused: FAIL with a fix; koffi missing: FAIL, and the hook is skipped', async () => {
    const refused = await runWindowsDoctor(
      fake({
        tryHook: () => {
          throw new Error('SetWindowsHookExW failed (error 5)');
        },
      }),
    );
    assert.equal(refused.ok, false);
    assert.equal(statuses(refused).hook, 'fail');
    assert.match(formatWindowsDoctorReport(refused), /error 5\)\n {9}security software/);

    const noFfi = await runWindowsDoctor(
      fake({
        loadFfi: () => {
          throw new Error('the koffi module did not load');
        },
      }),
    );
    assert.equal(noFfi.ok, false);
    assert.deepEqual(
      [statuses(noFfi).ffi, statuses(noFfi).hook, statuses(noFfi).elevation],
      ['fail', 'skip', 'skip'],
    );
  });

  test('elevated, no config dir or token yet, no autostart: warnings only', async () => {
    const r = await runWindowsDoctor(
      fake({ elevated: () => true, exists: () => false, autostart: async () => null }),
    );
    assert.equal(r.ok, true);
    assert.deepEqual(r.user, { name: 'ann', elevated: true });
    const s = statuses(r);
    assert.deepEqual([s.elevation, s['config-dir'], s.token, s.autostart], ['ok', 'warn', 'warn', 'warn']);
    assert.match(formatWindowsDoctorReport(r), /keyrx install --autostart/);
  });

  test('a token file others may read: FAIL (they could drive the API); an unreadable ACL or no keyboard: warnings', async () => {
    const open = await runWindowsDoctor(fake({ othersWithAccess: () => ['BU', 'S-1-1-0'] }));
    assert.equal(open.ok, false);
    assert.equal(statuses(open).token, 'fail');
    assert.match(
      formatWindowsDoctorReport(open),
      /readable by BU, S-1-1-0: they could drive the API.*\n {9}restart the daemon/,
    );

    const unknown = await runWindowsDoctor(
      fake({
        othersWithAccess: () => {
          throw new Error('GetFileSecurityW failed (error 50)');
        },
        keyboards: () => [],
      }),
    );
    assert.equal(unknown.ok, true);
    assert.deepEqual([statuses(unknown).token, statuses(unknown).keyboards], ['warn', 'warn']);
    assert.match(formatWindowsDoctorReport(unknown), /error 50/);

    const noRaw = await runWindowsDoctor(
      fake({
        keyboards: () => {
          throw new Error('RegisterRawInputDevices failed (error 87)');
        },
      }),
    );
    assert.equal(statuses(noRaw).keyboards, 'warn');
    assert.match(formatWindowsDoctorReport(noRaw), /every key counts as one keyboard/);
  });
});
