import { canonicalDnsName, canonicalIp } from '../tls/sans.js';

/**
 * Why `value` cannot be the server URL, or undefined when it can: an `https://` (or `http://`) origin
 * with no path, query or credentials, whose host is an IP or a DNS name a certificate can carry. Checked
 * for `--server-url` and for the `server-url` setting alike, so no accepted value breaks the next start.
 */
export function serverUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch (err) {
    return `"${value}" is not a URL (${(err as Error).message})`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'it must start with https:// (or http://)';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    return 'it must be scheme://host[:port] with no path, query or credentials';
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (canonicalIp(host) === undefined && canonicalDnsName(host) === undefined) {
    return `"${url.hostname}" is neither an IP address nor a valid DNS name`;
  }
  return undefined;
}
