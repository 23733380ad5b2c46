import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TunnelLimits } from '@paddock/tunnel';
import type { Logger as PinoLogger } from 'pino';
import type { ThrottleState } from '../auth/throttle.js';
import type { DatastoreConfig } from '../config/config.js';
import type { ControllerGate } from '../informer/controller.js';
import { Informer } from '../informer/informer.js';
import { connectEtcd, type EtcdConnectionOptions } from '../store/etcd/etcd-client.js';
import { EtcdStore, type WriteGuard } from '../store/etcd/etcd-store.js';
import type { ResourceStore } from '../store/types.js';
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
import { REPLICA_KIND, ReplicaPresence, type ReplicaData } from './presence.js';
import { ReadBarrier, type RevisionCache } from './read-barrier.js';
import { ReplicaSessions } from './replica-sessions.js';
import { StoredThrottleState, sweepThrottleRecords, THROTTLE_KIND, type ThrottleRecord } from './shared-throttle.js';

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
  /** What requests wait on until this replica's caches have every write acknowledged before them; none alone. */
  readBarrier: ReadBarrier | undefined;
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
  /** The watched caches requests read (the read barrier waits for them). */
  caches: RevisionCache[];
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
  if (o.datastore.type === 'sqlite' || !o.etcd || !(o.store instanceof EtcdStore)) {
    const leadership = new LocalLeadership();
    return {
      ...gated(leadership, o.store),
      sessions: localSessions(o.registry),
      remote: undefined,
      handleUpgrade: () => false,
      listening: () => undefined,
      throttleState: () => undefined,
      readBarrier: undefined,
      running: Promise.resolve(),
      close: () => undefined,
    };
  }
  const client = connectEtcd(o.etcd);
  const key = `${o.datastore.prefix.replace(/\/+$/, '')}-election/controllers`;
  const leadership = new EtcdLeadership({ client, key, logger: o.logger.child({ component: 'leader-election' }) });
  const [replicas, informing] = await startInformer<ReplicaData>(o, REPLICA_KIND);
  const sessions = new ReplicaSessions(o.registry, replicas, leadership.identity);
  let address: string | undefined;
  const presence = new ReplicaPresence({
    store: o.store,
    identity: leadership.identity,
    registry: o.registry,
    address: () => address,
    logger: o.logger.child({ component: 'replica-presence' }),
  });
  const [throttles, throttling] = await startInformer<ThrottleRecord>(o, THROTTLE_KIND);
  // Kept past the login throttle's window (15 min) and longest block (5 min).
  const sweeping = sweepThrottleRecords({ store: o.store, cache: throttles, retentionMs: 30 * 60_000, logger: o.logger, signal: o.signal });
  const running = Promise.all([informing, throttling, sweeping, sessions.run(o.signal), presence.run(o.signal)]).then(() => undefined);
  const secret = await loadPeerSecret(o.store);
  const peerLogger = o.logger.child({ component: 'peers' });
  const remote = new PeerDialer({ identity: leadership.identity, secret, holders: sessions, ca: o.ca, limits: o.tunnelLimits, logger: peerLogger });
  const endpoint = new PeerEndpoint({ secret, dialer: o.localDialer, limits: o.tunnelLimits, logger: peerLogger });
  const etcd = o.datastore;
  return {
    // Controllers' writes also compare the election key inside etcd: they commit only during this leadership.
    ...gated(leadership, o.store.guarded(() => fence(key, leadership))),
    sessions,
    remote,
    handleUpgrade: (req, socket, head) => endpoint.handleUpgrade(req, socket, head),
    throttleState: (name) => new StoredThrottleState(o.store, throttles, name),
    // Replicas serve reads from caches that trail the others' writes.
    readBarrier: new ReadBarrier(o.store, [...o.caches, throttles]),
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

/** A watched cache of one of this module's kinds, synced; with its run (ends when `signal` aborts). */
async function startInformer<T>(o: ReplicationOptions, kind: string): Promise<[Informer<T>, Promise<void>]> {
  const informer = new Informer<T>({ store: o.store, kind, logger: o.logger.child({ informer: kind }) });
  const running = informer.run(o.signal);
  await informer.synced(o.signal);
  return [informer, running];
}

/** The election key as of this leadership's term (undefined when not leading: fencedStore refuses first). */
function fence(key: string, leadership: Leadership): WriteGuard | undefined {
  const term = leadership.term();
  return term === undefined ? undefined : { key, createRevision: term };
}

function gated(leadership: Leadership, store: ResourceStore) {
  return { leadership, gate: leaderGate(leadership), controllerStore: fencedStore(store, () => leadership.isLeader()) };
}
