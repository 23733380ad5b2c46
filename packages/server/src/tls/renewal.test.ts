import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TlsMaterial } from './material.js';
import { startRenewalLoop, type Refreshable } from './renewal.js';

function material(certPem: string): TlsMaterial {
  return { source: 'generated', certPem, keyPem: 'k', cacerts: '', notAfter: new Date(0), sans: { dns: [], ips: [] } };
}

/** A manager whose refresh outcomes are scripted: true rotates to the next material, an Error rejects. */
function scripted(outcomes: Array<boolean | Error>): Refreshable & { calls: number } {
  let current = material('cert-0');
  const fake = {
    calls: 0,
    current: () => current,
    refresh: async (): Promise<boolean> => {
      const outcome = outcomes[fake.calls++] ?? false;
      if (outcome instanceof Error) throw outcome;
      if (outcome) current = material(`cert-${fake.calls}`);
      return outcome;
    },
  };
  return fake;
}

test('the loop hands rotated material to onRotated and reports errors without stopping', async () => {
  const manager = scripted([false, new Error('boom'), true]);
  const errors: unknown[] = [];
  const controller = new AbortController();
  const keepAlive = setInterval(() => undefined, 1000); // the loop's own timer is unref'd
  const rotated = await new Promise<TlsMaterial>((resolve) => {
    startRenewalLoop(manager, {
      intervalMs: 5,
      signal: controller.signal,
      onRotated: resolve,
      onError: (err) => errors.push(err),
    });
  });
  controller.abort();
  clearInterval(keepAlive);
  assert.equal(rotated.certPem, 'cert-3');
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /boom/);
});

test('stopping the loop ends the checks', async () => {
  const manager = scripted([]);
  const stop = startRenewalLoop(manager, { intervalMs: 5, onRotated: () => undefined, onError: () => undefined });
  await new Promise((resolve) => setTimeout(resolve, 30));
  stop();
  const calls = manager.calls;
  assert.ok(calls > 0);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(manager.calls, calls);
});

test('an already aborted signal starts no checks', async () => {
  const manager = scripted([]);
  startRenewalLoop(manager, {
    intervalMs: 5,
    signal: AbortSignal.abort(),
    onRotated: () => undefined,
    onError: () => undefined,
  });
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(manager.calls, 0);
});
