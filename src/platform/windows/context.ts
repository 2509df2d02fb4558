/**
 * The input context from Windows itself: the foreground window's process name and title (`APP:`,
 * `TITLE:`), the input language of its thread (`LANG_xx`) and whether its IME is open (`IME`).
 *
 * Who calls what, all on the input thread (the thread that runs the hook's message loop):
 *   - start(nowUs) once the hook is installed: takes the first sample (reported whole) and asks
 *     the source to announce foreground changes (SetWinEventHook(EVENT_SYSTEM_FOREGROUND,
 *     WINEVENT_OUTOFCONTEXT): delivered inside the same message loop, it calls
 *     foregroundChanged());
 *   - beforeKey(nowUs) in the hook, before the engine sees a press: one GetForegroundWindow call;
 *     when the window is another than the last sample's, a new sample first (without the IME
 *     state: asking another process's IME window is a sent message, and waiting for it inside
 *     the hook would let the next key's hook call in; the next poll reads it). A key typed right
 *     after Alt+Tab is matched against the new window even if the event is still queued.
 *   - poll(nowUs) after every wait of the loop: a sample when a foreground event came, or every
 *     `pollUs` (250 ms) for what no cheap event announces — the title (EVENT_OBJECT_NAMECHANGE
 *     fires for every object of every process, the caret's and the progress bars' too), the
 *     language switched with Alt+Shift, the IME opened. Four looks a second bound the reports of a
 *     title that changes all the time (a terminal, a progress percentage in the title).
 *   - stop() removes the event hook.
 *
 * What is reported is a patch: the fields that changed since the last sample. A new foreground
 * window always reports `app` and `title` (so they overwrite what a PUT /api/context set); the
 * language and the IME state only when they changed. The process name is looked up (OpenProcess)
 * only when the foreground window changes.
 *
 * The Win32 calls sit behind `ForegroundSource` (win32.ts implements it), so this logic and the
 * language table are tested on Linux (test/platform/windows/context.test.ts).
 */

/** The fields of the daemon's input context that Windows knows (InputContext, input-protocol.ts). */
export interface WindowsContext {
  app: string;
  title: string;
  ime: boolean;
  language: string;
}

export type WindowsContextPatch = Partial<WindowsContext>;

/** What the watcher needs from Win32. A window is its handle as a number; 0n: none. */
export interface ForegroundSource {
  ctxForegroundWindow(): bigint;
  /** the executable's file name (`firefox.exe`), '' when it cannot be read (an elevated process) */
  ctxProcessName(hwnd: bigint): string;
  ctxWindowTitle(hwnd: bigint): string;
  /** the LANGID of the window thread's keyboard layout (the low word of its HKL) */
  ctxLanguageId(hwnd: bigint): number;
  /** whether the window's IME is open (false without one) */
  ctxImeOpen(hwnd: bigint): boolean;
  /** calls `onChange` on every foreground change; returns the remover, or null if it failed */
  ctxWatchForeground(onChange: () => void): (() => void) | null;
}

export interface ContextWatcherOptions {
  /** the longest time between two samples, µs (default 250 ms) */
  pollUs?: number;
  /** a failed sample (reported once per distinct message, the watcher goes on) */
  error?: (message: string) => void;
  log?: (message: string) => void;
}

/**
 * Windows' primary language ids (winnt.h LANG_*, the low 10 bits of a LANGID) → the ISO 639 code
 * `LANG_xx` conditions use (two letters where the language has them). Windows' own locale names
 * agree (LCIDToLocaleName); a language id missing here gives `''` (no LANG_ condition matches).
 */
// prettier-ignore
export const PRIMARY_LANGUAGES: Readonly<Record<number, string>> = {
  0x01: 'ar', 0x02: 'bg', 0x03: 'ca', 0x04: 'zh', 0x05: 'cs', 0x06: 'da', 0x07: 'de', 0x08: 'el',
  0x09: 'en', 0x0a: 'es', 0x0b: 'fi', 0x0c: 'fr', 0x0d: 'he', 0x0e: 'hu', 0x0f: 'is', 0x10: 'it',
  0x11: 'ja', 0x12: 'ko', 0x13: 'nl', 0x14: 'nb', 0x15: 'pl', 0x16: 'pt', 0x17: 'rm', 0x18: 'ro',
  0x19: 'ru', 0x1a: 'hr', 0x1b: 'sk', 0x1c: 'sq', 0x1d: 'sv', 0x1e: 'th', 0x1f: 'tr', 0x20: 'ur',
  0x21: 'id', 0x22: 'uk', 0x23: 'be', 0x24: 'sl', 0x25: 'et', 0x26: 'lv', 0x27: 'lt', 0x28: 'tg',
  0x29: 'fa', 0x2a: 'vi', 0x2b: 'hy', 0x2c: 'az', 0x2d: 'eu', 0x2e: 'hsb', 0x2f: 'mk', 0x30: 'st',
  0x31: 'ts', 0x32: 'tn', 0x33: 've', 0x34: 'xh', 0x35: 'zu', 0x36: 'af', 0x37: 'ka', 0x38: 'fo',
  0x39: 'hi', 0x3a: 'mt', 0x3b: 'se', 0x3c: 'ga', 0x3d: 'yi', 0x3e: 'ms', 0x3f: 'kk', 0x40: 'ky',
  0x41: 'sw', 0x42: 'tk', 0x43: 'uz', 0x44: 'tt', 0x45: 'bn', 0x46: 'pa', 0x47: 'gu', 0x48: 'or',
  0x49: 'ta', 0x4a: 'te', 0x4b: 'kn', 0x4c: 'ml', 0x4d: 'as', 0x4e: 'mr', 0x4f: 'sa', 0x50: 'mn',
  0x51: 'bo', 0x52: 'cy', 0x53: 'km', 0x54: 'lo', 0x55: 'my', 0x56: 'gl', 0x57: 'kok', 0x58: 'mni',
  0x59: 'sd', 0x5a: 'syr', 0x5b: 'si', 0x5c: 'chr', 0x5d: 'iu', 0x5e: 'am', 0x5f: 'tzm', 0x60: 'ks',
  0x61: 'ne', 0x62: 'fy', 0x63: 'ps', 0x64: 'fil', 0x65: 'dv', 0x67: 'ff', 0x68: 'ha', 0x6a: 'yo',
  0x6b: 'qu', 0x6c: 'nso', 0x6d: 'ba', 0x6e: 'lb', 0x6f: 'kl', 0x70: 'ig', 0x72: 'om', 0x73: 'ti',
  0x74: 'gn', 0x75: 'haw', 0x77: 'so', 0x78: 'ii', 0x7a: 'arn', 0x7c: 'moh', 0x7e: 'br', 0x80: 'ug',
  0x81: 'mi', 0x82: 'oc', 0x83: 'co', 0x84: 'gsw', 0x85: 'sah', 0x86: 'quc', 0x87: 'rw', 0x88: 'wo',
  0x8c: 'prs', 0x91: 'gd', 0x92: 'ku',
};

/** LANG_SERBIAN/LANG_BOSNIAN share LANG_CROATIAN's id (0x1a); the sublanguage tells them apart. */
// prettier-ignore
const SUBLANGS_0x1A: Readonly<Record<number, string>> = {
  0x02: 'sr', 0x03: 'sr', 0x06: 'sr', 0x07: 'sr', 0x09: 'sr', 0x0a: 'sr', 0x0b: 'sr', 0x0c: 'sr',
  0x05: 'bs', 0x08: 'bs',
};

/** A LANGID (0x0411) → the language code of `LANG_xx` conditions (`ja`); '' when unknown. */
export function languageCode(langId: number): string {
  const primary = langId & 0x3ff;
  const sub = (langId >>> 10) & 0x3f;
  if (primary === 0x1a) return SUBLANGS_0x1A[sub] ?? 'hr';
  // LANG_NORWEGIAN: SUBLANG_NORWEGIAN_NYNORSK is 2, Bokmål 1
  if (primary === 0x14 && sub === 0x02) return 'nn';
  return PRIMARY_LANGUAGES[primary] ?? '';
}

export class ContextWatcher {
  private readonly source: ForegroundSource;
  private readonly report: (patch: WindowsContextPatch) => void;
  private readonly opts: ContextWatcherOptions;
  private readonly pollUs: number;
  private hwnd = -1n;
  private last: WindowsContext | null = null;
  private lastSampleUs = 0;
  private eventPending = false;
  private unwatch: (() => void) | null = null;
  private lastError = '';

  constructor(
    source: ForegroundSource,
    report: (patch: WindowsContextPatch) => void,
    opts: ContextWatcherOptions = {},
  ) {
    this.source = source;
    this.report = report;
    this.opts = opts;
    this.pollUs = opts.pollUs ?? 250_000;
  }

  /** The first sample (reported whole) and the foreground event hook. */
  start(nowUs: number): void {
    this.unwatch = this.source.ctxWatchForeground(() => {
      this.eventPending = true;
    });
    if (!this.unwatch)
      this.opts.log?.('foreground changes are not announced (SetWinEventHook failed): polled only');
    this.sample(nowUs);
  }

  /** A foreground event arrived (the source's hook calls this; tests too). */
  foregroundChanged(): void {
    this.eventPending = true;
  }

  /** Before a press reaches the engine: a new sample first if the foreground window changed. */
  beforeKey(nowUs: number): void {
    let hwnd: bigint;
    try {
      hwnd = this.source.ctxForegroundWindow();
    } catch (e) {
      this.fail(e);
      return;
    }
    if (hwnd === this.hwnd) return;
    // inside the hook: no message sent to another process (the IME query), which would let the
    // next key's hook call in while we wait; the poll right after the key reads the IME state
    this.sample(nowUs, false);
    this.eventPending = true;
  }

  /** After each wait of the loop: a sample after a foreground event, or when one is due. */
  poll(nowUs: number): void {
    if (this.eventPending || nowUs - this.lastSampleUs >= this.pollUs) this.sample(nowUs);
  }

  stop(): void {
    const unwatch = this.unwatch;
    this.unwatch = null;
    unwatch?.();
  }

  /** The context as last sampled (null before start()). */
  current(): WindowsContext | null {
    return this.last && { ...this.last };
  }

  private sample(nowUs: number, withIme = true): void {
    this.eventPending = false;
    this.lastSampleUs = nowUs;
    const s = this.source;
    let next: WindowsContext;
    let hwnd: bigint;
    try {
      hwnd = s.ctxForegroundWindow();
      const changed = hwnd !== this.hwnd;
      next =
        hwnd === 0n
          ? // no foreground window (the desktop between two windows, a locked session)
            { app: '', title: '', ime: false, language: this.last?.language ?? '' }
          : {
              app: changed || !this.last ? cleanText(s.ctxProcessName(hwnd)) : this.last.app,
              title: cleanText(s.ctxWindowTitle(hwnd)),
              ime: withIme ? s.ctxImeOpen(hwnd) : (this.last?.ime ?? false),
              language: languageCode(s.ctxLanguageId(hwnd)),
            };
    } catch (e) {
      this.fail(e);
      return;
    }
    const patch = diffContext(this.last, next, hwnd !== this.hwnd);
    this.hwnd = hwnd;
    this.last = next;
    if (patch) this.report(patch);
  }

  private fail(e: unknown): void {
    const message = `reading the foreground window failed: ${e instanceof Error ? e.message : String(e)}`;
    if (message === this.lastError) return;
    this.lastError = message;
    this.opts.error?.(message);
  }
}

const MAX_TEXT = 1024;

/** What PUT /api/context would accept: no control characters, at most 1,024 characters. */
export function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, MAX_TEXT);
}

/**
 * What to report going from `prev` to `next`: every field the first time; on a new foreground
 * window `app` and `title` whatever they are; otherwise the fields that differ. null: nothing.
 */
export function diffContext(
  prev: WindowsContext | null,
  next: WindowsContext,
  newWindow: boolean,
): WindowsContextPatch | null {
  if (!prev) return { ...next };
  const patch: WindowsContextPatch = {};
  if (newWindow || next.app !== prev.app) patch.app = next.app;
  if (newWindow || next.title !== prev.title) patch.title = next.title;
  if (next.ime !== prev.ime) patch.ime = next.ime;
  if (next.language !== prev.language) patch.language = next.language;
  return Object.keys(patch).length > 0 ? patch : null;
}
