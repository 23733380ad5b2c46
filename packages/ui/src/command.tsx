/**
 * The node registration command, built from the registration token's ready-made command (which carries the
 * server URL, the token and the CA checksum) and the options a person picks: roles, name, addresses, labels.
 * Pure functions, so what the page shows is exactly what runs.
 */
export interface NodeOptions {
  etcd: boolean;
  controlPlane: boolean;
  worker: boolean;
  nodeName: string;
  address: string;
  internalAddress: string;
  /** One `key=value` per line. */
  labels: string;
}

/** Quotes a value for a POSIX shell when it needs it. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function parseLabels(text: string): { labels: [string, string][]; problem?: string } {
  const labels: [string, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { labels, problem: `"${line}" is not key=value.` };
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (!LABEL_KEY.test(key)) return { labels, problem: `"${key}" is not a valid label key (letters, digits, -, _ and ., optionally prefix/).` };
    if (!LABEL_VALUE.test(value)) return { labels, problem: `"${value}" is not a valid label value (at most 63 letters, digits, -, _ and .).` };
    labels.push([key, value]);
  }
  return { labels };
}

export function nodeNameProblem(name: string): string | undefined {
  if (name === '' || NODE_NAME.test(name)) return undefined;
  return 'Use lower-case letters, digits, "-" and ".", starting and ending with a letter or digit.';
}

export function addressProblem(address: string): string | undefined {
  if (address === '' || /^[A-Za-z0-9.:_-]{1,253}$/.test(address)) return undefined;
  return 'Give an IP address or a network interface name (e.g. eth0).';
}

/** The flags the options add to the agent's command line. */
export function nodeFlags(o: NodeOptions): string[] {
  const flags: string[] = [];
  if (o.etcd) flags.push('--etcd');
  if (o.controlPlane) flags.push('--controlplane');
  if (o.worker) flags.push('--worker');
  if (o.nodeName.trim()) flags.push('--node-name', shellQuote(o.nodeName.trim()));
  if (o.address.trim()) flags.push('--address', shellQuote(o.address.trim()));
  if (o.internalAddress.trim()) flags.push('--internal-address', shellQuote(o.internalAddress.trim()));
  for (const [k, v] of parseLabels(o.labels).labels) flags.push('--label', shellQuote(`${k}=${v}`));
  return flags;
}

export function buildCommand(base: string, o: NodeOptions): string {
  return [base.trim(), ...nodeFlags(o)].join(' ');
}

/** The `--ca-checksum` value in a registration command. */
export function caChecksumOf(command: string | undefined): string | undefined {
  return /--ca-checksum\s+([0-9a-f]{64})\b/.exec(command ?? '')?.[1];
}
