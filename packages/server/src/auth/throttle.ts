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
 * count on all. `update` applies `change` atomically to the key's entry; both resolve once every replica would
 * see the result.
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

  // Applied before returning: callers that do not wait still see it at once.
  update(key: string, change: (current: ThrottleEntry | undefined) => ThrottleEntry): Promise<void> {
    this.#entries.set(key, change(this.#entries.get(key)));
    if (this.#entries.size > 10_000) for (const [k, e] of [...this.#entries]) if (this.expired(e)) this.#entries.delete(k);
    return Promise.resolve();
  }

  clear(key: string): Promise<void> {
    this.#entries.delete(key);
    return Promise.resolve();
  }
}

export class LoginThrottle {
  readonly #state: ThrottleState;
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
    this.#state = options.state ?? new MemoryThrottleState((e) => this.#expired(e, this.#now()));
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
   * Call the returned function with the outcome (and wait for it before answering, so the next attempt sees
   * it on any replica); a success clears only `clearOnSuccess` (the user's key, never the client address's,
   * which an attacker could otherwise reset with an account of their own).
   */
  begin(keys: string[], clearOnSuccess: string[] = []): (ok: boolean) => Promise<void> {
    this.check(keys);
    const running = keys.map((key) => {
      const n = (this.#inFlight.get(key) ?? 0) + 1;
      const failures = this.#live(key, this.#now())?.failures ?? 0;
      // As many at once as failures remain free; past them, one at a time (each after its delay).
      return { key, n, over: n > Math.max(1, this.#free(key) - failures) };
    });
    if (running.some((r) => r.over)) {
      throw new ApiError('TooManyRequests', 'too many login attempts at once; try again in 1 s').withHeader('Retry-After', '1');
    }
    for (const r of running) this.#inFlight.set(r.key, r.n);
    let done = false;
    return async (ok) => {
      if (done) return;
      done = true;
      try {
        await (ok ? this.succeeded(clearOnSuccess) : this.failed(keys));
      } finally {
        for (const key of keys) {
          const n = (this.#inFlight.get(key) ?? 1) - 1;
          if (n > 0) this.#inFlight.set(key, n);
          else this.#inFlight.delete(key);
        }
      }
    };
  }

  async failed(keys: string[]): Promise<void> {
    await Promise.all(
      keys.map((key) =>
        this.#state.update(key, (current) => {
          const now = this.#now();
          const e = current && !this.#expired(current, now) ? { ...current } : { failures: 0, first: now, blockedUntil: 0 };
          e.failures++;
          const free = this.#free(key);
          if (e.failures >= free) e.blockedUntil = now + Math.min(this.#max, this.#base * 2 ** (e.failures - free));
          return e;
        }),
      ),
    );
  }

  async succeeded(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.#state.clear(key)));
  }

  #live(key: string, now: number): ThrottleEntry | undefined {
    const e = this.#state.get(key);
    return e && !this.#expired(e, now) ? e : undefined;
  }

  #expired(e: ThrottleEntry, now: number): boolean {
    return now - e.first > this.#window && e.blockedUntil <= now;
  }
}
