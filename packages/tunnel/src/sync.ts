/**
 * Leak repair (remotedialer's `session_sync.go`). Every so often each side sends `SyncStreams` with the
 * ids of the streams it holds. Frames of one websocket arrive in order, so a stream the receiver holds
 * but the sender did not list has been forgotten by the sender: its `Close` or `End` would have arrived
 * before the list. The one exception is a stream the receiver opened so recently that its `Connect` had not
 * reached the sender when the list was made; hence the grace period.
 */
export interface SyncCandidate {
  readonly id: number;
  readonly createdAt: number;
}

/** The streams of `local` to close after the peer listed `peerIds`: unknown to the peer and older than `graceMs`. */
export function staleStreams<T extends SyncCandidate>(local: Iterable<T>, peerIds: readonly number[], now: number, graceMs: number): T[] {
  const known = new Set(peerIds);
  const stale: T[] = [];
  for (const stream of local) {
    if (!known.has(stream.id) && now - stream.createdAt >= graceMs) stale.push(stream);
  }
  return stale;
}
