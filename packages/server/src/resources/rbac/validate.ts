import { isDeepStrictEqual } from 'node:util';
import { ApiError } from '../../api/errors.js';
import type { ObjectCache } from '../../api/kind.js';
import { describeRule, firstUncovered, KNOWN_VERBS, type PolicyRule } from '../../auth/rules.js';
import type { JsonObject } from '../../schema/validate.js';
import type { Scope } from '../../auth/authorizer.js';
import type { RequestContext } from '../../api/context.js';
import type { Access } from './access.js';

/** Refuses rules Kubernetes RBAC would refuse: unknown verbs, no target, or resources mixed with URLs. */
export function checkRules(rules: unknown): void {
  for (const [i, rule] of ((rules ?? []) as PolicyRule[]).entries()) {
    const unknown = rule.verbs.find((v) => !KNOWN_VERBS.has(v));
    if (unknown !== undefined) {
      throw new ApiError('InvalidOption', `rules[${i}]: unknown verb "${unknown}" (known: ${[...KNOWN_VERBS].join(', ')})`, 'rules');
    }
    if (rule.verbs.length === 0) throw new ApiError('MissingRequired', `rules[${i}]: at least one verb is required`, 'rules');
    const urls = (rule.nonResourceURLs ?? []).length > 0;
    const resources = (rule.resources ?? []).length > 0;
    if (urls === resources) {
      throw new ApiError('InvalidBodyContent', `rules[${i}]: name either resources (with apiGroups) or nonResourceURLs, not ${urls ? 'both' : 'neither'}`, 'rules');
    }
    if (resources && (rule.apiGroups ?? []).length === 0) {
      throw new ApiError('MissingRequired', `rules[${i}]: apiGroups is required with resources ("" is the core group)`, 'rules');
    }
  }
}

/** The fields of an update whose value differs from the stored one (a client may PUT back the whole object). */
export const reallyChanged = (current: JsonObject, merged: JsonObject, changed: string[]) => changed.filter((f) => !isDeepStrictEqual(current[f], merged[f]));

/** Built-in roles change only in the fields an administrator may choose; everything else is the binary's. */
export function checkBuiltinChange(current: JsonObject, merged: JsonObject, changed: string[], mutable: readonly string[], what: string): void {
  if (current.builtin !== true) return;
  const refused = reallyChanged(current, merged, changed).filter((f) => !mutable.includes(f));
  if (refused.length > 0) {
    throw new ApiError('PermissionDenied', `${what} is built in: only ${mutable.join(', ')} may be changed (not ${refused.join(', ')})`, refused[0]);
  }
}

export interface BindingSubject {
  userId?: string;
  userPrincipalId?: string;
  groupPrincipalId?: string;
}

/**
 * Exactly one subject: a user (by id or by `local://` principal) or a group principal. A user must exist;
 * a group principal is taken as given (groups come from external providers Paddock cannot list).
 */
export function resolveSubject(input: JsonObject, users: ObjectCache<unknown>): BindingSubject {
  const userPrincipal = typeof input.userPrincipalId === 'string' ? input.userPrincipalId : undefined;
  const fromPrincipal = userPrincipal?.startsWith('local://') ? userPrincipal.slice('local://'.length) : undefined;
  if (userPrincipal !== undefined && fromPrincipal === undefined) {
    throw new ApiError('InvalidReference', `user principal "${userPrincipal}" is not a local user (local://<userId>)`, 'userPrincipalId');
  }
  const userId = typeof input.userId === 'string' && input.userId !== '' ? input.userId : fromPrincipal;
  const group = typeof input.groupPrincipalId === 'string' && input.groupPrincipalId !== '' ? input.groupPrincipalId : undefined;
  if ((userId === undefined) === (group === undefined)) {
    throw new ApiError('MissingRequired', 'a binding names exactly one subject: userId (or userPrincipalId) or groupPrincipalId', 'userId');
  }
  if (fromPrincipal !== undefined && userId !== fromPrincipal) {
    throw new ApiError('InvalidBodyContent', 'userId and userPrincipalId name different users', 'userPrincipalId');
  }
  if (group !== undefined) {
    if (!/^[a-z0-9_]+_group:\/\/.+/.test(group)) {
      throw new ApiError('InvalidFormat', `"${group}" is not a group principal (<provider>_group://<id>)`, 'groupPrincipalId');
    }
    return { groupPrincipalId: group };
  }
  if (!users.get(userId as string)) throw new ApiError('InvalidReference', `user "${userId}" not found`, 'userId');
  return { userId, userPrincipalId: `local://${userId}` };
}

export const sameSubject = (a: BindingSubject, b: JsonObject) =>
  (a.userId !== undefined && a.userId === b.userId) || (a.groupPrincipalId !== undefined && a.groupPrincipalId === b.groupPrincipalId);

/**
 * No escalation: the caller must already hold, where the binding applies, every rule it grants; and may
 * not bind themselves anything beyond what their global roles already give them.
 */
export function checkMayGrant(ctx: RequestContext, access: Access, granted: PolicyRule[], scope: Scope, subject: BindingSubject): void {
  const caller = access.subject(ctx);
  if (!caller) throw new ApiError('Unauthorized', 'must authenticate');
  const missing = firstUncovered(access.authorizer.heldRules(caller, scope), granted);
  if (missing) {
    throw new ApiError('PermissionDenied', `you may not grant permissions you do not hold here: ${describeRule(missing)}`);
  }
  if (subject.userId === caller.userId && firstUncovered(access.authorizer.globalRules(caller), granted)) {
    throw new ApiError('PermissionDenied', 'you may not bind a role to yourself', 'userId');
  }
}

/**
 * No escalation by defining a role: whoever creates or changes the rules of a global role or role template
 * (inherited ones included) must hold them globally, unless they may `escalate` on that kind (Kubernetes
 * RBAC's rule, and Rancher's webhook's). Only admin, or a custom role granting it, gives `escalate`; the
 * built-in roles-manage names its verbs so that it does not. Otherwise a user allowed to edit a role bound
 * to them could widen it.
 */
export function checkMayDefine(ctx: RequestContext, access: Access, resource: 'globalroles' | 'roletemplates', rules: PolicyRule[]): void {
  const caller = access.subject(ctx);
  if (!caller) throw new ApiError('Unauthorized', 'must authenticate');
  if (access.authorizer.can(caller, { verb: 'escalate', resource })) return;
  const missing = firstUncovered(access.authorizer.globalRules(caller), rules);
  if (missing) {
    throw new ApiError('PermissionDenied', `you may not define a role with permissions you do not hold: ${describeRule(missing)} (that needs escalate on ${resource})`, 'rules');
  }
}
