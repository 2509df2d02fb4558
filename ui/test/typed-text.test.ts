/** The simulator's "typed text": what the output keys would type, and pointer motion types nothing. */
import { expect, test } from 'vitest';
import { MOUSE_AXES, resolveKey } from '../../src/core/index.ts';
import { TypedText } from '../src/simulator/typed-text.ts';

test('pointer motion from mouse keys types nothing, whatever its axis code', () => {
  const typed = new TypedText();
  const A = resolveKey('A');
  typed.feed([
    { key: A, action: 'press', timeUs: 0 },
    { key: A, action: 'release', timeUs: 0 },
    // REL_WHEEL is 8, KEY_7's code: a motion event must not read as a key
    { key: MOUSE_AXES.Wheel, action: 'move', timeUs: 1, value: 1 },
    { key: MOUSE_AXES.X, action: 'move', timeUs: 1, value: 8 },
  ]);
  expect(typed.text).toBe('a');
});
