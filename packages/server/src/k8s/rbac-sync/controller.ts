import type { PolicyRule } from '../../auth/rules.js';
import { Controller } from '../../informer/controller.js';
import type { Informer } from '../../informer/informer.js';
import type { Logger } from '../../informer/logger.js';
import type { ClusterRoleTemplateBindingData } from '../../resources/clusterroletemplatebindings/schema.js';
import type { ClusterData } from '../../resources/clusters/schema.js';
import type { GlobalRoleBindingData } from '../../resources/globalrolebindings/schema.js';
import type { GlobalRoleData } from '../../resources/globalroles/schema.js';
import type { ProjectRoleTemplateBindingData } from '../../resources/projectroletemplatebindings/schema.js';
import type { RoleTemplateData } from '../../resources/roletemplates/schema.js';
import { clusterOfProject } from '../../auth/authorizer.js';
import { KubeconfigError } from '../kubeconfig.js';
import { ClusterUnreachableError, type ClusterUpstreams } from '../upstream.js';
import { applyRbac, listNamespaces } from './apply.js';
import { desiredRbac, type BindingView, type TemplateView } from './desired.js';

export interface RbacSyncDeps {
  clusters: Informer<ClusterData>;
  globalRoles: Informer<GlobalRoleData>;
  globalRoleBindings: Informer<GlobalRoleBindingData>;
  roleTemplates: Informer<RoleTemplateData>;
  clusterRoleTemplateBindings: Informer<ClusterRoleTemplateBindingData>;
  projectRoleTemplateBindings: Informer<ProjectRoleTemplateBindingData>;
  upstreams: ClusterUpstreams;
  logger: Logger;
  /** How often each reachable cluster is checked again for drift (and new namespaces). */
  resyncMs?: number;
}

const DEFAULT_RESYNC_MS = 60_000;
const UNREACHABLE_RETRY_MS = 30_000;
const grantsEverything = (rules: PolicyRule[]) => rules.some((r) => r.verbs.includes('*') && (r.resources ?? []).includes('*') && (r.apiGroups ?? []).includes('*'));

/**
 * Keeps each reachable cluster's Kubernetes RBAC what Paddock's bindings say: global admins and cluster
 * owners are cluster-admin, other cluster roles become ClusterRoleBindings, project roles become
 * RoleBindings in the project's namespaces. Resynced periodically, so edits made in the cluster (drift)
 * and namespaces moved between projects are repaired.
 */
export function rbacSyncController(deps: RbacSyncDeps): Controller {
  const { clusters, upstreams } = deps;
  const resyncMs = deps.resyncMs ?? DEFAULT_RESYNC_MS;

  const templateView = (id: string): TemplateView | undefined => {
    const t = deps.roleTemplates.get(id);
    return t && { id: t.id, rules: (t.data.rules ?? []) as PolicyRule[], roleTemplateIds: t.data.roleTemplateIds ?? [], external: t.data.external === true };
  };
  const view = (b: { id: string; data: { roleTemplateId: string; userId?: string | null; groupPrincipalId?: string | null; projectId?: string } }): BindingView => ({
    id: b.id,
    roleTemplateId: b.data.roleTemplateId,
    userId: b.data.userId ?? undefined,
    groupPrincipalId: b.data.groupPrincipalId ?? undefined,
    projectId: b.data.projectId,
  });
  const globalAdmins = () => {
    const admins = new Set(deps.globalRoles.list().filter((r) => grantsEverything((r.data.rules ?? []) as PolicyRule[])).map((r) => r.id));
    return [...new Set(deps.globalRoleBindings.list().filter((b) => admins.has(b.data.globalRoleId) && b.data.userId).map((b) => String(b.data.userId)))].sort();
  };

  const controller: Controller = new Controller({
    name: 'k8s-rbac-sync',
    informers: [clusters, deps.globalRoles, deps.globalRoleBindings, deps.roleTemplates, deps.clusterRoleTemplateBindings, deps.projectRoleTemplateBindings],
    logger: deps.logger,
    async sync(clusterId) {
      if (!clusters.get(clusterId)) return;
      let upstream;
      try {
        upstream = upstreams.get(clusterId);
      } catch (err) {
        // Not reachable (yet): nothing to keep in sync; the cluster's status says why.
        if (err instanceof ClusterUnreachableError || err instanceof KubeconfigError) {
          controller.enqueueAfter(clusterId, UNREACHABLE_RETRY_MS);
          return;
        }
        throw err;
      }
      const desired = desiredRbac({
        globalAdmins: globalAdmins(),
        templates: templateView,
        clusterBindings: deps.clusterRoleTemplateBindings.list().filter((b) => b.data.clusterId === clusterId).map(view),
        projectBindings: deps.projectRoleTemplateBindings.list().filter((b) => clusterOfProject(b.data.projectId) === clusterId).map(view),
        namespaces: await listNamespaces(upstream),
      });
      const result = await applyRbac(upstream, desired);
      if (result.created + result.updated + result.deleted > 0) deps.logger.info({ clusterId, ...result }, 'cluster RBAC synced');
      controller.enqueueAfter(clusterId, resyncMs);
    },
  });
  const everyCluster = () => clusters.list().map((c) => c.id);
  controller.watch(clusters);
  controller.watchRelated(deps.clusterRoleTemplateBindings, (b) => [String(b.data.clusterId)]);
  controller.watchRelated(deps.projectRoleTemplateBindings, (b) => [clusterOfProject(String(b.data.projectId))]);
  controller.watchRelated(deps.roleTemplates, everyCluster);
  controller.watchRelated(deps.globalRoleBindings, everyCluster);
  controller.watchRelated(deps.globalRoles, everyCluster);
  return controller;
}
