/**
 * Property test of the authorizer: random users, groups, global roles, role templates (random rules,
 * random inheritance, cycles included) and bindings at every scope, over several clusters and projects.
 * Every answer of `Authorizer.can` is compared with a brute-force reference that scans all bindings; then
 * random callers try random bindings through `checkMayGrant`, and none that passes may give anyone a
 * permission the caller does not hold where the binding applies; and random callers try to change random
 * roles' rules through `checkMayDefine`, and none that passes may define a permission the caller does not
 * hold, unless they were given `escalate` (the built-in roles, admin aside, never give it: issue 5).
 *
 * Deterministic: each world comes from a seed. Replay one with PADDOCK_RBAC_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RequestContext } from '../../api/context.js';
import { ApiError } from '../../api/errors.js';
import { Authorizer, type Scope, type Subject } from '../../auth/authorizer.js';
import { MANAGEMENT_GROUP, RBAC_GROUP, type Attributes, type PolicyRule } from '../../auth/rules.js';
import { Informer } from '../../informer/informer.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { ResourceStore } from '../../store/types.js';
import { BUILTIN_GLOBAL_ROLES } from '../globalroles/builtin.js';
import { templateGrants } from '../roletemplates/hooks.js';
import { Access } from './access.js';
import { checkMayDefine, checkMayGrant, type BindingSubject } from './validate.js';

const SEEDS = process.env.PADDOCK_RBAC_SEED ? [Number(process.env.PADDOCK_RBAC_SEED)] : [1, 2, 3, 4];
const PROBES_PER_ROUND = 350;
const ROUNDS = 3;
const GRANT_ATTEMPTS = 300;
const EDIT_ATTEMPTS = 300;

// ---- a seeded PRNG (mulberry32) -------------------------------------------------------------------------

class Random {
  #a: number;
  constructor(seed: number) {
    this.#a = seed >>> 0;
  }
  next(): number {
    this.#a = (this.#a + 0x6d2b79f5) >>> 0;
    let t = this.#a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[this.int(xs.length)] as T;
  }
  /** Between `min` and `max` distinct elements. */
  some<T>(xs: readonly T[], min: number, max: number): T[] {
    const copy = [...xs];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, min + this.int(max - min + 1));
  }
}

// ---- the vocabulary ---------------------------------------------------------------------------------------

const M = MANAGEMENT_GROUP;
const CLUSTERS = ['c-0', 'c-1', 'c-2'];
const PROJECTS = CLUSTERS.flatMap((c) => [`${c}:p-0`, `${c}:p-1`]);
const USERS = ['u-0', 'u-1', 'u-2', 'u-3', 'u-4', 'u-5', 'u-6'];
const GROUPS = ['github_group://g0', 'github_group://g1'];
const VERBS = ['get', 'list', 'create', 'update', 'delete', 'bind', '*'];
const API_GROUPS = [M, M, '', RBAC_GROUP, '*'];
const RESOURCES = ['clusters', 'projects', 'nodes', 'widgets', 'clusterroles', '*'];
const EXTERNAL = ['cluster-admin', 'admin', 'edit', 'view'];
const NAMES = ['n-0', 'n-1', 'c-0', 'c-1', 'c-0:p-0', 'c-1:p-1', ...EXTERNAL];
const K8S_AGGREGATES: Record<string, string[]> = { admin: ['edit', 'view'], edit: ['view'] };
const clusterOf = (projectId: string) => projectId.split(':')[0] as string;
/** Built-in global roles that must not let their holders define roles beyond what they hold (all but admin). */
const LIMITED_BUILTINS = new Set(BUILTIN_GLOBAL_ROLES.filter((b) => b.id !== 'admin').map((b) => b.id));
/** Global roles random bindings never pick: those that hold everything would make most probes allowed. */
const ALL_POWERFUL = new Set(['gr-all', 'admin']);

// ---- the world: a plain model, written to a store the authorizer's informers watch ---------------------

interface Who {
  userId?: string;
  groupPrincipalId?: string;
}
interface GlobalRole {
  name: string;
  rules: PolicyRule[];
}
interface Template {
  name: string;
  context: 'cluster' | 'project';
  rules: PolicyRule[];
  roleTemplateIds: string[];
  external: boolean;
}
type GlobalBinding = Who & { globalRoleId: string };
type ClusterBinding = Who & { clusterId: string; roleTemplateId: string };
type ProjectBinding = Who & { projectId: string; roleTemplateId: string };

interface World {
  groupsOf: Map<string, string[]>;
  globalRoles: Map<string, GlobalRole>;
  templates: Map<string, Template>;
  grbs: Map<string, GlobalBinding>;
  crtbs: Map<string, ClusterBinding>;
  prtbs: Map<string, ProjectBinding>;
}

function randomRule(r: Random): PolicyRule {
  if (r.chance(0.05)) return { nonResourceURLs: [r.pick(['/healthz', '/api*', '*'])], verbs: r.some(VERBS, 1, 2) };
  const rule: PolicyRule = { apiGroups: [...new Set(r.some(API_GROUPS, 1, 2))], resources: r.some(RESOURCES, 1, 3), verbs: r.some(VERBS, 1, 3) };
  if (r.chance(0.3)) rule.resourceNames = r.some(NAMES, 1, 3);
  return rule;
}

const randomWho = (r: Random): Who => (r.chance(0.2) ? { groupPrincipalId: r.pick(GROUPS) } : { userId: r.pick(USERS) });

function randomWorld(r: Random): World {
  const world: World = { groupsOf: new Map(), globalRoles: new Map(), templates: new Map(), grbs: new Map(), crtbs: new Map(), prtbs: new Map() };
  for (const u of USERS) world.groupsOf.set(u, r.some(GROUPS, 0, 2));
  world.globalRoles.set('gr-all', { name: 'all', rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] });
  for (let i = 0; i < 4; i++) world.globalRoles.set(`gr-${i}`, { name: `gr-${i}`, rules: Array.from({ length: r.int(4) }, () => randomRule(r)) });
  for (const builtin of BUILTIN_GLOBAL_ROLES) world.globalRoles.set(builtin.id, { name: builtin.name, rules: builtin.rules });
  for (const id of EXTERNAL) world.templates.set(id, { name: id, context: id === 'cluster-admin' ? 'cluster' : 'project', rules: [], roleTemplateIds: [], external: true });
  world.templates.set('rt-all', { name: 'all', context: 'cluster', rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], roleTemplateIds: [], external: false });
  const ids = [...EXTERNAL, 'rt-all', ...Array.from({ length: 8 }, (_, i) => `rt-${i}`)];
  for (let i = 0; i < 8; i++) {
    world.templates.set(`rt-${i}`, {
      name: `rt-${i}`,
      context: r.pick(['cluster', 'project'] as const),
      rules: Array.from({ length: r.int(4) }, () => randomRule(r)),
      // Any template, itself included: cycles are in the data on purpose (the API refuses them; data may not).
      roleTemplateIds: r.chance(0.5) ? r.some(ids, 1, 2) : [],
      external: false,
    });
  }
  world.grbs.set('grb-admin', { userId: 'u-0', globalRoleId: 'gr-all' });
  for (let i = 0; i < 6; i++) addBinding(r, world, 'grb', i);
  for (let i = 0; i < 14; i++) addBinding(r, world, 'crtb', i);
  for (let i = 0; i < 14; i++) addBinding(r, world, 'prtb', i);
  return world;
}

function addBinding(r: Random, world: World, kind: 'grb' | 'crtb' | 'prtb', n: number | string): string {
  const who = randomWho(r);
  const dangling = r.chance(0.04);
  if (kind === 'grb') {
    const id = `grb-${n}`;
    world.grbs.set(id, { ...who, globalRoleId: dangling ? 'gr-gone' : r.pick([...world.globalRoles.keys()].filter((g) => !ALL_POWERFUL.has(g))) });
    return id;
  }
  const roleTemplateId = dangling ? 'rt-gone' : r.pick([...world.templates.keys()]);
  if (kind === 'crtb') {
    const clusterId = r.pick(CLUSTERS);
    const id = `${clusterId}:crtb-${n}`;
    world.crtbs.set(id, { ...who, clusterId, roleTemplateId });
    return id;
  }
  const projectId = r.pick(PROJECTS);
  const id = `${projectId.split(':')[1]}:prtb-${n}`;
  world.prtbs.set(id, { ...who, projectId, roleTemplateId });
  return id;
}

// ---- the brute-force reference: scans every binding, no indexes, no caches ------------------------------

interface Justification {
  binding: string;
  via: string;
  rule: PolicyRule;
}

const matches = (list: readonly string[] | undefined, value: string) => list !== undefined && (list.includes('*') || list.includes(value));

function refRuleAllows(rule: PolicyRule, a: Attributes): boolean {
  if (!matches(rule.verbs, a.verb) || !matches(rule.apiGroups, a.apiGroup ?? M) || !matches(rule.resources, a.resource)) return false;
  return !rule.resourceNames?.length || (a.name !== undefined && rule.resourceNames.includes(a.name));
}

/** The rules a template grants with everything it inherits, each with the template it comes from. */
function refTemplateRules(world: World, id: string): { via: string; rule: PolicyRule }[] {
  const out: { via: string; rule: PolicyRule }[] = [];
  const seen = new Set<string>();
  const todo = [id];
  while (todo.length > 0) {
    const next = todo.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    const t = world.templates.get(next);
    if (!t) continue;
    if (t.external) {
      const bind: PolicyRule = { apiGroups: [RBAC_GROUP], resources: ['clusterroles'], verbs: ['bind'] };
      out.push({ via: next, rule: next === 'cluster-admin' ? bind : { ...bind, resourceNames: [next, ...(K8S_AGGREGATES[next] ?? [])] } });
    }
    for (const rule of t.rules) out.push({ via: next, rule });
    todo.push(...t.roleTemplateIds);
  }
  return out;
}

const implicitGet = (resource: string, name: string): PolicyRule => ({ apiGroups: [M], resources: [resource], verbs: ['get'], resourceNames: [name] });
const isSubject = (world: World, s: Subject, b: Who) =>
  (b.userId !== undefined && b.userId === s.userId) || (b.groupPrincipalId !== undefined && (world.groupsOf.get(s.userId) ?? []).includes(b.groupPrincipalId));

/** Every (binding, rule) the subject holds that applies in `scope` (undefined scope: anywhere). */
function* refHeld(world: World, s: Subject, scope: Scope | undefined): Generator<Justification> {
  const clusterId = scope?.clusterId ?? (scope?.projectId ? clusterOf(scope.projectId) : undefined);
  for (const [id, b] of world.grbs) {
    if (!isSubject(world, s, b)) continue;
    for (const rule of world.globalRoles.get(b.globalRoleId)?.rules ?? []) yield { binding: id, via: b.globalRoleId, rule };
  }
  for (const [id, b] of world.crtbs) {
    if (!isSubject(world, s, b) || (scope && b.clusterId !== clusterId)) continue;
    yield { binding: id, via: '(member of the cluster)', rule: implicitGet('clusters', b.clusterId) };
    for (const { via, rule } of refTemplateRules(world, b.roleTemplateId)) yield { binding: id, via, rule };
  }
  for (const [id, b] of world.prtbs) {
    if (!isSubject(world, s, b)) continue;
    if (!scope || clusterOf(b.projectId) === clusterId) yield { binding: id, via: '(member of a project of the cluster)', rule: implicitGet('clusters', clusterOf(b.projectId)) };
    if (scope && b.projectId !== scope.projectId) continue;
    yield { binding: id, via: '(member of the project)', rule: implicitGet('projects', b.projectId) };
    for (const { via, rule } of refTemplateRules(world, b.roleTemplateId)) yield { binding: id, via, rule };
  }
}

function refJustify(world: World, s: Subject, a: Attributes, scope: Scope | undefined): Justification | undefined {
  for (const j of refHeld(world, s, scope)) if (refRuleAllows(j.rule, a)) return j;
  return undefined;
}

// ---- the system under test, over a real store and informers --------------------------------------------

const KINDS = ['globalRole', 'globalRoleBinding', 'roleTemplate', 'clusterRoleTemplateBinding', 'projectRoleTemplateBinding'] as const;
type Kind = (typeof KINDS)[number];

class Harness {
  readonly store: ResourceStore = SqliteStore.open({ path: ':memory:' });
  readonly stop = new AbortController();
  readonly informers = Object.fromEntries(KINDS.map((k) => [k, new Informer<never>({ store: this.store, kind: k })])) as Record<Kind, Informer<never>>;
  readonly authorizer = new Authorizer({
    globalRoles: this.informers.globalRole,
    globalRoleBindings: this.informers.globalRoleBinding,
    roleTemplates: this.informers.roleTemplate,
    clusterRoleTemplateBindings: this.informers.clusterRoleTemplateBinding,
    projectRoleTemplateBindings: this.informers.projectRoleTemplateBinding,
  });
  readonly access = new Access(this.authorizer);

  async start() {
    for (const informer of Object.values(this.informers)) void informer.run(this.stop.signal);
    await Promise.all(Object.values(this.informers).map((i) => i.synced()));
  }

  async write(kind: Kind, id: string, data: object | undefined) {
    const existing = await this.store.get(kind, id);
    let revision: number;
    if (data === undefined) revision = (await this.store.delete(kind, id)).resourceVersion;
    else revision = (existing ? await this.store.update(kind, id, data) : await this.store.create(kind, id, data)).resourceVersion;
    await this.informers[kind].waitForRevision(revision);
  }

  async writeWorld(world: World) {
    for (const [id, role] of world.globalRoles) await this.write('globalRole', id, role);
    for (const [id, t] of world.templates) await this.write('roleTemplate', id, t);
    for (const [id, b] of world.grbs) await this.write('globalRoleBinding', id, b);
    for (const [id, b] of world.crtbs) await this.write('clusterRoleTemplateBinding', id, b);
    for (const [id, b] of world.prtbs) await this.write('projectRoleTemplateBinding', id, b);
  }

  async close() {
    this.stop.abort();
    await this.store.close();
  }
}

/** Removes about a third of the bindings, from the world and the store. */
async function removeSome(r: Random, world: World, h: Harness) {
  const maps = { globalRoleBinding: world.grbs, clusterRoleTemplateBinding: world.crtbs, projectRoleTemplateBinding: world.prtbs } as const;
  for (const [kind, map] of Object.entries(maps) as [Kind, Map<string, unknown>][]) {
    for (const id of [...map.keys()]) {
      if (!r.chance(0.3)) continue;
      map.delete(id);
      await h.write(kind, id, undefined);
    }
  }
}

/** Adds bindings and edits rules and inheritance, in the world and the store. */
async function addAndEdit(r: Random, world: World, h: Harness, round: number) {
  for (let i = 0; i < 10; i++) {
    const kind = r.pick(['grb', 'crtb', 'prtb'] as const);
    const id = addBinding(r, world, kind, `r${round}-${i}`);
    const [k, data] =
      kind === 'grb' ? (['globalRoleBinding', world.grbs.get(id)] as const) : kind === 'crtb' ? (['clusterRoleTemplateBinding', world.crtbs.get(id)] as const) : (['projectRoleTemplateBinding', world.prtbs.get(id)] as const);
    await h.write(k, id, data);
  }
  for (let i = 0; i < 2; i++) {
    const gid = `gr-${r.int(4)}`;
    const role = { name: gid, rules: Array.from({ length: r.int(4) }, () => randomRule(r)) };
    world.globalRoles.set(gid, role);
    await h.write('globalRole', gid, role);
    const tid = `rt-${r.int(8)}`;
    const t = { ...(world.templates.get(tid) as Template), rules: Array.from({ length: r.int(3) }, () => randomRule(r)), roleTemplateIds: r.some([...world.templates.keys()], 0, 2) };
    world.templates.set(tid, t);
    await h.write('roleTemplate', tid, t);
  }
}

// ---- probes -----------------------------------------------------------------------------------------------

const subjectOf = (world: World, userId: string): Subject => ({ userId, groupPrincipalIds: world.groupsOf.get(userId) ?? [] });

function randomScope(r: Random): Scope {
  const x = r.next();
  if (x < 0.2) return {};
  if (x < 0.5) return { clusterId: r.pick(CLUSTERS) };
  const projectId = r.pick(PROJECTS);
  return x < 0.85 ? { clusterId: clusterOf(projectId), projectId } : { projectId };
}

const concrete = (r: Random, list: readonly string[] | undefined, all: readonly string[]) => {
  const value = r.pick(list && list.length > 0 ? list : all);
  return value === '*' ? r.pick(all.filter((v) => v !== '*')) : value;
};

function uniformProbe(r: Random): Attributes {
  return { verb: r.pick(VERBS), apiGroup: r.pick(API_GROUPS.filter((g) => g !== '*')), resource: r.pick(RESOURCES), name: r.chance(0.3) ? undefined : r.pick(NAMES) };
}

/** A probe aimed at something a random subject holds (so that allowed answers are common), sometimes nudged off. */
function targetedProbe(r: Random, world: World): { userId: string; attrs: Attributes; scope: Scope } | undefined {
  const userId = r.pick(USERS);
  const scope = randomScope(r);
  const held = [...refHeld(world, subjectOf(world, userId), scope)].filter((j) => j.rule.resources !== undefined);
  if (held.length === 0) return undefined;
  const { rule } = r.pick(held);
  const attrs: Attributes = {
    verb: concrete(r, rule.verbs, VERBS),
    apiGroup: concrete(r, rule.apiGroups, API_GROUPS),
    resource: concrete(r, rule.resources, RESOURCES),
    name: rule.resourceNames?.length ? r.pick(rule.resourceNames) : r.chance(0.5) ? undefined : r.pick(NAMES),
  };
  if (r.chance(0.25)) attrs.verb = r.pick(VERBS);
  if (r.chance(0.15)) attrs.name = r.pick(NAMES);
  return { userId, attrs, scope };
}

const show = (x: unknown) => JSON.stringify(x);

interface Tally {
  probes: number;
  allowed: number;
  grantsTried: number;
  grantsAllowed: number;
  selfGrantsAllowed: number;
  editsTried: number;
  editsAllowed: number;
  /** Allowed beyond what the caller holds, because a custom role gives them escalate. */
  editsByEscalate: number;
  /** Allowed, and checked to stay within what the caller holds. */
  editsChecked: number;
  editsByRoleManagers: number;
  example?: string;
}

function probeRound(r: Random, seed: number, world: World, h: Harness, tally: Tally) {
  for (let i = 0; i < PROBES_PER_ROUND; i++) {
    const probe = r.chance(0.5) ? targetedProbe(r, world) : undefined;
    const { userId, attrs, scope } = probe ?? { userId: r.pick(USERS), attrs: uniformProbe(r), scope: randomScope(r) };
    const subject = subjectOf(world, userId);
    const got = h.authorizer.can(subject, attrs, scope);
    const why = refJustify(world, subject, attrs, scope);
    const context = `seed ${seed}: can(${show(subject)}, ${show(attrs)}, ${show(scope)})`;
    if (got) assert.ok(why, `${context} answered allowed, but no binding of the subject holds a rule that allows it`);
    else assert.equal(why, undefined, `${context} answered denied, but binding ${show(why)} allows it`);
    assert.equal(h.authorizer.canSomewhere(subject, attrs), refJustify(world, subject, attrs, undefined) !== undefined, `seed ${seed}: canSomewhere(${show(subject)}, ${show(attrs)})`);
    tally.probes++;
    if (got) {
      tally.allowed++;
      tally.example ??= `${context} allowed by ${why?.binding} via ${why?.via}: ${show(why?.rule)}`;
    }
  }
}

// Every concrete request the escalation check considers, with `*` standing for a value no rule names.
const ALL_ATTRS: Attributes[] = VERBS.flatMap((verb) =>
  API_GROUPS.filter((g, i) => API_GROUPS.indexOf(g) === i).flatMap((apiGroup) =>
    RESOURCES.flatMap((resource) => [undefined, ...NAMES].map((name) => ({ verb, apiGroup, resource, name }))),
  ),
);

const ctxOf = (userId: string): RequestContext => ({
  caller: { userId, username: userId, mustChangePassword: false, tokenId: `token-${userId}`, tokenIsDerived: false },
  baseUrl: 'https://paddock.test',
  clientIp: '127.0.0.1',
  query: {},
});

/**
 * Random callers try random bindings with the API's own check. For each one allowed: every request the new
 * binding's rules allow (computed by the reference, inherited templates included) must already be allowed to
 * the caller in the binding's scope (to the caller's global roles, when they bind themselves). The get on
 * the cluster / project every binding implies is exempt: membership shows what one is a member of.
 */
function escalationSearch(r: Random, seed: number, world: World, h: Harness, tally: Tally) {
  for (let i = 0; i < GRANT_ATTEMPTS; i++) {
    const caller = r.pick(USERS);
    const callerSubject = subjectOf(world, caller);
    const who: Who = r.chance(0.25) ? { userId: caller } : randomWho(r);
    const subject: BindingSubject = who.userId !== undefined ? { userId: who.userId, userPrincipalId: `local://${who.userId}` } : { groupPrincipalId: who.groupPrincipalId };
    const kind = r.pick(['global', 'cluster', 'project'] as const);
    let scope: Scope;
    let role: string;
    let granted: PolicyRule[];
    let effect: { via: string; rule: PolicyRule }[];
    if (kind === 'global') {
      scope = {};
      role = r.pick([...world.globalRoles.keys()]);
      granted = world.globalRoles.get(role)?.rules ?? [];
      effect = granted.map((rule) => ({ via: role, rule }));
    } else {
      const projectId = r.pick(PROJECTS);
      scope = kind === 'cluster' ? { clusterId: clusterOf(projectId) } : { clusterId: clusterOf(projectId), projectId };
      role = r.pick([...world.templates.keys()]);
      granted = h.authorizer.roleTemplateRules(role); // what the API passes to checkMayGrant
      effect = refTemplateRules(world, role);
    }
    tally.grantsTried++;
    try {
      checkMayGrant(ctxOf(caller), h.access, granted, scope, subject);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'PermissionDenied') continue;
      throw err;
    }
    tally.grantsAllowed++;
    const self = who.userId === caller;
    if (self) tally.selfGrantsAllowed++;
    for (const attrs of ALL_ATTRS) {
      const source = effect.find((e) => refRuleAllows(e.rule, attrs));
      if (!source) continue;
      const context = `seed ${seed}: ${caller} bound ${show(who)} to ${kind} role ${role} in ${show(scope)}, which grants ${show(attrs)} (via ${source.via}: ${show(source.rule)})`;
      assert.ok(refJustify(world, callerSubject, attrs, scope), `${context}, which the caller does not hold there`);
      if (self) assert.ok(refJustify(world, callerSubject, attrs, {}), `${context}, to themselves, beyond their global roles`);
    }
  }
}

/** A change of one role's rules: what the API checks (`granted`) and what the role would then allow (`effect`). */
interface RoleEdit {
  resource: 'globalroles' | 'roletemplates';
  role: string;
  granted: PolicyRule[];
  effect: { via: string; rule: PolicyRule }[];
}

function editGlobalRole(r: Random, rules: PolicyRule[]): RoleEdit {
  const role = `gr-${r.int(4)}`;
  return { resource: 'globalroles', role, granted: rules, effect: rules.map((rule) => ({ via: role, rule })) };
}

function editTemplate(r: Random, world: World, h: Harness, rules: PolicyRule[]): RoleEdit {
  const role = `rt-${r.int(8)}`;
  const changed = { ...(world.templates.get(role) as Template), rules };
  const after: World = { ...world, templates: new Map(world.templates).set(role, changed) };
  return { resource: 'roletemplates', role, granted: templateGrants(h.authorizer, role, changed), effect: refTemplateRules(after, role) };
}

/**
 * New rules for a role: often narrowed copies of rules the caller holds globally (so that allowed edits are
 * common, and checked), sometimes with a random rule added, sometimes random altogether.
 */
function candidateRules(r: Random, world: World, caller: Subject): PolicyRule[] {
  const held = [...refHeld(world, caller, {})].map((j) => j.rule);
  if (held.length === 0 || r.chance(0.4)) return Array.from({ length: 1 + r.int(3) }, () => randomRule(r));
  const rules = r.some(held, 1, 2).map((rule) => ({ ...rule, verbs: r.some(rule.verbs, 1, rule.verbs.length) }));
  if (r.chance(0.3)) rules.push(randomRule(r));
  return rules;
}

/** Makes sure someone holds the built-in roles-manage (random removals may have taken it away): edits are theirs. */
async function ensureRoleManager(r: Random, world: World, h: Harness): Promise<string[]> {
  const managers = () => [...world.grbs.values()].filter((b) => b.globalRoleId === 'roles-manage' && b.userId !== undefined).map((b) => b.userId as string);
  if (managers().length === 0) {
    const binding: GlobalBinding = { userId: r.pick(USERS.slice(1)), globalRoleId: 'roles-manage' };
    world.grbs.set('grb-roles-manager', binding);
    await h.write('globalRoleBinding', 'grb-roles-manager', binding);
  }
  return managers();
}

/**
 * Random callers, role managers often, try to change random roles' rules with the API's own check. For
 * each change allowed: every request the changed role would allow (inherited templates included, computed
 * by the reference) must already be allowed to the caller globally, unless the caller may `escalate` on
 * that kind through a role that says so. A built-in role other than admin never says so, even with a `*`
 * verb: holding roles-manage and a harmless role must not let one widen that role into admin (issue 5).
 */
function roleEditSearch(r: Random, seed: number, world: World, h: Harness, managers: string[], tally: Tally) {
  for (let i = 0; i < EDIT_ATTEMPTS; i++) {
    const caller = r.chance(0.4) ? r.pick(managers) : r.pick(USERS);
    const callerSubject = subjectOf(world, caller);
    const rules = candidateRules(r, world, callerSubject);
    const edit = r.chance(0.5) ? editGlobalRole(r, rules) : editTemplate(r, world, h, rules);
    tally.editsTried++;
    try {
      checkMayDefine(ctxOf(caller), h.access, edit.resource, edit.granted);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'PermissionDenied') continue;
      throw err;
    }
    tally.editsAllowed++;
    if (managers.includes(caller)) tally.editsByRoleManagers++;
    const escalateVia = [...refHeld(world, callerSubject, {})].filter((j) => refRuleAllows(j.rule, { verb: 'escalate', resource: edit.resource })).map((j) => j.via);
    if (escalateVia.some((via) => !LIMITED_BUILTINS.has(via))) {
      tally.editsByEscalate++;
      continue;
    }
    tally.editsChecked++;
    const holds = escalateVia.length > 0 ? `escalate only through built-in ${escalateVia.join(', ')}` : 'no escalate';
    for (const attrs of ALL_ATTRS) {
      const source = edit.effect.find((e) => refRuleAllows(e.rule, attrs));
      if (!source) continue;
      const context = `seed ${seed}: ${caller} (${holds}) set the rules of ${edit.resource} ${edit.role} to ${show(rules)}, which grants ${show(attrs)} (via ${source.via}: ${show(source.rule)})`;
      assert.ok(refJustify(world, callerSubject, attrs, {}), `${context}, which the caller does not hold`);
    }
  }
}

describe('authorizer property test (seeded: PADDOCK_RBAC_SEED replays one world)', () => {
  for (const seed of SEEDS) {
    test(`world ${seed}: ${ROUNDS} × ${PROBES_PER_ROUND} probes agree with the brute-force reference; no binding the API allows escalates`, async (t) => {
      const r = new Random(seed);
      const world = randomWorld(r);
      const h = new Harness();
      const tally: Tally = { probes: 0, allowed: 0, grantsTried: 0, grantsAllowed: 0, selfGrantsAllowed: 0, editsTried: 0, editsAllowed: 0, editsByEscalate: 0, editsChecked: 0, editsByRoleManagers: 0 };
      try {
        await h.start();
        await h.writeWorld(world);
        // Rounds: as made; after deletions only (nothing else would refresh a stale cache); after additions and edits.
        probeRound(r, seed, world, h, tally);
        await removeSome(r, world, h);
        probeRound(r, seed, world, h, tally);
        await addAndEdit(r, world, h, 1);
        probeRound(r, seed, world, h, tally);
        escalationSearch(r, seed, world, h, tally);
        roleEditSearch(r, seed, world, h, await ensureRoleManager(r, world, h), tally);
      } catch (err) {
        t.diagnostic(`failed with seed ${seed}: replay with PADDOCK_RBAC_SEED=${seed}`);
        throw err;
      } finally {
        await h.close();
      }
      t.diagnostic(`${tally.probes} probes, ${tally.allowed} allowed; ${tally.grantsAllowed}/${tally.grantsTried} bindings allowed (${tally.selfGrantsAllowed} to the caller)`);
      t.diagnostic(`${tally.editsAllowed}/${tally.editsTried} role edits allowed (${tally.editsByRoleManagers} by role managers; ${tally.editsChecked} checked, ${tally.editsByEscalate} beyond the caller's rules by a custom escalate)`);
      if (tally.example) t.diagnostic(`e.g. ${tally.example}`);
      // Not vacuous: both answers occur often, and some bindings pass the check.
      assert.ok(tally.allowed > tally.probes * 0.15 && tally.allowed < tally.probes * 0.85, `seed ${seed}: ${tally.allowed}/${tally.probes} allowed`);
      assert.ok(tally.grantsAllowed >= 10, `seed ${seed}: only ${tally.grantsAllowed} bindings passed the check`);
      assert.ok(tally.editsChecked >= 10, `seed ${seed}: only ${tally.editsChecked} role edits were checked`);
      assert.ok(tally.editsByRoleManagers >= 5, `seed ${seed}: only ${tally.editsByRoleManagers} role edits by role managers passed the check`);
      assert.ok(tally.editsAllowed < tally.editsTried, `seed ${seed}: every role edit passed the check`);
    });
  }
});
