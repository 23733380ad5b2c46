import { realClock, type Clock } from './clock.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

/**
 * A queue of work items, usually object keys (client-go `util/workqueue`).
 *
 * Contract:
 * - Fair: items are handed out in the order they were added.
 * - Stingy: an item added several times before it is handed out is handed out once.
 * - One at a time: an item is not handed out again while it is being processed; adding it meanwhile marks it
 *   dirty, and `done` puts it back at the end of the queue.
 * - Every item returned by `get` must be passed to `done` exactly once.
 * - Delayed: `addAfter(item, ms)` adds the item no sooner than `ms` from now (at once when `ms <= 0`); of
 *   several pending delays for one item the earliest wins.
 * - Rate limited: `addRateLimited(item)` is `addAfter(item, rateLimiter.when(item))`; `forget` clears the
 *   item's backoff and `numRequeues` reports it.
 * - Shutdown: after `shutDown`, adds are ignored and pending delays dropped; `get` hands out what is left,
 *   then resolves `undefined` (immediately, for every waiting and later caller). `shutDownWithDrain`
 *   also waits until every handed-out item is `done`.
 */
export interface WorkQueue<T> {
  add(item: T): void;
  addAfter(item: T, ms: number): void;
  addRateLimited(item: T): void;
  forget(item: T): void;
  numRequeues(item: T): number;
  get(): Promise<T | undefined>;
  done(item: T): void;
  /** Items waiting to be handed out (not counting delayed or processing ones). */
  len(): number;
  shutDown(): void;
  shutDownWithDrain(): Promise<void>;
  shuttingDown(): boolean;
}

/** Options for {@link RateLimitingQueue}; every field is optional. */
export interface WorkQueueOptions<T> {
  /** Default: {@link defaultControllerRateLimiter} on `clock`. */
  rateLimiter?: RateLimiter<T>;
  clock?: Clock;
}

/** A pending `addAfter`: when it falls due, and how to cancel its timer. */
interface Delayed {
  at: number;
  cancel: () => void;
}

/** The {@link WorkQueue}, built as client-go's `queue.go`: a FIFO plus the `dirty` and `processing` sets. */
export class RateLimitingQueue<T = string> implements WorkQueue<T> {
  readonly #rateLimiter: RateLimiter<T>;
  readonly #clock: Clock;
  /** FIFO of items to hand out; `#head` is the index of the next one. */
  #queue: T[] = [];
  #head = 0;
  /** Items that need processing: queued, or re-added while processing. */
  readonly #dirty = new Set<T>();
  readonly #processing = new Set<T>();
  readonly #delayed = new Map<T, Delayed>();
  #getters: (() => void)[] = [];
  #drainers: (() => void)[] = [];
  #shuttingDown = false;

  constructor(options: WorkQueueOptions<T> = {}) {
    this.#clock = options.clock ?? realClock;
    this.#rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<T>({ clock: this.#clock });
  }

  add(item: T): void {
    if (this.#shuttingDown || this.#dirty.has(item)) return;
    this.#dirty.add(item);
    if (this.#processing.has(item)) return;
    this.#push(item);
  }

  addAfter(item: T, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(item);
      return;
    }
    const at = this.#clock.now() + ms;
    const pending = this.#delayed.get(item);
    if (pending) {
      if (pending.at <= at) return;
      pending.cancel();
    }
    const cancel = this.#clock.setTimer(() => {
      this.#delayed.delete(item);
      this.add(item);
    }, ms);
    this.#delayed.set(item, { at, cancel });
  }

  addRateLimited(item: T): void {
    this.addAfter(item, this.#rateLimiter.when(item));
  }

  forget(item: T): void {
    this.#rateLimiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.#rateLimiter.numRequeues(item);
  }

  async get(): Promise<T | undefined> {
    while (this.len() === 0 && !this.#shuttingDown) {
      await new Promise<void>((resolve) => this.#getters.push(resolve));
    }
    if (this.len() === 0) return undefined;
    const item = this.#queue[this.#head] as T; // len() > 0, so the slot is filled
    this.#head++;
    if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#processing.add(item);
    this.#dirty.delete(item);
    return item;
  }

  done(item: T): void {
    if (!this.#processing.delete(item)) return;
    if (this.#dirty.has(item)) this.#push(item);
    if (this.#processing.size === 0) this.#wakeDrainers();
  }

  len(): number {
    return this.#queue.length - this.#head;
  }

  shutDown(): void {
    this.#shuttingDown = true;
    for (const d of this.#delayed.values()) d.cancel();
    this.#delayed.clear();
    const getters = this.#getters;
    this.#getters = [];
    for (const wake of getters) wake();
  }

  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    while (this.#processing.size > 0) {
      await new Promise<void>((resolve) => this.#drainers.push(resolve));
    }
  }

  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  #push(item: T): void {
    this.#queue.push(item);
    this.#getters.shift()?.();
  }

  #wakeDrainers(): void {
    const drainers = this.#drainers;
    this.#drainers = [];
    for (const wake of drainers) wake();
  }
}
