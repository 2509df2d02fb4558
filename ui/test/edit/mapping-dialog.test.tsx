/**
 * The mapping dialog on its own, with the real compiler and edit model (spied on, not replaced):
 * it is prefilled from the key's mapping in the text it is given, Save hands the edit model's
 * result to the editor, refusals are shown with the compiler's message, and a key mapped by code
 * offers an override.
 */
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import type { Condition } from '../../../src/core/index.ts';
import * as editModel from '../../../src/dsl/edit.ts';
import { compileProfile } from '../../../src/dsl/compile.ts';
import type { KeyTarget } from '../../src/edit/MappingDialog.tsx';
import { MappingDialog } from '../../src/edit/MappingDialog.tsx';
import { keyMemory, resetKeyMemory } from '../../src/edit/palette.ts';

vi.mock('../../../src/dsl/edit.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../src/dsl/edit.ts')>();
  return { ...actual, editProfile: vi.fn(actual.editProfile) };
});
const editProfile = vi.mocked(editModel.editProfile);

const PROFILE = [
  '// demo profile',
  'device_start("*");',
  '    // caps is escape, and a layer',
  '    tap_hold("CapsLock", "VK_Escape", "MD_00", 200);',
  '    map("A", "VK_B");',
  '    when_start("MD_00");',
  '        map("H", "VK_Left");',
  '    when_end();',
  'device_end();',
  '',
].join('\n');

const FILE = 'demo.rhai';
const MD_00: Condition = { kind: 'modifier', id: 0 };

function open(source: string, target: Partial<KeyTarget> & { key: string }) {
  let text = source;
  const onApply = vi.fn((next: string, _what: string) => {
    text = next;
  });
  const onGoTo = vi.fn();
  const onClose = vi.fn();
  render(
    <MappingDialog
      target={{ block: 0, layer: null, ...target }}
      file={FILE}
      getSource={() => text}
      onApply={onApply}
      onGoTo={onGoTo}
      onClose={onClose}
    />,
  );
  const dialog = screen.getByTestId('mapping-dialog');
  return { dialog, onApply, onGoTo, onClose, text: () => text };
}

const field = (dialog: HTMLElement, label: string | RegExp) =>
  within(dialog).getByLabelText(label) as HTMLInputElement | HTMLSelectElement;
const change = (el: HTMLElement, value: string) => fireEvent.change(el, { target: { value } });
const save = (dialog: HTMLElement) => fireEvent.click(within(dialog).getByRole('button', { name: /^Save/ }));

beforeEach(() => {
  editProfile.mockClear();
  localStorage.clear();
  resetKeyMemory();
});

describe('MappingDialog', () => {
  test('is prefilled from the key’s mapping in the text it is given, with its line', () => {
    const { dialog } = open(PROFILE, { key: 'CapsLock' });
    expect(within(dialog).getByRole('heading').textContent).toBe('Key CapsLock');
    expect(within(dialog).getByTestId('mapping-now').textContent).toBe(
      'Now: CapsLock: tap: Escape, hold ≥ 200 ms: MD_00 · demo.rhai:4',
    );
    expect(field(dialog, 'What it does').value).toBe('tapHold');
    expect(field(dialog, 'Tap').value).toBe('Escape');
    expect(field(dialog, 'Threshold').value).toBe('200');
    expect((within(dialog).getByRole('radio', { name: /a layer/ }) as HTMLInputElement).checked).toBe(true);
    expect(field(dialog, 'Hold layer').value).toBe('MD_00');
    expect(within(dialog).getByRole('button', { name: 'Remove mapping' })).toBeTruthy();
  });

  test('Save runs the edit model on the current text and hands over its result', () => {
    const { dialog, onApply, onClose } = open(PROFILE, { key: 'CapsLock' });
    change(field(dialog, 'Threshold'), '180');
    change(field(dialog, 'Mode'), 'hold_on_press');
    save(dialog);
    const mapping = {
      kind: 'tapHold',
      from: 'CapsLock',
      tap: 'Escape',
      hold: 0,
      thresholdMs: 180,
      mode: 'hold_on_press',
    };
    expect(editProfile).toHaveBeenLastCalledWith(
      PROFILE,
      { block: 0, layer: null, key: 'CapsLock', mapping, override: undefined },
      { file: FILE },
    );
    const expected = PROFILE.replace(
      'tap_hold("CapsLock", "VK_Escape", "MD_00", 200);',
      'tap_hold("CapsLock", "VK_Escape", "MD_00", 180, #{ mode: "hold_on_press" });',
    );
    expect(onApply).toHaveBeenCalledWith(
      expected,
      'CapsLock: tap: Escape, hold ≥ 180 ms: MD_00 (hold on press)',
    );
    expect(onClose).toHaveBeenCalled();
    // the keys it names are recent keys now
    expect(keyMemory().recents()).toEqual(['Escape']);
  });

  test('a new mapping in a layer: the key, the kind, a key from the palette', () => {
    const { dialog, onApply } = open(PROFILE, { key: 'J', layer: MD_00 });
    expect(dialog.querySelector('.edit-dialog-sub')!.textContent).toBe('in MD_00');
    expect(within(dialog).getByTestId('mapping-now').textContent).toMatch(/^Not mapped in MD_00/);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Choose types' }));
    const search = within(dialog).getByRole('searchbox', { name: 'Search keys' });
    change(search, 'down arrow');
    fireEvent.keyDown(search, { key: 'Enter' });
    save(dialog);
    expect(onApply.mock.calls[0][0]).toBe(
      PROFILE.replace(
        '        map("H", "VK_Left");\n',
        '        map("H", "VK_Left");\n        map("J", "VK_Down");\n',
      ),
    );
    expect(onApply.mock.calls[0][1]).toBe('J → Down');
  });

  test('a layer typed as the target makes a layer key, and a new layer can be named with it', () => {
    const { dialog, onApply } = open(PROFILE, { key: 'Space' });
    change(field(dialog, 'Types'), 'MD_01');
    expect(field(dialog, 'What it does').value).toBe('modifier');
    expect(field(dialog, 'Layer').value).not.toBe('MD_00');
    expect(field(dialog, 'New layer id').value).toBe('MD_01');
    change(field(dialog, 'New layer name'), 'Nav');
    save(dialog);
    const [next, what] = onApply.mock.calls[0];
    expect(what).toBe('Space: holds layer MD_01');
    expect(next).toContain('layer_name("MD_01", "Nav");\n');
    expect(next).toContain('    map("Space", "MD_01");\n');
    const config = compileProfile(next, { file: FILE }).config!;
    expect(config.layerNames).toEqual([{ layer: 'MD_01', name: 'Nav' }]);
  });

  test('a value out of range is refused with the compiler’s message; nothing is applied', () => {
    const { dialog, onApply, onClose } = open(PROFILE, { key: 'CapsLock' });
    change(field(dialog, 'Threshold'), '99999');
    save(dialog);
    const problem = within(dialog).getByTestId('mapping-problem');
    expect(problem.getAttribute('role')).toBe('alert');
    expect(problem.textContent).toMatch(/^tap_hold\(\): threshold must be 1–65535 ms, got 99999/);
    expect(onApply).not.toHaveBeenCalled();
    expect(onClose).not.toHaveBeenCalled();
    // a field at fault is marked at the field
    change(field(dialog, 'Threshold'), 'soon');
    save(dialog);
    expect(within(dialog).getByText('the threshold must be a whole number, got “soon”')).toBeTruthy();
  });

  test('an edit the edit model refuses is shown with its message', () => {
    // the same key mapped twice: the first wins, so removing it would leave the second
    const source = 'device_start("*");\n  map("A", "VK_B");\n  map("A", "VK_C");\ndevice_end();\n';
    const { dialog, onApply } = open(source, { key: 'A' });
    expect(within(dialog).queryByRole('button', { name: 'Remove mapping' })).toBeNull();
    change(field(dialog, 'Types'), 'C');
    save(dialog);
    expect(onApply).toHaveBeenCalledWith(source.replace('VK_B', 'VK_C'), 'A → C');
  });

  test('Remove mapping deletes its statement', () => {
    const { dialog, onApply } = open(PROFILE, { key: 'H', layer: MD_00 });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove mapping' }));
    expect(editProfile).toHaveBeenLastCalledWith(
      PROFILE,
      { block: 0, layer: MD_00, key: 'H', mapping: null, override: undefined },
      { file: FILE },
    );
    expect(onApply).toHaveBeenCalledWith(
      PROFILE.replace('        map("H", "VK_Left");\n', ''),
      'H in MD_00: mapping removed',
    );
  });

  test('a key mapped by code says where, and offers an override', () => {
    const source = [
      'device_start("*");',
      '    for k in ["A", "B"] {',
      '        map(k, "VK_C");',
      '    }',
      'device_end();',
      '',
    ].join('\n');
    const { dialog, onApply, onGoTo, onClose } = open(source, { key: 'A' });
    const note = within(dialog).getByTestId('mapping-from-code');
    expect(note.textContent).toMatch(
      /A is mapped by code at demo\.rhai:3:9 \(a loop, a function or a loaded file\)/,
    );
    expect((within(dialog).getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(note).getByRole('button', { name: 'Add an override' }));
    change(field(dialog, 'Types'), 'Z');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save as an override' }));
    expect(editProfile.mock.lastCall?.[1]).toMatchObject({ key: 'A', override: true });
    expect(onApply.mock.calls[0][0]).toBe(
      source.replace('device_start("*");\n', 'device_start("*");\n  map("A", "VK_Z");\n'),
    );
    expect(compileProfile(onApply.mock.calls[0][0]).config!.devices[0].mappings[0]).toEqual({
      kind: 'simple',
      from: 'A',
      to: 'Z',
    });
    expect(onGoTo).not.toHaveBeenCalled();
    expect(onClose).toHaveBeenCalledTimes(1);
    // and "go to" goes to the loop's line
    cleanup();
    const again = open(source, { key: 'B' });
    fireEvent.click(within(again.dialog).getByRole('button', { name: 'Go to demo.rhai:3' }));
    expect(again.onGoTo).toHaveBeenCalledWith({ file: 'demo.rhai', line: 3, column: 9 });
    expect(again.onClose).toHaveBeenCalled();
  });

  test('Go to source closes the dialog and goes to the key’s line', () => {
    const { dialog, onGoTo, onClose } = open(PROFILE, { key: 'A' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Go to source' }));
    expect(onClose).toHaveBeenCalled();
    expect(onGoTo).toHaveBeenCalledWith({ file: FILE, line: 5, column: 5 });
  });

  test('a text with errors cannot be edited: the dialog says so', () => {
    const { dialog } = open('device_start("*");\n  map("Nope", "VK_B");\ndevice_end();\n', { key: 'A' });
    expect(within(dialog).getByRole('alert').textContent).toMatch(
      /^The text has errors \(line 2: Unknown key name: 'Nope'/,
    );
    expect((within(dialog).getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
  });

  test('every kind has a form, and switching kinds in the form saves that kind', () => {
    const { dialog, onApply } = open(PROFILE, { key: 'A' });
    const kinds = [...(field(dialog, 'What it does') as HTMLSelectElement).options].map((o) => o.value);
    expect(kinds).toHaveLength(20);
    change(field(dialog, 'What it does'), 'macro');
    change(field(dialog, 'Step 1 key'), 'H');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add a step' }));
    change(field(dialog, 'Step 2'), 'text');
    change(field(dialog, 'Step 2 text'), 'ello');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Move step 2 up' }));
    save(dialog);
    expect(onApply.mock.calls[0][0]).toContain('macro("A", [text("ello"), tap("VK_H")]);');
  });
});
