import { f } from '../../schema/fields.js';
import { defineSchema, type Resource } from '../../schema/schema.js';
import { bindingSubjectFields } from '../rbac/binding-fields.js';

/** Grants a cluster-context role template to a user or group in one cluster. Ids `c-xxxxx:crtb-xxxxx`. */
export const clusterRoleTemplateBindingSchema = defineSchema({
  id: 'clusterRoleTemplateBinding',
  resourceMethods: ['GET', 'DELETE'],
  fields: {
    clusterId: f.ref('cluster', { required: true, update: false, filterable: true }),
    ...bindingSubjectFields,
  },
});

export type ClusterRoleTemplateBindingData = Resource<typeof clusterRoleTemplateBindingSchema.fields>;
