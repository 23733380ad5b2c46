import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from './backoff.js';

test('delays grow exponentially to the cap, with jitter between half and all of each step', () => {
  const low = new Backoff({ baseMs: 500, maxMs: 30_000, random: () => 0 });
  const high = new Backoff({ baseMs: 500, maxMs: 30_000, random: () => 1 });
  const lows = Array.from({ length: 10 }, () => low.next());
  const highs = Array.from({ length: 10 }, () => high.next());
  assert.deepEqual(highs, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  assert.deepEqual(lows, highs.map((h) => h / 2));
});

test('reset starts over after a successful connection', () => {
  const b = new Backoff({ baseMs: 100, random: () => 1 });
  b.next();
  b.next();
  b.reset();
  assert.equal(b.next(), 100);
});

test('never exceeds the cap however long the outage', () => {
  const b = new Backoff({ random: () => 1 });
  for (let i = 0; i < 10_000; i++) assert.ok(b.next() <= 30_000);
});
