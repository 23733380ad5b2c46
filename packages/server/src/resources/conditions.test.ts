import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { summarizeState } from '../api/state.js';
import { setCondition, type Condition } from './conditions.js';

const cond = (type: string, status: Condition['status'], message?: string): Condition => ({ type, status, ...(message === undefined ? {} : { message }) });

describe('summarizeState', () => {
  test('no conditions: active, not transitioning', () => {
    assert.deepEqual(summarizeState({}), { state: 'active', transitioning: 'no', transitioningMessage: '' });
    assert.deepEqual(summarizeState({ conditions: [] }), { state: 'active', transitioning: 'no', transitioningMessage: '' });
    assert.deepEqual(summarizeState({ conditions: 'garbage' }), { state: 'active', transitioning: 'no', transitioningMessage: '' });
  });

  test('a transitioning condition that is Unknown names the state, transitioning yes, with its message', () => {
    assert.deepEqual(summarizeState({ conditions: [cond('Provisioned', 'Unknown', 'Waiting for nodes')] }), {
      state: 'provisioning',
      transitioning: 'yes',
      transitioningMessage: 'Waiting for nodes',
    });
  });

  test('a transitioning condition that is False names the state as an error', () => {
    assert.deepEqual(summarizeState({ conditions: [cond('Provisioned', 'False', 'boom')] }), {
      state: 'provisioning',
      transitioning: 'error',
      transitioningMessage: 'boom',
    });
  });

  test('each transitioning condition type has its state', () => {
    const expected: Record<string, string> = {
      Pending: 'pending',
      Provisioned: 'provisioning',
      Registered: 'registering',
      Waiting: 'waiting',
      Initialized: 'initializing',
      Updated: 'updating',
      Removed: 'removing',
      Drained: 'draining',
      Active: 'activating',
      Saved: 'saving',
    };
    for (const [type, state] of Object.entries(expected)) {
      assert.equal(summarizeState({ conditions: [cond(type, 'Unknown')] }).state, state, type);
    }
  });

  test('True conditions and unknown types do not change the state', () => {
    assert.equal(summarizeState({ conditions: [cond('Provisioned', 'True'), cond('Pending', 'True')] }).state, 'active');
    assert.equal(summarizeState({ conditions: [cond('SomethingElse', 'Unknown'), cond('Other', 'False')] }).state, 'active');
  });

  test('a missing message is an empty string', () => {
    assert.equal(summarizeState({ conditions: [cond('Pending', 'Unknown')] }).transitioningMessage, '');
  });

  test('Ready False is unavailable (transitioning), Ready Unknown is unavailable (error), as wrangler summary does', () => {
    assert.deepEqual(summarizeState({ conditions: [cond('Ready', 'False', 'agent gone')] }), {
      state: 'unavailable',
      transitioning: 'yes',
      transitioningMessage: 'agent gone',
    });
    assert.deepEqual(summarizeState({ conditions: [cond('Ready', 'Unknown')] }), {
      state: 'unavailable',
      transitioning: 'error',
      transitioningMessage: '',
    });
    assert.equal(summarizeState({ conditions: [cond('Ready', 'True')] }).state, 'active');
  });

  test('a transitioning condition wins over Ready', () => {
    const out = summarizeState({ conditions: [cond('Ready', 'False'), cond('Provisioned', 'Unknown', 'provisioning')] });
    assert.deepEqual(out, { state: 'provisioning', transitioning: 'yes', transitioningMessage: 'provisioning' });
  });

  test('the local cluster (Provisioned and Ready True) is active', () => {
    assert.deepEqual(summarizeState({ conditions: [cond('Provisioned', 'True'), cond('Ready', 'True')] }), {
      state: 'active',
      transitioning: 'no',
      transitioningMessage: '',
    });
  });

  test('a removal timestamp means removing, whatever the conditions', () => {
    assert.deepEqual(summarizeState({ removed: '2020-08-20T10:00:00Z', conditions: [cond('Ready', 'True')] }), {
      state: 'removing',
      transitioning: 'yes',
      transitioningMessage: '',
    });
    assert.equal(summarizeState({ removed: '2020-08-20T10:00:00Z', conditions: [cond('Provisioned', 'False')] }).state, 'removing');
  });

  test('an empty or null removal is not removing', () => {
    assert.equal(summarizeState({ removed: '' }).state, 'active');
    assert.equal(summarizeState({ removed: null }).state, 'active');
  });
});

describe('setCondition', () => {
  const T0 = '2020-01-01T00:00:00Z';
  const T1 = '2020-01-01T00:05:00Z';

  test('adds a new condition with both times set to now', () => {
    assert.deepEqual(setCondition(undefined, { type: 'Ready', status: 'True', reason: '', message: '' }, T0), [
      { type: 'Ready', status: 'True', reason: '', message: '', lastUpdateTime: T0, lastTransitionTime: T0 },
    ]);
    const existing: Condition[] = [{ type: 'Pending', status: 'Unknown', lastUpdateTime: T0, lastTransitionTime: T0 }];
    const out = setCondition(existing, { type: 'Ready', status: 'True' }, T1);
    assert.deepEqual(out.map((c) => c.type), ['Pending', 'Ready'], 'appended after the others');
  });

  test('setting the same status, reason and message changes nothing: same list, same times', () => {
    const list: Condition[] = [
      { type: 'Pending', status: 'Unknown', reason: 'AgentNotConnected', message: 'waiting', lastUpdateTime: T0, lastTransitionTime: T0 },
      { type: 'Ready', status: 'True', reason: '', message: '', lastUpdateTime: T0, lastTransitionTime: T0 },
    ];
    const before = structuredClone(list);
    const out = setCondition(list, { type: 'Pending', status: 'Unknown', reason: 'AgentNotConnected', message: 'waiting' }, T1);
    assert.equal(out, list);
    assert.deepEqual(out, before);
  });

  test('a new message with the same status moves lastUpdateTime only', () => {
    const list: Condition[] = [{ type: 'Provisioned', status: 'Unknown', reason: 'Provisioning', message: 'no nodes', lastUpdateTime: T0, lastTransitionTime: T0 }];
    const [c] = setCondition(list, { type: 'Provisioned', status: 'Unknown', reason: 'Provisioning', message: '1 node' }, T1);
    assert.deepEqual(c, { type: 'Provisioned', status: 'Unknown', reason: 'Provisioning', message: '1 node', lastUpdateTime: T1, lastTransitionTime: T0 });
  });

  test('a new reason with the same status moves lastUpdateTime only', () => {
    const list: Condition[] = [{ type: 'Ready', status: 'False', reason: 'A', lastUpdateTime: T0, lastTransitionTime: T0 }];
    const [c] = setCondition(list, { type: 'Ready', status: 'False', reason: 'B' }, T1);
    assert.equal(c?.lastUpdateTime, T1);
    assert.equal(c?.lastTransitionTime, T0);
  });

  test('a status change moves both times', () => {
    const list: Condition[] = [{ type: 'Ready', status: 'False', lastUpdateTime: T0, lastTransitionTime: T0 }];
    const [c] = setCondition(list, { type: 'Ready', status: 'True' }, T1);
    assert.deepEqual(c, { type: 'Ready', status: 'True', lastUpdateTime: T1, lastTransitionTime: T1 });
  });

  test('an old condition without a transition time gets now', () => {
    const [c] = setCondition([{ type: 'Ready', status: 'True', message: 'a' }], { type: 'Ready', status: 'True', message: 'b' }, T1);
    assert.equal(c?.lastTransitionTime, T1);
  });

  test('replaces in place, keeps the others and does not modify the input', () => {
    const list: Condition[] = [
      { type: 'A', status: 'True', lastUpdateTime: T0, lastTransitionTime: T0 },
      { type: 'B', status: 'True', lastUpdateTime: T0, lastTransitionTime: T0 },
      { type: 'C', status: 'True', lastUpdateTime: T0, lastTransitionTime: T0 },
    ];
    const before = structuredClone(list);
    const out = setCondition(list, { type: 'B', status: 'False' }, T1);
    assert.deepEqual(out.map((c) => [c.type, c.status]), [['A', 'True'], ['B', 'False'], ['C', 'True']]);
    assert.equal(out[0], list[0]);
    assert.deepEqual(list, before);
  });

  test('setting a condition twice is idempotent', () => {
    const once = setCondition([], { type: 'Pending', status: 'Unknown', reason: 'R', message: 'M' }, T0);
    const twice = setCondition(once, { type: 'Pending', status: 'Unknown', reason: 'R', message: 'M' }, T1);
    assert.equal(twice, once);
  });
});
