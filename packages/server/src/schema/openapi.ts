import type { ApiVersion } from '../api/registry.js';
import { collectionFilters } from './filters.js';
import type { AnyField, FieldSet } from './fields.js';
import type { Schema } from './schema.js';

type Json = Record<string, unknown>;

/**
 * An OpenAPI 3.0 description of the v3 API, generated from the same schemas that validate input and are
 * served at `/v3/schemas`, so standard tools can read and fuzz the API.
 */
function fieldSchema(field: AnyField): Json {
  const out = ((): Json => {
    switch (field.kind) {
      case 'reference':
        return { type: 'string', description: `id of a ${field.to}` };
      case 'array':
        return { type: 'array', items: fieldSchema(field.of as AnyField) };
      case 'map':
        return { type: 'object', additionalProperties: fieldSchema(field.of as AnyField) };
      case 'object':
        return { $ref: `#/components/schemas/${field.schemaId}` };
      case 'scalar':
        switch (field.type) {
          case 'int':
            return { type: 'integer', format: 'int64' };
          case 'float':
            return { type: 'number' };
          case 'boolean':
            return { type: 'boolean' };
          case 'date':
            return { type: 'string', format: 'date-time' };
          case 'enum':
            return { type: 'string', enum: [...(field.options ?? [])] };
          case 'password':
            return { type: 'string', format: 'password' };
          case 'json':
            return {};
          case 'dnsLabel':
            return { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 };
          default:
            return { type: 'string' };
        }
    }
  })();
  if (field.kind === 'object') return field.nullable ? { allOf: [out], nullable: true } : out;
  for (const key of ['minLength', 'maxLength', 'description'] as const) if (field[key] !== undefined) out[key] = field[key];
  if (field.min !== undefined) out.minimum = field.min;
  if (field.max !== undefined) out.maximum = field.max;
  if (field.default !== undefined) out.default = field.default;
  if (field.create === false && field.update === false) out.readOnly = true;
  if (field.writeOnly) out.writeOnly = true;
  out.nullable = true;
  return out;
}

function objectSchema(fields: FieldSet, mode: 'output' | 'create' | 'update'): Json {
  const properties: Json = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(fields)) {
    if (mode === 'create' && field.create === false) continue;
    if (mode === 'update' && field.update === false) continue;
    properties[name] = fieldSchema(field);
    if (mode === 'create' && field.required) required.push(name);
  }
  if (mode === 'output') Object.assign(properties, { id: { type: 'string' }, type: { type: 'string' }, links: { type: 'object', additionalProperties: { type: 'string' } } });
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

const errorRef = { $ref: '#/components/responses/Error' };
const body = (ref: string) => ({ required: true, content: { 'application/json': { schema: { $ref: ref } } } });
const json = (ref: string, description = 'OK') => ({ description, content: { 'application/json': { schema: { $ref: ref } } } });

function collectionPaths(schema: Schema): Json {
  const ops: Json = {};
  const filters = Object.keys(collectionFilters(schema)).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));
  const paging = ['limit', 'marker', 'sort', 'order'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));
  if (schema.collectionMethods.includes('GET')) {
    ops.get = { operationId: `list${cap(schema.pluralName)}`, tags: [schema.id], parameters: [...filters, ...paging], responses: { 200: json(`#/components/schemas/${schema.id}Collection`), default: errorRef } };
  }
  if (schema.collectionMethods.includes('POST')) {
    ops.post = { operationId: `create${cap(schema.id)}`, tags: [schema.id], requestBody: body(`#/components/schemas/${schema.id}Create`), responses: { 201: json(`#/components/schemas/${schema.id}`, 'Created'), default: errorRef } };
  }
  return ops;
}

function resourcePaths(schema: Schema): Json {
  const ops: Json = { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }] };
  const ref = `#/components/schemas/${schema.id}`;
  if (schema.resourceMethods.includes('GET')) ops.get = { operationId: `get${cap(schema.id)}`, tags: [schema.id], responses: { 200: json(ref), default: errorRef } };
  if (schema.resourceMethods.includes('PUT')) ops.put = { operationId: `update${cap(schema.id)}`, tags: [schema.id], requestBody: body(`#/components/schemas/${schema.id}Update`), responses: { 200: json(ref), default: errorRef } };
  if (schema.resourceMethods.includes('DELETE')) ops.delete = { operationId: `delete${cap(schema.id)}`, tags: [schema.id], responses: { 204: { description: 'Deleted' }, default: errorRef } };
  return ops;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function openApiDocument(versions: ApiVersion[], baseUrl: string, serverVersion: string): Json {
  const paths: Json = {};
  const schemas: Json = {
    error: {
      type: 'object',
      required: ['type', 'status', 'code', 'message'],
      properties: { type: { type: 'string', enum: ['error'] }, baseType: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' }, fieldName: { type: 'string' } },
    },
  };
  for (const version of versions) {
    for (const schema of version.schemas()) {
      schemas[schema.id] = objectSchema(schema.fields, 'output');
      if (schema.collectionMethods.length === 0) continue;
      schemas[`${schema.id}Create`] = objectSchema(schema.fields, 'create');
      schemas[`${schema.id}Update`] = objectSchema(schema.fields, 'update');
      schemas[`${schema.id}Collection`] = { type: 'object', properties: { type: { type: 'string' }, resourceType: { type: 'string' }, data: { type: 'array', items: { $ref: `#/components/schemas/${schema.id}` } }, pagination: { type: 'object' } } };
      paths[`${version.path}/${schema.pluralName}`] = collectionPaths(schema);
      paths[`${version.path}/${schema.pluralName}/{id}`] = resourcePaths(schema);
    }
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Paddock v3 API', version: serverVersion, description: 'Rancher-compatible v3 (norman) API, generated from the field declarations.' },
    servers: [{ url: baseUrl }],
    security: [{ bearer: [] }, { basic: [] }, { cookie: [] }],
    paths,
    components: {
      schemas,
      responses: { Error: { description: 'norman error', content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } } } },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'token-xxxxx:secret' },
        basic: { type: 'http', scheme: 'basic', description: 'user = token name, password = secret' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'R_SESS' },
      },
    },
  };
}
