import { generateName } from '../../auth/secrets.js';
import { Controller } from '../../informer/controller.js';
import type { Informer } from '../../informer/informer.js';
import type { Logger } from '../../informer/logger.js';
import type { JsonObject } from '../../schema/validate.js';
import { tolerate } from '../../store/tolerate.js';
import { StoreAlreadyExistsError, StoreNotFoundError, type ResourceStore } from '../../store/types.js';
import type { ClusterRoleTemplateBindingData } from '../clusterroletemplatebindings/schema.js';
import type { ClusterData } from '../clusters/schema.js';
import { DEFAULT_PROJECT_LABEL, SYSTEM_PROJECT_LABEL, type ProjectData } from '../projects/schema.js';
import type { RoleTemplateData } from '../roletemplates/schema.js';
import { BY_CLUSTER, indexByField } from './indexes.js';

export interface ClusterMembersControllerDeps {
  store: ResourceStore;
  clusters: Informer<ClusterData & { rbacInitialized?: boolean }>;
  projects: Informer<ProjectData>;
  roleTemplates: Informer<RoleTemplateData>;
  clusterRoleTemplateBindings: Informer<ClusterRoleTemplateBindingData>;
  logger: Logger;
}

const BUILTIN_PROJECTS = [
  { name: 'Default', label: DEFAULT_PROJECT_LABEL, description: 'Default project created for the cluster' },
  { name: 'System', label: SYSTEM_PROJECT_LABEL, description: 'System project created for the cluster' },
];

/**
 * Once per new cluster: its creator gets the `clusterCreatorDefault` role templates (`cluster-owner`), as
 * bindings `c-xxxxx:creator-<template>`, and the cluster gets its `Default` and `System` projects. Done
 * once (marked on the cluster), so an owner who removes the creator binding is not overruled. When a
 * cluster is gone, its bindings and projects go too.
 */
export function clusterMembersController(deps: ClusterMembersControllerDeps): Controller {
  const { store, clusters, projects, roleTemplates, clusterRoleTemplateBindings: crtbs } = deps;
  indexByField(projects, BY_CLUSTER, 'clusterId');
  indexByField(crtbs, BY_CLUSTER, 'clusterId');

  async function removeChildren(clusterId: string) {
    for (const b of crtbs.byIndex(BY_CLUSTER, clusterId)) await tolerate(StoreNotFoundError, store.delete('clusterRoleTemplateBinding', b.id));
    for (const p of projects.byIndex(BY_CLUSTER, clusterId)) await tolerate(StoreNotFoundError, store.delete('project', p.id));
  }

  async function bindCreator(clusterId: string, creatorId: string) {
    for (const template of roleTemplates.list().filter((t) => t.data.clusterCreatorDefault === true && t.data.context === 'cluster')) {
      const id = `${clusterId}:creator-${template.id}`;
      const data = { clusterId, roleTemplateId: template.id, userId: creatorId, userPrincipalId: `local://${creatorId}`, name: `creator-${template.id}` };
      await tolerate(StoreAlreadyExistsError, store.create('clusterRoleTemplateBinding', id, data));
    }
  }

  async function ensureBuiltinProjects(clusterId: string, creatorId: string | undefined) {
    const existing = projects.byIndex(BY_CLUSTER, clusterId);
    for (const { name, label, description } of BUILTIN_PROJECTS) {
      if (existing.some((p) => p.data.labels?.[label] === 'true')) continue;
      const data: ProjectData & JsonObject = { name, clusterId, description, enableProjectMonitoring: false, labels: { [label]: 'true' } };
      if (creatorId) data.creatorId = creatorId;
      await store.create('project', `${clusterId}:${generateName('p')}`, data);
    }
  }

  const controller = new Controller({
    name: 'cluster-members',
    informers: [clusters, projects, roleTemplates, crtbs],
    logger: deps.logger,
    async sync(id) {
      const cluster = clusters.get(id);
      if (!cluster) return removeChildren(id);
      if (cluster.data.rbacInitialized === true) return;
      const creatorId = cluster.data.creatorId || undefined;
      if (creatorId) await bindCreator(id, creatorId);
      await ensureBuiltinProjects(id, creatorId);
      await store.update('cluster', id, { ...cluster.data, rbacInitialized: true }, cluster.resourceVersion);
    },
  });
  controller.watch(clusters);
  return controller;
}
