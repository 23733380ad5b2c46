import { createHash, X509Certificate } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';

/** Where the server publishes its CA (Rancher's `cacerts` setting; readable without a token). */
export const CACERTS_PATH = '/v3/settings/cacerts';
export const DEFAULT_TRUST_TIMEOUT_MS = 10_000;
/** A cacerts answer is a few KiB; anything past this is not one. */
const MAX_BODY_BYTES = 1024 * 1024;
/** sha256 of empty input: what `... | jq -r .value | sha256sum` prints when curl got nothing. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * The server's CA could not be fetched (`unreachable`: no answer at all) or the answer is not a CA matching
 * `--ca-checksum` (`untrusted`); the message is one line for the operator.
 */
export class TrustError extends Error {
  constructor(
    message: string,
    readonly reason: 'unreachable' | 'untrusted' = 'untrusted',
  ) {
    super(message);
    this.name = 'TrustError';
  }
}

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The PEM with CRLF turned into LF, trailing whitespace removed and exactly one "\n" at the end. */
export const normaliseCaPem = (value: string): string => `${value.replace(/\r\n/g, '\n').trimEnd()}\n`;

/**
 * The checksums a `--ca-checksum` may have for a served `value`, canonical one first:
 * - of the normalised PEM (`normaliseCaPem`), which is what a Paddock or Rancher server with a clean
 *   value prints in its registration command;
 * - of `value + "\n"`, what `curl -sk <server>/v3/settings/cacerts | jq -r .value | sha256sum` prints for
 *   any value (so a value with CRLF or trailing newlines still matches the documented command);
 * - of the value with "\n" added only when missing, Rancher's server-side rule.
 */
export function acceptedChecksums(value: string): string[] {
  const sums = [normaliseCaPem(value), `${value}\n`, value.endsWith('\n') ? value : `${value}\n`].map(sha256Hex);
  return [...new Set(sums)];
}

interface RawAnswer {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One GET without certificate verification or redirects; rejects with a one-line TrustError. */
function getInsecure(url: string, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', rejectUnauthorized: false, agent: false, headers: { accept: 'application/json' } });
    // Set when we end the request ourselves, so that reason wins over the socket error it causes.
    let stopped: TrustError | undefined;
    const stop = (reason: TrustError) => {
      stopped ??= reason;
      req.destroy(reason);
    };
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(stopped ?? new TrustError(`could not reach ${url} (${err.message}): check that --server is right and the server is running and reachable from this node`, 'unreachable'));
    };
    const timer = setTimeout(() => {
      stop(new TrustError(`no answer from ${url} within ${timeoutMs / 1000}s: check that --server is right and the server is reachable from this node`, 'unreachable'));
    }, timeoutMs);
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) chunks.push(chunk);
        else stop(new TrustError(`${url} answered with more than ${MAX_BODY_BYTES} bytes, which is not a cacerts setting: check that --server is the URL of the Paddock server`));
      });
      res.on('error', fail);
      res.on('close', () => {
        if (!res.complete) fail(new Error('the connection closed before the answer was complete'));
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end();
  });
}

/** The `value` of the cacerts setting, or a TrustError saying why the answer is not one. */
function cacertsValue(url: string, answer: RawAnswer): string {
  const { status, headers, body } = answer;
  if (status >= 300 && status < 400) {
    throw new TrustError(`${url} answered HTTP ${status} redirecting to ${headers.location ?? '(no location)'}; the agent does not follow redirects: pass the final server URL as --server`);
  }
  if (status !== 200) {
    throw new TrustError(`${url} answered HTTP ${status} ${answer.statusMessage} instead of the cacerts setting: check that --server is the URL of the Paddock server`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    const start = JSON.stringify(body.slice(0, 60));
    throw new TrustError(`${url} did not answer JSON (content-type ${headers['content-type'] ?? 'none'}, body starts ${start}): check that --server is the URL of the Paddock server and not a proxy or login page`);
  }
  const value = (parsed as { value?: unknown } | null)?.value;
  if (typeof value !== 'string') {
    throw new TrustError(`${url} answered JSON without a string "value", so it is not a cacerts setting: check that --server is the URL of the Paddock server`);
  }
  return value;
}

/**
 * Fetches `<server>/v3/settings/cacerts` without verifying the certificate and checks it against
 * `caChecksum`, as Rancher's agent does before anything else. Returns the CA PEM (normalised) to trust from
 * then on, or undefined when no checksum is given (nothing is fetched: use the system trust store).
 * Throws TrustError, with one line naming the URL, for an unreachable server, an answer that is not the
 * setting, an empty value, a value that is not a certificate, or a checksum that differs.
 */
export async function fetchTrustedCa(
  config: { server: string; caChecksum: string | undefined },
  options: { timeoutMs?: number } = {},
): Promise<string | undefined> {
  const expected = config.caChecksum?.toLowerCase();
  if (expected === undefined) return undefined;
  const url = `${config.server.replace(/\/+$/, '')}${CACERTS_PATH}`;
  if (!url.startsWith('https://')) {
    throw new TrustError(`--ca-checksum pins the CA of an https:// server, but ${url} is not https`);
  }
  const value = cacertsValue(url, await getInsecure(url, options.timeoutMs ?? DEFAULT_TRUST_TIMEOUT_MS));
  const howTo = `the --ca-checksum comes from \`curl -sk ${url} | jq -r .value | sha256sum\``;
  if (value.trim() === '') {
    throw new TrustError(`${url} has an empty CA certificate, so there is nothing to check --ca-checksum ${expected} against (got no checksum): the server's certificate is then from a public CA, so drop --ca-checksum; or --server is not the server the command came from`);
  }
  const pem = normaliseCaPem(value);
  const sums = acceptedChecksums(value);
  // What the documented command prints for this value; equals the canonical checksum for a clean value.
  const actual = sha256Hex(`${value}\n`);
  try {
    new X509Certificate(pem);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TrustError(`${url} served a value that is not a PEM certificate (${reason}; its checksum is ${actual}, expected ${expected}): check that --server is the URL of the Paddock server`);
  }
  if (!sums.includes(expected)) {
    const emptyHint = expected === EMPTY_SHA256 ? `; ${expected} is the checksum of empty input, so the command that computed it got nothing from the server` : '';
    const alsoNormalised = sums[0] !== actual ? ` (normalised: ${sums[0]})` : '';
    throw new TrustError(`the CA certificate from ${url} has checksum ${actual}${alsoNormalised}, expected ${expected} from --ca-checksum: ${howTo}; a different value means a different server or a man in the middle${emptyHint}`);
  }
  return pem;
}

/**
 * The CA to trust for each of the agent's servers (replicas of one server, so one CA and one checksum): each
 * server's own cacerts is checked with `fetchTrustedCa` before the agent first connects to it, and its CA is
 * remembered once it matched. Without a checksum nothing is fetched and every server uses the system store.
 */
export class ServerTrust {
  readonly #caChecksum: string | undefined;
  readonly #pinned = new Map<string, string>();

  constructor(caChecksum: string | undefined) {
    this.#caChecksum = caChecksum;
  }

  /** The CA PEM to trust for `server` (undefined: the system store); fetched and checked the first time. Throws TrustError. */
  async caFor(server: string): Promise<string | undefined> {
    if (this.#caChecksum === undefined) return undefined;
    const known = this.#pinned.get(server);
    if (known !== undefined) return known;
    const pem = await fetchTrustedCa({ server, caChecksum: this.#caChecksum });
    if (pem !== undefined) this.#pinned.set(server, pem);
    return pem;
  }

  /**
   * Checks `servers` in order until one serves the CA of the checksum, as the agent does before anything
   * else, and returns that server (the first one when there is no checksum). When none does, throws the
   * TrustError of the only server, or one naming every server's problem.
   */
  async firstTrusted(servers: readonly string[]): Promise<string> {
    const errors: TrustError[] = [];
    for (const server of servers) {
      try {
        await this.caFor(server);
        return server;
      } catch (err) {
        if (!(err instanceof TrustError)) throw err;
        errors.push(err);
      }
    }
    const [only] = errors;
    if (errors.length === 1 && only) throw only;
    const reason = errors.every((e) => e.reason === 'unreachable') ? 'unreachable' : 'untrusted';
    throw new TrustError(`no server could be trusted: ${errors.map((e) => e.message).join('; and ')}`, reason);
  }
}

/** TLS options for node:https and ws that trust only the given CA PEM, or the system store when undefined. */
export interface PinnedTlsOptions {
  ca?: string;
  rejectUnauthorized: true;
}

/** Builds `{ ca, rejectUnauthorized: true }` from `fetchTrustedCa`'s result, for every later request and the tunnel. */
export function tlsOptionsFor(ca: string | undefined): PinnedTlsOptions {
  return ca === undefined ? { rejectUnauthorized: true } : { ca, rejectUnauthorized: true };
}
