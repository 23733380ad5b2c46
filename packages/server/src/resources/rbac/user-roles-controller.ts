import { generateName } from '../../auth/secrets.js';
import { Controller } from '../../informer/controller.js';
import type { Informer } from '../../informer/informer.js';
import type { Logger } from '../../informer/logger.js';
import { tolerate } from '../../store/tolerate.js';
import { StoreNotFoundError, type ResourceStore, type StoredObject } from '../../store/types.js';
import type { ClusterRoleTemplateBindingData } from '../clusterroletemplatebindings/schema.js';
import type { GlobalRoleBindingData } from '../globalrolebindings/schema.js';
import type { ProjectRoleTemplateBindingData } from '../projectroletemplatebindings/schema.js';
import type { GlobalRoleData } from '../globalroles/schema.js';
import type { UserData } from '../users/schema.js';
import { BY_USER, indexByField } from './indexes.js';

/** The informer of one binding kind, and the kind's name for store writes. */
type BindingInformer =
  | { kind: 'globalRoleBinding'; informer: Informer<GlobalRoleBindingData> }
  | { kind: 'clusterRoleTemplateBinding'; informer: Informer<ClusterRoleTemplateBindingData> }
  | { kind: 'projectRoleTemplateBinding'; informer: Informer<ProjectRoleTemplateBindingData> };

export interface UserRolesControllerDeps {
  store: ResourceStore;
  users: Informer<UserData>;
  globalRoles: Informer<GlobalRoleData>;
  globalRoleBindings: Informer<GlobalRoleBindingData>;
  /** Cluster and project role template bindings: removed with their user. */
  scopedBindings: BindingInformer[];
  logger: Logger;
}

/**
 * A new user gets the `newUserDefault` global roles (once, marked on the user); a deleted user's global,
 * cluster and project bindings are removed. (Their tokens are the token controller's; authentication
 * already refuses them the moment the user is gone.)
 *
 * Keys are user ids, enqueued by users and by the bindings that name them: a delete's cascade that a
 * crash cut short is finished at the next start (every binding is replayed then), and a binding written
 * for a user who does not exist is removed when it appears.
 */
export function userRolesController(deps: UserRolesControllerDeps): Controller {
  const { store, users, globalRoles, globalRoleBindings: grbs } = deps;
  const bindingKinds: BindingInformer[] = [{ kind: 'globalRoleBinding', informer: grbs }, ...deps.scopedBindings];
  for (const { informer } of bindingKinds) indexByField(informer, BY_USER, 'userId');

  async function removeBindings(userId: string) {
    for (const { kind, informer } of bindingKinds) {
      for (const b of informer.byIndex(BY_USER, userId)) await tolerate(StoreNotFoundError, store.delete(kind, b.id));
    }
  }

  /**
   * The users informer is a watch of its own, so a user just created may reach the cache after a binding
   * naming them: the store decides before anything is deleted (as Kubernetes' garbage collector looks an
   * owner up live before deleting its dependents). A user found there is enqueued by their own event.
   */
  async function removeBindingsIfGone(userId: string) {
    if (await store.get('user', userId)) return;
    await removeBindings(userId);
  }

  async function bindDefaults(userId: string) {
    const held = new Set(grbs.byIndex(BY_USER, userId).map((b) => b.data.globalRoleId));
    for (const role of globalRoles.list().filter((r) => r.data.newUserDefault === true && !held.has(r.id))) {
      const id = generateName('grb');
      await store.create('globalRoleBinding', id, { globalRoleId: role.id, userId, name: id });
    }
  }

  const controller = new Controller({
    name: 'user-roles',
    informers: [users, globalRoles, ...bindingKinds.map((b) => b.informer)],
    logger: deps.logger,
    async sync(id) {
      const user = users.get(id);
      if (!user) return removeBindingsIfGone(id);
      if (user.data.defaultRolesBound === true) return;
      await bindDefaults(id);
      await store.update('user', id, { ...user.data, defaultRolesBound: true }, user.resourceVersion);
    },
  });
  controller.watch(users);
  // Only bindings whose user the cache does not know: the others' users need nothing from a binding event.
  const orphanCandidate = (b: StoredObject<{ userId?: string | null }>) => (b.data.userId && !users.get(b.data.userId) ? [b.data.userId] : []);
  for (const { informer } of bindingKinds) controller.watchRelated(informer, orphanCandidate);
  return controller;
}
