import { X509Certificate } from 'node:crypto';
import { notAfterOf } from './pem.js';
import { sansOf, type SubjectAltNames } from './sans.js';

/** PEM texts of one certificate (or a chain, leaf first) and its private key. */
export interface CertificatePair {
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * What the HTTPS server serves, and what it tells agents. Immutable; a rotation makes a new one.
 * `certPem`/`keyPem` go to `https.createServer` / `server.setSecureContext` as `cert`/`key`.
 */
export interface TlsMaterial extends CertificatePair {
  /** 'generated' when Paddock issued the certificate from its own CA, 'user' for --tls-cert/--tls-key. */
  readonly source: 'generated' | 'user';
  /** The CA's PEM, trimmed, LF only, no trailing newline (Rancher's `cacerts` setting); '' when unknown. */
  readonly cacerts: string;
  /** The leaf certificate's expiry. */
  readonly notAfter: Date;
  /** The DNS and IP names the leaf certificate holds. */
  readonly sans: SubjectAltNames;
}

/** Builds the immutable material for a served pair; `leaf` is the first certificate of `pair.certPem`. */
export function tlsMaterial(
  source: TlsMaterial['source'],
  pair: CertificatePair,
  leaf: X509Certificate,
  cacerts: string,
): TlsMaterial {
  const sans = sansOf(leaf);
  return Object.freeze({
    source,
    certPem: pair.certPem,
    keyPem: pair.keyPem,
    cacerts,
    notAfter: notAfterOf(leaf),
    sans: Object.freeze({ dns: Object.freeze([...sans.dns]), ips: Object.freeze([...sans.ips]) }),
  });
}
