/** The version of this Paddock build (server-version setting, agent image tag). */
export const PADDOCK_VERSION = '0.1.0';
