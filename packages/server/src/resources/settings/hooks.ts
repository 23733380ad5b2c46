import { ApiError } from '../../api/errors.js';
import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import type { JsonObject } from '../../schema/validate.js';
import { globalScope, type Access } from '../rbac/access.js';
import { settingSchema, type SettingData } from './schema.js';
import type { Settings } from './settings.js';

function refuseReadOnly(settings: Settings, name: string) {
  if (settings.envValue(name) !== undefined) {
    throw new ApiError('MethodNotAllow', `setting ${name} is readOnly because its value is from environment variable`);
  }
  if (settings.definition(name)?.readOnly) throw new ApiError('MethodNotAllow', `setting ${name} is readOnly`);
}

/** `/v3/settings`: read by who holds a rule for it (every built-in global role), changed by settings managers. */
export function settingKind(cache: ObjectCache<SettingData>, settings: Settings, access: Access): ResourceKind {
  const readOnly = (name: string) => settings.envValue(name) !== undefined || settings.definition(name)?.readOnly === true;
  return {
    schema: settingSchema,
    cache: cache as ObjectCache<JsonObject>,
    allowed: access.kindAllowed('settings', globalScope),
    publicRead: (id) => settings.definition(id)?.public === true,
    async prepareCreate(_ctx, input) {
      const name = String(input.name);
      if (settings.definition(name)) throw new ApiError('AlreadyExists', `setting ${name} already exists`, 'name');
      return { id: name, data: { ...input, default: '' } };
    },
    async prepareUpdate(_ctx, current, merged) {
      refuseReadOnly(settings, current.id);
      settings.definition(current.id)?.validate?.(String(merged.value ?? ''));
      return merged;
    },
    checkDelete(_ctx, obj) {
      if (settings.definition(obj.id)) {
        throw new ApiError('MethodNotAllow', `setting ${obj.id} is built in; set its value to "" to restore the default`);
      }
    },
    format(_ctx, obj, out) {
      const resolved = settings.resolve(obj.id, obj.data as SettingData);
      out.value = resolved.value;
      out.default = resolved.default;
      out.source = resolved.source;
      out.customized = resolved.source === 'db';
      // Read-only settings offer no update link; a PUT is answered 405 by prepareUpdate.
      if (readOnly(obj.id)) delete (out.links as Record<string, string>).update;
    },
  };
}
