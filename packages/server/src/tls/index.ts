// The server's TLS certificate lifecycle: a generated CA and serving certificate in <dataDir>/tls/,
// or the operator's own certificate and key; the Rancher-compatible `cacerts` value and its checksum.
export { caChecksum } from './checksum.js';
export { TlsConfigError } from './errors.js';
export type { RotationReason } from './generated.js';
export { CertificateManager, type RotationEvent, type TlsOptions } from './manager.js';
export type { TlsMaterial } from './material.js';
export { normalizePem } from './pem.js';
export {
  DEFAULT_RENEWAL_INTERVAL_MS,
  startRenewalLoop,
  type Refreshable,
  type RenewalLoopOptions,
} from './renewal.js';
export { localHostInfo, requiredSans, type HostInfo, type SubjectAltNames } from './sans.js';
export { CA_VALIDITY_MS, DEFAULT_RENEW_BEFORE_MS, SERVING_VALIDITY_MS } from './validity.js';
