import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdProcess } from '../../testing/etcd-process.js';
import { runStoreConformance } from '../conformance.js';
import { StoreAlreadyExistsError, StoreCompactedError, StoreConflictError, StoreNotFoundError, type ResourceStore, type WatchEvent } from '../types.js';
import { CorruptValueError } from './codec.js';
import { EtcdStore, type EtcdStoreOptions } from './etcd-store.js';

const HISTORY_LIMIT = 20;

runStoreConformance('etcd', async () => {
  const etcd = await startEtcd();
  try {
    const options: EtcdStoreOptions = { endpoints: [etcd.endpoint], historyLimit: HISTORY_LIMIT };
    const store = await EtcdStore.open(options);
    return {
      store,
      historyLimit: HISTORY_LIMIT,
      reopen: () => EtcdStore.open(options),
      cleanup: async () => {
        await store.close();
        await etcd.remove();
      },
    };
  } catch (error: unknown) {
    await etcd.remove();
    throw error;
  }
});

/** Runs `fn` with a fresh etcd and removes it afterwards, whatever happens. */
async function withEtcd(fn: (etcd: EtcdProcess) => Promise<void>): Promise<void> {
  const etcd = await startEtcd();
  try {
    await fn(etcd);
  } catch (error: unknown) {
    if (error instanceof Error) error.message += `\n--- etcd log ---\n${etcd.log()}`;
    throw error;
  } finally {
    await etcd.remove();
  }
}

async function take<T>(iterator: AsyncIterator<WatchEvent<T>>, n: number): Promise<WatchEvent<T>[]> {
  const events: WatchEvent<T>[] = [];
  while (events.length < n) {
    const result = await iterator.next();
    if (result.done) assert.fail(`watch ended after ${events.length} of ${n} events`);
    events.push(result.value);
  }
  return events;
}

describe('EtcdStore on a real etcd', { timeout: 120_000 }, () => {
  test('fails a watch from compacted history with StoreCompactedError carrying etcd\'s compact revision', () =>
    withEtcd(async (etcd) => {
      const store = await EtcdStore.open({ endpoints: [etcd.endpoint], compact: false });
      const raw = new Etcd3({ hosts: etcd.endpoint });
      try {
        const start = await store.revision();
        await store.create('widget', 'w', { n: 0 });
        for (let n = 1; n <= 10; n++) await store.update('widget', 'w', { n });
        const compactTo = start + 6;
        await raw.kv.compact({ revision: compactTo });

        const stale = store.watch({ fromRevision: start })[Symbol.asyncIterator]();
        await assert.rejects(stale.next(), (error: unknown) => {
          assert.ok(error instanceof StoreCompactedError, String(error));
          assert.equal(error.requested, start);
          assert.equal(error.oldest, compactTo);
          return true;
        });
        assert.equal((await stale.next()).done, true, 'a failed watch stays ended');

        // The oldest kept revision works, and the caller's relist + watch sees what follows.
        const oldest = store.watch({ fromRevision: compactTo - 1 })[Symbol.asyncIterator]();
        assert.equal((await oldest.next()).value?.revision, compactTo);
        await oldest.return?.();
        const listed = await store.list<{ n: number }>('widget');
        assert.equal(listed.items[0]?.data.n, 10);
        const resumed = store.watch({ fromRevision: listed.revision })[Symbol.asyncIterator]();
        const next = await store.update('widget', 'w', { n: 11 });
        assert.deepEqual((await take(resumed, 1))[0]?.object, next);
        await resumed.return?.();
      } finally {
        raw.close();
        await store.close();
      }
    }));

  test('compacts etcd itself, keeping between historyLimit and historyLimit + a tenth of revisions', () =>
    withEtcd(async (etcd) => {
      const store = await EtcdStore.open({ endpoints: [etcd.endpoint], historyLimit: 10 });
      try {
        await store.create('widget', 'w', { n: 0 });
        for (let n = 1; n <= 30; n++) {
          await store.update('widget', 'w', { n });
          const current = await store.revision();
          const kept = store.watch({ fromRevision: Math.max(0, current - 10) })[Symbol.asyncIterator]();
          assert.equal((await kept.next()).done, false);
          await kept.return?.();
          if (current < 13) continue;
          const gone = store.watch({ fromRevision: current - 13 })[Symbol.asyncIterator]();
          await assert.rejects(gone.next(), StoreCompactedError);
        }
      } finally {
        await store.close();
      }
    }));

  test('lets exactly one of two stores on the same etcd win conflicting updates', () =>
    withEtcd(async (etcd) => {
      const one = await EtcdStore.open({ endpoints: [etcd.endpoint] });
      const two = await EtcdStore.open({ endpoints: [etcd.endpoint] });
      try {
        for (let round = 0; round < 20; round++) {
          const id = `w${round}`;
          const read = await one.create('widget', id, { by: 'none' });
          assert.deepEqual(await two.get('widget', id), read);
          const results = await Promise.allSettled([
            one.update('widget', id, { by: 'one' }, read.resourceVersion),
            two.update('widget', id, { by: 'two' }, read.resourceVersion),
            two.delete('widget', id, read.resourceVersion),
          ]);
          const winners = results.filter((r) => r.status === 'fulfilled');
          assert.equal(winners.length, 1, `round ${round}: ${results.map((r) => r.status).join(', ')}`);
          // The losers see a moved version, or no object at all when the delete won.
          const deleted = results[2]?.status === 'fulfilled';
          for (const r of results) {
            if (r.status === 'rejected') {
              assert.ok(r.reason instanceof StoreConflictError || (deleted && r.reason instanceof StoreNotFoundError), String(r.reason));
            }
          }
          assert.equal(await one.revision(), read.resourceVersion + 1);
        }
        // Creates race the same way.
        const creates = await Promise.allSettled([one.create('widget', 'x', { by: 'one' }), two.create('widget', 'x', { by: 'two' })]);
        assert.equal(creates.filter((r) => r.status === 'fulfilled').length, 1);
        assert.ok(creates.some((r) => r.status === 'rejected' && r.reason instanceof StoreAlreadyExistsError));
        // Unconditional updates from both all land, each with its own revision, keeping `created`.
        const x = await one.get('widget', 'x');
        const updates = await Promise.all([1, 2, 3, 4].map((n) => (n % 2 ? one : two).update('widget', 'x', { n })));
        assert.equal(new Set(updates.map((u) => u.resourceVersion)).size, 4);
        assert.ok(updates.every((u) => u.created === x?.created));
      } finally {
        await one.close();
        await two.close();
      }
    }));

  test('starts a watch without fromRevision at etcd\'s revision, however long the store was idle', () =>
    withEtcd(async (etcd) => {
      const idle = await EtcdStore.open({ endpoints: [etcd.endpoint] });
      const busy = await EtcdStore.open({ endpoints: [etcd.endpoint], historyLimit: 5 });
      try {
        await busy.create('widget', 'w', { n: 0 });
        for (let n = 1; n <= 30; n++) await busy.update('widget', 'w', { n });
        const watch = idle.watch({ kind: 'widget' })[Symbol.asyncIterator]();
        const mine = await idle.create('widget', 'mine', {});
        assert.deepEqual(await watch.next(), { done: false, value: { type: 'added', revision: mine.resourceVersion, object: mine } });
        await watch.return?.();
      } finally {
        await idle.close();
        await busy.close();
      }
    }));

  test('lists a large kind in pages as one snapshot, consistent with a watch from its revision', () =>
    withEtcd(async (etcd) => {
      const store = await EtcdStore.open({ endpoints: [etcd.endpoint], listPageSize: 7 });
      try {
        const ids = Array.from({ length: 60 }, (_, i) => `c-x:m-${String(i).padStart(3, '0')}`);
        for (const id of ids) await store.create('node', id, { id });
        await store.create('nodes', 'other', {});
        await store.create('nod', 'other', {});
        const writer = (async () => {
          for (let i = 0; i < 30; i++) await store.update('node', ids[i] ?? '', { id: ids[i], changed: true });
        })();
        const listed = await store.list<{ changed?: boolean }>('node');
        assert.deepEqual(listed.items.map((o) => o.id), ids);
        assert.ok(listed.items.every((o) => o.resourceVersion <= listed.revision));
        const changedInList = listed.items.filter((o) => o.data.changed).length;
        await writer;
        const watch = store.watch({ kind: 'node', fromRevision: listed.revision })[Symbol.asyncIterator]();
        const events = await take(watch, 30 - changedInList);
        assert.deepEqual(events.map((e) => e.object.id), ids.slice(changedInList, 30));
        await watch.return?.();
      } finally {
        await store.close();
      }
    }));

  test('pauses a watch whose consumer lags and resumes it without losing an event', () =>
    withEtcd(async (etcd) => {
      const store = await EtcdStore.open({ endpoints: [etcd.endpoint] });
      try {
        const start = await store.revision();
        const watch = store.watch({ fromRevision: start })[Symbol.asyncIterator]();
        const total = 1_500;
        for (let i = 0; i < total; i += 100) {
          await Promise.all(Array.from({ length: 100 }, (_, j) => store.create('widget', `w${i + j}`, { n: i + j, pad: 'x'.repeat(200) })));
        }
        const events = await take(watch, total);
        assert.deepEqual(events.map((e) => e.revision), Array.from({ length: total }, (_, i) => start + 1 + i));
        const last = await store.create('widget', 'last', {});
        assert.deepEqual((await take(watch, 1))[0]?.object, last);
        await watch.return?.();
      } finally {
        await store.close();
      }
    }));

  test('keeps kinds and prefixes apart, and reports foreign keys under its prefix', () =>
    withEtcd(async (etcd) => {
      const a = await EtcdStore.open({ endpoints: [etcd.endpoint], prefix: '/paddock' });
      const b = await EtcdStore.open({ endpoints: [etcd.endpoint], prefix: '/paddock-b/' });
      const raw = new Etcd3({ hosts: etcd.endpoint });
      try {
        await a.create('x/y', 'z', { kind: 'x/y' });
        await a.create('x', 'y/z', { kind: 'x' });
        await b.create('x', 'y/z', { store: 'b' });
        assert.deepEqual((await a.list('x')).items.map((o) => `${o.kind} ${o.id}`), ['x y/z']);
        assert.deepEqual((await a.list('x/y')).items.map((o) => `${o.kind} ${o.id}`), ['x/y z']);
        assert.deepEqual((await b.list('x')).items.map((o) => o.data), [{ store: 'b' }]);
        assert.deepEqual(JSON.parse((await raw.get('/paddock/x%2Fy/z').string()) ?? 'null').data, { kind: 'x/y' });
        assert.deepEqual(JSON.parse((await raw.get('/paddock/x/y/z').string()) ?? 'null').data, { kind: 'x' });

        await raw.put('/paddock/x/broken').value('not json');
        await assert.rejects(a.list('x'), CorruptValueError);
        const watch = a.watch({ kind: 'x' })[Symbol.asyncIterator]();
        await a.create('widget', 'unrelated', {});
        await raw.put('/paddock/x/broken2').value('{}');
        await assert.rejects(watch.next(), CorruptValueError);
      } finally {
        raw.close();
        await a.close();
        await b.close();
      }
    }));

  test('serves a watch on its own stream and stops it on return, abort and close', () =>
    withEtcd(async (etcd) => {
      const store: ResourceStore = await EtcdStore.open({ endpoints: [etcd.endpoint] });
      const controller = new AbortController();
      const watches = [
        store.watch({ fromRevision: 0 })[Symbol.asyncIterator](),
        store.watch({ fromRevision: 0, signal: controller.signal })[Symbol.asyncIterator](),
        store.watch({})[Symbol.asyncIterator](),
      ];
      const created = await store.create('widget', 'w', {});
      for (const watch of watches) assert.deepEqual((await watch.next()).value?.object, created);
      await watches[0]?.return?.();
      controller.abort();
      const pending = watches[2]?.next();
      await store.close();
      assert.equal((await watches[0]?.next())?.done, true);
      assert.equal((await watches[1]?.next())?.done, true);
      assert.equal((await pending)?.done, true);
    }));

  test('rejects bad options before connecting', async () => {
    await assert.rejects(EtcdStore.open({ endpoints: [] }), TypeError);
    await assert.rejects(EtcdStore.open({ endpoints: ['127.0.0.1:2379'] }), TypeError);
    await assert.rejects(EtcdStore.open({ endpoints: ['http://a:2379', 'https://b:2379'] }), TypeError);
    await assert.rejects(EtcdStore.open({ endpoints: ['http://a:2379'], tls: { ca: 'x' } }), TypeError);
    await assert.rejects(EtcdStore.open({ endpoints: ['https://a:2379'], tls: { cert: 'x' } }), TypeError);
    await assert.rejects(EtcdStore.open({ endpoints: ['http://a:2379'], prefix: 'paddock' }), TypeError);
    await assert.rejects(EtcdStore.open({ endpoints: ['http://a:2379'], historyLimit: 0 }), RangeError);
  });

  test('fails to open within requestTimeoutMs when no endpoint answers', async () => {
    const started = Date.now();
    await assert.rejects(EtcdStore.open({ endpoints: ['http://127.0.0.1:1'], requestTimeoutMs: 1_000 }));
    assert.ok(Date.now() - started < 5_000);
  });

});
