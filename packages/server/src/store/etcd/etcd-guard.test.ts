import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { fencedStore, NotLeaderError } from '../../replicas/fenced-store.js';
import { startEtcd } from '../../testing/etcd-process.js';
import { EtcdStore, WriteGuardError } from './etcd-store.js';

/**
 * Fencing inside etcd: writes guarded by a leader's election key commit only while that key, as of the
 * leader's term, exists. A deposed leader that still believes it leads (its clock says so) writes nothing.
 */
test('guarded writes commit only while the guard key holds the same create revision', async () => {
  const etcd = await startEtcd();
  const store = await EtcdStore.open({ endpoints: [etcd.endpoint] });
  const client = new Etcd3({ hosts: etcd.endpoint });
  try {
    const key = '/paddock-election/controllers';
    const put = await client.put(key).value('replica-a').exec();
    const term = Number(put.header.revision);
    const guarded = store.guarded(() => ({ key, createRevision: term }));
    const created = await guarded.create('cluster', 'c-aaaaa', { name: 'while leading' });
    const updated = await guarded.update('cluster', 'c-aaaaa', { name: 'still leading' }, created.resourceVersion);
    // Another write to the key keeps its create revision: still the same term.
    await client.put(key).value('replica-a again').exec();
    await guarded.update('cluster', 'c-aaaaa', { name: 'same term' }, updated.resourceVersion);

    // The leadership ends: the key goes, then another replica makes it anew.
    await client.delete().key(key).exec();
    await assert.rejects(guarded.create('cluster', 'c-bbbbb', { name: 'deposed' }), WriteGuardError);
    await client.put(key).value('replica-b').exec();
    const current = await store.get('cluster', 'c-aaaaa');
    assert.ok(current);
    await assert.rejects(guarded.update('cluster', 'c-aaaaa', { name: 'deposed' }, current.resourceVersion), WriteGuardError);
    await assert.rejects(guarded.delete('cluster', 'c-aaaaa'), WriteGuardError);
    assert.equal((await store.get('cluster', 'c-bbbbb')), undefined, 'nothing of the deposed leader was written');
    assert.deepEqual((await store.get('cluster', 'c-aaaaa'))?.data, { name: 'same term' });

    // Ordinary failures are still told apart from a lost guard.
    const fresh = store.guarded(() => undefined);
    await assert.rejects(fresh.create('cluster', 'c-aaaaa', {}), (err: unknown) => err instanceof Error && err.name === 'StoreAlreadyExistsError');

    // Controllers see the refusal as NotLeaderError, even while their lease clock still says they lead.
    const controllers = fencedStore(guarded, () => true);
    await assert.rejects(controllers.create('cluster', 'c-ccccc', {}), NotLeaderError);
  } finally {
    client.close();
    await store.close();
    await etcd.remove();
  }
});
