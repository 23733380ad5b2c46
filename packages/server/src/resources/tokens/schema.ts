import { f } from '../../schema/fields.js';
import { defineSchema, type Resource } from '../../schema/schema.js';

/** Ten years: longer lifetimes are not lifetimes. */
export const MAX_TTL_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/** Login sessions and API keys (`/v3/tokens`). Only a hash of the secret is stored (`tokenHash`). */
export const tokenSchema = defineSchema({
  id: 'token',
  collectionActions: { logout: {} },
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  fields: {
    name: f.string({ create: false, update: false, filterable: true }),
    description: f.string({ maxLength: 1024, filterable: true }),
    ttl: f.int({ min: 0, max: MAX_TTL_MS, update: false, description: 'lifetime in milliseconds; 0 means no expiry (capped by auth-token-max-ttl-minutes)' }),
    token: f.password({ create: false, update: false, writeOnly: true, description: 'token-xxxxx:secret, shown once at creation' }),
    userId: f.ref('user', { required: true, create: false, update: false }),
    authProvider: f.string({ create: false, update: false, filterable: true }),
    userPrincipal: f.string({ create: false, update: false }),
    isDerived: f.boolean({ create: false, update: false, filterable: true }),
    expiresAt: f.string({ create: false, update: false }),
    expired: f.boolean({ create: false, update: false }),
    current: f.boolean({ create: false, update: false }),
    enabled: f.boolean({ default: true, create: false, filterable: true, description: 'only an administrator may change it' }),
    clusterId: f.ref('cluster', { update: false }),
  },
});

export type TokenData = Resource<typeof tokenSchema.fields> & {
  /** SHA-256 of the secret, hex. Internal: never output. */
  tokenHash: string;
  /** session (login) or apikey. Internal. */
  tokenKind: 'session' | 'apikey' | 'kubeconfig';
};
