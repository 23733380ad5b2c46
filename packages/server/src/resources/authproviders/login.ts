import type { RequestContext } from '../../api/context.js';
import { ApiError } from '../../api/errors.js';
import { formatResource } from '../../api/format.js';
import type { ActionResult, ObjectCache, ResourceKind } from '../../api/kind.js';
import { randomBytes } from 'node:crypto';
import { CSRF_COOKIE, SESSION_COOKIE } from '../../auth/credentials.js';
import { hashPassword, verifyPassword } from '../../auth/passwords.js';
import type { LoginThrottle } from '../../auth/throttle.js';
import { validateCreate, type JsonObject } from '../../schema/validate.js';
import type { ResourceStore } from '../../store/types.js';
import type { Settings } from '../settings/settings.js';
import { newToken } from '../tokens/issue.js';
import type { TokenData } from '../tokens/schema.js';
import type { UserData } from '../users/schema.js';
import { basicLoginInput } from './schema.js';

export interface LoginDeps {
  users: ObjectCache<UserData>;
  tokens: ObjectCache<TokenData>;
  tokenKind: ResourceKind;
  store: ResourceStore;
  settings: Settings;
  throttle: LoginThrottle;
  now: () => Date;
}

/** A missing user is checked against a decoy hash, so it costs as much time as a wrong password. */
function passwordChecker() {
  let decoyHash: Promise<string> | undefined;
  return async (user: UserData | undefined, password: string): Promise<boolean> => {
    if (!user?.passwordHash) {
      decoyHash ??= hashPassword('decoy-password-for-timing');
      await verifyPassword(password, await decoyHash);
      return false;
    }
    return verifyPassword(password, user.passwordHash);
  };
}

/** The local provider's `login` action: username + password → a session token (JSON, or the R_SESS cookie). */
export function loginAction(deps: LoginDeps) {
  const checkPassword = passwordChecker();
  return async (ctx: RequestContext, _provider: unknown, body: unknown): Promise<ActionResult> => {
    const input = validateCreate(basicLoginInput.fields, body);
    const username = String(input.username);
    const userKey = `user:${username}`;
    const finish = await deps.throttle.begin([userKey, `ip:${ctx.clientIp}`], [userKey]);
    const user = deps.users.list().find((u) => u.data.username === username);
    const ok = (await checkPassword(user?.data, String(input.password)).catch(async (err: unknown) => {
      await finish(false);
      throw err;
    })) && user !== undefined;
    // Recorded before answering, so the next attempt sees it whichever replica takes it.
    await finish(ok);
    if (!ok || !user) throw new ApiError('Unauthorized', 'authentication failed');
    if (user.data.enabled === false) throw new ApiError('PermissionDenied', 'user is disabled');

    const sessionTtl = deps.settings.getInt('auth-user-session-ttl-minutes', 960) * 60_000;
    const requested = Number(input.ttl ?? 0);
    const token = newToken({
      userId: user.id,
      tokenKind: 'session',
      ttl: requested > 0 ? Math.min(requested, sessionTtl) : sessionTtl,
      description: typeof input.description === 'string' ? input.description : '',
      now: deps.now(),
    });
    const stored = await deps.store.create<JsonObject>('token', token.id, token.data);
    await deps.tokens.waitForRevision(stored.resourceVersion);

    if (input.responseType === 'cookie') {
      const csrf = randomBytes(8).toString('hex');
      return {
        status: 200,
        headers: {
          'set-cookie': [`${SESSION_COOKIE}=${token.value}; Path=/; HttpOnly; Secure; SameSite=Lax`, `${CSRF_COOKIE}=${csrf}; Path=/; Secure; SameSite=Strict`],
        },
      };
    }
    return { status: 201, body: formatResource(ctx, deps.tokenKind, stored, { token: token.value }) };
  };
}
