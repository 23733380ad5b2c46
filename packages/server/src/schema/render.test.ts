import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clusterSchema } from '../resources/clusters/schema.js';
import { clusterRegistrationTokenSchema } from '../resources/clusterregistrationtokens/schema.js';
import { f } from './fields.js';
import { embeddedSchemas, renderSchema } from './render.js';
import { commonFields, defineSchema, pluralize } from './schema.js';

const widget = defineSchema({
  id: 'widget',
  description: 'a test kind',
  collectionActions: { reset: {} },
  resourceActions: { poke: { input: 'pokeInput', output: 'widget' } },
  fields: {
    name: f.dnsLabel({ required: true, update: false, description: 'the name' }),
    size: f.int({ min: 1, max: 5, default: 2 }),
    note: f.string({ minLength: 1, maxLength: 10, nullable: true }),
    secret: f.password({ writeOnly: true }),
    mode: f.enum(['fast', 'slow'] as const),
    status: f.string({ create: false, update: false }),
    tags: f.array(f.string()),
    labels: f.map(f.string()),
    clusterId: f.ref('cluster'),
    grid: f.map(f.array(f.int())),
    parts: f.array(f.object('part', { weight: f.float(), sub: f.object('subPart', { x: f.int() }) })),
    byName: f.map(f.object('part', { weight: f.float(), sub: f.object('subPart', { x: f.int() }) })),
    config: f.object('widgetConfig', { deep: f.object('deepConfig', { leaf: f.boolean() }) }, { open: true }),
  },
});

const options = { baseUrl: 'https://h', collectionMethods: ['GET', 'POST'], resourceMethods: ['GET', 'PUT', 'DELETE'] };
const rendered = renderSchema(widget, options);
const resourceFields = rendered.resourceFields as Record<string, Record<string, unknown>>;

describe('renderSchema', () => {
  test('is a schema resource with norman envelope fields', () => {
    assert.equal(rendered.id, 'widget');
    assert.equal(rendered.type, 'schema');
    assert.equal(rendered.baseType, 'schema');
    assert.equal(rendered.pluralName, 'widgets');
    assert.equal(rendered.description, 'a test kind');
    assert.deepEqual(rendered.links, { self: 'https://h/v3/schemas/widget', collection: 'https://h/v3/widgets' });
    assert.deepEqual(rendered.version, { group: 'management.cattle.io', version: 'v3', path: '/v3' });
  });

  test('methods are the ones the caller was given, actions as declared', () => {
    const narrowed = renderSchema(widget, { ...options, collectionMethods: ['GET'], resourceMethods: ['GET'] });
    assert.deepEqual(narrowed.collectionMethods, ['GET']);
    assert.deepEqual(narrowed.resourceMethods, ['GET']);
    assert.deepEqual(rendered.collectionActions, { reset: {} });
    assert.deepEqual(rendered.resourceActions, { poke: { input: 'pokeInput', output: 'widget' } });
  });

  test('every field has a type and both create and update', () => {
    assert.deepEqual(Object.keys(resourceFields).sort(), Object.keys(widget.fields).sort());
    for (const [name, field] of Object.entries(resourceFields)) {
      assert.equal(typeof field.type, 'string', name);
      assert.equal(typeof field.create, 'boolean', name);
      assert.equal(typeof field.update, 'boolean', name);
    }
    assert.deepEqual(resourceFields.status, { type: 'string', create: false, update: false });
    assert.deepEqual(resourceFields.tags, { type: 'array[string]', create: true, update: true });
  });

  test('type strings follow norman', () => {
    const types = Object.fromEntries(Object.entries(resourceFields).map(([k, v]) => [k, v.type]));
    assert.deepEqual(types, {
      ...types,
      name: 'dnsLabel',
      size: 'int',
      note: 'string',
      secret: 'password',
      mode: 'enum',
      tags: 'array[string]',
      labels: 'map[string]',
      clusterId: 'reference[cluster]',
      grid: 'map[array[int]]',
      parts: 'array[part]',
      byName: 'map[part]',
      config: 'widgetConfig',
      created: 'date',
      creatorId: 'reference[user]',
      transitioning: 'enum',
    });
  });

  test('field attributes are carried over with norman names', () => {
    assert.deepEqual(resourceFields.name, { type: 'dnsLabel', create: true, update: false, required: true, description: 'the name' });
    assert.deepEqual(resourceFields.size, { type: 'int', create: true, update: true, min: 1, max: 5, default: 2 });
    assert.deepEqual(resourceFields.note, { type: 'string', create: true, update: true, nullable: true, minLength: 1, maxLength: 10 });
    assert.deepEqual(resourceFields.secret, { type: 'password', create: true, update: true, writeOnly: true });
    assert.deepEqual(resourceFields.mode, { type: 'enum', create: true, update: true, options: ['fast', 'slow'] });
    assert.deepEqual(resourceFields.transitioning?.options, ['yes', 'no', 'error']);
  });

  test('DSL-only attributes do not leak into the document', () => {
    assert.equal('open' in (resourceFields.config ?? {}), false);
    assert.equal('filterable' in (resourceFields.created ?? {}), false);
    assert.equal('kind' in (resourceFields.created ?? {}), false);
    assert.equal('fields' in (resourceFields.config ?? {}), false);
  });

  test('collection filters are listed for served kinds, including id', () => {
    const filters = rendered.collectionFilters as Record<string, { modifiers: string[] }>;
    assert.ok(filters.id);
    assert.ok(filters.name);
    assert.ok(filters.clusterId);
    assert.equal('tags' in filters, false);
    assert.equal('secret' in filters, false);
  });

  test('an embedded schema has no collection link, methods or filters, and no common fields', () => {
    const input = defineSchema({ id: 'pokeInput', fields: { force: f.boolean() } }, { embedded: true });
    const out = renderSchema(input, { baseUrl: 'https://h', collectionMethods: [], resourceMethods: [] });
    assert.deepEqual(out.links, { self: 'https://h/v3/schemas/pokeInput' });
    assert.deepEqual(out.collectionFilters, {});
    assert.deepEqual(out.collectionMethods, []);
    assert.deepEqual(out.resourceFields, { force: { type: 'boolean', create: true, update: true } });
    assert.equal('description' in out, false);
  });

  test('a /v3-public schema links under /v3-public', () => {
    const pub = defineSchema({ id: 'thing', version: 'v3-public', collectionMethods: ['GET'], fields: {} });
    const out = renderSchema(pub, { baseUrl: 'https://h', collectionMethods: ['GET'], resourceMethods: ['GET'] });
    assert.deepEqual(out.links, { self: 'https://h/v3-public/schemas/thing', collection: 'https://h/v3-public/things' });
    assert.deepEqual(out.version, { group: 'management.cattle.io', version: 'v3', path: '/v3-public' });
  });

  test('the result is plain JSON', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(rendered)), rendered);
  });

  test('real kinds render: cluster registration tokens reference their cluster', () => {
    const out = renderSchema(clusterRegistrationTokenSchema, { baseUrl: 'https://h', collectionMethods: ['GET', 'POST'], resourceMethods: ['GET', 'DELETE'] });
    const crtFields = out.resourceFields as Record<string, Record<string, unknown>>;
    assert.deepEqual(crtFields.clusterId, { type: 'reference[cluster]', create: true, update: false, required: true });
    assert.equal(crtFields.token?.create, false);
    assert.deepEqual(out.links, { self: 'https://h/v3/schemas/clusterRegistrationToken', collection: 'https://h/v3/clusterRegistrationTokens' });
  });
});

describe('embeddedSchemas', () => {
  test('finds object schemas through fields, lists, maps and other objects, once each', () => {
    const found = embeddedSchemas(widget);
    assert.deepEqual(found.map((s) => s.id).sort(), ['deepConfig', 'part', 'subPart', 'widgetConfig']);
    for (const s of found) {
      assert.deepEqual(s.collectionMethods, [], s.id);
      assert.deepEqual(s.resourceMethods, [], s.id);
      assert.equal(s.version, 'v3');
    }
    assert.deepEqual(Object.keys(found.find((s) => s.id === 'part')?.fields ?? {}), ['weight', 'sub']);
  });

  test('finds the embedded types of the cluster schema', () => {
    assert.deepEqual(
      embeddedSchemas(clusterSchema).map((s) => s.id).sort(),
      ['authnConfig', 'condition', 'importedClusterConfig', 'networkConfig', 'rancherKubernetesEngineConfig'],
    );
  });

  test('a schema of scalars embeds nothing', () => {
    assert.deepEqual(embeddedSchemas(defineSchema({ id: 'flat', fields: { a: f.string(), b: f.map(f.int()) } })), []);
  });
});

describe('defineSchema', () => {
  test('adds the common fields to kinds but not to embedded types', () => {
    for (const name of Object.keys(commonFields)) assert.ok(name in widget.fields, name);
    assert.deepEqual(Object.keys(defineSchema({ id: 'x', fields: { a: f.int() } }, { embedded: true }).fields), ['a']);
  });

  test('defaults: plural name, baseType, v3, CRUD methods (none when embedded)', () => {
    const kind = defineSchema({ id: 'gadget', fields: {} });
    assert.equal(kind.pluralName, 'gadgets');
    assert.equal(kind.baseType, 'gadget');
    assert.equal(kind.version, 'v3');
    assert.deepEqual(kind.collectionMethods, ['GET', 'POST']);
    assert.deepEqual(kind.resourceMethods, ['GET', 'PUT', 'DELETE']);
    const embedded = defineSchema({ id: 'gadgetInput', fields: {} }, { embedded: true });
    assert.deepEqual([embedded.collectionMethods, embedded.resourceMethods], [[], []]);
  });

  test('pluralize follows English rules for the ids Rancher uses', () => {
    assert.equal(pluralize('cluster'), 'clusters');
    assert.equal(pluralize('class'), 'classes');
    assert.equal(pluralize('policy'), 'policies');
    assert.equal(pluralize('key'), 'keys');
    assert.equal(pluralize('clusterRegistrationToken'), 'clusterRegistrationTokens');
  });
});
