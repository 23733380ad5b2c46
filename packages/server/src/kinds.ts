import type { ObjectCache, ResourceKind } from './api/kind.js';
import { ApiVersion } from './api/registry.js';
import { Authorizer, clusterOfProject } from './auth/authorizer.js';
import type { LoginThrottle } from './auth/throttle.js';
import type { Informer } from './informer/informer.js';
import { authProviderKind, localProviderKind } from './resources/authproviders/hooks.js';
import { basicLoginInput } from './resources/authproviders/schema.js';
import { clusterRegistrationTokenKind } from './resources/clusterregistrationtokens/hooks.js';
import type { ClusterRegistrationTokenData } from './resources/clusterregistrationtokens/schema.js';
import { clusterRoleTemplateBindingKind } from './resources/clusterroletemplatebindings/hooks.js';
import type { ClusterRoleTemplateBindingData } from './resources/clusterroletemplatebindings/schema.js';
import { clusterKind } from './resources/clusters/hooks.js';
import { generateKubeconfigAction } from './resources/clusters/kubeconfig-action.js';
import { generateKubeConfigOutput, type ClusterData } from './resources/clusters/schema.js';
import { globalRoleBindingKind } from './resources/globalrolebindings/hooks.js';
import type { GlobalRoleBindingData } from './resources/globalrolebindings/schema.js';
import { globalRoleKind } from './resources/globalroles/hooks.js';
import type { GlobalRoleData } from './resources/globalroles/schema.js';
import { nodeKind } from './resources/nodes/hooks.js';
import type { NodeData } from './resources/nodes/schema.js';
import { principalKind, searchPrincipalsInput } from './resources/principals/hooks.js';
import { projectRoleTemplateBindingKind } from './resources/projectroletemplatebindings/hooks.js';
import type { ProjectRoleTemplateBindingData } from './resources/projectroletemplatebindings/schema.js';
import { projectKind } from './resources/projects/hooks.js';
import type { ProjectData } from './resources/projects/schema.js';
import { Access, settledWhen, userCascade } from './resources/rbac/access.js';
import { roleTemplateKind } from './resources/roletemplates/hooks.js';
import type { RoleTemplateData } from './resources/roletemplates/schema.js';
import { settingKind } from './resources/settings/hooks.js';
import type { SettingData } from './resources/settings/schema.js';
import type { Settings } from './resources/settings/settings.js';
import { tokenKind } from './resources/tokens/hooks.js';
import type { TokenData } from './resources/tokens/schema.js';
import { userKind } from './resources/users/hooks.js';
import { changePasswordInput, setPasswordInput, type UserData } from './resources/users/schema.js';
import type { ResourceStore } from './store/types.js';
import type { ClusterNamespaces } from './k8s/namespaces/cluster-namespaces.js';
import type { ClusterUpstreams } from './k8s/upstream.js';
import { namespaceKind } from './resources/namespaces/hooks.js';
import { namespaceMoveInput } from './resources/namespaces/schema.js';

/** The informers of every stored kind, by the kind's schema id. */
export interface Informers {
  user: Informer<UserData>;
  token: Informer<TokenData>;
  setting: Informer<SettingData>;
  cluster: Informer<ClusterData>;
  clusterRegistrationToken: Informer<ClusterRegistrationTokenData>;
  node: Informer<NodeData>;
  globalRole: Informer<GlobalRoleData>;
  globalRoleBinding: Informer<GlobalRoleBindingData>;
  roleTemplate: Informer<RoleTemplateData>;
  clusterRoleTemplateBinding: Informer<ClusterRoleTemplateBindingData>;
  projectRoleTemplateBinding: Informer<ProjectRoleTemplateBindingData>;
  project: Informer<ProjectData>;
}

export const STORED_KINDS = [
  'user',
  'token',
  'setting',
  'cluster',
  'clusterRegistrationToken',
  'node',
  'globalRole',
  'globalRoleBinding',
  'roleTemplate',
  'clusterRoleTemplateBinding',
  'projectRoleTemplateBinding',
  'project',
] as const satisfies readonly (keyof Informers)[];

/** The one authorizer, over the informers of roles and bindings. */
export function buildAuthorizer(i: Informers): Authorizer {
  return new Authorizer({
    globalRoles: i.globalRole,
    globalRoleBindings: i.globalRoleBinding,
    roleTemplates: i.roleTemplate,
    clusterRoleTemplateBindings: i.clusterRoleTemplateBinding,
    projectRoleTemplateBindings: i.projectRoleTemplateBinding,
  });
}

export interface KindDeps {
  store: ResourceStore;
  informers: Informers;
  settings: Settings;
  throttle: LoginThrottle;
  authorizer: Authorizer;
  now: () => Date;
  namespaces: ClusterNamespaces;
  upstreams: ClusterUpstreams;
}

const cache = <T>(informer: Informer<T>) => informer as ObjectCache<T>;
/** Everything that belongs to a user: what must be gone when the user is. */
const userLeftovers = (i: Informers) => [i.token, i.globalRoleBinding, i.clusterRoleTemplateBinding, i.projectRoleTemplateBinding];

const rbacSources = (i: Informers) => [i.globalRoleBinding, i.clusterRoleTemplateBinding, i.projectRoleTemplateBinding, i.roleTemplate, i.globalRole];

/** The access-control kinds: roles, bindings, projects and principals. */
function rbacKinds(i: Informers, access: Access): ResourceKind[] {
  const scoped = { roleTemplates: cache(i.roleTemplate), users: cache(i.user), access };
  return [
    globalRoleKind({ cache: cache(i.globalRole), bindings: cache(i.globalRoleBinding), access }),
    globalRoleBindingKind({ cache: cache(i.globalRoleBinding), roles: cache(i.globalRole), users: cache(i.user), access }),
    roleTemplateKind({ cache: cache(i.roleTemplate), bindings: [cache(i.clusterRoleTemplateBinding), cache(i.projectRoleTemplateBinding)], access }),
    clusterRoleTemplateBindingKind({ ...scoped, cache: cache(i.clusterRoleTemplateBinding), clusters: cache(i.cluster) }),
    projectRoleTemplateBindingKind({ ...scoped, cache: cache(i.projectRoleTemplateBinding), projects: cache(i.project) }),
    projectKind({
      cache: cache(i.project),
      clusters: cache(i.cluster),
      access,
      settled: settledWhen(cache(i.project), [i.project, ...rbacSources(i)], (ctx, p) =>
        p.data.rbacInitialized === true && access.can(ctx, 'get', 'projects', { clusterId: clusterOfProject(p.id), projectId: p.id }, p.id),
      ),
    }),
    principalKind({ users: cache(i.user), access }),
  ];
}

/** Builds the served kinds and groups them into the `/v3` and `/v3-public` API versions. */
export function buildApiVersions(deps: KindDeps): { v3: ApiVersion; v3Public: ApiVersion } {
  const { store, informers: i, settings, now } = deps;
  const access = new Access(deps.authorizer);
  const tokens = tokenKind({ cache: cache(i.token), clusters: cache(i.cluster), store, settings, now, access });
  const v3Kinds: ResourceKind[] = [
    userKind({
      cache: cache(i.user),
      settingsCache: cache(i.setting),
      store,
      settings,
      access,
      settled: settledWhen(cache(i.user), [i.user], (_ctx, u) => u.data.defaultRolesBound === true),
      cascaded: userCascade(userLeftovers(i)),
    }),
    tokens,
    settingKind(cache(i.setting), settings, access),
    clusterKind({
      cache: cache(i.cluster),
      now,
      access,
      settled: settledWhen(cache(i.cluster), [i.cluster, ...rbacSources(i)], (ctx, c) =>
        c.data.rbacInitialized === true && access.can(ctx, 'get', 'clusters', { clusterId: c.id }, c.id),
      ),
      generateKubeconfig: generateKubeconfigAction({ store, tokens: cache(i.token), settings, now }),
    }),
    clusterRegistrationTokenKind({ cache: cache(i.clusterRegistrationToken), clusters: cache(i.cluster), settings, access }),
    nodeKind({ cache: i.node, store, access, upstreams: deps.upstreams }),
    ...rbacKinds(i, access),
    namespaceKind({ namespaces: deps.namespaces, upstreams: deps.upstreams, projects: cache(i.project), access }),
  ];
  const local = localProviderKind({
    users: cache(i.user),
    tokens: cache(i.token),
    tokenKind: tokens,
    store,
    settings,
    throttle: deps.throttle,
    now,
  });
  return {
    v3: new ApiVersion('/v3', v3Kinds, [changePasswordInput, setPasswordInput, searchPrincipalsInput, generateKubeConfigOutput, namespaceMoveInput]),
    v3Public: new ApiVersion('/v3-public', [authProviderKind(local), local], [basicLoginInput]),
  };
}
