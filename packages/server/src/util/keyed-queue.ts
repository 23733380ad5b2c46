/**
 * Runs async tasks one at a time per key (tasks of different keys run concurrently). For check-then-write
 * sequences that must not interleave within this process, like uniqueness checks before a create.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(key) ?? Promise.resolve()).then(task);
    // The chain only orders tasks; each caller gets its own result or error through `result`.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
