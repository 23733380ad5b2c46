import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError, ErrorCodes, type ErrorCode } from '../api/errors.js';
import { clusterSchema } from '../resources/clusters/schema.js';
import { f, type FieldSet } from './fields.js';
import { validateCreate, validateUpdate, type JsonObject } from './validate.js';

/** Asserts that `fn` throws an ApiError with this code and field name (undefined: no field name). */
function throwsApi(fn: () => unknown, code: ErrorCode, fieldName?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.fieldName, fieldName, err.message);
    assert.equal(err.status, ErrorCodes[code]);
    return true;
  });
}

const fields = {
  name: f.dnsLabel({ required: true }),
  displayName: f.string({ required: true }),
  description: f.string({ minLength: 2, maxLength: 10 }),
  count: f.int({ min: 1, max: 5 }),
  ratio: f.float({ min: 0, max: 1 }),
  enabled: f.boolean({ default: true }),
  when: f.date(),
  host: f.hostname(),
  label: f.dnsLabel(),
  secret: f.password(),
  blob: f.base64(),
  extra: f.json(),
  mode: f.enum(['fast', 'slow'] as const),
  clusterId: f.ref('cluster'),
  tags: f.array(f.string()),
  labels: f.map(f.string()),
  sizes: f.map(f.int()),
  status: f.string({ create: false, update: false }),
  createOnly: f.string({ update: false }),
  serverDefault: f.string({ create: false, default: 'server' }),
  nested: f.object('nestedConfig', { flag: f.boolean({ default: true }), size: f.int(), inner: f.object('innerConfig', { depth: f.int({ required: true }) }) }),
  open: f.object('openConfig', { known: f.int() }, { open: true }),
} satisfies FieldSet;

const base = { name: 'demo', displayName: 'Demo' };
const create = (body: JsonObject) => validateCreate(fields, { ...base, ...body });

describe('validateCreate', () => {
  test('drops unknown fields and fields with create: false', () => {
    const out = create({ bogus: 1, status: 'active', description: 'hello' });
    assert.equal('bogus' in out, false);
    assert.equal('status' in out, false);
    assert.equal(out.description, 'hello');
    assert.equal(out.name, 'demo');
  });

  test('fills defaults for absent fields, including fields the body may not set', () => {
    const out = create({});
    assert.equal(out.enabled, true);
    assert.equal(out.serverDefault, 'server');
    assert.deepEqual(create({ serverDefault: 'client' }).serverDefault, 'server', 'a create:false field keeps its default');
    assert.equal('description' in out, false, 'no default, not given: absent');
    assert.equal('nested' in out, false, 'an absent object is not invented');
  });

  test('a given value wins over the default, including false', () => {
    assert.equal(create({ enabled: false }).enabled, false);
  });

  test('defaults are copies, not the declaration itself', () => {
    const withMap = { m: f.map(f.string(), { default: { a: 'b' } }) } satisfies FieldSet;
    const first = validateCreate(withMap, {});
    (first.m as Record<string, string>).a = 'changed';
    assert.deepEqual(validateCreate(withMap, {}).m, { a: 'b' });
  });

  test('defaults inside a given embedded object are filled', () => {
    assert.deepEqual(create({ nested: { size: 2 } }).nested, { flag: true, size: 2 });
  });

  test('a missing required field is MissingRequired naming the field', () => {
    throwsApi(() => validateCreate(fields, { name: 'demo' }), 'MissingRequired', 'displayName');
    throwsApi(() => validateCreate(fields, { displayName: 'x' }), 'MissingRequired', 'name');
  });

  test('an empty string does not satisfy required', () => {
    throwsApi(() => create({ displayName: '' }), 'MissingRequired', 'displayName');
  });

  test('a required field inside an embedded object is named by its path', () => {
    throwsApi(() => create({ nested: { inner: {} } }), 'MissingRequired', 'nested.inner.depth');
  });

  test('the MissingRequired error is a 422', () => {
    try {
      validateCreate(fields, {});
      assert.fail('expected a throw');
    } catch (err) {
      assert.ok(err instanceof ApiError);
      assert.equal(err.status, 422);
      assert.deepEqual(err.toBody(), { type: 'error', baseType: 'error', status: 422, code: 'MissingRequired', message: err.message, fieldName: err.fieldName });
    }
  });

  test('valid values of every scalar type are kept as given', () => {
    const body = {
      description: 'ok',
      count: 3,
      ratio: 0.5,
      enabled: false,
      when: '2020-08-20T10:00:00Z',
      host: 'node-1.example.com',
      label: 'a-b-0',
      secret: 'hunter2',
      blob: 'aGVsbG8=',
      extra: { any: ['thing', 1, null] },
      mode: 'slow',
      clusterId: 'c-abcde',
      tags: ['a', 'b'],
      labels: { app: 'x' },
    };
    assert.deepEqual(create(body), { ...base, ...body, serverDefault: 'server' });
  });

  const wrongTypes: [string, unknown, ErrorCode][] = [
    ['description', 5, 'InvalidFormat'],
    ['description', true, 'InvalidFormat'],
    ['description', { a: 1 }, 'InvalidFormat'],
    ['count', '3', 'InvalidFormat'],
    ['count', 1.5, 'InvalidFormat'],
    ['count', true, 'InvalidFormat'],
    ['ratio', '0.5', 'InvalidFormat'],
    ['enabled', 'true', 'InvalidFormat'],
    ['enabled', 1, 'InvalidFormat'],
    ['when', 20200820, 'InvalidFormat'],
    ['when', 'not a date', 'InvalidDateFormat'],
    ['host', 'bad_host', 'InvalidFormat'],
    ['host', '-leading.example.com', 'InvalidFormat'],
    ['host', 7, 'InvalidFormat'],
    ['label', 7, 'InvalidFormat'],
    ['secret', 123, 'InvalidFormat'],
    ['blob', [], 'InvalidFormat'],
    ['mode', 1, 'InvalidFormat'],
    ['mode', 'medium', 'InvalidOption'],
    ['mode', 'FAST', 'InvalidOption'],
    ['clusterId', 42, 'InvalidFormat'],
    ['tags', 'a,b', 'InvalidFormat'],
    ['tags', { 0: 'a' }, 'InvalidFormat'],
    ['labels', ['a'], 'InvalidFormat'],
    ['labels', 'app=x', 'InvalidFormat'],
    ['nested', 'x', 'InvalidFormat'],
    ['nested', [], 'InvalidFormat'],
    ['open', 5, 'InvalidFormat'],
  ];
  for (const [field, value, code] of wrongTypes) {
    test(`${field} = ${JSON.stringify(value)} is ${code} naming ${field}`, () => {
      throwsApi(() => create({ [field]: value }), code, field);
    });
  }

  test('json fields accept any JSON value', () => {
    for (const value of [1, 'x', true, [1, 'a'], { deep: { er: [null] } }]) assert.deepEqual(create({ extra: value }).extra, value);
  });

  test('errors inside lists, maps and embedded objects name the path', () => {
    throwsApi(() => create({ tags: ['a', 2] }), 'InvalidFormat', 'tags[1]');
    throwsApi(() => create({ labels: { app: 'x', tier: 3 } }), 'InvalidFormat', 'labels.tier');
    throwsApi(() => create({ sizes: { a: 'big' } }), 'InvalidFormat', 'sizes.a');
    throwsApi(() => create({ nested: { size: 'big' } }), 'InvalidFormat', 'nested.size');
    throwsApi(() => create({ nested: { inner: { depth: 'deep' } } }), 'InvalidFormat', 'nested.inner.depth');
  });

  test('the cluster schema names nested RKE config fields by path', () => {
    throwsApi(
      () => validateCreate(clusterSchema.fields, { name: 'demo', rancherKubernetesEngineConfig: { ignoreDockerVersion: 'yes' } }),
      'InvalidFormat',
      'rancherKubernetesEngineConfig.ignoreDockerVersion',
    );
    throwsApi(
      () => validateCreate(clusterSchema.fields, { name: 'demo', rancherKubernetesEngineConfig: { network: { plugin: 5 } } }),
      'InvalidFormat',
      'rancherKubernetesEngineConfig.network.plugin',
    );
    throwsApi(
      () => validateCreate(clusterSchema.fields, { name: 'demo', rancherKubernetesEngineConfig: { addonJobTimeout: -1 } }),
      'MinLimitExceeded',
      'rancherKubernetesEngineConfig.addonJobTimeout',
    );
  });

  test('the cluster schema keeps unknown RKE keys, fills nested defaults and refuses server-set fields', () => {
    const out = validateCreate(clusterSchema.fields, {
      name: 'demo',
      internal: true,
      driver: 'local',
      rancherKubernetesEngineConfig: { services: { etcd: { snapshot: true } }, somethingNew: { a: 1 } },
    });
    assert.equal(out.internal, false, 'internal keeps its default: the body cannot make a cluster internal');
    assert.equal('driver' in out, false);
    assert.deepEqual(out.rancherKubernetesEngineConfig, {
      services: { etcd: { snapshot: true } },
      somethingNew: { a: 1 },
      ignoreDockerVersion: true,
    });
  });

  describe('dnsLabel', () => {
    for (const ok of ['a', '0', 'abc', 'a-b', 'a--b', '0abc9', 'x'.repeat(63)]) {
      test(`accepts ${JSON.stringify(ok.length > 20 ? `${ok.length} chars` : ok)}`, () => {
        assert.equal(create({ label: ok }).label, ok);
      });
    }
    for (const bad of ['', 'A', 'Abc', '-a', 'a-', 'a_b', 'a.b', 'a b', 'ä', 'x'.repeat(64)]) {
      test(`rejects ${JSON.stringify(bad.length > 20 ? `${bad.length} chars` : bad)} as InvalidFormat`, () => {
        throwsApi(() => create({ label: bad }), 'InvalidFormat', 'label');
      });
    }
  });

  describe('limits', () => {
    test('min and max are inclusive, with distinct codes', () => {
      assert.equal(create({ count: 1 }).count, 1);
      assert.equal(create({ count: 5 }).count, 5);
      throwsApi(() => create({ count: 0 }), 'MinLimitExceeded', 'count');
      throwsApi(() => create({ count: 6 }), 'MaxLimitExceeded', 'count');
      assert.equal(create({ ratio: 0 }).ratio, 0);
      assert.equal(create({ ratio: 1 }).ratio, 1);
      throwsApi(() => create({ ratio: -0.1 }), 'MinLimitExceeded', 'ratio');
      throwsApi(() => create({ ratio: 1.01 }), 'MaxLimitExceeded', 'ratio');
    });

    test('minLength and maxLength are inclusive, with distinct codes', () => {
      assert.equal(create({ description: 'ab' }).description, 'ab');
      assert.equal(create({ description: 'x'.repeat(10) }).description, 'x'.repeat(10));
      throwsApi(() => create({ description: 'a' }), 'MinLengthExceeded', 'description');
      throwsApi(() => create({ description: 'x'.repeat(11) }), 'MaxLengthExceeded', 'description');
    });

    test('the cluster description is capped at 1024 characters', () => {
      throwsApi(() => validateCreate(clusterSchema.fields, { name: 'demo', description: 'x'.repeat(1025) }), 'MaxLengthExceeded', 'description');
    });
  });

  describe('null', () => {
    test('null for a required field that is not nullable is NotNullable', () => {
      throwsApi(() => create({ displayName: null }), 'NotNullable', 'displayName');
      throwsApi(() => create({ nested: { inner: { depth: null } } }), 'NotNullable', 'nested.inner.depth');
    });

    test('null for an optional field is kept as null (it clears the field)', () => {
      assert.equal(create({ description: null }).description, null);
      assert.equal(create({ nested: null }).nested, null);
    });

    test('null for a required, nullable field still does not satisfy required', () => {
      const nullableRequired = { x: f.string({ required: true, nullable: true }) } satisfies FieldSet;
      throwsApi(() => validateCreate(nullableRequired, { x: null }), 'MissingRequired', 'x');
    });
  });

  describe('embedded objects', () => {
    test('a closed object drops keys it does not declare', () => {
      assert.deepEqual(create({ nested: { size: 1, unknown: 'x' } }).nested, { flag: true, size: 1 });
    });

    test('an open object keeps undeclared keys as given and checks declared ones', () => {
      assert.deepEqual(create({ open: { known: 1, other: { deep: [1, 'a'] } } }).open, { known: 1, other: { deep: [1, 'a'] } });
      throwsApi(() => create({ open: { known: 'one', other: 1 } }), 'InvalidFormat', 'open.known');
    });
  });

  test('lists of embedded objects are cleaned item by item', () => {
    const withList = { items: f.array(f.object('item', { n: f.int({ default: 1 }) })) } satisfies FieldSet;
    assert.deepEqual(validateCreate(withList, { items: [{}, { n: 2, junk: true }] }).items, [{ n: 1 }, { n: 2 }]);
  });

  test('the body is not modified', () => {
    const body = { ...base, bogus: 1, nested: { size: 2, junk: 1 }, labels: { a: 'b' } };
    const copy = structuredClone(body);
    validateCreate(fields, body);
    assert.deepEqual(body, copy);
  });

  for (const body of [null, undefined, [], [{ name: 'demo' }], 'name=demo', 5, true]) {
    test(`a body of ${JSON.stringify(body) ?? 'undefined'} is InvalidBodyContent`, () => {
      throwsApi(() => validateCreate(fields, body), 'InvalidBodyContent');
    });
  }
});

describe('validateUpdate', () => {
  const current: JsonObject = {
    name: 'demo',
    displayName: 'Demo',
    description: 'before',
    labels: { a: '1', b: '2' },
    tags: ['x', 'y'],
    createOnly: 'original',
    status: 'active',
    nested: { flag: false, size: 3 },
    open: { known: 1, free: 'kept' },
  };

  test('maps are merged key by key, lists replaced, untouched fields kept', () => {
    const { merged, changed } = validateUpdate(fields, current, { labels: { b: '3', c: '4' }, tags: ['z'] });
    assert.deepEqual(merged.labels, { a: '1', b: '3', c: '4' });
    assert.deepEqual(merged.tags, ['z']);
    assert.equal(merged.description, 'before');
    assert.equal(merged.status, 'active', 'fields outside the body, even server-set ones, are kept');
    assert.deepEqual([...changed].sort(), ['labels', 'tags']);
  });

  test('embedded objects are merged key by key, without filling defaults', () => {
    const { merged } = validateUpdate(fields, current, { nested: { size: 4 } });
    assert.deepEqual(merged.nested, { flag: false, size: 4 });
    const { merged: fresh } = validateUpdate(fields, { ...current, nested: undefined }, { nested: { size: 1 } });
    assert.deepEqual(fresh.nested, { size: 1 });
  });

  test('fields with update: false and unknown fields are dropped', () => {
    const { merged, changed } = validateUpdate(fields, current, { createOnly: 'new', status: 'hacked', bogus: 1, description: 'after' });
    assert.equal(merged.createOnly, 'original');
    assert.equal(merged.status, 'active');
    assert.equal('bogus' in merged, false);
    assert.equal(merged.description, 'after');
    assert.deepEqual(changed, ['description']);
  });

  test('replace mode replaces maps and objects but keeps fields the body does not name', () => {
    const { merged } = validateUpdate(fields, current, { labels: { b: '3' }, nested: { size: 9 } }, true);
    assert.deepEqual(merged.labels, { b: '3' });
    assert.deepEqual(merged.nested, { size: 9 });
    assert.equal(merged.description, 'before');
    assert.deepEqual(merged.tags, ['x', 'y']);
  });

  test('replace mode still drops update: false fields', () => {
    const { merged } = validateUpdate(fields, current, { createOnly: 'new' }, true);
    assert.equal(merged.createOnly, 'original');
  });

  test('null clears an optional field, map or object', () => {
    const { merged } = validateUpdate(fields, current, { description: null, labels: null, nested: null });
    assert.equal(merged.description, null);
    assert.equal(merged.labels, null);
    assert.equal(merged.nested, null);
  });

  test('required fields may be left out, but not emptied', () => {
    assert.equal(validateUpdate(fields, current, {}).merged.displayName, 'Demo');
    throwsApi(() => validateUpdate(fields, current, { displayName: '' }), 'MissingRequired', 'displayName');
    throwsApi(() => validateUpdate(fields, current, { displayName: null }), 'NotNullable', 'displayName');
  });

  test('values are type-checked as on create', () => {
    throwsApi(() => validateUpdate(fields, current, { count: 'x' }), 'InvalidFormat', 'count');
    throwsApi(() => validateUpdate(fields, current, { count: 9 }), 'MaxLimitExceeded', 'count');
    throwsApi(() => validateUpdate(fields, current, { labels: { a: 1 } }), 'InvalidFormat', 'labels.a');
    throwsApi(() => validateUpdate(fields, current, { mode: 'medium' }), 'InvalidOption', 'mode');
    throwsApi(() => validateUpdate(fields, current, { open: { known: 'x' } }), 'InvalidFormat', 'open.known');
  });

  test('an update of an open object merges declared and undeclared keys', () => {
    const { merged } = validateUpdate(fields, current, { open: { known: 2, extra: true } });
    assert.deepEqual(merged.open, { known: 2, free: 'kept', extra: true });
  });

  test('the cluster name cannot be emptied, and RKE config is merged', () => {
    const stored = { name: 'demo', rancherKubernetesEngineConfig: { ignoreDockerVersion: true, kubernetesVersion: 'v1.18', services: { a: 1 } } };
    const { merged } = validateUpdate(clusterSchema.fields, stored, { rancherKubernetesEngineConfig: { kubernetesVersion: 'v1.19' } });
    assert.deepEqual(merged.rancherKubernetesEngineConfig, { ignoreDockerVersion: true, kubernetesVersion: 'v1.19', services: { a: 1 } });
    throwsApi(() => validateUpdate(clusterSchema.fields, stored, { name: '' }), 'InvalidFormat', 'name');
  });

  test('neither the stored object nor the body is modified', () => {
    const stored = structuredClone(current);
    const body = { labels: { b: '3' }, nested: { size: 4 }, tags: ['z'] };
    const bodyCopy = structuredClone(body);
    validateUpdate(fields, stored, body);
    validateUpdate(fields, stored, body, true);
    assert.deepEqual(stored, current);
    assert.deepEqual(body, bodyCopy);
  });

  for (const body of [null, [], 'x', 0]) {
    test(`a body of ${JSON.stringify(body)} is InvalidBodyContent`, () => {
      throwsApi(() => validateUpdate(fields, current, body), 'InvalidBodyContent');
    });
  }
});
