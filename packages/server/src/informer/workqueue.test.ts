import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as flush } from 'node:timers/promises';
import { FakeClock } from './clock.js';
import { ExponentialFailureRateLimiter } from './rate-limiter.js';
import { RateLimitingQueue } from './workqueue.js';

function newQueue(clock = new FakeClock()): RateLimitingQueue<string> {
  return new RateLimitingQueue<string>({ clock, rateLimiter: new ExponentialFailureRateLimiter({ baseMs: 5 }) });
}

/** Whether `promise` has settled, after letting pending callbacks run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await flush();
  return done;
}

describe('RateLimitingQueue', () => {
  test('Fair: items are handed out in the order they were added', async () => {
    const q = newQueue();
    for (const key of ['a', 'b', 'c']) q.add(key);
    const got = [await q.get(), await q.get(), await q.get()];
    assert.deepEqual(got, ['a', 'b', 'c']);
  });

  test('Stingy: an item added many times before processing is processed once', async () => {
    const q = newQueue();
    for (const key of ['a', 'b', 'a', 'a', 'b']) q.add(key);
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len(), 0);
  });

  test('re-add while processing is deferred until done, then processed once more', async () => {
    const q = newQueue();
    q.add('a');
    const a = await q.get();
    assert.equal(a, 'a');
    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(q.len(), 1, 'only b is available while a is processing');
    assert.equal(await q.get(), 'b');
    const next = q.get();
    assert.equal(await settled(next), false, 'a is not handed out twice at once');
    q.done('a');
    assert.equal(await next, 'a');
    q.done('a');
    q.done('b');
    assert.equal(q.len(), 0);
  });

  test('a blocked get resolves when an item is added', async () => {
    const q = newQueue();
    const next = q.get();
    assert.equal(await settled(next), false);
    q.add('a');
    assert.equal(await next, 'a');
  });

  test('shutdown: adds are ignored, what is left is handed out, then get returns undefined', async () => {
    const q = newQueue();
    const waiting = newQueue();
    const blocked = waiting.get();
    waiting.shutDown();
    assert.equal(await blocked, undefined, 'a waiting get is released');

    q.add('a');
    q.add('b');
    q.shutDown();
    q.add('c');
    assert.equal(q.shuttingDown(), true);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(await q.get(), undefined);
    assert.equal(await q.get(), undefined);
  });

  test('shutDownWithDrain waits until processing items are done', async () => {
    const q = newQueue();
    q.add('a');
    const a = await q.get();
    assert.equal(a, 'a');
    const drained = q.shutDownWithDrain();
    assert.equal(await settled(drained), false);
    q.done('a');
    await drained;
    assert.equal(await q.get(), undefined);
  });

  test('addAfter adds no sooner than the delay; the earliest of several delays wins', () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    q.addAfter('a', 100);
    q.addAfter('b', 50);
    q.addAfter('b', 10);
    q.addAfter('c', 0);
    assert.equal(q.len(), 1, 'c is added at once');
    clock.step(9);
    assert.equal(q.len(), 1);
    clock.step(1);
    assert.equal(q.len(), 2, 'b after 10 ms');
    clock.step(89);
    assert.equal(q.len(), 2);
    clock.step(1);
    assert.equal(q.len(), 3, 'a after 100 ms');
    assert.equal(clock.pendingTimers(), 0, 'the superseded delay of b was cancelled');
  });

  test('addAfter keeps an earlier pending delay over a later one', () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    q.addAfter('a', 10);
    q.addAfter('a', 50);
    assert.equal(clock.pendingTimers(), 1);
    clock.step(10);
    assert.equal(q.len(), 1);
  });

  test('shutdown drops pending delayed adds', () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    q.addAfter('a', 10);
    q.shutDown();
    assert.equal(clock.pendingTimers(), 0);
    q.addAfter('b', 10);
    clock.step(100);
    assert.equal(q.len(), 0);
  });

  test('addRateLimited waits the per-key backoff; forget resets it', async () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    q.addRateLimited('a');
    assert.equal(q.numRequeues('a'), 1);
    clock.step(4);
    assert.equal(q.len(), 0);
    clock.step(1);
    assert.equal(q.len(), 1, 'first retry after 5 ms');
    assert.equal(await q.get(), 'a');
    q.done('a');

    q.addRateLimited('a');
    clock.step(9);
    assert.equal(q.len(), 0);
    clock.step(1);
    assert.equal(q.len(), 1, 'second retry after 10 ms');
    assert.equal(q.numRequeues('a'), 2);

    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
  });
});
