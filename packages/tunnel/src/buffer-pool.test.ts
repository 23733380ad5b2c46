import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool, dataFramePool } from './buffer-pool.js';
import { MessageType, decodeFrame, encodeDataFrameInto, encodeFrame } from './frame.js';
import { MAX_HEADER_BYTES } from './limits.js';
import { TestEnv, pattern, readAll } from './testing/harness.js';

describe('BufferPool', () => {
  test('a released buffer is lent again', () => {
    const pool = new BufferPool(4);
    const first = pool.acquire(1000);
    assert.equal(first.length, 1000);
    pool.release(first);
    assert.equal(pool.freeCount, 1);
    assert.equal(pool.acquire(1000), first);
    assert.notEqual(pool.acquire(1000), first, 'a lent buffer is not lent twice');
  });

  test('sizes are kept apart', () => {
    const pool = new BufferPool(4);
    const small = pool.acquire(10);
    pool.release(small);
    assert.equal(pool.acquire(20).length, 20);
    assert.equal(pool.acquire(10), small);
  });

  test('releasing twice, or a buffer it never lent, is ignored', () => {
    const pool = new BufferPool(4);
    const buffer = pool.acquire(100);
    pool.release(buffer);
    pool.release(buffer);
    pool.release(Buffer.alloc(100));
    assert.equal(pool.freeCount, 1);
    const a = pool.acquire(100);
    const b = pool.acquire(100);
    assert.notEqual(a, b, 'one buffer never goes to two holders');
  });

  test('keeps at most maxFreePerSize free buffers of a size', () => {
    const pool = new BufferPool(2);
    const lent = [pool.acquire(64), pool.acquire(64), pool.acquire(64)];
    for (const buffer of lent) pool.release(buffer);
    assert.equal(pool.freeCount, 2);
  });
});

describe('Data frames written into a given buffer', () => {
  test('the same bytes as encodeFrame, as a view of the buffer', () => {
    const data = pattern(70_000, 3);
    for (const streamId of [1, 300, 2 ** 40]) {
      const target = Buffer.alloc(data.length + MAX_HEADER_BYTES, 0xee);
      const message = encodeDataFrameInto(target, streamId, data);
      assert.ok(message.equals(encodeFrame({ type: MessageType.Data, streamId, data })));
      assert.equal(message.buffer, target.buffer);
      assert.deepEqual(decodeFrame(message), { type: MessageType.Data, streamId, data });
    }
  });

  test('a buffer too small is refused', () => {
    assert.throws(() => encodeDataFrameInto(Buffer.alloc(10), 1, Buffer.alloc(8)), RangeError);
  });
});

describe('sessions and the shared pool', () => {
  test('streams sending at once through pooled buffers each arrive intact, and the buffers come back', async (t) => {
    const env = new TestEnv();
    t.after(() => env.close());
    const { port } = await env.echoServer();
    const { server } = await env.tunnelPair();
    const MiB = 1024 * 1024;
    const results = await Promise.all(
      [1, 2, 3, 4].map(async (seed) => {
        const payload = pattern(4 * MiB + seed * 999, seed);
        const stream = await server.open({ host: '127.0.0.1', port });
        const received = readAll(stream);
        stream.end(payload);
        return { payload, received: await received };
      }),
    );
    for (const [i, { payload, received }] of results.entries()) assert.ok(payload.equals(received), `stream ${i} intact`);
    assert.ok(dataFramePool.freeCount > 0, 'sent frames gave their buffers back');
    assert.ok(dataFramePool.freeCount <= dataFramePool.maxFreePerSize);
  });
});
