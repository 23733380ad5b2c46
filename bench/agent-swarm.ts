// Many simulated node agents in one process: SWARM_COUNT loops of the real agent's `keepConnected` (the
// same tunnel client, backoff and reconnect logic as `paddock agent`), each with its own node name.
// Run as its own process (see agents.ts). Prints a `status <json>` line whenever something changed (at
// most every SWARM_REPORT_MS) and a last one when it stops on SIGTERM/SIGINT.
//
// Env: SWARM_SERVER (https URL), SWARM_TOKEN (registration token), SWARM_CA_FILE (PEM, pinned as the real
// agent pins it after checking --ca-checksum), SWARM_COUNT, SWARM_PREFIX (node names <prefix>-<i>),
// SWARM_SPREAD_MS (each agent starts after a random delay up to this), SWARM_REPORT_MS.
import { readFile } from 'node:fs/promises';
import { arch, cpus, hostname, release, totalmem, type } from 'node:os';
import type { TunnelLogFn, TunnelLogger } from '@paddock/tunnel';
import { readHostNetwork } from '../packages/agent/src/address.js';
import { keepConnected, type AgentOutcome } from '../packages/agent/src/connection.js';
import { dialPolicy } from '../packages/agent/src/dial-policy.js';
import { goArch, type NodeFacts } from '../packages/agent/src/facts.js';
import { AGENT_VERSION } from '../packages/agent/src/main.js';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const server = requiredEnv('SWARM_SERVER');
const token = requiredEnv('SWARM_TOKEN');
const ca = await readFile(requiredEnv('SWARM_CA_FILE'), 'utf8');
const count = Number(requiredEnv('SWARM_COUNT'));
const prefix = requiredEnv('SWARM_PREFIX');
const spreadMs = Number(process.env.SWARM_SPREAD_MS ?? 0);
const reportMs = Number(process.env.SWARM_REPORT_MS ?? 250);

/** What the parent reads: counts, and wall-clock times (Date.now(), comparable across processes). */
export interface SwarmStatus {
  count: number;
  /** Agents whose tunnel is open now. */
  up: number;
  /** Agents that have connected at least once. */
  ever: number;
  /** First connect of any agent, and the latest first connect (the end of the registration ramp). */
  firstAt: number | null;
  lastFirstAt: number | null;
  /** Latest connect of any agent (first or re-), and the earliest connect among the agents up now. */
  lastConnectAt: number | null;
  minUpConnectAt: number | null;
  /** Connects in total (first connects plus reconnects), and failed attempts / losses the agents logged. */
  connects: number;
  problems: number;
  lastProblem: string;
  /** keepConnected loops that returned (removed, refused, stopped). */
  ended: Record<AgentOutcome['kind'], number>;
  endedMessage: string;
  rssMb: number;
}

interface AgentState {
  up: boolean;
  connectedAt: number;
  everConnected: boolean;
}

const agents: AgentState[] = [];
const status: SwarmStatus = {
  count,
  up: 0,
  ever: 0,
  firstAt: null,
  lastFirstAt: null,
  lastConnectAt: null,
  minUpConnectAt: null,
  connects: 0,
  problems: 0,
  lastProblem: '',
  ended: { removed: 0, refused: 0, stopped: 0 },
  endedMessage: '',
  rssMb: 0,
};
let changed = true;

const messageOf = (a: unknown, b: unknown): string => (typeof a === 'string' ? a : typeof b === 'string' ? b : '');

/**
 * A logger per agent that follows its connection state from what `keepConnected` logs: "connected" when
 * the tunnel opens; a warning ("disconnected: ...", "cannot reach the server: ...", "server answered ...")
 * or the session's "tunnel session closed" when it is lost or an attempt failed.
 */
function agentLogger(agent: AgentState): TunnelLogger {
  const down = (message: string, problem: boolean) => {
    if (agent.up) {
      agent.up = false;
      status.up--;
    }
    if (problem) {
      status.problems++;
      status.lastProblem = message;
    }
    changed = true;
  };
  const info: TunnelLogFn = (a: unknown, b?: unknown) => {
    if (messageOf(a, b) !== 'connected') return;
    const now = Date.now();
    if (!agent.up) status.up++;
    agent.up = true;
    agent.connectedAt = now;
    status.connects++;
    status.lastConnectAt = now;
    status.firstAt ??= now;
    if (!agent.everConnected) {
      agent.everConnected = true;
      status.ever++;
      status.lastFirstAt = now;
    }
    changed = true;
  };
  const debug: TunnelLogFn = (a: unknown, b?: unknown) => {
    const message = messageOf(a, b);
    if (message === 'tunnel session closed') down(message, false);
  };
  const warn: TunnelLogFn = (a: unknown, b?: unknown) => down(messageOf(a, b), true);
  return { debug, info, warn, error: warn };
}

function report(): void {
  let minUp: number | null = null;
  for (const a of agents) if (a.up && (minUp === null || a.connectedAt < minUp)) minUp = a.connectedAt;
  status.minUpConnectAt = minUp;
  status.rssMb = Math.round(process.memoryUsage.rss() / 1024 / 1024);
  process.stdout.write(`status ${JSON.stringify(status)}\n`);
  changed = false;
}

const host = hostname();
const facts = (nodeName: string): NodeFacts => ({
  nodeName,
  hostname: host,
  address: '127.0.0.1',
  internalAddress: '127.0.0.1',
  roles: ['worker'],
  labels: {},
  taints: [],
  cpuCount: cpus().length,
  memoryKiB: Math.floor(totalmem() / 1024),
  operatingSystem: type(),
  kernelVersion: release(),
  architecture: goArch(arch()),
  agentVersion: AGENT_VERSION,
});

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
const allow = dialPolicy({ own: ['127.0.0.1'], network: readHostNetwork(), rules: [] });
const reporter = setInterval(() => changed && report(), reportMs);

const loops: Promise<void>[] = [];
for (let i = 0; i < count; i++) {
  const agent: AgentState = { up: false, connectedAt: 0, everConnected: false };
  agents.push(agent);
  const delay = Math.floor(Math.random() * spreadMs);
  loops.push(
    new Promise<void>((resolve) => setTimeout(resolve, delay)).then(async () => {
      if (stop.signal.aborted) return;
      const outcome = await keepConnected({ server, token, ca, params: facts(`${prefix}-${i}`), allow, logger: agentLogger(agent), signal: stop.signal });
      status.ended[outcome.kind]++;
      if (outcome.kind !== 'stopped') status.endedMessage = outcome.message;
      changed = true;
    }),
  );
}
await Promise.all(loops);
clearInterval(reporter);
report();
process.exit(0);
