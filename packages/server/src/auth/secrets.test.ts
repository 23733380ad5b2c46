import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { ALPHABET, generateName, hashSecret, newTokenSecret, randomString, secretMatches } from './secrets.js';

describe('random strings', () => {
  test('the alphabet is 27 distinct lower-case letters and digits without vowels', () => {
    assert.equal(ALPHABET.length, 27);
    assert.equal(new Set(ALPHABET).size, 27);
    assert.match(ALPHABET, /^[a-z0-9]+$/);
    assert.doesNotMatch(ALPHABET, /[aeiou]/);
  });

  test('a token secret is 54 characters of the alphabet: at least 256 bits', () => {
    const secret = newTokenSecret();
    assert.equal(secret.length, 54);
    for (const ch of secret) assert.ok(ALPHABET.includes(ch), ch);
    assert.ok(secret.length * Math.log2(ALPHABET.length) >= 256);
  });

  test('secrets differ from each other', () => {
    const seen = new Set(Array.from({ length: 100 }, () => newTokenSecret()));
    assert.equal(seen.size, 100);
  });

  test('every character of the alphabet is used', () => {
    const used = new Set(Array.from({ length: 100 }, () => newTokenSecret()).join(''));
    assert.equal(used.size, 27);
  });

  test('randomString has the requested length', () => {
    assert.equal(randomString(0), '');
    assert.equal(randomString(1).length, 1);
    assert.equal(randomString(200).length, 200);
  });

  test('generated names are <prefix>-<5 alphabet characters>', () => {
    const re = new RegExp(`^c-[${ALPHABET}]{5}$`);
    for (let i = 0; i < 20; i++) assert.match(generateName('c'), re);
    assert.match(generateName('token'), new RegExp(`^token-[${ALPHABET}]{5}$`));
  });
});

describe('secret hashes', () => {
  test('hashSecret is hex SHA-256', () => {
    assert.equal(hashSecret('abc'), createHash('sha256').update('abc').digest('hex'));
    assert.match(hashSecret(newTokenSecret()), /^[0-9a-f]{64}$/);
  });

  test('secretMatches accepts the secret and nothing else', () => {
    const secret = newTokenSecret();
    const stored = hashSecret(secret);
    assert.equal(secretMatches(secret, stored), true);
    assert.equal(secretMatches(secret.toUpperCase(), stored), false);
    assert.equal(secretMatches(`${secret}x`, stored), false);
    assert.equal(secretMatches(secret.slice(1), stored), false);
    assert.equal(secretMatches('', stored), false);
  });

  test('a malformed stored hash never matches and never throws', () => {
    const secret = newTokenSecret();
    const stored = hashSecret(secret);
    for (const bad of ['', 'zz', stored.slice(0, 62), `${stored}00`, stored.toUpperCase().replace(/[0-9A-F]/, 'g')]) {
      assert.equal(secretMatches(secret, bad), false, bad);
    }
  });

  test('an upper-case hex hash still matches (hex is case-insensitive)', () => {
    const secret = newTokenSecret();
    assert.equal(secretMatches(secret, hashSecret(secret).toUpperCase()), true);
  });
});
