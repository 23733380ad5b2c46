import type { Etcd3 } from 'etcd3';
import { KeyLayout, prefixEnd } from '../store/etcd/codec.js';

/**
 * The whole of the store's key range in etcd (`<prefix>/`), every kind at once: what "the target holds
 * data" and "clear the target" mean, including kinds this Paddock does not know.
 */
export class TargetPrefix {
  readonly #client: Etcd3;
  readonly #start: Buffer;
  readonly #end: Buffer;
  /** `<prefix>/`, as shown to the operator. */
  readonly root: string;

  constructor(client: Etcd3, prefix: string) {
    const layout = new KeyLayout(prefix);
    this.#client = client;
    this.root = layout.root;
    this.#start = layout.range();
    this.#end = prefixEnd(this.#start);
  }

  /** How many keys are under the prefix. */
  async count(): Promise<number> {
    const response = await this.#client.kv.range({ key: this.#start, range_end: this.#end, count_only: true });
    return Number(response.count);
  }

  /** Deletes every key under the prefix in one etcd request; returns how many there were. */
  async clear(): Promise<number> {
    const response = await this.#client.kv.deleteRange({ key: this.#start, range_end: this.#end });
    return Number(response.deleted);
  }
}
