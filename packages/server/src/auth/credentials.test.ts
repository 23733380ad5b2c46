import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SESSION_COOKIE, rawCredential, readCookie, splitToken } from './credentials.js';

const basic = (userPass: string) => `Basic ${Buffer.from(userPass).toString('base64')}`;

describe('rawCredential', () => {
  test('nothing sent: undefined', () => {
    assert.equal(rawCredential({}), undefined);
    assert.equal(rawCredential({ authorization: undefined, cookie: undefined }), undefined);
    assert.equal(rawCredential({ cookie: 'CSRF=abc; other=1' }), undefined);
  });

  test('Bearer gives the value after the scheme, with the scheme in any case', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      assert.equal(rawCredential({ authorization: `${scheme} token-abcde:s3cret` }), 'token-abcde:s3cret', scheme);
    }
  });

  test('surrounding and repeated spaces are ignored', () => {
    assert.equal(rawCredential({ authorization: '  Bearer    token-abcde:s3cret  ' }), 'token-abcde:s3cret');
  });

  test('Basic is decoded as curl -u sends it: user = token name, password = secret', () => {
    assert.equal(rawCredential({ authorization: basic('token-abcde:s3cret') }), 'token-abcde:s3cret');
    assert.equal(rawCredential({ authorization: basic('token-abcde:s3cret').replace('Basic', 'basic') }), 'token-abcde:s3cret');
    const secret = 'x'.repeat(54);
    assert.equal(rawCredential({ authorization: basic(`token-zz9zz:${secret}`) }), `token-zz9zz:${secret}`);
  });

  test('Basic also accepts the URL-safe base64 alphabet and missing padding', () => {
    const value = 'token-a:b??>~';
    const urlSafe = Buffer.from(value).toString('base64url');
    assert.match(urlSafe, /[-_]/, 'the sample exercises the URL-safe characters');
    assert.equal(rawCredential({ authorization: `Basic ${urlSafe}` }), value);
    const unpadded = Buffer.from('token-ab:c').toString('base64').replace(/=+$/, '');
    assert.equal(rawCredential({ authorization: `Basic ${unpadded}` }), 'token-ab:c');
  });

  test('the R_SESS cookie is used when there is no Authorization header', () => {
    assert.equal(SESSION_COOKIE, 'R_SESS');
    assert.equal(rawCredential({ cookie: 'R_SESS=token-abcde:s3cret' }), 'token-abcde:s3cret');
    assert.equal(rawCredential({ cookie: 'CSRF=0123456789; R_SESS=token-abcde:s3cret; ui=1' }), 'token-abcde:s3cret');
    assert.equal(rawCredential({ cookie: 'R_SESS=token-abcde%3As3cret' }), 'token-abcde:s3cret', 'percent-encoding is undone');
  });

  test('an Authorization header wins over the cookie', () => {
    assert.equal(rawCredential({ authorization: 'Bearer token-h:header', cookie: 'R_SESS=token-c:cookie' }), 'token-h:header');
    assert.equal(rawCredential({ authorization: basic('token-h:header'), cookie: 'R_SESS=token-c:cookie' }), 'token-h:header');
  });

  test('an empty or blank Authorization header counts as absent', () => {
    assert.equal(rawCredential({ authorization: '', cookie: 'R_SESS=token-c:cookie' }), 'token-c:cookie');
    assert.equal(rawCredential({ authorization: '   ', cookie: 'R_SESS=token-c:cookie' }), 'token-c:cookie');
  });

  test('a scheme with no credentials gives an empty credential (not the cookie)', () => {
    assert.equal(rawCredential({ authorization: 'Bearer', cookie: 'R_SESS=token-c:cookie' }), '');
    assert.equal(rawCredential({ authorization: 'Bearer   ', cookie: 'R_SESS=token-c:cookie' }), '');
    assert.equal(rawCredential({ authorization: 'Basic' }), '');
  });

  test('malformed Basic values decode to something that is not a token, without throwing', () => {
    for (const value of ['!!!', '@@@@', basic('no-colon').slice(6), '']) {
      const raw = rawCredential({ authorization: `Basic ${value}` });
      assert.equal(typeof raw, 'string');
      assert.equal(splitToken(raw ?? ''), undefined, value);
    }
  });
});

describe('readCookie', () => {
  test('finds a cookie by exact name', () => {
    assert.equal(readCookie('a=1; R_SESS=x:y', 'R_SESS'), 'x:y');
    assert.equal(readCookie('a=1;R_SESS=x:y', 'R_SESS'), 'x:y');
    assert.equal(readCookie('XR_SESS=x:y; R_SESSX=z', 'R_SESS'), undefined);
    assert.equal(readCookie('r_sess=x:y', 'R_SESS'), undefined, 'names are case-sensitive');
    assert.equal(readCookie('', 'R_SESS'), undefined);
    assert.equal(readCookie(undefined, 'R_SESS'), undefined);
    assert.equal(readCookie('=x; R_SESS', 'R_SESS'), undefined);
  });

  test('the first cookie of that name wins, and values may contain =', () => {
    assert.equal(readCookie('R_SESS=first; R_SESS=second', 'R_SESS'), 'first');
    assert.equal(readCookie('R_SESS=a=b', 'R_SESS'), 'a=b');
  });

  test('an empty value is an empty string', () => {
    assert.equal(readCookie('R_SESS=', 'R_SESS'), '');
  });
});

describe('splitToken', () => {
  test('splits name:secret', () => {
    assert.deepEqual(splitToken('token-abcde:s3cret'), { name: 'token-abcde', secret: 's3cret' });
  });

  for (const bad of ['', ':', 'token-abcde', 'token-abcde:', ':s3cret', 'a:b:c', 'token-abcde::s3cret']) {
    test(`rejects ${JSON.stringify(bad)}`, () => {
      assert.equal(splitToken(bad), undefined);
    });
  }
});
