import { pino } from 'pino';
import { readHostNetwork } from './address.js';
import { buildAgentCommand } from './cli.js';
import type { AgentConfig } from './config.js';
import { keepConnected } from './connection.js';
import { dialPolicy } from './dial-policy.js';
import { collectFacts } from './facts.js';
import { fetchTrustedCa } from './trust.js';

export const AGENT_VERSION = 'v0.1.0';

/**
 * The agent's life: pin the server's CA (refusing a wrong checksum before anything else), collect the
 * node's facts, then keep the tunnel up until the node is removed (exit 0), the server refuses the token
 * or the facts (exit 1), or the process is told to stop (exit 0).
 */
export async function runAgent(config: AgentConfig): Promise<number> {
  const logger = pino({ level: config.logLevel, base: { svc: 'paddock-agent' } });
  const ca = await fetchTrustedCa({ server: config.server, caChecksum: config.caChecksum });
  const facts = await collectFacts(config, AGENT_VERSION);
  logger.info({ server: config.server, nodeName: facts.nodeName, roles: facts.roles, pinnedCa: ca !== undefined }, 'starting agent');
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  const outcome = await keepConnected({
    server: config.server,
    token: config.token,
    ca,
    params: facts,
    allow: dialPolicy({ own: [facts.address, facts.internalAddress], network: readHostNetwork(), rules: config.allow }),
    limits: { pingTimeoutMs: config.pingTimeoutMs, pingIntervalMs: Math.floor(Math.min(5_000, config.pingTimeoutMs / 3)) },
    logger,
    signal: stop.signal,
  });
  switch (outcome.kind) {
    case 'removed':
      logger.info({ reason: outcome.message }, 'this node was removed from Paddock; exiting');
      return 0;
    case 'refused':
      process.stderr.write(`paddock agent: the server refused this agent (${outcome.status}): ${outcome.message}\n`);
      return 1;
    case 'stopped':
      logger.info('stopped');
      return 0;
  }
}

/** `paddock agent ...` as a commander subcommand. */
export function agentCommand() {
  return buildAgentCommand(async (config) => {
    process.exitCode = await runAgent(config);
  });
}
