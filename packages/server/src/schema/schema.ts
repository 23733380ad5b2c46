import { f, type FieldSet, type ResourceOf } from './fields.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ActionSpec {
  /** Schema id of the action's input body. */
  input?: string;
  /** Schema id of the action's output. */
  output?: string;
}

/**
 * One declared schema: a resource kind served as a collection (when it has collection methods), or an
 * embedded/input type that only appears in `/v3/schemas` (when it has none).
 */
export interface Schema<F extends FieldSet = FieldSet> {
  id: string;
  pluralName: string;
  baseType: string;
  /** URL version root the collection lives under: `/v3` or `/v3-public`. */
  version: 'v3' | 'v3-public';
  fields: F;
  collectionMethods: Method[];
  resourceMethods: Method[];
  collectionActions: Record<string, ActionSpec>;
  resourceActions: Record<string, ActionSpec>;
  description?: string;
}

export type SchemaSpec<F extends FieldSet> = Pick<Schema<F>, 'id' | 'fields'> & Partial<Omit<Schema<F>, 'id' | 'fields'>>;

/** Fields every stored resource carries (norman's common mappers: metadata and status summary). */
export const commonFields = {
  created: f.date({ create: false, update: false, filterable: true }),
  creatorId: f.ref('user', { create: false, update: false }),
  labels: f.map(f.string()),
  annotations: f.map(f.string()),
  uuid: f.string({ create: false, update: false, filterable: true }),
  removed: f.date({ create: false, update: false, nullable: true }),
  state: f.string({ create: false, update: false, filterable: true }),
  transitioning: f.enum(['yes', 'no', 'error'] as const, { create: false, update: false }),
  transitioningMessage: f.string({ create: false, update: false }),
};

export type CommonFields = typeof commonFields;
/** The stored data of a resource with fields `F` (the id is the store key, not part of the data). */
export type Resource<F extends FieldSet> = ResourceOf<F & CommonFields>;

export function pluralize(id: string): string {
  if (id.endsWith('s')) return `${id}es`;
  if (id.endsWith('y') && !/[aeiou]y$/.test(id)) return `${id.slice(0, -1)}ies`;
  return `${id}s`;
}

/** Declares a resource kind (with the common fields) or, with `embedded: true`, a nested/input type. */
export function defineSchema<F extends FieldSet>(
  spec: SchemaSpec<F>,
  options: { embedded?: boolean } = {},
): Schema<F & CommonFields> {
  const embedded = options.embedded === true;
  return {
    pluralName: pluralize(spec.id),
    baseType: spec.id,
    version: 'v3',
    collectionMethods: embedded ? [] : ['GET', 'POST'],
    resourceMethods: embedded ? [] : ['GET', 'PUT', 'DELETE'],
    collectionActions: {},
    resourceActions: {},
    ...spec,
    fields: (embedded ? spec.fields : { ...commonFields, ...spec.fields }) as F & CommonFields,
  };
}
