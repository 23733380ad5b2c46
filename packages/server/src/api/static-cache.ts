import type { StoredObject } from '../store/types.js';
import type { ObjectCache } from './kind.js';

/** An ObjectCache over fixed, built-in objects that never change (e.g. the auth providers). */
export class StaticCache<T> implements ObjectCache<T> {
  readonly #objects: Map<string, StoredObject<T>>;

  constructor(objects: { id: string; data: T }[], created = new Date(0).toISOString()) {
    this.#objects = new Map(
      objects.map((o) => [o.id, Object.freeze({ kind: 'static', id: o.id, resourceVersion: 0, created, data: o.data })]),
    );
  }

  get(id: string): StoredObject<T> | undefined {
    return this.#objects.get(id);
  }

  list(): StoredObject<T>[] {
    return [...this.#objects.values()];
  }

  async waitForRevision(): Promise<void> {}
}
