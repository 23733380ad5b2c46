import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { importManifest, parseImportFileName } from './import-manifest.js';

const inputs = { server: 'https://paddock.example.com', token: 'abc123', clusterId: 'c-x1y2z', agentImage: 'paddock/paddock-agent:v0.1.0', caChecksum: 'f'.repeat(64) };

test('import file names: <token>.yaml and <token>_<clusterId>.yaml; nothing else', () => {
  assert.deepEqual(parseImportFileName('abc123.yaml'), { token: 'abc123', clusterId: undefined });
  assert.deepEqual(parseImportFileName('abc123_c-x1y2z.yaml'), { token: 'abc123', clusterId: 'c-x1y2z' });
  for (const bad of ['abc123', 'abc123.yml', '../x.yaml', 'a b.yaml', '_c-x.yaml', `${'a'.repeat(200)}.yaml`]) {
    assert.equal(parseImportFileName(bad), undefined, bad);
  }
});

test('the manifest: namespace, service account with its long-lived token, admin binding, credentials, the cluster agent', () => {
  const docs = parseAllDocuments(importManifest(inputs)).map((d) => d.toJS() as { kind: string; metadata: { name: string }; [k: string]: unknown });
  assert.deepEqual(docs.map((d) => `${d.kind}/${d.metadata.name}`), [
    'Namespace/cattle-system',
    'ServiceAccount/cattle',
    'Secret/cattle-token',
    'ClusterRole/cattle-admin',
    'ClusterRoleBinding/cattle-admin-binding',
    `Secret/${docs[5]?.metadata.name}`,
    'Deployment/cattle-cluster-agent',
  ]);
  assert.match(String(docs[5]?.metadata.name), /^cattle-credentials-[0-9a-f]{7}$/);
  const deployment = docs[6] as unknown as { spec: { template: { spec: { containers: { image: string; args: string[]; env: { name: string; value?: string }[] }[]; automountServiceAccountToken: boolean } } } };
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  assert.equal(container?.image, inputs.agentImage);
  assert.deepEqual(container?.args, ['agent', '--cluster-agent']);
  const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
  assert.equal(env.CATTLE_SERVER, inputs.server);
  assert.equal(env.CATTLE_CA_CHECKSUM, inputs.caChecksum);
  assert.equal(env.CATTLE_CLUSTER, 'true');
  assert.ok('CATTLE_TOKEN' in env, 'the token comes from the credentials Secret');
  assert.equal(pod.automountServiceAccountToken, false);
});
