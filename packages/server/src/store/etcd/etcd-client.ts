import { readFile } from 'node:fs/promises';
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { circuitBreaker, ConsecutiveBreaker, handleWhen, isBrokenCircuitError, noop } from 'cockatiel';
import { Etcd3, isRecoverableError, type IOptions } from 'etcd3';

/** Client TLS for etcd, as PEM contents (the caller reads the files). */
export interface EtcdTlsOptions {
  /** CA bundle that signed etcd's serving certificates; the system's roots when absent. */
  ca?: string | Buffer;
  /** Client certificate chain, for etcd's `--client-cert-auth`; give `key` with it. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface EtcdConnectionOptions {
  /** Client URLs of one or more members, e.g. `https://10.0.0.1:2379`; all http or all https. */
  endpoints: string[];
  /** TLS material; requires https endpoints. https endpoints without it verify against the system roots. */
  tls?: EtcdTlsOptions;
  /** Deadline of each unary call (reads, writes, compaction), in ms. Default 10000. */
  requestTimeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** The files `--etcd-cafile`, `--etcd-certfile` and `--etcd-keyfile` name. */
export interface EtcdTlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** A file an `--etcd-*file` flag names cannot be read. */
export class EtcdTlsFileError extends Error {
  constructor(flag: string, file: string, options: { cause: unknown }) {
    const code = options.cause instanceof Error && 'code' in options.cause ? String(options.cause.code) : String(options.cause);
    super(`${flag}: cannot read ${file} (${code})`, options);
    this.name = 'EtcdTlsFileError';
  }
}

/** Reads the TLS files the etcd flags name; none: undefined (https endpoints then verify against the system's roots). */
export async function readEtcdTls(files: EtcdTlsFiles): Promise<EtcdTlsOptions | undefined> {
  const read = async (file: string | undefined, flag: string) => {
    if (!file) return undefined;
    try {
      return await readFile(file);
    } catch (err) {
      throw new EtcdTlsFileError(flag, file, { cause: err });
    }
  };
  const [ca, cert, key] = await Promise.all([
    read(files.caFile, '--etcd-cafile'),
    read(files.certFile, '--etcd-certfile'),
    read(files.keyFile, '--etcd-keyfile'),
  ]);
  return ca || cert ? { ca, cert, key } : undefined;
}

/** How long a failing member is skipped before it is tried again, when there are several. */
const MEMBER_RETRY_AFTER_MS = 1_000;

/**
 * Builds the etcd3 client the store uses. Only etcd3's low-level RPC clients (`kv`, `watchClient`) are
 * used, with its fault handling reduced to what is safe for a store:
 * - no automatic retry of calls (etcd3 retries every call 3 times by default, which would re-send a write
 *   whose answer was lost and could report AlreadyExists or Conflict for the store's own write); the store
 *   retries reads itself;
 * - with several endpoints, a member that failed 3 calls in a row is skipped for 1 s (etcd3's default is
 *   5 s, which with one endpoint only delays recovery, so one endpoint gets no breaker);
 * - gRPC keepalive, so a member that vanished without closing its connections is noticed in ~15 s;
 * - watch streams require a leader (etcd's `hasleader` metadata, as the Go client's WithRequireLeader):
 *   a member cut off from its cluster ends them instead of going silent, and the watch moves on.
 */
export function connectEtcd(options: EtcdConnectionOptions): Etcd3 {
  const endpoints = validateEndpoints(options.endpoints);
  const secure = endpoints[0]?.startsWith('https:') ?? false;
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeout) || timeout < 1) throw new RangeError(`requestTimeoutMs must be a positive integer, got ${timeout}`);
  const config: IOptions = {
    hosts: endpoints,
    grpcOptions: {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    },
    defaultCallOptions: (context) => (context.isStream ? { interceptors: [requireLeader] } : { deadline: Date.now() + timeout }),
    faultHandling: {
      global: noop,
      host: () =>
        endpoints.length > 1
          ? circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: MEMBER_RETRY_AFTER_MS, breaker: new ConsecutiveBreaker(3) })
          : noop,
    },
  };
  const tls = options.tls;
  if (tls) {
    if (!secure) throw new TypeError('etcd TLS options need https:// endpoints');
    if ((tls.cert === undefined) !== (tls.key === undefined)) throw new TypeError('etcd client cert and key go together');
    config.credentials = {
      // grpc-js takes null for "the system's roots"; etcd3's type asks for a Buffer.
      rootCertificate: (tls.ca === undefined ? null : toBuffer(tls.ca)) as Buffer,
      ...(tls.cert === undefined ? {} : { certChain: toBuffer(tls.cert) }),
      ...(tls.key === undefined ? {} : { privateKey: toBuffer(tls.key) }),
    };
  }
  return new Etcd3(config);
}

/** Adds `hasleader: true` to a call's metadata: etcd then fails or ends it when the member has no leader. */
const requireLeader: Interceptor = (options, nextCall) =>
  new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      metadata.set('hasleader', 'true');
      next(metadata, listener);
    },
  });

function validateEndpoints(endpoints: string[]): string[] {
  if (endpoints.length === 0) throw new TypeError('etcd needs at least one endpoint');
  const schemes = new Set<string>();
  for (const endpoint of endpoints) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new TypeError(`etcd endpoint ${JSON.stringify(endpoint)} is not a URL like http://127.0.0.1:2379`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`etcd endpoint ${JSON.stringify(endpoint)} must be http:// or https://`);
    }
    if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '') {
      throw new TypeError(`etcd endpoint ${JSON.stringify(endpoint)} must be scheme://host:port only`);
    }
    schemes.add(url.protocol);
  }
  if (schemes.size > 1) throw new TypeError('etcd endpoints must be all http:// or all https://');
  return endpoints.map((e) => e.replace(/\/$/, ''));
}

function toBuffer(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/** A failure that may pass: the member is unreachable, restarting, electing a leader or overloaded. */
export function isTransientError(error: unknown): boolean {
  return error instanceof Error && (isRecoverableError(error) || isBrokenCircuitError(error));
}

/** etcd's answer to reading (or watching from) a revision older than its last compaction. */
export function isCompactedError(error: unknown): boolean {
  return error instanceof Error && error.message.includes('required revision has been compacted');
}
