import { WriteGuardError } from '../store/etcd/etcd-store.js';
import type { ResourceStore } from '../store/types.js';
import { withWrites } from '../store/view.js';

/** A controller's write from a replica that is not (or no longer) the leader; retried by whoever leads. */
export class NotLeaderError extends Error {
  constructor(operation: string) {
    super(`${operation} refused: this replica is not the leader`);
    this.name = 'NotLeaderError';
  }
}

/**
 * The store as controllers see it: writes only while `isLeader()` holds at the moment of the write (the
 * lease's clock), so a replica that was paused past its lease writes nothing when it wakes. Reads pass.
 * On etcd, `store` also fences inside etcd (EtcdStore.guarded on the election key): a write sent just before
 * the lease ran out, and applied after another replica took over, fails there too.
 */
export function fencedStore(store: ResourceStore, isLeader: () => boolean): ResourceStore {
  const fenced = <T>(operation: string, write: () => Promise<T>): Promise<T> => {
    if (!isLeader()) throw new NotLeaderError(operation);
    return write().catch((err: unknown) => {
      throw err instanceof WriteGuardError ? new NotLeaderError(operation) : err;
    });
  };
  return withWrites(store, {
    create: (kind, id, data) => fenced(`create ${kind} ${id}`, () => store.create(kind, id, data)),
    update: (kind, id, data, expectedVersion) => fenced(`update ${kind} ${id}`, () => store.update(kind, id, data, expectedVersion)),
    delete: (kind, id, expectedVersion) => fenced(`delete ${kind} ${id}`, () => store.delete(kind, id, expectedVersion)),
  });
}
