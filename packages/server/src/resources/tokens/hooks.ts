import { ApiError } from '../../api/errors.js';
import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import { tokenExpired } from '../../auth/authenticate.js';
import { CSRF_COOKIE, SESSION_COOKIE } from '../../auth/credentials.js';
import type { JsonObject } from '../../schema/validate.js';
import type { ResourceStore } from '../../store/types.js';
import { requireCaller } from '../../api/context.js';
import type { Access } from '../rbac/access.js';
import type { Settings } from '../settings/settings.js';
import { cappedTtl, newToken } from './issue.js';
import { tokenSchema, type TokenData } from './schema.js';

export const expiredCookie = (name: string) => `${name}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure`;

/** `/v3/tokens`: each user sees and manages only their own tokens (admins included, as in Rancher). */
export function tokenKind(deps: {
  cache: ObjectCache<TokenData>;
  clusters: ObjectCache<unknown>;
  store: ResourceStore;
  settings: Settings;
  now: () => Date;
  access: Access;
}): ResourceKind {
  const { store, settings, now, access } = deps;
  return {
    schema: tokenSchema,
    cache: deps.cache as ObjectCache<JsonObject>,
    allowed(ctx, verb, obj) {
      if (!ctx.caller) return false;
      // Everyone creates their own tokens (the user is the caller, not a field of the body).
      return obj === undefined || verb === 'create' || access.isSelf(ctx, obj.data.userId);
    },
    async prepareCreate(ctx, input) {
      const caller = requireCaller(ctx);
      // A cluster the caller may not see is answered like one that does not exist.
      const visible = (id: string) => deps.clusters.get(id) !== undefined && access.can(ctx, 'get', 'clusters', { clusterId: id }, id);
      if (typeof input.clusterId === 'string' && !visible(input.clusterId)) {
        throw new ApiError('InvalidReference', `cluster "${input.clusterId}" not found`, 'clusterId');
      }
      const ttl = cappedTtl(Number(input.ttl ?? 0), settings.getInt('auth-token-max-ttl-minutes', 0));
      const token = newToken({
        userId: caller.userId,
        tokenKind: 'apikey',
        ttl,
        description: typeof input.description === 'string' ? input.description : '',
        clusterId: typeof input.clusterId === 'string' ? input.clusterId : null,
        now: now(),
      });
      return { id: token.id, data: { ...input, ...token.data }, shownOnce: { token: token.value } };
    },
    async prepareUpdate(ctx, _current, merged, changed) {
      if (changed.includes('enabled') && !access.can(ctx, 'update', 'tokens')) {
        throw new ApiError('PermissionDenied', 'only a user who may manage all tokens may enable or disable one');
      }
      return merged;
    },
    checkDelete(ctx, obj) {
      if (obj.id === ctx.caller?.tokenId && !ctx.caller.tokenIsDerived) {
        throw new ApiError('InvalidAction', 'Cannot delete token for current session. Use logout instead');
      }
    },
    format(ctx, obj, out) {
      const data = obj.data as TokenData;
      out.expired = tokenExpired(data, now().getTime());
      out.current = obj.id === ctx.caller?.tokenId && !ctx.caller.tokenIsDerived;
    },
    collectionActions: {
      async logout(ctx) {
        const caller = requireCaller(ctx);
        const deleted = await store.delete('token', caller.tokenId);
        await deps.cache.waitForRevision(deleted.resourceVersion);
        return { status: 200, headers: { 'set-cookie': [expiredCookie(SESSION_COOKIE), expiredCookie(CSRF_COOKIE)] } };
      },
    },
  };
}
