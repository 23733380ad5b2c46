// One real agent (`bin/paddock agent`) against an in-process server (`startTestServer`, so the bench can
// use its `dialer`): the agent's idle RSS, then the throughput of one tunnelled stream
// (`dialer.dial({ nodeId }, '127.0.0.1', port)`: server -> websocket over TLS -> agent -> TCP) against a
// direct loopback TCP connection to the same far end (tcp-peer.ts, its own process), both directions; and, as
// the ceiling any TLS transport in Node has here, one plain TLS connection piped by a relay process (tls-relay.ts).
import { once } from 'node:events';
import { join } from 'node:path';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../packages/server/src/testing/test-server.js';
import { createAgentCluster, listNodes, PADDOCK_BIN, REPO_ROOT } from './paddock.js';
import { makeTempDir, readCpuSeconds, readRssMb, readStatusMb, sleep, spawnChild, stopChild, waitForLine, type Child } from './processes.js';
import { median, round, verdict } from './stats.js';

const PEER_SCRIPT = fileURLToPath(new URL('./tcp-peer.ts', import.meta.url));
const TLS_RELAY_SCRIPT = fileURLToPath(new URL('./tls-relay.ts', import.meta.url));
const NODE_NAME = 'bench-agent';
const CONNECT_DEADLINE_MS = 20_000;
const IDLE_MS = 3_000;
const WARMUP_MIB = 32;
const RUNS = 3;
const CHUNK = Buffer.alloc(64 * 1024, 0xa5);
const MiB = 1024 * 1024;

export const TUNNEL_TARGETS = { throughputRatio: 0.5, agentIdleRssMb: 40 };

type Log = (line?: string) => void;
type Direction = 'push' | 'pull';

/** Writes `bytes` (after an `up <n>` line) with backpressure; resolves with the seconds until the peer's `ok`. */
async function push(socket: Duplex, bytes: number): Promise<number> {
  const started = performance.now();
  const acked = new Promise<void>((resolve, reject) => {
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('ok\n')) resolve();
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('the connection closed before the peer had every byte')));
  });
  acked.catch(() => undefined); // awaited below; this only keeps an early failure from being unhandled
  socket.write(`up ${bytes}\n`);
  let left = bytes;
  while (left > 0) {
    const size = Math.min(left, CHUNK.length);
    left -= size;
    if (!socket.write(size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size))) await Promise.race([once(socket, 'drain'), acked]);
  }
  await acked;
  return (performance.now() - started) / 1000;
}

/** Asks the peer for `bytes` (`down <n>`); resolves with the seconds until all have arrived. */
async function pull(socket: Duplex, bytes: number): Promise<number> {
  const started = performance.now();
  const received = new Promise<void>((resolve, reject) => {
    let got = 0;
    socket.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got >= bytes) resolve();
    });
    socket.once('error', reject);
    socket.once('close', () => (got >= bytes ? resolve() : reject(new Error(`the connection closed after ${got} of ${bytes} bytes`))));
  });
  socket.write(`down ${bytes}\n`);
  await received;
  return (performance.now() - started) / 1000;
}

/** One TLS connection to the relay process, which pipes it to the peer: the tunnel's hops without the tunnel. */
async function tlsPiped(port: number, ca: string): Promise<Duplex> {
  const socket = tlsConnect({ host: '127.0.0.1', port, ca });
  await once(socket, 'secureConnect');
  return socket;
}

async function direct(port: number): Promise<Duplex> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await once(socket, 'connect');
  return socket;
}

interface PathFigures {
  mibPerSecond: number;
  samples: number[];
  /** CPU seconds per GiB moved, summed over the measured runs: this process (source/sink, in-process server), the agent, the peer. */
  cpuPerGib: { benchProcess: number; agent: number; peer: number };
}

/** The CPU seconds a run costs each process. */
async function cpuNow(agent: Child, peer: Child) {
  const own = process.cpuUsage();
  return { benchProcess: (own.user + own.system) / 1e6, agent: await readCpuSeconds(agent.pid), peer: await readCpuSeconds(peer.pid) };
}

async function measurePath(
  open: () => Promise<Duplex>,
  direction: Direction,
  bytes: number,
  agent: Child,
  peer: Child,
): Promise<{ seconds: number; cpu: { benchProcess: number; agent: number; peer: number } }> {
  const socket = await open();
  try {
    const before = await cpuNow(agent, peer);
    const seconds = await (direction === 'push' ? push(socket, bytes) : pull(socket, bytes));
    const after = await cpuNow(agent, peer);
    return { seconds, cpu: { benchProcess: after.benchProcess - before.benchProcess, agent: after.agent - before.agent, peer: after.peer - before.peer } };
  } finally {
    socket.destroy();
  }
}

type PathName = 'tunnel' | 'tls' | 'direct';
const PATHS: PathName[] = ['tunnel', 'tls', 'direct'];

async function compare(direction: Direction, mib: number, paths: Record<PathName, () => Promise<Duplex>>, agent: Child, peer: Child) {
  const bytes = mib * MiB;
  for (const open of Object.values(paths)) await measurePath(open, direction, WARMUP_MIB * MiB, agent, peer);
  const figures = {} as Record<PathName, PathFigures>;
  const runs: Record<PathName, Awaited<ReturnType<typeof measurePath>>[]> = { tunnel: [], tls: [], direct: [] };
  // Interleaved, so a slow moment of the machine does not land on one path only.
  for (let i = 0; i < RUNS; i++) for (const name of PATHS) runs[name].push(await measurePath(paths[name], direction, bytes, agent, peer));
  for (const name of PATHS) {
    const samples = runs[name].map((r) => mib / r.seconds);
    const gib = (bytes * RUNS) / (1024 * MiB);
    const sum = (key: 'benchProcess' | 'agent' | 'peer') => runs[name].reduce((a, r) => a + r.cpu[key], 0) / gib;
    figures[name] = { mibPerSecond: median(samples), samples, cpuPerGib: { benchProcess: sum('benchProcess'), agent: sum('agent'), peer: sum('peer') } };
  }
  return { ...figures, ratio: figures.tunnel.mibPerSecond / figures.direct.mibPerSecond, ratioToTls: figures.tunnel.mibPerSecond / figures.tls.mibPerSecond };
}

const pathJson = (p: PathFigures) => ({
  mibPerSecond: round(p.mibPerSecond, 0),
  samples: p.samples.map((s) => round(s, 0)),
  cpuSecondsPerGib: { benchProcess: round(p.cpuPerGib.benchProcess), agent: round(p.cpuPerGib.agent), peer: round(p.cpuPerGib.peer) },
});

export interface TunnelResult {
  json: Record<string, unknown>;
  targetsMet: { agentIdleRss: boolean; tunnelThroughputPush: boolean; tunnelThroughputPull: boolean };
}

export async function measureTunnelAndAgent(mib: number, log: Log): Promise<TunnelResult> {
  const dataDir = await makeTempDir('paddock-bench-tunnel-');
  let srv: TestServer | undefined;
  const children: Child[] = [];
  try {
    srv = await startTestServer({ dataDir, agentTimeout: '40' });
    const admin = await srv.adminToken();
    const cluster = await createAgentCluster(srv.url, srv.ca, admin, 'bench-tunnel');

    // 5. Idle RSS of one real agent, next to a bare node process idling as long (what the runtime alone costs).
    const bare = spawnChild(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { cwd: REPO_ROOT });
    const agent = spawnChild(
      process.execPath,
      [PADDOCK_BIN, 'agent', '--server', srv.url, '--token', cluster.token, '--ca-checksum', cluster.caChecksum, '--worker', '--node-name', NODE_NAME, '--address', '127.0.0.1'],
      { cwd: REPO_ROOT },
    );
    children.push(bare, agent);
    const deadline = Date.now() + CONNECT_DEADLINE_MS;
    let nodeId: string | undefined;
    while (!nodeId) {
      if (agent.process.exitCode !== null) throw new Error(`the agent exited (${agent.process.exitCode}):\n${agent.outputTail()}`);
      if (Date.now() > deadline) throw new Error(`the agent's node was not active within ${CONNECT_DEADLINE_MS} ms:\n${agent.outputTail()}`);
      nodeId = (await listNodes(srv.url, srv.ca, admin, cluster.clusterId)).find((n) => n.nodeName === NODE_NAME && n.state === 'active')?.id;
      if (!nodeId) await sleep(100);
    }
    await sleep(IDLE_MS);
    const agentRss = await readRssMb(agent.pid);
    // RssAnon: the process's own memory (heap, stacks); the rest of VmRSS is mapped files, mostly the node binary.
    const agentAnon = await readStatusMb(agent.pid, 'RssAnon');
    const bareRss = await readRssMb(bare.pid);
    const bareAnon = await readStatusMb(bare.pid, 'RssAnon');
    await stopChild(bare);
    const rssOk = agentRss <= TUNNEL_TARGETS.agentIdleRssMb;
    log(
      `agent idle RSS: ${agentRss.toFixed(1)} MB, of which ${agentAnon.toFixed(1)} MB anonymous (bin/paddock agent, connected, idle ${IDLE_MS / 1000} s; ` +
        `a bare node process idles at ${bareRss.toFixed(1)} MB, ${bareAnon.toFixed(1)} MB anonymous)  ` +
        `target <= ${TUNNEL_TARGETS.agentIdleRssMb} MB: ${verdict(rssOk)}`,
    );

    // 4. Throughput: the same far end reached through the tunnel and directly.
    const peer = spawnChild(process.execPath, ['--import', 'tsx', PEER_SCRIPT], { cwd: REPO_ROOT });
    children.push(peer);
    const port = Number((await waitForLine(peer, /^ready (\d+)$/m, 'tcp peer'))[1]);
    const server = srv.server;
    const via = { nodeId };
    const relay = spawnChild(process.execPath, ['--import', 'tsx', TLS_RELAY_SCRIPT, join(dataDir, 'tls', 'serving.crt'), join(dataDir, 'tls', 'serving.key'), String(port)], { cwd: REPO_ROOT });
    children.push(relay);
    const relayPort = Number((await waitForLine(relay, /^ready (\d+)$/m, 'tls relay'))[1]);
    const paths = { tunnel: () => server.dialer.dial(via, '127.0.0.1', port), tls: () => tlsPiped(relayPort, srv?.ca ?? ''), direct: () => direct(port) };
    const results = { push: await compare('push', mib, paths, agent, peer), pull: await compare('pull', mib, paths, agent, peer) };
    const label = { push: 'server -> target', pull: 'target -> server' };
    for (const direction of ['push', 'pull'] as const) {
      const r = results[direction];
      const cpu = r.tunnel.cpuPerGib;
      log(
        `tunnel throughput ${label[direction]} (${mib} MiB, median of ${RUNS}): tunnelled ${r.tunnel.mibPerSecond.toFixed(0)} MiB/s, ` +
          `direct loopback ${r.direct.mibPerSecond.toFixed(0)} MiB/s, ratio ${r.ratio.toFixed(2)}  target >= ${TUNNEL_TARGETS.throughputRatio}: ${verdict(r.ratio >= TUNNEL_TARGETS.throughputRatio)}; ` +
          `the ceiling, one plain TLS connection between two node processes piped to the same target: ${r.tls.mibPerSecond.toFixed(0)} MiB/s (tunnel/TLS ${r.ratioToTls.toFixed(2)}); ` +
          `CPU s/GiB tunnelled: bench process (server side) ${cpu.benchProcess.toFixed(2)}, agent ${cpu.agent.toFixed(2)}, peer ${cpu.peer.toFixed(2)} ` +
          `(direct: ${r.direct.cpuPerGib.benchProcess.toFixed(2)}, -, ${r.direct.cpuPerGib.peer.toFixed(2)})`,
      );
    }
    const dirJson = (d: Direction) => ({
      tunnel: pathJson(results[d].tunnel),
      tls: pathJson(results[d].tls),
      direct: pathJson(results[d].direct),
      ratio: round(results[d].ratio, 3),
      ratioToTls: round(results[d].ratioToTls, 3),
    });
    return {
      json: {
        agentIdleRssMb: round(agentRss, 1),
        agentIdleRssAnonMb: round(agentAnon, 1),
        bareNodeRssMb: round(bareRss, 1),
        bareNodeRssAnonMb: round(bareAnon, 1),
        throughput: { mib, runs: RUNS, push: dirJson('push'), pull: dirJson('pull') },
      },
      targetsMet: {
        agentIdleRss: rssOk,
        tunnelThroughputPush: results.push.ratio >= TUNNEL_TARGETS.throughputRatio,
        tunnelThroughputPull: results.pull.ratio >= TUNNEL_TARGETS.throughputRatio,
      },
    };
  } finally {
    await Promise.allSettled(children.map((c) => stopChild(c)));
    await srv?.close();
  }
}
