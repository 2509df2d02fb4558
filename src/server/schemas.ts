/** JSON schemas of the REST API: validation of every input and fast serialisation of every reply. */
import type { Static, TInteger, TObject, TString } from 'typebox';
import { Type } from 'typebox';
import { SettingsPatchSchema, SettingsSchema } from '../daemon/settings.ts';

export { SettingsPatchSchema, SettingsSchema };

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'ErrorEnvelope' },
);

const Span = Type.Object({
  file: Type.String(),
  line: Type.Integer(),
  column: Type.Integer(),
  length: Type.Integer(),
  offset: Type.Integer(),
});

export const DiagnosticSchema = Type.Object({
  severity: Type.Union([Type.Literal('error'), Type.Literal('warning')]),
  code: Type.String(),
  message: Type.String(),
  span: Span,
  hint: Type.Optional(Type.String()),
  suggestions: Type.Optional(Type.Array(Type.String())),
  related: Type.Optional(Type.Array(Type.Object({ message: Type.String(), span: Span }))),
});

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/**
 * A nullable integer, string or object as `type: [x, 'null']` instead of `anyOf`: replies are
 * serialised with fast-json-stringify, which checks every `anyOf` branch with a validator per
 * value — for the profile list that was most of the reply's cost.
 */
const NullableValue = <T extends TInteger | TString | TObject>(t: T) =>
  Type.Unsafe<Static<T> | null>({ ...t, type: [t.type, 'null'] });

export const ProfileMetaSchema = Type.Object({
  name: Type.String(),
  active: Type.Boolean(),
  size: Type.Integer(),
  modifiedAt: Type.String(),
  devices: NullableValue(Type.Integer()),
  mappings: NullableValue(Type.Integer()),
  layers: NullableValue(Type.Integer()),
  lastCompileError: NullableValue(
    Type.Object({
      message: Type.String(),
      line: Type.Integer(),
      column: Type.Integer(),
      count: Type.Integer(),
    }),
  ),
});

export const ProfileDetailSchema = Type.Intersect([
  ProfileMetaSchema,
  Type.Object({ source: Type.String(), diagnostics: Type.Array(DiagnosticSchema) }),
]);

/**
 * GET /api/profiles/active: our detail, plus the name as KeyRx's `active_profile`; KeyRx's
 * `{active_profile: null}` when no profile is active.
 */
export const ActiveProfileSchema = Type.Union([
  Type.Intersect([ProfileDetailSchema, Type.Object({ active_profile: Type.String() })]),
  Type.Object({ active_profile: Type.Null() }),
]);

export const ProfileList = Type.Object({
  profiles: Type.Array(ProfileMetaSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

/** Profile names are checked by the daemon with a message stating the rule; the schema only bounds size. */
export const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 256 }) });

/** One key of a profile (its block and layer in the query). */
export const KeyParams = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 256 }),
  key: Type.String({ minLength: 1, maxLength: 64 }),
});
export const KeyQuery = Type.Object(
  {
    /** the device block, by its index (default 0) */
    block: Type.Optional(Type.Integer({ minimum: 0, maximum: 1023 })),
    /** the layer: `MD_xx` or `LK_xx`; absent: the block's base mappings */
    layer: Type.Optional(Type.String({ maxLength: 16 })),
  },
  { additionalProperties: false },
);
export const KeyEditBody = Type.Object(
  {
    /** the mapping, as in the config model (`{"kind": "simple", "from": "A", "to": "B"}`) */
    mapping: Type.Object({}, { additionalProperties: true }),
    /** the key is mapped by code: add an explicit mapping ahead of it */
    override: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const KeyInfoSchema = Type.Object({
  key: Type.String(),
  block: Type.Integer(),
  mapping: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  description: Type.Union([
    Type.Object({ kind: Type.String(), label: Type.String(), detail: Type.String() }),
    Type.Null(),
  ]),
});

/** A profile after an edit without code (keys, layers): saved, reloaded when active, notes. */
export const EditedProfileSchema = Type.Intersect([
  ProfileDetailSchema,
  Type.Object({
    reloaded: Type.Boolean(),
    /** what the edit left as it was, worth saying (a key that still turns a deleted layer on) */
    notes: Type.Array(Type.String()),
  }),
]);

export const LayerParams = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 256 }),
  /** `MD_xx` / `LK_xx`, or the layer's name */
  layer: Type.String({ minLength: 1, maxLength: 64 }),
});
const AnyObject = Type.Object({}, { additionalProperties: true });
export const LayerInfoSchema = Type.Object({
  layer: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  blocks: Type.Array(
    Type.Object({ block: Type.Integer(), pattern: Type.String(), mappings: Type.Integer() }),
  ),
  combined: Type.Integer(),
  activatedBy: Type.Array(
    Type.Object({
      block: Type.Integer(),
      key: Type.String(),
      via: Type.String(),
      when: Type.Union([AnyObject, Type.Null()]),
    }),
  ),
});
export const LayerListSchema = Type.Object({ layers: Type.Array(LayerInfoSchema) });
export const LayerDetailSchema = Type.Intersect([
  LayerInfoSchema,
  Type.Object({
    mappings: Type.Array(
      Type.Object({
        block: Type.Integer(),
        key: Type.String(),
        mapping: AnyObject,
        description: Type.Union([
          Type.Object({ kind: Type.String(), label: Type.String(), detail: Type.String() }),
          Type.Null(),
        ]),
      }),
    ),
  }),
]);
export const LayerNameBody = Type.Object(
  { name: Type.String({ maxLength: 256 }) },
  { additionalProperties: false },
);
export const CreateLayerBody = Type.Object(
  {
    /** `MD_xx` or `LK_xx` */
    layer: Type.String({ maxLength: 64 }),
    name: Type.String({ maxLength: 256 }),
  },
  { additionalProperties: false },
);

/** Text without control characters (C0, DEL, C1); its validation message says so (app.ts). */
export const NO_CONTROL_CHARS = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';

export const DiffParams = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 256 }),
  other: Type.String({ minLength: 1, maxLength: 256 }),
});
export const DiffBody = Type.Object(
  {
    /** the source to compare the saved profile with */
    source: Type.String(),
    /** what to call it in the diff (a file name), default `edited` */
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: NO_CONTROL_CHARS })),
  },
  { additionalProperties: false },
);
export const ProfileDiffSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  identical: Type.Boolean(),
  patch: Type.String(),
  changes: Type.Union([
    Type.Array(
      Type.Object({
        block: Type.Integer(),
        pattern: Type.String(),
        layer: Type.String(),
        key: Type.String(),
        before: Type.Union([Type.String(), Type.Null()]),
        after: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
    Type.Null(),
  ]),
  uncompiled: Type.Optional(Type.String()),
});

export const CreateProfileBody = Type.Object(
  {
    name: Type.String({ maxLength: 256 }),
    template: Type.Optional(Type.String({ maxLength: 64 })),
    source: Type.Optional(Type.String({ maxLength: 1_048_576 })),
  },
  { additionalProperties: false },
);

export const ImportProfileBody = Type.Object(
  {
    name: Type.String({ maxLength: 256 }),
    /** a .rhai source alone */
    source: Type.Optional(Type.String({ maxLength: 1_048_576 })),
    /** a bundle of GET /api/profiles/:name/export (checked field by field by the daemon) */
    bundle: Type.Optional(Type.Object({}, { additionalProperties: true })),
    /** replace a profile of that name and files with other content */
    overwrite: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const BundleFileSchema = Type.Object({ path: Type.String(), source: Type.String() });
export const ProfileBundleSchema = Type.Object({
  kind: Type.String(),
  version: Type.Integer(),
  name: Type.String(),
  keyrxVersion: Type.String(),
  exportedAt: Type.String(),
  source: Type.String(),
  files: Type.Array(BundleFileSchema),
  notIncluded: Type.Array(Type.String()),
});

export const SourceBody = Type.Object(
  { source: Type.String({ maxLength: 1_048_576 }) },
  { additionalProperties: false },
);
export const CompileBody = Type.Object(
  {
    source: Type.String({ maxLength: 1_048_576 }),
    /** compile as this profile's file (diagnostics name it; relative load() resolves next to it) */
    name: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export const NewNameBody = Type.Object(
  { name: Type.String({ maxLength: 256 }) },
  { additionalProperties: false },
);

export const ActivationSchema = Type.Object({
  profile: Type.String(),
  compileMs: Type.Number(),
  cached: Type.Boolean(),
  activatedAt: Type.String(),
});

export const CompileReportSchema = Type.Object({
  ok: Type.Boolean(),
  diagnostics: Type.Array(DiagnosticSchema),
  stats: NullableValue(
    Type.Object({ devices: Type.Integer(), mappings: Type.Integer(), layers: Type.Integer() }),
  ),
  compileMs: Type.Number(),
});

export const DeviceSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  deviceName: Type.String(),
  enabled: Type.Boolean(),
  connected: Type.Boolean(),
  grabbed: Type.Boolean(),
  backend: Type.String(),
  path: NullableValue(Type.String()),
  vendor: NullableValue(Type.Integer()),
  product: NullableValue(Type.Integer()),
  serial: NullableValue(Type.String()),
  phys: NullableValue(Type.String()),
  layout: NullableValue(Type.String()),
  matchedBlock: NullableValue(Type.Object({ index: Type.Integer(), pattern: Type.String() })),
});

export const DevicePatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    enabled: Type.Optional(Type.Boolean()),
    /** a layout id of GET /api/layouts (or an old alias: ansi, iso, jis); checked by the daemon */
    layout: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const StatusSchema = Type.Object({
  version: Type.String(),
  pid: Type.Integer(),
  startedAt: Type.String(),
  uptimeSec: Type.Integer(),
  backend: Type.String(),
  activeProfile: NullableValue(Type.String()),
  activatedAt: NullableValue(Type.String()),
  profiles: Type.Integer(),
  devices: Type.Integer(),
  eventsProcessed: Type.Integer(),
  wsClients: Type.Integer(),
  /** remapping suspended: every new key press passes through untouched */
  suspended: Type.Boolean(),
  // KeyRx 1.1's fields of GET /api/status, for its scripts (docs/keyrx-compatibility.md)
  status: Type.Literal('running'),
  daemon_running: Type.Boolean(),
  uptime_secs: Type.Integer(),
  active_profile: NullableValue(Type.String()),
  device_count: Type.Integer(),
});

/** Engine state fields beyond layers and keys: the context and the open decisions. */
function engineStateFields() {
  return {
    ime: Type.Boolean(),
    language: Type.String(),
    /** focused application and window title (`APP:` / `TITLE:` conditions) */
    app: Type.String(),
    title: Type.String(),
    /** input events held back until an open decision is made */
    queued: Type.Integer(),
    capsWord: Type.Boolean(),
    /** one-shot modifiers and layers waiting for the next key */
    oneShots: Type.Array(Type.String()),
  };
}

export const StateSchema = Type.Object({
  activeProfile: NullableValue(Type.String()),
  modifiers: Type.Array(Type.String()),
  locks: Type.Array(Type.String()),
  held: Type.Array(Type.Object({ device: Type.String(), key: Type.String() })),
  pending: Type.Array(
    Type.Object({
      device: Type.String(),
      key: Type.String(),
      sinceUs: Type.Number(),
      deadlineUs: Type.Number(),
    }),
  ),
  outputDown: Type.Array(Type.String()),
  ...engineStateFields(),
});

/** A context string: up to 1024 characters, no control characters. */
const ContextText = (description: string) =>
  Type.String({ maxLength: 1024, pattern: NO_CONTROL_CHARS, description });

export const ContextPatchBody = Type.Object(
  {
    app: Type.Optional(ContextText('focused application (`APP:` conditions); "" clears')),
    title: Type.Optional(ContextText('focused window title (`TITLE:` conditions); "" clears')),
    ime: Type.Optional(Type.Boolean({ description: 'input method on (`IME` conditions)' })),
    language: Type.Optional(ContextText('input language (`LANG_xx` conditions); "" clears')),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ContextSchema = Type.Object({
  app: Type.String(),
  title: Type.String(),
  ime: Type.Boolean(),
  language: Type.String(),
  updatedAt: NullableValue(Type.String()),
});

const MAX_SCRIPT_CHARS = 1_000_000;

export const SimulateBody = Type.Object(
  {
    source: Type.Optional(Type.String({ maxLength: 1_048_576 })),
    profile: Type.Optional(Type.String({ maxLength: 256 })),
    events: Type.String({ maxLength: MAX_SCRIPT_CHARS }),
    device: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    settle: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const LayerState = { modifiers: Type.Array(Type.String()), locks: Type.Array(Type.String()) };

export const SimulationSchema = Type.Object({
  output: Type.String(),
  durationMs: Type.Number(),
  timeline: Type.Array(
    Type.Object({
      timeMs: Type.Number(),
      input: Type.String(),
      device: Type.String(),
      mapping: Type.String(),
      decision: Type.String(),
      outputs: Type.Array(Type.String()),
      also: Type.Array(Type.String()),
      ...LayerState,
    }),
  ),
  final: Type.Object({
    ...LayerState,
    held: Type.Array(Type.Object({ device: Type.String(), key: Type.String() })),
    pending: Type.Array(
      Type.Object({
        device: Type.String(),
        key: Type.String(),
        sinceMs: Type.Number(),
        deadlineMs: Type.Number(),
      }),
    ),
    outputDown: Type.Array(Type.String()),
    ...engineStateFields(),
  }),
});

export const InjectBody = Type.Object(
  { events: Type.String({ maxLength: MAX_SCRIPT_CHARS }) },
  { additionalProperties: false },
);
export const InjectQuery = Type.Object(
  { instant: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export const InjectResultSchema = Type.Object({ events: Type.Integer(), durationMs: Type.Number() });

export const OutputQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) },
  { additionalProperties: false },
);
export const OutputSchema = Type.Object({
  events: Type.Array(
    Type.Object({
      time: Type.Number(),
      device: Type.String(),
      key: Type.String(),
      action: Type.String(),
      value: Type.Optional(Type.Integer()),
    }),
  ),
  script: Type.String(),
});

const Latency = Type.Object({
  count: Type.Integer(),
  min: Type.Number(),
  p50: Type.Number(),
  p95: Type.Number(),
  p99: Type.Number(),
  max: Type.Number(),
});

export const MetricsSchema = Type.Object({
  latencyUs: Latency,
  latencyWindowUs: Latency,
  eventsPerSecond: Type.Integer(),
  eventsProcessed: Type.Integer(),
  memory: Type.Object({
    rssBytes: Type.Integer(),
    heapUsedBytes: Type.Integer(),
    externalBytes: Type.Integer(),
  }),
  wsClients: Type.Integer(),
  uptimeSec: Type.Integer(),
});

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    // bounded: '?offset=1e400' is coerced to Infinity, which passes an unbounded integer check
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  },
  { additionalProperties: false },
);

export const ForceQuery = Type.Object(
  { force: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
