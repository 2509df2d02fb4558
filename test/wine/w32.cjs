// Win32 through koffi for the Wine test's helper processes (target.cjs, probe-hook.cjs). They run
// under Windows Node (node.exe in Wine), started by env.ts's wineNode(), which sets KEYRX_KOFFI to
// the koffi package that has the Windows build beside it (test/wine's own node_modules has the
// Linux build only). Koffi 3: pointers and handles are BigInt.
//
// Also here: the command channel both helpers serve. A TCP server on 127.0.0.1 (port 0: the
// system picks one; the helper logs it), one command per line, one JSON reply line per command.
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const koffi = require(process.env.KEYRX_KOFFI || 'koffi');

const user32 = koffi.load('user32.dll');
const kernel32 = koffi.load('kernel32.dll');

const KBDLLHOOKSTRUCT = koffi.struct('KBDLLHOOKSTRUCT', {
  vkCode: 'uint32_t',
  scanCode: 'uint32_t',
  flags: 'uint32_t',
  time: 'uint32_t',
  dwExtraInfo: 'uintptr_t',
});
const KEYBDINPUT = koffi.struct('KEYBDINPUT', {
  wVk: 'uint16_t',
  wScan: 'uint16_t',
  dwFlags: 'uint32_t',
  time: 'uint32_t',
  dwExtraInfo: 'uintptr_t',
});
// INPUT on x64 is 40 bytes: type (4) + padding (4) + the union (32: MOUSEINPUT is the largest)
const INPUT = koffi.struct('INPUT', { type: 'uint32_t', ki: KEYBDINPUT, _pad: 'uint64_t' });
const POINT = koffi.struct('POINT', { x: 'int32_t', y: 'int32_t' });
// MSG and WNDCLASSEXW are used by name in the declarations below
koffi.struct('MSG', {
  hwnd: 'void *',
  message: 'uint32_t',
  wParam: 'uintptr_t',
  lParam: 'intptr_t',
  time: 'uint32_t',
  pt: POINT,
  lPrivate: 'uint32_t',
});
const HOOKPROC = koffi.proto('intptr_t __stdcall HOOKPROC(int nCode, uintptr_t wParam, void *lParam)');
const WNDPROC = koffi.proto(
  'intptr_t __stdcall WNDPROC(void *hwnd, uint32_t msg, uintptr_t wParam, intptr_t lParam)',
);
koffi.struct('WNDCLASSEXW', {
  cbSize: 'uint32_t',
  style: 'uint32_t',
  lpfnWndProc: 'WNDPROC *',
  cbClsExtra: 'int',
  cbWndExtra: 'int',
  hInstance: 'void *',
  hIcon: 'void *',
  hCursor: 'void *',
  hbrBackground: 'void *',
  lpszMenuName: 'const char16_t *',
  lpszClassName: 'const char16_t *',
  hIconSm: 'void *',
});

const f = {
  GetModuleHandleW: kernel32.func('void * __stdcall GetModuleHandleW(const char16_t *name)'),
  GetLastError: kernel32.func('uint32_t __stdcall GetLastError()'),
  QueryPerformanceCounter: kernel32.func('bool __stdcall QueryPerformanceCounter(_Out_ int64_t *c)'),
  QueryPerformanceFrequency: kernel32.func('bool __stdcall QueryPerformanceFrequency(_Out_ int64_t *c)'),
  SetWindowsHookExW: user32.func(
    'void * __stdcall SetWindowsHookExW(int idHook, HOOKPROC *fn, void *hmod, uint32_t tid)',
  ),
  UnhookWindowsHookEx: user32.func('bool __stdcall UnhookWindowsHookEx(void *hhk)'),
  CallNextHookEx: user32.func(
    'intptr_t __stdcall CallNextHookEx(void *hhk, int nCode, uintptr_t wParam, void *lParam)',
  ),
  SendInput: user32.func('uint32_t __stdcall SendInput(uint32_t n, INPUT *inputs, int cb)'),
  PeekMessageW: user32.func(
    'bool __stdcall PeekMessageW(_Out_ MSG *msg, void *hwnd, uint32_t min, uint32_t max, uint32_t remove)',
  ),
  TranslateMessage: user32.func('bool __stdcall TranslateMessage(const MSG *msg)'),
  DispatchMessageW: user32.func('intptr_t __stdcall DispatchMessageW(const MSG *msg)'),
  RegisterClassExW: user32.func('uint16_t __stdcall RegisterClassExW(const WNDCLASSEXW *wc)'),
  CreateWindowExW: user32.func(
    'void * __stdcall CreateWindowExW(uint32_t ex, const char16_t *cls, const char16_t *name, uint32_t style, int x, int y, int w, int h, void *parent, void *menu, void *inst, void *param)',
  ),
  DefWindowProcW: user32.func(
    'intptr_t __stdcall DefWindowProcW(void *hwnd, uint32_t msg, uintptr_t wParam, intptr_t lParam)',
  ),
  DestroyWindow: user32.func('bool __stdcall DestroyWindow(void *hwnd)'),
  ShowWindow: user32.func('bool __stdcall ShowWindow(void *hwnd, int cmd)'),
  UpdateWindow: user32.func('bool __stdcall UpdateWindow(void *hwnd)'),
  SetForegroundWindow: user32.func('bool __stdcall SetForegroundWindow(void *hwnd)'),
  GetForegroundWindow: user32.func('void * __stdcall GetForegroundWindow()'),
  SetActiveWindow: user32.func('void * __stdcall SetActiveWindow(void *hwnd)'),
  SetFocus: user32.func('void * __stdcall SetFocus(void *hwnd)'),
  GetFocus: user32.func('void * __stdcall GetFocus()'),
  GetKeyboardLayout: user32.func('uintptr_t __stdcall GetKeyboardLayout(uint32_t tid)'),
  GetKeyboardState: user32.func('bool __stdcall GetKeyboardState(_Out_ uint8_t *state)'),
  GetAsyncKeyState: user32.func('int16_t __stdcall GetAsyncKeyState(int vk)'),
};

const qpf = [0n];
f.QueryPerformanceFrequency(qpf);
/** A monotonic clock in microseconds (for the logs only; no test asserts on it). */
function nowUs() {
  const c = [0n];
  f.QueryPerformanceCounter(c);
  return Math.round((Number(c[0]) * 1e6) / Number(qpf[0]));
}

/** Appends one JSON object per line to `file` (synchronously: a reader sees every line written). */
function jsonLog(file) {
  const fd = fs.openSync(file, 'w');
  return (obj) => fs.writeSync(fd, `${JSON.stringify({ t: nowUs(), ...obj })}\n`);
}

/** Dispatches every queued message of this thread (hooks and window procedures run in here). */
function pump() {
  const msg = {};
  while (f.PeekMessageW(msg, null, 0, 0, 1 /* PM_REMOVE */)) {
    f.TranslateMessage(msg);
    f.DispatchMessageW(msg);
  }
}

/**
 * Pumps messages every `ms` milliseconds on Node's event loop (so the command server runs too) and
 * serves `handlers[command](argument)` → reply object. Calls `ready(port)` once listening.
 */
function serve(handlers, ready, ms = 2) {
  setInterval(pump, ms);
  const server = net.createServer((socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (data) => {
      buffered += data;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        const space = line.indexOf(' ');
        const command = space < 0 ? line : line.slice(0, space);
        const argument = space < 0 ? '' : line.slice(space + 1);
        let reply;
        try {
          pump(); // whatever has arrived is handled before the command
          reply = handlers[command] ? handlers[command](argument) : { error: `unknown command '${command}'` };
        } catch (e) {
          reply = { error: String((e && e.stack) || e) };
        }
        socket.write(`${JSON.stringify(reply)}\n`);
      }
    });
  });
  server.listen(0, '127.0.0.1', () => ready(server.address().port));
  return server;
}

module.exports = {
  koffi,
  f,
  KBDLLHOOKSTRUCT,
  INPUT,
  HOOKPROC,
  WNDPROC,
  nowUs,
  jsonLog,
  pump,
  serve,
};
