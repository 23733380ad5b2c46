// The one place that loads @peculiar/x509. It costs ~100 ms to load, so only certificate generation
// imports it (lazily, through ca.ts and serving.ts); loading existing material uses node:crypto only.
import 'reflect-metadata'; // @peculiar/x509's dependency tsyringe needs the Reflect metadata API first.
import * as x509 from '@peculiar/x509';
import { createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';
import { TlsConfigError } from './errors.js';

x509.cryptoProvider.set(webcrypto);

export { x509 };

/** A WebCrypto key able to sign certificates, with the algorithm to sign them with. */
export interface Signer {
  readonly privateKey: webcrypto.CryptoKey;
  readonly algorithm: webcrypto.EcdsaParams | webcrypto.AlgorithmIdentifier;
}

const P256: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

/** A fresh extractable ECDSA P-256 key pair, signing with SHA-256. */
export async function generateKeyPair(): Promise<{ keys: webcrypto.CryptoKeyPair; signer: Signer }> {
  const keys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  return { keys, signer: { privateKey: keys.privateKey, algorithm: { name: 'ECDSA', hash: 'SHA-256' } } };
}

/** The PKCS#8 PEM ("PRIVATE KEY") of an extractable private key, ending with a newline. */
export async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/** The PEM of a certificate, ending with a newline. */
export function certPem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem')}\n`;
}

/**
 * Imports a PEM private key (PKCS#8, SEC1 or PKCS#1) as a WebCrypto signer. Supports EC P-256,
 * P-384 and P-521 and RSA keys; throws TlsConfigError naming `file` for anything else.
 */
export async function importSigner(keyPem: string, file: string): Promise<Signer> {
  const key = createPrivateKey(keyPem);
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const { importParams, algorithm } = signerAlgorithm(key, file);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, importParams, false, ['sign']);
  return { privateKey, algorithm };
}

const EC_HASH: Record<string, string> = { prime256v1: 'SHA-256', secp384r1: 'SHA-384', secp521r1: 'SHA-512' };
const EC_CURVE: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

function signerAlgorithm(
  key: KeyObject,
  file: string,
): { importParams: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams; algorithm: Signer['algorithm'] } {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const curve = EC_CURVE[details.namedCurve ?? ''];
    const hash = EC_HASH[details.namedCurve ?? ''];
    if (curve !== undefined && hash !== undefined) {
      return { importParams: { name: 'ECDSA', namedCurve: curve }, algorithm: { name: 'ECDSA', hash } };
    }
  }
  if (key.asymmetricKeyType === 'rsa') {
    const name = 'RSASSA-PKCS1-v1_5';
    return { importParams: { name, hash: 'SHA-256' }, algorithm: { name, hash: 'SHA-256' } };
  }
  throw new TlsConfigError(
    `the CA key in ${file} is ${key.asymmetricKeyType ?? 'unknown'} ${details.namedCurve ?? ''}; ` +
      'only EC P-256/P-384/P-521 and RSA keys can sign certificates',
    { file },
  );
}
