/**
 * Where a request's token comes from, in Rancher's order: an `Authorization` header wins (Bearer, or Basic
 * with the token name as user and the secret as password, as `curl -u token-x:secret` sends it); otherwise
 * the `R_SESS` cookie. Returns the raw `name:secret` string, or undefined when none was sent.
 */
export interface RequestHeaders {
  authorization?: string | undefined;
  cookie?: string | undefined;
}

export const SESSION_COOKIE = 'R_SESS';
/** Cookie whose value browsers must echo in `X-API-CSRF` on writes authenticated by the session cookie. */
export const CSRF_COOKIE = 'CSRF';

/** Where the credential `rawCredential` returns comes from. */
export function credentialSource(headers: RequestHeaders): 'header' | 'cookie' | undefined {
  if (headers.authorization?.trim()) return 'header';
  return readCookie(headers.cookie, SESSION_COOKIE) === undefined ? undefined : 'cookie';
}

export function rawCredential(headers: RequestHeaders): string | undefined {
  const auth = headers.authorization?.trim();
  if (auth) {
    const space = auth.indexOf(' ');
    const scheme = (space < 0 ? auth : auth.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : auth.slice(space + 1).trim();
    if (scheme === 'bearer') return value;
    if (scheme === 'basic') return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    return undefined; // an unknown scheme carries no Paddock credential (as in Rancher)
  }
  return readCookie(headers.cookie, SESSION_COOKIE);
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeCookieValue(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** Percent-decodes a cookie value; a malformed escape leaves it as sent (it then fails authentication). */
function decodeCookieValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch (err) {
    if (err instanceof URIError) return value; // e.g. %E0%A4%A: well-formed escapes, invalid UTF-8
    throw err;
  }
}

/** Splits `token-xxxxx:secret`; undefined when the shape is wrong. */
export function splitToken(raw: string): { name: string; secret: string } | undefined {
  const parts = raw.split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { name: parts[0], secret: parts[1] };
}
