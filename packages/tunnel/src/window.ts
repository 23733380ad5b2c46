/**
 * The receiving half of a stream's credit-based flow control (see frame.ts): how many more `Data` bytes
 * the peer may send, and when to grant it more.
 *
 * Contract: the peer may send `size` bytes beyond what the reader has consumed, never more. `take(n)` is
 * called for each `Data` frame and says whether the peer stayed within its credit. `grant(unread)`, given
 * the bytes still waiting for the reader, returns the bytes to grant in a `Window` frame now (0: none):
 * everything consumed since the last grant, but only once the peer's credit has fallen below half the
 * window, so a fast reader costs one small `Window` per half window rather than one per frame. The first
 * call grants the whole window. A peer left with credit can always send, and sending makes the reader's
 * stream ask again, so the window never closes for good while the reader keeps reading.
 */
export class ReceiveWindow {
  readonly size: number;
  /** Data bytes received, ever. */
  #received = 0;
  /** Bytes granted to the peer, ever (the first grant included). */
  #granted = 0;

  constructor(size: number) {
    this.size = size;
  }

  /** Bytes the peer may still send. */
  get credit(): number {
    return this.#granted - this.#received;
  }

  /** Accounts for a `Data` frame of `bytes`; false (and nothing counted) when it exceeds the peer's credit. */
  take(bytes: number): boolean {
    if (bytes > this.credit) return false;
    this.#received += bytes;
    return true;
  }

  /** The bytes to grant now, given `unread` bytes still waiting for the reader; 0 for no `Window` now. */
  grant(unread: number): number {
    const consumed = this.#received - unread;
    const bytes = consumed + this.size - this.#granted;
    if (bytes <= 0 || this.credit >= this.size / 2) return 0;
    this.#granted += bytes;
    return bytes;
  }
}
