import assert from 'node:assert/strict';
import { test } from 'node:test';
import { f } from '../schema/fields.js';
import { defineSchema } from '../schema/schema.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { RequestContext } from './context.js';
import { ApiHandler } from './handler.js';
import type { ResourceKind } from './kind.js';
import { ApiVersion } from './registry.js';

const gadgetSchema = defineSchema({ id: 'gadget', fields: { name: f.string({ required: true }) } });

/** A kind whose "random" ids come from `draws`, over a real SQLite store. */
function setup(draws: string[]) {
  const store = SqliteStore.open({ path: ':memory:' });
  const gadgets: ResourceKind = {
    schema: gadgetSchema,
    cache: { get: () => undefined, list: () => [], waitForRevision: async () => {} },
    allowed: () => true,
    prepareCreate: async (_ctx, input) => ({ id: draws.shift() ?? 'g-last', data: { ...input } }),
  };
  const handler = new ApiHandler(new ApiVersion('/v3', [gadgets], []), store);
  const ctx: RequestContext = {
    caller: { userId: 'u-admin', username: 'admin', mustChangePassword: false, tokenId: 'token-1', tokenIsDerived: false },
    baseUrl: 'https://paddock.test',
    clientIp: '127.0.0.1',
    query: {},
  };
  const create = (name: string) => handler.handle(ctx, { method: 'POST', segments: ['gadgets'], body: { name } });
  return { store, create };
}

test('a randomly drawn id already taken is drawn again; one taken every time is a 409', async () => {
  const { store, create } = setup(['g-aaaaa', 'g-aaaaa', 'g-bbbbb', 'g-ccccc', 'g-ccccc', 'g-ccccc', 'g-ccccc']);
  try {
    assert.equal((await create('first')).status, 201);
    const second = await create('second');
    assert.equal(second.status, 201, 'g-aaaaa was taken: drawn again');
    assert.equal(second.body?.id, 'g-bbbbb');
    assert.equal((await create('third')).status, 201);
    await assert.rejects(create('fourth'), (err: unknown) => err instanceof Error && err.name === 'StoreAlreadyExistsError');
    assert.deepEqual((await store.list('gadget')).items.map((o) => o.id), ['g-aaaaa', 'g-bbbbb', 'g-ccccc']);
  } finally {
    await store.close();
  }
});
