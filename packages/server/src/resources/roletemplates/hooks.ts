import { ApiError } from '../../api/errors.js';
import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import { externalRoleRule, type Authorizer } from '../../auth/authorizer.js';
import type { PolicyRule } from '../../auth/rules.js';
import { generateName } from '../../auth/secrets.js';
import type { JsonObject } from '../../schema/validate.js';
import { globalScope, type Access } from '../rbac/access.js';
import { checkBuiltinChange, checkMayDefine, checkRules, reallyChanged } from '../rbac/validate.js';
import { roleTemplateSchema, type RoleTemplateData } from './schema.js';

export interface RoleTemplateKindDeps {
  cache: ObjectCache<RoleTemplateData>;
  /** The bindings that may use a template, cluster and project ones. */
  bindings: ObjectCache<{ roleTemplateId?: string }>[];
  access: Access;
}

const MUTABLE_BUILTIN_FIELDS = ['locked', 'clusterCreatorDefault', 'projectCreatorDefault'];

/**
 * Inherited templates must exist, share the context and not lead back to `selfId`: returns the cycle
 * (`a -> b -> a`) if one is found.
 */
function checkInheritance(cache: ObjectCache<RoleTemplateData>, selfId: string, context: unknown, inherited: string[]): void {
  for (const id of inherited) {
    const template = cache.get(id);
    if (!template) throw new ApiError('InvalidReference', `role template "${id}" not found`, 'roleTemplateIds');
    if (template.data.context !== context) {
      throw new ApiError('InvalidReference', `role template "${id}" is a ${template.data.context} template, not a ${String(context)} one`, 'roleTemplateIds');
    }
  }
  const path = findPathBack(cache, selfId, inherited, [selfId]);
  if (path) throw new ApiError('InvalidReference', `role template inheritance would form a cycle: ${path.join(' -> ')}`, 'roleTemplateIds');
}

function findPathBack(cache: ObjectCache<RoleTemplateData>, target: string, next: string[], path: string[]): string[] | undefined {
  for (const id of next) {
    if (id === target) return [...path, id];
    if (path.includes(id)) continue;
    const found = findPathBack(cache, target, cache.get(id)?.data.roleTemplateIds ?? [], [...path, id]);
    if (found) return found;
  }
  return undefined;
}

/**
 * What a template with this data would grant: its rules, what it inherits, and its ClusterRole if external
 * (what whoever defines it must hold; the property test asks the same question).
 */
export const templateGrants = (authorizer: Authorizer, id: string, data: { rules?: unknown; external?: unknown; roleTemplateIds?: unknown }): PolicyRule[] => [
  ...((data.rules ?? []) as PolicyRule[]),
  ...(data.external === true ? [externalRoleRule(id)] : []),
  ...((data.roleTemplateIds ?? []) as string[]).flatMap((inherited) => authorizer.roleTemplateRules(inherited)),
];

/** `/v3/roletemplates`: cluster and project roles with inheritance; built-in ones are fixed. */
export function roleTemplateKind(deps: RoleTemplateKindDeps): ResourceKind {
  const { cache, access } = deps;
  const grantedBy = (id: string, data: JsonObject) => templateGrants(access.authorizer, id, data);
  return {
    schema: roleTemplateSchema,
    cache: cache as ObjectCache<JsonObject>,
    allowed: access.kindAllowed('roletemplates', globalScope),
    async prepareCreate(ctx, input) {
      checkRules(input.rules);
      const id = generateName('rt');
      checkInheritance(cache, id, input.context, (input.roleTemplateIds as string[] | undefined) ?? []);
      checkMayDefine(ctx, access, 'roletemplates', grantedBy(id, input));
      return { id, data: { ...input, builtin: false } };
    },
    async prepareUpdate(ctx, current, merged, changed) {
      checkBuiltinChange(current.data, merged, changed, MUTABLE_BUILTIN_FIELDS, `role template "${current.id}"`);
      const really = reallyChanged(current.data, merged, changed);
      if (really.includes('rules')) checkRules(merged.rules);
      if (really.includes('roleTemplateIds')) checkInheritance(cache, current.id, merged.context, (merged.roleTemplateIds as string[]) ?? []);
      if (['rules', 'roleTemplateIds', 'external'].some((f) => really.includes(f))) checkMayDefine(ctx, access, 'roletemplates', grantedBy(current.id, merged));
      return merged;
    },
    checkDelete(_ctx, obj) {
      if (obj.data.builtin === true) throw new ApiError('PermissionDenied', `role template "${obj.id}" is built in and cannot be deleted`);
      const bound = deps.bindings.flatMap((b) => b.list()).filter((b) => b.data.roleTemplateId === obj.id);
      if (bound.length > 0) {
        throw new ApiError('InvalidState', `role template "${obj.id}" is bound by ${bound.length} binding(s) (${bound[0]?.id}, ...); delete them first`);
      }
      const heirs = cache.list().filter((t) => (t.data.roleTemplateIds ?? []).includes(obj.id));
      if (heirs.length > 0) {
        throw new ApiError('InvalidState', `role template "${obj.id}" is inherited by ${heirs.map((t) => t.id).join(', ')}; change them first`);
      }
    },
  };
}
