import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { startTestServer, type TestServer } from '../testing/test-server.js';
import { until } from '../testing/wait.js';
import { parseProxyHeader, ProxyHeaderError } from './proxy-protocol.js';

const v2 = (command: number, family: number, body: Buffer) =>
  Buffer.concat([Buffer.from('0d0a0d0a000d0a515549540a', 'hex'), Buffer.from([0x20 | command, family, body.length >> 8, body.length & 0xff]), body]);
const tcp4Body = Buffer.from([203, 0, 113, 7, 127, 0, 0, 1, 0x9c, 0x40, 0x01, 0xbb]);

describe('PROXY protocol headers', () => {
  test('v1: TCP4, TCP6 and UNKNOWN lines; partial lines wait; malformed ones are refused', () => {
    const line = Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 40000 443\r\n\x16\x03\x01');
    assert.deepEqual(parseProxyHeader(line), { client: '203.0.113.7', length: line.length - 3 });
    assert.deepEqual(parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::7 fd00::1 40000 443\r\n')), { client: '2001:db8::7', length: 42 });
    assert.deepEqual(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')), { client: undefined, length: 15 });
    assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 203.0')), undefined);
    assert.equal(parseProxyHeader(Buffer.from('PRO')), undefined);
    assert.throws(() => parseProxyHeader(Buffer.from('PROXY TCP4 not-an-ip 10.0.0.1 1 2\r\n')), ProxyHeaderError);
    assert.throws(() => parseProxyHeader(Buffer.from('PROXY TCP6 203.0.113.7 10.0.0.1 1 2\r\n')), ProxyHeaderError);
    assert.throws(() => parseProxyHeader(Buffer.from(`PROXY ${'x'.repeat(120)}`)), ProxyHeaderError);
  });

  test('v2: PROXY over TCP4 and TCP6, LOCAL (health checks); partial headers wait; bad versions are refused', () => {
    assert.deepEqual(parseProxyHeader(v2(1, 0x11, tcp4Body)), { client: '203.0.113.7', length: 28 });
    const six = Buffer.alloc(36);
    six.writeUInt16BE(0x2001, 0);
    six.writeUInt16BE(0x0db8, 2);
    six.writeUInt16BE(7, 14);
    assert.deepEqual(parseProxyHeader(v2(1, 0x21, six)), { client: '2001:db8::7', length: 52 });
    assert.deepEqual(parseProxyHeader(v2(0, 0x00, Buffer.alloc(0))), { client: undefined, length: 16 });
    assert.equal(parseProxyHeader(v2(1, 0x11, tcp4Body).subarray(0, 20)), undefined);
    const badVersion = v2(1, 0x11, tcp4Body);
    badVersion[12] = 0x11;
    assert.throws(() => parseProxyHeader(badVersion), ProxyHeaderError);
  });

  test('anything else is a direct client (a TLS ClientHello)', () => {
    assert.equal(parseProxyHeader(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])), null);
    assert.equal(parseProxyHeader(Buffer.from('GET / HTTP/1.1\r\n')), null);
  });
});

/** GET `path` over a TCP connection that first sends `prefix`, then TLS; resolves with the status. */
async function getWithPrefix(srv: TestServer, prefix: Buffer, path: string): Promise<number> {
  const { port } = new URL(srv.url);
  const tcp = connectTcp(Number(port), '127.0.0.1');
  await once(tcp, 'connect');
  if (prefix.length > 0) tcp.write(prefix);
  const tls = connectTls({ socket: tcp, ca: srv.ca, servername: 'localhost' });
  return new Promise((resolve, reject) => {
    const req = request(`${srv.url}${path}`, { createConnection: () => tls, ca: srv.ca }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function auditedSources(srv: TestServer, path: string): Promise<string[]> {
  const lines = (await readFile(join(srv.dataDir, 'audit', 'audit.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return lines.map((l) => JSON.parse(l) as { requestURI: string; sourceIPs: string[] }).filter((e) => e.requestURI === path).flatMap((e) => e.sourceIPs);
}

test('behind a trusted balancer the client address of the header is the request\'s; a bad header is refused', async () => {
  const srv = await startTestServer({ proxyProtocolFrom: '127.0.0.1' });
  try {
    assert.equal(await getWithPrefix(srv, Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\r\n'), '/v3/clusters?from=v1'), 401);
    assert.equal(await getWithPrefix(srv, v2(1, 0x11, Buffer.from([198, 51, 100, 9, 127, 0, 0, 1, 0x9c, 0x40, 0x01, 0xbb])), '/v3/clusters?from=v2'), 401);
    // The balancer's own health check (LOCAL) is its own address.
    assert.equal(await getWithPrefix(srv, v2(0, 0x00, Buffer.alloc(0)), '/v3/clusters?from=local'), 401);
    await until('the audit log', async () => (await auditedSources(srv, '/v3/clusters?from=local')).length > 0);
    assert.deepEqual(await auditedSources(srv, '/v3/clusters?from=v1'), ['203.0.113.7']);
    assert.deepEqual(await auditedSources(srv, '/v3/clusters?from=v2'), ['198.51.100.9']);
    assert.deepEqual(await auditedSources(srv, '/v3/clusters?from=local'), ['127.0.0.1']);
    await assert.rejects(getWithPrefix(srv, Buffer.from('PROXY TCP4 garbage\r\n'), '/v3/clusters'));
    // Without a header a connection from the balancer's address is refused: nothing there may pass for a client.
    await assert.rejects(getWithPrefix(srv, Buffer.alloc(0), '/v3/clusters?from=direct'));
    // A TCP check that connects and goes: nothing to log, nothing left behind.
    const check = connectTcp(Number(new URL(srv.url).port), '127.0.0.1');
    await once(check, 'connect');
    check.end();
    await once(check, 'close');
  } finally {
    await srv.close();
  }
});

test('from an address not trusted, a PROXY header is never read: the connection fails its TLS handshake', async () => {
  const srv = await startTestServer({ proxyProtocolFrom: '10.255.0.1' });
  try {
    await assert.rejects(getWithPrefix(srv, Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\r\n'), '/v3/clusters'));
    assert.equal(await getWithPrefix(srv, Buffer.alloc(0), '/v3/clusters'), 401);
  } finally {
    await srv.close();
  }
});
