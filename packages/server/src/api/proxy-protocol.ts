import { BlockList, isIP, type Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { Logger } from '../informer/logger.js';

/** PROXY protocol v2's signature (12 bytes), and v1's line prefix. */
const V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const V1_PREFIX = Buffer.from('PROXY ');
/** v1 lines are at most 107 bytes; v2 headers 16 + their length (addresses and TLVs; 536 is plenty). */
const V1_MAX = 107;
const V2_MAX = 16 + 536;
const HEADER_TIMEOUT_MS = 5_000;

/** What a header says: the client's address, or none (a LOCAL / UNKNOWN connection: the balancer's own check). */
export type ProxyHeader = { client: string | undefined; length: number };

export class ProxyHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProxyHeaderError';
  }
}

/**
 * Parses a PROXY protocol header at the start of `data`: undefined while more bytes are needed, `null` when the
 * connection does not start with one (a direct client), or the header. Throws ProxyHeaderError when malformed.
 */
export function parseProxyHeader(data: Buffer): ProxyHeader | null | undefined {
  const prefix = (sig: Buffer) => data.subarray(0, sig.length).equals(sig.subarray(0, Math.min(sig.length, data.length)));
  if (prefix(V2_SIGNATURE)) return data.length < 16 ? undefined : parseV2(data);
  if (prefix(V1_PREFIX)) return data.length < V1_PREFIX.length ? undefined : parseV1(data);
  return null;
}

function parseV1(data: Buffer): ProxyHeader | undefined {
  const end = data.indexOf('\r\n');
  if (end < 0) {
    if (data.length >= V1_MAX) throw new ProxyHeaderError('PROXY v1 line longer than 107 bytes');
    return undefined;
  }
  const [, family, source] = data.subarray(0, end).toString('latin1').split(' ');
  if (family === 'UNKNOWN') return { client: undefined, length: end + 2 };
  if ((family !== 'TCP4' && family !== 'TCP6') || !source || isIP(source) !== (family === 'TCP4' ? 4 : 6)) {
    throw new ProxyHeaderError('malformed PROXY v1 line');
  }
  return { client: source, length: end + 2 };
}

function parseV2(data: Buffer): ProxyHeader | undefined {
  const versionCommand = data[12] ?? 0;
  const family = data[13] ?? 0;
  const length = 16 + data.readUInt16BE(14);
  if (versionCommand >> 4 !== 2 || length > V2_MAX) throw new ProxyHeaderError('malformed PROXY v2 header');
  if (data.length < length) return undefined;
  // LOCAL: the balancer speaking for itself (health checks).
  if ((versionCommand & 0x0f) === 0) return { client: undefined, length };
  if ((versionCommand & 0x0f) !== 1) throw new ProxyHeaderError('unknown PROXY v2 command');
  if (family === 0x11 && length >= 16 + 12) return { client: [...data.subarray(16, 20)].join('.'), length };
  if (family === 0x21 && length >= 16 + 36) {
    const words = Array.from({ length: 8 }, (_, i) => data.readUInt16BE(16 + 2 * i).toString(16));
    // The compressed form, as a direct IPv6 client's address reads (one client, one throttle key).
    return { client: new URL(`http://[${words.join(':')}]/`).hostname.slice(1, -1), length };
  }
  // Other families (UNIX sockets, unspecified): no client address to use.
  return { client: undefined, length };
}

/** Parses `--proxy-protocol-from` entries (IPs and CIDRs) into a BlockList. */
export function trustedSources(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/**
 * Lets a TCP load balancer in front of the replicas (haproxy `send-proxy-v2`) say who the client is: a connection
 * from a `trusted` address must start with a PROXY protocol header (v1 or v2; LOCAL for the balancer's own health
 * checks), and the client address in it is what the connection's `remoteAddress` says from then on (throttling,
 * the audit log, X-Forwarded-For). A header is required, not optional: otherwise anything else that reaches the
 * server from that address could write its own and claim any client address. From anywhere else a header is never
 * looked for.
 */
export function acceptProxyProtocol(server: TlsServer, trusted: BlockList, logger: Logger): void {
  const handlers = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  const hand = (socket: Socket) => {
    for (const handler of handlers) handler.call(server, socket);
  };
  /** `address:port` of the balancer's end of a connection -> the client it speaks for. */
  const clients = new Map<string, string>();
  server.on('connection', (socket: Socket) => {
    const from = socket.remoteAddress ?? '';
    if (!trusted.check(from.replace(/^::ffff:/, ''), isIP(from.replace(/^::ffff:/, '')) === 6 ? 'ipv6' : 'ipv4')) return hand(socket);
    readHeader(socket)
      .then((header) => {
        if (header === 'closed') return;
        if (header === null) throw new ProxyHeaderError('a connection from a trusted load balancer without a PROXY protocol header');
        if (header.client) {
          const key = `${from}:${socket.remotePort ?? 0}`;
          clients.set(key, header.client);
          socket.once('close', () => clients.delete(key));
        }
        hand(socket);
      })
      .catch((err: unknown) => {
        logger.warn({ err, from }, 'refused a connection from a trusted load balancer');
        socket.destroy();
      });
  });
  server.on('secureConnection', (tls: TLSSocket) => {
    const client = clients.get(`${tls.remoteAddress ?? ''}:${tls.remotePort ?? 0}`);
    // Everything that asks this connection who the client is asks remoteAddress.
    if (client) Object.defineProperty(tls, 'remoteAddress', { value: client, configurable: true });
  });
}

/**
 * Reads a header if there is one, leaving every byte after it to be read as usual (the TLS handshake); 'closed'
 * when the peer went away first (a TCP health check), which needs nothing more.
 */
function readHeader(socket: Socket): Promise<ProxyHeader | null | 'closed'> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new ProxyHeaderError('no PROXY header in 5 s')), HEADER_TIMEOUT_MS);
    const closed = () => {
      finish('closed');
      socket.destroy();
    };
    const finish = (outcome: ProxyHeader | null | Error | 'closed') => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', finish);
      socket.off('end', closed);
      socket.off('close', closed);
      socket.pause();
      if (outcome instanceof Error) return reject(outcome);
      if (outcome === 'closed') return resolve(outcome);
      // The rest (a TLS ClientHello) goes back to be read by the TLS socket made next.
      const rest = data.subarray(outcome?.length ?? 0);
      if (rest.length > 0) socket.unshift(rest);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      try {
        const header = parseProxyHeader(data);
        if (header !== undefined) finish(header);
      } catch (err) {
        finish(err instanceof Error ? err : new ProxyHeaderError(String(err)));
      }
    };
    socket.on('data', onData);
    socket.once('error', finish);
    socket.once('end', closed);
    socket.once('close', closed);
  });
}
