import { tokenExpired } from '../../auth/authenticate.js';
import { Controller } from '../../informer/controller.js';
import type { Informer } from '../../informer/informer.js';
import type { Logger } from '../../informer/logger.js';
import { tolerate } from '../../store/tolerate.js';
import { StoreNotFoundError, type ResourceStore } from '../../store/types.js';
import type { UserData } from '../users/schema.js';
import type { TokenData } from './schema.js';

export interface TokenControllerDeps {
  store: ResourceStore;
  tokens: Informer<TokenData>;
  users: Informer<UserData>;
  logger: Logger;
  now: () => Date;
}

export const BY_USER = 'userId';
/** setTimeout cannot wait longer than ~24.8 days; longer expiries are re-checked then. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Deletes tokens that have expired or whose user is gone. A live token with an expiry is looked at again
 * when it expires.
 */
export function tokenController(deps: TokenControllerDeps): Controller {
  const { store, tokens, users } = deps;
  tokens.addIndex(BY_USER, (o) => [String(o.data.userId)]);

  const controller: Controller = new Controller({
    name: 'token',
    informers: [tokens, users],
    logger: deps.logger,
    async sync(id) {
      const token = tokens.get(id);
      if (!token) return;
      const now = deps.now().getTime();
      if (tokenExpired(token.data, now) || !users.get(token.data.userId)) {
        return tolerate(StoreNotFoundError, store.delete('token', id, token.resourceVersion));
      }
      if (token.data.expiresAt) {
        controller.enqueueAfter(id, Math.min(MAX_DELAY_MS, Date.parse(token.data.expiresAt) - now + 1));
      }
    },
  });
  controller.watch(tokens);
  controller.watchRelated(users, (u) => tokens.byIndex(BY_USER, u.id).map((t) => t.id));
  return controller;
}
