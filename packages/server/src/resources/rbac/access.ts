import type { RequestContext } from '../../api/context.js';
import type { ObjectCache, ResourceKind, Verb } from '../../api/kind.js';
import type { Authorizer, Scope, Subject } from '../../auth/authorizer.js';
import type { Attributes } from '../../auth/rules.js';
import type { JsonObject } from '../../schema/validate.js';
import type { StoredObject } from '../../store/types.js';
import { waitUntil, type ChangeSource } from '../../util/wait-until.js';

/** Where an object of some kind lives, for the authorizer. */
export type ScopeOf = (obj: StoredObject<JsonObject>) => Scope;

/**
 * The access questions resource kinds ask, in API terms (a request context and a v3 resource name),
 * all answered by the one Authorizer.
 */
export class Access {
  constructor(readonly authorizer: Authorizer) {}

  subject(ctx: RequestContext): Subject | undefined {
    return ctx.caller && { userId: ctx.caller.userId };
  }

  /** May the caller do `verb` on `resource` (the object `name`, if one) in `scope`? */
  can(ctx: RequestContext, verb: string, resource: string, scope: Scope = {}, name?: string): boolean {
    const subject = this.subject(ctx);
    return subject !== undefined && this.authorizer.can(subject, { verb, resource, name }, scope);
  }

  canSomewhere(ctx: RequestContext, verb: string, resource: string): boolean {
    const subject = this.subject(ctx);
    return subject !== undefined && this.authorizer.canSomewhere(subject, { verb, resource } satisfies Attributes);
  }

  isSelf(ctx: RequestContext, userId: unknown): boolean {
    return ctx.caller !== undefined && ctx.caller.userId === userId;
  }

  /**
   * The `allowed` hook of a kind whose objects live in a scope: lists are open to every caller and
   * filtered object by object; an object is visible to whoever may get or list it; a create without an
   * object asks whether the caller may create one anywhere (the handler then asks again with the draft).
   */
  kindAllowed(resource: string, scopeOf: ScopeOf): ResourceKind['allowed'] {
    return (ctx: RequestContext, verb: Verb, obj?: StoredObject<JsonObject>) => {
      if (!ctx.caller) return false;
      // Global kinds (users, settings, roles) obey global rules only; scoped kinds any binding that may apply.
      if (!obj) return verb === 'list' || (scopeOf === globalScope ? this.can(ctx, verb, resource) : this.canSomewhere(ctx, verb, resource));
      const scope = scopeOf(obj);
      if (verb === 'get' || verb === 'list') {
        return this.can(ctx, 'get', resource, scope, obj.id) || this.can(ctx, 'list', resource, scope, obj.id);
      }
      return this.can(ctx, verb, resource, scope, obj.id || undefined);
    };
  }
}

export const globalScope: ScopeOf = () => ({});

/** How long a create waits for the controllers to finish what it started before answering anyway. */
const SETTLE_MS = 10_000;

/**
 * `ResourceKind.settled` for kinds whose new objects the controllers complete (the creator made owner, a
 * new user given the default roles): waits until `done` holds for the object (re-checked on each change
 * `sources` report), then answers with the object as it is then, so the version the client gets is current.
 */
export function settledWhen(
  cache: ObjectCache<JsonObject>,
  sources: readonly ChangeSource[],
  done: (ctx: RequestContext, obj: StoredObject<JsonObject>) => boolean,
): NonNullable<ResourceKind['settled']> {
  return async (ctx, stored) => {
    await waitUntil(() => {
      const current = cache.get(stored.id);
      return current !== undefined && done(ctx, current);
    }, sources, SETTLE_MS);
    return cache.get(stored.id) ?? stored;
  };
}

/**
 * `ResourceKind.deleted` for kinds whose controllers remove dependents: waits until no object of `sources`
 * refers to the deleted one by `userId` (up to a bound, then answers anyway: the controllers finish).
 */
export function userCascade(sources: readonly (ChangeSource & { list(): StoredObject<{ userId?: unknown }>[] })[]): NonNullable<ResourceKind['deleted']> {
  return async (_ctx, obj) => {
    const gone = () => sources.every((s) => !s.list().some((o) => o.data.userId === obj.id));
    await waitUntil(gone, sources, SETTLE_MS);
  };
}
