/**
 * A window of our own on the calling thread, for Windows to send messages to: the tray's hidden
 * top-level window (tray.ts) and Raw Input's message-only window (raw-input-win32.ts). Its
 * messages are dispatched where that thread pumps (WindowsBackend.runLoop).
 *
 * The window class structure and procedure type are declared once per thread (koffi type names
 * are global to it, and both windows live on the input thread). Nothing is loaded on import.
 */
import { createRequire } from 'node:module';

type KoffiFunction = (...args: unknown[]) => unknown;
interface KoffiModule {
  load(path: string): { func(signature: string): KoffiFunction };
  struct(name: string, fields: Record<string, string>): unknown;
  proto(signature: string): unknown;
  pointer(type: unknown): unknown;
  register(fn: (...args: never[]) => unknown, type: unknown): unknown;
  unregister(cb: unknown): void;
  address(value: unknown): bigint;
}

/** What a window procedure gets; null: let DefWindowProc answer. */
export type WindowHandler = (
  hwnd: unknown,
  msg: number,
  wParam: number | bigint,
  lParam: number | bigint,
) => number | bigint | null;

export interface OwnWindow {
  /** the window handle, as koffi gives it (a pointer for `void *` parameters) */
  readonly hwnd: unknown;
  /** the same as a number (for `uintptr_t` fields, logs) */
  readonly address: bigint;
  /** destroys the window, unregisters its class and its procedure */
  destroy(): void;
}

/** HWND_MESSAGE: the parent of a message-only window */
const HWND_MESSAGE = -3;

interface WindowApi {
  koffi: KoffiModule;
  WNDPROC: unknown;
  f: Record<
    | 'GetModuleHandleW'
    | 'GetLastError'
    | 'RegisterClassExW'
    | 'UnregisterClassW'
    | 'CreateWindowExW'
    | 'DefWindowProcW'
    | 'DestroyWindow',
    KoffiFunction
  >;
}

let api: WindowApi | null = null;

function windowApi(): WindowApi {
  if (api) return api;
  if (process.platform !== 'win32') throw new Error(`windows need Windows (platform ${process.platform})`);
  const koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
  const user32 = koffi.load('user32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const WNDPROC = koffi.proto(
    'intptr_t __stdcall KeyrxWndProc(void *hwnd, uint32_t msg, uintptr_t wParam, intptr_t lParam)',
  );
  koffi.struct('KeyrxWndClass', {
    cbSize: 'uint32_t',
    style: 'uint32_t',
    lpfnWndProc: 'KeyrxWndProc *',
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
  api = {
    koffi,
    WNDPROC,
    f: {
      GetModuleHandleW: kernel32.func('void * __stdcall GetModuleHandleW(const char16_t *name)'),
      GetLastError: kernel32.func('uint32_t __stdcall GetLastError()'),
      RegisterClassExW: user32.func('uint16_t __stdcall RegisterClassExW(const KeyrxWndClass *wc)'),
      UnregisterClassW: user32.func('bool __stdcall UnregisterClassW(const char16_t *cls, void *inst)'),
      CreateWindowExW: user32.func(
        'void * __stdcall CreateWindowExW(uint32_t ex, const char16_t *cls, const char16_t *name, uint32_t style, int x, int y, int w, int h, intptr_t parent, void *menu, void *inst, void *param)',
      ),
      DefWindowProcW: user32.func(
        'intptr_t __stdcall DefWindowProcW(void *hwnd, uint32_t msg, uintptr_t wParam, intptr_t lParam)',
      ),
      DestroyWindow: user32.func('bool __stdcall DestroyWindow(void *hwnd)'),
    },
  };
  return api;
}

/**
 * Registers the class `className` and creates its window (not shown): a hidden top-level window,
 * which FindWindowW finds, or a message-only one. Throws with the Windows error code.
 */
export function createOwnWindow(
  className: string,
  title: string,
  handler: WindowHandler,
  opts: { messageOnly?: boolean } = {},
): OwnWindow {
  const { koffi, WNDPROC, f } = windowApi();
  const instance = f.GetModuleHandleW(null);
  const proc = koffi.register(
    ((hwnd: unknown, msg: number, wParam: number | bigint, lParam: number | bigint) =>
      handler(hwnd, msg, wParam, lParam) ?? f.DefWindowProcW(hwnd, msg, wParam, lParam)) as (
      ...args: never[]
    ) => unknown,
    koffi.pointer(WNDPROC),
  );
  const registered = f.RegisterClassExW({
    cbSize: 80,
    style: 0,
    lpfnWndProc: proc,
    cbClsExtra: 0,
    cbWndExtra: 0,
    hInstance: instance,
    hIcon: null,
    hCursor: null,
    hbrBackground: null,
    lpszMenuName: null,
    lpszClassName: className,
    hIconSm: null,
  });
  if (!registered) {
    koffi.unregister(proc);
    throw new Error(`RegisterClassExW(${className}) failed (error ${String(f.GetLastError())})`);
  }
  const parent = opts.messageOnly ? HWND_MESSAGE : 0;
  const hwnd = f.CreateWindowExW(0, className, title, 0, 0, 0, 0, 0, parent, null, instance, null);
  if (!hwnd) {
    const err = String(f.GetLastError());
    f.UnregisterClassW(className, instance);
    koffi.unregister(proc);
    throw new Error(`CreateWindowExW(${className}) failed (error ${err})`);
  }
  let destroyed = false;
  return {
    hwnd,
    address: koffi.address(hwnd),
    destroy() {
      if (destroyed) return;
      destroyed = true;
      f.DestroyWindow(hwnd);
      f.UnregisterClassW(className, instance);
      koffi.unregister(proc);
    },
  };
}
