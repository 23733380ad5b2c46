import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * One `--allow` entry: an extra dial target the server may open through this agent, beyond the defaults.
 * - `cidr`: any port on an address in the network (`10.0.0.0/8`, `fd00::/64`; a bare IP is a /32 or /128).
 * - `hostPort`: exactly one host (name or IP, compared case-insensitively) and port (`db.local:5432`,
 *   `[fd00::1]:6443`; an IPv6 address with a port needs the brackets, `fd00::1:80` is an address).
 * `spec` is the entry as given, for logs.
 */
export type AllowRule =
  | { kind: 'cidr'; spec: string; family: 'ipv4' | 'ipv6'; network: string; prefix: number }
  | { kind: 'hostPort'; spec: string; host: string; port: number };

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * Parses one `--allow` value. Returns the rule, or a message (to follow the flag name) saying what is
 * wrong with it.
 */
export function parseAllowRule(spec: string): AllowRule | string {
  const usage = 'expected a CIDR (10.0.0.0/8), an IP, or host:port (db.internal:5432, [fd00::1]:6443)';
  const text = spec.trim();
  const slash = text.indexOf('/');
  if (slash >= 0 || isIP(text) !== 0) {
    const network = slash >= 0 ? text.slice(0, slash) : text;
    const family = isIP(network);
    if (family === 0) return `"${spec}": ${usage}`;
    const max = family === 4 ? 32 : 128;
    const prefixText = slash >= 0 ? text.slice(slash + 1) : String(max);
    const prefix = Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText) || prefix > max) return `"${spec}": the prefix length must be 0 to ${max}`;
    return { kind: 'cidr', spec, family: family === 4 ? 'ipv4' : 'ipv6', network, prefix };
  }
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  if (!match) return `"${spec}": ${usage}`;
  const host = (match[1] ?? match[2] ?? '').toLowerCase();
  const port = Number(match[3]);
  if (match[1] !== undefined ? isIP(host) !== 6 : isIP(host) === 0 && !HOSTNAME.test(host)) {
    return `"${spec}": "${host}" is not a host name or IP address`;
  }
  if (port < 1 || port > 65535) return `"${spec}": the port must be 1 to 65535`;
  return { kind: 'hostPort', spec, host, port };
}

/**
 * Whether a dial to `host:port` is covered by `rule`. A host name never matches a CIDR rule: the check
 * happens before any DNS lookup, so allow the name itself with a host:port rule.
 */
export function allowRuleMatches(rule: AllowRule, host: string, port: number): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (rule.kind === 'hostPort') return rule.port === port && rule.host === bare.toLowerCase();
  const family = isIP(bare);
  if (family === 0) return false;
  const list = new BlockList();
  list.addSubnet(rule.network, rule.prefix, rule.family);
  return list.check(bare, isIPv4(bare) ? 'ipv4' : 'ipv6');
}
