// The Wine test's probe: a minimal low-level keyboard hook that proves the environment before the
// real daemon is tried. Runs under Windows Node.
//
//   wine node.exe probe-hook.cjs <log file>
//
// A physical A (not LLKHF_INJECTED) is swallowed and replaced by B through SendInput, tagged with
// dwExtraInfo = TAG; every other key goes on (CallNextHookEx). Under Wine, SendInput runs the hook
// again for the injected B *inside* the call (NOTES.md gotcha 4): the injected flag, not "am I in
// a callback", tells our own output apart. One JSON line per hook call in <log file>:
//   {"ev":"hook","vk":65,"scan":30,"flags":0,"up":false,"injected":false,"extra":"0x0"}
// and {"ev":"ready","port":P} once the hook is set and the command port is open.
// Commands (see w32.cjs): `stats` (what the hook saw so far), `quit` (unhook and exit).
'use strict';
const { koffi, f, KBDLLHOOKSTRUCT, HOOKPROC, jsonLog, serve } = require('./w32.cjs');

const [logFile] = process.argv.slice(2);
const log = jsonLog(logFile);

const WH_KEYBOARD_LL = 13;
const LLKHF_INJECTED = 0x10;
const LLKHF_UP = 0x80;
const KEYEVENTF_KEYUP = 0x2;
const INPUT_KEYBOARD = 1;
const VK_A = 0x41;
const VK_B = 0x42;
const SCAN_B = 0x30;
/** dwExtraInfo of our SendInput events ("KRP") */
const TAG = 0x4b5250n;

const stats = { physicalA: 0, injectedTagged: 0, injectedOther: 0, sendFailures: 0, other: 0 };
let hhk = null;

function hook(nCode, wParam, lParam) {
  if (nCode < 0) return f.CallNextHookEx(hhk, nCode, wParam, lParam);
  const k = koffi.decode(lParam, KBDLLHOOKSTRUCT);
  const injected = (k.flags & LLKHF_INJECTED) !== 0;
  const up = (k.flags & LLKHF_UP) !== 0;
  const extra = BigInt(k.dwExtraInfo);
  log({
    ev: 'hook',
    vk: k.vkCode,
    scan: k.scanCode,
    flags: k.flags,
    up,
    injected,
    extra: `0x${extra.toString(16)}`,
  });
  if (injected) {
    if (extra === TAG) stats.injectedTagged++;
    else stats.injectedOther++;
  } else if (k.vkCode === VK_A) {
    stats.physicalA++;
    const input = {
      type: INPUT_KEYBOARD,
      ki: { wVk: VK_B, wScan: SCAN_B, dwFlags: up ? KEYEVENTF_KEYUP : 0, time: 0, dwExtraInfo: TAG },
      _pad: 0n,
    };
    if (f.SendInput(1, [input], 40) !== 1) {
      stats.sendFailures++;
      log({ ev: 'error', what: 'SendInput', err: f.GetLastError() });
    }
    return 1n; // swallowed: the application never sees this A
  } else {
    stats.other++;
  }
  return f.CallNextHookEx(hhk, nCode, wParam, lParam);
}

const hookPtr = koffi.register(hook, koffi.pointer(HOOKPROC));
hhk = f.SetWindowsHookExW(WH_KEYBOARD_LL, hookPtr, f.GetModuleHandleW(null), 0);
if (!hhk) {
  log({ ev: 'error', what: 'SetWindowsHookExW', err: f.GetLastError() });
  process.exit(1);
}
serve(
  {
    stats: () => ({ ok: true, ...stats }),
    quit: () => {
      f.UnhookWindowsHookEx(hhk);
      setImmediate(() => process.exit(0));
      return { ok: true };
    },
  },
  (port) => log({ ev: 'ready', port }),
);
