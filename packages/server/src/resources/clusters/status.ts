import { setCondition, type Condition } from '../conditions.js';
import type { ClusterProbe } from '../../k8s/probe.js';
import type { ClusterData } from './schema.js';

export const WAITING_FOR_NODES = 'Waiting for nodes to provision or a valid configuration';
export const WAITING_FOR_AGENT = 'Waiting for the cluster agent to connect';

/** What the cluster's driver is, from its config (RKE: custom nodes; none: an imported cluster). */
export function clusterDriver(data: Pick<ClusterData, 'rancherKubernetesEngineConfig' | 'importedConfig' | 'internal' | 'driver'>): string {
  if (data.internal) return 'local';
  if (data.rancherKubernetesEngineConfig) return 'rancherKubernetesEngine';
  return 'imported';
}

export interface ClusterNode {
  name: string;
  etcd: boolean;
  controlPlane: boolean;
  worker: boolean;
  /** Its agent's tunnel is up (node Ready). */
  active: boolean;
}

export interface ClusterFacts {
  nodes: ClusterNode[];
  /** The last answer of the cluster's Kubernetes API (imported clusters), if it was asked yet. */
  probe?: ClusterProbe;
}

export const CONNECTING = 'Connecting to the cluster\'s Kubernetes API';

/** Unavailable nodes named in the Ready message; the rest are counted. */
const MAX_NAMED = 5;

const ROLES = [
  ['etcd', 'etcd'],
  ['controlPlane', 'controlplane'],
  ['worker', 'worker'],
] as const;

/** "etcd, controlplane" */
function rolesPresent(nodes: ClusterNode[]): string[] {
  return ROLES.filter(([field]) => nodes.some((n) => n[field])).map(([, name]) => name);
}

/**
 * The conditions a cluster should show, from what is known about it. Pure: the controller writes the result
 * when it differs, and create uses it for the first answer so a new cluster never claims to be active.
 */
export function desiredConditions(data: ClusterData, facts: ClusterFacts, now: string): Condition[] {
  let conditions = (data.conditions ?? []) as Condition[];
  const set = (c: Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'>) => (conditions = setCondition(conditions, c, now));
  const driver = clusterDriver(data);
  if (driver === 'local') {
    set({ type: 'Provisioned', status: 'True', reason: '', message: '' });
    return set({ type: 'Ready', status: 'True', reason: '', message: '' });
  }
  if (driver === 'imported') return importedConditions(data, facts.probe, set);
  const { nodes } = facts;
  if (nodes.length === 0) {
    return set({ type: 'Provisioned', status: 'Unknown', reason: 'Provisioning', message: WAITING_FOR_NODES });
  }
  const present = rolesPresent(nodes);
  const missing = ['etcd', 'controlplane'].filter((r) => !present.includes(r));
  if (missing.length > 0) {
    set({ type: 'Provisioned', status: 'Unknown', reason: 'Provisioning', message: `waiting for ${missing.join(' and ')} nodes to be registered` });
  } else {
    const active = nodes.filter((n) => n.active).length;
    set({
      type: 'Provisioned',
      status: 'Unknown',
      reason: 'Provisioning',
      message: `${active} of ${nodes.length} nodes active (${present.join(', ')}); waiting for Kubernetes to be provisioned`,
    });
  }
  const down = nodes.filter((n) => !n.active).map((n) => n.name).sort();
  const named = down.slice(0, MAX_NAMED).join(', ') + (down.length > MAX_NAMED ? ` and ${down.length - MAX_NAMED} more` : '');
  return set(
    down.length === 0
      ? { type: 'Ready', status: 'True', reason: 'NodesActive', message: '' }
      : { type: 'Ready', status: 'False', reason: 'NodesUnavailable', message: `${down.length} of ${nodes.length} nodes unavailable: ${named}` },
  );
}

type SetCondition = (c: Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'>) => Condition[];

/**
 * An imported cluster is what its Kubernetes API says: pending until first reached (through its kubeconfig
 * or its cluster agent), then Ready while it answers, unavailable with the reason when it stops.
 */
function importedConditions(data: ClusterData, probe: ClusterProbe | undefined, set: SetCondition): Condition[] {
  if (!probe) {
    const viaKubeconfig = Boolean(data.importedConfig?.kubeConfig);
    return set({ type: 'Pending', status: 'Unknown', reason: viaKubeconfig ? 'Connecting' : 'AgentNotConnected', message: viaKubeconfig ? CONNECTING : WAITING_FOR_AGENT });
  }
  set({ type: 'Pending', status: 'True', reason: '', message: '' });
  set({ type: 'Provisioned', status: 'True', reason: '', message: '' });
  if (!probe.reachable) {
    set({ type: 'Connected', status: 'False', reason: 'Unreachable', message: probe.error ?? '' });
    return set({ type: 'Ready', status: 'False', reason: 'Unreachable', message: `the Kubernetes API cannot be reached: ${probe.error ?? 'unknown error'}` });
  }
  set({ type: 'Connected', status: 'True', reason: '', message: '' });
  const unhealthy = (probe.componentStatuses ?? []).filter((c) => !c.healthy).map((c) => c.name);
  return set(
    unhealthy.length === 0
      ? { type: 'Ready', status: 'True', reason: '', message: '' }
      : { type: 'Ready', status: 'True', reason: 'ComponentsUnhealthy', message: `unhealthy: ${unhealthy.join(', ')}` },
  );
}
