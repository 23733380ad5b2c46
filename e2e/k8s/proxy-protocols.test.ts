import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestServer, type TestServer } from '../../packages/server/src/testing/test-server.js';
import { until } from '../../packages/server/src/testing/wait.js';
import { kubectl, startK8sTestEnv, type K8sTestEnv } from '../support/k8s-testenv.js';

/** Bytes in Buffers still referenced (garbage collected first, so only what is really held counts). */
function buffersAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().arrayBuffers;
}

interface Raw {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/**
 * What the wire carries through the proxy, byte for byte: protobuf, chunked lists, every PATCH content type, a
 * websocket upgrade answered by the apiserver itself, and a client that never reads a large list.
 */
describe('the Kubernetes proxy carries every kind of API call to a real kube-apiserver', () => {
  let k8s: K8sTestEnv;
  let srv: TestServer;
  let admin: string;
  let base: string;

  before(async () => {
    [k8s, srv] = await Promise.all([startK8sTestEnv({ controllerManager: false }), startTestServer()]);
    admin = await srv.adminToken();
    const kubeConfig = await readFile(k8s.kubeconfigPath, 'utf8');
    const created = await srv.request('POST', '/v3/clusters', { token: admin, body: { name: 'protocols', importedConfig: { kubeConfig } } });
    assert.equal(created.status, 201, created.text);
    base = `/k8s/clusters/${created.json.id}`;
    // The global admin is cluster-admin once Paddock's RBAC sync has run in the cluster.
    // (Kubernetes applies a new binding through its own informer: wait until what the tests do is allowed.)
    const allowed = async () => (await Promise.all(['/api/v1/namespaces', '/api/v1/namespaces/default/configmaps', '/api/v1/nodes'].map((p) => call('GET', p)))).every((r) => r.status === 200);
    await until('cluster-admin in the cluster', allowed, 30_000);
  });
  after(async () => {
    await srv?.close();
    await k8s?.stop();
  });

  function options(method: string, path: string, headers: Record<string, string> = {}): RequestOptions {
    const { hostname, port } = new URL(srv.url);
    return { hostname, port, method, path: `${base}${path}`, ca: srv.ca, headers: { authorization: `Bearer ${admin}`, ...headers } };
  }

  function call(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(options(method, path, headers), (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  // `any`: Kubernetes objects of many kinds, read loosely by the assertions.
  const json = (r: Raw) => JSON.parse(r.body.toString('utf8')) as Record<string, any>;

  test('protobuf in and out', async () => {
    const list = await call('GET', '/api/v1/namespaces', { accept: 'application/vnd.kubernetes.protobuf' });
    assert.equal(list.status, 200);
    assert.equal(list.headers['content-type'], 'application/vnd.kubernetes.protobuf');
    // Kubernetes' protobuf envelope starts with the magic "k8s\0".
    assert.deepEqual([...list.body.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00]);
    assert.ok(list.body.includes(Buffer.from('kube-system')));
  });

  test('chunked lists: limit and continue, page by page', async () => {
    const items = Array.from({ length: 25 }, (_, i) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"chunk-${i}","namespace":"default"}}`);
    const made = await kubectl(k8s, ['apply', '-f', '-'], `{"apiVersion":"v1","kind":"List","items":[${items.join(',')}]}`);
    assert.equal(made.code, 0, made.stderr);
    const names: string[] = [];
    let next = '';
    let pages = 0;
    do {
      const page = json(await call('GET', `/api/v1/namespaces/default/configmaps?labelSelector=&limit=10${next ? `&continue=${encodeURIComponent(next)}` : ''}`));
      names.push(...(page.items as { metadata: { name: string } }[]).map((i) => i.metadata.name).filter((n) => n.startsWith('chunk-')));
      next = page.metadata.continue ?? '';
      pages++;
    } while (next);
    assert.ok(pages >= 3, `${pages} pages`);
    assert.equal(new Set(names).size, 25);
  });

  test('PATCH in all its content types: merge, JSON patch, strategic merge, server-side apply', async () => {
    const create = await call('POST', '/api/v1/namespaces/default/configmaps', { 'content-type': 'application/json' }, '{"metadata":{"name":"patched"},"data":{"a":"1"}}');
    assert.equal(create.status, 201, create.body.toString());
    const patches: [string, string, Record<string, string>][] = [
      ['application/merge-patch+json', '{"data":{"b":"2"}}', { a: '1', b: '2' }],
      ['application/json-patch+json', '[{"op":"add","path":"/data/c","value":"3"}]', { a: '1', b: '2', c: '3' }],
      ['application/strategic-merge-patch+json', '{"data":{"a":null}}', { b: '2', c: '3' }],
    ];
    for (const [type, body, expected] of patches) {
      const res = await call('PATCH', '/api/v1/namespaces/default/configmaps/patched', { 'content-type': type }, body);
      assert.equal(res.status, 200, `${type}: ${res.body.toString()}`);
      assert.deepEqual(json(res).data, expected, type);
    }
    const applied = await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/by-apply?fieldManager=paddock-test',
      { 'content-type': 'application/apply-patch+yaml' },
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: by-apply\n  namespace: default\ndata:\n  applied: "yes"\n',
    );
    assert.equal(applied.status, 201, applied.body.toString());
    assert.equal(json(applied).metadata.managedFields[0].manager, 'paddock-test');
  });

  test('a quiet watch gets its 200 and headers at once, not with its first event', async () => {
    const rv = json(await call('GET', '/api/v1/namespaces')).metadata.resourceVersion as string;
    const quiet = new Promise<string>((resolve) => setTimeout(() => resolve('no headers within 10 s'), 10_000).unref());
    const status = await Promise.race([quiet, new Promise<number>((resolve, reject) => {
      // From the current version: nothing to send until something changes.
      const req = httpsRequest(options('GET', `/api/v1/namespaces?watch=1&resourceVersion=${rv}`), (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
      req.end();
    })]);
    assert.equal(status, 200);
  });

  test('300 watches at once, more than any connection pool would hold: all open, all see a change', async () => {
    const count = 300;
    const seen = new Set<number>();
    const opened = new Set<number>();
    const requests = Array.from({ length: count }, (_, i) => {
      const req = httpsRequest({ ...options('GET', '/api/v1/namespaces?watch=1'), agent: false }, (res) => {
        opened.add(i);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => void (chunk.includes('"name":"seen-by-all"') && seen.add(i)));
        res.on('error', () => undefined);
      });
      req.on('error', () => undefined);
      req.end();
      return req;
    });
    try {
      await until('every watch open', () => opened.size === count, 60_000);
      assert.equal((await kubectl(k8s, ['create', 'namespace', 'seen-by-all'])).code, 0);
      await until('the change seen by every watch', () => seen.size === count, 30_000);
    } finally {
      for (const req of requests) req.destroy();
    }
  });

  test('an upgrade is spliced: a websocket watch answered by the apiserver itself', async () => {
    const { hostname, port } = new URL(srv.url);
    const socket = tlsConnect({ host: hostname, port: Number(port), ca: srv.ca });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const key = Buffer.from('0123456789abcdef').toString('base64');
    socket.write(
      `GET ${base}/api/v1/namespaces/default/configmaps?watch=true HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${admin}\r\n` +
        `Origin: ${srv.url}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Protocol: base64.binary.k8s.io\r\n\r\n`,
    );
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    try {
      await until('the 101 from the apiserver', () => received.includes('\r\n\r\n'));
      assert.match(received, /^HTTP\/1\.1 101 Switching Protocols/);
      assert.match(received, /sec-websocket-protocol: base64\.binary\.k8s\.io/i);
      // The first watch events (ADDED for existing configmaps) arrive as base64 websocket frames.
      await until('a watch event over the websocket', () => (received.split('\r\n\r\n')[1]?.length ?? 0) > 10, 10_000);
    } finally {
      socket.destroy();
    }
  });

  test('a client that never reads a 20 MB list holds no more than a little of it; other requests go on', async () => {
    const blob = 'x'.repeat(900 * 1024);
    for (let i = 0; i < 24; i++) {
      const r = await call('POST', '/api/v1/namespaces/default/configmaps', { 'content-type': 'application/json' }, JSON.stringify({ metadata: { name: `big-${i}` }, data: { blob } }));
      assert.equal(r.status, 201, r.body.toString().slice(0, 200));
    }
    const before = buffersAfterGc();
    // The reader is another process (curl into a pipe nobody reads), so this process's memory is the server's own.
    const url = `${srv.url}${base}/api/v1/namespaces/default/configmaps`;
    // In a process group of its own, so that it ends with the pipe's writer and reader.
    const reader = spawn('sh', ['-c', `curl -sk -H "Authorization: Bearer ${admin}" "${url}" | sleep 60`], { stdio: 'ignore', detached: true });
    try {
      await sleep(2_000);
      // The least of a few samples: data in flight comes and goes, a list buffered whole would stay (20+ MB).
      const samples: number[] = [];
      for (let i = 0; i < 4; i++, await sleep(500)) samples.push(buffersAfterGc() - before);
      const held = Math.min(...samples);
      assert.ok(held < 4 * 1024 * 1024, `${(held / 1048576).toFixed(1)} MiB held for a reader that does not read`);
      const other = await call('GET', '/api/v1/namespaces/kube-system');
      assert.equal(other.status, 200, 'the proxy goes on serving others');
    } finally {
      if (reader.pid !== undefined) process.kill(-reader.pid);
    }
    const cleanup = await kubectl(k8s, ['delete', 'configmaps', '-n', 'default', '--all']);
    assert.equal(cleanup.code, 0, cleanup.stderr);
  });
});
