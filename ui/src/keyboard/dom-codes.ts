/**
 * `KeyboardEvent.code` (the physical key, independent of the OS layout) → keyrx key names,
 * so typing in the simulator presses the same keys the daemon would see from evdev.
 * Values are canonical key-table names; codes the table has no name for use `CodeN`
 * (the Linux code), which the engine accepts like any other name.
 */

const DOM_CODE_TO_KEY: Readonly<Record<string, string>> = {
  // letters and digits
  ...Object.fromEntries([...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'].map((c) => [`Key${c}`, c])),
  ...Object.fromEntries([...'0123456789'].map((d) => [`Digit${d}`, `Num${d}`])),
  // punctuation (named by position, as on a US keyboard)
  Backquote: 'Grave',
  Minus: 'Minus',
  Equal: 'Equal',
  BracketLeft: 'LeftBracket',
  BracketRight: 'RightBracket',
  Backslash: 'Backslash',
  Semicolon: 'Semicolon',
  Quote: 'Quote',
  Comma: 'Comma',
  Period: 'Period',
  Slash: 'Slash',
  IntlBackslash: 'Iso102nd',
  // Japanese and Korean keys
  IntlYen: 'Yen',
  IntlRo: 'Ro',
  Convert: 'Henkan',
  NonConvert: 'Muhenkan',
  KanaMode: 'KatakanaHiragana',
  // Lang1/Lang2 are the Linux HANGEUL/HANJA codes (also かな/英数 on Japanese Mac keyboards)
  Lang1: 'Hangeul',
  Lang2: 'Hanja',
  Lang3: 'KatakanaKey',
  Lang4: 'Hiragana',
  Lang5: 'ZenkakuHankakuKey',
  // whitespace, editing, modifiers
  Escape: 'Escape',
  Tab: 'Tab',
  CapsLock: 'CapsLock',
  Space: 'Space',
  Enter: 'Enter',
  Backspace: 'Backspace',
  ShiftLeft: 'LShift',
  ShiftRight: 'RShift',
  ControlLeft: 'LCtrl',
  ControlRight: 'RCtrl',
  AltLeft: 'LAlt',
  AltRight: 'RAlt',
  MetaLeft: 'LMeta',
  MetaRight: 'RMeta',
  // older Firefox names for the Meta keys
  OSLeft: 'LMeta',
  OSRight: 'RMeta',
  ContextMenu: 'Menu',
  // function keys
  ...Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`F${i + 1}`, `F${i + 1}`])),
  // navigation
  PrintScreen: 'PrintScreen',
  ScrollLock: 'ScrollLock',
  Pause: 'Pause',
  Insert: 'Insert',
  Home: 'Home',
  PageUp: 'PageUp',
  Delete: 'Delete',
  End: 'End',
  PageDown: 'PageDown',
  ArrowLeft: 'Left',
  ArrowRight: 'Right',
  ArrowUp: 'Up',
  ArrowDown: 'Down',
  // numpad
  NumLock: 'NumLock',
  ...Object.fromEntries([...'0123456789'].map((d) => [`Numpad${d}`, `Numpad${d}`])),
  NumpadDivide: 'NumpadDivide',
  NumpadMultiply: 'NumpadMultiply',
  NumpadSubtract: 'NumpadSubtract',
  NumpadAdd: 'NumpadAdd',
  NumpadEnter: 'NumpadEnter',
  NumpadDecimal: 'NumpadDecimal',
  NumpadEqual: 'Code117',
  NumpadComma: 'Code121',
  // media, system, browser and application keys
  AudioVolumeMute: 'Mute',
  AudioVolumeDown: 'VolumeDown',
  AudioVolumeUp: 'VolumeUp',
  VolumeMute: 'Mute',
  VolumeDown: 'VolumeDown',
  VolumeUp: 'VolumeUp',
  MediaPlayPause: 'MediaPlayPause',
  MediaStop: 'MediaStop',
  MediaTrackPrevious: 'MediaPrevious',
  MediaTrackNext: 'MediaNext',
  Power: 'Power',
  Sleep: 'Sleep',
  WakeUp: 'Wake',
  BrowserBack: 'BrowserBack',
  BrowserForward: 'BrowserForward',
  BrowserRefresh: 'BrowserRefresh',
  BrowserStop: 'BrowserStop',
  BrowserSearch: 'BrowserSearch',
  BrowserFavorites: 'BrowserFavorites',
  BrowserHome: 'BrowserHome',
  LaunchMail: 'AppMail',
  LaunchApp1: 'AppMyComputer',
  LaunchApp2: 'AppCalculator',
  Help: 'Help',
  Select: 'Select',
  Open: 'Execute',
  Undo: 'Undo',
  Again: 'Redo',
  Cut: 'Cut',
  Copy: 'Copy',
  Paste: 'Paste',
  Find: 'Find',
  Props: 'Code130',
  Eject: 'Code161',
};

/** The keyrx key name for a `KeyboardEvent.code`, or null for keys keyrx cannot see (Fn, unidentified). */
export function keyNameForDomCode(code: string): string | null {
  return Object.hasOwn(DOM_CODE_TO_KEY, code) ? DOM_CODE_TO_KEY[code] : null;
}

/** Every DOM code the simulator captures (for tests and documentation). */
export const CAPTURED_DOM_CODES: readonly string[] = Object.keys(DOM_CODE_TO_KEY);
