import { ApiError } from '../../api/errors.js';
import { serverUrlProblem } from '../../config/server-url.js';

/**
 * The settings Paddock itself defines. Their `default` is computed at start (so `server-version` and
 * `agent-image` follow the running binary); a stored non-empty `value` overrides it, and an environment
 * variable `CATTLE_<NAME>` (as Rancher reads) overrides both and makes the setting read-only.
 */
export interface SettingDefinition {
  name: string;
  default: string;
  /** Nobody may change it through the API (the server maintains it). */
  readOnly?: boolean;
  /** Readable without authentication (the agent and the login page need these). */
  public?: boolean;
  /** Throws ApiError (fieldName `value`) for a bad value. */
  validate?(value: string): void;
}

function intSetting(min: number, max: number) {
  return (value: string) => {
    if (value === '') return; // back to the default
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new ApiError('InvalidFormat', `value must be an integer from ${min} to ${max}`, 'value');
    }
  };
}

function validateServerUrl(value: string) {
  if (value === '') return;
  const problem = serverUrlProblem(value);
  if (problem) throw new ApiError('InvalidFormat', `server-url: ${problem}`, 'value');
}

export interface SettingInputs {
  version: string;
  cacerts: string;
  installUuid: string;
}

export function settingDefinitions(inputs: SettingInputs): SettingDefinition[] {
  return [
    { name: 'agent-image', default: `paddock/paddock-agent:v${inputs.version}` },
    { name: 'cacerts', default: inputs.cacerts, readOnly: true, public: true },
    { name: 'server-url', default: '', validate: validateServerUrl },
    { name: 'server-version', default: `v${inputs.version}`, readOnly: true },
    { name: 'first-login', default: 'true', public: true },
    { name: 'password-min-length', default: '12', validate: intSetting(2, 256) },
    { name: 'auth-token-max-ttl-minutes', default: '0', validate: intSetting(0, 10 * 365 * 24 * 60) },
    { name: 'auth-user-session-ttl-minutes', default: '960', validate: intSetting(1, 10 * 365 * 24 * 60) },
    { name: 'install-uuid', default: inputs.installUuid, readOnly: true },
    { name: 'ui-index', default: 'local' },
    { name: 'ui-pl', default: 'Paddock', public: true },
    { name: 'telemetry-opt', default: 'out' },
    { name: 'kubeconfig-generate-token', default: 'true' },
    // Generated kubeconfigs carry a token that expires (30 days) unless an administrator chooses 0 (never).
    { name: 'kubeconfig-default-token-ttl-minutes', default: '43200', validate: intSetting(0, 10 * 365 * 24 * 60) },
  ];
}
