/**
 * What an audit entry must never carry, at any level: passwords, token secrets, registration tokens (and
 * the commands that embed them), private keys and certificates. Redaction is by field name and, for
 * values that turn up under other names, by shape (PEM blocks, `token-xxxxx:secret` values).
 */
const SECRET_FIELDS = new Set(
  [
    'password',
    'currentPassword',
    'newPassword',
    'passwordHash',
    'token',
    'tokenHash',
    'secret',
    'secretKey',
    'privateKey',
    'key',
    'caCert',
    'caCerts',
    'cacerts',
    'certificate',
    'certs',
    'kubeConfig',
    'nodeCommand',
    'insecureNodeCommand',
    'agentCommand',
    'insecureAgentCommand',
    'command',
    'insecureCommand',
    'manifestUrl',
  ].map((f) => f.toLowerCase()),
);

export const REDACTED = '[redacted]';
const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;
const TOKEN_VALUE = /\b(token-[a-z0-9]{5}):[A-Za-z0-9]+/g;
/** The registration token in an import manifest's path. */
const IMPORT_PATH = /(\/v3\/import\/)[^/?]+/gi;

export function redactString(value: string): string {
  return value.replace(PEM, '[redacted PEM]').replace(TOKEN_VALUE, `$1:${REDACTED}`).replace(IMPORT_PATH, `$1${REDACTED}`);
}

/** A deep copy of `value` with every secret replaced by `[redacted]`. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 32) return REDACTED; // deeper than any resource Paddock serves: not worth walking
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_FIELDS.has(k.toLowerCase()) && v !== null && v !== '' ? REDACTED : redact(v, depth + 1);
  }
  return out;
}
