import type { Resource } from './api';

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface Cluster extends Resource {
  name: string;
  description?: string;
  driver?: string;
  internal?: boolean;
  nodeCount?: number;
  apiEndpoint?: string;
  conditions?: Condition[];
}

export interface Node extends Resource {
  clusterId: string;
  nodeName?: string;
  requestedHostname?: string;
  hostname?: string;
  ipAddress?: string;
  internalIpAddress?: string;
  etcd?: boolean;
  controlPlane?: boolean;
  worker?: boolean;
  unschedulable?: boolean;
  labels?: Record<string, string>;
  info?: { agent?: { version?: string }; os?: { operatingSystem?: string; kernelVersion?: string; architecture?: string }; cpu?: { count?: number }; memory?: { memTotalKiB?: number } };
  conditions?: Condition[];
}

export interface RegistrationToken extends Resource {
  clusterId: string;
  token: string;
  nodeCommand?: string;
  insecureNodeCommand?: string;
  agentCommand?: string;
  insecureAgentCommand?: string;
  /** `kubectl apply -f <manifestUrl>`: registers an existing cluster (imported clusters). */
  command?: string;
  /** The same manifest fetched with `curl --insecure`, for when kubectl does not trust the server's certificate. */
  insecureCommand?: string;
  manifestUrl?: string;
}

export function nodeName(n: Node): string {
  return n.nodeName || n.requestedHostname || n.hostname || n.name || n.id;
}

export function nodeRoles(n: Node): string[] {
  return [n.etcd && 'etcd', n.controlPlane && 'control plane', n.worker && 'worker'].filter((r): r is string => Boolean(r));
}

/**
 * When the node's agent was last heard from: now while its tunnel is up (Ready True); otherwise the time the
 * liveness controller says it went away ("agent not connected since <time>"), else when Ready turned False.
 */
export function lastSeen(n: Node): { connected: boolean; at?: string } {
  const ready = n.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { connected: true, at: ready.lastUpdateTime };
  const since = /since (\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(ready?.message ?? n.transitioningMessage ?? '')?.[1];
  return { connected: false, at: since ?? ready?.lastTransitionTime };
}

export interface RoleCounts {
  total: number;
  active: number;
  etcd: number;
  controlPlane: number;
  worker: number;
}

export function countRoles(nodes: Iterable<Node>): Map<string, RoleCounts> {
  const out = new Map<string, RoleCounts>();
  for (const n of nodes) {
    let c = out.get(n.clusterId);
    if (!c) out.set(n.clusterId, (c = { total: 0, active: 0, etcd: 0, controlPlane: 0, worker: 0 }));
    c.total++;
    if (n.state === 'active') c.active++;
    if (n.etcd) c.etcd++;
    if (n.controlPlane) c.controlPlane++;
    if (n.worker) c.worker++;
  }
  return out;
}

/**
 * An imported cluster Paddock has never reached and is not trying to reach with a kubeconfig: it waits for its
 * cluster agent, which the import command (`kubectl apply -f ...`) deploys.
 */
export function awaitsClusterAgent(c: Cluster): boolean {
  if (c.driver !== 'imported') return false;
  const pending = c.conditions?.find((x) => x.type === 'Pending');
  if (pending?.status === 'True' || clusterConnected(c)) return false;
  return pending?.reason !== 'Connecting';
}

/** The imported cluster's Kubernetes API answers (through its cluster agent or its kubeconfig). */
export function clusterConnected(c: Cluster): boolean {
  return Boolean(c.conditions?.some((x) => x.type === 'Connected' && x.status === 'True'));
}

export function clusterKind(c: Cluster): string {
  if (c.internal || c.driver === 'local') return 'This server';
  if (c.driver === 'imported') return 'Imported';
  if (c.driver === 'rancherKubernetesEngine') return 'Custom';
  return c.driver || 'Custom';
}
