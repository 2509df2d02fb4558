import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { vi } from 'vitest';
import type { Config, Decision, MappingKind } from '../../src/core/index.ts';
import { simulate } from '../../src/core/index.ts';
import { DECISION_HELP, MAPPING_HELP } from '../src/lib/decisions.ts';
import { compileInBrowser } from '../src/lib/compile.ts';
import { LiveSession } from '../src/simulator/live-session.ts';
import type { Clock } from '../src/simulator/live-session.ts';
import { SimulatorPanel, suggestedScript } from '../src/simulator/SimulatorPanel.tsx';
import SimulatorPage from '../src/pages/SimulatorPage.tsx';

const PROFILE = [
  'device_start("*");',
  'tap_hold("CapsLock", "VK_Escape", "MD_00", 200);',
  'map("A", "VK_B");',
  'map("ScrollLock", "LK_01");',
  'when_start("MD_00");',
  'map("H", "VK_Left");',
  'when_end();',
  'device_end();',
].join('\n');

function compile(source = PROFILE) {
  const compiled = compileInBrowser(source, 'sim.rhai');
  expect(compiled.ok).toBe(true);
  return compiled;
}

function renderPanel(source = PROFILE) {
  const compiled = compile(source);
  const utils = render(<SimulatorPanel config={compiled.config} views={compiled.views} />);
  return { ...utils, compiled };
}

/** Timeline rows, newest first in live mode: [input, mapping, decision, output, also]. */
function visibleTimeline(): HTMLElement {
  return screen.getAllByTestId('sim-timeline').find((t) => t.closest('[hidden]') === null)!;
}
function rows(): string[][] {
  return [...visibleTimeline().querySelectorAll('tbody tr')]
    .filter((tr) => tr.hasAttribute('data-decision'))
    .map((tr) => [...tr.querySelectorAll('td')].slice(1, 6).map((td) => td.textContent!.trim()));
}
const decisions = () =>
  [...visibleTimeline().querySelectorAll('tbody tr[data-decision]')].map(
    (tr) => tr.querySelector('.sim-decision')!.textContent,
  );
const keyCap = (name: string) =>
  document.querySelector<HTMLButtonElement>(`.kbd button[data-key="${name}"]`)!;
const advance = (ms: number) => act(() => vi.advanceTimersByTime(ms));

beforeEach(() => {
  // performance.now() is faked too (checked below), so the session's clock follows the fake time
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('live mode, on-screen keyboard', () => {
  test('fake timers drive performance.now (the session clock)', () => {
    const before = performance.now();
    vi.advanceTimersByTime(123);
    expect(performance.now() - before).toBe(123);
  });

  test('a tap-hold pressed and released after 50 ms is a tap', () => {
    renderPanel();
    fireEvent.pointerDown(keyCap('CapsLock'), { pointerId: 1, button: 0 });
    expect(screen.getByTestId('sim-pending').textContent).toBe('CapsLock');
    advance(50);
    fireEvent.pointerUp(keyCap('CapsLock'), { pointerId: 1, button: 0 });
    expect(rows()).toEqual([
      ['u:CapsLock', 'tapHold', 'tap', 'd:Escape u:Escape', ''],
      ['d:CapsLock', 'tapHold', 'pending', '', ''],
    ]);
    const times = [...screen.getByTestId('sim-timeline').querySelectorAll('tbody tr td:first-child')].map(
      (td) => td.textContent,
    );
    expect(times).toEqual(['50', '0']);
    expect(screen.getByTestId('sim-layers').textContent).toBe('none');
    expect(screen.getByTestId('sim-typed').textContent).toBe('nothing yet');
    // nothing else fires later
    advance(1000);
    expect(rows()).toHaveLength(2);
  });

  test('held 300 ms with a 200 ms threshold: the timer decides hold, and the layer is on', () => {
    renderPanel();
    fireEvent.pointerDown(keyCap('CapsLock'), { pointerId: 1, button: 0 });
    advance(199);
    expect(decisions()).toEqual(['pending']);
    advance(101);
    expect(decisions()).toEqual(['hold', 'pending']);
    const [timeout] = rows();
    expect(timeout[0]).toBe('timeout: CapsLock');
    expect(timeout[2]).toBe('hold (timer)');
    expect(screen.getByTestId('sim-timeline').querySelector('tbody tr td')!.textContent).toBe('200');
    expect(screen.getByTestId('sim-layers').textContent).toBe('MD_00');
    expect(screen.getByTestId('keyboard-active-layers').textContent).toBe('MD_00');
    // the live keyboard shows the layer's meaning and the held key
    expect(keyCap('H').textContent).toContain('Left');
    expect(keyCap('CapsLock').getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByTestId('sim-held').textContent).toBe('CapsLock');

    fireEvent.pointerDown(keyCap('H'), { pointerId: 2, button: 0 });
    expect(rows()[0]).toEqual(['d:H', 'simple', 'remap', 'd:Left', '']);
    expect(screen.getByTestId('sim-output-down').textContent).toBe('Left');
    fireEvent.pointerUp(keyCap('H'), { pointerId: 2, button: 0 });
    fireEvent.pointerUp(keyCap('CapsLock'), { pointerId: 1, button: 0 });
    expect(decisions()[0]).toBe('hold-release');
    expect(screen.getByTestId('sim-layers').textContent).toBe('none');
  });

  test('permissive hold: another key while pending decides hold at once', () => {
    renderPanel();
    fireEvent.pointerDown(keyCap('CapsLock'), { pointerId: 1, button: 0 });
    advance(20);
    fireEvent.pointerDown(keyCap('H'), { pointerId: 2, button: 0 });
    expect(rows()[0]).toEqual(['d:H', 'simple', 'remap', 'd:Left', 'CapsLock: hold']);
  });

  test('a profile with APP: conditions offers App and Title fields that the live engine sees', () => {
    renderPanel(
      [
        'device_start("*");',
        'when_start("APP:firefox");',
        'map("A", "VK_B");',
        'when_end();',
        'device_end();',
      ].join('\n'),
    );
    const tap = () => {
      fireEvent.pointerDown(keyCap('A'), { pointerId: 1, button: 0 });
      fireEvent.pointerUp(keyCap('A'), { pointerId: 1, button: 0 });
    };
    tap();
    expect(rows()[1][3]).toBe('d:A');
    fireEvent.change(screen.getByTestId('sim-app'), { target: { value: 'Firefox' } });
    tap();
    expect(rows()[1][3]).toBe('d:B');
  });

  test('without APP:/TITLE: conditions there are no context fields', () => {
    renderPanel();
    expect(screen.queryByTestId('sim-app')).toBeNull();
  });

  test('a lock toggles and shows', () => {
    renderPanel();
    fireEvent.pointerDown(keyCap('ScrollLock'), { pointerId: 1, button: 0 });
    fireEvent.pointerUp(keyCap('ScrollLock'), { pointerId: 1, button: 0 });
    expect(decisions()).toEqual(['release', 'lock-toggle']);
    expect(screen.getByTestId('sim-locks').textContent).toBe('LK_01');
  });

  test('Reset releases and clears; a new config restarts the session', () => {
    const { rerender, compiled } = renderPanel();
    fireEvent.pointerDown(keyCap('A'), { pointerId: 1, button: 0 });
    expect(screen.getByTestId('sim-output-down').textContent).toBe('B');
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(rows()).toEqual([]);
    expect(screen.getByTestId('sim-output-down').textContent).toBe('none');
    expect(screen.getByTestId('sim-held').textContent).toBe('none');

    fireEvent.pointerUp(keyCap('A'), { pointerId: 1, button: 0 });
    fireEvent.pointerDown(keyCap('A'), { pointerId: 1, button: 0 });
    expect(rows()).toHaveLength(2);
    const next = compile(PROFILE.replace('"VK_B"', '"VK_C"'));
    rerender(<SimulatorPanel config={next.config} views={next.views} />);
    expect(rows()).toEqual([]);
    expect(screen.getByTestId('sim-held').textContent).toBe('none');
    fireEvent.pointerUp(keyCap('A'), { pointerId: 1, button: 0 });
    fireEvent.pointerDown(keyCap('A'), { pointerId: 3, button: 0 });
    expect(rows()[0]).toEqual(['d:A', 'simple', 'remap', 'd:C', '']);
    expect(compiled.config).not.toBe(next.config);
  });
});

describe('live mode, physical keyboard', () => {
  const capture = () => screen.getByTestId('sim-capture');

  test('keydown/keyup on the capture region: tap and timer hold, as on screen', () => {
    renderPanel();
    act(() => capture().focus());
    expect(capture().dataset.capturing).toBe('true');
    expect(capture().textContent).toContain('Typing is captured');

    expect(fireEvent.keyDown(capture(), { code: 'CapsLock', key: 'CapsLock' })).toBe(false);
    advance(50);
    fireEvent.keyUp(capture(), { code: 'CapsLock', key: 'CapsLock' });
    expect(decisions()).toEqual(['tap', 'pending']);

    fireEvent.keyDown(capture(), { code: 'CapsLock', key: 'CapsLock' });
    advance(300);
    expect(decisions().slice(0, 2)).toEqual(['hold', 'pending']);
    expect(screen.getByTestId('sim-layers').textContent).toBe('MD_00');
    fireEvent.keyDown(capture(), { code: 'KeyH', key: 'h' });
    expect(rows()[0]).toEqual(['d:H', 'simple', 'remap', 'd:Left', '']);
    fireEvent.keyUp(capture(), { code: 'KeyH', key: 'h' });
    fireEvent.keyUp(capture(), { code: 'CapsLock', key: 'CapsLock' });
    expect(decisions()[0]).toBe('hold-release');
  });

  test('auto-repeat becomes a repeat action, typed text follows, Tab and Space are captured', () => {
    renderPanel();
    act(() => capture().focus());
    fireEvent.keyDown(capture(), { code: 'KeyA', key: 'a' });
    fireEvent.keyDown(capture(), { code: 'KeyA', key: 'a', repeat: true });
    expect(rows()[0]).toEqual(['r:A', 'simple', 'repeat', 'r:B', '']);
    fireEvent.keyUp(capture(), { code: 'KeyA', key: 'a' });
    expect(screen.getByTestId('sim-typed').textContent).toBe('bb');

    expect(fireEvent.keyDown(capture(), { code: 'Tab', key: 'Tab' })).toBe(false);
    expect(fireEvent.keyDown(capture(), { code: 'Space', key: ' ' })).toBe(false);
    expect(rows()[0][0]).toBe('d:Space');
    // a key keyrx cannot see is left to the browser
    expect(fireEvent.keyDown(capture(), { code: 'Fn', key: 'Fn' })).toBe(true);
  });

  test('Escape twice leaves capture and releases what was held', () => {
    renderPanel();
    act(() => capture().focus());
    fireEvent.keyDown(capture(), { code: 'KeyA', key: 'a' });
    fireEvent.keyDown(capture(), { code: 'Escape', key: 'Escape' });
    fireEvent.keyUp(capture(), { code: 'Escape', key: 'Escape' });
    expect(document.activeElement).toBe(capture());
    advance(100);
    act(() => {
      fireEvent.keyDown(capture(), { code: 'Escape', key: 'Escape' });
    });
    expect(document.activeElement).not.toBe(capture());
    expect(capture().dataset.capturing).toBe('false');
    expect(screen.getByTestId('sim-held').textContent).toBe('none');
    expect(rows()[0]).toEqual(['u:A', 'simple', 'release', 'u:B', '']);
  });

  test('leaving the region (blur) releases held keys; the visible button stops capture too', () => {
    renderPanel();
    act(() => capture().focus());
    fireEvent.keyDown(capture(), { code: 'KeyA', key: 'a' });
    expect(screen.getByTestId('sim-held').textContent).toBe('A');
    fireEvent.click(screen.getByRole('button', { name: 'Stop capturing' }));
    expect(screen.getByTestId('sim-held').textContent).toBe('none');
    expect(capture().dataset.capturing).toBe('false');
    expect(screen.queryByRole('button', { name: 'Stop capturing' })).toBeNull();
  });
});

describe('script mode', () => {
  const openScript = () => fireEvent.click(screen.getByRole('tab', { name: 'Script' }));

  test('runs the script through simulate() with settle: tap, hold, output and final state', () => {
    renderPanel();
    openScript();
    const textarea = screen.getByLabelText('Script') as HTMLTextAreaElement;
    fireEvent.change(textarea, { target: { value: 'd:CapsLock t:50 u:CapsLock d:CapsLock t:300 d:H u:H' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    expect(textarea.getAttribute('aria-invalid')).toBe('false');
    expect(rows()).toEqual([
      ['d:CapsLock', 'tapHold', 'pending', '', ''],
      ['u:CapsLock', 'tapHold', 'tap', 'd:Escape u:Escape', ''],
      ['d:CapsLock', 'tapHold', 'pending', '', ''],
      ['timeout: CapsLock', 'tapHold', 'hold (timer)', '', ''],
      ['d:H', 'simple', 'remap', 'd:Left', ''],
      ['u:H', 'simple', 'release', 'u:Left', ''],
    ]);
    expect(screen.getByTestId('sim-script-output').textContent).toBe(
      't:50 d:Escape u:Escape t:300 d:Left u:Left',
    );
    const result = screen.getByTestId('sim-script-result');
    expect(within(result).getByText('Layers at the end').nextElementSibling!.textContent).toBe('MD_00');
  });

  test('settle: a tap-hold still held at the end is decided', () => {
    renderPanel();
    openScript();
    fireEvent.change(screen.getByLabelText('Script'), { target: { value: 'd:CapsLock' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    expect(decisions()).toEqual(['pending', 'hold']);
  });

  test('a syntax error is shown next to the textarea, with aria-invalid', () => {
    renderPanel();
    openScript();
    const textarea = screen.getByLabelText('Script');
    fireEvent.change(textarea, { target: { value: 'd:A x:1' } });
    fireEvent.keyDown(textarea, { key: 'Enter', ctrlKey: true });
    const error = screen.getByTestId('sim-script-error');
    expect(error.textContent).toContain("script column 5, token 'x:1'");
    expect(error.getAttribute('role')).toBe('alert');
    expect(textarea.getAttribute('aria-invalid')).toBe('true');
    expect(textarea.getAttribute('aria-describedby')).toContain(error.id);

    fireEvent.change(textarea, { target: { value: 'd:Nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    expect(screen.getByTestId('sim-script-error').textContent).toContain("Unknown key name: 'Nope'");
    fireEvent.change(textarea, { target: { value: 'd:A u:A' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    expect(screen.queryByTestId('sim-script-error')).toBeNull();
    expect(textarea.getAttribute('aria-invalid')).toBe('false');
  });

  test('the suggested script shows the first tap-hold as a tap and a hold', () => {
    const { config } = compile();
    expect(suggestedScript(config)).toBe('d:CapsLock t:50 u:CapsLock t:100 d:CapsLock t:300 u:CapsLock');
    renderPanel();
    openScript();
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    expect(decisions()).toContain('tap');
    expect(decisions()).toContain('hold');
  });

  test('tabs are keyboard-navigable', () => {
    renderPanel();
    const live = screen.getByRole('tab', { name: 'Live' });
    act(() => live.focus());
    fireEvent.keyDown(live, { key: 'ArrowRight' });
    const script = screen.getByRole('tab', { name: 'Script' });
    expect(script.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(script);
    expect(screen.getByLabelText('Script')).toBeTruthy();
  });
});

describe('states', () => {
  test('without a config: a clear "fix the errors" state', () => {
    render(<SimulatorPanel config={null} views={[]} />);
    expect(screen.getByTestId('sim-disabled').textContent).toContain('Fix the errors to simulate');
    expect(screen.queryByTestId('sim-capture')).toBeNull();
  });

  test('the device name picks the device block', () => {
    renderPanel(
      [
        'device_start("*Keychron*");',
        'map("A", "VK_X");',
        'device_end();',
        'device_start("*");',
        'map("A", "VK_B");',
        'device_end();',
      ].join('\n'),
    );
    expect(screen.getByText(/uses block 2/)).toBeTruthy();
    fireEvent.pointerDown(keyCap('A'), { pointerId: 1, button: 0 });
    expect(rows()[0][3]).toBe('d:B');
    fireEvent.change(screen.getByLabelText('Device'), { target: { value: 'Keychron K2' } });
    expect(screen.getByText(/uses block 1/)).toBeTruthy();
    expect(keyCap('A').textContent).toContain('X');
    fireEvent.pointerDown(keyCap('A'), { pointerId: 2, button: 0 });
    expect(rows()[0][3]).toBe('d:X');
  });
  test('a device no block matches passes keys through, and says so', () => {
    renderPanel('device_start("*Keychron*");\nmap("A", "VK_X");\ndevice_end();');
    expect(screen.getByText('matches no device block: every key passes through')).toBeTruthy();
    expect(screen.getByText(/This device matches no device block/)).toBeTruthy();
    fireEvent.pointerDown(keyCap('A'), { pointerId: 1, button: 0 });
    expect(rows()[0]).toEqual(['d:A', 'passthrough', 'passthrough', 'd:A', '']);
  });
});

const FEATURES = [
  'device_start("*");',
  'combo(["J", "K"], "VK_Escape");',
  'one_shot("LShift", "VK_LShift");',
  'tap_dance("Q", ["VK_Q", "VK_Escape"]);',
  'caps_word("CapsLock");',
  'key_override(["Shift"], "Backspace", "VK_Delete");',
  'layer_toggle("F2", "MD_01");',
  'when_start("APP:firefox");',
  'map("H", "VK_Left");',
  'when_end();',
  'device_end();',
].join('\n');

describe('the new features in the simulator', () => {
  const openScript = () => fireEvent.click(screen.getByRole('tab', { name: 'Script' }));
  const run = (script: string) => {
    fireEvent.change(screen.getByLabelText('Script'), { target: { value: script } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
  };

  test("the timeline shows the API's names for mappings and decisions, each explained", () => {
    const script =
      'd:LShift t:10 u:LShift t:10 d:A t:10 u:A t:10 d:J t:5 d:K t:30 u:J u:K t:10 ' +
      'd:Q t:10 u:Q t:10 d:Q t:10 u:Q t:300 d:CapsLock u:CapsLock t:10 d:A u:A d:Space u:Space d:F2 u:F2';
    const { compiled } = renderPanel(FEATURES);
    openScript();
    run(script);
    // exactly what the API says: /api/simulate and `keyrx simulate --json` run this same simulate()
    const api = simulate(compiled.config!, script, { settle: true });
    const shown = [...visibleTimeline().querySelectorAll('tbody tr[data-decision]')].map((tr) => [
      tr.querySelector('.sim-mapping')!.textContent,
      tr.querySelector('.sim-decision')!.textContent,
    ]);
    expect(shown).toEqual(api.timeline.map((e) => [e.mapping, e.decision]));
    // every name has its explanation as a tooltip
    for (const span of visibleTimeline().querySelectorAll<HTMLElement>('.sim-mapping, .sim-decision'))
      expect(span.title, span.textContent!).toBe(
        span.classList.contains('sim-mapping')
          ? MAPPING_HELP[span.textContent as MappingKind]
          : DECISION_HELP[span.textContent as Decision],
      );
    // [input, mapping, decision, output]
    const table = rows().map((r) => r.slice(0, 4));
    expect(table).toContainEqual(['d:LShift', 'oneShot', 'one-shot', 'd:LShift']);
    expect(table).toContainEqual(['u:LShift', 'oneShot', 'one-shot-armed', '']);
    expect(table).toContainEqual(['d:A', 'passthrough', 'passthrough', 'd:A u:LShift']);
    expect(table).toContainEqual(['d:J', 'combo', 'queued', '']);
    expect(table).toContainEqual(['d:K', 'combo', 'combo', 'd:Escape']);
    expect(table).toContainEqual(['u:Q', 'tapDance', 'dance-tap', 'd:Escape u:Escape']);
    expect(table).toContainEqual(['d:CapsLock', 'capsWord', 'caps-word-on', '']);
    expect(table).toContainEqual(['d:F2', 'layerToggle', 'layer-toggle', '']);
    const queued = visibleTimeline().querySelector('tr[data-decision="queued"] .sim-decision') as HTMLElement;
    expect(queued.title).toContain('held back');
    const oneShot = visibleTimeline().querySelector('tr[data-decision="one-shot-armed"] .sim-mapping');
    expect(oneShot?.getAttribute('title')).toContain('next key only');
    // the legend under the timeline lists every name with the same words
    const help = screen.getAllByTestId('vocab-help').find((d) => d.closest('[hidden]') === null)!;
    const entries = (label: string) =>
      Object.fromEntries(
        [...within(help).getByLabelText(label).querySelectorAll('dt')].map((dt) => [
          dt.textContent,
          dt.nextElementSibling!.textContent,
        ]),
      );
    expect(entries('Mapping kinds')).toEqual(MAPPING_HELP);
    expect(entries('Decisions')).toEqual(DECISION_HELP);
    expect(screen.getByText(/app:NAME/)).toBeTruthy();
  });

  test('app: tokens drive APP: conditions, and the final context is shown', () => {
    renderPanel(FEATURES);
    openScript();
    run('app:firefox d:H u:H');
    expect(rows()[0]).toEqual(['d:H', 'simple', 'remap', 'd:Left', '']);
    expect(screen.getByTestId('sim-context').textContent).toContain('firefox');
  });

  test('live mode shows caps word and an armed one-shot while they are on', () => {
    renderPanel(FEATURES);
    expect(screen.queryByTestId('sim-caps-word')).toBeNull();
    expect(screen.queryByTestId('sim-one-shots')).toBeNull();
    fireEvent.pointerDown(keyCap('LShift'), { pointerId: 1, button: 0 });
    fireEvent.pointerUp(keyCap('LShift'), { pointerId: 1, button: 0 });
    expect(screen.getByTestId('sim-one-shots').textContent).toBe('LShift');
    expect(decisions()[0]).toBe('one-shot-armed');
    fireEvent.pointerDown(keyCap('CapsLock'), { pointerId: 2, button: 0 });
    fireEvent.pointerUp(keyCap('CapsLock'), { pointerId: 2, button: 0 });
    expect(screen.getByTestId('sim-caps-word').textContent).toBe('on');
    // a combo key waits for its partner: held back
    fireEvent.pointerDown(keyCap('J'), { pointerId: 3, button: 0 });
    expect(screen.getByTestId('sim-queued').textContent).toBe('1 event');
    advance(100);
    expect(screen.queryByTestId('sim-queued')).toBeNull();
  });

  test('the suggested script of a profile that starts with a combo presses its keys together', () => {
    const { config } = compile(FEATURES);
    expect(suggestedScript(config)).toBe('d:J t:10 d:K t:50 u:J u:K');
    renderPanel(FEATURES);
    openScript();
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    expect(decisions()).toContain('combo');
  });
});

describe('LiveSession with an injected clock', () => {
  test('the timer is set for the next deadline and ticks the engine', () => {
    let now = 1000;
    const timers: { at: number; fn: () => void }[] = [];
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn, ms) => {
        const t = { at: now + ms, fn };
        timers.push(t);
        return t;
      },
      clearTimeout: (t) => timers.splice(timers.indexOf(t as (typeof timers)[number]), 1),
    };
    const config = compile().config as Config;
    const session = new LiveSession(config, { clock });
    session.input('CapsLock', 'press');
    expect(timers.map((t) => t.at)).toEqual([1200]);
    now = 1200;
    timers.shift()!.fn();
    const snapshot = session.getSnapshot();
    expect(snapshot.entries[0]).toMatchObject({ input: 'timeout', decision: 'hold', timeMs: 200 });
    expect(snapshot.modifiers).toEqual(['MD_00']);
    expect(timers).toEqual([]);
    session.input('Nope', 'press');
    expect(session.getSnapshot().entries).toHaveLength(2);
    session.dispose();
    expect(session.getSnapshot().outputDown).toEqual([]);
  });
});

describe('SimulatorPage', () => {
  const SOURCES: Record<string, string> = {
    good: PROFILE,
    broken: 'load("lib/mine.rhai");\ndevice_start("*");\nmap("A", "VK_B");\ndevice_end();',
  };
  const meta = (name: string) => ({
    name,
    active: false,
    size: 1,
    modifiedAt: '2025-01-01T00:00:00Z',
    devices: null,
    mappings: null,
    layers: null,
    lastCompileError: null,
  });

  beforeEach(() => {
    // the page waits for fetches: real timers for findBy*
    vi.useRealTimers();
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        const path = new URL(url, 'http://localhost').pathname;
        if (path === '/api/profiles')
          return new Response(JSON.stringify({ profiles: Object.keys(SOURCES).map(meta), total: 2 }));
        const name = decodeURIComponent(path.replace('/api/profiles/', ''));
        if (!(name in SOURCES))
          return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no such profile' } }), {
            status: 404,
          });
        return new Response(JSON.stringify({ ...meta(name), source: SOURCES[name], diagnostics: [] }));
      }),
    );
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    window.history.replaceState(null, '', '/');
  });

  test('simulates the profile named in ?profile=, compiled in the browser', async () => {
    window.history.replaceState(null, '', '/simulator?profile=good');
    render(<SimulatorPage />);
    expect(await screen.findByTestId('sim-capture')).toBeTruthy();
    expect((screen.getByLabelText('Profile') as HTMLSelectElement).value).toBe('good');
    expect(screen.getByRole('link', { name: 'Edit' }).getAttribute('href')).toBe('/profiles/good');
    fireEvent.pointerDown(keyCap('A'), { pointerId: 1, button: 0 });
    // the timeline renders from the session's next snapshot (slow under CI load)
    await waitFor(() => expect(rows()[0]).toEqual(['d:A', 'simple', 'remap', 'd:B', '']));

    fireEvent.change(screen.getByLabelText('Profile'), { target: { value: 'broken' } });
    expect(window.location.search).toBe('?profile=broken');
    const errors = await screen.findByTestId('sim-compile-errors');
    expect(errors.textContent).toContain('1 error');
    expect(errors.textContent).toContain("line 1:6 Import failed: file not found: 'lib/mine.rhai'");
    expect(errors.textContent).toContain('can only read the bundled standard library');
    expect(screen.getByTestId('sim-disabled').textContent).toContain('Fix the errors to simulate');
  });

  test('a profile that cannot be loaded says so', async () => {
    window.history.replaceState(null, '', '/simulator?profile=gone');
    render(<SimulatorPage />);
    expect((await screen.findByRole('alert')).textContent).toContain(
      'Cannot load profile “gone”: no such profile',
    );
  });
});
