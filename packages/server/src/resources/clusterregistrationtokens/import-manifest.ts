import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { ObjectCache } from '../../api/kind.js';
import { caChecksum } from '../../tls/checksum.js';
import { memoizeByKey } from '../../util/memoize.js';
import type { Settings } from '../settings/settings.js';
import { serverRoot } from './hooks.js';
import type { ClusterData } from '../clusters/schema.js';
import type { ClusterRegistrationTokenData } from './schema.js';

/** Where the cluster agent and its rights live in the imported cluster (Rancher's names, so its docs apply). */
export const IMPORT_NAMESPACE = 'cattle-system';
export const IMPORT_SERVICE_ACCOUNT = 'cattle';
/** A service-account token Secret: Kubernetes fills it with a non-expiring token and the cluster's CA. */
export const IMPORT_TOKEN_SECRET = 'cattle-token';
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ImportManifestInputs {
  /** The server URL the agent dials (`server-url`, else the URL the manifest was fetched from). */
  server: string;
  token: string;
  clusterId: string;
  agentImage: string;
  /** The CA checksum the agent pins ('' when the server's certificate is publicly trusted). */
  caChecksum: string;
}

/** `<token>.yaml` or `<token>_<clusterId>.yaml` (Rancher 2.5.6+), the last path segment of the import URL. */
export function parseImportFileName(file: string): { token: string; clusterId?: string } | undefined {
  const m = /^([A-Za-z0-9]{1,128})(?:_([a-z0-9-]{1,63}))?\.yaml$/.exec(file);
  if (!m?.[1]) return undefined;
  return { token: m[1], clusterId: m[2] };
}

/** The registration token an import URL names, if it exists and (when named) belongs to that cluster. */
export function tokenForImport(
  file: string,
  tokens: (token: string) => ClusterRegistrationTokenData | undefined,
  clusters: ObjectCache<ClusterData>,
): ClusterRegistrationTokenData | undefined {
  const parsed = parseImportFileName(file);
  if (!parsed) return undefined;
  const crt = tokens(parsed.token);
  if (!crt || (parsed.clusterId !== undefined && crt.clusterId !== parsed.clusterId)) return undefined;
  return clusters.get(String(crt.clusterId)) ? crt : undefined;
}

/**
 * The manifest `kubectl apply -f <server>/v3/import/<token>_<cluster>.yaml` applies: a namespace, a service
 * account with cluster-admin rights (Paddock acts for its users there, by impersonation), a long-lived token for
 * it, the registration token as a Secret, and a Deployment running `paddock agent --cluster-agent`. The agent
 * reads the API address and credentials the way every pod does, and reports them through its tunnel.
 */
export function importManifest(i: ImportManifestInputs): string {
  const credentials = `cattle-credentials-${createHash('sha256').update(i.token).digest('hex').slice(0, 7)}`;
  const labels = { app: 'cattle-cluster-agent' };
  const documents: object[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: IMPORT_NAMESPACE } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: IMPORT_SERVICE_ACCOUNT, namespace: IMPORT_NAMESPACE } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: IMPORT_TOKEN_SECRET, namespace: IMPORT_NAMESPACE, annotations: { 'kubernetes.io/service-account.name': IMPORT_SERVICE_ACCOUNT } },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'cattle-admin' },
      rules: [
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        { nonResourceURLs: ['*'], verbs: ['*'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'cattle-admin-binding' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cattle-admin' },
      subjects: [{ kind: 'ServiceAccount', name: IMPORT_SERVICE_ACCOUNT, namespace: IMPORT_NAMESPACE }],
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: credentials, namespace: IMPORT_NAMESPACE },
      stringData: { url: i.server, token: i.token, namespace: IMPORT_NAMESPACE },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cattle-cluster-agent', namespace: IMPORT_NAMESPACE, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: IMPORT_SERVICE_ACCOUNT,
            // The long-lived token Secret is mounted where the projected one would be: no hourly rotation to follow.
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'cluster-register',
                image: i.agentImage,
                imagePullPolicy: 'IfNotPresent',
                args: ['agent', '--cluster-agent'],
                env: [
                  { name: 'CATTLE_SERVER', value: i.server },
                  { name: 'CATTLE_CA_CHECKSUM', value: i.caChecksum },
                  { name: 'CATTLE_CLUSTER', value: 'true' },
                  { name: 'CATTLE_K8S_MANAGED', value: 'true' },
                  { name: 'CATTLE_TOKEN', valueFrom: { secretKeyRef: { name: credentials, key: 'token' } } },
                ],
                volumeMounts: [{ name: 'service-account', mountPath: SERVICE_ACCOUNT_DIR, readOnly: true }],
              },
            ],
            volumes: [{ name: 'service-account', secret: { secretName: IMPORT_TOKEN_SECRET } }],
          },
        },
      },
    },
  ];
  return documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}

export interface ImportManifestSourceDeps {
  /** The registration token with this value, if any. */
  tokenByValue: (token: string) => ClusterRegistrationTokenData | undefined;
  clusters: ObjectCache<ClusterData>;
  settings: Pick<Settings, 'get'>;
}

/** Answers `/v3/import/<file>`: the manifest for the token the file names, or undefined. */
export function importManifestSource(deps: ImportManifestSourceDeps): (file: string, baseUrl: string) => string | undefined {
  const checksumOf = memoizeByKey(caChecksum, 4);
  return (file, baseUrl) => {
    const crt = tokenForImport(file, deps.tokenByValue, deps.clusters);
    if (!crt) return undefined;
    return importManifest({
      server: serverRoot(deps.settings, { baseUrl }),
      token: String(crt.token),
      clusterId: String(crt.clusterId),
      agentImage: deps.settings.get('agent-image'),
      caChecksum: checksumOf(deps.settings.get('cacerts')),
    });
  };
}
