/**
 * The ResourceStore: every fact Paddock keeps is a JSON object of some `kind`, addressed by `id`,
 * in a store with one global, monotonically increasing revision (as in etcd).
 *
 * Contract (the conformance suite in ./conformance.ts checks it for every backend):
 * - Every successful write (create, update, delete) bumps the store revision by exactly one; the written
 *   object's `resourceVersion` is that revision. A write is durable when its promise resolves.
 * - `update` and `delete` with `expectedVersion` fail with `StoreConflictError` when the stored
 *   `resourceVersion` differs (optimistic concurrency). Without it they are unconditional.
 * - `create` fails with `StoreAlreadyExistsError` when (kind, id) exists; `update`/`delete` fail with
 *   `StoreNotFoundError` when it does not.
 * - `list` returns the objects of a kind sorted by id, plus the store revision the list is consistent with;
 *   a `watch` started from that revision sees exactly the changes after it, none missed, none repeated.
 * - `watch` delivers every change (of one kind, or of all kinds) in revision order. Resuming from a revision
 *   older than the backend keeps history for fails with `StoreCompactedError`; the caller relists.
 * - Objects returned are the caller's to keep: the store never mutates them afterwards.
 */
export interface StoredObject<T = unknown> {
  kind: string;
  id: string;
  /** Store revision of the last write to this object. */
  resourceVersion: number;
  /** ISO-8601 time the object was created; preserved by updates. */
  created: string;
  data: T;
}

export type WatchEventType = 'added' | 'modified' | 'deleted';

export interface WatchEvent<T = unknown> {
  type: WatchEventType;
  /** For `deleted`, the object as it was just before deletion, with resourceVersion = the delete's revision. */
  object: StoredObject<T>;
  revision: number;
}

export interface ListResult<T = unknown> {
  items: StoredObject<T>[];
  revision: number;
}

export interface WatchOptions {
  /** Limit to one kind; all kinds when absent. */
  kind?: string;
  /** Deliver changes with revision > fromRevision. Absent: only changes from now on. */
  fromRevision?: number;
  /** Ends the watch: the iterator returns. */
  signal?: AbortSignal;
}

export interface ResourceStore {
  get<T>(kind: string, id: string): Promise<StoredObject<T> | undefined>;
  list<T>(kind: string): Promise<ListResult<T>>;
  create<T>(kind: string, id: string, data: T): Promise<StoredObject<T>>;
  update<T>(kind: string, id: string, data: T, expectedVersion?: number): Promise<StoredObject<T>>;
  delete<T>(kind: string, id: string, expectedVersion?: number): Promise<StoredObject<T>>;
  watch<T>(options: WatchOptions): AsyncIterable<WatchEvent<T>>;
  /** The current store revision. */
  revision(): Promise<number>;
  /** Ends all watches and releases the backend. Idempotent. */
  close(): Promise<void>;
}

export class StoreError extends Error {
  constructor(
    message: string,
    readonly kind: string,
    readonly id: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class StoreNotFoundError extends StoreError {
  constructor(kind: string, id: string) {
    super(`${kind} "${id}" not found`, kind, id);
  }
}

export class StoreAlreadyExistsError extends StoreError {
  constructor(kind: string, id: string) {
    super(`${kind} "${id}" already exists`, kind, id);
  }
}

export class StoreConflictError extends StoreError {
  constructor(kind: string, id: string, expected: number, actual: number) {
    super(
      `${kind} "${id}" was modified (expected version ${expected}, found ${actual}); read it again and retry`,
      kind,
      id,
    );
  }
}

export class StoreCompactedError extends Error {
  constructor(readonly requested: number, readonly oldest: number) {
    super(`revision ${requested} is compacted (oldest kept: ${oldest}); relist`);
    this.name = 'StoreCompactedError';
  }
}

export class StoreClosedError extends Error {
  constructor() {
    super('store is closed');
    this.name = 'StoreClosedError';
  }
}
