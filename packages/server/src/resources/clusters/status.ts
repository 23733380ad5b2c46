import { setCondition, type Condition } from '../conditions.js';
import type { ClusterData } from './schema.js';

export const WAITING_FOR_NODES = 'Waiting for nodes to provision or a valid configuration';
export const WAITING_FOR_AGENT = 'Waiting for the cluster agent to connect';

/** What the cluster's driver is, from its config (RKE: custom nodes; none: an imported cluster). */
export function clusterDriver(data: Pick<ClusterData, 'rancherKubernetesEngineConfig' | 'importedConfig' | 'internal' | 'driver'>): string {
  if (data.internal) return 'local';
  if (data.rancherKubernetesEngineConfig) return 'rancherKubernetesEngine';
  return 'imported';
}

export interface ClusterFacts {
  /** Registered nodes of the cluster. */
  nodeCount: number;
}

/**
 * The conditions a cluster should show, from what is known about it. Pure: the controller writes the result
 * when it differs, and create uses it for the first answer so a new cluster never claims to be active.
 */
export function desiredConditions(data: ClusterData, facts: ClusterFacts, now: string): Condition[] {
  let conditions = (data.conditions ?? []) as Condition[];
  const driver = clusterDriver(data);
  if (driver === 'local') {
    conditions = setCondition(conditions, { type: 'Provisioned', status: 'True', reason: '', message: '' }, now);
    return setCondition(conditions, { type: 'Ready', status: 'True', reason: '', message: '' }, now);
  }
  if (driver === 'imported') {
    conditions = setCondition(conditions, { type: 'Pending', status: 'Unknown', reason: 'AgentNotConnected', message: WAITING_FOR_AGENT }, now);
    return conditions;
  }
  if (facts.nodeCount === 0) {
    return setCondition(conditions, { type: 'Provisioned', status: 'Unknown', reason: 'Provisioning', message: WAITING_FOR_NODES }, now);
  }
  return setCondition(
    conditions,
    {
      type: 'Provisioned',
      status: 'Unknown',
      reason: 'Provisioning',
      message: `${facts.nodeCount} node(s) registered; waiting for the provisioning plans to be applied`,
    },
    now,
  );
}
