import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { TunnelSession, WS_MAX_PAYLOAD, type TunnelLimits } from '@paddock/tunnel';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError } from '../api/errors.js';
import { toApiError } from '../api/error-handler.js';
import type { LoginThrottle } from '../auth/throttle.js';
import type { Informer } from '../informer/informer.js';
import type { Logger } from '../informer/logger.js';
import type { ClusterRegistrationTokenData } from '../resources/clusterregistrationtokens/schema.js';
import type { ClusterData } from '../resources/clusters/schema.js';
import { checkClusterAgentParams } from '../resources/clusters/agent-registration.js';
import { clusterDriver } from '../resources/clusters/status.js';
import { checkRegistration, decodeParams, nodeDataFrom, type NodeRegistration } from '../resources/nodes/registration.js';
import type { AgentApiAccess } from '../k8s/upstream.js';
import type { NodeData } from '../resources/nodes/schema.js';
import { generateName } from '../auth/secrets.js';
import type { JsonObject } from '../schema/validate.js';
import { StoreAlreadyExistsError, StoreConflictError, type ResourceStore, type StoredObject } from '../store/types.js';
import { KeyedQueue } from '../util/keyed-queue.js';
import type { SessionKind, TunnelRegistry } from './registry.js';

export const CONNECT_PATHS = ['/v3/connect', '/v3/connect/register'] as const;
export const TOKEN_HEADER = 'x-api-tunnel-token';
export const PARAMS_HEADER = 'x-api-tunnel-params';
/** The 101 answer tells the agent its node id, for `/v3/connect` reconnects. */
export const NODE_ID_HEADER = 'X-Paddock-Node-Id';

export const BY_TOKEN = 'token';
export const BY_NODE_NAME = 'clusterNodeName';

export interface TunnelEndpointDeps {
  store: ResourceStore;
  registrationTokens: Informer<ClusterRegistrationTokenData>;
  clusters: Informer<ClusterData>;
  nodes: Informer<NodeData>;
  registry: TunnelRegistry;
  throttle: LoginThrottle;
  limits?: Partial<TunnelLimits>;
  logger: Logger;
}

/** Rancher's cluster agent params: `{"cluster":{"address":..,"token":..,"caCert":..}}`. */
function isClusterAgentParams(params: unknown): params is { cluster: unknown } {
  return typeof params === 'object' && params !== null && !Array.isArray(params) && Object.hasOwn(params, 'cluster');
}

function reject(socket: Duplex, err: ApiError): void {
  const status = err.status;
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity', 429: 'Too Many Requests' }[status] ?? 'Error';
  const body = `${err.message}\n`;
  const extra = Object.entries(err.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${extra}\r\n${body}`);
}

/**
 * The agents' door: `GET /v3/connect/register` (first time) and `/v3/connect` (reconnects) upgraded to a
 * websocket. The registration token authenticates and names the cluster; the params carry the node's
 * facts. Refusals are plain-text HTTP errors the agent prints; nothing is written for a refused attempt.
 */
export class TunnelEndpoint {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });
  /** Node id to announce in the 101 response of an upgrading request. */
  readonly #nodeIds = new WeakMap<IncomingMessage, string>();
  /** Registrations of one node name run one at a time, so two racing connects make one node. */
  readonly #registering = new KeyedQueue();

  constructor(private readonly deps: TunnelEndpointDeps) {
    deps.registrationTokens.addIndex(BY_TOKEN, (o) => [String(o.data.token)]);
    deps.nodes.addIndex(BY_NODE_NAME, (o) => [`${String(o.data.clusterId)}/${String(o.data.nodeName)}`]);
    this.#wss.on('headers', (headers, req) => {
      const nodeId = this.#nodeIds.get(req);
      if (nodeId) headers.push(`${NODE_ID_HEADER}: ${nodeId}`);
    });
  }

  /** Handles an HTTP upgrade if it is for a connect path; returns false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? '').split('?')[0]?.replace(/\/+$/, '').toLowerCase();
    if (!(CONNECT_PATHS as readonly string[]).includes(path ?? '')) return false;
    socket.on('error', (err) => this.deps.logger.debug({ err }, 'agent socket error during connect'));
    this.#connect(req, socket, head, path === '/v3/connect/register').catch((err: unknown) => {
      const apiError = toApiError(err);
      if (apiError.status >= 500) this.deps.logger.error({ err }, 'agent connect failed');
      reject(socket, apiError);
    });
    return true;
  }

  close(): void {
    this.#wss.close();
  }

  async #connect(req: IncomingMessage, socket: Duplex, head: Buffer, register: boolean): Promise<void> {
    const client = `ip:${req.socket.remoteAddress ?? 'unknown'}`;
    this.deps.throttle.check([client]);
    const crt = this.#token(req.headers[TOKEN_HEADER]);
    if (!crt) {
      await this.deps.throttle.failed([client]);
      throw new ApiError('Unauthorized', 'registration token not recognised: it is wrong or was deleted; copy the command of a current token from the cluster');
    }
    const clusterId = String(crt.data.clusterId);
    if (!this.deps.clusters.get(clusterId)) throw new ApiError('Unauthorized', `cluster ${clusterId} of this registration token no longer exists`);
    const header = req.headers[PARAMS_HEADER];
    const params = decodeParams(Array.isArray(header) ? header[0] : header);
    if (isClusterAgentParams(params)) return this.#connectClusterAgent(req, socket, head, clusterId, params.cluster);
    const reg = checkRegistration(params);
    const node = await this.#registering.run(`${clusterId}/${reg.nodeName}`, () =>
      this.#saveNode(clusterId, reg, this.#existingNode(clusterId, reg, register)),
    );
    // A success does not clear the address's failures: one valid token must not reset a flood's count.
    this.#nodeIds.set(req, node.id);
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#attach(ws, node.id, clusterId, 'node'));
  }

  /**
   * A cluster agent (`{"cluster":{...}}` params): the API inside its cluster is recorded on the cluster and
   * reached through this tunnel from then on. Its session is keyed by the cluster id, as in Rancher.
   */
  async #connectClusterAgent(req: IncomingMessage, socket: Duplex, head: Buffer, clusterId: string, params: unknown): Promise<void> {
    const access = checkClusterAgentParams(params);
    const cluster = this.deps.clusters.get(clusterId)?.data;
    if (cluster?.internal === true) {
      throw new ApiError('PermissionDenied', 'the local cluster is the Kubernetes Paddock runs on: it takes no cluster agent');
    }
    // The cluster agent says where the cluster's API is: only for a cluster imported by manifest, never over a
    // kubeconfig an owner gave, nor for custom clusters, whose node agents hold the same token.
    if (cluster && (clusterDriver(cluster) !== 'imported' || cluster.importedConfig?.kubeConfig)) {
      throw new ApiError('PermissionDenied', `cluster ${clusterId} is not imported by manifest: it takes no cluster agent`);
    }
    await this.#registering.run(`cluster/${clusterId}`, () => this.#saveClusterAccess(clusterId, access));
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#attach(ws, clusterId, clusterId, 'cluster'));
  }

  /** Records the agent's API access on the cluster (never output); unchanged access writes nothing. */
  async #saveClusterAccess(clusterId: string, access: AgentApiAccess): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const cluster = await this.deps.store.get<JsonObject>('cluster', clusterId);
      if (!cluster) throw new ApiError('Unauthorized', `cluster ${clusterId} of this registration token no longer exists`);
      if (JSON.stringify(cluster.data.agentApi) === JSON.stringify(access)) return;
      const data = { ...cluster.data, agentApi: { ...access }, apiEndpoint: `https://${access.address}`, caCert: Buffer.from(access.caPem).toString('base64') };
      try {
        const saved = await this.deps.store.update<JsonObject>('cluster', clusterId, data, cluster.resourceVersion);
        await this.deps.clusters.waitForRevision(saved.resourceVersion);
        return;
      } catch (err) {
        // The cluster controller writes status at the same time: read again and retry.
        if (!(err instanceof StoreConflictError) || attempt >= 5) throw err;
      }
    }
  }

  #token(value: string | string[] | undefined): StoredObject<ClusterRegistrationTokenData> | undefined {
    const token = Array.isArray(value) ? value[0] : value;
    if (!token) return undefined;
    return this.deps.registrationTokens.byIndex(BY_TOKEN, token)[0];
  }

  #existingNode(clusterId: string, reg: NodeRegistration, register: boolean): StoredObject<NodeData> | undefined {
    if (reg.nodeId) {
      const byId = this.deps.nodes.get(reg.nodeId);
      if (byId && byId.data.clusterId !== clusterId) {
        throw new ApiError('PermissionDenied', `this registration token belongs to cluster ${clusterId}, but node ${reg.nodeId} is in cluster ${String(byId.data.clusterId)}`);
      }
      if (byId) return byId;
    }
    const byName = this.deps.nodes.byIndex(BY_NODE_NAME, `${clusterId}/${reg.nodeName}`)[0];
    if (!byName && !register) throw new ApiError('NotFound', `node ${reg.nodeName} is not registered in cluster ${clusterId} (it may have been deleted); connect to /v3/connect/register`);
    return byName;
  }

  async #saveNode(clusterId: string, reg: NodeRegistration, existing: StoredObject<NodeData> | undefined): Promise<StoredObject<JsonObject>> {
    const data = nodeDataFrom(clusterId, reg, existing?.data);
    // A reconnect with unchanged facts writes nothing (thousands of agents come back after a restart).
    if (existing && JSON.stringify(data) === JSON.stringify(existing.data)) return existing as StoredObject<JsonObject>;
    const saved = existing ? await this.deps.store.update<JsonObject>('node', existing.id, data, existing.resourceVersion) : await this.#createNode(clusterId, data);
    await this.deps.nodes.waitForRevision(saved.resourceVersion);
    return saved;
  }

  /** A new node under a fresh `m-xxxxx` name; a name already taken (rare) is drawn again. */
  async #createNode(clusterId: string, data: JsonObject): Promise<StoredObject<JsonObject>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.store.create<JsonObject>('node', `${clusterId}:${generateName('m')}`, data);
      } catch (err) {
        if (!(err instanceof StoreAlreadyExistsError) || attempt >= 5) throw err;
      }
    }
  }

  #attach(ws: WebSocket, nodeId: string, clusterId: string, kind: SessionKind): void {
    const session = new TunnelSession(ws, { role: 'server', limits: this.deps.limits, logger: this.deps.logger });
    this.deps.registry.add({ nodeId, clusterId, kind, session, connectedAt: new Date() });
    this.deps.logger.info({ nodeId, clusterId, kind }, 'agent connected');
    session.once('close', (reason: string) => this.deps.logger.info({ nodeId, reason }, 'agent disconnected'));
  }
}
