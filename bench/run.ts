// `npm run bench`: start-up time, idle memory and `GET /v3/clusters` throughput/latency of the real server,
// compared with a bare fastify server replaying the same bytes; then the agent figures: tunnels one server
// process holds and its RSS, registrations per second, recovery after a restart (agents.ts), one agent's
// idle RSS and one tunnelled stream's throughput against direct loopback TCP (tunnel-throughput.ts).
// Human-readable lines, then one JSON line.
//
// Every server runs in its own process; autocannon runs in this one. Knobs (env): BENCH_DURATION (seconds per
// measured load run, default 10), BENCH_WARMUP (seconds, default 2), BENCH_AGENTS (simulated agents, default
// 5000; 0 skips the tunnel-count, registration and restart figures), BENCH_TUNNEL_MIB (MiB per throughput
// run, default 256), BENCH_AUTHZ (1 measures access control at scale (authz.ts), 0 skips it), BENCH_K8S (1 measures
// the Kubernetes proxy against a real kube-apiserver (k8s-proxy.ts), 0 skips it), BENCH_REPLICAS (1 measures
// replicas on etcd against SQLite: creates, list scaling, controller and agent failover (replicas.ts); 0 skips it).
// BENCH_K8S and BENCH_REPLICAS also take `only`: that section (or both) and nothing else, e.g.
// `BENCH_REPLICAS=only node --import tsx bench/run.ts`.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { startBareFastify } from './bare-fastify.js';
import { measureLoad, type LoadResult } from './latency.js';
import { captureResponse, prepareData, readCa, startPaddock, waitUntilSettled } from './paddock.js';
import { cleanupAll, installCleanupHandlers, makeTempDir, readRssMb, sleep, stopChild } from './processes.js';
import { measureAgentSwarm, type AgentSwarmResult } from './agents.js';
import { measureAuthz, type AuthzResult } from './authz.js';
import { measureK8sProxy, type K8sProxyResult } from './k8s-proxy.js';
import { measureReplicas, type ReplicasResult } from './replicas.js';
import { measureUi } from './ui.js';
import { measureStarts } from './startup.js';
import { measureTunnelAndAgent } from './tunnel-throughput.js';
import { median, ms, round, verdict } from './stats.js';

const STARTS = 5;
const CLUSTERS = 100;
const IDLE_WAIT_MS = 2_000;
function secondsFromEnv(name: string, fallback: number, min: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < min || value > 60) throw new Error(`${name} must be a whole number of seconds from ${min} to 60`);
  return value;
}
const DURATION_S = secondsFromEnv('BENCH_DURATION', 10, 1);
const WARMUP_S = secondsFromEnv('BENCH_WARMUP', 2, 0);
function countFromEnv(name: string, fallback: number, max: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new Error(`${name} must be a whole number from 0 to ${max}`);
  return value;
}
const AGENTS = countFromEnv('BENCH_AGENTS', 5000, 10_000);
const SWARM_PROCESSES = 4;
const TUNNEL_MIB = Math.max(1, countFromEnv('BENCH_TUNNEL_MIB', 256, 4096));
const AUTHZ = countFromEnv('BENCH_AUTHZ', 1, 1) === 1;
function sectionFromEnv(name: string): 'on' | 'off' | 'only' {
  const value = process.env[name] ?? '1';
  if (value === 'only') return 'only';
  if (value === '0' || value === '1') return value === '1' ? 'on' : 'off';
  throw new Error(`${name} must be 0, 1 or only`);
}
const K8S = sectionFromEnv('BENCH_K8S');
const REPLICAS = sectionFromEnv('BENCH_REPLICAS');
const ROUTE = '/v3/clusters';

const TARGETS = { startMs: 1000, idleRssMb: 150, p95At1Ms: 15, rpsRatio: 0.5 };

const log = (line = '') => process.stdout.write(`${line}\n`);

function loadLine(label: string, r: LoadResult): string {
  const problems = r.errors + r.timeouts + r.non2xx;
  const warn = problems ? `  !! errors=${r.errors} timeouts=${r.timeouts} non2xx=${r.non2xx}` : '';
  return (
    `${label}: ${r.rps.toFixed(0)} req/s (${r.requests} in ${r.durationSeconds.toFixed(1)} s), ` +
    `p50 ${ms(r.p50)}, p95 ${ms(r.p95)}, p99 ${ms(r.p99)}, max ${ms(r.max)}; ` +
    `server CPU ${(r.serverCpuCores * 100).toFixed(0)}% of a core, ${r.serverCpuMsPerRequest.toFixed(3)} ms/request${warn}`
  );
}

const loadJson = (r: LoadResult) => ({
  connections: r.connections,
  rps: round(r.rps, 0),
  requests: r.requests,
  p50Ms: round(r.p50),
  p95Ms: round(r.p95),
  p99Ms: round(r.p99),
  maxMs: round(r.max),
  serverCpuCores: round(r.serverCpuCores),
  serverCpuMsPerRequest: round(r.serverCpuMsPerRequest, 3),
  errors: r.errors + r.timeouts + r.non2xx,
});

async function main(): Promise<void> {
  const benchStarted = performance.now();
  const dataDir = await makeTempDir('paddock-bench-');
  log(`Paddock benchmark (node ${process.version}, ${availableParallelism()} CPUs shared by server and load generator, ` +
    `${DURATION_S} s per load run after ${WARMUP_S} s warm-up)`);

  // Setup: a first start creates the data dir (CA, admin, settings); then the data the benchmark reads.
  const first = await startPaddock(dataDir, undefined);
  const ca = await readCa(dataDir);
  const apiKey = await prepareData(first.url, ca, CLUSTERS);
  const settled = await waitUntilSettled(first.url, ca, ROUTE, apiKey);
  if (!settled) log('!! the cluster list was still changing 10 s after creating the clusters');
  log(`setup: first start ${ms(first.readyMs)} (fresh data dir), admin password changed, API key and ${CLUSTERS} clusters created`);
  await stopChild(first.child);

  // 1. Start-to-ready with the existing data dir.
  const { samplesMs, running: paddock } = await measureStarts(dataDir, ca, STARTS);
  const startMedian = median(samplesMs);
  const startMax = Math.max(...samplesMs);
  const startSamples = samplesMs.map((s) => s.toFixed(0)).join(', ');
  const startVerdict = `median ${verdict(startMedian <= TARGETS.startMs)}, max ${verdict(startMax <= TARGETS.startMs)}`;
  log(`start-to-ready (existing data dir, ${STARTS} starts): median ${ms(startMedian)}, max ${ms(startMax)} [${startSamples}]  ` +
    `target <= ${TARGETS.startMs} ms: ${startVerdict}`);

  // 2. Idle RSS of the last started server.
  await sleep(IDLE_WAIT_MS);
  const idleRss = await readRssMb(paddock.child.pid);
  log(`idle RSS ${IDLE_WAIT_MS / 1000} s after ready: ${idleRss.toFixed(1)} MB  target <= ${TARGETS.idleRssMb} MB: ${verdict(idleRss <= TARGETS.idleRssMb)}`);

  // 3. Authenticated GET /v3/clusters against the real server.
  const captured = await captureResponse(paddock.url, ca, ROUTE, apiKey);
  log(`GET ${ROUTE}: ${captured.body.length} bytes, content-type ${captured.contentType}`);
  const headers = { authorization: `Bearer ${apiKey}` };
  const load = (server: { url: string; child: { pid: number } }, connections: number) =>
    measureLoad({ url: server.url + ROUTE, connections, durationSeconds: DURATION_S, headers, ca, serverPid: server.child.pid }, WARMUP_S);
  const paddock1 = await load(paddock, 1);
  log(loadLine('paddock, 1 connection  ', paddock1) + `  target p95 <= ${TARGETS.p95At1Ms} ms: ${verdict(paddock1.p95 <= TARGETS.p95At1Ms)}`);
  const paddock64 = await load(paddock, 64);
  log(loadLine('paddock, 64 connections', paddock64));
  const loadedRss = await readRssMb(paddock.child.pid);
  log(`RSS after load: ${loadedRss.toFixed(1)} MB`);
  await stopChild(paddock.child);

  // 4. The same bytes from a bare fastify server with the same certificate.
  const bare = await startBareFastify({ tlsDir: join(dataDir, 'tls'), workDir: dataDir, route: ROUTE, ...captured });
  const replayed = await captureResponse(bare.url, ca, ROUTE, apiKey);
  if (!replayed.body.equals(captured.body) || replayed.contentType !== captured.contentType) {
    throw new Error('the bare server does not answer the same bytes and content-type as Paddock');
  }
  const bare1 = await load(bare, 1);
  log(loadLine('bare fastify, 1 connection  ', bare1));
  const bare64 = await load(bare, 64);
  log(loadLine('bare fastify, 64 connections', bare64));
  await stopChild(bare.child);

  const ratio = paddock64.rps / bare64.rps;
  log(`paddock/bare req/s at 64 connections: ${ratio.toFixed(2)}  target >= ${TARGETS.rpsRatio}: ${verdict(ratio >= TARGETS.rpsRatio)}`);

  // 5. Agents: tunnels held, registrations per second and restart recovery; then one agent's RSS and throughput.
  let swarm: AgentSwarmResult | undefined;
  if (AGENTS > 0) swarm = await measureAgentSwarm(AGENTS, SWARM_PROCESSES, log);
  else log('agent tunnels, registrations and restart recovery: skipped (BENCH_AGENTS=0)');
  const tunnel = await measureTunnelAndAgent(TUNNEL_MIB, log);

  // 6. Access control at scale.
  let authz: AuthzResult | undefined;
  if (AUTHZ) authz = await measureAuthz(DURATION_S, WARMUP_S, log);
  else log('access control at scale: skipped (BENCH_AUTHZ=0)');

  // 7. The web UI: first paint of the cluster list at 1,000 clusters, JS shipped.
  const ui = await measureUi(log);

  // 8. The Kubernetes proxy against a real kube-apiserver.
  let k8s: K8sProxyResult | undefined;
  if (K8S === 'on') k8s = await measureK8sProxy(DURATION_S, WARMUP_S, log);
  else log('kubernetes proxy: skipped (BENCH_K8S=0)');

  // 9. Replicas on etcd: creates and list against SQLite, controller and agent failover.
  let replicas: ReplicasResult | undefined;
  if (REPLICAS === 'on') replicas = await measureReplicas(DURATION_S, WARMUP_S, log);
  else log('replicas on etcd: skipped (BENCH_REPLICAS=0)');
  const totalSeconds = (performance.now() - benchStarted) / 1000;
  log(`bench time: ${totalSeconds.toFixed(1)} s`);

  log(
    JSON.stringify({
      startToReadyMs: { median: round(startMedian, 1), max: round(startMax, 1), samples: samplesMs.map((s) => round(s, 1)) },
      idleRssMb: round(idleRss, 1),
      loadedRssMb: round(loadedRss, 1),
      responseBytes: captured.body.length,
      paddock: { c1: loadJson(paddock1), c64: loadJson(paddock64) },
      bare: { c1: loadJson(bare1), c64: loadJson(bare64) },
      rpsRatio64: round(ratio, 3),
      agents: swarm?.json ?? null,
      tunnel: tunnel.json,
      authz: authz?.json ?? null,
      ui: ui.json,
      k8sProxy: k8s?.json ?? null,
      replicas: replicas?.json ?? null,
      targetsMet: {
        startMedian: startMedian <= TARGETS.startMs,
        startMax: startMax <= TARGETS.startMs,
        idleRss: idleRss <= TARGETS.idleRssMb,
        p95At1: paddock1.p95 <= TARGETS.p95At1Ms,
        rpsRatio: ratio >= TARGETS.rpsRatio,
        ...(swarm?.targetsMet ?? {}),
        ...tunnel.targetsMet,
        ...(authz?.targetsMet ?? {}),
        ...ui.targetsMet,
        ...(k8s?.targetsMet ?? {}),
        ...(replicas?.targetsMet ?? {}),
      },
      benchSeconds: round(totalSeconds, 1),
    }),
  );
}

/** `BENCH_K8S=only` and/or `BENCH_REPLICAS=only`: those sections alone, then a JSON line with their keys of the full run's. */
async function sectionsOnly(): Promise<void> {
  const started = performance.now();
  const k8s = K8S === 'only' ? await measureK8sProxy(DURATION_S, WARMUP_S, log) : undefined;
  const replicas = REPLICAS === 'only' ? await measureReplicas(DURATION_S, WARMUP_S, log) : undefined;
  const totalSeconds = (performance.now() - started) / 1000;
  log(`bench time: ${totalSeconds.toFixed(1)} s`);
  log(
    JSON.stringify({
      ...(K8S === 'only' ? { k8sProxy: k8s?.json ?? null } : {}),
      ...(REPLICAS === 'only' ? { replicas: replicas?.json ?? null } : {}),
      targetsMet: { ...(k8s?.targetsMet ?? {}), ...(replicas?.targetsMet ?? {}) },
      benchSeconds: round(totalSeconds, 1),
    }),
  );
}

installCleanupHandlers();
try {
  await (K8S === 'only' || REPLICAS === 'only' ? sectionsOnly() : main());
} catch (err) {
  process.exitCode = 1;
  console.error('benchmark failed:', err);
} finally {
  await cleanupAll();
}
