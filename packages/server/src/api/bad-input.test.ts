import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useTestServer, type TestResponse } from '../testing/test-server.js';

/** Every bad request gets the norman error shape with the right status and code, never a 500. */
function assertError(res: TestResponse, status: number, code: string, fieldName?: string) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.type, 'error', res.text);
  assert.equal(res.json.status, status);
  assert.equal(res.json.code, code, res.text);
  assert.equal(typeof res.json.message, 'string');
  if (fieldName !== undefined) assert.equal(res.json.fieldName, fieldName, res.text);
}

describe('bad input', () => {
  const ctx = useTestServer();

  test('malformed JSON is InvalidBodyContent', async () => {
    const res = await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, rawBody: '{"name": "x",' });
    assertError(res, 422, 'InvalidBodyContent');
    assert.match(res.json.message, /Failed to parse body/);
  });

  test('a body that is not an object is InvalidBodyContent', async () => {
    for (const raw of ['[1,2]', '"text"', '42', 'null']) {
      assertError(await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, rawBody: raw }), 422, 'InvalidBodyContent');
    }
  });

  test('wrong field types are InvalidFormat naming the field', async () => {
    assertError(await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 42 } }), 422, 'InvalidFormat', 'name');
    assertError(
      await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 'typed', rancherKubernetesEngineConfig: { ignoreDockerVersion: 'yes' } } }),
      422,
      'InvalidFormat',
      'rancherKubernetesEngineConfig.ignoreDockerVersion',
    );
    assertError(await ctx.srv.request('POST', '/v3/tokens', { token: ctx.token, body: { ttl: 'soon' } }), 422, 'InvalidFormat', 'ttl');
    assertError(await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 'labels', labels: ['a'] } }), 422, 'InvalidFormat', 'labels');
  });

  test('names that are not DNS labels are refused', async () => {
    for (const name of ['Upper', 'under_score', '-lead', 'trail-', 'a'.repeat(64), '']) {
      const res = await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name } });
      assert.equal(res.status, 422, `${name}: ${res.text}`);
      assert.equal(res.json.fieldName, 'name');
    }
  });

  test('missing required fields are MissingRequired', async () => {
    assertError(await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: {} }), 422, 'MissingRequired', 'name');
    assertError(await ctx.srv.request('POST', '/v3/clusterregistrationtokens', { token: ctx.token, body: {} }), 422, 'MissingRequired', 'clusterId');
    assertError(await ctx.srv.request('POST', '/v3/users', { token: ctx.token, body: { username: 'nopass' } }), 422, 'MissingRequired', 'password');
  });

  test('duplicate names are NotUnique and nothing is written', async () => {
    const first = await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 'twin' } });
    assert.equal(first.status, 201, first.text);
    assertError(await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 'twin' } }), 422, 'NotUnique', 'name');
    const list = await ctx.srv.request('GET', '/v3/clusters?name=twin', { token: ctx.token });
    assert.equal(list.json.data.length, 1);
  });

  test('concurrent creates of one name: exactly one wins', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 'racer' } })),
    );
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    for (const r of results.filter((x) => x.status !== 201)) assertError(r, 422, 'NotUnique', 'name');
  });

  test('a body over 1 MiB is refused with 413', async () => {
    const big = JSON.stringify({ name: 'big', description: 'x'.repeat(1024 * 1024 + 10) });
    assertError(await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, rawBody: big }), 413, 'RequestEntityTooLarge');
  });

  test('unknown ids and types are NotFound', async () => {
    assertError(await ctx.srv.request('GET', '/v3/clusters/c-nope1', { token: ctx.token }), 404, 'NotFound');
    assertError(await ctx.srv.request('PUT', '/v3/clusters/c-nope1', { token: ctx.token, body: { description: 'x' } }), 404, 'NotFound');
    assertError(await ctx.srv.request('DELETE', '/v3/clusters/c-nope1', { token: ctx.token }), 404, 'NotFound');
    assertError(await ctx.srv.request('GET', '/v3/widgets', { token: ctx.token }), 404, 'NotFound');
    assertError(await ctx.srv.request('GET', '/v3/clusters/local/widgets', { token: ctx.token }), 404, 'NotFound');
    assertError(await ctx.srv.request('POST', '/v3/clusterregistrationtokens', { token: ctx.token, body: { clusterId: 'c-nope1' } }), 422, 'InvalidReference', 'clusterId');
  });

  test('unknown actions are InvalidAction', async () => {
    assertError(await ctx.srv.request('POST', '/v3/clusters/local?action=explode', { token: ctx.token, body: {} }), 422, 'InvalidAction');
    assertError(await ctx.srv.request('POST', '/v3/users?action=explode', { token: ctx.token, body: {} }), 422, 'InvalidAction');
  });

  test('wrong methods are MethodNotAllow', async () => {
    assertError(await ctx.srv.request('PUT', '/v3/clusters', { token: ctx.token, body: {} }), 405, 'MethodNotAllow');
    assertError(await ctx.srv.request('POST', '/v3/clusters/local', { token: ctx.token, body: {} }), 405, 'MethodNotAllow');
    assertError(await ctx.srv.request('PUT', '/v3/clusterregistrationtokens/local:default-token', { token: ctx.token, body: {} }), 405, 'MethodNotAllow');
    assertError(await ctx.srv.request('POST', '/v3/schemas', { token: ctx.token, body: {} }), 405, 'MethodNotAllow');
    assertError(await ctx.srv.request('DELETE', '/v3/clusters/local', { token: ctx.token }), 403, 'PermissionDenied');
  });

  test('missing, malformed, unknown and wrong-secret tokens are 401', async () => {
    assertError(await ctx.srv.request('GET', '/v3/clusters'), 401, 'Unauthorized');
    assertError(await ctx.srv.request('GET', '/v3/clusters', { token: 'garbage' }), 401, 'Unauthorized');
    assertError(await ctx.srv.request('GET', '/v3/clusters', { token: 'a:b:c' }), 401, 'Unauthorized');
    assertError(await ctx.srv.request('GET', '/v3/clusters', { token: 'token-zzzzz:secret' }), 401, 'Unauthorized');
    const [name] = ctx.token.split(':');
    assertError(await ctx.srv.request('GET', '/v3/clusters', { token: `${name}:wrongsecret` }), 401, 'Unauthorized');
    assertError(await ctx.srv.request('GET', '/v3/clusters', { headers: { authorization: 'Basic !!!notbase64' } }), 401, 'Unauthorized');
  });

  test('a revoked API key stops working at once', async () => {
    const key = await ctx.srv.request('POST', '/v3/tokens', { token: ctx.token, body: { description: 'short-lived' } });
    assert.equal(key.status, 201);
    assert.equal((await ctx.srv.request('GET', '/v3/clusters', { token: key.json.token })).status, 200);
    assert.equal((await ctx.srv.request('DELETE', `/v3/tokens/${key.json.id}`, { token: ctx.token })).status, 204);
    assertError(await ctx.srv.request('GET', '/v3/clusters', { token: key.json.token }), 401, 'Unauthorized');
  });

  test('concurrent conflicting updates: one wins, the other gets 409 Conflict', async () => {
    const created = await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 'contended' } });
    const version = created.json.resourceVersion;
    const a = await ctx.srv.request('PUT', `/v3/clusters/${created.json.id}`, { token: ctx.token, body: { description: 'a', resourceVersion: version } });
    assert.equal(a.status, 200, a.text);
    const b = await ctx.srv.request('PUT', `/v3/clusters/${created.json.id}`, { token: ctx.token, body: { description: 'b', resourceVersion: version } });
    assertError(b, 409, 'Conflict');
    const now = await ctx.srv.request('GET', `/v3/clusters/${created.json.id}`, { token: ctx.token });
    assert.equal(now.json.description, 'a');
  });

  test('many concurrent updates without a version all apply, none half-written', async () => {
    const created = await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 'busy' } });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ctx.srv.request('PUT', `/v3/clusters/${created.json.id}`, { token: ctx.token, body: { labels: { [`k${i}`]: 'v' } } })),
    );
    for (const r of results) assert.ok(r.status === 200 || r.status === 409, r.text);
    const now = await ctx.srv.request('GET', `/v3/clusters/${created.json.id}`, { token: ctx.token });
    const applied = results.filter((r) => r.status === 200).length;
    assert.equal(Object.keys(now.json.labels).filter((k) => k.startsWith('k')).length, applied);
  });

  test('bad percent-encoding in the path is a clean 404', async () => {
    assertError(await ctx.srv.request('GET', '/v3/clusters/%E0%A4%A', { token: ctx.token }), 404, 'NotFound');
  });

  test('query keys named like Object.prototype members are ignored', async () => {
    const res = await ctx.srv.request('GET', '/v3/clusters?constructor=x&toString_ne=y&sort=__proto__', { token: ctx.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.sort.name, undefined);
  });

  test('a malformed R_SESS cookie is a 401, not a 500', async () => {
    assertError(await ctx.srv.request('GET', '/v3/clusters', { headers: { cookie: 'R_SESS=%E0%A4%A' } }), 401, 'Unauthorized');
  });

  test('the server still answers after all of the above', async () => {
    assert.equal((await ctx.srv.request('GET', '/ping')).text, 'pong');
  });
});
