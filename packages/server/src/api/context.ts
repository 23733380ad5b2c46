import { ApiError } from './errors.js';
import type { Query } from './query.js';

/** Who is calling, as established by authentication (auth/authenticate.ts). */
export interface Caller {
  userId: string;
  username: string;
  /** Set on first start's admin: until the password is changed, the caller may only read and change it. */
  mustChangePassword: boolean;
  /** The token that authenticated this request. */
  tokenId: string;
  /** API keys are derived tokens; login sessions are not. */
  tokenIsDerived: boolean;
}

/** Everything a request handler knows about the request, built once per request. */
export interface RequestContext {
  caller: Caller | undefined;
  /** `https://host[:port]` as the client addressed us (Host / X-Forwarded-*). */
  baseUrl: string;
  clientIp: string;
  query: Query;
}

export function requireCaller(ctx: RequestContext): Caller {
  if (!ctx.caller) throw new ApiError('Unauthorized', 'must authenticate');
  return ctx.caller;
}
