import { f } from '../../schema/fields.js';
import { defineSchema, type Resource } from '../../schema/schema.js';
import { rulesField } from '../rbac/policy-rule.js';

/** Role templates: rules granted within one cluster or one project by a binding; they inherit others. */
export const roleTemplateSchema = defineSchema({
  id: 'roleTemplate',
  fields: {
    name: f.string({ required: true, minLength: 1, maxLength: 255, filterable: true, description: 'display name' }),
    description: f.string({ maxLength: 1024 }),
    context: f.enum(['cluster', 'project'] as const, { required: true, update: false, filterable: true }),
    rules: rulesField,
    roleTemplateIds: f.array(f.ref('roleTemplate'), { default: [], description: 'role templates whose rules this one includes' }),
    builtin: f.boolean({ create: false, update: false, default: false, filterable: true }),
    external: f.boolean({ default: false, description: 'rules come from a Kubernetes ClusterRole of the same name' }),
    hidden: f.boolean({ default: false }),
    locked: f.boolean({ default: false, filterable: true, description: 'may not be used in new bindings' }),
    administrative: f.boolean({ default: false }),
    clusterCreatorDefault: f.boolean({ default: false, filterable: true }),
    projectCreatorDefault: f.boolean({ default: false, filterable: true }),
  },
});

export type RoleTemplateData = Resource<typeof roleTemplateSchema.fields>;
