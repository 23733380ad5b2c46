import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { serverUrlProblem } from './server-url.js';

/** Everything the server is configured with, parsed and checked once at start (flags, then PADDOCK_* env). */
export interface ServerConfig {
  dataDir: string;
  httpsPort: number;
  /** 0 disables the HTTP listener (which redirects to HTTPS). */
  httpPort: number;
  bindAddress: string;
  serverUrl: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  logLevel: LogLevel;
  /** An agent tunnel silent this long is considered dead (its node becomes unavailable). */
  agentTimeoutSeconds: number;
  audit: AuditConfig;
  datastore: DatastoreConfig;
  /** A kubeconfig for the Kubernetes Paddock runs on: the built-in `local` cluster's API. */
  kubeconfig: string | undefined;
  /** Addresses (IPs, CIDRs) of load balancers whose connections may start with a PROXY protocol header. */
  proxyProtocolFrom: string[];
  /** Setting overrides from the environment (`CATTLE_<NAME>`), by setting name. */
  settingsFromEnv: Record<string, string>;
}

export interface AuditConfig {
  /** 0 off, 1 metadata, 2 + request body, 3 + response body (Rancher's levels). */
  level: 0 | 1 | 2 | 3;
  path: string;
  maxBytes: number;
  maxBackups: number;
  /** Echo every entry to stdout too. */
  stdout: boolean;
}

/** Where state lives: the embedded SQLite file under the data dir, or an etcd cluster. */
export type DatastoreConfig =
  | { type: 'sqlite' }
  | { type: 'etcd'; endpoints: string[]; prefix: string; caFile?: string; certFile?: string; keyFile?: string; advertise?: AdvertiseAddress };

/** Where the other replicas reach this one (`--advertise-address`); the port defaults to the HTTPS port. */
export interface AdvertiseAddress {
  host: string;
  port?: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A configuration problem, phrased for the person who started the server. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Raw option values as commander gives them (strings), before checking. */
export interface RawServerOptions {
  dataDir?: string;
  httpsPort?: string;
  httpPort?: string;
  bindAddress?: string;
  serverUrl?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel?: string;
  agentTimeout?: string;
  auditLevel?: string;
  auditLogPath?: string;
  auditLogMaxsize?: string;
  auditLogMaxbackup?: string;
  /** A flag: commander gives `true`; the environment gives text. */
  auditLogStdout?: string | boolean;
  datastore?: string;
  etcdEndpoints?: string;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  etcdPrefix?: string;
  advertiseAddress?: string;
  kubeconfig?: string;
  proxyProtocolFrom?: string;
}

export const SERVER_OPTIONS: { flag: keyof RawServerOptions; cli: string; env: string; help: string; default?: string }[] = [
  { flag: 'dataDir', cli: '--data-dir <dir>', env: 'PADDOCK_DATA_DIR', help: 'directory for the database and certificates', default: './data' },
  { flag: 'httpsPort', cli: '--https-port <port>', env: 'PADDOCK_HTTPS_PORT', help: 'HTTPS port', default: '443' },
  { flag: 'httpPort', cli: '--http-port <port>', env: 'PADDOCK_HTTP_PORT', help: 'HTTP port that redirects to HTTPS (0 disables)', default: '80' },
  { flag: 'bindAddress', cli: '--bind-address <addr>', env: 'PADDOCK_BIND_ADDRESS', help: 'address to listen on', default: '0.0.0.0' },
  { flag: 'serverUrl', cli: '--server-url <url>', env: 'PADDOCK_SERVER_URL', help: 'URL agents and clients use to reach this server (sets the server-url setting)' },
  { flag: 'tlsCert', cli: '--tls-cert <file>', env: 'PADDOCK_TLS_CERT', help: 'PEM certificate (chain) to serve instead of the generated one' },
  { flag: 'tlsKey', cli: '--tls-key <file>', env: 'PADDOCK_TLS_KEY', help: 'PEM private key of --tls-cert' },
  { flag: 'agentTimeout', cli: '--agent-timeout <seconds>', env: 'PADDOCK_AGENT_TIMEOUT', help: 'seconds of silence after which an agent tunnel is dead and its node unavailable', default: '40' },
  { flag: 'logLevel', cli: '--log-level <level>', env: 'PADDOCK_LOG_LEVEL', help: `log level (${LOG_LEVELS.join(', ')})`, default: 'info' },
  {
    flag: 'auditLevel',
    cli: '--audit-level <0-3>',
    env: 'PADDOCK_AUDIT_LEVEL',
    help: 'API audit log: 0 off, 1 metadata, 2 + request bodies, 3 + response bodies (secrets always redacted)',
    default: '1',
  },
  { flag: 'auditLogPath', cli: '--audit-log-path <file>', env: 'PADDOCK_AUDIT_LOG_PATH', help: 'audit log file (default <data-dir>/audit/audit.log)' },
  { flag: 'auditLogMaxsize', cli: '--audit-log-maxsize <MB>', env: 'PADDOCK_AUDIT_LOG_MAXSIZE', help: 'rotate the audit log at this size in megabytes', default: '100' },
  { flag: 'auditLogMaxbackup', cli: '--audit-log-maxbackup <n>', env: 'PADDOCK_AUDIT_LOG_MAXBACKUP', help: 'rotated audit log files to keep', default: '10' },
  { flag: 'auditLogStdout', cli: '--audit-log-stdout', env: 'PADDOCK_AUDIT_LOG_STDOUT', help: 'also write audit entries to stdout' },
  { flag: 'datastore', cli: '--datastore <type>', env: 'PADDOCK_DATASTORE', help: 'where state lives: sqlite (a file under --data-dir) or etcd', default: 'sqlite' },
  { flag: 'etcdEndpoints', cli: '--etcd-endpoints <urls>', env: 'PADDOCK_ETCD_ENDPOINTS', help: 'comma-separated etcd client URLs (with --datastore etcd)' },
  { flag: 'etcdCafile', cli: '--etcd-cafile <file>', env: 'PADDOCK_ETCD_CAFILE', help: 'CA that signed the etcd servers\' certificates' },
  { flag: 'etcdCertfile', cli: '--etcd-certfile <file>', env: 'PADDOCK_ETCD_CERTFILE', help: 'client certificate for etcd' },
  { flag: 'etcdKeyfile', cli: '--etcd-keyfile <file>', env: 'PADDOCK_ETCD_KEYFILE', help: 'private key of --etcd-certfile' },
  { flag: 'kubeconfig', cli: '--kubeconfig <file>', env: 'PADDOCK_KUBECONFIG', help: 'kubeconfig of the Kubernetes Paddock runs on (the local cluster); in a pod, its own cluster is used' },
  {
    flag: 'proxyProtocolFrom',
    cli: '--proxy-protocol-from <ips>',
    env: 'PADDOCK_PROXY_PROTOCOL_FROM',
    help: 'comma-separated IPs or CIDRs of TCP load balancers that send a PROXY protocol header (haproxy send-proxy-v2): the client address in it is used',
  },
  {
    flag: 'advertiseAddress',
    cli: '--advertise-address <host[:port]>',
    env: 'PADDOCK_ADVERTISE_ADDRESS',
    help: 'where the other replicas reach this one (with --datastore etcd); default: --bind-address if it names one, else this host\'s first non-loopback IPv4, at the HTTPS port',
  },
  { flag: 'etcdPrefix', cli: '--etcd-prefix <prefix>', env: 'PADDOCK_ETCD_PREFIX', help: 'key prefix of Paddock\'s data in etcd', default: '/paddock' },
];

function port(value: string, flag: string, allowZero: boolean): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535 || (!allowZero && n === 0)) {
    throw new ConfigError(`${flag} must be a port number from ${allowZero ? 0 : 1} to 65535, got "${value}"`);
  }
  return n;
}

function seconds(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new ConfigError(`${flag} must be a whole number of seconds from 1 to 3600, got "${value}"`);
  return n;
}

function wholeNumber(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new ConfigError(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

function flagValue(value: string | boolean | undefined, flag: string): boolean {
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  const text = value.trim().toLowerCase();
  if (['', '0', 'false', 'no', 'off'].includes(text)) return false;
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  throw new ConfigError(`${flag} takes true or false, got "${value}"`);
}

function auditConfig(pick: (flag: keyof RawServerOptions) => string | boolean | undefined, dataDir: string): AuditConfig {
  const text = (flag: keyof RawServerOptions, fallback: string) => {
    const v = pick(flag);
    return typeof v === 'string' ? v : fallback;
  };
  const path = pick('auditLogPath');
  return {
    level: wholeNumber(text('auditLevel', '1'), '--audit-level', 0, 3) as AuditConfig['level'],
    path: typeof path === 'string' && path !== '' ? resolve(path) : join(dataDir, 'audit', 'audit.log'),
    maxBytes: wholeNumber(text('auditLogMaxsize', '100'), '--audit-log-maxsize', 1, 100_000) * 1024 * 1024,
    maxBackups: wholeNumber(text('auditLogMaxbackup', '10'), '--audit-log-maxbackup', 1, 1000),
    stdout: flagValue(pick('auditLogStdout'), '--audit-log-stdout'),
  };
}

function etcdEndpoints(value: string | undefined): string[] {
  const endpoints = (value ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (endpoints.length === 0) throw new ConfigError('--datastore etcd needs --etcd-endpoints (comma-separated client URLs, e.g. https://10.0.0.1:2379)');
  const schemes = new Set<string>();
  for (const endpoint of endpoints) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch (err) {
      throw new ConfigError(`--etcd-endpoints: "${endpoint}" is not a URL (${(err as Error).message})`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.port === '' || (url.pathname !== '/' && url.pathname !== '')) {
      throw new ConfigError(`--etcd-endpoints: "${endpoint}" must be http(s)://host:port`);
    }
    schemes.add(url.protocol);
  }
  if (schemes.size > 1) throw new ConfigError('--etcd-endpoints: use the same scheme (http or https) for every endpoint');
  return endpoints;
}

function datastoreConfig(pick: (flag: keyof RawServerOptions) => string | undefined): DatastoreConfig {
  const type = pick('datastore') ?? 'sqlite';
  if (type === 'sqlite') return { type };
  if (type !== 'etcd') throw new ConfigError(`--datastore must be sqlite or etcd, got "${type}"`);
  const endpoints = etcdEndpoints(pick('etcdEndpoints'));
  const [caFile, certFile, keyFile] = (['etcdCafile', 'etcdCertfile', 'etcdKeyfile'] as const).map((f) => {
    const v = pick(f);
    return v ? resolve(v) : undefined;
  });
  if ((certFile === undefined) !== (keyFile === undefined)) throw new ConfigError('--etcd-certfile and --etcd-keyfile go together: give both or neither');
  if ((caFile || certFile) && !endpoints[0]?.startsWith('https:')) throw new ConfigError('--etcd-cafile/--etcd-certfile need https:// --etcd-endpoints');
  const prefix = pick('etcdPrefix') ?? '/paddock';
  if (!prefix.startsWith('/') || prefix.length < 2) throw new ConfigError(`--etcd-prefix must start with / and name something, got "${prefix}"`);
  const advertiseText = pick('advertiseAddress');
  const advertise = advertiseText === undefined ? undefined : advertiseAddress(advertiseText);
  return { type, endpoints, prefix, ...(caFile ? { caFile } : {}), ...(certFile ? { certFile, keyFile } : {}), ...(advertise ? { advertise } : {}) };
}

/** `--proxy-protocol-from`: IPs and CIDRs (`10.0.0.0/8`, `fd00::/64`). */
function proxySources(value: string | undefined): string[] {
  const entries = (value ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) throw new ConfigError(`--proxy-protocol-from: "${entry}" is not an IP address or CIDR`);
  }
  return entries;
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`. */
function advertiseAddress(text: string): AdvertiseAddress {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  if (!match || !host) throw new ConfigError(`--advertise-address must be host, host:port or [ipv6]:port, got "${text}"`);
  if (match[3] === undefined) return { host };
  return { host, port: port(match[3], '--advertise-address', false) };
}

/** Checks raw options (flags win over PADDOCK_* env, env over defaults) and builds the config. */
export function parseServerConfig(raw: RawServerOptions, env: NodeJS.ProcessEnv): ServerConfig {
  const pickAny = (flag: keyof RawServerOptions): string | boolean | undefined => {
    const spec = SERVER_OPTIONS.find((o) => o.flag === flag);
    return raw[flag] ?? (spec ? env[spec.env] : undefined) ?? spec?.default;
  };
  const pick = (flag: keyof RawServerOptions): string | undefined => {
    const v = pickAny(flag);
    return typeof v === 'string' ? v : undefined;
  };
  const logLevel = pick('logLevel') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const tlsCert = pick('tlsCert');
  const tlsKey = pick('tlsKey');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key go together: give both or neither');
  }
  // Rancher reads a setting's override from CATTLE_<NAME> (upper case, '-' as '_').
  const serverUrl = pick('serverUrl');
  const urlProblem = serverUrl === undefined ? undefined : serverUrlProblem(serverUrl);
  if (urlProblem) throw new ConfigError(`--server-url: ${urlProblem}`);
  const settingsFromEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('CATTLE_') && value !== undefined) settingsFromEnv[key.slice(7).toLowerCase().replace(/_/g, '-')] = value;
  }
  const envUrl = settingsFromEnv['server-url'];
  const envUrlProblem = envUrl === undefined || envUrl === '' ? undefined : serverUrlProblem(envUrl);
  if (envUrlProblem) throw new ConfigError(`CATTLE_SERVER_URL: ${envUrlProblem}`);
  const dataDir = resolve(pick('dataDir') ?? './data');
  return {
    dataDir,
    httpsPort: port(pick('httpsPort') ?? '443', '--https-port', true),
    httpPort: port(pick('httpPort') ?? '80', '--http-port', true),
    bindAddress: pick('bindAddress') ?? '0.0.0.0',
    serverUrl,
    tlsCert: tlsCert && resolve(tlsCert),
    tlsKey: tlsKey && resolve(tlsKey),
    logLevel: logLevel as LogLevel,
    agentTimeoutSeconds: seconds(pick('agentTimeout') ?? '40', '--agent-timeout'),
    audit: auditConfig(pickAny, dataDir),
    datastore: datastoreConfig(pick),
    kubeconfig: pick('kubeconfig') ? resolve(String(pick('kubeconfig'))) : undefined,
    proxyProtocolFrom: proxySources(pick('proxyProtocolFrom')),
    settingsFromEnv,
  };
}
