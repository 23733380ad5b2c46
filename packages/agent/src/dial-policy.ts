import { isIP } from 'node:net';
import { allowRuleMatches, type AllowRule } from './allow.js';
import type { HostNetwork } from './address.js';

/**
 * Which targets the server may open through this agent: by default only this machine itself (loopback
 * and its own addresses, any port), plus the `--allow` rules. Everything else is refused with a reason
 * the server sees.
 */
export function dialPolicy(options: { own: string[]; network: HostNetwork; rules: AllowRule[] }) {
  const own = new Set(options.own.map((a) => a.toLowerCase()));
  for (const list of Object.values(options.network.interfaces)) for (const i of list ?? []) own.add(i.address.toLowerCase());
  return (target: { host: string; port: number }): true | string => {
    const host = target.host.replace(/^\[|\]$/g, '').toLowerCase();
    const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
    if (loopback || own.has(host)) return true;
    if (options.rules.some((rule) => allowRuleMatches(rule, host, target.port))) return true;
    return `${target.host}:${target.port} is not allowed by this agent (it allows its own addresses; add --allow to permit more)`;
  };
}
