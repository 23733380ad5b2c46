import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarizeState } from '../api/state.js';

test('a False transitioning condition is an error even after an Unknown one', () => {
  const out = summarizeState({
    conditions: [
      { type: 'Pending', status: 'Unknown', message: 'waiting for agent' },
      { type: 'Provisioned', status: 'False', message: 'provisioning failed' },
    ],
  });
  assert.equal(out.transitioning, 'error');
  assert.equal(out.state, 'provisioning');
});
