import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../testing/test-server.js';

describe('the v3 API in the norman shape', () => {
  let srv: TestServer;
  let token: string;
  before(async () => {
    srv = await startTestServer();
    token = await srv.adminToken();
    for (const name of ['alpha', 'beta', 'gamma', 'delta', 'epsilon']) {
      const res = await srv.request('POST', '/v3/clusters', { token, body: { name, description: `the ${name} cluster` } });
      assert.equal(res.status, 201, res.text);
    }
  });
  after(() => srv.close());

  test('/ping answers pong without authentication', async () => {
    const res = await srv.request('GET', '/ping');
    assert.equal(res.status, 200);
    assert.equal(res.text, 'pong');
  });

  test('/v3 is an apiRoot with a link to every collection', async () => {
    const res = await srv.request('GET', '/v3', { token });
    assert.equal(res.json.type, 'apiRoot');
    for (const plural of ['clusters', 'clusterRegistrationTokens', 'settings', 'tokens', 'users', 'schemas']) {
      assert.match(res.json.links[plural], new RegExp(`/v3/${plural}$`), plural);
    }
    assert.equal(res.headers['x-api-schemas'], `${srv.url}/v3/schemas`);
  });

  test('a collection has the norman envelope', async () => {
    const res = await srv.request('GET', '/v3/clusters', { token });
    const c = res.json;
    assert.equal(c.type, 'collection');
    assert.equal(c.resourceType, 'cluster');
    assert.equal(c.links.self, `${srv.url}/v3/clusters`);
    assert.deepEqual(c.createTypes, { cluster: `${srv.url}/v3/clusters` });
    assert.deepEqual(c.pagination, { limit: 1000, total: 6 });
    assert.equal(c.sort.order, 'asc');
    assert.ok(c.sort.links.name);
    assert.equal(c.filters.name, null);
    assert.equal(c.data.length, 6);
  });

  test('a resource has id, type, links, state and timestamps', async () => {
    const list = await srv.request('GET', '/v3/clusters?name=alpha', { token });
    const cluster = list.json.data[0];
    assert.match(cluster.id, /^c-[a-z0-9]{5}$/);
    assert.equal(cluster.type, 'cluster');
    assert.equal(cluster.baseType, 'cluster');
    assert.equal(cluster.links.self, `${srv.url}/v3/clusters/${cluster.id}`);
    assert.equal(cluster.links.update, cluster.links.self);
    assert.equal(cluster.links.remove, cluster.links.self);
    assert.equal(cluster.links.clusterregistrationtokens, `${cluster.links.self}/clusterregistrationtokens`);
    assert.ok(Date.parse(cluster.created));
    assert.equal(typeof cluster.createdTS, 'number');
    for (const f of ['state', 'transitioning', 'transitioningMessage']) assert.ok(f in cluster, f);
  });

  test('singular, plural and mixed-case paths are the same collection', async () => {
    for (const path of ['/v3/cluster', '/v3/clusters', '/v3/Clusters', '/v3/clusters/']) {
      const res = await srv.request('GET', path, { token });
      assert.equal(res.status, 200, path);
      assert.equal(res.json.resourceType, 'cluster', path);
    }
  });

  test('filters: eq, ne, prefix, like, in', async () => {
    const names = async (query: string) =>
      (await srv.request('GET', `/v3/clusters?${query}`, { token })).json.data.map((c: { name: string }) => c.name).sort();
    assert.deepEqual(await names('name=beta'), ['beta']);
    assert.equal((await names('name_ne=beta')).length, 5);
    assert.deepEqual(await names('name_prefix=ga'), ['gamma']);
    assert.deepEqual(await names('name_like=%25lt%25'), ['delta']);
    assert.deepEqual(await names('name_in=alpha&name_in=beta'), ['alpha', 'beta']);
    assert.equal((await names('nosuchfield=1')).length, 6, 'unknown fields are ignored');
    const filtered = await srv.request('GET', '/v3/clusters?name=beta', { token });
    assert.deepEqual(filtered.json.filters.name, [{ modifier: 'eq', value: 'beta' }]);
  });

  test('sort and order', async () => {
    const asc = await srv.request('GET', '/v3/clusters?sort=name', { token });
    const names = asc.json.data.map((c: { name: string }) => c.name);
    assert.deepEqual(names, [...names].sort());
    assert.equal(asc.json.sort.name, 'name');
    const desc = await srv.request('GET', '/v3/clusters?sort=name&order=desc', { token });
    assert.deepEqual(desc.json.data.map((c: { name: string }) => c.name), [...names].reverse());
  });

  test('limit and marker paginate', async () => {
    const first = await srv.request('GET', '/v3/clusters?sort=name&limit=2', { token });
    assert.equal(first.json.data.length, 2);
    assert.equal(first.json.pagination.partial, true);
    assert.equal(first.json.pagination.total, 6);
    const seen = first.json.data.map((c: { name: string }) => c.name);
    let next: string | undefined = first.json.pagination.next;
    while (next) {
      const page = await srv.request('GET', next.slice(srv.url.length), { token });
      seen.push(...page.json.data.map((c: { name: string }) => c.name));
      next = page.json.pagination.next;
    }
    assert.deepEqual(seen, [...seen].sort());
    assert.equal(seen.length, 6);
  });

  test('/v3/schemas lists schemas generated from the field declarations', async () => {
    const res = await srv.request('GET', '/v3/schemas', { token });
    const ids = res.json.data.map((s: { id: string }) => s.id);
    for (const id of ['cluster', 'clusterRegistrationToken', 'setting', 'token', 'user', 'rancherKubernetesEngineConfig', 'changePasswordInput']) {
      assert.ok(ids.includes(id), id);
    }
    const cluster = await srv.request('GET', '/v3/schemas/cluster', { token });
    assert.equal(cluster.json.type, 'schema');
    assert.equal(cluster.json.pluralName, 'clusters');
    assert.equal(cluster.json.links.collection, `${srv.url}/v3/clusters`);
    assert.deepEqual(cluster.json.resourceFields.name, { type: 'dnsLabel', create: true, update: true, required: true });
    assert.equal(cluster.json.resourceFields.rancherKubernetesEngineConfig.type, 'rancherKubernetesEngineConfig');
    assert.deepEqual(cluster.json.collectionMethods, ['GET', 'POST']);
    const users = await srv.request('GET', '/v3/schemas/user', { token });
    assert.deepEqual(users.json.collectionActions.changepassword, { input: 'changePasswordInput' });
  });

  test('/v3/openapi.json describes the same API', async () => {
    const res = await srv.request('GET', '/v3/openapi.json');
    assert.equal(res.json.openapi, '3.0.3');
    assert.ok(res.json.paths['/v3/clusters'].post);
    assert.ok(res.json.paths['/v3/clusters/{id}'].put);
    assert.deepEqual(res.json.components.schemas.clusterCreate.required, ['name']);
  });

  test('browsers get a readable HTML view with links', async () => {
    const res = await srv.request('GET', '/v3/clusters', { token, headers: { accept: 'text/html,application/xhtml+xml,*/*' } });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.match(res.text, /^<!DOCTYPE html>/);
    assert.match(res.text, new RegExp(`<a href="${srv.url}/v3/clusters/c-`));
    const json = await srv.request('GET', '/v3/clusters?_format=json', { token, headers: { accept: 'text/html' } });
    assert.equal(json.json.type, 'collection');
  });

  test('sub-collections: a cluster\'s registration tokens', async () => {
    const cluster = (await srv.request('GET', '/v3/clusters?name=gamma', { token })).json.data[0];
    const created = await srv.request('POST', `/v3/clusters/${cluster.id}/clusterregistrationtokens`, { token, body: {} });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.clusterId, cluster.id);
    assert.match(created.json.id, new RegExp(`^${cluster.id}:crt-[a-z0-9]{5}$`));
    const list = await srv.request('GET', `/v3/clusters/${cluster.id}/clusterregistrationtokens`, { token });
    assert.ok(list.json.data.length >= 1);
    for (const crt of list.json.data) assert.equal(crt.clusterId, cluster.id);
  });

  test('PUT honours create/update flags: read-only fields are ignored', async () => {
    const cluster = (await srv.request('GET', '/v3/clusters?name=delta', { token })).json.data[0];
    const res = await srv.request('PUT', `/v3/clusters/${cluster.id}`, {
      token,
      body: { description: 'changed', driver: 'hacked', internal: true, id: 'c-other' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.description, 'changed');
    assert.equal(res.json.driver, cluster.driver);
    assert.equal(res.json.internal, false);
    assert.equal(res.json.id, cluster.id);
  });

  test('actions are POST ?action= and listed on the collection', async () => {
    const users = await srv.request('GET', '/v3/users', { token });
    assert.equal(users.json.actions.changepassword, `${srv.url}/v3/users?action=changepassword`);
  });
});
