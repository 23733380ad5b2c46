import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Kubernetes' reason for each status Paddock answers with itself (before reaching a cluster). */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  429: 'TooManyRequests',
  502: 'InternalError',
  503: 'ServiceUnavailable',
};

/** A `metav1.Status` failure, the error body every Kubernetes client understands. */
export function statusBody(code: number, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: REASONS[code] ?? 'InternalError', code });
}

export function sendStatus(res: ServerResponse, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = statusBody(code, message);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers }).end(body);
}

/** The same, on a socket whose upgrade is refused. */
export function refuseUpgrade(socket: Duplex, code: number, message: string): void {
  const body = statusBody(code, message);
  socket.end(`HTTP/1.1 ${code} ${REASONS[code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
