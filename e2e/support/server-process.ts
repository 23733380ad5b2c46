import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpsCall } from '../../packages/server/src/testing/test-server.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const paddockBin = join(repoRoot, 'bin', 'paddock');

/** A port free on 127.0.0.1 right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return address.port;
}

/** A `bin/paddock server` child process, as a user would start it. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  httpsPort: number;
  dataDir: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal) once the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ca(): Promise<string>;
}

/**
 * Spawns `bin/paddock <args>`; `prefix` runs it under another command (e.g. `ip netns exec <ns>`).
 */
export function spawnPaddock(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  prefix: string[] = [],
): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: ServerProcess['exited'] } {
  const [cmd, ...cmdArgs] = [...prefix, process.execPath, paddockBin, ...args];
  const child = spawn(cmd ?? process.execPath, cmdArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Whether `/ping` at `url` answers 200, over TLS verified against `ca` (undefined: not verified). */
const pings = (url: string, ca: string | undefined): Promise<boolean> =>
  httpsCall(`${url}/ping`, ca ?? '', 'GET', { insecure: ca === undefined }).then(
    (r) => r.status === 200,
    () => false,
  );

/** Whether the server at `url` serves a certificate signed by the CA in `dataDir` (false while there is none). */
async function servesOwnCa(url: string, dataDir: string): Promise<boolean> {
  const ca = await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  return ca !== undefined && pings(url, ca);
}

/** Starts the server on a free HTTPS port (HTTP off unless given) and waits for `/ping`. */
export async function startPaddock(dataDir: string, extra: string[] = [], httpsPort?: number): Promise<ServerProcess> {
  const port = httpsPort ?? (await freePort());
  const hasHttp = extra.includes('--http-port');
  const args = ['server', '--data-dir', dataDir, '--https-port', String(port), '--bind-address', '127.0.0.1', '--log-level', 'warn', ...(hasHttp ? [] : ['--http-port', '0']), ...extra];
  const proc = spawnPaddock(args);
  const url = `https://127.0.0.1:${port}`;
  let ended = false;
  void proc.exited.then(() => (ended = true));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (ended) throw new Error(`paddock exited before ready:\n${proc.stderr()}\n${proc.stdout()}`);
    if (Date.now() > deadline) throw new Error(`paddock not ready in 20 s:\n${proc.stderr()}`);
    // Another test's server may have taken the port between freePort() and our listen: only a server with our
    // data dir's CA is ours (then this one fails to listen and the loop reports it). --tls-cert brings its own CA.
    if (extra.includes('--tls-cert') ? await pings(url, undefined) : await servesOwnCa(url, dataDir)) break;
    await sleep(20);
  }
  return { ...proc, url, httpsPort: port, dataDir, ca: () => readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8') };
}

/** Stops a server process with a signal and returns how it ended. */
export async function stopPaddock(p: ServerProcess, signal: NodeJS.Signals = 'SIGTERM') {
  p.child.kill(signal);
  return p.exited;
}
