import { f } from '../../schema/fields.js';
import { defineSchema, type Resource } from '../../schema/schema.js';
import { conditionsField } from '../conditions.js';

/**
 * A namespace of a managed cluster, as its Kubernetes API has it (watched live, written through to it).
 * Ids `<clusterId>:<name>`; listed under `/v3/clusters/<id>/namespaces` and `/v3/namespaces`.
 */
export const namespaceSchema = defineSchema({
  id: 'namespace',
  resourceActions: { move: { input: 'namespaceMove' } },
  fields: {
    name: f.dnsLabel({ required: true, update: false, filterable: true }),
    clusterId: f.ref('cluster', { required: true, update: false, filterable: true }),
    projectId: f.ref('project', { nullable: true, filterable: true, description: 'the project the namespace belongs to (annotation field.cattle.io/projectId)' }),
    description: f.string({ maxLength: 1024 }),
    conditions: conditionsField,
  },
});

export const namespaceMoveInput = defineSchema({ id: 'namespaceMove', fields: { projectId: f.ref('project', { nullable: true }) } }, { embedded: true });

export type NamespaceData = Resource<typeof namespaceSchema.fields>;
