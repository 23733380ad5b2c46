import type { DatastoreConfig } from '../config/config.js';
import type { Logger } from '../informer/logger.js';
import { connectEtcd, type EtcdConnectionOptions } from '../store/etcd/etcd-client.js';
import { EtcdLeadership } from './etcd-leadership.js';
import { LocalLeadership, type Leadership } from './leadership.js';

/**
 * The election of the replicas sharing a datastore: on SQLite a replica is alone and leads at once; on etcd
 * the replicas with the same prefix elect one, on the key `<prefix>-election/controllers` (outside the store's
 * own `<prefix>/`). Returns the leadership and what closes its connection.
 */
export function openLeadership(
  datastore: DatastoreConfig,
  connection: EtcdConnectionOptions | undefined,
  logger: Logger,
): { leadership: Leadership; close: () => void } {
  if (datastore.type === 'sqlite' || !connection) return { leadership: new LocalLeadership(), close: () => undefined };
  const client = connectEtcd(connection);
  const key = `${datastore.prefix.replace(/\/+$/, '')}-election/controllers`;
  return { leadership: new EtcdLeadership({ client, key, logger }), close: () => client.close() };
}
