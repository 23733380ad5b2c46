import { ApiError } from '../../api/errors.js';
import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import type { PolicyRule } from '../../auth/rules.js';
import { generateName } from '../../auth/secrets.js';
import type { JsonObject } from '../../schema/validate.js';
import type { GlobalRoleBindingData } from '../globalrolebindings/schema.js';
import { globalScope, type Access } from '../rbac/access.js';
import { checkBuiltinChange, checkMayDefine, checkRules, reallyChanged } from '../rbac/validate.js';
import { globalRoleSchema, type GlobalRoleData } from './schema.js';

export interface GlobalRoleKindDeps {
  cache: ObjectCache<GlobalRoleData>;
  bindings: ObjectCache<GlobalRoleBindingData>;
  access: Access;
}

/** `/v3/globalroles`: built-in ones are fixed (except `newUserDefault`); custom ones by role managers. */
export function globalRoleKind(deps: GlobalRoleKindDeps): ResourceKind {
  const { cache, bindings, access } = deps;
  return {
    schema: globalRoleSchema,
    cache: cache as ObjectCache<JsonObject>,
    allowed: access.kindAllowed('globalroles', globalScope),
    async prepareCreate(ctx, input) {
      checkRules(input.rules);
      checkMayDefine(ctx, access, 'globalroles', (input.rules ?? []) as PolicyRule[]);
      return { id: generateName('gr'), data: { ...input, builtin: false } };
    },
    async prepareUpdate(ctx, current, merged, changed) {
      checkBuiltinChange(current.data, merged, changed, ['newUserDefault'], `global role "${current.id}"`);
      if (reallyChanged(current.data, merged, changed).includes('rules')) {
        checkRules(merged.rules);
        checkMayDefine(ctx, access, 'globalroles', (merged.rules ?? []) as PolicyRule[]);
      }
      return merged;
    },
    checkDelete(_ctx, obj) {
      if (obj.data.builtin === true) throw new ApiError('PermissionDenied', `global role "${obj.id}" is built in and cannot be deleted`);
      const bound = bindings.list().filter((b) => b.data.globalRoleId === obj.id);
      if (bound.length > 0) {
        throw new ApiError('InvalidState', `global role "${obj.id}" is bound by ${bound.length} binding(s) (${bound[0]?.id}, ...); delete them first`);
      }
    },
  };
}
