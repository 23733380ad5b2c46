/** A status condition in Kubernetes form. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

/**
 * norman's status summary: `state`, `transitioning` and `transitioningMessage` from a resource's conditions
 * (rancher/types status, wrangler summary).
 */
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

