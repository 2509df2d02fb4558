/**
 * Raw Input through koffi, on the input thread: a message-only window registered for every
 * keyboard's Raw Input (RIDEV_INPUTSINK: also while another program has the focus;
 * RIDEV_DEVNOTIFY: WM_INPUT_DEVICE_CHANGE on hot-plug), the keyboards' list and names, and
 * drain() — GetRawInputBuffer, which only reads the queue (it dispatches no message, so the hook
 * that calls it is never re-entered).
 *
 * Records that reach the window procedure as WM_INPUT were not drained by a hook call before
 * their key's hook event: the "late" ones (raw-input.ts explains the two orders).
 *
 * koffi type names are global per thread: every name here starts with KeyrxRaw (the window
 * comes from window.ts, shared with the tray).
 */
import { createRequire } from 'node:module';
import { parseRawInputBuffer, readRawKey, type RawKey, type RawKeyboardInfo } from './raw-input.ts';
import { createOwnWindow } from './window.ts';

type KoffiFunction = (...args: unknown[]) => unknown;
interface KoffiModule {
  load(path: string): { func(signature: string): KoffiFunction };
  struct(name: string, fields: Record<string, string>): unknown;
}

export const RAW_INPUT_CLASS = 'KeyrxRawInputWindow';

const WM_INPUT_DEVICE_CHANGE = 0x00fe;
const WM_INPUT = 0x00ff;
const RID_INPUT = 0x10000003;
const RIDI_DEVICENAME = 0x20000007;
const RIDEV_REMOVE = 0x00000001;
const RIDEV_INPUTSINK = 0x00000100;
const RIDEV_DEVNOTIFY = 0x00002000;
const RIM_TYPEKEYBOARD = 1;
const OPEN_EXISTING = 3;
const FILE_SHARE_READ_WRITE = 3;
const INVALID_HANDLE = 0xffffffffffffffffn;

export interface RawInputWatcher {
  /** the records queued now (call inside the hook, before deciding its key) */
  drain(): RawKey[];
  /** the keyboards attached now */
  keyboards(): RawKeyboardInfo[];
  /** unregisters and destroys the window */
  close(): void;
}

export interface RawInputWatcherOptions {
  /** a record that arrived as WM_INPUT (no hook call drained it first) */
  onLate: (key: RawKey) => void;
  /** a keyboard arrived or left */
  onDeviceChange: () => void;
  now: () => number;
}

/** Registers for Raw Input on the calling thread. Throws with the Windows error when it cannot. */
export function watchRawInput(opts: RawInputWatcherOptions): RawInputWatcher {
  if (process.platform !== 'win32') throw new Error(`Raw Input needs Windows (platform ${process.platform})`);
  const koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
  const user32 = koffi.load('user32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const hid = koffi.load('hid.dll');
  koffi.struct('KeyrxRawDevice', {
    usUsagePage: 'uint16_t',
    usUsage: 'uint16_t',
    dwFlags: 'uint32_t',
    hwndTarget: 'uintptr_t',
  });
  const f = {
    GetLastError: kernel32.func('uint32_t __stdcall GetLastError()'),
    CreateFileW: kernel32.func(
      'uintptr_t __stdcall CreateFileW(const char16_t *path, uint32_t access, uint32_t share, void *sa, uint32_t disposition, uint32_t flags, void *template)',
    ),
    CloseHandle: kernel32.func('bool __stdcall CloseHandle(uintptr_t h)'),
    RegisterRawInputDevices: user32.func(
      'bool __stdcall RegisterRawInputDevices(KeyrxRawDevice *devices, uint32_t n, uint32_t size)',
    ),
    GetRawInputBuffer: user32.func(
      'uint32_t __stdcall GetRawInputBuffer(_Out_ uint8_t *data, _Inout_ uint32_t *size, uint32_t header)',
    ),
    GetRawInputData: user32.func(
      'uint32_t __stdcall GetRawInputData(uintptr_t raw, uint32_t command, _Out_ uint8_t *data, _Inout_ uint32_t *size, uint32_t header)',
    ),
    GetRawInputDeviceList: user32.func(
      'uint32_t __stdcall GetRawInputDeviceList(_Out_ uint8_t *list, _Inout_ uint32_t *n, uint32_t size)',
    ),
    GetRawInputDeviceInfoW: user32.func(
      'uint32_t __stdcall GetRawInputDeviceInfoW(uintptr_t device, uint32_t command, _Out_ uint8_t *data, _Inout_ uint32_t *size)',
    ),
    HidD_GetProductString: hid.func(
      'bool __stdcall HidD_GetProductString(uintptr_t h, _Out_ uint8_t *buf, uint32_t size)',
    ),
    HidD_GetManufacturerString: hid.func(
      'bool __stdcall HidD_GetManufacturerString(uintptr_t h, _Out_ uint8_t *buf, uint32_t size)',
    ),
    HidD_GetSerialNumberString: hid.func(
      'bool __stdcall HidD_GetSerialNumberString(uintptr_t h, _Out_ uint8_t *buf, uint32_t size)',
    ),
  };

  const one = Buffer.alloc(64);
  const window = createOwnWindow(
    RAW_INPUT_CLASS,
    'keyrx raw input',
    (_hwnd, msg, _wParam, lParam) => {
      try {
        if (msg === WM_INPUT) {
          const size = [one.length];
          if (f.GetRawInputData(BigInt(lParam), RID_INPUT, one, size, 24) !== 0xffffffff) {
            const key = readRawKey(one, 0, opts.now());
            if (key) opts.onLate(key);
          }
        } else if (msg === WM_INPUT_DEVICE_CHANGE) opts.onDeviceChange();
      } catch {
        // never throw into Windows
      }
      // WM_INPUT must reach DefWindowProc too: it frees the record
      return null;
    },
    { messageOnly: true },
  );
  const keyboardUsage = (flags: number, target: bigint) => [
    { usUsagePage: 1, usUsage: 6, dwFlags: flags, hwndTarget: target },
  ];
  if (!f.RegisterRawInputDevices(keyboardUsage(RIDEV_INPUTSINK | RIDEV_DEVNOTIFY, window.address), 1, 16)) {
    const err = f.GetLastError();
    window.destroy();
    throw new Error(`RegisterRawInputDevices failed (error ${String(err)})`);
  }

  // 8-byte aligned (not from the pool): GetRawInputBuffer wants pointer alignment
  const buffer = Buffer.alloc(16384);
  const text = Buffer.alloc(2 * 256);
  const hidString = (h: bigint, read: KoffiFunction): string | undefined => {
    text.fill(0);
    if (!read(h, text, text.length)) return undefined;
    const s = text.toString('utf16le');
    const end = s.indexOf('\0');
    return (end < 0 ? s : s.slice(0, end)).trim() || undefined;
  };

  return {
    drain() {
      const out: RawKey[] = [];
      // a burst may fill the buffer: read until nothing is left (bounded, as a guard)
      for (let round = 0; round < 16; round++) {
        const size = [buffer.length];
        const n = Number(f.GetRawInputBuffer(buffer, size, 24));
        if (n === 0 || n === 0xffffffff) break;
        out.push(...parseRawInputBuffer(buffer, n, opts.now()));
      }
      return out;
    },
    keyboards() {
      const count = [0];
      f.GetRawInputDeviceList(null, count, 16);
      const list = Buffer.alloc(16 * Math.max(1, count[0] + 4));
      count[0] = list.length / 16;
      const n = Number(f.GetRawInputDeviceList(list, count, 16));
      if (n === 0xffffffff) return [];
      const keyboards: RawKeyboardInfo[] = [];
      for (let i = 0; i < n; i++) {
        if (list.readUInt32LE(i * 16 + 8) !== RIM_TYPEKEYBOARD) continue;
        const handle = list.readBigUInt64LE(i * 16);
        const chars = [0];
        f.GetRawInputDeviceInfoW(handle, RIDI_DEVICENAME, null, chars);
        const name = Buffer.alloc(2 * (chars[0] + 1));
        if (Number(f.GetRawInputDeviceInfoW(handle, RIDI_DEVICENAME, name, chars)) === 0xffffffff) continue;
        const path = name.toString('utf16le').replace(/\0.*$/s, '');
        const info: RawKeyboardInfo = { handle, path };
        const h = BigInt(
          f.CreateFileW(path, 0, FILE_SHARE_READ_WRITE, null, OPEN_EXISTING, 0, null) as number | bigint,
        );
        if (h !== 0n && h !== INVALID_HANDLE) {
          try {
            info.product = hidString(h, f.HidD_GetProductString);
            info.manufacturer = hidString(h, f.HidD_GetManufacturerString);
            info.serial = hidString(h, f.HidD_GetSerialNumberString);
          } finally {
            f.CloseHandle(h);
          }
        }
        keyboards.push(info);
      }
      return keyboards;
    },
    close() {
      f.RegisterRawInputDevices(keyboardUsage(RIDEV_REMOVE, 0n), 1, 16);
      window.destroy();
    },
  };
}
