// Start-to-ready on an existing data dir: N starts, each timed from spawn to the first `/ping` → `pong`.
import { startPaddock, type PaddockProcess } from './paddock.js';
import { stopChild } from './processes.js';

export interface StartupResult {
  samplesMs: number[];
  /** The last started server, left running for the measurements that follow. */
  running: PaddockProcess;
}

export async function measureStarts(dataDir: string, ca: string, count: number): Promise<StartupResult> {
  if (count < 1) throw new Error('need at least one start');
  const samplesMs: number[] = [];
  for (let i = 1; i < count; i++) {
    const server = await startPaddock(dataDir, ca);
    samplesMs.push(server.readyMs);
    await stopChild(server.child);
  }
  const running = await startPaddock(dataDir, ca);
  samplesMs.push(running.readyMs);
  return { samplesMs, running };
}
