import type { PolicyRule } from '../../auth/rules.js';
import { rule } from '../rbac/rule-builder.js';

export interface BuiltinGlobalRole {
  id: string;
  name: string;
  description: string;
  rules: PolicyRule[];
  newUserDefault?: boolean;
}

const { mgmt, READ } = rule;
/** Every verb an API client uses on a kind; unlike `*`, not Kubernetes' special ones (bind, escalate, impersonate). */
const MANAGE = [...READ, 'create', 'update', 'patch', 'delete'];
const selfService = [mgmt(['preferences'], ['*']), mgmt(['settings', 'features'])];

/** Rancher's built-in global roles (the ones that concern what Paddock serves). */
export const BUILTIN_GLOBAL_ROLES: BuiltinGlobalRole[] = [
  { id: 'admin', name: 'Admin', description: 'everything, everywhere', rules: rule.all() },
  {
    id: 'user',
    name: 'Standard User',
    description: 'may log in, create clusters and manage the clusters they own',
    newUserDefault: true,
    rules: [
      ...selfService,
      mgmt(['principals', 'roletemplates']),
      mgmt(['clusters'], ['create']),
      mgmt(['nodedrivers', 'kontainerdrivers', 'templates', 'templateversions', 'catalogs', 'podsecuritypolicytemplates']),
      mgmt(['nodetemplates'], ['create']),
    ],
  },
  { id: 'user-base', name: 'User Base', description: 'may log in and manage their own API keys', rules: selfService },
  { id: 'clusters-create', name: 'Create new Clusters', description: 'may create clusters', rules: [mgmt(['clusters'], ['create'])] },
  {
    id: 'users-manage',
    name: 'Manage Users',
    description: 'may create, edit and delete users and their global role bindings',
    rules: [mgmt(['users', 'globalrolebindings', 'principals'], ['*']), mgmt(['globalroles'], READ)],
  },
  {
    id: 'roles-manage',
    name: 'Manage Roles',
    description: 'may define global roles and role templates, with no more than they hold themselves',
    // Named verbs, not `*`: a `*` would include `escalate`, and a role manager bound a harmless role could
    // widen it to everything (issue 5). Defining roles beyond what one holds needs `escalate` given on purpose.
    rules: [mgmt(['roletemplates', 'globalroles'], MANAGE)],
  },
  { id: 'authn-manage', name: 'Manage Authentication', description: 'may configure authentication providers', rules: [mgmt(['authconfigs'], [...READ, 'update'])] },
  { id: 'settings-manage', name: 'Manage Settings', description: 'may change settings', rules: [mgmt(['settings'], ['*'])] },
];
