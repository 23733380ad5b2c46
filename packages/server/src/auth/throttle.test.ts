import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../api/errors.js';
import { LoginThrottle, type ThrottleEntry, type ThrottleOptions, type ThrottleState } from './throttle.js';

function setup(options: ThrottleOptions = {}) {
  const clock = { now: 1_000_000 };
  const throttle = new LoginThrottle({ freeFailures: 3, windowMs: 60_000, baseDelayMs: 1000, maxDelayMs: 8000, ...options, now: () => clock.now });
  /** Undefined when not blocked, else the Retry-After seconds. */
  const retryAfter = (keys: string[]): string | undefined => {
    try {
      throttle.check(keys);
      return undefined;
    } catch (err) {
      assert.ok(err instanceof ApiError);
      return err.headers['Retry-After'];
    }
  };
  /** Fails `n` times, waiting out each block first, and returns the Retry-After after the last failure. */
  const failAfterWaiting = (key: string, n: number): string | undefined => {
    for (let i = 0; i < n; i++) {
      const wait = retryAfter([key]);
      if (wait) clock.now += Number(wait) * 1000;
      throttle.failed([key]);
    }
    return retryAfter([key]);
  };
  return { clock, throttle, retryAfter, failAfterWaiting };
}

describe('LoginThrottle', () => {
  test('failures below the free count never block', () => {
    const { throttle, retryAfter } = setup();
    throttle.failed(['alice']);
    throttle.failed(['alice']);
    assert.equal(retryAfter(['alice']), undefined);
  });

  test('reaching the free count blocks with 429 TooManyRequests and Retry-After', () => {
    const { throttle } = setup();
    for (let i = 0; i < 3; i++) throttle.failed(['alice']);
    assert.throws(
      () => throttle.check(['alice']),
      (err: unknown) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.status, 429);
        assert.equal(err.code, 'TooManyRequests');
        assert.deepEqual(err.headers, { 'Retry-After': '1' });
        assert.match(err.message, /1 s/);
        return true;
      },
    );
  });

  test('the delay doubles with each further failure, up to the cap', () => {
    const { failAfterWaiting } = setup();
    const waits = [];
    for (let i = 0; i < 8; i++) waits.push(failAfterWaiting('alice', 1));
    assert.deepEqual(waits, [undefined, undefined, '1', '2', '4', '8', '8', '8']);
  });

  test('the block ends when its delay has passed', () => {
    const { clock, throttle, retryAfter } = setup();
    for (let i = 0; i < 4; i++) throttle.failed(['alice']);
    assert.equal(retryAfter(['alice']), '2');
    clock.now += 1999;
    assert.equal(retryAfter(['alice']), '1', 'Retry-After rounds up');
    clock.now += 1;
    assert.equal(retryAfter(['alice']), undefined);
  });

  test('Retry-After rounds partial seconds up', () => {
    const { clock, throttle, retryAfter } = setup({ baseDelayMs: 2500 });
    for (let i = 0; i < 3; i++) throttle.failed(['alice']);
    assert.equal(retryAfter(['alice']), '3');
    clock.now += 2499;
    assert.equal(retryAfter(['alice']), '1');
  });

  test('a success clears the key', () => {
    const { throttle, retryAfter } = setup();
    for (let i = 0; i < 5; i++) throttle.failed(['alice']);
    assert.ok(retryAfter(['alice']));
    throttle.succeeded(['alice']);
    assert.equal(retryAfter(['alice']), undefined);
    throttle.failed(['alice']);
    throttle.failed(['alice']);
    assert.equal(retryAfter(['alice']), undefined, 'the free failures are available again');
  });

  test('keys are independent, and check reports the longest wait among the keys given', () => {
    const { throttle, retryAfter } = setup();
    for (let i = 0; i < 6; i++) throttle.failed(['alice', '10.0.0.1']);
    for (let i = 0; i < 3; i++) throttle.failed(['bob']);
    assert.equal(retryAfter(['carol']), undefined);
    assert.equal(retryAfter(['bob']), '1');
    assert.equal(retryAfter(['bob', '10.0.0.1']), '8');
    throttle.succeeded(['alice']);
    assert.equal(retryAfter(['alice', '10.0.0.1']), '8', 'clearing one key leaves the other');
    assert.equal(retryAfter([]), undefined);
  });

  test('failures older than the window are forgotten', () => {
    const { clock, throttle, retryAfter } = setup();
    throttle.failed(['alice']);
    throttle.failed(['alice']);
    clock.now += 60_001;
    throttle.failed(['alice']);
    throttle.failed(['alice']);
    assert.equal(retryAfter(['alice']), undefined, 'two old and two new failures: still under three');
    throttle.failed(['alice']);
    assert.equal(retryAfter(['alice']), '1');
  });

  test('an entry is kept past the window while it is still blocked', () => {
    const { clock, throttle, retryAfter } = setup({ windowMs: 5_000, maxDelayMs: 60_000 });
    for (let i = 0; i < 7; i++) throttle.failed(['alice']);
    assert.equal(retryAfter(['alice']), '16');
    clock.now += 10_000;
    assert.equal(retryAfter(['alice']), '6');
    clock.now += 6_000;
    assert.equal(retryAfter(['alice']), undefined);
    throttle.failed(['alice']);
    assert.equal(retryAfter(['alice']), undefined, 'expired after the block: counting starts again');
  });

  test('defaults: five free failures, then one second', () => {
    const clock = { now: 0 };
    const throttle = new LoginThrottle({ now: () => clock.now });
    for (let i = 0; i < 4; i++) throttle.failed(['alice']);
    assert.doesNotThrow(() => throttle.check(['alice']));
    throttle.failed(['alice']);
    assert.throws(() => throttle.check(['alice']), (err: unknown) => err instanceof ApiError && err.headers['Retry-After'] === '1');
  });

  test('the default cap is five minutes', () => {
    const clock = { now: 0 };
    const throttle = new LoginThrottle({ now: () => clock.now });
    for (let i = 0; i < 40; i++) throttle.failed(['alice']);
    assert.throws(() => throttle.check(['alice']), (err: unknown) => err instanceof ApiError && err.headers['Retry-After'] === '300');
  });
  test('begin: an attempt counts before it is verified, so parallel guesses stop at the free failures', async () => {
    const { clock, throttle, retryAfter } = setup();
    const first = await Promise.all([throttle.begin(['alice']), throttle.begin(['alice']), throttle.begin(['alice'])]);
    await assert.rejects(throttle.begin(['alice']), (err: unknown) => err instanceof ApiError && err.status === 429, 'a fourth guess in parallel');
    await Promise.all(first.map((finish) => finish(false)));
    assert.equal(retryAfter(['alice']), '1');
    clock.now += 1000;
    // The block is over: one more attempt is allowed (and a correct password then gets through), not two.
    const next = await throttle.begin(['alice'], ['alice']);
    await assert.rejects(throttle.begin(['alice']), (err: unknown) => err instanceof ApiError && err.status === 429);
    await next(true);
    assert.equal(retryAfter(['alice']), undefined);
  });

  test('a success takes the attempt back from the keys it does not clear; a refused attempt counts nowhere', async () => {
    const { throttle, retryAfter } = setup({ freeFailures: (key: string) => (key.startsWith('ip:') ? 2 : 3) });
    for (let i = 0; i < 5; i++) await (await throttle.begin(['user:bob', 'ip:10.0.0.1'], ['user:bob']))(true);
    assert.equal(retryAfter(['ip:10.0.0.1']), undefined, 'five good logins from one address never block it');
    await (await throttle.begin(['user:carol', 'ip:10.0.0.2'], ['user:carol']))(false);
    await (await throttle.begin(['user:dave', 'ip:10.0.0.2'], ['user:dave']))(false);
    assert.equal(retryAfter(['ip:10.0.0.2']), '1');
    await assert.rejects(throttle.begin(['user:erin', 'ip:10.0.0.2'], ['user:erin']), (err: unknown) => err instanceof ApiError && err.status === 429);
    assert.equal(retryAfter(['user:erin']), undefined, 'erin was never tried: nothing counted for her');
  });

  test('a shared state is used for every count, and an attempt finishes once its outcome is recorded', async () => {
    const recorded: string[] = [];
    const entries = new Map<string, ThrottleEntry>();
    const state: ThrottleState = {
      get: (key) => entries.get(key),
      update: async (key, change) => {
        await new Promise((r) => setTimeout(r, 5));
        entries.set(key, change(entries.get(key)));
        recorded.push(`update ${key}`);
      },
      clear: async (key) => {
        entries.delete(key);
        recorded.push(`clear ${key}`);
      },
    };
    const throttle = new LoginThrottle({ freeFailures: 1, state });
    await (await throttle.begin(['user:bob', 'ip:10.0.0.1'], ['user:bob']))(false);
    assert.deepEqual(recorded.sort(), ['update ip:10.0.0.1', 'update user:bob']);
    assert.throws(() => throttle.check(['user:bob']), (err: unknown) => err instanceof ApiError && err.status === 429);
    await throttle.succeeded(['user:bob']);
    assert.deepEqual(recorded.at(-1), 'clear user:bob');
  });
  test('a verified login never fails on bookkeeping: a failed take-back is reported, the login goes on', async () => {
    const entries = new Map<string, ThrottleEntry>();
    let broken = false;
    const state: ThrottleState = {
      get: (key) => entries.get(key),
      update: async (key, change) => {
        if (broken) throw new Error('etcd unavailable');
        entries.set(key, change(entries.get(key)));
      },
      clear: async (key) => void entries.delete(key),
    };
    const errors: unknown[] = [];
    const throttle = new LoginThrottle({ state, onError: (err) => errors.push(err) });
    const finish = await throttle.begin(['user:bob', 'ip:10.0.0.1'], ['user:bob']);
    broken = true;
    await finish(true);
    assert.equal(errors.length, 1);
    assert.equal(entries.get('ip:10.0.0.1')?.failures, 1, 'at worst the attempt stays counted');
  });
});
