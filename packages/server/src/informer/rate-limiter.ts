import { realClock, type Clock } from './clock.js';

/**
 * Decides how long a failed item waits before it is retried (client-go `workqueue.RateLimiter`).
 *
 * Contract: `when(item)` records one more failure of `item` and returns the delay in milliseconds before it
 * may be processed again. `forget(item)` clears the item's history; call it when the item succeeded (or is
 * given up on). `numRequeues(item)` is the number of failures recorded since the last `forget`.
 */
export interface RateLimiter<T> {
  when(item: T): number;
  forget(item: T): void;
  numRequeues(item: T): number;
}

/** Options for {@link ExponentialFailureRateLimiter}; both fields optional. */
export interface ExponentialBackoffOptions {
  /** Delay after the first failure. Default 5 ms. */
  baseMs?: number;
  /** Upper bound on the delay. Default 1000 s. */
  maxMs?: number;
}

/** Per-item exponential backoff: `baseMs * 2^failures`, capped at `maxMs`. */
export class ExponentialFailureRateLimiter<T> implements RateLimiter<T> {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #failures = new Map<T, number>();

  constructor(options: ExponentialBackoffOptions = {}) {
    this.#baseMs = options.baseMs ?? 5;
    this.#maxMs = options.maxMs ?? 1_000_000;
  }

  when(item: T): number {
    const failures = this.#failures.get(item) ?? 0;
    this.#failures.set(item, failures + 1);
    // 2 ** failures overflows to Infinity for large counts; Math.min keeps the cap.
    return Math.min(this.#baseMs * 2 ** failures, this.#maxMs);
  }

  forget(item: T): void {
    this.#failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.#failures.get(item) ?? 0;
  }
}

/** Options for {@link TokenBucketRateLimiter}; all fields optional. */
export interface TokenBucketOptions {
  /** Sustained rate of retries, all items together. Default 10 per second. */
  qps?: number;
  /** Retries allowed at once before the rate applies. Default 100. */
  burst?: number;
  clock?: Clock;
}

/**
 * One token bucket shared by all items (golang.org/x/time/rate `Reserve`): each `when` takes a token and
 * returns how long until that token exists. It keeps no per-item state.
 */
export class TokenBucketRateLimiter<T> implements RateLimiter<T> {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(options: TokenBucketOptions = {}) {
    this.#qps = options.qps ?? 10;
    this.#burst = options.burst ?? 100;
    this.#clock = options.clock ?? realClock;
    this.#tokens = this.#burst;
    this.#last = this.#clock.now();
  }

  when(_item: T): number {
    const now = this.#clock.now();
    const refill = ((now - this.#last) * this.#qps) / 1000;
    this.#tokens = Math.min(this.#burst, this.#tokens + refill) - 1;
    this.#last = now;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#qps;
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

/** The longest delay of several limiters; `forget` goes to all of them. */
export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  readonly #limiters: readonly RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    this.#limiters = limiters;
  }

  when(item: T): number {
    return Math.max(0, ...this.#limiters.map((l) => l.when(item)));
  }

  forget(item: T): void {
    for (const l of this.#limiters) l.forget(item);
  }

  numRequeues(item: T): number {
    return Math.max(0, ...this.#limiters.map((l) => l.numRequeues(item)));
  }
}

/** Options for {@link defaultControllerRateLimiter}: those of both limiters it combines. */
export interface ControllerRateLimiterOptions extends ExponentialBackoffOptions, TokenBucketOptions {}

/**
 * client-go's `DefaultControllerRateLimiter`: per-item exponential backoff (5 ms .. 1000 s) and, over all
 * items, a token bucket (10 qps, burst 100); an item waits for whichever is longer.
 */
export function defaultControllerRateLimiter<T>(options: ControllerRateLimiterOptions = {}): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(new ExponentialFailureRateLimiter<T>(options), new TokenBucketRateLimiter<T>(options));
}
