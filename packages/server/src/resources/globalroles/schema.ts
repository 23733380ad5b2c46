import { f } from '../../schema/fields.js';
import { defineSchema, type Resource } from '../../schema/schema.js';
import { rulesField } from '../rbac/policy-rule.js';

/** Global roles: rules that apply everywhere (`admin`, `user`, `user-base`, ... and custom ones). */
export const globalRoleSchema = defineSchema({
  id: 'globalRole',
  fields: {
    name: f.string({ required: true, minLength: 1, maxLength: 255, filterable: true, description: 'display name' }),
    description: f.string({ maxLength: 1024 }),
    rules: rulesField,
    newUserDefault: f.boolean({ default: false, filterable: true, description: 'bound to every new user' }),
    builtin: f.boolean({ create: false, update: false, default: false, filterable: true }),
  },
});

export type GlobalRoleData = Resource<typeof globalRoleSchema.fields>;
