import type { RequestContext } from '../../api/context.js';
import { formatResource } from '../../api/format.js';
import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import type { JsonObject } from '../../schema/validate.js';
import type { ResourceStore, StoredObject } from '../../store/types.js';
import type { Access } from '../rbac/access.js';
import { nodeSchema, type NodeData } from './schema.js';
import { isSyncedNode } from './kube-node.js';
import { ApiError } from '../../api/errors.js';
import { KubeApiError, kubeMergePatch } from '../../k8s/client.js';
import { ClusterUnreachableError, type ClusterUpstreams } from '../../k8s/upstream.js';
import { waitUntil, type ChangeSource } from '../../util/wait-until.js';

export interface NodeKindDeps {
  cache: ObjectCache<NodeData> & ChangeSource;
  store: ResourceStore;
  access: Access;
  /** The clusters' Kubernetes APIs: cordoning a node mirrored from one is done there. */
  upstreams: ClusterUpstreams;
}

const SYNC_WAIT_MS = 10_000;

/**
 * `/v3/nodes`: read and changed by who may, in the node's cluster (cluster owners, node managers, members read). Deleting a node is what
 * tells its agent to stop: the node controller closes the tunnel with "node removed" and the agent exits 0.
 */
export function nodeKind(deps: NodeKindDeps): ResourceKind {
  const { cache, store } = deps;

  // Offered only when it changes something (availableActions), so a second cordon is ActionNotAvailable.
  const setUnschedulable = (wanted: boolean) => async (ctx: RequestContext, obj: StoredObject<JsonObject>) => {
    if (isSyncedNode(obj.data)) return { status: 200, body: formatResource(ctx, kind, await cordonInCluster(obj, wanted)) };
    const saved = await store.update<JsonObject>('node', obj.id, { ...obj.data, unschedulable: wanted }, obj.resourceVersion);
    await cache.waitForRevision(saved.resourceVersion);
    return { status: 200, body: formatResource(ctx, kind, saved) };
  };

  /** An imported cluster's node is cordoned in its Kubernetes (as kubectl cordon does); the sync brings it back here. */
  const cordonInCluster = async (obj: StoredObject<JsonObject>, wanted: boolean): Promise<StoredObject<JsonObject>> => {
    const clusterId = String(obj.data.clusterId);
    const path = `/api/v1/nodes/${encodeURIComponent(String(obj.data.nodeName))}`;
    try {
      await kubeMergePatch(deps.upstreams.get(clusterId), path, { spec: { unschedulable: wanted } });
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) throw new ApiError('NotFound', `node ${String(obj.data.nodeName)} is no longer in cluster ${clusterId}`);
      if (err instanceof KubeApiError || err instanceof ClusterUnreachableError) {
        throw new ApiError('ClusterUnavailable', `cannot ${wanted ? 'cordon' : 'uncordon'} ${String(obj.data.nodeName)} in cluster ${clusterId}: ${err.message}`);
      }
      throw err;
    }
    const shown = () => cache.get(obj.id)?.data.unschedulable === wanted;
    await waitUntil(shown, [cache], SYNC_WAIT_MS);
    return (cache.get(obj.id) ?? obj) as StoredObject<JsonObject>;
  };

  const kind: ResourceKind = {
    schema: nodeSchema,
    cache: cache as ObjectCache<JsonObject>,
    allowed: deps.access.kindAllowed('nodes', (o) => ({ clusterId: String(o.data.clusterId) })),
    availableActions: (_ctx, obj) => [obj.data.unschedulable === true ? 'uncordon' : 'cordon'],
    actions: { cordon: setUnschedulable(true), uncordon: setUnschedulable(false) },
    checkDelete(_ctx, obj) {
      if (isSyncedNode(obj.data)) {
        throw new ApiError('MethodNotAllow', `node ${String(obj.data.nodeName)} is reported by its cluster's Kubernetes API: remove it there (kubectl delete node ${String(obj.data.nodeName)}) and it goes from here too`);
      }
    },
  };
  return kind;
}
