import { f } from '../../schema/fields.js';
import { defineSchema, type Resource } from '../../schema/schema.js';
import { conditionsField } from '../conditions.js';

/** Projects group a cluster's namespaces for access control. Ids `c-xxxxx:p-xxxxx`. */
export const projectSchema = defineSchema({
  id: 'project',
  fields: {
    name: f.string({ required: true, minLength: 1, maxLength: 255, filterable: true }),
    clusterId: f.ref('cluster', { required: true, update: false, filterable: true }),
    description: f.string({ maxLength: 1024 }),
    resourceQuota: f.json({ nullable: true }),
    namespaceDefaultResourceQuota: f.json({ nullable: true }),
    containerDefaultResourceLimit: f.json({ nullable: true }),
    enableProjectMonitoring: f.boolean({ default: false }),
    conditions: conditionsField,
  },
});

export type ProjectData = Resource<typeof projectSchema.fields>;

/** Labels marking a cluster's built-in projects (Rancher's). */
export const DEFAULT_PROJECT_LABEL = 'authz.management.cattle.io/default-project';
export const SYSTEM_PROJECT_LABEL = 'authz.management.cattle.io/system-project';
