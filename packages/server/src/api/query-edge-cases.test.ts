import assert from 'node:assert/strict';
import { test } from 'node:test';
import { f } from '../schema/fields.js';
import { defineSchema } from '../schema/schema.js';
import { paginate, parseFilters, parseSort } from './query.js';

const schema = defineSchema({ id: 'widget', fields: { name: f.string() } });

test('query keys named like Object.prototype members are ignored like any unknown field', () => {
  for (const key of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf_ne']) {
    assert.deepEqual(parseFilters(schema, { [key]: 'x' }), {}, key);
  }
});

test('sort=constructor is not a valid sort field', () => {
  assert.equal(parseSort(schema, { sort: 'constructor' }).field, undefined);
  assert.equal(parseSort(schema, { sort: 'toString' }).field, undefined);
});

test('an empty limit means the default, not 1', () => {
  const five = ['i1', 'i2', 'i3', 'i4', 'i5'].map((id) => ({ id }));
  assert.equal(paginate(five, { limit: '' }, (m) => m).pagination.limit, 1000);
  assert.equal(paginate(five, { limit: '' }, (m) => m).items.length, 5);
});

test('a pathological like pattern does not backtrack', async () => {
  const { likeMatches } = await import('./query.js');
  // A backtracking matcher would not return from this in any reasonable time.
  assert.equal(likeMatches('a'.repeat(5000), `${'%a'.repeat(200)}%b`), false);
});
