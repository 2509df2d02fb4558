import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import type { MappingSource } from '../../src/core/index.ts';
import { ALL_KEY_NAMES, resolveKey } from '../../src/core/index.ts';
import { CAPTURED_DOM_CODES, keyNameForDomCode } from '../src/keyboard/dom-codes.ts';
import { KeyboardView } from '../src/keyboard/KeyboardView.tsx';
import { resetLayoutState } from '../src/keyboard/layouts.ts';
import { compileInBrowser } from '../src/lib/compile.ts';

const PROFILE = [
  'device_start("*");', // 1
  'map("A", "VK_B");', // 2
  'tap_hold("CapsLock", "VK_Escape", "MD_00", 200);', // 3
  'map("ScrollLock", "LK_01");', // 4
  'map("RAlt", "MD_01");', // 5
  'map("F13", "VK_Mute");', // 6
  'when_start("MD_00");', // 7
  'map("H", "VK_Left");', // 8
  'map("J", with_shift("VK_Num1"));', // 9
  'when_end();', // 10
  'when_start(["MD_00", "MD_01"]);', // 11
  'map("H", "VK_Home");', // 12
  'when_end();', // 13
  'when_start("LK_01");', // 14
  'map("Q", "VK_Escape");', // 15
  'when_end();', // 16
  'device_end();', // 17
].join('\n');

function views(source = PROFILE) {
  const compiled = compileInBrowser(source, 'test.rhai');
  expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return compiled.views;
}

const key = (name: string): HTMLButtonElement => {
  const found = document.querySelector<HTMLButtonElement>(`.kbd button[data-key="${name}"]`);
  if (!found) throw new Error(`no key ${name} on the keyboard`);
  return found;
};
const chooseLayer = (name: string) => {
  const select = screen.getByLabelText('Layer') as HTMLSelectElement;
  const option = [...select.options].find((o) => o.textContent!.startsWith(`${name} `));
  if (!option) throw new Error(`no layer option ${name}`);
  fireEvent.change(select, { target: { value: option.value } });
};

// a layout chosen in one test is remembered (localStorage): every test starts from detection
beforeEach(() => resetLayoutState());

describe('KeyboardView', () => {
  test('shows what each key does in the base layer, coloured by kind', () => {
    render(<KeyboardView views={views()} />);
    expect(key('A').textContent).toContain('B');
    expect(key('A').title).toBe('A → B (base)');
    expect(key('A').className).toContain('kbd-kind-remap');
    expect(key('CapsLock').textContent).toContain('Esc/MD_00');
    expect(key('CapsLock').className).toContain('kbd-kind-taphold');
    expect(key('CapsLock').getAttribute('aria-label')).toBe(
      'CapsLock: tap: Escape, hold ≥ 200 ms: MD_00 (base)',
    );
    expect(key('ScrollLock').className).toContain('kbd-kind-lock');
    expect(key('RAlt').className).toContain('kbd-kind-layer');
    expect(key('Z').dataset.state).toBe('unmapped');
    expect(key('Z').className).toContain('kbd-unmapped');
    expect(key('Z').title).toBe('Z: not mapped');
    // keys are real, focusable buttons
    expect(key('A').tagName).toBe('BUTTON');
    act(() => key('A').focus());
    expect(document.activeElement).toBe(key('A'));
    expect(screen.getByTestId('keyboard-inspect').textContent).toContain('A → B (base)');
    // a legend explains the colours
    const legend = screen.getByRole('list', { name: 'Colours' });
    expect(within(legend).getByText('tap / hold / dance')).toBeTruthy();
  });

  test('the layer selector lists every layer and switches labels; other keys fall through to base', () => {
    render(<KeyboardView views={views()} />);
    const select = screen.getByLabelText('Layer') as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent!.split(' ·')[0])).toEqual([
      'base',
      'MD_00',
      'MD_00+MD_01',
      'LK_01',
    ]);
    expect(key('H').dataset.state).toBe('unmapped');

    chooseLayer('MD_00');
    expect(key('H').textContent).toContain('Left');
    expect(key('H').title).toBe('H → Left (MD_00)');
    expect(key('J').textContent).toContain('⇧1');
    expect(key('J').className).toContain('kbd-kind-remap');
    // A is not mapped in MD_00: dimmed, with its base meaning
    expect(key('A').dataset.state).toBe('fallthrough');
    expect(key('A').className).toContain('kbd-fallthrough');
    expect(key('A').textContent).toContain('B');
    expect(key('A').title).toBe('A → B (base; not mapped in MD_00)');

    chooseLayer('MD_00+MD_01');
    expect(key('H').textContent).toContain('Home');
    chooseLayer('LK_01');
    expect(key('Q').title).toBe('Q → Escape (LK_01)');
    expect(key('H').dataset.state).toBe('unmapped');
  });

  test('clicking a mapped key reports its source line; unmapped keys and fall-throughs do not', () => {
    const onKeySource = vi.fn<(s: MappingSource) => void>();
    render(<KeyboardView views={views()} onKeySource={onKeySource} />);
    fireEvent.click(key('CapsLock'));
    expect(onKeySource).toHaveBeenLastCalledWith({ file: 'test.rhai', line: 3, column: 1 });
    fireEvent.click(key('Z'));
    expect(onKeySource).toHaveBeenCalledTimes(1);

    chooseLayer('MD_00');
    fireEvent.click(key('H'));
    expect(onKeySource).toHaveBeenLastCalledWith({ file: 'test.rhai', line: 8, column: 1 });
    fireEvent.click(key('A'));
    expect(onKeySource).toHaveBeenCalledTimes(2);
  });

  test('mapped keys the layout has no place for get their own caps', () => {
    const onKeySource = vi.fn<(s: MappingSource) => void>();
    render(<KeyboardView views={views()} onKeySource={onKeySource} />);
    const extra = screen.getByRole('group', { name: 'Not on this layout:' });
    const f13 = within(extra).getByRole('button', { name: 'F13 → Mute (base)' });
    fireEvent.click(f13);
    expect(onKeySource).toHaveBeenLastCalledWith({ file: 'test.rhai', line: 6, column: 1 });
  });

  test('layout: ANSI by default, JIS when Japanese keys are used, and a selector', () => {
    const { unmount } = render(<KeyboardView views={views()} />);
    expect((screen.getByLabelText('Layout') as HTMLSelectElement).value).toBe('ansi-87');
    expect(document.querySelector('.kbd button[data-key="Yen"]')).toBeNull();
    expect(document.querySelector('.kbd button[data-key="Iso102nd"]')).toBeNull();
    fireEvent.change(screen.getByLabelText('Layout'), { target: { value: 'iso-88' } });
    expect(key('Iso102nd')).toBeTruthy();
    unmount();
    resetLayoutState();

    // only the tap key names a JIS key: found in the mapping's description
    const jis = views('device_start("*");\ntap_hold("Space", "VK_Henkan", "MD_00", 200);\ndevice_end();');
    render(<KeyboardView views={jis} />);
    expect((screen.getByLabelText('Layout') as HTMLSelectElement).value).toBe('jis-109');
    expect(key('Yen')).toBeTruthy();
    expect(key('Muhenkan')).toBeTruthy();
    expect(key('Grave').textContent).toContain('半/全');
  });

  test('an explicit layout prop wins over detection', () => {
    render(
      <KeyboardView
        views={views('device_start("*");\nmap("Ro", "VK_RShift");\ndevice_end();')}
        layout="iso"
      />,
    );
    // the old id is the full-size ISO layout
    expect((screen.getByLabelText('Layout') as HTMLSelectElement).value).toBe('iso-105');
  });

  test('the device-block selector shows each pattern and switches blocks', () => {
    const two = views(
      [
        'device_start("*Keychron*");',
        'map("CapsLock", "VK_LCtrl");',
        'device_end();',
        'device_start("*");',
        'map("CapsLock", "VK_Escape");',
        'when_start("MD_00");',
        'map("H", "VK_Left");',
        'when_end();',
        'device_end();',
      ].join('\n'),
    );
    render(<KeyboardView views={two} />);
    const select = screen.getByLabelText('Device block') as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(['1: *Keychron*', '2: *']);
    expect(key('CapsLock').textContent).toContain('LCtrl');
    expect([...(screen.getByLabelText('Layer') as HTMLSelectElement).options]).toHaveLength(1);

    fireEvent.change(select, { target: { value: '1' } });
    expect(key('CapsLock').textContent).toContain('Esc');
    chooseLayer('MD_00');
    expect(key('H').textContent).toContain('Left');
    // back to a block without that layer: base again
    fireEvent.change(select, { target: { value: '0' } });
    expect(key('H').dataset.state).toBe('unmapped');
  });

  test('the keyboard is one Tab stop; arrow keys move between keys', () => {
    render(<KeyboardView views={views()} />);
    const tabbable = [...document.querySelectorAll('.kbd button')].filter(
      (b) => b.getAttribute('tabindex') === '0',
    );
    expect(tabbable).toEqual([key('Escape')]);
    act(() => key('Escape').focus());
    fireEvent.keyDown(key('Escape'), { key: 'ArrowRight' });
    expect(document.activeElement).toBe(key('F1'));
    fireEvent.keyDown(key('F1'), { key: 'ArrowDown' });
    expect(document.activeElement).toBe(key('Num2'));
    act(() => key('Q').focus());
    fireEvent.keyDown(key('Q'), { key: 'ArrowDown' });
    expect(document.activeElement).toBe(key('A'));
    expect(key('A').getAttribute('tabindex')).toBe('0');
    expect(key('Escape').getAttribute('tabindex')).toBe('-1');
    fireEvent.keyDown(key('A'), { key: 'End' });
    expect(document.activeElement).toBe(key('Enter'));
    fireEvent.keyDown(key('Enter'), { key: 'ArrowUp' });
    fireEvent.keyDown(document.activeElement!, { key: 'End' });
    expect(document.activeElement).toBe(key('PageDown'));
    expect(screen.getByTestId('keyboard-inspect').textContent).toContain('PageDown: not mapped');
  });

  test('no selector for a single block, and an empty profile shows a plain keyboard', () => {
    render(<KeyboardView views={[]} />);
    expect(screen.queryByLabelText('Device block')).toBeNull();
    expect(screen.getByText(/No device blocks/)).toBeTruthy();
    expect(key('A').dataset.state).toBe('unmapped');
  });

  test('simulator mode: live layers, held keys, and pointer / keyboard presses', () => {
    const onKeyAction = vi.fn<(key: string, action: 'press' | 'release') => void>();
    const v = views();
    const { rerender } = render(
      <KeyboardView views={v} activeLayers={[]} pressed={new Set()} onKeyAction={onKeyAction} />,
    );
    const select = screen.getByLabelText('Layer') as HTMLSelectElement;
    expect(select.options[0].textContent).toBe('Live (active layers)');
    expect(key('H').dataset.state).toBe('unmapped');
    expect(key('A').dataset.state).toBe('mapped');

    rerender(
      <KeyboardView
        views={v}
        activeLayers={['MD_00']}
        pressed={new Set(['CapsLock'])}
        onKeyAction={onKeyAction}
      />,
    );
    expect(key('H').textContent).toContain('Left');
    expect(key('H').title).toBe('H → Left (MD_00)');
    expect(key('A').dataset.state).toBe('fallthrough');
    expect(key('CapsLock').className).toContain('kbd-held');
    expect(key('CapsLock').getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByTestId('keyboard-active-layers').textContent).toBe('MD_00');
    expect([...select.options].find((o) => o.value === 'MD_00')!.textContent).toContain('(active)');

    // both layers: the combined condition is declared after MD_00's H, so MD_00's H wins (engine order)
    rerender(<KeyboardView views={v} activeLayers={['MD_00', 'MD_01']} onKeyAction={onKeyAction} />);
    expect(key('H').textContent).toContain('Left');
    rerender(<KeyboardView views={v} activeLayers={['MD_01']} onKeyAction={onKeyAction} />);
    expect(key('H').dataset.state).toBe('unmapped');

    fireEvent.pointerDown(key('Q'), { pointerId: 1, button: 0 });
    expect(onKeyAction).toHaveBeenLastCalledWith('Q', 'press');
    fireEvent.pointerUp(key('Q'), { pointerId: 1, button: 0 });
    expect(onKeyAction).toHaveBeenLastCalledWith('Q', 'release');
    fireEvent.pointerDown(key('W'), { pointerId: 2, button: 0 });
    fireEvent.pointerLeave(key('W'), { pointerId: 2 });
    expect(onKeyAction).toHaveBeenLastCalledWith('W', 'release');
    // a right click does nothing
    fireEvent.pointerDown(key('E'), { pointerId: 3, button: 2 });
    expect(onKeyAction).toHaveBeenCalledTimes(4);

    fireEvent.keyDown(key('R'), { key: 'Enter' });
    fireEvent.keyDown(key('R'), { key: 'Enter', repeat: true });
    expect(onKeyAction).toHaveBeenLastCalledWith('R', 'press');
    expect(onKeyAction).toHaveBeenCalledTimes(5);
    fireEvent.keyUp(key('R'), { key: 'Enter' });
    expect(onKeyAction).toHaveBeenLastCalledWith('R', 'release');
  });
});

const FEATURES = [
  'device_start("*");', // 1
  'map("A", "VK_B");', // 2
  'combo(["J", "K"], "VK_Escape");', // 3
  'key_override(["Shift"], "Backspace", "VK_Delete");', // 4
  'one_shot("LShift", "VK_LShift");', // 5
  'tap_dance("Q", ["VK_Q", "VK_Escape"]);', // 6
  'macro("F1", [text("hi")]);', // 7
  'caps_word("CapsLock");', // 8
  'layer_toggle("F2", "MD_01");', // 9
  'unicode("F3", "é");', // 10
  'layer_switch("F4", "MD_02");', // 11
  'tap_hold("S", "VK_S", "VK_LAlt", 200, #{ mode: "balanced" });', // 12
  'when_start("APP:firefox");', // 13
  'map("H", "VK_Left");', // 14
  'combo(["D", "F"], "VK_Tab");', // 15
  'when_end();', // 16
  'device_end();', // 17
].join('\n');

describe('KeyboardView: combos, key overrides and the new kinds', () => {
  test('every kind has a colour family and the legend names them', () => {
    render(<KeyboardView views={views(FEATURES)} />);
    expect(key('LShift').className).toContain('kbd-kind-oneshot');
    expect(key('LShift').textContent).toContain('1×LShift');
    expect(key('CapsLock').className).toContain('kbd-kind-oneshot');
    expect(key('Q').className).toContain('kbd-kind-taphold');
    expect(key('S').className).toContain('kbd-kind-taphold');
    expect(key('S').textContent).toContain('S/LAlt');
    expect(key('F1').className).toContain('kbd-kind-macro');
    expect(key('F3').className).toContain('kbd-kind-macro');
    expect(key('F2').className).toContain('kbd-kind-lock');
    expect(key('F4').className).toContain('kbd-kind-layer');
    const legend = screen.getByRole('list', { name: 'Colours' });
    for (const text of [
      'one-shot / caps word',
      'macro / unicode',
      'lock / toggle',
      'in a combo',
      'key override',
    ])
      expect(within(legend).getByText(text)).toBeTruthy();
  });

  test("combo keys get a badge, and the layer's combos are listed; a click goes to the line", () => {
    const onKeySource = vi.fn<(s: MappingSource) => void>();
    render(<KeyboardView views={views(FEATURES)} onKeySource={onKeySource} />);
    expect(within(key('J')).getByTestId('combo-mark')).toBeTruthy();
    expect(within(key('K')).getByTestId('combo-mark')).toBeTruthy();
    expect(within(key('A')).queryByTestId('combo-mark')).toBeNull();
    expect(key('J').title).toContain('combo: J+K together (within 50 ms) → Escape');
    const list = screen.getByTestId('keyboard-combos');
    const items = within(list).getAllByTestId('combo-item');
    // base shows its own combo only; D+F belongs to the APP:firefox layer
    expect(items).toHaveLength(1);
    expect(items[0].textContent).toContain('J+K');
    expect(items[0].textContent).toContain('J+K together (within 50 ms) → Escape');
    fireEvent.click(within(items[0]).getByRole('button'));
    expect(onKeySource).toHaveBeenLastCalledWith({ file: 'test.rhai', line: 3, column: 1 });
    // hovering a combo highlights its keys
    fireEvent.pointerEnter(items[0]);
    expect(key('J').className).toContain('kbd-combo-highlight');
    fireEvent.pointerLeave(items[0]);
    expect(key('J').className).not.toContain('kbd-combo-highlight');
  });

  test('APP: conditions are layers; their combos are listed with the base ones', () => {
    render(<KeyboardView views={views(FEATURES)} />);
    const select = screen.getByLabelText('Layer') as HTMLSelectElement;
    const option = [...select.options].find((o) => o.textContent!.startsWith('APP:firefox '));
    expect(option?.textContent).toContain('1 key · 1 combo');
    chooseLayer('APP:firefox');
    expect(key('H').textContent).toContain('Left');
    const items = within(screen.getByTestId('keyboard-combos')).getAllByTestId('combo-item');
    expect(items.map((i) => i.textContent)).toEqual([
      expect.stringContaining('D+F'),
      expect.stringContaining('(base)'),
    ]);
    expect(within(key('D')).getByTestId('combo-mark')).toBeTruthy();
    expect(within(key('J')).getByTestId('combo-mark')).toBeTruthy();
  });

  test('a key override is a marker and a tooltip; the key keeps its own label', () => {
    const onKeySource = vi.fn<(s: MappingSource) => void>();
    render(<KeyboardView views={views(FEATURES)} onKeySource={onKeySource} />);
    const backspace = key('Backspace');
    expect(backspace.dataset.state).toBe('unmapped');
    expect(backspace.querySelector('.kbd-label')!.textContent).toBe('Bksp');
    expect(within(backspace).getByTestId('override-mark').textContent).toBe('⇧Del');
    expect(backspace.title).toContain('key override: Shift+Backspace → Delete (base)');
    expect(backspace.getAttribute('aria-label')).toContain('key override');
    // not mapped itself: a click goes to the override's line
    fireEvent.click(backspace);
    expect(onKeySource).toHaveBeenLastCalledWith({ file: 'test.rhai', line: 4, column: 1 });
  });
});

describe('DOM key codes', () => {
  test('every captured code maps to a key the engine knows', () => {
    for (const code of CAPTURED_DOM_CODES) expect(() => resolveKey(keyNameForDomCode(code)!)).not.toThrow();
    expect(keyNameForDomCode('KeyQ')).toBe('Q');
    expect(keyNameForDomCode('Digit7')).toBe('Num7');
    expect(keyNameForDomCode('IntlYen')).toBe('Yen');
    expect(keyNameForDomCode('IntlRo')).toBe('Ro');
    expect(keyNameForDomCode('Convert')).toBe('Henkan');
    expect(keyNameForDomCode('NonConvert')).toBe('Muhenkan');
    expect(keyNameForDomCode('KanaMode')).toBe('KatakanaHiragana');
    expect(keyNameForDomCode('F24')).toBe('F24');
    expect(keyNameForDomCode('NumpadEnter')).toBe('NumpadEnter');
    expect(keyNameForDomCode('ArrowLeft')).toBe('Left');
    expect(keyNameForDomCode('Fn')).toBeNull();
    expect(keyNameForDomCode('toString')).toBeNull();
  });

  test('every key of every on-screen layout can be typed physically', () => {
    const reachable = new Set(CAPTURED_DOM_CODES.map((c) => keyNameForDomCode(c)));
    for (const name of ['Grave', 'Backslash', 'Iso102nd', 'Menu', 'Pause', 'PrintScreen', 'RMeta'])
      expect(reachable.has(name)).toBe(true);
    expect(ALL_KEY_NAMES.length).toBeGreaterThan(reachable.size / 2);
  });
});
