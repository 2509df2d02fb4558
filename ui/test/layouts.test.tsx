/**
 * The keyboard view's layouts: every built-in layout drawn with its keys at their places, the
 * selector with the daemon's custom layouts (only the network is faked), the remembered choice,
 * and the geometry and detection the view uses.
 */
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { LayoutKey } from '../../src/core/index.ts';
import { BUILTIN_LAYOUTS, layoutById } from '../../src/core/index.ts';
import type { LayoutDetail, LayoutSummary } from '../src/api.ts';
import { KeyboardView } from '../src/keyboard/KeyboardView.tsx';
import { refreshLayoutList, resetLayoutState } from '../src/keyboard/layouts.ts';
import { keyLegend } from '../src/keyboard/legends.ts';
import { detectLayout, layoutGeometry } from '../src/keyboard/model.ts';
import { compileInBrowser } from '../src/lib/compile.ts';
import { calls, fakeFetch, handlers, resetFakeApi } from './fake-api.ts';

function views(source: string) {
  const compiled = compileInBrowser(source, 'test.rhai');
  expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return compiled.views;
}
const profile = (...lines: string[]) => views(['device_start("*");', ...lines, 'device_end();'].join('\n'));

const select = () => screen.getByLabelText('Layout') as HTMLSelectElement;
const optionValues = (label: string) =>
  [...select().querySelectorAll(`optgroup[label="${label}"] option`)].map(
    (o) => (o as HTMLOptionElement).value,
  );

/** The drawn keys: name → the place its `.kbd-pos` wrapper gives it, in units from its block. */
function drawnKeys(): Map<string, { x: number; y: number; h: number; w: number; block: number }> {
  const out = new Map<string, { x: number; y: number; h: number; w: number; block: number }>();
  document.querySelectorAll('.kbd .kbd-block').forEach((block, b) =>
    block.querySelectorAll<HTMLElement>('.kbd-pos').forEach((pos) => {
      const button = pos.querySelector<HTMLButtonElement>('button[data-key]')!;
      const slot = pos.querySelector<HTMLElement>('.kbd-slot')!;
      out.set(button.dataset.key!, {
        x: Number(pos.style.getPropertyValue('--x')),
        y: Number(pos.style.getPropertyValue('--y')),
        h: Number(pos.style.getPropertyValue('--h')),
        w: Number(slot.style.getPropertyValue('--w')),
        block: b,
      });
    }),
  );
  return out;
}

const MY_BOARD: LayoutDetail = {
  id: 'my-board',
  name: 'My split board',
  builtIn: false,
  aliases: [],
  width: 6,
  height: 2,
  keys: [
    { key: 'Q', x: 0, y: 0, w: 1, h: 1 },
    { key: 'W', x: 1, y: 0, w: 1, h: 1 },
    { key: 'Space', x: 0, y: 1, w: 2, h: 1 },
    { key: 'Yen', x: 4, y: 0, w: 1, h: 2 },
    { key: 'Grave', x: 5, y: 0, w: 1, h: 1 },
  ],
};
const summaryOf = (l: LayoutDetail): LayoutSummary => ({
  id: l.id,
  name: l.name,
  builtIn: l.builtIn,
  aliases: l.aliases,
  keyCount: l.keys.length,
  width: l.width,
  height: l.height,
});

function serveLayouts(custom: LayoutDetail[], broken: string[] = []) {
  handlers.push((call) => {
    if (call.method !== 'GET') return undefined;
    if (call.path === '/api/layouts')
      return {
        status: 200,
        body: {
          layouts: [
            ...BUILTIN_LAYOUTS.map((l) => ({ ...summaryOf({ ...l, aliases: [], width: 0, height: 0 }) })),
            ...custom.map(summaryOf),
            ...broken.map((id) => ({
              id,
              name: id,
              builtIn: false,
              aliases: [],
              keyCount: 0,
              width: 0,
              height: 0,
              error: 'not valid JSON',
            })),
          ],
          truncated: false,
        },
      };
    const found = custom.find((l) => call.path === `/api/layouts/${l.id}`);
    if (found) return { status: 200, body: found };
    if (call.path.startsWith('/api/layouts/'))
      return { status: 404, body: { error: { code: 'LAYOUT_NOT_FOUND', message: 'no layout' } } };
    return undefined;
  });
}

beforeEach(() => {
  resetFakeApi();
  resetLayoutState();
  vi.stubGlobal('fetch', vi.fn(fakeFetch));
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('built-in layouts in the keyboard view', () => {
  test('every built-in layout is offered and drawn with each key at its place and size', () => {
    render(<KeyboardView views={profile('map("A", "VK_B");')} />);
    expect(optionValues('Built in')).toEqual(BUILTIN_LAYOUTS.map((l) => l.id));
    for (const layout of BUILTIN_LAYOUTS) {
      fireEvent.change(select(), { target: { value: layout.id } });
      expect(select().value).toBe(layout.id);
      const drawn = drawnKeys();
      expect(drawn.size).toBe(layout.keys.length);
      const geometry = layoutGeometry(layout);
      for (const k of layout.keys) {
        const d = drawn.get(k.key)!;
        expect(d, `${layout.id} ${k.key}`).toBeDefined();
        const block = geometry.blocks[d.block];
        expect([d.x + block.x, d.y, d.w, d.h]).toEqual([k.x, k.y, k.w, k.h]);
      }
      expect(
        screen.getByRole('group', { name: (name) => name.startsWith(`${layout.name} keyboard`) }),
      ).toBeTruthy();
    }
    // no request: the built-in layouts are part of the page
    expect(calls).toEqual([]);
  });

  test('full-size boards wrap as three blocks (main, navigation, numpad); compact ones are one', () => {
    expect(layoutGeometry(layoutById('ansi-104')!).blocks.map((b) => [b.x, b.width])).toEqual([
      [0, 15],
      [15.25, 3],
      [18.5, 4],
    ]);
    expect(layoutGeometry(layoutById('ansi-87')!).blocks).toHaveLength(2);
    for (const id of ['compact-60', 'compact-65', 'compact-75', 'compact-96', 'hhkb', 'numpad'])
      expect(layoutGeometry(layoutById(id)!).blocks, id).toHaveLength(1);
    const g = layoutGeometry(layoutById('ansi-104')!);
    expect(g.columns).toBe(15 + 3 + 4 + 2 * 0.5);
    expect(g.mainColumns).toBe(15);
    expect(g.height).toBe(6.5);
    // arrow-key rows: the F row, then the number row … with the numpad's keys at their row
    expect(g.rows[0][0].key).toBe('Escape');
    expect(g.rows[1].map((k) => k.key).slice(-4)).toEqual([
      'NumLock',
      'NumpadDivide',
      'NumpadMultiply',
      'NumpadSubtract',
    ]);
    expect(g.rows[2].map((k) => k.key)).toContain('NumpadAdd');
  });

  test('tall keys keep their height: numpad Enter and +, the ISO Enter', () => {
    render(<KeyboardView views={profile('map("NumpadEnter", "VK_Enter");')} />);
    expect(select().value).toBe('ansi-104');
    let drawn = drawnKeys();
    expect(drawn.get('NumpadEnter')!.h).toBe(2);
    expect(drawn.get('NumpadAdd')!.h).toBe(2);
    fireEvent.change(select(), { target: { value: 'iso-105' } });
    drawn = drawnKeys();
    expect([drawn.get('Enter')!.w, drawn.get('Enter')!.h]).toEqual([1.25, 2]);
  });

  test('detection: Japanese keys → JIS, the 102nd key → ISO, numpad keys → full size, else tenkeyless', () => {
    expect(detectLayout(profile('map("A", "VK_B");'))).toBe('ansi-87');
    expect(detectLayout(profile('map("Numpad1", "VK_End");'))).toBe('ansi-104');
    expect(detectLayout(profile('map("NumLock", "VK_Escape");'))).toBe('ansi-104');
    expect(detectLayout(profile('map("Iso102nd", "VK_LShift");'))).toBe('iso-88');
    expect(detectLayout(profile('map("Iso102nd", "VK_LShift");', 'map("NumpadAdd", "VK_A");'))).toBe(
      'iso-105',
    );
    expect(detectLayout(profile('map("Henkan", "VK_Space");'))).toBe('jis-109');
  });

  test('the old ids still name the full-size layouts', () => {
    render(<KeyboardView views={profile()} layout="jis" />);
    expect(select().value).toBe('jis-109');
    expect(document.querySelector('.kbd button[data-key="Yen"]')).toBeTruthy();
  });
});

describe('custom layouts', () => {
  test('hovering the selector loads the custom layouts; choosing one draws it and remembers it', async () => {
    serveLayouts([MY_BOARD], ['broken-one']);
    const { unmount } = render(<KeyboardView views={profile('map("Q", "VK_Escape");')} />);
    expect(optionValues('Custom')).toEqual([]);
    fireEvent.pointerEnter(select());
    await waitFor(() => expect(optionValues('Custom')).toEqual(['my-board']));
    expect(within(select()).getByRole('option', { name: 'My split board' })).toBeTruthy();

    fireEvent.change(select(), { target: { value: 'my-board' } });
    await waitFor(() => expect(drawnKeys().size).toBe(5));
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /api/layouts',
      'GET /api/layouts/my-board',
    ]);
    const drawn = drawnKeys();
    // two blocks: a vertical gap of two units splits them
    expect(drawn.get('Q')).toEqual({ x: 0, y: 0, w: 1, h: 1, block: 0 });
    expect(drawn.get('Yen')).toEqual({ x: 0, y: 0, w: 1, h: 2, block: 1 });
    expect(drawn.get('Space')!.w).toBe(2);
    expect(document.querySelector('.kbd button[data-key="Q"]')!.textContent).toContain('Esc');
    // a board with a Japanese key prints 半/全 on Grave
    expect(document.querySelector('.kbd button[data-key="Grave"]')!.textContent).toContain('半/全');
    // keys the layout has no place for are listed below it
    expect(screen.queryByRole('group', { name: 'Not on this layout:' })).toBeNull();
    unmount();

    // a new view (another profile, a reload of the page) shows the remembered choice
    render(<KeyboardView views={profile('map("A", "VK_B");')} />);
    expect(select().value).toBe('my-board');
    expect(drawnKeys().size).toBe(5);
    const extra = screen.getByRole('group', { name: 'Not on this layout:' });
    expect(within(extra).getByRole('button', { name: 'A → B (base)' })).toBeTruthy();
  });

  test('a remembered custom layout that was deleted falls back to detection and is forgotten', async () => {
    serveLayouts([MY_BOARD]);
    const first = render(<KeyboardView views={profile()} />);
    fireEvent.focus(select());
    await waitFor(() => expect(optionValues('Custom')).toEqual(['my-board']));
    fireEvent.change(select(), { target: { value: 'my-board' } });
    await waitFor(() => expect(drawnKeys().size).toBe(5));
    first.unmount();

    // the page is loaded again after the layout was deleted
    resetLayoutState({ keepChoice: true });
    resetFakeApi();
    serveLayouts([]);
    render(<KeyboardView views={profile('map("Henkan", "VK_Space");')} />);
    await waitFor(() => expect(select().value).toBe('jis-109'));
    expect(drawnKeys().size).toBe(109);
    expect(localStorage.getItem('keyrx.keyboardLayout')).toBeNull();
  });

  test('a daemon that cannot be reached leaves the built-in layouts', async () => {
    handlers.push(() => ({ status: 500, body: { error: { code: 'INTERNAL', message: 'x' } } }));
    render(<KeyboardView views={profile()} />);
    await act(async () => {
      fireEvent.focus(select());
      await refreshLayoutList();
    });
    expect(optionValues('Custom')).toEqual([]);
    expect(optionValues('Built in')).toHaveLength(BUILTIN_LAYOUTS.length);
  });
});

describe('legends', () => {
  test('numpad keys and the JIS Grave', () => {
    expect(keyLegend('NumpadAdd', 'ansi-104')).toBe('Pad +');
    expect(keyLegend('Numpad7', 'ansi-104')).toBe('Pad 7');
    expect(keyLegend('Grave', 'jis')).toBe('半/全');
    expect(keyLegend('Grave', 'jis-109')).toBe('半/全');
    expect(keyLegend('Grave', layoutById('ansi-104')!)).toBe('`');
    const jisLike: { keys: LayoutKey[] } = { keys: [{ key: 'Ro', x: 0, y: 0, w: 1, h: 1 }] };
    expect(keyLegend('Grave', jisLike)).toBe('半/全');
  });
});
