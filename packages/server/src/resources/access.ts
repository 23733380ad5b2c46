import type { RequestContext } from '../api/context.js';

/**
 * The interim access rules, until global roles and role templates are enforced: admins may do everything;
 * other users may read and change only their own user and tokens.
 */
export const isAuthenticated = (ctx: RequestContext) => ctx.caller !== undefined;
export const isAdmin = (ctx: RequestContext) => ctx.caller?.isAdmin === true;
export const isSelf = (ctx: RequestContext, userId: unknown) => ctx.caller !== undefined && ctx.caller.userId === userId;
