import { kubeCall } from '../client.js';
import type { Upstream } from '../upstream.js';
import { MANAGED_LABEL, PROJECT_ANNOTATION, type DesiredBinding, type DesiredClusterRole, type DesiredRbac } from './desired.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const SELECTOR = `labelSelector=${encodeURIComponent(`${MANAGED_LABEL}=true`)}`;
const LABELS = { [MANAGED_LABEL]: 'true' };

interface Meta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  annotations?: Record<string, string>;
}
interface KubeRole {
  metadata: Meta;
  rules?: unknown[];
}
interface KubeBinding {
  metadata: Meta;
  roleRef: { name: string; kind: string };
  subjects?: unknown[];
}
interface List<T> {
  items: T[];
}

/** The changes one reconcile made, for the log. */
export interface ApplyResult {
  created: number;
  updated: number;
  deleted: number;
}

/** The cluster's namespaces and the Paddock project each is assigned to. */
export async function listNamespaces(upstream: Upstream): Promise<{ name: string; projectId?: string }[]> {
  const list = await kubeCall<List<{ metadata: Meta }>>(upstream, 'GET', '/api/v1/namespaces');
  return list.items.map((n) => ({ name: n.metadata.name, projectId: n.metadata.annotations?.[PROJECT_ANNOTATION] }));
}

/** JSON with every object's keys sorted: Kubernetes answers in its own field order (kind, apiGroup, name). */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
// A false "differs" is not harmless: a binding that differs is deleted and made again, and in between its user is refused.
const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);
/** Kubernetes drops empty fields: compare rules the way the server stores them. */
const normalizeRules = (rules: unknown[] | undefined) =>
  (rules ?? []).map((r) => Object.fromEntries(Object.entries(r as Record<string, unknown>).filter(([, v]) => Array.isArray(v) && v.length > 0)));

const roleBody = (r: DesiredClusterRole, resourceVersion?: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: r.name, labels: LABELS, ...(resourceVersion ? { resourceVersion } : {}) },
  rules: r.rules,
});

const bindingBody = (b: DesiredBinding) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: b.namespace ? 'RoleBinding' : 'ClusterRoleBinding',
  metadata: { name: b.name, labels: LABELS, ...(b.namespace ? { namespace: b.namespace } : {}) },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.roleName },
  subjects: b.subjects,
});

async function syncRoles(upstream: Upstream, desired: DesiredClusterRole[], result: ApplyResult): Promise<void> {
  const existing = new Map((await kubeCall<List<KubeRole>>(upstream, 'GET', `${RBAC}/clusterroles?${SELECTOR}`)).items.map((r) => [r.metadata.name, r]));
  for (const role of desired) {
    const current = existing.get(role.name);
    existing.delete(role.name);
    if (!current) {
      await kubeCall(upstream, 'POST', `${RBAC}/clusterroles`, roleBody(role));
      result.created++;
    } else if (!same(normalizeRules(current.rules), normalizeRules(role.rules))) {
      await kubeCall(upstream, 'PUT', `${RBAC}/clusterroles/${role.name}`, roleBody(role, current.metadata.resourceVersion));
      result.updated++;
    }
  }
  for (const name of existing.keys()) {
    await kubeCall(upstream, 'DELETE', `${RBAC}/clusterroles/${name}`, undefined, [200, 202, 404]);
    result.deleted++;
  }
}

const bindingKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;
const bindingPath = (namespace: string | undefined, name?: string) =>
  `${RBAC}${namespace ? `/namespaces/${namespace}/rolebindings` : '/clusterrolebindings'}${name ? `/${name}` : ''}`;

async function syncBindings(upstream: Upstream, desired: DesiredBinding[], namespaced: boolean, result: ApplyResult): Promise<void> {
  const list = await kubeCall<List<KubeBinding>>(upstream, 'GET', `${RBAC}/${namespaced ? 'rolebindings' : 'clusterrolebindings'}?${SELECTOR}`);
  const existing = new Map(list.items.map((b) => [bindingKey(b.metadata.namespace, b.metadata.name), b]));
  for (const binding of desired) {
    const key = bindingKey(binding.namespace, binding.name);
    const current = existing.get(key);
    existing.delete(key);
    const body = bindingBody(binding);
    if (current && current.roleRef.name === binding.roleName && same(current.subjects ?? [], binding.subjects)) continue;
    // roleRef cannot change in place: a binding to another role is deleted and made again.
    if (current) {
      await kubeCall(upstream, 'DELETE', bindingPath(binding.namespace, binding.name), undefined, [200, 202, 404]);
      result.updated++;
    } else {
      result.created++;
    }
    await kubeCall(upstream, 'POST', bindingPath(binding.namespace), body);
  }
  for (const stale of existing.values()) {
    await kubeCall(upstream, 'DELETE', bindingPath(stale.metadata.namespace, stale.metadata.name), undefined, [200, 202, 404]);
    result.deleted++;
  }
}

/**
 * Makes the cluster's Paddock-labelled RBAC objects exactly `desired`: creates what is missing, repairs
 * what drifted (edited rules, a changed subject or role), deletes what no binding justifies any more.
 * Objects without Paddock's label are never touched.
 */
export async function applyRbac(upstream: Upstream, desired: DesiredRbac): Promise<ApplyResult> {
  const result: ApplyResult = { created: 0, updated: 0, deleted: 0 };
  // Roles first: a binding may refer to a role made in this pass.
  await syncRoles(upstream, desired.clusterRoles, result);
  await syncBindings(upstream, desired.clusterRoleBindings, false, result);
  await syncBindings(upstream, desired.roleBindings, true, result);
  return result;
}
