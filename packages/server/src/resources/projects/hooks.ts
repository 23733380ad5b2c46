import { requireCaller } from '../../api/context.js';
import { ApiError } from '../../api/errors.js';
import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import { generateName } from '../../auth/secrets.js';
import type { JsonObject } from '../../schema/validate.js';
import type { Access } from '../rbac/access.js';
import { projectSchema, SYSTEM_PROJECT_LABEL, type ProjectData } from './schema.js';

export interface ProjectKindDeps {
  cache: ObjectCache<ProjectData>;
  clusters: ObjectCache<unknown>;
  access: Access;
  /** Resolves once the creator of a new project is its owner (see ResourceKind.settled). */
  settled: NonNullable<ResourceKind['settled']>;
}

function assertNameFree(cache: ObjectCache<ProjectData>, clusterId: string, name: string, exceptId?: string) {
  const taken = cache.list().some((p) => p.id !== exceptId && p.data.clusterId === clusterId && String(p.data.name).toLowerCase() === name.toLowerCase());
  if (taken) throw new ApiError('NotUnique', `cluster ${clusterId} already has a project named "${name}"`, 'name');
}

/** `/v3/projects`: groups of a cluster's namespaces; `Default` and `System` exist in every cluster. */
export function projectKind(deps: ProjectKindDeps): ResourceKind {
  const { cache, access } = deps;
  return {
    schema: projectSchema,
    cache: cache as ObjectCache<JsonObject>,
    serializeCreates: true,
    allowed: access.kindAllowed('projects', (o) => ({ clusterId: String(o.data.clusterId), projectId: o.id || undefined })),
    async prepareCreate(ctx, input) {
      const clusterId = String(input.clusterId);
      if (!deps.clusters.get(clusterId)) throw new ApiError('InvalidReference', `cluster "${clusterId}" not found`, 'clusterId');
      assertNameFree(cache, clusterId, String(input.name));
      return { id: `${clusterId}:${generateName('p')}`, data: { ...input, creatorId: requireCaller(ctx).userId } };
    },
    settled: deps.settled,
    async prepareUpdate(_ctx, current, merged, changed) {
      if (changed.includes('name')) assertNameFree(cache, String(current.data.clusterId), String(merged.name), current.id);
      return merged;
    },
    checkDelete(_ctx, obj) {
      const labels = (obj.data.labels ?? {}) as Record<string, string>;
      if (labels[SYSTEM_PROJECT_LABEL] === 'true') throw new ApiError('InvalidAction', 'the System project cannot be deleted');
    },
  };
}
