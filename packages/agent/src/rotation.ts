import { Backoff } from './backoff.js';

/**
 * Which of the agent's servers (replicas of one Paddock server) to try next, and how long to wait first.
 * Round robin from the first server: after a failed attempt, or a tunnel that dropped, the next server is
 * tried at once; only when every server has failed in turn (a full round since the last successful connect,
 * or since the last wait) does the backoff's delay apply. A successful connect resets the backoff and the
 * round, and the agent stays on that server until it fails. With one server every failure waits, as before.
 */
export class ServerRotation {
  readonly #servers: readonly string[];
  readonly #backoff: Backoff;
  #index = 0;
  /** Failed attempts since the last successful connect. */
  #failures = 0;

  constructor(servers: readonly string[], backoff: Backoff = new Backoff()) {
    if (servers.length === 0) throw new Error('ServerRotation needs at least one server');
    this.#servers = [...servers];
    this.#backoff = backoff;
  }

  /** The server to try now. */
  get current(): string {
    return this.#servers[this.#index] as string;
  }

  /** The tunnel to `current` opened. */
  connected(): void {
    this.#failures = 0;
    this.#backoff.reset();
  }

  /**
   * The attempt on `current` failed, or its tunnel dropped: moves on to the next server and returns the
   * milliseconds to wait before trying it, 0 within a round.
   */
  failed(): number {
    this.#index = (this.#index + 1) % this.#servers.length;
    this.#failures++;
    return this.#failures % this.#servers.length === 0 ? this.#backoff.next() : 0;
  }
}
