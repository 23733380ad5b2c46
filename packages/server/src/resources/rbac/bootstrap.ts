import type { JsonObject } from '../../schema/validate.js';
import type { ResourceStore, StoredObject } from '../../store/types.js';
import { BUILTIN_GLOBAL_ROLES } from '../globalroles/builtin.js';
import type { GlobalRoleData } from '../globalroles/schema.js';
import { BUILTIN_ROLE_TEMPLATES } from '../roletemplates/builtin.js';
import type { RoleTemplateData } from '../roletemplates/schema.js';

/** Choices an administrator may make about a built-in role; they survive upgrades. */
const KEPT_GLOBAL_ROLE_FIELDS = ['newUserDefault'] as const;
const KEPT_ROLE_TEMPLATE_FIELDS = ['locked', 'clusterCreatorDefault', 'projectCreatorDefault'] as const;

async function upsert(store: ResourceStore, kind: string, id: string, wanted: JsonObject, kept: readonly string[]): Promise<void> {
  const existing: StoredObject<JsonObject> | undefined = await store.get<JsonObject>(kind, id);
  if (!existing) {
    await store.create(kind, id, wanted);
    return;
  }
  const next = { ...existing.data, ...wanted };
  for (const field of kept) if (existing.data[field] !== undefined) next[field] = existing.data[field];
  if (JSON.stringify(next) !== JSON.stringify(existing.data)) await store.update(kind, id, next, existing.resourceVersion);
}

/**
 * Makes the built-in global roles and role templates exist with the rules of the running binary (so an
 * upgrade brings new rules), keeping the defaults an administrator chose. Runs at start, before serving.
 */
export async function ensureBuiltinRoles(store: ResourceStore): Promise<void> {
  for (const { id, ...role } of BUILTIN_GLOBAL_ROLES) {
    const data: GlobalRoleData & JsonObject = { ...role, newUserDefault: role.newUserDefault ?? false, builtin: true };
    await upsert(store, 'globalRole', id, data, KEPT_GLOBAL_ROLE_FIELDS);
  }
  for (const { id, ...template } of BUILTIN_ROLE_TEMPLATES) {
    const data: RoleTemplateData & JsonObject = {
      description: '',
      roleTemplateIds: [],
      external: false,
      hidden: false,
      locked: false,
      administrative: false,
      clusterCreatorDefault: false,
      projectCreatorDefault: false,
      ...template,
      builtin: true,
    };
    await upsert(store, 'roleTemplate', id, data, KEPT_ROLE_TEMPLATE_FIELDS);
  }
}
