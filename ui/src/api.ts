/**
 * The daemon's REST API as typed functions. Same-origin fetches carry the session cookie the
 * login URL set; every failure becomes an ApiError with the server's error envelope.
 */
import type { Diagnostic } from '../../src/dsl/diagnostics.ts';

export type { Diagnostic };

export interface ProfileMeta {
  name: string;
  active: boolean;
  size: number;
  modifiedAt: string;
  devices: number | null;
  mappings: number | null;
  layers: number | null;
  lastCompileError: { message: string; line: number; column: number; count: number } | null;
}

export interface ProfileDetail extends ProfileMeta {
  source: string;
  diagnostics: Diagnostic[];
}

export interface Activation {
  profile: string;
  compileMs: number;
  cached: boolean;
  activatedAt: string;
}

export interface CompileReport {
  ok: boolean;
  diagnostics: Diagnostic[];
  stats: { devices: number; mappings: number; layers: number } | null;
  compileMs: number;
}

/** A keyboard layout id of GET /api/layouts (built in: ansi-104 …; the old ansi, iso, jis still work). */
export type LayoutId = string;

/** GET /api/layouts: one layout, summarised; `error` when a custom file is broken. */
export interface LayoutSummary {
  id: string;
  name: string;
  description?: string;
  builtIn: boolean;
  aliases: string[];
  keyCount: number;
  width: number;
  height: number;
  error?: string;
}

/** GET /api/layouts/:id: every key with its place and size in key units. */
export interface LayoutDetail {
  id: string;
  name: string;
  description?: string;
  builtIn: boolean;
  aliases: string[];
  width: number;
  height: number;
  keys: { key: string; x: number; y: number; w: number; h: number }[];
}

/** The macro recorder's state (the keys themselves are left out here). */
export interface RecordingSummary {
  recording: boolean;
  startedAt: string | null;
  stoppedAt: string | null;
  stoppedBy: 'request' | 'limit' | 'time' | null;
  count: number;
}

export type MacroStepJson = { op: string; key?: string; ms?: number; text?: string };

/** A profile with the files it load()s, as GET /api/profiles/:name/export gives it. */
export interface ProfileBundle {
  kind: string;
  version: number;
  name: string;
  keyrxVersion: string;
  exportedAt: string;
  source: string;
  files: { path: string; source: string }[];
  notIncluded: string[];
}

export interface DeviceInfo {
  id: string;
  name: string;
  deviceName: string;
  enabled: boolean;
  connected: boolean;
  grabbed: boolean;
  backend: string;
  path: string | null;
  vendor?: number | null;
  product?: number | null;
  serial?: string | null;
  phys?: string | null;
  layout: LayoutId | null;
  matchedBlock: { index: number; pattern: string } | null;
}

export interface Status {
  version: string;
  pid: number;
  startedAt: string;
  uptimeSec: number;
  backend: string;
  activeProfile: string | null;
  activatedAt: string | null;
  profiles: number;
  devices: number;
  eventsProcessed: number;
  wsClients: number;
  /** remapping suspended: every new key press passes through untouched */
  suspended: boolean;
}

export interface LatencyStats {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface Metrics {
  latencyUs: LatencyStats;
  latencyWindowUs: LatencyStats;
  eventsPerSecond: number;
  eventsProcessed: number;
  memory: { rssBytes: number; heapUsedBytes: number; externalBytes: number };
  wsClients: number;
  uptimeSec: number;
}

export type Settings = Record<string, unknown>;

/** A JSON schema as served by GET /api/settings/schema (the subset the settings form reads). */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  default?: unknown;
  required?: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Compiler diagnostics carried by PROFILE_INVALID and similar errors. */
  get diagnostics(): Diagnostic[] {
    const d = (this.details as { diagnostics?: Diagnostic[] } | undefined)?.diagnostics;
    return Array.isArray(d) ? d : [];
  }
}

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called whenever the daemon answers 401: the app then shows how to log in. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'NETWORK', `cannot reach the daemon: ${(e as Error).message}`);
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError(
        res.status,
        'BAD_RESPONSE',
        `the daemon sent something that is not JSON (${res.status})`,
      );
    }
  }
  if (!res.ok) {
    const err = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
      ?.error;
    if (res.status === 401) for (const l of unauthorizedListeners) l();
    throw new ApiError(
      res.status,
      err?.code ?? `HTTP_${res.status}`,
      err?.message ?? res.statusText,
      err?.details,
    );
  }
  return parsed as T;
}

const enc = encodeURIComponent;

export const api = {
  session: () =>
    request<{ authenticated: boolean; authRequired: boolean; tokenFile: string }>('GET', '/api/session'),
  logout: () => request<{ loggedOut: boolean }>('POST', '/api/logout'),
  status: () => request<Status>('GET', '/api/status'),
  /** the global switch: true suspends remapping, false resumes it */
  setSuspended: (on: boolean) => request<{ suspended: boolean }>('POST', on ? '/api/suspend' : '/api/resume'),
  metrics: () => request<Metrics>('GET', '/api/metrics'),
  profiles: () =>
    request<{ profiles: ProfileMeta[]; total: number }>('GET', '/api/profiles?limit=10000').then(
      (r) => r.profiles,
    ),
  templates: () =>
    request<{ templates: { name: string; description: string }[] }>('GET', '/api/templates').then(
      (r) => r.templates,
    ),
  profile: (name: string) => request<ProfileDetail>('GET', `/api/profiles/${enc(name)}`),
  createProfile: (body: { name: string; template?: string; source?: string }) =>
    request<ProfileMeta>('POST', '/api/profiles', body),
  saveProfile: (name: string, source: string) =>
    request<ProfileMeta>('PUT', `/api/profiles/${enc(name)}`, { source }),
  deleteProfile: (name: string, force = false) =>
    request<unknown>('DELETE', `/api/profiles/${enc(name)}${force ? '?force=true' : ''}`),
  activate: (name: string) => request<Activation>('POST', `/api/profiles/${enc(name)}/activate`),
  /** one key's mapping, only its statement rewritten (PUT /api/profiles/:name/keys/:key) */
  setKeyMapping: (name: string, key: string, mapping: unknown) =>
    request<ProfileMeta & { reloaded: boolean }>('PUT', `/api/profiles/${enc(name)}/keys/${enc(key)}`, {
      mapping,
    }),
  recording: () => request<RecordingSummary>('GET', '/api/recording'),
  startRecording: () => request<RecordingSummary>('POST', '/api/recording/start'),
  stopRecording: () => request<RecordingSummary>('POST', '/api/recording/stop'),
  clearRecording: () => request<RecordingSummary>('DELETE', '/api/recording'),
  recordedMacro: () =>
    request<{ steps: MacroStepJson[]; text: string; count: number }>('GET', '/api/recording/macro'),
  /** the profile with the files it loads (GET /api/profiles/:name/export) */
  exportProfile: (name: string) => request<ProfileBundle>('GET', `/api/profiles/${enc(name)}/export`),
  importProfile: (body: { name: string; source?: string; bundle?: unknown; overwrite?: boolean }) =>
    request<ProfileMeta & { files: string[] }>('POST', '/api/profiles/import', body),
  duplicate: (name: string, newName: string) =>
    request<ProfileMeta>('POST', `/api/profiles/${enc(name)}/duplicate`, { name: newName }),
  rename: (name: string, newName: string) =>
    request<ProfileMeta>('POST', `/api/profiles/${enc(name)}/rename`, { name: newName }),
  compile: (source: string, name?: string) =>
    request<CompileReport>('POST', '/api/compile', name === undefined ? { source } : { source, name }),
  settings: () => request<Settings>('GET', '/api/settings'),
  settingsSchema: () => request<JsonSchema>('GET', '/api/settings/schema'),
  patchSettings: (patch: Settings) => request<Settings>('PATCH', '/api/settings', patch),
  devices: () => request<{ devices: DeviceInfo[] }>('GET', '/api/devices').then((r) => r.devices),
  patchDevice: (id: string, patch: { name?: string; enabled?: boolean; layout?: LayoutId | null }) =>
    request<DeviceInfo>('PATCH', `/api/devices/${enc(id)}`, patch),
  /** forgets a device's saved settings; a connected device stays, with the defaults */
  forgetDevice: (id: string) =>
    request<{ id: string; forgotten: boolean; device: DeviceInfo | null }>(
      'DELETE',
      `/api/devices/${enc(id)}`,
    ),
  layouts: () => request<{ layouts: LayoutSummary[]; truncated: boolean }>('GET', '/api/layouts'),
  layout: (id: string) => request<LayoutDetail>('GET', `/api/layouts/${enc(id)}`),
  inject: (events: string) =>
    request<{ events: number; durationMs: number }>('POST', '/api/inject', { events }),
};
