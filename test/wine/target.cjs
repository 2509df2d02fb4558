// The Wine test's target window: what an application receives. Runs under Windows Node.
//
//   wine node.exe target.cjs <log file> [<title>] [<lifetime ms>]
//
// Opens a visible top-level window titled <title> (default keyrx-wine-target), takes the
// foreground and the focus, and writes one JSON line per event to <log file>:
//   {"ev":"ready","port":P,"hwnd":…}               the command port is open (see below)
//   {"ev":"key","type":"down"|"up","sys":bool,"vk":65,"scan":30,"ext":false,"repeat":1,"prev":false}
//                                                  WM_KEYDOWN / WM_KEYUP / WM_SYSKEYDOWN / WM_SYSKEYUP
//                                                  (lParam: repeat count, scan code, extended flag,
//                                                  previous key state)
//   {"ev":"char","code":98,"ch":"b","sys":false}   WM_CHAR / WM_SYSCHAR
//   {"ev":"focus","on":true|false}                 WM_SETFOCUS / WM_KILLFOCUS
//   {"ev":"mark","name":"remap"}                   written on the `mark` command: a test cuts its
//                                                  own events out of the log between marks
// Commands (one per line on 127.0.0.1:P, one JSON reply line each; pending messages are handled
// before every command):
//   mark <name>   write a marker line
//   focus         SetForegroundWindow + SetFocus again; replies whether it has both
//   keys          the virtual keys down: `down` as this window's thread saw them (GetKeyboardState),
//                 `async` as the system sees them (GetAsyncKeyState)
//   tray [<id>]   the daemon's tray window (FindWindowW by its class, KeyrxTrayWindow): its title
//                 (the tray shows its state there, as in the tooltip); with <id>, posts it
//                 WM_COMMAND <id> first, as the tray's popup menu does
//   quit          destroy the window and exit
// It exits by itself after <lifetime ms> (default 30 min), so a lost harness leaves nothing behind.
'use strict';
const { koffi, f, WNDPROC, jsonLog, serve } = require('./w32.cjs');

const [logFile, title = 'keyrx-wine-target', lifetime = '1800000'] = process.argv.slice(2);
const log = jsonLog(logFile);

const WM = {
  SETFOCUS: 0x7,
  KILLFOCUS: 0x8,
  KEYDOWN: 0x100,
  KEYUP: 0x101,
  CHAR: 0x102,
  SYSKEYDOWN: 0x104,
  SYSKEYUP: 0x105,
  SYSCHAR: 0x106,
  DESTROY: 0x2,
};

function keyEvent(msg, wParam, lParam) {
  const lp = Number(BigInt.asUintN(32, BigInt(lParam)));
  return {
    ev: 'key',
    type: msg === WM.KEYDOWN || msg === WM.SYSKEYDOWN ? 'down' : 'up',
    sys: msg === WM.SYSKEYDOWN || msg === WM.SYSKEYUP,
    vk: Number(wParam),
    scan: (lp >>> 16) & 0xff,
    ext: ((lp >>> 24) & 1) === 1,
    repeat: lp & 0xffff,
    prev: ((lp >>> 30) & 1) === 1,
  };
}

function wndproc(hwnd, msg, wParam, lParam) {
  switch (msg) {
    case WM.KEYDOWN:
    case WM.KEYUP:
    case WM.SYSKEYDOWN:
    case WM.SYSKEYUP:
      log(keyEvent(msg, wParam, lParam));
      // the system keys go on to DefWindowProc (Alt+F4 and friends behave as usual)
      break;
    case WM.CHAR:
    case WM.SYSCHAR:
      log({
        ev: 'char',
        code: Number(wParam),
        ch: String.fromCharCode(Number(wParam)),
        sys: msg === WM.SYSCHAR,
      });
      return 0n;
    case WM.SETFOCUS:
    case WM.KILLFOCUS:
      log({ ev: 'focus', on: msg === WM.SETFOCUS });
      break;
    case WM.DESTROY:
      log({ ev: 'destroyed' });
      process.exit(0);
  }
  return f.DefWindowProcW(hwnd, msg, wParam, lParam);
}

const wndprocPtr = koffi.register(wndproc, koffi.pointer(WNDPROC));
const hInstance = f.GetModuleHandleW(null);
const className = 'KeyrxWineTarget';
if (
  !f.RegisterClassExW({
    cbSize: 80,
    style: 0,
    lpfnWndProc: wndprocPtr,
    cbClsExtra: 0,
    cbWndExtra: 0,
    hInstance,
    hIcon: null,
    hCursor: null,
    hbrBackground: 6n, // COLOR_WINDOW + 1
    lpszMenuName: null,
    lpszClassName: className,
    hIconSm: null,
  })
) {
  log({ ev: 'error', what: 'RegisterClassExW', err: f.GetLastError() });
  process.exit(1);
}
const WS_OVERLAPPEDWINDOW_VISIBLE = 0x10cf0000;
const hwnd = f.CreateWindowExW(
  0,
  className,
  title,
  WS_OVERLAPPEDWINDOW_VISIBLE,
  50,
  50,
  480,
  320,
  null,
  null,
  hInstance,
  null,
);
if (!hwnd) {
  log({ ev: 'error', what: 'CreateWindowExW', err: f.GetLastError() });
  process.exit(1);
}
f.ShowWindow(hwnd, 5 /* SW_SHOW */);
f.UpdateWindow(hwnd);

// koffi 3 returns pointers (handles) as BigInt, and NULL as null
const addr = (p) => (p == null ? 0n : BigInt(p));
const same = (a, b) => addr(a) !== 0n && addr(a) === addr(b);

function focus() {
  f.SetForegroundWindow(hwnd);
  f.SetActiveWindow(hwnd);
  f.SetFocus(hwnd);
  return { foreground: same(f.GetForegroundWindow(), hwnd), focus: same(f.GetFocus(), hwnd) };
}

function keysDown() {
  const state = new Uint8Array(256);
  f.GetKeyboardState(state);
  const down = [];
  const async = [];
  // 0x01–0x06 are mouse buttons
  for (let vk = 0x08; vk < 0xff; vk++) {
    if (state[vk] & 0x80) down.push(vk);
    if (f.GetAsyncKeyState(vk) & 0x8000) async.push(vk);
  }
  return { down, async };
}

// the daemon's tray window (src/platform/windows/tray.ts)
const user32 = koffi.load('user32.dll');
const FindWindowW = user32.func('void * __stdcall FindWindowW(const char16_t *cls, const char16_t *name)');
const PostMessageW = user32.func(
  'bool __stdcall PostMessageW(void *hwnd, uint32_t msg, uintptr_t wParam, intptr_t lParam)',
);
const GetWindowTextW = user32.func('int __stdcall GetWindowTextW(void *hwnd, _Out_ char16_t *text, int max)');

function tray(id) {
  const tw = FindWindowW('KeyrxTrayWindow', null);
  if (!tw) return { ok: true, found: false };
  let posted = null;
  if (id !== '') posted = PostMessageW(tw, 0x0111 /* WM_COMMAND */, Number(id), 0);
  const text = Buffer.alloc(512);
  const n = GetWindowTextW(tw, text, 256);
  return { ok: true, found: true, posted, title: text.toString('utf16le', 0, n * 2) };
}

focus();
serve(
  {
    tray: (id) => tray(id.trim()),
    ping: () => ({ ok: true }),
    mark: (name) => {
      log({ ev: 'mark', name });
      return { ok: true };
    },
    focus: () => ({ ok: true, ...focus() }),
    keys: () => ({ ok: true, ...keysDown() }),
    quit: () => {
      setImmediate(() => f.DestroyWindow(hwnd));
      return { ok: true };
    },
  },
  (port) => {
    log({
      ev: 'ready',
      port,
      hwnd: String(addr(hwnd)),
      hkl: `0x${f.GetKeyboardLayout(0).toString(16)}`,
      ...focus(),
    });
  },
);
setTimeout(() => f.DestroyWindow(hwnd), Number(lifetime)).unref();
