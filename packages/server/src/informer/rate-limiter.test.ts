import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';
import {
  ExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiter.js';

describe('rate limiters', () => {
  test('exponential backoff doubles per failure from 5 ms up to the cap', () => {
    const limiter = new ExponentialFailureRateLimiter<string>({ baseMs: 5, maxMs: 1000 });
    const delays = Array.from({ length: 10 }, () => limiter.when('a'));
    assert.deepEqual(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    assert.equal(limiter.numRequeues('a'), 10);
    assert.equal(limiter.when('b'), 5, 'keys back off independently');
  });

  test('exponential backoff stays at the cap after very many failures', () => {
    const limiter = new ExponentialFailureRateLimiter<string>();
    let last = 0;
    for (let i = 0; i < 5000; i++) last = limiter.when('a');
    assert.equal(last, 1_000_000);
  });

  test('forget resets a key backoff', () => {
    const limiter = new ExponentialFailureRateLimiter<string>();
    limiter.when('a');
    limiter.when('a');
    limiter.when('b');
    limiter.forget('a');
    assert.equal(limiter.numRequeues('a'), 0);
    assert.equal(limiter.when('a'), 5);
    assert.equal(limiter.numRequeues('b'), 1, 'other keys keep theirs');
  });

  test('token bucket allows a burst, then spaces items at the rate', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucketRateLimiter<string>({ qps: 10, burst: 2, clock });
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((k) => bucket.when(k)),
      [0, 0, 100, 200],
    );
    clock.step(1000);
    assert.equal(bucket.when('e'), 0, 'refilled (up to the burst) after a second');
    assert.equal(bucket.when('f'), 0);
    assert.equal(bucket.when('g'), 100);
    assert.equal(bucket.numRequeues('a'), 0);
  });

  test('the default controller limiter takes the longer of backoff and bucket', () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter<string>({ qps: 1, burst: 1, clock });
    assert.equal(limiter.when('a'), 5, 'backoff dominates while the bucket has tokens');
    assert.equal(limiter.when('b'), 1000, 'the bucket dominates when empty');
    assert.equal(limiter.numRequeues('a'), 1);
    limiter.forget('a');
    assert.equal(limiter.numRequeues('a'), 0);
  });

  test('MaxOf forwards forget to every limiter', () => {
    const one = new ExponentialFailureRateLimiter<string>({ baseMs: 1 });
    const two = new ExponentialFailureRateLimiter<string>({ baseMs: 3 });
    const both = new MaxOfRateLimiter(one, two);
    assert.equal(both.when('a'), 3);
    assert.equal(both.when('a'), 6);
    both.forget('a');
    assert.equal(one.numRequeues('a') + two.numRequeues('a'), 0);
  });
});
