import type { Duplex } from 'node:stream';
import type { IDuplexStream, IEvent, IWatchRequest, IWatchResponse } from 'etcd3';
import { StoreClosedError, StoreCompactedError, type WatchEvent } from '../types.js';
import { decodeObject, prefixEnd, revisionOf, type KeyLayout } from './codec.js';
import { isTransientError } from './etcd-client.js';

/** etcd3 types its watch stream narrowly; at run time it is a grpc-js ClientDuplexStream, a Node Duplex. */
export type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse> & Pick<Duplex, 'pause' | 'resume' | 'writable'>;

export interface EtcdWatchOptions {
  layout: KeyLayout;
  /** One kind, or every kind under the prefix. */
  kind?: string;
  /** Deliver changes with revision > fromRevision; a promise when the store is still reading it. */
  fromRevision: number | Promise<number>;
  signal?: AbortSignal;
  /** Opens a new gRPC watch stream (on whichever member the client picks). */
  open: () => Promise<WatchStream>;
  /** Every header revision seen, for the store's newest-seen revision. */
  observe: (revision: number) => void;
  /** Called once when the watch ends, however it ends (possibly from the constructor). */
  onEnd: (watch: EtcdWatch<unknown>) => void;
  /** Set when the store is already closed: the watch fails at once with StoreClosedError. */
  closed?: boolean;
}

/**
 * How long after its stream is accepted a watch still holds back the store's own compaction: etcd replays
 * history to a new watch in the background (up to 1000 revisions every 100 ms), and compacting past the
 * watch's start meanwhile would cancel it.
 */
export const CATCH_UP_GRACE_MS = 10_000;
const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2_000;
/** Queued events above which the stream is paused (etcd then holds the rest), and below which it resumes. */
const HIGH_WATER = 1_000;
const LOW_WATER = 100;

const DONE = { done: true, value: undefined } as const;

/**
 * One store watch on its own etcd watch stream: `start_revision` = fromRevision + 1, `prev_kv` for the
 * data of deletes.
 *
 * Contract:
 * - Delivers every change after fromRevision in revision order (a foreign transaction that wrote several
 *   keys gives several events with one revision).
 * - When the stream breaks (member restarted or gone, leader lost), it reconnects with backoff
 *   (50 ms doubling to 2 s), to any endpoint, from the revision after the last delivered event: no gap,
 *   no duplicate.
 * - etcd reporting the start revision compacted, or a delete whose previous value is already compacted,
 *   fails the watch with StoreCompactedError (after the events already queued): the caller relists.
 * - `return()`, the signal, or the store's close end it: `next()` resolves `done`, queued events dropped.
 * - A slow consumer pauses the stream above HIGH_WATER queued events (HTTP/2 flow control; etcd keeps
 *   the rest), so memory stays bounded.
 */
export class EtcdWatch<T> implements AsyncIterableIterator<WatchEvent<T>> {
  readonly #options: EtcdWatchOptions;
  readonly #key: Buffer;
  readonly #rangeEnd: Buffer;
  #queue: WatchEvent<T>[] = [];
  #head = 0;
  #waiters: { resolve: (r: IteratorResult<WatchEvent<T>>) => void; reject: (e: unknown) => void }[] = [];
  #ended = false;
  #error: { value: unknown } | undefined;
  /** The revision the next stream starts from: one past the last delivered event. */
  #next = 0;
  /** The start revision, while the store is still reading it. */
  #pendingStart: Promise<number> | undefined;
  #stream: WatchStream | undefined;
  #paused = false;
  /** When etcd accepted the current stream; undefined while (re)connecting. */
  #establishedAt: number | undefined;
  #wake: (() => void) | undefined;
  readonly #onAbort = (): void => this.end();

  constructor(options: EtcdWatchOptions) {
    this.#options = options;
    this.#key = options.layout.range(options.kind);
    this.#rangeEnd = prefixEnd(this.#key);
    const from = options.fromRevision;
    if (typeof from === 'number') this.#next = from + 1;
    else this.#pendingStart = from;
    if (options.closed) {
      this.#fail(new StoreClosedError());
    } else if (typeof from === 'number' && (!Number.isSafeInteger(from) || from < 0)) {
      this.#fail(new RangeError(`fromRevision must be a non-negative integer, got ${from}`));
    } else if (options.signal?.aborted) {
      this.end();
    } else {
      options.signal?.addEventListener('abort', this.#onAbort, { once: true });
      void this.#run();
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchEvent<T>> {
    return this;
  }

  /** True once the watch has ended (its queued events or error may still be waiting for `next()`). */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * The oldest revision this watch may still need from etcd's history: the revision it (re)starts from,
   * while it is connecting or within CATCH_UP_GRACE_MS of being accepted; undefined once it is settled.
   * The store does not compact past it.
   */
  historyNeeded(now: number): number | undefined {
    if (this.#ended || this.#pendingStart) return undefined;
    if (this.#establishedAt !== undefined && now - this.#establishedAt >= CATCH_UP_GRACE_MS) return undefined;
    return this.#next;
  }

  next(): Promise<IteratorResult<WatchEvent<T>>> {
    const event = this.#shift();
    if (event !== undefined) return Promise.resolve({ done: false, value: event });
    if (this.#error) {
      const { value } = this.#error;
      this.#error = undefined;
      return Promise.reject(value);
    }
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<WatchEvent<T>>> {
    this.end();
    return Promise.resolve(DONE);
  }

  /** Ends the watch normally: waiters and later `next()` calls get `done`. Idempotent. */
  end(): void {
    this.#queue = [];
    this.#head = 0;
    this.#error = undefined;
    this.#finish();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.resolve(DONE);
  }

  /** Connects, consumes, and reconnects until the watch ends. */
  async #run(): Promise<void> {
    if (this.#pendingStart) {
      try {
        this.#next = (await this.#pendingStart) + 1;
      } catch (error: unknown) {
        return this.#fail(error);
      }
      this.#pendingStart = undefined;
    }
    let delay = MIN_BACKOFF_MS;
    while (!this.#ended) {
      let stream: WatchStream;
      try {
        stream = await this.#options.open();
      } catch (error: unknown) {
        if (this.#ended) return;
        if (!isTransientError(error)) return this.#fail(error);
        await this.#sleep(delay);
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
        continue;
      }
      if (this.#ended) return closeStream(stream);
      const established = await this.#consume(stream);
      if (this.#ended) return;
      if (established) delay = MIN_BACKOFF_MS;
      await this.#sleep(delay);
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }

  /** Runs one stream until it breaks or the watch ends; true when etcd had accepted the watch. */
  #consume(stream: WatchStream): Promise<boolean> {
    return new Promise((resolve) => {
      let established = false;
      let settled = false;
      const settle = (): void => {
        if (settled) return;
        settled = true;
        if (this.#stream === stream) this.#stream = undefined;
        this.#establishedAt = undefined;
        this.#paused = false;
        closeStream(stream);
        resolve(established);
      };
      this.#stream = stream;
      this.#wake = settle;
      stream.on('error', settle);
      stream.on('end', settle);
      stream.on('data', (response: IWatchResponse) => {
        if (settled || this.#ended) return;
        try {
          this.#options.observe(revisionOf(response.header.revision));
          const compacted = revisionOf(response.compact_revision);
          if (compacted > 0) {
            this.#fail(new StoreCompactedError(this.#next - 1, compacted));
          } else if (response.created) {
            if (response.canceled) this.#fail(new Error(`etcd refused the watch: ${response.cancel_reason || 'no reason given'}`));
            else {
              established = true;
              this.#establishedAt = Date.now();
            }
          } else if (response.canceled) {
            settle(); // e.g. the member lost its leader: watch again, from where we are
          } else {
            this.#deliver(response.events);
          }
        } catch (error: unknown) {
          this.#fail(error);
        }
        if (this.#ended) settle();
      });
      stream.write({ create_request: { key: this.#key, range_end: this.#rangeEnd, start_revision: this.#next, prev_kv: true } });
    });
  }

  /** Queues one response's events; `#next` moves only at response boundaries, so a reconnect never splits a revision. */
  #deliver(events: IEvent[]): void {
    let last = 0;
    for (const event of events) {
      const decoded = this.#decode(event);
      if (decoded.revision < this.#next) continue;
      last = decoded.revision;
      const waiter = this.#waiters.shift();
      if (waiter) waiter.resolve({ done: false, value: decoded });
      else this.#queue.push(decoded);
    }
    if (last > 0) this.#next = last + 1;
    if (!this.#paused && this.#queue.length - this.#head > HIGH_WATER && this.#stream) {
      this.#paused = true;
      this.#stream.pause();
    }
  }

  #decode(event: IEvent): WatchEvent<T> {
    const revision = revisionOf(event.kv.mod_revision);
    const { layout } = this.#options;
    if (event.type === 'Delete') {
      // etcd leaves prev_kv out when the revision before the delete is already compacted.
      if (!event.prev_kv?.key?.length) throw new StoreCompactedError(revision - 1, revision);
      return { type: 'deleted', revision, object: decodeObject<T>(layout, event.prev_kv, revision) };
    }
    const type = event.kv.create_revision === event.kv.mod_revision ? 'added' : 'modified';
    return { type, revision, object: decodeObject<T>(layout, event.kv, revision) };
  }

  #shift(): WatchEvent<T> | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const event = this.#queue[this.#head];
    this.#queue[this.#head] = undefined as unknown as WatchEvent<T>;
    this.#head++;
    const left = this.#queue.length - this.#head;
    if (left === 0) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (this.#paused && left <= LOW_WATER && this.#stream) {
      this.#paused = false;
      this.#stream.resume();
    }
    return event;
  }

  /** Ends the watch with an error, raised after the events already queued. */
  #fail(error: unknown): void {
    if (this.#ended) return;
    this.#finish();
    const [first, ...rest] = this.#waiters;
    this.#waiters = [];
    if (first) {
      first.reject(error);
      for (const waiter of rest) waiter.resolve(DONE);
    } else {
      this.#error = { value: error };
    }
  }

  /** Marks the watch ended, closes its stream and unregisters it. */
  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream) closeStream(stream);
    this.#wake?.();
    this.#options.onEnd(this as EtcdWatch<unknown>);
  }

  /** Waits `ms`, or less if the watch ends meanwhile. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/**
 * Ends a watch stream. The writable side is ended first: etcd3 resets every connection to a member when a
 * still-writable stream reports an error, and cancel() reports CANCELLED.
 */
function closeStream(stream: WatchStream): void {
  stream.on('error', ignore);
  if (stream.writable) stream.end();
  stream.cancel();
}

function ignore(): void {}
