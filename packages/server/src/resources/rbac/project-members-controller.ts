import { Controller } from '../../informer/controller.js';
import type { Informer } from '../../informer/informer.js';
import type { Logger } from '../../informer/logger.js';
import { tolerate } from '../../store/tolerate.js';
import { StoreAlreadyExistsError, StoreNotFoundError, type ResourceStore } from '../../store/types.js';
import type { ProjectData } from '../projects/schema.js';
import type { ProjectRoleTemplateBindingData } from '../projectroletemplatebindings/schema.js';
import type { RoleTemplateData } from '../roletemplates/schema.js';
import { BY_PROJECT, indexByField } from './indexes.js';

export interface ProjectMembersControllerDeps {
  store: ResourceStore;
  projects: Informer<ProjectData & { rbacInitialized?: boolean }>;
  roleTemplates: Informer<RoleTemplateData>;
  projectRoleTemplateBindings: Informer<ProjectRoleTemplateBindingData>;
  logger: Logger;
}

/**
 * Once per new project: its creator gets the `projectCreatorDefault` role templates (`project-owner`), as
 * bindings `p-xxxxx:creator-<template>`. When a project is gone, its bindings go too.
 */
export function projectMembersController(deps: ProjectMembersControllerDeps): Controller {
  const { store, projects, roleTemplates, projectRoleTemplateBindings: prtbs } = deps;
  indexByField(prtbs, BY_PROJECT, 'projectId');

  async function bindCreator(projectId: string, creatorId: string) {
    const local = projectId.slice(projectId.indexOf(':') + 1);
    for (const template of roleTemplates.list().filter((t) => t.data.projectCreatorDefault === true && t.data.context === 'project')) {
      const data = { projectId, roleTemplateId: template.id, userId: creatorId, userPrincipalId: `local://${creatorId}`, name: `creator-${template.id}` };
      await tolerate(StoreAlreadyExistsError, store.create('projectRoleTemplateBinding', `${local}:creator-${template.id}`, data));
    }
  }

  const controller = new Controller({
    name: 'project-members',
    informers: [projects, roleTemplates, prtbs],
    logger: deps.logger,
    async sync(id) {
      const project = projects.get(id);
      if (!project) {
        for (const b of prtbs.byIndex(BY_PROJECT, id)) await tolerate(StoreNotFoundError, store.delete('projectRoleTemplateBinding', b.id));
        return;
      }
      if (project.data.rbacInitialized === true) return;
      if (project.data.creatorId) await bindCreator(id, project.data.creatorId);
      await store.update('project', id, { ...project.data, rbacInitialized: true }, project.resourceVersion);
    },
  });
  controller.watch(projects);
  return controller;
}
