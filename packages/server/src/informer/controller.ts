import type { StoredObject } from '../store/types.js';
import type { EventHandler, Informer } from './informer.js';
import { noopLogger, type Logger } from './logger.js';
import { RateLimitingQueue, type WorkQueue } from './workqueue.js';

/**
 * Reconciles one key (sample-controller `syncHandler`).
 *
 * Contract: read the object from an informer (not the store); missing means deleted, so return. Compute the
 * desired state, write children, write status last. Throw to be retried with backoff; absorb permanent
 * errors (record a condition) rather than throwing them forever. Stop early when `signal` aborts.
 */
export type SyncFunc = (key: string, signal: AbortSignal) => Promise<void>;

/** A cache the controller waits for before starting workers; {@link Informer} is one. */
export interface CacheSync {
  /** Resolves once the cache is filled; rejects with the signal's reason if it aborts first. */
  synced(signal?: AbortSignal): Promise<void>;
}

/**
 * When controllers may work (see replicas/gate.ts: while this replica leads). Workers wait for `whenOpen`
 * before taking a key, and sync with `termSignal()`, which aborts when the leadership they began under ends.
 */
export interface ControllerGate {
  /** Exact now. */
  isOpen(): boolean;
  /** Resolves once open (at once if it is), or when `signal` aborts. */
  whenOpen(signal: AbortSignal): Promise<void>;
  /** Aborts when the current opening ends (already aborted while closed). */
  termSignal(): AbortSignal;
}

/** The part of an informer the event wiring needs. */
export type InformerEvents<T> = Pick<Informer<T>, 'addHandler'>;

/** Options for {@link Controller}: `name` and `sync` are required, the rest have defaults. */
export interface ControllerOptions {
  /** Used in logs. */
  name: string;
  sync: SyncFunc;
  /** Caches that must be synced before the first sync runs. */
  informers?: readonly CacheSync[];
  /** Default: a {@link RateLimitingQueue} with the default controller rate limiter. */
  queue?: WorkQueue<string>;
  /** Concurrent syncs (never two for the same key). Default 1. */
  workers?: number;
  /** Failed syncs of one key retried before it is dropped (until its next event). Default 15. */
  maxRetries?: number;
  logger?: Logger;
}

/**
 * Runs a sync function over a work queue of keys (sample-controller `Controller`).
 *
 * Contract: `run` waits for the informers to sync, starts the workers, and on abort shuts the queue down,
 * lets in-flight syncs finish and resolves; a controller runs once. Only `processNextWorkItem` knows about
 * retries: success forgets the key's backoff, a throw re-adds it rate limited (up to `maxRetries`, then the
 * key is dropped and logged), and the key is always marked done.
 */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue<string>;
  readonly #sync: SyncFunc;
  readonly #informers: readonly CacheSync[];
  readonly #workers: number;
  readonly #maxRetries: number;
  readonly #log: Logger;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.#sync = options.sync;
    this.#informers = options.informers ?? [];
    this.queue = options.queue ?? new RateLimitingQueue<string>();
    this.#workers = options.workers ?? 1;
    this.#maxRetries = options.maxRetries ?? 15;
    this.#log = options.logger ?? noopLogger;
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /**
   * Enqueues `keyOf(obj)` (default: the object's id) on every add, update and delete of the informer's kind.
   * Returns a function that stops it.
   */
  watch<T>(informer: InformerEvents<T>, keyOf: (obj: StoredObject<T>) => string = (obj) => obj.id): () => void {
    return informer.addHandler({
      add: (obj) => this.enqueue(keyOf(obj)),
      update: (oldObj, newObj) => {
        if (oldObj.resourceVersion !== newObj.resourceVersion) this.enqueue(keyOf(newObj));
      },
      delete: (obj) => this.enqueue(keyOf(obj)),
    });
  }

  /**
   * Enqueues the keys `resolver` returns for a changed object of another kind (wrangler `relatedresource`),
   * e.g. a node's cluster id. On update both the old and the new object are resolved, so a moved child
   * enqueues its old and new owner. Returns a function that stops it.
   */
  watchRelated<T>(informer: InformerEvents<T>, resolver: (obj: StoredObject<T>) => readonly string[]): () => void {
    const enqueueAll = (...objs: StoredObject<T>[]): void => {
      for (const key of new Set(objs.flatMap((obj) => resolver(obj)))) this.enqueue(key);
    };
    const handler: EventHandler<T> = {
      add: (obj) => enqueueAll(obj),
      update: (oldObj, newObj) => {
        if (oldObj.resourceVersion !== newObj.resourceVersion) enqueueAll(oldObj, newObj);
      },
      delete: (obj) => enqueueAll(obj),
    };
    return informer.addHandler(handler);
  }

  /**
   * Runs the workers until `signal` aborts. With a `gate` (this replica's leadership), keys are only synced
   * while it is open: meanwhile they wait in the queue (so a new leader starts with every key its informers
   * replayed and every change since), and a sync in flight is aborted when the leadership it began under ends.
   */
  async run(signal: AbortSignal, gate?: ControllerGate): Promise<void> {
    const stop = (): void => this.queue.shutDown();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    try {
      await Promise.all(this.#informers.map((informer) => informer.synced(signal)));
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    this.#log.info({ controller: this.name, workers: this.#workers }, 'caches synced; starting workers');
    const workers = Array.from({ length: this.#workers }, () => this.#runWorker(signal, gate));
    await Promise.all(workers);
    await this.queue.shutDownWithDrain();
    this.#log.info({ controller: this.name }, 'controller stopped');
  }

  /**
   * Takes one key from the queue and syncs it, handling the outcome. Resolves false once the queue is shut
   * down (or `signal` aborted), true otherwise. `run` calls it in a loop; tests may call it directly.
   */
  async processNextWorkItem(signal: AbortSignal, gate?: ControllerGate): Promise<boolean> {
    const key = await this.queue.get();
    if (key === undefined) return false;
    let putBack = false;
    try {
      if (signal.aborted) return false;
      if (gate && !gate.isOpen()) {
        putBack = true;
        return true;
      }
      await this.#sync(key, gate ? AbortSignal.any([signal, gate.termSignal()]) : signal);
      this.queue.forget(key);
    } catch (err) {
      // Stopped by the end of this replica's leadership: the key waits for the next leader, not for a retry.
      // (A write refused for not leading, see replicas/fenced-store.ts, is one of those: the gate is closed then.)
      if (gate && !gate.isOpen()) putBack = true;
      else this.#handleError(key, err, signal);
    } finally {
      this.queue.done(key);
      if (putBack) this.queue.add(key);
    }
    return true;
  }

  async #runWorker(signal: AbortSignal, gate?: ControllerGate): Promise<void> {
    for (;;) {
      if (gate) await gate.whenOpen(signal);
      if (!(await this.processNextWorkItem(signal, gate))) return;
    }
  }

  #handleError(key: string, err: unknown, signal: AbortSignal): void {
    if (signal.aborted) {
      this.#log.debug({ controller: this.name, key, err }, 'sync interrupted by shutdown');
      return;
    }
    const retries = this.queue.numRequeues(key);
    if (retries < this.#maxRetries) {
      this.#log.warn({ controller: this.name, key, err, retries }, 'sync failed; will retry');
      this.queue.addRateLimited(key);
      return;
    }
    this.#log.error({ controller: this.name, key, err, retries }, 'sync failed too many times; dropping key');
    this.queue.forget(key);
  }
}
