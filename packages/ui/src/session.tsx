import { createContext, useContext } from 'react';
import { get, post, type Collection, type Resource } from './api';

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
  /** Administrators manage users, global roles and settings. */
  isAdmin: boolean;
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
  const can = (type: string, method: string, on: 'collection' | 'resource' = method === 'POST' ? 'collection' : 'resource') => {
    const s = schemas.get(type.toLowerCase());
    if (!s) return false;
    return (on === 'collection' ? s.collectionMethods : s.resourceMethods).includes(method);
  };
  return {
    me,
    schemas,
    can,
    isAdmin: can('user', 'POST') || can('setting', 'PUT') || can('globalRoleBinding', 'POST'),
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
