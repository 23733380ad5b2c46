import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from './backoff.js';
import { ServerRotation } from './rotation.js';

/** Backoff without jitter: 100, 200, 400, ... */
const steady = () => new Backoff({ baseMs: 100, maxMs: 10_000, random: () => 1 });

/** Fails `n` attempts in a row: the server each was made on, and the wait after it. */
function failures(rotation: ServerRotation, n: number): [string, number][] {
  return Array.from({ length: n }, () => {
    const server = rotation.current;
    return [server, rotation.failed()];
  });
}

test('round robin from the first server; the backoff waits only after a full round failed, growing each round', () => {
  const rotation = new ServerRotation(['a', 'b', 'c'], steady());
  assert.deepEqual(failures(rotation, 9), [
    ['a', 0], ['b', 0], ['c', 100],
    ['a', 0], ['b', 0], ['c', 200],
    ['a', 0], ['b', 0], ['c', 400],
  ]);
  assert.equal(rotation.current, 'a');
});

test('a connect keeps the server and resets the backoff; when its tunnel drops the next server is tried at once', () => {
  const rotation = new ServerRotation(['a', 'b', 'c'], steady());
  failures(rotation, 4); // a full round (one wait), then a failed; b is next
  assert.equal(rotation.current, 'b');
  rotation.connected();
  assert.equal(rotation.current, 'b');
  // The dropped tunnel counts as b's turn: c, then a, at once; the round is complete after a.
  assert.deepEqual(failures(rotation, 4), [['b', 0], ['c', 0], ['a', 100], ['b', 0]]);
});

test('a connect mid-round starts a new round', () => {
  const rotation = new ServerRotation(['a', 'b'], steady());
  assert.deepEqual(failures(rotation, 1), [['a', 0]]);
  rotation.connected();
  assert.deepEqual(failures(rotation, 3), [['b', 0], ['a', 100], ['b', 0]]);
});

test('one server: every failure waits, as a single --server always did', () => {
  const rotation = new ServerRotation(['only'], steady());
  assert.deepEqual(failures(rotation, 3), [['only', 100], ['only', 200], ['only', 400]]);
  rotation.connected();
  assert.deepEqual(failures(rotation, 1), [['only', 100]]);
});

test('the list is copied, and must not be empty', () => {
  const servers = ['a', 'b'];
  const rotation = new ServerRotation(servers, steady());
  servers.reverse();
  assert.equal(rotation.current, 'a');
  assert.throws(() => new ServerRotation([]), /at least one server/);
});
