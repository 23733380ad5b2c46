import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller } from '../../api/context.js';
import type { AuditLog } from './audit-log.js';

/** Requests that are not API calls: load balancers' health checks would drown the log. */
const NOT_AUDITED = new Set(['/ping', '/healthz']);

/**
 * Audits every request the server answers. The API layer tells it who the caller was (`noteCaller`);
 * the response body is captured only at level 3.
 */
export class AuditHooks {
  readonly #callers = new WeakMap<FastifyRequest, Caller>();
  readonly #payloads = new WeakMap<FastifyRequest, string>();

  constructor(private readonly audit: AuditLog) {}

  noteCaller(req: FastifyRequest, caller: Caller | undefined): void {
    if (caller) this.#callers.set(req, caller);
  }

  register(app: FastifyInstance): void {
    if (this.audit.level === 0) return;
    if (this.audit.level >= 3) {
      app.addHook('onSend', async (req, _reply, payload) => {
        if (typeof payload === 'string') this.#payloads.set(req, payload);
        return payload;
      });
    }
    app.addHook('onResponse', async (req, reply) => {
      if (NOT_AUDITED.has(req.url.split('?')[0] ?? '')) return;
      this.audit.record({
        method: req.method,
        url: req.url,
        sourceIp: req.ip,
        userAgent: req.headers['user-agent'],
        status: reply.statusCode,
        latencyMs: reply.elapsedTime,
        caller: this.#callers.get(req),
        requestBody: req.body,
        responsePayload: this.#payloads.get(req),
      });
    });
  }
}
