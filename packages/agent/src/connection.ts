import { setTimeout as sleep } from 'node:timers/promises';
import { dialTcp, TunnelSession, WS_MAX_PAYLOAD, type TunnelLimits, type TunnelLogger } from '@paddock/tunnel';
import WebSocket from 'ws';
import type { Backoff } from './backoff.js';
import { ServerRotation } from './rotation.js';
import { TrustError } from './trust.js';

/** Close code the server uses when this agent's node was deleted (the agent then exits 0). */
export const NODE_REMOVED_CLOSE_CODE = 4001;
const NODE_ID_HEADER = 'x-paddock-node-id';


export interface ConnectionOptions {
  /** `https://host[:port]` of the server, or of each of its replicas, tried in turn (see `ServerRotation`). */
  server: string | readonly string[];
  token: string;
  /**
   * The CA to trust: one PEM for every server (verified by checksum), undefined for the system trust store,
   * or a function giving it for a server (`ServerTrust.caFor`), called before each attempt on it; a
   * TrustError from that function fails the attempt and the agent moves on to the next server.
   */
  ca: string | undefined | ((server: string) => Promise<string | undefined>);
  /** The node facts sent as registration params (the node id is added once known). */
  params: Record<string, unknown>;
  /** May the server open a stream to this target through us? true, or the reason for refusing. */
  allow: (target: { host: string; port: number }) => true | string;
  limits?: Partial<TunnelLimits>;
  logger: TunnelLogger;
  backoff?: Backoff;
  signal?: AbortSignal;
}

/** How the agent's run ended: what main turns into an exit code and a message. */
export type AgentOutcome =
  | { kind: 'removed'; message: string }
  | { kind: 'refused'; status: number; message: string }
  | { kind: 'stopped' };

type Attempt =
  | { kind: 'session-ended'; code: number; reason: string }
  | { kind: 'refused'; status: number; message: string; retryAfterMs?: number }
  | { kind: 'failed'; message: string }
  | { kind: 'untrusted'; message: string };

/** Server answers that no retry will fix: the token or the request itself is wrong. */
const FATAL_STATUSES = new Set([400, 401, 403, 422]);

/**
 * Keeps this node's tunnel to the server up, for ever: registers (`/v3/connect/register`), then reconnects
 * (`/v3/connect`) after any loss — server restart, network or DNS failure, half-open connection (found by
 * the tunnel's ping timeout). With several servers a failed attempt or a lost tunnel moves on to the next
 * at once, and the exponential backoff (with jitter) applies after a full round (`ServerRotation`); the node
 * id learnt from any of them is the agent's, sent to all. Each change of a server's state is logged once
 * (per outage), with the server. Returns only when the server removed the node, refused the token or
 * parameters, or `signal` aborted.
 */
export async function keepConnected(options: ConnectionOptions): Promise<AgentOutcome> {
  const rotation = new ServerRotation(typeof options.server === 'string' ? [options.server] : options.server, options.backoff);
  const { ca } = options;
  const caFor = typeof ca === 'function' ? ca : async () => ca;
  let nodeId: string | undefined;
  // The last state logged for each server since the last connect.
  const logged = new Map<string, string>();
  const state = (server: string, name: string, fields: object, level: 'info' | 'warn' | 'error' = 'info') => {
    if (logged.get(server) === name) return;
    logged.set(server, name);
    options.logger[level]({ server, ...fields }, name);
  };

  while (!options.signal?.aborted) {
    const server = rotation.current;
    const attempt = await connectOnce(server, caFor, options, nodeId, (id) => (nodeId = id), () => {
      rotation.connected();
      logged.clear();
      state(server, 'connected', { nodeId });
    });
    if (options.signal?.aborted) break;
    let retryAfterMs = 0;
    if (attempt.kind === 'session-ended') {
      if (attempt.code === NODE_REMOVED_CLOSE_CODE) return { kind: 'removed', message: attempt.reason || 'node removed from Paddock' };
      state(server, `disconnected: ${attempt.reason || `websocket closed (${attempt.code})`}; reconnecting`, { code: attempt.code }, 'warn');
    } else if (attempt.kind === 'refused') {
      if (attempt.status === 404 && nodeId !== undefined) return { kind: 'removed', message: attempt.message };
      if (FATAL_STATUSES.has(attempt.status)) return { kind: 'refused', status: attempt.status, message: attempt.message };
      state(server, `server answered ${attempt.status}: ${attempt.message}; retrying`, { status: attempt.status }, 'warn');
      retryAfterMs = attempt.retryAfterMs ?? 0;
    } else if (attempt.kind === 'untrusted') {
      state(server, `not connecting to a server that fails the CA check: ${attempt.message}`, {}, 'error');
    } else {
      state(server, `cannot reach the server: ${attempt.message}; retrying`, {}, 'warn');
    }
    const wait = rotation.failed();
    // A Retry-After speaks for the server that sent it: it delays only the next attempt on that same server.
    const delay = rotation.current === server ? Math.max(wait, retryAfterMs) : wait;
    if (delay > 0) await sleep(delay, undefined, { signal: options.signal }).catch(() => undefined);
  }
  return { kind: 'stopped' };
}

function connectUrl(server: string, register: boolean): string {
  const url = new URL(server);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  url.pathname = register ? '/v3/connect/register' : '/v3/connect';
  return url.toString();
}

/** One attempt on `server`: its CA first (a TrustError fails the attempt), then the tunnel until it ends. */
async function connectOnce(
  server: string,
  caFor: (server: string) => Promise<string | undefined>,
  options: ConnectionOptions,
  nodeId: string | undefined,
  learnNodeId: (id: string) => void,
  onOpen: () => void,
): Promise<Attempt> {
  let ca: string | undefined;
  try {
    ca = await caFor(server);
  } catch (err) {
    if (!(err instanceof TrustError)) throw err;
    return { kind: err.reason === 'unreachable' ? 'failed' : 'untrusted', message: err.message };
  }
  const params = Buffer.from(JSON.stringify({ ...options.params, ...(nodeId ? { nodeId } : {}) })).toString('base64');
  const ws = new WebSocket(connectUrl(server, nodeId === undefined), {
    headers: { 'X-API-Tunnel-Token': options.token, 'X-API-Tunnel-Params': params },
    ...(ca ? { ca } : {}),
    handshakeTimeout: 10_000,
    maxPayload: WS_MAX_PAYLOAD,
  });
  return new Promise<Attempt>((resolve) => {
    const stop = () => ws.terminate();
    options.signal?.addEventListener('abort', stop, { once: true });
    const done = (attempt: Attempt) => {
      options.signal?.removeEventListener('abort', stop);
      resolve(attempt);
    };
    ws.once('upgrade', (res) => {
      const id = res.headers[NODE_ID_HEADER];
      if (typeof id === 'string' && id !== '') learnNodeId(id);
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body = (body + chunk).slice(0, 4096)));
      res.on('end', () => {
        const retryAfter = Number(res.headers['retry-after']);
        done({ kind: 'refused', status: res.statusCode ?? 0, message: body.trim() || `HTTP ${res.statusCode}`, retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : undefined });
        ws.terminate();
      });
    });
    ws.once('open', () => {
      const session = new TunnelSession(ws, { role: 'client', dial: dialTcp, allow: options.allow, limits: options.limits, logger: options.logger });
      onOpen();
      ws.once('close', (code, reason) => done({ kind: 'session-ended', code, reason: reason.toString() }));
      session.once('close', (reason: string) => options.logger.debug({ reason }, 'tunnel session closed'));
    });
    ws.on('error', (err) => {
      if (ws.readyState !== WebSocket.OPEN) done({ kind: 'failed', message: err.message });
    });
  });
}
