import { tokenExpired } from '../../auth/authenticate.js';
import { Controller } from '../../informer/controller.js';
import type { Informer } from '../../informer/informer.js';
import type { Logger } from '../../informer/logger.js';
import { tolerate } from '../../store/tolerate.js';
import { StoreNotFoundError, type ResourceStore } from '../../store/types.js';
import type { ClusterData } from '../clusters/schema.js';
import type { UserData } from '../users/schema.js';
import type { TokenData } from './schema.js';

export interface TokenControllerDeps {
  store: ResourceStore;
  tokens: Informer<TokenData>;
  users: Informer<UserData>;
  clusters: Informer<ClusterData>;
  logger: Logger;
  now: () => Date;
}

export const BY_USER = 'userId';
export const BY_CLUSTER = 'clusterId';
/** setTimeout cannot wait longer than ~24.8 days; longer expiries are re-checked then. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Deletes tokens that have expired, whose user is gone, or whose cluster (for cluster-scoped tokens) is gone. A live token with an expiry is looked at again
 * when it expires.
 */
export function tokenController(deps: TokenControllerDeps): Controller {
  const { store, tokens, users, clusters } = deps;
  tokens.addIndex(BY_USER, (o) => [String(o.data.userId)]);
  tokens.addIndex(BY_CLUSTER, (o) => (o.data.clusterId ? [o.data.clusterId] : []));
  const orphaned = (t: TokenData) => !users.get(t.userId) || (t.clusterId ? !clusters.get(t.clusterId) : false);

  const controller: Controller = new Controller({
    name: 'token',
    informers: [tokens, users, clusters],
    logger: deps.logger,
    async sync(id) {
      const token = tokens.get(id);
      if (!token) return;
      const now = deps.now().getTime();
      if (tokenExpired(token.data, now) || orphaned(token.data)) {
        return tolerate(StoreNotFoundError, store.delete('token', id, token.resourceVersion));
      }
      if (token.data.expiresAt) {
        controller.enqueueAfter(id, Math.min(MAX_DELAY_MS, Date.parse(token.data.expiresAt) - now + 1));
      }
    },
  });
  controller.watch(tokens);
  controller.watchRelated(users, (u) => tokens.byIndex(BY_USER, u.id).map((t) => t.id));
  controller.watchRelated(clusters, (c) => tokens.byIndex(BY_CLUSTER, c.id).map((t) => t.id));
  return controller;
}
