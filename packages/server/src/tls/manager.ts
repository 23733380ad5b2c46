import { TlsConfigError } from './errors.js';
import { tlsPaths, type TlsPaths } from './files.js';
import {
  createAndSaveCa,
  issueAndSaveServing,
  loadCa,
  loadServing,
  renewalNeed,
  type LoadedCertificate,
  type RenewalNeed,
  type RotationReason,
} from './generated.js';
import { tlsMaterial, type TlsMaterial } from './material.js';
import { certificatePem, notAfterOf } from './pem.js';
import { localHostInfo, requiredSans, type HostInfo, type SubjectAltNames } from './sans.js';
import { loadUserCertificate } from './user-cert.js';
import { DEFAULT_RENEW_BEFORE_MS, SERVING_VALIDITY_MS } from './validity.js';

/** How the server's TLS material is obtained. Read once by `CertificateManager.load`. */
export interface TlsOptions {
  /** Paddock's data directory; generated material lives in `<dataDir>/tls/`. */
  readonly dataDir: string;
  /** The `server-url` setting, if set: its host goes into the generated serving certificate. */
  readonly serverUrl?: string | undefined;
  /** `--tls-cert`: the operator's PEM certificate (chain allowed). Requires `keyFile`. */
  readonly certFile?: string | undefined;
  /** `--tls-key`: the operator's PEM private key. Requires `certFile`. */
  readonly keyFile?: string | undefined;
  /** Renew the generated serving certificate when it expires within this many ms (default 30 days). */
  readonly renewBefore?: number | undefined;
  /** The clock (tests inject one). */
  readonly now?: (() => Date) | undefined;
  /** Host name and interface addresses (tests inject them); default: `node:os`. */
  readonly hostInfo?: (() => HostInfo) | undefined;
  /** Called after material was created or replaced, e.g. to log why. Must not throw. */
  readonly onRotate?: ((event: RotationEvent) => void) | undefined;
}

/** Tells that the served material changed, and why. */
export interface RotationEvent {
  readonly reason: RotationReason;
  /** Human-readable detail: the missing names, the expiry date, the file at fault. */
  readonly detail: string;
  /** True when a new CA was generated too (first start): the CA checksum changed. */
  readonly caCreated: boolean;
  readonly material: TlsMaterial;
}

interface GeneratedState {
  readonly paths: TlsPaths;
  readonly ca: LoadedCertificate;
  serving: LoadedCertificate;
}

interface UserFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

type Mode =
  | { readonly kind: 'user'; readonly files: UserFiles }
  | { readonly kind: 'generated'; readonly state: GeneratedState };

/**
 * Owns the HTTPS server's certificate and key for the life of the process.
 *
 * Generated mode (no cert/key files): a CA and a serving certificate live in `<dataDir>/tls/`; they
 * are created on first start and only loaded afterwards (no key generation when they are fine). The
 * CA is never replaced; the serving certificate is re-issued when it is missing, invalid, expiring
 * within `renewBefore`, not yet valid, or lacks a name from `requiredSans`.
 * User mode (cert and key files): the files are served as they are; `refresh` re-reads them.
 *
 * `refresh` calls run one at a time. After one returns true the caller applies `current()` with
 * `httpsServer.setSecureContext({ cert, key })`; existing connections keep the old certificate.
 */
export class CertificateManager {
  readonly #options: TlsOptions;
  readonly #mode: Mode;
  #serverUrl: string | undefined;
  #material: TlsMaterial;
  #queue: Promise<void> = Promise.resolve();

  private constructor(options: TlsOptions, material: TlsMaterial, mode: Mode) {
    this.#options = options;
    this.#serverUrl = options.serverUrl;
    this.#material = material;
    this.#mode = mode;
  }

  /**
   * Loads (or on first start creates) the material `options` describe.
   * Throws TlsConfigError for anything the operator must fix: only one of certFile/keyFile given, a
   * bad renewBefore or server URL, unreadable or mismatched user files, a broken or expired CA.
   */
  static async load(options: TlsOptions): Promise<CertificateManager> {
    const user = userFiles(options);
    checkRenewBefore(options.renewBefore);
    if (user !== undefined) {
      const material = await loadUserCertificate(user.certFile, user.keyFile);
      return new CertificateManager(options, material, { kind: 'user', files: user });
    }
    const paths = tlsPaths(options.dataDir);
    const now = clock(options)();
    const loaded = await loadCa(paths);
    const ca = loaded ?? (await createAndSaveCa(paths, now));
    const current = loaded === undefined ? firstStart(paths) : await loadServing(paths, ca.cert);
    const wanted = requiredSans(hostInfo(options)(), options.serverUrl);
    const { serving, need } = await ensureServing(paths, ca, current, wanted, now, options);
    const manager = new CertificateManager(options, generatedMaterial(ca, serving), {
      kind: 'generated',
      state: { paths, ca, serving },
    });
    if (need !== undefined) manager.#notify(need, loaded === undefined);
    return manager;
  }

  /** The material to serve now. Immutable; replaced (not changed) by a rotation. */
  current(): TlsMaterial {
    return this.#material;
  }

  /**
   * Re-checks the material and replaces it when needed; resolves true when `current()` changed.
   * `serverUrl`: undefined keeps the server URL known so far, a string sets it, null clears it; it is
   * kept only when the check succeeds. Generated mode re-reads the host's names and addresses; user
   * mode re-reads the files and reports a change when their content differs.
   * Rejects with TlsConfigError for a bad server URL, unusable user files or an expired CA; the
   * current material then stays in place.
   */
  refresh(serverUrl?: string | null): Promise<boolean> {
    // The URL is resolved when the call's turn comes, after earlier calls have set theirs.
    const run = this.#queue.then(() =>
      this.#refresh(serverUrl === undefined ? this.#serverUrl : (serverUrl ?? undefined)),
    );
    // The queue only orders calls; each caller gets its own outcome from `run`.
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #refresh(serverUrl: string | undefined): Promise<boolean> {
    const mode = this.#mode;
    const need =
      mode.kind === 'user' ? await this.#refreshUser(mode.files) : await this.#refreshGenerated(mode.state, serverUrl);
    this.#serverUrl = serverUrl;
    if (need === undefined) return false;
    this.#notify(need, false);
    return true;
  }

  async #refreshUser(user: UserFiles): Promise<RenewalNeed | undefined> {
    const material = await loadUserCertificate(user.certFile, user.keyFile);
    if (material.certPem === this.#material.certPem && material.keyPem === this.#material.keyPem) return undefined;
    this.#material = material;
    return { reason: 'files-changed', detail: `${user.certFile} or ${user.keyFile} changed` };
  }

  async #refreshGenerated(state: GeneratedState, serverUrl: string | undefined): Promise<RenewalNeed | undefined> {
    const wanted = requiredSans(hostInfo(this.#options)(), serverUrl);
    const now = clock(this.#options)();
    const { serving, need } = await ensureServing(state.paths, state.ca, state.serving, wanted, now, this.#options);
    if (need === undefined) return undefined;
    state.serving = serving;
    this.#material = generatedMaterial(state.ca, serving);
    return need;
  }

  #notify(need: RenewalNeed, caCreated: boolean): void {
    this.#options.onRotate?.({ ...need, caCreated, material: this.#material });
  }
}

/**
 * Keeps `current` when it passes `renewalNeed`, else issues and saves a new serving certificate.
 * Throws TlsConfigError when the CA has expired.
 */
async function ensureServing(
  paths: TlsPaths,
  ca: LoadedCertificate,
  current: LoadedCertificate | RenewalNeed,
  wanted: SubjectAltNames,
  now: Date,
  options: TlsOptions,
): Promise<{ serving: LoadedCertificate; need?: RenewalNeed }> {
  checkCaValid(paths, ca, now);
  const renewBefore = options.renewBefore ?? DEFAULT_RENEW_BEFORE_MS;
  let need: RenewalNeed;
  if ('cert' in current) {
    const found = renewalNeed(current.cert, { ca: ca.cert, wanted, now, renewBefore });
    if (found === undefined) return { serving: current };
    need = found;
  } else {
    need = current;
  }
  return { serving: await issueAndSaveServing(paths, ca, wanted, now), need };
}

function generatedMaterial(ca: LoadedCertificate, serving: LoadedCertificate): TlsMaterial {
  return tlsMaterial('generated', serving.pair, serving.cert, certificatePem(ca.cert));
}

function firstStart(paths: TlsPaths): RenewalNeed {
  return { reason: 'missing', detail: `generated a new CA in ${paths.caCert}` };
}

function checkCaValid(paths: TlsPaths, ca: LoadedCertificate, now: Date): void {
  const notAfter = notAfterOf(ca.cert);
  if (notAfter.getTime() > now.getTime()) return;
  throw new TlsConfigError(
    `the CA in ${paths.caCert} expired on ${notAfter.toISOString()}; remove ca.crt and ca.key to generate ` +
      'a new CA (agents registered with the old CA checksum must then be registered again)',
    { file: paths.caCert },
  );
}

function userFiles(options: TlsOptions): UserFiles | undefined {
  const { certFile, keyFile } = options;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined || certFile === '' || keyFile === '') {
    throw new TlsConfigError('--tls-cert and --tls-key must be given together');
  }
  return { certFile, keyFile };
}

function checkRenewBefore(renewBefore: number | undefined): void {
  if (renewBefore === undefined) return;
  if (!Number.isFinite(renewBefore) || renewBefore < 0 || renewBefore >= SERVING_VALIDITY_MS) {
    throw new TlsConfigError(
      `the TLS renewal window must be at least 0 and less than ${SERVING_VALIDITY_MS} ms ` +
        `(the serving certificate's lifetime); got ${renewBefore}`,
    );
  }
}

function clock(options: TlsOptions): () => Date {
  return options.now ?? (() => new Date());
}

function hostInfo(options: TlsOptions): () => HostInfo {
  return options.hostInfo ?? localHostInfo;
}
