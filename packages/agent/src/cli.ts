import { Command, Option } from 'commander';
import type { HostNetwork } from './address.js';
import { AGENT_OPTIONS, AgentConfigError, CATTLE_ROLE_ENV, parseAgentConfig, type AgentConfig, type RawAgentOptions } from './config.js';
import { TrustError } from './trust.js';

/** Test seams for `buildAgentCommand`: the environment (default `process.env`) and the host's network. */
export interface AgentCommandOptions {
  env?: NodeJS.ProcessEnv;
  network?: HostNetwork;
}

const HELP_AFTER = `
Values come from the flag, else PADDOCK_AGENT_<FLAG>, else Rancher's CATTLE_* variable. Repeatable
flags (--server, --label, --taints, --allow) take comma-separated lists in the environment; --server
takes one on the command line too. Roles may also come from ${CATTLE_ROLE_ENV}=etcd,controlplane,worker;
with no role at all the node is a worker.

With several servers (replicas of one Paddock server) the agent connects to one and, when it cannot or
the tunnel drops, to the next at once; it waits (backing off) only after every server failed in turn.

With --ca-checksum the agent first fetches <server>/v3/settings/cacerts without verifying TLS, checks
the CA against the checksum, and from then on trusts only that CA; each server is checked so before the
agent first connects to it.

Example (the registration command with "docker run ... <image>" replaced by "paddock agent"):
  paddock agent --server https://paddock.example.com --token <token> --ca-checksum <sha256> --etcd --controlplane --worker`;

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * The `paddock agent` subcommand: parses and checks flags and environment into an AgentConfig and calls
 * `run` with it. Configuration and trust problems (AgentConfigError, TrustError, also when thrown by
 * `run`) are reported as one line through commander's `error()` with exit code 1; other errors propagate.
 */
export function buildAgentCommand(run: (config: AgentConfig) => Promise<void>, options: AgentCommandOptions = {}): Command {
  const command = new Command('agent')
    .description('run the node agent: register this node with a Paddock server and keep its tunnel open')
    .addHelpText('after', HELP_AFTER);
  for (const spec of AGENT_OPTIONS) {
    const envs = `[env${spec.kind === 'list' ? ', comma-separated' : ''}: ${spec.env.join(', ')}]`;
    const option = new Option(spec.flags, `${spec.help} ${envs}`);
    if (spec.kind === 'list') option.argParser(collect);
    command.addOption(option);
  }
  command.action(async (raw: RawAgentOptions, self: Command) => {
    try {
      const config = parseAgentConfig(raw, options.env ?? process.env, options.network);
      await run(config);
    } catch (err) {
      if (err instanceof AgentConfigError || err instanceof TrustError) {
        self.error(`paddock agent: ${err.message}`, { exitCode: 1, code: `paddock.${err.name}` });
      }
      throw err;
    }
  });
  return command;
}
