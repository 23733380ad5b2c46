import { parseAllowRule, type AllowRule } from './allow.js';
import { AddressError, defaultAddress, readHostNetwork, resolveAddress, type HostNetwork } from './address.js';
import { parseLabel, parseTaint, type Taint } from './k8s-syntax.js';

export type { AllowRule } from './allow.js';
export type { HostNetwork } from './address.js';
export type { Taint, TaintEffect } from './k8s-syntax.js';

/** The roles a node can take, in Rancher's spelling and canonical order. */
export const ROLES = ['etcd', 'controlplane', 'worker'] as const;
export type Role = (typeof ROLES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Rancher's keepalive: the tunnel is dead after this long without a ping or pong (`PingWaitDuration`). */
export const DEFAULT_PING_TIMEOUT_SECONDS = 60;

/**
 * Everything the agent is configured with, parsed and checked once at start. Sources, highest first:
 * flags, `PADDOCK_AGENT_*` env, Rancher's `CATTLE_*` env, defaults.
 */
export interface AgentConfig {
  /**
   * The server's URLs, at least one, each an `https://` (or `http://`) origin plus any path without a trailing
   * slash; several for replicas of one server, tried in turn (given order, no duplicates).
   */
  servers: string[];
  /** The cluster registration token, sent as `X-API-Tunnel-Token`. */
  token: string;
  /** 64 lower-case hex chars: the pinned CA checksum; undefined = trust the system store. */
  caChecksum: string | undefined;
  /** At least one role, in `ROLES` order. Worker alone when no role was given (Rancher does the same). */
  roles: Role[];
  /** Kubernetes node name (Rancher `requestedHostname`); undefined = derive from the host name. */
  nodeName: string | undefined;
  /** IP address announced as the node's public address (resolved from an interface name or the default route). */
  address: string;
  /** IP address for traffic inside the cluster; undefined = same as `address`. */
  internalAddress: string | undefined;
  labels: Record<string, string>;
  taints: Taint[];
  logLevel: LogLevel;
  /** Extra dial targets the server may open through this agent, beyond the defaults. */
  allow: AllowRule[];
  /** The tunnel counts as dead after this long without a ping or pong. */
  pingTimeoutMs: number;
  /**
   * Run as the cluster agent inside a cluster (the import manifest's Deployment): report the cluster's API
   * (KUBERNETES_SERVICE_HOST/PORT and the service account) instead of a node, and let the server reach only it.
   */
  clusterAgent: boolean;
  /** Where the pod's service-account token and ca.crt are (cluster agent only). */
  serviceAccountDir: string;
}

/** Where Kubernetes mounts a pod's service-account credentials. */
export const DEFAULT_SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A configuration problem, phrased in one line for the person who started the agent; names the flag. */
export class AgentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}

/** Option values as commander gives them, before checking. Repeatable options collect into arrays. */
export interface RawAgentOptions {
  server?: string[];
  token?: string;
  caChecksum?: string;
  etcd?: boolean;
  controlplane?: boolean;
  worker?: boolean;
  allRoles?: boolean;
  nodeName?: string;
  address?: string;
  internalAddress?: string;
  label?: string[];
  taints?: string[];
  logLevel?: string;
  allow?: string[];
  pingTimeout?: string;
  clusterAgent?: boolean;
  serviceAccountDir?: string;
}

/** How one option is spelled on the command line and in the environment (env names highest first). */
export interface AgentOptionSpec {
  key: keyof RawAgentOptions;
  /** Commander flags, with Rancher's short form where it has one. */
  flags: string;
  /** The long flag, as error messages name it. */
  flag: string;
  env: string[];
  help: string;
  kind: 'value' | 'boolean' | 'list';
}

export const AGENT_OPTIONS: AgentOptionSpec[] = [
  { key: 'server', flags: '-s, --server <url>', flag: '--server', env: ['PADDOCK_AGENT_SERVER', 'CATTLE_SERVER'], kind: 'list', help: 'URL of the Paddock server, https://host[:port] (required); for several replicas a comma-separated list, or repeat the flag: the agent moves to the next when one fails' },
  { key: 'token', flags: '-t, --token <token>', flag: '--token', env: ['PADDOCK_AGENT_TOKEN', 'CATTLE_TOKEN'], kind: 'value', help: "the cluster registration token from the cluster's registration command (required)" },
  { key: 'caChecksum', flags: '-c, --ca-checksum <sha256>', flag: '--ca-checksum', env: ['PADDOCK_AGENT_CA_CHECKSUM', 'CATTLE_CA_CHECKSUM'], kind: 'value', help: "SHA-256 (64 hex chars) of the server's CA certificate; the agent then trusts only that CA. Without it the system trust store is used" },
  { key: 'etcd', flags: '-e, --etcd', flag: '--etcd', env: ['PADDOCK_AGENT_ETCD'], kind: 'boolean', help: 'give the node the etcd role' },
  { key: 'controlplane', flags: '-p, --controlplane', flag: '--controlplane', env: ['PADDOCK_AGENT_CONTROLPLANE'], kind: 'boolean', help: 'give the node the controlplane role' },
  { key: 'worker', flags: '-w, --worker', flag: '--worker', env: ['PADDOCK_AGENT_WORKER'], kind: 'boolean', help: 'give the node the worker role (the default when no role is given, as in Rancher)' },
  { key: 'allRoles', flags: '-a, --all-roles', flag: '--all-roles', env: ['PADDOCK_AGENT_ALL_ROLES'], kind: 'boolean', help: 'give the node all roles: etcd, controlplane and worker' },
  { key: 'nodeName', flags: '-n, --node-name <name>', flag: '--node-name', env: ['PADDOCK_AGENT_NODE_NAME', 'CATTLE_NODE_NAME'], kind: 'value', help: 'name to register the node under (default: the short host name, lower-cased)' },
  { key: 'address', flags: '--address <ip-or-interface>', flag: '--address', env: ['PADDOCK_AGENT_ADDRESS', 'CATTLE_ADDRESS'], kind: 'value', help: "public address of the node: an IP, or an interface name for its first IPv4 address (default: the address of the default route's interface, else the first non-loopback IPv4)" },
  { key: 'internalAddress', flags: '-i, --internal-address <ip-or-interface>', flag: '--internal-address', env: ['PADDOCK_AGENT_INTERNAL_ADDRESS', 'CATTLE_INTERNAL_ADDRESS'], kind: 'value', help: 'address for traffic inside the cluster, an IP or interface name (default: the public address)' },
  { key: 'label', flags: '-l, --label <key=value>', flag: '--label', env: ['PADDOCK_AGENT_LABEL', 'CATTLE_NODE_LABEL'], kind: 'list', help: 'add a Kubernetes label to the node; repeat for more' },
  { key: 'taints', flags: '--taints <key=value:Effect>', flag: '--taints', env: ['PADDOCK_AGENT_TAINTS', 'CATTLE_NODE_TAINTS'], kind: 'list', help: 'add a taint to the node, Effect one of NoSchedule, PreferNoSchedule, NoExecute; repeat for more' },
  { key: 'logLevel', flags: '--log-level <level>', flag: '--log-level', env: ['PADDOCK_AGENT_LOG_LEVEL'], kind: 'value', help: `log level: ${LOG_LEVELS.join(', ')} (default: info)` },
  { key: 'allow', flags: '--allow <cidr-or-host:port>', flag: '--allow', env: ['PADDOCK_AGENT_ALLOW'], kind: 'list', help: 'also let the server open connections through this agent to this network (10.0.0.0/8) or host:port; repeat for more' },
  { key: 'clusterAgent', flags: '--cluster-agent', flag: '--cluster-agent', env: ['PADDOCK_AGENT_CLUSTER_AGENT', 'CATTLE_CLUSTER'], kind: 'boolean', help: "run as the cluster agent inside a Kubernetes cluster (what the import manifest deploys): report that cluster's API, read from KUBERNETES_SERVICE_HOST/PORT and the pod's service account, and let the server reach only it" },
  { key: 'serviceAccountDir', flags: '--service-account-dir <dir>', flag: '--service-account-dir', env: ['PADDOCK_AGENT_SERVICE_ACCOUNT_DIR'], kind: 'value', help: `with --cluster-agent: the directory holding the service account's token and ca.crt (default: ${DEFAULT_SERVICE_ACCOUNT_DIR})` },
  { key: 'pingTimeout', flags: '--ping-timeout <seconds>', flag: '--ping-timeout', env: ['PADDOCK_AGENT_PING_TIMEOUT'], kind: 'value', help: `consider the tunnel dead after this many seconds without a ping or pong (default: ${DEFAULT_PING_TIMEOUT_SECONDS})` },
];

/** `CATTLE_ROLE`, Rancher's comma list of roles, read when no role flag or PADDOCK_AGENT_<ROLE> is set. */
export const CATTLE_ROLE_ENV = 'CATTLE_ROLE';

/** A value and where it came from: the flag itself, or the env var that supplied it. */
interface Picked<T> {
  value: T;
  /** For messages: `--server`, or `--server (set by CATTLE_SERVER)`. */
  label: string;
}

const specOf = (key: keyof RawAgentOptions): AgentOptionSpec => {
  const spec = AGENT_OPTIONS.find((o) => o.key === key);
  if (!spec) throw new Error(`no option ${key}`);
  return spec;
};

const fromEnv = (spec: AgentOptionSpec, name: string) => `${spec.flag} (set by ${name})`;

function pickValue(raw: RawAgentOptions, env: NodeJS.ProcessEnv, key: keyof RawAgentOptions): Picked<string> | undefined {
  const spec = specOf(key);
  const flagValue = raw[key];
  if (typeof flagValue === 'string' && flagValue.trim() !== '') return { value: flagValue.trim(), label: spec.flag };
  for (const name of spec.env) {
    const value = env[name]?.trim();
    if (value) return { value, label: fromEnv(spec, name) };
  }
  return undefined;
}

/** Repeated flag values, else the first env var's comma list. Empty entries are dropped. */
function pickList(raw: RawAgentOptions, env: NodeJS.ProcessEnv, key: keyof RawAgentOptions): Picked<string[]> {
  const spec = specOf(key);
  const flagValues = raw[key];
  const given = Array.isArray(flagValues) ? flagValues.map((v) => v.trim()).filter((v) => v !== '') : [];
  if (given.length > 0) return { value: given, label: spec.flag };
  for (const name of spec.env) {
    const items = (env[name] ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
    if (items.length > 0) return { value: items, label: fromEnv(spec, name) };
  }
  return { value: [], label: spec.flag };
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** The env var `name` of a boolean option (true/false, 1/0, yes/no, on/off); undefined when unset or blank. */
function envBoolean(spec: AgentOptionSpec, env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const text = env[name]?.trim().toLowerCase();
  if (!text) return undefined;
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  throw new AgentConfigError(`${fromEnv(spec, name)} must be true or false, got "${env[name]}"`);
}

/**
 * Roles from the highest source that mentions any: role flags, then PADDOCK_AGENT_<ROLE> env booleans,
 * then CATTLE_ROLE. A source that mentions roles but yields none is an error; no source at all means worker.
 */
function parseRoles(raw: RawAgentOptions, env: NodeJS.ProcessEnv): Role[] {
  const roleKeys = ['etcd', 'controlplane', 'worker', 'allRoles'] as const;
  const fromSet = (on: (key: (typeof roleKeys)[number]) => boolean): Role[] =>
    ROLES.filter((role) => on('allRoles') || on(role));

  if (roleKeys.some((k) => raw[k] === true)) return fromSet((k) => raw[k] === true);

  const envFlags = new Map<string, boolean>();
  for (const key of roleKeys) {
    const spec = specOf(key);
    for (const name of spec.env) {
      const on = envBoolean(spec, env, name);
      if (on !== undefined) envFlags.set(key, on);
    }
  }
  if (envFlags.size > 0) {
    const roles = fromSet((k) => envFlags.get(k) === true);
    if (roles.length === 0) {
      throw new AgentConfigError(`PADDOCK_AGENT_ETCD/CONTROLPLANE/WORKER/ALL_ROLES are all false, which leaves the node no role; set one to true or pass --etcd, --controlplane, --worker or --all-roles`);
    }
    return roles;
  }

  const cattle = env[CATTLE_ROLE_ENV]?.trim();
  if (cattle) {
    const named = cattle.split(',').map((r) => r.trim()).filter((r) => r !== '');
    for (const role of named) {
      if (!(ROLES as readonly string[]).includes(role)) {
        throw new AgentConfigError(`${CATTLE_ROLE_ENV} has unknown role "${role}": expected a comma list of ${ROLES.join(', ')}`);
      }
    }
    const roles = ROLES.filter((r) => named.includes(r));
    if (roles.length > 0) return roles;
  }
  return ['worker'];
}

/** One URL of `--server`, normalised: origin plus path without trailing slashes. */
function parseServerUrl(value: string, label: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (err) {
    throw new AgentConfigError(`${label} must be a URL like https://paddock.example.com, got "${value}" (${(err as Error).message})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AgentConfigError(`${label} must be an https:// (or http://) URL, got "${value}"`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new AgentConfigError(`${label} must be a plain https://host[:port] URL without credentials, query or fragment, got "${value}"`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Every URL of the repeated flags' or the env var's comma lists, checked and normalised; duplicates dropped. */
function parseServers(picked: Picked<string[]>): string[] {
  const values = picked.value.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  if (values.length === 0) {
    throw new AgentConfigError('--server is required (or set CATTLE_SERVER): the URL of the Paddock server, e.g. --server https://paddock.example.com');
  }
  return [...new Set(values.map((value) => parseServerUrl(value, picked.label)))];
}

function parseToken(picked: Picked<string> | undefined): string {
  if (!picked) {
    throw new AgentConfigError("--token is required (or set CATTLE_TOKEN): the cluster registration token from the cluster's registration command");
  }
  if (/[\s\x00-\x1f\x7f]/.test(picked.value)) {
    throw new AgentConfigError(`${picked.label} must not contain spaces or control characters`);
  }
  return picked.value;
}

function parseChecksum(picked: Picked<string> | undefined, servers: string[]): string | undefined {
  if (!picked) return undefined;
  if (!/^[0-9a-f]{64}$/i.test(picked.value)) {
    throw new AgentConfigError(`${picked.label} must be a SHA-256 checksum, 64 hex characters, got "${picked.value}" (${picked.value.length} characters)`);
  }
  const plain = servers.find((server) => server.startsWith('http://'));
  if (plain !== undefined) {
    throw new AgentConfigError(`${picked.label} pins the server's CA certificate, which needs an https:// --server; got ${plain}`);
  }
  return picked.value.toLowerCase();
}

// Kubernetes node names are DNS-1123 subdomains.
const NODE_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function parseNodeName(picked: Picked<string> | undefined): string | undefined {
  if (!picked) return undefined;
  if (!NODE_NAME.test(picked.value)) {
    throw new AgentConfigError(`${picked.label} must be a lower-case DNS name (a-z, 0-9, '-', '.'; at most 253 characters), got "${picked.value}"`);
  }
  return picked.value;
}

function parseLogLevel(picked: Picked<string> | undefined): LogLevel {
  if (!picked) return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(picked.value)) {
    throw new AgentConfigError(`${picked.label} must be one of ${LOG_LEVELS.join(', ')}, got "${picked.value}"`);
  }
  return picked.value as LogLevel;
}

function parsePingTimeout(picked: Picked<string> | undefined): number {
  if (!picked) return DEFAULT_PING_TIMEOUT_SECONDS * 1000;
  const seconds = Number(picked.value);
  if (!/^\d+(\.\d+)?$/.test(picked.value) || seconds <= 0 || seconds > 86_400) {
    throw new AgentConfigError(`${picked.label} must be a number of seconds, more than 0 and at most 86400, got "${picked.value}"`);
  }
  return Math.round(seconds * 1000);
}

function parseLabels(picked: Picked<string[]>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of picked.value) {
    const label = parseLabel(item);
    if (typeof label === 'string') throw new AgentConfigError(`${picked.label} ${label}`);
    const previous = Object.hasOwn(labels, label.key) ? labels[label.key] : undefined;
    if (previous !== undefined && previous !== label.value) {
      throw new AgentConfigError(`${picked.label} gives label "${label.key}" twice, as "${previous}" and "${label.value}"`);
    }
    labels[label.key] = label.value;
  }
  return labels;
}

function parseTaints(picked: Picked<string[]>): Taint[] {
  const taints: Taint[] = [];
  for (const item of picked.value) {
    const taint = parseTaint(item);
    if (typeof taint === 'string') throw new AgentConfigError(`${picked.label} ${taint}`);
    const same = taints.find((t) => t.key === taint.key && t.effect === taint.effect);
    if (same && same.value !== taint.value) {
      throw new AgentConfigError(`${picked.label} gives taint "${taint.key}" with effect ${taint.effect} twice`);
    }
    if (!same) taints.push(taint);
  }
  return taints;
}

function parseAllow(picked: Picked<string[]>): AllowRule[] {
  return picked.value.map((item) => {
    const rule = parseAllowRule(item);
    if (typeof rule === 'string') throw new AgentConfigError(`${picked.label} ${rule}`);
    return rule;
  });
}

function parseAddress(picked: Picked<string>, net: () => HostNetwork): string {
  try {
    return resolveAddress(picked.value, net());
  } catch (err) {
    if (err instanceof AddressError) throw new AgentConfigError(`${picked.label} "${picked.value}" ${err.message}`);
    throw err;
  }
}

/** `--address`, else the address of the default route's interface. */
function parseOwnAddress(raw: RawAgentOptions, env: NodeJS.ProcessEnv, hostNetwork: () => HostNetwork): string {
  const given = pickValue(raw, env, 'address');
  if (given) return parseAddress(given, hostNetwork);
  try {
    return defaultAddress(hostNetwork());
  } catch (err) {
    if (err instanceof AddressError) throw new AgentConfigError(`--address not given and none found: ${err.message}`);
    throw err;
  }
}

/** A boolean flag, else the first of its env vars that is set (true/false, 1/0, yes/no, on/off). */
function parseBoolean(raw: RawAgentOptions, env: NodeJS.ProcessEnv, key: 'clusterAgent'): boolean {
  if (raw[key] === true) return true;
  const spec = specOf(key);
  for (const name of spec.env) {
    const on = envBoolean(spec, env, name);
    if (on !== undefined) return on;
  }
  return false;
}

/**
 * Checks raw options against the environment and builds the config; throws AgentConfigError naming the
 * flag (and the env var, when that is where the value came from). `net` describes this machine's network,
 * read only when an address must be resolved.
 */
export function parseAgentConfig(raw: RawAgentOptions, env: NodeJS.ProcessEnv, net?: HostNetwork): AgentConfig {
  let host = net;
  const hostNetwork = () => (host ??= readHostNetwork());
  const servers = parseServers(pickList(raw, env, 'server'));
  const token = parseToken(pickValue(raw, env, 'token'));
  const caChecksum = parseChecksum(pickValue(raw, env, 'caChecksum'), servers);
  const roles = parseRoles(raw, env);
  const nodeName = parseNodeName(pickValue(raw, env, 'nodeName'));
  const labels = parseLabels(pickList(raw, env, 'label'));
  const taints = parseTaints(pickList(raw, env, 'taints'));
  const allow = parseAllow(pickList(raw, env, 'allow'));
  const logLevel = parseLogLevel(pickValue(raw, env, 'logLevel'));
  const pingTimeoutMs = parsePingTimeout(pickValue(raw, env, 'pingTimeout'));

  const clusterAgent = parseBoolean(raw, env, 'clusterAgent');
  const serviceAccountDir = pickValue(raw, env, 'serviceAccountDir')?.value ?? DEFAULT_SERVICE_ACCOUNT_DIR;
  // A cluster agent speaks for its cluster's API, not for the machine it runs on: no address to find.
  const address = clusterAgent ? '' : parseOwnAddress(raw, env, hostNetwork);
  const internalGiven = pickValue(raw, env, 'internalAddress');
  const internalAddress = internalGiven && !clusterAgent ? parseAddress(internalGiven, hostNetwork) : undefined;

  return { servers, token, caChecksum, roles, nodeName, address, internalAddress, labels, taints, logLevel, allow, pingTimeoutMs, clusterAgent, serviceAccountDir };
}
