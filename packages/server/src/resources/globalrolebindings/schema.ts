import { f } from '../../schema/fields.js';
import { defineSchema, type Resource } from '../../schema/schema.js';

/** Binds a global role to a user or a group principal. Bindings are replaced, not edited. */
export const globalRoleBindingSchema = defineSchema({
  id: 'globalRoleBinding',
  resourceMethods: ['GET', 'DELETE'],
  fields: {
    globalRoleId: f.ref('globalRole', { required: true, update: false, filterable: true }),
    userId: f.ref('user', { update: false, filterable: true }),
    groupPrincipalId: f.ref('principal', { update: false, filterable: true }),
    name: f.string({ create: false, update: false }),
  },
});

export type GlobalRoleBindingData = Resource<typeof globalRoleBindingSchema.fields>;
