import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import {
  StoreAlreadyExistsError,
  StoreClosedError,
  StoreCompactedError,
  StoreConflictError,
  StoreNotFoundError,
  type ResourceStore,
  type WatchEvent,
  type WatchOptions,
} from './types.js';

/** One store under test, built fresh for each conformance test. */
export interface StoreHarness {
  store: ResourceStore;
  /**
   * Opens a new store over the same data; called after `store` is closed. The suite closes the store it
   * returns. Persistence tests are skipped when absent (e.g. in-memory stores).
   */
  reopen?: () => Promise<ResourceStore>;
  /** Closes `store` (close is idempotent) and removes whatever the harness created. */
  cleanup: () => Promise<void>;
  /**
   * The store keeps at least this many events of history and, after 2 * historyLimit + 1 further writes,
   * no longer has the oldest. Compaction tests are skipped when absent.
   */
  historyLimit?: number;
}

interface Widget {
  name: string;
  n: number;
  tags?: string[];
}

/** A safety net against hangs, not a timing assertion. */
const TEST_TIMEOUT_MS = 30_000;

/**
 * The ResourceStore contract (see ./types.ts) as a node:test suite that every backend runs:
 * `runStoreConformance('sqlite', async () => ({ store, reopen, cleanup }))`.
 * `makeStore` is called once per test and must return an empty store.
 * A watch without `fromRevision` is expected to start at the revision current when `watch()` is called.
 */
export function runStoreConformance(name: string, makeStore: () => Promise<StoreHarness>): void {
  const it: It = (title, fn) => {
    test(title, { timeout: TEST_TIMEOUT_MS }, (t) => withHarness(makeStore, (h) => fn(h, t)));
  };
  describe(`ResourceStore conformance: ${name}`, () => {
    describe('objects', () => defineObjectTests(it));
    describe('revisions and concurrency', () => defineRevisionTests(it));
    describe('watch', () => defineWatchTests(it));
    describe('history', () => defineHistoryTests(it));
    describe('lifecycle', () => defineLifecycleTests(it));
  });
}

type It = (title: string, fn: (h: StoreHarness, t: TestContext) => Promise<void>) => void;

async function withHarness(makeStore: () => Promise<StoreHarness>, fn: (h: StoreHarness) => Promise<void>) {
  const harness = await makeStore();
  try {
    await fn(harness);
  } finally {
    await harness.cleanup();
  }
}

function defineObjectTests(it: It): void {
  it('creates, gets, updates and deletes an object', async ({ store }) => {
    const created = await store.create<Widget>('widget', 'w1', { name: 'one', n: 1 });
    assert.equal(created.kind, 'widget');
    assert.equal(created.id, 'w1');
    assert.deepEqual(created.data, { name: 'one', n: 1 });
    assert.equal(new Date(created.created).toISOString(), created.created, 'created is an ISO-8601 time');
    assert.deepEqual(await store.get('widget', 'w1'), created);

    const updated = await store.update<Widget>('widget', 'w1', { name: 'one', n: 2 });
    assert.equal(updated.created, created.created, 'update preserves created');
    assert.deepEqual(updated.data, { name: 'one', n: 2 });
    assert.deepEqual(await store.get('widget', 'w1'), updated);

    const deleted = await store.delete<Widget>('widget', 'w1');
    assert.deepEqual(deleted.data, { name: 'one', n: 2 }, 'delete returns the last data');
    assert.equal(deleted.resourceVersion, updated.resourceVersion + 1);
    assert.equal(await store.get('widget', 'w1'), undefined);
    assert.deepEqual((await store.list('widget')).items, []);
  });

  it('keeps ids containing ":" and equal ids of different kinds apart', async ({ store }) => {
    await store.create('node', 'c-abcde:m-12345', { name: 'n1', n: 1 });
    await store.create('node', 'c-abcde:m-67890', { name: 'n2', n: 2 });
    await store.create('cluster', 'c-abcde', { name: 'c', n: 0 });
    await store.create('project', 'c-abcde:m-12345', { name: 'p', n: 3 });
    assert.equal((await store.get<Widget>('node', 'c-abcde:m-12345'))?.data.name, 'n1');
    assert.equal((await store.get<Widget>('project', 'c-abcde:m-12345'))?.data.name, 'p');
    assert.equal(await store.get('node', 'c-abcde'), undefined);
    await store.delete('node', 'c-abcde:m-12345');
    assert.equal((await store.get<Widget>('project', 'c-abcde:m-12345'))?.data.name, 'p');
    assert.deepEqual(ids((await store.list('node')).items), ['c-abcde:m-67890']);
  });

  it('lists one kind, sorted by id', async ({ store }) => {
    const names = ['b', 'a10', 'a9', 'c-x:m-2', 'c-x:m-10', 'A', 'c-x', '0'];
    for (const id of names) await store.create('widget', id, { name: id, n: 0 });
    await store.create('gadget', 'a', { name: 'other kind', n: 0 });
    const { items } = await store.list<Widget>('widget');
    assert.deepEqual(ids(items), [...names].sort());
    assert.ok(items.every((o) => o.kind === 'widget' && o.data.name === o.id));
    assert.deepEqual((await store.list('nothing')).items, []);
  });

  it('rejects create of an existing object and update/delete of a missing one', async ({ store }) => {
    await store.create('widget', 'w1', { name: 'one', n: 1 });
    await assert.rejects(store.create('widget', 'w1', { name: 'again', n: 2 }), StoreAlreadyExistsError);
    await assert.rejects(store.update('widget', 'missing', { name: 'x', n: 0 }), StoreNotFoundError);
    await assert.rejects(store.delete('widget', 'missing'), StoreNotFoundError);
    // Version 0 is no version of anything: a missing object is not found, whatever the backend stores for "absent".
    const before = await store.revision();
    await assert.rejects(store.delete('widget', 'missing', 0), StoreNotFoundError);
    await assert.rejects(store.update('widget', 'missing', { name: 'x', n: 0 }, 0), StoreNotFoundError);
    assert.equal(await store.revision(), before, 'a refused write writes nothing');
    await assert.rejects(store.update('gadget', 'w1', { name: 'x', n: 0 }), StoreNotFoundError);
    assert.equal(await store.get('widget', 'missing'), undefined);
    assert.equal((await store.get<Widget>('widget', 'w1'))?.data.name, 'one');
  });

  it('returns copies: mutating a returned or passed-in object never changes the store', async ({ store }) => {
    const input: Widget = { name: 'one', n: 1, tags: ['a'] };
    const created = await store.create<Widget>('widget', 'w1', input);
    input.tags?.push('mutated input');
    created.data.tags?.push('mutated result');
    const first = await store.get<Widget>('widget', 'w1');
    assert.deepEqual(first?.data, { name: 'one', n: 1, tags: ['a'] });
    first?.data.tags?.push('mutated get');
    const listed = (await store.list<Widget>('widget')).items[0];
    assert.deepEqual(listed?.data.tags, ['a']);
    listed?.data.tags?.push('mutated list');
    const second = await store.get<Widget>('widget', 'w1');
    assert.deepEqual(second?.data.tags, ['a']);
    assert.notEqual(first?.data, second?.data);
  });
}

function defineRevisionTests(it: It): void {
  it('bumps the revision by exactly one per write, and not on a failed write', async ({ store }) => {
    const start = await store.revision();
    const a = await store.create('widget', 'a', { name: 'a', n: 0 });
    assert.equal(a.resourceVersion, start + 1);
    const b = await store.create('gadget', 'b', { name: 'b', n: 0 });
    assert.equal(b.resourceVersion, start + 2);
    assert.equal((await store.update('widget', 'a', { name: 'a', n: 1 })).resourceVersion, start + 3);
    await assert.rejects(store.create('widget', 'a', { name: 'a', n: 2 }), StoreAlreadyExistsError);
    await assert.rejects(store.update('widget', 'a', { name: 'a', n: 2 }, a.resourceVersion), StoreConflictError);
    await assert.rejects(store.delete('widget', 'zz'), StoreNotFoundError);
    assert.equal(await store.revision(), start + 3);
    assert.equal((await store.delete('gadget', 'b')).resourceVersion, start + 4);
    assert.equal(await store.revision(), start + 4);
    assert.equal((await store.list('widget')).revision, start + 4);
  });

  it('rejects update and delete with a stale expectedVersion', async ({ store }) => {
    const v1 = await store.create<Widget>('widget', 'w', { name: 'w', n: 1 });
    const v2 = await store.update<Widget>('widget', 'w', { name: 'w', n: 2 }, v1.resourceVersion);
    await assert.rejects(store.update('widget', 'w', { name: 'w', n: 3 }, v1.resourceVersion), StoreConflictError);
    await assert.rejects(store.delete('widget', 'w', v1.resourceVersion), StoreConflictError);
    assert.deepEqual(await store.get('widget', 'w'), v2);
    await store.delete('widget', 'w', v2.resourceVersion);
    assert.equal(await store.get('widget', 'w'), undefined);
  });

  it('lets exactly one of several concurrent updates from the same read win', async ({ store }) => {
    const read = await store.create<Widget>('widget', 'w', { name: 'w', n: 0 });
    const attempts = [1, 2, 3, 4, 5].map((n) => store.update<Widget>('widget', 'w', { name: 'w', n }, read.resourceVersion));
    const results = await Promise.allSettled(attempts);
    const winners = results.filter((r) => r.status === 'fulfilled');
    assert.equal(winners.length, 1);
    for (const r of results) {
      if (r.status === 'rejected') assert.ok(r.reason instanceof StoreConflictError, String(r.reason));
    }
    assert.deepEqual(await store.get('widget', 'w'), winners[0]?.value);
    assert.equal(await store.revision(), read.resourceVersion + 1);
  });

  it('gives concurrent writes distinct, consecutive revisions', async ({ store }) => {
    const start = await store.revision();
    const written = await Promise.all(range(20).map((i) => store.create('widget', `w${i}`, { name: 'w', n: i })));
    const versions = written.map((o) => o.resourceVersion).sort((x, y) => x - y);
    assert.deepEqual(versions, range(20).map((i) => start + 1 + i));
  });
}

function defineWatchTests(it: It): void {
  it('delivers every change in revision order, deletes carrying the last data', async ({ store }) => {
    const watch = iterate<Widget>(store, { fromRevision: await store.revision() });
    const a = await store.create<Widget>('widget', 'a', { name: 'a', n: 1 });
    const b = await store.create<Widget>('gadget', 'b', { name: 'b', n: 1 });
    const a2 = await store.update<Widget>('widget', 'a', { name: 'a', n: 2 });
    const bGone = await store.delete<Widget>('gadget', 'b');
    const events = await take(watch, 4);
    assert.deepEqual(events, [
      { type: 'added', revision: a.resourceVersion, object: a },
      { type: 'added', revision: b.resourceVersion, object: b },
      { type: 'modified', revision: a2.resourceVersion, object: a2 },
      { type: 'deleted', revision: bGone.resourceVersion, object: bGone },
    ]);
    assert.deepEqual(bGone.data, { name: 'b', n: 1 });
    await watch.return?.();
  });

  it('orders events from concurrent writes strictly by revision', async ({ store }) => {
    const start = await store.revision();
    const watch = iterate(store, { fromRevision: start });
    const written = await Promise.all(range(30).map((i) => store.create('widget', `w${i}`, { name: 'w', n: i })));
    const events = await take(watch, 30);
    assert.deepEqual(revisions(events), range(30).map((i) => start + 1 + i));
    for (const e of events) {
      assert.equal(e.object.resourceVersion, e.revision);
      assert.deepEqual(written.find((o) => o.id === e.object.id), e.object);
    }
    await watch.return?.();
  });

  it('watches one kind or all kinds', async ({ store }) => {
    const start = await store.revision();
    const widgets = iterate(store, { kind: 'widget', fromRevision: start });
    const all = iterate(store, { fromRevision: start });
    await store.create('gadget', 'g1', { name: 'g', n: 0 });
    await store.create('widget', 'w1', { name: 'w', n: 0 });
    await store.create('gadget', 'g2', { name: 'g', n: 0 });
    await store.create('widget', 'w2', { name: 'w', n: 0 });
    assert.deepEqual(keys(await take(widgets, 2)), ['widget/w1', 'widget/w2']);
    assert.deepEqual(keys(await take(all, 4)), ['gadget/g1', 'widget/w1', 'gadget/g2', 'widget/w2']);
    await store.create('widget', 'w3', { name: 'w', n: 0 });
    assert.deepEqual(keys(await take(widgets, 1)), ['widget/w3'], 'no gadget events were queued');
    await widgets.return?.();
    await all.return?.();
  });

  it('starts a watch without fromRevision at the watch() call', async ({ store }) => {
    await store.create('widget', 'before', { name: 'b', n: 0 });
    const watch = iterate(store, {});
    const after = await store.create('widget', 'after', { name: 'a', n: 0 });
    assert.deepEqual(await take(watch, 1), [{ type: 'added', revision: after.resourceVersion, object: after }]);
    await watch.return?.();
  });

  it('ends the iterator, without an error, when the signal aborts', async ({ store }) => {
    const controller = new AbortController();
    const seen: string[] = [];
    const consumer = (async () => {
      for await (const event of store.watch({ signal: controller.signal, fromRevision: 0 })) {
        seen.push(event.object.id);
        if (seen.length === 2) controller.abort();
      }
    })();
    await store.create('widget', 'a', { name: 'a', n: 0 });
    await store.create('widget', 'b', { name: 'b', n: 0 });
    await store.create('widget', 'c', { name: 'c', n: 0 });
    await consumer;
    assert.deepEqual(seen, ['a', 'b']);

    const idle = iterate(store, { signal: controller.signal });
    assert.equal((await idle.next()).done, true, 'an already aborted signal ends the watch at once');
    const later = new AbortController();
    const pending = iterate(store, { signal: later.signal }).next();
    later.abort();
    assert.equal((await pending).done, true, 'abort ends a pending next()');
  });

  it('ends the iterator when the consumer breaks out of the loop', async ({ store }) => {
    await store.create('widget', 'a', { name: 'a', n: 0 });
    await store.create('widget', 'b', { name: 'b', n: 0 });
    let count = 0;
    for await (const event of store.watch({ fromRevision: 0 })) {
      count++;
      if (event.object.id === 'a') break;
    }
    assert.equal(count, 1);
    await store.create('widget', 'c', { name: 'c', n: 0 });
  });

  it('gives each watcher its own copy of an event', async ({ store }) => {
    const from = await store.revision();
    const one = iterate<Widget>(store, { fromRevision: from });
    const two = iterate<Widget>(store, { fromRevision: from });
    await store.create<Widget>('widget', 'w', { name: 'w', n: 0, tags: ['a'] });
    const [e1] = await take(one, 1);
    e1?.object.data.tags?.push('mutated');
    const [e2] = await take(two, 1);
    assert.deepEqual(e2?.object.data.tags, ['a']);
    await one.return?.();
    await two.return?.();
  });
}

function defineHistoryTests(it: It): void {
  it('resumes from a list revision with exactly the later changes', async ({ store }) => {
    await store.create('widget', 'x1', { name: 'x1', n: 0 });
    await store.create('widget', 'x2', { name: 'x2', n: 0 });
    const listed = await store.list('widget');
    const x1 = await store.update('widget', 'x1', { name: 'x1', n: 1 });
    await store.create('gadget', 'y', { name: 'y', n: 0 });
    const x3 = await store.create('widget', 'x3', { name: 'x3', n: 0 });
    const watch = iterate(store, { kind: 'widget', fromRevision: listed.revision });
    assert.deepEqual(await take(watch, 2), [
      { type: 'modified', revision: x1.resourceVersion, object: x1 },
      { type: 'added', revision: x3.resourceVersion, object: x3 },
    ]);
    const sentinel = await store.create('widget', 'sentinel', { name: 's', n: 0 });
    assert.deepEqual(keys(await take(watch, 1)), ['widget/sentinel'], 'nothing between history and sentinel');
    assert.equal(sentinel.resourceVersion, listed.revision + 4);
    await watch.return?.();
  });

  it('joins replayed history and live changes with no gap and no duplicate', async ({ store }) => {
    const start = await store.revision();
    for (const i of range(15)) await store.create('widget', `old${i}`, { name: 'old', n: i });
    const watch = iterate(store, { fromRevision: start });
    const firstFive = await take(watch, 5);
    const live = Promise.all(range(15).map((i) => store.create('widget', `new${i}`, { name: 'new', n: i })));
    const rest = await take(watch, 25);
    await live;
    assert.deepEqual(revisions([...firstFive, ...rest]), range(30).map((i) => start + 1 + i));
    await store.create('widget', 'sentinel', { name: 's', n: 0 });
    assert.deepEqual(keys(await take(watch, 1)), ['widget/sentinel']);
    await watch.return?.();
  });

  it('fails with StoreCompactedError when resuming from compacted history', async (h, t) => {
    if (h.historyLimit === undefined) return t.skip('the harness gives no historyLimit');
    const { store, historyLimit } = h;
    const start = await store.revision();
    await store.create('widget', 'w', { name: 'w', n: 0 });
    for (const n of range(2 * historyLimit + 1)) await store.update('widget', 'w', { name: 'w', n });
    const stale = iterate(store, { fromRevision: start });
    await assert.rejects(stale.next(), (error: unknown) => {
      assert.ok(error instanceof StoreCompactedError, String(error));
      assert.equal(error.requested, start);
      return true;
    });
    const current = await store.revision();
    const recent = iterate(store, { fromRevision: current - historyLimit });
    assert.deepEqual(revisions(await take(recent, historyLimit)), range(historyLimit).map((i) => current - historyLimit + 1 + i));
    await recent.return?.();
  });

  it('persists objects, revision and history across a reopen', async (h, t) => {
    if (h.reopen === undefined) return t.skip('the harness cannot reopen its store');
    const { store } = h;
    await store.create('widget', 'keep', { name: 'keep', n: 1 });
    const middle = await store.revision();
    await store.create('widget', 'gone', { name: 'gone', n: 1 });
    await store.update('widget', 'keep', { name: 'keep', n: 2 });
    await store.delete('widget', 'gone');
    const before = await store.list('widget');
    await store.close();

    const reopened = await h.reopen();
    try {
      assert.deepEqual(await reopened.list('widget'), before);
      assert.equal(await reopened.revision(), before.revision);
      const watch = iterate(reopened, { fromRevision: middle });
      assert.deepEqual((await take(watch, 3)).map((e) => `${e.type} ${e.object.id}`), ['added gone', 'modified keep', 'deleted gone']);
      const next = await reopened.create('widget', 'new', { name: 'new', n: 0 });
      assert.equal(next.resourceVersion, before.revision + 1);
      await watch.return?.();
    } finally {
      await reopened.close();
    }
  });
}

function defineLifecycleTests(it: It): void {
  it('close ends watches and makes every later call fail with StoreClosedError', async ({ store }) => {
    await store.create('widget', 'w', { name: 'w', n: 0 });
    const watch = iterate(store, {});
    const pending = watch.next();
    await store.close();
    assert.equal((await pending).done, true, 'close ends a pending next()');
    await store.close();
    await assert.rejects(store.get('widget', 'w'), StoreClosedError);
    await assert.rejects(store.list('widget'), StoreClosedError);
    await assert.rejects(store.create('widget', 'x', { name: 'x', n: 0 }), StoreClosedError);
    await assert.rejects(store.update('widget', 'w', { name: 'w', n: 1 }), StoreClosedError);
    await assert.rejects(store.delete('widget', 'w'), StoreClosedError);
    await assert.rejects(store.revision(), StoreClosedError);
    await assert.rejects(iterate(store, { fromRevision: 0 }).next(), StoreClosedError);
  });
}

function iterate<T = unknown>(store: ResourceStore, options: WatchOptions): AsyncIterator<WatchEvent<T>> {
  return store.watch<T>(options)[Symbol.asyncIterator]();
}

/** The next `n` events; fails if the watch ends first. */
async function take<T>(iterator: AsyncIterator<WatchEvent<T>>, n: number): Promise<WatchEvent<T>[]> {
  const events: WatchEvent<T>[] = [];
  while (events.length < n) {
    const result = await iterator.next();
    if (result.done) assert.fail(`watch ended after ${events.length} of ${n} events`);
    events.push(result.value);
  }
  return events;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function ids(objects: { id: string }[]): string[] {
  return objects.map((o) => o.id);
}

function keys(events: WatchEvent[]): string[] {
  return events.map((e) => `${e.object.kind}/${e.object.id}`);
}

function revisions(events: WatchEvent[]): number[] {
  return events.map((e) => e.revision);
}
