/**
 * The Win32 calls the Windows backend needs, through koffi (prebuilt FFI, no compiler), loaded
 * lazily: importing the platform modules never fails on Linux; only using the backend on a
 * machine that is not Windows does, with a clear error.
 *
 * koffi 3 passes pointers as BigInt. Structures are declared once per thread (koffi types are
 * per module instance, and the input thread is a worker).
 */
import { createRequire } from 'node:module';
import type { ForegroundSource } from './context.ts';

/** Just the part of koffi's API used here (keeps the build independent of koffi's typings). */
type KoffiFunction = (...args: unknown[]) => unknown;
interface KoffiLibrary {
  func(signature: string): KoffiFunction;
}
interface KoffiModule {
  load(path: string): KoffiLibrary;
  struct(name: string, fields: Record<string, string>): unknown;
  union(name: string, fields: Record<string, string>): unknown;
  proto(signature: string): unknown;
  pointer(type: unknown): unknown;
  register(fn: (...args: never[]) => unknown, type: unknown): unknown;
  unregister(cb: unknown): void;
  decode(ptr: unknown, type: unknown): unknown;
  version: string;
}

export class WindowsBackendUnavailable extends Error {
  constructor(reason: string) {
    super(`the Windows backend cannot start: ${reason}`);
    this.name = 'WindowsBackendUnavailable';
  }
}

/** The fields of KBDLLHOOKSTRUCT, decoded. */
export interface HookStruct {
  vkCode: number;
  scanCode: number;
  flags: number;
  time: number;
  dwExtraInfo: bigint | number;
}

/** One INPUT record for SendInput: a key or a mouse event. */
export type Win32Input =
  | { type: 1; ki: { wVk: number; wScan: number; dwFlags: number; time: number; dwExtraInfo: bigint } }
  | {
      type: 0;
      mi: { dx: number; dy: number; mouseData: number; dwFlags: number; time: number; dwExtraInfo: bigint };
    };

export interface Win32 {
  readonly koffiVersion: string;
  /** installs `proc` as the WH_KEYBOARD_LL hook of this thread; returns an uninstaller */
  hookKeyboard(proc: (nCode: number, wParam: number, lParam: unknown) => number): () => void;
  decodeHook(lParam: unknown): HookStruct;
  callNextHook(nCode: number, wParam: number, lParam: unknown): number;
  /** SendInput; returns how many records were inserted */
  sendInput(inputs: Win32Input[]): number;
  /** Waits up to `timeoutMs` for input or a posted message, then dispatches every queued message. */
  pump(timeoutMs: number): void;
  lastError(): number;
  /** running under Wine (its ntdll exports wine_get_version) */
  readonly wine: boolean;
}

const WH_KEYBOARD_LL = 13;
const PM_REMOVE = 1;
const QS_ALLINPUT = 0x04ff;
const MWMO_INPUTAVAILABLE = 0x0004;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;

let cached: Win32 | null = null;

/** Loads koffi and binds user32/kernel32 once per thread. */
export function win32(): Win32 {
  if (cached) return cached;
  if (process.platform !== 'win32')
    throw new WindowsBackendUnavailable(`not Windows (platform ${process.platform})`);
  let koffi: KoffiModule;
  try {
    koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
  } catch (e) {
    throw new WindowsBackendUnavailable(`the koffi module did not load (${(e as Error).message})`);
  }
  const user32 = koffi.load('user32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const KBDLLHOOKSTRUCT = koffi.struct('KBDLLHOOKSTRUCT', {
    vkCode: 'uint32_t',
    scanCode: 'uint32_t',
    flags: 'uint32_t',
    time: 'uint32_t',
    dwExtraInfo: 'uintptr_t',
  });
  koffi.struct('KEYBDINPUT', {
    wVk: 'uint16_t',
    wScan: 'uint16_t',
    dwFlags: 'uint32_t',
    time: 'uint32_t',
    dwExtraInfo: 'uintptr_t',
  });
  koffi.struct('MOUSEINPUT', {
    dx: 'int32_t',
    dy: 'int32_t',
    mouseData: 'uint32_t',
    dwFlags: 'uint32_t',
    time: 'uint32_t',
    dwExtraInfo: 'uintptr_t',
  });
  koffi.union('INPUT_UNION', { mi: 'MOUSEINPUT', ki: 'KEYBDINPUT' });
  // 40 bytes on x64: type, 4 bytes of padding, the 32-byte union
  koffi.struct('INPUT', { type: 'uint32_t', u: 'INPUT_UNION' });
  koffi.struct('POINT', { x: 'int32_t', y: 'int32_t' });
  koffi.struct('MSG', {
    hwnd: 'void *',
    message: 'uint32_t',
    wParam: 'uintptr_t',
    lParam: 'intptr_t',
    time: 'uint32_t',
    pt: 'POINT',
    lPrivate: 'uint32_t',
  });
  const HOOKPROC = koffi.proto('intptr_t __stdcall HOOKPROC(int nCode, uintptr_t wParam, void *lParam)');

  const f = {
    GetModuleHandleW: kernel32.func('void * __stdcall GetModuleHandleW(const char16_t *name)'),
    GetLastError: kernel32.func('uint32_t __stdcall GetLastError()'),
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
    MsgWaitForMultipleObjectsEx: user32.func(
      'uint32_t __stdcall MsgWaitForMultipleObjectsEx(uint32_t n, void *handles, uint32_t ms, uint32_t mask, uint32_t flags)',
    ),
  };
  let wine = false;
  try {
    koffi.load('ntdll.dll').func('const char * __cdecl wine_get_version()');
    wine = true;
  } catch {
    // Windows' ntdll has no such export
  }
  const msg = {};

  cached = {
    koffiVersion: koffi.version,
    wine,
    hookKeyboard(proc) {
      const cb = koffi.register(proc as (...args: never[]) => unknown, koffi.pointer(HOOKPROC));
      const hhk = f.SetWindowsHookExW(WH_KEYBOARD_LL, cb, f.GetModuleHandleW(null), 0);
      if (!hhk) {
        koffi.unregister(cb);
        throw new WindowsBackendUnavailable(`SetWindowsHookExW failed (error ${String(f.GetLastError())})`);
      }
      return () => {
        f.UnhookWindowsHookEx(hhk);
        koffi.unregister(cb);
      };
    },
    decodeHook: (lParam) => koffi.decode(lParam, KBDLLHOOKSTRUCT) as HookStruct,
    callNextHook: (nCode, wParam, lParam) => Number(f.CallNextHookEx(null, nCode, wParam, lParam)),
    sendInput(inputs) {
      if (inputs.length === 0) return 0;
      const records = inputs.map((i) =>
        i.type === 1 ? { type: 1, u: { ki: i.ki } } : { type: 0, u: { mi: i.mi } },
      );
      return Number(f.SendInput(records.length, records, 40));
    },
    pump(timeoutMs) {
      f.MsgWaitForMultipleObjectsEx(
        0,
        null,
        Math.max(0, Math.floor(timeoutMs)),
        QS_ALLINPUT,
        MWMO_INPUTAVAILABLE,
      );
      // the hook runs inside PeekMessageW: each call may run the engine for a key
      while (f.PeekMessageW(msg, null, 0, 0, PM_REMOVE)) {
        f.TranslateMessage(msg);
        f.DispatchMessageW(msg);
      }
    },
    lastError: () => Number(f.GetLastError()),
  };
  return cached;
}

// ---------------------------------------------------------------------------------------------
// the input context (context.ts): its own bindings, so the backend's stay as they are

let cachedContext: ForegroundSource | null = null;

const EVENT_SYSTEM_FOREGROUND = 0x0003;
const WINEVENT_OUTOFCONTEXT = 0x0000;
const WM_IME_CONTROL = 0x0283;
const IMC_GETOPENSTATUS = 0x0005;
const SMTO_ABORTIFHUNG = 0x0002;
/** a hung window's IME answers nothing: the loop waits this long at most */
const IME_QUERY_TIMEOUT_MS = 50;

/**
 * The foreground window's process, title, language and IME state, for context.ts. Handles are
 * plain numbers here (uintptr_t), compared as BigInt. The foreground event hook is out of
 * context: Windows posts it to this thread, and pump() dispatches it with the keys.
 */
export function win32Context(): ForegroundSource {
  if (cachedContext) return cachedContext;
  win32(); // the same checks (Windows, koffi) and errors
  const koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
  const user32 = koffi.load('user32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const imm32 = koffi.load('imm32.dll');
  const WINEVENTPROC = koffi.proto(
    'void __stdcall KeyrxCtxWinEventProc(uintptr_t hook, uint32_t event, uintptr_t hwnd, int32_t idObject, int32_t idChild, uint32_t thread, uint32_t time)',
  );
  const c = {
    GetForegroundWindow: user32.func('uintptr_t __stdcall GetForegroundWindow()'),
    GetWindowThreadProcessId: user32.func(
      'uint32_t __stdcall GetWindowThreadProcessId(uintptr_t hwnd, _Out_ uint32_t *pid)',
    ),
    GetWindowTextW: user32.func(
      'int __stdcall GetWindowTextW(uintptr_t hwnd, _Out_ char16_t *text, int max)',
    ),
    GetKeyboardLayout: user32.func('uintptr_t __stdcall GetKeyboardLayout(uint32_t tid)'),
    SendMessageTimeoutW: user32.func(
      'intptr_t __stdcall SendMessageTimeoutW(uintptr_t hwnd, uint32_t msg, uintptr_t wParam, intptr_t lParam, uint32_t flags, uint32_t ms, _Out_ uintptr_t *result)',
    ),
    SetWinEventHook: user32.func(
      'uintptr_t __stdcall SetWinEventHook(uint32_t min, uint32_t max, uintptr_t hmod, KeyrxCtxWinEventProc *fn, uint32_t pid, uint32_t tid, uint32_t flags)',
    ),
    UnhookWinEvent: user32.func('bool __stdcall UnhookWinEvent(uintptr_t hook)'),
    ImmGetDefaultIMEWnd: imm32.func('uintptr_t __stdcall ImmGetDefaultIMEWnd(uintptr_t hwnd)'),
    OpenProcess: kernel32.func(
      'uintptr_t __stdcall OpenProcess(uint32_t access, bool inherit, uint32_t pid)',
    ),
    CloseHandle: kernel32.func('bool __stdcall CloseHandle(uintptr_t h)'),
    QueryFullProcessImageNameW: kernel32.func(
      'bool __stdcall QueryFullProcessImageNameW(uintptr_t h, uint32_t flags, _Out_ char16_t *name, _Inout_ uint32_t *size)',
    ),
  };
  const big = (v: unknown): bigint => BigInt((v as number | bigint | null) ?? 0);
  const text = Buffer.alloc(2 * 1025);
  const name = Buffer.alloc(2 * 520);
  cachedContext = {
    ctxForegroundWindow: () => big(c.GetForegroundWindow()),
    ctxProcessName(hwnd) {
      const pid = [0];
      c.GetWindowThreadProcessId(hwnd, pid);
      const h = big(c.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, false, pid[0]));
      if (h === 0n) return '';
      try {
        const size = [520];
        if (!c.QueryFullProcessImageNameW(h, 0, name, size)) return '';
        return (
          name
            .toString('utf16le', 0, size[0] * 2)
            .split('\\')
            .pop() ?? ''
        );
      } finally {
        c.CloseHandle(h);
      }
    },
    ctxWindowTitle(hwnd) {
      const n = Number(c.GetWindowTextW(hwnd, text, 1025));
      return text.toString('utf16le', 0, Math.max(0, n) * 2);
    },
    ctxLanguageId(hwnd) {
      const tid = Number(c.GetWindowThreadProcessId(hwnd, [0]));
      return Number(big(c.GetKeyboardLayout(tid)) & 0xffffn);
    },
    ctxImeOpen(hwnd) {
      // the standard way to ask another process's IME: its default IME window answers
      const ime = big(c.ImmGetDefaultIMEWnd(hwnd));
      if (ime === 0n) return false;
      const result = [0n];
      const ok = c.SendMessageTimeoutW(
        ime,
        WM_IME_CONTROL,
        IMC_GETOPENSTATUS,
        0,
        SMTO_ABORTIFHUNG,
        IME_QUERY_TIMEOUT_MS,
        result,
      );
      return big(ok) !== 0n && big(result[0]) !== 0n;
    },
    ctxWatchForeground(onChange) {
      const cb = koffi.register(() => onChange(), koffi.pointer(WINEVENTPROC));
      const hook = big(
        c.SetWinEventHook(
          EVENT_SYSTEM_FOREGROUND,
          EVENT_SYSTEM_FOREGROUND,
          0,
          cb,
          0,
          0,
          WINEVENT_OUTOFCONTEXT,
        ),
      );
      if (hook === 0n) {
        koffi.unregister(cb);
        return null;
      }
      return () => {
        c.UnhookWinEvent(hook);
        koffi.unregister(cb);
      };
    },
  };
  return cachedContext;
}
