/**
 * The engine's decisions and mapping kinds in words, for the simulator's timeline and the
 * monitor's event table (types only from src/core: this module adds nothing to a chunk).
 */
import type { Decision, MappingKind } from '../../../src/core/index.ts';

/** Short words for the timeline's Mapping column. */
export const MAPPING_LABELS: Readonly<Record<MappingKind, string>> = {
  simple: 'remap',
  modifier: 'layer key',
  lock: 'lock',
  tapHold: 'tap-hold',
  holdOnly: 'hold-only',
  modifiedOutput: 'modified',
  sequence: 'sequence',
  oneShot: 'one-shot',
  combo: 'combo',
  tapDance: 'tap dance',
  macro: 'macro',
  layerToggle: 'layer toggle',
  layerSwitch: 'layer switch',
  capsWord: 'caps word',
  keyOverride: 'key override',
  unicode: 'unicode',
  passthrough: 'none',
};

/** What the Decision column shows (the KeyRx-era decisions keep their engine names). */
export const DECISION_LABELS: Readonly<Record<Decision, string>> = {
  remap: 'remap',
  passthrough: 'passthrough',
  'layer-on': 'layer-on',
  'layer-off': 'layer-off',
  'lock-toggle': 'lock-toggle',
  pending: 'pending',
  tap: 'tap',
  hold: 'hold',
  'hold-release': 'hold-release',
  sequence: 'sequence',
  release: 'release',
  repeat: 'repeat',
  ignored: 'ignored',
  queued: 'queued',
  'quick-tap': 'quick tap',
  'idle-tap': 'tap (typing)',
  'same-hand-tap': 'tap (same hand)',
  'roll-tap': 'tap (roll)',
  combo: 'combo',
  'dance-tap': 'dance tap',
  'dance-hold': 'dance hold',
  macro: 'macro',
  'one-shot': 'one-shot',
  'one-shot-armed': 'one-shot armed',
  'one-shot-used': 'one-shot used',
  'one-shot-timeout': 'one-shot expired',
  'one-shot-cancel': 'one-shot cancelled',
  'layer-toggle': 'layer toggle',
  'layer-switch': 'layer switch',
  'caps-word-on': 'caps word on',
  'caps-word-off': 'caps word off',
  override: 'override',
  unicode: 'unicode',
};

/** One line on each decision, for a tooltip. */
export const DECISION_HELP: Readonly<Partial<Record<Decision, string>>> = {
  pending: 'a tap-hold or tap dance waiting: tap or hold not decided yet',
  queued: 'held back until an open decision (tap-hold, combo, macro) is made, then replayed in order',
  'quick-tap': 'pressed again soon after its tap: the tap key, held (auto-repeat)',
  'idle-tap': 'pressed right after typing another key (require_prior_idle_ms): a tap at once',
  'same-hand-tap': 'a key of the same hand interrupted it (opposite_hand): a tap',
  'roll-tap': 'another key pressed within its roll window (roll_ms): a roll, so a tap',
  combo: 'the keys were pressed together: the combo’s output',
  'dance-tap': 'the tap dance ended with a tap: the action for this many taps',
  'dance-hold': 'the tap dance ended held: the hold action for this many taps',
  macro: 'the macro runs',
  'one-shot': 'a one-shot key pressed: its modifier or layer is on',
  'one-shot-armed': 'released alone: the next key gets the modifier or layer',
  'one-shot-used': 'a key used the armed one-shot; it is released',
  'one-shot-timeout': 'nothing typed in time: the one-shot is released',
  'one-shot-cancel': 'pressed again while armed: cancelled',
  'layer-toggle': 'the layer is flipped on or off',
  'layer-switch': 'the base layer is switched',
  'caps-word-on': 'caps word on: letters come out shifted',
  'caps-word-off': 'caps word ended',
  override: 'a key override: the modifiers are down, so the key gives its override',
  unicode: 'the text is typed through the unicode entry',
};

/** A decision in words; an unknown one (a newer daemon) as it is. */
export function decisionLabel(decision: string): string {
  return (DECISION_LABELS as Readonly<Record<string, string>>)[decision] ?? decision;
}

export function mappingLabel(kind: string): string {
  return (MAPPING_LABELS as Readonly<Record<string, string>>)[kind] ?? kind;
}
