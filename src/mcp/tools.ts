/**
 * The MCP tools of keyrx: AI agents list, read, explain, simulate and edit profiles. The tool set
 * is written once over `McpBackend` — get/post/put/delete of `/api/…` paths — and served twice:
 *
 * - `POST /mcp` inside the daemon (http.ts): the backend is `app.inject` with the daemon's own
 *   token, so every tool call is a REST request through the same hooks, schemas and checks;
 * - `keyrx mcp` on stdio (src/cli/mcp-command.ts): the backend is the CLI's `ApiClient`.
 *
 * So a tool can do nothing the REST API does not allow, and everything it changes is checked
 * where REST changes are: edits are compiled before they are saved and a refusal saves nothing.
 *
 * Inputs are checked twice: by each tool's zod schema before any call (bounded strings, the
 * profile-name rule, key names without quotes, backslashes or control characters, layer and
 * block syntax), then by the API. A failure is a tool result with `isError: true` carrying the
 * API's code and message (and a profile's diagnostics), never a protocol error, so an agent reads
 * it and can try again.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod/v4';
import type { EditedProfile, ProfileDetail, ProfileMeta } from '../daemon/daemon.ts';
import type { Diagnostic } from '../dsl/diagnostics.ts';
import type { KeyMapping } from '../core/index.ts';
import { layerNameProblem, TAP_HOLD_MODES } from '../core/index.ts';
import { isValidProfileName, PROFILE_NAME_RULE } from '../daemon/names.ts';
import { TEMPLATE_NAMES } from '../daemon/templates.ts';
import { VERSION } from '../daemon/version.ts';
import { ArgumentError as ToolInputError, mapMapping, tapHoldMapping } from '../dsl/argument-mappings.ts';

/**
 * The REST API as the tools see it. Each method resolves to the parsed JSON of a 2xx reply and
 * rejects on an error reply with an error carrying `status`, `code` and `message` (and `details`)
 * of the API's envelope — as the CLI's ApiClient does and as `McpApiError` is.
 */
export interface McpBackend {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
}

/** An error reply of the API, `{"error": {"code", "message", "details"}}`, with its HTTP status. */
export class McpApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'McpApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Events of one simulate call, at most (the API takes 1,000,000 characters; agents need far less). */
export const MAX_EVENTS_CHARS = 100_000;
/** Timeline entries a simulate result carries, at most; the output script is always whole. */
export const MAX_TIMELINE = 500;
/** A profile source, as the API bounds it. */
export const MAX_SOURCE_CHARS = 1_048_576;
/** Array elements and object members in one call's arguments (a macro's steps, a mapping object). */
export const MAX_INPUT_ELEMENTS = 10_000;

export const INSTRUCTIONS = `keyrx remaps keyboards. A profile is a Rhai source (profiles/<name>.rhai) of device blocks: device_start("*") … device_end(); inside one, map("CapsLock", "VK_Escape") remaps a key, tap_hold("CapsLock", "VK_Escape", "MD_00", 200) taps one key and holds a layer, and when_start("MD_00") … when_end() maps keys while layer MD_00 is held (LK_xx: locked layers). Key names are those of \`keyrx keys\` (A, CapsLock, LShift, Left …; "VK_" optional for the key to change, required on targets).
Read with list_profiles, get_profile, explain_key; try with simulate (a script like "d:CapsLock t:300 d:H u:H u:CapsLock" → the output events) before changing anything; change one key with set_key_mapping, set_tap_hold, delete_key_mapping (only that key's statement is rewritten; comments and formatting stay), or the whole source with update_profile_source. Every change is compiled before it is saved: a refusal saves nothing and says why. Changing the active profile applies at once; activate_profile switches profiles.`;

// ---------------------------------------------------------------- input schemas

const NO_QUOTES_OR_CONTROL = /^[^\s"'`\\\p{Cc}\p{Cf}]+$/u;

const profileName = z
  .string()
  .refine(isValidProfileName, { message: PROFILE_NAME_RULE })
  .describe(
    'profile name: 1–64 letters, digits, "_" and "-", starting with a letter or digit (list_profiles lists them)',
  );
const keyName = z
  .string()
  .min(1)
  .max(64)
  .regex(NO_QUOTES_OR_CONTROL, 'a key name has no spaces, quotes, backslashes or control characters')
  .describe(
    'the physical key, as `keyrx keys` names it: "A", "CapsLock", "LShift", "Semicolon" ("VK_" optional)',
  );
const targetName = (what: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(NO_QUOTES_OR_CONTROL, `${what} has no spaces, quotes, backslashes or control characters`);
const block = z
  .number()
  .int()
  .min(0)
  .max(1023)
  .optional()
  .describe('the device block, by its index in the profile (default 0, the first device_start)');
const layer = z
  .string()
  .regex(/^(base|(MD|LK)_[0-9A-Fa-f]{2})$/, 'layer is "base", MD_00–MD_FE or LK_00–LK_FE')
  .optional()
  .describe(
    'the layer: "MD_xx" (held layer) or "LK_xx" (locked layer) for the mappings inside when_start("MD_xx"); default "base", the block\'s own mappings',
  );
const override = z
  .boolean()
  .optional()
  .describe(
    'the key is mapped by code (a loop, a function, a loaded file): add an explicit mapping ahead of it instead of refusing',
  );
const layerRef = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\p{Cc}]+$/u, 'a layer has no control characters')
  .describe('the layer: its id "MD_01" / "LK_00", or its name (any case)');
const layerLabel = z
  .string()
  .max(64)
  .superRefine((name, ctx) => {
    const problem = layerNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('the layer\'s name (1–32 characters, no control characters or edge spaces): "Nav", "Symbols"');
const source = z.string().max(MAX_SOURCE_CHARS).describe('a whole profile source (Rhai)');

// ---------------------------------------------------------------- results

type Json = Record<string, unknown>;

function result(data: Json): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data, null, 2) }], structuredContent: data };
}

function formatDiagnostic(d: Diagnostic): string {
  const where = d.span ? `${d.span.file}:${d.span.line}:${d.span.column}: ` : '';
  return `${where}${d.severity} ${d.code}: ${d.message}${d.hint ? ` (${d.hint})` : ''}`;
}

function diagnosticsOf(details: unknown): Diagnostic[] {
  const list = (details as { diagnostics?: unknown } | undefined)?.diagnostics;
  return Array.isArray(list) ? (list as Diagnostic[]) : [];
}

/** A failed call as a tool result the agent reads: the API's code and message, and diagnostics. */
export function toolError(e: unknown): CallToolResult {
  const err = (typeof e === 'object' && e !== null ? e : {}) as {
    status?: unknown;
    code?: unknown;
    message?: unknown;
    details?: unknown;
  };
  const code = typeof err.code === 'string' ? err.code : 'ERROR';
  const message = typeof err.message === 'string' ? err.message : String(e);
  const diagnostics = diagnosticsOf(err.details);
  const lines = [`${code}: ${message}`, ...diagnostics.slice(0, 20).map(formatDiagnostic)];
  if (diagnostics.length > 20) lines.push(`… and ${diagnostics.length - 20} more diagnostics`);
  const error: Json = { code, message };
  if (typeof err.status === 'number') error.status = err.status;
  if (err.details !== undefined) error.details = err.details;
  return { isError: true, content: [{ type: 'text', text: lines.join('\n') }], structuredContent: { error } };
}

// ---------------------------------------------------------------- API shapes (the parts used)

/** The answer of an edit: the saved profile, whether it was reloaded, and (edits of the edit model) notes. */
type Saved = ProfileDetail & { reloaded: boolean; notes?: EditedProfile['notes'] };

const seg = (value: string): string => encodeURIComponent(value);

function profilePath(name: string): string {
  return `/api/profiles/${seg(name)}`;
}

function keyPath(a: { profile: string; key: string; block?: number; layer?: string }): string {
  const q = new URLSearchParams();
  if (a.block !== undefined) q.set('block', String(a.block));
  if (a.layer !== undefined && a.layer !== 'base') q.set('layer', a.layer.toUpperCase());
  const query = q.toString();
  return `${profilePath(a.profile)}/keys/${seg(a.key)}${query ? `?${query}` : ''}`;
}

function saved(p: Saved, extra: Json): CallToolResult {
  return result({
    profile: p.name,
    ...extra,
    reloaded: p.reloaded,
    ...(p.notes && p.notes.length > 0 ? { notes: p.notes } : {}),
    warnings: p.diagnostics.map(formatDiagnostic),
    source: p.source,
  });
}

// ---------------------------------------------------------------- registration

const READ: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, openWorldHint: false };
const EDIT: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: true,
  openWorldHint: false,
};

/**
 * Registers one tool: its zod input shape is validated by the SDK before `run` (a failure is an
 * `isError` result naming the field), and anything `run` throws becomes an `isError` result.
 */
function tool<S extends z.ZodRawShape>(
  server: McpServer,
  name: string,
  config: { title: string; description: string; input: S; annotations: ToolAnnotations },
  run: (args: z.infer<z.ZodObject<S>>) => Promise<CallToolResult>,
): void {
  server.registerTool(
    name,
    {
      title: config.title,
      description: config.description,
      inputSchema: z.object(config.input).strict(),
      annotations: config.annotations,
    },
    (async (args: z.infer<z.ZodObject<S>>) => {
      try {
        return await run(args);
      } catch (e) {
        return toolError(e);
      }
    }) as never,
  );
}

/** An MCP server with every keyrx tool, each calling the API through `api`; connect it to a transport. */
export function createMcpServer(api: McpBackend): McpServer {
  const server = new McpServer(
    { name: 'keyrx', title: 'keyrx keyboard remapper', version: VERSION },
    { instructions: INSTRUCTIONS, maxToolInputElements: MAX_INPUT_ELEMENTS },
  );
  registerTools(server, api);
  return server;
}

/** Adds every keyrx tool to `server`, each calling the API through `api`. */
export function registerTools(server: McpServer, api: McpBackend): void {
  tool(
    server,
    'list_profiles',
    {
      title: 'List profiles',
      description:
        'The profiles: name, whether it is the active one, size, how many device blocks, mappings and layers it has, and its last compile error (if the stored source does not compile).',
      input: {},
      annotations: READ,
    },
    async () => {
      const r = await api.get<{ profiles: ProfileMeta[]; total: number }>('/api/profiles?limit=1000');
      return result({
        active: r.profiles.find((p) => p.active)?.name ?? null,
        total: r.total,
        profiles: r.profiles,
      });
    },
  );

  tool(
    server,
    'get_profile',
    {
      title: 'Read a profile',
      description:
        'A profile: its Rhai source, a summary (device blocks, mappings, layers, whether it is active) and its diagnostics.',
      input: { profile: profileName },
      annotations: READ,
    },
    async ({ profile }) => {
      const p = await api.get<ProfileDetail>(profilePath(profile));
      const { source: text, diagnostics, ...summary } = p;
      return result({ ...summary, diagnostics: diagnostics.map(formatDiagnostic), source: text });
    },
  );

  tool(
    server,
    'get_status',
    {
      title: 'Daemon status',
      description:
        'The running daemon: version, uptime, the active profile and when it was activated, and the input devices (name, enabled, connected, which device block of the active profile matches it).',
      input: {},
      annotations: READ,
    },
    async () => {
      const status = await api.get<Json>('/api/status');
      let devices: unknown = null;
      let devicesError: string | undefined;
      try {
        devices = (await api.get<{ devices: unknown }>('/api/devices')).devices;
      } catch (e) {
        devicesError = e instanceof Error ? e.message : String(e);
      }
      return result({ status, devices, ...(devicesError ? { devicesError } : {}) });
    },
  );

  tool(
    server,
    'explain_key',
    {
      title: 'Explain a key',
      description:
        "What one key does in a profile's device block and layer: its mapping in the config model (null: not mapped there, the key passes through) and a one-line description.",
      input: { profile: profileName, key: keyName, block, layer },
      annotations: READ,
    },
    async (a) => result(await api.get<Json>(keyPath(a))),
  );

  tool(
    server,
    'set_key_mapping',
    {
      title: 'Map a key',
      description: `Set what one key does in a profile (device block and layer), rewriting only the statement that maps it; the edited profile is compiled before it is saved and a refusal saves nothing. Give either "target", as map() takes it: "VK_Escape" (type that key; with shift/ctrl/alt/win: that key with those modifiers), "MD_01" (hold a layer), "LK_00" (toggle a locked layer); or "mapping", one key's mapping in the config model, for every other kind, e.g. {"kind":"simple","from":"A","to":"B"}, {"kind":"modifiedOutput","from":"A","to":"Z","shift":false,"ctrl":true,"alt":false,"win":false}, {"kind":"sequence","from":"F1","keys":["H","I"]}, {"kind":"oneShot","from":"LShift","key":"LShift","timeoutMs":1000}, {"kind":"macro","from":"F2","steps":[{"op":"text","text":"hello"}]}, {"kind":"tapDance","from":"Q","actions":[{"tap":"Q"},{"tap":"Escape"}],"windowMs":200}, {"kind":"layerToggle","from":"F3","id":1} ("from" must be the key). Refused: a key mapped by code (KEY_FROM_CODE, unless override), an edit that would not compile (KEY_EDIT_REFUSED).`,
      input: {
        profile: profileName,
        key: keyName,
        target: targetName('target')
          .optional()
          .describe('what the key does, as map() takes it: "VK_x", "MD_xx" or "LK_xx"'),
        shift: z.boolean().optional().describe('with a VK_ target: the target with Shift'),
        ctrl: z.boolean().optional().describe('with a VK_ target: the target with Ctrl'),
        alt: z.boolean().optional().describe('with a VK_ target: the target with Alt'),
        win: z.boolean().optional().describe('with a VK_ target: the target with the Windows/Meta key'),
        mapping: z
          .record(z.string(), z.unknown())
          .optional()
          .describe('instead of target: the mapping in the config model (see the description)'),
        block,
        layer,
        override,
      },
      annotations: EDIT,
    },
    async (a) => {
      if ((a.target === undefined) === (a.mapping === undefined))
        throw new ToolInputError('give either "target" or "mapping", not both and not neither');
      const mods = { shift: a.shift, ctrl: a.ctrl, alt: a.alt, win: a.win };
      if (a.mapping !== undefined && Object.values(mods).some((v) => v !== undefined))
        throw new ToolInputError('shift/ctrl/alt/win go with "target", not "mapping"');
      const mapping: KeyMapping | Json =
        a.target !== undefined ? mapMapping(a.key, a.target, mods) : (a.mapping as Json);
      const p = await api.put<Saved>(keyPath(a), { mapping, ...(a.override ? { override: true } : {}) });
      return saved(p, { key: a.key, block: a.block ?? 0, layer: a.layer ?? 'base', mapping });
    },
  );

  tool(
    server,
    'set_tap_hold',
    {
      title: 'Make a key tap-hold',
      description:
        'Make one key a tap-hold, as tap_hold() does: "tap" (a VK_ key) when tapped, "hold" (a layer MD_xx, or a modifier key such as VK_LShift, VK_LCtrl, VK_LAlt, VK_LMeta) when held for thresholdMs. Only its statement is rewritten; compiled before it is saved; a refusal saves nothing.',
      input: {
        profile: profileName,
        key: keyName,
        tap: targetName('tap').describe('the key typed on a tap: "VK_Escape"'),
        hold: targetName('hold').describe('held: a layer "MD_00" … or a modifier key "VK_LShift" …'),
        thresholdMs: z
          .number()
          .int()
          .min(1)
          .max(65535)
          .optional()
          .describe('held at least this long to be a hold (default 200)'),
        mode: z
          .enum(TAP_HOLD_MODES as unknown as [string, ...string[]])
          .optional()
          .describe(
            'how another key pressed meanwhile decides: permissive (default), hold_on_press, balanced, tap_preferred',
          ),
        block,
        layer,
        override,
      },
      annotations: EDIT,
    },
    async (a) => {
      const mapping = tapHoldMapping(
        a.key,
        a.tap,
        a.hold,
        a.thresholdMs ?? 200,
        a.mode as (typeof TAP_HOLD_MODES)[number] | undefined,
      );
      const p = await api.put<Saved>(keyPath(a), { mapping, ...(a.override ? { override: true } : {}) });
      return saved(p, { key: a.key, block: a.block ?? 0, layer: a.layer ?? 'base', mapping });
    },
  );

  tool(
    server,
    'delete_key_mapping',
    {
      title: "Remove a key's mapping",
      description:
        'Remove the statement that maps one key in a device block and layer (the key then passes through there). Refused when the key has no mapping there (KEY_EDIT_REFUSED) or code maps it (KEY_FROM_CODE); nothing is saved then.',
      input: { profile: profileName, key: keyName, block, layer },
      annotations: { ...EDIT, idempotentHint: false },
    },
    async (a) => {
      const p = await api.delete<Saved>(keyPath(a));
      return saved(p, { key: a.key, block: a.block ?? 0, layer: a.layer ?? 'base', deleted: true });
    },
  );

  tool(
    server,
    'validate_profile',
    {
      title: 'Validate a stored profile',
      description:
        'Compile a stored profile and return its diagnostics (errors and warnings with file:line:column) and, when it compiles, how many device blocks, mappings and layers it has.',
      input: { profile: profileName },
      annotations: READ,
    },
    async ({ profile }) => {
      const r = await api.post<{ ok: boolean; diagnostics: Diagnostic[]; stats: unknown }>(
        `${profilePath(profile)}/validate`,
      );
      return result({ ok: r.ok, diagnostics: r.diagnostics.map(formatDiagnostic), stats: r.stats });
    },
  );

  tool(
    server,
    'compile_source',
    {
      title: 'Compile a source',
      description:
        'Compile a profile source without saving it and return its diagnostics: check an edit before update_profile_source. With "profile", it compiles as that profile\'s file (relative load() paths resolve next to it).',
      input: { source, profile: profileName.optional() },
      annotations: READ,
    },
    async (a) => {
      const r = await api.post<{ ok: boolean; diagnostics: Diagnostic[]; stats: unknown }>('/api/compile', {
        source: a.source,
        ...(a.profile !== undefined ? { name: a.profile } : {}),
      });
      return result({ ok: r.ok, diagnostics: r.diagnostics.map(formatDiagnostic), stats: r.stats });
    },
  );

  tool(
    server,
    'simulate',
    {
      title: 'Simulate key events',
      description: `Run a script of key events through a fresh engine with a profile — nothing reaches the real keyboard — and return the output events and, per input, the decision taken (remap, pending, tap, hold …). Script tokens, space-separated: d:KEY press, u:KEY release, r:KEY repeat, t:MS wait, dev:NAME device; e.g. "d:CapsLock t:300 d:H u:H u:CapsLock". The profile: "profile" (a stored one), or "source" (a source to try), or neither (the active profile). "settle": let pending tap-holds time out after the last event. At most ${MAX_EVENTS_CHARS} characters; the timeline is cut to ${MAX_TIMELINE} entries.`,
      input: {
        events: z
          .string()
          .min(1)
          .max(MAX_EVENTS_CHARS)
          .describe('the script: "d:A u:A", "d:CapsLock t:250 u:CapsLock"'),
        profile: profileName.optional(),
        source: source.optional(),
        device: z
          .string()
          .min(1)
          .max(256)
          .regex(/^[^\p{Cc}]+$/u, 'device has no control characters')
          .optional()
          .describe('the device name of events before any dev: token (default "virtual")'),
        settle: z.boolean().optional(),
      },
      annotations: READ,
    },
    async (a) => {
      if (a.profile !== undefined && a.source !== undefined)
        throw new ToolInputError('give either "profile" or "source", not both');
      const r = await api.post<{ output: string; durationMs: number; timeline: unknown[]; final: unknown }>(
        '/api/simulate',
        {
          events: a.events,
          ...(a.profile !== undefined ? { profile: a.profile } : {}),
          ...(a.source !== undefined ? { source: a.source } : {}),
          ...(a.device !== undefined ? { device: a.device } : {}),
          ...(a.settle !== undefined ? { settle: a.settle } : {}),
        },
      );
      const cut = r.timeline.length > MAX_TIMELINE;
      return result({
        output: r.output,
        durationMs: r.durationMs,
        timeline: cut ? r.timeline.slice(0, MAX_TIMELINE) : r.timeline,
        ...(cut ? { timelineTruncated: r.timeline.length } : {}),
        final: r.final,
      });
    },
  );

  tool(
    server,
    'activate_profile',
    {
      title: 'Activate a profile',
      description:
        'Make a profile the active one: it is compiled (or read from its verified cache) and swapped into the engine at once, keys held at that moment are released first, and it stays active across restarts. A profile that does not compile is refused and the previous one stays active.',
      input: { profile: profileName },
      annotations: { ...EDIT, destructiveHint: false },
    },
    async ({ profile }) => result(await api.post<Json>(`${profilePath(profile)}/activate`)),
  );

  tool(
    server,
    'update_profile_source',
    {
      title: "Replace a profile's source",
      description:
        "Replace a stored profile's whole Rhai source. It is compiled before it is saved: a source with errors is refused with its diagnostics (PROFILE_INVALID) and the stored file is untouched. The active profile is reloaded at once. Prefer set_key_mapping / set_tap_hold for one key: they keep everything else byte for byte.",
      input: { profile: profileName, source },
      annotations: EDIT,
    },
    async (a) => saved(await api.put<Saved>(profilePath(a.profile), { source: a.source }), {}),
  );

  tool(
    server,
    'create_profile',
    {
      title: 'Create a profile',
      description: `Create a profile from a template (${TEMPLATE_NAMES.join(', ')}; default blank) or from a source (compiled first; refused with diagnostics). It is not activated.`,
      input: {
        profile: profileName,
        template: z.enum(TEMPLATE_NAMES).optional(),
        source: source.optional(),
      },
      annotations: { ...EDIT, destructiveHint: false, idempotentHint: false },
    },
    async (a) => {
      if (a.template !== undefined && a.source !== undefined)
        throw new ToolInputError('give either "template" or "source", not both');
      const p = await api.post<ProfileDetail>('/api/profiles', {
        name: a.profile,
        ...(a.template !== undefined ? { template: a.template } : {}),
        ...(a.source !== undefined ? { source: a.source } : {}),
      });
      return result({
        profile: p.name,
        warnings: p.diagnostics.map(formatDiagnostic),
        source: p.source,
      });
    },
  );
  tool(
    server,
    'list_layers',
    {
      title: "List a profile's layers",
      description:
        'Every layer a profile names (layer_name), tests (when_start) or turns on, MD_ first: its id, name (or null), the when-blocks that test it alone (device block, pattern, how many mappings), and the keys that turn it on (block, key, via: modifier, lock, tapHold, oneShot …).',
      input: { profile: profileName },
      annotations: READ,
    },
    async ({ profile }) => result(await api.get<Json>(`${profilePath(profile)}/layers`)),
  );

  tool(
    server,
    'create_layer',
    {
      title: 'Name a new layer',
      description:
        'Give a layer id a name: writes layer_name("MD_01", "Symbols") next to the profile\'s other layer_name lines (nothing else changes). Then map keys in it with set_key_mapping (layer "MD_01") and make a key turn it on (target "MD_01", or set_tap_hold with hold "MD_01"). Refused when the id has a name or the name is taken (LAYER_EXISTS); nothing is saved then.',
      input: {
        profile: profileName,
        layer: z
          .string()
          .regex(/^(MD|LK)_[0-9A-Fa-f]{2}$/, 'layer is MD_00–MD_FE or LK_00–LK_FE')
          .describe('the layer id: "MD_01" (held) or "LK_01" (locked)'),
        name: layerLabel,
      },
      annotations: { ...EDIT, idempotentHint: false },
    },
    async (a) =>
      saved(
        await api.post<Saved>(`${profilePath(a.profile)}/layers`, {
          layer: a.layer.toUpperCase(),
          name: a.name,
        }),
        { layer: a.layer.toUpperCase(), name: a.name },
      ),
  );

  tool(
    server,
    'rename_layer',
    {
      title: 'Rename a layer',
      description:
        "Rename a layer (by id or current name), rewriting its layer_name statement only; a layer without a name gets one. Refused (nothing saved): LAYER_NOT_FOUND, LAYER_EXISTS (the name is another layer's), LAYER_FROM_CODE (the name is set by code).",
      input: { profile: profileName, layer: layerRef, name: layerLabel },
      annotations: EDIT,
    },
    async (a) =>
      saved(await api.put<Saved>(`${profilePath(a.profile)}/layers/${seg(a.layer)}`, { name: a.name }), {
        layer: a.layer,
        name: a.name,
      }),
  );
}
