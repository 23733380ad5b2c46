// Replicas on etcd against one server on SQLite, all real `bin/paddock server` processes: creates per second and
// list throughput/latency on SQLite, on etcd with one replica and with three (the load spread over them); then how
// long the controllers take to move when the leader is SIGKILLed, and how long an agent whose replica is SIGKILLed
// takes to be held by another (a real `bin/paddock agent` behind a TCP relay standing for the load balancer, moved
// to a live replica when its own dies).
//
// Creates: `POST /v3/tokens` (an API key of the admin): one write, and its controller (expiry, orphans) has nothing
// to do for a key without expiry, so the figure is the API and the datastore, not controllers catching up.
// List: `GET /v3/clusters` with 100 clusters (as the main benchmark), each request with its own query string so
// no response cache answers it.
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { startEtcd, type EtcdProcess } from '../packages/server/src/testing/etcd-process.js';
import { httpsCall } from '../packages/server/src/testing/test-server.js';
import { until } from '../packages/server/src/testing/wait.js';
import { TcpRelay } from '../e2e/support/tcp-relay.js';
import { measureLoad, type LoadOptions, type LoadResult } from './latency.js';
import { createAgentCluster, listNodes, PADDOCK_BIN, prepareData, readCa, REPO_ROOT, startPaddock, waitUntilSettled, type PaddockProcess } from './paddock.js';
import { makeTempDir, readCpuSeconds, spawnChild, stopChild, type Child } from './processes.js';
import { median, ms, round, verdict } from './stats.js';

type Log = (line?: string) => void;

const CLUSTERS = 100;
const LIST_ROUTE = '/v3/clusters';
const CREATE_ROUTE = '/v3/tokens';
/** Concurrent clients in all, split evenly over the replicas under load. */
const CREATE_CLIENTS = 12;
const LIST_CONNECTIONS = 48;
/** Load runs are capped so the section stays under ~3 minutes on a small machine. */
const MAX_RUN_S = 5;
const MAX_WARMUP_S = 1;
const FAILOVER_ROUNDS = 3;
const AGENT_ROUNDS = 3;
/** How long any wait here (a leader, a token, an agent back) may take; `until` polls every 10 ms. */
const DEADLINE_MS = 30_000;
const ETCD_BIN = process.env.PADDOCK_TEST_ETCD ?? '/usr/bin/etcd';
/** The store's key prefix (`--etcd-prefix` default) and the kind of the replicas' presence records. */
const PRESENCE_PREFIX = '/paddock/replica/';

export const REPLICA_TARGETS = { listScale3: 2.5 };

const secs = (msValue: number) => `${(msValue / 1000).toFixed(2)} s`;

/** What a replica's log said, with when this process read it (performance.now()). */
interface LogEvents {
  elected: number[];
  lost: number[];
  connected: { at: number; nodeId: string }[];
}

interface Replica {
  name: string;
  dataDir: string;
  server: PaddockProcess;
  log: LogEvents;
}

/** Follows a replica's JSON log from its first byte: elections, losses, agents connected. */
function followLog(child: Child): LogEvents {
  const events: LogEvents = { elected: [], lost: [], connected: [] };
  let pending = '';
  child.process.stdout?.on('data', (chunk: Buffer) => {
    const at = performance.now();
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.includes('elected leader')) events.elected.push(at);
      else if (line.includes('lost leadership')) events.lost.push(at);
      else if (line.includes('"msg":"agent connected"')) events.connected.push({ at, nodeId: /"nodeId":"([^"]+)"/.exec(line)?.[1] ?? '' });
    }
  });
  return events;
}

/** Running and not sent a signal (a kill's exit is reported later than the next request would go to it). */
const alive = (r: Replica) => r.server.child.process.exitCode === null && r.server.child.process.signalCode === null && !r.server.child.process.killed;
const leads = (r: Replica) => alive(r) && r.log.elected.length > r.log.lost.length;
const portOf = (r: Replica) => Number(new URL(r.server.url).port);

async function startReplica(name: string, dataDir: string, etcd: EtcdProcess, ca: string | undefined): Promise<Replica> {
  let log: LogEvents | undefined;
  const server = await startPaddock(dataDir, ca, {
    extraArgs: ['--datastore', 'etcd', '--etcd-endpoints', etcd.endpoint, '--log-level', 'info'],
    onSpawn: (child) => (log = followLog(child)),
  });
  if (!log) throw new Error('no log followed');
  return { name, dataDir, server, log };
}

/** Several autocannon runs at once, one per server; summed throughput, worst latency. */
interface SpreadResult {
  servers: number;
  connections: number;
  rps: number;
  requests: number;
  /** The worst replica's percentiles (one replica: its own). */
  p50: number;
  p99: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  non2xxStatuses: Record<string, number>;
  /** CPU during the measured run, in cores: the Paddock processes together, etcd, and this process (autocannon). */
  serverCores: number;
  etcdCores: number | undefined;
  loaderCores: number;
}

async function spreadLoad(
  servers: PaddockProcess[],
  totalConnections: number,
  request: Pick<LoadOptions, 'method' | 'body' | 'headers' | 'uniquePaths'> & { route: string; ca: string },
  seconds: number,
  warmup: number,
  etcd: EtcdProcess | undefined,
): Promise<SpreadResult> {
  const connections = Math.max(1, Math.round(totalConnections / servers.length));
  const options = (s: PaddockProcess, durationSeconds: number): LoadOptions => ({
    url: s.url + request.route,
    connections,
    durationSeconds,
    headers: request.headers,
    ca: request.ca,
    serverPid: s.child.pid,
    method: request.method,
    body: request.body,
    uniquePaths: request.uniquePaths,
  });
  if (warmup > 0) await Promise.all(servers.map((s) => measureLoad(options(s, warmup), 0)));
  const etcdPid = etcd?.pid;
  const etcdBefore = etcdPid === undefined ? 0 : await readCpuSeconds(etcdPid);
  const loaderBefore = process.cpuUsage();
  const startedAt = performance.now();
  const results: LoadResult[] = await Promise.all(servers.map((s) => measureLoad(options(s, seconds), 0)));
  const elapsed = (performance.now() - startedAt) / 1000;
  const loader = process.cpuUsage(loaderBefore);
  const etcdCores = etcdPid === undefined ? undefined : ((await readCpuSeconds(etcdPid)) - etcdBefore) / elapsed;
  return {
    servers: servers.length,
    connections: connections * servers.length,
    rps: results.reduce((sum, r) => sum + r.rps, 0),
    requests: results.reduce((sum, r) => sum + r.requests, 0),
    p50: Math.max(...results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    timeouts: results.reduce((sum, r) => sum + r.timeouts, 0),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    non2xxStatuses: results.reduce<Record<string, number>>((sum, r) => {
      for (const [status, count] of Object.entries(r.non2xxStatuses)) sum[status] = (sum[status] ?? 0) + count;
      return sum;
    }, {}),
    serverCores: results.reduce((sum, r) => sum + r.serverCpuCores, 0),
    etcdCores,
    loaderCores: (loader.user + loader.system) / 1e6 / elapsed,
  };
}

function spreadLine(r: SpreadResult, what: string): string {
  const where = r.servers === 1 ? `${r.connections} ${what}` : `${r.servers} x ${r.connections / r.servers} ${what}, in parallel`;
  const worst = r.servers === 1 ? '' : ' (worst replica)';
  const cpu = `CPU: paddock ${r.serverCores.toFixed(2)}${r.etcdCores === undefined ? '' : `, etcd ${r.etcdCores.toFixed(2)}`}, load generator ${r.loaderCores.toFixed(2)} cores`;
  const statuses = Object.entries(r.non2xxStatuses).map(([status, count]) => `${status} x${count}`).join(', ');
  const warn = r.errors + r.timeouts + r.non2xx ? `  !! errors=${r.errors} timeouts=${r.timeouts} non2xx=${r.non2xx}${statuses ? ` (${statuses})` : ''}` : '';
  return `${r.rps.toFixed(0)}/s (${r.requests}; ${where}), p50 ${ms(r.p50)}, p99 ${ms(r.p99)}${worst}; ${cpu}${warn}`;
}

const spreadJson = (r: SpreadResult) => ({
  servers: r.servers,
  connections: r.connections,
  perSecond: round(r.rps, 0),
  requests: r.requests,
  p50Ms: round(r.p50),
  p99Ms: round(r.p99),
  errors: r.errors + r.timeouts + r.non2xx,
  non2xxStatuses: r.non2xxStatuses,
  cpuCores: { paddock: round(r.serverCores), etcd: r.etcdCores === undefined ? null : round(r.etcdCores), loadGenerator: round(r.loaderCores) },
});

/** Does a presence record written after `sinceWallMs` list `nodeId`? (what the leader's node liveness reads). */
async function presenceLists(etcd: EtcdProcess, nodeId: string, sinceWallMs: number): Promise<boolean> {
  const key = Buffer.from(PRESENCE_PREFIX);
  const end = Buffer.from(key);
  end[end.length - 1] = (end[end.length - 1] ?? 0) + 1;
  const res = await fetch(`${etcd.endpoint}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: key.toString('base64'), range_end: end.toString('base64') }),
    signal: AbortSignal.timeout(1_000),
  });
  const body = (await res.json()) as { kvs?: { value: string }[] };
  return (body.kvs ?? []).some((kv) => {
    const record = JSON.parse(Buffer.from(kv.value, 'base64').toString('utf8')) as { data?: { sessions?: string[]; heartbeatAt?: number } };
    return (record.data?.heartbeatAt ?? 0) > sinceWallMs && (record.data?.sessions ?? []).includes(nodeId);
  });
}

/** Three replicas on one etcd, and how to put a killed one back (same name and data dir, a new port). */
interface Pool {
  replicas: Replica[];
  etcd: EtcdProcess;
  ca: string;
  apiKey: string;
  replace(dead: Replica): Promise<void>;
}

const roundsJson = (name: string, samples: number[]) => ({ [name]: samples.map((v) => round(v, 0)), [`${name}Median`]: round(median(samples), 0) });

/** SIGKILL the leader: until another replica logs 'elected leader', and until a cluster created meanwhile gets its registration token. */
async function controllerFailover(pool: Pool, log: Log): Promise<Record<string, unknown>> {
  const { replicas, ca, apiKey } = pool;
  const elections: number[] = [];
  const acted: number[] = [];
  for (let round = 0; round < FAILOVER_ROUNDS; round++) {
    const leader = await until('single leader', () => {
      const current = replicas.filter(leads);
      return current.length === 1 && current[0];
    }, DEADLINE_MS);
    const others = replicas.filter((r) => r !== leader && alive(r));
    const before = new Map(others.map((r) => [r, r.log.elected.length]));
    const via = others[0];
    if (!via) throw new Error('no replica besides the leader');
    leader.server.child.process.kill('SIGKILL');
    const killedAt = performance.now();
    const created = await httpsCall(`${via.server.url}/v3/clusters`, ca, 'POST', { token: apiKey, body: { name: `bench-failover-${round}`, rancherKubernetesEngineConfig: {} } });
    if (created.status !== 201) throw new Error(`create a cluster during failover: ${created.status} ${created.text.slice(0, 300)}`);
    const clusterId = String(created.json.id);
    // The cluster controller (on the leader only) gives every cluster its registration token.
    const tokenAt = await until('registration token from the new leader', async () => {
      const res = await httpsCall(`${via.server.url}/v3/clusterregistrationtokens?clusterId=${encodeURIComponent(clusterId)}`, ca, 'GET', { token: apiKey });
      return res.status === 200 && (res.json?.data?.length ?? 0) > 0 && performance.now();
    }, DEADLINE_MS);
    const winner = others.find((r) => r.log.elected.length > (before.get(r) ?? 0));
    const electedAt = winner?.log.elected.at(-1);
    if (!winner || electedAt === undefined) throw new Error('a registration token appeared, but no other replica logged "elected leader"');
    elections.push(electedAt - killedAt);
    acted.push(tokenAt - killedAt);
    log(`  controller failover ${round + 1}/${FAILOVER_ROUNDS}: leader ${leader.name} SIGKILLed -> ${winner.name} elected after ${secs(electedAt - killedAt)}, ` +
      `a cluster created meanwhile had its registration token after ${secs(tokenAt - killedAt)}`);
    await pool.replace(leader);
  }
  log(`  controller failover, median of ${FAILOVER_ROUNDS}: elected ${secs(median(elections))}, controllers acting ${secs(median(acted))} (lease TTL 3 s)`);
  return { ...roundsJson('elected', elections), ...roundsJson('acting', acted) };
}

/**
 * A real agent behind a relay (the load balancer); the replica holding its tunnel SIGKILLed and the relay moved to a
 * live one: until that replica logs the agent connected, and until the node is active and listed in a presence record
 * written since the kill (the leader then counts it from a live replica, not from the dead one's record that has
 * not yet gone stale). Round 1 kills a follower, round 2 the leader (the controllers move too), round 3 a follower.
 */
async function agentFailover(pool: Pool, log: Log): Promise<Record<string, unknown>> {
  const { replicas, etcd, ca, apiKey } = pool;
  const wantLeader = (round: number) => round === 1;
  const pick = (exclude: Replica | undefined, leader: boolean) =>
    replicas.find((r) => r !== exclude && alive(r) && leads(r) === leader) ?? replicas.find((r) => r !== exclude && alive(r));
  const firstHolder = pick(undefined, wantLeader(0));
  if (!firstHolder) throw new Error('no live replica');
  const cluster = await createAgentCluster(firstHolder.server.url, ca, apiKey, 'bench-agent-failover');
  const relay = await TcpRelay.start({ host: '127.0.0.1', port: portOf(firstHolder) });
  let agent: Child | undefined;
  try {
    agent = spawnChild(process.execPath, [
      PADDOCK_BIN, 'agent', '--server', `https://127.0.0.1:${relay.port}`, '--token', cluster.token, '--ca-checksum', cluster.caChecksum,
      '--node-name', 'bench-failover-node', '--address', '127.0.0.1', '--all-roles',
    ], { cwd: REPO_ROOT });
    const agentChild = agent;
    const nodeId = await until('the agent connected', () => {
      if (agentChild.process.exitCode !== null) throw new Error(`the agent exited:\n${agentChild.outputTail()}`);
      return firstHolder.log.connected.at(-1)?.nodeId;
    }, DEADLINE_MS);
    const nodeState = async (via: Replica) => (await listNodes(via.server.url, ca, apiKey, cluster.clusterId)).find((n) => n.id === nodeId)?.state;
    await until('the node active', async () => (await nodeState(firstHolder)) === 'active', DEADLINE_MS);
    const reconnects: number[] = [];
    const handovers: number[] = [];
    let holder = firstHolder;
    for (let round = 0; round < AGENT_ROUNDS; round++) {
      const dying = holder;
      const next = pick(dying, round + 1 < AGENT_ROUNDS && wantLeader(round + 1));
      if (!next) throw new Error('no other live replica');
      const wasLeader = leads(dying);
      const connectedBefore = next.log.connected.length;
      relay.retarget({ host: '127.0.0.1', port: portOf(next) });
      dying.server.child.process.kill('SIGKILL');
      const killedAt = performance.now();
      const killedWall = Date.now();
      const reconnectedAt = await until('the agent connected to another replica', () => next.log.connected.length > connectedBefore && next.log.connected.at(-1)?.at, DEADLINE_MS);
      const states = new Set<string>();
      let listedAt: number | undefined;
      let activeAt: number | undefined;
      await until('the node held by a live replica and active', async () => {
        const [state, listed] = await Promise.all([nodeState(next), presenceLists(etcd, nodeId, killedWall)]);
        const now = performance.now();
        states.add(state ?? 'missing');
        if (listed) listedAt ??= now;
        if (state === 'active') activeAt ??= now;
        else activeAt = undefined;
        return listedAt !== undefined && activeAt !== undefined;
      }, DEADLINE_MS);
      const backAt = Math.max(listedAt ?? 0, activeAt ?? 0);
      reconnects.push(reconnectedAt - killedAt);
      handovers.push(backAt - killedAt);
      log(`  agent failover ${round + 1}/${AGENT_ROUNDS}: ${dying.name} (${wasLeader ? 'the leader' : 'a follower'}) holding the tunnel SIGKILLed -> ` +
        `the agent connected to ${next.name} after ${secs(reconnectedAt - killedAt)}, node active and listed in ${next.name}'s presence after ${secs(backAt - killedAt)} ` +
        `(node states seen meanwhile: ${[...states].join('/')})`);
      holder = next;
      if (round + 1 < AGENT_ROUNDS) await pool.replace(dying);
    }
    log(`  agent failover, median of ${AGENT_ROUNDS}: reconnected ${secs(median(reconnects))}, held by a live replica and active ${secs(median(handovers))} (agent backoff starts at 0.25-0.5 s)`);
    return { ...roundsJson('reconnected', reconnects), ...roundsJson('back', handovers) };
  } finally {
    if (agent) await stopChild(agent, 2_000);
    await relay.cut();
  }
}

export interface ReplicasResult {
  json: Record<string, unknown>;
  targetsMet: { replicasListScale3: boolean };
}

export async function measureReplicas(durationS: number, warmupS: number, log: Log): Promise<ReplicasResult | undefined> {
  if (!existsSync(ETCD_BIN)) {
    log(`replicas: skipped (no etcd at ${ETCD_BIN}; set PADDOCK_TEST_ETCD)`);
    return undefined;
  }
  const seconds = Math.min(durationS, MAX_RUN_S);
  const warmup = Math.min(warmupS, MAX_WARMUP_S);
  const cores = availableParallelism();
  log(`replicas (${cores} CPUs shared by etcd, every Paddock process and the load generator, load average ${loadavg()[0]?.toFixed(1)} at the start; ` +
    `${seconds} s per load run after ${warmup} s warm-up):`);
  const root = await makeTempDir('paddock-bench-replicas-');

  const creates = (ca: string, apiKey: string) => ({
    route: CREATE_ROUTE,
    ca,
    method: 'POST' as const,
    body: JSON.stringify({ description: 'bench-create' }),
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
  });
  const lists = (ca: string, apiKey: string) => ({ route: LIST_ROUTE, ca, uniquePaths: true, headers: { authorization: `Bearer ${apiKey}` } });
  const createLine = (label: string, r: SpreadResult) => log(`  ${label} creates (POST ${CREATE_ROUTE}): ${spreadLine(r, 'clients')}`);
  const listLine = (label: string, r: SpreadResult) => log(`  ${label} list (GET ${LIST_ROUTE}, ${CLUSTERS} clusters): ${spreadLine(r, 'connections')}`);

  // 1. SQLite, one server.
  const sqliteDir = join(root, 'sqlite');
  const sqlite = await startPaddock(sqliteDir, undefined);
  let sqliteCreates: SpreadResult;
  let sqliteList: SpreadResult;
  try {
    const ca = await readCa(sqliteDir);
    const apiKey = await prepareData(sqlite.url, ca, CLUSTERS);
    if (!(await waitUntilSettled(sqlite.url, ca, LIST_ROUTE, apiKey))) log('  !! SQLite: the cluster list was still changing 10 s after creating the clusters');
    sqliteCreates = await spreadLoad([sqlite], CREATE_CLIENTS, creates(ca, apiKey), seconds, warmup, undefined);
    createLine('SQLite, 1 server:    ', sqliteCreates);
    sqliteList = await spreadLoad([sqlite], LIST_CONNECTIONS, lists(ca, apiKey), seconds, warmup, undefined);
    listLine('SQLite, 1 server:    ', sqliteList);
  } finally {
    await stopChild(sqlite.child, 2_000);
  }

  // 2. etcd: one replica, then three on the same etcd and data.
  const etcd = await startEtcd();
  const replicas: Replica[] = [];
  try {
    const first = await startReplica('a', join(root, 'a'), etcd, undefined);
    replicas.push(first);
    const ca = await readCa(first.dataDir);
    const apiKey = await prepareData(first.server.url, ca, CLUSTERS);
    if (!(await waitUntilSettled(first.server.url, ca, LIST_ROUTE, apiKey))) log('  !! etcd: the cluster list was still changing 10 s after creating the clusters');
    await until('leader', () => leads(first), DEADLINE_MS);
    const etcdCreates1 = await spreadLoad([first.server], CREATE_CLIENTS, creates(ca, apiKey), seconds, warmup, etcd);
    createLine('etcd, 1 replica:     ', etcdCreates1);
    const etcdList1 = await spreadLoad([first.server], LIST_CONNECTIONS, lists(ca, apiKey), seconds, warmup, etcd);
    listLine('etcd, 1 replica:     ', etcdList1);

    replicas.push(...(await Promise.all(['b', 'c'].map((name) => startReplica(name, join(root, name), etcd, ca)))));
    const all = replicas.map((r) => r.server);
    const etcdCreates3 = await spreadLoad(all, CREATE_CLIENTS, creates(ca, apiKey), seconds, warmup, etcd);
    createLine('etcd, 3 replicas:    ', etcdCreates3);
    const etcdList3 = await spreadLoad(all, LIST_CONNECTIONS, lists(ca, apiKey), seconds, warmup, etcd);
    listLine('etcd, 3 replicas:    ', etcdList3);
    const listScale = etcdList3.rps / etcdList1.rps;
    const createScale = etcdCreates3.rps / etcdCreates1.rps;
    // What each replica gets done per CPU it is given: what the scaling would be with a core per replica.
    const perCore = (r: SpreadResult) => r.rps / Math.max(0.01, r.serverCores);
    const listPerCore1 = perCore(etcdList1);
    const listPerCore3 = perCore(etcdList3);
    log(`  list throughput per Paddock CPU: 1 replica ${listPerCore1.toFixed(0)} req/s per core, 3 replicas ${listPerCore3.toFixed(0)} req/s per core (${(listPerCore3 / listPerCore1).toFixed(2)}x)`);
    log(
      `  3 replicas / 1 replica: list ${listScale.toFixed(2)}x, creates ${createScale.toFixed(2)}x  ` +
        `target list >= ${REPLICA_TARGETS.listScale3}x: ${verdict(listScale >= REPLICA_TARGETS.listScale3)}` +
        (cores < 4 ? ` (only ${cores} CPUs here for etcd, 3 replicas and the load generator: scaling cannot show on this machine)` : ''),
    );

    // 3 + 4. Failover, with a replica started again on its data dir after each kill (three again for the next round).
    const pool: Pool = {
      replicas,
      etcd,
      ca,
      apiKey,
      replace: async (dead) => {
        await dead.server.child.exited;
        replicas[replicas.indexOf(dead)] = await startReplica(dead.name, dead.dataDir, etcd, ca);
      },
    };
    const controllers = await controllerFailover(pool, log);
    const agents = await agentFailover(pool, log);

    return {
      json: {
        cpus: cores,
        createRoute: `POST ${CREATE_ROUTE}`,
        listRoute: `GET ${LIST_ROUTE}`,
        clusters: CLUSTERS,
        sqlite: { creates: spreadJson(sqliteCreates), list: spreadJson(sqliteList) },
        etcd1: { creates: spreadJson(etcdCreates1), list: spreadJson(etcdList1) },
        etcd3: { creates: spreadJson(etcdCreates3), list: spreadJson(etcdList3) },
        listScale3: round(listScale),
        listPerCore: { replicas1: round(listPerCore1), replicas3: round(listPerCore3) },
        createScale3: round(createScale),
        controllerFailoverMs: controllers,
        agentFailoverMs: agents,
      },
      targetsMet: { replicasListScale3: listScale >= REPLICA_TARGETS.listScale3 },
    };
  } finally {
    await Promise.allSettled(replicas.map((r) => stopChild(r.server.child, 2_000)));
    await etcd.remove();
  }
}
