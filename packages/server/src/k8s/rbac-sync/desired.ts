import { MANAGEMENT_GROUP, type PolicyRule } from '../../auth/rules.js';

/** The Kubernetes RBAC objects Paddock keeps in a cluster, all labelled as Paddock's. */
export const MANAGED_LABEL = 'paddock.io/managed';
/** Rancher's annotation naming the project a namespace belongs to. */
export const PROJECT_ANNOTATION = 'field.cattle.io/projectId';

export interface Subject {
  kind: 'User' | 'Group';
  name: string;
  apiGroup: 'rbac.authorization.k8s.io';
}

export interface DesiredClusterRole {
  name: string;
  rules: PolicyRule[];
}

export interface DesiredBinding {
  name: string;
  /** Set for RoleBindings; absent for ClusterRoleBindings. */
  namespace?: string;
  roleName: string;
  subjects: Subject[];
}

export interface DesiredRbac {
  clusterRoles: DesiredClusterRole[];
  clusterRoleBindings: DesiredBinding[];
  roleBindings: DesiredBinding[];
}

export interface TemplateView {
  id: string;
  rules: PolicyRule[];
  roleTemplateIds: string[];
  external: boolean;
}

export interface BindingView {
  id: string;
  roleTemplateId: string;
  userId?: string;
  groupPrincipalId?: string;
  /** For project bindings. */
  projectId?: string;
}

export interface RbacInputs {
  /** Users whose global roles grant everything: cluster-admin in every cluster. */
  globalAdmins: string[];
  templates: (id: string) => TemplateView | undefined;
  clusterBindings: BindingView[];
  projectBindings: BindingView[];
  /** The cluster's namespaces with the project each belongs to (if any). */
  namespaces: { name: string; projectId?: string }[];
}

const isEverything = (r: PolicyRule) => r.verbs.includes('*') && (r.resources ?? []).includes('*') && (r.apiGroups ?? []).includes('*');

/** Rules about Kubernetes itself: Paddock's own management group is enforced by Paddock, not the cluster. */
function kubernetesRules(rules: PolicyRule[]): PolicyRule[] {
  return rules
    .filter((r) => (r.nonResourceURLs ?? []).length === 0)
    .map((r) => ({ ...r, apiGroups: (r.apiGroups ?? []).filter((g) => g !== MANAGEMENT_GROUP) }))
    .filter((r) => (r.apiGroups ?? []).length > 0);
}

/** A Kubernetes object name from a Paddock id (`c-abcde:crtb-xyz12` → `c-abcde-crtb-xyz12`). */
export const k8sName = (...parts: string[]) =>
  parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 253);

/**
 * The ClusterRoles a role template stands for in a cluster: `cluster-admin` if it grants everything, the
 * ClusterRoles of its external templates (Kubernetes' own admin/edit/view), and one `paddock-rt-<id>` with
 * the Kubernetes part of its own and inherited rules.
 */
function rolesOf(templateId: string, inputs: RbacInputs, clusterRoles: Map<string, DesiredClusterRole>): string[] {
  const names = new Set<string>();
  const rules: PolicyRule[] = [];
  const seen = new Set<string>();
  const walk = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const t = inputs.templates(id);
    if (!t) return;
    if (t.external) names.add(t.id);
    else rules.push(...t.rules);
    t.roleTemplateIds.forEach(walk);
  };
  walk(templateId);
  if (rules.some(isEverything)) return ['cluster-admin'];
  const own = kubernetesRules(rules);
  if (own.length > 0) {
    const name = k8sName('paddock-rt', templateId);
    clusterRoles.set(name, { name, rules: own });
    names.add(name);
  }
  return [...names];
}

const subjectOf = (b: BindingView): Subject | undefined =>
  b.userId
    ? { kind: 'User', name: b.userId, apiGroup: 'rbac.authorization.k8s.io' }
    : b.groupPrincipalId
      ? { kind: 'Group', name: b.groupPrincipalId, apiGroup: 'rbac.authorization.k8s.io' }
      : undefined;

/** Everything Paddock's bindings mean inside one cluster, as Kubernetes RBAC objects. Pure. */
export function desiredRbac(inputs: RbacInputs): DesiredRbac {
  const clusterRoles = new Map<string, DesiredClusterRole>();
  const clusterRoleBindings: DesiredBinding[] = inputs.globalAdmins.map((userId) => ({
    name: k8sName('paddock-globaladmin', userId),
    roleName: 'cluster-admin',
    subjects: [{ kind: 'User', name: userId, apiGroup: 'rbac.authorization.k8s.io' }],
  }));
  for (const b of inputs.clusterBindings) {
    const subject = subjectOf(b);
    if (!subject) continue;
    for (const roleName of rolesOf(b.roleTemplateId, inputs, clusterRoles)) {
      clusterRoleBindings.push({ name: k8sName('paddock', b.id, roleName), roleName, subjects: [subject] });
    }
  }
  const roleBindings: DesiredBinding[] = [];
  for (const b of inputs.projectBindings) {
    const subject = subjectOf(b);
    if (!subject) continue;
    const roles = rolesOf(b.roleTemplateId, inputs, clusterRoles);
    for (const ns of inputs.namespaces.filter((n) => n.projectId === b.projectId)) {
      for (const roleName of roles) roleBindings.push({ name: k8sName('paddock', b.id, roleName), namespace: ns.name, roleName, subjects: [subject] });
    }
  }
  return { clusterRoles: [...clusterRoles.values()], clusterRoleBindings, roleBindings };
}
