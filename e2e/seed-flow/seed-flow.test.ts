import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot, startPaddock, stopPaddock, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
let dataDir: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'paddock-seed-'));
  server = await startPaddock(dataDir);
});
after(async () => {
  await stopPaddock(server);
  await rm(dataDir, { recursive: true, force: true });
});

test('every curl/jq command of the seed post works against a fresh server', () => {
  const result = spawnSync('bash', [join(repoRoot, 'e2e/seed-flow/seed-flow.sh')], {
    env: { ...process.env, SERVER: server.url },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(result.status, 0, `seed-flow.sh failed:\n${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /seed flow: all steps passed/);
});
