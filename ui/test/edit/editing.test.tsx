/**
 * Editing without code in the real profile editor (CodeMirror, the compiler, the keyboard view;
 * only the network is faked): a click on a key opens its dialog, Save changes the editor's text as
 * one undoable step and the keyboard follows, auto-save saves through PUT with an Undo, layers are
 * added from the layer selector, hand edits reach the dialog, and the Changes dialog shows the diff.
 */
import { undo } from '@codemirror/commands';
import { EditorView } from '@codemirror/view';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ProfileDetail, Status } from '../../src/api.ts';
import type { AppContextValue } from '../../src/app-context.ts';
import { AppContext } from '../../src/app-context.ts';
import { AUTO_SAVE_KEY, AutoSaveSetting } from '../../src/edit/auto-save.tsx';
import { lineCounts } from '../../src/edit/DiffView.tsx';
import { textChange } from '../../src/edit/edit-session.ts';
import { resetKeyMemory } from '../../src/edit/palette.ts';
import EditorPage from '../../src/pages/EditorPage.tsx';
import { ToastProvider } from '../../src/toasts.tsx';
import { calls, fakeFetch, handlers, resetFakeApi } from '../fake-api.ts';

const PROFILE = [
  '// demo profile',
  'device_start("*");',
  '    tap_hold("CapsLock", "VK_Escape", "MD_00", 200);',
  '    when_start("MD_00");',
  '        map("H", "VK_Left");',
  '    when_end();',
  'device_end();',
  '',
].join('\n');

function detail(name: string, source: string): ProfileDetail {
  return {
    name,
    active: false,
    size: source.length,
    modifiedAt: '2026-01-01T00:00:00.000Z',
    devices: 1,
    mappings: 2,
    layers: 1,
    lastCompileError: null,
    source,
    diagnostics: [],
  };
}

/** GET/PUT /api/profiles/:name like the daemon; `puts` are the texts saved, in order. */
function serveProfile(name: string, source: string) {
  let stored = source;
  const puts: string[] = [];
  handlers.push((call) => {
    if (call.path === '/api/profiles?limit=10000')
      return { status: 200, body: { profiles: [detail(name, stored), detail('other', OTHER)], total: 2 } };
    if (call.path === '/api/profiles/other' && call.method === 'GET')
      return { status: 200, body: detail('other', OTHER) };
    if (call.path !== `/api/profiles/${name}`) return undefined;
    if (call.method === 'GET') return { status: 200, body: detail(name, stored) };
    if (call.method === 'PUT') {
      stored = (call.body as { source: string }).source;
      puts.push(stored);
      return { status: 200, body: { ...detail(name, stored), reloaded: false } };
    }
    return undefined;
  });
  return { puts, stored: () => stored };
}

const OTHER = 'device_start("*");\n    map("A", "VK_B");\ndevice_end();\n';

const STATUS: Status = {
  version: '0.1.0',
  pid: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
  uptimeSec: 1,
  backend: 'virtual',
  activeProfile: null,
  activatedAt: null,
  profiles: 1,
  devices: 0,
  eventsProcessed: 0,
  wsClients: 0,
  suspended: false,
};

function renderEditor() {
  const ctx: AppContextValue = { status: STATUS, refreshStatus: vi.fn(), stream: null };
  return render(
    <AppContext.Provider value={ctx}>
      <ToastProvider>
        <EditorPage name="demo" />
      </ToastProvider>
    </AppContext.Provider>,
  );
}

async function editorView(): Promise<EditorView> {
  const editor = await screen.findByRole('textbox', { name: /Source of profile/ });
  return EditorView.findFromDOM(editor.closest('.cm-editor') as HTMLElement)!;
}

const key = (name: string) =>
  document.querySelector<HTMLButtonElement>(`.kbd-view button[data-key="${name}"]`)!;
const dialog = () => screen.getByTestId('mapping-dialog');
const field = (label: string) => within(dialog()).getByLabelText(label) as HTMLInputElement;
const change = (el: HTMLElement, value: string) => fireEvent.change(el, { target: { value } });
const notice = () => screen.getByTestId('edit-notice');

beforeAll(() => {
  const empty = { x: 0, y: 0, top: 0, left: 0, bottom: 0, right: 0, width: 0, height: 0, toJSON: () => ({}) };
  const emptyList = Object.assign([], { item: () => null }) as unknown as DOMRectList;
  Range.prototype.getClientRects ??= () => emptyList;
  Range.prototype.getBoundingClientRect ??= () => empty as DOMRect;
});

beforeEach(() => {
  resetFakeApi();
  localStorage.clear();
  resetKeyMemory();
  vi.stubGlobal('fetch', vi.fn(fakeFetch));
  window.history.replaceState(null, '', '/profiles/demo');
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('editing from the keyboard view', () => {
  test('a click opens the dialog; Save changes the text as one undoable step and the keyboard follows', async () => {
    serveProfile('demo', PROFILE);
    renderEditor();
    const view = await editorView();
    fireEvent.click(key('CapsLock'));
    expect(field('Tap').value).toBe('Escape');
    change(field('Tap'), 'Tab');
    fireEvent.click(within(dialog()).getByRole('button', { name: 'Save' }));
    expect(screen.queryByTestId('mapping-dialog')).toBeNull();

    const edited = PROFILE.replace('"VK_Escape"', '"VK_Tab"');
    expect(view.state.doc.toString()).toBe(edited);
    // the cursor is on the change
    expect(view.state.doc.lineAt(view.state.selection.main.head).number).toBe(3);
    await waitFor(() => expect(key('CapsLock').getAttribute('title')).toMatch(/^tap: Tab/));
    expect(screen.getByTestId('save-state').textContent).toBe('Unsaved changes');
    expect(notice().textContent).toMatch(/CapsLock: tap: Tab, hold ≥ 200 ms: MD_00.*not saved yet/);
    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(0);

    // Ctrl+Z in the editor: the whole edit in one step
    act(() => {
      undo(view);
    });
    expect(view.state.doc.toString()).toBe(PROFILE);
    await waitFor(() => expect(key('CapsLock').getAttribute('title')).toMatch(/^tap: Escape/));
    expect(screen.getByTestId('save-state').textContent).toBe('Saved');
  });

  test('Alt+click still goes to the key’s line; the dialog’s Go to source too', async () => {
    serveProfile('demo', PROFILE);
    renderEditor();
    const view = await editorView();
    fireEvent.click(key('CapsLock'), { altKey: true });
    expect(screen.queryByTestId('mapping-dialog')).toBeNull();
    expect(view.state.doc.lineAt(view.state.selection.main.head).number).toBe(3);
    view.dispatch({ selection: { anchor: 0 } });
    fireEvent.click(key('CapsLock'));
    fireEvent.click(within(dialog()).getByRole('button', { name: 'Go to source' }));
    expect(screen.queryByTestId('mapping-dialog')).toBeNull();
    expect(view.state.doc.lineAt(view.state.selection.main.head).number).toBe(3);
  });

  test('with auto-save on, an edit is saved through PUT; Undo restores and saves the text before', async () => {
    const served = serveProfile('demo', PROFILE);
    renderEditor();
    const view = await editorView();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Auto-save edits' }));
    expect(localStorage.getItem(AUTO_SAVE_KEY)).toBe('true');

    fireEvent.click(key('A'));
    expect(within(dialog()).getByTestId('mapping-now').textContent).toBe('Not mapped: the key types itself.');
    change(field('Types'), 'B');
    fireEvent.click(within(dialog()).getByRole('button', { name: 'Save' }));
    const edited = PROFILE.replace(
      '        map("H", "VK_Left");\n    when_end();\n',
      '        map("H", "VK_Left");\n    when_end();\n    map("A", "VK_B");\n',
    );
    expect(view.state.doc.toString()).toBe(edited);
    await waitFor(() => expect(notice().textContent).toMatch(/A → B\s*Saved\./));
    expect(served.puts).toEqual([edited]);
    expect(screen.getByTestId('save-state').textContent).toBe('Saved');
    // the save's own toast stays quiet: the notice reports it
    expect(screen.queryAllByTestId('toast')).toHaveLength(0);

    fireEvent.click(within(notice()).getByRole('button', { name: 'Undo' }));
    expect(view.state.doc.toString()).toBe(PROFILE);
    await waitFor(() => expect(notice().textContent).toMatch(/Undone: A → B\s*Saved\./));
    expect(served.puts).toEqual([edited, PROFILE]);
    expect(within(notice()).queryByRole('button', { name: 'Undo' })).toBeNull();
  });

  test('after more typing the notice no longer offers Undo and points to Ctrl+Z', async () => {
    serveProfile('demo', PROFILE);
    renderEditor();
    const view = await editorView();
    fireEvent.click(key('A'));
    change(field('Types'), 'B');
    fireEvent.click(within(dialog()).getByRole('button', { name: 'Save' }));
    act(() => {
      view.dispatch({ changes: { from: 0, insert: '// more\n' }, userEvent: 'input.type' });
    });
    // the notice's Undo would throw the typing away: it is gone, Ctrl+Z is the way back
    await waitFor(() =>
      expect(notice().textContent).toMatch(/The text changed since: Ctrl\+Z in the editor/),
    );
    expect(within(notice()).queryByRole('button', { name: 'Undo' })).toBeNull();
  });

  test('hand edits reach the keyboard and the dialog reads the editor’s text, not the saved one', async () => {
    serveProfile('demo', PROFILE);
    renderEditor();
    const view = await editorView();
    act(() => {
      view.dispatch({
        changes: { from: view.state.doc.line(7).from, insert: '    map("Q", "VK_W");\n' },
        userEvent: 'input.type',
      });
    });
    await waitFor(() => expect(key('Q').getAttribute('data-state')).toBe('mapped'));
    fireEvent.click(key('Q'));
    expect(within(dialog()).getByTestId('mapping-now').textContent).toBe('Now: Q → W · demo.rhai:7');
    change(field('Types'), 'E');
    fireEvent.click(within(dialog()).getByRole('button', { name: 'Save' }));
    expect(view.state.doc.line(7).text).toBe('    map("Q", "VK_E");');
    await waitFor(() => expect(key('Q').getAttribute('title')).toMatch(/^Q → E/));
  });

  test('a layer is added from the layer selector and gets its first key', async () => {
    serveProfile('demo', PROFILE);
    renderEditor();
    const view = await editorView();
    fireEvent.click(screen.getByRole('button', { name: 'Add layer…' }));
    const layerDialog = screen.getByTestId('layer-dialog');
    expect((within(layerDialog).getByLabelText('Layer id') as HTMLInputElement).value).toBe('MD_01');
    change(within(layerDialog).getByLabelText('Layer name'), 'Nav');
    fireEvent.click(within(layerDialog).getByRole('button', { name: 'Add layer' }));
    // after the header comment that opens the file, above the first device block
    expect(view.state.doc.toString()).toBe(
      PROFILE.replace('// demo profile\n', '// demo profile\nlayer_name("MD_01", "Nav");\n\n'),
    );
    const layerSelect = screen.getByRole('combobox', { name: 'Layer' }) as HTMLSelectElement;
    await waitFor(() => expect(layerSelect.value).toBe('MD_01'));
    expect(layerSelect.selectedOptions[0].textContent).toBe('MD_01 “Nav” · 0 keys');

    fireEvent.click(key('J'));
    expect(dialog().querySelector('.edit-dialog-sub')!.textContent).toBe('in MD_01 (Nav)');
    change(field('Types'), 'Down');
    fireEvent.click(within(dialog()).getByRole('button', { name: 'Save' }));
    // a when-block of its own, at the end of the device block
    expect(view.state.doc.toString()).toMatch(
      /when_start\("MD_01"\);\n\s+map\("J", "VK_Down"\);\n\s+when_end\(\);\ndevice_end\(\);\n$/,
    );
    await waitFor(() => expect(key('J').getAttribute('data-state')).toBe('mapped'));

    // rename it
    fireEvent.click(screen.getByRole('button', { name: 'Rename layer MD_01 (Nav)' }));
    const rename = screen.getByTestId('layer-dialog');
    change(within(rename).getByLabelText('Layer name'), 'Arrows');
    fireEvent.click(within(rename).getByRole('button', { name: 'Rename' }));
    expect(view.state.doc.toString()).toContain('layer_name("MD_01", "Arrows");');
    await waitFor(() => expect(layerSelect.selectedOptions[0].textContent).toBe('MD_01 “Arrows” · 1 key'));
  });

  test('Changes: the saved text against the editor’s, and another profile', async () => {
    serveProfile('demo', PROFILE);
    renderEditor();
    await editorView();
    fireEvent.click(screen.getByRole('button', { name: 'Changes' }));
    let changes = await screen.findByTestId('changes-dialog');
    expect(within(changes).getByTestId('diff-same').textContent).toMatch(/No unsaved changes/);
    fireEvent.click(within(changes).getByRole('button', { name: 'Close' }));

    fireEvent.click(key('CapsLock'));
    change(field('Threshold'), '250');
    fireEvent.click(within(dialog()).getByRole('button', { name: 'Save' }));
    fireEvent.click(screen.getByRole('button', { name: 'Changes' }));
    changes = await screen.findByTestId('changes-dialog');
    expect(within(changes).getByTestId('diff-counts').textContent).toBe('−1 +1 lines');
    const diff = within(changes).getByTestId('diff-view');
    expect(diff.textContent).toContain('tap_hold("CapsLock", "VK_Escape", "MD_00", 250);');
    expect(diff.querySelector('.cm-deletedChunk')?.textContent).toContain('200');
    fireEvent.click(within(changes).getByRole('radio', { name: 'side by side' }));
    expect(within(changes).getByTestId('diff-view').querySelectorAll('.cm-editor')).toHaveLength(2);

    // another profile, loaded from the daemon
    const compare = within(changes).getByRole('combobox', { name: 'Compare' }) as HTMLSelectElement;
    await waitFor(() => expect(compare.options).toHaveLength(2));
    change(compare, 'other');
    await waitFor(() =>
      expect(within(changes).getByTestId('diff-counts').textContent).not.toBe('−1 +1 lines'),
    );
    expect(calls.some((c) => c.method === 'GET' && c.path === '/api/profiles/other')).toBe(true);
    expect(within(changes).getByTestId('diff-view').textContent).toContain('map("A", "VK_B");');
  });
});

describe('pieces', () => {
  test('textChange: the one range that differs, never splitting a surrogate pair', () => {
    expect(textChange('abc', 'abc')).toBeNull();
    expect(textChange('map("A", "VK_B");', 'map("A", "VK_C");')).toEqual({ from: 13, to: 14, insert: 'C' });
    expect(textChange('ab', 'abcd')).toEqual({ from: 2, to: 2, insert: 'cd' });
    const r = textChange('x😀y', 'x😃y')!;
    expect(r).toEqual({ from: 1, to: 3, insert: '😃' });
  });

  test('lineCounts counts lines only on either side', () => {
    expect(lineCounts('a\nb\nc', 'a\nc\nd\ne')).toEqual({ removed: 1, added: 2 });
    expect(lineCounts('a', 'a')).toEqual({ removed: 0, added: 0 });
  });

  test('the settings page switch is the toolbar’s choice', () => {
    render(<AutoSaveSetting />);
    const box = screen.getByRole('checkbox', { name: 'Auto-save edits' }) as HTMLInputElement;
    expect(box.checked).toBe(false);
    fireEvent.click(box);
    expect(localStorage.getItem(AUTO_SAVE_KEY)).toBe('true');
    expect(box.checked).toBe(true);
  });
});
