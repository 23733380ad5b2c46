// Load with autocannon (in this process; the servers under test run in their own processes).
import autocannon from 'autocannon';
import { readCpuSeconds } from './processes.js';
import { percentile } from './stats.js';

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  headers?: Record<string, string>;
  /** PEM CA that signed the server certificate (autocannon itself never verifies; passed for completeness). */
  ca: string;
  /** The server's process, to measure the CPU it spends (is it saturated, or is the load generator the limit?). */
  serverPid: number;
  /** Another method than GET, with this body (e.g. POST and a JSON object; set its content-type in `headers`). */
  method?: 'POST' | 'PUT';
  body?: string;
  /** Give every request its own query string (`?_n=<count>`), so no response cache can answer it. */
  uniquePaths?: boolean;
}

export interface LoadResult {
  connections: number;
  durationSeconds: number;
  requests: number;
  /** Completed 2xx responses per second over the whole run. */
  rps: number;
  /** Latency percentiles in ms, exact (from every response's own timing, not autocannon's 1 ms-bucket histogram). */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Connection errors, timeouts and non-2xx responses: any of these makes the figures suspect. */
  errors: number;
  timeouts: number;
  non2xx: number;
  /** How many answers each non-2xx status had, e.g. { '409': 1 }. */
  non2xxStatuses: Record<string, number>;
  /** Server CPU during the measured run: share of one core, and milliseconds of CPU per completed request. */
  serverCpuCores: number;
  serverCpuMsPerRequest: number;
}

/** An autocannon setupRequest that appends a counter to each request's path. */
function uniquePath() {
  let n = 0;
  return (req: { path?: string }) => {
    const path = req.path ?? '/';
    return { ...req, path: `${path}${path.includes('?') ? '&' : '?'}_n=${n++}` };
  };
}

function runAutocannon(options: LoadOptions, onLatency: (ms: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        headers: options.headers,
        ...(options.method ? { method: options.method, body: options.body } : {}),
        tlsOptions: { ca: options.ca },
        ...(options.uniquePaths ? { requests: [{ setupRequest: uniquePath() }] } : {}),
      },
      (err: unknown, result: autocannon.Result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result)),
    );
    // Every response's own time (ms, fractional), for exact percentiles.
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) onLatency(responseTime);
    });
  });
}

/** A short unmeasured run first (JIT, TLS session setup, caches), then the measured run. */
export async function measureLoad(options: LoadOptions, warmupSeconds: number): Promise<LoadResult> {
  if (warmupSeconds > 0) await runAutocannon({ ...options, durationSeconds: warmupSeconds }, () => undefined);
  const latencies: number[] = [];
  const cpuBefore = await readCpuSeconds(options.serverPid);
  const result = await runAutocannon(options, (ms) => latencies.push(ms));
  const cpuSeconds = (await readCpuSeconds(options.serverPid)) - cpuBefore;
  const elapsedSeconds = (result.finish.getTime() - result.start.getTime()) / 1000;
  return {
    connections: options.connections,
    durationSeconds: elapsedSeconds,
    requests: latencies.length,
    rps: latencies.length / elapsedSeconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    non2xxStatuses: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {})
        .filter(([status]) => !status.startsWith('2'))
        .map(([status, stats]) => [status, stats.count ?? 0]),
    ),
    serverCpuCores: cpuSeconds / elapsedSeconds,
    serverCpuMsPerRequest: (cpuSeconds * 1000) / latencies.length,
  };
}
