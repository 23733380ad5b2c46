import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Informer } from '../../informer/informer.js';
import { noopLogger } from '../../informer/logger.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { ResourceStore } from '../../store/types.js';
import { until } from '../../testing/wait.js';
import type { ClusterRoleTemplateBindingData } from '../clusterroletemplatebindings/schema.js';
import type { GlobalRoleBindingData } from '../globalrolebindings/schema.js';
import type { GlobalRoleData } from '../globalroles/schema.js';
import type { ProjectRoleTemplateBindingData } from '../projectroletemplatebindings/schema.js';
import type { UserData } from '../users/schema.js';
import { userRolesController } from './user-roles-controller.js';

const BINDING_KINDS = ['globalRoleBinding', 'clusterRoleTemplateBinding', 'projectRoleTemplateBinding'] as const;

/** The user-roles controller over its own informers of `store`; the users informer can be stopped alone. */
function startController(store: ResourceStore, stop: AbortSignal) {
  const stopUsers = new AbortController();
  const users = new Informer<UserData>({ store, kind: 'user' });
  const globalRoles = new Informer<GlobalRoleData>({ store, kind: 'globalRole' });
  const globalRoleBindings = new Informer<GlobalRoleBindingData>({ store, kind: 'globalRoleBinding' });
  const crtbs = new Informer<ClusterRoleTemplateBindingData>({ store, kind: 'clusterRoleTemplateBinding' });
  const prtbs = new Informer<ProjectRoleTemplateBindingData>({ store, kind: 'projectRoleTemplateBinding' });
  const controller = userRolesController({
    store,
    users,
    globalRoles,
    globalRoleBindings,
    scopedBindings: [
      { kind: 'clusterRoleTemplateBinding', informer: crtbs },
      { kind: 'projectRoleTemplateBinding', informer: prtbs },
    ],
    logger: noopLogger,
  });
  void users.run(AbortSignal.any([stop, stopUsers.signal]));
  for (const informer of [globalRoles, globalRoleBindings, crtbs, prtbs]) void informer.run(stop);
  void controller.run(stop);
  return { users, stopUsers };
}

/** The ids of every binding in the store, of the three kinds. */
async function bindingIds(store: ResourceStore): Promise<string[]> {
  const ids: string[] = [];
  for (const kind of BINDING_KINDS) ids.push(...(await store.list(kind)).items.map((b) => b.id));
  return ids.sort();
}

const user = (username: string): UserData => ({ username, enabled: true, mustChangePassword: false, defaultRolesBound: true });

describe('user-roles controller: bindings whose user is gone are removed, whenever that is found', () => {
  let dir: string;
  let store: SqliteStore;
  const stop = new AbortController();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paddock-user-roles-'));
  });
  after(async () => {
    stop.abort();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a server that died between a user delete and its cascade sweeps the leftovers at its next start', async () => {
    const path = join(dir, 'paddock.db');
    const crashed = SqliteStore.open({ path });
    await crashed.create('globalRole', 'user-base', { name: 'User Base', rules: [], newUserDefault: false, builtin: true });
    await crashed.create('user', 'u-alive', user('alive'));
    await crashed.create('user', 'u-gone1', user('gone'));
    await crashed.create('globalRoleBinding', 'grb-alive', { globalRoleId: 'user-base', userId: 'u-alive' });
    await crashed.create('globalRoleBinding', 'grb-group', { globalRoleId: 'user-base', groupPrincipalId: 'github_group://1' });
    await crashed.create('globalRoleBinding', 'grb-gone1', { globalRoleId: 'user-base', userId: 'u-gone1' });
    await crashed.create('clusterRoleTemplateBinding', 'c-aaaaa:crtb-gone1', { clusterId: 'c-aaaaa', roleTemplateId: 'nodes-view', userId: 'u-gone1' });
    await crashed.create('projectRoleTemplateBinding', 'p-bbbbb:prtb-gone1', { projectId: 'c-aaaaa:p-bbbbb', roleTemplateId: 'read-only', userId: 'u-gone1' });
    // The DELETE answered, then the process died before any controller saw it.
    await crashed.delete('user', 'u-gone1');
    await crashed.close();

    store = SqliteStore.open({ path });
    startController(store, stop.signal);
    await until('the bindings of u-gone1 removed', async () => !(await bindingIds(store)).some((id) => id.includes('gone1')));
    assert.deepEqual(await bindingIds(store), ['grb-alive', 'grb-group'], "the others' bindings stay");
  });

  test('a binding that appears for a user who does not exist is removed', async () => {
    await store.create('globalRoleBinding', 'grb-never', { globalRoleId: 'user-base', userId: 'u-never' });
    await store.create('projectRoleTemplateBinding', 'p-bbbbb:prtb-never', { projectId: 'c-aaaaa:p-bbbbb', roleTemplateId: 'read-only', userId: 'u-never' });
    await until('the bindings of u-never removed', async () => !(await bindingIds(store)).some((id) => id.includes('never')));
    assert.deepEqual(await bindingIds(store), ['grb-alive', 'grb-group']);
  });

  test('a user the cache has not seen yet is asked of the store: their new binding is not an orphan', async () => {
    const lagging = new AbortController();
    const other = SqliteStore.open({ path: join(dir, 'lagging.db') });
    try {
      await other.create('globalRole', 'user-base', { name: 'User Base', rules: [], newUserDefault: false, builtin: true });
      const { users, stopUsers } = startController(other, lagging.signal);
      await users.synced();
      // The users informer stops: from here the controller's cache of users lags behind the store.
      stopUsers.abort();
      await other.create('user', 'u-late', user('late'));
      await other.create('globalRoleBinding', 'grb-late', { globalRoleId: 'user-base', userId: 'u-late' });
      await other.create('globalRoleBinding', 'grb-ghost', { globalRoleId: 'user-base', userId: 'u-ghost' });
      // One worker, keys in order: once u-ghost's binding is gone, u-late's was looked at too.
      await until('the binding of u-ghost removed', async () => !(await bindingIds(other)).includes('grb-ghost'));
      assert.deepEqual(await bindingIds(other), ['grb-late']);
    } finally {
      lagging.abort();
      await other.close();
    }
  });
});
