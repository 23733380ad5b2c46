// The Kubernetes proxy (issue 7), through Paddock versus straight to the apiserver, in one run against a real
// etcd + kube-apiserver (e2e/support/k8s-testenv.ts) imported by kubeconfig into the real server:
// - `GET /api/v1/namespaces` at 1 and 32 connections: p50/p99 and req/s, both paths (autocannon, exact
//   percentiles); Paddock with a generated kubeconfig's token, the apiserver with its static admin token;
// - a list of 5,000 ConfigMaps of 1 KiB each: time to the last byte (median of a few), the response size, and
//   the Paddock server's RSS growth during the list (peak from VmHWM, reset before each list, and sampled);
// - 1,000 watches on namespaces held by the one server, each on its own connection: its RSS before and after,
//   and how many of them see a namespace created afterwards (and how soon).
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { ClientRequest } from 'node:http';
import { httpsCall } from '../packages/server/src/testing/test-server.js';
import { startK8sTestEnv, type K8sTestEnv } from '../e2e/support/k8s-testenv.js';
import { measureLoad, type LoadResult } from './latency.js';
import { prepareData, readCa, startPaddock, type PaddockProcess } from './paddock.js';
import { makeTempDir, readOpenFilesLimit, readRssMb, readStatusMb, sleep, stopChild } from './processes.js';
import { median, ms, percentile, round, verdict } from './stats.js';

const NAMESPACES = '/api/v1/namespaces';
const CONNECTIONS = [1, 32] as const;
const CONFIGMAPS = 5000;
const CONFIGMAP_DATA_BYTES = 1024;
const CREATE_CONCURRENCY = 16;
const LIST_RUNS = 5;
const LIST_NAMESPACE = 'bench-configmaps';
const RSS_SAMPLE_MS = 2;
const WATCHES = 1000;
const HANDSHAKES_IN_FLIGHT = 64;
/** Give up waiting for the watches to open after this long without one more opening. */
const WATCH_STALL_MS = 5_000;
const WATCH_EVENT_DEADLINE_MS = 5_000;
const SETTLE_MS = 1_000;
const READY_DEADLINE_MS = 30_000;
const TARGETS = { p99OverheadC1Ms: 2, rpsRatioC32: 0.7, listRssToSize: 2 };

export interface K8sProxyResult {
  json: Record<string, unknown>;
  targetsMet: Record<string, boolean>;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** One way to the cluster's API: the base URL requests append to, the bearer token, the CA and whose CPU/RSS counts. */
interface Path {
  name: 'direct' | 'paddock';
  base: string;
  token: string;
  ca: string;
  pid: number;
  /** Keep-alive connections for setup and list requests (so a list's time is not a TLS handshake's). */
  agent: Agent;
}

interface Reply {
  status: number;
  text: string;
}

function call(path: Path, method: string, url: string, body?: unknown): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { authorization: `Bearer ${path.token}` };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpsRequest(path.base + url, { method, headers, ca: path.ca, agent: path.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function expectCall(path: Path, method: string, url: string, status: number, body?: unknown): Promise<Reply> {
  const reply = await call(path, method, url, body);
  if (reply.status !== status) throw new Error(`${path.name} ${method} ${url}: expected ${status}, got ${reply.status} ${reply.text.slice(0, 300)}`);
  return reply;
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at a time. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Imports the env's cluster by kubeconfig; returns its id and the token of a kubeconfig Paddock generated for the admin. */
async function importCluster(server: PaddockProcess, ca: string, apiKey: string, env: K8sTestEnv): Promise<{ clusterId: string; token: string }> {
  const kubeConfig = await readFile(env.kubeconfigPath, 'utf8');
  const created = await httpsCall(`${server.url}/v3/clusters`, ca, 'POST', { token: apiKey, body: { name: 'bench-k8s', importedConfig: { kubeConfig } } });
  if (created.status !== 201) throw new Error(`import the cluster: ${created.status} ${created.text.slice(0, 300)}`);
  const clusterId = String((created.json as { id: unknown }).id);
  const generated = await httpsCall(`${server.url}/v3/clusters/${clusterId}?action=generateKubeconfig`, ca, 'POST', { token: apiKey });
  if (generated.status !== 200) throw new Error(`generateKubeconfig: ${generated.status} ${generated.text.slice(0, 300)}`);
  const token = /^\s*token: "?(token-[a-z0-9]+:[^\s"]+)"?\s*$/m.exec(String((generated.json as { config: unknown }).config))?.[1];
  if (!token) throw new Error('the generated kubeconfig has no token');
  return { clusterId, token };
}

/** The impersonation headers Paddock's proxy sends for the bench's user (see k8s/proxy.ts). */
async function impersonationOf(server: PaddockProcess, ca: string, apiKey: string): Promise<Record<string, string>> {
  const me = await httpsCall(`${server.url}/v3/users?me=true`, ca, 'GET', { token: apiKey });
  const user = (me.json as { data: { id: string; username: string }[] }).data[0];
  if (!user) throw new Error(`who am I: ${me.status} ${me.text.slice(0, 200)}`);
  return { 'impersonate-user': user.id, 'impersonate-extra-principalid': `local://${user.id}`, 'impersonate-extra-username': user.username };
}

/** Polls until `GET <base>/api/v1/namespaces` answers 200 (the RBAC sync has made the admin cluster-admin). */
async function waitForAccess(path: Path): Promise<number> {
  const started = performance.now();
  let last: Reply | undefined;
  while (performance.now() - started < READY_DEADLINE_MS) {
    last = await call(path, 'GET', NAMESPACES);
    if (last.status === 200) return performance.now() - started;
    await sleep(50);
  }
  throw new Error(`the proxy did not answer 200 within ${READY_DEADLINE_MS} ms: ${last?.status} ${last?.text.slice(0, 300)}`);
}

function loadJson(r: LoadResult) {
  return {
    rps: round(r.rps, 0),
    requests: r.requests,
    p50Ms: round(r.p50, 3),
    p99Ms: round(r.p99, 3),
    maxMs: round(r.max, 3),
    serverCpuCores: round(r.serverCpuCores),
    serverCpuMsPerRequest: round(r.serverCpuMsPerRequest, 3),
    errors: r.errors + r.timeouts + r.non2xx,
  };
}

function loadLine(label: string, r: LoadResult): string {
  const problems = r.errors + r.timeouts + r.non2xx;
  const warn = problems ? `  !! errors=${r.errors} timeouts=${r.timeouts} non2xx=${r.non2xx}` : '';
  return `    ${label}: ${r.rps.toFixed(0)} req/s, p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, max ${ms(r.max)}; ` +
    `its server's CPU ${(r.serverCpuCores * 100).toFixed(0)}% of a core${warn}`;
}

/** 1. `GET /api/v1/namespaces` at each connection count, direct then through Paddock. */
async function measureNamespaces(direct: Path, paddock: Path, impersonation: Record<string, string>, durationSeconds: number, warmupSeconds: number, log: (line: string) => void) {
  const load = (path: Path, connections: number, headers: Record<string, string> = {}) =>
    measureLoad({ url: path.base + NAMESPACES, connections, durationSeconds, headers: { authorization: `Bearer ${path.token}`, ...headers }, ca: path.ca, serverPid: path.pid }, warmupSeconds);
  const results: Record<Path['name'], Record<number, LoadResult>> = { direct: {}, paddock: {} };
  const body = await expectCall(direct, 'GET', NAMESPACES, 200);
  const count = (JSON.parse(body.text) as { items: unknown[] }).items.length;
  log(`  GET ${NAMESPACES} (${count} namespaces, ${body.text.length} bytes), ${durationSeconds} s per run:`);
  for (const connections of CONNECTIONS) {
    for (const path of [direct, paddock]) {
      const r = await load(path, connections);
      results[path.name][connections] = r;
      log(loadLine(`${path.name.padEnd(7)}, ${String(connections).padStart(2)} connection${connections === 1 ? ' ' : 's'}`, r));
    }
  }
  // The apiserver's own share of the gap: the direct path, sending the impersonation headers Paddock adds.
  const impersonating = await load(direct, 32, impersonation);
  log(loadLine('direct , 32 connections, impersonating as paddock does', impersonating));
  const at = (name: Path['name'], c: number) => results[name][c] as LoadResult;
  const p99OverheadC1 = at('paddock', 1).p99 - at('direct', 1).p99;
  const p50OverheadC1 = at('paddock', 1).p50 - at('direct', 1).p50;
  const rpsRatioC32 = at('paddock', 32).rps / at('direct', 32).rps;
  log(`    overhead at 1 connection: p50 +${ms(p50OverheadC1)}, p99 +${ms(p99OverheadC1)} (p99 ratio ${(at('paddock', 1).p99 / at('direct', 1).p99).toFixed(2)})  ` +
    `target p99 overhead <= ${TARGETS.p99OverheadC1Ms} ms: ${verdict(p99OverheadC1 <= TARGETS.p99OverheadC1Ms)}`);
  log(`    paddock/direct req/s at 32 connections: ${rpsRatioC32.toFixed(2)} (p99 ratio ${(at('paddock', 32).p99 / at('direct', 32).p99).toFixed(2)})  ` +
    `target >= ${TARGETS.rpsRatioC32}: ${verdict(rpsRatioC32 >= TARGETS.rpsRatioC32)}`);
  return {
    json: {
      namespaces: count,
      responseBytes: body.text.length,
      direct: Object.fromEntries(CONNECTIONS.map((c) => [`c${c}`, loadJson(at('direct', c))])),
      paddock: Object.fromEntries(CONNECTIONS.map((c) => [`c${c}`, loadJson(at('paddock', c))])),
      p50OverheadC1Ms: round(p50OverheadC1, 3),
      p99OverheadC1Ms: round(p99OverheadC1, 3),
      p99RatioC1: round(at('paddock', 1).p99 / at('direct', 1).p99),
      p99RatioC32: round(at('paddock', 32).p99 / at('direct', 32).p99),
      rpsRatioC32: round(rpsRatioC32, 3),
      directImpersonatingC32: loadJson(impersonating),
      rpsRatioC32ToImpersonating: round(at('paddock', 32).rps / impersonating.rps, 3),
    },
    targetsMet: { k8sP99OverheadC1: p99OverheadC1 <= TARGETS.p99OverheadC1Ms, k8sRpsRatioC32: rpsRatioC32 >= TARGETS.rpsRatioC32 },
  };
}

/** Resets the process's peak RSS (VmHWM) to its current RSS; false where the kernel does not allow it. */
async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples a process's VmRSS every few ms until stopped; resolves with the highest sample (MB). */
function sampleRss(pid: number): { stop: () => Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await readRssMb(pid));
      await sleep(RSS_SAMPLE_MS);
    }
    peak = Math.max(peak, await readRssMb(pid));
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** One `GET` of the whole list on a warm keep-alive connection: time to the last byte, and bytes (counted, not kept). */
function timedList(path: Path, url: string): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpsRequest(path.base + url, { headers: { authorization: `Bearer ${path.token}` }, ca: path.ca, agent: path.agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve({ ms: performance.now() - started, bytes }) : reject(new Error(`${path.name} GET ${url}: ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** 2. 5,000 ConfigMaps in one namespace (created directly), listed whole through each path. */
async function measureList(direct: Path, paddock: Path, log: (line: string) => void) {
  await expectCall(direct, 'POST', NAMESPACES, 201, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LIST_NAMESPACE } });
  const payload = randomBytes((CONFIGMAP_DATA_BYTES * 3) / 4).toString('base64');
  const createStarted = performance.now();
  await pool(CONFIGMAPS, CREATE_CONCURRENCY, async (i) => {
    const name = `cm-${String(i).padStart(5, '0')}`;
    await expectCall(direct, 'POST', `${NAMESPACES}/${LIST_NAMESPACE}/configmaps`, 201, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { payload } });
  });
  const createSeconds = (performance.now() - createStarted) / 1000;
  const url = `${NAMESPACES}/${LIST_NAMESPACE}/configmaps`;
  const check = JSON.parse((await expectCall(paddock, 'GET', url, 200)).text) as { items: unknown[] };
  if (check.items.length !== CONFIGMAPS) throw new Error(`the list through Paddock has ${check.items.length} ConfigMaps, expected ${CONFIGMAPS}`);
  // A first, unmeasured list on each path (JIT, the apiserver's caches).
  await timedList(direct, url);
  await timedList(paddock, url);
  await sleep(SETTLE_MS);

  const directMs: number[] = [];
  const paddockMs: number[] = [];
  const growthsMb: number[] = [];
  let bytes = 0;
  let peakFrom: 'VmHWM' | 'sampled' = 'VmHWM';
  const rssBefore = await readRssMb(paddock.pid);
  for (let run = 0; run < LIST_RUNS; run++) {
    directMs.push((await timedList(direct, url)).ms);
    const before = await readRssMb(paddock.pid);
    const reset = await resetPeakRss(paddock.pid);
    const sampler = sampleRss(paddock.pid);
    const listed = await timedList(paddock, url);
    const sampled = await sampler.stop();
    const peak = reset ? Math.max(sampled, await readStatusMb(paddock.pid, 'VmHWM')) : sampled;
    if (!reset) peakFrom = 'sampled';
    paddockMs.push(listed.ms);
    growthsMb.push(peak - before);
    bytes = listed.bytes;
  }
  const rssAfter = await readRssMb(paddock.pid);
  const growthMb = Math.max(...growthsMb);
  const sizeMb = bytes / 1024 / 1024;
  const toSize = growthMb / sizeMb;
  const directMedian = median(directMs);
  const paddockMedian = median(paddockMs);
  log(`  list of ${CONFIGMAPS.toLocaleString('en')} ConfigMaps (${CONFIGMAP_DATA_BYTES} B of data each, created directly in ${createSeconds.toFixed(1)} s), ` +
    `${mb(bytes)} per answer, median of ${LIST_RUNS}:`);
  log(`    direct ${ms(directMedian)}, through paddock ${ms(paddockMedian)} (x${(paddockMedian / directMedian).toFixed(2)}, +${ms(paddockMedian - directMedian)})`);
  log(`    paddock RSS growth during a list (peak from ${peakFrom}): max ${growthMb.toFixed(1)} MB [${growthsMb.map((g) => g.toFixed(1)).join(', ')}] ` +
    `= ${toSize.toFixed(2)}x the answer; RSS ${rssBefore.toFixed(1)} MB before the lists, ${rssAfter.toFixed(1)} MB after  ` +
    `target <= ${TARGETS.listRssToSize}x: ${verdict(toSize <= TARGETS.listRssToSize)}`);
  return {
    json: {
      configMaps: CONFIGMAPS,
      dataBytesEach: CONFIGMAP_DATA_BYTES,
      createSeconds: round(createSeconds, 1),
      responseBytes: bytes,
      directMs: round(directMedian, 1),
      paddockMs: round(paddockMedian, 1),
      timeRatio: round(paddockMedian / directMedian),
      directSamplesMs: directMs.map((v) => round(v, 1)),
      paddockSamplesMs: paddockMs.map((v) => round(v, 1)),
      rssGrowthMb: round(growthMb),
      rssGrowthSamplesMb: growthsMb.map((g) => round(g)),
      rssGrowthToSize: round(toSize),
      rssPeakFrom: peakFrom,
      rssBeforeMb: round(rssBefore, 1),
      rssAfterMb: round(rssAfter, 1),
    },
    targetsMet: { k8sListRss: toSize <= TARGETS.listRssToSize },
  };
}

interface OpenWatch {
  req: ClientRequest;
  /** The first event arrived (the watch is registered in the apiserver and flows through Paddock). */
  open: boolean;
  /** When the marker namespace's event arrived (performance.now()). */
  sawAt: number | undefined;
  status: number | undefined;
  error: string | undefined;
}

/** Opens one watch on its own connection; calls `onOpen` at its first event, `released` once its TLS handshake is over. */
function openWatch(path: Path, marker: string, onOpen: () => void, released: () => void): OpenWatch {
  const options: RequestOptions = { headers: { authorization: `Bearer ${path.token}` }, ca: path.ca, agent: false };
  const watch: OpenWatch = { req: httpsRequest(`${path.base}${NAMESPACES}?watch=1`, options), open: false, sawAt: undefined, status: undefined, error: undefined };
  let done = false;
  const release = () => {
    if (!done) released();
    done = true;
  };
  const needle = `"name":"${marker}"`;
  watch.req.on('socket', (socket) => socket.once('secureConnect', release));
  watch.req.on('response', (res) => {
    watch.status = res.statusCode;
    let tail = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (!watch.open) {
        watch.open = true;
        onOpen();
      }
      // Keep only what a marker split across chunks needs.
      const text = tail + chunk;
      if (watch.sawAt === undefined && text.includes(needle)) watch.sawAt = performance.now();
      tail = text.slice(-needle.length);
    });
    res.on('error', () => undefined);
  });
  watch.req.on('error', (err) => {
    watch.error ??= err.message;
    release();
  });
  watch.req.end();
  return watch;
}

/** 3. WATCHES watches held by the one Paddock server; a namespace created afterwards must reach all of them. */
async function measureWatches(direct: Path, paddock: Path, log: (line: string) => void) {
  const { soft } = await readOpenFilesLimit();
  // This process holds one socket per watch; the server (the same limit, inherited) two.
  const wanted = Math.min(WATCHES, Math.floor((soft - 200) / 2));
  if (wanted < WATCHES) log(`  !! open-files limit ${soft}: holding ${wanted} watches instead of ${WATCHES}`);
  const marker = `bench-watch-${randomBytes(4).toString('hex')}`;
  await sleep(SETTLE_MS);
  const rssBefore = await readRssMb(paddock.pid);
  const watches: OpenWatch[] = [];
  try {
    let opened = 0;
    let lastProgress = performance.now();
    const onOpen = () => {
      opened++;
      lastProgress = performance.now();
    };
    const openStarted = performance.now();
    await pool(wanted, HANDSHAKES_IN_FLIGHT, () => new Promise<void>((resolve) => watches.push(openWatch(paddock, marker, onOpen, resolve))));
    while (opened < wanted && performance.now() - lastProgress < WATCH_STALL_MS) await sleep(20);
    const openSeconds = (lastProgress - openStarted) / 1000;
    await sleep(SETTLE_MS);
    const rssHeld = await readRssMb(paddock.pid);
    const refused = watches.filter((w) => w.status !== undefined && w.status !== 200).length;
    const failed = watches.filter((w) => w.error !== undefined).length;
    const pending = watches.length - opened - refused - failed;

    const created = performance.now();
    await expectCall(direct, 'POST', NAMESPACES, 201, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: marker } });
    while (performance.now() - created < WATCH_EVENT_DEADLINE_MS && watches.some((w) => w.open && w.sawAt === undefined)) await sleep(10);
    const delays = watches.flatMap((w) => (w.sawAt === undefined ? [] : [w.sawAt - created]));
    const saw = delays.length;
    const perWatchKb = opened > 0 ? ((rssHeld - rssBefore) * 1024) / opened : Number.NaN;
    const allSaw = opened === WATCHES && saw === WATCHES;

    log(`  ${wanted} watches on ${NAMESPACES} through paddock, each on its own connection:`);
    log(`    open (first event received): ${opened} in ${openSeconds.toFixed(1)} s; refused ${refused}, failed ${failed}, still waiting ${pending}` +
      (pending > 0 ? ` (nothing for ${(WATCH_STALL_MS / 1000).toFixed(0)} s)` : ''));
    log(`    paddock RSS ${rssBefore.toFixed(1)} MB before, ${rssHeld.toFixed(1)} MB holding them: ${perWatchKb.toFixed(1)} KB per open watch`);
    log(`    a namespace created directly reached ${saw} of ${wanted} within ${WATCH_EVENT_DEADLINE_MS / 1000} s` +
      (saw > 0 ? `: p50 ${ms(percentile(delays, 50))}, p99 ${ms(percentile(delays, 99))}, last ${ms(percentile(delays, 100))} after the create was sent` : '') +
      `  target all ${WATCHES}: ${verdict(allSaw)}`);
    return {
      json: {
        wanted,
        open: opened,
        refused,
        failed,
        pending,
        openSeconds: round(openSeconds, 1),
        rssBeforeMb: round(rssBefore, 1),
        rssHeldMb: round(rssHeld, 1),
        rssPerWatchKb: round(perWatchKb, 1),
        sawEvent: saw,
        eventP50Ms: saw > 0 ? round(percentile(delays, 50), 1) : null,
        eventP99Ms: saw > 0 ? round(percentile(delays, 99), 1) : null,
        eventMaxMs: saw > 0 ? round(percentile(delays, 100), 1) : null,
      },
      targetsMet: { k8sWatchesAllSawEvent: allSaw },
    };
  } finally {
    for (const w of watches) w.req.destroy();
  }
}

/**
 * The proxy's figures against a real kube-apiserver (started here, with the Paddock server, and stopped before
 * returning). `durationSeconds`/`warmupSeconds` are per autocannon run (four of them).
 */
export async function measureK8sProxy(durationSeconds: number, warmupSeconds: number, log: (line: string) => void): Promise<K8sProxyResult> {
  const sectionStarted = performance.now();
  const dataDir = await makeTempDir('paddock-bench-k8s-');
  // Side by side; when one fails, the other is stopped before the error goes on. No kube-controller-manager:
  // nothing here needs it, and it would compete for the CPUs.
  const [envStart, serverStart] = await Promise.allSettled([startK8sTestEnv({ controllerManager: false }), startPaddock(dataDir, undefined)]);
  if (envStart.status === 'rejected' || serverStart.status === 'rejected') {
    if (envStart.status === 'fulfilled') await envStart.value.stop();
    if (serverStart.status === 'fulfilled') await stopChild(serverStart.value.child);
    throw envStart.status === 'rejected' ? envStart.reason : (serverStart as PromiseRejectedResult).reason;
  }
  const env = envStart.value;
  const server = serverStart.value;
  const agents: Agent[] = [];
  const agent = () => {
    const a = new Agent({ keepAlive: true, maxSockets: CREATE_CONCURRENCY });
    agents.push(a);
    return a;
  };
  try {
    const ca = await readCa(dataDir);
    const apiKey = await prepareData(server.url, ca, 0);
    const { clusterId, token } = await importCluster(server, ca, apiKey, env);
    const direct: Path = { name: 'direct', base: env.url, token: env.adminToken, ca: env.caPem, pid: env.pids.apiserver, agent: agent() };
    const paddock: Path = { name: 'paddock', base: `${server.url}/k8s/clusters/${clusterId}`, token, ca, pid: server.child.pid, agent: agent() };
    const accessMs = await waitForAccess(paddock);
    log(`kubernetes proxy (kube-apiserver ${env.version} with etcd, ready in ${(env.readyMs / 1000).toFixed(1)} s; imported by kubeconfig as ${clusterId}, ` +
      `cluster-admin through the RBAC sync ${ms(accessMs)} after the import; direct = the apiserver with its admin token):`);

    const namespaces = await measureNamespaces(direct, paddock, await impersonationOf(server, ca, apiKey), durationSeconds, warmupSeconds, log);
    const list = await measureList(direct, paddock, log);
    const watches = await measureWatches(direct, paddock, log);
    const seconds = (performance.now() - sectionStarted) / 1000;
    log(`  kubernetes proxy section: ${seconds.toFixed(1)} s`);
    return {
      json: { kubernetesVersion: env.version, namespaces: namespaces.json, list: list.json, watches: watches.json, seconds: round(seconds, 1) },
      targetsMet: { ...namespaces.targetsMet, ...list.targetsMet, ...watches.targetsMet },
    };
  } finally {
    for (const a of agents) a.destroy();
    await stopChild(server.child);
    await env.stop();
  }
}
