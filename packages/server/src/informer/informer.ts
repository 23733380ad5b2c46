import {
  StoreClosedError,
  StoreCompactedError,
  type ResourceStore,
  type StoredObject,
  type WatchEvent,
} from '../store/types.js';
import { Cache, deepFreeze, type IndexFunc, type Lister } from './cache.js';
import { noopLogger, type Logger } from './logger.js';

/**
 * Callbacks for changes to an informer's cache (client-go `ResourceEventHandler`).
 *
 * Contract: called synchronously, in revision order, after the cache (and `lastSyncRevision`) reflect the
 * change. Objects are frozen. `update` is called only when the resourceVersion changed. `delete` receives
 * the object as last known: from the delete event, or from the cache when a relist found it gone. Handlers
 * should be quick (typically they enqueue keys) and should not throw; a throw is logged and ignored.
 */
export interface EventHandler<T> {
  add?(obj: StoredObject<T>): void;
  update?(oldObj: StoredObject<T>, newObj: StoredObject<T>): void;
  delete?(obj: StoredObject<T>): void;
}

/** What an {@link Informer} watches (one kind of one store) and how it logs and retries. */
export interface InformerOptions {
  store: ResourceStore;
  kind: string;
  logger?: Logger;
  /** Wait between failed list/watch attempts: doubles from `initialMs` (100) up to `maxMs` (30 000). */
  retry?: { initialMs?: number; maxMs?: number };
}

/**
 * A local, read-only cache of one kind, kept current by list-then-watch (client-go `SharedIndexInformer`).
 *
 * Contract:
 * - `run` lists the kind, then watches from the list's revision. When the watch fails or its revision was
 *   compacted it waits (with backoff), relists, emits add/update/delete for what differs from the cache, and
 *   watches again. Run again after an abort, it resumes watching from `lastSyncRevision`. It returns when
 *   its signal aborts or the store is closed. One `run` at a time.
 * - Reads (`get`, `list`, `byIndex`) see every change the informer has applied; see {@link Lister}.
 * - `hasSynced` is true once the first list is in the cache. `waitForRevision(r)` resolves once the cache
 *   reflects a list or event at revision `r` or later; use it with the revision of a write to this kind
 *   (revisions of other kinds' writes are not seen until this kind changes again).
 */
export class Informer<T> implements Lister<T> {
  readonly kind: string;
  readonly #store: ResourceStore;
  readonly #log: Logger;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #cache = new Cache<T>();
  readonly #handlers = new Set<EventHandler<T>>();
  readonly #waiters = new Set<{ ready: () => boolean; resolve: () => void }>();
  #revision = 0;
  #synced = false;
  #running = false;

  constructor(options: InformerOptions) {
    this.kind = options.kind;
    this.#store = options.store;
    this.#log = options.logger ?? noopLogger;
    this.#initialDelayMs = options.retry?.initialMs ?? 100;
    this.#maxDelayMs = options.retry?.maxMs ?? 30_000;
  }

  get(id: string): StoredObject<T> | undefined {
    return this.#cache.get(id);
  }

  list(): StoredObject<T>[] {
    return this.#cache.list();
  }

  byIndex(indexName: string, value: string): StoredObject<T>[] {
    return this.#cache.byIndex(indexName, value);
  }

  /** Adds a named index (see {@link IndexFunc}); objects already cached are filed at once. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    this.#cache.addIndex(name, fn);
  }

  hasIndex(name: string): boolean {
    return this.#cache.hasIndex(name);
  }

  /**
   * Registers event callbacks; returns a function that unregisters them. A handler added after objects are
   * cached first gets `add` for each of them, as client-go does, unless `replay` is false (changes from
   * now on only, as a websocket subscriber wants).
   */
  addHandler(handler: EventHandler<T>, options: { replay?: boolean } = {}): () => void {
    this.#handlers.add(handler);
    if (options.replay !== false) for (const obj of this.#cache.list()) this.#call('add', () => handler.add?.(obj));
    return () => {
      this.#handlers.delete(handler);
    };
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves once the first list is in the cache; rejects with the signal's reason if it aborts first. */
  synced(signal?: AbortSignal): Promise<void> {
    return this.#wait(() => this.#synced, signal);
  }

  /** The store revision the cache reflects: that of the last list or watch event applied (0 before any). */
  lastSyncRevision(): number {
    return this.#revision;
  }

  /** Resolves once `lastSyncRevision() >= revision`; rejects with the signal's reason if it aborts first. */
  waitForRevision(revision: number, signal?: AbortSignal): Promise<void> {
    return this.#wait(() => this.#revision >= revision, signal);
  }

  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error(`informer for ${this.kind} is already running`);
    this.#running = true;
    let delayMs = this.#initialDelayMs;
    let needList = !this.#synced;
    try {
      while (!signal.aborted) {
        try {
          if (needList) {
            const { items, revision } = await this.#store.list<T>(this.kind);
            if (signal.aborted) break;
            this.#replace(items, revision);
            needList = false;
            // A good list ends the trouble that made it necessary: the next failure starts the backoff over.
            delayMs = this.#initialDelayMs;
          }
          const events = this.#store.watch<T>({ kind: this.kind, fromRevision: this.#revision, signal });
          for await (const event of events) {
            this.#apply(event);
            delayMs = this.#initialDelayMs;
          }
          if (signal.aborted) break;
          this.#log.info({ kind: this.kind }, 'watch ended; relisting');
        } catch (err) {
          if (signal.aborted) break;
          if (err instanceof StoreClosedError) {
            this.#log.info({ kind: this.kind }, 'store closed; informer stopped');
            return;
          }
          if (err instanceof StoreCompactedError) {
            this.#log.info({ kind: this.kind, err }, 'watch revision compacted; relisting');
          } else {
            this.#log.warn({ kind: this.kind, err }, 'list/watch failed; relisting');
          }
        }
        needList = true;
        await sleep(delayMs, signal);
        delayMs = Math.min(delayMs * 2, this.#maxDelayMs);
      }
    } finally {
      this.#running = false;
    }
  }

  /** Makes the cache equal to a fresh list and emits the differences. */
  #replace(items: StoredObject<T>[], revision: number): void {
    const added: StoredObject<T>[] = [];
    const updated: [StoredObject<T>, StoredObject<T>][] = [];
    const deleted: StoredObject<T>[] = [];
    const seen = new Set<string>();
    for (const obj of items) {
      seen.add(obj.id);
      const old = this.#cache.get(obj.id);
      if (old?.resourceVersion === obj.resourceVersion) continue;
      this.#cache.set(obj);
      if (old) updated.push([old, obj]);
      else added.push(obj);
    }
    for (const id of [...this.#cache.ids()]) {
      if (seen.has(id)) continue;
      const old = this.#cache.delete(id);
      if (old) deleted.push(old);
    }
    this.#revision = revision;
    this.#synced = true;
    for (const obj of added) this.#emit('add', (h) => h.add?.(obj));
    for (const [old, obj] of updated) this.#emit('update', (h) => h.update?.(old, obj));
    for (const obj of deleted) this.#emit('delete', (h) => h.delete?.(obj));
    this.#notify();
  }

  #apply(event: WatchEvent<T>): void {
    if (event.revision <= this.#revision) return; // already reflected (e.g. by a list)
    const obj = event.object;
    this.#revision = event.revision;
    if (event.type === 'deleted') {
      if (this.#cache.delete(obj.id)) {
        deepFreeze(obj);
        this.#emit('delete', (h) => h.delete?.(obj));
      }
    } else {
      const old = this.#cache.get(obj.id);
      if (old?.resourceVersion !== obj.resourceVersion) {
        this.#cache.set(obj);
        if (old) this.#emit('update', (h) => h.update?.(old, obj));
        else this.#emit('add', (h) => h.add?.(obj));
      }
    }
    this.#notify();
  }

  #emit(what: keyof EventHandler<T>, call: (handler: EventHandler<T>) => void): void {
    for (const handler of this.#handlers) this.#call(what, () => call(handler));
  }

  #call(what: keyof EventHandler<T>, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.#log.error({ kind: this.kind, err, handler: what }, 'informer event handler threw');
    }
  }

  #wait(ready: () => boolean, signal: AbortSignal | undefined): Promise<void> {
    if (ready()) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.delete(waiter);
        reject(signal?.reason);
      };
      const waiter = {
        ready,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #notify(): void {
    for (const waiter of this.#waiters) {
      if (!waiter.ready()) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
