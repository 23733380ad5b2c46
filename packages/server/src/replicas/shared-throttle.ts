import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ThrottleEntry, ThrottleState } from '../auth/throttle.js';
import type { Informer } from '../informer/informer.js';
import type { Logger } from '../informer/logger.js';
import { tolerate } from '../store/tolerate.js';
import { StoreAlreadyExistsError, StoreConflictError, StoreNotFoundError, type ResourceStore } from '../store/types.js';
import { KeyedQueue } from '../util/keyed-queue.js';

/** Failed-login counts shared by the replicas (never served by the API). */
export const THROTTLE_KIND = 'loginThrottle';

export interface ThrottleRecord extends ThrottleEntry {
  /** Which throttle (logins, agent connects) and which key (`user:alice`, `ip:10.0.0.7`), for people reading etcd. */
  throttle: string;
  key: string;
}

/** How long a recorded attempt waits for this replica's cache (a stalled watch must not hang logins). */
const CACHE_WAIT_MS = 10_000;
/** Attempts of one read-modify-write racing other replicas on the same key (one wins each round). */
const UPDATE_ATTEMPTS = 30;

/**
 * A throttle's failure counts in the store, so that failed logins on every replica count together: an attacker
 * behind the load balancer gets the same five tries as against one server. Reads come from the watched cache
 * (fresh as of the request, see read-barrier.ts); each failure is a read-modify-write with optimistic
 * concurrency, so concurrent failures on several replicas are all counted.
 */
export class StoredThrottleState implements ThrottleState {
  /** One update per key at a time from this replica: only the replicas race each other, not every request. */
  readonly #queue = new KeyedQueue();

  constructor(
    private readonly store: ResourceStore,
    private readonly cache: Informer<ThrottleRecord>,
    private readonly throttle: string,
  ) {}

  get(key: string): ThrottleEntry | undefined {
    return this.cache.get(this.#id(key))?.data;
  }

  update(key: string, change: (current: ThrottleEntry | undefined) => ThrottleEntry): Promise<void> {
    return this.#queue.run(key, () => this.#update(key, change));
  }

  async #update(key: string, change: (current: ThrottleEntry | undefined) => ThrottleEntry): Promise<void> {
    const id = this.#id(key);
    for (let attempt = 1; ; attempt++) {
      const current = await this.store.get<ThrottleRecord>(THROTTLE_KIND, id);
      const { failures, first, blockedUntil } = change(current?.data);
      const next: ThrottleRecord = { throttle: this.throttle, key, failures, first, blockedUntil };
      try {
        const saved = current ? await this.store.update(THROTTLE_KIND, id, next, current.resourceVersion) : await this.store.create(THROTTLE_KIND, id, next);
        await this.cache.waitForRevision(saved.resourceVersion, AbortSignal.timeout(CACHE_WAIT_MS));
        return;
      } catch (err) {
        // Another replica counted a failure (or cleared the key) in between: read again.
        const raced = err instanceof StoreConflictError || err instanceof StoreAlreadyExistsError || err instanceof StoreNotFoundError;
        if (!raced || attempt >= UPDATE_ATTEMPTS) throw err;
        // A random pause, growing with each lost round, spreads the racing replicas' next tries out.
        await sleep(Math.random() * Math.min(100, 2 ** attempt));
      }
    }
  }

  async clear(key: string): Promise<void> {
    if (!this.cache.get(this.#id(key))) return;
    await tolerate(StoreNotFoundError, this.store.delete(THROTTLE_KIND, this.#id(key)));
  }

  /** Keys may hold any character (usernames): ids are their hash. */
  #id(key: string): string {
    return createHash('sha256').update(`${this.throttle}\0${key}`).digest('hex').slice(0, 40);
  }
}

/**
 * Deletes records older than `retentionMs` (by their first failure) every `intervalMs` until `signal` aborts.
 * Every replica sweeps; deleting what another just deleted is harmless.
 */
export async function sweepThrottleRecords(o: {
  store: ResourceStore;
  cache: Informer<ThrottleRecord>;
  retentionMs: number;
  intervalMs?: number;
  logger: Logger;
  signal: AbortSignal;
}): Promise<void> {
  while (!o.signal.aborted) {
    const cutoff = Date.now() - o.retentionMs;
    for (const record of o.cache.list()) {
      if (record.data.first >= cutoff || record.data.blockedUntil > Date.now()) continue;
      await tolerate(StoreNotFoundError, tolerate(StoreConflictError, o.store.delete(THROTTLE_KIND, record.id, record.resourceVersion))).catch((err: unknown) =>
        o.logger.debug({ err }, 'an expired login-throttle record was not removed; the next sweep tries again'),
      );
    }
    // An abort ends the wait early; the loop condition then ends.
    await sleep(o.intervalMs ?? 60_000, undefined, { signal: o.signal }).catch((e: unknown) => {
      if (!o.signal.aborted) throw e;
    });
  }
}
