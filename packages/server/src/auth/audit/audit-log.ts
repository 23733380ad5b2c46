import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Caller } from '../../api/context.js';
import type { AuditFile } from './audit-file.js';
import { redact, redactString } from './redact.js';

/** Rancher's audit levels: 0 off, 1 metadata, 2 + request body, 3 + response body. */
export type AuditLevel = 0 | 1 | 2 | 3;

/** One finished request, as the HTTP layer saw it. */
export interface AuditedRequest {
  method: string;
  /** Path and query as requested. */
  url: string;
  sourceIp: string;
  userAgent: string | undefined;
  status: number;
  latencyMs: number;
  caller: Caller | undefined;
  requestBody: unknown;
  /** The response payload as sent (JSON text), when there was one. */
  responsePayload: string | undefined;
}

/** The audit record of a request answered outside fastify (proxied, or a websocket upgrade): no bodies. */
export function rawRequestRecord(req: IncomingMessage, status: number, startedAt: number, caller: Caller | undefined): AuditedRequest {
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '',
    sourceIp: req.socket.remoteAddress ?? '',
    userAgent: req.headers['user-agent'],
    status,
    latencyMs: performance.now() - startedAt,
    caller,
    requestBody: undefined,
    responsePayload: undefined,
  };
}

export interface AuditLogOptions {
  level: AuditLevel;
  file: AuditFile | undefined;
  /** Also write each line here (stdout when configured). */
  echo: ((line: string) => void) | undefined;
  now: () => Date;
}

/** `/v3/<type>/<id>`: the resource type and id a request is about, when the path names them. */
export function resourceOf(url: string): { resourceType?: string; resourceId?: string } {
  const path = url.split('?')[0] ?? '';
  const match = /^\/(?:v3|v3-public|k8s\/clusters)\/([^/]+)(?:\/([^/]+))?/i.exec(path);
  if (!match) return {};
  const decode = (s: string | undefined) => (s === undefined ? undefined : safeDecode(s));
  return { resourceType: decode(match[1])?.toLowerCase(), resourceId: decode(match[2]) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch (err) {
    // A malformed escape is audited as sent (the request itself was refused with a 404).
    if (err instanceof URIError) return s;
    throw err;
  }
}

function parsePayload(payload: string): unknown {
  try {
    return JSON.parse(payload) as unknown;
  } catch (err) {
    // Not JSON (an HTML view, a PEM): recorded as text, still redacted.
    if (err instanceof SyntaxError) return payload;
    throw err;
  }
}

/**
 * The audit log: one JSON line per API request (who, what, on which resource, the answer and how long it
 * took), secrets redacted at every level, written to a size-rotated file and optionally echoed to stdout.
 */
export class AuditLog {
  constructor(private readonly options: AuditLogOptions) {}

  get level(): AuditLevel {
    return this.options.level;
  }

  record(req: AuditedRequest): void {
    const { level } = this.options;
    if (level === 0) return;
    const uri = redactString(req.url);
    const resource = resourceOf(uri);
    const entry: Record<string, unknown> = {
      auditID: randomUUID(),
      stageTimestamp: this.options.now().toISOString(),
      user: req.caller ? { id: req.caller.userId, name: req.caller.username, tokenId: req.caller.tokenId } : null,
      verb: req.method,
      requestURI: uri,
      resourceType: resource.resourceType,
      resourceId: resource.resourceId,
      sourceIPs: [req.sourceIp],
      userAgent: req.userAgent,
      responseStatus: req.status,
      latencyMs: Math.round(req.latencyMs * 1000) / 1000,
    };
    if (level >= 2 && req.requestBody !== undefined) entry.requestBody = redact(req.requestBody);
    if (level >= 3 && req.responsePayload) entry.responseBody = redact(parsePayload(req.responsePayload));
    const line = `${JSON.stringify(entry)}\n`;
    this.options.file?.write(line);
    this.options.echo?.(line);
  }

  async close(): Promise<void> {
    await this.options.file?.close();
  }
}
