/**
 * The two settings the input thread starts with, their defaults and bounds, without the schema
 * library (settings.ts builds the full schema from these): the daemon's start reads them before
 * anything heavy is loaded (input-first.ts).
 */
import { ALL_KEY_NAMES } from '../core/keys.ts'; // not the index: this loads in the daemon's early start

export const EMERGENCY_CHORD = { default: ['LCtrl', 'Space', 'Escape'], minKeys: 2, maxKeys: 6 } as const;
export const LATENCY_INTERVAL_MS = { default: 1_000, minimum: 100, maximum: 60_000 } as const;

export interface InputSettings {
  emergencyExitChord: string[];
  latencyIntervalMs: number;
}

/**
 * The input settings in settings.json's content: each as saved when valid, else its default. The
 * daemon checks the whole file moments later (reporting what is wrong) and sends the thread its
 * settings again.
 */
export function inputSettingsOf(data: unknown): InputSettings {
  const saved = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const chord = saved.emergencyExitChord;
  const interval = saved.latencyIntervalMs;
  const chordValid =
    Array.isArray(chord) &&
    chord.length >= EMERGENCY_CHORD.minKeys &&
    chord.length <= EMERGENCY_CHORD.maxKeys &&
    chord.every((k) => typeof k === 'string' && ALL_KEY_NAMES.includes(k));
  const intervalValid =
    Number.isInteger(interval) &&
    (interval as number) >= LATENCY_INTERVAL_MS.minimum &&
    (interval as number) <= LATENCY_INTERVAL_MS.maximum;
  return {
    emergencyExitChord: chordValid ? (chord as string[]) : [...EMERGENCY_CHORD.default],
    latencyIntervalMs: intervalValid ? (interval as number) : LATENCY_INTERVAL_MS.default,
  };
}
