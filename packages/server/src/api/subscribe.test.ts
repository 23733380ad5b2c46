import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { SESSION_COOKIE } from '../auth/credentials.js';
import { useTestServer, type TestServer } from '../testing/test-server.js';
import { until } from '../testing/wait.js';

interface Event {
  name: string;
  data: { id?: string; type?: string; name?: string };
}

/** A subscriber that records every event it receives. */
function subscribe(srv: TestServer, query: string, headers: Record<string, string>) {
  const events: Event[] = [];
  const ws = new WebSocket(`${srv.url.replace('https', 'wss')}/v3/subscribe${query}`, { ca: srv.ca, headers });
  ws.on('message', (data) => events.push(JSON.parse(String(data)) as Event));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return { ws, events, opened, closed };
}

const refusal = (srv: TestServer, query: string, headers: Record<string, string>) =>
  new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(`${srv.url.replace('https', 'wss')}/v3/subscribe${query}`, { ca: srv.ca, headers });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => reject(new Error('the subscription was accepted')));
    ws.once('error', reject);
  });

const ids = (events: Event[], name: string) => events.filter((e) => e.name === name).map((e) => e.data.id);

describe('/v3/subscribe', () => {
  const ctx = useTestServer();

  test('changes and removals arrive as norman events, formatted like the API', async () => {
    const sub = subscribe(ctx.srv, '?resourceTypes=cluster', { authorization: `Bearer ${ctx.token}` });
    await sub.opened;
    const created = await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 'watched' } });
    const id = String(created.json.id);
    await until('a change event', () => ids(sub.events, 'resource.change').includes(id));
    const change = sub.events.find((e) => e.data.id === id);
    assert.equal(change?.data.type, 'cluster');
    assert.equal(change?.data.name, 'watched');
    assert.ok(sub.events.every((e) => e.data.type === 'cluster' || e.name === 'ping'), 'only the asked-for type');
    await ctx.srv.request('DELETE', `/v3/clusters/${id}`, { token: ctx.token });
    await until('a remove event', () => ids(sub.events, 'resource.remove').includes(id));
    sub.ws.close();
    const audit = await readFile(join(ctx.srv.dataDir, 'audit', 'audit.log'), 'utf8');
    assert.match(audit, /"requestURI":"\/v3\/subscribe\?resourceTypes=cluster".*"responseStatus":101/, 'the subscription is in the audit log');
  });

  test('a user sees only what they may see, and a new binding shows more at once', async () => {
    await ctx.srv.request('POST', '/v3/users', { token: ctx.token, body: { username: 'watcher', password: 'watcher-password-1' } });
    const user = (await ctx.srv.request('GET', '/v3/users?username=watcher', { token: ctx.token })).json.data[0];
    const token = await ctx.srv.login('watcher', 'watcher-password-1');
    const sub = subscribe(ctx.srv, '?resourceTypes=cluster', { authorization: `Bearer ${token}` });
    await sub.opened;
    const hidden = await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 'not-for-watcher' } });
    const own = await ctx.srv.request('POST', '/v3/clusters', { token, body: { name: 'watchers-own' } });
    await until('the own cluster', () => ids(sub.events, 'resource.change').includes(own.json.id));
    assert.ok(!ids(sub.events, 'resource.change').includes(hidden.json.id), 'no event about a cluster the user may not see');
    const binding = await ctx.srv.request('POST', '/v3/clusterroletemplatebindings', {
      token: ctx.token,
      body: { clusterId: hidden.json.id, roleTemplateId: 'cluster-member', userId: user.id },
    });
    assert.equal(binding.status, 201, binding.text);
    await ctx.srv.request('PUT', `/v3/clusters/${hidden.json.id}`, { token: ctx.token, body: { description: 'now visible' } });
    await until('the newly visible cluster', () => ids(sub.events, 'resource.change').includes(hidden.json.id));
    sub.ws.close();
  });

  test('no credentials, unknown types and foreign origins are refused; a revoked token ends the stream', async () => {
    assert.equal(await refusal(ctx.srv, '', {}), 401);
    assert.equal(await refusal(ctx.srv, '?resourceTypes=nonsense', { authorization: `Bearer ${ctx.token}` }), 404);
    const cookie = `${SESSION_COOKIE}=${ctx.token}`;
    assert.equal(await refusal(ctx.srv, '', { cookie, origin: 'https://evil.example' }), 403);
    const key = await ctx.srv.request('POST', '/v3/tokens', { token: ctx.token, body: { description: 'short-lived' } });
    const sub = subscribe(ctx.srv, '', { authorization: `Bearer ${key.json.token}` });
    await sub.opened;
    await ctx.srv.request('DELETE', `/v3/tokens/${key.json.id}`, { token: ctx.token });
    assert.equal(await sub.closed, 4401);
  });
});
