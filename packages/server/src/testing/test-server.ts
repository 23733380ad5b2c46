import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { pino } from 'pino';
import { parseServerConfig, type RawServerOptions } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';

/** What a test gets back from one HTTP call. */
export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON (undefined when empty or not JSON). */
  // Tests read arbitrary response shapes; `any` keeps assertions on nested fields short.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (for malformed bodies). */
  rawBody?: string | Buffer;
  token?: string;
  headers?: Record<string, string>;
  /** Skip certificate verification (like curl --insecure). */
  insecure?: boolean;
  /** Give up (reject) when no answer came in this long; default: wait for ever. */
  timeoutMs?: number;
}

/**
 * A real Paddock server on an ephemeral port with a temporary data dir, and an HTTPS client that trusts
 * its CA. `close()` stops it and removes the data dir (unless `keepDataDir`).
 */
export interface TestServer {
  url: string;
  dataDir: string;
  ca: string;
  server: RunningServer;
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  /** Logs in as `username` and returns the token. */
  login(username: string, password: string): Promise<string>;
  /** Logs in as admin (changing the first-start password to ADMIN_PASSWORD when needed): an admin token. */
  adminToken(): Promise<string>;
  close(options?: { keepDataDir?: boolean }): Promise<void>;
}

export const ADMIN_PASSWORD = 'a-much-better-password';

export function httpsCall(url: string, ca: string, method: string, options: RequestOptions = {}): Promise<TestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: string | Buffer | undefined = options.rawBody;
  if (payload === undefined && options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const tls = options.insecure ? { rejectUnauthorized: false } : { ca };
    const req = httpsRequest(url, { method, headers, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch (err) {
          json = undefined;
          void err; // not JSON (HTML, text): `text` has it
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    if (options.timeoutMs !== undefined) req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`no answer from ${url} in ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function startTestServer(options: RawServerOptions & { dataDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'paddock-test-')));
  const { env = {}, ...flags } = options;
  const config = parseServerConfig({ httpsPort: '0', httpPort: '0', bindAddress: '127.0.0.1', logLevel: 'silent', ...flags, dataDir }, env);
  const server = await startServer(config, pino({ level: config.logLevel }));
  const ca = await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8');
  const request = (method: string, path: string, o?: RequestOptions) => httpsCall(server.url + path, ca, method, o);
  const login = async (username: string, password: string) => {
    const res = await request('POST', '/v3-public/localProviders/local?action=login', { body: { username, password } });
    if (res.status !== 201) throw new Error(`login as ${username} failed: ${res.status} ${res.text}`);
    return String(res.json.token);
  };
  let adminToken: string | undefined;
  return {
    url: server.url,
    dataDir,
    ca,
    server,
    request,
    login,
    async adminToken() {
      if (adminToken) return adminToken;
      const first = await request('POST', '/v3-public/localProviders/local?action=login', { body: { username: 'admin', password: 'admin' } });
      if (first.status === 201) {
        const change = await request('POST', '/v3/users?action=changepassword', {
          token: first.json.token,
          body: { currentPassword: 'admin', newPassword: ADMIN_PASSWORD },
        });
        if (change.status !== 200) throw new Error(`changepassword failed: ${change.text}`);
        adminToken = String(first.json.token);
      } else {
        adminToken = await login('admin', ADMIN_PASSWORD);
      }
      return adminToken;
    },
    async close(o = {}) {
      await server.close();
      if (!o.keepDataDir && options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a test server with an admin token before a suite's tests and stops it after them (node:test
 * `before`/`after`). Read `ctx.srv` and `ctx.token` inside tests.
 */
export function useTestServer(options: Parameters<typeof startTestServer>[0] = {}): { srv: TestServer; token: string } {
  const ctx = {} as { srv: TestServer; token: string };
  before(async () => {
    ctx.srv = await startTestServer(options);
    ctx.token = await ctx.srv.adminToken();
  });
  after(() => ctx.srv.close());
  return ctx;
}
