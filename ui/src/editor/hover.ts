/**
 * Hover docs: a built-in call (`tap_hold(`) shows its signature and description, and an option
 * name in tap_hold's options map (`mode:`) what it does and the values it takes.
 */
import type { EditorState } from '@codemirror/state';
import type { Tooltip } from '@codemirror/view';
import { hoverTooltip } from '@codemirror/view';
import { BUILTINS, TAP_HOLD_OPTIONS } from './builtin-docs.ts';
import { inTapHoldOptions, scanContext } from './completions.ts';

export interface HoverDoc {
  from: number;
  to: number;
  /** `tap_hold(key, tap, hold, threshold_ms, options = #{})` or `mode: "permissive" | …` */
  signature: string;
  description: string;
  /** extra lines (tap_hold's options) */
  more: string[];
}

const BY_NAME = new Map(BUILTINS.map((b) => [b.name, b]));
const OPTION_BY_NAME = new Map(TAP_HOLD_OPTIONS.map((o) => [o.name, o]));
const SCAN_LINES = 40;

/** What to show for the word at `pos`, or null (not a built-in call or an option name). */
export function hoverDocAt(state: EditorState, pos: number): HoverDoc | null {
  const line = state.doc.lineAt(pos);
  const text = line.text;
  let start = pos - line.from;
  let end = start;
  while (start > 0 && /\w/.test(text[start - 1])) start--;
  while (end < text.length && /\w/.test(text[end])) end++;
  if (start === end) return null;
  const word = text.slice(start, end);
  const after = text.slice(end);
  const from = line.from + start;
  const to = line.from + end;
  const scanFrom = state.doc.line(Math.max(1, line.number - SCAN_LINES)).from;
  const where = scanContext(state.sliceDoc(scanFrom, from));
  if (where.kind !== 'code') return null;

  const builtin = BY_NAME.get(word);
  if (builtin && /^\s*\(/.test(after) && text[start - 1] !== '.')
    return {
      from,
      to,
      signature: builtin.signature,
      description: builtin.description,
      more: builtin.name === 'tap_hold' ? TAP_HOLD_OPTIONS.map((o) => `${o.name}: ${o.value}`) : [],
    };
  const option = OPTION_BY_NAME.get(word);
  if (option && /^\s*:/.test(after) && inTapHoldOptions(where.frames))
    return {
      from,
      to,
      signature: `${option.name}: ${option.value}`,
      description: option.description,
      more: [],
    };
  return null;
}

function tooltipFor(doc: HoverDoc): Tooltip {
  return {
    pos: doc.from,
    end: doc.to,
    above: true,
    create() {
      const dom = document.createElement('div');
      dom.className = 'cm-keyrx-doc';
      const signature = document.createElement('code');
      signature.className = 'cm-keyrx-doc-signature';
      signature.textContent = doc.signature;
      const description = document.createElement('p');
      description.textContent = doc.description;
      dom.append(signature, description);
      if (doc.more.length > 0) {
        const list = document.createElement('ul');
        for (const item of doc.more) {
          const li = document.createElement('li');
          const code = document.createElement('code');
          code.textContent = item;
          li.append(code);
          list.append(li);
        }
        dom.append(list);
      }
      return { dom };
    },
  };
}

export const builtinHover = hoverTooltip((view, pos) => {
  const doc = hoverDocAt(view.state, pos);
  return doc ? tooltipFor(doc) : null;
});
