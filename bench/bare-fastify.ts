// Starts bare-fastify-server.ts in its own process and waits for its `ready <port>` line.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './paddock.js';
import { spawnChild, type Child } from './processes.js';

const SERVER_SCRIPT = fileURLToPath(new URL('./bare-fastify-server.ts', import.meta.url));
const READY_DEADLINE_MS = 15_000;

export interface BareServer {
  child: Child;
  url: string;
}

export interface BareServerOptions {
  /** Directory with serving.crt and serving.key (Paddock's `<dataDir>/tls`). */
  tlsDir: string;
  /** Where the response body is written for the child to read. */
  workDir: string;
  route: string;
  body: Buffer;
  contentType: string;
}

export async function startBareFastify(options: BareServerOptions): Promise<BareServer> {
  const bodyFile = join(options.workDir, 'bare-response.body');
  await writeFile(bodyFile, options.body);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BARE_CERT_FILE: join(options.tlsDir, 'serving.crt'),
    BARE_KEY_FILE: join(options.tlsDir, 'serving.key'),
    BARE_BODY_FILE: bodyFile,
    BARE_CONTENT_TYPE: options.contentType,
    BARE_ROUTE: options.route,
  };
  // tsx only transpiles the file at load time; request handling is plain fastify.
  const child = spawnChild(process.execPath, ['--import', 'tsx', SERVER_SCRIPT], { cwd: REPO_ROOT, env });
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`bare fastify not ready within ${READY_DEADLINE_MS} ms:\n${child.outputTail()}`)), READY_DEADLINE_MS);
    child.process.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /^ready (\d+)$/m.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void child.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`bare fastify exited (${code}) before it was ready:\n${child.outputTail()}`));
    });
  });
  return { child, url: `https://127.0.0.1:${port}` };
}
