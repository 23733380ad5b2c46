import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './server-process.js';

/** Debian's haproxy, as a TCP load balancer in front of Paddock replicas. */
export interface LoadBalancer {
  port: number;
  url: string;
  log(): string;
  stop(): Promise<void>;
}

const binary = () => ['/usr/sbin/haproxy', 'haproxy'].find((b) => spawnSync(b, ['-v']).status === 0);

/**
 * haproxy in TCP mode (TLS passes through to the replicas, as agents' websockets need), round robin over
 * `backends`, each checked with `GET /ping` over TLS every 300 ms (down after 2 failures, so a paused replica
 * is taken out in about a second). A connection refused is retried on another replica. With `proxyProtocol`,
 * each connection starts with a PROXY v2 header naming the client (the replicas need --proxy-protocol-from);
 * `source` is the loopback address haproxy connects to the replicas from (what they trust for headers).
 */
export async function startHaproxy(backends: number[], options: { proxyProtocol?: boolean; source?: string } = {}): Promise<LoadBalancer> {
  const bin = binary();
  if (!bin) throw new Error('haproxy is not installed (apt-get install haproxy; npm test installs it)');
  const dir = await mkdtemp(join(tmpdir(), 'paddock-haproxy-'));
  const port = await freePort();
  const config = [
    'global',
    '  maxconn 4000',
    'defaults',
    '  mode tcp',
    '  timeout connect 1s',
    '  timeout client 10m',
    '  timeout server 10m',
    '  timeout check 1s',
    '  retries 3',
    '  option redispatch',
    'frontend paddock',
    `  bind 127.0.0.1:${port}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    ...(options.source ? [`  source ${options.source}`] : []),
    '  option httpchk GET /ping',
    `  default-server check check-ssl verify none inter 300 fall 2 rise 1${options.proxyProtocol ? ' send-proxy-v2 check-send-proxy' : ''}`,
    ...backends.map((p, i) => `  server replica-${i} 127.0.0.1:${p}`),
    '',
  ].join('\n');
  const file = join(dir, 'haproxy.cfg');
  await writeFile(file, config);
  const child: ChildProcess = spawn(bin, ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit');
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`haproxy not listening in 10 s: ${output}`);
    await sleep(50);
  }
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
