import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Backoff } from '../../packages/agent/src/backoff.js';
import { keepConnected } from '../../packages/agent/src/connection.js';
import { ADMIN_PASSWORD, startTestServer } from '../../packages/server/src/testing/test-server.js';
import { until } from '../../packages/server/src/testing/wait.js';
import { createCluster } from '../support/agent-process.js';
import { freePort } from '../support/server-process.js';

/** A logger that records what it was told. */
function recordingLogger() {
  const lines: { level: string; msg: string }[] = [];
  const log = (level: string) => (a: object | string, b?: string) => lines.push({ level, msg: typeof a === 'string' ? a : (b ?? '') });
  return { lines, logger: { debug: () => undefined, info: log('info'), warn: log('warn'), error: log('error') } };
}

test('an agent waits out a server outage, logging it once, and connects when the server is back', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'paddock-reconnect-'));
  const port = await freePort();
  let srv = await startTestServer({ dataDir, httpsPort: String(port) });
  const admin = await srv.adminToken();
  const reg = await createCluster(srv, admin, 'outage');
  const ca = srv.ca;
  await srv.close({ keepDataDir: true });

  const stop = new AbortController();
  const { lines, logger } = recordingLogger();
  const facts = { nodeName: 'patient', address: '127.0.0.1', roles: ['worker'] };
  const running = keepConnected({
    server: `https://127.0.0.1:${port}`,
    token: reg.token,
    ca,
    params: facts,
    allow: () => true,
    logger,
    backoff: new Backoff({ baseMs: 20, maxMs: 100 }),
    signal: stop.signal,
  });
  try {
    await until('a failed attempt', () => lines.length >= 1);
    await new Promise((r) => setTimeout(r, 500)); // many more attempts at 20-100 ms apart
    const failures = lines.filter((l) => /cannot reach the server/.test(l.msg));
    assert.equal(failures.length, 1, 'the outage is logged once, not once per attempt');

    srv = await startTestServer({ dataDir, httpsPort: String(port) });
    const token = await srv.login('admin', ADMIN_PASSWORD);
    await until('node active', async () => {
      const nodes = (await srv.request('GET', `/v3/nodes?nodeName=patient`, { token })).json.data;
      return nodes[0]?.state === 'active' ? true : undefined;
    }, 30_000);
    assert.equal(lines.filter((l) => l.msg === 'connected').length, 1);
  } finally {
    stop.abort();
    assert.deepEqual(await running, { kind: 'stopped' });
    await srv.close({ keepDataDir: true });
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('an unresolvable server name is retried, not fatal', async () => {
  const stop = new AbortController();
  const { lines, logger } = recordingLogger();
  const running = keepConnected({
    server: 'https://paddock.invalid:8443',
    token: 'x',
    ca: undefined,
    params: {},
    allow: () => true,
    logger,
    backoff: new Backoff({ baseMs: 10, maxMs: 20 }),
    signal: stop.signal,
  });
  await until('a failed attempt', () => lines.some((l) => /cannot reach the server: .*ENOTFOUND|EAI_AGAIN/.test(l.msg)));
  stop.abort();
  assert.deepEqual(await running, { kind: 'stopped' });
});
