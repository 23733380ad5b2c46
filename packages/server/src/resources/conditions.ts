import type { Condition } from '../api/state.js';
import { f } from '../schema/fields.js';

/** Status conditions in Kubernetes form: their field declaration and how controllers set them. */
export type { Condition } from '../api/state.js';

export const conditionField = f.object('condition', {
  type: f.string(),
  status: f.enum(['True', 'False', 'Unknown'] as const),
  reason: f.string(),
  message: f.string(),
  lastUpdateTime: f.date(),
  lastTransitionTime: f.date(),
});

export const conditionsField = f.array(conditionField, { create: false, update: false });

/**
 * Returns `conditions` with `next` set (by type). Times move only when status, reason or message change,
 * so a controller that sets the same condition again writes nothing new.
 */
export function setCondition(conditions: Condition[] | undefined, next: Omit<Condition, 'lastUpdateTime' | 'lastTransitionTime'>, now: string): Condition[] {
  const list = conditions ?? [];
  const old = list.find((c) => c.type === next.type);
  if (old && old.status === next.status && old.reason === next.reason && old.message === next.message) return list;
  const updated: Condition = {
    ...next,
    lastUpdateTime: now,
    lastTransitionTime: old && old.status === next.status ? (old.lastTransitionTime ?? now) : now,
  };
  return old ? list.map((c) => (c.type === next.type ? updated : c)) : [...list, updated];
}
