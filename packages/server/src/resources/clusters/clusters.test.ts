import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { until } from '../../testing/wait.js';
import { useTestServer } from '../../testing/test-server.js';


describe('clusters and registration tokens', () => {
  const ctx = useTestServer();

  test('the built-in local cluster is active and cannot be removed', async () => {
    const local = await ctx.srv.request('GET', '/v3/clusters/local', { token: ctx.token });
    assert.equal(local.json.internal, true);
    assert.equal(local.json.driver, 'local');
    assert.equal(local.json.state, 'active');
    assert.equal(local.json.links.remove, undefined);
  });

  test('a custom cluster says it waits for nodes, and gets a default registration token', async () => {
    const created = await ctx.srv.request('POST', '/v3/cluster', {
      token: ctx.token,
      body: { type: 'cluster', nodes: [], rancherKubernetesEngineConfig: { ignoreDockerVersion: true, network: { plugin: 'canal', mtu: 1450 }, custom: { x: 1 } }, name: 'custom-one' },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.state, 'provisioning');
    assert.equal(created.json.transitioning, 'yes');
    assert.equal(created.json.transitioningMessage, 'Waiting for nodes to provision or a valid configuration');
    assert.equal(created.json.driver, 'rancherKubernetesEngine');
    assert.equal(created.json.nodes, undefined, 'unknown fields are dropped');
    const rke = created.json.rancherKubernetesEngineConfig;
    assert.deepEqual(rke.custom, { x: 1 }, 'undeclared RKE fields are stored as given');
    assert.equal(rke.network.mtu, 1450);
    const condition = created.json.conditions.find((c: { type: string }) => c.type === 'Provisioned');
    assert.equal(condition.status, 'Unknown');
    const id = created.json.id;
    const crt = await until('default token', async () => {
      const list = await ctx.srv.request('GET', `/v3/clusterregistrationtokens?clusterId=${id}`, { token: ctx.token });
      return list.json.data[0];
    });
    assert.equal(crt.id, `${id}:default-token`);
    assert.match(crt.token, /^[a-z0-9]{54}$/);
  });

  test('an imported cluster (no config) waits for its agent', async () => {
    const created = await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 'imported-one' } });
    assert.equal(created.json.driver, 'imported');
    assert.equal(created.json.state, 'pending');
    assert.match(created.json.transitioningMessage, /agent/);
  });

  test('registration tokens carry the node command with the seed\'s checksum', async () => {
    const cluster = (await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 'with-token', rancherKubernetesEngineConfig: {} } })).json;
    const crt = await ctx.srv.request('POST', '/v3/clusterregistrationtoken', { token: ctx.token, body: { type: 'clusterRegistrationToken', clusterId: cluster.id } });
    assert.equal(crt.status, 201, crt.text);
    const cacerts = (await ctx.srv.request('GET', '/v3/settings/cacerts')).json.value as string;
    assert.ok(!cacerts.endsWith('\n'));
    const checksum = createHash('sha256').update(`${cacerts}\n`).digest('hex');
    const image = (await ctx.srv.request('GET', '/v3/settings/agent-image', { token: ctx.token })).json.value;
    assert.equal(
      crt.json.nodeCommand,
      `sudo docker run -d --privileged --restart=unless-stopped --net=host -v /etc/kubernetes:/etc/kubernetes -v /var/run:/var/run ${image} --server ${ctx.srv.url} --token ${crt.json.token} --ca-checksum ${checksum}`,
    );
    assert.equal(crt.json.agentCommand, `paddock agent --server ${ctx.srv.url} --token ${crt.json.token} --ca-checksum ${checksum}`);
    assert.match(crt.json.insecureNodeCommand, /curl --insecure -sfL .*\/v3\/settings\/cacerts \| jq -r \.value \| sha256sum/);
    assert.equal(crt.json.manifestUrl, `${ctx.srv.url}/v3/import/${crt.json.token}_${cluster.id}.yaml`);
    assert.equal(crt.json.command, `kubectl apply -f ${crt.json.manifestUrl}`);
    const manifest = await ctx.srv.request('GET', `/v3/import/${crt.json.token}_${cluster.id}.yaml`);
    assert.equal(manifest.status, 200, manifest.text);
    assert.match(manifest.text, new RegExp(`value: ${checksum}`), 'the manifest pins the same CA checksum');

    const set = await ctx.srv.request('PUT', '/v3/settings/server-url', { token: ctx.token, body: { value: 'https://paddock.example.com' } });
    assert.equal(set.status, 200, set.text);
    const again = await ctx.srv.request('GET', `/v3/clusterregistrationtokens/${crt.json.id}`, { token: ctx.token });
    assert.match(again.json.nodeCommand, / --server https:\/\/paddock\.example\.com --token /);
    await ctx.srv.request('PUT', '/v3/settings/server-url', { token: ctx.token, body: { value: '' } });
  });

  test('renaming keeps names unique; deleting removes the cluster\'s tokens', async () => {
    const a = (await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 'keep-a' } })).json;
    const b = (await ctx.srv.request('POST', '/v3/clusters', { token: ctx.token, body: { name: 'keep-b' } })).json;
    const clash = await ctx.srv.request('PUT', `/v3/clusters/${b.id}`, { token: ctx.token, body: { name: 'KEEP-A'.toLowerCase() } });
    assert.equal(clash.json.code, 'NotUnique');
    await until('default token', async () => (await ctx.srv.server.store.get('clusterRegistrationToken', `${a.id}:default-token`)) ?? undefined);
    const extra = await ctx.srv.request('POST', '/v3/clusterregistrationtokens', { token: ctx.token, body: { clusterId: a.id } });
    assert.equal(extra.status, 201);
    assert.equal((await ctx.srv.request('DELETE', `/v3/clusters/${a.id}`, { token: ctx.token })).status, 204);
    assert.equal((await ctx.srv.request('GET', `/v3/clusters/${a.id}`, { token: ctx.token })).status, 404);
    await until('tokens removed', async () => {
      const list = await ctx.srv.request('GET', `/v3/clusterregistrationtokens?clusterId=${a.id}`, { token: ctx.token });
      return list.json.data.length === 0 ? true : undefined;
    });
  });
});
