import { test, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as flush } from 'node:timers/promises';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { Controller } from './controller.js';
import { ExponentialFailureRateLimiter } from './rate-limiter.js';
import { Informer } from './informer.js';
import type { LogFn, Logger } from './logger.js';
import { RateLimitingQueue } from './workqueue.js';

interface Cluster {
  name: string;
  status?: { ready: boolean };
}

interface Node {
  clusterId: string;
}

const WAIT_MS = 10_000;

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Rejects if `promise` does not settle within WAIT_MS, so a broken controller fails instead of hanging. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

interface LogLine {
  level: keyof Logger;
  msg: string;
  fields: Record<string, unknown>;
}

function recordingLogger(): { logger: Logger; lines: LogLine[]; next: (pattern: RegExp) => Promise<LogLine> } {
  const lines: LogLine[] = [];
  const waiters: { pattern: RegExp; resolve: (line: LogLine) => void }[] = [];
  const at =
    (level: keyof Logger): LogFn =>
    (objOrMsg: object | string, msg?: string) => {
      const line: LogLine =
        typeof objOrMsg === 'string'
          ? { level, msg: objOrMsg, fields: {} }
          : { level, msg: msg ?? '', fields: objOrMsg as Record<string, unknown> };
      lines.push(line);
      for (const w of waiters.filter((w) => w.pattern.test(line.msg))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    };
  const next = (pattern: RegExp): Promise<LogLine> =>
    within(new Promise<LogLine>((resolve) => waiters.push({ pattern, resolve })), `a log line ${pattern}`);
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines, next };
}

function openStore(t: TestContext): SqliteStore {
  const store = SqliteStore.open({ path: ':memory:' });
  t.after(() => store.close());
  return store;
}

/** Runs `fn(signal)` until the test ends (or `stop` is called), then waits for it to return. */
function start(t: TestContext, fn: (signal: AbortSignal) => Promise<void>): { stop: () => Promise<void> } {
  const ac = new AbortController();
  const done = fn(ac.signal);
  const stop = async (): Promise<void> => {
    ac.abort();
    await within(done, 'run to return');
  };
  t.after(stop);
  return { stop };
}

/** A queue whose retries wait 1 ms, 2 ms, 4 ms, ... so tests do not wait for the 5 ms default. */
function fastQueue(): RateLimitingQueue<string> {
  return new RateLimitingQueue<string>({ rateLimiter: new ExponentialFailureRateLimiter({ baseMs: 1, maxMs: 50 }) });
}

describe('Controller', () => {
  test('retries a failing sync, then succeeds and forgets the key', async (t) => {
    const store = openStore(t);
    await store.create<Cluster>('cluster', 'c-aaaaa', { name: 'one' });
    const clusters = new Informer<Cluster>({ store, kind: 'cluster' });
    const { logger, lines } = recordingLogger();
    const sawStatus = deferred();
    let attempts = 0;
    const controller = new Controller({
      name: 'cluster-ready',
      informers: [clusters],
      queue: fastQueue(),
      logger,
      sync: async (key) => {
        const cluster = clusters.get(key);
        if (!cluster) return;
        if (cluster.data.status) {
          // The status write's own event: this key was done (and forgotten) before this sync began.
          sawStatus.resolve();
          return;
        }
        attempts++;
        if (attempts < 3) throw new Error(`transient failure ${attempts}`);
        const status = { ready: true };
        await store.update<Cluster>('cluster', key, { ...structuredClone(cluster.data), status }, cluster.resourceVersion);
      },
    });
    controller.watch(clusters);
    start(t, (signal) => clusters.run(signal));
    start(t, (signal) => controller.run(signal));

    await within(sawStatus.promise, 'the sync to succeed');
    assert.equal(attempts, 3);
    assert.equal(controller.queue.numRequeues('c-aaaaa'), 0, 'success forgets the backoff');
    assert.deepEqual((await store.get<Cluster>('cluster', 'c-aaaaa'))?.data, { name: 'one', status: { ready: true } });
    const warnings = lines.filter((l) => l.level === 'warn');
    assert.deepEqual(
      warnings.map((l) => [l.msg, l.fields.key, l.fields.retries]),
      [
        ['sync failed; will retry', 'c-aaaaa', 0],
        ['sync failed; will retry', 'c-aaaaa', 1],
      ],
    );
  });

  test('drops a key after maxRetries failures', async (t) => {
    const { logger, next } = recordingLogger();
    let attempts = 0;
    const controller = new Controller({
      name: 'always-fails',
      queue: fastQueue(),
      maxRetries: 2,
      logger,
      sync: async () => {
        attempts++;
        throw new Error('permanent');
      },
    });
    const dropped = next(/dropping key/);
    start(t, (signal) => controller.run(signal));
    controller.enqueue('k');

    const line = await dropped;
    assert.equal(line.level, 'error');
    assert.equal(line.fields.key, 'k');
    assert.equal(attempts, 3, 'the first try and two retries');
    assert.equal(controller.queue.numRequeues('k'), 0);
    assert.equal(controller.queue.len(), 0);
  });

  test('waits for informer caches before the first sync', async (t) => {
    const store = openStore(t);
    await store.create<Cluster>('cluster', 'c-aaaaa', { name: 'one' });
    const clusters = new Informer<Cluster>({ store, kind: 'cluster' });
    const synced = deferred<boolean>();
    const controller = new Controller({
      name: 'waits',
      informers: [clusters],
      sync: async (key) => synced.resolve(clusters.get(key) !== undefined),
    });
    controller.enqueue('c-aaaaa');
    start(t, (signal) => controller.run(signal));
    await flush();
    assert.equal(clusters.hasSynced(), false);

    start(t, (signal) => clusters.run(signal));
    assert.equal(await within(synced.promise, 'the first sync'), true, 'the sync saw a filled cache');
  });

  test('stops cleanly on abort: in-flight syncs finish, queued keys are not started, nothing is retried', async (t) => {
    const { logger, lines } = recordingLogger();
    const started: string[] = [];
    const bothStarted = deferred();
    const seenAbort: string[] = [];
    const controller = new Controller({
      name: 'stops',
      workers: 2,
      logger,
      sync: async (key, signal) => {
        started.push(key);
        if (started.length === 2) bothStarted.resolve();
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        seenAbort.push(key);
        if (key === 'b') throw signal.reason;
      },
    });
    for (const key of ['a', 'b', 'c']) controller.enqueue(key);
    const { stop } = start(t, (signal) => controller.run(signal));
    await within(bothStarted.promise, 'two syncs to start');

    await stop();
    assert.deepEqual(started.sort(), ['a', 'b']);
    assert.deepEqual(seenAbort.sort(), ['a', 'b'], 'in-flight syncs saw the abort and finished');
    assert.equal(controller.queue.shuttingDown(), true);
    assert.equal(controller.queue.numRequeues('b'), 0, 'an error caused by the abort is not retried');
    assert.deepEqual(
      lines.filter((l) => l.level === 'warn' || l.level === 'error'),
      [],
    );
  });

  test('stops while waiting for caches that never sync', async (t) => {
    const store = openStore(t);
    const neverRun = new Informer<Cluster>({ store, kind: 'cluster' });
    let syncs = 0;
    const controller = new Controller({ name: 'never', informers: [neverRun], sync: async () => void syncs++ });
    controller.enqueue('x');
    const { stop } = start(t, (signal) => controller.run(signal));
    await stop();
    assert.equal(syncs, 0);
  });

  test('watchRelated enqueues the owners of changed objects, old and new', async (t) => {
    const store = openStore(t);
    const nodes = new Informer<Node>({ store, kind: 'node' });
    const synced: string[] = [];
    let expect = deferred();
    let expected = 0;
    const controller = new Controller({
      name: 'cluster-nodes',
      informers: [nodes],
      sync: async (key) => {
        synced.push(key);
        if (synced.length === expected) expect.resolve();
      },
    });
    controller.watchRelated(nodes, (node) => [node.data.clusterId]);
    start(t, (signal) => nodes.run(signal));
    start(t, (signal) => controller.run(signal));

    expected = 1;
    await store.create<Node>('node', 'c-aaaaa:m-11111', { clusterId: 'c-aaaaa' });
    await within(expect.promise, 'the owner of a new node');
    assert.deepEqual(synced, ['c-aaaaa']);

    expected = 3;
    expect = deferred();
    await store.update<Node>('node', 'c-aaaaa:m-11111', { clusterId: 'c-bbbbb' });
    await within(expect.promise, 'the old and new owner of a moved node');
    assert.deepEqual(synced.slice(1).sort(), ['c-aaaaa', 'c-bbbbb']);
  });
});
