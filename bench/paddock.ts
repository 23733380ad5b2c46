// Starting the real Paddock server (`node bin/paddock server`) as a child process, and preparing its data.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, httpsCall, type TestResponse } from '../packages/server/src/testing/test-server.js';
import { freePort, sleep, spawnChild, type Child } from './processes.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PADDOCK_BIN = join(REPO_ROOT, 'bin', 'paddock');

const PING_INTERVAL_MS = 5;
const PING_TIMEOUT_MS = 1_000;
const READY_DEADLINE_MS = 20_000;

export interface PaddockProcess {
  child: Child;
  url: string;
  /** Milliseconds from spawning the process to the first `/ping` answered `pong`. */
  readyMs: number;
}

/** One HTTPS `GET /ping` on a fresh connection: true when answered 200 `pong`. */
function pingOnce(url: string, ca: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsGet(`${url}/ping`, { agent: false, ca, rejectUnauthorized: ca !== undefined, timeout: PING_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 && body === 'pong'));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export interface StartOptions {
  /** Listen on this port (e.g. to restart a server where its agents expect it); default: a free one. */
  port?: number;
  /** More `paddock server` flags, e.g. `['--agent-timeout', '40']`. */
  extraArgs?: string[];
  /** Called with the child right after it is spawned, before any of its output is read (to follow its log). */
  onSpawn?: (child: Child) => void;
}

/**
 * Spawns `node bin/paddock server` on a free port of 127.0.0.1 and polls `/ping` every few ms until it answers.
 * `ca` is the data dir's CA when it already exists (verified like a real client); undefined on a first start.
 */
export async function startPaddock(dataDir: string, ca: string | undefined, options: StartOptions = {}): Promise<PaddockProcess> {
  const port = options.port ?? (await freePort());
  const url = `https://127.0.0.1:${port}`;
  const args = [PADDOCK_BIN, 'server', '--data-dir', dataDir, '--https-port', String(port), '--http-port', '0', '--bind-address', '127.0.0.1', '--log-level', 'warn', ...(options.extraArgs ?? [])];
  const started = performance.now();
  const child = spawnChild(process.execPath, args, { cwd: REPO_ROOT });
  options.onSpawn?.(child);
  let exited = false;
  void child.exited.then(() => (exited = true));
  while (performance.now() - started < READY_DEADLINE_MS) {
    if (exited) throw new Error(`paddock exited before it was ready:\n${child.outputTail()}`);
    if (await pingOnce(url, ca)) return { child, url, readyMs: performance.now() - started };
    await sleep(PING_INTERVAL_MS);
  }
  throw new Error(`paddock did not answer /ping within ${READY_DEADLINE_MS} ms:\n${child.outputTail()}`);
}

export const readCa = (dataDir: string) => readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8');

function expectStatus(res: TestResponse, status: number, what: string): void {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 500)}`);
}

/**
 * First-start chores on a fresh server: the forced admin password change, an API key, and `clusterCount`
 * clusters (c-001, c-002, …). Returns the API key (a bearer token that survives restarts).
 */
export async function prepareData(url: string, ca: string, clusterCount: number): Promise<string> {
  const call = (method: string, path: string, token: string | undefined, body: unknown) => httpsCall(url + path, ca, method, { token, body });
  const login = await call('POST', '/v3-public/localProviders/local?action=login', undefined, { username: 'admin', password: 'admin' });
  expectStatus(login, 201, 'first admin login');
  const sessionToken = String(login.json.token);
  expectStatus(await call('POST', '/v3/users?action=changepassword', sessionToken, { currentPassword: 'admin', newPassword: ADMIN_PASSWORD }), 200, 'changepassword');
  const apiKey = await call('POST', '/v3/tokens', sessionToken, { description: 'bench' });
  expectStatus(apiKey, 201, 'create API key');
  const token = String(apiKey.json.token);
  for (let i = 1; i <= clusterCount; i++) {
    const name = `c-${String(i).padStart(3, '0')}`;
    expectStatus(await call('POST', '/v3/clusters', token, { name, rancherKubernetesEngineConfig: {} }), 201, `create cluster ${name}`);
  }
  return token;
}

/** The exact response of an authenticated `GET <path>`, for the bare server to replay. */
export async function captureResponse(url: string, ca: string, path: string, token: string): Promise<{ body: Buffer; contentType: string }> {
  const res = await httpsCall(url + path, ca, 'GET', { token });
  expectStatus(res, 200, `GET ${path}`);
  const contentType = res.headers['content-type'];
  if (typeof contentType !== 'string') throw new Error(`GET ${path} answered without a content-type`);
  const body = Buffer.from(res.text, 'utf8');
  const declaredLength = res.headers['content-length'];
  if (typeof declaredLength === 'string' && Number(declaredLength) !== body.length) {
    throw new Error(`GET ${path}: captured ${body.length} bytes but content-length says ${declaredLength}`);
  }
  return { body, contentType };
}

/**
 * Waits (bounded) until the controllers have finished with freshly created clusters: `GET <path>` answers the
 * same bytes twice in a row, `intervalMs` apart. Returns false if it was still changing at the deadline.
 */
export async function waitUntilSettled(url: string, ca: string, path: string, token: string, intervalMs = 250, deadlineMs = 10_000): Promise<boolean> {
  const started = performance.now();
  let previous = '';
  while (performance.now() - started < deadlineMs) {
    const res = await httpsCall(url + path, ca, 'GET', { token });
    expectStatus(res, 200, `GET ${path}`);
    if (res.text === previous) return true;
    previous = res.text;
    await sleep(intervalMs);
  }
  return false;
}

/** A cluster agents can join: its id, a registration token, and the `--ca-checksum` of its registration command. */
export interface AgentCluster {
  clusterId: string;
  token: string;
  caChecksum: string;
}

/** Creates a cluster and a registration token for it, as a user about to add nodes would. */
export async function createAgentCluster(url: string, ca: string, apiKey: string, name: string): Promise<AgentCluster> {
  const cluster = await httpsCall(`${url}/v3/clusters`, ca, 'POST', { token: apiKey, body: { name, rancherKubernetesEngineConfig: {} } });
  expectStatus(cluster, 201, `create cluster ${name}`);
  const clusterId = String(cluster.json.id);
  const crt = await httpsCall(`${url}/v3/clusterregistrationtokens`, ca, 'POST', { token: apiKey, body: { clusterId } });
  expectStatus(crt, 201, `create a registration token for ${clusterId}`);
  const cacerts = await httpsCall(`${url}/v3/settings/cacerts`, ca, 'GET');
  expectStatus(cacerts, 200, 'GET /v3/settings/cacerts');
  // What the registration command's `curl ... | jq -r .value | sha256sum` prints.
  const caChecksum = createHash('sha256').update(`${String(cacerts.json.value)}\n`, 'utf8').digest('hex');
  return { clusterId, token: String(crt.json.token), caChecksum };
}

export interface NodeSummary {
  id: string;
  nodeName: string;
  state: string;
}

/** Every node of a cluster (`limit=-1`: up to the API's maximum page of 10000) with its state. */
export async function listNodes(url: string, ca: string, apiKey: string, clusterId: string): Promise<NodeSummary[]> {
  const res = await httpsCall(`${url}/v3/nodes?clusterId=${encodeURIComponent(clusterId)}&limit=-1`, ca, 'GET', { token: apiKey });
  expectStatus(res, 200, 'GET /v3/nodes');
  const data = (res.json as { data?: { id?: unknown; nodeName?: unknown; state?: unknown }[] }).data ?? [];
  return data.map((n) => ({ id: String(n.id), nodeName: String(n.nodeName), state: String(n.state) }));
}
