import type { Duplex } from 'node:stream';
import type { Etcd3, IDuplexStream, IWatchRequest, IWatchResponse } from 'etcd3';
import { closeStream } from './lease.js';

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse> & Pick<Duplex, 'writable'>;

/**
 * How a wait for a key ended: `changed` (etcd reported a change after the revision, or that the revision
 * is compacted), `timeout`, `broken` (no stream, or etcd ended it, e.g. its member lost the leader) or
 * `aborted`. Whatever the outcome, the caller reads the key again: the wait is only a wake-up.
 */
export type KeyWaitOutcome = 'changed' | 'timeout' | 'broken' | 'aborted';

/**
 * Waits until `key` changes after `afterRevision` (an etcd watch from the next revision), at most
 * `maxWaitMs`, or until `signal` aborts. Opens one watch stream and always closes it before resolving.
 */
export function waitForKeyChange(client: Etcd3, key: Buffer, afterRevision: number, maxWaitMs: number, signal: AbortSignal): Promise<KeyWaitOutcome> {
  if (signal.aborted) return Promise.resolve('aborted');
  return new Promise((resolve) => {
    let stream: WatchStream | undefined;
    let settled = false;
    const settle = (outcome: KeyWaitOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (stream) closeStream(stream);
      resolve(outcome);
    };
    const onAbort = (): void => settle('aborted');
    const timer = setTimeout(() => settle('timeout'), maxWaitMs);
    signal.addEventListener('abort', onAbort, { once: true });
    client.watchClient.watch().then(
      (opened) => {
        const watch = opened as WatchStream;
        if (settled) return closeStream(watch);
        stream = watch;
        watch.on('error', () => settle('broken'));
        watch.on('end', () => settle('broken'));
        watch.on('data', (response: IWatchResponse) => {
          if (Number(response.compact_revision) > 0 || response.events.length > 0) settle('changed');
          else if (response.canceled) settle('broken');
        });
        watch.write({ create_request: { key, start_revision: afterRevision + 1 } });
      },
      () => settle('broken'),
    );
  });
}
