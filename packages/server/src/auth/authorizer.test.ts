import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Informer } from '../informer/informer.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { StoredObject } from '../store/types.js';
import { Authorizer, externalRoleRule, type RbacInformers, type Subject } from './authorizer.js';
import { MANAGEMENT_GROUP, RBAC_GROUP, rulesCover, type PolicyRule } from './rules.js';

const M = MANAGEMENT_GROUP;
const read = (...resources: string[]): PolicyRule => ({ apiGroups: [M], resources, verbs: ['get', 'list'] });
const write = (...resources: string[]): PolicyRule => ({ apiGroups: [M], resources, verbs: ['create', 'update', 'delete'] });

const alice: Subject = { userId: 'u-alice' };
const bob: Subject = { userId: 'u-bob' };
const GROUP = 'github_group://42';

describe('Authorizer over informers of a real store', () => {
  let dir: string;
  let store: SqliteStore;
  const stop = new AbortController();
  const KINDS = ['globalRole', 'globalRoleBinding', 'roleTemplate', 'clusterRoleTemplateBinding', 'projectRoleTemplateBinding'] as const;
  const informers = {} as Record<(typeof KINDS)[number], Informer<never>>;
  let authz: Authorizer;

  /** Writes through the store, then waits until the kind's informer (and so the authorizer) has seen it. */
  async function put(kind: keyof typeof informers, id: string, data: object): Promise<void> {
    const existing = await store.get(kind, id);
    const saved: StoredObject<unknown> = existing ? await store.update(kind, id, data) : await store.create(kind, id, data);
    await informers[kind].waitForRevision(saved.resourceVersion);
  }
  async function remove(kind: keyof typeof informers, id: string): Promise<void> {
    const deleted = await store.delete(kind, id);
    await informers[kind].waitForRevision(deleted.resourceVersion);
  }
  const can = (s: Subject, verb: string, resource: string, scope: { clusterId?: string; projectId?: string } = {}, name?: string) =>
    authz.can(s, { verb, resource, name }, scope);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-authz-'));
    store = SqliteStore.open({ path: join(dir, 'store.db') });
    for (const kind of KINDS) {
      informers[kind] = new Informer<never>({ store, kind });
      void informers[kind].run(stop.signal);
      await informers[kind].synced();
    }
    const rbac: RbacInformers = {
      globalRoles: informers.globalRole,
      globalRoleBindings: informers.globalRoleBinding,
      roleTemplates: informers.roleTemplate,
      clusterRoleTemplateBindings: informers.clusterRoleTemplateBinding,
      projectRoleTemplateBindings: informers.projectRoleTemplateBinding,
    };
    authz = new Authorizer(rbac);
  });
  after(async () => {
    stop.abort();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('nobody holds anything without a binding', () => {
    assert.equal(can(alice, 'get', 'clusters'), false);
    assert.equal(can(alice, 'get', 'clusters', { clusterId: 'c-1' }, 'c-1'), false);
    assert.deepEqual(authz.heldRules(alice, { clusterId: 'c-1', projectId: 'c-1:p-1' }), []);
  });

  test('global scope: a global role binding applies everywhere', async () => {
    await put('globalRole', 'gr-reader', { name: 'reader', rules: [read('clusters')] });
    await put('globalRoleBinding', 'grb-1', { globalRoleId: 'gr-reader', userId: alice.userId });
    assert.equal(can(alice, 'get', 'clusters'), true);
    assert.equal(can(alice, 'list', 'clusters', { clusterId: 'c-1' }), true);
    assert.equal(can(alice, 'get', 'clusters', { clusterId: 'c-1', projectId: 'c-1:p-1' }, 'c-1'), true);
    assert.equal(can(alice, 'update', 'clusters'), false);
    assert.equal(can(bob, 'get', 'clusters'), false, 'only the bound user');
    assert.equal(authz.canSomewhere(alice, { verb: 'list', resource: 'clusters' }), true);
    assert.deepEqual(authz.globalRules(alice), [read('clusters')]);
  });

  test('a binding to a global role that does not exist grants nothing (and does not throw)', async () => {
    await put('globalRoleBinding', 'grb-dangling', { globalRoleId: 'gr-missing', userId: bob.userId });
    assert.equal(can(bob, 'get', 'clusters'), false);
    await remove('globalRoleBinding', 'grb-dangling');
  });

  test('group principals: a binding to a group applies to its members only', async () => {
    await put('globalRole', 'gr-nodes', { name: 'nodes', rules: [read('nodes')] });
    await put('globalRoleBinding', 'grb-group', { globalRoleId: 'gr-nodes', groupPrincipalId: GROUP });
    assert.equal(can({ userId: bob.userId, groupPrincipalIds: [GROUP] }, 'list', 'nodes'), true);
    assert.equal(can({ userId: bob.userId, groupPrincipalIds: ['github_group://7'] }, 'list', 'nodes'), false);
    assert.equal(can(bob, 'list', 'nodes'), false);
    assert.equal(can({ userId: GROUP }, 'list', 'nodes'), false, 'a user id that looks like a group is not the group');
  });

  test('cluster scope: applies in that cluster and its projects, nowhere else', async () => {
    await put('roleTemplate', 'rt-nodes', { name: 'nodes', context: 'cluster', rules: [read('nodes'), write('nodes')] });
    await put('clusterRoleTemplateBinding', 'c-1:crtb-a', { clusterId: 'c-1', roleTemplateId: 'rt-nodes', userId: bob.userId });
    assert.equal(can(bob, 'update', 'nodes', { clusterId: 'c-1' }), true);
    assert.equal(can(bob, 'update', 'nodes', { clusterId: 'c-1', projectId: 'c-1:p-1' }), true);
    assert.equal(can(bob, 'update', 'nodes', { projectId: 'c-1:p-1' }), true, 'the cluster follows from the project id');
    assert.equal(can(bob, 'update', 'nodes', { clusterId: 'c-2' }), false);
    assert.equal(can(bob, 'update', 'nodes', { projectId: 'c-2:p-1' }), false);
    assert.equal(can(bob, 'update', 'nodes'), false, 'not globally');
    assert.equal(authz.canSomewhere(bob, { verb: 'update', resource: 'nodes' }), true);
  });

  test('project scope: applies in that project only', async () => {
    await put('roleTemplate', 'rt-widgets', { name: 'widgets', context: 'project', rules: [read('widgets')] });
    await put('projectRoleTemplateBinding', 'p-1:prtb-a', { projectId: 'c-1:p-1', roleTemplateId: 'rt-widgets', userId: bob.userId });
    assert.equal(can(bob, 'get', 'widgets', { clusterId: 'c-1', projectId: 'c-1:p-1' }), true);
    assert.equal(can(bob, 'get', 'widgets', { projectId: 'c-1:p-1' }), true);
    assert.equal(can(bob, 'get', 'widgets', { clusterId: 'c-1', projectId: 'c-1:p-2' }), false, 'another project of the cluster');
    assert.equal(can(bob, 'get', 'widgets', { clusterId: 'c-1' }), false, 'not the cluster itself');
    assert.equal(can(bob, 'get', 'widgets'), false);
  });

  test('any binding implies get on its cluster / project, by name, and nothing more', async () => {
    // bob: a cluster binding in c-1 and a project binding in c-1:p-1 (previous tests); carol: only a project binding in c-3.
    const carol: Subject = { userId: 'u-carol' };
    await put('projectRoleTemplateBinding', 'p-9:prtb-c', { projectId: 'c-3:p-9', roleTemplateId: 'rt-widgets', userId: carol.userId });
    assert.equal(can(carol, 'get', 'projects', { clusterId: 'c-3', projectId: 'c-3:p-9' }, 'c-3:p-9'), true);
    assert.equal(can(carol, 'get', 'clusters', { clusterId: 'c-3' }, 'c-3'), true, 'a project member sees the project\'s cluster');
    assert.equal(can(carol, 'get', 'clusters', { clusterId: 'c-3' }, 'c-1'), false, 'by name only');
    assert.equal(can(carol, 'get', 'clusters', { clusterId: 'c-3' }), false, 'not without a name');
    assert.equal(can(carol, 'list', 'clusters', { clusterId: 'c-3' }, 'c-3'), false, 'get only');
    assert.equal(can(carol, 'update', 'projects', { clusterId: 'c-3', projectId: 'c-3:p-9' }, 'c-3:p-9'), false);
    assert.equal(can(carol, 'get', 'projects', { clusterId: 'c-3', projectId: 'c-3:p-8' }, 'c-3:p-8'), false, 'not another project');
    assert.equal(can(bob, 'get', 'clusters', { clusterId: 'c-1' }, 'c-1'), true, 'a cluster member sees the cluster');
    assert.equal(can(bob, 'get', 'projects', { clusterId: 'c-1', projectId: 'c-1:p-2' }, 'c-1:p-2'), false, 'but not its projects');
    await remove('projectRoleTemplateBinding', 'p-9:prtb-c');
  });

  test('inheritance: a template grants what the templates it inherits grant, transitively', async () => {
    await put('roleTemplate', 'rt-c', { name: 'c', context: 'project', rules: [read('gadgets')] });
    await put('roleTemplate', 'rt-b', { name: 'b', context: 'project', rules: [], roleTemplateIds: ['rt-c'] });
    await put('roleTemplate', 'rt-a', { name: 'a', context: 'project', rules: [write('gizmos')], roleTemplateIds: ['rt-b', 'rt-missing'] });
    await put('projectRoleTemplateBinding', 'p-2:prtb-a', { projectId: 'c-1:p-2', roleTemplateId: 'rt-a', userId: alice.userId });
    const p2 = { clusterId: 'c-1', projectId: 'c-1:p-2' };
    assert.equal(can(alice, 'get', 'gadgets', p2), true, 'two levels down');
    assert.equal(can(alice, 'create', 'gizmos', p2), true);
    assert.equal(can(alice, 'create', 'gadgets', p2), false);
    // Changing an inherited template changes what the binding grants.
    await put('roleTemplate', 'rt-c', { name: 'c', context: 'project', rules: [read('doohickeys')] });
    assert.equal(can(alice, 'get', 'gadgets', p2), false);
    assert.equal(can(alice, 'get', 'doohickeys', p2), true);
  });

  test('an inheritance cycle in stored data is cut: decisions end and include every template once', async () => {
    // The API refuses cycles, but data may come from elsewhere (a restore, an older version).
    await put('roleTemplate', 'rt-x', { name: 'x', context: 'cluster', rules: [read('xs')], roleTemplateIds: ['rt-y'] });
    await put('roleTemplate', 'rt-y', { name: 'y', context: 'cluster', rules: [read('ys')], roleTemplateIds: ['rt-z'] });
    await put('roleTemplate', 'rt-z', { name: 'z', context: 'cluster', rules: [read('zs')], roleTemplateIds: ['rt-x', 'rt-z'] });
    await put('clusterRoleTemplateBinding', 'c-2:crtb-x', { clusterId: 'c-2', roleTemplateId: 'rt-y', userId: alice.userId });
    for (const resource of ['xs', 'ys', 'zs']) assert.equal(can(alice, 'list', resource, { clusterId: 'c-2' }), true, resource);
    assert.equal(can(alice, 'list', 'ws', { clusterId: 'c-2' }), false);
    assert.deepEqual(authz.roleTemplateRules('rt-x'), [read('xs'), read('ys'), read('zs')]);
    assert.deepEqual(authz.roleTemplateRules('rt-z'), [read('zs'), read('xs'), read('ys')]);
  });

  test('external templates stand for `bind` on their ClusterRole (and on those it aggregates)', async () => {
    await put('roleTemplate', 'admin', { name: 'Kubernetes admin', context: 'project', rules: [], external: true });
    await put('roleTemplate', 'edit', { name: 'Kubernetes edit', context: 'project', rules: [], external: true });
    await put('roleTemplate', 'owner', { name: 'owner', context: 'project', rules: [read('projects')], roleTemplateIds: ['admin'] });
    assert.deepEqual(authz.roleTemplateRules('owner'), [read('projects'), externalRoleRule('admin')]);
    await put('projectRoleTemplateBinding', 'p-3:prtb-o', { projectId: 'c-1:p-3', roleTemplateId: 'owner', userId: alice.userId });
    const p3 = { clusterId: 'c-1', projectId: 'c-1:p-3' };
    for (const name of ['admin', 'edit', 'view']) {
      assert.equal(authz.can(alice, { verb: 'bind', resource: 'clusterroles', apiGroup: RBAC_GROUP, name }, p3), true, name);
    }
    assert.equal(authz.can(alice, { verb: 'bind', resource: 'clusterroles', apiGroup: RBAC_GROUP, name: 'cluster-admin' }, p3), false);
    assert.deepEqual(externalRoleRule('cluster-admin'), { apiGroups: [RBAC_GROUP], resources: ['clusterroles'], verbs: ['bind'] }, 'cluster-admin: every ClusterRole');
    // So an owner may grant `edit` (project members) in the project, and `*` covers every external role.
    const held = authz.heldRules(alice, p3);
    assert.equal(authz.roleTemplateRules('edit').every((r) => rulesCover(held, r)), true);
    assert.equal(rulesCover([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], externalRoleRule('cluster-admin')), true);
    assert.equal(rulesCover(authz.heldRules(alice, { clusterId: 'c-1', projectId: 'c-1:p-4' }), externalRoleRule('edit')), false, 'not elsewhere');
    assert.equal(rulesCover(authz.heldRules({ userId: 'u-nobody' }, p3), externalRoleRule('view')), false);
  });

  test('heldRules: global, cluster and project rules that apply in a scope', () => {
    const inP1 = authz.heldRules(bob, { clusterId: 'c-1', projectId: 'c-1:p-1' });
    assert.ok(inP1.some((r) => r.resources?.includes('widgets')), 'project rules');
    assert.ok(inP1.some((r) => r.resources?.includes('nodes')), 'cluster rules');
    const inC1 = authz.heldRules(bob, { clusterId: 'c-1' });
    assert.ok(!inC1.some((r) => r.resources?.includes('widgets')), 'no project rules at cluster level');
    assert.deepEqual(authz.heldRules(bob, { clusterId: 'c-2' }), []);
  });

  test('deleting a binding or a role takes effect at once (cached grants are dropped)', async () => {
    const c1 = { clusterId: 'c-1' };
    assert.equal(can(bob, 'update', 'nodes', c1), true, 'warm the cache');
    await remove('clusterRoleTemplateBinding', 'c-1:crtb-a');
    assert.equal(can(bob, 'update', 'nodes', c1), false);
    assert.equal(can(bob, 'get', 'clusters', c1, 'c-1'), true, 'the project binding in c-1 still shows the cluster');
    await remove('projectRoleTemplateBinding', 'p-1:prtb-a');
    assert.equal(can(bob, 'get', 'clusters', c1, 'c-1'), false);

    assert.equal(can(alice, 'get', 'clusters'), true);
    await put('globalRole', 'gr-reader', { name: 'reader', rules: [read('nodes')] });
    assert.equal(can(alice, 'get', 'clusters'), false, 'a role\'s new rules apply to its existing bindings');
    await remove('globalRole', 'gr-reader');
    assert.equal(can(alice, 'get', 'nodes'), false, 'a deleted role grants nothing');

    const member = { userId: 'u-dave', groupPrincipalIds: [GROUP] };
    assert.equal(can(member, 'list', 'nodes'), true);
    await remove('globalRoleBinding', 'grb-group');
    assert.equal(can(member, 'list', 'nodes'), false);
  });
});
