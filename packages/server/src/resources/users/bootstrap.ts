import { hashPassword } from '../../auth/passwords.js';
import { generateName } from '../../auth/secrets.js';
import type { JsonObject } from '../../schema/validate.js';
import type { ResourceStore } from '../../store/types.js';
import type { UserData } from './schema.js';

/**
 * On first start (no users at all) creates the default admin: username `admin`, password `admin`, which
 * must be changed before anything else (as Rancher 2.0–2.5 do), bound to the global role `admin`.
 */
export async function ensureDefaultAdmin(store: ResourceStore): Promise<string | undefined> {
  const { items } = await store.list('user');
  if (items.length > 0) return undefined;
  const id = generateName('user');
  const data: UserData & JsonObject = {
    username: 'admin',
    name: 'Default Admin',
    description: '',
    mustChangePassword: true,
    enabled: true,
    principalIds: [`local://${id}`],
    passwordHash: await hashPassword('admin'),
    labels: { 'authz.management.cattle.io/bootstrapping': 'admin-user' },
  };
  await store.create('user', id, data);
  await store.create('globalRoleBinding', generateName('globalrolebinding'), { globalRoleId: 'admin', userId: id, name: '' });
  return id;
}
