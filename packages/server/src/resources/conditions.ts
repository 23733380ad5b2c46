import { f } from '../schema/fields.js';

/**
 * Status conditions in Kubernetes form, and the norman/Rancher rule that turns them into
 * `state`, `transitioning` and `transitioningMessage`.
 */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export const conditionField = f.object('condition', {
  type: f.string(),
  status: f.enum(['True', 'False', 'Unknown'] as const),
  reason: f.string(),
  message: f.string(),
  lastUpdateTime: f.date(),
  lastTransitionTime: f.date(),
});

export const conditionsField = f.array(conditionField, { create: false, update: false });

/** Condition types that name a transitional state while Unknown (rancher/types status summary). */
const TRANSITIONING: Record<string, string> = {
  Pending: 'pending',
  Provisioned: 'provisioning',
  Registered: 'registering',
  Waiting: 'waiting',
  Initialized: 'initializing',
  Updated: 'updating',
  Removed: 'removing',
  Drained: 'draining',
  Active: 'activating',
  Saved: 'saving',
};

export interface StateSummary {
  state: string;
  transitioning: 'yes' | 'no' | 'error';
  transitioningMessage: string;
}

export function summarizeState(data: { conditions?: unknown; removed?: unknown }): StateSummary {
  if (typeof data.removed === 'string' && data.removed !== '') {
    return { state: 'removing', transitioning: 'yes', transitioningMessage: '' };
  }
  const conditions = Array.isArray(data.conditions) ? (data.conditions as Condition[]) : [];
  // A failure anywhere outranks work in progress (wrangler's summary does the same).
  for (const status of ['False', 'Unknown'] as const) {
    const c = conditions.find((x) => TRANSITIONING[x.type] !== undefined && x.status === status);
    if (c) return { state: TRANSITIONING[c.type] ?? '', transitioning: status === 'False' ? 'error' : 'yes', transitioningMessage: c.message ?? '' };
  }
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready && ready.status !== 'True') {
    return {
      state: 'unavailable',
      transitioning: ready.status === 'False' ? 'yes' : 'error',
      transitioningMessage: ready.message ?? '',
    };
  }
  return { state: 'active', transitioning: 'no', transitioningMessage: '' };
}

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
