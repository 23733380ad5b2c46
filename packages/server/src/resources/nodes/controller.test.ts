import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Informer } from '../../informer/informer.js';
import { noopLogger } from '../../informer/logger.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { until } from '../../testing/wait.js';
import { TunnelRegistry } from '../../tunnel/registry.js';
import type { Condition } from '../conditions.js';
import { localSessions } from '../../tunnel/sessions.js';
import { nodeController, readyCondition } from './controller.js';
import type { NodeData } from './schema.js';

describe('node controller', () => {
  const store = SqliteStore.open({ path: ':memory:' });
  const stop = new AbortController();
  after(async () => {
    stop.abort();
    await store.close();
  });

  test('after a server start, a node the store remembers as Ready is unavailable until its agent is back', async () => {
    const was: Condition = { type: 'Ready', status: 'True', reason: 'AgentConnected', message: '', lastUpdateTime: '2026-01-01T00:00:00.000Z', lastTransitionTime: '2026-01-01T00:00:00.000Z' };
    await store.create('node', 'c-aaaaa:m-bbbbb', { clusterId: 'c-aaaaa', nodeName: 'n1', conditions: [was] });
    const nodes = new Informer<NodeData>({ store, kind: 'node' });
    void nodes.run(stop.signal);
    const startedAt = new Date('2026-02-02T02:02:02.000Z');
    const registry = new TunnelRegistry(() => new Date());
    void nodeController({ store, nodes, registry, sessions: localSessions(registry), logger: noopLogger, now: () => new Date('2026-02-02T02:02:03.000Z'), startedAt }).run(stop.signal);
    const ready = await until('Ready False', async () => {
      const node = await store.get<NodeData>('node', 'c-aaaaa:m-bbbbb');
      const c = (node?.data.conditions as Condition[] | undefined)?.find((x) => x.type === 'Ready');
      return c?.status === 'False' ? c : undefined;
    });
    assert.equal(ready.reason, 'AgentDisconnected');
    assert.equal(ready.message, `agent not connected since ${startedAt.toISOString()}`);
  });

  test('a node already down keeps its first "since" across restarts', () => {
    const down = { type: 'Ready', status: 'False' as const, reason: 'AgentDisconnected', message: 'agent not connected since 2026-01-01T00:00:00.000Z' };
    assert.deepEqual(readyCondition(false, down, undefined, new Date()), down);
    assert.equal(readyCondition(true, down, undefined, new Date()).status, 'True');
  });
});
