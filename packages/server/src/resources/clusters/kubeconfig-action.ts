import { requireCaller } from '../../api/context.js';
import type { ObjectCache, ResourceAction } from '../../api/kind.js';
import { renderKubeconfig } from '../../k8s/kubeconfig.js';
import { K8S_PREFIX } from '../../k8s/proxy.js';
import type { ResourceStore } from '../../store/types.js';
import { serverRoot } from '../clusterregistrationtokens/hooks.js';
import type { Settings } from '../settings/settings.js';
import { cappedTtl, newToken } from '../tokens/issue.js';

export interface KubeconfigActionDeps {
  store: ResourceStore;
  tokens: ObjectCache<unknown>;
  settings: Settings;
  now: () => Date;
}

/**
 * `POST /v3/clusters/<id>?action=generateKubeconfig`: a kubeconfig for the caller that reaches the cluster
 * through Paddock's proxy, with Paddock's CA and a new token valid only for that cluster, expiring after
 * `kubeconfig-default-token-ttl-minutes` (capped by `auth-token-max-ttl-minutes`).
 */
export function generateKubeconfigAction(deps: KubeconfigActionDeps): ResourceAction {
  return async (ctx, cluster) => {
    const caller = requireCaller(ctx);
    const { settings } = deps;
    const ttl = cappedTtl(settings.getInt('kubeconfig-default-token-ttl-minutes', 43_200) * 60_000, settings.getInt('auth-token-max-ttl-minutes', 0));
    const name = String(cluster.data.name ?? cluster.id);
    const token = newToken({ userId: caller.userId, tokenKind: 'kubeconfig', ttl, description: `kubeconfig for cluster ${name}`, clusterId: cluster.id, now: deps.now() });
    const stored = await deps.store.create('token', token.id, token.data);
    await deps.tokens.waitForRevision(stored.resourceVersion);
    const config = renderKubeconfig({
      name,
      server: `${serverRoot(settings, ctx)}${K8S_PREFIX}${cluster.id}`,
      // A certificate of the user's own (--tls-cert) is trusted by clients already: no CA in the file then.
      caPem: settings.get('cacerts') || undefined,
      token: token.value,
    });
    return { status: 200, body: { type: 'generateKubeConfigOutput', baseType: 'generateKubeConfigOutput', config } };
  };
}
