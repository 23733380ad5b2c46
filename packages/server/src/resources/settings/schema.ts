import { f } from '../../schema/fields.js';
import { defineSchema, type Resource } from '../../schema/schema.js';

export const settingSchema = defineSchema({
  id: 'setting',
  fields: {
    name: f.string({ required: true, update: false, maxLength: 253, filterable: true }),
    value: f.string({ maxLength: 1024 * 1024, filterable: true }),
    default: f.string({ create: false, update: false }),
    customized: f.boolean({ create: false, update: false, filterable: true }),
    source: f.enum(['db', 'default', 'env'] as const, { create: false, update: false, filterable: true }),
  },
});

export type SettingData = Resource<typeof settingSchema.fields>;
