import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { f } from '../schema/fields.js';
import { defineSchema } from '../schema/schema.js';
import type { JsonObject } from '../schema/validate.js';
import { MODIFIERS, applyFilters, applySort, collectionFilters, paginate, parseFilters, parseSort, type Query } from './query.js';

const schema = defineSchema({
  id: 'widget',
  fields: {
    name: f.string(),
    size: f.int(),
    enabled: f.boolean(),
    kind: f.enum(['a', 'b'] as const),
    my_field: f.string(),
    clusterId: f.ref('cluster'),
    secret: f.password(),
    blob: f.json(),
    tags: f.array(f.string()),
    hidden: f.string({ filterable: false }),
    picked: f.json({ filterable: true }),
  },
});

const items: JsonObject[] = [
  { id: 'w1', name: 'alpha', size: 10, enabled: true, kind: 'a', my_field: 'm1', clusterId: 'c-1' },
  { id: 'w2', name: 'beta', size: 9, enabled: false, kind: 'b', clusterId: 'c-2' },
  { id: 'w3', name: 'alphabet', size: 100, kind: 'a', my_field: '', clusterId: 'c-1' },
  { id: 'w4', name: 'Gamma', size: 2, kind: 'b', my_field: null },
];

/** Parses `query` for the widget schema, filters `items`, and returns the ids left (in input order). */
const filtered = (query: Query, from = items) => applyFilters(from, parseFilters(schema, query)).map((i) => i.id);
const ALL = ['w1', 'w2', 'w3', 'w4'];

describe('collectionFilters', () => {
  const filters = collectionFilters(schema);

  test('string-like, enum, int, date, reference fields accept every modifier', () => {
    for (const name of ['name', 'size', 'kind', 'my_field', 'clusterId', 'created', 'uuid', 'state', 'creatorId']) {
      assert.deepEqual(filters[name]?.modifiers, [...MODIFIERS], name);
    }
  });

  test('booleans accept only eq, ne, null and notnull', () => {
    assert.deepEqual(filters.enabled?.modifiers, ['eq', 'ne', 'null', 'notnull']);
  });

  test('passwords, json, lists and maps are not filterable unless declared so; filterable: false wins', () => {
    for (const name of ['secret', 'blob', 'tags', 'labels', 'annotations', 'hidden']) assert.equal(name in filters, false, name);
    assert.ok('picked' in filters);
  });

  test('id is always filterable', () => {
    assert.deepEqual(collectionFilters(defineSchema({ id: 'bare', fields: {} }, { embedded: true })), { id: { modifiers: [...MODIFIERS] } });
  });
});

describe('parseFilters', () => {
  test('a bare field is eq; a suffix after the last underscore is the modifier', () => {
    assert.deepEqual(parseFilters(schema, { name: 'x', size_gt: '3', kind_ne: 'a' }), {
      name: [{ modifier: 'eq', value: 'x' }],
      size: [{ modifier: 'gt', value: '3' }],
      kind: [{ modifier: 'ne', value: 'a' }],
    });
  });

  test('in and notin take every repeated value; other modifiers take the first', () => {
    assert.deepEqual(parseFilters(schema, { name_in: ['a', 'b'], kind_notin: 'a', size: ['1', '2'] }), {
      name: [{ modifier: 'in', value: ['a', 'b'] }],
      kind: [{ modifier: 'notin', value: ['a'] }],
      size: [{ modifier: 'eq', value: '1' }],
    });
  });

  test('comma lists are not split', () => {
    assert.deepEqual(parseFilters(schema, { name_in: 'a,b' }), { name: [{ modifier: 'in', value: ['a,b'] }] });
  });

  test('a field whose name contains an underscore is matched whole when the suffix is no modifier', () => {
    assert.deepEqual(parseFilters(schema, { my_field: 'x' }), { my_field: [{ modifier: 'eq', value: 'x' }] });
    assert.deepEqual(parseFilters(schema, { my_field_like: 'x' }), { my_field: [{ modifier: 'like', value: 'x' }] });
  });

  test('several conditions on one field are all kept', () => {
    assert.deepEqual(parseFilters(schema, { size_gt: '1', size_lt: '50' }).size, [
      { modifier: 'gt', value: '1' },
      { modifier: 'lt', value: '50' },
    ]);
  });

  test('unknown fields, unfilterable fields, unknown modifiers and query options are ignored', () => {
    assert.deepEqual(
      parseFilters(schema, {
        bogus: 'x',
        bogus_ne: 'x',
        secret: 'x',
        blob: '{}',
        name_regex: '^a',
        name_: 'x',
        _ne: 'x',
        enabled_like: 'tr',
        enabled_gt: 'false',
        sort: 'name',
        order: 'desc',
        limit: '1',
        marker: 'w1',
      }),
      {},
    );
  });
});

describe('applyFilters', () => {
  test('no filters returns the list as it is', () => {
    assert.equal(applyFilters(items, {}), items);
  });

  test('eq and ne compare the string form', () => {
    assert.deepEqual(filtered({ name: 'alpha' }), ['w1']);
    assert.deepEqual(filtered({ name: 'ALPHA' }), []);
    assert.deepEqual(filtered({ name_ne: 'alpha' }), ['w2', 'w3', 'w4']);
    assert.deepEqual(filtered({ size: '10' }), ['w1']);
    assert.deepEqual(filtered({ enabled: 'true' }), ['w1']);
    assert.deepEqual(filtered({ enabled: 'false' }), ['w2']);
    assert.deepEqual(filtered({ enabled_ne: 'true' }), ['w2', 'w3', 'w4']);
    assert.deepEqual(filtered({ clusterId: 'c-1' }), ['w1', 'w3']);
    assert.deepEqual(filtered({ id: 'w2' }), ['w2']);
  });

  test('an absent or null value compares as the empty string', () => {
    assert.deepEqual(filtered({ my_field: '' }), ['w2', 'w3', 'w4']);
    assert.deepEqual(filtered({ my_field_ne: '' }), ['w1']);
  });

  test('in and notin', () => {
    assert.deepEqual(filtered({ name_in: ['alpha', 'beta', 'nope'] }), ['w1', 'w2']);
    assert.deepEqual(filtered({ name_notin: ['alpha', 'beta'] }), ['w3', 'w4']);
    assert.deepEqual(filtered({ clusterId_in: ['c-2', ''] }), ['w2', 'w4']);
  });

  test('prefix', () => {
    assert.deepEqual(filtered({ name_prefix: 'alpha' }), ['w1', 'w3']);
    assert.deepEqual(filtered({ name_prefix: '' }), ALL);
    assert.deepEqual(filtered({ my_field_prefix: '' }), ['w1', 'w3'], 'absent values have no prefix');
  });

  test('like: % is any run, _ one character, case-insensitive, regex characters literal', () => {
    assert.deepEqual(filtered({ name_like: '%bet' }), ['w3']);
    assert.deepEqual(filtered({ name_like: 'alpha%' }), ['w1', 'w3']);
    assert.deepEqual(filtered({ name_like: 'GAMMA' }), ['w4']);
    assert.deepEqual(filtered({ name_like: 'bet_' }), ['w2']);
    assert.deepEqual(filtered({ name_like: 'a.*' }), []);
    assert.deepEqual(filtered({ name: 'a(b' }, [{ id: 'x', name: 'a(b' }]), ['x']);
    assert.deepEqual(filtered({ name_like: 'a(b' }, [{ id: 'x', name: 'a(b' }]), ['x']);
  });

  test('null and notnull treat absent, null and empty alike', () => {
    assert.deepEqual(filtered({ my_field_null: '' }), ['w2', 'w3', 'w4']);
    assert.deepEqual(filtered({ my_field_notnull: '' }), ['w1']);
    assert.deepEqual(filtered({ enabled_null: '' }), ['w3', 'w4']);
  });

  test('gt, gte, lt and lte compare numbers as numbers', () => {
    assert.deepEqual(filtered({ size_gt: '9' }), ['w1', 'w3']);
    assert.deepEqual(filtered({ size_gte: '9' }), ['w1', 'w2', 'w3']);
    assert.deepEqual(filtered({ size_lt: '10' }), ['w2', 'w4']);
    assert.deepEqual(filtered({ size_lte: '10' }), ['w1', 'w2', 'w4']);
  });

  test('gt and lt compare other strings as strings', () => {
    assert.deepEqual(filtered({ name_gt: 'alpha' }), ['w2', 'w3']);
    assert.deepEqual(filtered({ name_lt: 'alpha' }), ['w4'], "'G' sorts before 'a'");
    assert.deepEqual(filtered({ my_field_lt: 'zzz' }), ['w1', 'w3'], 'absent values are not ordered');
  });

  test('dates compare in time order', () => {
    const dated = [
      { id: 'old', created: '2019-12-31T23:59:59Z' },
      { id: 'new', created: '2020-08-20T10:00:00Z' },
    ];
    assert.deepEqual(filtered({ created_gt: '2020-01-01T00:00:00Z' }, dated), ['new']);
    assert.deepEqual(filtered({ created_lt: '2020-01-01T00:00:00Z' }, dated), ['old']);
  });

  test('every condition must hold', () => {
    assert.deepEqual(filtered({ kind: 'a', size_gt: '50' }), ['w3']);
    assert.deepEqual(filtered({ size_gt: '1', size_lt: '10' }), ['w2', 'w4']);
  });

  test('an unsupported modifier or unknown field leaves the list unfiltered', () => {
    assert.deepEqual(filtered({ name_regex: '^a' }), ALL);
    assert.deepEqual(filtered({ colour: 'red' }), ALL);
    assert.deepEqual(filtered({ enabled_prefix: 't' }), ALL);
  });
});

describe('sort', () => {
  test('parseSort accepts a filterable field and order=desc, and nothing else', () => {
    assert.deepEqual(parseSort(schema, {}), { field: undefined, order: 'asc' });
    assert.deepEqual(parseSort(schema, { sort: 'name', order: 'desc' }), { field: 'name', order: 'desc' });
    assert.deepEqual(parseSort(schema, { sort: 'id' }), { field: 'id', order: 'asc' });
    assert.deepEqual(parseSort(schema, { sort: 'bogus', order: 'DESC' }), { field: undefined, order: 'asc' });
    assert.deepEqual(parseSort(schema, { sort: 'secret', order: 'sideways' }), { field: undefined, order: 'asc' });
    assert.deepEqual(parseSort(schema, { sort: ['size', 'name'], order: ['desc', 'asc'] }), { field: 'size', order: 'desc' });
  });

  const ids = (list: JsonObject[]) => list.map((i) => i.id);

  test('default sort is by id', () => {
    const shuffled = [items[2]!, items[0]!, items[3]!, items[1]!];
    assert.deepEqual(ids(applySort(shuffled, { field: undefined, order: 'asc' })), ALL);
    assert.deepEqual(ids(applySort(shuffled, { field: undefined, order: 'desc' })), [...ALL].reverse());
  });

  test('strings sort by plain comparison (upper case first)', () => {
    assert.deepEqual(ids(applySort(items, { field: 'name', order: 'asc' })), ['w4', 'w1', 'w3', 'w2']);
    assert.deepEqual(ids(applySort(items, { field: 'name', order: 'desc' })), ['w2', 'w3', 'w1', 'w4']);
  });

  test('numbers sort numerically', () => {
    assert.deepEqual(ids(applySort(items, { field: 'size', order: 'asc' })), ['w4', 'w2', 'w1', 'w3']);
    assert.deepEqual(ids(applySort(items, { field: 'size', order: 'desc' })), ['w3', 'w1', 'w2', 'w4']);
  });

  test('ties are broken by id (reversed with the order), absent values sort first', () => {
    const tied = [
      { id: 'b', kind: 'x' },
      { id: 'c', kind: 'x' },
      { id: 'a', kind: 'x' },
      { id: 'z' },
    ];
    assert.deepEqual(ids(applySort(tied, { field: 'kind', order: 'asc' })), ['z', 'a', 'b', 'c']);
    assert.deepEqual(ids(applySort(tied, { field: 'kind', order: 'desc' })), ['c', 'b', 'a', 'z']);
  });

  test('sorting returns a new list and leaves the input alone', () => {
    const input = [...items];
    const out = applySort(input, { field: 'size', order: 'asc' });
    assert.notEqual(out, input);
    assert.deepEqual(input, items);
  });
});

describe('paginate', () => {
  const five = ['i1', 'i2', 'i3', 'i4', 'i5'].map((id) => ({ id }));
  const url = (marker: string) => `https://h/v3/widgets?marker=${marker}`;
  const page = (query: Query, list: JsonObject[] = five) => paginate(list, query, url);
  const pageIds = (query: Query, list: JsonObject[] = five) => page(query, list).items.map((i) => i.id);

  test('by default everything fits: limit 1000, total, not partial, no links', () => {
    assert.deepEqual(page({}), { items: five, pagination: { limit: 1000, total: 5 } });
  });

  test('the first page of a partial list links to next and last, not previous', () => {
    assert.deepEqual(page({ limit: '2' }), {
      items: [{ id: 'i1' }, { id: 'i2' }],
      pagination: { limit: 2, total: 5, partial: true, first: url('i1'), next: url('i3'), last: url('i5') },
    });
  });

  test('a middle page starts at the marker (inclusive) and links both ways', () => {
    assert.deepEqual(page({ limit: '2', marker: 'i3' }), {
      items: [{ id: 'i3' }, { id: 'i4' }],
      pagination: { limit: 2, total: 5, marker: 'i3', partial: true, first: url('i1'), next: url('i5'), previous: url('i1'), last: url('i5') },
    });
  });

  test('the last page has no next', () => {
    const { items: got, pagination } = page({ limit: '2', marker: 'i5' });
    assert.deepEqual(got, [{ id: 'i5' }]);
    assert.equal(pagination.next, undefined);
    assert.equal(pagination.previous, url('i3'));
    assert.equal(pagination.partial, true);
  });

  test('previous never goes before the first item', () => {
    assert.equal(page({ limit: '3', marker: 'i2' }).pagination.previous, url('i1'));
  });

  test('an unknown marker starts at the beginning and is echoed', () => {
    const { items: got, pagination } = page({ limit: '2', marker: 'nope' });
    assert.deepEqual(got, [{ id: 'i1' }, { id: 'i2' }]);
    assert.equal(pagination.marker, 'nope');
    assert.equal(pagination.previous, undefined);
  });

  test('a limit equal to or above the count gives one whole page', () => {
    assert.deepEqual(page({ limit: '5' }).pagination, { limit: 5, total: 5 });
    assert.deepEqual(page({ limit: '6' }).pagination, { limit: 6, total: 5 });
  });

  test('an empty list is one empty page', () => {
    assert.deepEqual(page({ limit: '2' }, []), { items: [], pagination: { limit: 2, total: 0 } });
  });

  test('limit -1 and limits above 10000 mean 10000', () => {
    assert.equal(page({ limit: '-1' }).pagination.limit, 10000);
    assert.equal(page({ limit: '10000' }).pagination.limit, 10000);
    assert.equal(page({ limit: '10001' }).pagination.limit, 10000);
    assert.equal(page({ limit: '99999999999999999999' }).pagination.limit, 10000);
  });

  test('a limit that is not a number falls back to 1000', () => {
    for (const limit of ['abc', 'NaN', 'Infinity', '1/2']) assert.equal(page({ limit }).pagination.limit, 1000, limit);
  });

  test('only the first limit and marker count', () => {
    assert.deepEqual(pageIds({ limit: ['1', '3'], marker: ['i2', 'i4'] }), ['i2']);
  });

  test('a page of 10000 out of more is partial', () => {
    const many = Array.from({ length: 10001 }, (_, i) => ({ id: `x${String(i).padStart(5, '0')}` }));
    const { items: got, pagination } = page({ limit: '-1' }, many);
    assert.equal(got.length, 10000);
    assert.equal(pagination.partial, true);
    assert.equal(pagination.next, url('x10000'));
    assert.equal(pagination.last, url('x10000'));
  });
});
