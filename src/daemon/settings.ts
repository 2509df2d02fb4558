/**
 * Daemon settings: one typebox schema gives validation, defaults, the API's JSON schema and
 * the UI's generated form.
 */
import { Ajv } from 'ajv';
import type { Static } from 'typebox';
import { Type } from 'typebox';
import { ALL_KEY_NAMES } from '../core/index.ts';
import { DaemonError } from './errors.ts';
import { EMERGENCY_CHORD, LATENCY_INTERVAL_MS } from './input-settings.ts';

export const SettingsSchema = Type.Object(
  {
    wsMaxLagEvents: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 3,
      description: 'consecutive lag episodes after which a slow WebSocket client is disconnected',
    }),
    wsQueueMessages: Type.Integer({
      minimum: 16,
      maximum: 100_000,
      default: 1_000,
      description:
        "frames handed to a WebSocket client's socket and not yet written before the client counts as lagging",
    }),
    wsQueueBytes: Type.Integer({
      minimum: 65_536,
      maximum: 64 * 1024 * 1024,
      default: 1_048_576,
      description:
        'bytes a WebSocket client may be behind before it counts as lagging: waiting in the daemon for its socket, or sent and not yet read by it (at least 1 MiB for these)',
    }),
    wsRingSize: Type.Integer({
      minimum: 100,
      maximum: 1_000_000,
      default: 10_000,
      description: 'recent events kept for clients resuming with ?since=',
    }),
    latencyIntervalMs: Type.Integer({
      minimum: LATENCY_INTERVAL_MS.minimum,
      maximum: LATENCY_INTERVAL_MS.maximum,
      default: LATENCY_INTERVAL_MS.default,
      description: 'interval of latency statistics events',
    }),
    emergencyExitChord: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), {
      minItems: EMERGENCY_CHORD.minKeys,
      maxItems: EMERGENCY_CHORD.maxKeys,
      default: [...EMERGENCY_CHORD.default],
      description: 'keys that, held together, release every grab and stop the daemon',
    }),
    logLevel: Type.Union(
      [
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
      ],
      {
        default: 'info',
        description: 'daemon log level',
      },
    ),
    defaultTapHoldMs: Type.Integer({
      minimum: 1,
      maximum: 65_535,
      default: 200,
      description: 'threshold used by new profiles created from templates',
    }),
    sessionHours: Type.Integer({
      minimum: 1,
      maximum: 720,
      default: 12,
      description: 'hours a web UI login lasts (a restart or logout ends it sooner)',
    }),
    outputHistory: Type.Integer({
      minimum: 10,
      maximum: 100_000,
      default: 1_000,
      description: 'output events kept for GET /api/output',
    }),
  },
  { additionalProperties: false },
);

export type Settings = Static<typeof SettingsSchema>;
export const SettingsPatchSchema = Type.Partial(SettingsSchema, {
  additionalProperties: false,
  minProperties: 1,
});
export type SettingsPatch = Static<typeof SettingsPatchSchema>;

// Ajv, as the server's request validation (typebox/compile would add 0.1 s to every start)
const checkSettings = new Ajv({ allErrors: true, strict: false }).compile(SettingsSchema);

export function defaultSettings(): Settings {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(SettingsSchema.properties))
    out[key] = structuredClone((schema as unknown as { default: unknown }).default);
  return out as Settings;
}

function describeErrors(value: unknown): string[] {
  if (checkSettings(value)) return [];
  return (checkSettings.errors ?? []).map((e) => {
    if (e.keyword === 'additionalProperties')
      return `unknown setting '${(e.params as { additionalProperty: string }).additionalProperty}'`;
    return `${e.instancePath.slice(1) || 'settings'}: ${(e.message ?? 'is invalid').replace('NOT', 'not')}`;
  });
}

/** Validates a full settings object (after merging a patch); checks chord key names too. */
export function validateSettings(value: unknown): Settings {
  const problems = describeErrors(value);
  if (problems.length === 0) {
    const chord = (value as Settings).emergencyExitChord;
    for (const key of chord)
      if (!ALL_KEY_NAMES.includes(key)) problems.push(`emergencyExitChord: unknown key name '${key}'`);
  }
  if (problems.length > 0)
    throw new DaemonError('SETTINGS_INVALID', `invalid settings: ${problems.join('; ')}`, { problems });
  return value as Settings;
}

/** Applies a patch: unknown keys and invalid values are rejected, nothing partial is applied. */
export function mergeSettings(current: Settings, patch: unknown): Settings {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    throw new DaemonError(
      'SETTINGS_INVALID',
      'invalid settings: the body must be an object of settings to change',
    );
  const unknown = Object.keys(patch).filter((k) => !(k in SettingsSchema.properties));
  if (unknown.length > 0)
    throw new DaemonError(
      'SETTINGS_INVALID',
      `invalid settings: unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}`,
      {
        problems: unknown.map((k) => `unknown setting '${k}'`),
      },
    );
  return validateSettings({ ...current, ...patch });
}
