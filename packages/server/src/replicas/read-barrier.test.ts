import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReadBarrier, ReadBarrierTimeoutError, type RevisionCache } from './read-barrier.js';

/** A cache whose revision the test moves. */
function cache(kind: string, revision = 0): RevisionCache & { advance(to: number): void } {
  const waiters = new Set<{ revision: number; resolve: () => void }>();
  let current = revision;
  return {
    kind,
    waitForRevision(target, signal) {
      if (current >= target) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = { revision: target, resolve };
        waiters.add(waiter);
        signal?.addEventListener('abort', () => {
          waiters.delete(waiter);
          reject(signal.reason);
        });
      });
    },
    advance(to) {
      current = to;
      for (const w of [...waiters]) if (w.revision <= to) (waiters.delete(w), w.resolve());
    },
  };
}

describe('ReadBarrier', () => {
  test('waits until every cache has its kind\'s last write; kinds never written are not waited for', async () => {
    const clusters = cache('cluster', 5);
    const tokens = cache('token', 3);
    const users = cache('user', 0);
    const barrier = new ReadBarrier({ kindRevisions: async () => new Map([['cluster', 7], ['token', 3]]) }, [clusters, tokens, users]);
    let done = false;
    const waiting = barrier.wait().then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(done, false, 'cluster cache is at 5, the last cluster write at 7');
    clusters.advance(7);
    await waiting;
  });

  test('requests arriving while a read is in flight share the next read, never the one already started', async () => {
    let reads = 0;
    const answers: (() => void)[] = [];
    const barrier = new ReadBarrier(
      {
        kindRevisions: () => {
          reads++;
          return new Promise((resolve) => answers.push(() => resolve(new Map())));
        },
      },
      [],
    );
    const first = barrier.wait();
    const later = [barrier.wait(), barrier.wait(), barrier.wait()];
    assert.equal(reads, 1);
    answers.shift()?.();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.equal(reads, 2, 'one more read for all three that came during the first');
    answers.shift()?.();
    await Promise.all(later);
    assert.equal(reads, 2);
  });

  test('a cache that does not catch up in time is a typed timeout; a failing read fails only its requests', async () => {
    const stuck = new ReadBarrier({ kindRevisions: async () => new Map([['cluster', 9]]) }, [cache('cluster', 1)], 50);
    await assert.rejects(stuck.wait(), ReadBarrierTimeoutError);
    let fail = true;
    const flaky = new ReadBarrier(
      {
        kindRevisions: async () => {
          if (fail) throw new Error('etcd unavailable');
          return new Map();
        },
      },
      [],
    );
    await assert.rejects(flaky.wait(), /etcd unavailable/);
    fail = false;
    await flaky.wait();
  });
});
