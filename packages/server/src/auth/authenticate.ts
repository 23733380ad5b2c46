import type { Caller } from '../api/context.js';
import { ApiError } from '../api/errors.js';
import type { ObjectCache } from '../api/kind.js';
import type { TokenData } from '../resources/tokens/schema.js';
import type { UserData } from '../resources/users/schema.js';
import { rawCredential, splitToken, type RequestHeaders } from './credentials.js';
import { secretMatches } from './secrets.js';

export class AuthenticationError extends ApiError {
  constructor(message = 'must authenticate') {
    super('Unauthorized', message);
  }
}

export function tokenExpired(token: TokenData, now: number): boolean {
  return token.expiresAt !== undefined && token.expiresAt !== null && token.expiresAt !== '' && Date.parse(token.expiresAt) <= now;
}

/**
 * Turns request credentials into a Caller, reading tokens and users from their informer caches (no store
 * round trip per request). No credentials: undefined. Bad, expired, disabled or unknown credentials: 401.
 */
export class Authenticator {
  constructor(
    private readonly tokens: ObjectCache<TokenData>,
    private readonly users: ObjectCache<UserData>,
    private readonly now: () => number,
  ) {}

  /**
   * `clusterScope`: the cluster whose Kubernetes API the request is for (`/k8s/clusters/<id>`), if any.
   * A token scoped to a cluster (`clusterId`) authenticates only there, as in Rancher.
   */
  authenticate(headers: RequestHeaders, clusterScope?: string): Caller | undefined {
    const raw = rawCredential(headers);
    if (raw === undefined) return undefined;
    const parsed = splitToken(raw);
    if (!parsed) throw new AuthenticationError('must authenticate: malformed token (expected token-xxxxx:secret)');
    const token = this.tokens.get(parsed.name);
    if (!token || !secretMatches(parsed.secret, token.data.tokenHash)) throw new AuthenticationError();
    if (tokenExpired(token.data, this.now())) throw new AuthenticationError('must authenticate: token has expired');
    if (token.data.enabled === false) throw new AuthenticationError('must authenticate: token is disabled');
    const scope = token.data.clusterId;
    if (scope && scope !== clusterScope) {
      throw new AuthenticationError(`must authenticate: this token is valid only for the Kubernetes API of cluster ${scope}`);
    }
    const user = this.users.get(token.data.userId);
    if (!user) throw new AuthenticationError('must authenticate: the token\'s user no longer exists');
    if (user.data.enabled === false) throw new AuthenticationError('must authenticate: user is disabled');
    return {
      userId: user.id,
      username: user.data.username ?? '',
      mustChangePassword: user.data.mustChangePassword === true,
      tokenId: token.id,
      tokenIsDerived: token.data.isDerived === true,
    };
  }
}
