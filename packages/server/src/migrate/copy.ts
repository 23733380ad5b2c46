import type { ResourceStore, StoredObject } from '../store/types.js';
import { MigrateError } from './errors.js';

/** Every object of the copied kinds, read at one source revision. */
export interface Snapshot {
  revision: number;
  byKind: Map<string, StoredObject[]>;
}

/** Creates in flight at once: enough to hide etcd's round trip, few enough not to crowd a small cluster. */
const CONCURRENT_CREATES = 16;

/**
 * Reads every kind from the source. Each list is consistent on its own; the snapshot is consistent as a
 * whole when every list saw the same revision, i.e. nothing was written between the first and the last.
 */
export async function readSnapshot(source: Pick<ResourceStore, 'list'>, kinds: readonly string[]): Promise<Snapshot> {
  const byKind = new Map<string, StoredObject[]>();
  const revisions = new Set<number>();
  for (const kind of kinds) {
    const list = await source.list(kind);
    byKind.set(kind, list.items);
    revisions.add(list.revision);
  }
  const [revision = 0, ...later] = [...revisions].sort((a, b) => a - b);
  if (later.length > 0) throw sourceChanged(revision, Math.max(...later));
  return { revision, byKind };
}

/** The source moved while it was read: a server is still writing to it. */
export function sourceChanged(from: number, to: number): MigrateError {
  return new MigrateError(`--from: the source changed while it was read (revision ${from} to ${to}); stop the server that uses it, then run again with --force`);
}

/** Where objects are copied to: a store that takes an object's creation time as given (EtcdStore.restore). */
export interface RestoringStore {
  restore(kind: string, id: string, data: unknown, created: string): Promise<unknown>;
}

/**
 * Creates every object of the snapshot in the target under its own kind and id, with its data and creation
 * time (resource versions are the target's revisions). Returns the objects written.
 */
export async function copySnapshot(snapshot: Snapshot, target: RestoringStore): Promise<number> {
  const objects = [...snapshot.byKind.values()].flat();
  let next = 0;
  let failed = false;
  // After a failure the other workers stop taking objects: the error is what the operator needs to see.
  const worker = async () => {
    for (let o = objects[next++]; o !== undefined && !failed; o = objects[next++]) {
      await target.restore(o.kind, o.id, o.data, o.created).catch((err: unknown) => {
        failed = true;
        throw err;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_CREATES, objects.length) }, worker));
  return objects.length;
}
