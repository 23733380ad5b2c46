import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { STORE_LOCK_KIND, withStoreLock } from './store-lock.js';

test('one holder at a time; the lock is gone afterwards, also when the work throws', async () => {
  const store = SqliteStore.open({ path: ':memory:' });
  try {
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
  } finally {
    await store.close();
  }
});

test('a lock whose holder died is taken over once it expires', async () => {
  const store = SqliteStore.open({ path: ':memory:' });
  try {
    await store.create(STORE_LOCK_KIND, 'startup', { holder: 'crashed', expiresAt: Date.now() + 200 });
    let ran = false;
    await withStoreLock(store, 'startup', 'next', async () => void (ran = true));
    assert.ok(ran);
  } finally {
    await store.close();
  }
});
