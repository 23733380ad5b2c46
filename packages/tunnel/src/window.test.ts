import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ReceiveWindow } from './window.js';

describe('ReceiveWindow', () => {
  test('the first grant is the whole window, and the peer may send exactly that', () => {
    const window = new ReceiveWindow(1000);
    assert.equal(window.credit, 0);
    assert.equal(window.take(1), false, 'nothing before the first grant');
    assert.equal(window.grant(0), 1000);
    assert.equal(window.take(600), true);
    assert.equal(window.take(401), false, 'one byte beyond the credit');
    assert.equal(window.credit, 400, 'a refused frame is not counted');
    assert.equal(window.take(400), true);
    assert.equal(window.credit, 0);
  });

  test('consumed bytes are granted back once the credit falls below half the window', () => {
    const window = new ReceiveWindow(1000);
    window.grant(0);
    window.take(300);
    assert.equal(window.grant(0), 0, 'credit 700 of 1000: no Window yet');
    window.take(300);
    assert.equal(window.grant(100), 500, 'credit 400: the 500 consumed go back');
    assert.equal(window.credit, 900);
    assert.equal(window.grant(0), 0, 'nothing more until the credit falls again');
  });

  test('bytes still unread are not granted: the buffer never exceeds the window', () => {
    const window = new ReceiveWindow(1000);
    window.grant(0);
    window.take(1000);
    assert.equal(window.grant(1000), 0, 'nothing consumed, nothing to grant');
    assert.equal(window.grant(250), 750);
    assert.equal(window.credit + 250, 1000, 'credit plus unread is the window');
  });
});
