/**
 * Rendered GET responses, reused until anything in the store changes. Every informer event calls
 * `invalidate()`, which starts a new generation and drops all entries; a response is kept only if no change
 * happened while it was being built (its generation is still current). So a cached answer is always exactly
 * what would be computed now. Bounded by total bytes: when full, it starts over.
 */
export interface RenderedResponse {
  status: number;
  contentType: string;
  payload: string;
  headers: Record<string, string | string[]>;
}

export class ResponseCache {
  #generation = 0;
  #entries = new Map<string, RenderedResponse>();
  #bytes = 0;

  constructor(private readonly maxBytes = 32 * 1024 * 1024) {}

  generation(): number {
    return this.#generation;
  }

  invalidate(): void {
    this.#generation++;
    this.#entries.clear();
    this.#bytes = 0;
  }

  get(key: string): RenderedResponse | undefined {
    return this.#entries.get(key);
  }

  /** Stores `value` if the store has not changed since `generation` was read. */
  set(key: string, generation: number, value: RenderedResponse): void {
    if (generation !== this.#generation) return;
    const size = key.length + value.payload.length;
    if (size > this.maxBytes) return;
    if (this.#bytes + size > this.maxBytes) {
      this.#entries.clear();
      this.#bytes = 0;
    }
    this.#entries.set(key, value);
    this.#bytes += size;
  }
}
