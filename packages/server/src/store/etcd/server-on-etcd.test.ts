import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:tls';
import { startEtcd, type EtcdProcess } from '../../testing/etcd-process.js';
import { startTestServer } from '../../testing/test-server.js';

describe('paddock server with --datastore etcd', () => {
  let etcd: EtcdProcess;
  let dataDir: string;
  before(async () => {
    etcd = await startEtcd();
    dataDir = await mkdtemp(join(tmpdir(), 'paddock-etcd-server-'));
  });
  after(async () => {
    await etcd.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('serves the API from etcd, and what it wrote is there after a restart', async () => {
    const flags = { datastore: 'etcd', etcdEndpoints: etcd.endpoint, dataDir };
    const first = await startTestServer(flags);
    const token = await first.adminToken();
    const created = await first.request('POST', '/v3/clusters', { token, body: { name: 'kept-in-etcd' } });
    assert.equal(created.status, 201, created.text);
    const key = await first.request('POST', '/v3/tokens', { token, body: { description: 'survives' } });
    await first.close({ keepDataDir: true });

    const second = await startTestServer(flags);
    try {
      const clusters = await second.request('GET', '/v3/clusters?name=kept-in-etcd', { token: key.json.token });
      assert.equal(clusters.status, 200, clusters.text);
      assert.deepEqual(clusters.json.data.map((c: { id: string }) => c.id), [created.json.id]);
      const projects = await second.request('GET', `/v3/projects?clusterId=${created.json.id}`, { token: key.json.token });
      assert.deepEqual(projects.json.data.map((p: { name: string }) => p.name).sort(), ['Default', 'System']);
    } finally {
      await second.close({ keepDataDir: true });
    }
  });

  test('the serving certificate covers --advertise-address, where the other replicas dial', async () => {
    const srv = await startTestServer({ datastore: 'etcd', etcdEndpoints: etcd.endpoint, advertiseAddress: 'replica-7.paddock.test:9443' });
    try {
      const { port } = new URL(srv.url);
      const socket = connect({ host: '127.0.0.1', port: Number(port), ca: srv.ca, servername: 'replica-7.paddock.test' });
      await once(socket, 'secureConnect');
      const names = socket.getPeerCertificate().subjectaltname ?? '';
      socket.destroy();
      assert.match(names, /DNS:replica-7\.paddock\.test/);
    } finally {
      await srv.close();
    }
  });

  test('an unreachable etcd is a clear start-up error', async () => {
    await assert.rejects(startTestServer({ datastore: 'etcd', etcdEndpoints: 'http://127.0.0.1:1', dataDir }), /cannot reach etcd at http:\/\/127\.0\.0\.1:1/);
  });
});
