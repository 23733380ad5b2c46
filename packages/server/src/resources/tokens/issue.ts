import { generateName, hashSecret, newTokenSecret } from '../../auth/secrets.js';
import type { JsonObject } from '../../schema/validate.js';
import type { TokenData } from './schema.js';

export interface TokenRequest {
  userId: string;
  tokenKind: 'session' | 'apikey' | 'kubeconfig';
  /** Milliseconds; 0 = no expiry. */
  ttl: number;
  description?: string;
  clusterId?: string | null;
  now: Date;
}

/**
 * A new token's id, stored data and full `token-xxxxx:secret` value. The secret is returned here once
 * and only its hash is kept.
 */
export function newToken(req: TokenRequest): { id: string; data: TokenData & JsonObject; value: string } {
  const id = generateName('token');
  const secret = newTokenSecret();
  const expiresAt = req.ttl > 0 ? new Date(req.now.getTime() + req.ttl).toISOString() : '';
  const data: TokenData & JsonObject = {
    name: id,
    description: req.description ?? '',
    ttl: req.ttl,
    userId: req.userId,
    authProvider: 'local',
    userPrincipal: `local://${req.userId}`,
    isDerived: req.tokenKind !== 'session',
    expiresAt,
    enabled: true,
    clusterId: req.clusterId ?? null,
    labels: {
      'authn.management.cattle.io/token-userId': req.userId,
      'authn.management.cattle.io/kind': req.tokenKind === 'apikey' ? '' : req.tokenKind,
    },
    tokenHash: hashSecret(secret),
    tokenKind: req.tokenKind,
  };
  return { id, data, value: `${id}:${secret}` };
}

/** Caps a requested API-key lifetime by `auth-token-max-ttl-minutes` (0 = no cap). */
export function cappedTtl(requestedMs: number, maxMinutes: number): number {
  const max = maxMinutes * 60_000;
  if (max <= 0) return requestedMs;
  return requestedMs <= 0 ? max : Math.min(requestedMs, max);
}
