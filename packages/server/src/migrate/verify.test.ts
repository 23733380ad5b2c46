import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { ResourceStore } from '../store/types.js';
import { copySnapshot, readSnapshot } from './copy.js';
import { MigrateError } from './errors.js';
import { compareKind, verifyCopy } from './verify.js';

const memory = () => SqliteStore.open({ path: ':memory:' });

async function seeded(): Promise<SqliteStore> {
  const store = memory();
  await store.create('cluster', 'c-aaaaa', { name: 'one', labels: { a: '1' } });
  await store.create('cluster', 'c-bbbbb', { name: 'two' });
  await store.create('user', 'u-ccccc', { username: 'carol' });
  return store;
}

describe('copy and verify', () => {
  test('a copy keeps kinds, ids and data, and verifies with no differences', async () => {
    const source = await seeded();
    const target = memory();
    const snapshot = await readSnapshot(source, ['cluster', 'user', 'token']);
    assert.equal(await copySnapshot(snapshot, target), 3);
    const result = await verifyCopy(source, target, ['cluster', 'user', 'token'], snapshot.revision);
    assert.deepEqual(result, {
      counts: [
        { kind: 'cluster', source: 2, target: 2 },
        { kind: 'user', source: 1, target: 1 },
        { kind: 'token', source: 0, target: 0 },
      ],
      differences: [],
    });
    const [original, copy] = await Promise.all([source.get('cluster', 'c-aaaaa'), target.get('cluster', 'c-aaaaa')]);
    assert.deepEqual(copy?.data, { name: 'one', labels: { a: '1' } });
    assert.equal(copy?.created, original?.created, 'the creation time is kept');
  });

  test('a different creation time is a difference', async () => {
    const source = await seeded();
    const target = memory();
    for (const o of (await source.list('user')).items) await target.restore(o.kind, o.id, o.data, '2020-01-01T00:00:00.000Z');
    const { differences } = await verifyCopy(source, target, ['user'], await source.revision());
    assert.equal(differences.length, 1);
    assert.match(differences[0] ?? '', /^user "u-ccccc" was created .* in the source, 2020-01-01T00:00:00.000Z in the target$/);
  });

  test('names a missing object, different data, an extra object and unequal counts', async () => {
    const source = await seeded();
    const target = memory();
    await target.create('cluster', 'c-aaaaa', { name: 'one', labels: { a: '2' } });
    await target.create('cluster', 'c-zzzzz', { name: 'extra' });
    await target.create('cluster', 'c-yyyyy', { name: 'extra too' });
    const { differences } = await verifyCopy(source, target, ['cluster', 'user'], await source.revision());
    assert.deepEqual(differences, [
      'cluster: 2 in the source, 3 in the target',
      'cluster "c-aaaaa" has different data in the target',
      'cluster "c-bbbbb" is missing from the target',
      'cluster "c-yyyyy" is in the target only',
      'cluster "c-zzzzz" is in the target only',
      'user: 1 in the source, 0 in the target',
      'user "u-ccccc" is missing from the target',
    ]);
  });

  test('equal data is equal whatever the order of its keys', () => {
    const at = (data: unknown) => [{ kind: 'k', id: 'a', resourceVersion: 1, created: '', data }];
    assert.deepEqual(compareKind('k', at({ x: 1, y: [1, { z: 2 }] }), at({ y: [1, { z: 2 }], x: 1 })), []);
    assert.equal(compareKind('k', at({ x: 1 }), at({ x: 1, y: null })).length, 1);
  });

  test('a source written while it is read is refused, before and after the copy', async () => {
    const source = await seeded();
    // A server still running on the source: a write lands between the lists of two kinds.
    const written: Pick<ResourceStore, 'list'> = {
      list: async <T>(kind: string) => {
        if (kind === 'user') await source.create('token', 'token-late1', {});
        return source.list<T>(kind);
      },
    };
    await assert.rejects(readSnapshot(written, ['cluster', 'user']), (err: unknown) => err instanceof MigrateError && /^--from: the source changed/.test(err.message));
    const snapshot = await readSnapshot(source, ['cluster']);
    await source.create('cluster', 'c-late1', {});
    await assert.rejects(verifyCopy(source, memory(), ['cluster'], snapshot.revision), /--from: the source changed while it was read/);
  });
});
