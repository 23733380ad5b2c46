import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { httpsCall, type RequestOptions } from '../../packages/server/src/testing/test-server.js';
import { startPaddock, stopPaddock, type ServerProcess } from '../support/server-process.js';

const PASSWORD = 'restart-password-1';

describe('state survives restarts', () => {
  let dataDir: string;
  let server: ServerProcess;
  let ca: string;
  const call = (method: string, path: string, o?: RequestOptions) => httpsCall(server.url + path, ca, method, o);

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'paddock-restart-'));
  });
  after(async () => {
    if (server.child.exitCode === null) await stopPaddock(server);
    await rm(dataDir, { recursive: true, force: true });
  });

  let apiKey: string;
  let clusterId: string;

  test('first run: set up a password, an API key, a user and a cluster', async () => {
    server = await startPaddock(dataDir);
    ca = await server.ca();
    const login = await call('POST', '/v3-public/localProviders/local?action=login', { body: { username: 'admin', password: 'admin' } });
    await call('POST', '/v3/users?action=changepassword', { token: login.json.token, body: { currentPassword: 'admin', newPassword: PASSWORD } });
    apiKey = (await call('POST', '/v3/tokens', { token: login.json.token, body: { description: 'survivor' } })).json.token;
    const cluster = await call('POST', '/v3/clusters', { token: apiKey, body: { name: 'durable', rancherKubernetesEngineConfig: {} } });
    assert.equal(cluster.status, 201);
    clusterId = cluster.json.id;
    assert.equal((await call('POST', '/v3/users', { token: apiKey, body: { username: 'dave', password: 'dave-password-1' } })).status, 201);
  });

  test('SIGTERM stops cleanly (exit 0) and everything is there after a restart', async () => {
    const ended = await stopPaddock(server, 'SIGTERM');
    assert.equal(ended.code, 0, server.stderr());
    server = await startPaddock(dataDir);
    assert.equal(await server.ca(), ca, 'the CA is kept');
    assert.equal((await call('GET', `/v3/clusters/${clusterId}`, { token: apiKey })).json.name, 'durable');
    assert.equal((await call('GET', '/v3/users?username=dave', { token: apiKey })).json.data.length, 1);
    const relogin = await call('POST', '/v3-public/localProviders/local?action=login', { body: { username: 'admin', password: PASSWORD } });
    assert.equal(relogin.status, 201, 'the changed password is kept');
  });

  test('kill -9 in the middle of writes: no corruption, every acknowledged write is there', async () => {
    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (worker: number) => {
      for (let i = 0; !stop && i < 500; i++) {
        const res = await call('POST', '/v3/clusters', { token: apiKey, body: { name: `w${worker}-${i}` } }).catch(() => undefined);
        if (res?.status === 201) acknowledged.push(res.json.id);
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 5));
    server.child.kill('SIGKILL');
    await server.exited;
    stop = true;
    await Promise.all(writers);

    const db = new Database(join(dataDir, 'paddock.db'), { readonly: true });
    try {
      assert.equal((db.pragma('integrity_check', { simple: true }) as string), 'ok');
    } finally {
      db.close();
    }
    server = await startPaddock(dataDir);
    const list = await call('GET', '/v3/clusters?limit=-1', { token: apiKey });
    const ids = new Set(list.json.data.map((c: { id: string }) => c.id));
    const missing = acknowledged.filter((id) => !ids.has(id));
    assert.deepEqual(missing, [], 'acknowledged clusters lost');
    assert.equal((await call('GET', '/v3/settings', { token: apiKey })).status, 200, 'tokens still work');
  });
});
