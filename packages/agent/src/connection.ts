import { setTimeout as sleep } from 'node:timers/promises';
import { dialTcp, TunnelSession, WS_MAX_PAYLOAD, type TunnelLimits, type TunnelLogger } from '@paddock/tunnel';
import WebSocket from 'ws';
import { Backoff } from './backoff.js';

/** Close code the server uses when this agent's node was deleted (the agent then exits 0). */
export const NODE_REMOVED_CLOSE_CODE = 4001;
const NODE_ID_HEADER = 'x-paddock-node-id';


export interface ConnectionOptions {
  /** `https://host[:port]` of the server. */
  server: string;
  token: string;
  /** The pinned CA (verified by checksum); undefined: the system trust store. */
  ca: string | undefined;
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
  | { kind: 'failed'; message: string };

/** Server answers that no retry will fix: the token or the request itself is wrong. */
const FATAL_STATUSES = new Set([400, 401, 403, 422]);

/**
 * Keeps this node's tunnel to the server up, for ever: registers (`/v3/connect/register`), then reconnects
 * (`/v3/connect`) with exponential backoff and jitter after any loss — server restart, network or DNS
 * failure, half-open connection (found by the tunnel's ping timeout). Each change of state is logged once.
 * Returns only when the server removed the node, refused the token or parameters, or `signal` aborted.
 */
export async function keepConnected(options: ConnectionOptions): Promise<AgentOutcome> {
  const backoff = options.backoff ?? new Backoff();
  let nodeId: string | undefined;
  let lastState = '';
  const state = (name: string, fields: object, level: 'info' | 'warn' = 'info') => {
    if (name === lastState) return;
    lastState = name;
    options.logger[level](fields, name);
  };

  while (!options.signal?.aborted) {
    const attempt = await connectOnce(options, nodeId, (id) => (nodeId = id), () => {
      backoff.reset();
      state('connected', { server: options.server, nodeId });
    });
    if (options.signal?.aborted) break;
    if (attempt.kind === 'session-ended') {
      if (attempt.code === NODE_REMOVED_CLOSE_CODE) return { kind: 'removed', message: attempt.reason || 'node removed from Paddock' };
      state(`disconnected: ${attempt.reason || `websocket closed (${attempt.code})`}; reconnecting`, { code: attempt.code }, 'warn');
    } else if (attempt.kind === 'refused') {
      if (attempt.status === 404 && nodeId !== undefined) return { kind: 'removed', message: attempt.message };
      if (FATAL_STATUSES.has(attempt.status)) return { kind: 'refused', status: attempt.status, message: attempt.message };
      state(`server answered ${attempt.status}: ${attempt.message}; retrying`, { status: attempt.status }, 'warn');
      if (attempt.retryAfterMs) await sleep(attempt.retryAfterMs, undefined, { signal: options.signal }).catch(() => undefined);
    } else {
      state(`cannot reach the server: ${attempt.message}; retrying`, { server: options.server }, 'warn');
    }
    await sleep(backoff.next(), undefined, { signal: options.signal }).catch(() => undefined);
  }
  return { kind: 'stopped' };
}

function connectUrl(server: string, register: boolean): string {
  const url = new URL(server);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  url.pathname = register ? '/v3/connect/register' : '/v3/connect';
  return url.toString();
}

function connectOnce(
  options: ConnectionOptions,
  nodeId: string | undefined,
  learnNodeId: (id: string) => void,
  onOpen: () => void,
): Promise<Attempt> {
  const params = Buffer.from(JSON.stringify({ ...options.params, ...(nodeId ? { nodeId } : {}) })).toString('base64');
  const ws = new WebSocket(connectUrl(options.server, nodeId === undefined), {
    headers: { 'X-API-Tunnel-Token': options.token, 'X-API-Tunnel-Params': params },
    ...(options.ca ? { ca: options.ca } : {}),
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
