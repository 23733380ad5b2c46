import { StoreClosedError, type WatchEvent, type WatchEventType } from './types.js';

/**
 * A change as a backend records it, with the object's data still JSON-encoded, so that one published
 * event can be buffered by many watchers and each delivery decodes a fresh copy.
 */
export interface EncodedEvent {
  type: WatchEventType;
  revision: number;
  kind: string;
  id: string;
  created: string;
  /** JSON text of the object's data (for `deleted`, the data as it was before deletion). */
  json: string;
}

/** Decodes an event into a new WatchEvent that shares nothing with `event` or earlier decodes. */
export function decodeEvent<T>(event: EncodedEvent): WatchEvent<T> {
  return {
    type: event.type,
    revision: event.revision,
    object: {
      kind: event.kind,
      id: event.id,
      resourceVersion: event.revision,
      created: event.created,
      data: JSON.parse(event.json) as T,
    },
  };
}

/** Reads recorded history: events with revision > afterRevision (of `kind` when given), in revision order. */
export type ReplayFn = (
  afterRevision: number,
  kind: string | undefined,
) => Iterable<EncodedEvent> | AsyncIterable<EncodedEvent>;

export interface HubWatchOptions {
  /** Only events of this kind; all kinds when absent. */
  kind?: string;
  /** Deliver events with revision > fromRevision: first replayed history, then live events. */
  fromRevision: number;
  /** Aborting ends the watch: pending and later `next()` calls resolve `done`. */
  signal?: AbortSignal;
  /**
   * Called once, by `watch()`, right after the live listener is registered. It may throw (for example
   * StoreCompactedError); the error is then raised from the iterator after any replayed events.
   */
  replay: ReplayFn;
}

/**
 * In-process fan-out of committed changes to watchers, shared by the store backends.
 *
 * Contract:
 * - The backend calls `publish` once per committed change, in strictly increasing revision order.
 * - A watch starts when `watch()` is called: it registers for live events, then reads history with
 *   `replay`. Live events that arrive while history is read are held back and delivered after it, minus any
 *   the history already covered, so a watcher sees every revision > fromRevision exactly once, in order.
 * - Each watcher has its own unbounded queue; a slow consumer never blocks `publish` or other watchers.
 *   A watch that is never iterated keeps queueing until it is ended: iterate or abort every watch.
 * - `return()` (a `break` out of `for await`), an aborted signal, or `close()` end a watch: the iterator
 *   returns `done`, discarding anything still queued. A watch created after `close()` rejects with
 *   StoreClosedError.
 */
export class WatchHub {
  readonly #listeners = new Set<LiveListener>();
  #closed = false;

  /** Delivers a committed change to every started watch (each applies its own kind filter). */
  publish(event: EncodedEvent): void {
    for (const listener of this.#listeners) listener.onLive(event);
  }

  /** Starts a watch and returns its (single-use) iterator. */
  watch<T>(options: HubWatchOptions): AsyncIterableIterator<WatchEvent<T>> {
    const registry: Registry = {
      add: (w) => this.#listeners.add(w),
      remove: (w) => this.#listeners.delete(w),
    };
    return new HubWatch<T>(registry, options, this.#closed);
  }

  /** Number of started, not yet ended watches. */
  get size(): number {
    return this.#listeners.size;
  }

  /** Ends every watch and refuses new ones. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const listener of [...this.#listeners]) listener.end();
    this.#listeners.clear();
  }
}

interface LiveListener {
  onLive(event: EncodedEvent): void;
  end(): void;
}

interface Registry {
  add(listener: LiveListener): void;
  remove(listener: LiveListener): void;
}

interface Waiter<T> {
  resolve(result: IteratorResult<WatchEvent<T>>): void;
  reject(error: unknown): void;
}

type State = 'replaying' | 'live' | 'ended';

const DONE = { done: true, value: undefined } as const;

class HubWatch<T> implements AsyncIterableIterator<WatchEvent<T>>, LiveListener {
  readonly #registry: Registry;
  readonly #options: HubWatchOptions;
  readonly #queue = new ArrayQueue<EncodedEvent>();
  #waiters: Waiter<T>[] = [];
  /** Live events that arrived while history was being replayed. */
  #heldBack: EncodedEvent[] = [];
  #state: State = 'replaying';
  #error: unknown = undefined;
  #hasError = false;
  /** Highest revision queued or delivered; anything at or below it is a duplicate. */
  #last: number;
  readonly #onAbort = (): void => this.end();

  constructor(registry: Registry, options: HubWatchOptions, closed: boolean) {
    this.#registry = registry;
    this.#options = options;
    this.#last = options.fromRevision;
    if (closed) {
      this.#fail(new StoreClosedError());
    } else if (options.signal?.aborted) {
      this.#state = 'ended';
    } else {
      options.signal?.addEventListener('abort', this.#onAbort, { once: true });
      this.#registry.add(this);
      void this.#replay();
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchEvent<T>> {
    return this;
  }

  next(): Promise<IteratorResult<WatchEvent<T>>> {
    const event = this.#queue.shift();
    if (event !== undefined) return Promise.resolve({ done: false, value: decodeEvent<T>(event) });
    if (this.#hasError) return Promise.reject(this.#takeError());
    if (this.#state === 'ended') return Promise.resolve(DONE);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<WatchEvent<T>>> {
    this.end();
    return Promise.resolve(DONE);
  }

  /** Called by the hub for every published event once this watch is registered. */
  onLive(event: EncodedEvent): void {
    if (this.#state === 'replaying') this.#heldBack.push(event);
    else if (this.#state === 'live') this.#accept(event);
  }

  /** Ends the watch normally: waiters and later `next()` calls get `done`. */
  end(): void {
    this.#state = 'ended';
    this.#detach();
    this.#queue.clear();
    this.#heldBack = [];
    this.#takeError();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.resolve(DONE);
  }

  /** Runs synchronously to the end when `replay` returns a synchronous iterable. */
  async #replay(): Promise<void> {
    try {
      const history = this.#options.replay(this.#options.fromRevision, this.#options.kind);
      if (Symbol.iterator in history) {
        for (const event of history) this.#accept(event);
      } else {
        for await (const event of history) {
          if (this.#state === 'ended') return;
          this.#accept(event);
        }
      }
    } catch (error: unknown) {
      if (this.#state !== 'ended') this.#fail(error);
      return;
    }
    if (this.#state !== 'replaying') return;
    for (const event of this.#heldBack) this.#accept(event);
    this.#heldBack = [];
    this.#state = 'live';
  }

  #accept(event: EncodedEvent): void {
    if (this.#state === 'ended' || event.revision <= this.#last) return;
    if (this.#options.kind !== undefined && event.kind !== this.#options.kind) return;
    this.#last = event.revision;
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve({ done: false, value: decodeEvent<T>(event) });
    else this.#queue.push(event);
  }

  /** Ends the watch with an error, raised after the events already queued. */
  #fail(error: unknown): void {
    this.#state = 'ended';
    this.#detach();
    this.#heldBack = [];
    const [first, ...rest] = this.#waiters;
    this.#waiters = [];
    if (first) {
      first.reject(error);
      for (const waiter of rest) waiter.resolve(DONE);
    } else {
      this.#error = error;
      this.#hasError = true;
    }
  }

  #takeError(): unknown {
    const error = this.#error;
    this.#error = undefined;
    this.#hasError = false;
    return error;
  }

  #detach(): void {
    this.#registry.remove(this);
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
  }
}

/** FIFO queue over an array with a moving head, so that `shift` is O(1) amortized. */
class ArrayQueue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
