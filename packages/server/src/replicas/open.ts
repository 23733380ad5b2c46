import type { DatastoreConfig } from '../config/config.js';
import type { ControllerGate } from '../informer/controller.js';
import { Informer } from '../informer/informer.js';
import type { Logger as PinoLogger } from 'pino';
import { connectEtcd, type EtcdConnectionOptions } from '../store/etcd/etcd-client.js';
import type { ResourceStore } from '../store/types.js';
import type { TunnelRegistry } from '../tunnel/registry.js';
import { localSessions, type NodeSessions } from '../tunnel/sessions.js';
import { EtcdLeadership } from './etcd-leadership.js';
import { fencedStore } from './fenced-store.js';
import { leaderGate } from './gate.js';
import { LocalLeadership, type Leadership } from './leadership.js';
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
  /** Ends when `signal` aborts and the presence record is gone. */
  running: Promise<void>;
  /** Closes the election's etcd connection (after the campaign ended). */
  close(): void;
}

export interface ReplicationOptions {
  datastore: DatastoreConfig;
  /** How to reach etcd; undefined on SQLite. */
  etcd: EtcdConnectionOptions | undefined;
  store: ResourceStore;
  registry: TunnelRegistry;
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
    return { ...gated(leadership, o.store), sessions: localSessions(o.registry), running: Promise.resolve(), close: () => undefined };
  }
  const client = connectEtcd(o.etcd);
  const key = `${o.datastore.prefix.replace(/\/+$/, '')}-election/controllers`;
  const leadership = new EtcdLeadership({ client, key, logger: o.logger.child({ component: 'leader-election' }) });
  const replicas = new Informer<ReplicaData>({ store: o.store, kind: REPLICA_KIND, logger: o.logger.child({ informer: REPLICA_KIND }) });
  const informing = replicas.run(o.signal);
  await replicas.synced(o.signal);
  const sessions = new ReplicaSessions(o.registry, replicas, leadership.identity);
  const presence = new ReplicaPresence({ store: o.store, identity: leadership.identity, registry: o.registry, logger: o.logger.child({ component: 'replica-presence' }) });
  const running = Promise.all([informing, sessions.run(o.signal), presence.run(o.signal)]).then(() => undefined);
  return { ...gated(leadership, o.store), sessions, running, close: () => client.close() };
}

function gated(leadership: Leadership, store: ResourceStore) {
  return { leadership, gate: leaderGate(leadership), controllerStore: fencedStore(store, () => leadership.isLeader()) };
}
