import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Joins two duplex streams both ways, as a proxy does: bytes flow a→b and b→a with backpressure; the end
 * of one side's readable (a half-close) ends the other's writable; an error on either aborts the other
 * (a TCP socket is reset, so the abort reaches its far end as one; other streams are destroyed with the
 * same error), and a premature close (one that did not finish both directions) destroys the other.
 *
 * The session uses it between an accepted tunnel stream and the socket its `dial` returned; it is exported
 * for proxies that join a tunnel stream to a client connection.
 */
export function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  link(a, b);
  link(b, a);
}

function link(from: Duplex, to: Duplex): void {
  from.on('error', (err: Error) => abort(to, err));
  from.on('close', () => {
    if (to.destroyed) return;
    const clean = from.readableEnded && from.writableFinished;
    if (!clean) to.destroy();
  });
}

function abort(stream: Duplex, err: Error): void {
  if (stream.destroyed) return;
  const reset = (stream as Partial<Socket>).resetAndDestroy;
  if (typeof reset === 'function') {
    try {
      reset.call(stream);
      return;
    } catch (err) {
      // Not a TCP socket after all (a pipe): destroy it instead, with the reason.
      stream.destroy(err instanceof Error ? err : undefined);
      return;
    }
  }
  stream.destroy(err);
}
