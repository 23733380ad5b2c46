import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { AdvertiseAddress } from '../config/config.js';
import { tolerate } from '../store/tolerate.js';
import { StoreAlreadyExistsError, type ResourceStore } from '../store/types.js';
import type { DialVia } from '../tunnel/dialer.js';

/**
 * What replicas say to each other: a replica dials through another's agent tunnels over a websocket to
 * `PEER_PATH`, authenticated by an HMAC of its identity under a secret only the replicas hold (kept in the
 * store, never served by the API). Each stream's target names the node or cluster to dial through (`via`).
 */
export const PEER_PATH = '/v3/connect/peer';
export const PEER_ID_HEADER = 'x-paddock-peer-id';
export const PEER_TOKEN_HEADER = 'x-paddock-peer-token';
export const PEER_TIME_HEADER = 'x-paddock-peer-time';
/** How far a peer's timestamp may be from this replica's clock: a captured token is useless after this. */
export const PEER_TOKEN_WINDOW_MS = 5 * 60_000;

/** Internal kind of the replicas' shared secret (one object, `replicas`). */
export const PEER_SECRET_KIND = 'peerSecret';
const PEER_SECRET_ID = 'replicas';

interface PeerSecretData {
  /** 32 random bytes, base64. */
  secret: string;
}

/** The replicas' shared secret: made by whichever replica starts first, read by the others. */
export async function loadPeerSecret(store: ResourceStore): Promise<Buffer> {
  // Of replicas starting together one creates it; the others' creates fail, and all read the one stored.
  await tolerate(StoreAlreadyExistsError, store.create<PeerSecretData>(PEER_SECRET_KIND, PEER_SECRET_ID, { secret: randomBytes(32).toString('base64') }));
  const stored = await store.get<PeerSecretData>(PEER_SECRET_KIND, PEER_SECRET_ID);
  if (!stored) throw new Error('the replicas\' peer secret vanished from the store just after it was written');
  return Buffer.from(stored.data.secret, 'base64');
}

/** The token a replica presents at `time` (ms since the epoch): HMAC-SHA256 of its identity and that time, hex. */
export function peerToken(secret: Buffer, identity: string, time: number): string {
  return createHmac('sha256', secret).update(`paddock-peer:${identity}:${time}`).digest('hex');
}

/** Whether `token` is `identity`'s for `timeText`, and that time is within the window of `now`. */
export function peerTokenValid(secret: Buffer, identity: string, timeText: string, token: string, now = Date.now()): boolean {
  const time = Number(timeText);
  if (!/^\d{1,16}$/.test(timeText) || Math.abs(now - time) > PEER_TOKEN_WINDOW_MS) return false;
  const expected = Buffer.from(peerToken(secret, identity, time));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `via` on the wire: `node.<node id>` or `cluster.<cluster id>`. */
export function encodeVia(via: DialVia): string {
  return 'nodeId' in via ? `node.${via.nodeId}` : `cluster.${via.clusterId}`;
}

export function decodeVia(text: string): DialVia | undefined {
  if (text.startsWith('node.') && text.length > 5) return { nodeId: text.slice(5) };
  if (text.startsWith('cluster.') && text.length > 8) return { clusterId: text.slice(8) };
  return undefined;
}

/**
 * `host:port` other replicas dial: `--advertise-address`, else the bind address when it names one, else this
 * host's first non-loopback IPv4 (loopback when it has none), at the HTTPS port.
 */
export function advertisedAddress(configured: AdvertiseAddress | undefined, bindAddress: string, httpsPort: number): string {
  const wildcard = bindAddress === '0.0.0.0' || bindAddress === '::';
  const host = configured?.host ?? (wildcard ? firstExternalIpv4() : bindAddress);
  const port = configured?.port ?? httpsPort;
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

function firstExternalIpv4(): string {
  const external = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .find((i) => i.family === 'IPv4' && !i.internal);
  return external?.address ?? '127.0.0.1';
}
