/**
 * REST routes for keyboard layouts: the built-in ones of src/core/layouts.ts and custom ones the
 * daemon stores (src/daemon/layout-store.ts), as our JSON or imported from keyboard-layout-editor
 * (KLE) raw data (src/core/kle.ts). Registered by buildServer (app.ts) next to the other routes,
 * so they get its hooks (Host and Origin checks, credentials), its error handler and OpenAPI.
 *
 *   GET    /api/layouts             every layout, summarised (a broken custom file with its error)
 *   GET    /api/layouts/:id         one layout with its keys (old ids ansi, iso, jis work); a KeyRx
 *                                   layout name (ANSI_104, its custom names) gives KLE data, as KeyRx did
 *   PUT    /api/layouts/:id         save a custom layout: {name, keys} or {name?, kle}; 201 / 200
 *   DELETE /api/layouts/:id         delete a custom one; refused while a device uses it (?force=true)
 *   GET    /api/layouts/:id/kle     a layout as KLE raw data
 *
 * Failures are thrown DaemonErrors; the error handler builds the envelope.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Logger } from 'pino';
import type { TSchema } from 'typebox';
import { Type } from 'typebox';
import type { KleSkipped, Layout } from '../core/index.ts';
import {
  exportKle,
  importKle,
  isBuiltInLayoutId,
  isValidCustomLayoutId,
  KleError,
  LayoutError,
  MAX_LAYOUT_DESCRIPTION,
  MAX_LAYOUT_KEYS,
  MAX_LAYOUT_NAME,
  validateLayout,
} from '../core/index.ts';
import type { DeviceInfo } from '../daemon/daemon.ts';
import { DaemonError } from '../daemon/errors.ts';
import { KEYRX_LAYOUTS, keyrxCustomLayoutId } from '../daemon/keyrx-layouts.ts';
import type { LayoutStore } from '../daemon/layout-store.ts';
import { layoutDetail } from '../daemon/layout-store.ts';

// ---------------------------------------------------------------- schemas

export const LayoutKeySchema = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 64, description: 'a key name (keyrx keys)' }),
    x: Type.Number({ description: 'left edge, key units' }),
    y: Type.Number({ description: 'top edge, key units' }),
    w: Type.Optional(Type.Number({ description: 'width, key units (default 1)' })),
    h: Type.Optional(Type.Number({ description: 'height, key units (default 1)' })),
  },
  { additionalProperties: false },
);

const PlacedKey = Type.Object({
  key: Type.String(),
  x: Type.Number(),
  y: Type.Number(),
  w: Type.Number(),
  h: Type.Number(),
});

export const LayoutDetailSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  builtIn: Type.Boolean(),
  aliases: Type.Array(Type.String()),
  width: Type.Number(),
  height: Type.Number(),
  keys: Type.Array(PlacedKey),
});

export const LayoutSummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  builtIn: Type.Boolean(),
  aliases: Type.Array(Type.String()),
  keyCount: Type.Integer(),
  width: Type.Number(),
  height: Type.Number(),
  error: Type.Optional(Type.String()),
});

const SkippedSchema = Type.Object({
  row: Type.Integer(),
  col: Type.Integer(),
  legend: Type.String(),
  reason: Type.String(),
});

export const LayoutBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: MAX_LAYOUT_NAME }),
    description: Type.Optional(Type.String({ maxLength: MAX_LAYOUT_DESCRIPTION })),
    keys: Type.Optional(
      Type.Array(LayoutKeySchema, {
        minItems: 1,
        maxItems: MAX_LAYOUT_KEYS,
        description: 'the keys (give this or kle)',
      }),
    ),
    kle: Type.Optional(
      Type.Array(Type.Unknown(), {
        minItems: 1,
        maxItems: 257,
        description: 'keyboard-layout-editor raw data (give this or keys)',
      }),
    ),
    skipUnknown: Type.Optional(
      Type.Boolean({ description: 'kle only: leave out keys whose legend names no key instead of failing' }),
    ),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const ForceQuery = Type.Object({ force: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

// ---------------------------------------------------------------- routes

/** The server's fastify instance (TypeBox types). */
export type LayoutApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  Logger,
  TypeBoxTypeProvider
>;

/** What the routes need of the daemon: its layout store and, for DELETE, who uses a layout. */
export interface LayoutHost {
  readonly layoutStore: LayoutStore;
  listDevices(): DeviceInfo[];
}

/** The layout a PUT body describes, checked: our keys, or KLE data through the importer. */
function layoutFromBody(
  id: string,
  body: {
    name: string;
    description?: string;
    keys?: unknown[];
    kle?: unknown[];
    skipUnknown?: boolean;
  },
): { layout: Layout; skipped: KleSkipped[] } {
  if ((body.keys === undefined) === (body.kle === undefined))
    throw new DaemonError(
      'LAYOUT_INVALID',
      'give either "keys" (our layout) or "kle" (keyboard-layout-editor raw data), not both or neither',
    );
  if (body.keys !== undefined && body.skipUnknown !== undefined)
    throw new DaemonError('LAYOUT_INVALID', '"skipUnknown" is for "kle" imports only');
  try {
    if (body.kle !== undefined)
      return importKle(body.kle, id, {
        name: body.name,
        ...(body.description !== undefined ? { description: body.description } : {}),
        skipUnknown: body.skipUnknown ?? false,
      });
    const layout = validateLayout(
      {
        name: body.name,
        ...(body.description !== undefined ? { description: body.description } : {}),
        keys: body.keys,
      },
      id,
    );
    return { layout, skipped: [] };
  } catch (e) {
    if (e instanceof LayoutError || e instanceof KleError)
      throw new DaemonError('LAYOUT_INVALID', `${body.kle !== undefined ? 'kle' : 'layout'}: ${e.message}`, {
        problems: e.problems,
      });
    throw e;
  }
}

export function registerLayoutRoutes(
  app: LayoutApp,
  daemon: LayoutHost,
  errorResponses: Record<number, TSchema>,
): void {
  const store = (): LayoutStore => daemon.layoutStore;

  app.get(
    '/api/layouts',
    {
      schema: {
        summary: 'keyboard layouts: the built-in ones, then custom ones (a broken file with its error)',
        response: {
          200: Type.Object({ layouts: Type.Array(LayoutSummarySchema), truncated: Type.Boolean() }),
          ...errorResponses,
        },
      },
    },
    async () => store().list(),
  );
  app.get(
    '/api/layouts/:id',
    {
      schema: {
        summary:
          'a keyboard layout with every key’s position and size (ansi, iso, jis: the old ids); by a KeyRx name (ANSI_104 …) its KLE raw data',
        params: IdParams,
        response: { 200: Type.Union([LayoutDetailSchema, Type.Array(Type.Unknown())]), ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      // our ids are lower case: a name that is none of ours is KeyRx's, answered as KeyRx did
      if (isBuiltInLayoutId(id) || isValidCustomLayoutId(id)) return layoutDetail(await store().get(id));
      const ours = KEYRX_LAYOUTS[id] ?? keyrxCustomLayoutId(id);
      const layout = await store()
        .get(ours)
        .catch((e: unknown) => {
          if (!(e instanceof DaemonError) || e.code !== 'LAYOUT_NOT_FOUND') throw e;
          throw new DaemonError(
            'LAYOUT_NOT_FOUND',
            `no layout '${id}': not one of our ids, and no KeyRx layout of that name was migrated (it would be '${ours}'); GET /api/layouts lists them`,
          );
        });
      return exportKle(layout);
    },
  );
  app.put(
    '/api/layouts/:id',
    {
      schema: {
        summary:
          'save a custom layout: {name, keys} or {name, kle: keyboard-layout-editor raw data}; 201 when new',
        params: IdParams,
        body: LayoutBody,
        response: {
          200: Type.Intersect([LayoutDetailSchema, Type.Object({ skipped: Type.Array(SkippedSchema) })]),
          201: Type.Intersect([LayoutDetailSchema, Type.Object({ skipped: Type.Array(SkippedSchema) })]),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const id = store().checkCustomId(req.params.id);
      const { layout, skipped } = layoutFromBody(id, req.body);
      const { created } = await store().save(layout);
      return reply.code(created ? 201 : 200).send({ ...layoutDetail(layout), skipped });
    },
  );
  app.delete(
    '/api/layouts/:id',
    {
      schema: {
        summary: 'delete a custom layout (refused while a device uses it, unless ?force=true)',
        params: IdParams,
        querystring: ForceQuery,
        response: {
          200: Type.Object({ deleted: Type.String(), usedBy: Type.Array(Type.String()) }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const id = store().checkCustomId(req.params.id);
      if (!(await store().exists(id))) throw new DaemonError('LAYOUT_NOT_FOUND', `no custom layout '${id}'`);
      const usedBy = daemon
        .listDevices()
        .filter((d) => d.layout === id)
        .map((d) => d.id);
      if (usedBy.length > 0 && req.query.force !== true)
        throw new DaemonError(
          'LAYOUT_IN_USE',
          usedBy.length === 1
            ? `layout '${id}' is the layout of device ${usedBy[0]}; choose another layout for it first, or delete with ?force=true (it then shows the default layout)`
            : `layout '${id}' is the layout of devices ${usedBy.join(', ')}; choose another layout for them first, or delete with ?force=true (they then show the default layout)`,
          { devices: usedBy },
        );
      await store().delete(id);
      return { deleted: id, usedBy };
    },
  );
  app.get(
    '/api/layouts/:id/kle',
    {
      schema: {
        summary: 'a layout as keyboard-layout-editor raw data (its legends are our key names)',
        params: IdParams,
        response: { 200: Type.Array(Type.Unknown()), ...errorResponses },
      },
    },
    async (req) => exportKle(await store().get(req.params.id)),
  );
}
