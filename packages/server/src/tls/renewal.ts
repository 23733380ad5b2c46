import type { TlsMaterial } from './material.js';

/** By default the renewal loop re-checks the material every hour. */
export const DEFAULT_RENEWAL_INTERVAL_MS = 60 * 60 * 1000;

/** What the renewal loop needs from a `CertificateManager`. */
export interface Refreshable {
  refresh(): Promise<boolean>;
  current(): TlsMaterial;
}

/** How the renewal loop runs and reports. */
export interface RenewalLoopOptions {
  /** Time between checks in ms (default 1 hour). */
  readonly intervalMs?: number;
  /** Stops the loop when aborted. */
  readonly signal?: AbortSignal;
  /** Applies new material, typically `server.setSecureContext({ cert: m.certPem, key: m.keyPem })`. */
  readonly onRotated: (material: TlsMaterial) => void;
  /** Reports a failed check (the old material stays in place); the loop goes on. */
  readonly onError: (err: unknown) => void;
}

/**
 * Calls `manager.refresh()` every `intervalMs` and hands rotated material to `onRotated`. A check is
 * skipped while the previous one still runs. The timer does not keep the process alive. Returns a
 * function that stops the loop (as does aborting `signal`).
 */
export function startRenewalLoop(manager: Refreshable, options: RenewalLoopOptions): () => void {
  let running = false;
  const tick = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      if (await manager.refresh()) options.onRotated(manager.current());
    } catch (err) {
      options.onError(err);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), options.intervalMs ?? DEFAULT_RENEWAL_INTERVAL_MS);
  timer.unref();
  const stop = (): void => clearInterval(timer);
  if (options.signal?.aborted === true) stop();
  else options.signal?.addEventListener('abort', stop, { once: true });
  return stop;
}
