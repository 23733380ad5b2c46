import { createContext, useContext } from 'react';
import { get, post, qs, type Collection, type Resource } from './api';

export interface User extends Resource {
  username: string;
  name?: string;
  mustChangePassword?: boolean;
  enabled?: boolean;
  principalIds?: string[];
}

export interface Schema {
  id: string;
  collectionMethods: string[];
  resourceMethods: string[];
  collectionActions?: Record<string, unknown>;
  resourceActions?: Record<string, unknown>;
}

/** Who is logged in, and what the API's schemas say they may do (schemas are computed for the caller). */
export interface Session {
  me: User;
  schemas: Map<string, Schema>;
  /** May the caller use this method on the type's collection (`POST` = create) or its resources (`PUT`, `DELETE`)? */
  can(type: string, method: string, on?: 'collection' | 'resource'): boolean;
  /** The ids of the caller's global roles (admin, user, users-manage, ...). */
  globalRoles: Set<string>;
  /** Administrators (or holders of users-manage / roles-manage) manage users, global roles and members. */
  isAdmin: boolean;
  /** May the caller list global roles (administrators, and whoever a custom role lets)? They see the Roles view. */
  canListRoles: boolean;
  /** Administrators (or holders of settings-manage) edit settings. */
  canEditSettings: boolean;
  reload(): Promise<void>;
  logout(): Promise<void>;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a session');
  return s;
}

export async function loadSession(reload: () => Promise<void>, onLogout: () => void): Promise<Session> {
  const [users, schemaList] = await Promise.all([
    get<Collection<User>>('/v3/users?me=true'),
    get<Collection<Schema & Resource>>('/v3/schemas').catch(() => ({ data: [] as (Schema & Resource)[] })),
  ]);
  const me = users.data[0];
  if (!me) throw new Error('The server did not say who you are (/v3/users?me=true was empty).');
  const schemas = new Map(schemaList.data.map((s) => [s.id.toLowerCase(), s]));
  // Global roles decide what the admin pages are for: schemas say what a caller may do somewhere, which
  // for a cluster owner includes writes on cluster-scoped kinds.
  const bindings = await get<Collection<Resource & { globalRoleId: string }>>(`/v3/globalrolebindings${qs({ userId: me.id, limit: -1 })}`).catch(() => ({ data: [] }));
  const globalRoles = new Set(bindings.data.map((b) => b.globalRoleId));
  const holds = (...roles: string[]) => roles.some((r) => globalRoles.has(r));
  const can = (type: string, method: string, on: 'collection' | 'resource' = method === 'POST' ? 'collection' : 'resource') => {
    const s = schemas.get(type.toLowerCase());
    if (!s) return false;
    return (on === 'collection' ? s.collectionMethods : s.resourceMethods).includes(method);
  };
  const isAdmin = holds('admin', 'restricted-admin', 'users-manage', 'roles-manage') && can('user', 'GET', 'collection');
  // Anyone may ask for the list; whoever sees none of its items (most people) may not list global roles.
  const canListRoles =
    isAdmin || (await get<Collection<Resource>>(`/v3/globalroles${qs({ limit: 1 })}`).then((c) => c.data.length > 0, () => false));
  return {
    me,
    schemas,
    can,
    globalRoles,
    isAdmin,
    canEditSettings: holds('admin', 'settings-manage') && can('setting', 'PUT'),
    canListRoles,
    reload,
    async logout() {
      await post('/v3/tokens?action=logout');
      onLogout();
    },
  };
}

/** A user's name as people know it: display name and login name. */
export function userLabel(u: Pick<User, 'name' | 'username' | 'id'> | undefined): string {
  if (!u) return '';
  if (u.name && u.username && u.name !== u.username) return `${u.name} (${u.username})`;
  return u.username || u.name || u.id;
}
