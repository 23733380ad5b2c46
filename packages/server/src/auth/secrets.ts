import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

/** Rancher's alphabet for generated names and secrets: no vowels, no look-alikes. */
export const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomString(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** A generated resource name: `<prefix>-xxxxx`, as norman's generateName gives (`c-`, `u-`, `token-`, ...). */
export const generateName = (prefix: string) => `${prefix}-${randomString(5)}`;

/** 54 characters of a 27-letter alphabet: 256.8 bits, the length Rancher's tokens have. */
export const newTokenSecret = () => randomString(54);

/**
 * Token secrets are 256-bit random values, so one SHA-256 is the right hash at rest (a slow password hash
 * would add nothing against guessing and cost every request).
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
