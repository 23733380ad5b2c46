import type { ObjectCache, ResourceKind } from './api/kind.js';
import { ApiVersion } from './api/registry.js';
import type { LoginThrottle } from './auth/throttle.js';
import type { Informer } from './informer/informer.js';
import { authProviderKind, localProviderKind } from './resources/authproviders/hooks.js';
import { basicLoginInput } from './resources/authproviders/schema.js';
import { clusterRegistrationTokenKind } from './resources/clusterregistrationtokens/hooks.js';
import type { ClusterRegistrationTokenData } from './resources/clusterregistrationtokens/schema.js';
import { clusterKind } from './resources/clusters/hooks.js';
import type { ClusterData } from './resources/clusters/schema.js';
import { nodeKind } from './resources/nodes/hooks.js';
import type { NodeData } from './resources/nodes/schema.js';
import { settingKind } from './resources/settings/hooks.js';
import type { SettingData } from './resources/settings/schema.js';
import type { Settings } from './resources/settings/settings.js';
import { tokenKind } from './resources/tokens/hooks.js';
import type { TokenData } from './resources/tokens/schema.js';
import { userKind } from './resources/users/hooks.js';
import { changePasswordInput, setPasswordInput, type UserData } from './resources/users/schema.js';
import type { ResourceStore } from './store/types.js';

/** The informers of every stored kind, by the kind's schema id. */
export interface Informers {
  user: Informer<UserData>;
  token: Informer<TokenData>;
  setting: Informer<SettingData>;
  cluster: Informer<ClusterData>;
  clusterRegistrationToken: Informer<ClusterRegistrationTokenData>;
  node: Informer<NodeData>;
}

export const STORED_KINDS = ['user', 'token', 'setting', 'cluster', 'clusterRegistrationToken', 'node'] as const;

export interface KindDeps {
  store: ResourceStore;
  informers: Informers;
  settings: Settings;
  throttle: LoginThrottle;
  now: () => Date;
}

/** Builds the served kinds and groups them into the `/v3` and `/v3-public` API versions. */
export function buildApiVersions(deps: KindDeps): { v3: ApiVersion; v3Public: ApiVersion } {
  const { store, informers: i, settings, now } = deps;
  const cache = <T>(informer: Informer<T>) => informer as ObjectCache<T>;
  const tokens = tokenKind({ cache: cache(i.token), clusters: cache(i.cluster), store, settings, now });
  const v3Kinds: ResourceKind[] = [
    userKind({ cache: cache(i.user), settingsCache: cache(i.setting), store, settings }),
    tokens,
    settingKind(cache(i.setting), settings),
    clusterKind({ cache: cache(i.cluster), now }),
    clusterRegistrationTokenKind({ cache: cache(i.clusterRegistrationToken), clusters: cache(i.cluster), settings }),
    nodeKind({ cache: cache(i.node), store }),
  ];
  const local = localProviderKind({
    users: cache(i.user),
    tokens: cache(i.token),
    tokenKind: tokens,
    store,
    settings,
    throttle: deps.throttle,
    now,
  });
  return {
    v3: new ApiVersion('/v3', v3Kinds, [changePasswordInput, setPasswordInput]),
    v3Public: new ApiVersion('/v3-public', [authProviderKind(local), local], [basicLoginInput]),
  };
}
