import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { STORE_LOCK_KIND, StoreLockLostError, withStoreLock } from './store-lock.js';
import type { ResourceStore } from './types.js';

/** Runs `body` against a fresh in-memory store, closed afterwards. */
async function withStore(body: (store: ResourceStore) => Promise<void>): Promise<void> {
  const store = SqliteStore.open({ path: ':memory:' });
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

/** Waits for `signal` to abort; rejects after a few seconds, so that a renewal that never notices fails the test. */
async function lostOrTimeout(signal: AbortSignal): Promise<void> {
  await once(signal, 'abort', { signal: AbortSignal.timeout(5_000) });
}

test('one holder at a time; the lock is gone afterwards, also when the work throws', () =>
  withStore(async (store) => {
    const order: string[] = [];
    const work = (name: string) => withStoreLock(store, 'startup', name, async () => {
      order.push(`${name} in`);
      await sleep(50);
      order.push(`${name} out`);
    });
    await Promise.all([work('a'), work('b')]);
    assert.deepEqual(order.map((s) => s.split(' ')[1]), ['in', 'out', 'in', 'out'], order.join(', '));
    await assert.rejects(withStoreLock(store, 'startup', 'c', async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await store.get(STORE_LOCK_KIND, 'startup'), undefined);
  }));

test('concurrent holders whose work outlasts the ttl never overlap', () =>
  withStore(async (store) => {
    let inside = 0;
    let most = 0;
    const work = (name: string) => withStoreLock(store, 'startup', name, async (signal) => {
      most = Math.max(most, ++inside);
      await sleep(450);
      inside--;
      assert.equal(signal.aborted, false);
    }, 150);
    await Promise.all(['a', 'b', 'c'].map(work));
    assert.equal(most, 1);
    assert.equal(await store.get(STORE_LOCK_KIND, 'startup'), undefined);
  }));

test('renewals keep the lock past its ttl while the work runs', () =>
  withStore(async (store) => {
    const order: string[] = [];
    const versions = new Set<number>();
    const holding = withStoreLock(store, 'startup', 'slow', async (signal) => {
      order.push('slow in');
      // Outlasts the ttl several times over; the lock's version moves as it is renewed.
      for (let i = 0; i < 7; i++) {
        const lock = await store.get(STORE_LOCK_KIND, 'startup');
        if (lock) versions.add(lock.resourceVersion);
        await sleep(100);
      }
      order.push('slow out');
      return signal.aborted;
    }, 200);
    await sleep(20);
    const waiting = withStoreLock(store, 'startup', 'waiter', async () => void order.push('waiter in'), 200);
    assert.equal(await holding, false, 'the holder never lost the lock');
    await waiting;
    assert.deepEqual(order, ['slow in', 'slow out', 'waiter in']);
    assert.ok(versions.size >= 3, `renewed: versions seen ${[...versions].join(', ')}`);
  }));

test('a lock nobody renews is taken over once unchanged for its ttl, timed by the waiter', () =>
  withStore(async (store) => {
    // As a holder that died leaves it; no wall-clock deadline in it for the waiter to misjudge.
    await store.create(STORE_LOCK_KIND, 'startup', { holder: 'crashed', ttlMs: 200 });
    const started = performance.now();
    let ran = false;
    await withStoreLock(store, 'startup', 'next', async () => void (ran = true));
    assert.ok(ran);
    assert.ok(performance.now() - started >= 200, 'not taken over before its ttl');
    assert.equal(await store.get(STORE_LOCK_KIND, 'startup'), undefined);
  }));

test('a holder whose lock is taken over sees its signal abort, and withStoreLock rejects', () =>
  withStore(async (store) => {
    let abortedWith: unknown;
    const holding = withStoreLock(store, 'startup', 'paused', async (signal) => {
      // Another process takes the lock over under it, as after this one paused past the ttl.
      await store.delete(STORE_LOCK_KIND, 'startup');
      await store.create(STORE_LOCK_KIND, 'startup', { holder: 'other', ttlMs: 200 });
      await lostOrTimeout(signal);
      abortedWith = signal.reason;
      return 'done';
    }, 200);
    await assert.rejects(holding, (err: unknown) => err instanceof StoreLockLostError && err.lock === 'startup' && err.holder === 'paused');
    assert.ok(abortedWith instanceof StoreLockLostError);
    const lock = await store.get<{ holder: string }>(STORE_LOCK_KIND, 'startup');
    assert.equal(lock?.data.holder, 'other', "the new holder's lock is left alone");
  }));

test('a lost lock is reported even when the work fails, with its error as the cause', () =>
  withStore(async (store) => {
    const boom = new Error('boom');
    const holding = withStoreLock(store, 'startup', 'paused', async (signal) => {
      await store.delete(STORE_LOCK_KIND, 'startup');
      await lostOrTimeout(signal);
      throw boom;
    }, 150);
    await assert.rejects(holding, (err: unknown) => err instanceof StoreLockLostError && err.cause === boom);
    assert.equal(await store.get(STORE_LOCK_KIND, 'startup'), undefined);
  }));

test('a renewal applied whose answer was lost does not count as losing the lock', () =>
  withStore(async (store) => {
    let lose = 1;
    // The store applies one renewal but its answer never arrives (a timeout after the commit).
    const flaky: ResourceStore = {
      ...store,
      get: (kind, id) => store.get(kind, id),
      list: (kind) => store.list(kind),
      create: (kind, id, data) => store.create(kind, id, data),
      delete: (kind, id, version) => store.delete(kind, id, version),
      watch: (options) => store.watch(options),
      revision: () => store.revision(),
      close: () => store.close(),
      update: async (kind, id, data, version) => {
        const saved = await store.update(kind, id, data, version);
        if (lose-- > 0) throw new Error('request timed out');
        return saved;
      },
    };
    let aborted = false;
    await withStoreLock(flaky, 'startup', 'holder-1', async (signal) => {
      await sleep(400);
      aborted = signal.aborted;
    }, 150);
    assert.equal(aborted, false, 'still held through renewals after the lost answer');
    assert.equal(await store.get(STORE_LOCK_KIND, 'startup'), undefined, 'released at its current version');
  }));
