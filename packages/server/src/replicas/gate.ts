import type { ControllerGate } from '../informer/controller.js';
import type { Leadership } from './leadership.js';

/** The gate of a replica's leadership. */
export function leaderGate(leadership: Leadership): ControllerGate {
  let term = new AbortController();
  term.abort();
  const waiting = new Set<() => void>();
  leadership.onChange((event) => {
    if (event.type === 'elected') {
      term = new AbortController();
      for (const wake of [...waiting]) wake();
    } else {
      term.abort(new Error(`leadership lost: ${event.reason}`));
    }
  });
  return {
    isOpen: () => leadership.isLeader(),
    termSignal: () => term.signal,
    whenOpen(signal) {
      if (leadership.isLeader() || signal.aborted) return Promise.resolve();
      return new Promise((resolve) => {
        const wake = (): void => {
          waiting.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        waiting.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    },
  };
}
