import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { Caller, RequestContext } from '../api/context.js';
import { ApiError } from '../api/errors.js';
import type { ObjectCache } from '../api/kind.js';
import type { Authenticator } from '../auth/authenticate.js';
import { rawRequestRecord, type AuditedRequest } from '../auth/audit/audit-log.js';
import type { Access } from '../resources/rbac/access.js';
import { NoTunnelError } from '../tunnel/dialer.js';
import { KubeconfigError } from './kubeconfig.js';
import { refuseUpgrade, sendStatus } from './status.js';
import { ClusterUnreachableError, type ClusterUpstreams, type Upstream } from './upstream.js';

export const K8S_PREFIX = '/k8s/clusters/';

/** Headers that belong to one hop (RFC 9110 §7.6.1), and credentials that must not reach the cluster. */
const DROPPED = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'authorization', 'cookie', 'x-api-csrf']);

export interface KubernetesProxyDeps {
  authenticator: Authenticator;
  access: Access;
  clusters: ObjectCache<unknown>;
  upstreams: ClusterUpstreams;
  /** Called once per proxied request when it is over (for the audit log). */
  onFinished?: (record: AuditedRequest) => void;
}

interface Target {
  clusterId: string;
  /** Path and query below the cluster's API root, starting with `/`. */
  path: string;
}

interface Admitted {
  target: Target;
  upstream: Upstream;
  who: Caller;
}

/** The error a failed step answers with: status and message. */
class ProxyError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ProxyError';
  }
}

/** `/k8s/clusters/<id>/<path>` → the cluster and the path below it; refuses paths that climb out. */
export function parseTarget(url: string): Target {
  const [rawPath = '', query] = url.split(/\?(.*)/s, 2);
  const rest = rawPath.slice(K8S_PREFIX.length);
  const slash = rest.indexOf('/');
  const clusterId = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
  const path = slash < 0 ? '/' : rest.slice(slash);
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch (err) {
      throw new ProxyError(400, `bad path segment "${segment}": ${(err as Error).message}`);
    }
    if (decoded === '.' || decoded === '..' || decoded.includes('/')) throw new ProxyError(400, `path segment "${segment}" is not allowed`);
  }
  if (clusterId === '' || !/^[A-Za-z0-9._:-]+$/.test(clusterId)) throw new ProxyError(404, 'no cluster named in the path');
  return { clusterId, path: query === undefined ? path : `${path}?${query}` };
}

/** The headers sent to the cluster: the client's, minus hop-by-hop and credentials, plus who the user is. */
function upstreamHeaders(headers: IncomingHttpHeaders, upstream: Upstream, caller: Caller, clientIp: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || DROPPED.has(name) || name.startsWith('impersonate-')) continue;
    out[name] = value;
  }
  if (upstream.authorization) out.authorization = upstream.authorization;
  // Kubernetes adds system:authenticated to the impersonated user itself.
  out['impersonate-user'] = caller.userId;
  out['impersonate-extra-principalid'] = `local://${caller.userId}`;
  out['impersonate-extra-username'] = caller.username;
  const forwarded = headers['x-forwarded-for'];
  out['x-forwarded-for'] = forwarded ? `${String(forwarded)}, ${clientIp}` : clientIp;
  return out;
}

const joinPath = (base: URL, path: string) => `${base.pathname.replace(/\/+$/, '')}${path}`;

/**
 * `/k8s/clusters/<id>/...`: every Kubernetes API call passes through to the cluster, as the Paddock user
 * (impersonation), never with the user's Paddock token. Who may not see the cluster gets 403 before
 * anything reaches it; what they may do inside is the cluster's RBAC. Bodies stream both ways with
 * backpressure (watches, chunked lists, protobuf); upgrades (exec, attach, port-forward) are spliced.
 */
export class KubernetesProxy {
  constructor(private readonly deps: KubernetesProxyDeps) {}

  owns(url: string | undefined): boolean {
    return url !== undefined && url.startsWith(K8S_PREFIX);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    let caller: Caller | undefined;
    // 'close' comes after 'finish' or instead of it (the client left): audit once, then.
    res.once('close', () => this.#audit(req, res.statusCode, started, caller));
    try {
      const { target, upstream, who } = this.#admit(req);
      caller = who;
      this.#forward(req, res, target, upstream, who);
    } catch (err) {
      const { code, message } = this.#failure(err);
      sendStatus(res, code, message);
    }
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (!this.owns(req.url)) return false;
    socket.on('error', () => socket.destroy());
    let admitted: Admitted;
    try {
      admitted = this.#admit(req);
    } catch (err) {
      const { code, message } = this.#failure(err);
      refuseUpgrade(socket, code, message);
      return true;
    }
    const { target, upstream, who } = admitted;
    this.#splice(req, socket, head, target, upstream, who).catch((err: unknown) => {
      const { code, message } = this.#failure(err);
      refuseUpgrade(socket, code, message);
    });
    return true;
  }

  /** Authenticates, checks the caller may reach the cluster, and finds its upstream. */
  #admit(req: IncomingMessage): Admitted {
    const target = parseTarget(req.url ?? '');
    const who = this.deps.authenticator.authenticate(req.headers, target.clusterId);
    if (!who) throw new ProxyError(401, 'must authenticate');
    const ctx: RequestContext = { caller: who, baseUrl: '', clientIp: req.socket.remoteAddress ?? '', query: {} };
    const visible = this.deps.access.can(ctx, 'get', 'clusters', { clusterId: target.clusterId }, target.clusterId);
    if (!visible || !this.deps.clusters.get(target.clusterId)) {
      // Only who may see every cluster learns that one does not exist.
      const seesAll = this.deps.access.can(ctx, 'get', 'clusters');
      throw new ProxyError(visible || seesAll ? 404 : 403, visible || seesAll ? `cluster ${target.clusterId} not found` : `you may not reach cluster ${target.clusterId}`);
    }
    return { target, upstream: this.deps.upstreams.get(target.clusterId), who };
  }

  #failure(err: unknown): { code: number; message: string } {
    if (err instanceof ProxyError) return { code: err.code, message: err.message };
    if (err instanceof ApiError) return { code: err.status, message: err.message };
    if (err instanceof ClusterUnreachableError || err instanceof NoTunnelError) return { code: 503, message: err.message };
    if (err instanceof KubeconfigError) return { code: 503, message: `the cluster's kubeconfig cannot be used: ${err.message}` };
    if (err instanceof Error) return { code: 502, message: `cannot reach the cluster's API: ${err.message}` };
    return { code: 502, message: 'cannot reach the cluster\'s API' };
  }

  #forward(req: IncomingMessage, res: ServerResponse, target: Target, upstream: Upstream, who: Caller): void {
    const send = upstream.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstreamReq = send({
      protocol: upstream.url.protocol,
      hostname: upstream.url.hostname.replace(/^\[|\]$/g, ''),
      port: upstream.url.port,
      method: req.method,
      path: joinPath(upstream.url, target.path),
      headers: upstreamHeaders(req.headers, upstream, who, req.socket.remoteAddress ?? ''),
      agent: upstream.agent,
    });
    upstreamReq.on('response', (upstreamRes) => {
      const headers: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(upstreamRes.headers)) {
        if (value !== undefined && !DROPPED.has(name)) headers[name] = value;
      }
      res.writeHead(upstreamRes.statusCode ?? 502, headers);
      // Node holds written headers until the first body byte: a quiet watch would leave its client without a 200.
      res.flushHeaders();
      // Watches and chunked lists flow as they come; a slow client slows the cluster's stream, not our memory.
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
    });
    upstreamReq.on('error', (err) => {
      const { code, message } = this.#failure(err);
      sendStatus(res, code, message);
    });
    // The client went away (a watch closed, kubectl interrupted): stop the cluster's side too.
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    req.pipe(upstreamReq);
  }

  /** An upgrade (exec, attach, port-forward, websockets): the request rewritten, then both sockets spliced. */
  async #splice(req: IncomingMessage, socket: Duplex, head: Buffer, target: Target, upstream: Upstream, who: Caller): Promise<void> {
    const { url } = upstream;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const raw = upstream.dial ? await upstream.dial() : undefined;
    const server: Duplex =
      url.protocol === 'https:'
        ? tlsConnect({ ...(raw ? { socket: raw } : { host, port }), ...upstream.tls, servername: upstream.tls.servername ?? (/^[\d.:]+$/.test(host) ? undefined : host), ALPNProtocols: ['http/1.1'] })
        : (raw ?? netConnect({ host, port }));
    const headers = upstreamHeaders(req.headers, upstream, who, req.socket.remoteAddress ?? '');
    headers.host = url.host;
    headers.connection = 'Upgrade';
    headers.upgrade = req.headers.upgrade;
    const lines = Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value.map((v) => `${name}: ${v}`) : [`${name}: ${String(value)}`]));
    server.write(`${req.method ?? 'GET'} ${joinPath(url, target.path)} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) server.write(head);
    server.on('error', () => socket.destroy());
    socket.on('error', () => server.destroy());
    server.on('close', () => socket.destroy());
    socket.on('close', () => server.destroy());
    server.pipe(socket);
    socket.pipe(server);
  }

  #audit(req: IncomingMessage, status: number, started: number, caller: Caller | undefined): void {
    this.deps.onFinished?.(rawRequestRecord(req, status, started, caller));
  }
}
