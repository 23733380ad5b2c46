// Which imported clusters still wait for their cluster agent (the cluster page then points to the import command).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { awaitsClusterAgent, clusterConnected, type Cluster, type Condition } from '../src/kinds.tsx';

const at = '2025-01-01T00:00:00Z';
const cond = (type: string, status: string, reason = ''): Condition => ({ type, status, reason, lastUpdateTime: at, lastTransitionTime: at });
const cluster = (driver: string, conditions?: Condition[]): Cluster => ({ id: 'c-x', type: 'cluster', name: 'x', driver, conditions });

test('an imported cluster never reached waits for its agent, unless a kubeconfig is being tried', () => {
  assert.equal(awaitsClusterAgent(cluster('imported')), true, 'no conditions yet');
  assert.equal(awaitsClusterAgent(cluster('imported', [cond('Pending', 'Unknown', 'AgentNotConnected')])), true);
  assert.equal(awaitsClusterAgent(cluster('imported', [cond('Pending', 'Unknown', 'Connecting')])), false);
});

test('once reached, an imported cluster no longer waits, even if it becomes unreachable', () => {
  const reached = [cond('Pending', 'True'), cond('Connected', 'True'), cond('Ready', 'True')];
  assert.equal(awaitsClusterAgent(cluster('imported', reached)), false);
  assert.equal(clusterConnected(cluster('imported', reached)), true);
  const lost = [cond('Pending', 'True'), cond('Connected', 'False', 'Unreachable')];
  assert.equal(awaitsClusterAgent(cluster('imported', lost)), false);
  assert.equal(clusterConnected(cluster('imported', lost)), false);
});

test('custom and local clusters never wait for a cluster agent', () => {
  assert.equal(awaitsClusterAgent(cluster('rancherKubernetesEngine')), false);
  assert.equal(awaitsClusterAgent(cluster('local')), false);
});
