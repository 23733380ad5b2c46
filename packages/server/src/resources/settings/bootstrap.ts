import type { JsonObject } from '../../schema/validate.js';
import type { ResourceStore } from '../../store/types.js';
import type { SettingDefinition } from './definitions.js';
import type { SettingData } from './schema.js';

/**
 * Makes every built-in setting exist in the store with its current default (defaults follow the running
 * binary: version, agent image, CA). Stored values are kept. Runs at start, before the API serves.
 */
export async function ensureSettings(store: ResourceStore, definitions: SettingDefinition[]): Promise<void> {
  for (const def of definitions) {
    const existing = await store.get<SettingData & JsonObject>('setting', def.name);
    if (!existing) {
      await store.create<JsonObject>('setting', def.name, { name: def.name, value: '', default: def.default });
    } else if (existing.data.default !== def.default) {
      await store.update('setting', def.name, { ...existing.data, default: def.default }, existing.resourceVersion);
    }
  }
}

/** Stores a setting's value given at start (e.g. `--server-url`), after the definition's own check. */
export async function setSettingValue(store: ResourceStore, def: SettingDefinition, value: string): Promise<void> {
  def.validate?.(value);
  const existing = await store.get<SettingData & JsonObject>('setting', def.name);
  if (!existing) throw new Error(`setting ${def.name} missing after ensureSettings`);
  if (existing.data.value === value) return;
  await store.update('setting', def.name, { ...existing.data, value }, existing.resourceVersion);
}

/** A stored setting's own value ('' when unset), read before the settings cache exists. */
export async function storedSettingValue(store: ResourceStore, name: string): Promise<string> {
  const existing = await store.get<SettingData>('setting', name);
  return String(existing?.data.value ?? '');
}
