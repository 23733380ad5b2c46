import { ApiError } from '../../api/errors.js';
import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import type { Scope } from '../../auth/authorizer.js';
import { generateName } from '../../auth/secrets.js';
import type { Schema } from '../../schema/schema.js';
import type { JsonObject } from '../../schema/validate.js';
import type { RoleTemplateData } from '../roletemplates/schema.js';
import type { Access } from './access.js';
import { checkMayGrant, resolveSubject, sameSubject } from './validate.js';

export interface ScopedBindingSpec {
  schema: Schema;
  /** The v3 resource name rules use (`clusterroletemplatebindings`). */
  resource: string;
  context: 'cluster' | 'project';
  /** The field naming the scope object (`clusterId`, `projectId`) and that object's cache. */
  scopeField: 'clusterId' | 'projectId';
  scopeObjects: ObjectCache<unknown>;
  scopeOf: (scopeId: string) => Scope;
  /** The binding's id, from its scope's id (`c-xxxxx:crtb-xxxxx`, `p-xxxxx:prtb-xxxxx`). */
  newId: (scopeId: string) => string;
}

export interface ScopedBindingDeps {
  cache: ObjectCache<JsonObject>;
  roleTemplates: ObjectCache<RoleTemplateData>;
  users: ObjectCache<unknown>;
  access: Access;
}

/** A role template binding in a cluster or a project: checks references, uniqueness and escalation. */
export function scopedBindingKind(spec: ScopedBindingSpec, deps: ScopedBindingDeps): ResourceKind {
  const { cache, roleTemplates, access } = deps;
  const { scopeField, context } = spec;
  return {
    schema: spec.schema,
    cache,
    serializeCreates: true,
    allowed: access.kindAllowed(spec.resource, (o) => spec.scopeOf(String(o.data[scopeField]))),
    async prepareCreate(ctx, input) {
      const scopeId = String(input[scopeField]);
      if (!spec.scopeObjects.get(scopeId)) throw new ApiError('InvalidReference', `${context} "${scopeId}" not found`, scopeField);
      const roleId = String(input.roleTemplateId);
      const template = roleTemplates.get(roleId);
      if (!template) throw new ApiError('InvalidReference', `role template "${roleId}" not found`, 'roleTemplateId');
      if (template.data.context !== context) {
        throw new ApiError('InvalidReference', `role template "${roleId}" is for ${template.data.context}s, not ${context}s`, 'roleTemplateId');
      }
      if (template.data.locked === true) throw new ApiError('InvalidState', `role template "${roleId}" is locked: it may not be used in new bindings`, 'roleTemplateId');
      const subject = resolveSubject(input, deps.users);
      const duplicate = cache.list().some((b) => b.data[scopeField] === scopeId && b.data.roleTemplateId === roleId && sameSubject(subject, b.data));
      if (duplicate) throw new ApiError('NotUnique', `that subject already has role "${roleId}" in ${context} "${scopeId}"`, 'roleTemplateId');
      checkMayGrant(ctx, access, access.authorizer.roleTemplateRules(roleId), spec.scopeOf(scopeId), subject);
      const id = spec.newId(scopeId);
      return { id, data: { ...input, ...subject, [scopeField]: scopeId, name: id.slice(id.indexOf(':') + 1) } };
    },
  };
}

export const clusterBindingId = (clusterId: string) => `${clusterId}:${generateName('crtb')}`;
/** `c-xxxxx:p-xxxxx` → `p-xxxxx:prtb-xxxxx`, as Rancher namespaces project bindings in the project. */
export const projectBindingId = (projectId: string) => `${projectId.slice(projectId.indexOf(':') + 1)}:${generateName('prtb')}`;
