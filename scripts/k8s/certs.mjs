// Test PKI for the kube-apiserver test environment, made with the openssl CLI in a directory of its own:
// a CA, a serving certificate for 127.0.0.1/localhost signed by it, and a service-account signing key pair.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(args, cwd) {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr?.toString().trim() || err.message}`);
  }
}

/**
 * Writes ca.{key,crt}, serving.{key,crt} and sa.{key,pub} into `dir` and returns their paths. EC P-256 keys for
 * TLS (fast to make), RSA 2048 for service-account tokens (RS256, what every client library verifies).
 */
export function makeCertificates(dir) {
  const p = (name) => join(dir, name);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '7', '-subj', '/CN=paddock-testenv-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', 'ca.crt'], dir);

  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'serving.key'], dir);
  openssl(['req', '-new', '-key', 'serving.key', '-subj', '/CN=kube-apiserver', '-out', 'serving.csr'], dir);
  const sans = 'subjectAltName=IP:127.0.0.1,IP:::1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc';
  writeFileSync(p('serving.ext'), `${sans}\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  openssl(['x509', '-req', '-in', 'serving.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '7',
    '-sha256', '-extfile', 'serving.ext', '-out', 'serving.crt'], dir);

  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
  openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);

  return { caCert: p('ca.crt'), caKey: p('ca.key'), servingCert: p('serving.crt'), servingKey: p('serving.key'), saKey: p('sa.key'), saPub: p('sa.pub') };
}
