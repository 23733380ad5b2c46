import { pino } from 'pino';
import { readHostNetwork } from './address.js';
import { buildAgentCommand } from './cli.js';
import { clusterAgentDialPolicy, clusterAgentParams, readInClusterApi } from './cluster-agent.js';
import type { AgentConfig } from './config.js';
import { keepConnected } from './connection.js';
import { dialPolicy } from './dial-policy.js';
import { collectFacts } from './facts.js';
import { ServerTrust } from './trust.js';

export const AGENT_VERSION = 'v0.1.0';

/**
 * The agent's life: pin the server's CA, from the first of its servers that serves one matching the checksum
 * (refusing a wrong checksum before anything else), collect the node's facts (or, as a cluster agent, its
 * cluster's API), then keep the tunnel up, starting with that server, until the node or cluster is removed
 * (exit 0), the server refuses the token or the facts (exit 1), or the process is told to stop (exit 0).
 */
export async function runAgent(config: AgentConfig): Promise<number> {
  const logger = pino({ level: config.logLevel, base: { svc: 'paddock-agent' } });
  const trust = new ServerTrust(config.caChecksum);
  // The other servers' CAs are checked the same way when the agent first moves to them.
  const first = await trust.firstTrusted(config.servers);
  const identity = config.clusterAgent ? await clusterAgentIdentity(config) : await nodeIdentity(config);
  logger.info({ servers: config.servers, ...identity.describe, pinnedCa: config.caChecksum !== undefined }, 'starting agent');
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  const outcome = await keepConnected({
    server: startingAt(config.servers, first),
    token: config.token,
    ca: (server) => trust.caFor(server),
    params: identity.params,
    allow: identity.allow,
    limits: { pingTimeoutMs: config.pingTimeoutMs, pingIntervalMs: Math.floor(Math.min(5_000, config.pingTimeoutMs / 3)) },
    logger,
    signal: stop.signal,
  });
  switch (outcome.kind) {
    case 'removed':
      logger.info({ reason: outcome.message }, `this ${config.clusterAgent ? 'cluster' : 'node'} was removed from Paddock; exiting`);
      return 0;
    case 'refused':
      process.stderr.write(`paddock agent: the server refused this agent (${outcome.status}): ${outcome.message}\n`);
      return 1;
    case 'stopped':
      logger.info('stopped');
      return 0;
  }
}

/** The same round robin order, beginning with `first`. */
const startingAt = (servers: string[], first: string): string[] => {
  const at = Math.max(0, servers.indexOf(first));
  return [...servers.slice(at), ...servers.slice(0, at)];
};

/** Who this agent speaks for: the registration params it sends, and what the server may reach through it. */
interface AgentIdentity {
  params: Record<string, unknown>;
  allow: (target: { host: string; port: number }) => true | string;
  describe: Record<string, unknown>;
}

/** A node agent: this machine's facts; the server may reach the machine itself and `--allow` targets. */
async function nodeIdentity(config: AgentConfig): Promise<AgentIdentity> {
  const facts = await collectFacts(config, AGENT_VERSION);
  const allow = dialPolicy({ own: [facts.address, facts.internalAddress], network: readHostNetwork(), rules: config.allow });
  return { params: facts, allow, describe: { nodeName: facts.nodeName, roles: facts.roles } };
}

/** A cluster agent: the API of the cluster it runs in, which is all the server may reach (and `--allow`). */
async function clusterAgentIdentity(config: AgentConfig): Promise<AgentIdentity> {
  const api = await readInClusterApi(process.env, config.serviceAccountDir);
  return { params: clusterAgentParams(api), allow: clusterAgentDialPolicy(api, config.allow), describe: { clusterAgent: true, api: api.address } };
}

/** `paddock agent ...` as a commander subcommand. */
export function agentCommand() {
  return buildAgentCommand(async (config) => {
    process.exitCode = await runAgent(config);
  });
}
