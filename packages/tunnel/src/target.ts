import { isIP } from 'node:net';

/** Where the peer should connect: a host name or IP (IPv6 without brackets) and a TCP port. */
export interface DialTarget {
  host: string;
  port: number;
  /**
   * Between server replicas only: the node or cluster whose agent the receiving replica dials through
   * (its session key, e.g. `c-abc12:m-xyz34`). Agents refuse targets with `via`.
   */
  via?: string;
}

const MAX_HOST_LENGTH = 255;
const TCP_PREFIX = 'tcp/';
const VIA_PREFIX = 'via/';
/** A session key: what node and cluster ids are made of. */
const VIA_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,252}$/;

/** `host:port`, with brackets around an IPv6 address (`[fd00::1]:6443`). */
export function formatHostPort(target: DialTarget): string {
  return isIP(target.host) === 6 ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

/** The `Connect` payload for a target: `tcp/<host>:<port>`, or `via/<via>/tcp/<host>:<port>`. */
export function formatConnectAddress(target: DialTarget): string {
  const address = TCP_PREFIX + formatHostPort(target);
  return target.via === undefined ? address : `${VIA_PREFIX}${target.via}/${address}`;
}

/** Checks a target; returns it with brackets stripped from the host, or a message saying what is wrong. */
export function checkTarget(target: DialTarget): DialTarget | string {
  let host = target.host;
  if (typeof host !== 'string') return 'the host must be a string';
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.length === 0 || host.length > MAX_HOST_LENGTH) return `host "${host}" must be 1 to ${MAX_HOST_LENGTH} characters`;
  if (/[\s/\\\u0000-\u001f\u007f[\]]/.test(host)) return `host "${host}" contains characters not allowed in a host`;
  if (host.includes(':') && isIP(host) !== 6) return `host "${host}" is not a host name or IP address`;
  const port = target.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `port ${String(port)} must be 1 to 65535`;
  if (target.via === undefined) return { host, port };
  if (typeof target.via !== 'string' || !VIA_PATTERN.test(target.via)) return `via "${String(target.via).slice(0, 64)}" is not a node or cluster id`;
  return { host, port, via: target.via };
}

/** Parses `host:port` or `[ipv6]:port`; returns the target or a message saying what is wrong. */
export function parseHostPort(text: string): DialTarget | string {
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!match) return `"${text}" is not host:port`;
  return checkTarget({ host: match[1] ?? match[2] ?? '', port: Number(match[3]) });
}

/** Parses a `Connect` payload: `tcp/<host>:<port>`, or `via/<via>/tcp/<host>:<port>`. */
export function parseConnectAddress(address: string): DialTarget | string {
  if (address.startsWith(VIA_PREFIX)) {
    const slash = address.indexOf('/', VIA_PREFIX.length);
    if (slash < 0) return `unsupported address "${address.slice(0, 64)}": via/<id>/tcp/<host>:<port>`;
    const inner = parseConnectAddress(address.slice(slash + 1));
    if (typeof inner === 'string' || inner.via !== undefined) return typeof inner === 'string' ? inner : `nested via in "${address.slice(0, 64)}"`;
    return checkTarget({ ...inner, via: address.slice(VIA_PREFIX.length, slash) });
  }
  if (!address.startsWith(TCP_PREFIX)) return `unsupported address "${address.slice(0, 64)}": only tcp/<host>:<port>`;
  return parseHostPort(address.slice(TCP_PREFIX.length));
}
