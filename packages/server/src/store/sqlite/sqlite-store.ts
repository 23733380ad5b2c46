import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  StoreAlreadyExistsError,
  StoreClosedError,
  StoreCompactedError,
  StoreConflictError,
  StoreNotFoundError,
  type ListResult,
  type ResourceStore,
  type StoredObject,
  type WatchEvent,
  type WatchEventType,
  type WatchOptions,
} from '../types.js';
import { WatchHub, type EncodedEvent } from '../watch-hub.js';
import { migrate } from './schema.js';
import { prepareStatements, type EventRow, type ObjectRow, type Statements } from './statements.js';

export interface SqliteStoreOptions {
  /** Database file (its directory must exist), or ':memory:'. */
  path: string;
  /** How many recent events to keep for resuming watches (at least 1). Default 10000. */
  historyLimit?: number;
  /** How long a write waits for a lock held by another connection, in ms. Default 5000. */
  busyTimeoutMs?: number;
}

const DEFAULT_HISTORY_LIMIT = 10_000;
const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/** What a committed write produced: the object to return and the event to publish. */
interface WriteResult {
  object: StoredObject<unknown>;
  event: EncodedEvent;
}

/**
 * ResourceStore on an embedded SQLite database (better-sqlite3, WAL, synchronous=FULL).
 *
 * Beyond the ResourceStore contract:
 * - Each write is one transaction (check, write object, append event, maybe compact); its promise
 *   resolves after the commit is fsynced, so acknowledged writes survive a crash or kill -9.
 * - History keeps at least `historyLimit` events: once it grows past historyLimit plus a tenth, the write
 *   that crossed the line deletes all but the newest `historyLimit` in the same transaction.
 * - Watches are served in-process (WatchHub): history from the `events` table, then live events published
 *   after each commit. A watch without `fromRevision` starts at the revision current when `watch()` is
 *   called, even if iteration begins later.
 * - One process owns the file: changes made by another connection are not seen by this store's watches.
 */
/** The database file a server with `--datastore sqlite` keeps under its data dir. */
export const sqlitePath = (dataDir: string) => join(dataDir, 'paddock.db');

export class SqliteStore implements ResourceStore {
  readonly #db: Database.Database;
  readonly #sql: Statements;
  readonly #hub = new WatchHub();
  readonly #historyLimit: number;
  readonly #compactSlack: number;
  #closed = false;

  private constructor(db: Database.Database, historyLimit: number) {
    this.#db = db;
    this.#sql = prepareStatements(db);
    this.#historyLimit = historyLimit;
    this.#compactSlack = Math.max(1, Math.ceil(historyLimit / 10));
  }

  /** Opens (creating if needed) and migrates the database. Throws on a bad path or a newer schema. */
  static open(options: SqliteStoreOptions): SqliteStore {
    const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isSafeInteger(historyLimit) || historyLimit < 1) {
      throw new RangeError(`historyLimit must be a positive integer, got ${historyLimit}`);
    }
    const db = new Database(options.path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
      migrate(db);
      return new SqliteStore(db, historyLimit);
    } catch (error: unknown) {
      db.close();
      throw error;
    }
  }

  async get<T>(kind: string, id: string): Promise<StoredObject<T> | undefined> {
    this.#assertOpen();
    const row = this.#sql.getObject.get(kind, id);
    return row && decodeObject<T>(row);
  }

  async list<T>(kind: string): Promise<ListResult<T>> {
    this.#assertOpen();
    return this.#db.transaction(() => ({
      items: this.#sql.listObjects.all(kind).map((row) => decodeObject<T>(row)),
      revision: this.#meta('revision'),
    }))();
  }

  create<T>(kind: string, id: string, data: T): Promise<StoredObject<T>> {
    return this.restore(kind, id, data, new Date().toISOString());
  }

  /** Creates an object with the creation time it had elsewhere (a migration); AlreadyExists as create. */
  async restore<T>(kind: string, id: string, data: T, created: string): Promise<StoredObject<T>> {
    this.#assertOpen();
    const json = encodeData(data);
    return this.#commit<T>(() => {
      if (this.#sql.getObject.get(kind, id)) throw new StoreAlreadyExistsError(kind, id);
      const row: ObjectRow = { kind, id, resource_version: 0, created, data: json };
      return this.#record('added', row, (r) => this.#sql.insertObject.run(r));
    });
  }

  async update<T>(kind: string, id: string, data: T, expectedVersion?: number): Promise<StoredObject<T>> {
    this.#assertOpen();
    const json = encodeData(data);
    return this.#commit<T>(() => {
      const current = this.#existing(kind, id, expectedVersion);
      const row: ObjectRow = { ...current, data: json };
      return this.#record('modified', row, (r) => this.#sql.updateObject.run(r));
    });
  }

  async delete<T>(kind: string, id: string, expectedVersion?: number): Promise<StoredObject<T>> {
    this.#assertOpen();
    return this.#commit<T>(() => {
      const current = this.#existing(kind, id, expectedVersion);
      return this.#record('deleted', current, (r) => this.#sql.deleteObject.run(r.kind, r.id));
    });
  }

  watch<T>(options: WatchOptions): AsyncIterable<WatchEvent<T>> {
    const fromRevision = options.fromRevision ?? (this.#closed ? 0 : this.#meta('revision'));
    return this.#hub.watch<T>({
      kind: options.kind,
      fromRevision,
      signal: options.signal,
      replay: (after, kind) => this.#history(after, kind),
    });
  }

  async revision(): Promise<number> {
    this.#assertOpen();
    return this.#meta('revision');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.close();
    this.#db.close();
  }

  /** Runs `write` in a transaction, then publishes its event; returns the written object. */
  #commit<T>(write: () => WriteResult): StoredObject<T> {
    const { object, event } = this.#db.transaction(write).immediate();
    this.#hub.publish(event);
    return object as StoredObject<T>;
  }

  /** The stored row, after checking that it exists and has the expected version (when given). */
  #existing(kind: string, id: string, expectedVersion: number | undefined): ObjectRow {
    const row = this.#sql.getObject.get(kind, id);
    if (!row) throw new StoreNotFoundError(kind, id);
    if (expectedVersion !== undefined && row.resource_version !== expectedVersion) {
      throw new StoreConflictError(kind, id, expectedVersion, row.resource_version);
    }
    return row;
  }

  /** Takes the next revision, applies `apply` to the row stamped with it, and appends the event. */
  #record(type: WatchEventType, row: ObjectRow, apply: (row: ObjectRow) => void): WriteResult {
    const revision = this.#bumpRevision();
    const stamped: ObjectRow = { ...row, resource_version: revision };
    apply(stamped);
    const event: EventRow = { revision, type, kind: row.kind, id: row.id, created: row.created, data: row.data };
    this.#sql.insertEvent.run(event);
    this.#compactIfDue(revision);
    return { object: decodeObject(stamped), event: toEncodedEvent(event) };
  }

  #bumpRevision(): number {
    const revision = this.#sql.bumpRevision.get();
    if (revision === undefined) throw new Error('store meta table has no revision row');
    return revision;
  }

  /** Deletes all but the newest historyLimit events once history exceeds historyLimit + slack. */
  #compactIfDue(revision: number): void {
    const compacted = this.#meta('compacted');
    if (revision - compacted <= this.#historyLimit + this.#compactSlack) return;
    const through = revision - this.#historyLimit;
    this.#sql.deleteEventsThrough.run(through);
    this.#sql.setMeta.run(through, 'compacted');
  }

  /**
   * Events after `after` (of `kind` if given); throws StoreCompactedError when some were deleted, and
   * RangeError for a revision that is not a non-negative integer.
   */
  #history(after: number, kind: string | undefined): EncodedEvent[] {
    this.#assertOpen();
    if (!Number.isSafeInteger(after) || after < 0) {
      throw new RangeError(`fromRevision must be a non-negative integer, got ${after}`);
    }
    return this.#db.transaction(() => {
      const compacted = this.#meta('compacted');
      if (after < compacted) throw new StoreCompactedError(after, compacted + 1);
      const rows = kind === undefined ? this.#sql.eventsAfter.all(after) : this.#sql.kindEventsAfter.all(after, kind);
      return rows.map(toEncodedEvent);
    })();
  }

  #meta(key: 'revision' | 'compacted'): number {
    const value = this.#sql.getMeta.get(key);
    if (value === undefined) throw new Error(`store meta table has no ${key} row`);
    return value;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }
}

function encodeData(data: unknown): string {
  const json = JSON.stringify(data);
  if (json === undefined) throw new TypeError(`store data must be JSON-serializable, got ${typeof data}`);
  return json;
}

function decodeObject<T>(row: ObjectRow): StoredObject<T> {
  return {
    kind: row.kind,
    id: row.id,
    resourceVersion: row.resource_version,
    created: row.created,
    data: JSON.parse(row.data) as T,
  };
}

function toEncodedEvent(row: EventRow): EncodedEvent {
  return { type: row.type, revision: row.revision, kind: row.kind, id: row.id, created: row.created, json: row.data };
}
