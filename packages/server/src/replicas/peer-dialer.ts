import type { Duplex } from 'node:stream';
import { TunnelSession, WS_MAX_PAYLOAD, type TunnelLimits } from '@paddock/tunnel';
import { WebSocket } from 'ws';
import type { Logger } from '../informer/logger.js';
import { NoTunnelError, type DialOptions, type DialVia, type RemoteDialer } from '../tunnel/dialer.js';
import { encodeVia, PEER_ID_HEADER, PEER_PATH, PEER_TIME_HEADER, PEER_TOKEN_HEADER, peerToken } from './peer-protocol.js';

/** Who holds which tunnels, and where those replicas are (ReplicaSessions). */
export interface TunnelHolders {
  holders(via: DialVia): { replica: string; address: string }[];
}

export interface PeerDialerOptions {
  identity: string;
  secret: Buffer;
  holders: TunnelHolders;
  /** The CA the replicas share (PEM): peers' serving certificates are checked against it. */
  ca: () => string;
  limits?: Partial<TunnelLimits>;
  logger: Logger;
}

interface PeerConnection {
  address: string;
  session: TunnelSession;
}

/**
 * Dials through agent tunnels held by other replicas, the way Rancher's peer-aware tunnel server does: one
 * websocket to each replica it needs (made on first use, kept while it lives), each stream naming the node or
 * cluster the peer dials through. Holders are tried best first; the peer dials only through tunnels it holds
 * itself, so a request is forwarded at most once.
 */
export class PeerDialer implements RemoteDialer {
  readonly #options: PeerDialerOptions;
  readonly #peers = new Map<string, PeerConnection>();
  #closed = false;

  constructor(options: PeerDialerOptions) {
    this.#options = options;
  }

  async dial(via: DialVia, host: string, port: number, options: DialOptions): Promise<Duplex> {
    const holders = this.#options.holders.holders(via);
    if (holders.length === 0) throw new NoTunnelError(via);
    const failures: string[] = [];
    for (const { replica, address } of holders) {
      if (options.signal?.aborted) break;
      try {
        return await this.#peer(replica, address).open({ host, port, via: encodeVia(via) }, options);
      } catch (err) {
        // The holder may have lost the tunnel a moment ago, or died: try the next one.
        failures.push(`replica ${replica}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    throw new NoTunnelError(via, failures.join('; '));
  }

  /** Closes every peer connection; later dials fail. */
  close(): void {
    this.#closed = true;
    for (const { session } of this.#peers.values()) session.close('server shutting down');
    this.#peers.clear();
  }

  #peer(replica: string, address: string): TunnelSession {
    if (this.#closed) throw new Error('server shutting down');
    const known = this.#peers.get(replica);
    if (known && known.address === address && !known.session.closed) return known.session;
    known?.session.close('replica moved');
    const { identity, secret, ca, limits, logger } = this.#options;
    const shared = ca();
    const time = Date.now();
    const ws = new WebSocket(`wss://${address}${PEER_PATH}`, {
      // Only the replicas' own CA: a certificate some public CA issued for the advertised name gets no token.
      // (With a certificate of the operator's own and no CA in cacerts, the system's roots are all there is.)
      ...(shared ? { ca: [shared] } : {}),
      headers: { [PEER_ID_HEADER]: identity, [PEER_TIME_HEADER]: String(time), [PEER_TOKEN_HEADER]: peerToken(secret, identity, time) },
      maxPayload: WS_MAX_PAYLOAD,
      handshakeTimeout: 5_000,
    });
    ws.on('unexpected-response', (_req, res) => {
      logger.warn({ replica, address, status: res.statusCode }, 'a replica refused this one\'s peer connection');
      ws.terminate();
    });
    // The peer only dials for us: this side opens every stream.
    const session = new TunnelSession(ws, { role: 'server', limits, logger });
    const connection = { address, session };
    this.#peers.set(replica, connection);
    session.once('close', (reason: string) => {
      if (this.#peers.get(replica) === connection) this.#peers.delete(replica);
      logger.debug({ replica, address, reason }, 'peer connection closed');
    });
    return session;
  }
}
