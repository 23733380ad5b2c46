import { requireCaller, type RequestContext } from '../../api/context.js';
import { ApiError } from '../../api/errors.js';
import { formatResource } from '../../api/format.js';
import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import { hashPassword, verifyPassword } from '../../auth/passwords.js';
import { describeRule, firstUncovered } from '../../auth/rules.js';
import { generateName } from '../../auth/secrets.js';
import { validateCreate, type JsonObject } from '../../schema/validate.js';
import { tolerate } from '../../store/tolerate.js';
import { StoreNotFoundError, type ResourceStore, type StoredObject } from '../../store/types.js';
import { globalScope, type Access } from '../rbac/access.js';
import type { Settings } from '../settings/settings.js';
import { checkNewPassword } from './passwords.js';
import { changePasswordInput, setPasswordInput, userSchema, type UserData } from './schema.js';

export interface UserKindDeps {
  cache: ObjectCache<UserData>;
  settingsCache: ObjectCache<unknown>;
  store: ResourceStore;
  settings: Settings;
  access: Access;
  /** Resolves once a new user has the default global roles (see ResourceKind.settled). */
  settled: NonNullable<ResourceKind['settled']>;
  /** Resolves once a deleted user's tokens and bindings are gone too (see ResourceKind.deleted). */
  cascaded: NonNullable<ResourceKind['deleted']>;
}

const ADMIN_ONLY_FIELDS = ['enabled', 'mustChangePassword'];

/** `/v3/users`: user managers manage every user; everyone reads and edits themself. */
export function userKind(deps: UserKindDeps): ResourceKind {
  const { cache, store, settings, access } = deps;
  const byRules = access.kindAllowed('users', globalScope);
  const isSelf = (ctx: RequestContext, id: unknown) => access.isSelf(ctx, id);
  const mayManage = (ctx: RequestContext) => access.can(ctx, 'update', 'users');
  /**
   * A user manager acts on another user only if that user holds nothing beyond the manager's own global
   * rules: otherwise resetting an administrator's password or disabling them would be a way up.
   */
  const checkOutranks = (ctx: RequestContext, target: StoredObject<JsonObject>, what: string) => {
    const caller = access.subject(ctx);
    if (!caller || caller.userId === target.id) return;
    const missing = firstUncovered(access.authorizer.globalRules(caller), access.authorizer.globalRules({ userId: target.id }));
    if (missing) throw new ApiError('PermissionDenied', `you may not ${what} user "${target.id}": they hold permissions you do not (${describeRule(missing)})`);
  };
  const minLength = () => settings.getInt('password-min-length', 12);

  /**
   * Stores a new password and ends the user's other sessions and API keys (someone who knew the old
   * password keeps nothing). `keepTokenId`: the caller's own session, which goes on.
   */
  async function savePassword(user: StoredObject<JsonObject>, password: string, keepTokenId?: string): Promise<StoredObject<JsonObject>> {
    const data = { ...user.data, passwordHash: await hashPassword(password), mustChangePassword: false };
    const saved = await store.update<JsonObject>('user', user.id, data, user.resourceVersion);
    const { items } = await store.list<{ userId?: string }>('token');
    for (const token of items.filter((t) => t.data.userId === user.id && t.id !== keepTokenId)) {
      await tolerate(StoreNotFoundError, store.delete('token', token.id));
    }
    const setting = await markFirstLoginDone(store);
    if (setting) await deps.settingsCache.waitForRevision(setting);
    await cache.waitForRevision(saved.resourceVersion);
    return saved;
  }

  const kind: ResourceKind = {
    schema: userSchema,
    cache: cache as ObjectCache<JsonObject>,
    serializeCreates: true,
    settled: deps.settled,
    allowed(ctx, verb, obj) {
      if (byRules(ctx, verb, obj)) return true;
      return (verb === 'get' || verb === 'update') && obj !== undefined && isSelf(ctx, obj.id);
    },
    async prepareCreate(_ctx, input) {
      const username = String(input.username);
      if (cache.list().some((u) => u.data.username === username)) {
        throw new ApiError('NotUnique', `username "${username}" is already in use`, 'username');
      }
      if (typeof input.password !== 'string' || input.password === '') {
        throw new ApiError('MissingRequired', 'password is required', 'password');
      }
      checkNewPassword(input.password, username, minLength(), 'password');
      const id = generateName('u');
      const { password, ...rest } = input;
      return { id, data: { ...rest, principalIds: [`local://${id}`], passwordHash: await hashPassword(String(password)) } };
    },
    async prepareUpdate(ctx, current, merged, changed) {
      if (!mayManage(ctx) && changed.some((f) => ADMIN_ONLY_FIELDS.includes(f))) {
        throw new ApiError('PermissionDenied', `only a user manager may change ${ADMIN_ONLY_FIELDS.join(' or ')}`);
      }
      if (changed.length > 0) checkOutranks(ctx, current, 'change');
      if (isSelf(ctx, current.id) && merged.enabled === false) {
        throw new ApiError('InvalidAction', 'you cannot deactivate yourself', 'enabled');
      }
      return merged;
    },
    checkDelete(ctx, obj) {
      if (isSelf(ctx, obj.id)) throw new ApiError('InvalidAction', 'you cannot delete yourself');
      checkOutranks(ctx, obj, 'delete');
    },
    deleted: deps.cascaded,
    availableActions: (ctx) => (mayManage(ctx) ? ['setpassword'] : []),
    format(ctx, obj, out) {
      out.me = isSelf(ctx, obj.id);
    },
    collectionActions: {
      async changepassword(ctx: RequestContext, body: unknown) {
        const caller = requireCaller(ctx);
        const input = validateCreate(changePasswordInput.fields, body);
        const user = cache.get(caller.userId);
        if (!user) throw new ApiError('NotFound', `user "${caller.userId}" not found`);
        const ok = await verifyPassword(String(input.currentPassword), user.data.passwordHash ?? '');
        if (!ok) throw new ApiError('InvalidBodyContent', 'invalid current password', 'currentPassword');
        const next = String(input.newPassword);
        checkNewPassword(next, user.data.username ?? '', minLength());
        if (await verifyPassword(next, user.data.passwordHash ?? '')) {
          throw new ApiError('InvalidBodyContent', 'the new password must differ from the current one', 'newPassword');
        }
        await savePassword(user as StoredObject<JsonObject>, next, caller.tokenId);
        return { status: 200 };
      },
    },
    actions: {
      async setpassword(ctx, user, body) {
        if (!mayManage(ctx)) throw new ApiError('PermissionDenied', 'only a user manager may set passwords');
        checkOutranks(ctx, user, 'set the password of');
        const input = validateCreate(setPasswordInput.fields, body);
        checkNewPassword(String(input.newPassword), String(user.data.username ?? ''), minLength());
        const saved = await savePassword(user, String(input.newPassword), ctx.caller?.userId === user.id ? ctx.caller.tokenId : undefined);
        return { status: 200, body: formatResource(ctx, kind, saved) };
      },
    },
  };
  return kind;
}

/**
 * After the first password change, the `first-login` setting turns "false" (the UI stops its welcome).
 * Returns the revision of the write, if one was needed.
 */
async function markFirstLoginDone(store: ResourceStore): Promise<number | undefined> {
  const setting = await store.get<JsonObject>('setting', 'first-login');
  if (!setting || setting.data.value === 'false') return undefined;
  return (await store.update('setting', 'first-login', { ...setting.data, value: 'false' })).resourceVersion;
}
