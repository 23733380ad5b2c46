import type { MigrationResult } from './migrate.js';

/** Differences named in the one-line failure; the rest are counted. */
const DIFFERENCES_SHOWN = 5;

/** The summary printed on success (and before the failure line): objects per kind, total, time, next steps. */
export function summary(result: MigrationResult): string[] {
  const { counts } = result.verification;
  const width = Math.max(...counts.map((c) => c.kind.length), 'total'.length);
  const lines = [`copied ${result.source} to ${result.target} in ${result.seconds.toFixed(2)} s`];
  for (const c of counts) lines.push(`  ${c.kind.padEnd(width)}  ${c.target}`);
  lines.push(`  ${'total'.padEnd(width)}  ${result.copied}`);
  if (result.verification.differences.length > 0) return lines;
  lines.push('verified: every object of the source is in etcd with the same data and creation time, and each kind has the same count');
  lines.push('note: resource versions are the new datastore\'s revisions');
  if (result.tlsDir) {
    lines.push(
      `next: copy ${result.tlsDir} into the --data-dir of every server you start with --datastore etcd; ` +
        'the CA and serving certificate are files, not in the store, and agents trust only this CA',
    );
  }
  return lines;
}

/** The failure line: how many differences, and the first few. */
export function failureLine(result: MigrationResult): string {
  const { differences } = result.verification;
  const more = differences.length > DIFFERENCES_SHOWN ? `; and ${differences.length - DIFFERENCES_SHOWN} more` : '';
  return `verification failed, ${differences.length} differences: ${differences.slice(0, DIFFERENCES_SHOWN).join('; ')}${more}`;
}
