import type { X509Certificate } from 'node:crypto';
import { TlsConfigError } from './errors.js';
import { ensureDir, readIfExists, writeAtomic, type TlsPaths } from './files.js';
import type { CertificatePair } from './material.js';
import { isIssuedBy, keyMatchesCertificate, parseCertificateFile, parsePrivateKey } from './parse.js';
import { notAfterOf, notBeforeOf } from './pem.js';
import { missingSans, type SubjectAltNames } from './sans.js';

/** A certificate's PEMs with its parsed (first) certificate. */
export interface LoadedCertificate {
  readonly pair: CertificatePair;
  readonly cert: X509Certificate;
}

/**
 * Why a serving certificate was (re)issued: `missing` (no files yet), `invalid` (unparseable, key
 * mismatch, or not signed by the current CA), `expiring` (within the renewal window), `not-yet-valid`
 * (the clock went back), `sans` (a name it must hold is missing), `files-changed` (the operator's
 * files changed on disk; user certificate mode only).
 */
export type RotationReason = 'missing' | 'invalid' | 'expiring' | 'not-yet-valid' | 'sans' | 'files-changed';

/** A reason to issue a new serving certificate, with a human-readable detail for the log. */
export interface RenewalNeed {
  readonly reason: RotationReason;
  readonly detail: string;
}

/**
 * The CA from `paths`, or undefined when ca.crt does not exist (first start). No key is generated.
 * Throws TlsConfigError when ca.crt exists but ca.key does not, either does not parse, the
 * certificate is not a CA, or the key does not match it: the CA is never replaced silently, since
 * registered agents pin its checksum.
 */
export async function loadCa(paths: TlsPaths): Promise<LoadedCertificate | undefined> {
  const certPem = await readIfExists(paths.caCert);
  if (certPem === undefined) return undefined;
  const keyPem = await readIfExists(paths.caKey);
  if (keyPem === undefined) {
    throw new TlsConfigError(
      `${paths.caCert} exists but its key ${paths.caKey} does not; restore the key, or remove ` +
        `${paths.caCert} to generate a new CA (agents must then be registered again)`,
      { file: paths.caKey },
    );
  }
  const [cert] = parseCertificateFile(certPem, paths.caCert);
  if (!cert.ca) throw new TlsConfigError(`${paths.caCert} is not a CA certificate`, { file: paths.caCert });
  if (!keyMatchesCertificate(parsePrivateKey(keyPem, paths.caKey), cert)) {
    throw new TlsConfigError(`the key in ${paths.caKey} does not match the CA certificate ${paths.caCert}`, {
      file: paths.caKey,
    });
  }
  return { pair: { certPem, keyPem }, cert };
}

/** Generates a new CA and writes it (key first, then certificate, so ca.crt implies ca.key). */
export async function createAndSaveCa(paths: TlsPaths, now: Date): Promise<LoadedCertificate> {
  const { createCa } = await import('./ca.js'); // lazy: keeps @peculiar/x509 off the load path
  const pair = await createCa(now);
  await ensureDir(paths.dir);
  await writeAtomic(paths.caKey, pair.keyPem, 0o600);
  await writeAtomic(paths.caCert, pair.certPem, 0o644);
  return { pair, cert: parseCertificateFile(pair.certPem, paths.caCert)[0] };
}

/**
 * The serving certificate from `paths` when it is usable with `ca`, else why not (`missing` or
 * `invalid`). Never throws for a bad serving certificate: it is ours to replace.
 */
export async function loadServing(paths: TlsPaths, ca: X509Certificate): Promise<LoadedCertificate | RenewalNeed> {
  const certPem = await readIfExists(paths.servingCert);
  const keyPem = await readIfExists(paths.servingKey);
  if (certPem === undefined || keyPem === undefined) {
    return { reason: 'missing', detail: `${paths.servingCert} or ${paths.servingKey} does not exist` };
  }
  try {
    const [cert] = parseCertificateFile(certPem, paths.servingCert);
    if (!keyMatchesCertificate(parsePrivateKey(keyPem, paths.servingKey), cert)) {
      return { reason: 'invalid', detail: `${paths.servingKey} does not match ${paths.servingCert}` };
    }
    if (!isIssuedBy(cert, ca)) {
      return { reason: 'invalid', detail: `${paths.servingCert} is not signed by the CA in ${paths.caCert}` };
    }
    return { pair: { certPem, keyPem }, cert };
  } catch (err) {
    if (err instanceof TlsConfigError) return { reason: 'invalid', detail: err.message };
    throw err;
  }
}

/** What `renewalNeed` compares a serving certificate with. */
export interface RenewalPolicy {
  readonly ca: X509Certificate;
  readonly wanted: SubjectAltNames;
  readonly now: Date;
  /** Renew when the certificate expires within this many milliseconds. */
  readonly renewBefore: number;
}

/**
 * Why `serving` must be replaced under `policy`, or undefined when it is fine. A certificate already
 * running until the CA's own expiry is not renewed for expiring: a new one could not last longer.
 */
export function renewalNeed(serving: X509Certificate, policy: RenewalPolicy): RenewalNeed | undefined {
  const now = policy.now.getTime();
  const notAfter = notAfterOf(serving);
  if (notBeforeOf(serving).getTime() > now) {
    return { reason: 'not-yet-valid', detail: `valid only from ${notBeforeOf(serving).toISOString()}` };
  }
  if (notAfter.getTime() - policy.renewBefore <= now && notAfter.getTime() < notAfterOf(policy.ca).getTime()) {
    return { reason: 'expiring', detail: `expires ${notAfter.toISOString()}` };
  }
  const missing = missingSans(serving, policy.wanted);
  if (missing.length > 0) return { reason: 'sans', detail: `lacks ${missing.join(', ')}` };
  return undefined;
}

/** Issues a serving certificate for `wanted` from `ca` and writes it (key first, then certificate). */
export async function issueAndSaveServing(
  paths: TlsPaths,
  ca: LoadedCertificate,
  wanted: SubjectAltNames,
  now: Date,
): Promise<LoadedCertificate> {
  const { issueServingCertificate } = await import('./serving.js'); // lazy, as in createAndSaveCa
  const pair = await issueServingCertificate({
    ca: ca.pair,
    caCertFile: paths.caCert,
    caKeyFile: paths.caKey,
    sans: wanted,
    now,
  });
  await ensureDir(paths.dir);
  await writeAtomic(paths.servingKey, pair.keyPem, 0o600);
  await writeAtomic(paths.servingCert, pair.certPem, 0o644);
  return { pair, cert: parseCertificateFile(pair.certPem, paths.servingCert)[0] };
}
