import { embeddedSchemas } from '../schema/render.js';
import type { Schema } from '../schema/schema.js';
import type { ResourceKind } from './kind.js';

/**
 * All schemas of one API version root (`/v3` or `/v3-public`): the served resource kinds and the embedded
 * or input types they mention. Types are found by id or plural name, case-insensitively (as norman does,
 * so `/v3/cluster`, `/v3/clusters` and `/v3/Clusters` are the same collection).
 */
export class ApiVersion {
  readonly #byName = new Map<string, ResourceKind>();
  readonly #schemas = new Map<string, Schema>();

  constructor(
    readonly path: '/v3' | '/v3-public',
    kinds: ResourceKind[],
    embedded: Schema[],
  ) {
    for (const kind of kinds) {
      this.#byName.set(kind.schema.id.toLowerCase(), kind);
      this.#byName.set(kind.schema.pluralName.toLowerCase(), kind);
      this.#schemas.set(kind.schema.id, kind.schema);
      for (const nested of embeddedSchemas(kind.schema)) this.#schemas.set(nested.id, nested);
    }
    for (const schema of embedded) {
      this.#schemas.set(schema.id, schema);
      for (const nested of embeddedSchemas(schema)) this.#schemas.set(nested.id, nested);
    }
  }

  kind(name: string): ResourceKind | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  kinds(): ResourceKind[] {
    return [...new Set(this.#byName.values())];
  }

  schema(id: string): Schema | undefined {
    return this.#schemas.get(id) ?? [...this.#schemas.values()].find((s) => s.id.toLowerCase() === id.toLowerCase());
  }

  schemas(): Schema[] {
    return [...this.#schemas.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
}
