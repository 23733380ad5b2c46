import type { DatastoreConfig } from '../config/config.js';
import type { ControllerGate } from '../informer/controller.js';
import { Informer } from '../informer/informer.js';
import type { Logger as PinoLogger } from 'pino';
import { connectEtcd, type EtcdConnectionOptions } from '../store/etcd/etcd-client.js';
import { EtcdStore, type WriteGuard } from '../store/etcd/etcd-store.js';
import type { ResourceStore } from '../store/types.js';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TunnelLimits } from '@paddock/tunnel';
import type { RemoteDialer } from '../tunnel/dialer.js';
import type { TunnelRegistry } from '../tunnel/registry.js';
import { localSessions, type NodeSessions } from '../tunnel/sessions.js';
import { EtcdLeadership } from './etcd-leadership.js';
import { fencedStore } from './fenced-store.js';
import { leaderGate } from './gate.js';
import { LocalLeadership, type Leadership } from './leadership.js';
import { PeerDialer } from './peer-dialer.js';
import { PeerEndpoint, type LocalDialer } from './peer-endpoint.js';
import { advertisedAddress, loadPeerSecret } from './peer-protocol.js';
import type { RevisionCache } from './read-barrier.js';
import { StoredThrottleState, sweepThrottleRecords, THROTTLE_KIND, type ThrottleRecord } from './shared-throttle.js';
import type { ThrottleState } from '../auth/throttle.js';
import { REPLICA_KIND, ReplicaPresence, type ReplicaData } from './presence.js';
import { ReplicaSessions } from './replica-sessions.js';

/** How this server takes part among the replicas sharing its datastore. */
export interface Replication {
  leadership: Leadership;
  /** Controllers work while it is open (this replica leads). */
  gate: ControllerGate;
  /** The store for controllers: writes refused once this replica no longer leads. */
  controllerStore: ResourceStore;
  /** Where agents' tunnels are: this server's, and (with replicas) every live replica's. */
  sessions: NodeSessions;
  /** Dials through tunnels other replicas hold; undefined alone on SQLite. */
  remote: RemoteDialer | undefined;
  /** Takes other replicas' peer connections (an HTTP upgrade); false for other requests. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Tells the other replicas where this one listens, once it does. */
  listening(httpsPort: number): void;
  /** Where the named throttle keeps its failure counts: shared by the replicas; undefined alone (memory). */
  throttleState(name: string): ThrottleState | undefined;
  /** Watched caches of this module that requests read (for the read barrier). */
  caches: RevisionCache[];
  /** Ends when `signal` aborts and the presence record is gone. */
  running: Promise<void>;
  /** Closes peer connections and the election's etcd connection (after the campaign ended). */
  close(): void;
}

export interface ReplicationOptions {
  datastore: DatastoreConfig;
  /** How to reach etcd; undefined on SQLite. */
  etcd: EtcdConnectionOptions | undefined;
  store: ResourceStore;
  registry: TunnelRegistry;
  /** Dials through this replica's own tunnels, for other replicas. */
  localDialer: LocalDialer;
  /** The CA the replicas share (PEM), which peers' certificates are checked against. */
  ca: () => string;
  bindAddress: string;
  tunnelLimits?: Partial<TunnelLimits>;
  logger: PinoLogger;
  signal: AbortSignal;
}

/**
 * Alone on SQLite, a server leads at once and its tunnels are all there are. Replicas on etcd elect a leader on
 * the key `<prefix>-election/controllers` (outside the store's own `<prefix>/`) and each publishes the tunnels it
 * holds (a presence record), so node liveness counts a node connected to any live replica.
 */
export async function openReplication(o: ReplicationOptions): Promise<Replication> {
  if (o.datastore.type === 'sqlite' || !o.etcd) {
    const leadership = new LocalLeadership();
    return {
      ...gated(leadership, o.store),
      sessions: localSessions(o.registry),
      remote: undefined,
      handleUpgrade: () => false,
      listening: () => undefined,
      throttleState: () => undefined,
      caches: [],
      running: Promise.resolve(),
      close: () => undefined,
    };
  }
  const client = connectEtcd(o.etcd);
  const key = `${o.datastore.prefix.replace(/\/+$/, '')}-election/controllers`;
  const leadership = new EtcdLeadership({ client, key, logger: o.logger.child({ component: 'leader-election' }) });
  const replicas = new Informer<ReplicaData>({ store: o.store, kind: REPLICA_KIND, logger: o.logger.child({ informer: REPLICA_KIND }) });
  const informing = replicas.run(o.signal);
  await replicas.synced(o.signal);
  const sessions = new ReplicaSessions(o.registry, replicas, leadership.identity);
  let address: string | undefined;
  const presence = new ReplicaPresence({
    store: o.store,
    identity: leadership.identity,
    registry: o.registry,
    address: () => address,
    logger: o.logger.child({ component: 'replica-presence' }),
  });
  const throttles = new Informer<ThrottleRecord>({ store: o.store, kind: THROTTLE_KIND, logger: o.logger.child({ informer: THROTTLE_KIND }) });
  const throttling = throttles.run(o.signal);
  await throttles.synced(o.signal);
  // Kept past the login throttle's window (15 min) and longest block (5 min).
  const sweeping = sweepThrottleRecords({ store: o.store, cache: throttles, retentionMs: 30 * 60_000, logger: o.logger, signal: o.signal });
  const running = Promise.all([informing, throttling, sweeping, sessions.run(o.signal), presence.run(o.signal)]).then(() => undefined);
  const secret = await loadPeerSecret(o.store);
  const peerLogger = o.logger.child({ component: 'peers' });
  const remote = new PeerDialer({ identity: leadership.identity, secret, holders: sessions, ca: o.ca, limits: o.tunnelLimits, logger: peerLogger });
  const endpoint = new PeerEndpoint({ secret, dialer: o.localDialer, limits: o.tunnelLimits, logger: peerLogger });
  const etcd = o.datastore;
  // Controllers' writes also compare the election key inside etcd: they commit only during this leadership.
  const guardedStore = o.store instanceof EtcdStore ? o.store.guarded(() => fence(key, leadership)) : o.store;
  return {
    leadership,
    gate: leaderGate(leadership),
    controllerStore: fencedStore(guardedStore, () => leadership.isLeader()),
    sessions,
    remote,
    handleUpgrade: (req, socket, head) => endpoint.handleUpgrade(req, socket, head),
    throttleState: (name) => new StoredThrottleState(o.store, throttles, name),
    caches: [throttles],
    listening: (httpsPort) => {
      address = advertisedAddress(etcd.advertise, o.bindAddress, httpsPort);
      presence.touch();
    },
    running,
    close: () => {
      remote.close();
      endpoint.close();
      client.close();
    },
  };
}

/** The election key as of this leadership's term (undefined when not leading: fencedStore refuses first). */
function fence(key: string, leadership: Leadership): WriteGuard | undefined {
  const term = leadership.term();
  return term === undefined ? undefined : { key, createRevision: term };
}

function gated(leadership: Leadership, store: ResourceStore) {
  return { leadership, gate: leaderGate(leadership), controllerStore: fencedStore(store, () => leadership.isLeader()) };
}
