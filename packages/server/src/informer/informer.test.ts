import { test, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { StoreCompactedError, type StoredObject } from '../store/types.js';
import { Informer } from './informer.js';
import type { LogFn, Logger } from './logger.js';

interface Pod {
  cluster: string;
  n?: number;
  tags?: string[];
}

const WAIT_MS = 10_000;

function openStore(t: TestContext, historyLimit?: number): SqliteStore {
  const store = SqliteStore.open({ path: ':memory:', historyLimit });
  t.after(() => store.close());
  return store;
}

/** Starts `informer.run`; the test's cleanup aborts it and waits for it to return. */
function run(t: TestContext, informer: Informer<Pod>): { stop: () => Promise<void>; done: Promise<void> } {
  const ac = new AbortController();
  const done = informer.run(ac.signal);
  const stop = async (): Promise<void> => {
    ac.abort();
    await done;
  };
  t.after(stop);
  return { stop, done };
}

/** Records handler calls as strings such as `add a@1`, `update a 1->4`, `delete b`. */
function record(informer: Informer<Pod>): string[] {
  const events: string[] = [];
  informer.addHandler({
    add: (obj) => events.push(`add ${obj.id}@${obj.resourceVersion}`),
    update: (oldObj, newObj) => events.push(`update ${newObj.id} ${oldObj.resourceVersion}->${newObj.resourceVersion}`),
    delete: (obj) => events.push(`delete ${obj.id}`),
  });
  return events;
}

function recordingLogger(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const log: LogFn = (objOrMsg: object | string, msg?: string) => {
    messages.push(typeof objOrMsg === 'string' ? objOrMsg : (msg ?? ''));
  };
  return { logger: { debug: log, info: log, warn: log, error: log }, messages };
}

const ids = (objs: StoredObject<Pod>[]): string[] => objs.map((o) => o.id).sort();
const timeout = (): AbortSignal => AbortSignal.timeout(WAIT_MS);

describe('Informer', () => {
  test('lists existing objects, then sees adds, updates and deletes in order', async (t) => {
    const store = openStore(t);
    await store.create<Pod>('pod', 'a', { cluster: 'c1' });
    await store.create<Pod>('pod', 'b', { cluster: 'c1' });
    await store.create('other', 'x', {});
    const informer = new Informer<Pod>({ store, kind: 'pod' });
    const events = record(informer);
    assert.equal(informer.hasSynced(), false);
    run(t, informer);
    await informer.synced(timeout());

    assert.equal(informer.hasSynced(), true);
    assert.deepEqual(ids(informer.list()), ['a', 'b']);
    assert.deepEqual(events, ['add a@1', 'add b@2']);
    assert.equal(informer.lastSyncRevision(), 3);

    await store.create<Pod>('pod', 'c', { cluster: 'c2' });
    await store.update<Pod>('pod', 'a', { cluster: 'c1', n: 1 });
    await store.create('other', 'y', {});
    const deleted = await store.delete<Pod>('pod', 'b');
    await informer.waitForRevision(deleted.resourceVersion, timeout());

    assert.deepEqual(events, ['add a@1', 'add b@2', 'add c@4', 'update a 1->5', 'delete b']);
    assert.deepEqual(ids(informer.list()), ['a', 'c']);
    assert.equal(informer.get('a')?.data.n, 1);
    assert.equal(informer.get('b'), undefined);
    assert.equal(informer.lastSyncRevision(), 7);
  });

  test('waitForRevision lets a writer read its own write from the cache', async (t) => {
    const store = openStore(t);
    const informer = new Informer<Pod>({ store, kind: 'pod' });
    run(t, informer);
    await informer.synced(timeout());

    const written = await store.create<Pod>('pod', 'a', { cluster: 'c1' });
    await informer.waitForRevision(written.resourceVersion, timeout());
    assert.equal(informer.get('a')?.resourceVersion, written.resourceVersion);

    const ac = new AbortController();
    const never = informer.waitForRevision(written.resourceVersion + 100, ac.signal);
    ac.abort(new Error('gave up'));
    await assert.rejects(never, /gave up/);
  });

  test('a handler added after sync gets add for each cached object', async (t) => {
    const store = openStore(t);
    await store.create<Pod>('pod', 'a', { cluster: 'c1' });
    const informer = new Informer<Pod>({ store, kind: 'pod' });
    run(t, informer);
    await informer.synced(timeout());

    const events = record(informer);
    assert.deepEqual(events, ['add a@1']);
  });

  test('indexes update on change and delete', async (t) => {
    const store = openStore(t);
    await store.create<Pod>('pod', 'a', { cluster: 'c1', tags: ['x', 'y'] });
    await store.create<Pod>('pod', 'b', { cluster: 'c1' });
    const informer = new Informer<Pod>({ store, kind: 'pod' });
    informer.addIndex('cluster', (pod) => [pod.data.cluster]);
    run(t, informer);
    await informer.synced(timeout());
    // Added after sync: files the objects already cached.
    informer.addIndex('tag', (pod) => pod.data.tags ?? []);

    assert.deepEqual(ids(informer.byIndex('cluster', 'c1')), ['a', 'b']);
    assert.deepEqual(ids(informer.byIndex('tag', 'y')), ['a']);

    await store.create<Pod>('pod', 'c', { cluster: 'c2', tags: ['y'] });
    const moved = await store.update<Pod>('pod', 'a', { cluster: 'c2', tags: ['x'] });
    await informer.waitForRevision(moved.resourceVersion, timeout());
    assert.deepEqual(ids(informer.byIndex('cluster', 'c1')), ['b']);
    assert.deepEqual(ids(informer.byIndex('cluster', 'c2')), ['a', 'c']);
    assert.deepEqual(ids(informer.byIndex('tag', 'y')), ['c']);

    const deleted = await store.delete<Pod>('pod', 'c');
    await informer.waitForRevision(deleted.resourceVersion, timeout());
    assert.deepEqual(ids(informer.byIndex('cluster', 'c2')), ['a']);
    assert.deepEqual(informer.byIndex('tag', 'y'), []);
    assert.deepEqual(informer.byIndex('cluster', 'nowhere'), []);
    assert.throws(() => informer.byIndex('missing', 'c1'), /index "missing" does not exist/);
    assert.throws(() => informer.addIndex('cluster', () => []), /already exists/);
  });

  test('cached objects are frozen', async (t) => {
    const store = openStore(t);
    await store.create<Pod>('pod', 'a', { cluster: 'c1', tags: ['x'] });
    const informer = new Informer<Pod>({ store, kind: 'pod' });
    const seen: StoredObject<Pod>[] = [];
    informer.addHandler({ add: (o) => seen.push(o), update: (_o, n) => seen.push(n), delete: (o) => seen.push(o) });
    run(t, informer);
    await informer.synced(timeout());
    await store.update<Pod>('pod', 'a', { cluster: 'c2', tags: ['y'] });
    const deleted = await store.delete<Pod>('pod', 'a');
    await informer.waitForRevision(deleted.resourceVersion, timeout());

    assert.equal(seen.length, 3);
    for (const obj of seen) {
      assert.ok(Object.isFrozen(obj) && Object.isFrozen(obj.data) && Object.isFrozen(obj.data.tags));
      assert.throws(() => {
        obj.data.cluster = 'mutated';
      }, TypeError);
      assert.throws(() => obj.data.tags?.push('z'), TypeError);
    }
  });

  test('relist after compaction emits correct diffs', async (t) => {
    const store = openStore(t, 1);
    await store.create<Pod>('pod', 'a', { cluster: 'c1' });
    await store.create<Pod>('pod', 'b', { cluster: 'c1' });
    await store.create<Pod>('pod', 'c', { cluster: 'c1' });
    const { logger, messages } = recordingLogger();
    const informer = new Informer<Pod>({ store, kind: 'pod', logger, retry: { initialMs: 1 } });
    informer.addIndex('cluster', (pod) => [pod.data.cluster]);
    const events = record(informer);
    const first = run(t, informer);
    await informer.synced(timeout());
    await first.stop();
    const stoppedAt = informer.lastSyncRevision();
    events.length = 0;

    // While the informer is stopped: change a, delete b, add d, and write enough to compact history.
    await store.update<Pod>('pod', 'a', { cluster: 'c2' });
    await store.delete<Pod>('pod', 'b');
    await store.create<Pod>('pod', 'd', { cluster: 'c2' });
    for (let i = 0; i < 5; i++) await store.create('other', `x${i}`, {});
    const history = store.watch({ kind: 'pod', fromRevision: stoppedAt })[Symbol.asyncIterator]();
    await assert.rejects(history.next(), StoreCompactedError);

    run(t, informer); // resumes watching from stoppedAt, is told it is compacted, relists
    await informer.waitForRevision(await store.revision(), timeout());

    assert.deepEqual(events.sort(), ['add d@6', 'delete b', 'update a 1->4']);
    assert.deepEqual(ids(informer.list()), ['a', 'c', 'd']);
    assert.deepEqual(ids(informer.byIndex('cluster', 'c1')), ['c']);
    assert.deepEqual(ids(informer.byIndex('cluster', 'c2')), ['a', 'd']);
    assert.ok(messages.some((m) => m.includes('compacted')), messages.join('\n'));

    // And it is watching again.
    const e = await store.create<Pod>('pod', 'e', { cluster: 'c1' });
    await informer.waitForRevision(e.resourceVersion, timeout());
    assert.deepEqual(events.at(-1), `add e@${e.resourceVersion}`);
  });

  test('run returns when the store is closed', async (t) => {
    const store = openStore(t);
    const informer = new Informer<Pod>({ store, kind: 'pod', retry: { initialMs: 1 } });
    const { done } = run(t, informer);
    await informer.synced(timeout());
    await store.close();
    await done;
  });

  test('run returns promptly when aborted, and refuses a second concurrent run', async (t) => {
    const store = openStore(t);
    const informer = new Informer<Pod>({ store, kind: 'pod' });
    const { stop } = run(t, informer);
    await informer.synced(timeout());
    await assert.rejects(informer.run(new AbortController().signal), /already running/);
    await stop();
  });
});
