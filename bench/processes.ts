// Child processes and temporary directories the benchmark owns, and their cleanup (also on errors and signals).
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A child process with the last bytes of its output kept for error messages. */
export interface Child {
  process: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** The last few KB of stdout and stderr, interleaved. */
  outputTail(): string;
}

const OUTPUT_TAIL_BYTES = 8 * 1024;
const STOP_GRACE_MS = 5_000;

const children = new Set<Child>();
const tempDirs = new Set<string>();

export function spawnChild(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Child {
  const proc = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`could not spawn ${command} ${args.join(' ')}`);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
  };
  // Always drain both pipes, so a chatty child never blocks on a full pipe.
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const child: Child = { process: proc, pid: proc.pid, exited, outputTail: () => tail };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

/**
 * SIGTERM, then SIGKILL if the process has not exited within the grace period. Returns true when it
 * exited by itself (or had already), false when it had to be killed.
 */
export async function stopChild(child: Child, graceMs = STOP_GRACE_MS): Promise<boolean> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return true;
  child.process.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const outcome = await Promise.race([child.exited, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    child.process.kill('SIGKILL');
    await child.exited;
    return false;
  }
  return true;
}

export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Stops every child still running and removes every temporary directory. */
export async function cleanupAll(): Promise<void> {
  await Promise.allSettled([...children].map((c) => stopChild(c)));
  await Promise.allSettled([...tempDirs].map((d) => rm(d, { recursive: true, force: true })));
  tempDirs.clear();
}

/** Last-resort cleanup when the process exits without `cleanupAll` (synchronous: 'exit' handlers cannot wait). */
function cleanupSync(): void {
  for (const c of children) c.process.kill('SIGKILL');
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
}

/** Cleans up on SIGINT/SIGTERM and on any exit, so an interrupted run leaves no servers or data dirs behind. */
export function installCleanupHandlers(): void {
  process.once('exit', cleanupSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping servers and removing temporary data\n`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago (for servers that must be told their port up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** A memory field of /proc/<pid>/status (VmRSS, VmHWM, RssAnon, ...) of a live process, in MB (Linux). */
export async function readStatusMb(pid: number, field: string): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
  if (!match?.[1]) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** VmRSS of a live process in MB (Linux /proc). */
export const readRssMb = (pid: number): Promise<number> => readStatusMb(pid, 'VmRSS');

/** The open-files limit (soft, hard) of this process; Node raises its soft limit to the hard one at start. */
export async function readOpenFilesLimit(): Promise<{ soft: number; hard: number }> {
  const limits = await readFile('/proc/self/limits', 'utf8');
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)\s/m.exec(limits);
  if (!match?.[1] || !match[2]) throw new Error(`no open-files limit in /proc/self/limits:\n${limits}`);
  const parse = (v: string) => (v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v));
  return { soft: parse(match[1]), hard: parse(match[2]) };
}

/** User + system CPU seconds a live process (all its threads) has used so far (Linux /proc, USER_HZ = 100). */
export async function readCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name (which may contain spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unexpected /proc/${pid}/stat: ${stat}`);
  return (utime + stime) / 100;
}

/** Waits for a child's stdout line matching `pattern` (e.g. /^ready (\d+)$/m) and returns the match. */
export function waitForLine(child: Child, pattern: RegExp, what: string, deadlineMs = 15_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = pattern.exec(seen);
      if (match) finish(() => resolve(match));
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`${what}: no ${pattern} within ${deadlineMs} ms:\n${child.outputTail()}`))), deadlineMs);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      child.process.stdout?.off('data', onData);
      settle();
    };
    child.process.stdout?.on('data', onData);
    void child.exited.then((code) => finish(() => reject(new Error(`${what} exited (${code}) before printing ${pattern}:\n${child.outputTail()}`))));
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
