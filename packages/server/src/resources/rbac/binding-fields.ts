import { f } from '../../schema/fields.js';

/** The subject and role fields cluster and project role template bindings share (Rancher's names). */
export const bindingSubjectFields = {
  roleTemplateId: f.ref('roleTemplate', { required: true, update: false, filterable: true }),
  userId: f.ref('user', { update: false, filterable: true }),
  userPrincipalId: f.ref('principal', { update: false, filterable: true }),
  groupId: f.ref('group', { update: false }),
  groupPrincipalId: f.ref('principal', { update: false, filterable: true }),
  name: f.string({ create: false, update: false }),
};
