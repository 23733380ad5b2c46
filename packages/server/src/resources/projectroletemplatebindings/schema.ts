import { f } from '../../schema/fields.js';
import { defineSchema, type Resource } from '../../schema/schema.js';
import { bindingSubjectFields } from '../rbac/binding-fields.js';

/** Grants a project-context role template to a user or group in one project. Ids `p-xxxxx:prtb-xxxxx`. */
export const projectRoleTemplateBindingSchema = defineSchema({
  id: 'projectRoleTemplateBinding',
  resourceMethods: ['GET', 'DELETE'],
  fields: {
    projectId: f.ref('project', { required: true, update: false, filterable: true }),
    ...bindingSubjectFields,
    serviceAccount: f.string({ create: false, update: false }),
  },
});

export type ProjectRoleTemplateBindingData = Resource<typeof projectRoleTemplateBindingSchema.fields>;
