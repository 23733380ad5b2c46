import { requireCaller } from '../../api/context.js';
import { formatResource } from '../../api/format.js';
import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import { defineSchema } from '../../schema/schema.js';
import { f } from '../../schema/fields.js';
import { validateCreate, type JsonObject } from '../../schema/validate.js';
import type { StoredObject } from '../../store/types.js';
import type { Access } from '../rbac/access.js';
import type { UserData } from '../users/schema.js';

export const principalSchema = defineSchema({
  id: 'principal',
  collectionMethods: ['GET'],
  resourceMethods: ['GET'],
  collectionActions: { search: { input: 'searchPrincipalsInput', output: 'collection' } },
  fields: {
    name: f.string({ create: false, update: false, filterable: true }),
    loginName: f.string({ create: false, update: false, filterable: true }),
    principalType: f.enum(['user', 'group'] as const, { create: false, update: false, filterable: true }),
    provider: f.string({ create: false, update: false, filterable: true }),
    me: f.boolean({ create: false, update: false }),
    memberOf: f.boolean({ create: false, update: false }),
    profilePicture: f.string({ create: false, update: false }),
  },
});

export const searchPrincipalsInput = defineSchema(
  {
    id: 'searchPrincipalsInput',
    fields: { name: f.string({ required: true, maxLength: 255 }), principalType: f.enum(['user', 'group'] as const) },
  },
  { embedded: true },
);

const LOCAL = 'local://';

/**
 * The principals of the local provider: one per user, derived from the users cache (nothing stored).
 * Each derived object is kept while its user object is unchanged, so lists allocate nothing new.
 */
function principalCache(users: ObjectCache<UserData>): ObjectCache<JsonObject> {
  const derived = new WeakMap<StoredObject<UserData>, StoredObject<JsonObject>>();
  const toPrincipal = (user: StoredObject<UserData>): StoredObject<JsonObject> => {
    let principal = derived.get(user);
    if (!principal) {
      const data = { name: user.data.name || user.data.username || '', loginName: user.data.username ?? '', principalType: 'user', provider: 'local' };
      principal = { kind: 'principal', id: `${LOCAL}${user.id}`, resourceVersion: user.resourceVersion, created: user.created, data };
      derived.set(user, principal);
    }
    return principal;
  };
  return {
    get: (id) => {
      const user = id.startsWith(LOCAL) ? users.get(id.slice(LOCAL.length)) : undefined;
      return user && toPrincipal(user);
    },
    list: () => users.list().map(toPrincipal),
    waitForRevision: (revision) => users.waitForRevision(revision),
  };
}

/** `/v3/principals`: who can be named in a binding; `?action=search` finds them by name. */
export function principalKind(deps: { users: ObjectCache<UserData>; access: Access }): ResourceKind {
  const cache = principalCache(deps.users);
  const kind: ResourceKind = {
    schema: principalSchema,
    cache,
    allowed: (ctx, verb, obj) =>
      deps.access.kindAllowed('principals', () => ({}))(ctx, verb, obj) || (obj !== undefined && obj.id === `${LOCAL}${ctx.caller?.userId}`),
    format(ctx, obj, out) {
      out.me = obj.id === `${LOCAL}${ctx.caller?.userId}`;
      out.memberOf = false;
    },
    collectionActions: {
      async search(ctx, body) {
        requireCaller(ctx);
        const input = validateCreate(searchPrincipalsInput.fields, body);
        const needle = String(input.name).toLowerCase();
        if (input.principalType === 'group') return { body: { type: 'collection', resourceType: 'principal', data: [] } };
        const data = cache
          .list()
          .filter((p) => String(p.data.name).toLowerCase().includes(needle) || String(p.data.loginName).toLowerCase().includes(needle))
          .filter((p) => kind.allowed(ctx, 'get', p))
          .slice(0, 100)
          .map((p) => formatResource(ctx, kind, p));
        return { body: { type: 'collection', resourceType: 'principal', data } };
      },
    },
  };
  return kind;
}
