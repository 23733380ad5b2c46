// Agent tunnels against the real server (`bin/paddock server` as a child process): how many tunnels one
// server process holds and at what RSS, registrations per second while they connect, and how long all
// agents take to be back after the server restarts. The agents are simulated by agent-swarm.ts processes,
// each running many loops of the real agent's `keepConnected`.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SwarmStatus } from './agent-swarm.js';
import { createAgentCluster, listNodes, prepareData, readCa, REPO_ROOT, startPaddock, type PaddockProcess } from './paddock.js';
import { makeTempDir, readCpuSeconds, readOpenFilesLimit, readRssMb, readStatusMb, sleep, spawnChild, stopChild, type Child } from './processes.js';
import { round, verdict } from './stats.js';

const SWARM_SCRIPT = fileURLToPath(new URL('./agent-swarm.ts', import.meta.url));
/** The server flag the issue's figures are for (also the default): a silent tunnel is dead after 40 s. */
const SERVER_ARGS = ['--agent-timeout', '40'];
/** Descriptors a process needs besides its tunnels (database, listeners, stdio, node internals). */
const FD_MARGIN = 256;
const START_SPREAD_MS = 2_000;
const IDLE_BEFORE_MS = 2_000;
const SETTLE_MS = 3_000;
const RAMP_DEADLINE_MS = 90_000;
const API_DEADLINE_MS = 10_000;
const SHUTDOWN_GRACE_MS = 20_000;
const RECOVERY_DEADLINE_MS = 50_000;
const POLL_MS = 250;

export const AGENT_TARGETS = { tunnels: 5000, serverRssMb: 1024, recoverySeconds: 30 };

type Log = (line?: string) => void;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One agent-swarm.ts process and the last status line it printed. */
class Swarm {
  readonly child: Child;
  latest: SwarmStatus | undefined;

  constructor(server: string, token: string, caFile: string, count: number, prefix: string) {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SWARM_SERVER: server,
      SWARM_TOKEN: token,
      SWARM_CA_FILE: caFile,
      SWARM_COUNT: String(count),
      SWARM_PREFIX: prefix,
      SWARM_SPREAD_MS: String(START_SPREAD_MS),
    };
    this.child = spawnChild(process.execPath, ['--import', 'tsx', SWARM_SCRIPT], { cwd: REPO_ROOT, env });
    let pending = '';
    this.child.process.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('status ')) this.latest = JSON.parse(line.slice(7)) as SwarmStatus;
    });
  }
}

interface SwarmTotals {
  up: number;
  ever: number;
  connects: number;
  problems: number;
  lastProblem: string;
  ended: number;
  endedMessage: string;
  firstAt: number;
  lastFirstAt: number;
  lastConnectAt: number;
  /** Earliest connect among the agents up now; only meaningful when every agent is up. */
  minUpConnectAt: number;
  rssMb: number;
}

function totals(swarms: Swarm[]): SwarmTotals {
  const t: SwarmTotals = { up: 0, ever: 0, connects: 0, problems: 0, lastProblem: '', ended: 0, endedMessage: '', firstAt: Infinity, lastFirstAt: 0, lastConnectAt: 0, minUpConnectAt: Infinity, rssMb: 0 };
  for (const s of swarms) {
    const l = s.latest;
    if (!l) continue;
    t.up += l.up;
    t.ever += l.ever;
    t.connects += l.connects;
    t.problems += l.problems;
    t.lastProblem = l.lastProblem || t.lastProblem;
    t.ended += l.ended.removed + l.ended.refused;
    t.endedMessage = l.endedMessage || t.endedMessage;
    t.firstAt = Math.min(t.firstAt, l.firstAt ?? Infinity);
    t.lastFirstAt = Math.max(t.lastFirstAt, l.lastFirstAt ?? 0);
    t.lastConnectAt = Math.max(t.lastConnectAt, l.lastConnectAt ?? 0);
    t.minUpConnectAt = Math.min(t.minUpConnectAt, l.minUpConnectAt ?? Infinity);
    t.rssMb += l.rssMb;
  }
  return t;
}

/** Polls `check` until it returns true or the deadline passes; throws early when `alive` says a process died. */
async function until(deadlineAt: number, check: () => boolean | Promise<boolean>, alive: () => void): Promise<boolean> {
  for (;;) {
    alive();
    if (await check()) return true;
    if (Date.now() >= deadlineAt) return false;
    await sleep(POLL_MS);
  }
}

const countActive = async (server: PaddockProcess, ca: string, apiKey: string, clusterId: string) =>
  (await listNodes(server.url, ca, apiKey, clusterId)).filter((n) => n.state === 'active').length;

/** Splits `total` agents over `processes` as evenly as possible. */
const shares = (total: number, processes: number) => Array.from({ length: processes }, (_, i) => Math.floor(total / processes) + (i < total % processes ? 1 : 0)).filter((n) => n > 0);

export interface AgentSwarmResult {
  json: Record<string, unknown>;
  targetsMet: { tunnels: boolean; restartRecovery: boolean };
}

export async function measureAgentSwarm(requested: number, processes: number, log: Log): Promise<AgentSwarmResult> {
  // Node raises its soft open-files limit to the hard one at start, so the hard limit is what bounds the
  // tunnels (one socket each in the server; the swarm processes need theirs too, but fewer each).
  const fdLimit = await readOpenFilesLimit();
  const agents = Math.max(0, Math.min(requested, fdLimit.hard - FD_MARGIN));
  const limitNote = agents < requested ? ` (capped from ${requested}: the open-files limit is ${fdLimit.hard}; raise \`ulimit -Hn\`)` : '';

  const dataDir = await makeTempDir('paddock-bench-agents-');
  let server = await startPaddock(dataDir, undefined, { extraArgs: SERVER_ARGS });
  const port = Number(new URL(server.url).port);
  const ca = await readCa(dataDir);
  const apiKey = await prepareData(server.url, ca, 0);
  const cluster = await createAgentCluster(server.url, ca, apiKey, 'bench-agents');
  const swarms: Swarm[] = [];
  const alive = () => {
    const exited = [server.child, ...swarms.map((s) => s.child)].find((c) => c.process.exitCode !== null || c.process.signalCode !== null);
    if (exited) throw new Error(`a ${exited === server.child ? 'server' : 'swarm'} process exited during the agent benchmark:\n${exited.outputTail()}`);
  };
  try {
    await sleep(IDLE_BEFORE_MS);
    const rssBefore = await readRssMb(server.child.pid);

    // 1 + 2. The ramp: every agent registers once (first connect), the server CPU it took.
    const split = shares(agents, processes);
    const cpuBefore = await readCpuSeconds(server.child.pid);
    const rampStartedAt = Date.now();
    split.forEach((count, i) => swarms.push(new Swarm(server.url, cluster.token, join(dataDir, 'tls', 'ca.crt'), count, `bench-${i}`)));
    const rampDone = await until(rampStartedAt + RAMP_DEADLINE_MS, () => totals(swarms).ever >= agents, alive);
    const ramp = totals(swarms);
    const rampCpuSeconds = (await readCpuSeconds(server.child.pid)) - cpuBefore;
    const rampSeconds = (ramp.lastFirstAt - ramp.firstAt) / 1000;
    const registrationsPerSecond = ramp.ever > 1 && rampSeconds > 0 ? ramp.ever / rampSeconds : Number.NaN;

    // The server's view: nodes active through the API.
    let active = 0;
    await until(Date.now() + API_DEADLINE_MS, async () => (active = await countActive(server, ca, apiKey, cluster.clusterId)) >= agents, alive);
    await sleep(SETTLE_MS);
    const rssAfter = await readRssMb(server.child.pid);
    const rssPeak = await readStatusMb(server.child.pid, 'VmHWM');
    const connectedNow = totals(swarms).up;
    const perAgentKb = active > 0 ? ((rssAfter - rssBefore) * 1024) / active : Number.NaN;
    const extrapolatedMb = rssBefore + (perAgentKb * AGENT_TARGETS.tunnels) / 1024;
    const tunnelsOk = active >= AGENT_TARGETS.tunnels && rssAfter <= AGENT_TARGETS.serverRssMb;

    log(
      `agent tunnels: ${active} nodes active via the API (GET /v3/nodes?limit=-1) for ${agents} simulated agents${limitNote} ` +
        `(${split.length} processes x ${split[0] ?? 0} keepConnected loops, random start within ${seconds(START_SPREAD_MS)}; ` +
        `${rampDone ? `all connected ${seconds(ramp.lastFirstAt - rampStartedAt)} after spawning them` : `not all connected within ${seconds(RAMP_DEADLINE_MS)}`}), ` +
        `${connectedNow} tunnels open agent-side; open-files limit ${fdLimit.hard}`,
    );
    log(
      `server RSS: ${rssBefore.toFixed(1)} MB before agents, ${rssAfter.toFixed(1)} MB holding ${active} tunnels (peak ${rssPeak.toFixed(1)} MB), ` +
        `${perAgentKb.toFixed(1)} KB per tunnel` +
        (active < AGENT_TARGETS.tunnels ? ` (${extrapolatedMb.toFixed(0)} MB extrapolated to ${AGENT_TARGETS.tunnels})` : '') +
        `  target ${AGENT_TARGETS.tunnels} tunnels in <= ${AGENT_TARGETS.serverRssMb} MB: ${verdict(tunnelsOk)}`,
    );
    const rampProblems = ramp.problems ? `; ${ramp.problems} failed attempts/losses agent-side (last: ${ramp.lastProblem})` : '';
    log(
      `registrations: ${ramp.ever} in ${rampSeconds.toFixed(1)} s from first to last = ${registrationsPerSecond.toFixed(0)}/s` +
        `${rampDone ? '' : ` (!! only ${ramp.ever} of ${agents} within ${seconds(RAMP_DEADLINE_MS)})`}; ` +
        `server CPU ${rampCpuSeconds.toFixed(1)} s during the ramp = ${((rampCpuSeconds * 1000) / Math.max(1, ramp.ever)).toFixed(2)} ms per registration${rampProblems}`,
    );
    if (ramp.ended) log(`!! ${ramp.ended} agents gave up: ${ramp.endedMessage}`);

    // 3. Restart: SIGTERM, start again on the same port and data dir, wait for every agent and node.
    const killAt = Date.now();
    const exitedCleanly = await stopChild(server.child, SHUTDOWN_GRACE_MS);
    const exitedAt = Date.now();
    server = await startPaddock(dataDir, ca, { port, extraArgs: SERVER_ARGS });
    const readyAt = Date.now();
    const deadlineAt = killAt + RECOVERY_DEADLINE_MS;
    const agentsBack = await until(deadlineAt, () => {
      const t = totals(swarms);
      return t.up >= agents && t.minUpConnectAt >= killAt;
    }, alive);
    const agentsBackAt = totals(swarms).lastConnectAt;
    let activeAfter = 0;
    const nodesBack = agentsBack && (await until(deadlineAt, async () => (activeAfter = await countActive(server, ca, apiKey, cluster.clusterId)) >= agents, alive));
    const nodesBackAt = Date.now();
    if (!agentsBack) activeAfter = await countActive(server, ca, apiKey, cluster.clusterId);
    const recoverySeconds = nodesBack ? (nodesBackAt - killAt) / 1000 : Number.NaN;
    const rssRecovered = await readRssMb(server.child.pid);
    const recoveryOk = nodesBack && recoverySeconds <= AGENT_TARGETS.recoverySeconds;
    const after = totals(swarms);
    log(
      `restart recovery: SIGTERM -> exited in ${seconds(exitedAt - killAt)}${exitedCleanly ? '' : ' (SIGKILLed)'}, ready again after ${seconds(readyAt - killAt)}; ` +
        (nodesBack
          ? `all ${agents} agents reconnected after ${seconds(agentsBackAt - killAt)}, all nodes active after ${recoverySeconds.toFixed(1)} s`
          : `!! after ${seconds(RECOVERY_DEADLINE_MS)}: ${after.up} agents up, ${activeAfter} nodes active`) +
        `; server RSS then ${rssRecovered.toFixed(1)} MB  target <= ${AGENT_TARGETS.recoverySeconds} s: ${verdict(recoveryOk)}`,
    );
    const swarmRss = totals(swarms).rssMb;

    return {
      json: {
        agents,
        requestedAgents: requested,
        swarmProcesses: split.length,
        allConnectedSeconds: rampDone ? round((ramp.lastFirstAt - rampStartedAt) / 1000, 2) : null,
        openFilesLimit: fdLimit.hard,
        nodesActive: active,
        tunnelsOpenAgentSide: connectedNow,
        serverRssMb: { before: round(rssBefore, 1), holding: round(rssAfter, 1), peak: round(rssPeak, 1), afterRestart: round(rssRecovered, 1) },
        rssPerTunnelKb: round(perAgentKb, 1),
        rssExtrapolatedTo5000Mb: round(extrapolatedMb, 0),
        swarmRssMb: swarmRss,
        registrations: { count: ramp.ever, seconds: round(rampSeconds, 2), perSecond: round(registrationsPerSecond, 0), serverCpuMsEach: round((rampCpuSeconds * 1000) / Math.max(1, ramp.ever), 2), failedAttempts: ramp.problems },
        restart: {
          exitSeconds: round((exitedAt - killAt) / 1000, 2),
          exitedCleanly,
          readySeconds: round((readyAt - killAt) / 1000, 2),
          agentsBackSeconds: agentsBack ? round((agentsBackAt - killAt) / 1000, 2) : null,
          nodesActiveSeconds: nodesBack ? round(recoverySeconds, 2) : null,
          agentsUpAtEnd: after.up,
          nodesActiveAtEnd: activeAfter,
        },
      },
      targetsMet: { tunnels: tunnelsOk, restartRecovery: recoveryOk },
    };
  } finally {
    // Teardown only: the swarms first (their loops abort and exit), then the server without a long grace.
    await Promise.allSettled(swarms.map((s) => stopChild(s.child, 10_000)));
    await stopChild(server.child, 2_000);
  }
}
