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
  /** Where counts live; default this process's memory. */
  state?: ThrottleState;
  /** Told when bookkeeping after a verified login failed (the login still succeeds). */
  onError?: (err: unknown) => void;
}

export interface ThrottleEntry {
  failures: number;
  /** Wall-clock ms of the first failure counted. */
  first: number;
  /** Wall-clock ms until which attempts are refused (0: not blocked). */
  blockedUntil: number;
}

/**
 * Where failure counts live: this process's memory, or (replicas) the store, so that failures on one replica
 * count on all. `update` applies `change` atomically to the key's entry (a `change` that throws changes nothing
 * and rejects with its error); both resolve once every replica would see the result.
 */
export interface ThrottleState {
  get(key: string): ThrottleEntry | undefined;
  update(key: string, change: (current: ThrottleEntry | undefined) => ThrottleEntry): Promise<void>;
  clear(key: string): Promise<void>;
}

/** Failure counts of one process; bounded: past 10,000 keys, expired entries are swept. */
export class MemoryThrottleState implements ThrottleState {
  readonly #entries = new Map<string, ThrottleEntry>();

  constructor(private readonly expired: (entry: ThrottleEntry) => boolean = () => false) {}

  get(key: string): ThrottleEntry | undefined {
    return this.#entries.get(key);
  }

  // Applied before it first yields: callers that do not wait still see it at once.
  async update(key: string, change: (current: ThrottleEntry | undefined) => ThrottleEntry): Promise<void> {
    this.#entries.set(key, change(this.#entries.get(key)));
    if (this.#entries.size > 10_000) for (const [k, e] of [...this.#entries]) if (this.expired(e)) this.#entries.delete(k);
  }

  clear(key: string): Promise<void> {
    this.#entries.delete(key);
    return Promise.resolve();
  }
}

export class LoginThrottle {
  readonly #state: ThrottleState;
  readonly #free: (key: string) => number;
  readonly #window: number;
  readonly #base: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #onError: (err: unknown) => void;

  constructor(options: ThrottleOptions = {}) {
    const free = options.freeFailures ?? 5;
    this.#free = typeof free === 'number' ? () => free : free;
    this.#window = options.windowMs ?? 15 * 60_000;
    this.#base = options.baseDelayMs ?? 1000;
    this.#max = options.maxDelayMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
    this.#state = options.state ?? new MemoryThrottleState((e) => this.#expired(e, this.#now()));
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Throws 429 when any of `keys` is blocked now. */
  check(keys: string[]): void {
    const now = this.#now();
    let wait = 0;
    for (const key of keys) {
      const e = this.#live(key, now);
      if (e && e.blockedUntil > now) wait = Math.max(wait, e.blockedUntil - now);
    }
    if (wait > 0) throw blocked(wait);
  }

  /**
   * Starts one attempt: throws 429 when a key is blocked; otherwise counts the attempt as a failure at once, in
   * the same atomic step as the check, so guesses sent in parallel (to any replica) are counted before they are
   * verified and cannot get past the free failures. Call the returned function with the outcome, and wait for
   * it before answering: a success clears `clearOnSuccess` (the user's key, never the client address's, which an
   * attacker could otherwise reset with an account of their own) and takes the attempt back from the other keys.
   */
  async begin(keys: string[], clearOnSuccess: string[] = []): Promise<(ok: boolean) => Promise<void>> {
    this.check(keys);
    const counted = await Promise.allSettled(keys.map((key) => this.#state.update(key, (current) => this.#countAttempt(key, current))));
    const refused = counted.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused) {
      // Another attempt got there first: this one is not made, so it does not count.
      await this.#takeBack(keys.filter((_, i) => counted[i]?.status === 'fulfilled')).catch((err: unknown) => this.#onError(err));
      throw refused.reason;
    }
    let done = false;
    return async (ok) => {
      if (done || !ok) return void (done = true);
      done = true;
      // A verified password must not fail on bookkeeping: at worst the attempt stays counted.
      await Promise.all([this.succeeded(clearOnSuccess), this.#takeBack(keys.filter((k) => !clearOnSuccess.includes(k)))]).catch((err: unknown) =>
        this.#onError(err),
      );
    };
  }

  async failed(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.#state.update(key, (current) => this.#afterFailure(key, this.#fresh(current)))));
  }

  async succeeded(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.#state.clear(key)));
  }

  /** Inside the atomic update: refuses a blocked key, else counts the attempt as a failure. */
  #countAttempt(key: string, current: ThrottleEntry | undefined): ThrottleEntry {
    const e = this.#fresh(current);
    const now = this.#now();
    if (e.blockedUntil > now) throw blocked(e.blockedUntil - now);
    return this.#afterFailure(key, e);
  }

  #afterFailure(key: string, entry: ThrottleEntry): ThrottleEntry {
    const now = this.#now();
    const e = { ...entry, failures: entry.failures + 1 };
    const free = this.#free(key);
    if (e.failures >= free) e.blockedUntil = now + Math.min(this.#max, this.#base * 2 ** (e.failures - free));
    return e;
  }

  /** Undoes a counted attempt that turned out a success (or was never made); nothing to undo once it expired. */
  async #takeBack(keys: string[]): Promise<void> {
    const now = this.#now();
    await Promise.all(
      keys.filter((key) => this.#live(key, now)).map((key) =>
        this.#state.update(key, (current) => {
          const e = this.#fresh(current);
          const failures = Math.max(0, e.failures - 1);
          return { ...e, failures, blockedUntil: failures >= this.#free(key) ? e.blockedUntil : 0 };
        }),
      ),
    );
  }

  /** The entry as it counts now: a new one when absent or expired. */
  #fresh(current: ThrottleEntry | undefined): ThrottleEntry {
    const now = this.#now();
    return current && !this.#expired(current, now) ? current : { failures: 0, first: now, blockedUntil: 0 };
  }

  #live(key: string, now: number): ThrottleEntry | undefined {
    const e = this.#state.get(key);
    return e && !this.#expired(e, now) ? e : undefined;
  }

  #expired(e: ThrottleEntry, now: number): boolean {
    return now - e.first > this.#window && e.blockedUntil <= now;
  }
}

function blocked(waitMs: number): ApiError {
  const seconds = Math.ceil(waitMs / 1000);
  return new ApiError('TooManyRequests', `too many failed logins; try again in ${seconds} s`).withHeader('Retry-After', String(seconds));
}
