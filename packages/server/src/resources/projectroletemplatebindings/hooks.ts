import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import { clusterOfProject } from '../../auth/authorizer.js';
import type { JsonObject } from '../../schema/validate.js';
import { projectBindingId, scopedBindingKind, type ScopedBindingDeps } from '../rbac/scoped-binding.js';
import { projectRoleTemplateBindingSchema } from './schema.js';

/** `/v3/projectroletemplatebindings`: project members and their roles. */
export function projectRoleTemplateBindingKind(deps: ScopedBindingDeps & { projects: ObjectCache<unknown> }): ResourceKind {
  return scopedBindingKind(
    {
      schema: projectRoleTemplateBindingSchema,
      resource: 'projectroletemplatebindings',
      context: 'project',
      scopeField: 'projectId',
      scopeObjects: deps.projects,
      scopeOf: (projectId) => ({ clusterId: clusterOfProject(projectId), projectId }),
      newId: projectBindingId,
    },
    { ...deps, cache: deps.cache as ObjectCache<JsonObject> },
  );
}
