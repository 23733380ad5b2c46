import type { PolicyRule } from '../../auth/rules.js';
import { rule } from '../rbac/rule-builder.js';

export interface BuiltinRoleTemplate {
  id: string;
  name: string;
  context: 'cluster' | 'project';
  rules: PolicyRule[];
  roleTemplateIds?: string[];
  external?: boolean;
  hidden?: boolean;
  administrative?: boolean;
  clusterCreatorDefault?: boolean;
  projectCreatorDefault?: boolean;
}

const { mgmt, k8s, READ } = rule;
const ALL = ['*'];

/** A pair of `<resources>-manage` / `<resources>-view` templates, as Rancher ships them. */
function managePair(context: 'cluster' | 'project', prefix: string, label: string, rules: (verbs: string[]) => PolicyRule[]): BuiltinRoleTemplate[] {
  return [
    { id: `${prefix}-manage`, name: `Manage ${label}`, context, rules: rules(ALL) },
    { id: `${prefix}-view`, name: `View ${label}`, context, rules: rules(READ) },
  ];
}

const cluster: BuiltinRoleTemplate[] = [
  { id: 'cluster-owner', name: 'Cluster Owner', context: 'cluster', rules: rule.all(), clusterCreatorDefault: true, administrative: true },
  {
    id: 'cluster-member',
    name: 'Cluster Member',
    context: 'cluster',
    rules: [
      mgmt(['clusterroletemplatebindings', 'nodes', 'nodepools', 'clusterevents']),
      mgmt(['projects'], ['create']),
      k8s(['*'], ['nodes', 'persistentvolumes', 'storageclasses']),
    ],
  },
  { id: 'projects-create', name: 'Create Projects', context: 'cluster', rules: [mgmt(['projects'], ['create'])] },
  {
    id: 'projects-view',
    name: 'View All Projects',
    context: 'cluster',
    rules: [mgmt(['projects', 'projectroletemplatebindings']), k8s([''], ['namespaces'])],
  },
  ...managePair('cluster', 'nodes', 'Nodes', (verbs) => [mgmt(['nodes', 'nodepools'], verbs), k8s(['*'], ['nodes'], verbs)]),
  ...managePair('cluster', 'clusterroletemplatebindings', 'Cluster Members', (verbs) => [mgmt(['clusterroletemplatebindings'], verbs)]),
  ...managePair('cluster', 'storage', 'Storage', (verbs) => [k8s(['*'], ['persistentvolumes', 'storageclasses'], verbs)]),
  { id: 'cluster-admin', name: 'Kubernetes cluster-admin', context: 'cluster', rules: [], external: true, hidden: true },
];

const project: BuiltinRoleTemplate[] = [
  {
    id: 'project-owner',
    name: 'Project Owner',
    context: 'project',
    projectCreatorDefault: true,
    administrative: true,
    roleTemplateIds: ['admin'],
    rules: [mgmt(['projectroletemplatebindings'], ALL), mgmt(['projects'], [...READ, 'update']), k8s([''], ['namespaces'], ['create', 'update', 'delete'])],
  },
  {
    id: 'project-member',
    name: 'Project Member',
    context: 'project',
    roleTemplateIds: ['edit'],
    rules: [mgmt(['projectroletemplatebindings'], READ), mgmt(['projects'], READ), k8s([''], ['namespaces'], ['create'])],
  },
  { id: 'read-only', name: 'Read-only', context: 'project', roleTemplateIds: ['view'], rules: [mgmt(['projectroletemplatebindings'], READ), mgmt(['projects'], READ)] },
  { id: 'create-ns', name: 'Create Namespaces', context: 'project', rules: [k8s([''], ['namespaces'], ['create'])] },
  ...managePair('project', 'projectroletemplatebindings', 'Project Members', (verbs) => [mgmt(['projectroletemplatebindings'], verbs)]),
  ...managePair('project', 'workloads', 'Workloads', (verbs) => [
    k8s(['apps'], ['deployments', 'daemonsets', 'replicasets', 'statefulsets'], verbs),
    k8s(['batch'], ['jobs', 'cronjobs'], verbs),
    k8s([''], ['pods', 'pods/log'], verbs),
  ]),
  ...managePair('project', 'services', 'Services', (verbs) => [k8s([''], ['services', 'endpoints'], verbs)]),
  ...managePair('project', 'secrets', 'Secrets', (verbs) => [k8s([''], ['secrets'], verbs)]),
  ...managePair('project', 'configmaps', 'Config Maps', (verbs) => [k8s([''], ['configmaps'], verbs)]),
  { id: 'admin', name: 'Kubernetes admin', context: 'project', rules: [], external: true, hidden: true },
  { id: 'edit', name: 'Kubernetes edit', context: 'project', rules: [], external: true, hidden: true },
  { id: 'view', name: 'Kubernetes view', context: 'project', rules: [], external: true, hidden: true },
];

/** Rancher's built-in role templates (those that concern what Paddock serves, and Kubernetes' own). */
export const BUILTIN_ROLE_TEMPLATES: BuiltinRoleTemplate[] = [...cluster, ...project];
