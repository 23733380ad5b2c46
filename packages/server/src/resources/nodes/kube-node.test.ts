import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSyncedNode, quantityKiB, syncedNodeData, syncedNodeId } from './kube-node.js';

test('memory quantities in KiB', () => {
  assert.equal(quantityKiB('8167620Ki'), 8167620);
  assert.equal(quantityKiB('2Gi'), 2 * 1024 * 1024);
  assert.equal(quantityKiB('1024'), 1);
  assert.equal(quantityKiB('1M'), 976);
  assert.equal(quantityKiB('lots'), 0);
  assert.equal(quantityKiB(undefined), 0);
});

test('a Kubernetes node as a v3 node: addresses, roles from labels, info, taints, readiness', () => {
  const data = syncedNodeData('c-abcde', {
    metadata: { name: 'n1', labels: { 'node-role.kubernetes.io/etcd': '', 'node-role.kubernetes.io/master': 'true' } },
    spec: { unschedulable: true, taints: [{ key: 'k', effect: 'NoSchedule' }, { key: 'odd', effect: 'Sometimes' }] },
    status: {
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'ExternalIP', address: '203.0.113.1' }],
      capacity: { cpu: '8', memory: '16Gi' },
      conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'PLEG is not healthy' }],
      nodeInfo: { kubeletVersion: 'v1.34.4' },
    },
  });
  assert.ok(isSyncedNode(data));
  assert.equal(data.ipAddress, '203.0.113.1');
  assert.equal(data.internalIpAddress, '10.0.0.1');
  assert.deepEqual([data.etcd, data.controlPlane, data.worker], [true, true, false]);
  assert.deepEqual(data.taints, [{ key: 'k', value: '', effect: 'NoSchedule' }]);
  assert.equal(data.unschedulable, true);
  assert.equal(data.info?.memory?.memTotalKiB, 16 * 1024 * 1024);
  assert.deepEqual(data.conditions?.[0], { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'PLEG is not healthy' });

  const bare = syncedNodeData('c-abcde', { metadata: { name: 'n2' } });
  assert.equal(bare.worker, true, 'a node without role labels is a worker');
  assert.equal((bare.conditions as { status: string }[])[0]?.status, 'Unknown');
});

test('synced node ids are stable and Rancher-shaped', () => {
  assert.equal(syncedNodeId('c-abcde', 'n1'), syncedNodeId('c-abcde', 'n1'));
  assert.match(syncedNodeId('c-abcde', 'n1'), /^c-abcde:machine-[0-9a-f]{12}$/);
  assert.notEqual(syncedNodeId('c-abcde', 'n1'), syncedNodeId('c-abcde', 'n2'));
});
