import { Controller } from '../../informer/controller.js';
import type { Informer } from '../../informer/informer.js';
import type { Logger } from '../../informer/logger.js';
import { isSyncedNode, syncedNodeData, syncedNodeId, type KubeNode } from '../../resources/nodes/kube-node.js';
import type { NodeData } from '../../resources/nodes/schema.js';
import type { ClusterData } from '../../resources/clusters/schema.js';
import { clusterDriver } from '../../resources/clusters/status.js';
import type { JsonObject } from '../../schema/validate.js';
import { StoreAlreadyExistsError, StoreNotFoundError, type ResourceStore } from '../../store/types.js';
import { tolerate } from '../../store/tolerate.js';
import type { ClusterNodes } from './cluster-nodes.js';

export interface NodeSyncDeps {
  store: ResourceStore;
  clusters: Informer<ClusterData>;
  nodes: Informer<NodeData>;
  kubeNodes: ClusterNodes;
  logger: Logger;
}

/** Clusters whose nodes are what their Kubernetes says (not agents' machines): imported ones and `local`. */
function mirrorsKubernetes(cluster: { data: ClusterData }): boolean {
  const driver = clusterDriver(cluster.data);
  return driver === 'imported' || driver === 'local';
}

/**
 * Rancher's node syncer: an imported cluster's `/v3/nodes` mirror its Kubernetes Nodes, from a live watch.
 * Per cluster: create what is new, update what changed, delete what is gone; nothing is deleted before the
 * cluster's nodes have been listed at least once (an unreachable cluster keeps its last known nodes).
 */
export function nodeSyncController(deps: NodeSyncDeps): Controller {
  const { store, clusters, nodes, kubeNodes } = deps;
  const controller = new Controller({
    name: 'node-sync',
    informers: [clusters, nodes],
    logger: deps.logger,
    async sync(clusterId) {
      const cluster = clusters.get(clusterId);
      // A deleted cluster's nodes go with it (the cluster controller removes its children).
      if (!cluster || !mirrorsKubernetes(cluster)) return;
      const { listed, objects } = kubeNodes.ofCluster(clusterId);
      const desired = new Map(objects.map((o) => {
        const node = o.data as unknown as KubeNode;
        return [syncedNodeId(clusterId, node.metadata.name), syncedNodeData(clusterId, node)] as const;
      }));
      const current = nodes.list().filter((n) => n.data.clusterId === clusterId && isSyncedNode(n.data));
      for (const node of current) {
        const wanted = desired.get(node.id);
        desired.delete(node.id);
        if (!wanted) {
          if (listed) await tolerate(StoreNotFoundError, store.delete('node', node.id, node.resourceVersion));
          continue;
        }
        // What users own on the v3 node (its display name and description) stays theirs.
        const next = { ...wanted, name: node.data.name || wanted.name, description: node.data.description ?? '' };
        if (JSON.stringify(next) !== JSON.stringify(node.data)) await store.update<JsonObject>('node', node.id, next, node.resourceVersion);
      }
      for (const [id, data] of desired) await tolerate(StoreAlreadyExistsError, store.create<JsonObject>('node', id, data));
    },
  });
  controller.watch(clusters);
  controller.watch(nodes, (n) => String(n.data.clusterId));
  const enqueue = (o: { data: JsonObject }) => controller.enqueue(String(o.data.clusterId));
  kubeNodes.addHandler({ add: enqueue, update: (_old, next) => enqueue(next), delete: enqueue });
  kubeNodes.onListed((clusterId) => controller.enqueue(clusterId));
  return controller;
}
