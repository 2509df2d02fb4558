/**
 * The HTTP server: REST API under /api (every route with a JSON schema for its input and
 * reply), login, the web UI (ui-static.ts) and the WebSocket stream (ws.ts).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { ConnectionError } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import fastJson from 'fast-json-stringify';
import type { Logger } from 'pino';
import type { Static } from 'typebox';
import { Type } from 'typebox';
import type { Condition, KeyAction, KeyMapping, MouseAxis } from '../core/index.ts';
import { ConfigError, formatEvents, keyName, MOUSE_AXES, resolveKey, validateConfig } from '../core/index.ts';
import type { Daemon } from '../daemon/daemon.ts';
import { namedState } from '../daemon/daemon.ts';
import { DaemonError } from '../daemon/errors.ts';
import { VERSION } from '../daemon/version.ts';
import { registerMcp } from '../mcp/http.ts';
import { Auth } from './auth.ts';
import { envelope, STARTING } from './envelope.ts';
import { registerKeyrxCompatRoutes, withKeyrxStatusFields } from './keyrx-compat.ts';
import { registerLayoutRoutes } from './layout-routes.ts';
import type { CollectedRoute } from './openapi.ts';
import { buildOpenApi, collectRoute } from './openapi.ts';
import * as S from './schemas.ts';
import { defaultUiDir, loginPage, registerUi } from './ui-static.ts';
import { registerWebSocket } from './ws.ts';

export interface ServerOptions {
  /** false only with --no-auth on a loopback address */
  auth: boolean;
  allowedOrigins?: string[];
  /** Host names (or name:port) served besides 127.0.0.1, localhost and [::1] (--allowed-host) */
  allowedHosts?: string[];
  /** the address the server will listen on (--host): also served as a Host name */
  bindHost?: string;
  logger?: Logger;
  /** the built web UI (index.html + assets); default: dist/ui next to this module, null for none */
  uiDir?: string | null;
}

export const BODY_LIMIT = 1_048_576;
/** POST /api/profiles/import: a bundle holds the profile and the files it loads */
export const IMPORT_BODY_LIMIT = 8 * 1_048_576;

const strictAjv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, strict: false });
const coercingAjv = new Ajv({
  coerceTypes: 'array',
  useDefaults: true,
  removeAdditional: false,
  strict: false,
});

/** A validator compiled on its first call; fastify reads `errors` off the function it was given. */
function lazyValidator(compile: () => ValidateFunction): ValidateFunction {
  let validate: ValidateFunction | null = null;
  const lazy = ((data: unknown) => {
    validate ??= compile();
    const ok = validate(data);
    lazy.errors = validate.errors;
    return ok;
  }) as ValidateFunction;
  return lazy;
}

function lazySerializer(compile: () => (data: unknown) => string): (data: unknown) => string {
  let serialize: ((data: unknown) => string) | null = null;
  return (data) => (serialize ??= compile())(data);
}

/** `a, b or c` */
function orList(items: string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/**
 * Requests Node's HTTP parser refuses (oversized headers, bad header syntax, timeouts): answered
 * with the error envelope. Fastify's default handler logs Node's `rawPacket` at trace level, the
 * request's bytes with its `Authorization` header or `?token=`: only the parser's code is logged.
 */
function refuseMalformedRequest(this: FastifyInstance, err: ConnectionError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'the request line and headers are larger than the server accepts']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time']
        : [400, 'BAD_REQUEST', 'the request is not valid HTTP'];
  this.log.debug({ code: err.code }, 'malformed HTTP request refused');
  const body = JSON.stringify(envelope(code, message));
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy();
}

const errorResponses = {
  400: S.ErrorEnvelope,
  401: S.ErrorEnvelope,
  403: S.ErrorEnvelope,
  404: S.ErrorEnvelope,
  409: S.ErrorEnvelope,
};

declare module 'fastify' {
  interface FastifySchema {
    /** one line for the OpenAPI document */
    summary?: string;
  }
}

export async function buildServer(daemon: Daemon, opts: ServerOptions) {
  const app = Fastify({
    loggerInstance: opts.logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    return503OnClosing: false,
    // shutdown must not wait for idle keep-alive or half-open connections (SIGTERM exits within 2 s)
    forceCloseConnections: true,
    // a path that is not valid percent-encoded UTF-8, or a parameter over the router's limit:
    // the error envelope, as for any other invalid parameter
    frameworkErrors: (error, _req, reply) => {
      const problem =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? 'a path parameter is longer than 100 characters'
          : 'the URL path is not valid percent-encoded UTF-8';
      return (reply as FastifyReply)
        .code(400)
        .send(envelope('VALIDATION_FAILED', problem, { problems: [problem] }));
    },
    clientErrorHandler: refuseMalformedRequest,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const auth = new Auth({
    token: daemon.token,
    enabled: opts.auth,
    allowedOrigins: opts.allowedOrigins,
    allowedHosts: opts.allowedHosts,
    bindHost: opts.bindHost,
    port: () => {
      const address = app.server.listening ? app.server.address() : null;
      return typeof address === 'object' && address !== null ? address.port : null;
    },
    sessionHours: () => daemon.settings.sessionHours,
  });

  // Query strings and params are text, so they are coerced (?limit=10 → 10); bodies are JSON and
  // must have the right types: {"source": 5} is an error, not "5". Unknown fields are refused.
  // Compiled on a route's first request, not at start: compiling every route's validators and
  // reply serializers up front was a fifth of the daemon's start-up CPU, for routes most runs never call.
  app.setValidatorCompiler(({ schema, httpPart }) =>
    lazyValidator(() => (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema)),
  );
  app.setSerializerCompiler(({ schema }) =>
    lazySerializer(() => fastJson(schema as Parameters<typeof fastJson>[0])),
  );
  app.removeContentTypeParser('text/plain');

  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (r) => {
    // @fastify/static's catch-all serves the web UI's files: pages, public unless the path spells an API path
    if (r.url === '/*' && r.config?.access === undefined) r.config = { ...r.config, access: 'page' };
    collectRoute(routes, r);
  });

  // The order matters: a foreign Host is refused before anything else answers (even /api/health
  // and the UI's files), then foreign origins, then credentials for the route that will run.
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    if (!auth.isHostAllowed(req)) {
      reply.header('connection', 'close');
      return reply
        .code(421)
        .send(
          envelope(
            'HOST_NOT_ALLOWED',
            `this daemon answers to Host ${orList(auth.servedHosts())}, not '${String(req.headers.host ?? '').slice(0, 100)}' (a web page can point its own name at 127.0.0.1; if this name is yours, start the daemon with --allowed-host)`,
          ),
        );
    }
    const needsCredentials = auth.needsCredentials(req);
    if (needsCredentials || req.routeOptions.url?.startsWith('/api/'))
      reply.header('cache-control', 'no-store');
    const stateChanging = req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS';
    const upgrade = req.headers.upgrade?.toLowerCase() === 'websocket';
    if ((stateChanging || upgrade) && !auth.isOriginAllowed(req)) {
      const from = req.headers.origin
        ? `origin '${req.headers.origin}'`
        : 'a cross-site page (Sec-Fetch-Site: cross-site)';
      return reply.code(403).send(envelope('FORBIDDEN_ORIGIN', `requests from ${from} are not allowed`));
    }
    if (daemon.isStopping)
      return reply.code(503).send(envelope('SHUTTING_DOWN', 'the daemon is shutting down'));
    if (!daemon.isReady) return reply.code(503).header('retry-after', '1').send(STARTING);
    // refuse an oversized body before reading it, so the client reliably gets the 413
    const limit = req.routeOptions.bodyLimit ?? BODY_LIMIT;
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      reply.header('connection', 'close');
      return reply
        .code(413)
        .send(envelope('BODY_TOO_LARGE', `the request body is larger than ${limit} bytes`));
    }
    if (needsCredentials && !auth.isAuthenticated(req, req.routeOptions.url === '/ws'))
      return reply
        .code(401)
        .send(
          envelope(
            'UNAUTHORIZED',
            'missing or wrong credentials: send "Authorization: Bearer <token>" with the token from the config directory\'s token file, or log in through the URL the daemon prints',
          ),
        );
  });

  // An upgrade refused by a hook (401/403) leaves a detached socket that would keep the
  // server from closing: end it once the refusal is written.
  app.addHook('onResponse', async (req) => {
    if (req.headers.upgrade?.toLowerCase() === 'websocket' && !req.raw.socket.destroyed)
      req.raw.socket.destroySoon();
  });

  app.setErrorHandler((error: FastifyError, req, reply) => {
    if (error instanceof DaemonError)
      return reply.code(error.status).send(envelope(error.code, error.message, error.details));
    if (daemon.isStopping)
      return reply.code(503).send(envelope('SHUTTING_DOWN', 'the daemon is shutting down'));
    if (error.validation) {
      const where = error.validationContext ?? 'request';
      const problems = error.validation.map((v) => {
        const message =
          v.keyword === 'pattern' && v.params.pattern === S.NO_CONTROL_CHARS
            ? 'must not contain control characters'
            : (v.message ?? 'is invalid');
        return `${where}${v.instancePath || ''} ${message}`.trim();
      });
      return reply.code(400).send(envelope('VALIDATION_FAILED', problems.join('; '), { problems }));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply
        .code(413)
        .send(
          envelope(
            'BODY_TOO_LARGE',
            `the request body is larger than ${req.routeOptions.bodyLimit ?? BODY_LIMIT} bytes`,
          ),
        );
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return reply.code(415).send(envelope('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'));
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      return reply
        .code(400)
        .send(envelope('INVALID_JSON', 'the body is empty but the content type is application/json'));
    if (error.statusCode === 400 && /JSON/i.test(error.message))
      return reply.code(400).send(envelope('INVALID_JSON', `the body is not valid JSON: ${error.message}`));
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
      return reply.code(error.statusCode).send(envelope(error.code ?? 'BAD_REQUEST', error.message));
    req.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(envelope('INTERNAL', 'internal error; see the daemon log'));
  });

  const servePage = await registerUi(app, opts.uiDir === undefined ? defaultUiDir() : opts.uiDir);
  app.setNotFoundHandler((req, reply) => {
    if (servePage(req, reply)) return reply;
    return reply.code(404).send(envelope('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
  });

  // ---------------------------------------------------------------- public

  app.get(
    '/api/health',
    {
      config: { access: 'public' },
      schema: {
        summary: 'liveness (no auth)',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({
      status: 'ok' as const,
    }),
  );

  // The web UI asks this first, so a browser without a session sees the login page instead of a
  // failed request.
  app.get(
    '/api/session',
    {
      config: { access: 'public' },
      schema: {
        summary:
          'whether this request is authenticated, and where the token file is (for the login page; no credentials needed)',
        response: {
          200: Type.Object({
            authenticated: Type.Boolean(),
            authRequired: Type.Boolean(),
            tokenFile: Type.String(),
          }),
        },
      },
    },
    async (req) => ({
      authenticated: auth.isAuthenticated(req),
      authRequired: opts.auth,
      tokenFile: daemon.paths.token,
    }),
  );

  app.get(
    '/login',
    {
      config: { access: 'public' },
      schema: {
        querystring: Type.Object({
          code: Type.Optional(Type.String({ maxLength: 256 })),
          token: Type.Optional(Type.String({ maxLength: 256 })),
        }),
      },
    },
    async (req, reply) => {
      // a reused link (a reload, a bookmark) while the browser is logged in: just the UI
      if (auth.isAuthenticated(req)) return reply.redirect('/', 302);
      const retryAfter = auth.loginRetryAfterSec();
      if (retryAfter > 0)
        return reply
          .code(429)
          .header('retry-after', String(retryAfter))
          .type('text/html')
          .send(loginPage('Too many failed logins', `Try again in ${retryAfter} s.`));
      const credential = req.query.code ?? req.query.token;
      if (!credential || !auth.redeem(credential)) {
        auth.recordLoginFailure();
        req.log.warn(
          {
            remote: req.ip,
            kind: req.query.code !== undefined ? 'code' : req.query.token !== undefined ? 'token' : 'none',
          },
          'login refused: the link is not valid (used, expired or wrong)',
        );
        return reply
          .code(401)
          .type('text/html')
          .send(
            loginPage(
              'This login link is not valid',
              'Login links work once and for 10 minutes. Run <code>keyrx login-url</code> for a new one, or restart the daemon and use the URL it prints.',
            ),
          );
      }
      auth.startSession(reply);
      return reply.redirect('/', 302);
    },
  );

  app.post(
    '/api/logout',
    {
      config: { access: 'public' },
      schema: {
        summary: "end this browser's session (clears its cookie; other sessions and the token stay valid)",
        response: { 200: Type.Object({ loggedOut: Type.Boolean() }) },
      },
    },
    async (req, reply) => ({ loggedOut: auth.endSession(req, reply) }),
  );

  app.get(
    '/api/identity',
    {
      config: { access: 'public' },
      schema: {
        summary:
          'proof that this daemon knows the API token, before a client sends it: HMAC-SHA256(token, "keyrx-identity-v1\\n" + Host + "\\n" + challenge), hex',
        querystring: Type.Object(
          { challenge: Type.String({ pattern: '^[0-9a-f]{32,128}$' }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ proof: Type.String() }), ...errorResponses },
      },
    },
    async (req) => ({ proof: auth.prove(req, req.query.challenge) }),
  );

  // ---------------------------------------------------------------- status

  app.get(
    '/api/status',
    { schema: { summary: 'daemon status', response: { 200: S.StatusSchema } } },
    async () => withKeyrxStatusFields(daemon.status()),
  );
  const Loose = Type.Object({}, { additionalProperties: true });
  app.get(
    '/api/diagnostics',
    {
      schema: {
        summary: 'a diagnostics report for bug reports (token, home directory, titles and keys redacted)',
        querystring: Type.Object(
          { format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('markdown')])) },
          { additionalProperties: false },
        ),
        response: {
          // ?format=markdown sends text/markdown, which the JSON serializer leaves alone
          200: Type.Object({
            generatedAt: Type.String(),
            keyrx: Loose,
            runtime: Loose,
            daemon: Loose,
            checks: Loose,
            recentErrors: Type.Array(Loose),
            redacted: Type.Array(Type.String()),
          }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const report = await daemon.diagnostics();
      if (req.query.format !== 'markdown') return report;
      const { formatDiagnostics } = await import('../daemon/diagnostics.ts');
      // a text reply: the typed provider only knows the JSON shape
      return reply.type('text/markdown; charset=utf-8').send(formatDiagnostics(report) as never);
    },
  );
  const NullableString = Type.Union([Type.String(), Type.Null()]);
  const RecordingSummary = Type.Object({
    recording: Type.Boolean(),
    startedAt: NullableString,
    stoppedAt: NullableString,
    stoppedBy: Type.Union([
      Type.Literal('request'),
      Type.Literal('limit'),
      Type.Literal('time'),
      Type.Null(),
    ]),
    count: Type.Integer(),
  });
  const RecordedEvent = Type.Object({
    atMs: Type.Integer(),
    device: Type.String(),
    key: Type.String(),
    action: Type.String(),
    outputs: Type.Array(Type.Object({ atMs: Type.Integer(), key: Type.String(), action: Type.String() })),
  });
  app.get(
    '/api/recording',
    {
      schema: {
        summary: 'the macro recording: whether it is on, and the keys recorded (in memory only)',
        response: {
          200: Type.Intersect([RecordingSummary, Type.Object({ events: Type.Array(RecordedEvent) })]),
        },
      },
    },
    async () => daemon.recording(),
  );
  app.post(
    '/api/recording/start',
    {
      schema: {
        summary: 'start recording the keys processed (a new recording)',
        response: { 200: RecordingSummary, ...errorResponses },
      },
    },
    async () => daemon.startRecording(),
  );
  app.post(
    '/api/recording/stop',
    { schema: { summary: 'stop recording', response: { 200: RecordingSummary } } },
    async () => daemon.stopRecording(),
  );
  app.delete(
    '/api/recording',
    { schema: { summary: 'forget what was recorded', response: { 200: RecordingSummary } } },
    async () => daemon.clearRecording(),
  );
  app.get(
    '/api/recording/macro',
    {
      schema: {
        summary: 'the recording as macro(…) steps',
        querystring: Type.Object(
          {
            source: Type.Optional(Type.Union([Type.Literal('output'), Type.Literal('input')])),
            minWaitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            steps: Type.Array(
              Type.Object({
                op: Type.String(),
                key: Type.Optional(Type.String()),
                ms: Type.Optional(Type.Integer()),
                text: Type.Optional(Type.String()),
              }),
            ),
            text: Type.String(),
            count: Type.Integer(),
          }),
        },
      },
    },
    async (req) => daemon.recordedMacro(req.query),
  );
  const SuspendState = Type.Object({ suspended: Type.Boolean() });
  app.get(
    '/api/suspend',
    {
      schema: {
        summary: 'is remapping suspended (every key passing through untouched)?',
        response: { 200: SuspendState },
      },
    },
    async () => ({ suspended: daemon.suspended }),
  );
  app.post(
    '/api/suspend',
    {
      schema: {
        summary: 'suspend remapping: every new key press passes through untouched until resumed',
        response: { 200: SuspendState, ...errorResponses },
      },
    },
    async () => daemon.setSuspended(true),
  );
  app.post(
    '/api/resume',
    { schema: { summary: 'resume remapping', response: { 200: SuspendState, ...errorResponses } } },
    async () => daemon.setSuspended(false),
  );
  app.post(
    '/api/suspend/toggle',
    {
      schema: {
        summary: 'suspend when remapping, resume when suspended',
        response: { 200: SuspendState, ...errorResponses },
      },
    },
    async () => daemon.setSuspended(!daemon.suspended),
  );
  app.get(
    '/api/metrics',
    { schema: { summary: 'key-path latency, throughput, memory', response: { 200: S.MetricsSchema } } },
    async () => daemon.metrics(),
  );
  app.get('/api/openapi.json', { schema: { summary: 'this API as OpenAPI 3.1' } }, async () =>
    buildOpenApi(routes, VERSION),
  );
  app.post(
    '/api/login-url',
    {
      schema: {
        summary: 'a new one-time login URL for the web UI',
        response: { 200: Type.Object({ url: Type.String(), expiresInSec: Type.Integer() }) },
      },
    },
    async (req) => ({
      url: `http://${req.headers.host}/login?code=${auth.newLoginCode()}`,
      expiresInSec: 600,
    }),
  );

  // ---------------------------------------------------------------- profiles

  const listCache = { version: -1, replies: new Map<string, string>() };
  const listSerializer = fastJson(S.ProfileList);
  app.get(
    '/api/profiles',
    {
      schema: {
        summary: 'list profiles',
        querystring: S.ListQuery,
        response: { 200: S.ProfileList, ...errorResponses },
      },
    },
    async (req, reply) => {
      const limit = req.query.limit ?? 1000;
      const offset = req.query.offset ?? 0;
      // The list changes rarely and is read often (UI, CLI, monitors): its JSON is reused until
      // the daemon says the profiles changed.
      const key = `${limit}:${offset}`;
      if (listCache.version !== daemon.profilesVersion) {
        listCache.version = daemon.profilesVersion;
        listCache.replies.clear();
      }
      let json = listCache.replies.get(key);
      if (json === undefined) {
        json = listSerializer({ ...daemon.listProfiles({ limit, offset }), limit, offset });
        if (listCache.replies.size < 16) listCache.replies.set(key, json);
      }
      // a string is sent as it is: it already is this route's reply schema, serialised
      return reply
        .type('application/json; charset=utf-8')
        .send(json as unknown as Static<typeof S.ProfileList>);
    },
  );
  app.post(
    '/api/profiles',
    {
      schema: {
        summary: 'create a profile from a template or a source',
        body: S.CreateProfileBody,
        response: { 201: S.ProfileDetailSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      if (req.body.template !== undefined && req.body.source !== undefined)
        return reply
          .code(400)
          .send(envelope('VALIDATION_FAILED', 'give either "template" or "source", not both'));
      return reply.code(201).send(await daemon.createProfile(req.body));
    },
  );
  app.get(
    '/api/templates',
    {
      schema: {
        summary: 'templates new profiles can start from',
        response: {
          200: Type.Object({
            templates: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })),
          }),
        },
      },
    },
    async () => ({ templates: daemon.templates() }),
  );

  app.get(
    '/api/profiles/active',
    {
      schema: {
        summary:
          "the active profile's detail and, as KeyRx answered, its name as active_profile (null when none)",
        response: { 200: S.ActiveProfileSchema, ...errorResponses },
      },
    },
    async () => {
      const name = daemon.activeProfileName();
      if (!name) return { active_profile: null };
      return { active_profile: name, ...(await daemon.getProfile(name)) };
    },
  );
  app.post(
    '/api/profiles/activate',
    {
      schema: {
        summary: "activate a profile (the seed report's spelling)",
        body: S.NewNameBody,
        response: { 200: S.ActivationSchema, ...errorResponses },
      },
    },
    async (req) => daemon.activate(req.body.name),
  );
  app.get(
    '/api/profiles/:name',
    {
      schema: {
        summary: 'a profile with its source and diagnostics',
        params: S.NameParams,
        response: { 200: S.ProfileDetailSchema, ...errorResponses },
      },
    },
    async (req) => daemon.getProfile(req.params.name),
  );
  app.put(
    '/api/profiles/:name',
    {
      schema: {
        summary:
          'replace the source; invalid sources are refused with diagnostics and the stored file is untouched',
        params: S.NameParams,
        body: S.SourceBody,
        response: {
          200: Type.Intersect([S.ProfileDetailSchema, Type.Object({ reloaded: Type.Boolean() })]),
          ...errorResponses,
        },
      },
    },
    async (req) => daemon.updateProfile(req.params.name, req.body.source),
  );
  app.delete(
    '/api/profiles/:name',
    {
      schema: {
        summary: 'delete a profile (the active one only with ?force=true)',
        params: S.NameParams,
        querystring: S.ForceQuery,
        response: {
          200: Type.Object({ deleted: Type.String(), wasActive: Type.Boolean() }),
          ...errorResponses,
        },
      },
    },
    async (req) => daemon.deleteProfile(req.params.name, { force: req.query.force }),
  );
  app.get(
    '/api/profiles/:name/keys/:key',
    {
      schema: {
        summary: "what a key does in a profile's device block and layer (?block=, ?layer=MD_xx)",
        params: S.KeyParams,
        querystring: S.KeyQuery,
        response: { 200: S.KeyInfoSchema, ...errorResponses },
      },
    },
    async (req) =>
      daemon.keyInfo(
        req.params.name,
        req.query.block ?? 0,
        editLayer(req.query.layer),
        editKey(req.params.key),
      ),
  );
  app.put(
    '/api/profiles/:name/keys/:key',
    {
      schema: {
        summary:
          "set a key's mapping by rewriting only its statement; an edit that does not compile, or a key mapped by code, is refused and nothing is saved",
        params: S.KeyParams,
        querystring: S.KeyQuery,
        body: S.KeyEditBody,
        response: { 200: S.EditedProfileSchema, ...errorResponses },
      },
    },
    async (req) => {
      const key = editKey(req.params.key);
      return daemon.editKey(req.params.name, {
        block: req.query.block ?? 0,
        layer: editLayer(req.query.layer),
        key,
        mapping: editMapping(req.body.mapping, key),
        override: req.body.override ?? false,
      });
    },
  );
  app.delete(
    '/api/profiles/:name/keys/:key',
    {
      schema: {
        summary: "remove a key's mapping (its statement) from a block and layer",
        params: S.KeyParams,
        querystring: S.KeyQuery,
        response: { 200: S.EditedProfileSchema, ...errorResponses },
      },
    },
    async (req) =>
      daemon.editKey(req.params.name, {
        block: req.query.block ?? 0,
        layer: editLayer(req.query.layer),
        key: editKey(req.params.key),
        mapping: null,
      }),
  );
  app.get(
    '/api/profiles/:name/diff/:other',
    {
      schema: {
        summary:
          'what changes from one profile to another: a unified diff and the keys whose mapping differs',
        params: S.DiffParams,
        response: { 200: S.ProfileDiffSchema, ...errorResponses },
      },
    },
    async (req) => daemon.diffProfiles(req.params.name, { name: req.params.other }),
  );
  app.post(
    '/api/profiles/:name/diff',
    {
      schema: {
        summary: 'what changes from a saved profile to a source given (an edited buffer, a file)',
        params: S.NameParams,
        body: S.DiffBody,
        response: { 200: S.ProfileDiffSchema, ...errorResponses },
      },
    },
    async (req) =>
      daemon.diffProfiles(req.params.name, { source: req.body.source, label: req.body.label ?? 'edited' }),
  );
  app.get(
    '/api/profiles/:name/layers',
    {
      schema: {
        summary: "a profile's layers: names, their when-blocks, the keys that turn each on",
        params: S.NameParams,
        response: { 200: S.LayerListSchema, ...errorResponses },
      },
    },
    async (req) => ({ layers: await daemon.layers(req.params.name) }),
  );
  app.get(
    '/api/profiles/:name/layers/:layer',
    {
      schema: {
        summary: 'one layer (by MD_xx/LK_xx or name) with the mappings of its own when-blocks',
        params: S.LayerParams,
        response: { 200: S.LayerDetailSchema, ...errorResponses },
      },
    },
    async (req) => daemon.layer(req.params.name, req.params.layer),
  );
  app.post(
    '/api/profiles/:name/layers',
    {
      schema: {
        summary: 'name a new layer (layer_name()); a taken id or name is refused and nothing is saved',
        params: S.NameParams,
        body: S.CreateLayerBody,
        response: { 201: S.EditedProfileSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      reply.code(201);
      return daemon.createLayer(req.params.name, req.body);
    },
  );
  app.put(
    '/api/profiles/:name/layers/:layer',
    {
      schema: {
        summary: 'rename a layer (by MD_xx/LK_xx or its current name); a layer without a name gets one',
        params: S.LayerParams,
        body: S.LayerNameBody,
        response: { 200: S.EditedProfileSchema, ...errorResponses },
      },
    },
    async (req) => daemon.renameLayer(req.params.name, { layer: req.params.layer, name: req.body.name }),
  );
  app.delete(
    '/api/profiles/:name/layers/:layer',
    {
      schema: {
        summary:
          'delete a layer: its name and the when-blocks that test it alone; notes say which keys still turn it on',
        params: S.LayerParams,
        response: { 200: S.EditedProfileSchema, ...errorResponses },
      },
    },
    async (req) => daemon.deleteLayer(req.params.name, req.params.layer),
  );
  app.get(
    '/api/profiles/:name/export',
    {
      schema: {
        summary: 'a profile with the files it loads, as a bundle (?format=rhai: the source alone)',
        params: S.NameParams,
        querystring: Type.Object(
          { format: Type.Optional(Type.Union([Type.Literal('bundle'), Type.Literal('rhai')])) },
          { additionalProperties: false },
        ),
        response: { 200: S.ProfileBundleSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const bundle = await daemon.exportProfile(req.params.name);
      if (req.query.format !== 'rhai') return bundle;
      // a text reply: the typed provider only knows the JSON shape
      return reply.type('text/plain; charset=utf-8').send(bundle.source as never);
    },
  );
  app.post(
    '/api/profiles/import',
    {
      // a bundle may carry up to 64 loaded files; authentication runs before the body is read
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        summary: 'import a profile: a source, or a bundle with the files it loads',
        body: S.ImportProfileBody,
        response: {
          201: Type.Intersect([S.ProfileDetailSchema, Type.Object({ files: Type.Array(Type.String()) })]),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => reply.code(201).send(await daemon.importProfile(req.body)),
  );
  app.post(
    '/api/profiles/active/reload',
    {
      schema: {
        summary: 're-read the active profile from disk and apply it (as SIGHUP)',
        response: { 200: S.ActivationSchema, ...errorResponses },
      },
    },
    async () => daemon.reloadActiveOrFail(),
  );
  app.post(
    '/api/profiles/:name/activate',
    {
      schema: {
        summary: 'activate a profile',
        params: S.NameParams,
        response: { 200: S.ActivationSchema, ...errorResponses },
      },
    },
    async (req) => daemon.activate(req.params.name),
  );
  app.post(
    '/api/profiles/:name/duplicate',
    {
      schema: {
        summary: 'copy a profile',
        params: S.NameParams,
        body: S.NewNameBody,
        response: { 201: S.ProfileDetailSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await daemon.duplicateProfile(req.params.name, req.body.name)),
  );
  app.post(
    '/api/profiles/:name/rename',
    {
      schema: {
        summary: 'rename a profile (stays active if it was)',
        params: S.NameParams,
        body: S.NewNameBody,
        response: { 200: S.ProfileDetailSchema, ...errorResponses },
      },
    },
    async (req) => daemon.renameProfile(req.params.name, req.body.name),
  );
  app.post(
    '/api/profiles/:name/validate',
    {
      schema: {
        summary: 'compile a stored profile and return its diagnostics',
        params: S.NameParams,
        response: { 200: S.CompileReportSchema, ...errorResponses },
      },
    },
    async (req) => daemon.validateProfile(req.params.name),
  );
  app.post(
    '/api/compile',
    {
      schema: {
        summary: 'compile a source and return its diagnostics',
        body: S.CompileBody,
        response: { 200: S.CompileReportSchema, ...errorResponses },
      },
    },
    async (req) => daemon.compileSource(req.body.source, req.body.name),
  );

  // ---------------------------------------------------------------- settings, devices, state

  app.get(
    '/api/settings',
    { schema: { summary: 'settings', response: { 200: S.SettingsSchema } } },
    async () => daemon.settings,
  );
  app.get(
    '/api/settings/schema',
    { schema: { summary: 'the JSON schema of the settings (for generated forms)' } },
    async () => S.SettingsSchema,
  );
  app.patch(
    '/api/settings',
    {
      schema: {
        summary: 'change settings; unknown keys are refused',
        body: Type.Object({}, { additionalProperties: true }),
        response: { 200: S.SettingsSchema, ...errorResponses },
      },
    },
    async (req) => daemon.patchSettings(req.body),
  );
  app.get(
    '/api/devices',
    {
      schema: { summary: 'devices', response: { 200: Type.Object({ devices: Type.Array(S.DeviceSchema) }) } },
    },
    async () => ({
      devices: daemon.listDevices(),
    }),
  );
  app.patch(
    '/api/devices/:id',
    {
      schema: {
        summary: 'rename a device, enable or disable remapping, set its layout',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) }),
        body: S.DevicePatchBody,
        response: { 200: S.DeviceSchema, ...errorResponses },
      },
    },
    async (req) => daemon.patchDevice(req.params.id, req.body),
  );
  app.delete(
    '/api/devices/:id',
    {
      schema: {
        summary: "forget a device's saved settings (name, enabled, layout)",
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) }),
        response: {
          200: Type.Object({
            id: Type.String(),
            forgotten: Type.Boolean(),
            device: Type.Union([S.DeviceSchema, Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => daemon.forgetDevice(req.params.id),
  );
  registerLayoutRoutes(app, daemon, errorResponses);
  registerKeyrxCompatRoutes(app, daemon, errorResponses);
  app.get(
    '/api/state',
    {
      schema: {
        summary: 'engine state: layers, locks, held keys, pending tap-holds, context',
        response: { 200: S.StateSchema },
      },
    },
    async () => daemon.engineState(),
  );

  // ---------------------------------------------------------------- input context

  app.get(
    '/api/context',
    {
      schema: {
        summary: 'the input context: focused application, window title, input method, language',
        response: { 200: S.ContextSchema },
      },
    },
    async () => daemon.context(),
  );
  app.put(
    '/api/context',
    {
      schema: {
        summary:
          'set fields of the input context (APP:, TITLE:, IME and LANG_ conditions); not saved across restarts',
        body: S.ContextPatchBody,
        response: { 200: S.ContextSchema, ...errorResponses },
      },
    },
    async (req) => daemon.setContext(req.body),
  );

  // ---------------------------------------------------------------- simulation and injection

  app.post(
    '/api/simulate',
    {
      schema: {
        summary: 'run a script through the engine (a source, a stored profile, or the active one)',
        body: S.SimulateBody,
        response: { 200: S.SimulationSchema, ...errorResponses },
      },
    },
    async (req) => {
      if (req.body.source !== undefined && req.body.profile !== undefined)
        throw new DaemonError('SIMULATION_INVALID', 'give either "source" or "profile", not both');
      const r = await daemon.simulate(req.body);
      const { pending, ...final } = namedState(r.final);
      return {
        output: r.output,
        durationMs: r.durationMs,
        timeline: r.timeline,
        final: {
          ...final,
          pending: pending.map((p) => ({
            device: p.device,
            key: p.key,
            sinceMs: p.sinceUs / 1000,
            deadlineMs: p.deadlineUs / 1000,
          })),
        },
      };
    },
  );
  app.post(
    '/api/inject',
    {
      schema: {
        summary: 'feed a script into the virtual backend (real time, or ?instant=true)',
        body: S.InjectBody,
        querystring: S.InjectQuery,
        response: { 200: S.InjectResultSchema, ...errorResponses },
      },
    },
    async (req) => daemon.inject(req.body.events, { instant: req.query.instant }),
  );
  app.get(
    '/api/output',
    {
      schema: {
        summary: 'recent output events',
        querystring: S.OutputQuery,
        response: { 200: S.OutputSchema },
      },
    },
    async (req) => {
      const events = daemon.recentOutput(req.query.limit ?? 100);
      const script = formatEvents(
        events.map((e) =>
          e.action === 'move'
            ? { key: MOUSE_AXES[e.key as MouseAxis], action: 'move' as const, timeUs: e.time, value: e.value }
            : { key: resolveKey(e.key), action: e.action as KeyAction, timeUs: e.time },
        ),
        events[0]?.time ?? 0,
      );
      return { events, script };
    },
  );

  // MCP for AI agents (docs/mcp.md): behind the same hooks as /api; its tools call /api with the token
  registerMcp(app, { token: daemon.token });

  const ws = await registerWebSocket(app, daemon);

  return { app, auth, ws };
}

/** A key named in a route, canonical (`VK_` optional), or a 400 naming it. */
function editKey(name: string): string {
  try {
    return keyName(resolveKey(name));
  } catch (e) {
    throw new DaemonError('KEY_EDIT_INVALID', (e as Error).message);
  }
}

/** `?layer=MD_01` or `LK_02` as a condition; absent: the base layer. */
function editLayer(text: string | undefined): Condition | null {
  if (text === undefined || text === '') return null;
  const m = /^(MD|LK)_([0-9A-Fa-f]{2})$/.exec(text);
  const id = m ? parseInt(m[2], 16) : -1;
  if (!m || id > 0xfe)
    throw new DaemonError('KEY_EDIT_INVALID', `layer must be MD_00–MD_FE or LK_00–LK_FE, got '${text}'`);
  return m[1] === 'MD' ? { kind: 'modifier', id } : { kind: 'lock', id };
}

/** The mapping of an edit, checked by the config model: one key's mapping, for this key. */
function editMapping(mapping: unknown, key: string): KeyMapping {
  let checked;
  try {
    checked = validateConfig({ version: 1, devices: [{ pattern: '*', mappings: [mapping] }] }).devices[0]
      .mappings[0];
  } catch (e) {
    if (e instanceof ConfigError) throw new DaemonError('KEY_EDIT_INVALID', `mapping: ${e.message}`);
    throw e;
  }
  if (checked.kind === 'conditional' || checked.kind === 'combo')
    throw new DaemonError('KEY_EDIT_INVALID', `mapping: a ${checked.kind} is not one key's mapping`);
  if (checked.from !== key)
    throw new DaemonError(
      'KEY_EDIT_INVALID',
      `mapping: it is for ${checked.from}, not ${key} (the key in the path)`,
    );
  return checked;
}
