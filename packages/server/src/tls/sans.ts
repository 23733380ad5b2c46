import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { TlsConfigError } from './errors.js';

/**
 * Subject alternative names of a certificate. DNS names are lowercase without a trailing dot; IPs are
 * in canonical text form (dotted quad, or RFC 5952 compressed lowercase IPv6 without a zone).
 */
export interface SubjectAltNames {
  readonly dns: readonly string[];
  readonly ips: readonly string[];
}

/** What this machine is called and the addresses it has; read from `node:os` unless injected. */
export interface HostInfo {
  readonly hostname: string;
  readonly addresses: readonly string[];
}

/** A DNS name made of letter-digit-hyphen labels: the only names put into generated certificates. */
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The host name and every interface address of this machine (loopback included). */
export function localHostInfo(): HostInfo {
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
  return { hostname: hostname(), addresses };
}

/**
 * The canonical text form of an IP address, or undefined when `text` is not one. An IPv6 zone
 * (`%eth0`) is dropped, since certificates cannot carry it.
 */
export function canonicalIp(text: string): string | undefined {
  const ip = text.replace(/%.*$/, '');
  switch (isIP(ip)) {
    case 4:
      return ip;
    case 6:
      // WHATWG URL serialises IPv6 hosts in the RFC 5952 form: "[0:0:0:0:0:0:0:1]" -> "[::1]".
      return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
    default:
      return undefined;
  }
}

/** A lowercase DNS name without a trailing dot, or undefined when `text` is not a plain DNS name. */
export function canonicalDnsName(text: string): string | undefined {
  const name = text.toLowerCase().replace(/\.$/, '');
  return DNS_NAME.test(name) ? name : undefined;
}

/**
 * The host part of the server URL: an IP (canonical) or a DNS name (lowercase).
 * Throws TlsConfigError when the URL cannot be parsed or its host is neither.
 */
export function serverUrlHost(serverUrl: string): { kind: 'ip' | 'dns'; value: string } {
  let host: string;
  try {
    host = new URL(serverUrl).hostname;
  } catch (err) {
    throw new TlsConfigError(`server URL "${serverUrl}" is not a valid URL`, { cause: err });
  }
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const ip = canonicalIp(bare);
  if (ip !== undefined) return { kind: 'ip', value: ip };
  const dns = canonicalDnsName(bare);
  if (dns !== undefined) return { kind: 'dns', value: dns };
  throw new TlsConfigError(`server URL "${serverUrl}" has no usable host name`);
}

/**
 * The names a generated serving certificate must hold: `localhost`, 127.0.0.1, ::1, the host name,
 * every address in `host`, and the server URL's host when given. Sorted and without duplicates.
 * A host name that is not a plain DNS name (e.g. with an underscore) is left out.
 */
export function requiredSans(host: HostInfo, serverUrl?: string): SubjectAltNames {
  const dns = new Set(['localhost']);
  const ips = new Set(['127.0.0.1', '::1']);
  const addName = (name: string): void => {
    const ip = canonicalIp(name);
    if (ip !== undefined) ips.add(ip);
    else {
      const dnsName = canonicalDnsName(name);
      if (dnsName !== undefined) dns.add(dnsName);
    }
  };
  addName(host.hostname);
  host.addresses.forEach(addName);
  if (serverUrl !== undefined && serverUrl !== '') {
    const urlHost = serverUrlHost(serverUrl);
    (urlHost.kind === 'ip' ? ips : dns).add(urlHost.value);
  }
  return { dns: [...dns].sort(), ips: [...ips].sort() };
}

/**
 * The names in `wanted` that `cert` does not cover, as `DNS:<name>` / `IP:<ip>`; [] when it covers
 * them all. Uses node's own host and IP matching; the subject CN never counts.
 */
export function missingSans(cert: X509Certificate, wanted: SubjectAltNames): string[] {
  const missingDns = wanted.dns.filter((name) => cert.checkHost(name, { subject: 'never' }) === undefined);
  const missingIps = wanted.ips.filter((ip) => cert.checkIP(ip) === undefined);
  return [...missingDns.map((n) => `DNS:${n}`), ...missingIps.map((ip) => `IP:${ip}`)];
}

/** The DNS and IP names in the certificate's subjectAltName extension, canonicalised; others are ignored. */
export function sansOf(cert: X509Certificate): SubjectAltNames {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const [type, value] of parseSubjectAltName(cert.subjectAltName ?? '')) {
    if (type === 'DNS') dns.push(value.toLowerCase());
    else if (type === 'IP Address') ips.push(canonicalIp(value) ?? value);
  }
  return { dns, ips };
}

/**
 * Splits node's subjectAltName text (`DNS:a, IP Address:1.2.3.4, DNS:"quoted, value"`) into
 * [type, value] pairs. Node quotes values holding separators as JSON strings.
 */
function parseSubjectAltName(text: string): Array<[string, string]> {
  const entry = /([^:,]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/y;
  const out: Array<[string, string]> = [];
  let match: RegExpExecArray | null;
  while (entry.lastIndex < text.length && (match = entry.exec(text)) !== null) {
    const [, type = '', raw = ''] = match;
    out.push([type, raw.startsWith('"') ? (JSON.parse(raw) as string) : raw]);
  }
  return out;
}
