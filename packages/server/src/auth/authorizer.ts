import type { EventHandler } from '../informer/informer.js';
import type { StoredObject } from '../store/types.js';
import { MANAGEMENT_GROUP, RBAC_GROUP, rulesAllow, type Attributes, type PolicyRule } from './rules.js';

/** Who a decision is about: a user and the group principals they belong to. */
export interface Subject {
  userId: string;
  groupPrincipalIds?: readonly string[];
}

/** Where a request applies: the cluster and project an object lives in (none for global kinds). */
export interface Scope {
  clusterId?: string;
  projectId?: string;
}

// The stored shapes the authorizer reads (the kinds' schemas declare them; nulls are what a client may send).
interface RoleData {
  rules?: unknown[] | null;
}
interface RoleTemplateData extends RoleData {
  roleTemplateIds?: string[] | null;
  external?: boolean | null;
}
interface BindingData {
  userId?: string | null;
  groupPrincipalId?: string | null;
}
interface GlobalBindingData extends BindingData {
  globalRoleId: string;
}
interface ScopedBindingData extends BindingData {
  roleTemplateId: string;
  clusterId?: string;
  projectId?: string;
}

/** Rules as stored: the schema and checkRules validated their shape on every write. */
const rulesOf = (role: RoleData | undefined) => (role?.rules ?? []) as PolicyRule[];

/** What the authorizer needs of an informer (method syntax: any informer of a wider data type fits). */
export interface RbacSource<T> {
  get(id: string): StoredObject<T> | undefined;
  byIndex(indexName: string, value: string): StoredObject<T>[];
  addIndex(name: string, fn: (obj: StoredObject<T>) => readonly string[]): void;
  addHandler(handler: EventHandler<T>): () => void;
}

export interface RbacInformers {
  globalRoles: RbacSource<RoleData>;
  globalRoleBindings: RbacSource<GlobalBindingData>;
  roleTemplates: RbacSource<RoleTemplateData>;
  clusterRoleTemplateBindings: RbacSource<ScopedBindingData>;
  projectRoleTemplateBindings: RbacSource<ScopedBindingData>;
}

/** What one subject holds: global rules, and rules per cluster and per project. */
interface Grants {
  global: PolicyRule[];
  clusters: Map<string, PolicyRule[]>;
  projects: Map<string, PolicyRule[]>;
}

const BY_SUBJECT = 'authz.subject';
const subjectKeys = (b: BindingData) => [...(b.userId ? [`user:${b.userId}`] : []), ...(b.groupPrincipalId ? [`group:${b.groupPrincipalId}`] : [])];
const keysOf = (s: Subject) => [`user:${s.userId}`, ...(s.groupPrincipalIds ?? []).map((g) => `group:${g}`)];

/** The cluster a project id (`c-xxxxx:p-xxxxx`) belongs to. */
export const clusterOfProject = (projectId: string) => projectId.slice(0, Math.max(0, projectId.indexOf(':')));

/** Any binding in a cluster or project lets its subject read that cluster / project (Rancher generates these rules). */
const readCluster = (clusterId: string): PolicyRule => ({ apiGroups: [MANAGEMENT_GROUP], resources: ['clusters'], verbs: ['get'], resourceNames: [clusterId] });
const readProject = (projectId: string): PolicyRule => ({ apiGroups: [MANAGEMENT_GROUP], resources: ['projects'], verbs: ['get'], resourceNames: [projectId] });

/** Kubernetes' aggregated ClusterRoles: whoever holds one holds those it aggregates (cluster-admin: all). */
const K8S_AGGREGATES: Readonly<Record<string, readonly string[]>> = { admin: ['edit', 'view'], edit: ['view'] };

/**
 * What an external template grants, as Paddock can see it: its rules live in a Kubernetes ClusterRole of
 * the same name, so it stands for them as what Kubernetes' own escalation check accepts instead of them,
 * `bind` on that ClusterRole (and on those it aggregates). Its holders may then grant it in their scope,
 * as may whoever holds `*`; no one else.
 */
export function externalRoleRule(id: string): PolicyRule {
  const bind: PolicyRule = { apiGroups: [RBAC_GROUP], resources: ['clusterroles'], verbs: ['bind'] };
  return id === 'cluster-admin' ? bind : { ...bind, resourceNames: [id, ...(K8S_AGGREGATES[id] ?? [])] };
}

/**
 * Answers `can(subject, verb, resource, scope)` from the informer caches of roles and bindings. Bindings
 * are indexed by subject, so a decision costs O(rules the subject holds), not O(all bindings); a subject's
 * grants are computed once and kept until any role or binding changes.
 */
export class Authorizer {
  readonly #grants = new Map<string, Grants>();
  readonly #templateRules = new Map<string, PolicyRule[]>();

  constructor(private readonly rbac: RbacInformers) {
    for (const informer of [rbac.globalRoleBindings, rbac.clusterRoleTemplateBindings, rbac.projectRoleTemplateBindings]) {
      informer.addIndex(BY_SUBJECT, (o: StoredObject<BindingData>) => subjectKeys(o.data));
    }
    const forget = () => {
      this.#grants.clear();
      this.#templateRules.clear();
    };
    for (const informer of Object.values(rbac) as RbacSource<unknown>[]) {
      informer.addHandler({ add: forget, update: forget, delete: forget });
    }
  }

  can(subject: Subject, attrs: Attributes, scope: Scope = {}): boolean {
    const grants = this.grantsOf(subject);
    if (rulesAllow(grants.global, attrs)) return true;
    const clusterId = scope.clusterId ?? (scope.projectId ? clusterOfProject(scope.projectId) : undefined);
    if (clusterId !== undefined && rulesAllow(grants.clusters.get(clusterId) ?? [], attrs)) return true;
    return scope.projectId !== undefined && rulesAllow(grants.projects.get(scope.projectId) ?? [], attrs);
  }

  /** Whether some binding of the subject, in any scope, allows `attrs` (may the subject ever create X?). */
  canSomewhere(subject: Subject, attrs: Attributes): boolean {
    const grants = this.grantsOf(subject);
    const scoped = [...grants.clusters.values(), ...grants.projects.values()];
    return rulesAllow(grants.global, attrs) || scoped.some((rules) => rulesAllow(rules, attrs));
  }

  /** Every rule that applies to the subject in `scope` (global ones included): what they could grant there. */
  heldRules(subject: Subject, scope: Scope = {}): PolicyRule[] {
    const grants = this.grantsOf(subject);
    const clusterId = scope.clusterId ?? (scope.projectId ? clusterOfProject(scope.projectId) : undefined);
    return [
      ...grants.global,
      ...(clusterId !== undefined ? (grants.clusters.get(clusterId) ?? []) : []),
      ...(scope.projectId !== undefined ? (grants.projects.get(scope.projectId) ?? []) : []),
    ];
  }

  /** Only the subject's global rules. */
  globalRules(subject: Subject): PolicyRule[] {
    return this.grantsOf(subject).global;
  }

  /**
   * The rules a role template grants, its inherited templates' included (an external template's as
   * {@link externalRoleRule}). Inheritance cycles in stored data are cut, not followed.
   */
  roleTemplateRules(id: string): PolicyRule[] {
    let rules = this.#templateRules.get(id);
    if (!rules) {
      rules = this.#collectTemplateRules(id, new Set());
      this.#templateRules.set(id, rules);
    }
    return rules;
  }

  #collectTemplateRules(id: string, seen: Set<string>): PolicyRule[] {
    if (seen.has(id)) return [];
    seen.add(id);
    const template = this.rbac.roleTemplates.get(id);
    if (!template) return [];
    const own = template.data.external === true ? [externalRoleRule(id), ...rulesOf(template.data)] : rulesOf(template.data);
    const inherited = (template.data.roleTemplateIds ?? []).flatMap((child) => this.#collectTemplateRules(child, seen));
    return [...own, ...inherited];
  }

  private grantsOf(subject: Subject): Grants {
    const cacheKey = keysOf(subject).join('|');
    let grants = this.#grants.get(cacheKey);
    if (!grants) {
      grants = this.#computeGrants(keysOf(subject));
      this.#grants.set(cacheKey, grants);
    }
    return grants;
  }

  #computeGrants(keys: string[]): Grants {
    const { globalRoles, globalRoleBindings, clusterRoleTemplateBindings, projectRoleTemplateBindings } = this.rbac;
    const global: PolicyRule[] = [];
    const clusters = new Map<string, PolicyRule[]>();
    const projects = new Map<string, PolicyRule[]>();
    const add = (map: Map<string, PolicyRule[]>, id: string, rules: PolicyRule[]) => map.set(id, [...(map.get(id) ?? []), ...rules]);
    for (const key of keys) {
      for (const b of globalRoleBindings.byIndex(BY_SUBJECT, key)) {
        global.push(...rulesOf(globalRoles.get(b.data.globalRoleId)?.data));
      }
      for (const b of clusterRoleTemplateBindings.byIndex(BY_SUBJECT, key)) {
        const clusterId = String(b.data.clusterId);
        add(clusters, clusterId, [readCluster(clusterId), ...this.roleTemplateRules(String(b.data.roleTemplateId))]);
      }
      for (const b of projectRoleTemplateBindings.byIndex(BY_SUBJECT, key)) {
        const projectId = String(b.data.projectId);
        add(projects, projectId, [readProject(projectId), ...this.roleTemplateRules(String(b.data.roleTemplateId))]);
        add(clusters, clusterOfProject(projectId), [readCluster(clusterOfProject(projectId))]);
      }
    }
    return { global, clusters, projects };
  }
}
