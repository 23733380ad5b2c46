import type { ResourceStore } from '../store/types.js';

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
 */
export function fencedStore(store: ResourceStore, isLeader: () => boolean): ResourceStore {
  const check = (operation: string): void => {
    if (!isLeader()) throw new NotLeaderError(operation);
  };
  return {
    get: (kind, id) => store.get(kind, id),
    list: (kind) => store.list(kind),
    watch: (options) => store.watch(options),
    revision: () => store.revision(),
    close: () => store.close(),
    create(kind, id, data) {
      check(`create ${kind} ${id}`);
      return store.create(kind, id, data);
    },
    update(kind, id, data, expectedVersion) {
      check(`update ${kind} ${id}`);
      return store.update(kind, id, data, expectedVersion);
    },
    delete(kind, id, expectedVersion) {
      check(`delete ${kind} ${id}`);
      return store.delete(kind, id, expectedVersion);
    },
  };
}
