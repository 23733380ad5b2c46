import { dirname, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AssetDirectory, makeAsset, type Asset } from './assets.js';

/** The bundled build: packages/ui/dist, the same relative path from src/ui and dist/ui. */
export const BUNDLED_UI_DIR = fileURLToPath(new URL('../../../ui/dist/', import.meta.url));

export interface UiOptions {
  /** The build served when `ui-index` is `local` (default: the bundled packages/ui/dist). */
  root?: string;
  /**
   * The `ui-index` setting in force: `local` or empty for the bundled build, an absolute directory (or its
   * index.html) holding another build, or an http(s) URL of an index.html whose assets live beside it.
   */
  uiIndex?: () => string;
  /** Fetches a remote index.html (tests replace it). */
  fetchText?: (url: string) => Promise<string>;
}

/** First path segments that belong to the API: never answered with the UI page. */
const API_ROOTS = new Set(['v3', 'v3-public', 'meta', 'k8s', 'assets', 'ping', 'healthz', 'cacerts']);
const REMOTE_TTL_MS = 60_000;
const IMMUTABLE = 'public, max-age=31536000, immutable';

function csp(extraOrigin = ''): string {
  const o = extraOrigin ? ` ${extraOrigin}` : '';
  return [
    "default-src 'self'",
    `script-src 'self'${o}`,
    `style-src 'self' 'unsafe-inline'${o}`,
    `img-src 'self' data:${o}`,
    `font-src 'self'${o}`,
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

const NOT_BUILT = makeAsset(
  Buffer.from(
    '<!doctype html><html lang="en"><meta charset="utf-8"><title>Paddock</title>' +
      '<body style="font-family:sans-serif;margin:3rem"><h1>Paddock</h1>' +
      '<p>The web UI has not been built on this server. Run <code>npm run build</code> and reload this page.</p>' +
      '<p>The API is at <a href="/v3">/v3</a>.</p></body></html>',
  ),
  'text/html; charset=utf-8',
);

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset, cacheControl: string) {
  reply.header('Cache-Control', cacheControl).header('ETag', asset.etag).header('X-Content-Type-Options', 'nosniff').header('Vary', 'Accept-Encoding');
  if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  const gzip = asset.gzip !== undefined && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (gzip) reply.header('Content-Encoding', 'gzip');
  return reply.type(asset.contentType).send(gzip ? asset.gzip : asset.body);
}

/** Does this GET want the single-page app (a browser navigating to a client route)? */
function wantsPage(req: FastifyRequest): boolean {
  const first = (req.url.split('?')[0] ?? '').split('/').find((s) => s !== '')?.toLowerCase() ?? '';
  return !API_ROOTS.has(first) && (req.headers.accept ?? '').includes('text/html');
}

/**
 * Serves the web UI: `/` and every client route (a browser GET outside the API's paths) get index.html,
 * uncached; `/assets/*` (content-hashed by the build) are cached for a year; other files at the build's top
 * level (icons) for an hour. Anything else falls through to the API's 404, so API paths are untouched.
 */
export function registerUi(app: FastifyInstance, options: UiOptions = {}): void {
  const bundled = new AssetDirectory(options.root ?? BUNDLED_UI_DIR);
  const others = new Map<string, AssetDirectory>();
  const fetchText = options.fetchText ?? defaultFetchText;
  let remote: { url: string; at: number; asset: Asset } | undefined;

  /** The build `ui-index` names: a local directory, or a remote index.html (with its origin for the CSP). */
  const current = (): { dir: AssetDirectory; url?: string } => {
    const value = (options.uiIndex?.() ?? '').trim();
    if (value === '' || value === 'local') return { dir: bundled };
    if (/^https?:\/\//i.test(value)) return { dir: bundled, url: value };
    if (!isAbsolute(value)) return { dir: bundled };
    const root = value.endsWith('.html') ? dirname(value) : value;
    let dir = others.get(root);
    if (!dir) others.set(root, (dir = new AssetDirectory(root)));
    return { dir };
  };

  const remoteIndex = async (req: FastifyRequest, url: string): Promise<Asset | undefined> => {
    if (remote?.url === url && Date.now() - remote.at < REMOTE_TTL_MS) return remote.asset;
    try {
      remote = { url, at: Date.now(), asset: makeAsset(Buffer.from(await fetchText(url)), 'text/html; charset=utf-8') };
      return remote.asset;
    } catch (err) {
      req.log.warn({ err, url }, 'ui-index: could not fetch the remote UI; serving the bundled one');
      return undefined;
    }
  };

  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    const { dir, url } = current();
    const fromUrl = url === undefined ? undefined : await remoteIndex(req, url);
    const asset = fromUrl ?? (await dir.index()) ?? (dir === bundled ? undefined : await bundled.index());
    reply.header('Content-Security-Policy', csp(fromUrl && url ? new URL(url).origin : '')).header('X-Frame-Options', 'DENY').header('Referrer-Policy', 'same-origin');
    if (!asset) return send(req, reply.code(503), NOT_BUILT, 'no-store');
    return send(req, reply, asset, 'no-cache');
  };

  app.get('/', page);
  app.get('/assets/*', async (req, reply) => {
    const asset = await current().dir.get(`assets/${(req.params as Record<string, string | undefined>)['*'] ?? ''}`);
    if (!asset) return reply.callNotFound();
    return send(req, reply, asset, IMMUTABLE);
  });
  app.get('/*', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const single = /^\/[^/]+$/.test(path) && path !== '/index.html';
    const file = single ? await current().dir.get(path.slice(1)) : undefined;
    if (file) return send(req, reply, file, 'public, max-age=3600');
    if (wantsPage(req)) return page(req, reply);
    return reply.callNotFound();
  });
}

async function defaultFetchText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res.text();
}
