/**
 * The tray icon (Shell_NotifyIconW) and its menu: Open UI, Reload, Suspend/Resume, Exit.
 *
 * Who calls what: the input thread creates the tray right after the WindowsBackend has started
 * (createTray), on the same thread, because a window belongs to the thread that created it and
 * its messages are dispatched only where that thread pumps: WindowsBackend.runLoop → win32.pump
 * dispatches every message of the thread, so the tray's window procedure runs there, between
 * keys. A menu choice arrives as WM_COMMAND (the popup menu posts it; a test can post the same
 * message to the window, found by its class name TRAY_CLASS), and goes to `onChoice`, which
 * sends it to the main thread: the Daemon carries it out (suspend comes back as a `suspend`
 * message, and setSuspended() then shows the state in the tooltip and the window title).
 *
 * The window is a hidden top-level window, not a message-only one: FindWindowW finds it. While
 * the popup menu is open, TrackPopupMenu runs its own message loop: keys still reach the hook, but
 * engine deadlines (tap-hold timeouts) wait until the menu closes.
 *
 * koffi types are per thread and their names global to it: every name here starts with KeyrxTray
 * (the window itself comes from window.ts, shared with Raw Input)
 * (win32.ts declares its own). Nothing here is loaded on import.
 */
import { createRequire } from 'node:module';
import type { TrayAction } from '../../daemon/input-protocol.ts';
import { createOwnWindow } from './window.ts';

type KoffiFunction = (...args: unknown[]) => unknown;
interface KoffiModule {
  load(path: string): { func(signature: string): KoffiFunction };
  struct(name: string, fields: Record<string, string>): unknown;
  sizeof(type: unknown): number;
}

/** The tray window's class name (tests find the window with FindWindowW by it). */
export const TRAY_CLASS = 'KeyrxTrayWindow';

/** The menu's command ids (WM_COMMAND's wParam). */
export const TRAY_COMMANDS: Readonly<Record<TrayAction, number>> = {
  'open-ui': 1,
  reload: 2,
  suspend: 3,
  resume: 4,
  exit: 5,
};

/** The action of a WM_COMMAND id, or null. */
export function trayActionOf(id: number): TrayAction | null {
  for (const [action, n] of Object.entries(TRAY_COMMANDS)) if (n === id) return action as TrayAction;
  return null;
}

/** The tooltip (and the window title) for a state. */
export function trayTip(suspended: boolean): string {
  return suspended ? 'keyrx: suspended (keys pass through)' : 'keyrx: remapping';
}

/** The menu's items in order, for a state: [id, label] (0: a separator). */
export function trayMenu(suspended: boolean): Array<[number, string]> {
  return [
    [TRAY_COMMANDS['open-ui'], 'Open UI'],
    [TRAY_COMMANDS.reload, 'Reload profile'],
    suspended ? [TRAY_COMMANDS.resume, 'Resume'] : [TRAY_COMMANDS.suspend, 'Suspend'],
    [0, ''],
    [TRAY_COMMANDS.exit, 'Exit'],
  ];
}

export interface TrayOptions {
  /** a menu choice (called on the input thread, inside the message pump) */
  onChoice: (action: TrayAction) => void;
  log?: (message: string, context?: Record<string, unknown>) => void;
}

export interface Tray {
  /** the window handle, as a number (logs) */
  readonly hwnd: string;
  /** whether the icon is shown (Shell_NotifyIconW may fail where no shell runs: the window stays) */
  readonly iconShown: boolean;
  setSuspended(suspended: boolean): void;
  /** removes the icon and destroys the window */
  remove(): void;
}

const WM_DESTROY = 0x0002;
const WM_COMMAND = 0x0111;
const WM_LBUTTONDBLCLK = 0x0203;
const WM_RBUTTONUP = 0x0205;
const WM_CONTEXTMENU = 0x007b;
const WM_APP_TRAY = 0x8000 + 0x54;
const NIM_ADD = 0;
const NIM_MODIFY = 1;
const NIM_DELETE = 2;
const NIF_MESSAGE = 1;
const NIF_ICON = 2;
const NIF_TIP = 4;
const MF_STRING = 0;
const MF_SEPARATOR = 0x800;
const TPM_RIGHTBUTTON = 2;
const IDI_APPLICATION = 32512;
const SW_SHOWNORMAL = 1;

function loadKoffi(): KoffiModule {
  if (process.platform !== 'win32') throw new Error(`the tray needs Windows (platform ${process.platform})`);
  return createRequire(import.meta.url)('koffi') as KoffiModule;
}

interface TrayApi {
  koffi: KoffiModule;
  NOTIFYICONDATA: unknown;
  f: Record<string, KoffiFunction>;
}

let api: TrayApi | null = null;

function trayApi(): TrayApi {
  if (api) return api;
  const koffi = loadKoffi();
  const user32 = koffi.load('user32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const shell32 = koffi.load('shell32.dll');
  // NOTIFYICONDATAW (976 bytes on x64); guidItem as 16 bytes
  const NOTIFYICONDATA = koffi.struct('KeyrxTrayNotifyIconData', {
    cbSize: 'uint32_t',
    hWnd: 'void *',
    uID: 'uint32_t',
    uFlags: 'uint32_t',
    uCallbackMessage: 'uint32_t',
    hIcon: 'void *',
    szTip: 'char16_t[128]',
    dwState: 'uint32_t',
    dwStateMask: 'uint32_t',
    szInfo: 'char16_t[256]',
    uVersion: 'uint32_t',
    szInfoTitle: 'char16_t[64]',
    dwInfoFlags: 'uint32_t',
    guidItem: 'uint8_t[16]',
    hBalloonIcon: 'void *',
  });
  koffi.struct('KeyrxTrayPoint', { x: 'int32_t', y: 'int32_t' });
  const f = {
    GetLastError: kernel32.func('uint32_t __stdcall GetLastError()'),
    SetWindowTextW: user32.func('bool __stdcall SetWindowTextW(void *hwnd, const char16_t *text)'),
    LoadIconW: user32.func('void * __stdcall LoadIconW(void *inst, uintptr_t name)'),
    RegisterWindowMessageW: user32.func('uint32_t __stdcall RegisterWindowMessageW(const char16_t *name)'),
    CreatePopupMenu: user32.func('void * __stdcall CreatePopupMenu()'),
    AppendMenuW: user32.func(
      'bool __stdcall AppendMenuW(void *menu, uint32_t flags, uintptr_t id, const char16_t *text)',
    ),
    DestroyMenu: user32.func('bool __stdcall DestroyMenu(void *menu)'),
    TrackPopupMenu: user32.func(
      'int __stdcall TrackPopupMenu(void *menu, uint32_t flags, int x, int y, int reserved, void *hwnd, void *rect)',
    ),
    GetCursorPos: user32.func('bool __stdcall GetCursorPos(_Out_ KeyrxTrayPoint *pt)'),
    SetForegroundWindow: user32.func('bool __stdcall SetForegroundWindow(void *hwnd)'),
    PostMessageW: user32.func(
      'bool __stdcall PostMessageW(void *hwnd, uint32_t msg, uintptr_t wParam, intptr_t lParam)',
    ),
    Shell_NotifyIconW: shell32.func(
      'bool __stdcall Shell_NotifyIconW(uint32_t message, KeyrxTrayNotifyIconData *data)',
    ),
  };
  api = { koffi, NOTIFYICONDATA, f };
  return api;
}

/**
 * Creates the hidden tray window and its icon on the calling thread (the input thread, whose
 * loop pumps its messages). Throws when the window cannot be made; a missing icon (no shell, no
 * tray) is logged and the window still serves WM_COMMAND.
 */
export function createTray(opts: TrayOptions): Tray {
  const { koffi, NOTIFYICONDATA, f } = trayApi();
  let suspended = false;
  let removed = false;
  let hwnd: unknown = null;
  // Explorer restarted: the icons are gone and have to be added again
  const taskbarCreated = Number(f.RegisterWindowMessageW('TaskbarCreated'));

  const choose = (id: number): void => {
    const action = trayActionOf(id);
    if (action === null) return;
    try {
      opts.onChoice(action);
    } catch (e) {
      opts.log?.('the tray menu choice failed', { action, error: (e as Error).message });
    }
  };

  const showMenu = (): void => {
    const menu = f.CreatePopupMenu();
    if (!menu) return;
    for (const [id, label] of trayMenu(suspended))
      f.AppendMenuW(menu, id === 0 ? MF_SEPARATOR : MF_STRING, id, id === 0 ? null : label);
    const pt = { x: 0, y: 0 };
    f.GetCursorPos(pt);
    // without the foreground, the menu would not close when the user clicks elsewhere
    f.SetForegroundWindow(hwnd);
    // posts WM_COMMAND to the window: the same path as a test's PostMessage
    f.TrackPopupMenu(menu, TPM_RIGHTBUTTON, pt.x, pt.y, 0, hwnd, null);
    f.PostMessageW(hwnd, 0, 0, 0); // WM_NULL: the documented fix for menus that do not close
    f.DestroyMenu(menu);
  };

  const wndproc = (
    _h: unknown,
    msg: number,
    wParam: number | bigint,
    lParam: number | bigint,
  ): number | null => {
    try {
      if (msg === WM_COMMAND) {
        choose(Number(BigInt(wParam) & 0xffffn));
        return 0;
      }
      if (msg === WM_APP_TRAY) {
        const event = Number(BigInt(lParam) & 0xffffn);
        if (event === WM_RBUTTONUP || event === WM_CONTEXTMENU) showMenu();
        else if (event === WM_LBUTTONDBLCLK) choose(TRAY_COMMANDS['open-ui']);
        return 0;
      }
      if (msg === taskbarCreated && taskbarCreated !== 0 && !removed) {
        notify(NIM_ADD);
        return 0;
      }
      if (msg === WM_DESTROY) return 0;
    } catch (e) {
      opts.log?.('the tray window failed', { message: msg, error: (e as Error).message });
    }
    return null;
  };

  // not shown (no WS_VISIBLE): a hidden top-level window, which FindWindowW finds
  const window = createOwnWindow(TRAY_CLASS, trayTip(false), wndproc);
  hwnd = window.hwnd;
  const icon = f.LoadIconW(null, IDI_APPLICATION);

  function notify(message: number): boolean {
    const data = {
      cbSize: koffi.sizeof(NOTIFYICONDATA),
      hWnd: hwnd,
      uID: 1,
      uFlags: message === NIM_DELETE ? 0 : NIF_MESSAGE | NIF_ICON | NIF_TIP,
      uCallbackMessage: WM_APP_TRAY,
      hIcon: icon,
      szTip: trayTip(suspended),
      dwState: 0,
      dwStateMask: 0,
      szInfo: '',
      uVersion: 0,
      szInfoTitle: '',
      dwInfoFlags: 0,
      guidItem: new Array<number>(16).fill(0),
      hBalloonIcon: null,
    };
    return Boolean(f.Shell_NotifyIconW(message, data));
  }

  const iconShown = notify(NIM_ADD);
  if (!iconShown)
    opts.log?.('the tray icon could not be added (no notification area?); its window still works', {
      error: Number(f.GetLastError()),
    });
  const handle = String(window.address);
  opts.log?.('tray icon ready', { hwnd: handle, icon: iconShown });

  return {
    hwnd: handle,
    iconShown,
    setSuspended(on) {
      suspended = on;
      if (removed) return;
      f.SetWindowTextW(hwnd, trayTip(on));
      if (iconShown) notify(NIM_MODIFY);
    },
    remove() {
      if (removed) return;
      removed = true;
      if (iconShown) notify(NIM_DELETE);
      window.destroy();
    },
  };
}

/** Opens `url` in the default browser (ShellExecuteW "open"); any thread. Returns whether it did. */
export function openInBrowser(url: string): boolean {
  const koffi = loadKoffi();
  const ShellExecuteW = koffi
    .load('shell32.dll')
    .func(
      'intptr_t __stdcall ShellExecuteW(void *hwnd, const char16_t *op, const char16_t *file, const char16_t *params, const char16_t *dir, int show)',
    );
  // a value above 32 means success
  return Number(ShellExecuteW(null, 'open', url, null, null, SW_SHOWNORMAL)) > 32;
}
