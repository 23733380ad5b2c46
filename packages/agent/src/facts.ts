import { readFile } from 'node:fs/promises';
import { arch, cpus, availableParallelism, endianness, hostname, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import type { AgentConfig, Role } from './config.js';
import { formatTaint } from './k8s-syntax.js';

/**
 * What the agent tells the server about its node when it registers (sent as the registration params).
 * A flat, JSON-serialisable object: every field is a string, number, string list or string map, and
 * `machineId` is left out when unknown. A type alias, not an interface, so it is assignable to
 * `Record<string, unknown>`.
 */
export type NodeFacts = {
  /** Kubernetes node name, Rancher's `requestedHostname`: `--node-name`, else the short host name, lower-cased. */
  nodeName: string;
  /** The full host name (`os.hostname()`). */
  hostname: string;
  /** /etc/machine-id (32 hex), so the server recognises the same machine registering again; absent when unreadable. */
  machineId?: string;
  /** Public IP address (`--address`, resolved). Rancher `customConfig.address`. */
  address: string;
  /** Cluster-internal IP address: `--internal-address`, else `address`. Rancher `customConfig.internalAddress`. */
  internalAddress: string;
  /** At least one of etcd, controlplane, worker. Rancher `customConfig.roles`. */
  roles: Role[];
  /** Kubernetes labels for the node. Rancher `customConfig.label`. */
  labels: Record<string, string>;
  /** Taints as `key=value:Effect` (`key:Effect` without value). Rancher `customConfig.taints`. */
  taints: string[];
  /** Logical CPUs. Rancher `info.cpu.count`. */
  cpuCount: number;
  /** Total memory in KiB. Rancher `info.memory.memTotalKiB`. */
  memoryKiB: number;
  /** PRETTY_NAME from /etc/os-release, e.g. "Debian GNU/Linux 12 (bookworm)". Rancher `info.os.operatingSystem`. */
  operatingSystem: string;
  /** `os.release()`, e.g. "6.1.0-18-amd64". Rancher `info.os.kernelVersion`. */
  kernelVersion: string;
  /** Go's GOARCH name: amd64, arm64, arm, 386, ppc64le, s390x, riscv64, ... */
  architecture: string;
  /** The agent's version, e.g. "v0.1.0". */
  agentVersion: string;
};

/** `hostname -s`, lower-cased: the host name up to the first dot. */
export const shortHostname = (name: string): string => (name.split('.')[0] ?? name).toLowerCase();

/** os.arch() (with os.endianness() for the ppc64/mips families) as Go names it. */
export function goArch(nodeArch: string, byteOrder: 'BE' | 'LE' = 'LE'): string {
  switch (nodeArch) {
    case 'x64': return 'amd64';
    case 'ia32': return '386';
    case 'ppc64': return byteOrder === 'LE' ? 'ppc64le' : 'ppc64';
    case 'mipsel': return 'mipsle';
    case 'mips64el': return 'mips64le';
    default: return nodeArch; // arm, arm64, s390x, riscv64, loong64, mips, ... are the same in both
  }
}

/** Parses os-release text (shell-style KEY=value lines, values optionally quoted) into a map. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match?.[1]) continue;
    let value = (match[2] ?? '').trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\$`])/g, '$1');
    }
    out[match[1]] = value;
  }
  return out;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    // Facts are best effort: a file this machine lacks or hides leaves that fact out.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

async function firstReadable(root: string, paths: string[]): Promise<string | undefined> {
  for (const path of paths) {
    const text = await readText(join(root, path));
    if (text !== undefined) return text;
  }
  return undefined;
}

/** Options for `collectFacts`; `root` is where the host's file system is mounted (default "/"). */
export interface CollectFactsOptions {
  root?: string;
}

/** Gathers the node facts from the config and this machine. Never fails: unknown values fall back as documented. */
export async function collectFacts(config: AgentConfig, version: string, options: CollectFactsOptions = {}): Promise<NodeFacts> {
  const root = options.root ?? '/';
  const [osRelease, machineIdText] = await Promise.all([
    firstReadable(root, ['etc/os-release', 'usr/lib/os-release']),
    firstReadable(root, ['etc/machine-id', 'var/lib/dbus/machine-id']),
  ]);
  const osFields = osRelease === undefined ? {} : parseOsRelease(osRelease);
  const machineId = machineIdText?.trim().toLowerCase();
  const host = hostname();
  return {
    nodeName: config.nodeName ?? shortHostname(host),
    hostname: host,
    ...(machineId !== undefined && /^[0-9a-f]{32}$/.test(machineId) ? { machineId } : {}),
    address: config.address,
    internalAddress: config.internalAddress ?? config.address,
    roles: [...config.roles],
    labels: { ...config.labels },
    taints: config.taints.map(formatTaint),
    cpuCount: cpus().length || availableParallelism(),
    memoryKiB: Math.floor(totalmem() / 1024),
    operatingSystem: osFields.PRETTY_NAME || osFields.NAME || type(),
    kernelVersion: release(),
    architecture: goArch(arch(), endianness()),
    agentVersion: version,
  };
}
