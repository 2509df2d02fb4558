/**
 * Everything the profile editor adds to CodeMirror's basic setup, built once per editor: the
 * extensions must keep their identity (a new array would reconfigure the editor), so they reach
 * the page's current handlers through the view they run in.
 */
import { lintGutter, linter } from '@codemirror/lint';
import type { Extension } from '@codemirror/state';
import { Prec } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';
import { EditorView as View, keymap } from '@codemirror/view';
import { editorTheme } from './editor-theme.ts';
import { builtinHover } from './hover.ts';
import { liveCompile } from './live-compile.ts';
import { rhai } from './rhai-language.ts';

export interface EditorHandlers {
  /** the text changed (called once per task, outside CodeMirror's update) */
  changed(text: string, view: EditorView): void;
  /** Ctrl+S / Cmd+S */
  save(): void;
}

const handlersByView = new WeakMap<EditorView, () => EditorHandlers>();

/** Connects an editor to the page: `current` is asked for the handlers at each event. */
export function connectHandlers(view: EditorView, current: () => EditorHandlers): void {
  handlersByView.set(view, current);
}

export function profileEditorExtensions(label: string): Extension[] {
  return [
    rhai(),
    editorTheme,
    builtinHover,
    // the lint state without a lint source: diagnostics arrive through setDiagnostics
    linter(null),
    lintGutter(),
    liveCompile((text, view) => handlersByView.get(view)?.().changed(text, view)),
    Prec.highest(
      keymap.of([
        {
          key: 'Mod-s',
          preventDefault: true,
          run: (view) => {
            handlersByView.get(view)?.().save();
            return true;
          },
        },
      ]),
    ),
    View.contentAttributes.of({ 'aria-label': label }),
  ];
}
