import { createHash } from 'node:crypto';

/**
 * The CA checksum agents check, following Rancher: the hex SHA-256 of `cacerts` with a "\n" appended
 * unless it already ends with one; '' when `cacerts` is ''.
 *
 * For a normalised value (see `normalizePem`) this is exactly what
 * `curl .../v3/settings/cacerts | jq -r .value | sha256sum` prints, because `jq -r` adds the newline.
 * The value is hashed as given: callers normalise first.
 */
export function caChecksum(cacerts: string): string {
  if (cacerts === '') return '';
  const text = cacerts.endsWith('\n') ? cacerts : `${cacerts}\n`;
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
