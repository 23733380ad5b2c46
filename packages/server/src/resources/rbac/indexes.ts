import type { StoredObject } from '../../store/types.js';

/** An informer that can file its objects in named indexes (any data type fits: method syntax). */
export interface Indexable {
  hasIndex(name: string): boolean;
  addIndex(name: string, fn: (obj: StoredObject<object>) => readonly string[]): void;
}

/** Index names the RBAC controllers file bindings and projects under. */
export const BY_USER = 'rbac.userId';
export const BY_CLUSTER = 'rbac.clusterId';
export const BY_PROJECT = 'rbac.projectId';

/** Files objects under the value of `field` in index `name` (once per informer, whoever asks first). */
export function indexByField(informer: Indexable, name: string, field: string): void {
  if (informer.hasIndex(name)) return;
  informer.addIndex(name, (o) => {
    const value = (o.data as Record<string, unknown>)[field];
    return typeof value === 'string' && value !== '' ? [value] : [];
  });
}
