import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { STORED_KINDS } from '../kinds.js';
import { EtcdStore } from '../store/etcd/etcd-store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { startEtcd, type EtcdProcess } from '../testing/etcd-process.js';
import { startTestServer } from '../testing/test-server.js';
import { MigrateError } from './errors.js';
import { migrate, type MigrationResult } from './migrate.js';
import { parseMigrateConfig, type RawMigrateOptions } from './options.js';

/** Every object of the source, by `kind/id`, with its data. */
async function contents(store: SqliteStore | EtcdStore, kinds: readonly string[]): Promise<Map<string, unknown>> {
  const all = new Map<string, unknown>();
  for (const kind of kinds) for (const o of (await store.list(kind)).items) all.set(`${kind}/${o.id}`, o.data);
  return all;
}

const refusedWith = (pattern: RegExp) => (err: unknown) => err instanceof MigrateError && pattern.test(err.message);

describe('migrate a SQLite data dir into etcd', () => {
  let etcd: EtcdProcess;
  let dataDir: string;
  let source: Map<string, unknown>;
  const kinds = [...STORED_KINDS, 'futureKind'];
  const run = (raw: RawMigrateOptions = {}, timeoutMs?: number): Promise<MigrationResult> => {
    const config = parseMigrateConfig({ from: dataDir, to: etcd.endpoint, ...raw }, {});
    return migrate({ ...config, to: { ...config.to, requestTimeoutMs: timeoutMs } }, { kinds: STORED_KINDS, log: () => undefined, now: () => performance.now() });
  };
  const target = (prefix?: string) => EtcdStore.open({ endpoints: [etcd.endpoint], prefix });

  before(async () => {
    // A real server's data dir: its bootstrap objects, plus clusters, users and tokens made over the API.
    const srv = await startTestServer();
    dataDir = srv.dataDir;
    const token = await srv.adminToken();
    for (const name of ['alpha', 'beta', 'gamma']) {
      assert.equal((await srv.request('POST', '/v3/clusters', { token, body: { name } })).status, 201);
    }
    for (const username of ['dora', 'eli']) {
      assert.equal((await srv.request('POST', '/v3/users', { token, body: { username, password: `${username}-password-1` } })).status, 201);
    }
    assert.equal((await srv.request('POST', '/v3/tokens', { token, body: { description: 'api key' } })).status, 201);
    await srv.close({ keepDataDir: true });
    // A kind this Paddock does not register (written by some other version): it is copied all the same.
    const file = SqliteStore.open({ path: join(dataDir, 'paddock.db') });
    await file.create('futureKind', 'f-1', { kept: true });
    source = await contents(file, kinds);
    await file.close();
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.remove();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('copies every object of every kind with its id and data, and verifies the copy', async () => {
    const result = await run();
    assert.deepEqual(result.verification.differences, []);
    assert.equal(result.copied, source.size);
    assert.equal(result.cleared, 0);
    assert.equal(result.tlsDir, join(dataDir, 'tls'));
    for (const c of result.verification.counts) assert.equal(c.target, c.source, c.kind);
    const count = (kind: string) => result.verification.counts.find((c) => c.kind === kind)?.target;
    assert.ok((count('cluster') ?? 0) >= 4 && (count('user') ?? 0) >= 3 && (count('token') ?? 0) >= 2 && count('futureKind') === 1, JSON.stringify(result.verification.counts));

    const etcdStore = await target();
    try {
      assert.deepEqual(await contents(etcdStore, kinds), source);
    } finally {
      await etcdStore.close();
    }
  });

  test('refuses a target prefix that holds data without --force, saying how many objects it holds', async () => {
    await assert.rejects(run(), refusedWith(new RegExp(`^--to: etcd already holds ${source.size} objects under /paddock/; give --force`)));
  });

  test('--force deletes everything under the prefix, stray keys too, then copies again', async () => {
    const etcdStore = await target();
    try {
      await etcdStore.create('stray', 's-1', {});
      const result = await run({ force: true });
      assert.deepEqual(result.verification.differences, []);
      assert.equal(result.cleared, source.size + 1);
      assert.equal(await etcdStore.get('stray', 's-1'), undefined);
      assert.deepEqual(await contents(etcdStore, kinds), source);
    } finally {
      await etcdStore.close();
    }
  });

  test('another prefix of the same etcd is another target', async () => {
    const result = await run({ etcdPrefix: '/second' });
    assert.equal(result.target, `etcd ${etcd.endpoint} under /second/`);
    assert.deepEqual(result.verification.differences, []);
  });

  test('refuses a data dir without paddock.db, and does not create one there', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'paddock-migrate-empty-'));
    try {
      await assert.rejects(run({ from: empty }), refusedWith(/^--from: .* has no paddock\.db/));
      await assert.rejects(access(join(empty, 'paddock.db')));
      await assert.rejects(run({ from: join(empty, 'missing') }), refusedWith(/^--from: .* has no paddock\.db/));
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  test('refuses an unreachable etcd, naming --to', async () => {
    await assert.rejects(run({ to: 'http://127.0.0.1:1' }, 500), refusedWith(/^--to: cannot reach etcd at http:\/\/127\.0\.0\.1:1: /));
  });

  test('refuses a bad source with --force before deleting anything in the target', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'paddock-migrate-empty-'));
    try {
      await assert.rejects(run({ from: empty, force: true }), refusedWith(/^--from: /));
      const etcdStore = await target();
      try {
        assert.deepEqual(await contents(etcdStore, kinds), source);
      } finally {
        await etcdStore.close();
      }
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
