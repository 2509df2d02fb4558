/**
 * The Windows input context without Windows (src/platform/windows/context.ts): the LANGID →
 * language code table against the codes LANG_ conditions match, and the watcher over a fake
 * foreground (windows, titles, layouts and IME states that change as a desktop's do), driven by
 * explicit times — what is reported, when, and how often the costly calls run.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Engine } from '../../../src/core/index.ts';
import { compileProfile } from '../../../src/dsl/compile.ts';
import type { ForegroundSource, WindowsContextPatch } from '../../../src/platform/windows/context.ts';
import {
  cleanText,
  ContextWatcher,
  diffContext,
  languageCode,
  PRIMARY_LANGUAGES,
} from '../../../src/platform/windows/context.ts';

describe('languageCode: LANGID → LANG_xx', () => {
  test('the common layouts, whatever their sublanguage', () => {
    const cases: [number, string][] = [
      [0x0409, 'en'], // en-US
      [0x0809, 'en'], // en-GB
      [0x0407, 'de'],
      [0x0807, 'de'], // de-CH
      [0x040c, 'fr'],
      [0x0c0c, 'fr'], // fr-CA
      [0x0411, 'ja'],
      [0x0412, 'ko'],
      [0x0804, 'zh'], // zh-CN
      [0x0404, 'zh'], // zh-TW
      [0x0419, 'ru'],
      [0x0422, 'uk'],
      [0x040a, 'es'],
      [0x0416, 'pt'], // pt-BR
      [0x0415, 'pl'],
      [0x041f, 'tr'],
      [0x040d, 'he'],
      [0x0401, 'ar'],
      [0x0439, 'hi'],
    ];
    for (const [id, code] of cases) assert.equal(languageCode(id), code, `0x${id.toString(16)}`);
  });

  test('one primary id, several languages: Croatian/Serbian/Bosnian, Bokmål/Nynorsk', () => {
    assert.equal(languageCode(0x041a), 'hr');
    assert.equal(languageCode(0x081a), 'sr'); // Serbian (Latin)
    assert.equal(languageCode(0x0c1a), 'sr'); // Serbian (Cyrillic)
    assert.equal(languageCode(0x141a), 'bs'); // Bosnian (Latin)
    assert.equal(languageCode(0x0414), 'nb');
    assert.equal(languageCode(0x0814), 'nn');
  });

  test('unknown and neutral ids give no language', () => {
    assert.equal(languageCode(0), '');
    assert.equal(languageCode(0x03ff), '');
    assert.equal(languageCode(0x0066), '');
  });

  test('every code in the table is lower case and matched by its LANG_ condition in the engine', () => {
    const codes = new Set(Object.values(PRIMARY_LANGUAGES));
    const profile = [...codes]
      .map((code) => `when_start("LANG_${code}");\nmap("A", "VK_B");\nwhen_end();`)
      .join('\n');
    const compiled = compileProfile(`device_start("*");\n${profile}\ndevice_end();`);
    assert.deepEqual(compiled.diagnostics, []);
    for (const code of codes) {
      assert.match(code, /^[a-z]{2,3}$/);
      const engine = new Engine(compiled.config!);
      engine.setContext({ language: code });
      const out = engine.process({ key: 30, action: 'press', timeUs: 0, device: 'kb' });
      assert.deepEqual(
        out.map((o) => o.key),
        [48],
        `LANG_${code}: A → B`,
      );
    }
  });
});

test('cleanText: what PUT /api/context accepts (no control characters, 1,024 at most)', () => {
  assert.equal(cleanText('a\tb\u0007c\u009fd'), 'abcd');
  assert.equal(cleanText('ü — 日本'), 'ü — 日本');
  assert.equal(cleanText('x'.repeat(2000)).length, 1024);
});

test('diffContext: all fields first; a new window reports app and title; then what differs', () => {
  const a = { app: 'a.exe', title: 'A', ime: false, language: 'en' };
  assert.deepEqual(diffContext(null, a, true), a);
  assert.equal(diffContext(a, { ...a }, false), null);
  assert.deepEqual(diffContext(a, { ...a }, true), { app: 'a.exe', title: 'A' });
  assert.deepEqual(diffContext(a, { ...a, title: 'B', ime: true }, false), { title: 'B', ime: true });
  assert.deepEqual(diffContext(a, { ...a, language: 'ja' }, false), { language: 'ja' });
});

/** A desktop: windows by handle, the foreground one, and a count of every call. */
class FakeDesktop implements ForegroundSource {
  windows = new Map<bigint, { pid: number; app: string; title: string; lang: number; ime: boolean }>();
  foreground = 0n;
  calls: Record<string, number> = {};
  watching: (() => void) | null = null;
  watchFails = false;
  fail: string | null = null;

  add(hwnd: bigint, app: string, title: string, lang = 0x0409, ime = false): void {
    this.windows.set(hwnd, { pid: Number(hwnd), app, title, lang, ime });
  }
  private count(name: string): void {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
    if (this.fail) throw new Error(this.fail);
  }
  private win(hwnd: bigint) {
    const w = this.windows.get(hwnd);
    if (!w) throw new Error(`no window ${hwnd}`);
    return w;
  }
  ctxForegroundWindow(): bigint {
    this.count('foreground');
    return this.foreground;
  }
  ctxProcessName(hwnd: bigint): string {
    this.count('processName');
    return this.win(hwnd).app;
  }
  ctxWindowTitle(hwnd: bigint): string {
    this.count('title');
    return this.win(hwnd).title;
  }
  ctxLanguageId(hwnd: bigint): number {
    this.count('language');
    return this.win(hwnd).lang;
  }
  ctxImeOpen(hwnd: bigint): boolean {
    this.count('ime');
    return this.win(hwnd).ime;
  }
  ctxWatchForeground(onChange: () => void): (() => void) | null {
    if (this.watchFails) return null;
    this.watching = onChange;
    return () => {
      this.watching = null;
    };
  }
  /** A focus change as Windows announces it. */
  focus(hwnd: bigint): void {
    this.foreground = hwnd;
    this.watching?.();
  }
}

function watch(desktop: FakeDesktop, pollUs = 250_000) {
  const reports: WindowsContextPatch[] = [];
  const errors: string[] = [];
  const logs: string[] = [];
  const watcher = new ContextWatcher(desktop, (p) => reports.push(p), {
    pollUs,
    error: (m) => errors.push(m),
    log: (m) => logs.push(m),
  });
  return { watcher, reports, errors, logs };
}

describe('ContextWatcher', () => {
  test('start reports the whole context of the foreground window and watches for changes', () => {
    const d = new FakeDesktop();
    d.add(1n, 'node.exe', 'keyrx-wine-target');
    d.foreground = 1n;
    const { watcher, reports } = watch(d);
    watcher.start(0);
    assert.deepEqual(reports, [{ app: 'node.exe', title: 'keyrx-wine-target', ime: false, language: 'en' }]);
    assert.ok(d.watching, 'the foreground event hook is installed');
    watcher.stop();
    assert.equal(d.watching, null, 'stop removes it');
  });

  test('a foreground event is sampled at the next poll, before the poll interval', () => {
    const d = new FakeDesktop();
    d.add(1n, 'a.exe', 'A');
    d.add(2n, 'b.exe', 'B', 0x0411, true);
    d.foreground = 1n;
    const { watcher, reports } = watch(d);
    watcher.start(0);
    watcher.poll(10_000);
    assert.equal(reports.length, 1, 'nothing changed, nothing due');
    d.focus(2n);
    watcher.poll(20_000);
    assert.deepEqual(reports[1], { app: 'b.exe', title: 'B', ime: true, language: 'ja' });
  });

  test('a press right after a focus change sees the new window even before its event', () => {
    const d = new FakeDesktop();
    d.add(1n, 'a.exe', 'A');
    d.add(2n, 'b.exe', 'B');
    d.foreground = 1n;
    const { watcher, reports } = watch(d);
    watcher.start(0);
    d.windows.get(2n)!.ime = true;
    d.foreground = 2n; // no event yet
    const imeQueries = d.calls.ime;
    watcher.beforeKey(1_000);
    assert.deepEqual(reports[1], { app: 'b.exe', title: 'B' });
    assert.equal(d.calls.ime, imeQueries, 'no IME query (a sent message) inside the hook');
    const before = { ...d.calls };
    watcher.beforeKey(2_000);
    assert.deepEqual(d.calls, { ...before, foreground: before.foreground + 1 }, 'same window: one call');
    assert.equal(reports.length, 2);
    // the loop's next poll, right after the key, reads the IME state
    watcher.poll(3_000);
    assert.deepEqual(reports[2], { ime: true });
  });

  test('title, language and IME changes are polled every pollUs, reported as patches', () => {
    const d = new FakeDesktop();
    d.add(1n, 'term.exe', 'ssh host');
    d.foreground = 1n;
    const { watcher, reports } = watch(d);
    watcher.start(0);
    const win = d.windows.get(1n)!;
    win.title = 'vim notes.txt';
    watcher.poll(249_999);
    assert.equal(reports.length, 1, 'not due yet');
    watcher.poll(250_000);
    assert.deepEqual(reports[1], { title: 'vim notes.txt' });
    win.lang = 0x0407;
    win.ime = true;
    watcher.poll(500_000);
    assert.deepEqual(reports[2], { ime: true, language: 'de' });
    watcher.poll(750_000);
    assert.equal(reports.length, 3, 'no change, no report');
  });

  test('a title that changes all the time is reported at most once per poll interval', () => {
    const d = new FakeDesktop();
    d.add(1n, 'build.exe', '0%');
    d.foreground = 1n;
    const { watcher, reports } = watch(d);
    watcher.start(0);
    // the loop wakes every 20 ms for a second; the title changes every time
    const at: number[] = [];
    for (let t = 20_000; t <= 1_000_000; t += 20_000) {
      d.windows.get(1n)!.title = `${t / 10_000}%`;
      const before = reports.length;
      watcher.poll(t);
      if (reports.length > before) at.push(t);
    }
    assert.deepEqual(at, [260_000, 520_000, 780_000]);
    assert.deepEqual(reports.at(-1), { title: '78%' });
  });

  test('the process is looked up once per window, not per sample', () => {
    const d = new FakeDesktop();
    d.add(1n, 'a.exe', 'A');
    d.add(2n, 'b.exe', 'B');
    d.foreground = 1n;
    const { watcher } = watch(d);
    watcher.start(0);
    for (let t = 250_000; t <= 2_500_000; t += 250_000) watcher.poll(t);
    assert.equal(d.calls.processName, 1);
    d.focus(2n);
    watcher.poll(2_510_000);
    assert.equal(d.calls.processName, 2);
  });

  test('no foreground window: app and title empty, the language kept', () => {
    const d = new FakeDesktop();
    d.add(1n, 'a.exe', 'A', 0x0411);
    d.foreground = 1n;
    const { watcher, reports } = watch(d);
    watcher.start(0);
    d.focus(0n);
    watcher.poll(1_000);
    assert.deepEqual(reports[1], { app: '', title: '' });
    assert.deepEqual(watcher.current(), { app: '', title: '', ime: false, language: 'ja' });
  });

  test('titles are cleaned as the API requires', () => {
    const d = new FakeDesktop();
    d.add(1n, 'a.exe', 'tab\there');
    d.foreground = 1n;
    const { watcher, reports } = watch(d);
    watcher.start(0);
    assert.equal(reports[0].title, 'tabhere');
  });

  test('failures are reported once each and the watcher goes on; polling without the event hook', () => {
    const d = new FakeDesktop();
    d.watchFails = true;
    d.add(1n, 'a.exe', 'A');
    d.add(2n, 'b.exe', 'B');
    d.foreground = 1n;
    const { watcher, reports, errors, logs } = watch(d);
    watcher.start(0);
    assert.equal(logs.length, 1, 'says it polls only');
    d.fail = 'access denied';
    watcher.poll(250_000);
    watcher.poll(500_000);
    watcher.beforeKey(510_000);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /access denied/);
    d.fail = null;
    d.foreground = 2n; // no event: the poll finds it
    watcher.poll(750_000);
    assert.deepEqual(reports.at(-1), { app: 'b.exe', title: 'B' });
  });
});
