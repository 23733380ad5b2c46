import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { until } from '../../testing/wait.js';
import { Informer } from '../../informer/informer.js';
import { noopLogger } from '../../informer/logger.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { ClusterRegistrationTokenData } from '../clusterregistrationtokens/schema.js';
import type { NodeData } from '../nodes/schema.js';
import { clusterController, defaultTokenId } from './controller.js';
import type { ClusterData } from './schema.js';
import { WAITING_FOR_NODES } from './status.js';


describe('cluster controller', () => {
  const store = SqliteStore.open({ path: ':memory:' });
  const stop = new AbortController();
  const clusters = new Informer<ClusterData>({ store, kind: 'cluster' });
  const tokens = new Informer<ClusterRegistrationTokenData>({ store, kind: 'clusterRegistrationToken' });
  const nodes = new Informer<NodeData>({ store, kind: 'node' });
  const now = () => new Date('2026-01-01T00:00:00Z');

  before(() => {
    void clusters.run(stop.signal);
    void tokens.run(stop.signal);
    void nodes.run(stop.signal);
    void clusterController({ store, clusters, registrationTokens: tokens, nodes, logger: noopLogger, now, probes: new Map() }).run(stop.signal);
  });
  after(async () => {
    stop.abort();
    await store.close();
  });

  test('a new custom cluster gets a default token and an honest Provisioned condition', async () => {
    await store.create('cluster', 'c-aaaaa', { name: 'a', rancherKubernetesEngineConfig: {} });
    await until('default token', async () => (await store.get('clusterRegistrationToken', defaultTokenId('c-aaaaa'))) !== undefined);
    await until('status', async () => (await store.get<ClusterData>('cluster', 'c-aaaaa'))?.data.conditions !== undefined);
    const cluster = await store.get<ClusterData>('cluster', 'c-aaaaa');
    assert.equal(cluster?.data.driver, 'rancherKubernetesEngine');
    assert.deepEqual(cluster?.data.conditions, [
      { type: 'Provisioned', status: 'Unknown', reason: 'Provisioning', message: WAITING_FOR_NODES, lastUpdateTime: now().toISOString(), lastTransitionTime: now().toISOString() },
    ]);
    const token = await store.get<ClusterRegistrationTokenData>('clusterRegistrationToken', defaultTokenId('c-aaaaa'));
    assert.match(String(token?.data.token), /^[a-z0-9]{54}$/);
  });

  test('a quiet loop: once the status is right, syncing again writes nothing', async () => {
    await until('settled', async () => (await store.get<ClusterData>('cluster', 'c-aaaaa'))?.data.conditions !== undefined);
    const revision = await store.revision();
    await store.update('cluster', 'c-aaaaa', { ...(await store.get<ClusterData>('cluster', 'c-aaaaa'))?.data, description: 'touched' });
    await until('cache caught up', () => clusters.get('c-aaaaa')?.data.description === 'touched');
    await sleep(50);
    assert.equal(await store.revision(), revision + 1, 'only the touch itself was written');
  });

  test('a deleted cluster\'s registration tokens are removed', async () => {
    await store.create('clusterRegistrationToken', 'c-aaaaa:crt-bbbbb', { clusterId: 'c-aaaaa', token: 'x' });
    await store.delete('cluster', 'c-aaaaa');
    await until('tokens gone', async () => (await store.list('clusterRegistrationToken')).items.length === 0);
  });
});
