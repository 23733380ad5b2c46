import { Controller } from '../../informer/controller.js';
import type { Informer } from '../../informer/informer.js';
import type { Logger } from '../../informer/logger.js';
import type { JsonObject } from '../../schema/validate.js';
import { tolerate } from '../../store/tolerate.js';
import { StoreAlreadyExistsError, StoreNotFoundError, type ResourceStore } from '../../store/types.js';
import { newRegistrationToken } from '../clusterregistrationtokens/hooks.js';
import type { ClusterRegistrationTokenData } from '../clusterregistrationtokens/schema.js';
import type { ClusterData } from './schema.js';
import type { Condition } from '../conditions.js';
import type { NodeData } from '../nodes/schema.js';
import type { ClusterProbe } from '../../k8s/probe.js';
import { clusterDriver, desiredConditions, type ClusterNode } from './status.js';

export interface ClusterControllerDeps {
  store: ResourceStore;
  clusters: Informer<ClusterData>;
  registrationTokens: Informer<ClusterRegistrationTokenData>;
  nodes: Informer<NodeData>;
  logger: Logger;
  now: () => Date;
  /** What the cluster probe last learned of each imported cluster's Kubernetes. */
  probes: ReadonlyMap<string, ClusterProbe>;
}

export const BY_CLUSTER = 'clusterId';

/** The cluster fields a successful probe fills, in Rancher's shapes. */
const kubernetesStatus = (probe: ClusterProbe) => ({
  version: probe.version,
  capacity: probe.capacity,
  allocatable: probe.allocatable,
  componentStatuses: (probe.componentStatuses ?? []).map((c) => ({
    name: c.name,
    conditions: [{ type: 'Healthy', status: c.healthy ? 'True' : 'False', message: c.message }],
  })),
});
const NODE_SETTLE_MS = 500;
export const defaultTokenId = (clusterId: string) => `${clusterId}:default-token`;

/**
 * Keeps each cluster's status honest and its children in place: a default registration token exists for
 * every cluster, the conditions follow its nodes (roles present, how many active), and when a cluster is
 * gone its registration tokens and nodes go too (the garbage collection Kubernetes does with owner
 * references).
 */
export function clusterController(deps: ClusterControllerDeps): Controller {
  const { store, clusters, registrationTokens, nodes } = deps;
  registrationTokens.addIndex(BY_CLUSTER, (o) => [String(o.data.clusterId)]);
  nodes.addIndex(BY_CLUSTER, (o) => [String(o.data.clusterId)]);

  async function removeChildren(clusterId: string) {
    for (const child of registrationTokens.byIndex(BY_CLUSTER, clusterId)) {
      await tolerate(StoreNotFoundError, store.delete('clusterRegistrationToken', child.id));
    }
    for (const node of nodes.byIndex(BY_CLUSTER, clusterId)) await tolerate(StoreNotFoundError, store.delete('node', node.id));
  }

  function clusterNodes(clusterId: string): ClusterNode[] {
    return nodes.byIndex(BY_CLUSTER, clusterId).map((n) => ({
      name: String(n.data.nodeName ?? n.id),
      etcd: n.data.etcd === true,
      controlPlane: n.data.controlPlane === true,
      worker: n.data.worker === true,
      active: ((n.data.conditions ?? []) as Condition[]).some((c) => c.type === 'Ready' && c.status === 'True'),
    }));
  }

  async function ensureDefaultToken(clusterId: string) {
    if (registrationTokens.get(defaultTokenId(clusterId))) return;
    const data = { ...newRegistrationToken(clusterId), name: 'default-token' };
    await tolerate(StoreAlreadyExistsError, store.create('clusterRegistrationToken', defaultTokenId(clusterId), data));
  }

  async function updateStatus(id: string) {
    const cluster = clusters.get(id);
    if (!cluster) return;
    const data = structuredClone(cluster.data) as ClusterData & JsonObject;
    data.driver = clusterDriver(data);
    const members = clusterNodes(id);
    const probe = deps.probes.get(id);
    data.conditions = desiredConditions(data, { nodes: members, probe }, deps.now().toISOString());
    data.nodeCount = probe?.nodeCount ?? members.length;
    if (probe?.reachable) Object.assign(data, kubernetesStatus(probe));
    if (JSON.stringify(data) === JSON.stringify(cluster.data)) return;
    await store.update('cluster', id, data, cluster.resourceVersion);
  }

  const controller = new Controller({
    name: 'cluster',
    informers: [clusters, registrationTokens, nodes],
    logger: deps.logger,
    async sync(id) {
      if (!clusters.get(id)) return removeChildren(id);
      await ensureDefaultToken(id);
      await updateStatus(id);
    },
  });
  controller.watch(clusters);
  controller.watchRelated(registrationTokens, (o) => [String(o.data.clusterId)]);
  // Node churn (thousands of agents connecting) is folded into at most one status sync per cluster per
  // NODE_SETTLE_MS: the status is a summary, and recomputing it per node event is O(nodes²).
  const settle = (o: { data: NodeData }) => controller.enqueueAfter(String(o.data.clusterId), NODE_SETTLE_MS);
  nodes.addHandler({ add: settle, update: (_old, next) => settle(next), delete: settle });
  return controller;
}
