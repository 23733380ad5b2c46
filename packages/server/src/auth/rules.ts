/**
 * Kubernetes PolicyRules, as Rancher's global roles and role templates carry them, and the two questions
 * Paddock asks of them: does a rule allow a request, and does a set of rules cover another rule (the
 * no-escalation check when someone grants a role).
 */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** The API group of Paddock's own (v3) resources, as in Rancher. */
export const MANAGEMENT_GROUP = 'management.cattle.io';

/** Kubernetes' RBAC API group (external role templates stand for ClusterRoles of it). */
export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** Verbs a rule may name: Kubernetes' own, plus the special ones RBAC and Rancher know. */
export const KNOWN_VERBS: ReadonlySet<string> = new Set([
  '*',
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'impersonate',
  'bind',
  'escalate',
  'use',
  'view',
  'own',
]);

/** One request as the authorizer sees it. */
export interface Attributes {
  verb: string;
  resource: string;
  /** Defaults to Paddock's management group. */
  apiGroup?: string;
  /** The object's id, when the request is about one object. */
  name?: string;
}

const has = (list: readonly string[] | undefined, value: string) => list !== undefined && (list.includes('*') || list.includes(value));

export function ruleAllows(rule: PolicyRule, attrs: Attributes): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (!has(rule.apiGroups, attrs.apiGroup ?? MANAGEMENT_GROUP)) return false;
  if (!has(rule.resources, attrs.resource)) return false;
  const names = rule.resourceNames;
  if (names === undefined || names.length === 0) return true;
  return attrs.name !== undefined && names.includes(attrs.name);
}

export const rulesAllow = (rules: readonly PolicyRule[], attrs: Attributes) => rules.some((r) => ruleAllows(r, attrs));

/** Held values cover a wanted one when they hold `*` or that exact value (a wanted `*` needs a held `*`). */
const covered = (held: readonly string[] | undefined, wanted: string) => held !== undefined && (held.includes('*') || held.includes(wanted));

function heldCoversUrl(held: PolicyRule, url: string, verb: string): boolean {
  if (!covered(held.verbs, verb)) return false;
  return (held.nonResourceURLs ?? []).some((h) => h === '*' || h === url || (h.endsWith('*') && url.startsWith(h.slice(0, -1))));
}

/**
 * Whether `held` grants everything `wanted` grants, checked the way Kubernetes' RBAC escalation check
 * does it: every (group, resource, verb, name) the wanted rule names must be granted by some held rule.
 */
export function rulesCover(held: readonly PolicyRule[], wanted: PolicyRule): boolean {
  for (const verb of wanted.verbs) {
    for (const url of wanted.nonResourceURLs ?? []) {
      if (!held.some((h) => heldCoversUrl(h, url, verb))) return false;
    }
    for (const group of wanted.apiGroups ?? []) {
      for (const resource of wanted.resources ?? []) {
        const names = wanted.resourceNames?.length ? wanted.resourceNames : [undefined];
        for (const name of names) {
          const ok = held.some(
            (h) =>
              covered(h.verbs, verb) &&
              covered(h.apiGroups, group) &&
              covered(h.resources, resource) &&
              (!h.resourceNames?.length || (name !== undefined && h.resourceNames.includes(name))),
          );
          if (!ok) return false;
        }
      }
    }
  }
  return true;
}

/** The first rule of `wanted` that `held` does not cover, for the error message. */
export const firstUncovered = (held: readonly PolicyRule[], wanted: readonly PolicyRule[]) => wanted.find((r) => !rulesCover(held, r));

export function describeRule(rule: PolicyRule): string {
  if (rule.nonResourceURLs?.length) return `${rule.verbs.join(',')} on URLs ${rule.nonResourceURLs.join(',')}`;
  const groups = (rule.apiGroups ?? []).map((g) => (g === '' ? 'core' : g)).join(',');
  const names = rule.resourceNames?.length ? ` named ${rule.resourceNames.join(',')}` : '';
  return `${rule.verbs.join(',')} on ${(rule.resources ?? []).join(',')}${names} in API group ${groups}`;
}
