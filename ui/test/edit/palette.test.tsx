/**
 * The key palette: search by name, alias and description, groups that hold every key of the key
 * table, favourites and recents kept in localStorage, and "press the key you mean" capture.
 */
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { KEYS } from '../../../src/core/index.ts';
import { KeyField, keyProblem } from '../../src/edit/KeyPalette.tsx';
import {
  createKeyMemory,
  FAVOURITES_KEY,
  KEY_ENTRIES,
  keyMemory,
  MAX_RECENTS,
  nextFreeLayer,
  PALETTE_GROUPS,
  parseLayerText,
  RECENTS_KEY,
  resetKeyMemory,
  searchEntries,
} from '../../src/edit/palette.ts';

beforeEach(() => {
  localStorage.clear();
  resetKeyMemory();
});
afterEach(() => vi.useRealTimers());

const names = (query: string) => searchEntries(query, KEY_ENTRIES).map((e) => e.name);

describe('the palette model', () => {
  test('every key of the key table is in exactly one group the palette lists', () => {
    expect(KEY_ENTRIES.map((e) => e.name)).toEqual(KEYS.map((k) => k.name));
    const listed = new Set(PALETTE_GROUPS.map((g) => g.id));
    for (const e of KEY_ENTRIES) expect(listed.has(e.group), e.name).toBe(true);
    const group = (name: string) => KEY_ENTRIES.find((e) => e.name === name)!.group;
    expect([group('A'), group('Num1'), group('LShift'), group('Left'), group('F13')]).toEqual([
      'letters',
      'digits',
      'modifiers',
      'navigation',
      'function',
    ]);
    expect([group('Numpad5'), group('VolumeUp'), group('BrowserBack'), group('Yen')]).toEqual([
      'numpad',
      'media',
      'media',
      'international',
    ]);
  });

  test('search: an exact name or alias first, then prefixes, then descriptions', () => {
    expect(names('esc')[0]).toBe('Escape');
    expect(names('Escape')[0]).toBe('Escape');
    expect(names('LSFT')[0]).toBe('LShift');
    expect(names('lgui')[0]).toBe('LMeta');
    expect(names('1')[0]).toBe('Num1');
    expect(names('f1').slice(0, 2)).toEqual(['F1', 'F10']);
    // by what people call it
    expect(names('backtick')).toEqual(['Grave']);
    expect(names('arrow')).toEqual(expect.arrayContaining(['Left', 'Right', 'Up', 'Down']));
    expect(names('windows')).toEqual(['LMeta', 'RMeta']);
    expect(names('volume up')[0]).toBe('VolumeUp');
    expect(names('変換')).toContain('Henkan');
    // by the keycap legend
    expect(names('PgUp')).toContain('PageUp');
    expect(names('zzzz')).toEqual([]);
    expect(names('')).toHaveLength(KEY_ENTRIES.length);
  });

  test('layer ids: typed in any case, the next free one', () => {
    expect(parseLayerText('md_1a')).toBe('MD_1A');
    expect(parseLayerText(' LK_3 ')).toBe('LK_03');
    expect(parseLayerText('MD_FF')).toBeNull();
    expect(parseLayerText('MD01')).toBeNull();
    expect(nextFreeLayer('MD', ['MD_00', 'MD_01', 'LK_02'])).toBe('MD_02');
    expect(nextFreeLayer('LK', [])).toBe('LK_00');
  });

  test('favourites toggle and recents keep the last 10, newest first, without repeats; both persist', () => {
    const memory = createKeyMemory(localStorage);
    const seen = vi.fn();
    memory.subscribe(seen);
    memory.toggleFavourite('Escape');
    memory.toggleFavourite('LShift');
    memory.toggleFavourite('Escape');
    expect(memory.favourites()).toEqual(['LShift']);
    for (const k of ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'B']) memory.use(k);
    expect(memory.recents()).toEqual(['B', 'K', 'J', 'I', 'H', 'G', 'F', 'E', 'D', 'C']);
    expect(memory.recents()).toHaveLength(MAX_RECENTS);
    expect(seen).toHaveBeenCalledTimes(15);
    // a new page reads them back
    const again = createKeyMemory(localStorage);
    expect(again.favourites()).toEqual(['LShift']);
    expect(again.recents()[0]).toBe('B');
    expect(JSON.parse(localStorage.getItem(FAVOURITES_KEY)!)).toEqual(['LShift']);
  });

  test('a damaged or missing storage is survived', () => {
    localStorage.setItem(RECENTS_KEY, '{not json');
    localStorage.setItem(FAVOURITES_KEY, JSON.stringify(['A', 3, { x: 1 }]));
    const memory = createKeyMemory(localStorage);
    expect(memory.recents()).toEqual([]);
    expect(memory.favourites()).toEqual(['A']);
    const none = createKeyMemory(null);
    none.use('Q');
    expect(none.recents()).toEqual(['Q']);
  });

  test('a typed key name is checked like the compiler does', () => {
    expect(keyProblem('Escape')).toBeNull();
    expect(keyProblem('VK_Esc')).toBeNull();
    expect(keyProblem('')).toBeNull();
    expect(keyProblem('Escap')).toMatch(/Unknown key name: 'Escap'\. Did you mean: Escape/);
    expect(keyProblem('MD_01')).not.toBeNull();
    expect(keyProblem('MD_01', [])).toBeNull();
  });
});

/** A key field as the dialog uses it, showing its value. */
function Field(props: { initial?: string; layers?: { ref: string; name: string | null }[] }) {
  const [value, setValue] = useState(props.initial ?? '');
  return (
    <>
      <KeyField label="Tap key" value={value} onChange={setValue} layers={props.layers} />
      <output data-testid="value">{value}</output>
    </>
  );
}

const value = () => screen.getByTestId('value').textContent;
const openPalette = () => {
  fireEvent.click(screen.getByRole('button', { name: 'Choose tap key' }));
  return screen.getByRole('group', { name: 'Key palette: Tap key' });
};

describe('KeyField and KeyPalette', () => {
  test('typing a name shows what is wrong with it at once', () => {
    render(<Field />);
    const input = screen.getByLabelText('Tap key');
    fireEvent.change(input, { target: { value: 'Escap' } });
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/Did you mean: Escape/)).toBeTruthy();
    fireEvent.change(input, { target: { value: 'Esc' } });
    expect(input.getAttribute('aria-invalid')).toBeNull();
  });

  test('search and Enter pick the best match; it becomes a recent key', () => {
    render(<Field />);
    const palette = openPalette();
    const search = within(palette).getByRole('searchbox', { name: 'Search keys' });
    expect(document.activeElement).toBe(search);
    fireEvent.change(search, { target: { value: 'backtick' } });
    expect(within(palette).getAllByRole('button', { name: /^Grave/ })).toHaveLength(1);
    fireEvent.keyDown(search, { key: 'Enter' });
    expect(value()).toBe('Grave');
    expect(screen.queryByTestId('key-palette')).toBeNull();
    expect(document.activeElement).toBe(screen.getByLabelText('Tap key'));
    // the recent key is offered first next time
    const again = openPalette();
    const recent = within(again).getByRole('list', { name: 'Recent' });
    expect(within(recent).getByRole('button', { name: /^Grave/ })).toBeTruthy();
  });

  test('clicking a key in a group picks it; groups can be narrowed', () => {
    render(<Field />);
    const palette = openPalette();
    fireEvent.click(within(palette).getByRole('button', { name: 'Function keys' }));
    expect(within(palette).queryByRole('list', { name: 'Letters' })).toBeNull();
    fireEvent.click(within(within(palette).getByRole('list', { name: 'Function keys' })).getByText('F13'));
    expect(value()).toBe('F13');
  });

  test('a star makes a favourite, listed first in every palette and kept in localStorage', () => {
    render(<Field />);
    const palette = openPalette();
    const star = within(palette).getAllByRole('button', { name: 'Add Escape to favourites' })[0];
    fireEvent.click(star);
    const favourites = within(palette).getByRole('list', { name: 'Favourites' });
    expect(within(favourites).getByRole('button', { name: /^Escape/ })).toBeTruthy();
    expect(
      within(favourites)
        .getByRole('button', { name: 'Remove Escape from favourites' })
        .getAttribute('aria-pressed'),
    ).toBe('true');
    expect(JSON.parse(localStorage.getItem(FAVOURITES_KEY)!)).toEqual(['Escape']);
    fireEvent.click(within(favourites).getByRole('button', { name: 'Remove Escape from favourites' }));
    expect(within(palette).queryByRole('list', { name: 'Favourites' })).toBeNull();
    expect(keyMemory().favourites()).toEqual([]);
  });

  test('"press the key you mean" takes the physical key (KeyboardEvent.code), whatever it is', () => {
    render(<Field />);
    const palette = openPalette();
    const capture = within(palette).getByRole('button', { name: 'Press the key you mean' });
    fireEvent.click(capture);
    expect(
      within(palette).getByRole('button', { name: 'Press a key now…' }).getAttribute('aria-pressed'),
    ).toBe('true');
    // a French layout types "a" on the Q position: the key is Q
    const down = new KeyboardEvent('keydown', { code: 'KeyQ', key: 'a', bubbles: true, cancelable: true });
    act(() => {
      window.dispatchEvent(down);
    });
    expect(down.defaultPrevented).toBe(true);
    expect(value()).toBe('Q');
    // its release is swallowed too
    const up = new KeyboardEvent('keyup', { code: 'KeyQ', key: 'a', bubbles: true, cancelable: true });
    window.dispatchEvent(up);
    expect(up.defaultPrevented).toBe(true);
    const later = new KeyboardEvent('keyup', { code: 'KeyQ', bubbles: true, cancelable: true });
    window.dispatchEvent(later);
    expect(later.defaultPrevented).toBe(false);
  });

  test('capture takes Escape and modifiers too; a key keyrx cannot see is explained', () => {
    render(<Field />);
    let palette = openPalette();
    fireEvent.click(within(palette).getByRole('button', { name: 'Press the key you mean' }));
    act(() => {
      window.dispatchEvent(new KeyboardEvent('keydown', { code: 'Escape', key: 'Escape', cancelable: true }));
    });
    expect(value()).toBe('Escape');
    palette = openPalette();
    fireEvent.click(within(palette).getByRole('button', { name: 'Press the key you mean' }));
    act(() => {
      window.dispatchEvent(
        new KeyboardEvent('keydown', { code: 'ShiftRight', key: 'Shift', cancelable: true }),
      );
    });
    expect(value()).toBe('RShift');
    palette = openPalette();
    fireEvent.click(within(palette).getByRole('button', { name: 'Press the key you mean' }));
    act(() => {
      window.dispatchEvent(new KeyboardEvent('keydown', { code: 'Fn', key: 'Fn', cancelable: true }));
    });
    expect(within(palette).getByRole('status').textContent).toMatch(/keyrx does not see that key \(Fn\)/);
    expect(value()).toBe('RShift');
  });

  test('Escape closes the palette without cancelling the dialog around it', () => {
    render(<Field />);
    const palette = openPalette();
    const search = within(palette).getByRole('searchbox');
    const event = new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true });
    act(() => {
      search.dispatchEvent(event);
    });
    expect(event.defaultPrevented).toBe(true);
    expect(screen.queryByTestId('key-palette')).toBeNull();
  });

  test('a field that takes layers lists them and accepts a typed id', () => {
    render(<Field layers={[{ ref: 'MD_00', name: 'Nav' }]} />);
    const palette = openPalette();
    const layers = within(palette).getByRole('list', { name: 'Layers' });
    expect(
      within(layers)
        .getByRole('button', { name: /^MD_00/ })
        .getAttribute('title'),
    ).toMatch(/Nav: layer on while held/);
    fireEvent.change(within(palette).getByRole('searchbox'), { target: { value: 'md_7' } });
    fireEvent.keyDown(within(palette).getByRole('searchbox'), { key: 'Enter' });
    expect(value()).toBe('MD_07');
  });
});
