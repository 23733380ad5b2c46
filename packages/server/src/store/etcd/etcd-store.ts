import { setTimeout as sleep } from 'node:timers/promises';
import type { Etcd3, ICompare, IKeyValue, IRangeRequest, IRangeResponse, IRequestOp, ITxnResponse } from 'etcd3';
import {
  StoreAlreadyExistsError,
  StoreClosedError,
  StoreConflictError,
  StoreNotFoundError,
  type ListResult,
  type ResourceStore,
  type StoredObject,
  type WatchEvent,
  type WatchOptions,
} from '../types.js';
import { decodeObject, encodeData, encodeValue, KeyLayout, prefixEnd, revisionOf } from './codec.js';
import { connectEtcd, DEFAULT_REQUEST_TIMEOUT_MS, isCompactedError, isTransientError, type EtcdConnectionOptions } from './etcd-client.js';
import { EtcdWatch, type WatchStream } from './etcd-watch.js';
import { withWrites } from '../view.js';

export interface EtcdStoreOptions extends EtcdConnectionOptions {
  /** Key prefix of every object: `<prefix>/<kind>/<id>`. Default `/paddock`. */
  prefix?: string;
  /**
   * Compact etcd's history (all of it: compaction is global to an etcd cluster) to keep at least this many
   * revisions for resuming watches, as kube-apiserver compacts its etcd. Default 10000.
   */
  historyLimit?: number;
  /** Whether this store compacts etcd at all; false leaves it to etcd's --auto-compaction-*. Default true. */
  compact?: boolean;
  /** Keys read per request when listing a kind. Default 500. */
  listPageSize?: number;
}

export const DEFAULT_ETCD_PREFIX = '/paddock';

/** Writes commit only while `key` exists with this create revision (see EtcdStore.guarded). */
export interface WriteGuard {
  key: string;
  createRevision: number;
}

/** A guarded write refused because the guard's key was gone or made anew (a deposed leader's write). */
export class WriteGuardError extends Error {
  constructor(key: string) {
    super(`write refused: ${key} is no longer held by this writer`);
    this.name = 'WriteGuardError';
  }
}
const DEFAULT_HISTORY_LIMIT = 10_000;
const DEFAULT_LIST_PAGE_SIZE = 500;
/** Attempts of a list whose fixed revision got compacted between two pages. */
const LIST_ATTEMPTS = 5;

/**
 * ResourceStore on etcd v3 (the `etcd3` client's low-level RPCs; see ./codec.ts for the key layout).
 *
 * Beyond the ResourceStore contract:
 * - The store revision is etcd's cluster-wide revision (the response header's). Each write is one etcd
 *   transaction, so it adds exactly one revision, and the object's resourceVersion is that revision; but
 *   anything else that writes to the same etcd (another prefix, another program) adds revisions too, so
 *   revisions are increasing, not consecutive, unless this store is etcd's only writer.
 * - A write resolves once etcd has committed it (a quorum has it in its fsynced log). A write that fails
 *   with a transport error or a timeout has an unknown outcome and is never retried by the store; reads
 *   are retried on such errors until `requestTimeoutMs`.
 * - create: txn(create_revision == 0 → put). update/delete with expectedVersion: txn(mod_revision ==
 *   expected); without it, update: txn(create_revision unchanged since the read → put), delete:
 *   txn(exists → delete). A failed txn reads the key in its else branch to tell NotFound from Conflict.
 *   update reads the object first, for `created` (2 round trips); create and delete take 1.
 * - list reads a kind in pages of `listPageSize`, all at the revision of the first page, so it is one
 *   consistent snapshot however large the kind.
 * - Every watch has its own etcd watch stream and survives member restarts (see ./etcd-watch.ts). A
 *   watch without `fromRevision` starts at etcd's revision read right after the call; this store's
 *   writes called after it wait for that read, so the watch sees every one of them and nothing that
 *   was committed before the call. (If etcd cannot be read, it starts at the newest revision seen.)
 * - Compaction: after a write at revision R, once R is more than historyLimit plus a tenth past the last
 *   compaction this store asked for, it compacts etcd to R - historyLimit before the write resolves, but
 *   never past the start of one of its own watches that etcd may still be replaying history to. Several
 *   replicas each do this (compacting to an already compacted revision is a no-op); a watch can still be
 *   compacted away by another replica's compaction if it lags more than historyLimit behind.
 */
export class EtcdStore implements ResourceStore {
  readonly #client: Etcd3;
  readonly #layout: KeyLayout;
  readonly #historyLimit: number;
  readonly #compactSlack: number;
  readonly #compact: boolean;
  readonly #pageSize: number;
  readonly #readTimeoutMs: number;
  readonly #watches = new Set<EtcdWatch<unknown>>();
  /** The newest etcd revision seen in any response. */
  #seen = 0;
  /** The revision this store last compacted etcd to. */
  #compactedTo = 0;
  /** Settles once every watch started without fromRevision has read its start; writes wait for it. */
  #watchStarts: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(client: Etcd3, options: EtcdStoreOptions) {
    this.#client = client;
    this.#layout = new KeyLayout(options.prefix ?? DEFAULT_ETCD_PREFIX);
    this.#historyLimit = positiveInteger('historyLimit', options.historyLimit ?? DEFAULT_HISTORY_LIMIT);
    this.#compactSlack = Math.max(1, Math.ceil(this.#historyLimit / 10));
    this.#compact = options.compact ?? true;
    this.#pageSize = positiveInteger('listPageSize', options.listPageSize ?? DEFAULT_LIST_PAGE_SIZE);
    this.#readTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /**
   * Connects and reads etcd's current revision. Throws when the options are invalid or no endpoint
   * answers within `requestTimeoutMs`.
   */
  static async open(options: EtcdStoreOptions): Promise<EtcdStore> {
    const client = connectEtcd(options);
    try {
      const store = new EtcdStore(client, options);
      await store.revision();
      return store;
    } catch (error: unknown) {
      client.close();
      throw error;
    }
  }

  async get<T>(kind: string, id: string): Promise<StoredObject<T> | undefined> {
    const kv = await this.#getKv(this.#layout.key(kind, id));
    return kv && decodeObject<T>(this.#layout, kv);
  }

  async list<T>(kind: string): Promise<ListResult<T>> {
    const start = this.#layout.range(kind);
    const end = prefixEnd(start);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#listOnce<T>(start, end);
      } catch (error: unknown) {
        // The snapshot revision was compacted between two pages: start over at a newer one.
        if (!isCompactedError(error) || attempt >= LIST_ATTEMPTS) throw error;
      }
    }
  }

  create<T>(kind: string, id: string, data: T): Promise<StoredObject<T>> {
    return this.#create(kind, id, data, new Date().toISOString(), undefined);
  }

  /** Creates an object with the creation time it had elsewhere (`paddock migrate`); AlreadyExists as create. */
  restore<T>(kind: string, id: string, data: T, created: string): Promise<StoredObject<T>> {
    return this.#create(kind, id, data, created, undefined);
  }

  update<T>(kind: string, id: string, data: T, expectedVersion?: number): Promise<StoredObject<T>> {
    return this.#update(kind, id, data, expectedVersion, undefined);
  }

  delete<T>(kind: string, id: string, expectedVersion?: number): Promise<StoredObject<T>> {
    return this.#delete(kind, id, expectedVersion, undefined);
  }

  /**
   * This store, with writes that commit only while `guard()`'s key still has its create revision: a leader's
   * writes fenced by its election key inside etcd, so a deposed leader's late write fails however its clock ran.
   * A write whose guard no longer holds fails with WriteGuardError; `guard()` returning undefined writes unguarded.
   */
  guarded(guard: () => WriteGuard | undefined): ResourceStore {
    return withWrites(this, {
      create: (kind, id, data) => this.#create(kind, id, data, new Date().toISOString(), guard()),
      update: (kind, id, data, expectedVersion) => this.#update(kind, id, data, expectedVersion, guard()),
      delete: (kind, id, expectedVersion) => this.#delete(kind, id, expectedVersion, guard()),
    });
  }

  async #create<T>(kind: string, id: string, data: T, created: string, guard: WriteGuard | undefined): Promise<StoredObject<T>> {
    const key = this.#layout.key(kind, id);
    const dataJson = encodeData(data);
    const value = encodeValue(created, dataJson);
    const response = await this.#txn(
      [{ key, target: 'Create', result: 'Equal', create_revision: 0 }],
      [{ request_put: { key, value } }, this.#mark(kind)],
      [],
      guard,
    );
    if (!response.succeeded) throw new StoreAlreadyExistsError(kind, id);
    return written<T>(kind, id, await this.#written(response), created, dataJson);
  }

  async #update<T>(kind: string, id: string, data: T, expectedVersion: number | undefined, guard: WriteGuard | undefined): Promise<StoredObject<T>> {
    const key = this.#layout.key(kind, id);
    const dataJson = encodeData(data);
    let current = await this.#getKv(key);
    for (;;) {
      if (!current) throw new StoreNotFoundError(kind, id);
      const version = revisionOf(current.mod_revision);
      if (expectedVersion !== undefined && version !== expectedVersion) {
        throw new StoreConflictError(kind, id, expectedVersion, version);
      }
      const { created } = decodeObject(this.#layout, current);
      const value = encodeValue(created, dataJson);
      // With expectedVersion, the version must not have moved; without, only the object's identity
      // (a delete and re-create since the read would change `created`).
      const compare: ICompare =
        expectedVersion === undefined
          ? { key, target: 'Create', result: 'Equal', create_revision: current.create_revision }
          : { key, target: 'Mod', result: 'Equal', mod_revision: expectedVersion };
      const response = await this.#txn([compare], [{ request_put: { key, value } }, this.#mark(kind)], [{ request_range: { key } }], guard);
      if (response.succeeded) return written<T>(kind, id, await this.#written(response), created, dataJson);
      current = response.responses[0]?.response_range?.kvs[0];
      if (current && expectedVersion !== undefined) {
        throw new StoreConflictError(kind, id, expectedVersion, revisionOf(current.mod_revision));
      }
    }
  }

  async #delete<T>(kind: string, id: string, expectedVersion: number | undefined, guard: WriteGuard | undefined): Promise<StoredObject<T>> {
    const key = this.#layout.key(kind, id);
    // The key must exist either way: expectedVersion 0 would match a missing key, and a delete of nothing must
    // not move the kind's write mark (the read barrier would wait for an event that never comes).
    const exists: ICompare = { key, target: 'Create', result: 'Greater', create_revision: 0 };
    const compare: ICompare[] = expectedVersion === undefined ? [exists] : [exists, { key, target: 'Mod', result: 'Equal', mod_revision: expectedVersion }];
    const response = await this.#txn(
      compare,
      [{ request_delete_range: { key, prev_kv: true } }, this.#mark(kind)],
      [{ request_range: { key } }],
      guard,
    );
    if (response.succeeded) {
      const previous = response.responses[0]?.response_delete_range?.prev_kvs[0];
      if (!previous) throw new StoreNotFoundError(kind, id);
      const revision = await this.#written(response);
      return decodeObject<T>(this.#layout, previous, revision);
    }
    const current = response.responses[0]?.response_range?.kvs[0];
    if (!current) throw new StoreNotFoundError(kind, id);
    throw new StoreConflictError(kind, id, expectedVersion ?? 0, revisionOf(current.mod_revision));
  }

  watch<T>(options: WatchOptions): AsyncIterable<WatchEvent<T>> {
    let fromRevision: number | Promise<number> | undefined = options.fromRevision ?? (this.#closed ? 0 : undefined);
    if (fromRevision === undefined) {
      const start = this.revision().catch(() => this.#seen);
      this.#watchStarts = Promise.all([this.#watchStarts, start]);
      fromRevision = start;
    }
    const watch = new EtcdWatch<T>({
      layout: this.#layout,
      kind: options.kind,
      fromRevision,
      signal: options.signal,
      closed: this.#closed,
      open: () => this.#client.watchClient.watch() as Promise<WatchStream>,
      observe: (revision) => this.#observe(revision),
      onEnd: (ended) => this.#watches.delete(ended),
    });
    if (!watch.ended) this.#watches.add(watch as EtcdWatch<unknown>);
    return watch;
  }

  /**
   * The revision of each kind's last write (see the write marks in ./codec.ts), read linearizably: a cache at
   * these revisions is not older than any write acknowledged before this call.
   */
  async kindRevisions(): Promise<Map<string, number>> {
    const start = Buffer.from(this.#layout.marks);
    const response = await this.#range({ key: start, range_end: prefixEnd(start), keys_only: true });
    return new Map(response.kvs.map((kv) => [this.#layout.markKind(kv.key), revisionOf(kv.mod_revision)]));
  }

  async revision(): Promise<number> {
    const response = await this.#range({ key: this.#layout.range(), count_only: true });
    return revisionOf(response.header.revision);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const watch of [...this.#watches]) watch.end();
    this.#watches.clear();
    this.#client.close();
  }

  async #listOnce<T>(start: Buffer, end: Buffer): Promise<ListResult<T>> {
    const first = await this.#range({ key: start, range_end: end, limit: this.#pageSize });
    const revision = revisionOf(first.header.revision);
    const items = first.kvs.map((kv) => decodeObject<T>(this.#layout, kv));
    let page = first;
    while (page.more && page.kvs.length > 0) {
      const last = page.kvs[page.kvs.length - 1]?.key ?? start;
      page = await this.#range({ key: Buffer.concat([last, Buffer.from([0])]), range_end: end, limit: this.#pageSize, revision });
      for (const kv of page.kvs) items.push(decodeObject<T>(this.#layout, kv));
    }
    return { items, revision };
  }

  /** The put of a kind's write mark, part of every write's transaction. */
  #mark(kind: string): IRequestOp {
    return { request_put: { key: this.#layout.mark(kind), value: Buffer.alloc(0) } };
  }

  async #getKv(key: Buffer): Promise<IKeyValue | undefined> {
    const response = await this.#range({ key });
    return response.kvs[0];
  }

  /** A linearizable range read, retried on transient errors until the request timeout. */
  async #range(request: IRangeRequest): Promise<IRangeResponse> {
    const deadline = Date.now() + this.#readTimeoutMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
      this.#assertOpen();
      try {
        const response = await this.#client.kv.range(request);
        this.#observe(revisionOf(response.header.revision));
        return response;
      } catch (error: unknown) {
        if (this.#closed) throw new StoreClosedError();
        if (!isTransientError(error) || Date.now() + delay > deadline) throw error;
      }
      await sleep(delay);
    }
  }

  /**
   * One transaction, sent once (after the start of any watch called before it is known); with a guard, its key's
   * create revision is compared too (read back when it fails).
   */
  async #txn(compare: ICompare[], success: IRequestOp[], failure: IRequestOp[], guard?: WriteGuard): Promise<ITxnResponse> {
    this.#assertOpen();
    await this.#watchStarts;
    const guardKey = guard && Buffer.from(guard.key);
    const compares: ICompare[] = guardKey ? [...compare, { key: guardKey, target: 'Create', result: 'Equal', create_revision: guard.createRevision }] : compare;
    const failures = guardKey ? [...failure, { request_range: { key: guardKey } }] : failure;
    let response: ITxnResponse;
    try {
      response = await this.#client.kv.txn({ compare: compares, success, failure: failures });
    } catch (error: unknown) {
      if (this.#closed) throw new StoreClosedError();
      throw error;
    }
    this.#observe(revisionOf(response.header.revision));
    if (guard && !response.succeeded) {
      const holder = response.responses.at(-1)?.response_range?.kvs[0];
      if (revisionOf(holder?.create_revision ?? 0) !== guard.createRevision) throw new WriteGuardError(guard.key);
    }
    return response;
  }

  /** The revision of a committed write, after compacting history when it is due. */
  async #written(response: ITxnResponse): Promise<number> {
    const revision = revisionOf(response.header.revision);
    if (this.#compact && revision - this.#compactedTo > this.#historyLimit + this.#compactSlack) await this.#compactTo(revision);
    return revision;
  }

  /**
   * Compacts etcd to `revision - historyLimit`, but not past the start of this store's watches that
   * etcd may still be replaying history to (a watch called just before a burst of writes must not
   * lose its start); skipped when that leaves less than a tenth of historyLimit to gain.
   */
  async #compactTo(revision: number): Promise<void> {
    let target = revision - this.#historyLimit;
    const now = Date.now();
    for (const watch of this.#watches) target = Math.min(target, watch.historyNeeded(now) ?? target);
    if (target - this.#compactedTo < this.#compactSlack) return;
    this.#compactedTo = target;
    try {
      await this.#client.kv.compact({ revision: target });
    } catch {
      // Already compacted further (by another replica), or etcd is briefly unreachable: the write itself
      // succeeded, and a write historyLimit / 10 revisions later tries again.
    }
  }

  #observe(revision: number): void {
    if (revision > this.#seen) this.#seen = revision;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }
}

/** The object a write stored, decoded afresh so that it shares nothing with the caller's data. */
function written<T>(kind: string, id: string, revision: number, created: string, dataJson: string): StoredObject<T> {
  return { kind, id, resourceVersion: revision, created, data: JSON.parse(dataJson) as T };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
