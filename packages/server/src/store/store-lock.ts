import { setTimeout as sleep } from 'node:timers/promises';
import { tolerate } from './tolerate.js';
import { StoreAlreadyExistsError, StoreConflictError, StoreNotFoundError, type ResourceStore, type StoredObject } from './types.js';

/** Where store locks live (never served by the API). */
export const STORE_LOCK_KIND = 'storeLock';
const RETRY_MS = 100;

interface LockData {
  holder: string;
  /** Wall-clock ms after which the lock counts as abandoned (its holder died holding it). */
  expiresAt: number;
}

/**
 * Runs `fn` while holding the named lock, which only one process sharing the store holds at a time: for work
 * that replicas starting together must not do twice (the first admin, built-in objects). A lock whose holder
 * died is taken over after `ttlMs`, so `fn` must finish well within it.
 */
export async function withStoreLock<T>(store: ResourceStore, name: string, holder: string, fn: () => Promise<T>, ttlMs = 30_000): Promise<T> {
  const lock = await acquire(store, name, holder, ttlMs);
  try {
    return await fn();
  } finally {
    await tolerate(StoreNotFoundError, tolerate(StoreConflictError, store.delete(STORE_LOCK_KIND, name, lock.resourceVersion)));
  }
}

async function acquire(store: ResourceStore, name: string, holder: string, ttlMs: number): Promise<StoredObject<LockData>> {
  for (;;) {
    try {
      return await store.create<LockData>(STORE_LOCK_KIND, name, { holder, expiresAt: Date.now() + ttlMs });
    } catch (err) {
      if (!(err instanceof StoreAlreadyExistsError)) throw err;
    }
    const current = await store.get<LockData>(STORE_LOCK_KIND, name);
    if (current && current.data.expiresAt < Date.now()) {
      // Its holder died holding it: remove it (unless someone else just did) and try again.
      await tolerate(StoreNotFoundError, tolerate(StoreConflictError, store.delete(STORE_LOCK_KIND, name, current.resourceVersion)));
      continue;
    }
    await sleep(RETRY_MS);
  }
}
