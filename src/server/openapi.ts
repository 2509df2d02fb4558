/** Builds the OpenAPI 3.1 document from the schemas the routes were registered with. */
import type { RouteOptions } from 'fastify';

export interface CollectedRoute {
  method: string;
  url: string;
  schema: Record<string, unknown>;
  summary?: string;
  /** false for the routes that answer without credentials */
  secured: boolean;
}

export function collectRoute(routes: CollectedRoute[], opts: RouteOptions): void {
  if (!opts.url.startsWith('/api/') && opts.url !== '/ws') return;
  const methods = Array.isArray(opts.method) ? opts.method : [opts.method];
  for (const method of methods) {
    if (method === 'HEAD') continue;
    const schema = (opts.schema ?? {}) as Record<string, unknown>;
    routes.push({
      method: method.toLowerCase(),
      url: opts.url,
      schema,
      summary: schema.summary as string | undefined,
      secured: opts.config?.access !== 'public',
    });
  }
}

function parameters(schema: unknown, where: 'path' | 'query'): unknown[] {
  const props = (schema as { properties?: Record<string, unknown>; required?: string[] } | undefined)
    ?.properties;
  if (!props) return [];
  const required = new Set((schema as { required?: string[] }).required ?? []);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: s,
  }));
}

export function buildOpenApi(routes: CollectedRoute[], version: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    for (const [status, s] of Object.entries((r.schema.response ?? {}) as Record<string, unknown>))
      responses[status] = {
        description: status.startsWith('2') ? 'success' : 'error',
        content: { 'application/json': { schema: s } },
      };
    responses.default = {
      description: 'error envelope',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
    };
    const op: Record<string, unknown> = {
      summary: r.summary,
      parameters: [...parameters(r.schema.params, 'path'), ...parameters(r.schema.querystring, 'query')],
      responses,
    };
    if (r.schema.body)
      op.requestBody = { required: true, content: { 'application/json': { schema: r.schema.body } } };
    if (r.secured) op.security = [{ bearer: [] }, { session: [] }];
    (paths[path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'keyrx daemon API',
      version,
      description: 'Local control API of the keyrx keyboard remapper.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'the token in <config dir>/token' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'keyrx_session_<port>',
          description:
            "set by the login URL; named for the daemon's port, valid for the sessionHours setting or until POST /api/logout or a restart",
        },
      },
      schemas: {
        ErrorEnvelope: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
            },
          },
        },
      },
    },
    paths,
  };
}
