import { kubeCall, kubeRequest } from './client.js';
import type { Upstream } from './upstream.js';

/** What Paddock last learned of a cluster's Kubernetes by asking it. */
export interface ClusterProbe {
  /** ISO time of the probe. */
  at: string;
  reachable: boolean;
  /** Why it could not be reached (when not). */
  error?: string;
  version?: Record<string, string>;
  nodeCount?: number;
  capacity?: Record<string, string>;
  allocatable?: Record<string, string>;
  /** Component health (etcd, controller-manager, scheduler) as the API server reports it. */
  componentStatuses?: { name: string; healthy: boolean; message: string }[];
}

interface KubeNode {
  status?: { capacity?: Record<string, string>; allocatable?: Record<string, string> };
}

const SUFFIX: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

/** A Kubernetes quantity ("1500m", "16Gi", "110") as a number of base units. */
export function parseQuantity(q: string): number {
  const match = /^([0-9.]+)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/.exec(q.trim());
  if (!match) return 0;
  return Number(match[1]) * (match[2] ? (SUFFIX[match[2]] ?? 1) : 1);
}

/** Totals of the nodes' cpu (cores, as millicores text), memory (Ki) and pods, in Kubernetes' notation. */
function sumResources(nodes: KubeNode[], field: 'capacity' | 'allocatable'): Record<string, string> {
  let cpu = 0;
  let memory = 0;
  let pods = 0;
  for (const n of nodes) {
    const r = n.status?.[field] ?? {};
    cpu += parseQuantity(r.cpu ?? '0');
    memory += parseQuantity(r.memory ?? '0');
    pods += parseQuantity(r.pods ?? '0');
  }
  return { cpu: `${Math.round(cpu * 1000)}m`, memory: `${Math.round(memory / 1024)}Ki`, pods: String(Math.round(pods)) };
}

async function componentStatuses(upstream: Upstream): Promise<ClusterProbe['componentStatuses']> {
  const res = await kubeRequest<{ items?: { metadata: { name: string }; conditions?: { type: string; status: string; message?: string; error?: string }[] }[] }>(
    upstream,
    'GET',
    '/api/v1/componentstatuses',
  );
  if (res.status === 200 && res.body?.items) {
    return res.body.items.map((c) => {
      const healthy = c.conditions?.find((x) => x.type === 'Healthy');
      return { name: c.metadata.name, healthy: healthy?.status === 'True', message: healthy?.message ?? healthy?.error ?? '' };
    });
  }
  // componentstatuses is deprecated and may be gone: the API server's own readiness checks instead.
  const ready = await kubeRequest<string>(upstream, 'GET', '/readyz?verbose');
  return [{ name: 'kube-apiserver', healthy: ready.status === 200, message: ready.status === 200 ? 'ok' : String(ready.body).slice(0, 500) }];
}

/** Asks a cluster for its version, nodes and component health. Never throws: failures are the result. */
export async function probeCluster(upstream: Upstream, now: Date): Promise<ClusterProbe> {
  const at = now.toISOString();
  try {
    const version = await kubeCall<Record<string, string>>(upstream, 'GET', '/version');
    const nodes = await kubeCall<{ items: KubeNode[] }>(upstream, 'GET', '/api/v1/nodes');
    return {
      at,
      reachable: true,
      version,
      nodeCount: nodes.items.length,
      capacity: sumResources(nodes.items, 'capacity'),
      allocatable: sumResources(nodes.items, 'allocatable'),
      componentStatuses: await componentStatuses(upstream),
    };
  } catch (err) {
    return { at, reachable: false, error: err instanceof Error ? err.message : String(err) };
  }
}
