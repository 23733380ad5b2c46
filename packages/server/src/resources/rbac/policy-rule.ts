import { f } from '../../schema/fields.js';

/** A Kubernetes PolicyRule as global roles and role templates declare it (see auth/rules.ts). */
export const policyRuleField = f.object('policyRule', {
  apiGroups: f.array(f.string({ maxLength: 253 })),
  resources: f.array(f.string({ maxLength: 253 })),
  verbs: f.array(f.string({ maxLength: 64 }), { required: true }),
  resourceNames: f.array(f.string({ maxLength: 253 })),
  nonResourceURLs: f.array(f.string({ maxLength: 1024 })),
});

export const rulesField = f.array(policyRuleField, { default: [] });
