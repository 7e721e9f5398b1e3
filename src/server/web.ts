/**
 * The web view's files (docs/api.md "Web view"): built into `dist/web` by
 * `npm run build` (`scripts/build-web.ts` bundles `src/web` with esbuild),
 * read once when the server starts and served from memory. Only the files
 * found then are served, by exact name, so no request path ever reaches the
 * file system. Every page path (`/`, `/runs/<id>`, `/workflows/<name>`) gets
 * the one HTML page; the page's script routes by its location.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';
import type { App } from './app.js';

/** The web view's files, by name. */
export interface WebAssets {
  readonly dir: string;
  readonly files: ReadonlyMap<string, { readonly body: Uint8Array; readonly type: string }>;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

/** Where the built web view is: `dist/web` beside the compiled server, or under the repository when run from source. */
export function defaultWebDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../web'), resolve(here, '../../dist/web')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/** Reads the web view's files (one level, known types only); `undefined` when `dir` has no `index.html`. */
export function loadWebAssets(dir: string | undefined = defaultWebDir()): WebAssets | undefined {
  if (!dir || !existsSync(join(dir, 'index.html'))) return undefined;
  const files = new Map<string, { body: Uint8Array; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    const path = join(dir, name);
    if (type && statSync(path).isFile()) files.set(name, { body: readFileSync(path), type });
  }
  return { dir, files };
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>tempoflow</title>
<p>The web view is not built. Run <code>npm run build</code> and restart <code>tempoflow serve</code>; the API works meanwhile (see <a href="/openapi.json">/openapi.json</a>).</p>`;

/** The page routes and `/assets/<file>`. */
export function registerWebRoutes(app: App, assets: WebAssets | undefined, info: { open: boolean }): void {
  const page = (c: Context) => {
    const index = assets?.files.get('index.html');
    if (!index) return c.html(NOT_BUILT, 200);
    // The page learns whether it must ask for a token without a round trip.
    const html = new TextDecoder().decode(index.body).replace('data-auth="token"', `data-auth="${info.open ? 'open' : 'token'}"`);
    c.header('Cache-Control', 'no-cache');
    return c.html(html, 200);
  };
  app.get('/', page);
  app.get('/runs/:runId', page);
  app.get('/workflows/:name', page);
  app.get('/assets/:file', (c) => {
    const file = assets?.files.get(c.req.param('file'));
    if (!file || c.req.param('file') === 'index.html') return c.json({ error: { code: 'not-found', message: `no asset ${c.req.param('file')}` } }, 404);
    c.header('Content-Type', file.type);
    c.header('Cache-Control', 'no-cache');
    return c.body(file.body as Uint8Array<ArrayBuffer>, 200);
  });
}
