import { f } from '../../schema/fields.js';
import { defineSchema, type Resource } from '../../schema/schema.js';

export const userSchema = defineSchema({
  id: 'user',
  collectionActions: { changepassword: { input: 'changePasswordInput' } },
  resourceActions: { setpassword: { input: 'setPasswordInput', output: 'user' } },
  fields: {
    username: f.string({ required: true, update: false, minLength: 1, maxLength: 255, filterable: true }),
    name: f.string({ maxLength: 255, filterable: true, description: 'display name' }),
    description: f.string({ maxLength: 1024 }),
    password: f.password({ writeOnly: true, update: false }),
    mustChangePassword: f.boolean({ default: false }),
    enabled: f.boolean({ default: true, filterable: true }),
    principalIds: f.array(f.string(), { create: false, update: false }),
    me: f.boolean({ create: false, update: false, filterable: true }),
  },
});

export const changePasswordInput = defineSchema(
  {
    id: 'changePasswordInput',
    fields: { currentPassword: f.password({ required: true }), newPassword: f.password({ required: true }) },
  },
  { embedded: true },
);

export const setPasswordInput = defineSchema(
  { id: 'setPasswordInput', fields: { newPassword: f.password({ required: true }) } },
  { embedded: true },
);

export type UserData = Resource<typeof userSchema.fields> & {
  /** scrypt hash of the password. Internal: never output. */
  passwordHash?: string;
  /** Set once the `newUserDefault` global roles were bound (by the user-roles controller). Internal. */
  defaultRolesBound?: boolean;
};
