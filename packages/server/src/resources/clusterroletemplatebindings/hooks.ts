import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import type { JsonObject } from '../../schema/validate.js';
import { clusterBindingId, scopedBindingKind, type ScopedBindingDeps } from '../rbac/scoped-binding.js';
import { clusterRoleTemplateBindingSchema } from './schema.js';

/** `/v3/clusterroletemplatebindings`: cluster members and their roles. */
export function clusterRoleTemplateBindingKind(deps: ScopedBindingDeps & { clusters: ObjectCache<unknown> }): ResourceKind {
  return scopedBindingKind(
    {
      schema: clusterRoleTemplateBindingSchema,
      resource: 'clusterroletemplatebindings',
      context: 'cluster',
      scopeField: 'clusterId',
      scopeObjects: deps.clusters,
      scopeOf: (clusterId) => ({ clusterId }),
      newId: clusterBindingId,
    },
    { ...deps, cache: deps.cache as ObjectCache<JsonObject> },
  );
}
