import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { startEtcd, startEtcdCluster, type EtcdProcess } from '../../testing/etcd-process.js';
import { until } from '../../testing/wait.js';
import { StoreAlreadyExistsError, type ResourceStore, type StoredObject, type WatchEvent } from '../types.js';
import { connectEtcd } from './etcd-client.js';
import { EtcdStore } from './etcd-store.js';
import type { WatchStream } from './etcd-watch.js';

// Real etcd processes crashing, restarting and losing quorum under a live EtcdStore; TLS; the test helper's cleanup.

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

/** Retries `write` while etcd is coming back (a fresh connection may fail once or twice). */
async function eventually<T>(write: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await write();
    } catch (error: unknown) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

/**
 * Creates an object, retrying while etcd elects a leader. A retry after an attempt whose outcome was
 * lost can meet the object that attempt wrote: then that object is the result (ids are unique here).
 */
async function createOnce<T>(store: ResourceStore, kind: string, id: string, data: T): Promise<StoredObject<T>> {
  let retried = false;
  return eventually(async () => {
    try {
      return await store.create(kind, id, data);
    } catch (error: unknown) {
      const existing = retried && error instanceof StoreAlreadyExistsError ? await store.get<T>(kind, id) : undefined;
      retried = true;
      if (existing && JSON.stringify(existing.data) === JSON.stringify(data)) return existing;
      throw error;
    }
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('EtcdStore through etcd failures', { timeout: 120_000 }, () => {
  test('resumes a watch across an etcd crash and restart with no gap and no duplicate', () =>
    withEtcd(async (etcd) => {
      const store = await EtcdStore.open({ endpoints: [etcd.endpoint], requestTimeoutMs: 2_000 });
      try {
        const start = await store.revision();
        const all = store.watch({ fromRevision: start })[Symbol.asyncIterator]();
        const gadgets = store.watch({ kind: 'gadget', fromRevision: start })[Symbol.asyncIterator]();
        const before = [];
        for (let i = 0; i < 5; i++) before.push(await store.create('widget', `a${i}`, { i }));
        before.push(await store.create('gadget', 'g1', { i: 0 }));
        assert.deepEqual(await take(all, 3), before.slice(0, 3).map((o) => ({ type: 'added', revision: o.resourceVersion, object: o })));

        const pid = etcd.pid;
        await etcd.stop('SIGKILL');
        assert.ok(pid !== undefined && !isAlive(pid));
        await assert.rejects(store.create('widget', 'during', { i: -1 }), 'a write while etcd is down fails');
        await etcd.start();

        const after = [];
        for (let i = 0; i < 5; i++) after.push(await eventually(() => store.create('widget', `b${i}`, { i })));
        after.push(await store.delete('gadget', 'g1'));
        const written = [...before, ...after];
        const rest = await take(all, written.length - 3);
        assert.deepEqual(
          rest.map((e) => e.revision),
          written.slice(3).map((o) => o.resourceVersion),
        );
        assert.deepEqual(rest.map((e) => e.object), written.slice(3));
        assert.deepEqual((await take(gadgets, 2)).map((e) => `${e.type} ${e.object.id} ${e.revision}`), [
          `added g1 ${before[5]?.resourceVersion}`,
          `deleted g1 ${after[5]?.resourceVersion}`,
        ]);
        const sentinel = await store.create('widget', 'sentinel', {});
        assert.deepEqual((await take(all, 1))[0]?.object, sentinel, 'nothing between the replay and the sentinel');
        await all.return?.();
        await gadgets.return?.();
      } finally {
        await store.close();
      }
    }));

  test('keeps a quiet watch through a graceful etcd restart', () =>
    withEtcd(async (etcd) => {
      const store = await EtcdStore.open({ endpoints: [etcd.endpoint] });
      try {
        const watch = store.watch({ kind: 'widget' })[Symbol.asyncIterator]();
        const pending = watch.next();
        await etcd.stop();
        await etcd.start();
        const created = await eventually(() => store.create('widget', 'w', {}));
        assert.deepEqual((await pending).value?.object, created);
        await watch.return?.();
      } finally {
        await store.close();
      }
    }));

  test('talks to etcd over TLS with a client certificate, on several endpoints', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paddock-etcd-tls-'));
    try {
      const pki = await makePki(dir);
      const etcd = await startEtcd({
        tls: { caFile: pki.ca, certFile: pki.serverCert, keyFile: pki.serverKey, client: { certFile: pki.clientCert, keyFile: pki.clientKey } },
      });
      try {
        assert.match(etcd.endpoint, /^https:/);
        const tls = { ca: await readFile(pki.ca), cert: await readFile(pki.clientCert), key: await readFile(pki.clientKey, 'utf8') };
        // A second, dead endpoint: the store uses the live one.
        const store = await EtcdStore.open({ endpoints: [etcd.endpoint, 'https://127.0.0.1:1'], tls, requestTimeoutMs: 3_000 });
        try {
          const watch = store.watch({})[Symbol.asyncIterator]();
          for (let i = 0; i < 5; i++) await eventually(() => store.create('widget', `w${i}`, { i }));
          assert.equal((await store.list('widget')).items.length, 5);
          assert.equal((await take(watch, 5)).length, 5);
          await watch.return?.();
        } finally {
          await store.close();
        }
        const noCert = await EtcdStore.open({ endpoints: [etcd.endpoint], tls: { ca: tls.ca }, requestTimeoutMs: 1_000 }).catch((e: unknown) => e);
        assert.ok(noCert instanceof Error, 'etcd requires a client certificate');
      } finally {
        await etcd.remove();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('resumes a watch on a member that was down while the others took writes: no gap, no duplicate', { timeout: 90_000 }, async () => {
    const cluster = await startEtcdCluster(3);
    const [a, b, c] = cluster.members;
    assert.ok(a && b && c);
    const watcher = await EtcdStore.open({ endpoints: [a.endpoint], requestTimeoutMs: 2_000 });
    const writer = await EtcdStore.open({ endpoints: [b.endpoint, c.endpoint], requestTimeoutMs: 2_000 });
    try {
      const start = await writer.revision();
      const watch = watcher.watch({ kind: 'widget', fromRevision: start })[Symbol.asyncIterator]();
      const written: StoredObject[] = [];
      for (let i = 0; i < 10; i++) written.push(await createOnce(writer, 'widget', `before${i}`, { i }));
      assert.deepEqual(await take(watch, 5), written.slice(0, 5).map((o) => ({ type: 'added', revision: o.resourceVersion, object: o })));

      await a.stop('SIGKILL');
      await until('a leader among the other two', async () => (await cluster.leader()) ?? false, 20_000);
      for (let i = 0; i < 20; i++) written.push(await createOnce(writer, 'widget', `during${i}`, { i }));
      await a.start();
      for (let i = 0; i < 10; i++) written.push(await createOnce(writer, 'widget', `after${i}`, { i }));

      const rest = await take(watch, written.length - 5);
      assert.deepEqual(rest.map((e) => e.revision), written.slice(5).map((o) => o.resourceVersion));
      assert.deepEqual(rest.map((e) => e.object), written.slice(5));
      const sentinel = await createOnce(writer, 'widget', 'sentinel', {});
      assert.deepEqual((await take(watch, 1))[0]?.object, sentinel, 'nothing between the replay and the sentinel');
      await watch.return?.();
    } catch (error: unknown) {
      if (error instanceof Error) error.message += `\n--- etcd logs ---\n${cluster.members.map((m) => m.log()).join('\n')}`;
      throw error;
    } finally {
      await watcher.close();
      await writer.close();
      await cluster.remove();
    }
  });

  test('watches require a leader: a member that lost quorum refuses them, and the watch resumes after', { timeout: 90_000 }, async () => {
    const cluster = await startEtcdCluster(3);
    const [a, b, c] = cluster.members;
    assert.ok(a && b && c);
    const store = await EtcdStore.open({ endpoints: [a.endpoint], requestTimeoutMs: 2_000 });
    const raw = connectEtcd({ endpoints: [a.endpoint] });
    try {
      const watch = store.watch({ kind: 'widget' })[Symbol.asyncIterator]();
      const first = await createOnce(store, 'widget', 'first', {});
      assert.deepEqual((await watch.next()).value?.object, first);

      await Promise.all([b.stop('SIGKILL'), c.stop('SIGKILL')]);
      await until('a to lose its leader', async () => (await cluster.leader()) === undefined || false, 20_000);
      const refused = await until('a watch stream refused for want of a leader', async () => {
        const stream = (await raw.watchClient.watch()) as WatchStream;
        const outcome = await new Promise<string>((resolve) => {
          stream.on('data', (r) => resolve(r.created ? 'created' : 'data'));
          stream.on('error', (e) => resolve(e.message));
          stream.write({ create_request: { key: Buffer.from('/x') } });
        });
        stream.on('error', () => undefined);
        stream.end();
        stream.cancel();
        return /no leader/.test(outcome) ? outcome : false;
      }, 20_000);
      assert.match(refused, /no leader/);

      await Promise.all([b.start(), c.start()]);
      const second = await createOnce(store, 'widget', 'second', {});
      assert.deepEqual((await watch.next()).value?.object, second, 'the watch came back, with nothing missed');
      await watch.return?.();
    } catch (error: unknown) {
      if (error instanceof Error) error.message += `\n--- etcd logs ---\n${cluster.members.map((m) => m.log()).join('\n')}`;
      throw error;
    } finally {
      raw.close();
      await store.close();
      await cluster.remove();
    }
  });

  test('leaves no etcd process behind', async () => {
    const etcd = await startEtcd();
    const pid = etcd.pid;
    assert.ok(pid !== undefined && isAlive(pid));
    await etcd.remove();
    assert.ok(!isAlive(pid));
    await etcd.remove();
  });
});

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
async function makePki(dir: string) {
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=paddock-test-etcd-ca');
  await writeFile(path('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  await writeFile(path('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [['server', '127.0.0.1'], ['client', 'paddock']] as const) {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', `${name}.crt`, '-extfile', `${name}.ext`);
  }
  return {
    ca: path('ca.crt'),
    serverCert: path('server.crt'),
    serverKey: path('server.key'),
    clientCert: path('client.crt'),
    clientKey: path('client.key'),
  };
}
