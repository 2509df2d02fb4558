/**
 * Every edit without code as one value, so the daemon's compile worker (and anything else that
 * queues edits) runs them through one door: a key's mapping (edit.ts) or a layer (edit-layers.ts).
 */
import type { CompileOptions } from './compile.ts';
import type { EditResult, KeyEdit } from './edit.ts';
import { editProfile } from './edit.ts';
import { createLayer, deleteLayer, renameLayer } from './edit-layers.ts';

export type ProfileEdit =
  | ({ op: 'key' } & KeyEdit)
  | { op: 'createLayer'; layer: string; name: string }
  | { op: 'renameLayer'; layer: string; name: string }
  | { op: 'deleteLayer'; layer: string };

export function applyEdit(source: string, edit: ProfileEdit, opts: CompileOptions = {}): EditResult {
  switch (edit.op) {
    case 'key':
      return editProfile(source, edit, opts);
    case 'createLayer':
      return createLayer(source, edit, opts);
    case 'renameLayer':
      return renameLayer(source, edit, opts);
    case 'deleteLayer':
      return deleteLayer(source, edit, opts);
  }
}
