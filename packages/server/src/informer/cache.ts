import type { StoredObject } from '../store/types.js';

/**
 * Computes the values under which an object is filed in a named index (client-go `IndexFunc`), for example
 * `(node) => [node.data.clusterId]`. Contract: pure and deterministic; it is called again on the old object
 * to unfile it. Return `[]` to leave the object out of the index.
 */
export type IndexFunc<T> = (obj: StoredObject<T>) => readonly string[];

/**
 * Read access to the local cache of one kind (client-go `Lister`/`Indexer`).
 *
 * Contract: a read-only view. Every object is deeply frozen and shared with other readers: never mutate it;
 * copy with `structuredClone` before changing. `list` and `byIndex` return new arrays in no particular
 * order. `byIndex` throws for an index that was never added.
 */
export interface Lister<T> {
  get(id: string): StoredObject<T> | undefined;
  list(): StoredObject<T>[];
  byIndex(indexName: string, value: string): StoredObject<T>[];
}

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<V>(value: V): V {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

/** One named index: its function and the ids filed under each value. */
interface Index<T> {
  fn: IndexFunc<T>;
  /** value -> ids filed under it */
  ids: Map<string, Set<string>>;
}

/** The objects of one kind by id, plus named indexes kept up to date on every `set` and `delete`. */
export class Cache<T> implements Lister<T> {
  readonly #items = new Map<string, StoredObject<T>>();
  readonly #indexes = new Map<string, Index<T>>();

  /** Adds a named index and files the objects already cached. Throws if the name is taken. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.#indexes.has(name)) throw new Error(`index "${name}" already exists`);
    const index: Index<T> = { fn, ids: new Map() };
    this.#indexes.set(name, index);
    for (const obj of this.#items.values()) file(index, obj);
  }

  hasIndex(name: string): boolean {
    return this.#indexes.has(name);
  }

  get(id: string): StoredObject<T> | undefined {
    return this.#items.get(id);
  }

  list(): StoredObject<T>[] {
    return [...this.#items.values()];
  }

  ids(): IterableIterator<string> {
    return this.#items.keys();
  }

  get size(): number {
    return this.#items.size;
  }

  byIndex(indexName: string, value: string): StoredObject<T>[] {
    const index = this.#indexes.get(indexName);
    if (!index) throw new Error(`index "${indexName}" does not exist`);
    const out: StoredObject<T>[] = [];
    for (const id of index.ids.get(value) ?? []) {
      const obj = this.#items.get(id);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** Stores `obj` (freezing it) in place of any object with its id; returns the one replaced. */
  set(obj: StoredObject<T>): StoredObject<T> | undefined {
    deepFreeze(obj);
    const old = this.#items.get(obj.id);
    this.#items.set(obj.id, obj);
    for (const index of this.#indexes.values()) {
      if (old) unfile(index, old);
      file(index, obj);
    }
    return old;
  }

  /** Removes the object with `id`; returns it, or undefined if absent. */
  delete(id: string): StoredObject<T> | undefined {
    const old = this.#items.get(id);
    if (!old) return undefined;
    this.#items.delete(id);
    for (const index of this.#indexes.values()) unfile(index, old);
    return old;
  }
}

function file<T>(index: Index<T>, obj: StoredObject<T>): void {
  for (const value of index.fn(obj)) {
    let ids = index.ids.get(value);
    if (!ids) index.ids.set(value, (ids = new Set()));
    ids.add(obj.id);
  }
}

function unfile<T>(index: Index<T>, obj: StoredObject<T>): void {
  for (const value of index.fn(obj)) {
    const ids = index.ids.get(value);
    if (!ids) continue;
    ids.delete(obj.id);
    if (ids.size === 0) index.ids.delete(value);
  }
}
