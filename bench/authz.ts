// Access control at scale (issue 5): 200 clusters, 2,000 projects, 5,000 users and 20,000 bindings written
// straight into a data dir's store; then authorization decisions per second (the real Authorizer over real
// informers, in this process), the latency of an authorized `GET /v3/clusters` for a user who sees 10
// clusters (the real server, 1 connection) and that server's RSS.
import { join } from 'node:path';
import { pino } from 'pino';
import { Authorizer, type Scope } from '../packages/server/src/auth/authorizer.js';
import { hashPassword } from '../packages/server/src/auth/passwords.js';
import { Informer } from '../packages/server/src/informer/informer.js';
import { SqliteStore } from '../packages/server/src/store/sqlite/sqlite-store.js';
import type { ResourceStore } from '../packages/server/src/store/types.js';
import { httpsCall } from '../packages/server/src/testing/test-server.js';
import { measureLoad, type LoadResult } from './latency.js';
import { readCa, startPaddock } from './paddock.js';
import { makeTempDir, readRssMb, stopChild } from './processes.js';
import { ms, round, verdict } from './stats.js';

export const AUTHZ_SCALE = { clusters: 200, projectsPerCluster: 10, users: 5000, bindings: 20_000, visibleClusters: 10 };
const TARGETS = { decisionsPerSecond: 100_000, listP99Ms: 20, rssMb: 400 };
const DECISION_SECONDS = 2;
const BENCH_USER = 'bench-viewer';
const BENCH_PASSWORD = 'bench-viewer-password';

/** A small deterministic PRNG (mulberry32): the same data every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const clusterId = (c: number) => `c-b${pad(c, 4)}`;
const projectId = (c: number, p: number) => `${clusterId(c)}:p-b${pad(p, 4)}`;
const userId = (u: number) => `u-b${pad(u, 5)}`;

const CLUSTER_ROLES = ['cluster-member', 'nodes-view', 'projects-view', 'cluster-owner'];
const PROJECT_ROLES = ['project-member', 'read-only', 'project-owner'];

/** Writes the scale data; user 0 is the benchmark's viewer, a member of exactly `visibleClusters` clusters. */
async function seed(store: ResourceStore): Promise<void> {
  const random = prng(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const { clusters, projectsPerCluster, users, bindings, visibleClusters } = AUTHZ_SCALE;
  const writes: Promise<unknown>[] = [];
  for (let c = 0; c < clusters; c++) {
    writes.push(store.create('cluster', clusterId(c), { name: `bench-${c}`, driver: 'imported', internal: false, rbacInitialized: true, conditions: [] }));
    for (let p = 0; p < projectsPerCluster; p++) {
      writes.push(store.create('project', projectId(c, p), { name: `project-${p}`, clusterId: clusterId(c), rbacInitialized: true }));
    }
  }
  const viewerHash = await hashPassword(BENCH_PASSWORD);
  for (let u = 0; u < users; u++) {
    const username = u === 0 ? BENCH_USER : `user-${u}`;
    writes.push(store.create('user', userId(u), { username, enabled: true, principalIds: [`local://${userId(u)}`], defaultRolesBound: true, ...(u === 0 ? { passwordHash: viewerHash } : {}) }));
    writes.push(store.create('globalRoleBinding', `grb-b${pad(u, 5)}`, { globalRoleId: 'user', userId: userId(u) }));
  }
  for (let c = 0; c < visibleClusters; c++) {
    writes.push(store.create('clusterRoleTemplateBinding', `${clusterId(c * 7)}:crtb-viewer`, { clusterId: clusterId(c * 7), roleTemplateId: 'cluster-member', userId: userId(0) }));
  }
  // The rest of the 20,000 bindings: half cluster, half project, among the other users.
  const remaining = bindings - users - visibleClusters;
  for (let b = 0; b < remaining; b++) {
    const u = 1 + Math.floor(random() * (users - 1));
    const c = Math.floor(random() * clusters);
    if (b % 2 === 0) {
      writes.push(store.create('clusterRoleTemplateBinding', `${clusterId(c)}:crtb-b${pad(b, 5)}`, { clusterId: clusterId(c), roleTemplateId: pick(CLUSTER_ROLES), userId: userId(u) }));
    } else {
      const p = Math.floor(random() * projectsPerCluster);
      writes.push(store.create('projectRoleTemplateBinding', `p-b${pad(p, 4)}:prtb-b${pad(b, 5)}`, { projectId: projectId(c, p), roleTemplateId: pick(PROJECT_ROLES), userId: userId(u) }));
    }
  }
  await Promise.all(writes);
}

/** Random decisions against the real Authorizer for `seconds`: decisions per second. */
async function measureDecisions(store: ResourceStore, seconds: number): Promise<{ perSecond: number; allowedShare: number }> {
  const stop = new AbortController();
  const logger = pino({ level: 'silent' });
  const informer = <T>(kind: string) => new Informer<T>({ store, kind, logger });
  const rbac = {
    globalRoles: informer<{ rules?: unknown[] }>('globalRole'),
    globalRoleBindings: informer<{ globalRoleId: string }>('globalRoleBinding'),
    roleTemplates: informer<{ rules?: unknown[] }>('roleTemplate'),
    clusterRoleTemplateBindings: informer<{ roleTemplateId: string }>('clusterRoleTemplateBinding'),
    projectRoleTemplateBindings: informer<{ roleTemplateId: string }>('projectRoleTemplateBinding'),
  };
  const informers = Object.values(rbac) as Informer<unknown>[];
  const running = informers.map((i) => i.run(stop.signal));
  await Promise.all(informers.map((i) => i.synced()));
  const authorizer = new Authorizer(rbac);
  const random = prng(7);
  const verbs = ['get', 'list', 'create', 'update', 'delete'];
  const resources = ['clusters', 'nodes', 'projects', 'clusterroletemplatebindings', 'projectroletemplatebindings', 'settings'];
  // Probes drawn up front so the loop measures decisions, not random numbers.
  const probes = Array.from({ length: 100_000 }, () => {
    const c = Math.floor(random() * AUTHZ_SCALE.clusters);
    const scope: Scope = random() < 0.5 ? { clusterId: clusterId(c) } : { projectId: projectId(c, Math.floor(random() * AUTHZ_SCALE.projectsPerCluster)) };
    return {
      subject: { userId: userId(Math.floor(random() * AUTHZ_SCALE.users)) },
      attrs: { verb: verbs[Math.floor(random() * verbs.length)] as string, resource: resources[Math.floor(random() * resources.length)] as string },
      scope,
    };
  });
  let decisions = 0;
  let allowed = 0;
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    for (const probe of probes) if (authorizer.can(probe.subject, probe.attrs, probe.scope)) allowed++;
    decisions += probes.length;
  }
  const perSecond = decisions / seconds;
  stop.abort();
  await Promise.allSettled(running);
  return { perSecond, allowedShare: allowed / decisions };
}

export interface AuthzResult {
  json: Record<string, unknown>;
  targetsMet: Record<string, boolean>;
}

export async function measureAuthz(durationSeconds: number, warmupSeconds: number, log: (line: string) => void): Promise<AuthzResult> {
  const dataDir = await makeTempDir('paddock-bench-authz-');
  // A first start makes the data dir (CA, settings, built-in roles); the scale data goes in while it is down.
  const first = await startPaddock(dataDir, undefined);
  await stopChild(first.child);
  const store = SqliteStore.open({ path: join(dataDir, 'paddock.db') });
  const seedStarted = performance.now();
  await seed(store);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const decisions = await measureDecisions(store, DECISION_SECONDS);
  await store.close();
  const { clusters, projectsPerCluster, users, bindings, visibleClusters } = AUTHZ_SCALE;
  log(`access control at ${clusters} clusters, ${clusters * projectsPerCluster} projects, ${users} users, ${bindings} bindings (written in ${seedSeconds.toFixed(1)} s):`);
  log(`  authorization decisions: ${Math.round(decisions.perSecond).toLocaleString('en')} /s (${(decisions.allowedShare * 100).toFixed(0)}% allowed)  ` +
    `target >= ${TARGETS.decisionsPerSecond.toLocaleString('en')}: ${verdict(decisions.perSecond >= TARGETS.decisionsPerSecond)}`);

  const ca = await readCa(dataDir);
  const server = await startPaddock(dataDir, ca);
  const login = await httpsCall(`${server.url}/v3-public/localProviders/local?action=login`, ca, 'POST', { body: { username: BENCH_USER, password: BENCH_PASSWORD } });
  if (login.status !== 201) throw new Error(`bench user login: ${login.status} ${login.text}`);
  const token = String(login.json.token);
  // `_n` is what uniquePaths appends: it must not change the answer.
  const seen = await httpsCall(`${server.url}/v3/clusters?_n=0`, ca, 'GET', { token });
  const count = (seen.json as { data: unknown[] }).data.length;
  if (count !== visibleClusters) throw new Error(`the bench user sees ${count} clusters, expected ${visibleClusters}`);
  const loadOptions = { url: `${server.url}/v3/clusters`, connections: 1, durationSeconds, headers: { authorization: `Bearer ${token}` }, ca, serverPid: server.child.pid };
  // Each request with its own query string: every answer is computed (authorization included), not cached.
  const list: LoadResult = await measureLoad({ ...loadOptions, uniquePaths: true }, warmupSeconds);
  const cached: LoadResult = await measureLoad(loadOptions, warmupSeconds);
  const rss = await readRssMb(server.child.pid);
  await stopChild(server.child);
  log(`  GET /v3/clusters as a user who sees ${visibleClusters} of ${clusters}, 1 connection, every answer computed: ${list.rps.toFixed(0)} req/s, ` +
    `p50 ${ms(list.p50)}, p99 ${ms(list.p99)}  target p99 <= ${TARGETS.listP99Ms} ms: ${verdict(list.p99 <= TARGETS.listP99Ms)}`);
  log(`  the same URL repeated (answered from the response cache): ${cached.rps.toFixed(0)} req/s, p50 ${ms(cached.p50)}, p99 ${ms(cached.p99)}`);
  log(`  server RSS after load: ${rss.toFixed(1)} MB  target <= ${TARGETS.rssMb} MB: ${verdict(rss <= TARGETS.rssMb)}`);
  return {
    json: {
      scale: AUTHZ_SCALE,
      seedSeconds: round(seedSeconds, 1),
      decisionsPerSecond: Math.round(decisions.perSecond),
      listC1: { rps: round(list.rps, 0), p50Ms: round(list.p50), p99Ms: round(list.p99), errors: list.errors + list.timeouts + list.non2xx },
      listC1Cached: { rps: round(cached.rps, 0), p50Ms: round(cached.p50), p99Ms: round(cached.p99) },
      rssMb: round(rss, 1),
    },
    targetsMet: {
      authzDecisions: decisions.perSecond >= TARGETS.decisionsPerSecond,
      authzListP99: list.p99 <= TARGETS.listP99Ms,
      authzRss: rss <= TARGETS.rssMb,
    },
  };
}
