/**
 * Table-driven authorization through the real HTTP API: for each built-in role at its scope, which requests
 * on which types are allowed, refused or invisible, and what lists and schemas each user is shown.
 *
 * Cast: `admin`; `plain` (global role `user` only); `base` (`user-base` only); in cluster A, `owner` (created
 * it: cluster-owner), `member` (cluster-member) and `nodesView` (nodes-view); in project P of A, `projOwner`
 * (project-owner), `projMember` (project-member) and `readOnly` (read-only). Cluster B is the admin's.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { useTestServer, type TestResponse } from '../../testing/test-server.js';
import { until } from '../../testing/wait.js';

const CAST = ['admin', 'plain', 'base', 'owner', 'member', 'nodesView', 'projOwner', 'projMember', 'readOnly'] as const;
type Who = (typeof CAST)[number];

/** A status, or for a list: exactly these ids (and `pagination.total` equal to their number), or only a count. */
type Expect = number | { ids: string[] } | { total: number; page?: number };

interface Row {
  who: Who | Who[];
  method: string;
  path: string;
  body?: unknown;
  expect: Expect;
}

describe('authorization table: built-in roles at each scope, through the HTTP API', () => {
  const ctx = useTestServer();
  const tokens = {} as Record<Who, string>;
  const ids = {} as Record<Who, string>;
  /** Every token id each user holds (login sessions and API keys). */
  const tokenIds = {} as Record<Who, string[]>;
  let A: string;
  let B: string;
  let P: string;
  let Q: string;
  let projectsOfA: string[];
  const nodes = { a1: '', a2: '', b1: '' };

  const request = (who: Who, method: string, path: string, body?: unknown) => ctx.srv.request(method, path, { token: tokens[who], body });
  async function ok(res: Promise<TestResponse>, status = 201): Promise<{ id: string } & Record<string, unknown>> {
    const r = await res;
    assert.equal(r.status, status, r.text);
    return r.json;
  }

  before(async () => {
    tokens.admin = ctx.token;
    ids.admin = (await request('admin', 'GET', '/v3/users?me=true')).json.data[0].id;
    for (const who of CAST.filter((w) => w !== 'admin')) {
      const password = `${who}-password-12`;
      ids[who] = (await ok(request('admin', 'POST', '/v3/users', { username: who.toLowerCase(), password }))).id;
      tokens[who] = await ctx.srv.login(who.toLowerCase(), password);
    }
    // base: user-base instead of the default `user`.
    const defaults = (await request('admin', 'GET', `/v3/globalrolebindings?userId=${ids.base}`)).json.data as { id: string }[];
    for (const b of defaults) await ok(request('admin', 'DELETE', `/v3/globalrolebindings/${b.id}`), 204);
    await ok(request('admin', 'POST', '/v3/globalrolebindings', { globalRoleId: 'user-base', userId: ids.base }));
    // plain also holds an API key.
    await ok(request('plain', 'POST', '/v3/tokens', { description: 'key' }));
    for (const who of CAST) tokenIds[who] = (await request(who, 'GET', '/v3/tokens')).json.data.map((t: { id: string }) => t.id);

    A = (await ok(request('owner', 'POST', '/v3/clusters', { name: 'table-a' }))).id;
    B = (await ok(request('admin', 'POST', '/v3/clusters', { name: 'table-b' }))).id;
    const crtb = (who: Who, roleTemplateId: string) => ok(request('owner', 'POST', '/v3/clusterroletemplatebindings', { clusterId: A, roleTemplateId, userId: ids[who] }));
    await crtb('member', 'cluster-member');
    await crtb('nodesView', 'nodes-view');
    P = (await ok(request('owner', 'POST', '/v3/projects', { clusterId: A, name: 'p' }))).id;
    Q = (await ok(request('owner', 'POST', '/v3/projects', { clusterId: A, name: 'q' }))).id;
    const prtb = (who: Who, roleTemplateId: string) => ok(request('owner', 'POST', '/v3/projectroletemplatebindings', { projectId: P, roleTemplateId, userId: ids[who] }));
    await prtb('projOwner', 'project-owner');
    await prtb('projMember', 'project-member');
    await prtb('readOnly', 'read-only');
    projectsOfA = await until('Default and System in A', async () => {
      const list = (await request('admin', 'GET', `/v3/projects?clusterId=${A}`)).json.data as { id: string }[];
      return list.length === 4 && list.map((p) => p.id);
    });

    // Nodes are made by agents registering; here they are written to the store directly.
    const store = ctx.srv.server.store;
    for (const [name, clusterId] of [['a1', A], ['a2', A], ['b1', B]] as const) {
      const id = `${clusterId}:m-${name}xyz`;
      await store.create('node', id, { clusterId, nodeName: name, name, hostname: name, ipAddress: '10.0.0.1', worker: true, imported: true });
      nodes[name] = id;
    }
    await until('nodes in the cache', async () => (await request('admin', 'GET', '/v3/nodes')).json.data.length === 3);
  });

  /** Runs the rows and reports every mismatch at once. */
  async function check(rows: Row[]) {
    const failures: string[] = [];
    for (const row of rows) {
      for (const who of Array.isArray(row.who) ? row.who : [row.who]) {
        const res = await request(who, row.method, row.path, row.body);
        const where = `${who} ${row.method} ${row.path}`;
        if (typeof row.expect === 'number') {
          if (res.status !== row.expect) failures.push(`${where}: ${res.status}, expected ${row.expect}: ${res.text.slice(0, 200)}`);
          continue;
        }
        if (res.status !== 200) {
          failures.push(`${where}: ${res.status}: ${res.text.slice(0, 200)}`);
          continue;
        }
        const got = (res.json.data as { id: string }[]).map((o) => o.id).sort();
        const total = res.json.pagination?.total;
        if ('ids' in row.expect) {
          const want = [...row.expect.ids].sort();
          if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`${where}: ids ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
          if (total !== want.length) failures.push(`${where}: pagination.total ${total}, expected ${want.length}`);
        } else {
          if (total !== row.expect.total) failures.push(`${where}: pagination.total ${total}, expected ${row.expect.total}`);
          const page = row.expect.page ?? row.expect.total;
          if (got.length !== page) failures.push(`${where}: ${got.length} items, expected ${page}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  }

  const inA: Who[] = ['owner', 'member', 'nodesView', 'projOwner', 'projMember', 'readOnly'];
  const inP: Who[] = ['projOwner', 'projMember', 'readOnly'];

  test('lists show each user only what they may see, and pagination counts only that', async () => {
    const everyone = CAST.map((w) => ids[w]);
    const builtinTemplates = (await request('admin', 'GET', '/v3/roletemplates')).json.pagination.total as number;
    await check([
      { who: 'admin', method: 'GET', path: '/v3/clusters', expect: { ids: ['local', A, B] } },
      { who: ['plain', 'base'], method: 'GET', path: '/v3/clusters', expect: { ids: [] } },
      // Every binding in a cluster, or in one of its projects, shows the cluster.
      { who: inA, method: 'GET', path: '/v3/clusters', expect: { ids: [A] } },
      { who: ['admin', 'owner'], method: 'GET', path: `/v3/projects?clusterId=${A}`, expect: { ids: projectsOfA } },
      { who: ['plain', 'base', 'member', 'nodesView'], method: 'GET', path: '/v3/projects', expect: { ids: [] } },
      { who: inP, method: 'GET', path: '/v3/projects', expect: { ids: [P] } },
      { who: 'admin', method: 'GET', path: '/v3/nodes', expect: { ids: [nodes.a1, nodes.a2, nodes.b1] } },
      { who: ['owner', 'member', 'nodesView'], method: 'GET', path: '/v3/nodes', expect: { ids: [nodes.a1, nodes.a2] } },
      { who: ['member'], method: 'GET', path: '/v3/nodes?limit=1', expect: { total: 2, page: 1 } },
      { who: [...inP, 'plain', 'base'], method: 'GET', path: '/v3/nodes', expect: { ids: [] } },
      { who: ['owner', 'member'], method: 'GET', path: `/v3/clusters/${A}/nodes`, expect: { ids: [nodes.a1, nodes.a2] } },
      // Tokens: one's own only, admins included.
      ...CAST.map((who): Row => ({ who, method: 'GET', path: '/v3/tokens', expect: { ids: tokenIds[who] } })),
      { who: 'admin', method: 'GET', path: '/v3/users', expect: { ids: everyone } },
      ...CAST.filter((w) => w !== 'admin').map((who): Row => ({ who, method: 'GET', path: '/v3/users', expect: { ids: [ids[who]] } })),
      { who: ['admin', 'plain', 'owner'], method: 'GET', path: '/v3/principals', expect: { ids: everyone.map((id) => `local://${id}`) } },
      { who: 'base', method: 'GET', path: '/v3/principals', expect: { ids: [`local://${ids.base}`] } },
      { who: ['admin', 'plain'], method: 'GET', path: '/v3/roletemplates', expect: { total: builtinTemplates } },
      { who: 'base', method: 'GET', path: '/v3/roletemplates', expect: { ids: [] } },
      { who: ['plain', 'owner', 'base'], method: 'GET', path: '/v3/globalrolebindings', expect: { ids: [] } },
      { who: ['plain', 'base'], method: 'GET', path: '/v3/globalroles', expect: { ids: [] } },
      { who: ['owner', 'member'], method: 'GET', path: `/v3/clusterroletemplatebindings?clusterId=${A}`, expect: { total: 3 } },
      { who: ['nodesView', ...inP, 'plain'], method: 'GET', path: '/v3/clusterroletemplatebindings', expect: { ids: [] } },
      // P's three members, and its creator (the cluster owner) as project owner.
      { who: ['owner', ...inP], method: 'GET', path: `/v3/projectroletemplatebindings?projectId=${P}`, expect: { total: 4 } },
      { who: ['member', 'nodesView', 'plain'], method: 'GET', path: '/v3/projectroletemplatebindings', expect: { ids: [] } },
    ]);
  });

  test('what one may not see is not found (404), whatever the method', async () => {
    await check([
      { who: 'admin', method: 'GET', path: `/v3/clusters/${B}`, expect: 200 },
      { who: inA, method: 'GET', path: `/v3/clusters/${A}`, expect: 200 },
      { who: [...inA, 'plain', 'base'], method: 'GET', path: `/v3/clusters/${B}`, expect: 404 },
      { who: ['plain', 'base'], method: 'GET', path: '/v3/clusters/local', expect: 404 },
      { who: 'plain', method: 'PUT', path: `/v3/clusters/${A}`, body: { description: 'x' }, expect: 404 },
      { who: 'plain', method: 'DELETE', path: `/v3/clusters/${A}`, expect: 404 },
      { who: inP, method: 'GET', path: `/v3/projects/${P}`, expect: 200 },
      { who: [...inP, 'member', 'nodesView'], method: 'GET', path: `/v3/projects/${Q}`, expect: 404 },
      { who: 'owner', method: 'GET', path: `/v3/projects/${Q}`, expect: 200 },
      { who: 'nodesView', method: 'GET', path: `/v3/nodes/${nodes.a1}`, expect: 200 },
      { who: ['owner', 'nodesView'], method: 'GET', path: `/v3/nodes/${nodes.b1}`, expect: 404 },
      { who: inP, method: 'GET', path: `/v3/nodes/${nodes.a1}`, expect: 404 },
      { who: 'projMember', method: 'POST', path: `/v3/nodes/${nodes.a1}?action=cordon`, expect: 404 },
      { who: 'plain', method: 'GET', path: `/v3/users/${ids.admin}`, expect: 404 },
      { who: 'plain', method: 'DELETE', path: `/v3/users/${ids.base}`, expect: 404 },
      { who: 'plain', method: 'GET', path: `/v3/users/${ids.plain}`, expect: 200 },
      { who: 'plain', method: 'GET', path: `/v3/tokens/${tokenIds.admin[0]}`, expect: 404 },
      { who: 'admin', method: 'GET', path: `/v3/tokens/${tokenIds.plain[0]}`, expect: 404 },
      { who: 'admin', method: 'DELETE', path: `/v3/tokens/${tokenIds.plain[0]}`, expect: 404 },
      { who: 'base', method: 'GET', path: '/v3/roletemplates/cluster-owner', expect: 404 },
      { who: 'plain', method: 'GET', path: '/v3/roletemplates/cluster-owner', expect: 200 },
    ]);
  });

  test('creates, updates and deletes one may not do are refused (403); those one may do succeed', async () => {
    await check([
      { who: 'base', method: 'POST', path: '/v3/clusters', body: { name: 'by-base' }, expect: 403 },
      { who: ['member', 'nodesView', ...inP], method: 'PUT', path: `/v3/clusters/${A}`, body: { description: 'x' }, expect: 403 },
      { who: ['member', 'nodesView', ...inP], method: 'DELETE', path: `/v3/clusters/${A}`, expect: 403 },
      { who: 'owner', method: 'PUT', path: `/v3/clusters/${A}`, body: { description: 'owned' }, expect: 200 },
      { who: 'owner', method: 'DELETE', path: '/v3/clusters/local', expect: 404 },
      { who: ['nodesView', ...inP, 'plain'], method: 'POST', path: '/v3/projects', body: { clusterId: A, name: 'nope' }, expect: 403 },
      { who: 'member', method: 'POST', path: '/v3/projects', body: { clusterId: B, name: 'nope' }, expect: 403 },
      { who: ['projMember', 'readOnly'], method: 'PUT', path: `/v3/projects/${P}`, body: { description: 'x' }, expect: 403 },
      { who: inP, method: 'DELETE', path: `/v3/projects/${P}`, expect: 403 },
      { who: 'owner', method: 'PUT', path: `/v3/projects/${P}`, body: { description: 'owned' }, expect: 200 },
      { who: ['member', 'nodesView'], method: 'PUT', path: `/v3/nodes/${nodes.a1}`, body: { description: 'x' }, expect: 403 },
      { who: ['member', 'nodesView'], method: 'DELETE', path: `/v3/nodes/${nodes.a1}`, expect: 403 },
      { who: 'owner', method: 'PUT', path: `/v3/nodes/${nodes.a1}`, body: { description: 'owned' }, expect: 200 },
      { who: ['plain', 'base', 'owner'], method: 'POST', path: '/v3/users', body: { username: 'nope', password: 'nope-password-1' }, expect: 403 },
      { who: 'plain', method: 'PUT', path: `/v3/users/${ids.plain}`, body: { name: 'Plain' }, expect: 200 },
      { who: 'plain', method: 'PUT', path: `/v3/users/${ids.plain}`, body: { enabled: false }, expect: 403 },
      { who: ['plain', 'owner'], method: 'POST', path: '/v3/globalroles', body: { name: 'nope', rules: [] }, expect: 403 },
      { who: ['plain', 'owner'], method: 'POST', path: '/v3/roletemplates', body: { name: 'nope', context: 'cluster', rules: [] }, expect: 403 },
      { who: ['plain', 'owner'], method: 'POST', path: '/v3/globalrolebindings', body: { globalRoleId: 'user-base', userId: ids.base }, expect: 403 },
      { who: 'plain', method: 'PUT', path: '/v3/settings/password-min-length', body: { value: '13' }, expect: 403 },
      {
        who: ['member', 'nodesView', ...inP],
        method: 'POST',
        path: '/v3/clusterroletemplatebindings',
        body: { clusterId: A, roleTemplateId: 'nodes-view', userId: ids.plain },
        expect: 403,
      },
      {
        who: ['projMember', 'readOnly', 'member', 'nodesView'],
        method: 'POST',
        path: '/v3/projectroletemplatebindings',
        body: { projectId: P, roleTemplateId: 'read-only', userId: ids.plain },
        expect: 403,
      },
      { who: 'admin', method: 'DELETE', path: `/v3/nodes/${nodes.b1}`, expect: 204 },
    ]);
  });

  test('actions: cordoning a node needs update on nodes, and only those who may are offered it', async () => {
    const node = (who: Who) => request(who, 'GET', `/v3/nodes/${nodes.a2}`);
    const asViewer = (await node('nodesView')).json;
    assert.equal(asViewer.actions, undefined, 'no actions offered');
    assert.equal(asViewer.links.update, undefined);
    assert.equal(asViewer.links.remove, undefined);
    const asOwner = (await node('owner')).json;
    assert.ok(asOwner.actions?.cordon, JSON.stringify(asOwner.actions));
    assert.ok(asOwner.links.update && asOwner.links.remove);
    await check([
      { who: ['nodesView', 'member'], method: 'POST', path: `/v3/nodes/${nodes.a2}?action=cordon`, expect: 403 },
      { who: 'owner', method: 'POST', path: `/v3/nodes/${nodes.a2}?action=cordon`, expect: 200 },
      { who: 'owner', method: 'POST', path: `/v3/nodes/${nodes.a2}?action=cordon`, expect: 404 },
      { who: 'nodesView', method: 'POST', path: `/v3/nodes/${nodes.a2}?action=uncordon`, expect: 403 },
      { who: 'admin', method: 'POST', path: `/v3/nodes/${nodes.a2}?action=uncordon`, expect: 200 },
    ]);
    assert.equal((await node('member')).json.unschedulable, false);
  });

  test('/v3/schemas show each user the methods they may use', async () => {
    const methods = async (who: Who, type: string) => {
      const res = await request(who, 'GET', `/v3/schemas/${type}`);
      assert.equal(res.status, 200, res.text);
      return { collection: res.json.collectionMethods as string[], resource: res.json.resourceMethods as string[] };
    };
    const rows: [Who, string, string[], string[]][] = [
      ['admin', 'cluster', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['owner', 'cluster', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['plain', 'cluster', ['GET', 'POST'], ['GET']],
      ['member', 'cluster', ['GET', 'POST'], ['GET']],
      ['base', 'cluster', ['GET'], ['GET']],
      ['owner', 'node', ['GET'], ['GET', 'PUT', 'DELETE']],
      ['nodesView', 'node', ['GET'], ['GET']],
      ['owner', 'project', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['member', 'project', ['GET', 'POST'], ['GET']],
      ['readOnly', 'project', ['GET'], ['GET']],
      ['admin', 'user', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['owner', 'clusterRoleTemplateBinding', ['GET', 'POST'], ['GET', 'DELETE']],
      ['member', 'clusterRoleTemplateBinding', ['GET'], ['GET']],
      ['projOwner', 'projectRoleTemplateBinding', ['GET', 'POST'], ['GET', 'DELETE']],
      ['projMember', 'projectRoleTemplateBinding', ['GET'], ['GET']],
      ['admin', 'globalRole', ['GET', 'POST'], ['GET', 'PUT', 'DELETE']],
      ['plain', 'globalRole', ['GET'], ['GET']],
    ];
    const failures: string[] = [];
    for (const [who, type, collection, resource] of rows) {
      const got = await methods(who, type);
      if (JSON.stringify(got) !== JSON.stringify({ collection, resource })) failures.push(`${who} ${type}: ${JSON.stringify(got)}, expected ${JSON.stringify({ collection, resource })}`);
    }
    assert.deepEqual(failures, []);
    const plainUsers = await methods('plain', 'user');
    assert.deepEqual(plainUsers.collection, ['GET'], 'a plain user may not create users');
  });

  test('allowed creates: a plain user creates a cluster, a cluster member a project', async () => {
    const cluster = await ok(request('plain', 'POST', '/v3/clusters', { name: 'plains' }));
    await check([{ who: 'plain', method: 'GET', path: '/v3/clusters', expect: { ids: [cluster.id] } }]);
    const project = await ok(request('member', 'POST', '/v3/projects', { clusterId: A, name: 'members' }));
    await check([
      { who: 'member', method: 'GET', path: '/v3/projects', expect: { ids: [project.id] } },
      // Its creator is its project owner: may edit it (as in Rancher), not delete it (that is the cluster owner's).
      { who: 'member', method: 'PUT', path: `/v3/projects/${project.id}`, body: { description: 'x' }, expect: 200 },
      { who: 'member', method: 'DELETE', path: `/v3/projects/${project.id}`, expect: 403 },
      { who: 'owner', method: 'DELETE', path: `/v3/projects/${project.id}`, expect: 204 },
      { who: 'plain', method: 'DELETE', path: `/v3/clusters/${cluster.id}`, expect: 204 },
    ]);
  });
});
