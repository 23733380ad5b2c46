import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { ObjectCache } from '../api/kind.js';
import type { ClusterData } from '../resources/clusters/schema.js';
import type { Dialer } from '../tunnel/dialer.js';
import { KubeconfigError, parseKubeconfig, type ClusterCredentials } from './kubeconfig.js';

/** Where and how to send a cluster's Kubernetes API requests. */
export interface Upstream {
  /** The API server's base URL (a kubeconfig may give a path prefix). */
  url: URL;
  agent: HttpAgent;
  /** `Authorization` for the cluster's own credential (absent for client certificates). */
  authorization: string | undefined;
  /** TLS settings for upgrade requests, which open their own connection. */
  tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean; servername?: string; secureContext?: SecureContext };
  /** How the socket is reached: directly, or through the cluster agent's tunnel. */
  dial: (() => Promise<Duplex>) | undefined;
}

/** What a cluster agent reported about the API inside its cluster (stored on the cluster, never output). */
export interface AgentApiAccess {
  /** `host:port` of the API as seen from inside the cluster (KUBERNETES_SERVICE_HOST/PORT). */
  address: string;
  caPem: string;
  token: string;
}

/** The cluster cannot be reached: no connection configured, or its agent is not connected. */
export class ClusterUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterUnreachableError';
  }
}

type ClusterWithAccess = ClusterData & { agentApi?: AgentApiAccess };

/**
 * HTTP/1.1 holds a connection per request in flight, and a watch is in flight for as long as it lasts: a cap on
 * sockets would queue the next watch (or any request) behind open ones for ever. Only idle sockets are capped.
 */
const KEEP_ALIVE = { keepAlive: true, maxSockets: Infinity, maxFreeSockets: 32, scheduling: 'lifo' } as const;

function authorizationOf(c: ClusterCredentials): string | undefined {
  if (c.token) return `Bearer ${c.token}`;
  if (c.username) return `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}`;
  return undefined;
}

/** TLS options with the CA and client certificate parsed once: a new connection then costs no PEM parsing. */
function withContext<T extends { ca?: string; cert?: string; key?: string }>(options: T, failed: (message: string) => Error): T & { secureContext: SecureContext } {
  try {
    return { ...options, secureContext: createSecureContext({ ca: options.ca, cert: options.cert, key: options.key }) };
  } catch (err) {
    // OpenSSL's word on a certificate or key that looked like PEM but is not usable.
    throw failed(`its TLS certificates cannot be used: ${(err as Error).message}`);
  }
}

function direct(credentials: ClusterCredentials): Upstream {
  const url = new URL(credentials.server);
  const tls = withContext({
    ca: credentials.caPem,
    cert: credentials.clientCertPem,
    key: credentials.clientKeyPem,
    rejectUnauthorized: credentials.insecureSkipTlsVerify !== true,
  }, (message) => new KubeconfigError(message));
  const agent = url.protocol === 'https:' ? new HttpsAgent({ ...KEEP_ALIVE, ...tls }) : new HttpAgent(KEEP_ALIVE);
  return { url, agent, authorization: authorizationOf(credentials), tls, dial: undefined };
}

/** The API inside the cluster, reached through the cluster agent's tunnel (TLS end to end). */
function viaTunnel(clusterId: string, access: AgentApiAccess, dialer: Dialer): Upstream {
  const url = new URL(`https://${access.address}`);
  const port = Number(url.port || 443);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const dial = () => dialer.dial({ clusterId }, host, port, { timeoutMs: 10_000 });
  // The in-cluster API certificate names `kubernetes.default.svc`, not the service IP the agent dials.
  const tls = withContext({ ca: access.caPem, rejectUnauthorized: true, servername: 'kubernetes.default.svc' }, (message) => new ClusterUnreachableError(`cluster ${clusterId}: ${message}`));
  const agent = new HttpsAgent({ ...KEEP_ALIVE, ...tls });
  // Sockets come from the tunnel: TLS runs over a stream the agent opened to the API server.
  Object.assign(agent, {
    createConnection: (_options: unknown, done: (err: Error | null, socket?: Duplex) => void) => {
      dial().then(
        (stream) => done(null, tlsConnect({ socket: stream, ...tls })),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
      return undefined;
    },
  });
  return { url, agent, authorization: `Bearer ${access.token}`, tls, dial };
}

const LOCAL = 'local';

const fingerprint = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/**
 * The upstream of each cluster, built once per connection setting and replaced when it changes: an
 * imported kubeconfig is reached directly; a cluster agent's API through its tunnel.
 */
export class ClusterUpstreams {
  /** `source` is what the upstream was built from: the same object (or string) again needs no fingerprint. */
  readonly #built = new Map<string, { source: unknown; key: string; upstream: Upstream }>();

  constructor(
    private readonly clusters: ObjectCache<ClusterData>,
    private readonly dialer: Dialer,
    /** The Kubernetes Paddock itself runs on (`--kubeconfig`, or in-cluster): the `local` cluster's API. */
    private readonly local?: ClusterCredentials,
  ) {}

  /** Whether a cluster has a way in (a kubeconfig, its agent's report, or being `local` with one). */
  reachable(cluster: { id: string; data: ClusterData }): boolean {
    const data = cluster.data as ClusterWithAccess;
    return Boolean(data.importedConfig?.kubeConfig || data.agentApi || (cluster.id === LOCAL && this.local));
  }

  /** The cluster's upstream; throws ClusterUnreachableError or KubeconfigError when there is none. */
  get(clusterId: string): Upstream {
    const cluster = this.clusters.get(clusterId);
    if (!cluster) throw new ClusterUnreachableError(`cluster ${clusterId} not found`);
    const data = cluster.data as ClusterWithAccess;
    const kubeconfig = data.importedConfig?.kubeConfig ?? undefined;
    const local = clusterId === LOCAL ? this.local : undefined;
    const source = local ?? data.agentApi ?? kubeconfig;
    if (!source) throw new ClusterUnreachableError(`cluster ${clusterId} has no Kubernetes API yet: its cluster agent has not connected`);
    const known = this.#built.get(clusterId);
    if (known?.source === source) return known.upstream;
    const key = fingerprint(source);
    if (known?.key === key) {
      known.source = source;
      return known.upstream;
    }
    known?.upstream.agent.destroy();
    const upstream = local
      ? direct(local)
      : data.agentApi
        ? viaTunnel(clusterId, data.agentApi, this.dialer)
        : direct(parseKubeconfig(String(kubeconfig)));
    this.#built.set(clusterId, { source, key, upstream });
    return upstream;
  }

  /** Drops a cluster's connections (it was deleted or its access changed). */
  forget(clusterId: string): void {
    this.#built.get(clusterId)?.upstream.agent.destroy();
    this.#built.delete(clusterId);
  }

  close(): void {
    for (const id of [...this.#built.keys()]) this.forget(id);
  }
}
