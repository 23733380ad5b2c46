import { ApiError } from '../api/errors.js';

/**
 * Failed-login throttling per key (a username, a client address). After `freeFailures` failures inside
 * `window`, each further attempt must wait an exponentially growing delay (capped), answered as 429 with
 * Retry-After. A success clears the key. Memory is bounded: entries expire after `window`.
 */
export interface ThrottleOptions {
  /** Failures allowed before blocking; per key when a function (e.g. more for a shared client address). */
  freeFailures?: number | ((key: string) => number);
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
  readonly #inFlight = new Map<string, number>();
  readonly #free: (key: string) => number;
  readonly #window: number;
  readonly #base: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: ThrottleOptions = {}) {
    const free = options.freeFailures ?? 5;
    this.#free = typeof free === 'number' ? () => free : free;
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

  /**
   * Starts one attempt: throws 429 when a key is blocked, or when so many attempts are already running for
   * it that, should they all fail, it would be (parallel guesses are counted before they are verified).
   * Call the returned function with the outcome; a success clears only `clearOnSuccess` (the user's key,
   * never the client address's, which an attacker could otherwise reset with an account of their own).
   */
  begin(keys: string[], clearOnSuccess: string[] = []): (ok: boolean) => void {
    this.check(keys);
    const running = keys.map((key) => {
      const n = (this.#inFlight.get(key) ?? 0) + 1;
      const failures = this.#live(key, this.#now())?.failures ?? 0;
      return { key, n, over: failures + n > this.#free(key) };
    });
    if (running.some((r) => r.over)) {
      throw new ApiError('TooManyRequests', 'too many login attempts at once; try again in 1 s').withHeader('Retry-After', '1');
    }
    for (const r of running) this.#inFlight.set(r.key, r.n);
    let done = false;
    return (ok) => {
      if (done) return;
      done = true;
      for (const key of keys) {
        const n = (this.#inFlight.get(key) ?? 1) - 1;
        if (n > 0) this.#inFlight.set(key, n);
        else this.#inFlight.delete(key);
      }
      if (ok) this.succeeded(clearOnSuccess);
      else this.failed(keys);
    };
  }

  failed(keys: string[]): void {
    const now = this.#now();
    for (const key of keys) {
      const e = this.#live(key, now) ?? { failures: 0, first: now, blockedUntil: 0 };
      e.failures++;
      const free = this.#free(key);
      if (e.failures >= free) {
        e.blockedUntil = now + Math.min(this.#max, this.#base * 2 ** (e.failures - free));
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
