import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StoreClosedError, StoreCompactedError, type WatchEvent } from './types.js';
import { WatchHub, type EncodedEvent } from './watch-hub.js';

function event(revision: number, kind = 'widget'): EncodedEvent {
  return { type: 'added', revision, kind, id: `o${revision}`, created: '2024-01-01T00:00:00.000Z', json: `{"r":${revision}}` };
}

async function take(iterator: AsyncIterator<WatchEvent>, n: number): Promise<number[]> {
  const revisions: number[] = [];
  while (revisions.length < n) {
    const result = await iterator.next();
    if (result.done) assert.fail(`ended after ${revisions.length} of ${n}`);
    revisions.push(result.value.revision);
  }
  return revisions;
}

/** A deferred: a promise plus the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('WatchHub', () => {
  test('joins an async replay and live events that overlap it, without gap or duplicate', async () => {
    const hub = new WatchHub();
    const replayStarted = deferred();
    const releaseReplay = deferred();
    const watch = hub.watch({
      fromRevision: 2,
      async *replay(after) {
        assert.equal(after, 2);
        replayStarted.resolve();
        await releaseReplay.promise;
        // History read at revision 5; revisions 4 and 5 were also published live meanwhile.
        yield* [event(3), event(4), event(5)];
      },
    });
    await replayStarted.promise;
    const first = watch.next();
    hub.publish(event(4));
    hub.publish(event(5));
    hub.publish(event(6));
    releaseReplay.resolve();
    assert.equal((await first).value?.revision, 3);
    assert.deepEqual(await take(watch, 3), [4, 5, 6]);
    hub.publish(event(7));
    assert.deepEqual(await take(watch, 1), [7]);
    await watch.return?.();
    assert.equal(hub.size, 0);
  });

  test('filters by kind and decodes a fresh object per delivery', async () => {
    const hub = new WatchHub();
    const widgets = hub.watch({ kind: 'widget', fromRevision: 0, replay: () => [] });
    const all = hub.watch({ fromRevision: 0, replay: () => [] });
    const pending = [widgets.next(), all.next()];
    const shared = event(1, 'widget');
    hub.publish(event(1, 'gadget'));
    hub.publish({ ...shared, revision: 2 });
    const [w, a] = await Promise.all(pending);
    assert.equal(w?.value?.revision, 2);
    assert.equal(a?.value?.revision, 1);
    const second = await all.next();
    assert.notEqual(second.value?.object.data, w?.value?.object.data);
    assert.deepEqual(second.value?.object.data, w?.value?.object.data);
  });

  test('raises a replay error from next(), then ends', async () => {
    const hub = new WatchHub();
    const watch = hub.watch({
      fromRevision: 1,
      replay: () => {
        throw new StoreCompactedError(1, 10);
      },
    });
    await assert.rejects(watch.next(), StoreCompactedError);
    assert.equal((await watch.next()).done, true);
    assert.equal(hub.size, 0);
  });

  test('close ends started watches; watches created after close reject', async () => {
    const hub = new WatchHub();
    const waiting = hub.watch({ fromRevision: 0, replay: () => [] });
    const pending = waiting.next();
    const idle = hub.watch({ fromRevision: 0, replay: () => [event(1)] });
    hub.close();
    assert.equal((await pending).done, true);
    assert.equal((await idle.next()).done, true, 'queued events are discarded');
    await assert.rejects(hub.watch({ fromRevision: 0, replay: () => [] }).next(), StoreClosedError);
  });

  test('abort discards queued events and unregisters', async () => {
    const hub = new WatchHub();
    const controller = new AbortController();
    const watch = hub.watch({ fromRevision: 0, signal: controller.signal, replay: () => [event(1), event(2)] });
    assert.deepEqual(await take(watch, 1), [1]);
    assert.equal(hub.size, 1);
    controller.abort();
    assert.equal((await watch.next()).done, true);
    assert.equal(hub.size, 0);
  });

  test('buffers many events for a slow consumer, in order', async () => {
    const hub = new WatchHub();
    const watch = hub.watch({ fromRevision: 0, replay: () => [] });
    const first = watch.next();
    for (let r = 1; r <= 5000; r++) hub.publish(event(r));
    assert.equal((await first).value?.revision, 1);
    const rest = await take(watch, 4999);
    assert.deepEqual(rest, Array.from({ length: 4999 }, (_, i) => i + 2));
  });
});
