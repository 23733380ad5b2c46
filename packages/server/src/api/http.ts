import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticate.js';
import { CSRF_COOKIE, credentialSource, readCookie } from '../auth/credentials.js';
import type { JsonObject } from '../schema/validate.js';
import type { Caller, RequestContext } from './context.js';
import { ApiError } from './errors.js';
import { BODY_LIMIT } from './limits.js';
import { toApiError } from './error-handler.js';
import type { ApiHandler, ApiResponse } from './handler.js';
import { renderHtml } from './html.js';
import type { RenderedResponse, ResponseCache } from './response-cache.js';
import type { Query } from './query.js';
import { registerUi } from '../ui/static.js';

export { BODY_LIMIT };

export interface ApiRoutesDeps {
  v3: ApiHandler;
  v3Public: ApiHandler;
  authenticator: Authenticator;
  /** The CA PEM for `/cacerts` ('' when unknown). */
  cacerts: () => string;
  openapi: (baseUrl: string) => JsonObject;
  /** Reuses rendered GET responses until the store changes. */
  responses: ResponseCache;
  /** Told who made each request, once authentication has said (for the audit log). */
  noteCaller?: (req: FastifyRequest, caller: Caller | undefined) => void;
  /** The `ui-index` setting: where the UI is served from ('local' = the built-in one). */
  uiIndex?: () => string;
  /** The import manifest for `/v3/import/<file>` (undefined: no such registration token). */
  importManifest: (file: string, baseUrl: string) => string | undefined;
}

/** A host[:port] as URLs may carry it; anything else in a Host-like header is ignored. */
const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/**
 * `https://host[:port]` as the client addressed us, honouring proxies' X-Forwarded-* headers. Only
 * well-formed values are taken: they end up in links and in the shell commands agents are started with.
 */
export function baseUrlOf(headers: IncomingHttpHeaders, protocol: 'http' | 'https'): string {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();
  const forwardedProto = first(headers['x-forwarded-proto'])?.replace(/^ws/, 'http');
  const proto = forwardedProto === 'http' || forwardedProto === 'https' ? forwardedProto : protocol;
  const candidates = [first(headers['x-api-host']), first(headers['x-forwarded-host']), headers.host];
  const host = candidates.find((h): h is string => h !== undefined && HOST.test(h)) ?? 'localhost';
  return `${proto}://${host}`;
}

const baseUrl = (req: FastifyRequest) => baseUrlOf(req.headers, req.protocol);

function segmentsAfter(url: string, root: string): string[] {
  const path = url.split('?')[0] ?? '';
  const rest = path.slice(path.toLowerCase().indexOf(root) + root.length);
  return rest
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch (err) {
        throw new ApiError('NotFound', `bad path segment "${s}": ${(err as Error).message}`);
      }
    });
}

function wantsHtml(req: FastifyRequest, query: Query): boolean {
  if (query._format !== undefined) return query._format === 'html';
  return (req.headers.accept ?? '').includes('text/html');
}

/**
 * Writes authenticated by the session cookie must carry the CSRF cookie's value in `X-API-CSRF` (as
 * Rancher asks of browsers), so another site cannot make a logged-in browser act. Token-in-header
 * clients (curl, CLIs) are not affected.
 */
function checkCsrf(req: FastifyRequest) {
  if (req.method === 'GET' || req.method === 'HEAD' || credentialSource(req.headers) !== 'cookie') return;
  const expected = readCookie(req.headers.cookie, CSRF_COOKIE);
  const sent = req.headers['x-api-csrf'];
  if (!expected || sent !== expected) {
    throw new ApiError('InvalidCSRFToken', 'missing or wrong X-API-CSRF header: send the value of the CSRF cookie');
  }
}

/** An API response as bytes and headers, in JSON or (for browsers) HTML. */
function render(res: ApiResponse, html: boolean, schemasUrl: string): RenderedResponse {
  const headers: Record<string, string | string[]> = {
    'X-Api-Schemas': schemasUrl,
    Expires: 'Wed 24 Feb 1982 18:42:00 GMT',
    'X-Content-Type-Options': 'nosniff',
    ...res.headers,
  };
  if (res.body === undefined) return { status: res.status, headers, contentType: '', payload: '' };
  if (!html) return { status: res.status, headers, contentType: 'application/json', payload: JSON.stringify(res.body) };
  headers['X-Frame-Options'] = 'deny';
  return { status: res.status, headers, contentType: 'text/html; charset=utf-8', payload: renderHtml(res.body, schemasUrl) };
}

function send(reply: FastifyReply, rendered: RenderedResponse) {
  reply.code(rendered.status).headers(rendered.headers);
  if (rendered.contentType === '') return reply.send();
  return reply.type(rendered.contentType).send(rendered.payload);
}

/** Writes anything thrown as a norman error; only server faults are logged. */
export function sendError(reply: FastifyReply, req: FastifyRequest, err: unknown) {
  const apiError = toApiError(err);
  if (apiError.status >= 500) req.log.error({ err }, 'request failed');
  return reply.code(apiError.status).headers(apiError.headers).type('application/json').send(JSON.stringify(apiError.toBody()));
}

/** Registers `/ping`, `/cacerts`, `/v3`, `/v3-public` and `/v3/openapi.json`, and the norman error handler. */
export function registerApiRoutes(app: FastifyInstance, deps: ApiRoutesDeps): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text) as unknown);
    } catch (err) {
      done(new ApiError('InvalidBodyContent', `Failed to parse body: ${(err as Error).message}`), undefined);
    }
  });

  app.setErrorHandler((err, req, reply) => sendError(reply, req, err));
  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError('NotFound', `no route for ${req.method} ${req.url.split('?')[0]}`);
    reply.code(404).type('application/json').send(JSON.stringify(e.toBody()));
  });

  const pong = async (_req: FastifyRequest, reply: FastifyReply) => reply.type('text/plain').send('pong');
  app.get('/ping', pong);
  app.get('/healthz', pong);
  app.get('/cacerts', async (_req, reply) => {
    const pem = deps.cacerts();
    return reply.type('text/plain').send(pem === '' || pem.endsWith('\n') ? pem : `${pem}\n`);
  });
  registerUi(app, { uiIndex: deps.uiIndex });
  app.get('/v3/openapi.json', async (req, reply) => reply.type('application/json').send(JSON.stringify(deps.openapi(baseUrl(req)))));

  // Public, as in Rancher: `kubectl apply -f <url>` sends no credentials; the registration token in the name is the secret.
  app.get('/v3/import/:file', async (req, reply) => {
    const manifest = deps.importManifest((req.params as { file: string }).file, baseUrl(req));
    if (manifest === undefined) {
      throw new ApiError('NotFound', 'no cluster registration token by that name: copy the import command of a current token from the cluster');
    }
    return reply.type('application/yaml; charset=utf-8').header('cache-control', 'no-store').send(manifest);
  });

  const serve = (handler: ApiHandler, root: '/v3' | '/v3-public') => async (req: FastifyRequest, reply: FastifyReply) => {
    const query = (req.query ?? {}) as Query;
    const base = baseUrl(req);
    const segments = segmentsAfter(req.url, root);
    const caller = root === '/v3' ? deps.authenticator.authenticate(req.headers) : undefined;
    deps.noteCaller?.(req, caller);
    if (caller) checkCsrf(req);
    const html = wantsHtml(req, query);
    // A GET's answer depends only on the URL, the caller and the store's state: cache it per generation.
    const cacheKey = req.method === 'GET' ? `${html ? 'html' : 'json'} ${caller?.tokenId ?? '-'} ${base}${req.url}` : undefined;
    const generation = deps.responses.generation();
    const cached = cacheKey === undefined ? undefined : deps.responses.get(cacheKey);
    if (cached) return send(reply, cached);
    const ctx: RequestContext = { caller, baseUrl: base, clientIp: req.ip, query };
    const res = await handler.handle(ctx, { method: req.method, segments, body: req.body });
    const rendered = render(res, html, `${base}${root}/schemas`);
    if (cacheKey !== undefined && res.status === 200) deps.responses.set(cacheKey, generation, rendered);
    return send(reply, rendered);
  };
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;
  for (const root of ['/v3', '/v3-public'] as const) {
    const handler = serve(root === '/v3' ? deps.v3 : deps.v3Public, root);
    app.route({ method: [...methods], url: root, handler });
    app.route({ method: [...methods], url: `${root}/*`, handler });
  }
}
