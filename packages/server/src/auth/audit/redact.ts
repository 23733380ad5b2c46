/**
 * What an audit entry must never carry, at any level: passwords, token secrets, registration tokens (and
 * the commands that embed them), private keys and certificates. Redaction is by field name and, for
 * values that turn up under other names, by shape (PEM blocks, base64-encoded too, `token-xxxxx:secret`
 * values), and in YAML text (a generated kubeconfig) by key: `*-data`, `*token`, `*password` lines.
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
/** A PEM block in base64, as kubeconfigs carry them: `-----BEGIN` always encodes to `LS0tLS1CRUdJTi`. */
const BASE64_PEM = /LS0tLS1CRUdJTi[A-Za-z0-9+/=]*/g;
const TOKEN_VALUE = /\b(token-[a-z0-9]{5}):[A-Za-z0-9]+/g;
/** The registration token in an import manifest's path. */
const IMPORT_PATH = /(\/v3\/import\/)[^/?]+/gi;

/**
 * A YAML line whose key names a credential, with a value: kubeconfig's `certificate-authority-data`,
 * `client-certificate-data`, `client-key-data`, `token`, `id-token`, `password`, ... Groups: the indent
 * (and list dash) before the key, the key with its colon, the value.
 */
const YAML_SECRET_LINE = /^([ \t]*(?:- +)?)(["']?[\w.-]*(?:-data|token|password)["']?[ \t]*:)[ \t]+(\S.*)$/i;
const YAML_SECRET_ANYWHERE = new RegExp(YAML_SECRET_LINE.source, 'im');

/**
 * Replaces the values of credential keys in YAML text, keeping the keys so the record still shows the
 * file's shape. A block scalar (`key: |`) loses the lines under it too.
 */
function redactYamlSecrets(text: string): string {
  const out: string[] = [];
  /** Inside a redacted block scalar: lines indented deeper than its key (and blank ones) are its value. */
  let blockKeyIndent: number | undefined;
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (blockKeyIndent !== undefined && (line.trim() === '' || indent > blockKeyIndent)) continue;
    blockKeyIndent = undefined;
    const match = YAML_SECRET_LINE.exec(line);
    if (!match) {
      out.push(line);
      continue;
    }
    const [, before = '', key = '', value = ''] = match;
    out.push(`${before}${key} ${REDACTED}`);
    if (/^[|>]/.test(value)) blockKeyIndent = before.length;
  }
  return out.join('\n');
}

export function redactString(value: string): string {
  const redacted = value
    .replace(PEM, '[redacted PEM]')
    .replace(BASE64_PEM, '[redacted PEM]')
    .replace(TOKEN_VALUE, `$1:${REDACTED}`)
    .replace(IMPORT_PATH, `$1${REDACTED}`);
  // Most strings hold no such line: test once before splitting them into lines.
  return YAML_SECRET_ANYWHERE.test(redacted) ? redactYamlSecrets(redacted) : redacted;
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
