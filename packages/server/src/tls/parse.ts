import { createPrivateKey, createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { TlsConfigError } from './errors.js';
import { parseCertificates } from './pem.js';

/**
 * The certificates in a PEM file's text, in file order (at least one). Throws TlsConfigError naming
 * `file` when it holds none or one does not parse.
 */
export function parseCertificateFile(pem: string, file: string): [X509Certificate, ...X509Certificate[]] {
  let certs: X509Certificate[];
  try {
    certs = parseCertificates(pem);
  } catch (err) {
    throw new TlsConfigError(`${file} holds a PEM certificate that cannot be parsed`, { file, cause: err });
  }
  const [first, ...rest] = certs;
  if (first === undefined) {
    throw new TlsConfigError(`${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`, { file });
  }
  return [first, ...rest];
}

/**
 * Parses a PEM private key (PKCS#8, SEC1 or PKCS#1). Throws TlsConfigError naming `file` when the
 * text holds no usable private key, including an encrypted one (no passphrase is ever asked for).
 */
export function parsePrivateKey(pem: string, file: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new TlsConfigError(`${file} does not hold an unencrypted PEM private key`, { file, cause: err });
  }
}

/** True when `key` is the private half of the key pair certified by `cert` (compares SPKI encodings). */
export function keyMatchesCertificate(key: KeyObject, cert: X509Certificate): boolean {
  const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const fromCert = cert.publicKey.export({ type: 'spki', format: 'der' });
  return fromKey.equals(fromCert);
}

/** True when `cert` names `issuer` as its issuer and carries a valid signature by the issuer's key. */
export function isIssuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}
