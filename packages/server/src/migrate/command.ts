import { Command, Option } from 'commander';
import { STORED_KINDS } from '../kinds.js';
import { operatorMessage } from './errors.js';
import { migrate } from './migrate.js';
import { parseMigrateConfig, SHARED_ETCD_OPTIONS, TO_ENV, type RawMigrateOptions } from './options.js';
import { failureLine, summary } from './report.js';

const DESCRIPTION = [
  'Copies every object of a SQLite data dir into etcd, then checks that etcd holds the same objects with the same data.',
  'Stop the server that uses --from first: the source is read at one revision, and a migration that sees it change fails.',
  'A target prefix that already holds data is refused unless --force is given, which deletes it first.',
  'Exits 0 once the copy is verified; 1 on a refusal or a difference, with one line saying why.',
].join('\n\n');

/** `paddock migrate ...` as a commander subcommand. */
export function migrateCommand(): Command {
  const command = new Command('migrate')
    .summary('copy a SQLite data dir into etcd (for --datastore etcd)')
    .description(DESCRIPTION)
    .option('--from <dir>', 'the --data-dir of the server that used --datastore sqlite (holds paddock.db)')
    .addOption(new Option('--to <urls>', 'comma-separated etcd client URLs, as --etcd-endpoints of paddock server').env(TO_ENV))
    .option('--force', 'delete whatever the target prefix holds before copying');
  for (const o of SHARED_ETCD_OPTIONS) {
    const option = new Option(o.cli, o.help).env(o.env);
    command.addOption(o.default === undefined ? option : option.default(o.default));
  }
  command.action(async (opts: RawMigrateOptions) => {
    try {
      await run(opts);
    } catch (err) {
      const message = operatorMessage(err);
      if (message === undefined) throw err;
      process.stderr.write(`paddock: ${message}\n`);
      process.exit(1);
    }
  });
  return command;
}

async function run(opts: RawMigrateOptions): Promise<void> {
  const config = parseMigrateConfig(opts, process.env);
  const result = await migrate(config, {
    kinds: STORED_KINDS,
    log: (line) => process.stdout.write(`${line}\n`),
    now: () => performance.now(),
  });
  process.stdout.write(`${summary(result).join('\n')}\n`);
  if (result.verification.differences.length > 0) {
    process.stderr.write(`paddock: ${failureLine(result)}\n`);
    process.exit(1);
  }
}
