/**
 * Windows key identities ↔ Linux key codes (`KeyInput.key`, src/platform/types.ts), both ways.
 * Pure data and lookups: no Node API, no koffi, so it is unit-tested on Linux.
 *
 * A Windows key event names its key three ways: a virtual-key code (VK), a set-1 scan code and
 * an "extended" flag (the 0xE0 prefix: LLKHF_EXTENDED in a WH_KEYBOARD_LL hook,
 * KEYEVENTF_EXTENDEDKEY in SendInput). The VK is what the active keyboard LAYOUT makes of the
 * key (the key left of Y is VK 'Z' on a German layout, a numpad key is VK_HOME or VK_NUMPAD7
 * depending on NumLock); the scan code is the physical key. Linux key codes are physical keys
 * too, so:
 *
 *   THE RULE. A key is identified by (scan code, extended flag) — layout-independent, like a
 *   physical key. The VK is only the fallback, used when the scan code is 0: events injected
 *   by programs that send a VK alone (SendInput with wScan 0, the touch keyboard, some remote
 *   tools). An unknown (scan, extended) pair is NOT retried by VK: it is a key we do not know
 *   (an OEM key, a "fake shift") and is better passed through untouched than guessed.
 *
 * Scan codes are the set-1 make codes Windows reports (Microsoft's "USB HID to PS/2 scan code
 * translation table"; the same values as Chromium's dom_code_data.inc `win` column and
 * kanata's scancode table). For Linux codes below 89 the set-1 scan code IS the Linux code
 * (KEY_ESC 1 … KEY_F12 88), which the tests check.
 *
 * Quirks worth knowing (all covered by tests):
 * - Navigation cluster vs numpad: Insert/Delete/Home/End/PageUp/PageDown/arrows share their
 *   scan codes with numpad 0–9 and the decimal key; the navigation keys are extended, the
 *   numpad keys are not. Likewise Enter/NumpadEnter (0x1C), Slash/NumpadDivide (0x35),
 *   LCtrl/RCtrl (0x1D), LAlt/RAlt (0x38).
 * - Pause sends E1 1D 45; a low-level hook sees it as VK_PAUSE, scan 0x45, NOT extended.
 *   NumLock is the same scan code 0x45 but reported extended (the layout marks VK_NUMLOCK
 *   KBDEXT). Ctrl+Pause arrives as Break: VK_CANCEL, scan 0x46 extended — the Pause key.
 * - PrintScreen is 0x37 extended (0x37 plain is NumpadMultiply); with Alt held the keyboard
 *   sends SysRq, scan 0x54 — still the PrintScreen key (Linux KEY_SYSRQ is KEY_PRINT, 99).
 * - Right Shift is 0x36, not extended, on Windows. Wine's X11 driver reports it extended
 *   (scan 0x136), so (0x36, extended) is accepted as Right Shift too. Windows' own "fake
 *   shifts" never collide with it: they carry scan 0x22A/0x236 (see hook-logic.ts).
 * - F24 and the Lang5 key (Zenkaku/Hankaku on a USB JIS keyboard, Linux KEY_ZENKAKUHANKAKU)
 *   share scan code 0x76; 0x76 is F24 (the physical JIS Zenkaku key is Grave's 0x29 anyway).
 *
 * The `vk` of an entry is what the US layout (kbdus, Windows' default and the layout Wine
 * tests run with) gives for the scan code; where the US layout gives none, the VK of the
 * key's own layout (JIS, Korean) if no other entry uses it; else 0 (no VK). It is what
 * send-input.ts puts in wVk and what the VK fallback reads.
 */

/** A key as Windows names it. `vk` is 0 when no layout-independent virtual key exists. */
export interface WindowsKey {
  readonly vk: number;
  readonly scan: number;
  readonly extended: boolean;
}

/** What a WH_KEYBOARD_LL hook reports: vkCode, scanCode and (flags & LLKHF_EXTENDED). */
export interface HookKey {
  vk: number;
  scan: number;
  extended: boolean;
}

// ---------------------------------------------------------------- virtual-key codes (winuser.h)

export const VK = {
  CANCEL: 0x03,
  BACK: 0x08,
  TAB: 0x09,
  CLEAR: 0x0c,
  RETURN: 0x0d,
  SHIFT: 0x10,
  CONTROL: 0x11,
  MENU: 0x12,
  PAUSE: 0x13,
  CAPITAL: 0x14,
  KANA: 0x15,
  HANGUL: 0x15,
  HANJA: 0x19,
  ESCAPE: 0x1b,
  CONVERT: 0x1c,
  NONCONVERT: 0x1d,
  SPACE: 0x20,
  PRIOR: 0x21,
  NEXT: 0x22,
  END: 0x23,
  HOME: 0x24,
  LEFT: 0x25,
  UP: 0x26,
  RIGHT: 0x27,
  DOWN: 0x28,
  SNAPSHOT: 0x2c,
  INSERT: 0x2d,
  DELETE: 0x2e,
  HELP: 0x2f,
  LWIN: 0x5b,
  RWIN: 0x5c,
  APPS: 0x5d,
  SLEEP: 0x5f,
  NUMPAD0: 0x60,
  MULTIPLY: 0x6a,
  ADD: 0x6b,
  SUBTRACT: 0x6d,
  DECIMAL: 0x6e,
  DIVIDE: 0x6f,
  F1: 0x70,
  F13: 0x7c,
  NUMLOCK: 0x90,
  SCROLL: 0x91,
  LSHIFT: 0xa0,
  RSHIFT: 0xa1,
  LCONTROL: 0xa2,
  RCONTROL: 0xa3,
  LMENU: 0xa4,
  RMENU: 0xa5,
  BROWSER_BACK: 0xa6,
  BROWSER_FORWARD: 0xa7,
  BROWSER_REFRESH: 0xa8,
  BROWSER_STOP: 0xa9,
  BROWSER_SEARCH: 0xaa,
  BROWSER_FAVORITES: 0xab,
  BROWSER_HOME: 0xac,
  VOLUME_MUTE: 0xad,
  VOLUME_DOWN: 0xae,
  VOLUME_UP: 0xaf,
  MEDIA_NEXT_TRACK: 0xb0,
  MEDIA_PREV_TRACK: 0xb1,
  MEDIA_STOP: 0xb2,
  MEDIA_PLAY_PAUSE: 0xb3,
  LAUNCH_MAIL: 0xb4,
  LAUNCH_APP1: 0xb6,
  LAUNCH_APP2: 0xb7,
  OEM_1: 0xba,
  OEM_PLUS: 0xbb,
  OEM_COMMA: 0xbc,
  OEM_MINUS: 0xbd,
  OEM_PERIOD: 0xbe,
  OEM_2: 0xbf,
  OEM_3: 0xc0,
  ABNT_C1: 0xc1,
  OEM_4: 0xdb,
  OEM_5: 0xdc,
  OEM_6: 0xdd,
  OEM_7: 0xde,
  OEM_8: 0xdf,
  OEM_102: 0xe2,
  PACKET: 0xe7,
  DBE_HIRAGANA: 0xf2,
} as const;

// ---------------------------------------------------------------- the table

/** [Linux code, set-1 scan code, extended, VK] — one row per key, the canonical Windows form. */
type Row = readonly [code: number, scan: number, extended: boolean, vk: number];

const E = true;
const N = false;

const ROWS: readonly Row[] = [
  // letters (scan = Linux code)
  [30, 0x1e, N, 0x41], // A
  [48, 0x30, N, 0x42], // B
  [46, 0x2e, N, 0x43], // C
  [32, 0x20, N, 0x44], // D
  [18, 0x12, N, 0x45], // E
  [33, 0x21, N, 0x46], // F
  [34, 0x22, N, 0x47], // G
  [35, 0x23, N, 0x48], // H
  [23, 0x17, N, 0x49], // I
  [36, 0x24, N, 0x4a], // J
  [37, 0x25, N, 0x4b], // K
  [38, 0x26, N, 0x4c], // L
  [50, 0x32, N, 0x4d], // M
  [49, 0x31, N, 0x4e], // N
  [24, 0x18, N, 0x4f], // O
  [25, 0x19, N, 0x50], // P
  [16, 0x10, N, 0x51], // Q
  [19, 0x13, N, 0x52], // R
  [31, 0x1f, N, 0x53], // S
  [20, 0x14, N, 0x54], // T
  [22, 0x16, N, 0x55], // U
  [47, 0x2f, N, 0x56], // V
  [17, 0x11, N, 0x57], // W
  [45, 0x2d, N, 0x58], // X
  [21, 0x15, N, 0x59], // Y
  [44, 0x2c, N, 0x5a], // Z
  // digits row
  [2, 0x02, N, 0x31],
  [3, 0x03, N, 0x32],
  [4, 0x04, N, 0x33],
  [5, 0x05, N, 0x34],
  [6, 0x06, N, 0x35],
  [7, 0x07, N, 0x36],
  [8, 0x08, N, 0x37],
  [9, 0x09, N, 0x38],
  [10, 0x0a, N, 0x39],
  [11, 0x0b, N, 0x30],
  // F1–F12
  [59, 0x3b, N, VK.F1],
  [60, 0x3c, N, VK.F1 + 1],
  [61, 0x3d, N, VK.F1 + 2],
  [62, 0x3e, N, VK.F1 + 3],
  [63, 0x3f, N, VK.F1 + 4],
  [64, 0x40, N, VK.F1 + 5],
  [65, 0x41, N, VK.F1 + 6],
  [66, 0x42, N, VK.F1 + 7],
  [67, 0x43, N, VK.F1 + 8],
  [68, 0x44, N, VK.F1 + 9],
  [87, 0x57, N, VK.F1 + 10],
  [88, 0x58, N, VK.F1 + 11],
  // F13–F24: 0x64–0x6E, then F24 at 0x76
  [183, 0x64, N, VK.F13],
  [184, 0x65, N, VK.F13 + 1],
  [185, 0x66, N, VK.F13 + 2],
  [186, 0x67, N, VK.F13 + 3],
  [187, 0x68, N, VK.F13 + 4],
  [188, 0x69, N, VK.F13 + 5],
  [189, 0x6a, N, VK.F13 + 6],
  [190, 0x6b, N, VK.F13 + 7],
  [191, 0x6c, N, VK.F13 + 8],
  [192, 0x6d, N, VK.F13 + 9],
  [193, 0x6e, N, VK.F13 + 10],
  [194, 0x76, N, VK.F13 + 11],
  // modifiers: left/right differ by the extended flag (Ctrl, Alt) or by scan code (Shift, Win)
  [42, 0x2a, N, VK.LSHIFT],
  [54, 0x36, N, VK.RSHIFT],
  [29, 0x1d, N, VK.LCONTROL],
  [97, 0x1d, E, VK.RCONTROL],
  [56, 0x38, N, VK.LMENU],
  [100, 0x38, E, VK.RMENU],
  [125, 0x5b, E, VK.LWIN],
  [126, 0x5c, E, VK.RWIN],
  // editing and locks
  [1, 0x01, N, VK.ESCAPE],
  [28, 0x1c, N, VK.RETURN],
  [14, 0x0e, N, VK.BACK],
  [15, 0x0f, N, VK.TAB],
  [57, 0x39, N, VK.SPACE],
  [58, 0x3a, N, VK.CAPITAL],
  [69, 0x45, E, VK.NUMLOCK],
  [70, 0x46, N, VK.SCROLL],
  [99, 0x37, E, VK.SNAPSHOT], // PrintScreen
  [119, 0x45, N, VK.PAUSE], // E1 1D 45, reported as scan 0x45 without the extended flag
  // navigation cluster: extended (the numpad twins below are not)
  [110, 0x52, E, VK.INSERT],
  [111, 0x53, E, VK.DELETE],
  [102, 0x47, E, VK.HOME],
  [107, 0x4f, E, VK.END],
  [104, 0x49, E, VK.PRIOR],
  [109, 0x51, E, VK.NEXT],
  [105, 0x4b, E, VK.LEFT],
  [106, 0x4d, E, VK.RIGHT],
  [103, 0x48, E, VK.UP],
  [108, 0x50, E, VK.DOWN],
  // punctuation (VKs of the US layout)
  [26, 0x1a, N, VK.OEM_4], // [
  [27, 0x1b, N, VK.OEM_6], // ]
  [43, 0x2b, N, VK.OEM_5], // backslash
  [39, 0x27, N, VK.OEM_1], // ;
  [40, 0x28, N, VK.OEM_7], // '
  [51, 0x33, N, VK.OEM_COMMA],
  [52, 0x34, N, VK.OEM_PERIOD],
  [53, 0x35, N, VK.OEM_2], // /
  [41, 0x29, N, VK.OEM_3], // ` (半角/全角 on a JIS keyboard)
  [12, 0x0c, N, VK.OEM_MINUS],
  [13, 0x0d, N, VK.OEM_PLUS], // =
  [86, 0x56, N, VK.OEM_102], // ISO key between left Shift and Z
  // numpad (VKs with NumLock on)
  [82, 0x52, N, VK.NUMPAD0],
  [79, 0x4f, N, VK.NUMPAD0 + 1],
  [80, 0x50, N, VK.NUMPAD0 + 2],
  [81, 0x51, N, VK.NUMPAD0 + 3],
  [75, 0x4b, N, VK.NUMPAD0 + 4],
  [76, 0x4c, N, VK.NUMPAD0 + 5],
  [77, 0x4d, N, VK.NUMPAD0 + 6],
  [71, 0x47, N, VK.NUMPAD0 + 7],
  [72, 0x48, N, VK.NUMPAD0 + 8],
  [73, 0x49, N, VK.NUMPAD0 + 9],
  [98, 0x35, E, VK.DIVIDE],
  [55, 0x37, N, VK.MULTIPLY],
  [74, 0x4a, N, VK.SUBTRACT],
  [78, 0x4e, N, VK.ADD],
  [96, 0x1c, E, VK.RETURN], // NumpadEnter: VK_RETURN, extended
  [83, 0x53, N, VK.DECIMAL],
  // media
  [113, 0x20, E, VK.VOLUME_MUTE],
  [114, 0x2e, E, VK.VOLUME_DOWN],
  [115, 0x30, E, VK.VOLUME_UP],
  [164, 0x22, E, VK.MEDIA_PLAY_PAUSE],
  [166, 0x24, E, VK.MEDIA_STOP],
  [165, 0x10, E, VK.MEDIA_PREV_TRACK],
  [163, 0x19, E, VK.MEDIA_NEXT_TRACK],
  // system (ACPI keys; Power and Wake have no VK)
  [116, 0x5e, E, 0],
  [142, 0x5f, E, VK.SLEEP],
  [143, 0x63, E, 0],
  // browser and launch
  [158, 0x6a, E, VK.BROWSER_BACK],
  [159, 0x69, E, VK.BROWSER_FORWARD],
  [173, 0x67, E, VK.BROWSER_REFRESH],
  [128, 0x68, E, VK.BROWSER_STOP],
  [217, 0x65, E, VK.BROWSER_SEARCH],
  [156, 0x66, E, VK.BROWSER_FAVORITES],
  [172, 0x32, E, VK.BROWSER_HOME],
  [155, 0x6c, E, VK.LAUNCH_MAIL],
  [140, 0x21, E, VK.LAUNCH_APP2], // Calculator
  [157, 0x6b, E, VK.LAUNCH_APP1], // My Computer
  // Menu (Apps / context menu) and the HID edit keys (no VK: Windows layouts leave them unnamed)
  [127, 0x5d, E, VK.APPS],
  [138, 0x3b, E, 0], // Help
  [131, 0x08, E, 0], // Undo
  [137, 0x17, E, 0], // Cut
  [133, 0x18, E, 0], // Copy
  [135, 0x0a, E, 0], // Paste
  // JIS (USB International1–5, Lang3/Lang4)
  [93, 0x70, N, VK.DBE_HIRAGANA], // カタカナ/ひらがな (KatakanaHiragana, VK_OEM_COPY on a JIS layout)
  [92, 0x79, N, VK.CONVERT], // 変換
  [94, 0x7b, N, VK.NONCONVERT], // 無変換
  [124, 0x7d, N, 0], // ¥ (VK_OEM_5 on a JIS layout: taken by Backslash)
  [89, 0x73, N, VK.ABNT_C1], // ろ (also the Brazilian /? key)
  [90, 0x78, N, 0], // Lang3: カタカナ
  [91, 0x77, N, 0], // Lang4: ひらがな
  // Korean (USB Lang1/Lang2)
  [122, 0x72, N, VK.HANGUL],
  [123, 0x71, N, VK.HANJA],
];

/**
 * Scan-code forms accepted from a hook for keys whose canonical form is above (never produced
 * by windowsKeyFor): [scan, extended, Linux code, why].
 */
const HOOK_ALIASES: readonly (readonly [scan: number, extended: boolean, code: number, why: string])[] = [
  [0x54, N, 99, 'SysRq: PrintScreen with Alt held'],
  [0x46, E, 119, 'Break: Pause with Ctrl held (VK_CANCEL)'],
  [0x36, E, 54, 'Right Shift as Wine reports it (scan 0x136)'],
];

/**
 * Keys of src/core/keys.ts that deliberately have no Windows scan code, with the reason.
 * Mouse buttons are not here: they are sent as MOUSEINPUT (send-input.ts).
 */
export const UNMAPPED_KEYS: Readonly<Record<number, string>> = {
  85: 'ZenkakuHankakuKey (Lang5): its set-1 code 0x76 is F24; the JIS 半角/全角 key sends Grave (0x29)',
  134: 'Execute (KEY_OPEN): no set-1 scan code in the translation table',
  136: 'Find: no set-1 scan code in the translation table',
  182: 'Redo: no set-1 scan code in the translation table',
  353: 'Select: no set-1 scan code in the translation table',
};

/**
 * VKs read by the fallback (scan code 0) that no row owns: the generic modifiers, Break, the
 * numpad 5 of NumLock off, and VK_OEM_8 (no key on the US layout; ` on the UK one).
 */
const VK_ONLY: readonly (readonly [vk: number, extended: boolean | null, code: number])[] = [
  [VK.SHIFT, null, 42],
  [VK.CONTROL, N, 29],
  [VK.CONTROL, E, 97],
  [VK.MENU, N, 56],
  [VK.MENU, E, 100],
  [VK.CANCEL, null, 119],
  [VK.CLEAR, null, 76],
  [VK.OEM_8, null, 41],
];

// ---------------------------------------------------------------- lookups

const pairKey = (scan: number, extended: boolean): number => (scan & 0xff) | (extended ? 0x100 : 0);

/** (scan | extended << 8) → Linux code, rows and hook aliases */
const byScan = new Map<number, number>();
/** Linux code → canonical Windows key */
const byCode = new Map<number, WindowsKey>();
/** (vk | extended << 8) → Linux code, for the VK fallback when the extended flag tells */
const byVkExact = new Map<number, number>();
/** vk → Linux code, the first row naming it (table order), whatever the flag */
const byVk = new Map<number, number>();

for (const [code, scan, extended, vk] of ROWS) {
  byScan.set(pairKey(scan, extended), code);
  byCode.set(code, Object.freeze({ vk, scan, extended }));
  if (vk !== 0) {
    byVkExact.set(vk | (extended ? 0x100 : 0), code);
    if (!byVk.has(vk)) byVk.set(vk, code);
  }
}
for (const [scan, extended, code] of HOOK_ALIASES) byScan.set(pairKey(scan, extended), code);
for (const [vk, extended, code] of VK_ONLY) {
  if (extended === null) byVk.set(vk, code);
  else {
    byVkExact.set(vk | (extended ? 0x100 : 0), code);
    if (!extended) byVk.set(vk, code);
  }
}

/**
 * The Linux key code of a hook event, or null when the key has no Linux equivalent here.
 * By (scan, extended) when the scan code is not 0 — only its low byte: Windows marks
 * system-synthesized events with bit 0x200 (hook-logic.ts decides what to do with those) —
 * and by VK (with the extended flag where it tells the keys apart) when it is 0.
 */
export function linuxCodeFromHook(key: HookKey): number | null {
  const scan = key.scan & 0xff;
  if (scan !== 0) return byScan.get(pairKey(scan, key.extended)) ?? null;
  if (key.vk === 0 || key.vk === VK.PACKET) return null;
  return byVkExact.get(key.vk | (key.extended ? 0x100 : 0)) ?? byVk.get(key.vk) ?? null;
}

/** The canonical Windows form of a Linux key code, or null (Linux-only codes, mouse buttons). */
export function windowsKeyFor(code: number): WindowsKey | null {
  return byCode.get(code) ?? null;
}

/** Every row of the table, for tests and diagnostics: [Linux code, Windows key]. */
export function windowsKeyTable(): [number, WindowsKey][] {
  return [...byCode];
}

/** The hook-only aliases: [scan, extended, Linux code, why]. */
export function hookAliases(): (readonly [number, boolean, number, string])[] {
  return [...HOOK_ALIASES];
}
