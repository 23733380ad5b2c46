import { typeName, type AnyField, type FieldSet } from './fields.js';
import type { Schema } from './schema.js';
import { collectionFilters } from './filters.js';

type Json = Record<string, unknown>;

function renderField(field: AnyField): Json {
  const out: Json = { type: typeName(field), create: field.create !== false, update: field.update !== false };
  const copy = ['required', 'nullable', 'default', 'writeOnly', 'min', 'max', 'minLength', 'maxLength', 'description'] as const;
  for (const key of copy) if (field[key] !== undefined) out[key] = field[key];
  if (field.kind === 'scalar' && field.options) out.options = [...field.options];
  return out;
}

/** Embedded object schemas a schema's fields mention (recursively), for `/v3/schemas`. */
export function embeddedSchemas(schema: Schema): Schema[] {
  const found = new Map<string, Schema>();
  const visit = (field: AnyField) => {
    if (field.kind === 'array' || field.kind === 'map') visit(field.of as AnyField);
    if (field.kind !== 'object' || found.has(field.schemaId)) return;
    const nested: Schema = {
      id: field.schemaId,
      pluralName: `${field.schemaId}s`,
      baseType: field.schemaId,
      version: schema.version,
      fields: field.fields,
      collectionMethods: [],
      resourceMethods: [],
      collectionActions: {},
      resourceActions: {},
    };
    found.set(field.schemaId, nested);
    Object.values(field.fields as FieldSet).forEach(visit);
  };
  Object.values(schema.fields).forEach(visit);
  return [...found.values()];
}

export interface RenderOptions {
  baseUrl: string;
  /** Methods the caller may use (norman filters them per caller). */
  collectionMethods: string[];
  resourceMethods: string[];
}

/** A schema as the `schema` resource of `/v3/schemas/<id>`. */
export function renderSchema(schema: Schema, options: RenderOptions): Json {
  const root = `${options.baseUrl}/${schema.version}`;
  const links: Json = { self: `${root}/schemas/${schema.id}` };
  if (schema.collectionMethods.length > 0) links.collection = `${root}/${schema.pluralName}`;
  const served = schema.collectionMethods.length > 0;
  return {
    id: schema.id,
    type: 'schema',
    baseType: 'schema',
    pluralName: schema.pluralName,
    links,
    version: { group: 'management.cattle.io', version: 'v3', path: `/${schema.version}` },
    collectionMethods: options.collectionMethods,
    resourceMethods: options.resourceMethods,
    collectionActions: schema.collectionActions,
    resourceActions: schema.resourceActions,
    collectionFilters: served ? collectionFilters(schema) : {},
    resourceFields: Object.fromEntries(Object.entries(schema.fields).map(([name, f]) => [name, renderField(f)])),
    ...(schema.description ? { description: schema.description } : {}),
  };
}
