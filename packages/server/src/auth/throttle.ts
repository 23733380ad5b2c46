import { ApiError } from '../api/errors.js';

/**
 * Failed-login throttling per key (a username, a client address). After `freeFailures` failures inside
 * `window`, each further attempt must wait an exponentially growing delay (capped), answered as 429 with
 * Retry-After. A success clears the key. Memory is bounded: entries expire after `window`.
 */
export interface ThrottleOptions {
  freeFailures?: number;
  windowMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  first: number;
  blockedUntil: number;
}

export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly #free: number;
  readonly #window: number;
  readonly #base: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: ThrottleOptions = {}) {
    this.#free = options.freeFailures ?? 5;
    this.#window = options.windowMs ?? 15 * 60_000;
    this.#base = options.baseDelayMs ?? 1000;
    this.#max = options.maxDelayMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Throws 429 when any of `keys` is blocked now. */
  check(keys: string[]): void {
    const now = this.#now();
    let wait = 0;
    for (const key of keys) {
      const e = this.#live(key, now);
      if (e && e.blockedUntil > now) wait = Math.max(wait, e.blockedUntil - now);
    }
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new ApiError('TooManyRequests', `too many failed logins; try again in ${seconds} s`).withHeader('Retry-After', String(seconds));
    }
  }

  failed(keys: string[]): void {
    const now = this.#now();
    for (const key of keys) {
      const e = this.#live(key, now) ?? { failures: 0, first: now, blockedUntil: 0 };
      e.failures++;
      if (e.failures >= this.#free) {
        e.blockedUntil = now + Math.min(this.#max, this.#base * 2 ** (e.failures - this.#free));
      }
      this.#entries.set(key, e);
    }
    if (this.#entries.size > 10_000) this.#sweep(now);
  }

  succeeded(keys: string[]): void {
    for (const key of keys) this.#entries.delete(key);
  }

  #live(key: string, now: number): Entry | undefined {
    const e = this.#entries.get(key);
    if (e && now - e.first > this.#window && e.blockedUntil <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  #sweep(now: number) {
    for (const key of [...this.#entries.keys()]) this.#live(key, now);
  }
}
