import type { ResourceStore } from '../store/types.js';
import { StoreAlreadyExistsError } from '../store/types.js';
import type { CertificatePair } from './material.js';
import { ensureDir, tlsPaths, writeAtomic } from './files.js';
import { createAndSaveCa, loadCa } from './generated.js';
import { TlsConfigError } from './errors.js';
import { caChecksum } from './checksum.js';

/** Where replicas on one datastore keep their common CA (certificate and key; never served by the API). */
export const SHARED_CA_KIND = 'tlsCa';
const SHARED_CA_ID = 'ca';
const ATTEMPTS = 3;

/**
 * Makes this replica's CA the one every replica on the store uses, before its certificates load: the stored
 * CA is written into `<dataDir>/tls` when it has none (this replica then issues its own serving certificate from
 * it), and a different CA already there stops the start (TlsConfigError: agents may have pinned it); when none
 * is stored yet, this replica's CA (or a new one) is stored, and of replicas starting together the first to
 * store wins and the others adopt it. Agents pin the CA's checksum: every replica must serve the same chain.
 */
export async function shareCa(store: ResourceStore, dataDir: string, now: Date): Promise<'adopted' | 'published'> {
  const paths = tlsPaths(dataDir);
  for (let attempt = 1; ; attempt++) {
    const stored = await store.get<CertificatePair>(SHARED_CA_KIND, SHARED_CA_ID);
    if (stored) {
      const local = await loadCa(paths).catch((err: unknown) => {
        // A broken local CA is simply replaced by the shared one.
        if (err instanceof TlsConfigError) return undefined;
        throw err;
      });
      if (local && (local.pair.certPem !== stored.data.certPem || local.pair.keyPem !== stored.data.keyPem)) {
        // Agents may have pinned this CA: it is never replaced silently.
        throw new TlsConfigError(
          `${paths.caCert} holds a CA (checksum ${caChecksum(local.pair.certPem)}) other than the one the replicas on this etcd share ` +
            `(checksum ${caChecksum(stored.data.certPem)}); remove ${paths.dir} to use the shared one, or start this data dir alone`,
          { file: paths.caCert },
        );
      }
      if (!local) {
        await ensureDir(paths.dir);
        await writeAtomic(paths.caKey, stored.data.keyPem, 0o600);
        await writeAtomic(paths.caCert, stored.data.certPem, 0o644);
      }
      return 'adopted';
    }
    const own = (await loadCa(paths)) ?? (await createAndSaveCa(paths, now));
    try {
      await store.create<CertificatePair>(SHARED_CA_KIND, SHARED_CA_ID, { certPem: own.pair.certPem, keyPem: own.pair.keyPem });
      return 'published';
    } catch (err) {
      // Another replica stored its CA first: adopt that one.
      if (!(err instanceof StoreAlreadyExistsError) || attempt >= ATTEMPTS) throw err;
    }
  }
}
