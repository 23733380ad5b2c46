import { ApiError } from '../../api/errors.js';
import type { RequestContext } from '../../api/context.js';
import type { ObjectCache, ResourceKind } from '../../api/kind.js';
import { generateName, randomString } from '../../auth/secrets.js';
import type { JsonObject } from '../../schema/validate.js';
import { caChecksum } from '../../tls/checksum.js';
import { memoizeByKey } from '../../util/memoize.js';
import type { Access } from '../rbac/access.js';
import type { ClusterData } from '../clusters/schema.js';
import type { Settings } from '../settings/settings.js';
import { registrationCommands } from './commands.js';
import { clusterRegistrationTokenSchema, type ClusterRegistrationTokenData } from './schema.js';

export interface RegistrationTokenKindDeps {
  cache: ObjectCache<ClusterRegistrationTokenData>;
  clusters: ObjectCache<ClusterData>;
  settings: Settings;
  access: Access;
}

/** The URL agents are told to reach: `server-url` when set, else the one this request came in on. */
export function serverRoot(settings: Pick<Settings, 'get'>, ctx: Pick<RequestContext, 'baseUrl'>): string {
  const configured = settings.get('server-url').replace(/\/+$/, '');
  return configured || ctx.baseUrl;
}

/** New registration token data for a cluster (also used by the cluster controller for the default one). */
export function newRegistrationToken(clusterId: string): ClusterRegistrationTokenData & JsonObject {
  return { clusterId, token: randomString(54) };
}

/** `/v3/clusterregistrationtokens`: who may manage a cluster may mint and read its tokens. */
export function clusterRegistrationTokenKind(deps: RegistrationTokenKindDeps): ResourceKind {
  const { settings, clusters } = deps;
  const checksumOf = memoizeByKey(caChecksum, 4);
  return {
    schema: clusterRegistrationTokenSchema,
    cache: deps.cache as ObjectCache<JsonObject>,
    allowed: deps.access.kindAllowed('clusterregistrationtokens', (o) => ({ clusterId: String(o.data.clusterId) })),
    async prepareCreate(_ctx, input) {
      const clusterId = String(input.clusterId);
      if (!clusters.get(clusterId)) {
        throw new ApiError('InvalidReference', `cluster "${clusterId}" not found`, 'clusterId');
      }
      const id = `${clusterId}:${generateName('crt')}`;
      return { id, data: { ...input, ...newRegistrationToken(clusterId), name: id.split(':')[1] } };
    },
    format(ctx, obj, out) {
      const data = obj.data as ClusterRegistrationTokenData;
      out.name = obj.id.split(':')[1] ?? obj.id;
      Object.assign(
        out,
        registrationCommands({
          root: serverRoot(settings, ctx),
          token: String(data.token),
          clusterId: String(data.clusterId),
          agentImage: settings.get('agent-image'),
          checksum: checksumOf(settings.get('cacerts')),
        }),
      );
    },
  };
}
