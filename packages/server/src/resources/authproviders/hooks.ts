import type { ResourceKind } from '../../api/kind.js';
import { StaticCache } from '../../api/static-cache.js';
import type { JsonObject } from '../../schema/validate.js';
import { loginAction, type LoginDeps } from './login.js';
import { authProviderSchema, localProviderSchema } from './schema.js';

const enabledProviders = () => new StaticCache<JsonObject>([{ id: 'local', data: {} }]);
const publicRead = (verb: string) => verb === 'list' || verb === 'get' || verb === 'update';

/** `/v3-public/localProviders`: the local provider, with its `login` action. Public. */
export function localProviderKind(deps: LoginDeps): ResourceKind {
  return {
    schema: localProviderSchema,
    cache: enabledProviders(),
    allowed: (_ctx, verb) => publicRead(verb),
    actions: { login: loginAction(deps) },
  };
}

/** `/v3-public/authProviders`: every enabled provider, each shown as its own type (`localProvider`). */
export function authProviderKind(local: ResourceKind): ResourceKind {
  return {
    schema: authProviderSchema,
    cache: enabledProviders(),
    allowed: (_ctx, verb) => verb === 'list' || verb === 'get',
    format(ctx, obj, out) {
      const self = `${ctx.baseUrl}/v3-public/${local.schema.pluralName}/${obj.id}`;
      Object.assign(out, { type: local.schema.id, links: { self }, actions: { login: `${self}?action=login` } });
    },
  };
}
