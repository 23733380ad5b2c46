import { TlsConfigError } from './errors.js';
import type { CertificatePair } from './material.js';
import type { SubjectAltNames } from './sans.js';
import { BACKDATE_MS, SERVING_VALIDITY_MS } from './validity.js';
import { certPem, generateKeyPair, importSigner, privateKeyPem, x509 } from './x509.js';

/** What issuing a serving certificate needs. */
export interface ServingRequest {
  /** The CA's PEMs; the key signs the new certificate. */
  readonly ca: CertificatePair;
  /** The CA key's file, named in errors about the key. */
  readonly caKeyFile: string;
  /** The CA certificate's file, named in errors about the CA. */
  readonly caCertFile: string;
  readonly sans: SubjectAltNames;
  readonly now: Date;
}

/**
 * A new serving certificate with a new ECDSA P-256 key, signed by the CA: subject `CN=paddock,
 * O=paddock`, the given SANs, EKU serverAuth, keyUsage digitalSignature+keyEncipherment, valid from
 * `now` (less BACKDATE_MS) for SERVING_VALIDITY_MS or until the CA expires, whichever is first.
 * Throws TlsConfigError when the CA has expired or its key cannot sign.
 */
export async function issueServingCertificate(request: ServingRequest): Promise<CertificatePair> {
  const { ca, now } = request;
  const caCert = new x509.X509Certificate(ca.certPem);
  if (caCert.notAfter.getTime() <= now.getTime()) {
    throw new TlsConfigError(
      `the CA in ${request.caCertFile} expired on ${caCert.notAfter.toISOString()}; remove ca.crt and ca.key ` +
        'to generate a new CA (agents registered with the old CA checksum must then be registered again)',
      { file: request.caCertFile },
    );
  }
  const signer = await importSigner(ca.keyPem, request.caKeyFile);
  const { keys } = await generateKeyPair();
  const notAfter = Math.min(now.getTime() + SERVING_VALIDITY_MS, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    subject: 'CN=paddock, O=paddock',
    issuer: caCert.subjectName,
    publicKey: keys.publicKey,
    signingKey: signer.privateKey,
    signingAlgorithm: signer.algorithm,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(notAfter),
    extensions: await servingExtensions(request.sans, keys.publicKey, caCert),
  });
  return { certPem: certPem(cert), keyPem: await privateKeyPem(keys.privateKey) };
}

async function servingExtensions(
  sans: SubjectAltNames,
  publicKey: CryptoKeyLike,
  caCert: x509.X509Certificate,
): Promise<x509.Extension[]> {
  const names: x509.JsonGeneralName[] = [
    ...sans.dns.map((value) => ({ type: 'dns' as const, value })),
    ...sans.ips.map((value) => ({ type: 'ip' as const, value })),
  ];
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(names),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    await authorityKeyIdentifier(caCert),
  ];
}

/**
 * The AKI naming the CA's key: the CA's own subjectKeyIdentifier when it has one (a CA put in the
 * data dir by hand may use another derivation than ours; OpenSSL matches AKI against SKI), else
 * derived from its public key.
 */
async function authorityKeyIdentifier(caCert: x509.X509Certificate): Promise<x509.Extension> {
  const ski = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski !== null) return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
  return x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey);
}

type CryptoKeyLike = Parameters<typeof x509.SubjectKeyIdentifierExtension.create>[0];
