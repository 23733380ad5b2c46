import type { RequestContext } from '../../api/context.js';
import { formatResource } from '../../api/format.js';
import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import type { JsonObject } from '../../schema/validate.js';
import type { ResourceStore, StoredObject } from '../../store/types.js';
import type { Access } from '../rbac/access.js';
import { nodeSchema, type NodeData } from './schema.js';

export interface NodeKindDeps {
  cache: ObjectCache<NodeData>;
  store: ResourceStore;
  access: Access;
}

/**
 * `/v3/nodes`: read and changed by who may, in the node's cluster (cluster owners, node managers, members read). Deleting a node is what
 * tells its agent to stop: the node controller closes the tunnel with "node removed" and the agent exits 0.
 */
export function nodeKind(deps: NodeKindDeps): ResourceKind {
  const { cache, store } = deps;

  // Offered only when it changes something (availableActions), so a second cordon is ActionNotAvailable.
  const setUnschedulable = (wanted: boolean) => async (ctx: RequestContext, obj: StoredObject<JsonObject>) => {
    const saved = await store.update<JsonObject>('node', obj.id, { ...obj.data, unschedulable: wanted }, obj.resourceVersion);
    await cache.waitForRevision(saved.resourceVersion);
    return { status: 200, body: formatResource(ctx, kind, saved) };
  };

  const kind: ResourceKind = {
    schema: nodeSchema,
    cache: cache as ObjectCache<JsonObject>,
    allowed: deps.access.kindAllowed('nodes', (o) => ({ clusterId: String(o.data.clusterId) })),
    availableActions: (_ctx, obj) => [obj.data.unschedulable === true ? 'uncordon' : 'cordon'],
    actions: { cordon: setUnschedulable(true), uncordon: setUnschedulable(false) },
  };
  return kind;
}
