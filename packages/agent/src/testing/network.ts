import { createServer, type AddressInfo } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import type { HostNetwork } from '../address.js';

/** An IPv4 entry as `os.networkInterfaces()` gives it. */
export const ipv4 = (address: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: '255.255.255.0',
  family: 'IPv4',
  mac: '02:00:00:00:00:01',
  internal,
  cidr: `${address}/24`,
});

/** An IPv6 entry as `os.networkInterfaces()` gives it. */
export const ipv6 = (address: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: 'ffff:ffff:ffff:ffff::',
  family: 'IPv6',
  mac: '02:00:00:00:00:01',
  internal,
  cidr: `${address}/64`,
  scopeid: 0,
});

/** /proc/net/route text from `[iface, destination, flags, metric, mask]` rows (hex as the kernel prints). */
export const routeTable = (rows: [string, string, string, number, string][]): string =>
  [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    ...rows.map(([iface, dest, flags, metric, mask]) => `${iface}\t${dest}\t0101A8C0\t${flags}\t0\t0\t${metric}\t${mask}\t0\t0\t0`),
  ].join('\n');

/**
 * A machine for tests: loopback, eth0 (IPv6 first, then 10.0.0.5), eth1 (192.168.1.7, carrying the
 * default route with the lowest metric), wg0 (IPv6 only).
 */
export const TEST_NETWORK: HostNetwork = {
  interfaces: {
    lo: [ipv4('127.0.0.1', true), ipv6('::1', true)],
    eth0: [ipv6('fd00::5'), ipv4('10.0.0.5')],
    eth1: [ipv4('192.168.1.7')],
    wg0: [ipv6('fd01::1')],
  },
  routeTable: routeTable([
    ['eth0', '00000000', '0003', 200, '00000000'],
    ['eth1', '00000000', '0003', 100, '00000000'],
    ['eth0', '0000000A', '0001', 0, '000000FF'],
  ]),
};

/** A port on 127.0.0.1 where nothing listens: the OS picked it for a server that is closed again. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
