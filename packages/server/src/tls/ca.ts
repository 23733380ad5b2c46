import { certPem, generateKeyPair, privateKeyPem, x509 } from './x509.js';
import type { CertificatePair } from './material.js';
import { BACKDATE_MS, CA_VALIDITY_MS } from './validity.js';

/**
 * A new self-signed CA: ECDSA P-256, subject `CN=paddock-ca@<unix seconds>, O=paddock`, valid from
 * `now` (less BACKDATE_MS) for 10 years, basicConstraints CA (critical), keyUsage keyCertSign, cRLSign
 * and digitalSignature (critical). The timestamp keeps the names of successive CAs apart.
 */
export async function createCa(now: Date): Promise<CertificatePair> {
  const { keys } = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=paddock-ca@${Math.floor(now.getTime() / 1000)}, O=paddock`,
    keys,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_VALIDITY_MS),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: certPem(cert), keyPem: await privateKeyPem(keys.privateKey) };
}
