import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Upstream } from './upstream.js';

/** A Kubernetes API answer Paddock reads itself (not proxied): status and parsed JSON. */
export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
}

/** The cluster answered with an error Paddock did not expect. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${status} ${message}`);
    this.name = 'KubeApiError';
  }
}

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const TIMEOUT_MS = 15_000;

/**
 * One JSON request to a cluster's API with the cluster's own credential (Paddock acting for itself: status
 * probes, RBAC sync). Bounded in size and time.
 */
export function kubeRequest<T = unknown>(upstream: Upstream, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeResponse<T>> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const send = upstream.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        protocol: upstream.url.protocol,
        hostname: upstream.url.hostname.replace(/^\[|\]$/g, ''),
        port: upstream.url.port,
        method,
        path: `${upstream.url.pathname.replace(/\/+$/, '')}${path}`,
        agent: upstream.agent,
        timeout: TIMEOUT_MS,
        headers: {
          accept: 'application/json',
          ...(upstream.authorization ? { authorization: upstream.authorization } : {}),
          ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error(`${path}: response larger than ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch (err) {
            // Not JSON (e.g. /readyz's "ok"): kept as text.
            if (!(err instanceof SyntaxError)) throw err;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** `kubeRequest` that expects one of `ok` statuses, else throws KubeApiError with the cluster's message. */
export async function kubeCall<T = unknown>(upstream: Upstream, method: string, path: string, body?: unknown, ok: number[] = [200, 201], contentType?: string): Promise<T> {
  const res = await kubeRequest<T>(upstream, method, path, body, contentType);
  if (!ok.includes(res.status)) {
    const message = (res.body as { message?: string } | undefined)?.message ?? String(res.body ?? '');
    throw new KubeApiError(res.status, path, message);
  }
  return res.body;
}

/** A JSON merge patch (RFC 7386): changes only the fields it names, so it never conflicts with other writers. */
export function kubeMergePatch<T = unknown>(upstream: Upstream, path: string, patch: unknown): Promise<T> {
  return kubeCall<T>(upstream, 'PATCH', path, patch, [200], 'application/merge-patch+json');
}
