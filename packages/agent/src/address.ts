import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/**
 * What address resolution needs to know about this machine: its interfaces (as `os.networkInterfaces()`
 * gives them) and the IPv4 routing table (the text of /proc/net/route; undefined where there is none).
 * Passed in so the resolution is a pure function and tests can describe any machine.
 */
export interface HostNetwork {
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>;
  routeTable: string | undefined;
}

/** Reads the interfaces and /proc/net/route of this machine. */
export function readHostNetwork(): HostNetwork {
  let routeTable: string | undefined;
  try {
    routeTable = readFileSync('/proc/net/route', 'utf8');
  } catch (err) {
    // No /proc (not Linux, or a sandbox): fall back to the interface list alone.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
    routeTable = undefined;
  }
  return { interfaces: networkInterfaces(), routeTable };
}

/** Rancher's `--address` keywords that ask a cloud metadata service; Paddock does not query those. */
const CLOUD_KEYWORDS = new Set([
  'awslocal', 'awspublic', 'doprivate', 'dopublic', 'azprivate', 'azpublic',
  'gceinternal', 'gceexternal', 'packetlocal', 'packetpublic', 'ipify',
]);

/** A value `resolveAddress` cannot use; the message reads after the flag name ("--address eth9: ..."). */
export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

/**
 * The interface of the IPv4 default route in /proc/net/route text: the up route (flag RTF_UP) with
 * destination and mask 0 and the lowest metric. Undefined when there is none.
 */
export function defaultRouteInterface(routeTable: string): string | undefined {
  let best: { iface: string; metric: number } | undefined;
  for (const line of routeTable.split('\n').slice(1)) {
    const [iface, destination, , flags, , , metric, mask] = line.trim().split(/\s+/);
    if (!iface || destination !== '00000000' || mask !== '00000000') continue;
    if ((Number.parseInt(flags ?? '0', 16) & 0x1) === 0) continue;
    const m = Number.parseInt(metric ?? '0', 10);
    if (best === undefined || m < best.metric) best = { iface, metric: m };
  }
  return best?.iface;
}

const ipv4Of = (infos: NetworkInterfaceInfo[] | undefined): string | undefined =>
  infos?.find((i) => i.family === 'IPv4')?.address;

/**
 * The address this node announces when `--address` is not given: the first IPv4 address of the interface
 * carrying the default route, else the first non-internal IPv4 address of any interface.
 */
export function defaultAddress(net: HostNetwork): string {
  const iface = net.routeTable === undefined ? undefined : defaultRouteInterface(net.routeTable);
  const viaRoute = iface === undefined ? undefined : ipv4Of(net.interfaces[iface]);
  if (viaRoute !== undefined) return viaRoute;
  for (const infos of Object.values(net.interfaces)) {
    const found = infos?.find((i) => i.family === 'IPv4' && !i.internal);
    if (found) return found.address;
  }
  throw new AddressError('no default route and no non-loopback IPv4 address on this machine; pass an IP address');
}

/**
 * Turns an `--address`/`--internal-address` value into an IP address: an IP is used as given (it need not
 * be on this machine: a public address behind NAT is not), an interface name becomes that interface's
 * first IPv4 address. Throws AddressError for anything else.
 */
export function resolveAddress(value: string, net: HostNetwork): string {
  const unbracketed = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (isIP(unbracketed) !== 0) return unbracketed;
  const infos = net.interfaces[value];
  if (infos === undefined) {
    if (CLOUD_KEYWORDS.has(value)) {
      throw new AddressError(`asks a cloud metadata service, which Paddock does not do; pass the IP address or the interface name instead`);
    }
    const names = Object.keys(net.interfaces).join(', ');
    throw new AddressError(`is neither an IP address nor a network interface of this machine (interfaces: ${names || 'none'})`);
  }
  const address = ipv4Of(infos);
  if (address === undefined) throw new AddressError(`interface has no IPv4 address; pass the IP address to use`);
  return address;
}
