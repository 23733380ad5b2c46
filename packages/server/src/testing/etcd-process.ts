import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real etcd (Debian's `etcd-server`, /usr/bin/etcd) for tests: one member, or a cluster of several, on
 * free loopback ports with its own temp data dir.
 *
 * Contract:
 * - `startEtcd()` / `startEtcdCluster(n)` resolve once every member answers `/health` (it has a leader);
 *   they pick new ports and try again when a port was taken between choosing and binding it.
 * - `stop()` ends the process (SIGTERM, SIGKILL after 5 s) and keeps its data; `start()` runs it again on
 *   the same ports and data, as an operator restarting etcd would.
 * - `remove()` (also `await using`) stops it and deletes the data dir. Idempotent.
 * - No process outlives the test: etcd runs under `setpriv --pdeathsig SIGKILL` when available, so it dies
 *   with the test process even on SIGKILL, and every live member is killed on `process.exit`.
 */
export interface EtcdProcess extends AsyncDisposable {
  /** Client URL, e.g. `http://127.31.7.200:41234` (each cluster on a loopback address of its own). */
  readonly endpoint: string;
  readonly name: string;
  readonly dataDir: string;
  /** PID of the running member; undefined while stopped. */
  readonly pid: number | undefined;
  /** Runs the stopped member again (same ports, same data) and waits until it is healthy. */
  start(): Promise<void>;
  /**
   * Stops the member, keeping its data. `signal` SIGKILL simulates a crash; SIGTERM can take up to the
   * 5 s grace in a cluster that lost quorum (etcd tries to hand over leadership first).
   */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the member and deletes its data dir. */
  remove(): Promise<void>;
  /** The last lines etcd logged, for failure messages. */
  log(): string;
}

export interface StartEtcdOptions {
  /** Extra etcd flags, e.g. `['--auto-compaction-retention', '1']`. */
  args?: string[];
  /**
   * Serve clients over TLS with these PEM files, requiring client certificates signed by `caFile`
   * (`--client-cert-auth`); `client` is the pair this helper uses for its health check.
   */
  tls?: { caFile: string; certFile: string; keyFile: string; client: { certFile: string; keyFile: string } };
  /** How long to wait for `/health`, in ms. Default 20000. */
  readyTimeoutMs?: number;
}

const ETCD_BIN = process.env.PADDOCK_TEST_ETCD ?? '/usr/bin/etcd';
const STOP_GRACE_MS = 5_000;
const LOG_LIMIT = 32 * 1024;
const PORT_ATTEMPTS = 5;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
let pdeathsig: boolean | undefined;

/** A multi-member etcd on loopback, for tests that kill members or the leader. */
export interface EtcdCluster extends AsyncDisposable {
  readonly members: EtcdProcess[];
  /** Every member's client URL. */
  readonly endpoints: string[];
  /** The member the running members report as leader; undefined when they have none (or disagree). */
  leader(): Promise<EtcdProcess | undefined>;
  /** Stops every member and deletes all data. Idempotent. */
  remove(): Promise<void>;
}

/** Starts a one-member etcd in a new temp dir. */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdProcess> {
  const cluster = await startMembers(1, options);
  const [member] = cluster.members;
  if (!member) throw new Error('no member');
  return member;
}

/**
 * Starts a `size`-member etcd cluster in a new temp dir (members started together, each healthy).
 * Elections are tuned for loopback: 50 ms heartbeats, 500 ms election timeout.
 */
export function startEtcdCluster(size: number, options: StartEtcdOptions = {}): Promise<EtcdCluster> {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`cluster size must be positive, got ${size}`);
  return startMembers(size, options);
}

async function startMembers(size: number, options: StartEtcdOptions): Promise<Cluster> {
  const root = await mkdtemp(join(tmpdir(), 'paddock-etcd-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const host = options.tls ? '127.0.0.1' : ownLoopbackAddress();
    const ports = await freePorts(2 * size, host);
    const token = `paddock-test-${process.pid}-${ports[0]}`;
    const specs = Array.from({ length: size }, (_, i) => ({
      name: `${token}-${i}`,
      dataDir: join(root, `member-${i}`),
      host,
      clientPort: ports[2 * i] ?? 0,
      peerUrl: `http://${host}:${ports[2 * i + 1] ?? 0}`,
    }));
    const initialCluster = specs.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    const timing = size === 1 ? { heartbeat: 10, election: 100 } : { heartbeat: 50, election: 500 };
    const members = specs.map((spec) => new Member({ ...spec, initialCluster, token, timing, ownsDir: size === 1 ? root : spec.dataDir }, options));
    const cluster = new Cluster(root, members);
    const started = await Promise.allSettled(members.map((m) => m.start()));
    const failed = started.find((r) => r.status === 'rejected');
    if (!failed) return cluster;
    lastError = failed.reason;
    const portClash = members.some((m) => /address already in use/.test(m.log()));
    await Promise.all(members.map((m) => m.stop('SIGKILL')));
    await Promise.all(specs.map((m) => rm(m.dataDir, { recursive: true, force: true })));
    if (!portClash) break;
  }
  await rm(root, { recursive: true, force: true });
  throw lastError;
}

class Cluster implements EtcdCluster {
  readonly members: Member[];
  readonly endpoints: string[];
  readonly #root: string;

  constructor(root: string, members: Member[]) {
    this.#root = root;
    this.members = members;
    this.endpoints = members.map((m) => m.endpoint);
  }

  async leader(): Promise<EtcdProcess | undefined> {
    const statuses = await Promise.all(this.members.map((m) => (m.pid === undefined ? undefined : m.status())));
    const leaders = new Set(statuses.map((s) => s?.leader).filter((id) => id !== undefined && id !== '0'));
    if (leaders.size !== 1) return undefined;
    const [leaderId] = leaders;
    return this.members.find((_, i) => statuses[i]?.memberId === leaderId);
  }

  async remove(): Promise<void> {
    await Promise.all(this.members.map((m) => m.remove()));
    await rm(this.#root, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.remove();
  }
}

interface MemberSpec {
  name: string;
  dataDir: string;
  /** The loopback address the member listens on (clients and peers). */
  host: string;
  clientPort: number;
  peerUrl: string;
  initialCluster: string;
  token: string;
  timing: { heartbeat: number; election: number };
  /** Deleted by remove(): the whole temp dir for a lone member, the member's own dir in a cluster. */
  ownsDir: string;
}

class Member implements EtcdProcess {
  readonly endpoint: string;
  readonly name: string;
  readonly dataDir: string;
  readonly #ownsDir: string;
  readonly #args: string[];
  readonly #readyTimeoutMs: number;
  readonly #tls: StartEtcdOptions['tls'];
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #log = '';
  #removed = false;

  constructor(spec: MemberSpec, options: StartEtcdOptions) {
    this.name = spec.name;
    this.dataDir = spec.dataDir;
    this.#ownsDir = spec.ownsDir;
    this.#tls = options.tls;
    this.endpoint = `${options.tls ? 'https' : 'http'}://${spec.host}:${spec.clientPort}`;
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
    const tlsArgs = options.tls
      ? ['--cert-file', options.tls.certFile, '--key-file', options.tls.keyFile, '--trusted-ca-file', options.tls.caFile, '--client-cert-auth']
      : [];
    this.#args = [
      '--name', spec.name,
      '--data-dir', spec.dataDir,
      '--listen-client-urls', this.endpoint,
      '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', spec.peerUrl,
      '--initial-advertise-peer-urls', spec.peerUrl,
      '--initial-cluster', spec.initialCluster,
      '--initial-cluster-token', spec.token,
      '--initial-cluster-state', 'new',
      '--heartbeat-interval', String(spec.timing.heartbeat),
      '--election-timeout', String(spec.timing.election),
      '--logger', 'zap',
      '--log-level', 'warn',
      ...tlsArgs,
      ...(options.args ?? []),
    ];
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async start(): Promise<void> {
    if (this.#removed) throw new Error(`etcd ${this.name} was removed`);
    if (this.#child) return;
    installExitHook();
    const [cmd, ...args] = usePdeathsig() ? ['setpriv', '--pdeathsig', 'SIGKILL', '--', ETCD_BIN, ...this.#args] : [ETCD_BIN, ...this.#args];
    const child = spawn(cmd ?? ETCD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    live.add(child);
    const append = (chunk: Buffer): void => {
      this.#log = (this.#log + chunk.toString()).slice(-LOG_LIMIT);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    let ended = false;
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => {
        ended = true;
        live.delete(child);
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
      child.once('error', (error) => {
        append(Buffer.from(`spawn failed: ${error.message}\n`));
        ended = true;
        live.delete(child);
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
    });
    const deadline = Date.now() + this.#readyTimeoutMs;
    for (;;) {
      if (ended) throw new Error(`etcd exited before it was healthy:\n${this.log()}`);
      if (await healthy(this.endpoint, this.#tls)) return;
      if (Date.now() > deadline) {
        await this.stop('SIGKILL');
        throw new Error(`etcd not healthy after ${this.#readyTimeoutMs} ms:\n${this.log()}`);
      }
      await sleep(20);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = this.#exited;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  async remove(): Promise<void> {
    await this.stop('SIGKILL'); // its data goes too; a graceful stop can take seconds in a cluster
    if (this.#removed) return;
    this.#removed = true;
    await rm(this.#ownsDir, { recursive: true, force: true });
  }

  /** This member's id and the leader it knows (etcd's JSON gateway); undefined when it does not answer. */
  async status(): Promise<{ memberId: string; leader: string } | undefined> {
    try {
      const body = JSON.parse(await call(`${this.endpoint}/v3/maintenance/status`, this.#tls, '{}')) as { header?: { member_id?: string }; leader?: string };
      if (body.header?.member_id === undefined || body.leader === undefined) return undefined;
      return { memberId: body.header.member_id, leader: body.leader };
    } catch {
      return undefined;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.remove();
  }

  log(): string {
    return this.#log;
  }
}

async function healthy(endpoint: string, tls: StartEtcdOptions['tls']): Promise<boolean> {
  try {
    return (JSON.parse(await call(`${endpoint}/health`, tls)) as { health?: unknown }).health === 'true';
  } catch {
    return false;
  }
}

/** GET (or POST `body`) on etcd's client port, with the helper's client certificate under TLS. */
async function call(url: string, tls: StartEtcdOptions['tls'], body?: string): Promise<string> {
  const method = body === undefined ? 'GET' : 'POST';
  if (!tls) {
    const response = await fetch(url, { method, body, signal: AbortSignal.timeout(1_000) });
    return response.text();
  }
  const credentials = { ca: await readFile(tls.caFile), cert: await readFile(tls.client.certFile), key: await readFile(tls.client.keyFile) };
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { ...credentials, method, timeout: 1_000 }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve(text));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * A loopback address of this cluster's own (127.x.y.z; Linux routes all of 127/8 to lo). A member stopped by a
 * test frees its port, which another test's etcd may take; clients of the first cluster (servers still running,
 * retrying) must then not reach the second and write into it: on another address they cannot.
 */
function ownLoopbackAddress(): string {
  const byte = () => 1 + Math.floor(Math.random() * 254);
  return `127.${byte()}.${byte()}.${byte()}`;
}

/** `count` distinct ports free on `host` right now, all held open together while choosing. */
async function freePorts(count: number, host: string): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    const ports: number[] = [];
    for (const server of servers) {
      server.listen(0, host);
      await once(server, 'listening');
      const address = server.address();
      if (typeof address !== 'object' || !address) throw new Error('no address');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

function usePdeathsig(): boolean {
  pdeathsig ??= spawnSync('setpriv', ['--pdeathsig', 'SIGKILL', '--', 'true']).status === 0;
  return pdeathsig;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}
