/**
 * Reusable buffers for the large `Data` frames a session sends.
 *
 * Why: a frame is one websocket message, so header and payload must be one Buffer, and copying them into
 * a fresh 64 KiB allocation per frame churns ArrayBuffer (external) memory. Buffers still in flight when
 * the young generation is collected get promoted, and V8 reclaims them only with full mark-compacts: in
 * the server's process that cost about 1.5 s of CPU per GiB tunnelled (bench/tunnel-throughput.ts,
 * server side 2.3 -> 0.8 CPU s/GiB with this pool). A buffer is reused once `ws` has called back for the
 * message, when neither `ws` nor the socket reads it any more.
 *
 * Contract: `acquire(size)` returns a buffer of exactly `size` bytes that nobody else holds; `release(buf)`
 * gives it back, and the caller must not touch it after that. Releasing a buffer this pool did not lend,
 * or releasing twice, is ignored (so a bug cannot hand one buffer to two senders). At most
 * `maxFreePerSize` free buffers of each size are kept; the rest are left to the garbage collector.
 */
export class BufferPool {
  readonly maxFreePerSize: number;
  readonly #free = new Map<number, Buffer[]>();
  readonly #lent = new WeakSet<Buffer>();

  constructor(maxFreePerSize: number) {
    this.maxFreePerSize = maxFreePerSize;
  }

  acquire(size: number): Buffer {
    // allocUnsafeSlow: a buffer of its own, never a slice of Node's shared pool, so it can be kept.
    const buffer = this.#free.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
    this.#lent.add(buffer);
    return buffer;
  }

  release(buffer: Buffer): void {
    if (!this.#lent.delete(buffer)) return;
    let free = this.#free.get(buffer.length);
    if (!free) this.#free.set(buffer.length, (free = []));
    if (free.length < this.maxFreePerSize) free.push(buffer);
  }

  /** Free buffers kept, all sizes together (for tests). */
  get freeCount(): number {
    let count = 0;
    for (const free of this.#free.values()) count += free.length;
    return count;
  }
}

/**
 * The pool for `Data` frames, shared by every session of the process. It keeps at most 16 free buffers of
 * a size: at the default 64 KiB frames, the 1 MiB one session may have in flight (`sessionBufferBytes`).
 */
export const dataFramePool = new BufferPool(16);
