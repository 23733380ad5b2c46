import { connect, type Socket } from 'node:net';
import type { DialTarget } from './target.js';

/**
 * A `dial` for {@link TunnelSession}: a plain TCP connection with half-close enabled (so an `End` from the
 * opener becomes a FIN while the target's answer still flows back) and Nagle off. Rejects with the socket
 * error (e.g. "connect ECONNREFUSED 127.0.0.1:1"), or the signal's reason when aborted first.
 */
export function dialTcp(target: DialTarget, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const socket = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    const cleanup = () => {
      socket.off('connect', onConnect);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onConnect = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (err: Error) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onAbort = () => {
      cleanup();
      socket.destroy();
      reject(signal?.reason);
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
