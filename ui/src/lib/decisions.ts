/**
 * The engine's mapping kinds and decisions, for the simulator's timeline and the monitor's event
 * table. Both show exactly the API's names — what `/api/simulate`, the WebSocket `key` events and
 * `keyrx simulate --json` say — and explain each in a tooltip and in the vocabulary help
 * (types only from src/core: this module adds nothing to a chunk but these strings).
 */
import type { Decision, MappingKind } from '../../../src/core/index.ts';

/** One line on each mapping kind (`MappingKind`), for tooltips and the help. */
export const MAPPING_HELP: Readonly<Record<MappingKind, string>> = {
  simple: 'map(): the key gives another key',
  modifier: 'map() to MD_xx: a layer modifier, on while the key is held',
  lock: 'map() to LK_xx: a lock, toggled by each press',
  tapHold: 'tap_hold(): one key when tapped, another key or layer when held',
  holdOnly: 'hold_only(): does something only when held; a tap gives nothing',
  modifiedOutput: 'map() to with_shift() and friends: another key with modifiers held',
  sequence: 'sequence(): the key types several keys in turn',
  oneShot: 'one_shot(): a modifier or layer for the next key only',
  combo: 'combo(): keys pressed together give another key',
  tapDance: 'tap_dance(): different actions for one, two, … taps',
  macro: 'macro(): a scripted run of presses, releases and waits',
  layerToggle: 'layer_toggle(): flips a layer on or off',
  layerSwitch: 'layer_switch(): switches the base layer',
  capsWord: 'caps_word(): shifts letters until the word ends',
  autoShift: 'auto_shift(): held a little longer, the key comes out shifted',
  leader: 'leader(): the keys typed next pick a sequence (leader_sequence())',
  mouseMove: 'mouse_move(): moves the pointer while held, faster the longer it is',
  mouseWheel: 'mouse_wheel(): turns the mouse wheel while held',
  dynamicMacroRecord: 'dynamic_macro_record(): records what you type until pressed again',
  dynamicMacroPlay: 'dynamic_macro_play(): types what was recorded',
  keyOverride: 'key_override(): with certain modifiers held, the key gives another key',
  unicode: 'unicode(): types text through the system’s unicode entry',
  passthrough: 'not mapped: the key passes through unchanged',
};

/** One line on each decision (`Decision`), for tooltips and the help. */
export const DECISION_HELP: Readonly<Record<Decision, string>> = {
  remap: 'the mapping’s output was sent',
  passthrough: 'no mapping: the key passed through unchanged',
  'layer-on': 'a layer modifier (MD_xx) went on',
  'layer-off': 'a layer modifier (MD_xx) went off',
  'lock-toggle': 'a lock (LK_xx) was toggled',
  pending: 'a tap-hold or tap dance is waiting: tap or hold not decided yet',
  tap: 'released in time: the tap key',
  hold: 'held past the threshold (or another key came): the hold key or layer',
  'hold-release': 'a held tap-hold was released: its hold ends',
  sequence: 'the key typed its sequence',
  release: 'the key was released: what it held is released',
  repeat: 'auto-repeat of a held key',
  ignored: 'nothing to do (a release or repeat of a key that did nothing)',
  queued: 'held back until an open decision (tap-hold, combo, macro) is made, then replayed in order',
  'quick-tap': 'pressed again soon after its tap: the tap key, held (auto-repeat)',
  'idle-tap': 'pressed right after typing another key (require_prior_idle_ms): a tap at once',
  'same-hand-tap': 'a key of the same hand interrupted it (opposite_hand): a tap',
  'roll-tap': 'another key pressed within its roll window (roll_ms): a roll, so a tap',
  'listed-tap': 'a key of its tap_keys was pressed while undecided: a tap at once',
  'listed-hold': 'a key of its hold_keys was pressed while undecided: a hold at once',
  'timeout-action': 'held alone to the threshold: its timeout_action instead of the hold',
  'retro-tap': 'held alone past the threshold and released (retro_tap): the tap as well',
  combo: 'the keys were pressed together: the combo’s output',
  'dance-tap': 'the tap dance ended with a tap: the action for this many taps',
  'dance-hold': 'the tap dance ended held: the hold action for this many taps',
  macro: 'the macro runs',
  'one-shot': 'a one-shot key pressed: its modifier or layer is on',
  'one-shot-armed': 'released alone: the next key gets the modifier or layer',
  'one-shot-used': 'a key used the armed one-shot; it is released',
  'one-shot-timeout': 'nothing typed in time: the one-shot is released',
  'one-shot-cancel': 'pressed again while armed: cancelled',
  'one-shot-lock': 'pressed again while armed (lock): on until pressed once more',
  'one-shot-unlock': 'a locked one-shot pressed again: off',
  'auto-shift': 'held to the auto-shift timeout: the key, shifted',
  leader: 'the leader key: the next keys pick a sequence',
  'leader-key': 'typed after the leader: part of a sequence, not typed itself',
  'leader-sequence': 'the keys after the leader made a sequence: it runs',
  'leader-cancel': 'the keys after the leader made no sequence (or time ran out): nothing runs',
  'macro-record': 'a dynamic macro starts recording what you type',
  'macro-record-stop': 'the dynamic macro recording ended and was kept',
  'mouse-move': 'the pointer moves while the key is held',
  'mouse-wheel': 'the wheel turns while the key is held',
  'layer-toggle': 'the layer was flipped on or off',
  'layer-switch': 'the base layer was switched',
  'caps-word-on': 'caps word on: letters come out shifted',
  'caps-word-off': 'caps word ended',
  override: 'a key override: its modifiers are down, so the key gives its override',
  unicode: 'the text was typed through the unicode entry',
};

/**
 * What only the daemon's `key` events carry: the releases of a profile swap or shutdown
 * (`mapping: "none"`, `decision: "release-all"`), which the engine never reports.
 */
const DAEMON_MAPPING_HELP: Readonly<Record<string, string>> = {
  none: 'no key: the daemon released every output held (profile swap, shutdown)',
};
const DAEMON_DECISION_HELP: Readonly<Record<string, string>> = {
  'release-all': 'every output held was released (profile swap, shutdown)',
};

/** A mapping kind explained; undefined for a kind this UI does not know (a newer daemon). */
export function mappingHelp(kind: string): string | undefined {
  return (MAPPING_HELP as Readonly<Record<string, string>>)[kind] ?? DAEMON_MAPPING_HELP[kind];
}

/** A decision explained; undefined for a decision this UI does not know (a newer daemon). */
export function decisionHelp(decision: string): string | undefined {
  return (DECISION_HELP as Readonly<Record<string, string>>)[decision] ?? DAEMON_DECISION_HELP[decision];
}
