/**
 * `/mcp`: the MCP tools (tools.ts) over streamable HTTP, on the daemon's own fastify server.
 *
 * **Who may call it**: exactly who may call `/api`. The route is registered like an API route
 * (no `access` override, so `token`), so the server's onRequest hook (src/server/app.ts) runs
 * first: a foreign Host is 421, a POST from a foreign Origin (or `Sec-Fetch-Site: cross-site`)
 * is 403, no or a wrong bearer token (or session) is 401, a body over BODY_LIMIT is 413 — before
 * anything here runs. Only `application/json` bodies are parsed (others: 415).
 *
 * **Stateless**: every POST gets a fresh McpServer and transport (no session id, nothing kept
 * between requests, nothing to leak or exhaust), and the answer is one JSON reply, not an SSE
 * stream. GET (a server-to-client stream) and DELETE (ending a session) have no meaning then:
 * 405, as the MCP spec allows; the SDK's client carries on without them.
 *
 * **What a tool may do**: each tool call is a REST request through `app.inject` with the daemon's
 * own token and the caller's (already checked) Host, so it passes the same hooks, schemas and
 * daemon checks as one from curl; only `/api/…` paths are reachable that way.
 *
 * The SDK and the tools are loaded on the first request: a daemon that never serves MCP does not
 * pay for them at start-up.
 */
import type { FastifyInstance } from 'fastify';
import type { McpBackend } from './tools.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFastify = FastifyInstance<any, any, any, any, any>;

export const MCP_PATH = '/mcp';

/** Request headers the transport reads; nothing else (the token included) is handed to it. */
const FORWARDED = ['accept', 'content-type', 'mcp-protocol-version', 'mcp-session-id', 'last-event-id'];

const load = (() => {
  let modules: Promise<
    [
      typeof import('./tools.ts'),
      typeof import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
    ]
  > | null = null;
  return () =>
    (modules ??= Promise.all([
      import('./tools.ts'),
      import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
    ]));
})();

/**
 * The API as the tools see it inside the daemon: `app.inject` with the daemon's token and the
 * Host of the request being served (the Host check runs again on every call).
 */
function injectBackend(
  app: AnyFastify,
  token: string,
  host: string,
  McpApiError: typeof import('./tools.ts').McpApiError,
): McpBackend {
  const call = async <T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T> => {
    if (!path.startsWith('/api/')) throw new McpApiError(500, 'INTERNAL', `not an API path: ${path}`);
    const res = await app.inject({
      method,
      url: path,
      headers: {
        host,
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    let data: unknown;
    try {
      data = res.body === '' ? undefined : JSON.parse(res.body);
    } catch {
      data = undefined;
    }
    if (res.statusCode >= 200 && res.statusCode < 300 && data !== undefined) return data as T;
    const envelope = (
      data as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined
    )?.error;
    if (envelope && typeof envelope.code === 'string' && typeof envelope.message === 'string')
      throw new McpApiError(res.statusCode, envelope.code, envelope.message, envelope.details);
    throw new McpApiError(
      res.statusCode,
      'INTERNAL',
      `unexpected reply to ${method} ${path}: HTTP ${res.statusCode}`,
    );
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    put: (path, body) => call('PUT', path, body),
    delete: (path) => call('DELETE', path),
  };
}

const NOT_ALLOWED = JSON.stringify({
  jsonrpc: '2.0',
  error: {
    code: -32000,
    message: 'Method not allowed: this MCP endpoint is stateless; send JSON-RPC messages with POST',
  },
  id: null,
});

/** Registers POST /mcp (and 405 for GET and DELETE) on the daemon's server. */
export function registerMcp(app: AnyFastify, opts: { token: string }): void {
  app.post(
    MCP_PATH,
    { schema: { summary: 'Model Context Protocol (streamable HTTP, stateless): tools for AI agents' } },
    async (req, reply) => {
      const [{ createMcpServer, McpApiError }, { WebStandardStreamableHTTPServerTransport }] = await load();
      // the onRequest hook accepted this Host: the tools' own requests name the same one
      const host = req.headers.host ?? '';
      const server = createMcpServer(injectBackend(app, opts.token, host, McpApiError));
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      await server.connect(transport);
      try {
        const headers = new Headers();
        for (const name of FORWARDED) {
          const value = req.headers[name];
          if (typeof value === 'string') headers.set(name, value);
        }
        const res = await transport.handleRequest(
          new Request(`http://${host}${MCP_PATH}`, { method: 'POST', headers }),
          { parsedBody: req.body },
        );
        const text = await res.text();
        reply.code(res.status);
        res.headers.forEach((value, name) => {
          if (name === 'content-type' || name === 'allow') reply.header(name, value);
        });
        return reply.send(text === '' ? undefined : text);
      } finally {
        await server.close();
      }
    },
  );
  for (const method of ['GET', 'DELETE'] as const)
    app.route({
      method,
      url: MCP_PATH,
      schema: { summary: 'not used: the MCP endpoint is stateless (405)' },
      handler: async (_req, reply) =>
        reply.code(405).header('allow', 'POST').type('application/json').send(NOT_ALLOWED),
    });
}
