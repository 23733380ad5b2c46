import { MANAGEMENT_GROUP, type PolicyRule } from '../../auth/rules.js';

const READ = ['get', 'list', 'watch'];

/** Short forms for the built-in roles' rules. */
export const rule = {
  /** `verbs` on Paddock's own `resources`. */
  mgmt: (resources: string[], verbs: string[] = READ): PolicyRule => ({ apiGroups: [MANAGEMENT_GROUP], resources, verbs }),
  /** `verbs` on Kubernetes `resources` in `groups` (for the cluster's own RBAC). */
  k8s: (groups: string[], resources: string[], verbs: string[] = READ): PolicyRule => ({ apiGroups: groups, resources, verbs }),
  all: (): PolicyRule[] => [
    { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    { nonResourceURLs: ['*'], verbs: ['*'] },
  ],
  READ,
};
