import type { ResourceStore } from './types.js';

/** The writes of a store view: what differs from the store it is a view of. */
export type StoreWrites = Pick<ResourceStore, 'create' | 'update' | 'delete'>;

/** `store` with its writes replaced (a fenced or guarded view); reads, watches and close pass through. */
export function withWrites(store: ResourceStore, writes: StoreWrites): ResourceStore {
  return {
    get: (kind, id) => store.get(kind, id),
    list: (kind) => store.list(kind),
    watch: (options) => store.watch(options),
    revision: () => store.revision(),
    close: () => store.close(),
    ...writes,
  };
}
