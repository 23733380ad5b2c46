import type { RequestContext } from '../../api/context.js';
import { ApiError } from '../../api/errors.js';
import { formatResource } from '../../api/format.js';
import type { KindBackend, ObjectCache, ResourceKind } from '../../api/kind.js';
import { clusterOfProject, type Scope } from '../../auth/authorizer.js';
import { KubeApiError, kubeCall } from '../../k8s/client.js';
import { toNamespace, type ClusterNamespaces } from '../../k8s/namespaces/cluster-namespaces.js';
import type { KubeObject } from '../../k8s/watch-cache/watch.js';
import { PROJECT_ANNOTATION } from '../../k8s/rbac-sync/desired.js';
import { ClusterUnreachableError, type ClusterUpstreams } from '../../k8s/upstream.js';
import { validateCreate, type JsonObject } from '../../schema/validate.js';
import { StoreAlreadyExistsError, StoreConflictError, StoreNotFoundError, type StoredObject } from '../../store/types.js';
import type { Access } from '../rbac/access.js';
import { namespaceMoveInput, namespaceSchema } from './schema.js';

export interface NamespaceKindDeps {
  namespaces: ClusterNamespaces;
  upstreams: ClusterUpstreams;
  projects: ObjectCache<unknown>;
  access: Access;
}

const DESCRIPTION_ANNOTATION = 'field.cattle.io/description';
const splitId = (id: string) => ({ clusterId: id.slice(0, id.indexOf(':')), name: id.slice(id.indexOf(':') + 1) });
const scopeOf = (data: JsonObject): Scope => ({ clusterId: String(data.clusterId), projectId: typeof data.projectId === 'string' && data.projectId ? data.projectId : undefined });

/** Kubernetes' answers as the store's errors, so the API layer answers them the same way. */
async function translated<T>(id: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ClusterUnreachableError) throw new ApiError('ClusterUnavailable', err.message);
    if (!(err instanceof KubeApiError)) throw err;
    if (err.status === 404) throw new StoreNotFoundError('namespace', id);
    if (err.status === 409) throw new StoreConflictError('namespace', id, 0, 0);
    if (err.status === 422 || err.status === 400) throw new ApiError('InvalidFormat', err.message, 'name');
    throw new ApiError('ClusterUnavailable', `the cluster refused: ${err.message}`);
  }
}

/** Writes go to the cluster's Kubernetes API; each answers once the watch shows the change. */
function namespaceBackend(deps: NamespaceKindDeps): KindBackend {
  const { namespaces, upstreams } = deps;
  const annotations = (data: JsonObject, base: Record<string, string> = {}) => {
    const out: Record<string, string> = { ...base, [DESCRIPTION_ANNOTATION]: String(data.description ?? '') };
    if (typeof data.projectId === 'string' && data.projectId) out[PROJECT_ANNOTATION] = data.projectId;
    else delete out[PROJECT_ANNOTATION];
    return out;
  };
  const path = (name: string) => `/api/v1/namespaces/${encodeURIComponent(name)}`;
  return {
    async create<T>(_kind: string, id: string, data: T) {
      const d = data as JsonObject;
      const { clusterId, name } = splitId(id);
      const created = await translated(id, async () => {
        try {
          return await kubeCall<KubeObject>(upstreams.get(clusterId), 'POST', '/api/v1/namespaces', { metadata: { name, annotations: annotations(d) } });
        } catch (err) {
          if (err instanceof KubeApiError && err.status === 409) throw new StoreAlreadyExistsError('namespace', id);
          throw err;
        }
      });
      await namespaces.seen(id, (o) => o !== undefined);
      return toNamespace(clusterId, created) as StoredObject<T>;
    },
    async update<T>(_kind: string, id: string, data: T, expectedVersion?: number) {
      const { clusterId, name } = splitId(id);
      const upstream = () => upstreams.get(clusterId);
      const saved = await translated(id, async () => {
        const current = await kubeCall<KubeObject>(upstream(), 'GET', path(name));
        const metadata = { ...current.metadata, annotations: annotations(data as JsonObject, current.metadata.annotations) };
        if (expectedVersion !== undefined) metadata.resourceVersion = String(expectedVersion);
        return kubeCall<KubeObject>(upstream(), 'PUT', path(name), { ...current, metadata });
      });
      const version = Number(saved.metadata.resourceVersion);
      await namespaces.seen(id, (o) => o !== undefined && o.resourceVersion >= version);
      return toNamespace(clusterId, saved) as StoredObject<T>;
    },
    async delete<T>(_kind: string, id: string) {
      const { clusterId, name } = splitId(id);
      const before = namespaces.get(id);
      await translated(id, () => kubeCall(upstreams.get(clusterId), 'DELETE', path(name), undefined, [200, 202]));
      // Kubernetes deletes a namespace in the background (Terminating until its content is gone).
      await namespaces.seen(id, (o) => o === undefined || o.data.removed !== undefined);
      return (before ?? { kind: 'namespace', id, resourceVersion: 0, created: '', data: {} }) as StoredObject<T>;
    },
  };
}

/**
 * `/v3/namespaces` (and `/v3/clusters/<id>/namespaces`): a cluster's namespaces and the projects they are in.
 * Who may see a project sees its namespaces; creating needs `create namespaces` in the project (project
 * owners and members), moving needs it in the target project too.
 */
export function namespaceKind(deps: NamespaceKindDeps): ResourceKind {
  const { access } = deps;
  const may = (ctx: RequestContext, verb: string, scope: Scope, name?: string) => {
    const subject = access.subject(ctx);
    return subject !== undefined && access.authorizer.can(subject, { verb, resource: 'namespaces', apiGroup: '', name }, scope);
  };
  const inProject = (ctx: RequestContext, scope: Scope) =>
    scope.projectId !== undefined && access.can(ctx, 'get', 'projects', scope, scope.projectId);
  const backend = namespaceBackend(deps);
  const kind: ResourceKind = {
    schema: namespaceSchema,
    cache: deps.namespaces,
    backend,
    allowed(ctx, verb, obj) {
      if (!ctx.caller) return false;
      if (!obj) return verb === 'list' || verb === 'create';
      const scope = scopeOf(obj.data);
      const name = String(obj.data.name ?? '');
      if (verb === 'get' || verb === 'list') return may(ctx, 'get', scope, name) || may(ctx, 'list', scope) || inProject(ctx, scope);
      return may(ctx, verb, scope, name || undefined);
    },
    async prepareCreate(_ctx, input) {
      const clusterId = String(input.clusterId);
      const projectId = typeof input.projectId === 'string' ? input.projectId : undefined;
      if (projectId && (!deps.projects.get(projectId) || clusterOfProject(projectId) !== clusterId)) {
        throw new ApiError('InvalidReference', `project "${projectId}" not found in cluster ${clusterId}`, 'projectId');
      }
      return { id: `${clusterId}:${String(input.name)}`, data: input };
    },
    async prepareUpdate(ctx, current, merged, changed) {
      if (changed.includes('projectId')) checkMove(ctx, current, merged.projectId);
      return merged;
    },
    actionVerbs: { move: 'update' },
    actions: {
      async move(ctx, obj, body) {
        const input = validateCreate(namespaceMoveInput.fields, body);
        checkMove(ctx, obj, input.projectId);
        const saved = await backend.update<JsonObject>('namespace', obj.id, { ...obj.data, projectId: input.projectId ?? null }, obj.resourceVersion);
        return { status: 200, body: formatResource(ctx, kind, saved) };
      },
    },
  };
  function checkMove(ctx: RequestContext, obj: StoredObject<JsonObject>, target: unknown) {
    const clusterId = String(obj.data.clusterId);
    if (typeof target === 'string' && target !== '') {
      if (!deps.projects.get(target) || clusterOfProject(target) !== clusterId) throw new ApiError('InvalidReference', `project "${target}" not found in cluster ${clusterId}`, 'projectId');
      if (!may(ctx, 'create', { clusterId, projectId: target })) throw new ApiError('PermissionDenied', `you may not move namespaces into project ${target}`);
    }
  }
  return kind;
}
