import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { TunnelSession, WS_MAX_PAYLOAD, type DialTarget, type TunnelLimits } from '@paddock/tunnel';
import { WebSocketServer } from 'ws';
import type { Logger } from '../informer/logger.js';
import type { DialOptions, DialVia } from '../tunnel/dialer.js';
import { decodeVia, PEER_ID_HEADER, PEER_PATH, PEER_TIME_HEADER, PEER_TOKEN_HEADER, peerTokenValid } from './peer-protocol.js';

/** Dials through a tunnel this replica holds, never through another replica. */
export interface LocalDialer {
  dial(via: DialVia, host: string, port: number, options: DialOptions): Promise<Duplex>;
}

export interface PeerEndpointOptions {
  secret: Buffer;
  dialer: LocalDialer;
  limits?: Partial<TunnelLimits>;
  logger: Logger;
}

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * The other replicas' door (`GET /v3/connect/peer`, upgraded to a websocket): a replica that proves it holds
 * the replicas' secret may open streams through the agent tunnels this one holds. Anything else is refused
 * with 401, and nothing it sends is dialed.
 */
export class PeerEndpoint {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });
  readonly #sessions = new Set<TunnelSession>();

  constructor(private readonly options: PeerEndpointOptions) {}

  /** Handles an HTTP upgrade if it is for the peer path; returns false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? '').split('?')[0]?.replace(/\/+$/, '').toLowerCase();
    if (path !== PEER_PATH) return false;
    const peer = header(req, PEER_ID_HEADER);
    const token = header(req, PEER_TOKEN_HEADER);
    const time = header(req, PEER_TIME_HEADER);
    if (!peer || !token || !time || !peerTokenValid(this.options.secret, peer, time, token)) {
      this.options.logger.warn({ remote: req.socket.remoteAddress, peer }, 'refused a peer connection without a valid replica token (or with a clock more than 5 minutes off)');
      const body = 'not a replica of this Paddock\n';
      socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      return true;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new TunnelSession(ws, {
        role: 'client',
        acceptVia: true,
        dial: (target, signal) => this.#dial(target, signal),
        limits: this.options.limits,
        logger: this.options.logger,
      });
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      this.options.logger.debug({ peer }, 'peer replica connected');
    });
    return true;
  }

  close(): void {
    for (const session of this.#sessions) session.close('server shutting down');
    this.#wss.close();
  }

  #dial(target: DialTarget, signal: AbortSignal): Promise<Duplex> {
    const via = target.via === undefined ? undefined : decodeVia(target.via);
    if (!via) return Promise.reject(new Error('a peer dial names the node or cluster to dial through (via)'));
    return this.options.dialer.dial(via, target.host, target.port, { signal });
  }
}
