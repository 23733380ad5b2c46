import { parse, stringify } from 'yaml';

/** How to reach and authenticate to a Kubernetes API server, as a kubeconfig's current context says. */
export interface ClusterCredentials {
  /** `https://host:port[/path]` */
  server: string;
  /** PEM CA bundle to verify the server; undefined: the system roots. */
  caPem?: string;
  insecureSkipTlsVerify?: boolean;
  token?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  username?: string;
  password?: string;
}

/** A kubeconfig Paddock cannot use, with what is wrong in it. */
export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

type Named<T> = { name?: unknown } & T;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function named(list: unknown, name: string, what: string): Obj {
  if (!Array.isArray(list)) throw new KubeconfigError(`kubeconfig has no ${what}s list`);
  const entry = (list as Named<Obj>[]).find((e) => isObj(e) && e.name === name);
  if (!entry) throw new KubeconfigError(`kubeconfig has no ${what} named "${name}"`);
  const inner = entry[what];
  if (!isObj(inner)) throw new KubeconfigError(`kubeconfig ${what} "${name}" has no ${what} section`);
  return inner;
}

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

function base64Pem(v: unknown, field: string): string | undefined {
  const value = text(v);
  if (value === undefined) return undefined;
  const pem = Buffer.from(value, 'base64').toString('utf8');
  if (!pem.includes('-----BEGIN')) throw new KubeconfigError(`${field} is not base64 of a PEM block`);
  return pem;
}

/**
 * Reads the current context of a kubeconfig (YAML or JSON): server, CA and one way to authenticate
 * (token, client certificate or basic). Files referenced by path are refused: Paddock keeps only what the
 * kubeconfig itself holds (`*-data` fields), as a kubeconfig pasted into an import form must.
 */
export function parseKubeconfig(source: string): ClusterCredentials {
  let doc: unknown;
  try {
    doc = parse(source);
  } catch (err) {
    throw new KubeconfigError(`kubeconfig is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObj(doc)) throw new KubeconfigError('kubeconfig is not a YAML mapping');
  const contextName = text(doc['current-context']) ?? (Array.isArray(doc.contexts) && doc.contexts.length === 1 ? text((doc.contexts[0] as Obj).name) : undefined);
  if (!contextName) throw new KubeconfigError('kubeconfig has no current-context');
  const context = named(doc.contexts, contextName, 'context');
  const cluster = named(doc.clusters, String(context.cluster), 'cluster');
  const user = text(context.user) === undefined ? {} : named(doc.users, String(context.user), 'user');
  const server = text(cluster.server);
  if (!server) throw new KubeconfigError(`cluster "${String(context.cluster)}" has no server`);
  let url: URL;
  try {
    url = new URL(server);
  } catch (err) {
    throw new KubeconfigError(`server "${server}" is not a URL: ${(err as Error).message}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new KubeconfigError(`server "${server}" must be https://`);
  for (const field of ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile']) {
    if (text(cluster[field]) ?? text(user[field])) throw new KubeconfigError(`${field} refers to a file; embed it as ${field === 'tokenFile' ? 'token' : `${field}-data`} instead`);
  }
  if (user.exec !== undefined || user['auth-provider'] !== undefined) {
    throw new KubeconfigError('exec and auth-provider credentials run programs on the client; use a token or a client certificate');
  }
  const credentials: ClusterCredentials = {
    server: server.replace(/\/+$/, ''),
    caPem: base64Pem(cluster['certificate-authority-data'], 'certificate-authority-data'),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    token: text(user.token),
    clientCertPem: base64Pem(user['client-certificate-data'], 'client-certificate-data'),
    clientKeyPem: base64Pem(user['client-key-data'], 'client-key-data'),
    username: text(user.username),
    password: text(user.password),
  };
  if ((credentials.clientCertPem === undefined) !== (credentials.clientKeyPem === undefined)) {
    throw new KubeconfigError('client-certificate-data and client-key-data go together');
  }
  if (!credentials.token && !credentials.clientCertPem && !credentials.username) {
    throw new KubeconfigError(`user "${String(context.user)}" has no token, client certificate or username`);
  }
  return credentials;
}

export interface KubeconfigSpec {
  /** The cluster's name: context, cluster and user entries are named after it. */
  name: string;
  server: string;
  caPem: string | undefined;
  token: string;
}

/** A kubeconfig for one cluster through Paddock (what `generateKubeconfig` returns). */
export function renderKubeconfig(spec: KubeconfigSpec): string {
  const cluster: Obj = { server: spec.server };
  if (spec.caPem) cluster['certificate-authority-data'] = Buffer.from(spec.caPem, 'utf8').toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.name, cluster }],
    users: [{ name: spec.name, user: { token: spec.token } }],
    contexts: [{ name: spec.name, context: { user: spec.name, cluster: spec.name } }],
    'current-context': spec.name,
  });
}
