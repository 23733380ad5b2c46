import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../../testing/test-server.js';
import { until } from '../../testing/wait.js';
import { AuditFile } from './audit-file.js';
import { AuditLog, resourceOf } from './audit-log.js';
import { REDACTED, redact } from './redact.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIRAK\n-----END CERTIFICATE-----\n';

async function entries(srv: TestServer): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(srv.dataDir, 'audit', 'audit.log'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('audit: redaction', () => {
  test('secret fields, PEM blocks and token values are redacted wherever they are', () => {
    const out = redact({
      username: 'alice',
      password: 'hunter2-hunter2',
      nested: [{ newPassword: 'x' }, { note: `my key is token-abcde:${'s'.repeat(40)} ok` }],
      value: PEM,
      nodeCommand: 'docker run ... --token abc',
      token: 'token-abcde:secret',
      empty: '',
    }) as Record<string, unknown>;
    assert.equal(out.username, 'alice');
    assert.equal(out.password, REDACTED);
    assert.deepEqual(out.nested, [{ newPassword: REDACTED }, { note: `my key is token-abcde:${REDACTED} ok` }]);
    assert.equal(out.value, '[redacted PEM]\n');
    assert.equal(out.nodeCommand, REDACTED);
    assert.equal(out.token, REDACTED);
  });

  test('kubeconfig text: base64 PEM anywhere, and the values of *-data, token and password keys', () => {
    const b64 = Buffer.from(PEM).toString('base64');
    const kubeconfig = [
      'clusters:',
      '  - name: c',
      '    cluster:',
      '      server: https://paddock.test/k8s/clusters/c-abcde',
      `      certificate-authority-data: ${b64}`,
      'users:',
      '  - name: c',
      '    user:',
      '      client-certificate-data: Y2VydA==',
      '      client-key-data: a2V5',
      '      token: kubeconfig-u-abcde.c-abcde:not-a-paddock-token',
      '      password: "hunter2"',
      '  - name: exec',
      '    user:',
      '      id-token: |',
      '        eyJhbGciOi',
      '        JSUzI1NiJ9',
      '      username: admin',
      'current-context: c',
    ].join('\n');
    const out = redact({ config: kubeconfig, note: `ca is ${b64} there` }) as Record<string, string>;
    const lines = String(out.config).split('\n');
    assert.deepEqual(lines.slice(4, 5), [`      certificate-authority-data: ${REDACTED}`]);
    assert.deepEqual(lines.slice(8, 12), [`      client-certificate-data: ${REDACTED}`, `      client-key-data: ${REDACTED}`, `      token: ${REDACTED}`, `      password: ${REDACTED}`]);
    assert.deepEqual(lines.slice(14), [`      id-token: ${REDACTED}`, '      username: admin', 'current-context: c'], 'a block scalar goes with its key');
    assert.ok(lines.includes('      server: https://paddock.test/k8s/clusters/c-abcde'), 'the rest is kept');
    assert.equal(out.note, 'ca is [redacted PEM] there');
    assert.equal(redact('the token: field of a kubeconfig'), 'the token: field of a kubeconfig', 'prose is not YAML');
    assert.equal(redact('tokens:\n  - id: t'), 'tokens:\n  - id: t', 'a key with nothing after it is left');
  });

  test('the resource a path names', () => {
    assert.deepEqual(resourceOf('/v3/Clusters/c-abcde?x=1'), { resourceType: 'clusters', resourceId: 'c-abcde' });
    assert.deepEqual(resourceOf('/v3/nodes/c-a%3Am-b'), { resourceType: 'nodes', resourceId: 'c-a:m-b' });
    assert.deepEqual(resourceOf('/v3/nodes/%E0%A4'), { resourceType: 'nodes', resourceId: '%E0%A4' });
    assert.deepEqual(resourceOf('/cacerts'), {});
  });
});

describe('audit: the file', () => {
  test('rotates by size and keeps maxBackups files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paddock-audit-'));
    try {
      const path = join(dir, 'audit.log');
      const file = new AuditFile({ path, maxBytes: 1000, maxBackups: 2 });
      const log = new AuditLog({ level: 1, file, echo: undefined, now: () => new Date() });
      for (let i = 0; i < 40; i++) {
        log.record({ method: 'GET', url: `/v3/clusters/c-${i}`, sourceIp: '127.0.0.1', userAgent: 'test', status: 200, latencyMs: 1, caller: undefined, requestBody: undefined, responsePayload: undefined });
      }
      await log.close();
      assert.deepEqual((await readdir(dir)).sort(), ['audit.log', 'audit.log.1', 'audit.log.2']);
      for (const name of ['audit.log', 'audit.log.1', 'audit.log.2']) {
        const text = await readFile(join(dir, name), 'utf8');
        assert.ok(Buffer.byteLength(text) <= 1000, `${name} is ${Buffer.byteLength(text)} bytes`);
        for (const line of text.split('\n').filter(Boolean)) JSON.parse(line);
      }
      const newest = await readFile(path, 'utf8');
      assert.match(newest, /c-39/, 'the newest entries are in the current file');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('echoes to stdout when configured, and level 0 writes nothing', () => {
    const lines: string[] = [];
    const request = { method: 'GET', url: '/v3', sourceIp: '::1', userAgent: undefined, status: 200, latencyMs: 0.5, caller: undefined, requestBody: undefined, responsePayload: undefined };
    new AuditLog({ level: 1, file: undefined, echo: (l) => lines.push(l), now: () => new Date(0) }).record(request);
    new AuditLog({ level: 0, file: undefined, echo: (l) => lines.push(l), now: () => new Date(0) }).record(request);
    assert.equal(lines.length, 1);
    assert.equal(JSON.parse(lines[0] ?? '').stageTimestamp, '1970-01-01T00:00:00.000Z');
  });
});

describe('audit: a real server at every level', () => {
  for (const level of ['1', '2', '3'] as const) {
    test(`level ${level}: allowed and denied requests are recorded, no secret is`, async () => {
      const srv = await startTestServer({ auditLevel: level });
      try {
        const admin = await srv.adminToken();
        const key = await srv.request('POST', '/v3/tokens', { token: admin, body: { description: 'ci' } });
        const secret = String(key.json.token).split(':')[1] ?? '';
        const cacerts = await srv.request('GET', '/v3/settings/cacerts', { token: admin });
        const cluster = await srv.request('POST', '/v3/clusters', { token: admin, body: { name: 'audited' } });
        const crt = await until('registration token', async () => {
          const r = await srv.request('GET', `/v3/clusterregistrationtokens?clusterId=${cluster.json.id}`, { token: admin });
          return r.json.data[0];
        });
        const alice = await srv.request('POST', '/v3/users', { token: admin, body: { username: 'alice', password: 'alice-secret-password' } });
        const aliceToken = await srv.login('alice', 'alice-secret-password');
        const denied = await srv.request('POST', '/v3/settings', { token: aliceToken, body: { name: 'x', value: 'y' } });
        assert.equal(denied.status, 403);
        const unauthenticated = await srv.request('GET', '/v3/clusters', { token: 'token-zzzzz:wrong' });
        assert.equal(unauthenticated.status, 401);
        const kubeconfig = await srv.request('POST', `/v3/clusters/${cluster.json.id}?action=generateKubeconfig`, { token: admin });
        assert.equal(kubeconfig.status, 200, kubeconfig.text);
        const config = String(kubeconfig.json.config);
        const caData = /certificate-authority-data: *"?([A-Za-z0-9+/=]+)/.exec(config)?.[1] ?? '';
        const kubeconfigToken = /token: *"?(token-[a-z0-9]{5}:[A-Za-z0-9]+)/.exec(config)?.[1] ?? '';
        assert.ok(caData.startsWith('LS0tLS1CRUdJTi') && kubeconfigToken !== '', config);
        await srv.request('GET', `/v3/import/${crt.token}.yaml`, { insecure: true });

        const log = await until('the last entries', async () => {
          const all = await entries(srv);
          return all.some((e) => String(e.requestURI).startsWith('/v3/import/')) && all;
        });
        const forbidden = log.find((e) => e.responseStatus === 403);
        assert.ok(forbidden, 'the denied request is recorded');
        assert.equal((forbidden.user as { id: string }).id, alice.json.id);
        assert.equal(forbidden.verb, 'POST');
        assert.equal(forbidden.resourceType, 'settings');
        assert.equal(typeof forbidden.latencyMs, 'number');
        const refused = log.find((e) => e.responseStatus === 401 && e.requestURI === '/v3/clusters');
        assert.ok(refused, 'the unauthenticated request is recorded');
        assert.equal(refused.user, null);
        const created = log.find((e) => e.verb === 'POST' && e.resourceType === 'clusters');
        assert.equal(created?.responseStatus, 201);
        if (level === '1') assert.equal(created?.requestBody, undefined);
        if (level !== '1') assert.deepEqual(created?.requestBody, { name: 'audited' });
        if (level === '3') assert.equal((created?.responseBody as { name: string }).name, 'audited');
        const generated = log.find((e) => String(e.requestURI).endsWith('?action=generateKubeconfig'));
        assert.equal(generated?.responseStatus, 200);
        if (level === '3') {
          // The kubeconfig is recorded with its shape, not its credentials.
          const recorded = String((generated?.responseBody as { config?: string }).config);
          assert.match(recorded, /certificate-authority-data: \[redacted\]/);
          assert.match(recorded, /token: \[redacted\]/);
          assert.match(recorded, /current-context: audited/);
        }

        const text = await readFile(join(srv.dataDir, 'audit', 'audit.log'), 'utf8');
        const kubeconfigSecret = kubeconfigToken.split(':')[1] ?? '';
        const leaks = [ADMIN_PASSWORD, 'alice-secret-password', secret, String(crt.token), 'BEGIN CERTIFICATE', String(cacerts.json.value).slice(30, 60), 'LS0tLS1CRUdJTi', caData.slice(40, 80), kubeconfigSecret];
        for (const leaked of leaks) {
          assert.ok(leaked.length > 8 && !text.includes(leaked), `the audit log contains a secret: ${leaked.slice(0, 12)}...`);
        }
      } finally {
        await srv.close();
      }
    });
  }

  test('level 0 writes no audit file', async () => {
    const srv = await startTestServer({ auditLevel: '0' });
    try {
      await srv.adminToken();
      await assert.rejects(readdir(join(srv.dataDir, 'audit')), { code: 'ENOENT' });
    } finally {
      await srv.close();
    }
  });
});
