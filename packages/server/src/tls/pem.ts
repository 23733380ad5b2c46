import { X509Certificate } from 'node:crypto';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Normalises a PEM text the way Rancher stores the `cacerts` setting: CRLF (and lone CR) become LF
 * and surrounding whitespace is trimmed, so the result never ends with a newline.
 * Idempotent; '' stays ''.
 */
export function normalizePem(pem: string): string {
  return pem.replace(/\r\n?/g, '\n').trim();
}

/**
 * The certificates in a PEM text, in file order. Text outside the
 * `-----BEGIN CERTIFICATE-----` blocks (comments, "Bag Attributes", other block types) is ignored.
 * Throws node's parse error for a block that is not a valid certificate.
 */
export function parseCertificates(pem: string): X509Certificate[] {
  return (pem.match(CERT_BLOCK) ?? []).map((block) => new X509Certificate(block));
}

/** The canonical PEM of a certificate: LF line endings, no trailing newline. */
export function certificatePem(cert: X509Certificate): string {
  return normalizePem(cert.toString());
}

/** The certificate's expiry as a Date. */
export function notAfterOf(cert: X509Certificate): Date {
  return new Date(cert.validTo);
}

/** The certificate's start of validity as a Date. */
export function notBeforeOf(cert: X509Certificate): Date {
  return new Date(cert.validFrom);
}
