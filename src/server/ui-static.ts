/**
 * Serves the built web UI (Vite's output in dist/ui) at `/`, with the SPA fallback: any GET
 * outside /api and /ws that is not a file gets index.html, so /profiles/work can be reloaded.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { VERSION } from '../daemon/version.ts';
import { canonicalPath, isApiSpace } from './auth.ts';

/** Where the build puts the UI, seen from dist/src/server (installed) and from src/server (tsx). */
export function defaultUiDir(): string | null {
  // From the sources, ../../ui is the UI's source folder, not a build.
  const installed = fileURLToPath(import.meta.url).includes(join('dist', 'src', 'server'));
  for (const rel of installed ? ['../../ui'] : ['../../dist/ui']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return null;
}

// CodeMirror and uPlot set inline styles, hence 'unsafe-inline' for styles only; scripts are
// the bundle's own files.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>keyrx</title><h1>keyrx ${VERSION}</h1>
<p>The daemon is running, but its web UI is not built. Run <code>npm run build</code> (or start the daemon with <code>npm start</code>, which builds it) and reload.</p>
<p>The API works: <a href="/api/status">/api/status</a>, <a href="/api/openapi.json">/api/openapi.json</a>; see docs/api.md.</p>`;

function wantsPage(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  return !isApiSpace(req.url) && !canonicalPath(req.url).startsWith('/assets/');
}

/** A small page for what /login answers when it cannot log in (styled without the UI's bundle). */
export function loginPage(title: string, body: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>keyrx: ${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:10vh auto;padding:0 1rem;color:#1f2328;background:#fff}h1{font-size:1.4rem}code{background:#eff1f3;padding:.1em .3em;border-radius:4px}a{color:#0969da}@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}code{background:#262c36}a{color:#58a6ff}}</style>
<h1>${title}</h1><p>${body}</p><p><a href="/">Open keyrx</a></p></html>`;
}

/**
 * Registers the UI routes; returns the handler the server's not-found handler calls first
 * (true when it answered).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any logger/type provider
type AnyFastify = FastifyInstance<any, any, any, any, any>;

export async function registerUi(
  app: AnyFastify,
  uiDir: string | null,
): Promise<(req: FastifyRequest, reply: FastifyReply) => boolean> {
  if (!uiDir) {
    app.get('/', { config: { access: 'page' } }, async (_req, reply) =>
      reply.type('text/html').send(NOT_BUILT),
    );
    return () => false;
  }
  await app.register(fastifyStatic, {
    root: uiDir,
    prefix: '/',
    index: ['index.html'],
    // Vite names assets by content hash: they never change under the same URL.
    setHeaders(res, path) {
      if (path.includes(`${join('/', 'assets', '/')}`))
        res.header('cache-control', 'public, max-age=31536000, immutable');
      else res.header('cache-control', 'no-cache');
      if (path.endsWith('.html')) res.header('content-security-policy', CSP);
    },
  });
  return (req, reply) => {
    if (!wantsPage(req)) return false;
    reply.header('cache-control', 'no-cache').header('content-security-policy', CSP);
    void reply.sendFile('index.html');
    return true;
  };
}
