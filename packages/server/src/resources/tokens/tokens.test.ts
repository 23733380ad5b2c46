import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { until } from '../../testing/wait.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../../testing/test-server.js';


describe('tokens: API keys and sessions', () => {
  let srv: TestServer;
  let session: string;
  before(async () => {
    srv = await startTestServer();
    session = await srv.adminToken();
  });
  after(() => srv.close());

  test('an API key is shown once; only its hash is stored', async () => {
    const created = await srv.request('POST', '/v3/token', { token: session, body: { type: 'token', description: 'automation' } });
    assert.equal(created.status, 201, created.text);
    assert.match(created.json.token, new RegExp(`^${created.json.id}:[a-z0-9]{54}$`));
    assert.equal(created.json.isDerived, true);
    assert.equal(created.json.description, 'automation');
    const again = await srv.request('GET', `/v3/tokens/${created.json.id}`, { token: session });
    assert.equal(again.json.token, undefined, 'the secret is not shown again');
    const stored = await srv.server.store.get<Record<string, unknown>>('token', created.json.id);
    const secret = String(created.json.token).split(':')[1] ?? '';
    assert.ok(stored);
    assert.ok(!JSON.stringify(stored.data).includes(secret), 'the secret is not stored');
    assert.match(String(stored.data.tokenHash), /^[0-9a-f]{64}$/);
  });

  test('bearer, basic auth and cookie all authenticate an API key', async () => {
    const key = (await srv.request('POST', '/v3/tokens', { token: session, body: { description: 'three ways' } })).json.token as string;
    const basic = `Basic ${Buffer.from(key).toString('base64')}`;
    const ways: Record<string, string>[] = [{ authorization: `Bearer ${key}` }, { authorization: basic }, { cookie: `R_SESS=${key}` }];
    for (const headers of ways) {
      const res = await srv.request('GET', '/v3/settings', { headers });
      assert.equal(res.status, 200, JSON.stringify(headers));
    }
  });

  test('the token list shows the caller\'s tokens and marks the current session', async () => {
    const list = await srv.request('GET', '/v3/tokens', { token: session });
    const current = list.json.data.filter((t: { current: boolean }) => t.current);
    assert.equal(current.length, 1);
    assert.equal(current[0].id, session.split(':')[0]);
    for (const t of list.json.data) assert.equal(t.token, undefined);
  });

  test('ttl is capped by auth-token-max-ttl-minutes', async () => {
    await srv.request('PUT', '/v3/settings/auth-token-max-ttl-minutes', { token: session, body: { value: '60' } });
    try {
      const unlimited = await srv.request('POST', '/v3/tokens', { token: session, body: { description: 'forever' } });
      assert.equal(unlimited.json.ttl, 60 * 60_000);
      assert.ok(Date.parse(unlimited.json.expiresAt) > Date.now());
      const long = await srv.request('POST', '/v3/tokens', { token: session, body: { ttl: 24 * 60 * 60_000 } });
      assert.equal(long.json.ttl, 60 * 60_000);
      const short = await srv.request('POST', '/v3/tokens', { token: session, body: { ttl: 60_000 } });
      assert.equal(short.json.ttl, 60_000);
    } finally {
      await srv.request('PUT', '/v3/settings/auth-token-max-ttl-minutes', { token: session, body: { value: '' } });
    }
  });

  test('an expired token is refused, then removed by the token controller', async () => {
    const key = await srv.request('POST', '/v3/tokens', { token: session, body: { ttl: 1000 } });
    assert.equal((await srv.request('GET', '/v3/settings', { token: key.json.token })).status, 200);
    const refused = await until('expiry', async () => {
      const res = await srv.request('GET', '/v3/settings', { token: key.json.token });
      return res.status === 401 ? res : undefined;
    });
    assert.equal(refused.json.code, 'Unauthorized');
    await until('deletion', async () => ((await srv.server.store.get('token', key.json.id)) ? undefined : true));
  });

  test('the current session cannot delete itself; logout does', async () => {
    const mine = await srv.login('admin', ADMIN_PASSWORD);
    const id = mine.split(':')[0];
    const del = await srv.request('DELETE', `/v3/tokens/${id}`, { token: mine });
    assert.equal(del.status, 422);
    assert.match(del.json.message, /Use logout/);
    const out = await srv.request('POST', '/v3/tokens?action=logout', { token: mine });
    assert.equal(out.status, 200);
    assert.match(String(out.headers['set-cookie']), /^R_SESS=;/);
    assert.equal((await srv.request('GET', '/v3/tokens', { token: mine })).status, 401);
  });

  test('other users\' tokens are invisible, and deleting a user removes their tokens', async () => {
    await srv.request('POST', '/v3/users', { token: session, body: { username: 'carol', password: 'carol-password-1' } });
    const carol = await srv.login('carol', 'carol-password-1');
    const carolId = carol.split(':')[0];
    assert.equal((await srv.request('GET', `/v3/tokens/${carolId}`, { token: session })).status, 404);
    const adminTokens = await srv.request('GET', '/v3/tokens', { token: carol });
    assert.deepEqual(adminTokens.json.data.map((t: { id: string }) => t.id), [carolId]);
    const carolUser = (await srv.request('GET', '/v3/users?username=carol', { token: session })).json.data[0];
    assert.equal((await srv.request('DELETE', `/v3/users/${carolUser.id}`, { token: session })).status, 204);
    assert.equal((await srv.request('GET', '/v3/tokens', { token: carol })).status, 401);
    await until('carol\'s token removed', async () => ((await srv.server.store.get('token', carolId ?? '')) ? undefined : true));
  });
});
