import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Authenticator } from '../auth/authenticate.js';
import { credentialSource } from '../auth/credentials.js';
import { rawRequestRecord, type AuditedRequest } from '../auth/audit/audit-log.js';
import type { EventHandler } from '../informer/informer.js';
import type { JsonObject } from '../schema/validate.js';
import type { StoredObject } from '../store/types.js';
import type { Caller, RequestContext } from './context.js';
import { ApiError } from './errors.js';
import { toApiError } from './error-handler.js';
import { formatResource } from './format.js';
import { baseUrlOf } from './http.js';
import type { ResourceKind } from './kind.js';
import type { ApiVersion } from './registry.js';

/** What the endpoint needs of a kind's informer: its changes from now on. */
export interface ChangeFeed {
  addHandler(handler: EventHandler<JsonObject>, options: { replay: false }): () => void;
}

export interface SubscribeDeps {
  version: ApiVersion;
  /** The change feed of each kind, by schema id (kinds without one cannot be subscribed to). */
  feeds: (schemaId: string) => ChangeFeed | undefined;
  authenticator: Authenticator;
  /** How often to ping and to check the credentials are still good (norman pings every 5 s). */
  pingIntervalMs?: number;
  /** A subscriber this far behind (bytes queued) is disconnected rather than buffered without bound. */
  maxBufferedBytes?: number;
  /** Told of each subscription accepted (101) or refused, for the audit log. */
  onFinished?: (record: AuditedRequest) => void;
}

const PATH = '/v3/subscribe';
const DEFAULT_PING_MS = 5_000;
const DEFAULT_MAX_BUFFERED = 16 * 1024 * 1024;
/** Close codes: the credentials stopped being valid; the client reads too slowly. */
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_TOO_SLOW = 4408;

function rejectUpgrade(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.toBody());
  socket.end(`HTTP/1.1 ${err.status} ${err.code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * A browser sends cookies with a websocket opened by any page, so a cookie-authenticated subscription must
 * come from a page of this server (Origin = Host): otherwise another site could read the user's events.
 */
function checkOrigin(req: IncomingMessage): void {
  if (credentialSource(req.headers) !== 'cookie') return;
  const origin = req.headers.origin;
  const host = req.headers['x-forwarded-host'] ?? req.headers.host;
  if (origin === undefined) return;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch (err) {
    throw new ApiError('PermissionDenied', `bad Origin header "${origin}": ${(err as Error).message}`);
  }
  if (originHost !== host) throw new ApiError('PermissionDenied', `a cookie-authenticated subscription must come from this server's pages, not ${origin}`);
}

/**
 * `/v3/subscribe`: norman's websocket event stream. Each change to a resource the caller may see arrives as
 * `{"name":"resource.change","data":<resource>}` (or `resource.remove`), formatted for that caller; a
 * `{"name":"ping","data":{}}` every few seconds. `?resourceTypes=cluster&resourceTypes=node` narrows it.
 * Visibility is decided per event by the kind's `allowed`, so a binding granted or revoked mid-stream
 * takes effect at once; a token that expires or is revoked ends the stream.
 */
export class SubscribeEndpoint {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false });

  constructor(private readonly deps: SubscribeDeps) {}

  /** Handles an HTTP upgrade for `/v3/subscribe`; returns false for any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'https://paddock.invalid');
    if (url.pathname.replace(/\/+$/, '').toLowerCase() !== PATH) return false;
    const started = performance.now();
    let caller: Caller | undefined;
    const audit = (status: number) => this.deps.onFinished?.(rawRequestRecord(req, status, started, caller));
    try {
      checkOrigin(req);
      caller = this.deps.authenticator.authenticate(req.headers);
      if (!caller) throw new ApiError('Unauthorized', 'must authenticate');
      const kinds = this.#kinds(url.searchParams.getAll('resourceTypes'));
      const ctx: RequestContext = { caller, baseUrl: baseUrlOf(req.headers, 'https'), clientIp: req.socket.remoteAddress ?? '', query: {} };
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        audit(101);
        this.#stream(ws, ctx, kinds, req.headers);
      });
    } catch (err) {
      const apiError = toApiError(err);
      audit(apiError.status);
      rejectUpgrade(socket, apiError);
    }
    return true;
  }

  close(): void {
    for (const client of this.#wss.clients) client.close(1001, 'server shutting down');
    this.#wss.close();
  }

  #kinds(requested: string[]): ResourceKind[] {
    const all = this.deps.version.kinds().filter((k) => this.deps.feeds(k.schema.id) !== undefined);
    if (requested.length === 0) return all;
    const kinds = requested.map((name) => {
      const kind = this.deps.version.kind(name);
      if (!kind || !this.deps.feeds(kind.schema.id)) throw new ApiError('NotFound', `cannot subscribe to "${name}": no such resource type`);
      return kind;
    });
    return [...new Set(kinds)];
  }

  #stream(ws: WebSocket, ctx: RequestContext, kinds: ResourceKind[], headers: IncomingMessage['headers']): void {
    const maxBuffered = this.deps.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED;
    const send = (name: string, data: JsonObject) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > maxBuffered) {
        ws.close(CLOSE_TOO_SLOW, 'subscriber too slow: events were piling up');
        return;
      }
      ws.send(JSON.stringify({ name, data }));
    };
    const emit = (kind: ResourceKind, name: string) => (obj: StoredObject<JsonObject>) => {
      if (kind.allowed(ctx, 'get', obj)) send(name, formatResource(ctx, kind, obj));
    };
    const unsubscribes = kinds.map((kind) =>
      (this.deps.feeds(kind.schema.id) as ChangeFeed).addHandler(
        { add: emit(kind, 'resource.change'), update: (_old, next) => emit(kind, 'resource.change')(next), delete: emit(kind, 'resource.remove') },
        { replay: false },
      ),
    );
    const ping = setInterval(() => {
      if (!this.#stillAuthenticated(headers, ctx.caller)) ws.close(CLOSE_UNAUTHORIZED, 'credentials expired or revoked');
      else send('ping', {});
    }, this.deps.pingIntervalMs ?? DEFAULT_PING_MS);
    ws.on('close', () => {
      clearInterval(ping);
      for (const unsubscribe of unsubscribes) unsubscribe();
    });
    // Clients send nothing norman acts on; reading keeps the socket's close and ping handling going.
    ws.on('message', () => undefined);
    ws.on('error', () => ws.terminate());
  }

  #stillAuthenticated(headers: IncomingMessage['headers'], caller: Caller | undefined): boolean {
    try {
      return this.deps.authenticator.authenticate(headers)?.userId === caller?.userId;
    } catch (err) {
      if (err instanceof ApiError) return false;
      throw err;
    }
  }
}
