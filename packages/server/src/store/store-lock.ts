import { setTimeout as sleep } from 'node:timers/promises';
import { tolerate } from './tolerate.js';
import { StoreAlreadyExistsError, StoreConflictError, StoreNotFoundError, type ResourceStore, type StoredObject } from './types.js';

/** Where store locks live (never served by the API). */
export const STORE_LOCK_KIND = 'storeLock';
const RETRY_MS = 100;
const DEFAULT_TTL_MS = 30_000;

interface LockData {
  holder: string;
  /**
   * How long the lock may go without a renewal before a waiter takes it over (its holder died holding it).
   * A duration, not a deadline: waiters time it on their own monotonic clock, as machines' wall clocks differ.
   */
  ttlMs: number;
}

/** The lock was taken over or removed while its holder was still working: others may have run meanwhile. */
export class StoreLockLostError extends Error {
  constructor(
    readonly lock: string,
    readonly holder: string,
    options?: ErrorOptions,
  ) {
    super(`store lock "${lock}" held by ${holder} was lost before its work finished`, options);
    this.name = 'StoreLockLostError';
  }
}

/**
 * Runs `fn` while holding the named lock, which only one process sharing the store holds at a time: for work
 * that replicas starting together must not do twice (the first admin, built-in objects). The lock is renewed
 * every `ttlMs / 3` while `fn` runs, and a lock left unrenewed for `ttlMs` (its holder died) is taken over.
 * Should the lock be lost anyway (the process paused past `ttlMs`), `signal` aborts, and once `fn` settles this
 * rejects with StoreLockLostError (`fn`'s own error, if any, as its cause).
 */
export async function withStoreLock<T>(
  store: ResourceStore,
  name: string,
  holder: string,
  fn: (signal: AbortSignal) => Promise<T>,
  ttlMs = DEFAULT_TTL_MS,
): Promise<T> {
  const lock = await acquire(store, name, { holder, ttlMs });
  const lost = new AbortController();
  const stop = new AbortController();
  const renewing = keepAlive(store, lock, stop.signal, lost);
  // Settled into a value so that the lock is released before fn's result or error is passed on.
  const [outcome] = await Promise.allSettled([(async () => fn(lost.signal))()]);
  stop.abort();
  const last = await renewing;
  await release(store, last);
  if (lost.signal.aborted) throw new StoreLockLostError(name, holder, outcome.status === 'rejected' ? { cause: outcome.reason } : undefined);
  if (outcome.status === 'rejected') throw outcome.reason;
  return outcome.value;
}

/**
 * Creates the lock, waiting while another holds it. A lock whose version this waiter has seen unchanged for
 * longer than its ttl is deleted (at that version, so a renewal meanwhile wins) and the create tried again.
 */
async function acquire(store: ResourceStore, name: string, data: LockData): Promise<StoredObject<LockData>> {
  let seen: { version: number; at: number } | undefined;
  for (;;) {
    try {
      return await store.create<LockData>(STORE_LOCK_KIND, name, data);
    } catch (err) {
      if (!(err instanceof StoreAlreadyExistsError)) throw err;
    }
    const current = await store.get<LockData>(STORE_LOCK_KIND, name);
    if (!current) continue; // Released between the create and the get.
    const now = performance.now();
    if (seen?.version !== current.resourceVersion) {
      seen = { version: current.resourceVersion, at: now };
    } else if (now - seen.at > ttlOf(current.data)) {
      await tolerate(StoreNotFoundError, tolerate(StoreConflictError, store.delete(STORE_LOCK_KIND, name, current.resourceVersion)));
      continue;
    }
    await sleep(RETRY_MS);
  }
}

/** A lock written before locks carried ttlMs has none; the default keeps it from being waited on forever. */
function ttlOf(data: LockData): number {
  return typeof data.ttlMs === 'number' ? data.ttlMs : DEFAULT_TTL_MS;
}

/**
 * Renews the lock every ttl/3 until `stop` aborts, and returns its last version (for the release). Finding it
 * gone or changed means a waiter took it over: aborts `lost` and stops renewing.
 */
async function keepAlive(
  store: ResourceStore,
  lock: StoredObject<LockData>,
  stop: AbortSignal,
  lost: AbortController,
): Promise<StoredObject<LockData>> {
  let current = lock;
  while (await pause(lock.data.ttlMs / 3, stop)) {
    try {
      current = await store.update<LockData>(STORE_LOCK_KIND, lock.id, lock.data, current.resourceVersion);
    } catch (err) {
      // A renewal applied whose answer was lost leaves the version stale: still ours if it still names us.
      const mine = err instanceof StoreConflictError ? await stillHeld(store, lock) : undefined;
      if (mine === 'unknown') continue;
      if (mine) current = mine;
      else if (err instanceof StoreNotFoundError || err instanceof StoreConflictError) {
        lost.abort(new StoreLockLostError(lock.id, lock.data.holder, { cause: err }));
        return current;
      }
      // Any other failure (the store briefly unreachable) is retried on the next tick: the lock is only lost
      // once a waiter saw it unrenewed for a whole ttl, and the next renewal then finds that out.
    }
  }
  return current;
}

/** Deletes the lock if it is still ours (also when a renewal's answer was lost and `last` is one version behind). */
async function release(store: ResourceStore, last: StoredObject<LockData>): Promise<void> {
  try {
    await store.delete(STORE_LOCK_KIND, last.id, last.resourceVersion);
  } catch (err) {
    if (err instanceof StoreNotFoundError) return;
    if (!(err instanceof StoreConflictError)) throw err;
    const mine = await stillHeld(store, last);
    if (mine && mine !== 'unknown') await tolerate(StoreNotFoundError, tolerate(StoreConflictError, store.delete(STORE_LOCK_KIND, last.id, mine.resourceVersion)));
  }
}

/**
 * The lock as it is now if it is still this holder's (same holder, same creation), undefined if not, 'unknown'
 * when the store cannot say (tried again on the next tick).
 */
async function stillHeld(store: ResourceStore, lock: StoredObject<LockData>): Promise<StoredObject<LockData> | undefined | 'unknown'> {
  let now: StoredObject<LockData> | undefined;
  try {
    now = await store.get<LockData>(STORE_LOCK_KIND, lock.id);
  } catch (err) {
    void err; // unreachable store: the next renewal tries again
    return 'unknown';
  }
  return now && now.data.holder === lock.data.holder && now.created === lock.created ? now : undefined;
}

/**
 * Waits `ms`; false if `signal` aborted first. The timer stays ref'd: a holder whose work waits only on its
 * signal must not exit with the lock held, and `stop` clears the timer once the work settles.
 */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch (err) {
    if (signal.aborted) return false;
    throw err;
  }
}
