import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ObjectCache, ResourceKind } from '../api/kind.js';
import { ApiVersion } from '../api/registry.js';
import { authProviderSchema, basicLoginInput, localProviderSchema } from '../resources/authproviders/schema.js';
import { clusterRegistrationTokenSchema } from '../resources/clusterregistrationtokens/schema.js';
import { clusterSchema } from '../resources/clusters/schema.js';
import { settingSchema } from '../resources/settings/schema.js';
import { tokenSchema } from '../resources/tokens/schema.js';
import { changePasswordInput, setPasswordInput, userSchema } from '../resources/users/schema.js';
import { f } from './fields.js';
import { openApiDocument } from './openapi.js';
import { defineSchema, type Schema } from './schema.js';

type Json = Record<string, unknown>;

const emptyCache: ObjectCache = { get: () => undefined, list: () => [], waitForRevision: async () => {} };
const kind = (schema: Schema): ResourceKind => ({ schema, cache: emptyCache, allowed: () => true });

/** The real API surface, as kinds.ts groups it (hooks are irrelevant to the document). */
const v3 = new ApiVersion(
  '/v3',
  [userSchema, tokenSchema, settingSchema, clusterSchema, clusterRegistrationTokenSchema].map(kind),
  [changePasswordInput, setPasswordInput],
);
const v3Public = new ApiVersion('/v3-public', [authProviderSchema, localProviderSchema].map(kind), [basicLoginInput]);
const doc = openApiDocument([v3, v3Public], 'https://paddock.example', '1.2.3');

const paths = doc.paths as Record<string, Record<string, Json>>;
const components = doc.components as { schemas: Record<string, Json>; responses: Record<string, Json>; securitySchemes: Record<string, Json> };
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every `$ref` in a JSON tree, with where it was found. */
function refs(node: unknown, at = '#', out: [string, string][] = []): [string, string][] {
  if (Array.isArray(node)) node.forEach((n, i) => refs(n, `${at}/${i}`, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref') out.push([at, String(v)]);
      else refs(v, `${at}/${k}`, out);
    }
  }
  return out;
}

/** Resolves a local JSON pointer (`#/a/b`) in `root`. */
function resolvePointer(root: unknown, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), `only local refs are expected: ${ref}`);
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!node || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

function operations(): [string, string, Json][] {
  const out: [string, string, Json][] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) if (HTTP_METHODS.includes(method)) out.push([path, method, op]);
  }
  return out;
}

describe('openApiDocument structure', () => {
  test('is an OpenAPI 3.0 document with info, servers and security', () => {
    assert.match(String(doc.openapi), /^3\.0\.\d+$/);
    const info = doc.info as Json;
    assert.equal(typeof info.title, 'string');
    assert.equal(info.version, '1.2.3');
    assert.deepEqual(doc.servers, [{ url: 'https://paddock.example' }]);
    for (const requirement of doc.security as Json[]) {
      for (const name of Object.keys(requirement)) assert.ok(components.securitySchemes[name], `security scheme ${name} is defined`);
    }
    assert.deepEqual(components.securitySchemes.cookie, { type: 'apiKey', in: 'cookie', name: 'R_SESS' });
  });

  test('every $ref resolves, and only into components', () => {
    const all = refs(doc);
    assert.ok(all.length > 20, 'the document uses refs');
    for (const [at, ref] of all) {
      assert.match(ref, /^#\/components\/(schemas|responses)\/[A-Za-z0-9_.-]+$/, `ref at ${at}`);
      assert.notEqual(resolvePointer(doc, ref), undefined, `${ref} (at ${at}) resolves`);
    }
  });

  test('a ref has no siblings (they would be ignored in 3.0)', () => {
    const check = (node: unknown, at: string): void => {
      if (Array.isArray(node)) node.forEach((n, i) => check(n, `${at}/${i}`));
      else if (node && typeof node === 'object') {
        if ('$ref' in node) assert.deepEqual(Object.keys(node), ['$ref'], at);
        for (const [k, v] of Object.entries(node)) check(v, `${at}/${k}`);
      }
    };
    check(doc, '#');
  });

  test('paths start with / and every template parameter is declared as a required path parameter', () => {
    for (const [path, item] of Object.entries(paths)) {
      assert.ok(path.startsWith('/'), path);
      const declared = [...(item.parameters as unknown as Json[] | undefined ?? [])];
      for (const name of [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])) {
        const param = declared.find((p) => p.name === name && p.in === 'path');
        assert.ok(param, `${path} declares {${name}}`);
        assert.equal(param.required, true);
      }
    }
  });

  test('operations have unique operationIds, tags and responses; bodies are JSON', () => {
    const ids = new Set<string>();
    const ops = operations();
    assert.ok(ops.length > 10);
    for (const [path, method, op] of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      assert.equal(typeof op.operationId, 'string', where);
      assert.ok(!ids.has(String(op.operationId)), `duplicate operationId ${String(op.operationId)}`);
      ids.add(String(op.operationId));
      assert.ok(Array.isArray(op.tags) && op.tags.length > 0, where);
      const responses = op.responses as Record<string, Json>;
      assert.ok(Object.keys(responses).length > 0, where);
      for (const [code, response] of Object.entries(responses)) {
        assert.match(code, /^([1-5]\d\d|default)$/, where);
        assert.equal(typeof response.description === 'string' || '$ref' in response, true, `${where} ${code} has a description`);
      }
      if (op.requestBody) assert.ok((op.requestBody as { content: Json }).content['application/json'], where);
      for (const p of (op.parameters as Json[] | undefined) ?? []) {
        assert.ok(['query', 'path', 'header', 'cookie'].includes(String(p.in)), where);
        assert.ok(p.schema, `${where} parameter ${String(p.name)} has a schema`);
      }
    }
  });

  test('component schemas are objects with properties; required names exist', () => {
    for (const [name, schema] of Object.entries(components.schemas)) {
      assert.equal(schema.type, 'object', name);
      const props = schema.properties as Json;
      assert.ok(props && typeof props === 'object', name);
      for (const req of (schema.required as string[] | undefined) ?? []) assert.ok(req in props, `${name}.required ${req}`);
    }
  });

  test('the document is plain JSON', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc);
  });
});

describe('openApiDocument paths', () => {
  test('each served kind has a collection path and a resource path', () => {
    for (const p of [
      '/v3/users', '/v3/tokens', '/v3/settings', '/v3/clusters', '/v3/clusterRegistrationTokens',
      '/v3-public/authProviders', '/v3-public/localProviders',
    ]) {
      assert.ok(paths[p], p);
      assert.ok(paths[`${p}/{id}`], `${p}/{id}`);
    }
  });

  test('embedded and input types have components but no paths', () => {
    for (const id of ['changePasswordInput', 'setPasswordInput', 'basicLogin', 'rancherKubernetesEngineConfig', 'networkConfig', 'condition']) {
      assert.ok(components.schemas[id], id);
    }
    for (const p of Object.keys(paths)) assert.doesNotMatch(p, /Input|basicLogin|Config|condition/i, p);
  });

  test('operations follow the declared methods', () => {
    assert.deepEqual(Object.keys(paths['/v3/clusters'] ?? {}).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(paths['/v3/clusters/{id}'] ?? {}).sort(), ['delete', 'get', 'parameters', 'put']);
    assert.deepEqual(Object.keys(paths['/v3/clusterRegistrationTokens/{id}'] ?? {}).sort(), ['delete', 'get', 'parameters']);
    assert.deepEqual(Object.keys(paths['/v3-public/authProviders'] ?? {}), ['get']);
    assert.deepEqual(Object.keys(paths['/v3-public/authProviders/{id}'] ?? {}).sort(), ['get', 'parameters']);
  });

  test('list offers the filters and paging options as query parameters', () => {
    const list = paths['/v3/clusters']?.get as { parameters: Json[]; responses: Record<string, Json> };
    const names = list.parameters.map((p) => p.name);
    for (const n of ['name', 'id', 'driver', 'limit', 'marker', 'sort', 'order']) assert.ok(names.includes(n), n);
    assert.ok(!names.includes('rancherKubernetesEngineConfig'));
    assert.equal(resolvePointer(doc, String((list.responses['200'] as { content: Record<string, { schema: Json }> }).content['application/json']?.schema.$ref)), components.schemas.clusterCollection);
  });

  test('create and update bodies leave out what the client may not set', () => {
    const createBody = components.schemas.clusterCreate as { properties: Json; required: string[] };
    assert.ok('name' in createBody.properties);
    assert.ok(!('driver' in createBody.properties));
    assert.ok(!('conditions' in createBody.properties));
    assert.deepEqual(createBody.required, ['name']);
    const crtUpdate = components.schemas.clusterRegistrationTokenUpdate as { properties: Json; required?: string[] };
    assert.ok(!('clusterId' in crtUpdate.properties));
    assert.equal(crtUpdate.required, undefined, 'update bodies require nothing');
    const output = components.schemas.cluster as { properties: Json };
    for (const n of ['id', 'type', 'links', 'driver', 'state']) assert.ok(n in output.properties, n);
  });
});

describe('openApiDocument field schemas', () => {
  const gadget = defineSchema({
    id: 'gadget',
    fields: {
      count: f.int({ min: 1, max: 9, default: 3 }),
      ratio: f.float(),
      on: f.boolean(),
      at: f.date(),
      mode: f.enum(['a', 'b'] as const),
      secret: f.password({ writeOnly: true }),
      label: f.dnsLabel(),
      anything: f.json(),
      note: f.string({ minLength: 1, maxLength: 5, description: 'short' }),
      tags: f.array(f.string()),
      labels: f.map(f.int()),
      clusterId: f.ref('cluster'),
      config: f.object('gadgetConfig', { x: f.int() }),
      maybe: f.object('gadgetConfig', { x: f.int() }, { nullable: true }),
      status: f.string({ create: false, update: false }),
    },
  });
  const small = openApiDocument([new ApiVersion('/v3', [kind(gadget)], [])], 'https://h', '0');
  const props = ((small.components as { schemas: Record<string, Json> }).schemas.gadget as { properties: Record<string, Json> }).properties;

  test('scalars map to OpenAPI types and formats with their limits', () => {
    assert.deepEqual(props.count, { type: 'integer', format: 'int64', minimum: 1, maximum: 9, default: 3, nullable: true });
    assert.equal(props.ratio?.type, 'number');
    assert.equal(props.on?.type, 'boolean');
    assert.deepEqual([props.at?.type, props.at?.format], ['string', 'date-time']);
    assert.deepEqual(props.mode?.enum, ['a', 'b']);
    assert.deepEqual([props.secret?.format, props.secret?.writeOnly], ['password', true]);
    assert.equal(props.label?.maxLength, 63);
    assert.equal(new RegExp(String(props.label?.pattern)).test('good-label'), true);
    assert.equal(new RegExp(String(props.label?.pattern)).test('Bad_Label'), false);
    assert.equal(props.anything?.type, undefined, 'json is any value');
    assert.deepEqual([props.note?.minLength, props.note?.maxLength, props.note?.description], [1, 5, 'short']);
    assert.equal(props.status?.readOnly, true);
  });

  test('lists, maps, references and embedded objects', () => {
    assert.deepEqual(props.tags?.items, { type: 'string', nullable: true });
    assert.deepEqual(props.labels?.additionalProperties, { type: 'integer', format: 'int64', nullable: true });
    assert.equal(props.clusterId?.type, 'string');
    assert.deepEqual(props.config, { $ref: '#/components/schemas/gadgetConfig' });
    assert.deepEqual(props.maybe, { allOf: [{ $ref: '#/components/schemas/gadgetConfig' }], nullable: true });
    for (const [, ref] of refs(small)) assert.notEqual(resolvePointer(small, ref), undefined, ref);
  });
});
