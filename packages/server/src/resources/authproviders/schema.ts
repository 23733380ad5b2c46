import { f } from '../../schema/fields.js';
import { defineSchema } from '../../schema/schema.js';
import { MAX_TTL_MS } from '../tokens/schema.js';

const readOnly = { collectionMethods: ['GET' as const], resourceMethods: ['GET' as const], version: 'v3-public' as const };

/** `/v3-public/authProviders`: the providers a user can log in with (only `local` for now). */
export const authProviderSchema = defineSchema({
  id: 'authProvider',
  ...readOnly,
  fields: { type: f.string({ create: false, update: false }) },
});

/** `/v3-public/localProviders/local`, whose `login` action exchanges a username and password for a token. */
export const localProviderSchema = defineSchema({
  id: 'localProvider',
  baseType: 'authProvider',
  ...readOnly,
  resourceActions: { login: { input: 'basicLogin', output: 'token' } },
  fields: {},
});

export const basicLoginInput = defineSchema(
  {
    id: 'basicLogin',
    fields: {
      username: f.string({ required: true, maxLength: 255 }),
      password: f.password({ required: true, maxLength: 4096 }),
      description: f.string({ maxLength: 1024 }),
      ttl: f.int({ min: 0, max: MAX_TTL_MS, description: 'session lifetime in ms, capped by auth-user-session-ttl-minutes' }),
      responseType: f.enum(['json', 'cookie'] as const),
    },
  },
  { embedded: true },
);
