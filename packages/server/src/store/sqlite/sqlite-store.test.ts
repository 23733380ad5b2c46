import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runStoreConformance } from '../conformance.js';
import { StoreCompactedError } from '../types.js';
import { SCHEMA_VERSION } from './schema.js';
import { SqliteStore } from './sqlite-store.js';

const HISTORY_LIMIT = 20;
const here = dirname(fileURLToPath(import.meta.url));

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'paddock-sqlite-store-'));
}

runStoreConformance('sqlite file', async () => {
  const dir = await tempDir();
  const path = join(dir, 'store.db');
  const store = SqliteStore.open({ path, historyLimit: HISTORY_LIMIT });
  return {
    store,
    historyLimit: HISTORY_LIMIT,
    reopen: async () => SqliteStore.open({ path, historyLimit: HISTORY_LIMIT }),
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStore', () => {
  test('rejects a historyLimit below 1', () => {
    assert.throws(() => SqliteStore.open({ path: ':memory:', historyLimit: 0 }), RangeError);
  });

  test('keeps between historyLimit and historyLimit + a tenth of events', async () => {
    const store = SqliteStore.open({ path: ':memory:', historyLimit: 10 });
    try {
      await store.create('widget', 'w', { n: 0 });
      for (let n = 1; n <= 40; n++) {
        await store.update('widget', 'w', { n });
        const current = await store.revision();
        const kept = store.watch({ fromRevision: Math.max(0, current - 10) })[Symbol.asyncIterator]();
        assert.equal((await kept.next()).done, false);
        await kept.return?.();
        if (current < 12) continue;
        const gone = store.watch({ fromRevision: current - 12 })[Symbol.asyncIterator]();
        await assert.rejects(gone.next(), StoreCompactedError);
      }
    } finally {
      await store.close();
    }
  });

  test('rejects data that is not JSON and a bad fromRevision, without writing', async () => {
    const store = SqliteStore.open({ path: ':memory:' });
    try {
      await assert.rejects(store.create('widget', 'w', undefined), TypeError);
      await assert.rejects(store.create('widget', 'w', { n: 1n }), TypeError);
      assert.equal(await store.revision(), 0);
      await assert.rejects(store.watch({ fromRevision: -1 })[Symbol.asyncIterator]().next(), RangeError);
    } finally {
      await store.close();
    }
  });

  test('migrates a new file once and refuses a newer schema', async () => {
    const dir = await tempDir();
    const path = join(dir, 'store.db');
    try {
      await SqliteStore.open({ path }).close();
      await SqliteStore.open({ path }).close();
      const db = new Database(path);
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      db.close();
      assert.throws(() => SqliteStore.open({ path }), /newer than this Paddock supports/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('keeps every acknowledged write when the writer is killed with SIGKILL', { timeout: 60_000 }, async () => {
    const dir = await tempDir();
    const path = join(dir, 'store.db');
    try {
      const acknowledged = await runAndKillWriter(path, 200);
      assert.ok(acknowledged.length >= 200, `only ${acknowledged.length} writes acknowledged`);

      const db = new Database(path);
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      db.close();

      const store = SqliteStore.open({ path });
      try {
        const present = new Set((await store.list('crash')).items.map((o) => o.id));
        const lost = acknowledged.filter((id) => !present.has(id));
        assert.deepEqual(lost, [], 'acknowledged writes lost');
        assert.ok((await store.revision()) >= acknowledged.length);
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Runs crash-writer.fixture.ts on `path`, SIGKILLs it once `killAfter` ids were printed, and returns every
 * complete line it printed (lines still in the pipe at the kill were acknowledged too).
 */
function runAndKillWriter(path: string, killAfter: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'crash-writer.fixture.ts'), path], {
      cwd: here,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let partial = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      if (!killed && lines.length >= killAfter) {
        killed = child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL' && killed) resolve(lines);
      else reject(new Error(`writer exited early (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
}
