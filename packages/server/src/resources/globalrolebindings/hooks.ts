import { ApiError } from '../../api/errors.js';
import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import type { PolicyRule } from '../../auth/rules.js';
import { generateName } from '../../auth/secrets.js';
import type { JsonObject } from '../../schema/validate.js';
import type { GlobalRoleData } from '../globalroles/schema.js';
import { globalScope, type Access } from '../rbac/access.js';
import { checkMayGrant, resolveSubject, sameSubject } from '../rbac/validate.js';
import { globalRoleBindingSchema, type GlobalRoleBindingData } from './schema.js';

export interface GlobalRoleBindingKindDeps {
  cache: ObjectCache<GlobalRoleBindingData>;
  roles: ObjectCache<GlobalRoleData>;
  users: ObjectCache<unknown>;
  access: Access;
}

/** `/v3/globalrolebindings`: grant a global role to a user or group; no one grants more than they hold. */
export function globalRoleBindingKind(deps: GlobalRoleBindingKindDeps): ResourceKind {
  const { cache, roles, access } = deps;
  return {
    schema: globalRoleBindingSchema,
    cache: cache as ObjectCache<JsonObject>,
    serializeCreates: true,
    allowed: access.kindAllowed('globalrolebindings', globalScope),
    async prepareCreate(ctx, input) {
      const roleId = String(input.globalRoleId);
      const role = roles.get(roleId);
      if (!role) throw new ApiError('InvalidReference', `global role "${roleId}" not found`, 'globalRoleId');
      const subject = resolveSubject(input, deps.users);
      if (cache.list().some((b) => b.data.globalRoleId === roleId && sameSubject(subject, b.data as JsonObject))) {
        throw new ApiError('NotUnique', `that subject is already bound to global role "${roleId}"`, 'globalRoleId');
      }
      checkMayGrant(ctx, access, role.data.rules as PolicyRule[], {}, subject);
      const id = generateName('grb');
      const who = subject.userId !== undefined ? { userId: subject.userId } : { groupPrincipalId: subject.groupPrincipalId };
      return { id, data: { globalRoleId: roleId, ...who, name: id } };
    },
  };
}
