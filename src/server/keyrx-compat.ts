/**
 * KeyRx's REST spellings, as a thin layer over our routes (docs/keyrx-compatibility.md): the
 * paths, bodies and reply shapes of KeyRx 1.1's handlers for the routes we serve in another
 * shape, so scripts and tools written for KeyRx keep working. Every one calls the same daemon
 * method as our own route (the same checks: a source is compiled before it is saved, which KeyRx
 * did afterwards); errors keep our envelope. Authentication, Host and Origin rules are the same
 * as for every route under /api.
 */
import type { TSchema } from 'typebox';
import { Type } from 'typebox';
import type { Daemon } from '../daemon/daemon.ts';
import { DaemonError } from '../daemon/errors.ts';
import { keyrxLayoutId } from '../daemon/keyrx-layouts.ts';
import { VERSION } from '../daemon/version.ts';
import type { LayoutApp as App } from './layout-routes.ts';
import * as S from './schemas.ts';

const Success = Type.Object({ success: Type.Boolean() });
const NewName = Type.Object({ newName: Type.String({ maxLength: 256 }) }, { additionalProperties: false });
const DeviceParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) });

/** Our status with KeyRx 1.1's fields of the same route added (its names, its meaning). */
export function withKeyrxStatusFields<
  T extends { uptimeSec: number; activeProfile: string | null; devices: number },
>(status: T) {
  return {
    ...status,
    status: 'running' as const,
    daemon_running: true,
    uptime_secs: status.uptimeSec,
    active_profile: status.activeProfile,
    device_count: status.devices,
  };
}

export function registerKeyrxCompatRoutes(
  app: App,
  daemon: Daemon,
  errorResponses: Record<number, TSchema>,
): void {
  const tags = ['keyrx-compat'];
  app.get(
    '/api/version',
    {
      schema: {
        tags,
        summary: "KeyRx's version route",
        response: {
          200: Type.Object({ version: Type.String(), build_time: Type.Null(), platform: Type.String() }),
        },
      },
    },
    async () => ({ version: VERSION, build_time: null, platform: process.platform }),
  );
  app.get(
    '/api/metrics/latency',
    {
      schema: {
        tags,
        summary: "KeyRx's latency route: the key path since the daemon started, µs",
        response: {
          200: Type.Object({
            min_us: Type.Number(),
            avg_us: Type.Number(),
            max_us: Type.Number(),
            p95_us: Type.Number(),
            p99_us: Type.Number(),
          }),
        },
      },
    },
    async () => {
      const l = daemon.metrics().latencyUs;
      return { min_us: l.min, avg_us: l.mean ?? 0, max_us: l.max, p95_us: l.p95, p99_us: l.p99 };
    },
  );
  app.get(
    '/api/daemon/state',
    {
      schema: {
        tags,
        summary: "KeyRx's engine state route: active layers and locks",
        response: {
          200: Type.Object({
            active_layer: Type.String(),
            modifiers: Type.Array(Type.String()),
            locks: Type.Array(Type.String()),
            active_modifier_count: Type.Integer(),
            active_lock_count: Type.Integer(),
          }),
          ...errorResponses,
        },
      },
    },
    async () => {
      const s = await daemon.engineState();
      return {
        // KeyRx always said "Base": here the last layer turned on, else Base
        active_layer: s.modifiers.at(-1) ?? s.locks.at(-1) ?? 'Base',
        modifiers: s.modifiers,
        locks: s.locks,
        active_modifier_count: s.modifiers.length,
        active_lock_count: s.locks.length,
      };
    },
  );

  // profiles
  app.get(
    '/api/profiles/:name/config',
    {
      schema: {
        tags,
        summary: "KeyRx's profile source route (ours: GET /api/profiles/:name)",
        params: S.NameParams,
        response: { 200: Type.Object({ name: Type.String(), source: Type.String() }), ...errorResponses },
      },
    },
    async (req) => {
      const p = await daemon.getProfile(req.params.name);
      return { name: p.name, source: p.source };
    },
  );
  app.put(
    '/api/profiles/:name/config',
    {
      schema: {
        tags,
        summary: "KeyRx's save-source route: {config} (compiled before it is saved)",
        params: S.NameParams,
        body: Type.Object({ config: Type.String({ maxLength: 1_048_576 }) }, { additionalProperties: false }),
        response: { 200: Success, ...errorResponses },
      },
    },
    async (req) => {
      await daemon.updateProfile(req.params.name, req.body.config);
      return { success: true };
    },
  );
  app.put(
    '/api/profiles/:name/rename',
    {
      schema: {
        tags,
        summary: "KeyRx's rename route: {newName}",
        params: S.NameParams,
        body: NewName,
        response: {
          200: Type.Object({ success: Type.Boolean(), profile: Type.Object({ name: Type.String() }) }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const p = await daemon.renameProfile(req.params.name, req.body.newName);
      return { success: true, profile: { name: p.name } };
    },
  );

  // devices
  app.put(
    '/api/devices/:id/name',
    {
      schema: {
        tags,
        summary: "KeyRx's device rename route: {name}",
        params: DeviceParams,
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
        response: { 200: Success, ...errorResponses },
      },
    },
    async (req) => {
      await daemon.patchDevice(req.params.id, { name: req.body.name });
      return { success: true };
    },
  );
  app.get(
    '/api/devices/:id/layout',
    {
      schema: {
        tags,
        summary: "KeyRx's device layout route",
        params: DeviceParams,
        response: {
          200: Type.Object({ layout: Type.Union([Type.String(), Type.Null()]) }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const d = daemon.listDevices().find((x) => x.id === req.params.id);
      if (!d) throw new DaemonError('DEVICE_NOT_FOUND', `no device with id '${req.params.id}'`);
      return { layout: d.layout };
    },
  );
  app.put(
    '/api/devices/:id/layout',
    {
      schema: {
        tags,
        summary: "KeyRx's set-layout route: {layout} (KeyRx's names such as ISO_105 too)",
        params: DeviceParams,
        body: Type.Object(
          { layout: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
        response: { 200: Success, ...errorResponses },
      },
    },
    async (req) => {
      await daemon.patchDevice(req.params.id, { layout: keyrxLayoutId(req.body.layout) });
      return { success: true };
    },
  );

  // macro recording
  const RecordingReply = Type.Object({
    success: Type.Boolean(),
    message: Type.String(),
    event_count: Type.Integer(),
  });
  app.post(
    '/api/macros/start-recording',
    {
      schema: {
        tags,
        summary: "KeyRx's start-recording route",
        response: { 200: RecordingReply, ...errorResponses },
      },
    },
    async () => {
      const s = daemon.startRecording();
      return { success: true, message: 'recording started', event_count: s.count };
    },
  );
  app.post(
    '/api/macros/stop-recording',
    { schema: { tags, summary: "KeyRx's stop-recording route", response: { 200: RecordingReply } } },
    async () => {
      const s = daemon.stopRecording();
      return { success: true, message: 'recording stopped', event_count: s.count };
    },
  );
  app.get(
    '/api/macros/recorded-events',
    {
      schema: {
        tags,
        summary: "KeyRx's recorded-events route",
        response: {
          200: Type.Object({
            success: Type.Boolean(),
            recording: Type.Boolean(),
            event_count: Type.Integer(),
            events: Type.Array(
              Type.Object({
                atMs: Type.Integer(),
                device: Type.String(),
                key: Type.String(),
                action: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const r = daemon.recording();
      return { success: true, recording: r.recording, event_count: r.count, events: r.events };
    },
  );
  app.post(
    '/api/macros/clear',
    { schema: { tags, summary: "KeyRx's clear-recording route", response: { 200: Success } } },
    async () => {
      daemon.clearRecording();
      return { success: true };
    },
  );
  app.post(
    '/api/debug/suspend',
    {
      schema: {
        tags,
        summary: "KeyRx's suspend route: {suspended}",
        body: Type.Object({ suspended: Type.Boolean() }, { additionalProperties: false }),
        response: {
          200: Type.Object({ suspended: Type.Boolean(), applied: Type.Boolean() }),
          ...errorResponses,
        },
      },
    },
    async (req) => ({ ...(await daemon.setSuspended(req.body.suspended)), applied: true }),
  );
}
