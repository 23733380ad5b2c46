import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer as createHttpsServer } from 'node:https';
import { hostname } from 'node:os';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { registerApiRoutes, sendError } from './api/http.js';
import { ApiHandler } from './api/handler.js';
import { SubscribeEndpoint, type ChangeFeed } from './api/subscribe.js';
import { BODY_LIMIT } from './api/limits.js';
import { ResponseCache } from './api/response-cache.js';
import { AuditFile } from './auth/audit/audit-file.js';
import { AuditLog } from './auth/audit/audit-log.js';
import { AuditHooks } from './auth/audit/hooks.js';
import { Authenticator } from './auth/authenticate.js';
import { LoginThrottle } from './auth/throttle.js';
import type { ServerConfig } from './config/config.js';
import { Informer } from './informer/informer.js';
import { sendStatus } from './k8s/status.js';
import { acceptProxyProtocol, trustedSources } from './api/proxy-protocol.js';
import { localHostInfo, type HostInfo } from './tls/sans.js';
import { afterCatchingUp } from './replicas/read-barrier.js';
import { toApiError } from './api/error-handler.js';
import { buildApiVersions, buildAuthorizer, STORED_KINDS, type Informers } from './kinds.js';
import { ensureLocalCluster } from './resources/clusters/bootstrap.js';
import { ensureBuiltinRoles } from './resources/rbac/bootstrap.js';
import { clusterMembersController } from './resources/rbac/cluster-members-controller.js';
import { projectMembersController } from './resources/rbac/project-members-controller.js';
import { userRolesController } from './resources/rbac/user-roles-controller.js';
import { clusterController } from './resources/clusters/controller.js';
import { ensureSettings, setSettingValue, storedSettingValue } from './resources/settings/bootstrap.js';
import { settingDefinitions } from './resources/settings/definitions.js';
import { Settings } from './resources/settings/settings.js';
import { NODE_REMOVED_CLOSE_CODE, nodeController } from './resources/nodes/controller.js';
import { importManifestSource } from './resources/clusterregistrationtokens/import-manifest.js';
import { tokenController } from './resources/tokens/controller.js';
import { Dialer } from './tunnel/dialer.js';
import { KubernetesProxy } from './k8s/proxy.js';
import { ClusterUpstreams } from './k8s/upstream.js';
import { ClusterNamespaces } from './k8s/namespaces/cluster-namespaces.js';
import { ClusterNodes } from './k8s/nodes/cluster-nodes.js';
import { nodeSyncController } from './k8s/nodes/node-sync-controller.js';
import type { ClusterObjects } from './k8s/watch-cache/cluster-objects.js';
import { localClusterCredentials } from './k8s/local-cluster.js';
import type { ClusterData } from './resources/clusters/schema.js';
import type { StoredObject } from './store/types.js';
import { rbacSyncController } from './k8s/rbac-sync/controller.js';
import type { ClusterProbe } from './k8s/probe.js';
import { probeController } from './k8s/probe-controller.js';
import { Access } from './resources/rbac/access.js';
import { BY_TOKEN, TunnelEndpoint } from './tunnel/endpoint.js';
import { TunnelRegistry } from './tunnel/registry.js';
import { shareCa } from './tls/shared-ca.js';
import { withStoreLock } from './store/store-lock.js';
import { openReplication } from './replicas/open.js';
import { EtcdTlsFileError, readEtcdTls, type EtcdConnectionOptions } from './store/etcd/etcd-client.js';
import { ensureDefaultAdmin } from './resources/users/bootstrap.js';
import { openApiDocument } from './schema/openapi.js';
import { EtcdStore } from './store/etcd/etcd-store.js';
import { SqliteStore, sqlitePath } from './store/sqlite/sqlite-store.js';
import type { ResourceStore } from './store/types.js';
import { CertificateManager, startRenewalLoop } from './tls/index.js';
import { memoizeByKey } from './util/memoize.js';
import { PADDOCK_VERSION } from './version.js';

/** A port that could not be bound, phrased for the operator (which port, which flag changes it). */
export class ListenError extends Error {
  constructor(
    readonly port: number,
    readonly flag: string,
    cause: NodeJS.ErrnoException,
  ) {
    const why = cause.code === 'EADDRINUSE' ? 'is already in use' : cause.code === 'EACCES' ? 'needs more privileges' : `cannot be bound (${cause.code ?? cause.message})`;
    super(`port ${port} ${why}; choose another with ${flag}`);
    this.name = 'ListenError';
  }
}

export interface RunningServer {
  /** `https://<bind or 127.0.0.1>:<port>` */
  url: string;
  httpsPort: number;
  httpPort: number | undefined;
  store: ResourceStore;
  /** Opens streams through connected agents. */
  dialer: Dialer;
  registry: TunnelRegistry;
  /** Stops listening, lets in-flight requests finish, stops controllers and closes the store. */
  close(): Promise<void>;
}

async function listen(server: HttpServer | FastifyInstance['server'], port: number, host: string, flag: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new ListenError(port, flag, err));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

/** This host's names and addresses, plus the address other replicas reach it at: the serving certificate covers them. */
function servingHostInfo(config: ServerConfig): () => HostInfo {
  const advertised = config.datastore.type === 'etcd' ? config.datastore.advertise?.host : undefined;
  return () => {
    const host = localHostInfo();
    return advertised ? { ...host, addresses: [...host.addresses, advertised] } : host;
  };
}

/**
 * Idle keep-alive connections are kept 72 s (fastify's default, which its serverFactory leaves to us): longer than
 * clients and load balancers keep theirs (Node 5 s, most balancers 60 s), so they close first. Node's own 5 s
 * default would close a connection just as a client reuses it, and that request fails with ECONNRESET.
 */
function keepAlive<T extends { keepAliveTimeout: number; headersTimeout: number }>(server: T): T {
  server.keepAliveTimeout = 72_000;
  // Node wants the header deadline beyond the keep-alive one.
  server.headersTimeout = 73_000;
  return server;
}

/** HTTP → HTTPS redirects (health checks answered in place, so load balancers can probe plain HTTP). */
function redirectServer(httpsPort: number): HttpServer {
  return createHttpServer((req, res) => {
    if (req.url === '/ping' || req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('pong');
      return;
    }
    const host = (req.headers.host ?? 'localhost').replace(/:\d+$/, '');
    const portPart = httpsPort === 443 ? '' : `:${httpsPort}`;
    const status = req.method === 'GET' || req.method === 'HEAD' ? 301 : 308;
    res.writeHead(status, { location: `https://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}${portPart}${req.url ?? '/'}` }).end();
  });
}

async function startInformers(store: ResourceStore, logger: PinoLogger, signal: AbortSignal): Promise<{ informers: Informers; running: Promise<void>[] }> {
  const entries = STORED_KINDS.map((kind) => [kind, new Informer({ store, kind, logger: logger.child({ informer: kind }) })] as const);
  const running = entries.map(([, informer]) => informer.run(signal));
  await Promise.all(entries.map(([, informer]) => informer.synced(signal)));
  return { informers: Object.fromEntries(entries) as unknown as Informers, running };
}

/**
 * What must be in the store before anything serves: the built-in settings (with `--server-url` applied),
 * the first admin on a first start, and the `local` cluster. Returns the setting definitions in force.
 */
async function bootstrap(store: ResourceStore, config: ServerConfig, cacerts: string, logger: PinoLogger) {
  const installUuid = (await storedSettingValue(store, 'install-uuid')) || randomUUID();
  const definitions = settingDefinitions({ version: PADDOCK_VERSION, cacerts, installUuid });
  await ensureSettings(store, definitions);
  await ensureBuiltinRoles(store);
  const serverUrlDef = definitions.find((d) => d.name === 'server-url');
  if (config.serverUrl !== undefined && serverUrlDef) await setSettingValue(store, serverUrlDef, config.serverUrl);
  if (await ensureDefaultAdmin(store)) logger.info('first start: created user "admin" with password "admin"; log in and change it');
  await ensureLocalCluster(store);
  return definitions;
}

/** The controllers that keep access control consistent: creator ownership, default roles, cleanup. */
function rbacControllers(store: ResourceStore, i: Informers, logger: PinoLogger) {
  return [
    clusterMembersController({ store, clusters: i.cluster, projects: i.project, roleTemplates: i.roleTemplate, clusterRoleTemplateBindings: i.clusterRoleTemplateBinding, logger }),
    projectMembersController({ store, projects: i.project, roleTemplates: i.roleTemplate, projectRoleTemplateBindings: i.projectRoleTemplateBinding, logger }),
    userRolesController({
      store,
      users: i.user,
      globalRoles: i.globalRole,
      globalRoleBindings: i.globalRoleBinding,
      scopedBindings: [
        { kind: 'clusterRoleTemplateBinding', informer: i.clusterRoleTemplateBinding },
        { kind: 'projectRoleTemplateBinding', informer: i.projectRoleTemplateBinding },
      ],
      logger,
    }),
  ];
}

/** Connections and watches (namespaces, nodes) follow the clusters: started when one can be reached, dropped when it goes. */
function followClusters(clusters: Informer<ClusterData>, upstreams: ClusterUpstreams, watched: ClusterObjects[], registry: TunnelRegistry): void {
  const follow = (c: StoredObject<ClusterData>) => {
    if (upstreams.reachable(c)) for (const cache of watched) cache.watch(c.id);
  };
  clusters.addHandler({
    add: follow,
    update: (_old, next) => follow(next),
    delete: (c) => {
      for (const cache of watched) cache.forget(c.id);
      upstreams.forget(c.id);
      // The cluster agent is told, and exits.
      registry.closeNode(c.id, 'cluster removed from Paddock', NODE_REMOVED_CLOSE_CODE);
    },
  });
}

/** The `local` cluster's API (`--kubeconfig`, or the pod's own cluster); a bad kubeconfig stops the start. */
function localClusterAccess(config: ServerConfig, logger: PinoLogger) {
  try {
    const credentials = localClusterCredentials(config.kubeconfig, process.env);
    if (credentials) logger.info({ server: credentials.server }, 'the local cluster is the Kubernetes at this address');
    return credentials;
  } catch (err) {
    throw new StartupError(`--kubeconfig ${config.kubeconfig ?? ''}: ${(err as Error).message}`);
  }
}

/** How to reach etcd (`--etcd-*`), its TLS files read; undefined on SQLite. */
async function etcdConnection(config: ServerConfig): Promise<EtcdConnectionOptions | undefined> {
  const ds = config.datastore;
  if (ds.type === 'sqlite') return undefined;
  const tls = await readEtcdTls(ds).catch((err: unknown) => {
    throw err instanceof EtcdTlsFileError ? new StartupError(err.message) : err;
  });
  return { endpoints: ds.endpoints, tls };
}

/**
 * Runs the start-up writes (shared CA, built-in objects, the first admin) one replica at a time: replicas
 * starting together on one etcd must not each create an admin. Alone on SQLite there is no one to wait for.
 */
function startupOnce<T>(config: ServerConfig, store: ResourceStore, fn: () => Promise<T>): Promise<T> {
  if (config.datastore.type === 'sqlite') return fn();
  // Unique per process start: a renewal recognises its own lock by it.
  return withStoreLock(store, 'startup', `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, fn);
}

/** The store `--datastore` names: SQLite under the data dir, or etcd. */
async function openStore(config: ServerConfig, etcd: EtcdConnectionOptions | undefined): Promise<ResourceStore> {
  const ds = config.datastore;
  if (ds.type === 'sqlite' || !etcd) return SqliteStore.open({ path: sqlitePath(config.dataDir) });
  try {
    return await EtcdStore.open({ ...etcd, prefix: ds.prefix });
  } catch (err) {
    throw new StartupError(`cannot reach etcd at ${ds.endpoints.join(', ')}: ${(err as Error).message}`);
  }
}

/** Something the server needs at start (the datastore, the local cluster's kubeconfig) is unusable; phrased for the operator. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** The audit log `--audit-*` asks for: a size-rotated file under the data dir, echoed to stdout if wanted. */
function openAuditLog(config: ServerConfig, now: () => Date): AuditLog {
  const { level, path, maxBytes, maxBackups, stdout } = config.audit;
  const file = level === 0 ? undefined : new AuditFile({ path, maxBytes, maxBackups });
  const echo = stdout ? (line: string) => process.stdout.write(line) : undefined;
  return new AuditLog({ level, file, echo, now });
}

/** Tunnel liveness from `--agent-timeout`: ping often enough that a live agent is always heard in time. */
function tunnelLimits(timeoutSeconds: number) {
  const pingTimeoutMs = timeoutSeconds * 1000;
  return { pingTimeoutMs, pingIntervalMs: Math.floor(Math.min(15_000, pingTimeoutMs / 3)) };
}

/** Builds the whole server from its config, starts it, and returns once `/ping` can be answered. */
export async function startServer(config: ServerConfig, logger: PinoLogger): Promise<RunningServer> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const etcd = await etcdConnection(config);
  const store = await openStore(config, etcd);
  const stop = new AbortController();
  // Every informer, watch and controller listens on these; dozens of listeners are expected, not a leak.
  setMaxListeners(100, stop.signal);
  const now = () => new Date();

  const { tls, definitions } = await startupOnce(config, store, async () => {
    // Replicas on one etcd serve one CA (agents pin its checksum): adopt the stored one, or store ours.
    if (config.datastore.type === 'etcd' && !config.tlsCert) {
      const how = await shareCa(store, config.dataDir, now());
      logger.info({ how }, how === 'adopted' ? 'using the CA the replicas share' : 'this CA is now shared by every replica on this etcd');
    }
    // The server URL in force, as the settings will resolve it: environment, then flag, then stored value.
    const storedUrl = config.settingsFromEnv['server-url'] ?? config.serverUrl ?? (await storedSettingValue(store, 'server-url'));
    const manager = await CertificateManager.load({
      dataDir: config.dataDir,
      serverUrl: storedUrl || undefined,
      certFile: config.tlsCert,
      keyFile: config.tlsKey,
      hostInfo: servingHostInfo(config),
      onRotate: (e) => logger.info({ reason: e.reason, detail: e.detail }, 'TLS certificate issued'),
    });
    return { tls: manager, definitions: await bootstrap(store, config, manager.current().cacerts, logger) };
  });

  const { informers, running } = await startInformers(store, logger, stop.signal);
  const settings = new Settings(informers.setting, definitions, config.settingsFromEnv);
  const authorizer = buildAuthorizer(informers);
  const registry = new TunnelRegistry(now);
  const roleOf = (nodeId: string) => {
    const node = informers.node.get(nodeId);
    return node && { controlPlane: node.data.controlPlane === true };
  };
  // Controllers run on one replica at a time, the leader; their writes are refused once it no longer leads.
  // A tunnel another replica holds is dialed through that replica.
  const replication = await openReplication({
    datastore: config.datastore,
    etcd,
    store,
    caches: Object.values(informers) as Informer<unknown>[],
    registry,
    localDialer: new Dialer(registry, roleOf),
    ca: () => tls.current().cacerts,
    bindAddress: config.bindAddress,
    logger,
    signal: stop.signal,
  });
  const dialer = new Dialer(registry, roleOf, replication.remote);
  const { readBarrier } = replication;
  // Five failures per user; a client address (possibly shared behind NAT) gets more before it is slowed.
  const throttle = new LoginThrottle({
    freeFailures: (key) => (key.startsWith('ip:') ? 30 : 5),
    state: replication.throttleState('login'),
    onError: (err) => logger.warn({ err }, 'a successful login could not be taken off the failed-login count'),
  });
  const upstreams = new ClusterUpstreams(informers.cluster, dialer, localClusterAccess(config, logger));
  const namespaces = new ClusterNamespaces(upstreams, logger.child({ component: 'namespaces' }));
  const kubeNodes = new ClusterNodes(upstreams, logger.child({ component: 'kube-nodes' }));
  followClusters(informers.cluster, upstreams, [namespaces, kubeNodes], registry);
  const versions = buildApiVersions({ store, informers, settings, throttle, authorizer, now, namespaces, upstreams });
  const responses = new ResponseCache();
  const invalidate = () => responses.invalidate();
  for (const source of [...Object.values(informers), namespaces]) source.addHandler({ add: invalidate, update: invalidate, delete: invalidate });

  const authenticator = new Authenticator(informers.token, informers.user, () => now().getTime());
  const audit = openAuditLog(config, now);
  const k8sProxy = new KubernetesProxy({
    authenticator,
    access: new Access(authorizer),
    clusters: informers.cluster,
    upstreams,
    onFinished: (record) => audit.record(record),
  });

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // The Kubernetes proxy streams raw bodies both ways: it takes its requests before fastify parses any.
    serverFactory: (handler) => {
      const server = createHttpsServer({ cert: tls.current().certPem, key: tls.current().keyPem }, (req, res) => {
        if (!k8sProxy.owns(req.url)) return handler(req, res);
        afterCatchingUp(readBarrier, () => k8sProxy.handle(req, res), (err) => sendStatus(res, 503, toApiError(err).message));
      });
      if (config.proxyProtocolFrom.length > 0) acceptProxyProtocol(server, trustedSources(config.proxyProtocolFrom), logger.child({ component: 'proxy-protocol' }));
      return keepAlive(server);
    },
    // Requests are not logged one by one (costly on the hot path); failures are, by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    return503OnClosing: true,
    // Errors fastify raises before routing (a bad URL) get the same norman error body as everything else.
    frameworkErrors: (err, req, reply) => sendError(reply, req, err),
    forceCloseConnections: 'idle',
  });
  if (readBarrier) {
    app.addHook('onRequest', async (req) => {
      // Liveness answers without etcd: a hiccup there must not get every replica restarted.
      if (req.url !== '/ping' && req.url !== '/healthz') await readBarrier.wait();
    });
  }
  const auditHooks = new AuditHooks(audit);
  auditHooks.register(app);
  registerApiRoutes(app, {
    v3: new ApiHandler(versions.v3, store),
    v3Public: new ApiHandler(versions.v3Public, store),
    authenticator,
    cacerts: () => tls.current().cacerts,
    openapi: memoizeByKey((baseUrl: string) => openApiDocument([versions.v3, versions.v3Public], baseUrl, PADDOCK_VERSION), 16),
    responses,
    noteCaller: (req, caller) => auditHooks.noteCaller(req, caller),
    uiIndex: () => settings.get('ui-index'),
    importManifest: importManifestSource({
      tokenByValue: (token) => informers.clusterRegistrationToken.byIndex(BY_TOKEN, token)[0]?.data,
      clusters: informers.cluster,
      settings,
    }),
  });
  await app.ready();

  const tunnels = new TunnelEndpoint({
    store,
    registrationTokens: informers.clusterRegistrationToken,
    clusters: informers.cluster,
    nodes: informers.node,
    registry,
    throttle: new LoginThrottle({ freeFailures: 10, state: replication.throttleState('agent-connect') }),
    limits: tunnelLimits(config.agentTimeoutSeconds),
    logger: logger.child({ component: 'tunnel' }),
  });
  const subscriptions = new SubscribeEndpoint({
    version: versions.v3,
    feeds: (schemaId) => (schemaId === 'namespace' ? namespaces : (informers as unknown as Record<string, ChangeFeed | undefined>)[schemaId]),
    authenticator,
    onFinished: (record) => audit.record(record),
  });
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (subscriptions.handleUpgrade(req, socket, head)) return;
    if (k8sProxy.handleUpgrade(req, socket, head)) return;
    if (replication.handleUpgrade(req, socket, head)) return;
    if (!tunnels.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  };
  app.server.on('upgrade', (req, socket, head) =>
    afterCatchingUp(readBarrier, () => upgrade(req, socket, head), (err) => socket.end(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n${toApiError(err).message}\n`)),
  );

  // Controllers stop first on shutdown: closing thousands of tunnels then writes no statuses (the next
  // start marks nodes without a tunnel unavailable anyway).
  const stopControllers = new AbortController();
  setMaxListeners(100, stopControllers.signal);
  const { gate, controllerStore } = replication;
  const campaign = replication.leadership.campaign(stopControllers.signal).catch((err: unknown) => logger.error({ err }, 'leader election ended'));
  const probes = new Map<string, ClusterProbe>();
  const clusters = clusterController({
    store: controllerStore,
    clusters: informers.cluster,
    registrationTokens: informers.clusterRegistrationToken,
    nodes: informers.node,
    logger,
    now,
    probes,
  });
  const rbacSync = rbacSyncController({
    clusters: informers.cluster,
    globalRoles: informers.globalRole,
    globalRoleBindings: informers.globalRoleBinding,
    roleTemplates: informers.roleTemplate,
    clusterRoleTemplateBindings: informers.clusterRoleTemplateBinding,
    projectRoleTemplateBindings: informers.projectRoleTemplateBinding,
    upstreams,
    logger: logger.child({ controller: 'k8s-rbac-sync' }),
  });
  // A namespace created, deleted or moved between projects changes who must be bound in it.
  namespaces.addHandler({
    add: (ns) => rbacSync.enqueue(String(ns.data.clusterId)),
    update: (_old, ns) => rbacSync.enqueue(String(ns.data.clusterId)),
    delete: (ns) => rbacSync.enqueue(String(ns.data.clusterId)),
  });
  const controllers = [
    clusters,
    probeController({ clusters: informers.cluster, upstreams, registry, probes, onChange: (id) => clusters.enqueue(id), logger, now }),
    tokenController({ store: controllerStore, tokens: informers.token, users: informers.user, clusters: informers.cluster, logger, now }),
    nodeController({ store: controllerStore, nodes: informers.node, registry, sessions: replication.sessions, logger, now, startedAt: now() }),
    nodeSyncController({ store: controllerStore, clusters: informers.cluster, nodes: informers.node, kubeNodes, logger: logger.child({ controller: 'node-sync' }) }),
    ...rbacControllers(controllerStore, informers, logger),
    rbacSync,
  ].map((c) => c.run(stopControllers.signal, gate));

  const applyTls = () => app.server.setSecureContext({ cert: tls.current().certPem, key: tls.current().keyPem });
  const stopRenewal = startRenewalLoop(tls, { signal: stop.signal, onRotated: applyTls, onError: (err) => logger.error({ err }, 'TLS renewal check failed') });
  // Re-issues for a new server-url run one after another; shutdown waits for the last one.
  let reissuing: Promise<void> = Promise.resolve();
  informers.setting.addHandler({
    update: (_old, next) => {
      if (next.id !== 'server-url') return;
      reissuing = reissuing
        .then(() => tls.refresh(settings.get('server-url') || null))
        .then((rotated) => void (rotated && applyTls()))
        .catch((err: unknown) => logger.error({ err }, 're-issuing the serving certificate for the new server-url failed'));
    },
  });

  let httpServer: HttpServer | undefined;
  const shutdown = async () => {
    stopRenewal();
    await new Promise<void>((resolve) => (httpServer ? httpServer.close(() => resolve()) : resolve()));
    stopControllers.abort();
    await Promise.allSettled(controllers);
    // Resigning hands the controllers to another replica at once, not after a lease's TTL.
    await campaign;
    registry.closeAll('server shutting down');
    tunnels.close();
    subscriptions.close();
    upstreams.close();
    namespaces.close();
    kubeNodes.close();
    // The HTTPS server is ours (serverFactory): fastify does not close it. In-flight requests finish first.
    const serverClosed = new Promise<void>((resolve) => app.server.close(() => resolve()));
    app.server.closeIdleConnections();
    await app.close();
    await serverClosed;
    // Peers' streams through this replica's tunnels last as long as the requests that use them.
    replication.close();
    await audit.close();
    await reissuing;
    stop.abort();
    await Promise.allSettled([...running, replication.running]);
    await store.close();
  };
  try {
    const httpsPort = await listen(app.server, config.httpsPort, config.bindAddress, '--https-port');
    replication.listening(httpsPort);
    let httpPort: number | undefined;
    if (config.httpPort !== 0) {
      httpServer = redirectServer(httpsPort);
      httpPort = await listen(httpServer, config.httpPort, config.bindAddress, '--http-port');
    }
    const host = config.bindAddress === '0.0.0.0' || config.bindAddress === '::' ? '127.0.0.1' : config.bindAddress;
    return { url: `https://${host.includes(':') ? `[${host}]` : host}:${httpsPort}`, httpsPort, httpPort, store, dialer, registry, close: shutdown };
  } catch (err) {
    await shutdown();
    throw err;
  }
}
