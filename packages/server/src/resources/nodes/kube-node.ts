import { createHash } from 'node:crypto';
import type { JsonObject } from '../../schema/validate.js';
import type { NodeData } from './schema.js';

/** A Kubernetes Node, as much of it as Paddock reads. */
export interface KubeNode {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { unschedulable?: boolean; taints?: { key: string; value?: string; effect: string }[] };
  status?: {
    addresses?: { type: string; address: string }[];
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    nodeInfo?: { osImage?: string; kernelVersion?: string; architecture?: string; kubeletVersion?: string; kubeProxyVersion?: string };
  };
}

/** Marks a v3 node that mirrors a Kubernetes Node (an imported cluster's), not an agent's machine. */
export const KUBE_NODE_SOURCE = 'kubernetes';

/** Rancher's id for a node synced from a cluster: `<clusterId>:machine-<hash of the node name>`. */
export function syncedNodeId(clusterId: string, nodeName: string): string {
  return `${clusterId}:machine-${createHash('sha256').update(nodeName).digest('hex').slice(0, 12)}`;
}

export function isSyncedNode(data: { source?: unknown }): boolean {
  return data.source === KUBE_NODE_SOURCE;
}

const EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
const UNITS: Record<string, number> = { '': 1 / 1024, Ki: 1, Mi: 1024, Gi: 1024 ** 2, Ti: 1024 ** 3, k: 1000 / 1024, M: 1e6 / 1024, G: 1e9 / 1024 };

/** A memory quantity ("16384Ki", "2Gi", "1000000000") in KiB; 0 when it is not one. */
export function quantityKiB(quantity: string | undefined): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti|k|M|G)?$/.exec(quantity ?? '');
  return m ? Math.floor(Number(m[1]) * (UNITS[m[2] ?? ''] ?? 0)) : 0;
}

function rolesOf(labels: Record<string, string>): { etcd: boolean; controlPlane: boolean; worker: boolean } {
  const has = (role: string) => `node-role.kubernetes.io/${role}` in labels;
  const etcd = has('etcd');
  const controlPlane = has('control-plane') || has('controlplane') || has('master');
  return { etcd, controlPlane, worker: has('worker') || (!etcd && !controlPlane) };
}

/** Ready as Kubernetes reports it; no Ready condition yet is Unknown. */
function readyOf(node: KubeNode) {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const status = ready?.status === 'True' || ready?.status === 'False' ? ready.status : 'Unknown';
  return { type: 'Ready', status, reason: ready?.reason ?? '', message: status === 'True' ? '' : ready?.message || 'the node has not reported Ready' };
}

/** The v3 node that mirrors a Kubernetes Node (Rancher's node syncer, for imported clusters). */
export function syncedNodeData(clusterId: string, node: KubeNode): NodeData & JsonObject {
  const { name, labels = {} } = node.metadata;
  const address = (type: string) => node.status?.addresses?.find((a) => a.type === type)?.address;
  const internal = address('InternalIP') ?? '';
  const info = node.status?.nodeInfo ?? {};
  return {
    source: KUBE_NODE_SOURCE,
    clusterId,
    name,
    nodeName: name,
    requestedHostname: name,
    hostname: address('Hostname') ?? labels['kubernetes.io/hostname'] ?? name,
    ipAddress: address('ExternalIP') ?? internal,
    internalIpAddress: internal,
    ...rolesOf(labels),
    labels,
    taints: (node.spec?.taints ?? []).filter((t) => EFFECTS.has(t.effect)).map((t) => ({ key: t.key, value: t.value ?? '', effect: t.effect })),
    unschedulable: node.spec?.unschedulable === true,
    imported: true,
    info: {
      cpu: { count: Number.parseInt(node.status?.capacity?.cpu ?? '0', 10) || 0 },
      memory: { memTotalKiB: quantityKiB(node.status?.capacity?.memory) },
      os: { operatingSystem: info.osImage ?? '', kernelVersion: info.kernelVersion ?? '', architecture: info.architecture ?? '' },
      kubernetes: { kubeletVersion: info.kubeletVersion ?? '', kubeProxyVersion: info.kubeProxyVersion ?? '' },
    },
    capacity: { ...(node.status?.capacity ?? {}) },
    allocatable: { ...(node.status?.allocatable ?? {}) },
    conditions: [readyOf(node)],
  } as NodeData & JsonObject;
}
