import type { ObjectCache } from '../../api/kind.js';
import type { SettingDefinition } from './definitions.js';
import type { SettingData } from './schema.js';

export type SettingSource = 'db' | 'default' | 'env';

/**
 * Effective setting values for server code: environment override, else stored non-empty value, else
 * default. Reads the settings informer cache, so it is cheap and always current.
 */
export class Settings {
  readonly #defs: Map<string, SettingDefinition>;

  constructor(
    private readonly cache: ObjectCache<SettingData>,
    definitions: SettingDefinition[],
    private readonly env: Record<string, string> = {},
  ) {
    this.#defs = new Map(definitions.map((d) => [d.name, d]));
  }

  definition(name: string): SettingDefinition | undefined {
    return this.#defs.get(name);
  }

  definitions(): SettingDefinition[] {
    return [...this.#defs.values()];
  }

  /** Value of an environment override (`CATTLE_<NAME>`), if any. */
  envValue(name: string): string | undefined {
    return Object.hasOwn(this.env, name) ? this.env[name] : undefined;
  }

  resolve(name: string, stored?: SettingData): { value: string; source: SettingSource; default: string } {
    const data = stored ?? this.cache.get(name)?.data;
    const def = this.#defs.get(name)?.default ?? data?.default ?? '';
    const fromEnv = this.envValue(name);
    if (fromEnv !== undefined) return { value: fromEnv, source: 'env', default: def };
    const value = data?.value;
    if (value !== undefined && value !== null && value !== '') return { value, source: 'db', default: def };
    return { value: def, source: 'default', default: def };
  }

  get(name: string): string {
    return this.resolve(name).value;
  }

  getInt(name: string, fallback: number): number {
    const n = Number(this.get(name));
    return Number.isFinite(n) ? n : fallback;
  }
}
