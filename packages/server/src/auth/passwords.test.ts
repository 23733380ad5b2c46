import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { hashPassword, verifyPassword } from './passwords.js';

describe('passwords', () => {
  test('the stored form is scrypt$N$r$p$salt$hash with a 16-byte salt and a 32-byte key', async () => {
    const stored = await hashPassword('correct horse');
    const parts = stored.split('$');
    assert.equal(parts.length, 6);
    const [scheme, n, r, p, salt, hash] = parts;
    assert.equal(scheme, 'scrypt');
    assert.deepEqual([n, r, p], ['32768', '8', '1']);
    assert.equal(Buffer.from(salt ?? '', 'base64').length, 16);
    assert.equal(Buffer.from(hash ?? '', 'base64').length, 32);
    assert.doesNotMatch(stored, /correct horse/);
  });

  test('verify accepts the password and refuses others', async () => {
    const stored = await hashPassword('correct horse');
    assert.equal(await verifyPassword('correct horse', stored), true);
    assert.equal(await verifyPassword('Correct horse', stored), false);
    assert.equal(await verifyPassword('correct horse ', stored), false);
    assert.equal(await verifyPassword('', stored), false);
  });

  test('the same password hashes differently each time (random salt)', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('same', b), true);
  });

  test('an empty password and a long unicode password round-trip', async () => {
    assert.equal(await verifyPassword('', await hashPassword('')), true);
    const long = 'pässwörd-🔑-'.repeat(100);
    assert.equal(await verifyPassword(long, await hashPassword(long)), true);
  });

  test('passwords are compared after NFKC normalisation', async () => {
    const stored = await hashPassword('caf\u00e9 \ufb01');
    assert.equal(await verifyPassword('cafe\u0301 fi', stored), true);
  });

  test('parameters are read from the stored string, so older hashes keep working', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('old password', salt, 32, { N: 1024, r: 8, p: 1 });
    const stored = ['scrypt', 1024, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
    assert.equal(await verifyPassword('old password', stored), true);
    assert.equal(await verifyPassword('new password', stored), false);
  });

  test('a tampered hash or salt does not verify', async () => {
    const stored = await hashPassword('pw');
    const parts = stored.split('$');
    const flip = (b64: string) => {
      const buf = Buffer.from(b64, 'base64');
      buf[0] = (buf[0] ?? 0) ^ 1;
      return buf.toString('base64');
    };
    assert.equal(await verifyPassword('pw', [...parts.slice(0, 5), flip(parts[5] ?? '')].join('$')), false);
    assert.equal(await verifyPassword('pw', [...parts.slice(0, 4), flip(parts[4] ?? ''), parts[5]].join('$')), false);
    assert.equal(await verifyPassword('pw', [...parts.slice(0, 5), Buffer.alloc(16).toString('base64')].join('$')), false, 'a shorter key');
  });

  test('stored values of another shape do not verify', async () => {
    for (const stored of ['', 'pw', '$2a$10$abcdefghijklmnopqrstuv', 'bcrypt$32768$8$1$c2FsdA==$aGFzaA==', 'scrypt$32768$8$1$$', 'scrypt$32768$8$1$c2FsdA==']) {
      assert.equal(await verifyPassword('pw', stored), false, stored);
    }
  });
});
