import { requireCaller } from '../../api/context.js';
import { ApiError } from '../../api/errors.js';
import type { ObjectCache, ResourceAction, ResourceKind } from '../../api/kind.js';
import { generateName } from '../../auth/secrets.js';
import type { JsonObject } from '../../schema/validate.js';
import type { Access } from '../rbac/access.js';
import { clusterSchema, type ClusterData } from './schema.js';
import { clusterDriver, desiredConditions } from './status.js';

export interface ClusterKindDeps {
  cache: ObjectCache<ClusterData>;
  now: () => Date;
  access: Access;
  /** Resolves once the creator of a new cluster is its owner (see ResourceKind.settled). */
  settled: NonNullable<ResourceKind['settled']>;
  generateKubeconfig: ResourceAction;
}

function assertNameFree(cache: ObjectCache<ClusterData>, name: string, exceptId?: string) {
  const taken = cache.list().some((c) => c.id !== exceptId && String(c.data.name).toLowerCase() === name.toLowerCase());
  if (taken) throw new ApiError('NotUnique', `cluster name "${name}" is already in use`, 'name');
}

/** `/v3/clusters`: custom (RKE config), imported (no config) and the built-in `local`; seen by its members. */
export function clusterKind(deps: ClusterKindDeps): ResourceKind {
  const { cache } = deps;
  const byRules = deps.access.kindAllowed('clusters', (o) => ({ clusterId: o.id || undefined }));
  return {
    schema: clusterSchema,
    cache: cache as ObjectCache<JsonObject>,
    serializeCreates: true,
    relations: ['clusterregistrationtokens', 'nodes'],
    // The built-in `local` cluster offers no remove link, whoever asks.
    allowed: (ctx, verb, obj) => !(verb === 'delete' && obj?.data.internal === true) && byRules(ctx, verb, obj),
    settled: deps.settled,
    // Who may see a cluster may reach its API (what they may do there is the cluster's RBAC).
    actionVerbs: { generateKubeconfig: 'get' },
    actions: { generateKubeconfig: deps.generateKubeconfig },
    async prepareCreate(ctx, input) {
      assertNameFree(cache, String(input.name));
      const data = { ...input, creatorId: requireCaller(ctx).userId, internal: false } as ClusterData & JsonObject;
      data.driver = clusterDriver(data);
      data.conditions = desiredConditions(data, { nodes: [] }, deps.now().toISOString());
      return { id: generateName('c'), data };
    },
    async prepareUpdate(_ctx, current, merged, changed) {
      if (changed.includes('name')) assertNameFree(cache, String(merged.name), current.id);
      return merged;
    },
    checkDelete(_ctx, obj) {
      if (obj.data.internal === true) throw new ApiError('MethodNotAllow', 'the local cluster cannot be removed');
    },
  };
}
