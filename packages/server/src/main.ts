import { Command, Option } from 'commander';
import { pino } from 'pino';
import { ConfigError, parseServerConfig, SERVER_OPTIONS, type RawServerOptions } from './config/config.js';
import { StartupError, ListenError, startServer } from './server.js';
import { TlsConfigError } from './tls/index.js';
import { PADDOCK_VERSION } from './version.js';

/** Errors the operator can fix from the command line: printed as one line, exit code 1. */
const isOperatorError = (err: unknown): err is Error =>
  err instanceof ConfigError || err instanceof ListenError || err instanceof TlsConfigError || err instanceof StartupError;

async function runServer(raw: RawServerOptions): Promise<void> {
  const started = performance.now();
  const config = parseServerConfig(raw, process.env);
  const logger = pino({ level: config.logLevel, base: { svc: 'paddock' } });
  const server = await startServer(config, logger);
  logger.info(
    { url: server.url, httpPort: server.httpPort, dataDir: config.dataDir, startMs: Math.round(performance.now() - started) },
    `Paddock ${PADDOCK_VERSION} ready at ${server.url}`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight requests');
    server.close().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** `paddock server ...` as a commander subcommand. */
export function serverCommand(): Command {
  const server = new Command('server').description('run the Paddock server (HTTPS API, UI and agent tunnel endpoint)');
  for (const o of SERVER_OPTIONS) {
    // commander sets a boolean flag from any value of its variable ("false" too), so flags read theirs
    // in parseServerConfig; the help still names the variable.
    const takesValue = o.cli.includes('<');
    const option = takesValue ? new Option(o.cli, o.help).env(o.env) : new Option(o.cli, `${o.help} (env: ${o.env}=true)`);
    server.addOption(o.default === undefined ? option : option.default(o.default));
  }
  server.action(async (opts: RawServerOptions) => {
    try {
      await runServer(opts);
    } catch (err) {
      if (!isOperatorError(err)) throw err;
      process.stderr.write(`paddock: ${err.message}\n`);
      process.exit(1);
    }
  });
  return server;
}
