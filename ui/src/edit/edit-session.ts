/**
 * What an edit made in a dialog does to the editor: its new text goes into CodeMirror as one
 * transaction (the smallest change between the two texts, its own undo step, so Ctrl+Z takes the
 * whole edit back and nothing else), and — when auto-save is on — the profile is saved through the
 * editor's save path, with an undo that restores and saves the text from before.
 *
 * The auto-save choice lives in auto-save.tsx (light enough for the settings page).
 */
import { isolateHistory } from '@codemirror/commands';
import { Transaction } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';
import { EditorView as View } from '@codemirror/view';
import type { Condition, Config, DeviceView, LayerView } from '../../../src/core/index.ts';
import { conditionName } from '../../../src/core/index.ts';
import { listLayers } from '../../../src/dsl/edit-layers.ts';

/** The user event of a dialog edit's transaction (CodeMirror never joins it with typing). */
export const DIALOG_EDIT_EVENT = 'input.keyrx.dialog';

/** The one range two texts differ in: what `before` loses from `from` to `to`, and what comes instead. */
export function textChange(
  before: string,
  after: string,
): { from: number; to: number; insert: string } | null {
  if (before === after) return null;
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (
    endBefore > start &&
    endAfter > start &&
    before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)
  ) {
    endBefore--;
    endAfter--;
  }
  // never split a surrogate pair (an emoji in a unicode() text)
  const high = (c: number) => c >= 0xd800 && c <= 0xdbff;
  const low = (c: number) => c >= 0xdc00 && c <= 0xdfff;
  if (start > 0 && high(before.charCodeAt(start - 1))) start--;
  if (endBefore < before.length && low(before.charCodeAt(endBefore))) {
    endBefore++;
    endAfter++;
  }
  return { from: start, to: endBefore, insert: after.slice(start, endAfter) };
}

/**
 * Puts `next` into the editor as one undoable transaction, with the cursor at the start of what
 * changed, scrolled into view. False when the text is already that.
 */
export function replaceDocument(view: EditorView, next: string): boolean {
  const change = textChange(view.state.doc.toString(), next);
  if (!change) return false;
  view.dispatch({
    changes: change,
    selection: { anchor: change.from },
    effects: View.scrollIntoView(change.from, { y: 'center' }),
    annotations: [isolateHistory.of('full'), Transaction.userEvent.of(DIALOG_EDIT_EVENT)],
  });
  return true;
}

// ------------------------------------------------------------------ the last edit, for its undo

/** A dialog edit the notice reports: the texts before and after it, and what it did. */
export interface DialogEdit {
  id: number;
  /** `CapsLock: tap Escape, hold MD_00 (200 ms)` */
  what: string;
  before: string;
  after: string;
  /** saved by auto-save (the notice then offers Undo, which saves the text from before) */
  saved: boolean;
  /** the save failed: why */
  error?: string;
  /** this notice reports an undo */
  undone?: boolean;
}

/**
 * Whether the notice's Undo can restore `before`: only while the editor still holds exactly what
 * the edit made (after more typing, Ctrl+Z in the editor is the way back).
 */
export function canUndo(edit: DialogEdit, current: string): boolean {
  return !edit.undone && current === edit.after;
}

// ------------------------------------------------------------------ layers for the keyboard view

/** The condition of an `MD_xx` / `LK_xx` layer. */
export function layerCondition(ref: string): Condition {
  const id = parseInt(ref.slice(3), 16);
  return ref.startsWith('MD_') ? { kind: 'modifier', id } : { kind: 'lock', id };
}

/**
 * The views with an empty layer for each layer the profile names (layer_name()) but maps no key
 * in yet, so the keyboard view can show it and a click can give it its first mapping.
 */
export function withNamedLayers(views: DeviceView[], config: Config | null): DeviceView[] {
  const named = config?.layerNames ?? [];
  if (named.length === 0) return views;
  let changed = false;
  const out = views.map((view) => {
    const have = new Set(view.layers.map((l) => l.name));
    const extra: LayerView[] = named
      .filter((n) => !have.has(n.layer))
      .map((n) => {
        const condition = layerCondition(n.layer);
        return { name: conditionName(condition), condition, keys: {}, combos: [] };
      });
    if (extra.length === 0) return view;
    changed = true;
    return { ...view, layers: [...view.layers, ...extra] };
  });
  return changed ? out : views;
}

/** Layer id → the name the profile gives it (`{ MD_01: 'Nav' }`). */
export function layerNamesOf(config: Config | null): Record<string, string> {
  return Object.fromEntries((config?.layerNames ?? []).map((n) => [n.layer, n.name]));
}

/** The profile's layers (named, tested or turned on), as the dialogs list them. */
export function profileLayers(config: Config | null): { ref: string; name: string | null }[] {
  return config ? listLayers(config).map((l) => ({ ref: l.layer, name: l.name })) : [];
}
