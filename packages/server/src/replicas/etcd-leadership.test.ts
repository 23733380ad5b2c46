import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Etcd3 } from 'etcd3';
import { noopLogger } from '../informer/logger.js';
import { Controller } from '../informer/controller.js';
import { connectEtcd } from '../store/etcd/etcd-client.js';
import { startEtcd, type EtcdProcess } from '../testing/etcd-process.js';
import { until } from '../testing/wait.js';
import { EtcdLeadership } from './etcd-leadership.js';
import { leaderGate } from './gate.js';
import type { LeadershipEvent } from './leadership.js';

// Leader election among replicas on a real etcd: one leader at a time, fast handover on resign, a leader paused
// past its lease standing down as it wakes, and controllers gated by it. Crashes and SIGSTOP of real server
// processes: e2e/replicas.

describe('leader election on etcd', () => {
  let etcd: EtcdProcess;
  const clients: Etcd3[] = [];
  const client = () => {
    const c = connectEtcd({ endpoints: [etcd.endpoint] });
    clients.push(c);
    return c;
  };
  let keys = 0;
  /** Candidates on a fresh key each test; `clock` lets a test move one candidate's time (a paused process). */
  const candidates = (n: number, clock?: () => number) => {
    const key = `/paddock-test-election/${++keys}`;
    return Array.from({ length: n }, (_, i) => new EtcdLeadership({ client: client(), key, identity: `r${i}`, ttlSeconds: 2, logger: noopLogger, now: i === 0 ? clock : undefined }));
  };

  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    for (const c of clients) c.close();
    await etcd?.remove();
  });

  test('a campaign stopped the moment it is elected ends (a stop during the election\'s txn is not lost)', async () => {
    const [replica] = candidates(1);
    assert.ok(replica);
    const stop = new AbortController();
    replica.onChange((event) => {
      if (event.type === 'elected') stop.abort();
    });
    const ended = await Promise.race([replica.campaign(stop.signal).then(() => 'ended'), new Promise((r) => setTimeout(() => r('hung'), 5_000))]);
    assert.equal(ended, 'ended');
    assert.equal(replica.isLeader(), false);
  });

  test('one leader among three; it resigns and another takes over at once', async () => {
    const replicas = candidates(3);
    const stops = replicas.map(() => new AbortController());
    const campaigns = replicas.map((r, i) => r.campaign(stops[i]!.signal));
    const leader = await until('a leader', () => replicas.find((r) => r.isLeader()));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(replicas.filter((r) => r.isLeader()).length, 1, 'exactly one');
    const firstTerm = leader.term();
    assert.ok(firstTerm !== undefined && firstTerm > 0);

    const resignedAt = performance.now();
    await leader.resign();
    assert.equal(leader.isLeader(), false);
    const next = await until('the next leader', () => replicas.find((r) => r !== leader && r.isLeader()));
    // Handover by the key's deletion, not by a lease expiring (2 s).
    assert.ok(performance.now() - resignedAt < 1_500, `handover took ${(performance.now() - resignedAt).toFixed(0)} ms`);
    assert.ok((next.term() ?? 0) > firstTerm, 'terms only grow');
    for (const s of stops) s.abort();
    await Promise.all(campaigns);
    assert.ok(replicas.every((r) => !r.isLeader()));
  });

  test('a leader paused past its lease stands down the moment it runs again, before any timer or I/O', async () => {
    let skew = 0;
    const [paused] = candidates(1, () => performance.now() + skew);
    assert.ok(paused);
    const events: LeadershipEvent[] = [];
    paused.onChange((e) => events.push(e));
    const stop = new AbortController();
    const campaign = paused.campaign(stop.signal);
    await until('it leads', () => paused.isLeader());
    // Stands for a SIGSTOP of a minute: when it wakes, its monotonic clock has jumped past the lease. (That
    // another replica then takes over, with real processes, is e2e/replicas.)
    skew = 60_000;
    assert.equal(paused.isLeader(), false, 'past its lease by its own clock: not leader, synchronously');
    assert.equal(paused.term(), undefined);
    assert.deepEqual(events.map((e) => e.type), ['elected', 'lost']);
    stop.abort();
    await campaign;
  });

  test('controllers sync only while their replica leads; keys wait for the next leadership', async () => {
    const [replica] = candidates(1);
    assert.ok(replica);
    const gate = leaderGate(replica);
    const synced: string[] = [];
    const controller = new Controller({ name: 'gated', sync: async (key) => void synced.push(key) });
    const stopController = new AbortController();
    const running = controller.run(stopController.signal, gate);
    controller.enqueue('a');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(synced.length, 0, 'not leader yet: nothing synced');
    const stopCampaign = new AbortController();
    const campaign = replica.campaign(stopCampaign.signal);
    await until('the waiting key synced once leading', () => synced.includes('a'));
    stopCampaign.abort();
    await campaign;
    controller.enqueue('b');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(synced.join(), 'a', 'resigned: b waits');
    const again = replica.campaign(new AbortController().signal);
    await until('b synced under the next leadership', () => synced.includes('b'));
    stopController.abort();
    await running;
    await replica.resign();
    await again;
  });
});
