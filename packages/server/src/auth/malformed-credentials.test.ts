import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rawCredential } from './credentials.js';
import { verifyPassword } from './passwords.js';

test('a malformed percent-escape in R_SESS does not throw', () => {
  assert.doesNotThrow(() => rawCredential({ cookie: 'R_SESS=%E0%A4%A' }));
  assert.doesNotThrow(() => rawCredential({ cookie: 'R_SESS=token-abc:%' }));
});

test('a stored hash with bad parameters verifies as false instead of rejecting', async () => {
  for (const stored of ['scrypt$abc$8$1$c2FsdA==$aGFzaA==', 'scrypt$1000$8$1$c2FsdA==$aGFzaA==', 'scrypt$$$$c2FsdA==$aGFzaA==']) {
    assert.equal(await verifyPassword('pw', stored), false, stored);
  }
});
