import type { X509Certificate } from 'node:crypto';
import { TlsConfigError } from './errors.js';
import { readConfigured } from './files.js';
import { tlsMaterial, type TlsMaterial } from './material.js';
import { certificatePem } from './pem.js';
import { keyMatchesCertificate, parseCertificateFile, parsePrivateKey } from './parse.js';

/**
 * Loads an operator's certificate (`--tls-cert`, PEM, the server's certificate first, then any
 * chain) and key (`--tls-key`, PEM) to be served as they are.
 *
 * `cacerts` is the normalised PEM of the chain's CA (see `chainCa`), or '' when the file holds none.
 * Throws TlsConfigError naming the file when a file is missing or unreadable, holds no certificate or
 * key, or the key does not belong to the first certificate.
 */
export async function loadUserCertificate(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const certText = await readConfigured(certFile, 'TLS certificate file');
  const keyText = await readConfigured(keyFile, 'TLS key file');
  const chain = parseCertificateFile(certText, certFile);
  const key = parsePrivateKey(keyText, keyFile);
  const [leaf] = chain;
  if (!keyMatchesCertificate(key, leaf)) {
    const index = chain.findIndex((cert) => keyMatchesCertificate(key, cert));
    const hint =
      index > 0
        ? `; it belongs to certificate ${index + 1} in ${certFile}, and the server's certificate must come first`
        : '';
    throw new TlsConfigError(
      `the private key in ${keyFile} does not match the first certificate in ${certFile}${hint}`,
      { file: keyFile },
    );
  }
  const ca = chainCa(chain);
  return tlsMaterial('user', { certPem: certText, keyPem: keyText }, leaf, ca === undefined ? '' : certificatePem(ca));
}

/**
 * The CA a client should trust for this chain: the last self-signed certificate in it (subject equals
 * issuer and the signature verifies), else the last certificate when it is a CA (basicConstraints CA),
 * else undefined. A lone self-signed server certificate is its own CA.
 */
export function chainCa(chain: readonly X509Certificate[]): X509Certificate | undefined {
  const selfSigned = chain.filter((cert) => cert.subject === cert.issuer && cert.verify(cert.publicKey));
  const root = selfSigned.at(-1);
  if (root !== undefined) return root;
  const last = chain.at(-1);
  return last?.ca === true ? last : undefined;
}
